/* twoq.c - 2Q, the full version (prefix twoq_).
 *
 * T. Johnson and D. Shasha, "2Q: A Low Overhead High Performance Buffer
 * Management Replacement Algorithm", VLDB 1994, section 2.1 ("Full
 * Version"), with Kin = 25% and Kout = 50% of the frames, each rounded down
 * with a minimum of 1.  A1in is a FIFO of pages seen once, Am an LRU list of
 * pages seen again after leaving A1in, A1out a FIFO of at most Kout keys of
 * pages evicted from A1in.  On a reference to X: in Am, X moves to the head
 * (MRU end) of Am; in A1in, nothing (a correlated reference); in A1out,
 * reclaimfor(X) and X goes to the head of Am; elsewhere, reclaimfor(X) and X
 * goes to the head of A1in.  reclaimfor: a free frame if there is one; else
 * if |A1in| > Kin the tail (oldest) of A1in is paged out and its key put at
 * the head of A1out, whose tail is dropped when it holds more than Kout; else
 * the tail (LRU page) of Am is paged out and remembered nowhere.
 *
 * Where the paper is silent: with one frame (Kin = 1) A1in can hold the only
 * page while Am is empty; then A1in's tail is paged out (into A1out) as it is
 * whenever Am is empty.  The faulting page's A1out lookup happens before the
 * eviction it causes, as in the paper (the victim's key entering A1out could
 * otherwise push X's out).  The reference that faulted is not a hit.
 * Released pages leave no ghost; on_forget drops one.  A1out holds at most
 * Kout keys. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flist.h"
#include "ghost.h"
#include "policy.h"

enum { TWOQ_FREE, TWOQ_A1IN, TWOQ_AM };

typedef struct twoq_frame {
	flist_link_t link;   /* in A1in (newest at the head) or Am (MRU at the head) */
	page_key_t key;
	uint64_t fill_seq;
	uint8_t list;
} twoq_frame_t;

typedef struct twoq {
	twoq_frame_t *fr;
	uint32_t kin, kout;
	flist_t a1in, am;
	uint32_t nin;        /* |A1in| */
	ghost_t a1out;       /* newest at the head */
	page_key_t pend;     /* the faulting page found in A1out (and taken out) */
	const char *victim_from; /* "A1in" or "Am": the last victim's list */
} twoq_t;

/* frames * pct / 100 rounded down, at least 1. */
static uint32_t twoq_frac(uint32_t frames, uint32_t pct)
{
	uint64_t k = (uint64_t)frames * pct / 100;
	return k ? (uint32_t)k : 1;
}

static void *twoq_create(const policy_env_t *env)
{
	twoq_t *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->fr = env->frame_priv;
	q->kin = twoq_frac(env->nframes, 25);
	q->kout = twoq_frac(env->nframes, 50);
	flist_init(&q->a1in, q->fr, sizeof *q->fr, offsetof(twoq_frame_t, link));
	flist_init(&q->am, q->fr, sizeof *q->fr, offsetof(twoq_frame_t, link));
	if (ghost_init(&q->a1out, q->kout)) {
		free(q);
		return NULL;
	}
	q->pend = PAGE_KEY_NONE;
	return q;
}

static void twoq_destroy(void *state)
{
	twoq_t *q = state;
	ghost_fini(&q->a1out);
	free(q);
}

/* If key is in A1out, take it out and remember it as the page to put in Am. */
static void twoq_see(twoq_t *q, page_key_t key)
{
	if (key == PAGE_KEY_NONE || key == q->pend)
		return;
	if (ghost_forget(&q->a1out, key))
		q->pend = key;
}

static frame_id_t twoq_pick_victim(void *state, const policy_page_t *incoming)
{
	twoq_t *q = state;
	twoq_see(q, incoming->key);
	bool in = q->nin > q->kin || q->am.tail == FRAME_NONE;
	q->victim_from = in ? "A1in" : "Am";
	return in ? q->a1in.tail : q->am.tail;
}

static void twoq_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	twoq_t *q = state;
	twoq_frame_t *x = &q->fr[f];
	assert(x->list == TWOQ_FREE);
	twoq_see(q, pg->key);
	x->key = pg->key;
	x->fill_seq = pg->seq;
	if (pg->key != PAGE_KEY_NONE && q->pend == pg->key) {
		x->list = TWOQ_AM;
		flist_push_head(&q->am, f);
	} else {
		x->list = TWOQ_A1IN;
		flist_push_head(&q->a1in, f);
		q->nin++;
	}
	q->pend = PAGE_KEY_NONE;
}

static void twoq_on_access(void *state, frame_id_t f, uint64_t seq)
{
	twoq_t *q = state;
	twoq_frame_t *x = &q->fr[f];
	assert(x->list != TWOQ_FREE);
	if (seq == x->fill_seq || x->list != TWOQ_AM || q->am.head == f)
		return;
	flist_unlink(&q->am, f);
	flist_push_head(&q->am, f);
}

static policy_shadow_t twoq_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	twoq_t *q = state;
	twoq_frame_t *x = &q->fr[f];
	assert(x->list != TWOQ_FREE);
	if (x->list == TWOQ_AM) {
		flist_unlink(&q->am, f);
	} else {
		flist_unlink(&q->a1in, f);
		q->nin--;
		if (why == POLICY_RECLAIM && x->key != PAGE_KEY_NONE &&
		    ghost_find(&q->a1out, x->key) == GHOST_NONE) {
			if (q->a1out.n == q->kout)
				ghost_del(&q->a1out, ghost_oldest(&q->a1out));
			ghost_add(&q->a1out, x->key, 0);
		}
	}
	x->list = TWOQ_FREE;
	return 0;
}

static void twoq_on_forget(void *state, page_key_t key)
{
	twoq_t *q = state;
	ghost_forget(&q->a1out, key);
	if (q->pend == key)
		q->pend = PAGE_KEY_NONE;
}

static const char *twoq_victim_list(void *state)
{
	return ((twoq_t *)state)->victim_from;
}

/* A1in from its oldest page, then Am from its LRU end: reclaimfor takes
 * the first of one of the two, A1in's while it holds more than Kin. */
static size_t twoq_order(void *state, frame_id_t *out, size_t max)
{
	const twoq_t *q = state;
	return flist_append_from_tail(&q->am, out, max, flist_from_tail(&q->a1in, out, max));
}

/* The page's queue. */
static int twoq_note(void *state, frame_id_t f, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ((twoq_t *)state)->fr[f].list == TWOQ_AM ? "Am" : "A1in");
	return 0;
}

const policy_ops_t policy_2q = {
	.version = POLICY_VERSION,
	.name = "2q",
	.summary = "2Q: new pages in a FIFO (25%), promoted to an LRU list only if seen again after leaving it",
	.paper = "Johnson & Shasha, 2Q, VLDB 1994, sec. 2.1 (full version)",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(twoq_frame_t),
	.create = twoq_create,
	.destroy = twoq_destroy,
	.on_fill = twoq_on_fill,
	.on_access = twoq_on_access,
	.on_evict = twoq_on_evict,
	.pick_victim = twoq_pick_victim,
	.on_forget = twoq_on_forget,
	.victim_list = twoq_victim_list,
	.order = twoq_order,
	.note = twoq_note,
	.order_first = "A1in oldest",
	.order_last = "Am MRU",
};
