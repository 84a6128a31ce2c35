/* lfu.c - least frequently used (prefix lfu_).
 *
 * Evicts the page with the fewest references since it was loaded; the
 * faulting reference counts (it arrives as an on_access right after on_fill,
 * so on_fill starts the count at 0).  Ties go to the oldest arrival, the
 * smallest fill seq, so the choice is always unique.  Counts are forgotten
 * when a page leaves: a page that comes back starts again from one.
 *
 * The resident frames sit in a binary min-heap keyed (count, fill seq), with
 * each frame's heap position kept so that an increment sifts in O(log n). */
#include <assert.h>
#include <stdlib.h>

#include "policy.h"

/* The heap has at most nframes entries, so it shares the per-frame storage:
 * entry i's `heap` is the frame at heap index i, while frame f's own fields
 * describe f. */
typedef struct lfu_frame {
	uint64_t count;       /* references since on_fill */
	uint64_t fill_seq;    /* seq of the reference that loaded the page */
	uint32_t pos;         /* 1 + heap index; 0 if not resident */
	frame_id_t heap;      /* heap[i] for this entry i, when i < n */
} lfu_frame_t;

typedef struct lfu {
	lfu_frame_t *fr;      /* env->frame_priv, one entry per frame */
	uint32_t n;           /* heap size = frames resident */
} lfu_t;

/* true if frame a must be evicted before frame b. */
static bool lfu_before(const lfu_t *p, frame_id_t a, frame_id_t b)
{
	const lfu_frame_t *x = &p->fr[a], *y = &p->fr[b];
	if (x->count != y->count)
		return x->count < y->count;
	return x->fill_seq < y->fill_seq;
}

/* Put frame f at heap index i and record where it is. */
static void lfu_place(lfu_t *p, uint32_t i, frame_id_t f)
{
	p->fr[i].heap = f;
	p->fr[f].pos = i + 1;
}

/* Move the frame at index i up while it precedes its parent. */
static void lfu_sift_up(lfu_t *p, uint32_t i)
{
	frame_id_t f = p->fr[i].heap;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		frame_id_t g = p->fr[parent].heap;
		if (!lfu_before(p, f, g))
			break;
		lfu_place(p, i, g);
		i = parent;
	}
	lfu_place(p, i, f);
}

/* Move the frame at index i down while a child precedes it. */
static void lfu_sift_down(lfu_t *p, uint32_t i)
{
	frame_id_t f = p->fr[i].heap;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= p->n)
			break;
		if (c + 1 < p->n && lfu_before(p, p->fr[c + 1].heap, p->fr[c].heap))
			c++;
		frame_id_t g = p->fr[c].heap;
		if (!lfu_before(p, g, f))
			break;
		lfu_place(p, i, g);
		i = c;
	}
	lfu_place(p, i, f);
}

static void *lfu_create(const policy_env_t *env)
{
	lfu_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	return p;
}

static void lfu_destroy(void *state)
{
	free(state);
}

static void lfu_on_fill(void *state, frame_id_t f, uint64_t seq)
{
	lfu_t *p = state;
	assert(p->fr[f].pos == 0);
	p->fr[f].count = 0;
	p->fr[f].fill_seq = seq;
	lfu_place(p, p->n++, f);
	lfu_sift_up(p, p->n - 1);
}

/* A larger count can only move f away from the top of a min-heap. */
static void lfu_on_access(void *state, frame_id_t f, uint64_t seq)
{
	lfu_t *p = state;
	assert(p->fr[f].pos != 0);
	p->fr[f].count++;
	lfu_sift_down(p, p->fr[f].pos - 1);
}

/* Fill f's hole with the last entry, which may belong above or below it. */
static void lfu_on_evict(void *state, frame_id_t f)
{
	lfu_t *p = state;
	uint32_t i = p->fr[f].pos;
	assert(i != 0 && i <= p->n);
	i--;
	p->fr[f].pos = 0;
	frame_id_t last = p->fr[--p->n].heap;
	if (last == f)
		return;
	lfu_place(p, i, last);
	lfu_sift_up(p, i);
	lfu_sift_down(p, p->fr[last].pos - 1);
}

static frame_id_t lfu_pick_victim(void *state)
{
	lfu_t *p = state;
	assert(p->n > 0);
	return p->fr[0].heap;
}

const policy_ops_t policy_lfu = {
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
};
