/* fheap.h - a binary heap of frame ids kept in the per-frame state
 * (prefix fheap_), shared by the policies that evict by an ordering key
 * (lfu, opt).
 *
 * The heap never holds more than nframes entries, so it needs no storage of
 * its own: each per-frame struct embeds an fheap_link_t, where entry i's
 * `heap` is the frame at heap index i, while frame f's `pos` says where f
 * is.  Knowing every frame's position is what lets a key change or a removal
 * from the middle (a released frame) cost O(log n) instead of a search.
 *
 * The policy supplies the order as a strict "evict a before b" predicate;
 * the top of the heap is then the next victim. */
#ifndef VMLAB_POLICY_FHEAP_H
#define VMLAB_POLICY_FHEAP_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>

#include "policy.h"

/* Embedded in each per-frame struct; zeroed means "not in the heap", which
 * is how the machine hands frame_priv over. */
typedef struct fheap_link {
	uint32_t pos;         /* 1 + heap index; 0 if not in the heap */
	frame_id_t heap;      /* heap[i] for this entry i, when i < n */
} fheap_link_t;

/* true if frame a must be evicted before frame b.  Must be a strict total
 * order over the frames in the heap, or the victim depends on history. */
typedef bool (*fheap_before_fn)(const void *ctx, frame_id_t a, frame_id_t b);

typedef struct fheap {
	unsigned char *base;  /* the per-frame structs (env->frame_priv) */
	size_t stride;        /* sizeof one per-frame struct */
	size_t link_off;      /* offsetof its fheap_link_t */
	fheap_before_fn before;
	const void *ctx;      /* passed to before, usually the policy */
	uint32_t n;           /* heap size */
} fheap_t;

/* An empty heap over frame_priv, whose structs of stride bytes each hold an
 * fheap_link_t at link_off, all zero. */
static inline void fheap_init(fheap_t *h, void *frame_priv, size_t stride,
			      size_t link_off, fheap_before_fn before,
			      const void *ctx)
{
	h->base = frame_priv;
	h->stride = stride;
	h->link_off = link_off;
	h->before = before;
	h->ctx = ctx;
	h->n = 0;
}

/* Frame f's link (f < nframes). */
static inline fheap_link_t *fheap_link(const fheap_t *h, frame_id_t f)
{
	return (fheap_link_t *)(h->base + (size_t)f * h->stride + h->link_off);
}

/* true if frame f is in the heap. */
static inline bool fheap_contains(const fheap_t *h, frame_id_t f)
{
	return fheap_link(h, f)->pos != 0;
}

/* Put frame f at heap index i and record where it is. */
static inline void fheap_place(fheap_t *h, uint32_t i, frame_id_t f)
{
	fheap_link(h, i)->heap = f;
	fheap_link(h, f)->pos = i + 1;
}

/* Move the frame at index i up while it precedes its parent. */
static inline void fheap_sift_up(fheap_t *h, uint32_t i)
{
	frame_id_t f = fheap_link(h, i)->heap;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		frame_id_t g = fheap_link(h, parent)->heap;
		if (!h->before(h->ctx, f, g))
			break;
		fheap_place(h, i, g);
		i = parent;
	}
	fheap_place(h, i, f);
}

/* Move the frame at index i down while a child precedes it. */
static inline void fheap_sift_down(fheap_t *h, uint32_t i)
{
	frame_id_t f = fheap_link(h, i)->heap;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->before(h->ctx, fheap_link(h, c + 1)->heap,
					      fheap_link(h, c)->heap))
			c++;
		frame_id_t g = fheap_link(h, c)->heap;
		if (!h->before(h->ctx, g, f))
			break;
		fheap_place(h, i, g);
		i = c;
	}
	fheap_place(h, i, f);
}

/* Add frame f, not in the heap, whose key the caller has already set. */
static inline void fheap_push(fheap_t *h, frame_id_t f)
{
	assert(!fheap_contains(h, f));
	fheap_place(h, h->n++, f);
	fheap_sift_up(h, h->n - 1);
}

/* Restore the order after frame f's key changed, in either direction: at
 * most one of the two sifts moves it. */
static inline void fheap_update(fheap_t *h, frame_id_t f)
{
	assert(fheap_contains(h, f));
	fheap_sift_up(h, fheap_link(h, f)->pos - 1);
	fheap_sift_down(h, fheap_link(h, f)->pos - 1);
}

/* Take frame f out of the heap, wherever it is.  The last entry fills f's
 * hole and may belong above or below it. */
static inline void fheap_remove(fheap_t *h, frame_id_t f)
{
	uint32_t i = fheap_link(h, f)->pos;
	assert(i != 0 && i <= h->n);
	i--;
	fheap_link(h, f)->pos = 0;
	frame_id_t last = fheap_link(h, --h->n)->heap;
	if (last == f)
		return;
	fheap_place(h, i, last);
	fheap_update(h, last);
}

/* qsort_r order of two frames of heap ctx: the one to evict first first. */
static inline int fheap_cmp(const void *a, const void *b, void *ctx)
{
	const fheap_t *h = ctx;
	frame_id_t x = *(const frame_id_t *)a, y = *(const frame_id_t *)b;
	return h->before(h->ctx, x, y) ? -1 : h->before(h->ctx, y, x) ? 1 : 0;
}

/* The frames of the heap in eviction order, the next victim first, at most
 * max into out (sorted only when all fit: a display needs them all);
 * returns how many the heap holds.  For showing the state, not deciding. */
static inline size_t fheap_sorted(const fheap_t *h, frame_id_t *out, size_t max)
{
	for (uint32_t i = 0; i < h->n && i < max; i++)
		out[i] = fheap_link(h, i)->heap;
	if (h->n <= max)
		qsort_r(out, h->n, sizeof *out, fheap_cmp, (void *)h);
	return h->n;
}

/* The frame to evict first; the heap must not be empty. */
static inline frame_id_t fheap_top(const fheap_t *h)
{
	assert(h->n > 0);
	return fheap_link(h, 0)->heap;
}

#endif
