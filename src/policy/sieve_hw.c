/* sieve_hw.c - SIEVE approximated with the hardware's accessed bits
 * (prefix sievehw_), after Zhang et al., NSDI 2024, section 3; an
 * approximation, not the paper's algorithm (that is `sieve`, sieve.c).
 *
 * The queue and the hand are SIEVE's: resident pages in order of arrival,
 * newest at the head; the hand walks from the tail towards the head, wraps
 * to the tail, and stays at the page next towards the head of its victim.
 * The visited bit is replaced by the accessed bit, read and cleared as the
 * hand passes (policy_test_and_clear_young, which also drops the page's
 * TLB entries so that the next use sets the bit again).
 *
 * Where it differs from SIEVE: the access that faulted a page in sets its
 * accessed bit, and hardware cannot tell that access from a later hit, so
 * every new page looks visited the first time the hand reaches it and gets
 * one pass more than in SIEVE (which inserts pages unvisited).  SIEVE's
 * quick demotion of pages used once is thus delayed by one lap of the hand.
 * With no on_access it runs from what hardware gives. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flist.h"
#include "policy.h"

typedef struct sievehw_frame {
	flist_link_t link;  /* prev is newer (towards the head), next older */
	bool resident;      /* between on_fill and on_evict */
} sievehw_frame_t;

typedef struct sievehw {
	sievehw_frame_t *fr;     /* env->frame_priv, one entry per frame */
	policy_hw_t hw;   /* asked for the accessed bits */
	flist_t q;               /* head newest, tail oldest */
	frame_id_t hand;         /* where the next search starts; FRAME_NONE: the tail */
} sievehw_t;

static void *sievehw_create(const policy_env_t *env)
{
	sievehw_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->hw = env->hw;
	flist_init(&p->q, p->fr, sizeof *p->fr, offsetof(sievehw_frame_t, link));
	p->hand = FRAME_NONE;
	return p;
}

static void sievehw_destroy(void *state)
{
	free(state);
}

static void sievehw_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	sievehw_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f].resident = true;
	flist_push_head(&p->q, f);
}

static policy_shadow_t sievehw_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	sievehw_t *p = state;
	assert(p->fr[f].resident);
	if (p->hand == f)
		p->hand = flist_link(&p->q, f)->prev;
	flist_unlink(&p->q, f);
	p->fr[f].resident = false;
	return 0;
}

/* The first lap clears every accessed bit it passes, so the hand stops
 * within nframes + 1 steps. */
static frame_id_t sievehw_pick_victim(void *state, const policy_page_t *incoming)
{
	sievehw_t *p = state;
	assert(p->q.tail != FRAME_NONE);
	frame_id_t f = flist_hand_start(&p->q, p->hand);
	while (policy_test_and_clear_young(p->hw, f)) {
		f = flist_hand_next(&p->q, f);
	}
	p->hand = flist_link(&p->q, f)->prev;
	return f;
}

/* The queue from the hand towards the head, then from the tail round to
 * the page behind the hand: the order the hand meets the pages. */
static size_t sievehw_order(void *state, frame_id_t *out, size_t max)
{
	const sievehw_t *p = state;
	return flist_from_hand(&p->q, p->hand, out, max);
}

/* The accessed bit the hand will test. */
static int sievehw_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const sievehw_t *p = state;
	snprintf(buf, len, "a=%d", policy_young(p->hw, f));
	return 0;
}

const policy_ops_t policy_sieve_hw = {
	.version = POLICY_VERSION,
	.name = "sieve-hw",
	.summary = "SIEVE with the accessed bit as its visited bit (an approximation: new pages look visited once)",
	.paper = "after Zhang et al., NSDI 2024, section 3 (approximation with accessed bits)",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(sievehw_frame_t),
	.create = sievehw_create,
	.destroy = sievehw_destroy,
	.on_fill = sievehw_on_fill,
	.on_access = NULL,
	.on_evict = sievehw_on_evict,
	.pick_victim = sievehw_pick_victim,
	.order = sievehw_order,
	.note = sievehw_note,
	.order_first = "Hand",
	.order_last = "Behind",
};
