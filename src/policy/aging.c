/* aging.c - the aging algorithm (prefix aging_): Tanenbaum and Bos, Modern
 * Operating Systems, 4th ed., section 3.4.7 "Simulating LRU in Software".
 *
 * Each frame has an 8-bit counter.  Every env->tick references (on_tick)
 * each resident page's counter is shifted right one bit and its accessed
 * bit is ORed into the top bit (0x80), then the accessed bit is cleared
 * (policy_test_and_clear_young).  The victim is the resident page with
 * the smallest counter; ties go to the lowest frame.  A page enters with
 * counter 0 (its faulting access shows at the next tick), so until then it
 * ties with pages unused for 8 ticks.  With tick 0 the counters never move
 * and the lowest resident frame is always the victim.  Only hardware bits
 * are used; choosing a victim is a scan of the frames, O(nframes), and so
 * is a tick. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

typedef struct aging_frame {
	uint8_t counter;    /* the last 8 ticks, most recent in the top bit */
	bool resident;      /* between on_fill and on_evict */
} aging_frame_t;

typedef struct aging {
	aging_frame_t *fr;       /* env->frame_priv, one entry per frame */
	policy_hw_t hw;   /* asked for the accessed bits */
	uint32_t nframes;
} aging_t;

static void *aging_create(const policy_env_t *env)
{
	aging_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->hw = env->hw;
	p->nframes = env->nframes;
	return p;
}

static void aging_destroy(void *state)
{
	free(state);
}

static void aging_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	aging_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f] = (aging_frame_t){ .counter = 0, .resident = true };
}

static policy_shadow_t aging_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	aging_t *p = state;
	assert(p->fr[f].resident);
	p->fr[f].resident = false;
	return 0;
}

static void aging_on_tick(void *state, uint64_t seq)
{
	aging_t *p = state;
	for (frame_id_t f = 0; f < p->nframes; f++)
		if (p->fr[f].resident)
			p->fr[f].counter = (uint8_t)(p->fr[f].counter >> 1 |
				(policy_test_and_clear_young(p->hw, f) ? 0x80 : 0));
}

static frame_id_t aging_pick_victim(void *state, const policy_page_t *incoming)
{
	aging_t *p = state;
	frame_id_t best = FRAME_NONE;
	for (frame_id_t f = 0; f < p->nframes; f++)
		if (p->fr[f].resident && (best == FRAME_NONE || p->fr[f].counter < p->fr[best].counter))
			best = f;
	assert(best != FRAME_NONE && "aging: no resident frame");
	return best;
}

/* Smallest counter first, ties lowest frame first: the order of eviction
 * (a counting sort over the 256 values). */
static size_t aging_order(void *state, frame_id_t *out, size_t max)
{
	const aging_t *p = state;
	size_t at[256] = { 0 }, n = 0;
	for (frame_id_t f = 0; f < p->nframes; f++)
		if (p->fr[f].resident) {
			at[p->fr[f].counter]++;
			n++;
		}
	size_t sum = 0;
	for (unsigned c = 0; c < 256; c++) {
		size_t k = at[c];
		at[c] = sum;
		sum += k;
	}
	for (frame_id_t f = 0; f < p->nframes; f++) {
		if (!p->fr[f].resident)
			continue;
		size_t i = at[p->fr[f].counter]++;
		if (i < max)
			out[i] = f;
	}
	return n;
}

/* The counter (hex) and the accessed bit the next tick shifts in. */
static int aging_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const aging_t *p = state;
	snprintf(buf, len, "c=%02x,a=%d", p->fr[f].counter, policy_young(p->hw, f));
	return 0;
}

const policy_ops_t policy_aging = {
	.version = POLICY_VERSION,
	.name = "aging",
	.summary = "aging: 8-bit counters shifted right every --tick references with the accessed bit on top; evict the smallest (lowest frame on ties)",
	.paper = "Tanenbaum & Bos, Modern Operating Systems 4th ed., section 3.4.7",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(aging_frame_t),
	.create = aging_create,
	.destroy = aging_destroy,
	.on_fill = aging_on_fill,
	.on_access = NULL,
	.on_evict = aging_on_evict,
	.pick_victim = aging_pick_victim,
	.on_tick = aging_on_tick,
	.order = aging_order,
	.note = aging_note,
	.order_first = "Smallest",
	.order_last = "Largest",
};
