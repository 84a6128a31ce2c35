/* s3fifo.c - S3-FIFO (prefix s3fifo_): Yang, Zhang, Qiu, Yue and Rashmi,
 * "FIFO queues are all you need for cache eviction", SOSP 2023, section 4
 * (Algorithm 1).
 *
 * Three FIFO queues: S (small, for new pages), M (main) and G (ghost: keys
 * of pages evicted from S, no frames).  S's share is 10% of the frames
 * (rounded down, at least 1), M's the rest, and G holds at most as many keys
 * as M's share (s3ghost.h).  Each resident page has a frequency 0..3.
 * As Algorithm 1:
 *   hit:    freq := min(freq + 1, 3)
 *   miss:   evict while the cache is full; then if the page's key is in G
 *           (taken out of G) it enters M's head, else S's head; freq := 0
 *   evict:  if |S| >= S's share, evictS, else evictM
 *   evictS: repeat on S's tail t until something is evicted or S is empty:
 *           t.freq > 1: t moves to M's head (its freq kept) and, if M is
 *                       now over its share, evictM;
 *           else:       t is evicted and its key pushed into G
 *   evictM: repeat on M's tail t until something is evicted:
 *           t.freq > 0: t moves to M's head, freq - 1;  else t is evicted
 * Reading: "M is full" after inserting t means M holds more than its share
 * (there was no room for t); the ghost is looked up after the evictions, as
 * INSERT is written.  The faulting reference's retry is not a hit; every
 * reference is needed (the frequency counts hits).
 *
 * vmlab frees one frame per pick_victim.  When evictS moves pages to a
 * full M (each running evictM) before it evicts from S, one EVICT evicts
 * several pages and the paper's cache has free slots afterwards: here the
 * victims are held pending (out of S and M, keys in G), in the order they
 * were evicted, and each later pick_victim takes the next one without
 * running EVICT, as the paper's next inserts need no eviction.  The one
 * difference: a reference to a pending page before its frame is taken is a
 * hit here and a miss in the paper.  A page released (unmap, exit) leaves its queue and keeps no ghost;
 * on_forget drops a key from G. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flist.h"
#include "policy.h"
#include "s3ghost.h"

enum { S3_OUT, S3_SMALL, S3_MAIN, S3_PENDING };  /* where a resident page is */

typedef struct s3fifo_frame {
	flist_link_t link;  /* in S, M or the pending list */
	page_key_t key;
	uint64_t fill_seq;  /* the reference that loaded it: its retry is no hit */
	uint8_t q;          /* S3_SMALL, S3_MAIN, S3_PENDING (evicted by the
			       algorithm, frame not yet taken), S3_OUT (returned
			       by pick_victim, not yet evicted) */
	uint8_t freq;       /* 0..3 */
	uint8_t from;       /* S3_SMALL or S3_MAIN: the queue it was evicted from */
	bool resident;
} s3fifo_frame_t;

typedef struct s3fifo {
	s3fifo_frame_t *fr;     /* env->frame_priv */
	flist_t s, m, pend;     /* head newest */
	uint32_t ns, nm;        /* pages in S and M */
	uint32_t s_share, m_share;
	s3ghost_t g;
	frame_id_t last;        /* the last victim returned, or FRAME_NONE */
	const char *victim_from; /* "small" or "main": the last victim's queue */
} s3fifo_t;

static void s3fifo_destroy(void *state)
{
	s3fifo_t *p = state;
	s3ghost_free(&p->g);
	free(p);
}

static void *s3fifo_create(const policy_env_t *env)
{
	s3fifo_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	flist_init(&p->s, p->fr, sizeof *p->fr, offsetof(s3fifo_frame_t, link));
	flist_init(&p->m, p->fr, sizeof *p->fr, offsetof(s3fifo_frame_t, link));
	flist_init(&p->pend, p->fr, sizeof *p->fr, offsetof(s3fifo_frame_t, link));
	p->s_share = env->nframes / 10 ? env->nframes / 10 : 1;
	p->m_share = env->nframes - p->s_share;
	p->last = FRAME_NONE;
	if (s3ghost_init(&p->g, p->m_share)) {
		s3fifo_destroy(p);
		return NULL;
	}
	return p;
}

/* Take f out of whichever list holds it. */
static void s3fifo_unqueue(s3fifo_t *p, frame_id_t f)
{
	s3fifo_frame_t *e = &p->fr[f];
	if (e->q == S3_SMALL) {
		flist_unlink(&p->s, f);
		p->ns--;
	} else if (e->q == S3_MAIN) {
		flist_unlink(&p->m, f);
		p->nm--;
	} else if (e->q == S3_PENDING) {
		flist_unlink(&p->pend, f);
	}
	e->q = S3_OUT;
}

static void s3fifo_to_main(s3fifo_t *p, frame_id_t f)
{
	flist_push_head(&p->m, f);
	p->fr[f].q = S3_MAIN;
	p->nm++;
}

/* The algorithm evicted f (out of its queue, from queue q): its frame goes
 * next. */
static void s3fifo_to_pending(s3fifo_t *p, frame_id_t f, uint8_t q)
{
	p->fr[f].from = q;
	flist_push_head(&p->pend, f);
	p->fr[f].q = S3_PENDING;
}

static void s3fifo_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	s3fifo_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f] = (s3fifo_frame_t){ .key = pg->key, .fill_seq = pg->seq, .resident = true };
	if (pg->key != PAGE_KEY_NONE && s3ghost_remove(&p->g, pg->key)) {
		s3fifo_to_main(p, f);
	} else {
		flist_push_head(&p->s, f);
		p->fr[f].q = S3_SMALL;
		p->ns++;
	}
}

static void s3fifo_on_access(void *state, frame_id_t f, uint64_t seq)
{
	s3fifo_t *p = state;
	s3fifo_frame_t *e = &p->fr[f];
	assert(e->resident);
	if (seq != e->fill_seq && (e->q == S3_SMALL || e->q == S3_MAIN) && e->freq < 3)
		e->freq++;
}

static policy_shadow_t s3fifo_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	s3fifo_t *p = state;
	s3fifo_frame_t *e = &p->fr[f];
	assert(e->resident);
	s3fifo_unqueue(p, f);
	if (why == POLICY_RELEASE && e->key != PAGE_KEY_NONE)
		s3ghost_remove(&p->g, e->key);
	if (p->last == f)
		p->last = FRAME_NONE;
	e->resident = false;
	return 0;
}

static void s3fifo_on_forget(void *state, page_key_t key)
{
	s3fifo_t *p = state;
	s3ghost_remove(&p->g, key);
}

/* evictM: the first page of M at freq 0 from the tail goes pending, each
 * page passed going back to the head one lower; at most 3 * |M| + 1 steps.
 * false if M is empty. */
static bool s3fifo_evict_main(s3fifo_t *p)
{
	while (p->nm) {
		frame_id_t t = p->m.tail;
		s3fifo_frame_t *e = &p->fr[t];
		s3fifo_unqueue(p, t);
		if (e->freq == 0) {
			s3fifo_to_pending(p, t, S3_MAIN);
			return true;
		}
		e->freq--;
		s3fifo_to_main(p, t);
	}
	return false;
}

/* evictS, with the evictM it runs each time a page moved to M leaves M over
 * its share.  false if it evicted nothing (S empty, or emptied into M
 * without M going over). */
static bool s3fifo_evict_small(s3fifo_t *p)
{
	bool any = false;
	while (p->ns) {
		frame_id_t t = p->s.tail;
		s3fifo_frame_t *e = &p->fr[t];
		s3fifo_unqueue(p, t);
		if (e->freq > 1) {
			s3fifo_to_main(p, t);
			if (p->nm > p->m_share)
				any |= s3fifo_evict_main(p);
		} else {
			if (e->key != PAGE_KEY_NONE)
				s3ghost_push(&p->g, e->key);
			s3fifo_to_pending(p, t, S3_SMALL);
			return true;
		}
	}
	return any;
}

/* Algorithm 1's EVICT; the other queue if the chosen one yields nothing
 * (only possible when reclaim runs while frames are free). */
static void s3fifo_evict(s3fifo_t *p)
{
	if (p->ns >= p->s_share) {
		if (!s3fifo_evict_small(p))
			s3fifo_evict_main(p);
	} else if (!s3fifo_evict_main(p)) {
		s3fifo_evict_small(p);
	}
}

static frame_id_t s3fifo_pick_victim(void *state, const policy_page_t *incoming)
{
	s3fifo_t *p = state;
	if (p->last != FRAME_NONE)
		return p->last;   /* returned before, and the machine could not evict it */
	if (p->pend.tail == FRAME_NONE)
		s3fifo_evict(p);
	frame_id_t v = p->pend.tail;
	assert(v != FRAME_NONE && p->fr[v].resident);
	s3fifo_unqueue(p, v);
	p->last = v;
	p->victim_from = p->fr[v].from == S3_SMALL ? "small" : "main";
	return v;
}

static const char *s3fifo_victim_list(void *state)
{
	return ((s3fifo_t *)state)->victim_from;
}

/* The victim the machine could not evict (if any), the pending pages in
 * the order they go, then S from its tail and M from its tail: EVICT looks
 * at the tail of S or of M, by S's size. */
static size_t s3fifo_order(void *state, frame_id_t *out, size_t max)
{
	const s3fifo_t *p = state;
	size_t n = 0;
	if (p->last != FRAME_NONE && n++ < max)
		out[n - 1] = p->last;
	n = flist_append_from_tail(&p->pend, out, max, n);
	n = flist_append_from_tail(&p->s, out, max, n);
	return flist_append_from_tail(&p->m, out, max, n);
}

/* The page's queue (S, M, or pending: evicted by the algorithm, its frame
 * not yet taken) and its frequency. */
static int s3fifo_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const s3fifo_frame_t *e = &((s3fifo_t *)state)->fr[f];
	if (e->q == S3_SMALL || e->q == S3_MAIN)
		snprintf(buf, len, "%s,f=%u", e->q == S3_SMALL ? "S" : "M", e->freq);
	else
		snprintf(buf, len, "pending");
	return 0;
}

const policy_ops_t policy_s3fifo = {
	.version = POLICY_VERSION,
	.name = "s3fifo",
	.summary = "S3-FIFO: small FIFO (10%) filters new pages, main FIFO with 2-bit frequency, ghost FIFO of keys evicted from small",
	.paper = "Yang et al., FIFO queues are all you need for cache eviction, SOSP 2023, section 4, Algorithm 1",
	.needs = POLICY_NEEDS_EVERY_REF,
	.frame_priv_size = sizeof(s3fifo_frame_t),
	.create = s3fifo_create,
	.destroy = s3fifo_destroy,
	.on_fill = s3fifo_on_fill,
	.on_access = s3fifo_on_access,
	.on_evict = s3fifo_on_evict,
	.pick_victim = s3fifo_pick_victim,
	.on_forget = s3fifo_on_forget,
	.victim_list = s3fifo_victim_list,
	.order = s3fifo_order,
	.note = s3fifo_note,
	.order_first = "S tail",
	.order_last = "M head",
};
