/* mglru.c - Linux's multi-generational LRU reduced to its policy (prefix
 * mglru_): Documentation/admin-guide/mm/multigen_lru.rst and
 * Documentation/mm/multigen_lru.rst (design), mm/vmscan.c (lru_gen_*:
 * lru_gen_add_folio, try_to_inc_max_seq, inc_max_seq, inc_min_seq,
 * try_to_inc_min_seq, should_run_aging, scan_folios, sort_folio,
 * get_tier_idx, read_ctrl_pos, positive_ctrl_err, reset_ctrl_pos) and
 * mm/workingset.c (lru_gen_eviction, lru_gen_test_recent, lru_gen_refault).
 *
 * Generations.  Resident pages are in generations numbered by sequence,
 * min_seq (oldest) .. max_seq (youngest); there are MIN_NR_GENS = 2 to
 * MAX_NR_GENS = 4 of them, starting as min_seq 0, max_seq 3
 * (lru_gen_init_lruvec).  Generation seq lives in list seq % MAX_NR_GENS
 * (lru_gen_from_seq; "gen N" below is that index), each list newest at the
 * head, scanned from the tail.  A page faulted in goes to the head of the
 * youngest generation (folio_add_lru sets active for a folio added in a
 * fault, lru_gen_add_folio puts active folios at max_seq).
 *
 * Aging (try_to_inc_max_seq, walk_mm) runs before an eviction when
 * should_run_aging says so: only MIN_NR_GENS generations are left
 * (scan_folios refuses to evict then; this is checked again after every
 * step), or, once per pick, exactly MIN_NR_GENS + 1 are left and the
 * youngest holds more than 1/MIN_NR_GENS of the resident pages or the
 * oldest fewer than 1/(MIN_NR_GENS + 2).  Aging tests and clears
 * every resident page's accessed bit
 * (policy_test_and_clear_young), generations oldest first, each from its
 * tail; a young page moves to the head of the youngest generation
 * (folio_update_gen to max_seq).  Then inc_max_seq: if there are already
 * MAX_NR_GENS generations the oldest is folded into the next (inc_min_seq),
 * and max_seq + 1 opens a new, empty youngest generation.
 *
 * Eviction (evict_folios, one page per pick_victim): the oldest
 * generation's tail page is sorted (sort_folio) and checked
 * (folio_check_references with lru_gen_set_refs):
 *   - an empty oldest generation is retired (try_to_inc_min_seq) while
 *     more than MIN_NR_GENS remain (then aging is considered, above);
 *   - protected by its tier (tier > tier_idx of the PID controller, below):
 *     to the head of generation min_seq + 1 (folio_inc_gen), counted in
 *     protected[tier];
 *   - accessed (bit tested and cleared): the first time its referenced
 *     flag is set, the next time also its workingset flag; either way it
 *     moves to the head of the youngest generation (rejected folios are not
 *     put back in the oldest generation);
 *   - else the victim, from "gen N" (its list) for --events.
 *
 * Tiers and refaults (mm/workingset.c).  A page's tier is
 * order_base_2(refs + workingset) (lru_tier_from_refs), refs counting
 * accesses through file descriptors, which vmlab does not have: refs is 1,
 * so tier 0 is a page without the workingset flag and tier 1 one with it.
 * An evicted page's shadow is 1 + its token, the token being min_seq at
 * eviction shifted left by one with the workingset flag in bit 0 (Linux:
 * (min_seq << LRU_REFS_WIDTH | refs - 1) packed with workingset); the
 * eviction is counted in evicted[tier].  A page faulted in with a shadow is
 * a recent refault when max_seq differs from the token's min_seq by less
 * than MAX_NR_GENS (lru_gen_test_recent): it is counted in refaulted[tier]
 * and gets its workingset flag back.
 *
 * The PID controller (get_tier_idx): tier 0 is the set point, with gain 2
 * (read_ctrl_pos(tier 0, gain 2)); for tier = 1, 2, 3 in turn, with gain 3,
 * while positive_ctrl_err holds (pv.refaulted < MIN_LRU_BATCH = 64, or
 * pv.refaulted * (sp.total + 64) * sp.gain <= (sp.refaulted + 1) * pv.total
 * * pv.gain) the next tier is tried; tier_idx is the last tier tried minus
 * one, and tiers above tier_idx are protected.  refaulted and total
 * (protected + evicted) of a tier are the counts since min_seq last moved
 * plus their running average (avg = (avg + current) / 2 each time min_seq
 * moves, then the current counts restart).  Because of MIN_LRU_BATCH a tier
 * is protected only after 64 recent refaults of it.
 *
 * Simplifications, each where the kernel's rule needs what vmlab does not
 * model:
 *   - One set of generations for anonymous and file pages together: Linux
 *     keeps min_seq and the counters per type and picks the type to evict
 *     (get_type_to_scan, swappiness); so --swappiness does not apply.
 *   - One page at a time (no batches of MIN_LRU_BATCH, no nr_to_scan, no
 *     priority); aging is a scan of every resident page instead of a walk
 *     of page tables and Bloom filters, and there is no look-around
 *     (lru_gen_look_around) or min_ttl.
 *   - refs is always 1 (no access through file descriptors, PG_referenced
 *     of mark_page_accessed); tiers are therefore 0 and 1.
 *   - One history slot of the controller's counts instead of NR_HIST_GENS
 *     = 2 (the average carries the past).
 *   - Pages of the generation folded by inc_min_seq keep their order, at
 *     the tail of the next generation.
 *   - Protection by tier is bounded: one pick protects at most nframes
 *     pages, then evicts as if no tier were protected (so a pick always
 *     ends even when every page is in a protected tier).
 *   - A dirty page is written back when it is evicted (no PG_reclaim
 *     rotation); no memory cgroups, one node, no zones; released pages
 *     (unmap, exit) leave no shadow.
 * Uses only hardware bits: there is no on_access. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flist.h"
#include "policy.h"

#define MGLRU_MAX_GENS 4       /* MAX_NR_GENS */
#define MGLRU_MIN_GENS 2       /* MIN_NR_GENS */
#define MGLRU_TIERS 4          /* MAX_NR_TIERS */
#define MGLRU_MIN_BATCH 64     /* MIN_LRU_BATCH (BITS_PER_LONG) */

typedef struct mglru_frame {
	flist_link_t link;     /* in its generation's list, newest at the head */
	uint64_t seq;          /* its generation */
	uint8_t resident;
	uint8_t referenced;    /* PG_referenced: seen accessed once at eviction */
	uint8_t workingset;    /* PG_workingset: seen accessed twice, or restored */
} mglru_frame_t;

typedef struct mglru {
	mglru_frame_t *fr;     /* env->frame_priv */
	policy_hw_t hw;
	uint32_t nframes;
	uint64_t min_seq, max_seq;
	flist_t gen[MGLRU_MAX_GENS];
	uint64_t nr[MGLRU_MAX_GENS];   /* pages in each list */
	uint64_t refaulted[MGLRU_TIERS], evicted[MGLRU_TIERS], protected_[MGLRU_TIERS];
	uint64_t avg_refaulted[MGLRU_TIERS], avg_total[MGLRU_TIERS];
	const char *victim_from;
} mglru_t;

static const char *const mglru_gen_name[MGLRU_MAX_GENS] = { "gen 0", "gen 1", "gen 2", "gen 3" };

static void *mglru_create(const policy_env_t *env)
{
	mglru_t *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fr = env->frame_priv;
	s->hw = env->hw;
	s->nframes = env->nframes;
	s->min_seq = 0;
	s->max_seq = MGLRU_MIN_GENS + 1;
	for (int g = 0; g < MGLRU_MAX_GENS; g++)
		flist_init(&s->gen[g], s->fr, sizeof *s->fr, offsetof(mglru_frame_t, link));
	return s;
}

static void mglru_destroy(void *state)
{
	free(state);
}

/* The list of generation seq (lru_gen_from_seq). */
static flist_t *mglru_list(mglru_t *s, uint64_t seq)
{
	return &s->gen[seq % MGLRU_MAX_GENS];
}

/* lru_tier_from_refs with refs = 1. */
static unsigned mglru_tier(const mglru_frame_t *x)
{
	return x->workingset ? 1 : 0;
}

/* Frame f (in no list) to the head of generation seq. */
static void mglru_add(mglru_t *s, frame_id_t f, uint64_t seq)
{
	s->fr[f].seq = seq;
	flist_push_head(mglru_list(s, seq), f);
	s->nr[seq % MGLRU_MAX_GENS]++;
}

/* Frame f out of its generation's list. */
static void mglru_del(mglru_t *s, frame_id_t f)
{
	flist_unlink(mglru_list(s, s->fr[f].seq), f);
	s->nr[s->fr[f].seq % MGLRU_MAX_GENS]--;
}

/* reset_ctrl_pos(carryover) with one history slot: the counts since
 * min_seq last moved go into the averages and restart. */
static void mglru_reset_ctrl(mglru_t *s)
{
	for (int t = 0; t < MGLRU_TIERS; t++) {
		s->avg_refaulted[t] = (s->avg_refaulted[t] + s->refaulted[t]) / 2;
		s->avg_total[t] = (s->avg_total[t] + s->protected_[t] + s->evicted[t]) / 2;
		s->refaulted[t] = s->evicted[t] = s->protected_[t] = 0;
	}
}

/* inc_min_seq: the oldest generation's pages go, in order, to the tail of
 * the next one, and min_seq moves on. */
static void mglru_inc_min_seq(mglru_t *s)
{
	flist_t *old = mglru_list(s, s->min_seq), *next = mglru_list(s, s->min_seq + 1);
	while (old->head != FRAME_NONE) {
		frame_id_t f = old->head;
		flist_unlink(old, f);
		/* push at the tail: the page stays older than the next's pages */
		flist_link_t *e = flist_link(next, f);
		e->next = FRAME_NONE;
		e->prev = next->tail;
		if (next->tail != FRAME_NONE)
			flist_link(next, next->tail)->next = f;
		else
			next->head = f;
		next->tail = f;
		s->fr[f].seq = s->min_seq + 1;
	}
	s->nr[(s->min_seq + 1) % MGLRU_MAX_GENS] += s->nr[s->min_seq % MGLRU_MAX_GENS];
	s->nr[s->min_seq % MGLRU_MAX_GENS] = 0;
	mglru_reset_ctrl(s);
	s->min_seq++;
}

/* try_to_inc_max_seq: test and clear every resident page's accessed bit,
 * young pages to the head of the youngest generation; then a new youngest
 * generation (folding the oldest first when there are MAX_NR_GENS). */
static void mglru_age(mglru_t *s)
{
	for (uint64_t seq = s->min_seq; seq <= s->max_seq; seq++) {
		flist_t *l = mglru_list(s, seq);
		frame_id_t f = l->tail;
		while (f != FRAME_NONE) {
			frame_id_t newer = flist_link(l, f)->prev;
			if (policy_test_and_clear_young(s->hw, f) && seq != s->max_seq) {
				mglru_del(s, f);
				mglru_add(s, f, s->max_seq);
			}
			f = newer;
		}
	}
	if (s->max_seq - s->min_seq + 1 >= MGLRU_MAX_GENS)
		mglru_inc_min_seq(s);
	s->max_seq++;
}

typedef struct mglru_ctrl {
	uint64_t refaulted, total, gain;
} mglru_ctrl_t;

/* read_ctrl_pos for one tier. */
static mglru_ctrl_t mglru_ctrl_pos(const mglru_t *s, unsigned tier, uint64_t gain)
{
	return (mglru_ctrl_t){
		.refaulted = s->avg_refaulted[tier] + s->refaulted[tier],
		.total = s->avg_total[tier] + s->protected_[tier] + s->evicted[tier],
		.gain = gain,
	};
}

/* positive_ctrl_err: pv refaults little, or less than sp in proportion. */
static bool mglru_positive(const mglru_ctrl_t *sp, const mglru_ctrl_t *pv)
{
	return pv->refaulted < MGLRU_MIN_BATCH ||
	       pv->refaulted * (sp->total + MGLRU_MIN_BATCH) * sp->gain <=
		       (sp->refaulted + 1) * pv->total * pv->gain;
}

/* get_tier_idx: tiers above it are protected. */
static unsigned mglru_tier_idx(const mglru_t *s)
{
	mglru_ctrl_t sp = mglru_ctrl_pos(s, 0, 2);
	unsigned tier;
	for (tier = 1; tier < MGLRU_TIERS; tier++) {
		mglru_ctrl_t pv = mglru_ctrl_pos(s, tier, 3);
		if (!mglru_positive(&sp, &pv))
			break;
	}
	return tier - 1;
}

/* A page comes in at the head of the youngest generation; a recent
 * refault is counted in its tier and gets its workingset flag back. */
static void mglru_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	mglru_t *s = state;
	mglru_frame_t *x = &s->fr[f];
	assert(!x->resident);
	*x = (mglru_frame_t){ .resident = 1 };
	if (pg->shadow) {
		uint64_t token = pg->shadow - 1, seq = token >> 1;
		uint64_t d = s->max_seq > seq ? s->max_seq - seq : seq - s->max_seq;
		if (d < MGLRU_MAX_GENS) {
			x->workingset = (uint8_t)(token & 1);
			s->refaulted[mglru_tier(x)]++;
		}
	}
	mglru_add(s, f, s->max_seq);
}

/* A reclaimed page's shadow: min_seq and its workingset flag. */
static policy_shadow_t mglru_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	mglru_t *s = state;
	mglru_frame_t *x = &s->fr[f];
	assert(x->resident);
	mglru_del(s, f);
	x->resident = 0;
	if (why != POLICY_RECLAIM)
		return 0;
	s->evicted[mglru_tier(x)]++;
	return 1 + (s->min_seq << 1 | x->workingset);
}

/* should_run_aging: no cold pages left (only MIN_NR_GENS generations), or
 * exactly MIN_NR_GENS + 1 with too many young pages (the youngest
 * generation over 1/MIN_NR_GENS of all) or too few old ones (the oldest
 * under 1/(MIN_NR_GENS + 2)). */
static bool mglru_should_age(const mglru_t *s)
{
	uint64_t gens = s->max_seq - s->min_seq + 1;
	if (gens <= MGLRU_MIN_GENS)
		return true;
	if (gens > MGLRU_MIN_GENS + 1)
		return false;
	uint64_t total = 0;
	for (int g = 0; g < MGLRU_MAX_GENS; g++)
		total += s->nr[g];
	uint64_t young = s->nr[s->max_seq % MGLRU_MAX_GENS], old = s->nr[s->min_seq % MGLRU_MAX_GENS];
	return young * MGLRU_MIN_GENS > total || old * (MGLRU_MIN_GENS + 2) < total;
}

/* Each page is protected at most once in all (the budget), and moved to
 * the youngest generation at most once (its bit is cleared), before the
 * oldest generation's tail must be a victim; aging clears every bit. */
static frame_id_t mglru_pick_victim(void *state, const policy_page_t *incoming)
{
	mglru_t *s = state;
	uint64_t budget = s->nframes;
	bool aged = false;
	for (;;) {
		while (s->max_seq - s->min_seq + 1 > MGLRU_MIN_GENS &&
		       mglru_list(s, s->min_seq)->tail == FRAME_NONE)
			mglru_inc_min_seq(s);
		/* aging once per pick unless no cold page is left at all */
		if (s->max_seq - s->min_seq + 1 <= MGLRU_MIN_GENS || (!aged && mglru_should_age(s))) {
			mglru_age(s);
			aged = true;
			continue;
		}
		frame_id_t f = mglru_list(s, s->min_seq)->tail;
		mglru_frame_t *x = &s->fr[f];
		unsigned tier = mglru_tier(x);
		if (budget && tier > mglru_tier_idx(s)) {
			budget--;
			s->protected_[tier]++;
			mglru_del(s, f);
			mglru_add(s, f, s->min_seq + 1);
			continue;
		}
		if (policy_test_and_clear_young(s->hw, f)) {
			if (x->referenced)
				x->workingset = 1;
			x->referenced = 1;
			mglru_del(s, f);
			mglru_add(s, f, s->max_seq);
			continue;
		}
		s->victim_from = mglru_gen_name[s->min_seq % MGLRU_MAX_GENS];
		return f;
	}
}

static const char *mglru_victim_list(void *state)
{
	return ((mglru_t *)state)->victim_from;
}

/* The generations from the oldest, each from its tail: the order eviction
 * meets the pages (aging and references may move them). */
static size_t mglru_order(void *state, frame_id_t *out, size_t max)
{
	mglru_t *s = state;
	size_t n = 0;
	for (uint64_t seq = s->min_seq; seq <= s->max_seq; seq++)
		n = flist_append_from_tail(mglru_list(s, seq), out, max, n);
	return n;
}

/* The page's generation (its list), its accessed bit, and R / W for its
 * referenced and workingset flags. */
static int mglru_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const mglru_t *s = state;
	const mglru_frame_t *x = &s->fr[f];
	snprintf(buf, len, "g%u,a=%d%s%s", (unsigned)(x->seq % MGLRU_MAX_GENS),
		 policy_young(s->hw, f), x->referenced ? ",R" : "", x->workingset ? ",W" : "");
	return 0;
}

const policy_ops_t policy_mglru = {
	.version = POLICY_VERSION,
	.name = "mglru",
	.summary = "Linux's multi-gen LRU reduced: 4 generations, aging by accessed bits, eviction from the oldest, tiers by refault; simplified: one set of generations for anon and file (no swappiness), one page at a time, aging scans every resident page, refs 1 (tiers 0-1), one history slot (all in src/policy/mglru.c)",
	.paper = "Linux 6.x Documentation/admin-guide/mm/multigen_lru.rst, mm/vmscan.c (lru_gen_*, sort_folio, get_tier_idx) and mm/workingset.c (lru_gen_eviction, lru_gen_refault)",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(mglru_frame_t),
	.create = mglru_create,
	.destroy = mglru_destroy,
	.on_fill = mglru_on_fill,
	.on_access = NULL,
	.on_evict = mglru_on_evict,
	.pick_victim = mglru_pick_victim,
	.victim_list = mglru_victim_list,
	.order = mglru_order,
	.note = mglru_note,
	.order_first = "oldest gen",
	.order_last = "youngest",
};
