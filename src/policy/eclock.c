/* eclock.c - enhanced second chance over (accessed, dirty) classes
 * (prefix eclock_): Silberschatz's "enhanced second-chance algorithm"
 * (Operating System Concepts), with the sweeps made exact as Stallings
 * states them (Operating Systems: Internals and Design Principles).
 *
 * A page's class is (a, d): a = accessed bit through any mapping
 * (policy_young), d = must be written back (policy_dirty).  Evicting a
 * clean page is cheaper than evicting a dirty one, so (0,0) is preferred to
 * (0,1), and pages used lately, (1,x), are spared.  Exactly:
 *
 *   One hand over the user frames 0 .. nframes-1, starting at frame 0.
 *   Frames not resident are skipped by every sweep.  A sweep visits the
 *   nframes frames once, beginning at the hand.
 *   repeat:
 *     sweep A: the first resident frame in class (0,0) is the victim.
 *              Nothing is changed (policy_young, which does not clear).
 *     sweep B: the first resident frame in class (0,1) is the victim.
 *              Every resident frame this sweep passes before it (class
 *              (1,x)) has its accessed bit cleared
 *              (policy_test_and_clear_young); frames after it are left
 *              alone.
 *   until a victim is found; then the hand becomes victim + 1 (mod nframes).
 *
 * If sweep B finds nothing it has cleared every accessed bit, so in the
 * second round sweep A or B must succeed: at most two rounds.  Dirty bits
 * are never cleared here (only a write-back, done by the machine, cleans a
 * page).  The hand does not move during the sweeps, only after the choice.
 * Residency and the hand are kept as for clock (fclock.h). */
#include <assert.h>
#include <stdio.h>

#include "fclock.h"
#include "policy.h"

/* The i-th frame of a sweep beginning at the hand. */
static frame_id_t eclock_at(const fclock_t *p, uint32_t i)
{
	uint64_t f = (uint64_t)p->hand + i;
	return (frame_id_t)(f < p->nframes ? f : f - p->nframes);
}

/* Sweep A: the first resident frame not accessed and clean, or FRAME_NONE. */
static frame_id_t eclock_sweep_clean(fclock_t *p)
{
	for (uint32_t i = 0; i < p->nframes; i++) {
		frame_id_t f = eclock_at(p, i);
		if (p->fr[f].resident && !policy_young(p->hw, f) &&
		    !policy_dirty(p->hw, f))
			return f;
	}
	return FRAME_NONE;
}

/* Sweep B: the first resident frame not accessed and dirty, clearing the
 * accessed bits of the frames passed on the way; or FRAME_NONE. */
static frame_id_t eclock_sweep_dirty(fclock_t *p)
{
	for (uint32_t i = 0; i < p->nframes; i++) {
		frame_id_t f = eclock_at(p, i);
		if (!p->fr[f].resident)
			continue;
		if (!policy_young(p->hw, f) && policy_dirty(p->hw, f))
			return f;
		policy_test_and_clear_young(p->hw, f);
	}
	return FRAME_NONE;
}

static frame_id_t eclock_pick_victim(void *state, const policy_page_t *incoming)
{
	fclock_t *p = state;
	frame_id_t v = FRAME_NONE;
	for (int round = 0; round < 2 && v == FRAME_NONE; round++) {
		v = eclock_sweep_clean(p);
		if (v == FRAME_NONE)
			v = eclock_sweep_dirty(p);
	}
	assert(v != FRAME_NONE && "eclock: no resident frame");
	p->hand = fclock_next(p, v);
	return v;
}

/* The class (accessed, dirty) the sweeps look at. */
static int eclock_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const fclock_t *p = state;
	snprintf(buf, len, "a=%d,d=%d", policy_young(p->hw, f), policy_dirty(p->hw, f));
	return 0;
}

const policy_ops_t policy_eclock = {
	.version = POLICY_VERSION,
	.name = "eclock",
	.summary = "enhanced second chance: prefer (not accessed, clean), then (not accessed, dirty)",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(fclock_frame_t),
	.create = fclock_create,
	.destroy = fclock_destroy,
	.on_fill = fclock_on_fill,
	.on_access = NULL,
	.on_evict = fclock_on_evict,
	.pick_victim = eclock_pick_victim,
	.order = fclock_order,
	.note = eclock_note,
	.order_first = "Hand",
	.order_last = "Behind",
};
