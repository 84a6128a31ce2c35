/* arc.c - Adaptive Replacement Cache (prefix arc_).
 *
 * N. Megiddo and D. S. Modha, "ARC: A Self-Tuning, Low Overhead Replacement
 * Cache", USENIX FAST 2003, section III.C, figure 4, with c = the frames.
 * Resident pages are in T1 (seen once recently) or T2 (seen at least twice),
 * each an LRU list; the ghost lists B1 and B2 remember the keys of pages
 * evicted from T1 and T2.  The target p for |T1| is a real number: a hit in
 * B1 adds delta1 = max(1, |B2|/|B1|) (capped at c), a hit in B2 subtracts
 * delta2 = max(1, |B1|/|B2|) (floored at 0), both in floating point, with the
 * sizes before the page leaves its ghost list.  REPLACE(x, p) evicts the LRU
 * page of T1 into B1 if |T1| >= 1 and (|T1| > p, or x in B2 and |T1| == p),
 * compared as reals; otherwise the LRU page of T2 into B2.  Case IV: if
 * |T1| + |B1| = c, drop the LRU of B1 and REPLACE, or if B1 is empty evict
 * the LRU of T1 with no ghost; else if the four lists hold 2c, drop the LRU
 * of B2, then REPLACE.  A hit moves a page to the MRU end of T2; a miss puts
 * it at the MRU end of T1 (case IV) or of T2 (a ghost hit).
 *
 * Faithful to libCacheSim's ARC (commit aa0fc40), which it equals on page
 * streams: like it, REPLACE also takes T1 when T2 is empty, and the history
 * work of case IV is done only when a frame must be freed.
 *
 * The machine's side: the adaptation of p (cases II and III) happens once per
 * faulting page, when the page is first seen (pick_victim, or on_fill when a
 * frame was free); the page chosen moves to its ghost list in on_evict, so a
 * victim the machine could not write keeps its place.  The reference that
 * faulted is not a hit (its retry is ignored).  Released pages leave no
 * ghost, on_forget drops one, and after every fill the bounds of the paper
 * (|T1| + |B1| <= c, all four <= 2c) are enforced by dropping LRU ghosts,
 * which only ever acts after releases or the page daemon's early reclaim:
 * the ghost lists never hold more than 2c keys. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "arcgh.h"
#include "flist.h"
#include "policy.h"

enum { ARC_FREE, ARC_T1, ARC_T2 };

typedef struct arc_frame {
	flist_link_t link;   /* in T1 or T2, MRU at the head */
	page_key_t key;
	uint64_t fill_seq;   /* the reference that faulted it in */
	uint8_t list;        /* ARC_FREE, ARC_T1 or ARC_T2 */
} arc_frame_t;

typedef struct arc {
	arc_frame_t *fr;
	arcgh_t h;           /* B1, B2 and p */
	flist_t t1, t2;
	uint32_t n1, n2;     /* |T1|, |T2| */
	page_key_t pend;     /* the faulting page already looked up, or NONE */
	int pend_in;         /* where pend was: 0 nowhere, 1 B1, 2 B2 */
	frame_id_t noghost;  /* the victim case IV evicts without a ghost */
	const char *victim_from; /* "T1" or "T2": the last victim's list */
} arc_t;

static void *arc_create(const policy_env_t *env)
{
	arc_t *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->fr = env->frame_priv;
	flist_init(&a->t1, a->fr, sizeof *a->fr, offsetof(arc_frame_t, link));
	flist_init(&a->t2, a->fr, sizeof *a->fr, offsetof(arc_frame_t, link));
	if (arcgh_init(&a->h, env->nframes)) {
		free(a);
		return NULL;
	}
	a->pend = PAGE_KEY_NONE;
	a->noghost = FRAME_NONE;
	return a;
}

static void arc_destroy(void *state)
{
	arc_t *a = state;
	arcgh_fini(&a->h);
	free(a);
}

/* Look the faulting page up once: cases II and III adapt p and take the
 * page out of its ghost list; remember where it was for REPLACE and on_fill. */
static void arc_see(arc_t *a, page_key_t key)
{
	if (key == PAGE_KEY_NONE || key == a->pend)
		return;
	a->pend = key;
	a->pend_in = arcgh_hit(&a->h, key);
}

/* REPLACE(x, p): the LRU of T1 or of T2. */
static frame_id_t arc_replace(const arc_t *a, bool x_in_b2)
{
	double t1 = a->n1;
	if ((a->n1 >= 1 && (t1 > a->h.p || (x_in_b2 && t1 == a->h.p))) || a->n2 == 0)
		return a->t1.tail;
	return a->t2.tail;
}

/* Remember victim v's list for --events; returns v. */
static frame_id_t arc_chose(arc_t *a, frame_id_t v)
{
	a->victim_from = a->fr[v].list == ARC_T2 ? "T2" : "T1";
	return v;
}

static frame_id_t arc_pick_victim(void *state, const policy_page_t *incoming)
{
	arc_t *a = state;
	assert(a->n1 + a->n2 > 0);
	arc_see(a, incoming->key);
	a->noghost = FRAME_NONE;
	bool ghost_hit = incoming->key != PAGE_KEY_NONE && a->pend == incoming->key && a->pend_in;
	if (ghost_hit)
		return arc_chose(a, arc_replace(a, a->pend_in == 2));
	/* case IV */
	if ((uint64_t)a->n1 + a->h.b1.n + 1 > a->h.c) {
		if (a->h.b1.n > 0) {
			arcgh_drop_oldest(&a->h, false);
			return arc_chose(a, arc_replace(a, false));
		}
		a->noghost = a->t1.tail;
		return arc_chose(a, a->t1.tail);
	}
	if ((uint64_t)a->n1 + a->n2 + a->h.b1.n + a->h.b2.n >= 2ull * a->h.c)
		arcgh_drop_oldest(&a->h, true);
	return arc_chose(a, arc_replace(a, false));
}

static void arc_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	arc_t *a = state;
	arc_frame_t *x = &a->fr[f];
	assert(x->list == ARC_FREE);
	arc_see(a, pg->key);
	x->key = pg->key;
	x->fill_seq = pg->seq;
	if (pg->key != PAGE_KEY_NONE && a->pend_in) {
		x->list = ARC_T2;
		flist_push_head(&a->t2, f);
		a->n2++;
	} else {
		x->list = ARC_T1;
		flist_push_head(&a->t1, f);
		a->n1++;
	}
	a->pend = PAGE_KEY_NONE;
	arcgh_bound(&a->h, a->n1, a->n2);
}

/* Case I: a hit moves the page to the MRU end of T2. */
static void arc_on_access(void *state, frame_id_t f, uint64_t seq)
{
	arc_t *a = state;
	arc_frame_t *x = &a->fr[f];
	assert(x->list != ARC_FREE);
	if (seq == x->fill_seq)
		return;   /* the faulting reference's retry */
	if (x->list == ARC_T1) {
		flist_unlink(&a->t1, f);
		a->n1--;
		x->list = ARC_T2;
		a->n2++;
	} else {
		if (a->t2.head == f)
			return;
		flist_unlink(&a->t2, f);
	}
	flist_push_head(&a->t2, f);
}

static policy_shadow_t arc_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	arc_t *a = state;
	arc_frame_t *x = &a->fr[f];
	assert(x->list != ARC_FREE);
	bool from_t2 = x->list == ARC_T2;
	if (from_t2) {
		flist_unlink(&a->t2, f);
		a->n2--;
	} else {
		flist_unlink(&a->t1, f);
		a->n1--;
	}
	x->list = ARC_FREE;
	bool keep = why == POLICY_RECLAIM && f != a->noghost;
	if (f == a->noghost)
		a->noghost = FRAME_NONE;
	if (keep)
		arcgh_remember(&a->h, from_t2, x->key);
	return 0;
}

static void arc_on_forget(void *state, page_key_t key)
{
	arc_t *a = state;
	arcgh_forget(&a->h, key);
	if (a->pend == key)
		a->pend = PAGE_KEY_NONE;
}

static const char *arc_victim_list(void *state)
{
	return ((arc_t *)state)->victim_from;
}

/* T1 from its LRU end to its MRU end, then T2 likewise: REPLACE takes the
 * first of one of the two LRU ends, which one depending on p. */
static size_t arc_order(void *state, frame_id_t *out, size_t max)
{
	const arc_t *a = state;
	return flist_append_from_tail(&a->t2, out, max, flist_from_tail(&a->t1, out, max));
}

/* The page's list. */
static int arc_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const arc_t *a = state;
	snprintf(buf, len, "%s", a->fr[f].list == ARC_T2 ? "T2" : "T1");
	return 0;
}

const policy_ops_t policy_arc = {
	.version = POLICY_VERSION,
	.name = "arc",
	.summary = "adaptive replacement cache: recency list T1 and frequency list T2 sized by ghost hits",
	.paper = "Megiddo & Modha, ARC, USENIX FAST 2003, sec. III.C, fig. 4",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(arc_frame_t),
	.create = arc_create,
	.destroy = arc_destroy,
	.on_fill = arc_on_fill,
	.on_access = arc_on_access,
	.on_evict = arc_on_evict,
	.pick_victim = arc_pick_victim,
	.on_forget = arc_on_forget,
	.victim_list = arc_victim_list,
	.order = arc_order,
	.note = arc_note,
	.order_first = "T1 LRU",
	.order_last = "T2 MRU",
};
