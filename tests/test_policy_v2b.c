/* test_policy_v2b.c - sieve, sieve-hw, s3fifo, clock-pro, aging, nru and
 * wsclock, run
 * as a user runs them: `vmlab run --format pages --tlb 0 --policy P
 * --frames F [--tick N] [--tau N]` on textbook strings and on strings built
 * to show each policy's point; plus S3-FIFO's ghost queue (s3ghost.h)
 * against a plain model, and the --tick / --tau options.
 *
 * Every expected count was worked out by hand; the working is written out
 * for at least one string per policy.  Conventions: "m"/"h" a miss or hit;
 * a queue is written tail (oldest) first; p* is page p with its visited
 * (SIEVE) or accessed (hardware) bit set; fN is frame N; references are
 * counted from 1 (r1, r2, ...) and sequence numbers from 0 (seq0, ...).
 * The machine gives frames lowest first, so a victim's frame is refilled;
 * the retried faulting access sets the page's accessed bit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "policy/policy.h"
#include "policy/s3ghost.h"

#define V2_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char BELADY[] = "1 2 3 4 1 2 5 1 2 3 4 5";
static const char SILBERSCHATZ[] = "7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1";
/* A loop over 6 pages, three times: one page more than 5 frames. */
static const char LOOP6[] = "1 2 3 4 5 6 1 2 3 4 5 6 1 2 3 4 5 6";
/* A hot set of 5 pages used three times, a scan of 15 new pages, the hot
 * set again: with 10 frames LRU loses the hot set to the scan. */
static const char SCAN[] = "1 2 3 4 5 1 2 3 4 5 1 2 3 4 5 "
			   "6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 1 2 3 4 5";

static cmd_out_t v2_out;

/* `key` of the JSON of one run of string s. */
static unsigned long long v2_run(const char *policy, unsigned frames, const char *extra,
				 const char *s, const char *key)
{
	run(&v2_out, "printf '%%s\\n' '%s' | %s run --format pages --tlb 0 --policy %s --frames %u %s --json -",
	    s, vmlab(), policy, frames, extra);
	cr_assert_eq(v2_out.status, 0, "%s %u frames: %s", policy, frames, v2_out.err);
	return json_u(v2_out.out, key);
}

static unsigned long long v2_faults(const char *policy, unsigned frames, const char *extra,
				    const char *s)
{
	return v2_run(policy, frames, extra, s, "page_faults");
}

/* Expected faults with 1..5 frames. */
typedef struct v2_row {
	const char *policy;
	const char *extra;
	unsigned long long faults[5];
} v2_row_t;

static void v2_table(const char *what, const char *s, const v2_row_t *rows, size_t n)
{
	for (size_t r = 0; r < n; r++)
		for (unsigned f = 1; f <= 5; f++) {
			unsigned long long got = v2_faults(rows[r].policy, f, rows[r].extra, s);
			cr_expect_eq(got, rows[r].faults[f - 1], "%s, %s %s, %u frames: %llu faults, expected %llu",
				     what, rows[r].policy, rows[r].extra, f, got, rows[r].faults[f - 1]);
		}
}

Test(policy_v2b, registered_with_paper_and_needs)
{
	static const struct {
		const char *name;
		policy_needs_t needs;
	} want[] = {
		{ "sieve", POLICY_NEEDS_EVERY_REF },  { "sieve-hw", POLICY_NEEDS_HW_BITS },
		{ "s3fifo", POLICY_NEEDS_EVERY_REF }, { "aging", POLICY_NEEDS_HW_BITS },
		{ "nru", POLICY_NEEDS_HW_BITS },      { "wsclock", POLICY_NEEDS_HW_BITS },
		{ "clock-pro", POLICY_NEEDS_HW_BITS },
	};
	for (size_t i = 0; i < V2_LEN(want); i++) {
		const policy_ops_t *p = policy_find(want[i].name);
		cr_assert_not_null(p, "%s", want[i].name);
		cr_expect_eq(p->version, POLICY_VERSION, "%s", want[i].name);
		cr_expect_eq(p->needs, want[i].needs, "%s", want[i].name);
		cr_expect(p->paper && p->paper[0] && p->summary && p->summary[0], "%s", want[i].name);
		/* hardware does not report references */
		cr_expect_eq(p->on_access == NULL, p->needs == POLICY_NEEDS_HW_BITS, "%s", want[i].name);
	}
	/* aging and nru keep time; the others must not pay for ticks */
	cr_expect_not_null(policy_find("aging")->on_tick);
	cr_expect_not_null(policy_find("nru")->on_tick);
	cr_expect_null(policy_find("sieve")->on_tick);
	cr_expect_null(policy_find("s3fifo")->on_tick);
}

/* Belady's string.
 *
 * sieve, 3 frames (10):
 *   1 2 3 m [1 2 3]; 4 m: hand at tail 1, unvisited: evict, hand -> 2; [2 3 4]
 *   1 m: evict 2, hand 3; 2 m: evict 3, hand 4; 5 m: evict 4, hand 1; [1 2 5]
 *   1 h [1*]; 2 h [2*]; 3 m: 1* cleared, 2* cleared, evict 5, hand none;
 *   [1 2 3]; 4 m: from the tail, evict 1; 5 m: evict 2.  Misses: 10.
 *   (The retry of a faulting reference is no hit: were it one, every page
 *   would enter visited and 4 would clear 1 2 3 and evict 1 a lap later.)
 * sieve-hw, 3 frames (9): every new page has its accessed bit set.
 *   1 2 3 m [1* 2* 3*]; 4 m: clears 1 2 3, wraps, evicts 1, hand 2; [2 3 4*]
 *   1 m: evict 2 (bit clear), hand 3; 2 m: evict 3, hand 4; [4* 1* 2*]
 *   5 m: clears 4 1 2, evicts 4, hand 1; [1 2 5*]; 1 h, 2 h [1* 2* 5*]
 *   3 m: clears 1 2 5, evicts 1, hand 2; [2 5 3*]; 4 m: evict 2; 5 h.  9.
 * s3fifo: S's share is 1 frame (10% rounded down, at least 1), M's the
 *   rest, G as many keys as M's share.  4 frames (10): M share 3, G 3.
 *   1 2 3 4 m S=[1 2 3 4]; 1 h, 2 h (freq 1 each: "> 1" is needed to move)
 *   5 m: |S| 4 >= 1: evictS: 1 freq 1 -> evicted, G=[1]; S=[2 3 4 5]
 *   1 m: evictS: 2 -> G=[1 2]; 1 is in G: M=[1]; G=[2]; S=[3 4 5]
 *   2 m: evictS: 3 -> G=[2 3]; 2 in G: M=[1 2]; G=[3]; S=[4 5]
 *   3 m: evictS: 4 -> G=[3 4]; 3 in G: M=[1 2 3]; S=[5]
 *   4 m: evictS: 5 -> G=[4 5]; 4 in G: M=[1 2 3 4] (over its share 3; only
 *        EVICT looks at that); S=[]
 *   5 m: |S| 0 < 1: evictM: 1 freq 0 evicted; 5 in G: M=[2 3 4 5].  10.
 * aging, 3 frames, --tick 2 (8): ticks after r2, r4, ... (counters hex)
 *   r1 1 f0, r2 2 f1; tick: 1:80 2:80.  r3 3 f2 (0).  r4 4 m: 3 is smallest
 *   (0): evict; 4 f2.  tick: 1:40 2:40 4:80.  r5 1 h, r6 2 h; tick: 1:a0
 *   2:a0 4:40.  r7 5 m: evict 4 (40); 5 f2.  r8 1 h; tick: 1:d0 2:50 5:80.
 *   r9 2 h.  r10 3 m: evict 2 (50); 3 f1; tick: 1:68 3:80 5:40.  r11 4 m:
 *   evict 5 (40).  r12 5 m: evict 4 (0).  Misses r1-4, r7, r10-12: 8.
 * nru, 3 frames, --tick 2 (10): all reads, so the class is 2 * accessed.
 *   r1 1 f0, r2 2 f1; tick clears.  r3 3 f2 (accessed).  r4 4 m: f0 and f1
 *   are class 0, lowest frame f0: evict 1; 4 f0; tick.  r5 1 m: all class
 *   0: evict f0 (4); 1 f0.  r6 2 h; tick.  r7 5 m: evict f0 (1).  r8 1 m:
 *   f0 (5) accessed, f1 class 0: evict 2; 1 f1; tick.  r9 2 m: evict f0
 *   (5).  r10 3 h; tick.  r11 4 m: evict f0 (2).  r12 5 m: f0 accessed,
 *   f1 class 0: evict 1.  Misses: all but r6 and r10: 10.
 * wsclock, 3 frames, --tau 3 (9): seq0-2 fill f0-f2, all accessed.
 *   seq3 4 m: the lap clears all three (last use 3), nothing old, nothing
 *   scheduled: the first clean page from the hand, f0 (1); hand f1.
 *   seq4 1 m: f1 f2 unused for 1 <= 3, f0 accessed (cleared, 4): no victim:
 *   f1 (2); hand f2.  seq5 2 m: likewise f2 (3); seq6 5 m: f0 (4); hand f1.
 *   seq7 1 h, seq8 2 h.  seq9 3 m: clears f1 f2 f0: f1 (1).  seq10 4 m:
 *   f2 (2).  seq11 5 h.  Misses: 9.
 * clock-pro, 3 frames (10): m_c = 1 (1% rounded down, at least 1), m_h =
 *   3 - m_c; the clock is listed from HANDhot; N1 is page 1's non-resident
 *   entry; the bit of the page filled last is cleared at the next fault.
 *   1 2 3 m: cold, in test: [1 2 3].  4 m: HANDcold at 1, bit clear: evict,
 *   N1 in its place; 4 cold at the head: [N1 2 3 4].  1 m: evict 2 (-> N2);
 *   1 has N1: hot, m_c 2: [N2 3 4 1].  2 m: evict 3 (-> N3); 2 has N2: hot,
 *   m_c stays 2 (at most frames - 1); 2 hot > m_h 1: HANDhot drops N3 and
 *   ends 4's test (m_c 1), finds 1 hot with its bit clear: 1 turns cold:
 *   [4 1 2].  5 m: HANDcold at 4, not in test: evicted, no entry: [2 1 5].
 *   1 h, 2 h.  3 m: HANDcold at 1: bit set, not in test: new test, to the
 *   head; 2 is hot; 5 bit clear: evict (-> N5): [2 N5 1 3].  4 m: HANDcold
 *   at 1, bit cleared a fault ago: evict (-> N1).  5 m: evict 3 (-> N3); 5
 *   has N5: hot.  Hits only r8 (1) and r9 (2): 10 misses. */
Test(policy_v2b, table_belady, .timeout = 60)
{
	static const v2_row_t rows[] = {
		{ "sieve", "", { 12, 12, 10, 8, 5 } },
		{ "sieve-hw", "", { 12, 12, 9, 10, 5 } },
		{ "s3fifo", "", { 12, 12, 10, 10, 5 } },
		{ "aging", "--tick 2", { 12, 11, 8, 8, 5 } },
		{ "nru", "--tick 2", { 12, 12, 10, 8, 5 } },
		{ "wsclock", "--tau 3", { 12, 12, 9, 10, 5 } },
		{ "clock-pro", "", { 12, 12, 10, 8, 5 } },
	};
	v2_table("Belady", BELADY, rows, V2_LEN(rows));
}

Test(policy_v2b, table_silberschatz, .timeout = 60)
{
	static const v2_row_t rows[] = {
		{ "sieve", "", { 20, 17, 11, 8, 7 } },
		{ "sieve-hw", "", { 20, 15, 14, 9, 9 } },
		{ "s3fifo", "", { 20, 15, 14, 9, 7 } },
		{ "aging", "--tick 2", { 20, 16, 13, 8, 7 } },
		{ "nru", "--tick 2", { 20, 17, 12, 8, 7 } },
		{ "wsclock", "--tau 3", { 20, 15, 15, 10, 9 } },
		{ "clock-pro", "", { 20, 15, 11, 8, 7 } },
	};
	v2_table("Silberschatz", SILBERSCHATZ, rows, V2_LEN(rows));
}

/* A loop one page larger than memory: LRU, FIFO and SIEVE miss every time
 * (SIEVE's hand always meets an unvisited page: each is evicted before its
 * next use).  S3-FIFO, 5 frames (14): S share 1, M share 4, G 4 keys.
 *   round 1: 1-5 fill S; 6 m: evictS 1 -> G=[1]; S=[2 3 4 5 6].
 *   round 2: 1 m: evictS 2 -> G=[1 2], 1 in G -> M=[1]; 2 m: 3 -> G, 2 -> M;
 *     3 m and 4 m and 5 m likewise: M=[1 2 3 4 5], S=[], G=[6];
 *     6 m: |S| 0 < 1: evictM: 1 (freq 0); 6 in G -> M=[2 3 4 5 6].  6 misses.
 *   round 3: 1 m: evictM: 2; 1 -> S.  2 m: |S| 1 >= 1: evictS: 1 -> G;
 *     2 -> S.  3 4 5 6 h (in M).  2 misses.  6 + 6 + 2 = 14. */
Test(policy_v2b, loop_one_page_larger_than_memory, .timeout = 60)
{
	static const v2_row_t rows[] = {
		{ "lru", "", { 18, 18, 18, 18, 18 } },
		{ "sieve", "", { 18, 18, 18, 18, 18 } },
		{ "s3fifo", "", { 18, 18, 18, 15, 14 } },
		{ "aging", "--tick 2", { 18, 18, 18, 14, 10 } },
		{ "nru", "--tick 2", { 18, 18, 16, 14, 10 } },
		{ "clock-pro", "", { 18, 18, 18, 18, 16 } },
	};
	v2_table("loop of 6", LOOP6, rows, V2_LEN(rows));
}

/* The scan with 10 frames.  LRU: the 15 scanned pages push the hot set out:
 * 5 + 15 + 5 = 25.  S3-FIFO (S share 1, M share 9): each hot page is hit
 * twice in S (freq 2 > 1), so at r21 (page 11) evictS moves 1-5 to M and
 * evicts 6; every later scan page evicts S's tail (a scan page, freq 0),
 * |S| stays >= 1 so M is never scanned: the hot set hits, 5 + 15 = 20.
 * SIEVE: at page 11 the hand clears 1*-5*, evicts 6, then 7 8 9 10, then
 * 11-15 (inserted behind the hand): the hot pages lose their bits but the
 * hand never reaches them again: 20.  sieve-hw: at page 11 all ten bits are
 * set (each faulting access set its page's), so the hand clears them all,
 * wraps and evicts 1; pages 12-15 evict 2-5: the hot set is gone: 25. */
Test(policy_v2b, scan_lru_cannot_survive, .timeout = 30)
{
	cr_expect_eq(v2_faults("lru", 10, "", SCAN), 25);
	cr_expect_eq(v2_faults("s3fifo", 10, "", SCAN), 20);
	cr_expect_eq(v2_faults("sieve", 10, "", SCAN), 20);
	cr_expect_eq(v2_faults("sieve-hw", 10, "", SCAN), 25);
	/* clock-pro, m_c 1: the fill of 6 clears 5's bit (5 was filled last, and
	 * the bit of the page filled last is taken to be its fault's), so at
	 * page 11 HANDcold finds 1-4 used in their test periods (hot, to the
	 * head) and evicts 5; the scan pages never have a bit set at HANDcold
	 * and are evicted in turn; no page turns hot, so HANDhot never runs and
	 * 1-4 stay: 5 + 15 + 1 = 21. */
	cr_expect_eq(v2_faults("clock-pro", 10, "", SCAN), 21);
}

/* NRU prefers a dirty page not used since the tick to a clean one used, and
 * a clean unused page to a dirty one.  2 frames, --tick 2:
 *   "1w 2 3 1": r1 1w f0, r2 2 f1, tick clears: 1 class 1 (dirty), 2 class
 *   0: r3 3 evicts 2; r4 1 h: 3 misses.
 *   "1 2 3 1": both class 0 after the tick: the lowest frame f0 (1) goes:
 *   r4 1 m: 4 misses. */
Test(policy_v2b, nru_classes_and_tie_to_lowest_frame)
{
	cr_expect_eq(v2_faults("nru", 2, "--tick 2", "1w 2 3 1"), 3);
	cr_expect_eq(v2_faults("nru", 2, "--tick 2", "1 2 3 1"), 4);
}

/* aging with --tick 0: no tick ever, every counter stays 0, every fault
 * evicts the lowest frame: "1 2 3 4 2" at 2 frames keeps 2 in f1: 4 misses
 * (LRU evicts 2 at r4: 5). */
Test(policy_v2b, aging_ties_go_to_the_lowest_frame)
{
	cr_expect_eq(v2_faults("aging", 2, "--tick 0", "1 2 3 4 2"), 4);
	cr_expect_eq(v2_faults("lru", 2, "", "1 2 3 4 2"), 5);
}

/* WSClock skips a dirty old page once (scheduling its write-back) and
 * evicts a clean one; 3 frames, --tau 1:
 *   "1w 2 3 4 5 1": seq3 4 m: the lap clears every accessed bit (last use
 *   3), nothing old: the first clean page from the hand, f1 (2); 1 is dirty.
 *   seq4 5 m: f2 (3) and f0 (1) were last used at 3 (1 <= tau), f1 (4)
 *   accessed: no victim, first clean from the hand (f2): 3.  seq5 1 h.  5
 *   misses; the same string all reads evicts 1 at seq3: 6 misses.
 *   "1w 2 3 4 5 6 1": seq5 6 m: f0 (1) is old (5 - 3 > 1) and dirty:
 *   scheduled, passed; f1 (4, last 4) in the window; f2 (5) accessed; the
 *   second lap takes scheduled f0: 1 is written back.  seq6 1 m: 7 misses,
 *   1 write-back. */
Test(policy_v2b, wsclock_schedules_dirty_old_pages)
{
	cr_expect_eq(v2_faults("wsclock", 3, "--tau 1", "1w 2 3 4 5 1"), 5);
	cr_expect_eq(v2_faults("wsclock", 3, "--tau 1", "1 2 3 4 5 1"), 6);
	cr_expect_eq(v2_faults("wsclock", 3, "--tau 1", "1w 2 3 4 5 6 1"), 7);
	cr_expect_eq(json_u(v2_out.out, "dirty_writebacks"), 1);
}

/* --tick and --tau: numbers, with the option named in the message. */
Test(policy_v2b, tick_and_tau_options)
{
	run(&v2_out, "printf '1 2\\n' | %s run --format pages --policy aging --tick x -", vmlab());
	cr_expect_eq(v2_out.status, 2);
	cr_expect(strstr(v2_out.err, "--tick: 'x' is not a number"), "%s", v2_out.err);
	run(&v2_out, "printf '1 2\\n' | %s run --format pages --policy wsclock --tau -1 -", vmlab());
	cr_expect_eq(v2_out.status, 2);
	cr_expect(strstr(v2_out.err, "--tau"), "%s", v2_out.err);
	run(&v2_out, "%s run --help", vmlab());
	cr_expect(strstr(v2_out.out, "--tick N") && strstr(v2_out.out, "--tau N"), "%s", v2_out.out);
}

/* The ghost queue against a plain array model: random pushes (new and held
 * keys) and removals, never more than cap keys, oldest dropped first. */
Test(policy_v2b, s3ghost_is_a_bounded_fifo)
{
	for (uint32_t cap = 0; cap <= 9; cap += 3) {
		s3ghost_t g;
		cr_assert_eq(s3ghost_init(&g, cap), 0);
		page_key_t model[16];
		uint32_t n = 0;
		uint64_t x = 88172645463325252ull;
		for (int step = 0; step < 20000; step++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			page_key_t k = (x >> 8) % 24 * 0x10000000001ull; /* collide in low bits */
			uint32_t at = n;
			for (uint32_t i = 0; i < n; i++)
				if (model[i] == k)
					at = i;
			if (x & 1) {
				cr_assert_eq(s3ghost_remove(&g, k), at < n);
				if (at < n)
					memmove(&model[at], &model[at + 1], (n - at - 1) * sizeof *model), n--;
			} else if (cap) {
				if (at < n)
					memmove(&model[at], &model[at + 1], (n - at - 1) * sizeof *model), n--;
				if (n == cap)
					memmove(&model[0], &model[1], (n - 1) * sizeof *model), n--;
				model[n++] = k;
				s3ghost_push(&g, k);
			} else {
				s3ghost_push(&g, k);
			}
			cr_assert_eq(g.n, n);
			cr_assert_leq(g.n, cap);
			for (uint32_t i = 0; i < n; i++)
				cr_assert(s3ghost_contains(&g, model[i]));
		}
		s3ghost_free(&g);
	}
}
