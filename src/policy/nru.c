/* nru.c - not recently used (prefix nru_): Tanenbaum and Bos, Modern
 * Operating Systems, 4th ed., section 3.4.2.
 *
 * Every resident page is in one of four classes from its hardware bits,
 * class = 2 * accessed + dirty (policy_young, policy_dirty):
 *   0 not accessed, clean; 1 not accessed, dirty;
 *   2 accessed, clean;     3 accessed, dirty.
 * Every env->tick references (on_tick) the accessed bits of all resident
 * pages are cleared (policy_test_and_clear_young), so "accessed" means
 * "since the last tick"; dirty bits are cleared only by a write-back, which
 * in vmlab is an eviction.  The victim is a page of the lowest non-empty
 * class; where Tanenbaum picks one "at random", vmlab takes the lowest frame
 * of that class, so that runs are reproducible.  A new page is accessed (its
 * faulting access set the bit) until the next tick.  Only hardware bits are
 * used; choosing a victim and a tick are each a scan of the frames. */
#include <assert.h>
#include <stdio.h>

#include "fclock.h"
#include "policy.h"

static void nru_on_tick(void *state, uint64_t seq)
{
	fclock_t *p = state;
	for (frame_id_t f = 0; f < p->nframes; f++)
		if (p->fr[f].resident)
			policy_test_and_clear_young(p->hw, f);
}

/* The first frame of class 0 ends the scan at once. */
static frame_id_t nru_pick_victim(void *state, const policy_page_t *incoming)
{
	fclock_t *p = state;
	frame_id_t best = FRAME_NONE;
	unsigned best_class = 4;
	for (frame_id_t f = 0; f < p->nframes && best_class > 0; f++) {
		if (!p->fr[f].resident)
			continue;
		unsigned c = 2u * policy_young(p->hw, f) + policy_dirty(p->hw, f);
		if (c < best_class) {
			best_class = c;
			best = f;
		}
	}
	assert(best != FRAME_NONE && "nru: no resident frame");
	return best;
}

/* Lowest class first, lowest frame first within a class: the order of
 * eviction if nothing changed. */
static size_t nru_order(void *state, frame_id_t *out, size_t max)
{
	const fclock_t *p = state;
	size_t n = 0;
	for (unsigned c = 0; c < 4; c++)
		for (frame_id_t f = 0; f < p->nframes; f++)
			if (p->fr[f].resident &&
			    2u * policy_young(p->hw, f) + policy_dirty(p->hw, f) == c && n++ < max)
				out[n - 1] = f;
	return n;
}

/* The two bits that make the class. */
static int nru_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const fclock_t *p = state;
	snprintf(buf, len, "a=%d,d=%d", policy_young(p->hw, f), policy_dirty(p->hw, f));
	return 0;
}

const policy_ops_t policy_nru = {
	.version = POLICY_VERSION,
	.name = "nru",
	.summary = "not recently used: classes 2*accessed+dirty, accessed bits cleared every --tick references; evict the lowest frame of the lowest class",
	.paper = "Tanenbaum & Bos, Modern Operating Systems 4th ed., section 3.4.2",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(fclock_frame_t),
	.create = fclock_create,
	.destroy = fclock_destroy,
	.on_fill = fclock_on_fill,
	.on_access = NULL,
	.on_evict = fclock_on_evict,
	.pick_victim = nru_pick_victim,
	.on_tick = nru_on_tick,
	.order = nru_order,
	.note = nru_note,
	.order_first = "Lowest class",
	.order_last = "Highest",
};
