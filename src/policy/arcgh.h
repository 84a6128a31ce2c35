/* arcgh.h - ARC's history: the ghost lists B1 and B2 and the target p
 * (prefix arcgh_), shared by arc and car, which differ in how they keep the
 * resident lists T1 and T2 (LRU lists, or clocks of accessed bits) and in
 * when p adapts, not in the history itself.
 *
 * With c the frames: B1 holds the keys of pages evicted from T1 (at most c),
 * B2 those evicted from T2 (at most 2c), newest at the head.  A hit in B1
 * adds max(1, |B2|/|B1|) to p (capped at c), a hit in B2 subtracts
 * max(1, |B1|/|B2|) (floored at 0), in floating point, with the sizes before
 * the key leaves its list (Megiddo & Modha 2003, cases II and III; Bansal &
 * Modha 2004, figure 2, lines 8-10). */
#ifndef VMLAB_POLICY_ARCGH_H
#define VMLAB_POLICY_ARCGH_H

#include <stdbool.h>
#include <stdint.h>

#include "ghost.h"
#include "policy.h"

typedef struct arcgh {
	ghost_t b1, b2;   /* MRU at the head */
	double p;         /* target size of T1 */
	uint32_t c;       /* the frames */
} arcgh_t;

/* An empty history for c frames, p = 0.  Returns 0, or -1 out of memory
 * (nothing left to free). */
static inline int arcgh_init(arcgh_t *h, uint32_t c)
{
	h->p = 0;
	h->c = c;
	if (ghost_init(&h->b1, c))
		return -1;
	if (ghost_init(&h->b2, 2 * c)) {
		ghost_fini(&h->b1);
		return -1;
	}
	return 0;
}

static inline void arcgh_fini(arcgh_t *h)
{
	ghost_fini(&h->b1);
	ghost_fini(&h->b2);
}

/* Whether key is remembered in B1 or B2 (PAGE_KEY_NONE never is). */
static inline bool arcgh_has(const arcgh_t *h, page_key_t key)
{
	return key != PAGE_KEY_NONE &&
	       (ghost_find(&h->b1, key) != GHOST_NONE || ghost_find(&h->b2, key) != GHOST_NONE);
}

/* A page key coming in: if it is a ghost, adapt p and drop the ghost.
 * Returns 1 for a hit in B1, 2 in B2, 0 for none (or PAGE_KEY_NONE). */
static inline int arcgh_hit(arcgh_t *h, page_key_t key)
{
	if (key == PAGE_KEY_NONE)
		return 0;
	double n1 = h->b1.n, n2 = h->b2.n;
	uint32_t i = ghost_find(&h->b1, key);
	if (i != GHOST_NONE) {
		double d = n2 / n1 > 1 ? n2 / n1 : 1;
		h->p = h->p + d < h->c ? h->p + d : h->c;
		ghost_del(&h->b1, i);
		return 1;
	}
	i = ghost_find(&h->b2, key);
	if (i == GHOST_NONE)
		return 0;
	double d = n1 / n2 > 1 ? n1 / n2 : 1;
	h->p = h->p - d > 0 ? h->p - d : 0;
	ghost_del(&h->b2, i);
	return 2;
}

/* A page evicted from T2 (from_t2) or T1 leaves its key in B2 or B1, unless
 * it is NONE or already a ghost; a full list (only after releases) first
 * drops its oldest. */
static inline void arcgh_remember(arcgh_t *h, bool from_t2, page_key_t key)
{
	if (key == PAGE_KEY_NONE || arcgh_has(h, key))
		return;
	ghost_t *g = from_t2 ? &h->b2 : &h->b1;
	if (g->n == g->cap)
		ghost_del(g, ghost_oldest(g));
	ghost_add(g, key, 0);
}

/* Drop the oldest ghost of B1 (b2 false) or B2, if it has one. */
static inline void arcgh_drop_oldest(arcgh_t *h, bool b2)
{
	ghost_t *g = b2 ? &h->b2 : &h->b1;
	if (g->n)
		ghost_del(g, ghost_oldest(g));
}

/* The papers' bounds with n1 = |T1| and n2 = |T2| resident: |T1| + |B1| <= c
 * and all four <= 2c, kept by dropping oldest ghosts (B2's first for the
 * second).  Only acts after releases or early reclaim. */
static inline void arcgh_bound(arcgh_t *h, uint32_t n1, uint32_t n2)
{
	while ((uint64_t)n1 + h->b1.n > h->c && h->b1.n)
		arcgh_drop_oldest(h, false);
	while ((uint64_t)n1 + n2 + h->b1.n + h->b2.n > 2ull * h->c && (h->b1.n || h->b2.n))
		arcgh_drop_oldest(h, h->b2.n != 0);
}

/* A key released or forgotten by the machine leaves the history. */
static inline void arcgh_forget(arcgh_t *h, page_key_t key)
{
	if (!ghost_forget(&h->b1, key))
		ghost_forget(&h->b2, key);
}

#endif
