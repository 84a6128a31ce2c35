/* linux.c - Linux's page reclaim as of the 6.x kernels without MGLRU
 * (prefix lx_): mm/vmscan.c's two LRU lists per type and mm/workingset.c's
 * refault distance.
 *
 * Four lists of resident pages, each newest at the head (flist.h): inactive
 * anon, active anon, inactive file, active file.  A page comes in on the
 * inactive list of its type (folio_add_lru; anonymous pages too, as since
 * 5.9), unless it refaults within the working set (below).
 *
 * A victim is looked for as shrink_lruvec does, one page at a time:
 *   1. The type to scan, as get_scan_count weighs it: only file pages when
 *      swappiness is 0 and file pages remain, only anonymous ones when it is
 *      200 (or no file pages remain), else each type in proportion to its
 *      resident pages times swappiness (anon) or 200 - swappiness (file),
 *      the fraction[] of SCAN_FRACT with no recorded I/O cost, chosen by a
 *      smooth weighted round robin (ties to anon, the first LRU scanned).
 *   2. While that type's inactive list is low (inactive_is_low: inactive *
 *      ratio < active, ratio = int_sqrt(10 * GB of the type's pages), 1
 *      below 1 GB), the tail of its active list is deactivated
 *      (shrink_active_list): its accessed bits are cleared
 *      (folio_referenced) and it goes to the head of the inactive list.
 *   3. The tail of the inactive list is checked as folio_check_references
 *      does: its accessed bits tested and cleared
 *      (policy_test_and_clear_young) and its referenced flag (PG_referenced)
 *      tested and cleared.  Accessed and referenced: activated (head of the
 *      active list).  Accessed only: the flag is set and the page kept (head
 *      of the inactive list: every page starts accessed by the fault that
 *      brought it in, so it takes a second reference seen at a later scan to
 *      activate).  Not accessed: the victim.  Steps 2-3 repeat until a victim
 *      is found; it is always on an inactive list ("inactive anon" or
 *      "inactive file" for --events).
 *
 * Refault distance (mm/workingset.c): a clock, nonresident_age, counts
 * evictions and activations (workingset_eviction; workingset_age_nonresident
 * from move_folios_to_lru and workingset_refault).  An evicted page's shadow
 * is the clock at its eviction (plus 1: 0 means none).  When it is faulted
 * in again, the distance is the clock now minus its shadow
 * (workingset_test_recent): the pages that left or were promoted since.  If
 * it is at most the working set it competes with - active file plus, for an
 * anonymous page, inactive file, and with swap also active anon plus, for a
 * file page, inactive anon - the page would have stayed had the inactive
 * list been that much larger: it goes to the active list at once and
 * the clock ages.  In trace mode, with only anonymous pages, that is the
 * active list's size.
 *
 * Counters: activations (pages put on an active list, by a scan or by a
 * refault: PGACTIVATE plus WORKINGSET_ACTIVATE) and deactivations
 * (PGDEACTIVATE).
 *
 * Simplifications (each where the kernel's rule needs what vmlab does not
 * model):
 *   - One page at a time, not batches of SWAP_CLUSTER_MAX scanned by
 *     priority; deactivation keeps the ratio exactly instead of scanning
 *     nr_to_scan active pages; only the scanned type is rebalanced (no
 *     separate aging of anon when only file is scanned).
 *   - get_scan_count's cost model (lru_note_cost of I/O and rotations,
 *     refault costs) is left out, and so are SCAN_EQUAL near OOM,
 *     file_is_tiny and cache_trim_mode; swap is taken to be available (the
 *     policy is not told when it is full).
 *   - inactive_is_low counts GB as with 4 KiB pages (the policy is not told
 *     the page size), so the ratio is 1 below 262,144 pages of a type.
 *   - folio_referenced reports whether any mapping was accessed, not how
 *     many: a page accessed through two mappings at once needs a second
 *     scan like any other.  VM_EXEC file pages get no special treatment
 *     (folio_check_references activates them after one use, and
 *     shrink_active_list rotates them).
 *   - A dirty page is written back when it is evicted, synchronously: no
 *     PG_reclaim rotation while under write-back, and dirty file pages are
 *     reclaimed from direct reclaim too.
 *   - No memory cgroups, one node; the eviction clock is exact (no
 *     bucket_order); PG_workingset and its pressure accounting are left out.
 *
 * Uses only hardware bits: there is no on_access. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "flist.h"
#include "policy.h"

enum { LX_ANON = 0, LX_FILE = 1 };
#define LX_LRU(type, active) ((type) * 2 + (active))
#define LX_NONE 0xff

typedef struct lx_frame {
	flist_link_t link;
	uint8_t lru;           /* LX_LRU(type, active), LX_NONE when not resident */
	uint8_t referenced;    /* PG_referenced */
} lx_frame_t;

typedef struct lx {
	lx_frame_t *fr;        /* env->frame_priv */
	policy_hw_t hw;
	uint32_t nframes;
	unsigned swappiness;
	flist_t lru[4];        /* by LX_LRU: head newest, tail scanned first */
	uint64_t size[4];
	uint64_t age;          /* nonresident_age: evictions and activations */
	int64_t credit[2];     /* the round robin between anon and file */
	const char *victim_from;
	uint64_t activations, deactivations;
} lx_t;

/* What folio_check_references decides. */
typedef enum lx_ref { LX_RECLAIM, LX_KEEP, LX_ACTIVATE } lx_ref_t;

static void *lx_create(const policy_env_t *env)
{
	lx_t *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->fr = env->frame_priv;
	s->hw = env->hw;
	s->nframes = env->nframes;
	s->swappiness = env->swappiness > 200 ? 200 : env->swappiness;
	for (int i = 0; i < 4; i++)
		flist_init(&s->lru[i], s->fr, sizeof *s->fr, offsetof(lx_frame_t, link));
	for (uint32_t f = 0; f < env->nframes; f++)
		s->fr[f].lru = LX_NONE;
	return s;
}

static void lx_destroy(void *state)
{
	free(state);
}

/* Put frame f at the head of list lru. */
static void lx_add(lx_t *s, frame_id_t f, unsigned lru)
{
	s->fr[f].lru = (uint8_t)lru;
	flist_push_head(&s->lru[lru], f);
	s->size[lru]++;
}

/* Take frame f off its list. */
static void lx_del(lx_t *s, frame_id_t f)
{
	unsigned lru = s->fr[f].lru;
	assert(lru < 4);
	flist_unlink(&s->lru[lru], f);
	s->size[lru]--;
	s->fr[f].lru = LX_NONE;
}

/* Frame f onto the active list of its type: an activation, which ages the
 * non-resident clock (workingset_age_nonresident). */
static void lx_activate(lx_t *s, frame_id_t f, unsigned type)
{
	lx_add(s, f, LX_LRU(type, 1));
	s->activations++;
	s->age++;
}

static uint64_t lx_isqrt(uint64_t x)
{
	uint64_t r = 0;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* inactive_is_low: the inactive list of type is too small for its active
 * list (gb as with 4 KiB pages). */
static int lx_inactive_is_low(const lx_t *s, unsigned type)
{
	uint64_t inactive = s->size[LX_LRU(type, 0)], active = s->size[LX_LRU(type, 1)];
	uint64_t gb = (inactive + active) >> (30 - 12);
	uint64_t ratio = gb ? lx_isqrt(10 * gb) : 1;
	return inactive * ratio < active;
}

/* shrink_active_list for one page: the tail of type's active list loses
 * its accessed bits and goes to the head of the inactive list (keeping its
 * referenced flag, so that a page used again is soon recovered). */
static void lx_deactivate(lx_t *s, unsigned type)
{
	frame_id_t f = s->lru[LX_LRU(type, 1)].tail;
	assert(f != FRAME_NONE);
	(void)policy_test_and_clear_young(s->hw, f);
	lx_del(s, f);
	lx_add(s, f, LX_LRU(type, 0));
	s->deactivations++;
}

/* folio_check_references for frame f on an inactive list. */
static lx_ref_t lx_check_references(lx_t *s, frame_id_t f)
{
	bool ptes = policy_test_and_clear_young(s->hw, f);
	bool flag = s->fr[f].referenced;
	s->fr[f].referenced = 0;
	if (!ptes)
		return LX_RECLAIM;
	s->fr[f].referenced = 1;
	return flag ? LX_ACTIVATE : LX_KEEP;
}

/* Resident pages of type. */
static uint64_t lx_pages(const lx_t *s, unsigned type)
{
	return s->size[LX_LRU(type, 0)] + s->size[LX_LRU(type, 1)];
}

/* get_scan_count reduced to one choice: the type to take the next victim
 * from (at least one page is resident). */
static unsigned lx_scan_type(lx_t *s)
{
	uint64_t anon = lx_pages(s, LX_ANON), file = lx_pages(s, LX_FILE);
	if (!file)
		return LX_ANON;
	if (!anon)
		return LX_FILE;
	int64_t wa = (int64_t)(anon * s->swappiness), wf = (int64_t)(file * (200 - s->swappiness));
	if (!wa)
		return LX_FILE;
	if (!wf)
		return LX_ANON;
	s->credit[LX_ANON] += wa;
	s->credit[LX_FILE] += wf;
	unsigned t = s->credit[LX_ANON] >= s->credit[LX_FILE] ? LX_ANON : LX_FILE;
	s->credit[t] -= wa + wf;
	return t;
}

/* A page that returns is placed by its refault distance. */
static void lx_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	lx_t *s = state;
	unsigned type = pg->file ? LX_FILE : LX_ANON;
	assert(s->fr[f].lru == LX_NONE);
	s->fr[f].referenced = 0;
	if (pg->shadow) {
		uint64_t distance = s->age - (pg->shadow - 1);
		uint64_t ws = s->size[LX_LRU(LX_FILE, 1)] + s->size[LX_LRU(LX_ANON, 1)] +
			      (type == LX_ANON ? s->size[LX_LRU(LX_FILE, 0)] : s->size[LX_LRU(LX_ANON, 0)]);
		if (distance <= ws) {
			lx_activate(s, f, type);
			return;
		}
	}
	lx_add(s, f, LX_LRU(type, 0));
}

/* A reclaimed page's shadow is the clock at its eviction, which then
 * ages; a released one leaves none. */
static policy_shadow_t lx_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	lx_t *s = state;
	lx_del(s, f);
	if (why != POLICY_RECLAIM)
		return 0;
	return ++s->age;
}

/* Each frame is kept at most once, activated at most once and deactivated
 * at most once (each clears its accessed bits) before a check finds it
 * unaccessed: at most 3 * nframes + 1 steps. */
static frame_id_t lx_pick_victim(void *state, const policy_page_t *incoming)
{
	lx_t *s = state;
	unsigned type = lx_scan_type(s);
	for (uint64_t step = 0; step <= 3ull * s->nframes + 1; step++) {
		if (!lx_pages(s, type))
			type ^= 1;
		while (lx_inactive_is_low(s, type))
			lx_deactivate(s, type);
		frame_id_t f = s->lru[LX_LRU(type, 0)].tail;
		assert(f != FRAME_NONE);
		lx_del(s, f);
		switch (lx_check_references(s, f)) {
		case LX_ACTIVATE:
			lx_activate(s, f, type);
			break;
		case LX_KEEP:
			lx_add(s, f, LX_LRU(type, 0));
			break;
		case LX_RECLAIM:
			lx_add(s, f, LX_LRU(type, 0)); /* on_evict takes it off */
			s->victim_from = type == LX_FILE ? "inactive file" : "inactive anon";
			return f;
		}
	}
	assert(!"linux: no victim");
	return 0;
}

static const char *lx_victim_list(void *state)
{
	return ((lx_t *)state)->victim_from;
}

/* The inactive lists from their tails (the victims come from there), anon
 * then file, then the active lists likewise (deactivation takes their
 * tails): which type goes first is get_scan_count's choice. */
static size_t lx_order(void *state, frame_id_t *out, size_t max)
{
	const lx_t *s = state;
	static const unsigned seq[4] = { LX_LRU(LX_ANON, 0), LX_LRU(LX_FILE, 0),
					 LX_LRU(LX_ANON, 1), LX_LRU(LX_FILE, 1) };
	size_t n = 0;
	for (int i = 0; i < 4; i++)
		n = flist_append_from_tail(&s->lru[seq[i]], out, max, n);
	return n;
}

/* The page's list (IA, AA, IF, AF: inactive/active anon/file), its
 * referenced flag R and its accessed bit a. */
static int lx_note(void *state, frame_id_t f, char *buf, size_t len)
{
	const lx_t *s = state;
	static const char *const name[4] = { "IA", "AA", "IF", "AF" };
	snprintf(buf, len, "%s,R=%d,a=%d", name[s->fr[f].lru & 3], s->fr[f].referenced,
		 policy_young(s->hw, f));
	return 0;
}

static size_t lx_counters(void *state, const char **names, uint64_t *values, size_t max)
{
	const lx_t *s = state;
	size_t n = 0;
	if (n < max) {
		names[n] = "activations";
		values[n++] = s->activations;
	}
	if (n < max) {
		names[n] = "deactivations";
		values[n++] = s->deactivations;
	}
	return n;
}

const policy_ops_t policy_linux = {
	.version = POLICY_VERSION,
	.name = "linux",
	.summary = "Linux 6.x without MGLRU: inactive/active lists per type, second reference at scan time, refault distance, swappiness",
	.paper = "Linux 6.x mm/vmscan.c (shrink_lruvec, get_scan_count, inactive_is_low, folio_check_references, shrink_active_list) and mm/workingset.c (workingset_eviction, workingset_test_recent)",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(lx_frame_t),
	.create = lx_create,
	.destroy = lx_destroy,
	.on_fill = lx_on_fill,
	.on_access = NULL,
	.on_evict = lx_on_evict,
	.pick_victim = lx_pick_victim,
	.victim_list = lx_victim_list,
	.counters = lx_counters,
	.order = lx_order,
	.note = lx_note,
	.order_first = "inactive tails",
	.order_last = "active heads",
};
