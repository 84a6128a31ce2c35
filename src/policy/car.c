/* car.c - CLOCK with Adaptive Replacement (prefix car_).
 *
 * S. Bansal and D. S. Modha, "CAR: Clock with Adaptive Replacement", USENIX
 * FAST 2004, section III, figure 2, with c = the frames.  The resident pages
 * are in two clocks, T1 and T2, each a circular list whose head is where its
 * hand points; a page's reference bit is the hardware's accessed bit, read
 * and cleared with policy_test_and_clear_young.  B1 and B2 are LRU lists of
 * the keys of pages evicted from T1 and T2.  On a miss with c pages resident,
 * replace(): while no victim is found, if |T1| >= max(1, p) the T1 hand looks
 * at its head page: bit clear, it is demoted into B1 (the victim); bit set,
 * the bit is cleared and the page moves to the tail of T2; otherwise the T2
 * hand: bit clear, demoted into B2; set, cleared and moved to T2's tail.
 * Then the history: if the missing page x is in neither ghost list and
 * |T1| + |B1| = c, the LRU page of B1 is dropped, else if the four lists hold
 * 2c, the LRU page of B2.  Last, x goes to the tail of T1 if it was in no
 * ghost list; from B1 it goes to the tail of T2 and p grows by
 * max(1, |B2|/|B1|) (at most c); from B2, to T2's tail and p shrinks by
 * max(1, |B1|/|B2|) (at least 0), in floating point.  p adapts after
 * replace(), as in figure 2 (ARC adapts before).
 *
 * Hardware bits only: a hit is never reported, the accessed bit says it.  The
 * paper inserts a page with its bit clear, but the reference that faulted
 * sets it when it is retried; so a page's bit is cleared once more at the
 * next fault of any page (its fill or victim choice, whichever comes first).
 * A reference to the page between its own fault and the next fault is thus
 * not seen (a burst right after a fault, which 2Q and LRU-K call
 * correlated); every later one is.
 * Released pages leave no ghost, on_forget drops one, and after each fill
 * |T1| + |B1| <= c and all four <= 2c are kept by dropping LRU ghosts (only
 * ever needed after releases or early reclaim by the page daemon). */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "arcgh.h"
#include "flist.h"
#include "policy.h"

enum { CAR_FREE, CAR_T1, CAR_T2 };

typedef struct car_frame {
	flist_link_t link;   /* in T1 or T2: the hand at the tail of the flist */
	flist_link_t fresh;  /* in the list of pages filled since the last pick */
	page_key_t key;
	uint64_t fill_seq;
	uint8_t list;
	uint8_t is_fresh;
} car_frame_t;

typedef struct car {
	car_frame_t *fr;
	policy_hw_t hw;
	arcgh_t h;           /* B1, B2 and p */
	flist_t t1, t2;      /* tail: the hand (paper's head); head: the paper's tail */
	uint32_t n1, n2;
	flist_t fresh;
	page_key_t pend;     /* the incoming page of the last pick_victim */
	frame_id_t victim;   /* the victim that pick chose, until evicted */
	const char *victim_from; /* "T1" or "T2": the last victim's list */
} car_t;

static void *car_create(const policy_env_t *env)
{
	car_t *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->fr = env->frame_priv;
	a->hw = env->hw;
	flist_init(&a->t1, a->fr, sizeof *a->fr, offsetof(car_frame_t, link));
	flist_init(&a->t2, a->fr, sizeof *a->fr, offsetof(car_frame_t, link));
	flist_init(&a->fresh, a->fr, sizeof *a->fr, offsetof(car_frame_t, fresh));
	if (arcgh_init(&a->h, env->nframes)) {
		free(a);
		return NULL;
	}
	a->pend = PAGE_KEY_NONE;
	a->victim = FRAME_NONE;
	return a;
}

static void car_destroy(void *state)
{
	car_t *a = state;
	arcgh_fini(&a->h);
	free(a);
}

/* The reference bit of frame f, cleared as it is read. */
static bool car_ref(car_t *a, frame_id_t f)
{
	return policy_test_and_clear_young(a->hw, f);
}

/* Clear the accessed bits that the faults before reference seq set, so that
 * those pages start with figure 2's ref 0 (fill order is seq order). */
static void car_settle(car_t *a, uint64_t seq)
{
	while (a->fresh.tail != FRAME_NONE && a->fr[a->fresh.tail].fill_seq < seq) {
		frame_id_t f = a->fresh.tail;
		flist_unlink(&a->fresh, f);
		a->fr[f].is_fresh = 0;
		car_ref(a, f);
	}
}

/* replace() of figure 2, without the demotion (on_evict does it). */
static frame_id_t car_pick_victim(void *state, const policy_page_t *incoming)
{
	car_t *a = state;
	assert(a->n1 + a->n2 > 0);
	car_settle(a, incoming->seq);
	a->pend = incoming->key;
	for (;;) {
		bool from_t1 = a->n1 >= 1 && (double)a->n1 >= (a->h.p > 1 ? a->h.p : 1);
		if (!from_t1 && a->n2 == 0)
			from_t1 = true;   /* only after releases: T2 has nothing */
		flist_t *l = from_t1 ? &a->t1 : &a->t2;
		frame_id_t f = l->tail;
		if (!car_ref(a, f)) {
			a->victim = f;
			a->victim_from = from_t1 ? "T1" : "T2";
			return f;
		}
		flist_unlink(l, f);
		flist_push_head(&a->t2, f);
		if (from_t1) {
			a->fr[f].list = CAR_T2;
			a->n1--;
			a->n2++;
		}
	}
}

static policy_shadow_t car_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	car_t *a = state;
	car_frame_t *x = &a->fr[f];
	assert(x->list != CAR_FREE);
	bool from_t2 = x->list == CAR_T2;
	if (from_t2) {
		flist_unlink(&a->t2, f);
		a->n2--;
	} else {
		flist_unlink(&a->t1, f);
		a->n1--;
	}
	if (x->is_fresh) {
		flist_unlink(&a->fresh, f);
		x->is_fresh = 0;
	}
	x->list = CAR_FREE;
	if (why != POLICY_RECLAIM || x->key == PAGE_KEY_NONE)
		return 0;
	arcgh_remember(&a->h, from_t2, x->key);
	if (f != a->victim)
		return 0;
	/* history replacement, lines 6-7 of figure 2, for the page coming in */
	a->victim = FRAME_NONE;
	if (arcgh_has(&a->h, a->pend))
		return 0;
	if ((uint64_t)a->n1 + a->h.b1.n == a->h.c)
		arcgh_drop_oldest(&a->h, false);
	else if ((uint64_t)a->n1 + a->n2 + a->h.b1.n + a->h.b2.n == 2ull * a->h.c)
		arcgh_drop_oldest(&a->h, true);
	return 0;
}

/* Lines 8-10: where the page goes, and the adaptation of p. */
static void car_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	car_t *a = state;
	car_frame_t *x = &a->fr[f];
	assert(x->list == CAR_FREE);
	car_settle(a, pg->seq);
	x->key = pg->key;
	x->fill_seq = pg->seq;
	x->is_fresh = 1;
	flist_push_head(&a->fresh, f);
	a->pend = PAGE_KEY_NONE;
	if (arcgh_hit(&a->h, pg->key)) {
		x->list = CAR_T2;
		flist_push_head(&a->t2, f);
		a->n2++;
	} else {
		x->list = CAR_T1;
		flist_push_head(&a->t1, f);
		a->n1++;
	}
	arcgh_bound(&a->h, a->n1, a->n2);
}

static void car_on_forget(void *state, page_key_t key)
{
	car_t *a = state;
	arcgh_forget(&a->h, key);
}

static const char *car_victim_list(void *state)
{
	return ((car_t *)state)->victim_from;
}

/* T1 from its hand round to the page behind it, then T2 likewise: the hand
 * of one of the two looks first, which one depending on p. */
static size_t car_order(void *state, frame_id_t *out, size_t max)
{
	const car_t *a = state;
	return flist_append_from_tail(&a->t2, out, max, flist_from_tail(&a->t1, out, max));
}

/* The page's list and the reference bit its hand will test. */
static int car_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const car_t *a = state;
	snprintf(buf, len, "%s,a=%d", a->fr[f].list == CAR_T2 ? "T2" : "T1", policy_young(a->hw, f));
	return 0;
}

const policy_ops_t policy_car = {
	.version = POLICY_VERSION,
	.name = "car",
	.summary = "clock with adaptive replacement: ARC's two lists and ghosts on two clocks of accessed bits",
	.paper = "Bansal & Modha, CAR, USENIX FAST 2004, sec. III, fig. 2",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(car_frame_t),
	.create = car_create,
	.destroy = car_destroy,
	.on_fill = car_on_fill,
	.on_access = NULL,
	.on_evict = car_on_evict,
	.pick_victim = car_pick_victim,
	.on_forget = car_on_forget,
	.victim_list = car_victim_list,
	.order = car_order,
	.note = car_note,
	.order_first = "T1 hand",
	.order_last = "T2 behind",
};
