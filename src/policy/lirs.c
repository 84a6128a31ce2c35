/* lirs.c - Low Inter-reference Recency Set (prefix lirs_).
 *
 * S. Jiang and X. Zhang, "LIRS: An Efficient Low Inter-reference Recency
 * Set Replacement Policy to Improve Buffer Cache Performance", ACM
 * SIGMETRICS 2002, section 3.3 (figure 2's cases), with Lhirs = 1% of the
 * frames rounded down, at least 1, and Llirs = frames - Lhirs.  The stack S
 * orders by recency the LIR pages, and the HIR pages (resident or not) whose
 * recency is below the oldest LIR page's; stack pruning removes the HIR
 * entries at its bottom so that a LIR page is always there.  The list Q
 * holds the resident HIR pages, and its front is the victim.  On a reference
 * to X: a LIR page goes to the top of S (pruning if it was at the bottom); a
 * resident HIR page in S becomes LIR, leaves Q, and the LIR page at the
 * bottom of S becomes a resident HIR page at the end of Q (then S is
 * pruned); a resident HIR page not in S goes to the top of S and to the end
 * of Q; on a miss the front of Q is evicted (staying in S as a non-resident
 * HIR entry if it is there), and X, if it was a non-resident entry of S,
 * becomes LIR, the bottom LIR page moving to Q as above; else X is a resident
 * HIR page at the top of S and the end of Q.  Until Llirs pages are LIR a
 * new page is LIR.
 *
 * Bounding the non-resident HIR entries (the paper leaves it open): S holds
 * at most 2 * frames entries; adding one to a full S first drops the
 * non-resident entry evicted longest ago (a FIFO of them beside S).  This is
 * libCacheSim's bound (its limitStack).  The reference that faulted is not a
 * hit.  With releases and the page daemon the LIR set can fall below Llirs
 * (a filled page is then LIR); a LIR page the machine evicts (Q empty)
 * becomes a non-resident HIR entry; released pages leave S; on_forget drops
 * a non-resident entry. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flist.h"
#include "ghost.h"
#include "policy.h"

enum { LIRS_FREE, LIRS_LIR, LIRS_HIR };
#define LIRS_NONRES UINT64_MAX   /* S record of a non-resident entry */

typedef struct lirs_frame {
	flist_link_t link;   /* in Q while resident HIR: end (newest) at the head */
	page_key_t key;
	uint64_t fill_seq;
	uint32_t s;          /* its entry in S, GHOST_NONE if not in S */
	uint8_t status;
} lirs_frame_t;

typedef struct lirs {
	lirs_frame_t *fr;
	uint32_t llirs, nlir;
	flist_t q;           /* front (the victim) at the tail */
	ghost_t s;           /* the stack: top at the head; record a frame or NONRES */
	ghost_t nr;          /* the non-resident entries of S, evicted latest at the head */
	const char *victim_from; /* "HIR" or "LIR": the last victim's status */
} lirs_t;

static void *lirs_create(const policy_env_t *env)
{
	lirs_t *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->fr = env->frame_priv;
	uint32_t lhirs = env->nframes / 100 ? env->nframes / 100 : 1;
	l->llirs = env->nframes > lhirs ? env->nframes - lhirs : 0;
	flist_init(&l->q, l->fr, sizeof *l->fr, offsetof(lirs_frame_t, link));
	uint64_t cap = 2ull * env->nframes;
	if (cap > UINT32_MAX - 1)
		cap = UINT32_MAX - 1;
	if (ghost_init(&l->s, (uint32_t)cap) || ghost_init(&l->nr, (uint32_t)cap)) {
		ghost_fini(&l->s);
		free(l);
		return NULL;
	}
	return l;
}

static void lirs_destroy(void *state)
{
	lirs_t *l = state;
	ghost_fini(&l->s);
	ghost_fini(&l->nr);
	free(l);
}

/* Remove S's entry i, resident or not. */
static void lirs_s_del(lirs_t *l, uint32_t i)
{
	uint64_t v = l->s.e[i].val;
	if (v == LIRS_NONRES)
		ghost_forget(&l->nr, l->s.e[i].key);
	else
		l->fr[v].s = GHOST_NONE;
	ghost_del(&l->s, i);
}

/* Stack pruning: drop HIR entries from the bottom until a LIR page is there. */
static void lirs_prune(lirs_t *l)
{
	for (uint32_t i = ghost_oldest(&l->s); i != GHOST_NONE; i = ghost_oldest(&l->s)) {
		uint64_t v = l->s.e[i].val;
		if (v != LIRS_NONRES && l->fr[v].status == LIRS_LIR)
			break;
		lirs_s_del(l, i);
	}
}

/* Put resident frame f, whose key S does not hold, at the top of S, making
 * room by dropping the non-resident entry evicted longest ago.  false if
 * it could not (out of memory). */
static bool lirs_s_push(lirs_t *l, frame_id_t f)
{
	while (l->s.n >= l->s.cap && l->nr.n > 0) {
		uint32_t i = ghost_find(&l->s, l->nr.e[ghost_oldest(&l->nr)].key);
		assert(i != GHOST_NONE);
		lirs_s_del(l, i);
	}
	l->fr[f].s = ghost_add(&l->s, l->fr[f].key, f);
	return l->fr[f].s != GHOST_NONE;
}

/* The LIR page at the bottom of S becomes resident HIR at the end of Q,
 * while there are more LIR pages than Llirs. */
static void lirs_demote(lirs_t *l)
{
	while (l->nlir > l->llirs) {
		lirs_prune(l);   /* no-op unless there was no LIR page (1 frame) */
		uint32_t i = ghost_oldest(&l->s);
		assert(i != GHOST_NONE && l->s.e[i].val != LIRS_NONRES);
		frame_id_t f = (frame_id_t)l->s.e[i].val;
		assert(l->fr[f].status == LIRS_LIR);
		l->fr[f].status = LIRS_HIR;
		l->nlir--;
		flist_push_head(&l->q, f);
		lirs_s_del(l, i);
		lirs_prune(l);
	}
}

static void lirs_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	lirs_t *l = state;
	lirs_frame_t *x = &l->fr[f];
	assert(x->status == LIRS_FREE);
	x->key = pg->key;
	x->fill_seq = pg->seq;
	x->s = GHOST_NONE;
	uint32_t i = pg->key == PAGE_KEY_NONE ? GHOST_NONE : ghost_find(&l->s, pg->key);
	if (i != GHOST_NONE && l->s.e[i].val == LIRS_NONRES) {
		/* a non-resident HIR entry of S: now LIR */
		ghost_forget(&l->nr, pg->key);
		l->s.e[i].val = f;
		ghost_touch(&l->s, i);
		x->s = i;
		x->status = LIRS_LIR;
		l->nlir++;
		lirs_demote(l);
		return;
	}
	/* i set: the key is resident in another frame too (a copy-on-write
	 * copy of a shared page keeps the key); this copy stays out of S. */
	if (l->nlir < l->llirs && i == GHOST_NONE && pg->key != PAGE_KEY_NONE &&
	    lirs_s_push(l, f)) {
		x->status = LIRS_LIR;
		l->nlir++;
		return;
	}
	x->status = LIRS_HIR;
	flist_push_head(&l->q, f);
	if (i == GHOST_NONE && pg->key != PAGE_KEY_NONE)
		lirs_s_push(l, f);
}

static void lirs_on_access(void *state, frame_id_t f, uint64_t seq)
{
	lirs_t *l = state;
	lirs_frame_t *x = &l->fr[f];
	assert(x->status != LIRS_FREE);
	if (seq == x->fill_seq)
		return;   /* the faulting reference's retry */
	if (x->status == LIRS_LIR) {
		ghost_touch(&l->s, x->s);
		lirs_prune(l);
	} else if (x->s != GHOST_NONE) {
		ghost_touch(&l->s, x->s);
		flist_unlink(&l->q, f);
		x->status = LIRS_LIR;
		l->nlir++;
		lirs_demote(l);
	} else {
		if (x->key != PAGE_KEY_NONE && ghost_find(&l->s, x->key) == GHOST_NONE)
			lirs_s_push(l, f);
		flist_unlink(&l->q, f);
		flist_push_head(&l->q, f);
	}
}

static frame_id_t lirs_pick_victim(void *state, const policy_page_t *incoming)
{
	lirs_t *l = state;
	l->victim_from = "HIR";
	if (l->q.tail != FRAME_NONE)
		return l->q.tail;
	l->victim_from = "LIR";
	lirs_prune(l);   /* no resident HIR: the bottom LIR */
	uint32_t i = ghost_oldest(&l->s);
	assert(i != GHOST_NONE && l->s.e[i].val != LIRS_NONRES);
	return (frame_id_t)l->s.e[i].val;
}

static policy_shadow_t lirs_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	lirs_t *l = state;
	lirs_frame_t *x = &l->fr[f];
	assert(x->status != LIRS_FREE);
	bool was_lir = x->status == LIRS_LIR;
	if (was_lir)
		l->nlir--;
	else
		flist_unlink(&l->q, f);
	x->status = LIRS_FREE;
	if (x->s != GHOST_NONE) {
		uint32_t i = x->s;
		x->s = GHOST_NONE;
		if (why == POLICY_RECLAIM && x->key != PAGE_KEY_NONE &&
		    ghost_add(&l->nr, x->key, 0) != GHOST_NONE)
			l->s.e[i].val = LIRS_NONRES;
		else
			ghost_del(&l->s, i);
	}
	if (was_lir)
		lirs_prune(l);
	return 0;
}

static void lirs_on_forget(void *state, page_key_t key)
{
	lirs_t *l = state;
	uint32_t i = ghost_find(&l->s, key);
	if (i != GHOST_NONE && l->s.e[i].val == LIRS_NONRES)
		lirs_s_del(l, i);
}

static const char *lirs_victim_list(void *state)
{
	return ((lirs_t *)state)->victim_from;
}

/* Q from its front (the resident HIR pages, the victim first), then the
 * LIR pages from the bottom of S up (the order a LIR page would go in when
 * Q is empty). */
static size_t lirs_order(void *state, frame_id_t *out, size_t max)
{
	const lirs_t *l = state;
	size_t n = flist_from_tail(&l->q, out, max);
	for (uint32_t i = ghost_oldest(&l->s); i != GHOST_NONE; i = l->s.e[i].prev) {
		uint64_t v = l->s.e[i].val;
		if (v != LIRS_NONRES && l->fr[v].status == LIRS_LIR && n++ < max)
			out[n - 1] = (frame_id_t)v;
	}
	return n;
}

/* The page's status, and "S" for a HIR page that is also in the stack. */
static int lirs_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const lirs_frame_t *x = &((lirs_t *)state)->fr[f];
	snprintf(buf, len, "%s", x->status == LIRS_LIR ? "LIR" : x->s != GHOST_NONE ? "HIR,S" : "HIR");
	return 0;
}

const policy_ops_t policy_lirs = {
	.version = POLICY_VERSION,
	.name = "lirs",
	.summary = "LIRS: keep the pages of low inter-reference recency; 1% of frames for the others",
	.paper = "Jiang & Zhang, LIRS, ACM SIGMETRICS 2002, sec. 3.3",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(lirs_frame_t),
	.create = lirs_create,
	.destroy = lirs_destroy,
	.on_fill = lirs_on_fill,
	.on_access = lirs_on_access,
	.on_evict = lirs_on_evict,
	.pick_victim = lirs_pick_victim,
	.on_forget = lirs_on_forget,
	.victim_list = lirs_victim_list,
	.order = lirs_order,
	.note = lirs_note,
	.order_first = "Q front",
	.order_last = "S top",
};
