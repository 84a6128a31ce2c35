/* clockpro.c - CLOCK-Pro (prefix cpro_): Jiang, Chen and Zhang,
 * "CLOCK-Pro: An Effective Improvement of the CLOCK Replacement", USENIX
 * ATC 2005, section 3 (the hands' operations) and 3.4 (adapting m_c).
 *
 * One clock of entries: hot pages, resident cold pages, and non-resident
 * cold pages (keys only, of cold pages evicted in their test period, at
 * most nframes of them).  New entries go in at the list head, just behind
 * HANDhot; the three hands move the same way.  m_c is the target of
 * resident cold pages, m_h = nframes - m_c of hot pages.
 *   fault on a page with a non-resident entry (re-used in its test period):
 *     the entry goes, m_c + 1, the page enters hot at the head; HANDhot
 *     runs while there are more than m_h hot pages;
 *   fault on any other page: it enters cold at the head, in its test
 *     period; HANDtest runs while cold pages (resident and not) exceed
 *     m_c + nframes;
 *   a free frame is needed: HANDcold, at each resident cold page:
 *     accessed (test-and-clear): in its test period it becomes hot (m_c + 1;
 *       then HANDhot while hot > m_h), else it starts a new test period;
 *       either way it moves to the head and the hand goes on;
 *     not accessed: the victim; in its test period it leaves a
 *       non-resident entry in its place (HANDtest runs while those exceed
 *       nframes), else it leaves the clock; the hand stops past it;
 *   HANDhot, at a hot page: accessed -> cleared, stays hot, go on; not ->
 *     becomes cold (out of test), stop.  At a cold page it passes: ends its
 *     test period (m_c - 1), removing it if non-resident (HANDtest's work);
 *   HANDtest, at a cold page in its test period: ends it (m_c - 1),
 *     removing it if non-resident; stops there.
 * m_c stays within 1 .. nframes - 1 (1 with one frame).  Choices where the
 * paper leaves them open: m_c starts at 1% of the frames (LIRS's split,
 * rounded down, at least 1); a cold page found accessed outside its test
 * period starts a new one (as LIRS puts a HIR page back on its stack).
 *
 * Hardware bits only.  The access that faulted a page in sets its accessed
 * bit, which would make every new page look re-used in its test period; so
 * the bit of the page filled last is cleared at the policy's next call (the
 * next fault): references to a page between its own fault and the next
 * fault are not seen.  A released page (unmap, exit) leaves the clock with
 * no entry; on_forget drops a non-resident entry. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy.h"
#include "s3ghost.h"

#define CPRO_NIL UINT32_MAX

enum { CPRO_FREE, CPRO_HOT, CPRO_COLD, CPRO_NONRES };

/* Entries 0 .. n-1 are the frames, n .. 2n the non-resident nodes. */
typedef struct cpro {
	policy_hw_t hw;
	uint32_t n;              /* frames */
	uint32_t *prev, *next;   /* the clock, 2n + 1 entries */
	uint8_t *state, *test;
	page_key_t *key;         /* per frame */
	s3ghost_t nonres;        /* keys of non-resident entries (node = entry - n) */
	uint32_t hot_hand, cold_hand, test_hand; /* CPRO_NIL when empty */
	uint32_t nhot, ncold, nnonres;
	uint32_t m_c;
	frame_id_t fresh;        /* filled last: its accessed bit is the fault's */
	frame_id_t last;         /* the victim returned last, until evicted */
} cpro_t;

static void cpro_destroy(void *state)
{
	cpro_t *p = state;
	free(p->prev);
	free(p->next);
	free(p->state);
	free(p->test);
	free(p->key);
	s3ghost_free(&p->nonres);
	free(p);
}

static void *cpro_create(const policy_env_t *env)
{
	cpro_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	uint32_t n = env->nframes, e = 2 * n + 1;
	p->hw = env->hw;
	p->n = n;
	p->prev = malloc(e * sizeof *p->prev);
	p->next = malloc(e * sizeof *p->next);
	p->state = calloc(e, 1);
	p->test = calloc(e, 1);
	p->key = calloc(n, sizeof *p->key);
	int rc = s3ghost_init(&p->nonres, n + 1);
	if (rc || !p->prev || !p->next || !p->state || !p->test || !p->key) {
		cpro_destroy(p);
		return NULL;
	}
	p->hot_hand = p->cold_hand = p->test_hand = CPRO_NIL;
	p->m_c = n / 100 ? n / 100 : 1;
	p->fresh = p->last = FRAME_NONE;
	return p;
}

static uint32_t cpro_m_h(const cpro_t *p)
{
	return p->n - p->m_c;
}

static void cpro_mc_up(cpro_t *p)
{
	if (p->m_c + 1 < p->n)
		p->m_c++;
}

static void cpro_mc_down(cpro_t *p)
{
	if (p->m_c > 1)
		p->m_c--;
}

/* Put entry x in at the list head: just behind HANDhot. */
static void cpro_insert_head(cpro_t *p, uint32_t x)
{
	if (p->hot_hand == CPRO_NIL) {
		p->prev[x] = p->next[x] = x;
		p->hot_hand = p->cold_hand = p->test_hand = x;
		return;
	}
	uint32_t h = p->hot_hand, b = p->prev[h];
	p->prev[x] = b;
	p->next[x] = h;
	p->next[b] = x;
	p->prev[h] = x;
}

/* Take entry x out of the clock; a hand on it moves to the next entry. */
static void cpro_unlink(cpro_t *p, uint32_t x)
{
	uint32_t nx = p->next[x] == x ? CPRO_NIL : p->next[x];
	if (p->hot_hand == x)
		p->hot_hand = nx;
	if (p->cold_hand == x)
		p->cold_hand = nx;
	if (p->test_hand == x)
		p->test_hand = nx;
	if (nx != CPRO_NIL) {
		p->next[p->prev[x]] = p->next[x];
		p->prev[p->next[x]] = p->prev[x];
	}
}

/* Put entry x where entry e is (hands on e now on x) and take e out. */
static void cpro_replace(cpro_t *p, uint32_t e, uint32_t x)
{
	if (p->next[e] == e) {
		p->prev[x] = p->next[x] = x;
	} else {
		p->prev[x] = p->prev[e];
		p->next[x] = p->next[e];
		p->next[p->prev[e]] = x;
		p->prev[p->next[e]] = x;
	}
	if (p->hot_hand == e)
		p->hot_hand = x;
	if (p->cold_hand == e)
		p->cold_hand = x;
	if (p->test_hand == e)
		p->test_hand = x;
}

/* Drop the non-resident entry x (its key leaves the table). */
static void cpro_drop_nonres(cpro_t *p, uint32_t x)
{
	cpro_unlink(p, x);
	p->state[x] = CPRO_FREE;
	s3ghost_remove(&p->nonres, p->nonres.key[x - p->n]);
	p->nnonres--;
}

/* End cold entry x's test period (a cold page passed it unused). */
static void cpro_end_test(cpro_t *p, uint32_t x)
{
	p->test[x] = 0;
	cpro_mc_down(p);
	if (p->state[x] == CPRO_NONRES)
		cpro_drop_nonres(p, x);
}

/* HANDtest: the next cold entry in its test period has it ended; the hand
 * stops past it.  Only called while a non-resident entry exists, and every
 * one is in its test period, so at most one lap. */
static void cpro_run_test(cpro_t *p)
{
	for (;;) {
		uint32_t x = p->test_hand;
		assert(x != CPRO_NIL);
		p->test_hand = p->next[x];
		if ((p->state[x] == CPRO_COLD || p->state[x] == CPRO_NONRES) && p->test[x]) {
			cpro_end_test(p, x);
			return;
		}
	}
}

/* HANDhot: turns the first hot page not accessed into a cold one, ending
 * the test periods of the cold entries it passes; stops past it.  Only
 * called with a hot page present: the first lap clears every hot page's
 * bit, so at most two laps. */
static void cpro_run_hot(cpro_t *p)
{
	for (;;) {
		uint32_t x = p->hot_hand;
		assert(x != CPRO_NIL && p->nhot > 0);
		p->hot_hand = p->next[x];
		if (p->state[x] == CPRO_HOT) {
			if (policy_test_and_clear_young(p->hw, x))
				continue;
			p->state[x] = CPRO_COLD;
			p->test[x] = 0;
			p->nhot--;
			p->ncold++;
			return;
		}
		if (p->test[x])
			cpro_end_test(p, x);
	}
}

static void cpro_balance_hot(cpro_t *p)
{
	while (p->nhot > cpro_m_h(p))
		cpro_run_hot(p);
}

/* The accessed bit of the page filled last, set by its own fault, is
 * forgotten. */
static void cpro_settle(cpro_t *p)
{
	if (p->fresh != FRAME_NONE && p->state[p->fresh] != CPRO_FREE)
		policy_test_and_clear_young(p->hw, p->fresh);
	p->fresh = FRAME_NONE;
}

static void cpro_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	cpro_t *p = state;
	assert(p->state[f] == CPRO_FREE);
	cpro_settle(p);
	p->key[f] = pg->key;
	p->fresh = f;
	uint32_t node = pg->key != PAGE_KEY_NONE ? s3ghost_node(&p->nonres, pg->key) : S3GHOST_NIL;
	if (node != S3GHOST_NIL) {
		cpro_drop_nonres(p, p->n + node);
		cpro_mc_up(p);
		p->state[f] = CPRO_HOT;
		p->test[f] = 0;
		p->nhot++;
		cpro_insert_head(p, f);
		cpro_balance_hot(p);
		return;
	}
	p->state[f] = CPRO_COLD;
	p->test[f] = 1;
	p->ncold++;
	cpro_insert_head(p, f);
	while (p->nnonres && p->ncold + p->nnonres > p->m_c + p->n)
		cpro_run_test(p);
}

/* Frame f's page leaves the clock: a non-resident entry stays in its
 * place (when in its test period and a key is known) or nothing does. */
static void cpro_leave(cpro_t *p, frame_id_t f, bool keep)
{
	page_key_t k = p->key[f];
	if (p->state[f] == CPRO_HOT)
		p->nhot--;
	else
		p->ncold--;
	if (keep && k != PAGE_KEY_NONE) {
		uint32_t old = s3ghost_node(&p->nonres, k);
		if (old != S3GHOST_NIL)   /* two frames had one key (copy-on-write) */
			cpro_drop_nonres(p, p->n + old);
		s3ghost_push(&p->nonres, k);
		uint32_t x = p->n + s3ghost_node(&p->nonres, k);
		p->state[x] = CPRO_NONRES;
		p->test[x] = 1;
		cpro_replace(p, f, x);
		p->nnonres++;
	} else {
		cpro_unlink(p, f);
	}
	p->state[f] = CPRO_FREE;
	p->test[f] = 0;
}

static policy_shadow_t cpro_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	cpro_t *p = state;
	if (p->state[f] != CPRO_FREE)   /* not already taken out by pick_victim */
		cpro_leave(p, f, false);
	if (p->fresh == f)
		p->fresh = FRAME_NONE;
	if (p->last == f)
		p->last = FRAME_NONE;
	return 0;
}

static void cpro_on_forget(void *state, page_key_t key)
{
	cpro_t *p = state;
	uint32_t node = s3ghost_node(&p->nonres, key);
	if (node != S3GHOST_NIL)
		cpro_drop_nonres(p, p->n + node);
}

/* HANDcold.  Each accessed cold page passed is cleared and moved to the
 * head; one that turns hot may make HANDhot turn a hot page cold, so the
 * search ends within a few laps. */
static frame_id_t cpro_pick_victim(void *state, const policy_page_t *incoming)
{
	cpro_t *p = state;
	if (p->last != FRAME_NONE)
		return p->last;   /* returned before, and the machine could not evict it */
	cpro_settle(p);
	for (;;) {
		if (p->ncold == 0)
			cpro_run_hot(p);
		uint32_t x = p->cold_hand;
		assert(x != CPRO_NIL);
		p->cold_hand = p->next[x];
		if (p->state[x] != CPRO_COLD)
			continue;
		if (!policy_test_and_clear_young(p->hw, x)) {
			bool in_test = p->test[x];
			cpro_leave(p, x, in_test);
			while (p->nnonres > p->n)
				cpro_run_test(p);
			/* stop at the next resident cold page */
			while (p->ncold && p->state[p->cold_hand] != CPRO_COLD)
				p->cold_hand = p->next[p->cold_hand];
			p->last = x;
			return x;
		}
		cpro_unlink(p, x);
		if (p->test[x]) {
			p->state[x] = CPRO_HOT;
			p->test[x] = 0;
			p->ncold--;
			p->nhot++;
			cpro_mc_up(p);
			cpro_insert_head(p, x);
			cpro_balance_hot(p);
		} else {
			p->test[x] = 1;
			cpro_insert_head(p, x);
		}
	}
}

/* HANDcold takes only resident cold pages (HANDhot turns a hot page cold
 * first when there is none): every victim is "cold". */
static const char *cpro_victim_list(void *state)
{
	return "cold";
}

/* The resident pages round the clock from HANDcold (the one the machine
 * could not evict first, if any): the order HANDcold meets them. */
static size_t cpro_order(void *state, frame_id_t *out, size_t max)
{
	const cpro_t *p = state;
	size_t n = 0;
	if (p->last != FRAME_NONE && n++ < max)
		out[n - 1] = p->last;
	uint32_t x = p->cold_hand;
	for (uint32_t i = 0; x != CPRO_NIL && i < 2 * p->n + 1; i++) {
		if (x < p->n && (p->state[x] == CPRO_HOT || p->state[x] == CPRO_COLD) && n++ < max)
			out[n - 1] = x;
		x = p->next[x];
		if (x == p->cold_hand)
			break;
	}
	return n;
}

/* hot or cold, "test" in its test period, and the accessed bit as the
 * policy will see it (the fault's own bit of the page filled last is
 * forgotten at the next fault: 0). */
static int cpro_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const cpro_t *p = state;
	snprintf(buf, len, "%s%s,a=%d", p->state[f] == CPRO_HOT ? "hot" : "cold",
		 p->test[f] ? ",test" : "", f != p->fresh && policy_young(p->hw, f));
	return 0;
}

const policy_ops_t policy_clockpro = {
	.version = POLICY_VERSION,
	.name = "clock-pro",
	.summary = "CLOCK-Pro: one clock of hot, cold and non-resident cold pages with test periods; adaptive cold share",
	.paper = "Jiang, Chen & Zhang, CLOCK-Pro, USENIX ATC 2005, section 3",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = 0,
	.create = cpro_create,
	.destroy = cpro_destroy,
	.on_fill = cpro_on_fill,
	.on_access = NULL,
	.on_evict = cpro_on_evict,
	.pick_victim = cpro_pick_victim,
	.on_forget = cpro_on_forget,
	.victim_list = cpro_victim_list,
	.order = cpro_order,
	.note = cpro_note,
	.order_first = "HANDcold",
	.order_last = "behind",
};
