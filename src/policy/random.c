/* random.c - uniformly random replacement (prefix random_).
 *
 * Exactly, so that other tools can reproduce its numbers:
 *
 *   The policy keeps resident[0 .. n-1], the frames holding a page.
 *   - on_fill(f):  resident[n] = f; n = n + 1.
 *   - on_evict(f): let i be f's index; resident[i] = resident[n-1];
 *                  n = n - 1  (the last entry fills the hole).
 *   - pick_victim: return resident[rng_below(n)].
 *
 *   The generator is xoshiro256** (Blackman & Vigna), seeded once at create
 *   from env->seed: its four state words are four successive outputs of
 *   splitmix64 started at the seed (x += 0x9e3779b97f4a7c15, then the mix).
 *   rng_below(n) is Lemire's unbiased method: draw x = rng_next(), let
 *   m = x * n as a 128-bit product; while low64(m) < (2^64 mod n), draw
 *   again; return high64(m).  The generator advances only in pick_victim,
 *   almost always by one draw.  See src/util/rng.c.
 *
 * Since the machine hands out free frames lowest first and refills the frame
 * it just evicted, resident[] starts as 0, 1, 2, ... and a victim's slot is
 * then taken by the last entry until the new page is appended.
 *
 * It uses no reference information at all (HW_BITS: the weakest need). */
#include <assert.h>
#include <stdlib.h>

#include "policy.h"
#include "../util/rng.h"

/* resident[] has at most nframes entries, so it shares the per-frame storage
 * (a sparse set, Briggs & Torczon): entry i's `member` is resident[i], and
 * frame f's `pos` says where f is listed. */
typedef struct random_frame {
	uint32_t pos;         /* 1 + index of this frame in resident[]; 0 if not
				 resident */
	frame_id_t member;    /* resident[i] for this entry i, when i < n */
} random_frame_t;

typedef struct random_state {
	random_frame_t *fr;   /* env->frame_priv, one entry per frame */
	uint32_t n;           /* frames resident */
	rng_t rng;
} random_state_t;

static void *random_create(const policy_env_t *env)
{
	random_state_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	rng_seed(&p->rng, env->seed);
	return p;
}

static void random_destroy(void *state)
{
	free(state);
}

static void random_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	random_state_t *p = state;
	assert(p->fr[f].pos == 0);
	p->fr[p->n].member = f;
	p->fr[f].pos = ++p->n;
}

static policy_shadow_t random_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	random_state_t *p = state;
	uint32_t i = p->fr[f].pos;
	assert(i != 0 && i <= p->n);
	frame_id_t last = p->fr[p->n - 1].member;
	p->fr[i - 1].member = last;
	p->fr[last].pos = i;   /* when f is the last, this is undone below */
	p->fr[f].pos = 0;
	p->n--;
	return 0;
}

static frame_id_t random_pick_victim(void *state, const policy_page_t *incoming)
{
	random_state_t *p = state;
	assert(p->n > 0);
	return p->fr[rng_below(&p->rng, p->n)].member;
}

/* resident[] as it stands: the draw indexes it. */
static size_t random_order(void *state, frame_id_t *out, size_t max)
{
	const random_state_t *p = state;
	for (uint32_t i = 0; i < p->n && i < max; i++)
		out[i] = p->fr[i].member;
	return p->n;
}

const policy_ops_t policy_random = {
	.version = POLICY_VERSION,
	.name = "random",
	.summary = "random: evict a uniformly chosen resident page (xoshiro256**)",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(random_frame_t),
	.create = random_create,
	.destroy = random_destroy,
	.on_fill = random_on_fill,
	.on_access = NULL,
	.on_evict = random_on_evict,
	.pick_victim = random_pick_victim,
	.order = random_order,
	.order_first = "resident[0]",
	.order_last = "resident[n-1]",
};
