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
 * every event is O(log n). */
#include <assert.h>
#include <stdlib.h>

#include "policy.h"

/* The heap has at most nframes entries, so it shares the per-frame storage:
 * entry i's `heap` is the frame at heap index i, while frame f's own fields
 * describe f. */
typedef struct opt_frame {
	uint64_t next_use;    /* seq of the next reference, or NEXT_USE_NEVER */
	uint64_t fill_seq;    /* seq of the reference that loaded the page */
	uint32_t pos;         /* 1 + heap index; 0 if not resident */
	frame_id_t heap;      /* heap[i] for this entry i, when i < n */
} opt_frame_t;

typedef struct opt {
	opt_frame_t *fr;          /* env->frame_priv, one entry per frame */
	const uint64_t *next_use; /* env->next_use, owned by the caller */
	uint32_t n;               /* heap size = frames resident */
} opt_t;

/* true if frame a must be evicted before frame b. */
static bool opt_before(const opt_t *p, frame_id_t a, frame_id_t b)
{
	const opt_frame_t *x = &p->fr[a], *y = &p->fr[b];
	if (x->next_use != y->next_use)
		return x->next_use > y->next_use;
	return x->fill_seq < y->fill_seq;
}

/* Put frame f at heap index i and record where it is. */
static void opt_place(opt_t *p, uint32_t i, frame_id_t f)
{
	p->fr[i].heap = f;
	p->fr[f].pos = i + 1;
}

/* Move the frame at index i up while it precedes its parent. */
static void opt_sift_up(opt_t *p, uint32_t i)
{
	frame_id_t f = p->fr[i].heap;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		frame_id_t g = p->fr[parent].heap;
		if (!opt_before(p, f, g))
			break;
		opt_place(p, i, g);
		i = parent;
	}
	opt_place(p, i, f);
}

/* Move the frame at index i down while a child precedes it. */
static void opt_sift_down(opt_t *p, uint32_t i)
{
	frame_id_t f = p->fr[i].heap;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= p->n)
			break;
		if (c + 1 < p->n && opt_before(p, p->fr[c + 1].heap, p->fr[c].heap))
			c++;
		frame_id_t g = p->fr[c].heap;
		if (!opt_before(p, g, f))
			break;
		opt_place(p, i, g);
		i = c;
	}
	opt_place(p, i, f);
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
	return p;
}

static void opt_destroy(void *state)
{
	free(state);
}

static void opt_on_fill(void *state, frame_id_t f, uint64_t seq)
{
	opt_t *p = state;
	assert(p->fr[f].pos == 0);
	p->fr[f].next_use = p->next_use[seq];
	p->fr[f].fill_seq = seq;
	opt_place(p, p->n++, f);
	opt_sift_up(p, p->n - 1);
}

/* The next use only moves later (next_use[seq] > seq), which in a max-heap
 * can only move f up; sifting down too keeps the heap right regardless. */
static void opt_on_access(void *state, frame_id_t f, uint64_t seq)
{
	opt_t *p = state;
	assert(p->fr[f].pos != 0);
	p->fr[f].next_use = p->next_use[seq];
	opt_sift_up(p, p->fr[f].pos - 1);
	opt_sift_down(p, p->fr[f].pos - 1);
}

/* Fill f's hole with the last entry, which may belong above or below it. */
static void opt_on_evict(void *state, frame_id_t f)
{
	opt_t *p = state;
	uint32_t i = p->fr[f].pos;
	assert(i != 0 && i <= p->n);
	i--;
	p->fr[f].pos = 0;
	frame_id_t last = p->fr[--p->n].heap;
	if (last == f)
		return;
	opt_place(p, i, last);
	opt_sift_up(p, i);
	opt_sift_down(p, p->fr[last].pos - 1);
}

static frame_id_t opt_pick_victim(void *state)
{
	opt_t *p = state;
	assert(p->n > 0);
	return p->fr[0].heap;
}

const policy_ops_t policy_opt = {
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
};
