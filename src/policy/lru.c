/* lru.c - exact least recently used (prefix lru_).
 *
 * Evicts the page whose last completed reference is the oldest.  Every
 * reference counts, which hardware does not report (it only sets accessed
 * bits), so this is a reference model for the approximations (clock).  The
 * resident frames form a doubly linked list threaded through the per-frame
 * state, most recently used at the head: a reference moves its frame to the
 * head and the victim is the tail, all O(1). */
#include <assert.h>
#include <stdlib.h>

#include "policy.h"

typedef struct lru_frame {
	frame_id_t prev;   /* more recently used neighbour, FRAME_NONE at head */
	frame_id_t next;   /* less recently used neighbour, FRAME_NONE at tail */
	bool resident;     /* between on_fill and on_evict */
} lru_frame_t;

typedef struct lru {
	lru_frame_t *fr;   /* env->frame_priv, one entry per frame */
	frame_id_t head;   /* used most recently */
	frame_id_t tail;   /* used longest ago: the next victim */
} lru_t;

static void *lru_create(const policy_env_t *env)
{
	lru_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->head = p->tail = FRAME_NONE;
	return p;
}

static void lru_destroy(void *state)
{
	free(state);
}

/* Link resident frame f in at the head. */
static void lru_push_head(lru_t *p, frame_id_t f)
{
	lru_frame_t *e = &p->fr[f];
	e->prev = FRAME_NONE;
	e->next = p->head;
	if (p->head != FRAME_NONE)
		p->fr[p->head].prev = f;
	else
		p->tail = f;
	p->head = f;
}

/* Take resident frame f out of the list, wherever it is. */
static void lru_unlink(lru_t *p, frame_id_t f)
{
	lru_frame_t *e = &p->fr[f];
	if (e->prev != FRAME_NONE)
		p->fr[e->prev].next = e->next;
	else
		p->head = e->next;
	if (e->next != FRAME_NONE)
		p->fr[e->next].prev = e->prev;
	else
		p->tail = e->prev;
}

/* A page just loaded counts as just used (its reference follows at once). */
static void lru_on_fill(void *state, frame_id_t f, uint64_t seq)
{
	lru_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f].resident = true;
	lru_push_head(p, f);
}

static void lru_on_access(void *state, frame_id_t f, uint64_t seq)
{
	lru_t *p = state;
	assert(p->fr[f].resident);
	if (p->head == f)
		return;   /* already the most recent: the common case of locality */
	lru_unlink(p, f);
	lru_push_head(p, f);
}

static void lru_on_evict(void *state, frame_id_t f)
{
	lru_t *p = state;
	assert(p->fr[f].resident);
	lru_unlink(p, f);
	p->fr[f].resident = false;
}

static frame_id_t lru_pick_victim(void *state)
{
	lru_t *p = state;
	assert(p->tail != FRAME_NONE);
	return p->tail;
}

const policy_ops_t policy_lru = {
	.name = "lru",
	.summary = "exact least recently used: evict the page referenced longest ago",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(lru_frame_t),
	.create = lru_create,
	.destroy = lru_destroy,
	.on_fill = lru_on_fill,
	.on_access = lru_on_access,
	.on_evict = lru_on_evict,
	.pick_victim = lru_pick_victim,
};
