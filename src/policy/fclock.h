/* fclock.h - the state common to the clock policies (prefix fclock_):
 * which frames are resident, and a hand over the user frames
 * 0 .. nframes-1, starting at frame 0.
 *
 * clock and eclock differ only in how the hand chooses a victim; both learn
 * everything else from the hardware bits, so their on_fill and on_evict just
 * track residency and they have no on_access.  nru, which scans the frames
 * in order and never moves the hand, keeps the same state.  The callbacks
 * below are policy_ops_t members they use as they are. */
#ifndef VMLAB_POLICY_FCLOCK_H
#define VMLAB_POLICY_FCLOCK_H

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "policy.h"

typedef struct fclock_frame {
	bool resident;            /* between on_fill and on_evict */
} fclock_frame_t;

typedef struct fclock {
	fclock_frame_t *fr;       /* env->frame_priv, one entry per frame */
	policy_hw_t hw;    /* asked for the hardware bits */
	uint32_t nframes;
	frame_id_t hand;          /* where the next search begins */
} fclock_t;

/* policy_ops_t.create: nothing resident, the hand at frame 0. */
static inline void *fclock_create(const policy_env_t *env)
{
	fclock_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->hw = env->hw;
	p->nframes = env->nframes;
	return p;
}

/* policy_ops_t.destroy. */
static inline void fclock_destroy(void *state)
{
	free(state);
}

/* policy_ops_t.on_fill: the hand will find f from now on. */
static inline void fclock_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	fclock_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f].resident = true;
}

/* policy_ops_t.on_evict: the hand skips f from now on. */
static inline policy_shadow_t fclock_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	fclock_t *p = state;
	assert(p->fr[f].resident);
	p->fr[f].resident = false;
	return 0;
}

/* The frame after f round the ring (f < nframes). */
static inline frame_id_t fclock_next(const fclock_t *p, frame_id_t f)
{
	return f + 1 == p->nframes ? 0 : f + 1;
}

/* policy_ops_t.order: the resident frames in the order the hand will
 * visit them, beginning at the hand. */
static inline size_t fclock_order(void *state, frame_id_t *out, size_t max)
{
	const fclock_t *p = state;
	size_t n = 0;
	for (uint32_t i = 0; i < p->nframes; i++) {
		uint64_t f = (uint64_t)p->hand + i;
		if (f >= p->nframes)
			f -= p->nframes;
		if (p->fr[f].resident && n++ < max)
			out[n - 1] = (frame_id_t)f;
	}
	return n;
}

#endif
