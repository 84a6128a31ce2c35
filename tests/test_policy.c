/* test_policy.c - the replacement policies, their generator and OPT's
 * next-use index, driven through the real machine (include/vmlab.h) and, for
 * what the machine never does (releasing a frame from the middle), through
 * the policy callbacks directly.
 *
 * Every expected fault count below was worked out by hand; the working is
 * written out for at least one string per policy.  Conventions of the
 * working: [a b c] lists the pages in frames 0, 1, 2; "miss"/"hit" is the
 * reference's outcome; for LFU "p:c@s" is page p with count c filled at seq
 * s; for clock "p*" means p's accessed bit is set; for eclock a page is
 * written p(a,d) with its (accessed, dirty) class; "h" is the hand.
 *
 * The machine's rules the working relies on: free frames are handed out
 * lowest first, so a victim's frame is the one refilled; a reference that
 * faults is retried and walks the table, so a new page is accessed (and
 * dirty if the reference writes); every TLB-shape gives the same counts,
 * because clearing an accessed bit drops the page's TLB entries. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab.h"
#include "analysis/nextuse.h"
#include "policy/policy.h"
#include "util/rng.h"
#include "util/vmerr.h"

#define TP_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A TLB shape: none, the default 64:4, and a tiny direct-mapped one that
 * keeps evicting entries of resident pages. */
typedef struct tp_tlb {
	uint32_t entries, ways;
} tp_tlb_t;

static const tp_tlb_t tp_tlbs[] = { { 0, 0 }, { 64, 4 }, { 2, 1 } };

static const char *const tp_all[] = { "fifo", "random", "lru", "lfu", "clock", "eclock", "opt" };

/* The future of a read-only single-process string, for OPT; free() it. */
static uint64_t *tp_future(const uint64_t *pages, size_t n)
{
	vm_pageref_t *refs = calloc(n ? n : 1, sizeof *refs);
	cr_assert_not_null(refs);
	for (size_t i = 0; i < n; i++)
		refs[i] = (vm_pageref_t){ .vpn = pages[i], .pid = 0, .kind = 'R' };
	uint64_t *next = NULL;
	cr_assert_eq(nextuse_build(refs, n, &next), VM_OK);
	cr_assert_not_null(next);
	free(refs);
	return next;
}

/* Run pages[0..n) (kinds[i] 'R' or 'W'; all reads when kinds is NULL) by
 * process 0 on a fresh machine; returns its final counters. */
static vm_stats_t tp_run(const char *policy, const uint64_t *pages, const char *kinds,
			 size_t n, uint32_t frames, tp_tlb_t tlb, uint64_t seed)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = frames;
	c.policy = policy;
	c.tlb_entries = tlb.entries;
	c.tlb_ways = tlb.ways;
	c.seed = seed;
	const policy_ops_t *ops = policy_find(policy);
	cr_assert_not_null(ops, "no policy %s", policy);
	uint64_t *next = ops->needs == POLICY_NEEDS_FUTURE ? tp_future(pages, n) : NULL;

	vm_machine_t *m = NULL;
	char err[256] = "";
	int rc = vm_create(&m, &c, next, err, sizeof err);
	cr_assert_eq(rc, 0, "vm_create(%s, %u frames): %d %s", policy, frames, rc, err);
	for (size_t i = 0; i < n; i++) {
		int kind = kinds ? kinds[i] : 'R';
		cr_assert_eq(vm_ref(m, 0, pages[i], kind), 0, "%s: reference %zu", policy, i);
	}
	vm_stats_t s = *vm_stats(m);
	cr_assert_eq(s.references, n);
	vm_destroy(m);
	free(next);
	return s;
}

static uint64_t tp_faults(const char *policy, const uint64_t *pages, size_t n,
			  uint32_t frames, tp_tlb_t tlb)
{
	return tp_run(policy, pages, NULL, n, frames, tlb, 1).page_faults;
}

/* Expected faults of one policy with 1, 2, 3, 4 and 5 frames. */
typedef struct tp_row {
	const char *policy;
	uint64_t faults[5];
} tp_row_t;

/* Every row at every frame count, with every TLB shape. */
static void tp_check_table(const char *what, const uint64_t *pages, size_t n,
			   const tp_row_t *rows, size_t nrows)
{
	for (size_t r = 0; r < nrows; r++)
		for (uint32_t f = 1; f <= 5; f++)
			for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
				uint64_t got = tp_faults(rows[r].policy, pages, n, f, tp_tlbs[t]);
				cr_expect_eq(got, rows[r].faults[f - 1],
					     "%s, %s, %u frames, TLB %u:%u: %llu faults, expected %llu",
					     what, rows[r].policy, f, tp_tlbs[t].entries, tp_tlbs[t].ways,
					     (unsigned long long)got,
					     (unsigned long long)rows[r].faults[f - 1]);
			}
}

/* With one frame every policy faults exactly when the page changes. */
static uint64_t tp_changes(const uint64_t *pages, size_t n)
{
	uint64_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += i == 0 || pages[i] != pages[i - 1];
	return c;
}

/* ---- the policies' declarations ---------------------------------------- */

Test(policy, registry_names_and_needs)
{
	static const struct {
		const char *name;
		policy_needs_t needs;
	} want[] = {
		{ "fifo", POLICY_NEEDS_HW_BITS },   { "random", POLICY_NEEDS_HW_BITS },
		{ "lru", POLICY_NEEDS_EVERY_REF },  { "lfu", POLICY_NEEDS_EVERY_REF },
		{ "clock", POLICY_NEEDS_HW_BITS },  { "eclock", POLICY_NEEDS_HW_BITS },
		{ "opt", POLICY_NEEDS_FUTURE },     { "linux", POLICY_NEEDS_HW_BITS },
	};
	/* The textbook seven; the later policies are checked in test_policy_v2b.c. */
	cr_assert_geq(policy_count, TP_LEN(want));
	for (size_t i = 0; i < TP_LEN(want); i++) {
		const policy_ops_t *p = policy_find(want[i].name);
		cr_assert_not_null(p, "%s", want[i].name);
		cr_expect_str_eq(p->name, want[i].name);
		cr_expect_eq(p->needs, want[i].needs, "%s", want[i].name);
		cr_expect(p->summary && p->summary[0] && !strchr(p->summary, '\n'), "%s", want[i].name);
		cr_expect(p->create && p->destroy && p->on_fill && p->on_evict && p->pick_victim,
			  "%s", want[i].name);
		/* Hardware does not report references, so HW_BITS policies must not
		 * ask for them; the others need them. */
		cr_expect_eq(p->on_access == NULL, p->needs == POLICY_NEEDS_HW_BITS, "%s", want[i].name);
	}
	cr_expect_null(policy_find("nope"));
	cr_expect_null(policy_find(""));
	cr_expect_null(policy_find("LRU"));
	cr_expect_str_eq(policy_needs_name(POLICY_NEEDS_FUTURE), "future");
}

Test(policy, opt_refuses_without_future)
{
	vm_config_t c;
	vm_config_default(&c);
	c.policy = "opt";
	vm_machine_t *m = NULL;
	char err[256] = "";
	cr_expect_lt(vm_create(&m, &c, NULL, err, sizeof err), 0);
	cr_expect_null(m);

	/* And the policy itself, asked directly, declines. */
	policy_env_t env = { .nframes = 4, .seed = 1, .frame_priv = NULL, .next_use = NULL };
	cr_expect_null(policy_find("opt")->create(&env));
}

/* ---- the OSTEP string (OSTEP ch. 22: FIFO 7 misses, LRU and optimal 5
 * misses = 6 hits, 3 of the misses cold) ------------------------------------
 *
 * OPT, 3 frames (seq: page):
 *   0:0 1:1 2:2  miss x3 (cold)                   [0 1 2]
 *   3:0 4:1      hit
 *   5:3  miss; next uses 0@6 1@8 2@9 -> evict 2    [0 1 3]
 *   6:0 7:3 8:1  hit
 *   9:2  miss; 0 and 3 never again, 1@10; a tie of "never" goes to the
 *        older arrival, 0 (filled at 0) before 3 (at 5) -> evict 0 [2 1 3]
 *  10:1  hit                                      => 5 faults
 * OPT, 2 frames: 0 1 miss; 2 miss (0@3, 1@4: evict 1) [0 2]; 0 hit;
 *   1 miss (0@6, 2@9: evict 2) [0 1]; 3 miss (0@6, 1@8: evict 1) [0 3];
 *   0 3 hit; 1 miss (both never: evict older 0) [1 3]; 2 miss (3 never,
 *   1@10: evict 3) [1 2]; 1 hit                   => 7 faults
 * LFU, 2 frames: every count is 1 when a miss comes, except 3's after its
 *   hit at seq 7, so LFU evicts the older arrival, i.e. acts as FIFO, and
 *   only seq 7 hits                               => 10 faults
 * Clock, 3 frames: 0* 1* 2* after seq 2, h=0; 0 1 hit; 3 miss: h clears
 *   0,1,2 and comes back to frame 0 -> evict 0, h=1 [3* 1 2]; 0 miss:
 *   frame 1 clear -> evict 1, h=2 [3* 0* 2]; 3 hit; 1 miss: frame 2 clear
 *   -> evict 2, h=0 [3* 0* 1*]; 2 miss: clears all, evict 3, h=1
 *   [2* 0 1*]; 1 hit                              => 7 faults */
static const uint64_t tp_ostep[] = { 0, 1, 2, 0, 1, 3, 0, 3, 1, 2, 1 };

Test(policy, table_ostep)
{
	static const tp_row_t rows[] = {
		{ "fifo",   { 11, 9, 7, 4, 4 } },
		{ "lru",    { 11, 9, 5, 4, 4 } },
		{ "lfu",    { 11, 10, 5, 4, 4 } },
		{ "clock",  { 11, 9, 7, 4, 4 } },
		{ "eclock", { 11, 9, 7, 4, 4 } },
		{ "opt",    { 11, 7, 5, 4, 4 } },
	};
	tp_check_table("ostep", tp_ostep, TP_LEN(tp_ostep), rows, TP_LEN(rows));
}

/* ---- the Silberschatz string (Operating System Concepts, "Page
 * Replacement": FIFO 15, OPT 9, LRU 12 with 3 frames) ------------------------
 *
 * LRU, 3 frames, listing pages least recently used first:
 *   7 0 1 miss            (7 0 1)
 *   2 miss, evict 7       (0 1 2)     0 hit  (1 2 0)
 *   3 miss, evict 1       (2 0 3)     0 hit  (2 3 0)
 *   4 miss, evict 2       (3 0 4)
 *   2 miss, evict 3       (0 4 2)
 *   3 miss, evict 0       (4 2 3)
 *   0 miss, evict 4       (2 3 0)     3 hit  (2 0 3)   2 hit (0 3 2)
 *   1 miss, evict 0       (3 2 1)     2 hit  (3 1 2)
 *   0 miss, evict 3       (1 2 0)     1 hit  (2 0 1)
 *   7 miss, evict 2       (0 1 7)     0 hit  (1 7 0)   1 hit (7 0 1)
 *   => 12 faults (8 hits)
 * LFU, 3 frames (count since loaded, ties to the smaller fill seq):
 *   7 0 1 cold (7:1@0 0:1@1 1:1@2)
 *   2 miss: all count 1, evict 7 (oldest)  -> 0:1@1 1:1@2 2:1@3;  0 hit, 0:2
 *   3 miss: 1@2 vs 2@3, evict 1            -> 0:2 2:1@3 3:1@5;    0 hit, 0:3
 *   4 miss: evict 2 (@3);  2 miss: evict 3 (@5);  3 miss: evict 4 (@7)
 *                                          -> 0:3 2:1@8 3:1@9
 *   0 3 2 hit                              -> 0:4 2:2@8 3:2@9
 *   1 miss: 2@8 vs 3@9 at count 2, evict 2 -> 0:4 3:2 1:1@13
 *   2 miss: evict 1;  0 hit;  1 miss: evict 2;  7 miss: evict 1;  0 hit;
 *   1 miss: evict 7
 *   => 13 faults (hits at seq 4 6 10 11 12 15 18)
 * Clock, 3 frames: [7* 0* 1*] h=0
 *   2 miss: clears all, evict 7, h=1   [2* 0 1]      0 hit [2* 0* 1]
 *   3 miss: clears 0, evict 1, h=0     [2* 0 3*]     0 hit [2* 0* 3*]
 *   4 miss: clears all, evict 2, h=1   [4* 0 3]
 *   2 miss: evict 0, h=2               [4* 2* 3]     3 hit [4* 2* 3*]
 *   0 miss: clears all, evict 3, h=0   [4 2 0*]
 *   3 miss: evict 4, h=1               [3* 2 0*]     2 hit [3* 2* 0*]
 *   1 miss: clears all, evict 2, h=2   [3 1* 0]
 *   2 miss: evict 0, h=0               [3 1* 2*]
 *   0 miss: evict 3, h=1               [0* 1* 2*]    1 hit
 *   7 miss: clears all, evict 1, h=2   [0 7* 2]      0 hit [0* 7* 2]
 *   1 miss: evict 2                    => 14 faults */
static const uint64_t tp_silberschatz[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
					    0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };

Test(policy, table_silberschatz)
{
	static const tp_row_t rows[] = {
		{ "fifo",   { 20, 15, 15, 10, 9 } },
		{ "lru",    { 20, 17, 12, 8, 7 } },
		{ "lfu",    { 20, 15, 13, 9, 7 } },
		{ "clock",  { 20, 15, 14, 9, 9 } },
		{ "eclock", { 20, 15, 14, 9, 9 } },
		{ "opt",    { 20, 13, 9, 8, 7 } },
	};
	tp_check_table("silberschatz", tp_silberschatz, TP_LEN(tp_silberschatz), rows, TP_LEN(rows));
}

/* ---- Belady's anomaly -------------------------------------------------------
 *
 * FIFO, 3 frames (oldest first):
 *   1 2 3 miss (1 2 3); 4 miss evict 1 (2 3 4); 1 miss evict 2 (3 4 1);
 *   2 miss evict 3 (4 1 2); 5 miss evict 4 (1 2 5); 1 2 hit;
 *   3 miss evict 1 (2 5 3); 4 miss evict 2 (5 3 4); 5 hit   => 9 faults
 * FIFO, 4 frames:
 *   1 2 3 4 miss (1 2 3 4); 1 2 hit; 5 miss evict 1 (2 3 4 5);
 *   1 miss evict 2; 2 miss evict 3; 3 miss evict 4; 4 miss evict 5;
 *   5 miss evict 1                                          => 10 faults
 * OPT, 3 frames: 1 2 3 miss; 4 miss (1@4 2@5 3@9: evict 3) [1 2 4];
 *   1 2 hit; 5 miss (1@7 2@8 4@10: evict 4) [1 2 5]; 1 2 hit;
 *   3 miss (1, 2 never; evict the older, 1) [3 2 5];
 *   4 miss (2 never, 3 never, 5@11: evict the older, 2) [3 4 5]; 5 hit
 *                                                           => 7 faults
 * LRU, 4 frames: 1 2 3 4 miss; 1 2 hit (3 4 1 2); 5 miss evict 3;
 *   1 2 hit (4 5 1 2); 3 miss evict 4; 4 miss evict 5; 5 miss evict 1
 *                                                           => 8 faults */
static const uint64_t tp_belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };

Test(policy, table_belady)
{
	static const tp_row_t rows[] = {
		{ "fifo",   { 12, 12, 9, 10, 5 } },
		{ "lru",    { 12, 12, 10, 8, 5 } },
		{ "lfu",    { 12, 12, 10, 8, 5 } },
		{ "clock",  { 12, 12, 9, 10, 5 } },
		{ "eclock", { 12, 12, 9, 10, 5 } },
		{ "opt",    { 12, 9, 7, 6, 5 } },
	};
	tp_check_table("belady", tp_belady, TP_LEN(tp_belady), rows, TP_LEN(rows));
}

Test(policy, belady_anomaly_fifo)
{
	/* More frames, more faults: FIFO is not a stack algorithm. */
	for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
		cr_expect_eq(tp_faults("fifo", tp_belady, TP_LEN(tp_belady), 3, tp_tlbs[t]), 9);
		cr_expect_eq(tp_faults("fifo", tp_belady, TP_LEN(tp_belady), 4, tp_tlbs[t]), 10);
	}
}

/* ---- LFU's tie rule --------------------------------------------------------
 *
 * 1 1 2 3 4 1 2 3 4 with 3 frames:
 *   seq 0 1 miss (1:1@0); seq 1 hit (1:2@0); seq 2, 3 miss (2:1@2 3:1@3)
 *   seq 4: 4 miss; 2 and 3 tie at count 1, 2 arrived first -> evict 2
 *          -> 1:2@0 3:1@3 4:1@4;  seq 5: 1 hit, 1:3
 *   seq 6: 2 miss; 3@3 vs 4@4 -> evict 3  -> 1:3 4:1@4 2:1@6
 *   seq 7: 3 miss; 4@4 vs 2@6 -> evict 4  -> 1:3 2:1@6 3:1@7
 *   seq 8: 4 miss; evict 2                => 7 faults
 * Breaking ties toward the newest arrival would evict 3 at seq 4, hit 2 at
 * seq 6 and give 6 faults; LRU and FIFO evict 1 at seq 4 and fault on every
 * reference but seq 1, 8 faults.  With 2 frames: 1 miss, hit, then 2..4
 * each evict the single count-1 page, 1 hits, 2 3 4 miss => 7 faults.
 * OPT, 3 frames: seq 4 evicts 3 (1@5 2@6 3@7); seq 7 (3 miss) has 1 and 2
 * never used again, evicts the older, 1; seq 8 hits => 5 faults. */
static const uint64_t tp_lfu_tie[] = { 1, 1, 2, 3, 4, 1, 2, 3, 4 };

Test(policy, table_lfu_tie)
{
	static const tp_row_t rows[] = {
		{ "fifo",   { 8, 8, 8, 4, 4 } },
		{ "lru",    { 8, 8, 8, 4, 4 } },
		{ "lfu",    { 8, 7, 7, 4, 4 } },
		{ "clock",  { 8, 8, 8, 4, 4 } },
		{ "eclock", { 8, 8, 8, 4, 4 } },
		{ "opt",    { 8, 6, 5, 4, 4 } },
	};
	tp_check_table("lfu tie", tp_lfu_tie, TP_LEN(tp_lfu_tie), rows, TP_LEN(rows));
}

/* ---- clock against eclock ---------------------------------------------------
 *
 * W1 R2 R3 R4 R1 R2 R3 R1 R4 with 3 frames.  Both start as [1(1,1) 2(1,0)
 * 3(1,0)], h=0.
 * clock:
 *   R4 miss: clears 1 2 3, comes back to frame 0: evict 1 (dirty: one
 *        write-back, one swap-out), h=1              [4* 2 3]
 *   R1 miss (major: 1 comes back from swap): frame 1 clear, evict 2, h=2
 *                                                    [4* 1* 3]
 *   R2 miss (minor: 2 was never written, so it is zero-filled again):
 *        frame 2 clear, evict 3, h=0                 [4* 1* 2*]
 *   R3 miss: clears all, evict 4, h=1                [3* 1 2]
 *   R1 hit                                           [3* 1* 2]
 *   R4 miss: clears 1, frame 2 clear: evict 2, h=0   [3* 1 4*]
 *   => 8 faults, 1 major, 1 write-back, 1 swap-out, 1 swap-in
 * eclock:
 *   R4 miss: sweep (0,0): none.  sweep (0,1): none, clearing every accessed
 *        bit on the way -> 1(0,1) 2(0,0) 3(0,0).  Round 2, sweep (0,0):
 *        frame 1 -> evict 2 (clean), h=2             [1(0,1) 4(1,0) 3(0,0)]
 *   R1 hit                                           [1(1,1) 4(1,0) 3(0,0)]
 *   R2 miss: sweep (0,0) from frame 2: evict 3, h=0  [1(1,1) 4(1,0) 2(1,0)]
 *   R3 miss: no (0,0), no (0,1) (all cleared on the way); round 2 finds
 *        frame 1 (0,0): evict 4, h=2                 [1(0,1) 3(1,0) 2(0,0)]
 *   R1 hit                                           [1(1,1) 3(1,0) 2(0,0)]
 *   R4 miss: sweep (0,0) from frame 2: evict 2       [1(1,1) 3(1,0) 4(1,0)]
 *   => 7 faults, all minor, the dirty page 1 never evicted: 0 write-backs */
static const uint64_t tp_ce_pages[] = { 1, 2, 3, 4, 1, 2, 3, 1, 4 };
static const char tp_ce_kinds[] = "WRRRRRRRR";

Test(policy, clock_vs_eclock_dirty)
{
	for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
		vm_stats_t c = tp_run("clock", tp_ce_pages, tp_ce_kinds, TP_LEN(tp_ce_pages), 3,
				      tp_tlbs[t], 1);
		cr_expect_eq(c.page_faults, 8, "TLB %u", tp_tlbs[t].entries);
		cr_expect_eq(c.major_faults, 1);
		cr_expect_eq(c.minor_faults, 7);
		cr_expect_eq(c.evictions, 5);
		cr_expect_eq(c.dirty_writebacks, 1);
		cr_expect_eq(c.swap_outs, 1);
		cr_expect_eq(c.swap_ins, 1);

		vm_stats_t e = tp_run("eclock", tp_ce_pages, tp_ce_kinds, TP_LEN(tp_ce_pages), 3,
				      tp_tlbs[t], 1);
		cr_expect_eq(e.page_faults, 7, "TLB %u", tp_tlbs[t].entries);
		cr_expect_eq(e.major_faults, 0);
		cr_expect_eq(e.minor_faults, 7);
		cr_expect_eq(e.evictions, 4);
		cr_expect_eq(e.dirty_writebacks, 0);
		cr_expect_eq(e.swap_outs, 0);
		cr_expect_eq(e.swap_ins, 0);
	}
}

/* Reads only, 3 frames: 0 1 2 3 1 0 2 1.  eclock's first sweep only looks,
 * clock clears as it goes, and that alone changes the outcome.
 * clock:  [0* 1* 2*] h=0; 3 miss: clears all, evict 0, h=1 [3* 1 2];
 *   1 hit [3* 1* 2]; 0 miss: clears 1, evict 2, h=0 [3* 1 0*];
 *   2 miss: clears 3, evict 1, h=2 [3 2* 0*]; 1 miss: clears 0, evict 3
 *   => 7 faults
 * eclock: 3 miss: nothing (0,0) or (0,1); the (0,1) sweep clears all;
 *   round 2 takes frame 0: evict 0, h=1 [3* 1 2]; 1 hit [3* 1* 2];
 *   0 miss: the (0,0) sweep passes 1* without clearing it, evicts 2, h=0
 *   [3* 1* 0*]; 2 miss: clears all, evict 3, h=1 [2* 1 0];
 *   1 hit => 6 faults */
static const uint64_t tp_ce_reads[] = { 0, 1, 2, 3, 1, 0, 2, 1 };

Test(policy, clock_vs_eclock_reads)
{
	for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
		cr_expect_eq(tp_faults("clock", tp_ce_reads, TP_LEN(tp_ce_reads), 3, tp_tlbs[t]), 7);
		cr_expect_eq(tp_faults("eclock", tp_ce_reads, TP_LEN(tp_ce_reads), 3, tp_tlbs[t]), 6);
	}
}

/* ---- OPT's tie among pages never used again --------------------------------
 * 2 frames: 1 2 3, all never used again at seq 2.  The older arrival, 1, goes;
 * whether that costs a write-back shows which one went. */
Test(policy, opt_never_tie_to_oldest)
{
	static const uint64_t pages[] = { 1, 2, 3 };
	for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
		vm_stats_t a = tp_run("opt", pages, "WRR", 3, 2, tp_tlbs[t], 1);
		cr_expect_eq(a.page_faults, 3);
		cr_expect_eq(a.dirty_writebacks, 1, "the dirty older page 1 goes");
		vm_stats_t b = tp_run("opt", pages, "RWR", 3, 2, tp_tlbs[t], 1);
		cr_expect_eq(b.dirty_writebacks, 0, "the clean older page 1 goes, not dirty 2");
	}
}

/* ---- write-back accounting ---------------------------------------------------
 * One frame, so every policy evicts the same pages:
 *   W0 minor, 0 dirty
 *   R1 evict 0: dirty -> write-back + swap-out; 1 minor
 *   R0 evict 1: clean, never written, nothing to save; 0 major (swap-in)
 *   R1 evict 0: clean, its swap copy still valid -> no write; 1 minor again
 *   R0 evict 1; 0 major (swap-in)
 *   W0 hit, 0 dirty again
 *   R1 evict 0: dirty -> write-back + swap-out; 1 minor
 *   => 6 faults (4 minor, 2 major), 5 evictions, 2 write-backs, 2 swap-outs,
 *      2 swap-ins */
Test(policy, writeback_accounting)
{
	static const uint64_t pages[] = { 0, 1, 0, 1, 0, 0, 1 };
	for (size_t p = 0; p < TP_LEN(tp_all); p++)
		for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
			vm_stats_t s = tp_run(tp_all[p], pages, "WRRRRWR", TP_LEN(pages), 1,
					      tp_tlbs[t], 1);
			cr_expect_eq(s.page_faults, 6, "%s", tp_all[p]);
			cr_expect_eq(s.minor_faults, 4, "%s", tp_all[p]);
			cr_expect_eq(s.major_faults, 2, "%s", tp_all[p]);
			cr_expect_eq(s.evictions, 5, "%s", tp_all[p]);
			cr_expect_eq(s.dirty_writebacks, 2, "%s", tp_all[p]);
			cr_expect_eq(s.swap_outs, 2, "%s", tp_all[p]);
			cr_expect_eq(s.swap_ins, 2, "%s", tp_all[p]);
			cr_expect_eq(s.distinct_pages, 2, "%s", tp_all[p]);
			cr_expect_eq(s.resident_pages, 1, "%s", tp_all[p]);
		}
}

/* ---- a cyclic scan -------------------------------------------------------------
 * Pages 0..9 in order, 20 rounds (200 references), 4 frames.  The page needed
 * next is always the one resident longest (and used longest ago, and the
 * clock hand reaches it first), so FIFO, LRU and clock miss every time; LFU
 * sees count 1 everywhere and falls back on the oldest arrival, as FIFO;
 * eclock, with nothing dirty, finds every page accessed and clears them all,
 * as clock does.
 * OPT: seq 0..3 cold [0 1 2 3]; seq 4..9 (pages 4..9) each miss and evict
 * the page just loaded (3, then 4, ...), whose next use is the farthest,
 * keeping 0 1 2: 10 misses in the first 10 references, [0 1 2 9].  From then
 * on every block of N-1 = 9 references goes: M-1 = 3 hits (the three pages
 * kept), then N-M = 6 misses, each evicting the page just loaded except the
 * first, which evicts the kept page needed last.  E.g. seq 10..12 (0 1 2)
 * hit; seq 13 (3) misses with next uses 0@20 1@21 2@22 9@19 -> evict 2;
 * seq 14..18 (4..8) miss; seq 19..21 (9 0 1) hit; seq 22 (2) evicts 1 ...
 * seq 10..198 is 21 whole blocks (126 misses); seq 199 starts block 22 with
 * a hit.  Total 10 + 21 * 6 = 136. */
Test(policy, cyclic_scan)
{
	enum { N = 10, M = 4, ROUNDS = 20 };
	uint64_t pages[N * ROUNDS];
	for (size_t i = 0; i < TP_LEN(pages); i++)
		pages[i] = i % N;
	static const char *const every[] = { "fifo", "lru", "lfu", "clock", "eclock" };
	for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
		for (size_t p = 0; p < TP_LEN(every); p++)
			cr_expect_eq(tp_faults(every[p], pages, TP_LEN(pages), M, tp_tlbs[t]),
				     N * ROUNDS, "%s", every[p]);
		cr_expect_eq(tp_faults("opt", pages, TP_LEN(pages), M, tp_tlbs[t]), 136);
		/* Per whole block after warm-up, exactly N-M misses in N-1 refs. */
		uint64_t warm = N, blocks = (N * ROUNDS - warm) / (N - 1);
		uint64_t tail = (N * ROUNDS - warm) % (N - 1);
		uint64_t tail_misses = tail > M - 1 ? tail - (M - 1) : 0;
		cr_expect_eq(warm + blocks * (N - M) + tail_misses, 136);
	}
}

/* ---- random ------------------------------------------------------------------ */

/* The documented algorithm (random.c), replayed beside the machine: free
 * frames lowest first, resident[] with swap-remove, victim
 * resident[rng_below(n)]. */
static uint64_t tp_random_model(const uint64_t *pages, size_t n, uint32_t frames, uint64_t seed)
{
	enum { MAXF = 16 };
	cr_assert_leq(frames, MAXF);
	uint64_t in[MAXF];        /* page in frame, or UINT64_MAX */
	uint32_t resident[MAXF], nres = 0, used = 0;
	rng_t r;
	rng_seed(&r, seed);
	uint64_t faults = 0;
	for (size_t i = 0; i < n; i++) {
		bool hit = false;
		for (uint32_t f = 0; f < used && !hit; f++)
			hit = in[f] == pages[i];
		if (hit)
			continue;
		faults++;
		uint32_t f;
		if (used < frames) {
			f = used++;
		} else {
			uint32_t k = (uint32_t)rng_below(&r, nres);
			f = resident[k];
			resident[k] = resident[--nres];
		}
		in[f] = pages[i];
		resident[nres++] = f;
	}
	return faults;
}

Test(policy, random_properties)
{
	const tp_tlb_t none = tp_tlbs[0];
	/* Reproducible: the same seed gives the same count. */
	uint64_t a = tp_run("random", tp_silberschatz, NULL, TP_LEN(tp_silberschatz), 3, none, 1).page_faults;
	uint64_t b = tp_run("random", tp_silberschatz, NULL, TP_LEN(tp_silberschatz), 3, none, 1).page_faults;
	cr_expect_eq(a, b);

	/* One frame: the choice does not matter. */
	cr_expect_eq(tp_faults("random", tp_ostep, TP_LEN(tp_ostep), 1, none), tp_changes(tp_ostep, TP_LEN(tp_ostep)));
	cr_expect_eq(tp_faults("random", tp_silberschatz, TP_LEN(tp_silberschatz), 1, none), 20);
	cr_expect_eq(tp_faults("random", tp_belady, TP_LEN(tp_belady), 1, none), 12);

	/* Between OPT and every reference, and exactly the documented algorithm
	 * for several seeds and frame counts (the TLB changes nothing). */
	const struct { const uint64_t *p; size_t n; } strs[] = {
		{ tp_ostep, TP_LEN(tp_ostep) },
		{ tp_silberschatz, TP_LEN(tp_silberschatz) },
		{ tp_belady, TP_LEN(tp_belady) },
	};
	for (size_t s = 0; s < TP_LEN(strs); s++)
		for (uint32_t f = 1; f <= 5; f++)
			for (uint64_t seed = 0; seed < 8; seed++)
				for (size_t t = 0; t < TP_LEN(tp_tlbs); t++) {
					uint64_t got = tp_run("random", strs[s].p, NULL, strs[s].n, f,
							      tp_tlbs[t], seed).page_faults;
					uint64_t opt = tp_faults("opt", strs[s].p, strs[s].n, f, none);
					cr_expect_geq(got, opt);
					cr_expect_leq(got, strs[s].n);
					cr_expect_eq(got, tp_random_model(strs[s].p, strs[s].n, f, seed),
						     "string %zu, %u frames, seed %llu", s, f,
						     (unsigned long long)seed);
				}
}

/* ---- OPT is optimal ----------------------------------------------------------- */

Test(policy, opt_never_worse)
{
	enum { STRINGS = 300, LEN = 200, PAGES = 10 };
	rng_t r;
	rng_seed(&r, 20240601);
	uint64_t pages[LEN];
	const tp_tlb_t tlb = tp_tlbs[1];
	for (int s = 0; s < STRINGS; s++) {
		for (int i = 0; i < LEN; i++)
			pages[i] = rng_below(&r, PAGES);
		for (uint32_t f = 1; f <= 6; f++) {
			uint64_t opt = tp_faults("opt", pages, LEN, f, tlb);
			for (size_t p = 0; p < TP_LEN(tp_all); p++) {
				uint64_t other = tp_faults(tp_all[p], pages, LEN, f, tlb);
				cr_expect_leq(opt, other, "string %d, %u frames: opt %llu > %s %llu",
					      s, f, (unsigned long long)opt, tp_all[p],
					      (unsigned long long)other);
				if (f == 1)
					cr_expect_eq(other, tp_changes(pages, LEN), "%s", tp_all[p]);
			}
		}
	}
}

/* ---- the policies driven directly ---------------------------------------------
 * The machine in trace mode only evicts victims; these release frames from the
 * middle too (as a process exit would) and check the structures survive. */

typedef struct tp_direct {
	const policy_ops_t *ops;
	void *priv;
	void *state;
} tp_direct_t;

static tp_direct_t tp_direct_open(const char *name, uint32_t nframes, const uint64_t *next_use,
				  uint64_t seed)
{
	tp_direct_t d = { .ops = policy_find(name) };
	cr_assert_not_null(d.ops);
	d.priv = d.ops->frame_priv_size ? calloc(nframes, d.ops->frame_priv_size) : NULL;
	policy_env_t env = { .nframes = nframes, .seed = seed, .frame_priv = d.priv,
			     .next_use = next_use };
	d.state = d.ops->create(&env);
	cr_assert_not_null(d.state, "%s", name);
	return d;
}

static void tp_direct_close(tp_direct_t *d)
{
	d->ops->destroy(d->state);
	free(d->priv);
}

/* What pick_victim is told when no particular page is coming in. */
static const policy_page_t no_page = { .key = PAGE_KEY_NONE };

/* on_fill then the access that follows it, as the machine does. */
static void tp_load(tp_direct_t *d, frame_id_t f, uint64_t seq)
{
	policy_page_t pg = { .key = f, .seq = seq };
	d->ops->on_fill(d->state, f, &pg);
	if (d->ops->on_access)
		d->ops->on_access(d->state, f, seq);
}

static void tp_touch(tp_direct_t *d, frame_id_t f, uint64_t seq)
{
	d->ops->on_access(d->state, f, seq);
}

Test(policy, direct_fifo)
{
	tp_direct_t d = tp_direct_open("fifo", 4, NULL, 1);
	for (frame_id_t f = 0; f < 4; f++)
		tp_load(&d, f, f);
	d.ops->on_evict(d.state, 1, POLICY_RELEASE);            /* released: middle of the list */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 0);
	d.ops->on_evict(d.state, 0, POLICY_RELEASE);            /* the victim */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 2);
	tp_load(&d, 1, 10);
	d.ops->on_evict(d.state, 3, POLICY_RELEASE);            /* released: the newest but one */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 2);
	d.ops->on_evict(d.state, 2, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 1);
	d.ops->on_evict(d.state, 1, POLICY_RELEASE);            /* empty again, then reused */
	tp_load(&d, 3, 11);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 3);
	tp_direct_close(&d);
}

Test(policy, direct_lru)
{
	tp_direct_t d = tp_direct_open("lru", 4, NULL, 1);
	for (frame_id_t f = 0; f < 4; f++)
		tp_load(&d, f, f);                  /* recency 0 1 2 3 */
	tp_touch(&d, 0, 4);                     /* 1 2 3 0 */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 1);
	d.ops->on_evict(d.state, 2, POLICY_RELEASE);            /* 1 3 0 */
	tp_touch(&d, 1, 5);                     /* 3 0 1 */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 3);
	tp_touch(&d, 1, 6);                     /* already the newest: 3 0 1 */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 3);
	d.ops->on_evict(d.state, 3, POLICY_RELEASE);            /* 0 1 */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 0);
	tp_load(&d, 2, 7);                      /* 0 1 2 */
	tp_touch(&d, 0, 8);                     /* 1 2 0 */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 1);
	tp_direct_close(&d);
}

Test(policy, direct_lfu)
{
	tp_direct_t d = tp_direct_open("lfu", 6, NULL, 1);
	for (frame_id_t f = 0; f < 6; f++)
		tp_load(&d, f, f);                  /* all count 1, fill seq = f */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 0);
	uint64_t seq = 6;
	/* counts: frame 0:4, 1:3, 2:1, 3:2, 4:1, 5:5 */
	for (int i = 0; i < 3; i++) tp_touch(&d, 0, seq++);
	for (int i = 0; i < 2; i++) tp_touch(&d, 1, seq++);
	tp_touch(&d, 3, seq++);
	for (int i = 0; i < 4; i++) tp_touch(&d, 5, seq++);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 2);   /* count 1, older than 4 */
	d.ops->on_evict(d.state, 2, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 4);
	d.ops->on_evict(d.state, 0, POLICY_RELEASE);                    /* released from the middle */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 4);
	tp_touch(&d, 4, seq++);                         /* 4:2, 3:2; 3 is older */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 3);
	tp_load(&d, 2, seq++);                          /* a fresh page: count 1 */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 2);
	d.ops->on_evict(d.state, 2, POLICY_RELEASE);
	d.ops->on_evict(d.state, 3, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 4);   /* 4:2 < 1:3 < 5:5 */
	d.ops->on_evict(d.state, 4, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 1);
	d.ops->on_evict(d.state, 1, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 5);
	tp_direct_close(&d);
}

Test(policy, direct_opt)
{
	/* Only the entries of the seqs used below matter. */
	uint64_t next[16];
	for (size_t i = 0; i < TP_LEN(next); i++)
		next[i] = NEXT_USE_NEVER;
	next[0] = 9; next[1] = 12; next[2] = NEXT_USE_NEVER; next[3] = 7;
	next[4] = NEXT_USE_NEVER; next[5] = 11;
	tp_direct_t d = tp_direct_open("opt", 6, next, 1);
	for (frame_id_t f = 0; f < 6; f++)
		tp_load(&d, f, f);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 2);   /* never, filled before 4 */
	d.ops->on_evict(d.state, 2, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 4);
	d.ops->on_evict(d.state, 0, POLICY_RELEASE);                    /* released */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 4);
	d.ops->on_evict(d.state, 4, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 1);   /* 1@12 > 5@11 > 3@7 */
	next[7] = 15;                                   /* seq 7 is frame 3's use */
	tp_touch(&d, 3, 7);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 3);
	next[11] = 13;
	tp_touch(&d, 5, 11);                            /* 5@13, 1@12, 3@15 */
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 3);
	d.ops->on_evict(d.state, 3, POLICY_RELEASE);
	cr_expect_eq(d.ops->pick_victim(d.state, &no_page), 5);
	tp_direct_close(&d);
}

Test(policy, direct_random_follows_the_documented_algorithm)
{
	for (uint64_t seed = 0; seed < 20; seed++) {
		tp_direct_t d = tp_direct_open("random", 5, NULL, seed);
		rng_t r;
		rng_seed(&r, seed);
		frame_id_t resident[5] = { 0, 1, 2, 3, 4 };
		uint32_t n = 5;
		for (frame_id_t f = 0; f < 5; f++)
			tp_load(&d, f, f);
		d.ops->on_evict(d.state, 1, POLICY_RELEASE);    /* resident becomes 0 4 2 3 */
		resident[1] = resident[--n];
		for (int k = 0; k < 50; k++) {
			frame_id_t v = d.ops->pick_victim(d.state, &no_page);
			frame_id_t want = resident[rng_below(&r, n)];
			cr_assert_eq(v, want, "seed %llu, pick %d", (unsigned long long)seed, k);
			/* evict it and refill the same frame: it moves to the end */
			d.ops->on_evict(d.state, v, POLICY_RELEASE);
			uint32_t i = 0;
			while (resident[i] != v)
				i++;
			resident[i] = resident[n - 1];
			resident[n - 1] = v;
			tp_load(&d, v, 100 + (uint64_t)k);
		}
		tp_direct_close(&d);
	}
}

/* ---- the generator -------------------------------------------------------------- */

Test(rng, xoshiro256starstar_reference_values)
{
	/* From the authors' reference code (splitmix64.c, xoshiro256starstar.c)
	 * with x = 0 then s[i] = splitmix64 next() four times. */
	uint64_t x = 0;
	x += 0x9e3779b97f4a7c15ull;
	cr_expect_eq(rng_mix64(x), 0xe220a8397b1dcdafull);   /* splitmix64(0), 1st */
	rng_t r;
	rng_seed(&r, 1);
	cr_expect_eq(rng_next(&r), 0xb3f2af6d0fc710c5ull);
	cr_expect_eq(rng_next(&r), 0x853b559647364ceaull);
	cr_expect_eq(rng_next(&r), 0x92f89756082a4514ull);
}

Test(rng, below_is_in_range_and_covers_it)
{
	rng_t r;
	rng_seed(&r, 7);
	int seen[7] = { 0 };
	for (int i = 0; i < 7000; i++) {
		uint64_t v = rng_below(&r, 7);
		cr_assert_lt(v, 7);
		seen[v]++;
	}
	for (int i = 0; i < 7; i++)
		cr_expect(seen[i] > 800 && seen[i] < 1200, "%d drawn %d times", i, seen[i]);
	cr_expect_eq(rng_below(&r, 1), 0);
	const uint64_t big = (1ull << 63) + 1;   /* rejects almost half the draws */
	for (int i = 0; i < 1000; i++)
		cr_assert_lt(rng_below(&r, big), big);
}

/* ---- the next-use index -------------------------------------------------------- */

Test(nextuse, small_by_hand)
{
	const vm_pageref_t refs[] = {
		{ .pid = 0, .vpn = 5, .kind = 'R' },   /* 0 -> 2 */
		{ .pid = 1, .vpn = 5, .kind = 'R' },   /* 1 -> 4: another process */
		{ .pid = 0, .vpn = 5, .kind = 'W' },   /* 2 -> never */
		{ .pid = 0, .vpn = 7, .kind = 'X' },   /* 3 -> 5 */
		{ .pid = 1, .vpn = 5, .kind = 'R' },   /* 4 -> never */
		{ .pid = 0, .vpn = 7, .kind = 'R' },   /* 5 -> never */
		{ .pid = 2, .vpn = 5, .kind = 'R' },   /* 6 -> never */
	};
	const uint64_t want[] = { 2, 4, NEXT_USE_NEVER, 5, NEXT_USE_NEVER,
				  NEXT_USE_NEVER, NEXT_USE_NEVER };
	uint64_t *next = NULL;
	cr_assert_eq(nextuse_build(refs, TP_LEN(refs), &next), VM_OK);
	for (size_t i = 0; i < TP_LEN(refs); i++)
		cr_expect_eq(next[i], want[i], "ref %zu", i);
	free(next);
}

Test(nextuse, empty_is_not_null)
{
	uint64_t *next = NULL;
	cr_expect_eq(nextuse_build(NULL, 0, &next), VM_OK);
	cr_expect_not_null(next);
	free(next);
}

Test(nextuse, matches_brute_force)
{
	enum { N = 3000 };
	vm_pageref_t *refs = calloc(N, sizeof *refs);
	cr_assert_not_null(refs);
	rng_t r;
	rng_seed(&r, 99);
	for (size_t i = 0; i < N; i++) {
		/* few pids, vpns both small and with high bits, so keys collide in
		 * their low bits */
		uint64_t v = rng_below(&r, 64);
		refs[i] = (vm_pageref_t){ .pid = (uint32_t)rng_below(&r, 3),
					  .vpn = rng_below(&r, 2) ? v : v << 40, .kind = 'R' };
	}
	uint64_t *next = NULL;
	cr_assert_eq(nextuse_build(refs, N, &next), VM_OK);
	for (size_t i = 0; i < N; i++) {
		uint64_t want = NEXT_USE_NEVER;
		for (size_t j = i + 1; j < N; j++)
			if (refs[j].pid == refs[i].pid && refs[j].vpn == refs[i].vpn) {
				want = j;
				break;
			}
		cr_assert_eq(next[i], want, "ref %zu", i);
	}
	free(next);
	free(refs);
}
