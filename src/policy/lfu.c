/* lfu.c - least frequently used (prefix lfu_).
 *
 * Evicts the page with the fewest references since it was loaded; the
 * faulting reference counts (it arrives as an on_access right after on_fill,
 * so on_fill starts the count at 0).  Ties go to the oldest arrival, the
 * smallest fill seq, so the choice is always unique.  Counts are forgotten
 * when a page leaves: a page that comes back starts again from one.
 *
 * The resident frames sit in a binary min-heap keyed (count, fill seq), with
 * each frame's heap position kept so that an increment sifts in O(log n)
 * (fheap.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "fheap.h"
#include "policy.h"

typedef struct lfu_frame {
	uint64_t count;       /* references since on_fill */
	uint64_t fill_seq;    /* seq of the reference that loaded the page */
	fheap_link_t link;    /* place in the heap; zero if not resident */
} lfu_frame_t;

typedef struct lfu {
	lfu_frame_t *fr;      /* env->frame_priv, one entry per frame */
	fheap_t heap;         /* the resident frames, victim on top */
} lfu_t;

/* true if frame a must be evicted before frame b (ctx is the lfu_t). */
static bool lfu_before(const void *ctx, frame_id_t a, frame_id_t b)
{
	const lfu_t *p = ctx;
	const lfu_frame_t *x = &p->fr[a], *y = &p->fr[b];
	if (x->count != y->count)
		return x->count < y->count;
	return x->fill_seq < y->fill_seq;
}

static void *lfu_create(const policy_env_t *env)
{
	lfu_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	fheap_init(&p->heap, p->fr, sizeof *p->fr, offsetof(lfu_frame_t, link),
		   lfu_before, p);
	return p;
}

static void lfu_destroy(void *state)
{
	free(state);
}

static void lfu_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	lfu_t *p = state;
	p->fr[f].count = 0;
	p->fr[f].fill_seq = pg->seq;
	fheap_push(&p->heap, f);
}

/* A larger count can only move f away from the top of a min-heap, so the
 * upward half of fheap_update finds nothing to do. */
static void lfu_on_access(void *state, frame_id_t f, uint64_t seq)
{
	lfu_t *p = state;
	p->fr[f].count++;
	fheap_update(&p->heap, f);
}

static policy_shadow_t lfu_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	lfu_t *p = state;
	fheap_remove(&p->heap, f);
	return 0;
}

static frame_id_t lfu_pick_victim(void *state, const policy_page_t *incoming)
{
	lfu_t *p = state;
	return fheap_top(&p->heap);
}

/* Fewest references first (ties: oldest arrival), the order of eviction. */
static size_t lfu_order(void *state, frame_id_t *out, size_t max)
{
	return fheap_sorted(&((lfu_t *)state)->heap, out, max);
}

/* The count the next eviction compares. */
static int lfu_note(void *state, frame_id_t f, char *buf, size_t len)
{
	snprintf(buf, len, "count=%llu", (unsigned long long)((lfu_t *)state)->fr[f].count);
	return 0;
}

const policy_ops_t policy_lfu = {
	.version = POLICY_VERSION,
	.name = "lfu",
	.summary = "least frequently used since loaded; ties to the oldest arrival",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(lfu_frame_t),
	.create = lfu_create,
	.destroy = lfu_destroy,
	.on_fill = lfu_on_fill,
	.on_access = lfu_on_access,
	.on_evict = lfu_on_evict,
	.pick_victim = lfu_pick_victim,
	.order = lfu_order,
	.note = lfu_note,
	.order_first = "Fewest",
	.order_last = "Most",
};
