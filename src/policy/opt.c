/* opt.c - Belady's optimal replacement, MIN (prefix opt_).
 *
 * Evicts the page whose next reference is farthest in the future, a page
 * never referenced again counting as farthest; several such pages go to the
 * oldest arrival (smallest fill seq).  It needs the future: env->next_use,
 * computed from the whole reference string before the run (nextuse.h).
 *
 * A resident page's next use is next_use[seq] of its latest reference; on
 * fill it is next_use of the faulting reference, which the access that
 * follows confirms.  The resident frames sit in a binary max-heap keyed
 * (next use, then older arrival first), each frame's heap position kept, so
 * every event is O(log n) (fheap.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "fheap.h"
#include "policy.h"

typedef struct opt_frame {
	uint64_t next_use;    /* seq of the next reference, or NEXT_USE_NEVER */
	uint64_t fill_seq;    /* seq of the reference that loaded the page */
	fheap_link_t link;    /* place in the heap; zero if not resident */
} opt_frame_t;

typedef struct opt {
	opt_frame_t *fr;          /* env->frame_priv, one entry per frame */
	const uint64_t *next_use; /* env->next_use, owned by the caller */
	fheap_t heap;             /* the resident frames, victim on top */
} opt_t;

/* true if frame a must be evicted before frame b (ctx is the opt_t). */
static bool opt_before(const void *ctx, frame_id_t a, frame_id_t b)
{
	const opt_t *p = ctx;
	const opt_frame_t *x = &p->fr[a], *y = &p->fr[b];
	if (x->next_use != y->next_use)
		return x->next_use > y->next_use;
	return x->fill_seq < y->fill_seq;
}

/* Without the future there is nothing to be optimal about. */
static void *opt_create(const policy_env_t *env)
{
	if (!env->next_use)
		return NULL;
	opt_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->next_use = env->next_use;
	fheap_init(&p->heap, p->fr, sizeof *p->fr, offsetof(opt_frame_t, link),
		   opt_before, p);
	return p;
}

static void opt_destroy(void *state)
{
	free(state);
}

static void opt_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	opt_t *p = state;
	p->fr[f].next_use = p->next_use[pg->seq];
	p->fr[f].fill_seq = pg->seq;
	fheap_push(&p->heap, f);
}

/* The next use only moves later (next_use[seq] > seq), which in a max-heap
 * can only move f up; fheap_update sifts both ways, right regardless. */
static void opt_on_access(void *state, frame_id_t f, uint64_t seq)
{
	opt_t *p = state;
	p->fr[f].next_use = p->next_use[seq];
	fheap_update(&p->heap, f);
}

static policy_shadow_t opt_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	opt_t *p = state;
	fheap_remove(&p->heap, f);
	return 0;
}

static frame_id_t opt_pick_victim(void *state, const policy_page_t *incoming)
{
	opt_t *p = state;
	return fheap_top(&p->heap);
}

/* Farthest next use first, the order of eviction. */
static size_t opt_order(void *state, frame_id_t *out, size_t max)
{
	return fheap_sorted(&((opt_t *)state)->heap, out, max);
}

/* The next use, numbered from 1 as `run --steps` numbers references. */
static int opt_note(void *state, frame_id_t f, char *buf, size_t len)
{
	uint64_t next = ((opt_t *)state)->fr[f].next_use;
	if (next == NEXT_USE_NEVER)
		snprintf(buf, len, "next=never");
	else
		snprintf(buf, len, "next=%llu", (unsigned long long)next + 1);
	return 0;
}

const policy_ops_t policy_opt = {
	.version = POLICY_VERSION,
	.name = "opt",
	.summary = "Belady's optimal: evict the page used farthest in the future",
	.needs = POLICY_NEEDS_FUTURE,
	.frame_priv_size = sizeof(opt_frame_t),
	.create = opt_create,
	.destroy = opt_destroy,
	.on_fill = opt_on_fill,
	.on_access = opt_on_access,
	.on_evict = opt_on_evict,
	.pick_victim = opt_pick_victim,
	.order = opt_order,
	.note = opt_note,
	.order_first = "Farthest",
	.order_last = "Soonest",
};
