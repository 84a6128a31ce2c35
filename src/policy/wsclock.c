/* wsclock.c - WSClock (prefix wsclock_): Carr and Hennessy, "WSCLOCK - A
 * Simple and Effective Algorithm for Virtual Memory Management", SOSP 1981;
 * the steps as Tanenbaum and Bos state them (Modern Operating
 * Systems, 4th ed., section 3.4.9, "The WSClock Page Replacement
 * Algorithm").
 *
 * One hand over the user frames 0 .. nframes-1, starting at frame 0; each
 * resident frame remembers the virtual time of its page's last use.  Virtual
 * time is the machine's reference count (seq; one clock for all processes,
 * where Carr and Hennessy keep one per process), "now" is the faulting
 * reference's seq, and the window is tau = env->tau (--tau) references.  At
 * each resident frame the hand meets:
 *   accessed bit set (policy_test_and_clear_young clears it): the page was
 *     used since the hand last came by; last use := now; go on;
 *   else, now - last use <= tau: in the working set; go on;
 *   else (old) and clean, or scheduled: the victim;
 *   else (old and dirty, not scheduled): schedule its write-back; go on.
 * The hand stops one past the victim.
 *
 * "Scheduled" in vmlab: a page can only be cleaned by evicting it (the
 * machine writes a dirty victim back), so scheduling marks the frame and
 * the write is taken to have completed when the hand next reaches it: an
 * old page found scheduled is the victim, and its eviction is the write.
 * A later use of the page (its accessed bit seen) cancels the mark.  So a
 * dirty old page is passed once and evicted the next time round, as in the
 * paper where the write finishes while the hand goes on.
 *
 * If one lap finds no victim but scheduled a write, the hand goes on: the
 * second lap takes the first scheduled page.  If a lap scheduled nothing
 * (every page in the working set), the victim is the first clean page from
 * the hand, or failing that the page at the hand (Tanenbaum's "claim any
 * clean page", made deterministic).  Only hardware bits are used. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"

typedef struct wsclock_frame {
	uint64_t last_use;  /* virtual time the page was last seen used */
	bool resident;      /* between on_fill and on_evict */
	bool scheduled;     /* old and dirty: its write-back was scheduled */
} wsclock_frame_t;

typedef struct wsclock {
	wsclock_frame_t *fr;     /* env->frame_priv, one entry per frame */
	policy_hw_t hw;   /* asked for the hardware bits */
	uint32_t nframes;
	uint64_t tau;            /* the window, in references */
	frame_id_t hand;
} wsclock_t;

static void *wsclock_create(const policy_env_t *env)
{
	wsclock_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->hw = env->hw;
	p->nframes = env->nframes;
	p->tau = env->tau;
	return p;
}

static void wsclock_destroy(void *state)
{
	free(state);
}

static void wsclock_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	wsclock_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f] = (wsclock_frame_t){ .last_use = pg->seq, .resident = true };
}

static policy_shadow_t wsclock_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	wsclock_t *p = state;
	assert(p->fr[f].resident);
	p->fr[f].resident = false;
	return 0;
}

static frame_id_t wsclock_next(const wsclock_t *p, frame_id_t f)
{
	return f + 1 == p->nframes ? 0 : f + 1;
}

/* The hand's step at frame f at time now: true if f is the victim; counts a
 * write it schedules in *scheduled. */
static bool wsclock_step(wsclock_t *p, frame_id_t f, uint64_t now, unsigned *scheduled)
{
	wsclock_frame_t *w = &p->fr[f];
	if (!w->resident)
		return false;
	if (policy_test_and_clear_young(p->hw, f)) {
		w->last_use = now;
		w->scheduled = false;
		return false;
	}
	if (now <= w->last_use || now - w->last_use <= p->tau)
		return false;
	if (w->scheduled || !policy_dirty(p->hw, f))
		return true;
	w->scheduled = true;
	(*scheduled)++;
	return false;
}

/* No write was scheduled in a whole lap: the first clean page from the
 * hand, else the first resident one. */
static frame_id_t wsclock_any(wsclock_t *p)
{
	frame_id_t first = FRAME_NONE;
	for (uint32_t i = 0, f = p->hand; i < p->nframes; i++, f = wsclock_next(p, f)) {
		if (!p->fr[f].resident)
			continue;
		if (!policy_dirty(p->hw, f))
			return f;
		if (first == FRAME_NONE)
			first = f;
	}
	return first;
}

/* Lap 1 marks old dirty pages; lap 2 (only if it marked one) finds a
 * scheduled page or a page lap 1 made old: at most 2 * nframes steps. */
static frame_id_t wsclock_pick_victim(void *state, const policy_page_t *incoming)
{
	wsclock_t *p = state;
	uint64_t now = incoming->seq;
	unsigned scheduled = 0;
	frame_id_t v = FRAME_NONE;
	for (uint64_t step = 0; step < 2ull * p->nframes && v == FRAME_NONE; step++) {
		if (step == p->nframes && !scheduled)
			break;
		if (wsclock_step(p, p->hand, now, &scheduled))
			v = p->hand;
		p->hand = wsclock_next(p, p->hand);
	}
	if (v == FRAME_NONE) {
		v = wsclock_any(p);
		p->hand = wsclock_next(p, v);
	}
	assert(v != FRAME_NONE && "wsclock: no resident frame");
	return v;
}

/* The resident frames in the order the hand will visit them. */
static size_t wsclock_order(void *state, frame_id_t *out, size_t max)
{
	const wsclock_t *p = state;
	size_t n = 0;
	for (uint32_t i = 0, f = p->hand; i < p->nframes; i++, f = wsclock_next(p, f))
		if (p->fr[f].resident && n++ < max)
			out[n - 1] = f;
	return n;
}

/* The bits the hand tests, the last-use time, and "s" once scheduled. */
static int wsclock_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const wsclock_t *p = state;
	snprintf(buf, len, "a=%d,d=%d,t=%llu%s", policy_young(p->hw, f), policy_dirty(p->hw, f),
		 (unsigned long long)p->fr[f].last_use, p->fr[f].scheduled ? ",s" : "");
	return 0;
}

const policy_ops_t policy_wsclock = {
	.version = POLICY_VERSION,
	.name = "wsclock",
	.summary = "WSClock: clock over frames with last-use times; evict an old (> --tau references) clean page, schedule old dirty ones",
	.paper = "Carr & Hennessy, WSCLOCK - a simple and effective algorithm for virtual memory management, SOSP 1981",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(wsclock_frame_t),
	.create = wsclock_create,
	.destroy = wsclock_destroy,
	.on_fill = wsclock_on_fill,
	.on_access = NULL,
	.on_evict = wsclock_on_evict,
	.pick_victim = wsclock_pick_victim,
	.order = wsclock_order,
	.note = wsclock_note,
	.order_first = "Hand",
	.order_last = "Behind",
};
