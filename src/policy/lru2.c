/* lru2.c - LRU-K with K = 2 (prefix lru2_).
 *
 * E. J. O'Neil, P. E. O'Neil and G. Weikum, "The LRU-K Page Replacement
 * Algorithm For Database Disk Buffering", ACM SIGMOD 1993, section 2.1
 * (definitions 2.1-2.3) and the algorithm of figure 2.1 (section 2.1.2),
 * with K = 2 and a Correlated Reference Period of 0, so that every reference
 * counts and LAST(p) = HIST(p, 1).  HIST(p) holds the times of p's last two
 * references (time: the reference's seq + 1; 0 = none).  A reference to a
 * resident page shifts HIST(p, 1) into HIST(p, 2) and records the time in
 * HIST(p, 1).  On a miss the victim is the resident page of the largest
 * backward 2-distance, i.e. the smallest HIST(q, 2); pages referenced only
 * once since their history began (HIST(q, 2) = 0, an infinite distance) go
 * first, and among equals the subsidiary policy is LRU (smallest HIST(q, 1)),
 * then the lower frame (pages read ahead together share their time).  The
 * page brought in shifts its history the same way when it has one.
 *
 * HIST of pages not resident, the paper's Retained Information Period, is
 * kept for the last `frames` pages evicted: a FIFO of at most frames keys,
 * the one evicted longest ago dropped first (a count in place of the paper's
 * time period).  Released pages leave no history; on_forget drops one.  The
 * reference that faulted counts once (its retry is not a second reference).
 * The resident pages are a heap over the frames (fheap.h). */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "fheap.h"
#include "ghost.h"
#include "policy.h"

typedef struct lru2_frame {
	fheap_link_t link;
	page_key_t key;
	uint64_t h1, h2;     /* HIST(p, 1), HIST(p, 2) */
	uint64_t fill_seq;
} lru2_frame_t;

typedef struct lru2 {
	lru2_frame_t *fr;
	fheap_t heap;
	ghost_t hist;        /* non-resident pages: record HIST(p, 1); newest at the head */
} lru2_t;

/* Evict a before b: the smaller HIST(., 2), then the smaller HIST(., 1). */
static bool lru2_before(const void *ctx, frame_id_t a, frame_id_t b)
{
	const lru2_t *l = ctx;
	const lru2_frame_t *x = &l->fr[a], *y = &l->fr[b];
	if (x->h2 != y->h2)
		return x->h2 < y->h2;
	if (x->h1 != y->h1)
		return x->h1 < y->h1;
	return a < b;
}

static void *lru2_create(const policy_env_t *env)
{
	lru2_t *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->fr = env->frame_priv;
	fheap_init(&l->heap, l->fr, sizeof *l->fr, offsetof(lru2_frame_t, link), lru2_before, l);
	if (ghost_init(&l->hist, env->nframes)) {
		free(l);
		return NULL;
	}
	return l;
}

static void lru2_destroy(void *state)
{
	lru2_t *l = state;
	ghost_fini(&l->hist);
	free(l);
}

static void lru2_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	lru2_t *l = state;
	lru2_frame_t *x = &l->fr[f];
	x->key = pg->key;
	x->fill_seq = pg->seq;
	x->h2 = 0;
	uint32_t i = pg->key == PAGE_KEY_NONE ? GHOST_NONE : ghost_find(&l->hist, pg->key);
	if (i != GHOST_NONE) {
		x->h2 = l->hist.e[i].val;
		ghost_del(&l->hist, i);
	}
	x->h1 = pg->seq + 1;
	fheap_push(&l->heap, f);
}

static void lru2_on_access(void *state, frame_id_t f, uint64_t seq)
{
	lru2_t *l = state;
	lru2_frame_t *x = &l->fr[f];
	assert(fheap_contains(&l->heap, f));
	if (seq == x->fill_seq)
		return;   /* the faulting reference's retry */
	x->h2 = x->h1;
	x->h1 = seq + 1;
	fheap_update(&l->heap, f);
}

static policy_shadow_t lru2_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	lru2_t *l = state;
	lru2_frame_t *x = &l->fr[f];
	fheap_remove(&l->heap, f);
	if (why != POLICY_RECLAIM || x->key == PAGE_KEY_NONE || l->hist.cap == 0)
		return 0;
	uint32_t i = ghost_find(&l->hist, x->key);
	if (i != GHOST_NONE)   /* a copy with the same key left before */
		ghost_del(&l->hist, i);
	if (l->hist.n == l->hist.cap)
		ghost_del(&l->hist, ghost_oldest(&l->hist));
	ghost_add(&l->hist, x->key, x->h1);
	return 0;
}

static frame_id_t lru2_pick_victim(void *state, const policy_page_t *incoming)
{
	lru2_t *l = state;
	return fheap_top(&l->heap);
}

static void lru2_on_forget(void *state, page_key_t key)
{
	lru2_t *l = state;
	ghost_forget(&l->hist, key);
}

/* The order of eviction: HIST(p, 2) smallest first (0, once seen, before
 * any), then HIST(p, 1), then the frame. */
static size_t lru2_order(void *state, frame_id_t *out, size_t max)
{
	return fheap_sorted(&((lru2_t *)state)->heap, out, max);
}

/* HIST(p, 1) and HIST(p, 2), as times (seq + 1; 0 none). */
static int lru2_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const lru2_frame_t *x = &((lru2_t *)state)->fr[f];
	snprintf(buf, len, "h1=%llu,h2=%llu", (unsigned long long)x->h1, (unsigned long long)x->h2);
	return 0;
}

const policy_ops_t policy_lru2 = {
	.version = POLICY_VERSION,
	.name = "lru2",
	.summary = "LRU-2: evict the page whose second-to-last reference is oldest (once-seen pages first)",
	.paper = "O'Neil, O'Neil & Weikum, LRU-K, ACM SIGMOD 1993, sec. 2.1 (K = 2, CRP 0)",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(lru2_frame_t),
	.create = lru2_create,
	.destroy = lru2_destroy,
	.on_fill = lru2_on_fill,
	.on_access = lru2_on_access,
	.on_evict = lru2_on_evict,
	.pick_victim = lru2_pick_victim,
	.on_forget = lru2_on_forget,
	.order = lru2_order,
	.note = lru2_note,
	.order_first = "Oldest HIST2",
	.order_last = "Newest",
};
