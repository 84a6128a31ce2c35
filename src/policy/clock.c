/* clock.c - the clock (second chance) approximation of LRU (prefix clock_).
 *
 * One hand goes round the user frames 0 .. nframes-1, starting at frame 0.
 * To pick a victim, starting at the hand: frames not resident are skipped;
 * for a resident frame the accessed bit is tested and cleared
 * (vm_frame_test_and_clear_young): if it was set the page has been used
 * since the hand last passed, so it gets a second chance and the hand
 * advances; if it was clear, that frame is the victim and the hand stops one
 * past it (mod nframes).  The hand moves only while picking a victim.
 *
 * It uses only what hardware gives: a newly loaded page has its accessed bit
 * set because the restarted access walks the table, and a TLB hit needs no
 * bit because test-and-clear drops the page's TLB entries (so the next use
 * walks and sets it again).  Hence on_fill and on_evict only track which
 * frames are resident, and there is no on_access. */
#include <assert.h>
#include <stdlib.h>

#include "policy.h"

typedef struct clock_frame {
	bool resident;            /* between on_fill and on_evict */
} clock_frame_t;

typedef struct clock_state {
	clock_frame_t *fr;        /* env->frame_priv, one entry per frame */
	struct vm_machine *vm;    /* asked for the accessed bits */
	uint32_t nframes;
	frame_id_t hand;          /* the next frame to examine */
} clock_state_t;

static void *clock_create(const policy_env_t *env)
{
	clock_state_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->vm = env->vm;
	p->nframes = env->nframes;
	return p;
}

static void clock_destroy(void *state)
{
	free(state);
}

static void clock_on_fill(void *state, frame_id_t f, uint64_t seq)
{
	clock_state_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f].resident = true;
}

static void clock_on_evict(void *state, frame_id_t f)
{
	clock_state_t *p = state;
	assert(p->fr[f].resident);
	p->fr[f].resident = false;
}

/* The first lap clears every accessed bit it passes, so the second lap must
 * stop at a resident frame: at most 2 * nframes steps. */
static frame_id_t clock_pick_victim(void *state)
{
	clock_state_t *p = state;
	for (uint64_t step = 0; step < 2ull * p->nframes; step++) {
		frame_id_t f = p->hand;
		p->hand = f + 1 == p->nframes ? 0 : f + 1;
		if (p->fr[f].resident && !vm_frame_test_and_clear_young(p->vm, f))
			return f;
	}
	assert(!"clock: no resident frame");
	return 0;
}

const policy_ops_t policy_clock = {
	.name = "clock",
	.summary = "clock (second chance): one hand, evict the first page not accessed",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(clock_frame_t),
	.create = clock_create,
	.destroy = clock_destroy,
	.on_fill = clock_on_fill,
	.on_access = NULL,
	.on_evict = clock_on_evict,
	.pick_victim = clock_pick_victim,
};
