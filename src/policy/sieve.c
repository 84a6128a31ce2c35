/* sieve.c - SIEVE (prefix sieve_): Zhang, Yang, Yue, Vigfusson and Rashmi,
 * "SIEVE is Simpler than LRU: an Efficient Turn-Key Eviction Algorithm for
 * Web Caches", NSDI 2024, section 3 (Algorithm 1 and Figure 2).
 *
 * One FIFO queue of the resident pages, newest at the head, and one visited
 * bit per page.  A new page enters at the head unvisited; a hit sets its
 * visited bit and moves nothing.  To evict, the hand (starting at the tail
 * when it has none) walks towards the head: a visited page has its bit
 * cleared and is passed; the first unvisited page is the victim, and the
 * hand stays at the page that was next towards the head (none: next time it
 * starts again at the tail).  Passing the head also wraps to the tail.
 *
 * The visited bit needs every reference: hardware sets an accessed bit on
 * the faulting access too, so a page would never enter unvisited.  The
 * faulting reference's retry (on_access with the fill's seq) is therefore
 * not a hit.  sieve-hw (sieve_hw.c) is the hardware approximation.
 *
 * This is libCacheSim's Sieve (commit aa0fc40) on one-page objects; a page
 * released from the middle (unmap, exit) leaves as its Sieve_remove does: a
 * hand on it moves to the page next towards the head.  No history is kept
 * of evicted pages. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flist.h"
#include "policy.h"

typedef struct sieve_frame {
	flist_link_t link;  /* prev is newer (towards the head), next older */
	uint64_t fill_seq;  /* the reference that loaded the page: its retry is no hit */
	bool resident;      /* between on_fill and on_evict */
	bool visited;       /* referenced since it entered or the hand passed it */
} sieve_frame_t;

typedef struct sieve {
	sieve_frame_t *fr;  /* env->frame_priv, one entry per frame */
	flist_t q;          /* head newest, tail oldest */
	frame_id_t hand;    /* where the next search starts; FRAME_NONE: the tail */
} sieve_t;

static void *sieve_create(const policy_env_t *env)
{
	sieve_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	flist_init(&p->q, p->fr, sizeof *p->fr, offsetof(sieve_frame_t, link));
	p->hand = FRAME_NONE;
	return p;
}

static void sieve_destroy(void *state)
{
	free(state);
}

static void sieve_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	sieve_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f] = (sieve_frame_t){ .fill_seq = pg->seq, .resident = true };
	flist_push_head(&p->q, f);
}

static void sieve_on_access(void *state, frame_id_t f, uint64_t seq)
{
	sieve_t *p = state;
	assert(p->fr[f].resident);
	if (seq != p->fr[f].fill_seq)
		p->fr[f].visited = true;
}

static policy_shadow_t sieve_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	sieve_t *p = state;
	assert(p->fr[f].resident);
	if (p->hand == f)
		p->hand = flist_link(&p->q, f)->prev;
	flist_unlink(&p->q, f);
	p->fr[f].resident = false;
	return 0;
}

/* Each visited page passed is cleared, so after one lap the hand must stop:
 * at most nframes + 1 steps. */
static frame_id_t sieve_pick_victim(void *state, const policy_page_t *incoming)
{
	sieve_t *p = state;
	assert(p->q.tail != FRAME_NONE);
	frame_id_t f = flist_hand_start(&p->q, p->hand);
	while (p->fr[f].visited) {
		p->fr[f].visited = false;
		f = flist_hand_next(&p->q, f);
	}
	p->hand = flist_link(&p->q, f)->prev;
	return f;
}

/* The queue from the hand towards the head, then from the tail round to
 * the page behind the hand: the order the hand meets the pages. */
static size_t sieve_order(void *state, frame_id_t *out, size_t max)
{
	const sieve_t *p = state;
	return flist_from_hand(&p->q, p->hand, out, max);
}

/* The visited bit the hand will test. */
static int sieve_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const sieve_t *p = state;
	snprintf(buf, len, "v=%d", p->fr[f].visited);
	return 0;
}

const policy_ops_t policy_sieve = {
	.version = POLICY_VERSION,
	.name = "sieve",
	.summary = "SIEVE: FIFO queue with a visited bit; the hand evicts the first unvisited page and never moves pages",
	.paper = "Zhang et al., SIEVE is Simpler than LRU, NSDI 2024, section 3",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(sieve_frame_t),
	.create = sieve_create,
	.destroy = sieve_destroy,
	.on_fill = sieve_on_fill,
	.on_access = sieve_on_access,
	.on_evict = sieve_on_evict,
	.pick_victim = sieve_pick_victim,
	.order = sieve_order,
	.note = sieve_note,
	.order_first = "Hand",
	.order_last = "Behind",
};
