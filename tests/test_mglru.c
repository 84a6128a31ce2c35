/* test_mglru.c - mglru (src/policy/mglru.c) run as a user runs it: `vmlab
 * run --format pages --tlb 0 --policy mglru --frames F` on Belady's string,
 * worked by hand, with the --steps lines where aging promotes a page; its
 * registration; the list --events names ("gen N").
 *
 * Conventions of the working: seqN is generation N, living in list gN =
 * N mod 4 (what --steps and --events print); a generation is written tail
 * (scanned first) to head; p* a page whose accessed bit is set (the fault
 * that loads a page sets it).  The machine starts with min_seq 0, max_seq 3
 * (four empty generations).  Before each eviction: empty oldest
 * generations are retired while more than 2 remain; aging runs when only 2
 * remain, or (once per eviction) when exactly 3 remain and the youngest
 * holds more than half the pages or the oldest under a quarter.  Aging
 * tests and clears every page's bit, moving young pages of older
 * generations to the youngest, then opens seq max+1.  The oldest
 * generation's tail is then evicted unless its bit is set (it then moves to
 * the youngest with its referenced flag R).  Tiers never protect here:
 * that takes 64 refaults of a tier (MIN_LRU_BATCH). */
#include <criterion/criterion.h>
#include <string.h>

#include "cmd.h"
#include "policy/policy.h"

static const char BELADY[] = "1 2 3 4 1 2 5 1 2 3 4 5";

static cmd_out_t mg_out;

static unsigned long long mg_run(unsigned frames, const char *s, const char *key)
{
	run(&mg_out, "printf '%%s\\n' '%s' | %s run --format pages --tlb 0 --policy mglru --frames %u --json -",
	    s, vmlab(), frames);
	cr_assert_eq(mg_out.status, 0, "%u frames: %s", frames, mg_out.err);
	return json_u(mg_out.out, key);
}

Test(mglru, registered_with_its_sources_and_hardware_bits)
{
	const policy_ops_t *p = policy_find("mglru");
	cr_assert_not_null(p);
	cr_expect_eq(p->version, POLICY_VERSION);
	cr_expect_eq(p->needs, POLICY_NEEDS_HW_BITS);
	cr_expect_null(p->on_access, "hardware does not report references");
	cr_expect(strstr(p->paper, "mm/vmscan.c") && strstr(p->paper, "mm/workingset.c") &&
		  strstr(p->paper, "multigen_lru.rst"), "%s", p->paper);
	cr_expect(strstr(p->summary, "simplified"), "%s", p->summary);
	cr_expect_not_null(p->victim_list);
	cr_expect_not_null(p->order);
	cr_expect_not_null(p->note);
}

/* Belady's string.
 *
 * 3 frames (10):
 *   r1-3 m: seq3 [1* 2* 3*].
 *   r4 4 m: retire seq0, seq1 (min 2; 2 generations left); age: seq3 is
 *     the youngest, its bits cleared; open seq4; retire seq2 (2 left);
 *     age: nothing young; open seq5.  Evict seq3's tail 1 (g3).  4 -> seq5.
 *   r5 1 m: 3 generations (3..5): youngest 1 of 3 pages, oldest 2: no
 *     aging.  Evict 2.  1 -> seq5 [4* 1*].
 *   r6 2 m: youngest 2 of 3 > half: age (3 and 4 1 cleared), open seq6.
 *     Evict 3.  2 -> seq6 [2*].
 *   r7 5 m: retire seq3, seq4 (2 left: 5..6); age: seq5 [4 1] not young,
 *     seq6's bit cleared; open seq7.  Evict seq5's tail 4.  5 -> seq7.
 *     Now seq5 [1], seq6 [2], seq7 [5*].
 *   r8 1 h (1*), r9 2 h (2*).
 *   r10 3 m: no aging (youngest 1 of 3, oldest 1 of 3).  seq5's tail 1 is
 *     accessed: R, to seq7 [5* 1].  Retire seq5 (2 left: 6..7); age: 2* in
 *     seq6 moves to the youngest, seq7 [5 1 2] (aging promotes), open
 *     seq8; retire seq6; age: nothing young; open seq9.  Evict seq7's tail
 *     5.  3 -> seq9.
 *   r11 4 m: no aging (1 of 3 youngest, 2 of 3 oldest).  Evict 1.  4 ->
 *     seq9.
 *   r12 5 m: youngest 2 of 3: age, open seq10.  Evict seq7's 2.
 *   Misses r1-7, r10-12: 10.
 * 4 frames (10):
 *   r1-4 m seq3 [1* 2* 3* 4*]; r5 1 h, r6 2 h.
 *   r7 5 m: as r4 above, two agings clear every bit; evict 1; 5 -> seq5.
 *   r8 1 m: youngest 1 of 4, oldest 3: evict 2 (cleared at r7). 1 -> seq5.
 *   r9 2 m: youngest 2 of 4 (not more than half), oldest 2: evict 3.
 *   r10 3 m: youngest 3 of 4: age (5 1 2 cleared), open seq6; evict 4.
 *   r11 4 m: retire seq3, seq4; age: seq5's 5 1 2 not young; evict 5.
 *   r12 5 m: evict 1.  Misses r1-4, r7-12: 10; each of r8-r12 is a
 *   refault (the page's shadow is still kept): 5.
 * 2 frames: every page comes back after two others, and each eviction
 *   finds the oldest page unused since the last aging: 12.  1 frame: 12.
 *   5 frames: the 5 cold misses. */
Test(mglru, belady_table)
{
	static const unsigned long long want[] = { 12, 12, 10, 10, 5 };
	for (unsigned f = 1; f <= 5; f++)
		cr_expect_eq(mg_run(f, BELADY, "page_faults"), want[f - 1], "%u frames", f);
	cr_expect_eq(mg_run(4, BELADY, "refaults"), 5);
	cr_expect_eq(mg_run(3, BELADY, "evictions"), 7);
}

/* The same run step by step, 3 frames: the generations in --steps
 * (oldest first, each from its tail), r7 to r10.  At r10, 1 moved at
 * eviction (R set) and 2 by aging (no R). */
Test(mglru, steps_show_aging_promote)
{
	run(&mg_out, "printf '%%s\\n' '%s' | %s run --format pages --tlb 0 --policy mglru --frames 3 --steps -",
	    BELADY, vmlab());
	cr_assert_eq(mg_out.status, 0, "%s", mg_out.err);
	cr_expect(strstr(mg_out.out, "step 7: page 5 R tlb-miss MISS minor frame 0 Replaced:4 (clean) "
				     "oldest gen -> [1(g1,a=0), 2(g2,a=0), 5(g3,a=1)] <- youngest [Hits:0 Misses:7]\n"),
		  "%s", mg_out.out);
	cr_expect(strstr(mg_out.out, "step 9: page 2 R tlb-miss HIT        frame 2 Replaced:- "
				     "oldest gen -> [1(g1,a=1), 2(g2,a=1), 5(g3,a=1)] <- youngest [Hits:2 Misses:7]\n"),
		  "%s", mg_out.out);
	cr_expect(strstr(mg_out.out, "step 10: page 3 R tlb-miss MISS minor frame 0 Replaced:5 (clean) "
				     "oldest gen -> [1(g3,a=0,R), 2(g3,a=0), 3(g1,a=1)] <- youngest [Hits:2 Misses:8]\n"),
		  "%s", mg_out.out);
}

/* A loop of 4 pages through 3 frames, three times (12 references): the
 * oldest generation's tail, unused since the last aging, is always the
 * page the loop needs next (LRU's failure too): 12 misses.  With 4 frames
 * only the 4 cold misses. */
Test(mglru, loop_larger_than_memory)
{
	static const char loop[] = "1 2 3 4 1 2 3 4 1 2 3 4";
	cr_expect_eq(mg_run(3, loop, "page_faults"), 12);
	cr_expect_eq(mg_run(4, loop, "page_faults"), 4);
}
