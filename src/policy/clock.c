/* clock.c - the clock (second chance) approximation of LRU (prefix clock_).
 *
 * One hand goes round the user frames 0 .. nframes-1, starting at frame 0.
 * To pick a victim, starting at the hand: frames not resident are skipped;
 * for a resident frame the accessed bit is tested and cleared
 * (policy_test_and_clear_young): if it was set the page has been used
 * since the hand last passed, so it gets a second chance and the hand
 * advances; if it was clear, that frame is the victim and the hand stops one
 * past it (mod nframes).  The hand moves only while picking a victim.
 *
 * It uses only what hardware gives: a newly loaded page has its accessed bit
 * set because the restarted access walks the table, and a TLB hit needs no
 * bit because test-and-clear drops the page's TLB entries (so the next use
 * walks and sets it again).  Hence on_fill and on_evict only track which
 * frames are resident (fclock.h, shared with eclock), and there is no
 * on_access. */
#include <assert.h>
#include <stdio.h>

#include "fclock.h"
#include "policy.h"

/* The first lap clears every accessed bit it passes, so the second lap must
 * stop at a resident frame: at most 2 * nframes steps. */
static frame_id_t clock_pick_victim(void *state, const policy_page_t *incoming)
{
	fclock_t *p = state;
	for (uint64_t step = 0; step < 2ull * p->nframes; step++) {
		frame_id_t f = p->hand;
		p->hand = fclock_next(p, f);
		if (p->fr[f].resident && !policy_test_and_clear_young(p->hw, f))
			return f;
	}
	assert(!"clock: no resident frame");
	return 0;
}

/* The accessed bit the hand will test. */
static int clock_note(void *state, frame_id_t f, char *buf, size_t len)
{
	snprintf(buf, len, "a=%d", policy_young(((fclock_t *)state)->hw, f));
	return 0;
}

const policy_ops_t policy_clock = {
	.version = POLICY_VERSION,
	.name = "clock",
	.summary = "clock (second chance): one hand, evict the first page not accessed",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(fclock_frame_t),
	.create = fclock_create,
	.destroy = fclock_destroy,
	.on_fill = fclock_on_fill,
	.on_access = NULL,
	.on_evict = fclock_on_evict,
	.pick_victim = clock_pick_victim,
	.order = fclock_order,
	.note = clock_note,
	.order_first = "Hand",
	.order_last = "Behind",
};
