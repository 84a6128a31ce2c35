/* lru.c - exact least recently used (prefix lru_).
 *
 * Evicts the page whose last completed reference is the oldest.  Every
 * reference counts, which hardware does not report (it only sets accessed
 * bits), so this is a reference model for the approximations (clock).  The
 * resident frames form a doubly linked list threaded through the per-frame
 * state (flist.h), most recently used at the head: a reference moves its
 * frame to the head and the victim is the tail, all O(1). */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "flist.h"
#include "policy.h"

typedef struct lru_frame {
	flist_link_t link; /* prev is more recently used, next less */
	bool resident;     /* between on_fill and on_evict */
} lru_frame_t;

typedef struct lru {
	lru_frame_t *fr;   /* env->frame_priv, one entry per frame */
	flist_t list;      /* head used most recently, tail the next victim */
} lru_t;

static void *lru_create(const policy_env_t *env)
{
	lru_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	flist_init(&p->list, p->fr, sizeof *p->fr, offsetof(lru_frame_t, link));
	return p;
}

static void lru_destroy(void *state)
{
	free(state);
}

/* A page just loaded counts as just used (its reference follows at once). */
static void lru_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	lru_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f].resident = true;
	flist_push_head(&p->list, f);
}

static void lru_on_access(void *state, frame_id_t f, uint64_t seq)
{
	lru_t *p = state;
	assert(p->fr[f].resident);
	if (p->list.head == f)
		return;   /* already the most recent: the common case of locality */
	flist_unlink(&p->list, f);
	flist_push_head(&p->list, f);
}

static policy_shadow_t lru_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	lru_t *p = state;
	assert(p->fr[f].resident);
	flist_unlink(&p->list, f);
	p->fr[f].resident = false;
	return 0;
}

static frame_id_t lru_pick_victim(void *state, const policy_page_t *incoming)
{
	lru_t *p = state;
	assert(p->list.tail != FRAME_NONE);
	return p->list.tail;
}

/* Least recently used first: the order of eviction. */
static size_t lru_order(void *state, frame_id_t *out, size_t max)
{
	return flist_from_tail(&((lru_t *)state)->list, out, max);
}

const policy_ops_t policy_lru = {
	.version = POLICY_VERSION,
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
	.order = lru_order,
	.order_first = "LRU",
	.order_last = "MRU",
};
