/* test_policy_v2a.c - the policies that keep history: arc, car, 2q, lirs,
 * lru2 (src/policy/{arc,car,twoq,lirs,lru2}.c and their ghost table,
 * ghost.h).
 *
 * The tables run `vmlab run --format pages --tlb 0` and every expected count
 * was worked by hand; the working below uses these conventions:
 *   ARC  T1 [MRU .. LRU] T2 [..] B1 [..] B2 [..], p the target for |T1|.
 *   CAR  T1 (hand first ..), a page's reference bit after it: 1*; the bit
 *        the fault set is cleared at the next fault of any page (car.c).
 *   2Q   A1in [newest .. oldest] Am [MRU .. LRU] A1out [newest .. oldest];
 *        Kin = max(1, c/4), Kout = max(1, c/2).
 *   LIRS S [top .. bottom] with n for a non-resident entry, Q [end .. front];
 *        Lhirs = 1 below 200 frames, so Llirs = c - 1.
 *   LRU-2 p(h1,h2) with h1, h2 the times (1-based reference number) of the
 *        last two references, 0 for none; the victim has the smallest h2,
 *        then the smallest h1.
 * With one frame every policy faults whenever the page changes.  Besides the
 * tables: equality with libCacheSim's ARC and TwoQ on a long stream, released
 * and forgotten pages leaving no history, and the history's memory staying
 * bounded over a long run of distinct pages. */
#include <criterion/criterion.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "vmlab.h"
#include "policy/policy.h"

#define TV_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The policies of this file, and lru as the reference row. */
static const char *const tv_new[] = { "arc", "car", "2q", "lirs", "lru2" };

/* Faults of `vmlab run --format pages --tlb 0` on the page string s. */
static unsigned long long tv_cli(const char *s, const char *policy, unsigned frames)
{
	cmd_out_t *r = malloc(sizeof *r);
	cr_assert_not_null(r);
	run(r, "echo '%s' | %s run --format pages --tlb 0 --policy %s --frames %u --json -", s,
	    vmlab(), policy, frames);
	cr_assert_eq(r->status, 0, "%s %u: %s", policy, frames, r->err);
	unsigned long long n = json_u(r->out, "page_faults");
	free(r);
	return n;
}

typedef struct tv_row {
	const char *policy;
	unsigned long long faults[5];   /* with 1 .. 5 frames */
} tv_row_t;

static void tv_table(const char *what, const char *s, const tv_row_t *rows, size_t n)
{
	for (size_t r = 0; r < n; r++)
		for (unsigned f = 1; f <= 5; f++) {
			unsigned long long got = tv_cli(s, rows[r].policy, f);
			cr_expect_eq(got, rows[r].faults[f - 1], "%s, %s, %u frames: %llu, expected %llu",
				     what, rows[r].policy, f, got, rows[r].faults[f - 1]);
		}
}

Test(policy_v2a, registry_declares_them)
{
	static const policy_needs_t needs[] = { POLICY_NEEDS_EVERY_REF, POLICY_NEEDS_HW_BITS,
						POLICY_NEEDS_EVERY_REF, POLICY_NEEDS_EVERY_REF,
						POLICY_NEEDS_EVERY_REF };
	for (size_t i = 0; i < TV_LEN(tv_new); i++) {
		const policy_ops_t *p = policy_find(tv_new[i]);
		cr_assert_not_null(p, "%s", tv_new[i]);
		cr_expect_eq(p->version, POLICY_VERSION);
		cr_expect_eq(p->needs, needs[i], "%s", tv_new[i]);
		cr_expect(p->paper && p->paper[0], "%s has no paper", tv_new[i]);
		cr_expect(p->summary && p->summary[0] && !strchr(p->summary, '\n'));
		cr_expect_not_null(p->on_forget, "%s keeps history", tv_new[i]);
		cr_expect_eq(p->on_access == NULL, p->needs == POLICY_NEEDS_HW_BITS, "%s", tv_new[i]);
	}
}

/* ---- Belady's string 1 2 3 4 1 2 5 1 2 3 4 5 ---------------------------------
 * ARC, 4 frames: 1-4 miss, T1 [4 3 2 1]; 1 2 hit: T1 [4 3] T2 [2 1];
 *   5: case IV, |T1|+|B1| = 2 < 4, REPLACE with p = 0 takes T1's LRU 3 into
 *   B1; 1 2 hit; 3: in B1, p = 0 + max(1, 0/1) = 1, REPLACE: |T1| = 2 > 1,
 *   4 into B1, 3 to T2 [3 2 1], T1 [5]; 4: in B1, p = 2, |T1| = 1 <= 2: T2's
 *   LRU 1 into B2, T2 [4 3 2]; 5 hit                          => 7 faults
 * ARC, 3 frames: 1-3 miss; 4, 1, 2, 5 each find |T1| = 3 = c with B1 empty,
 *   so T1's LRU leaves with no ghost (4 evicts 1, 1 evicts 2, 2 evicts 3, 5
 *   evicts 4): T1 [5 2 1]; 1 2 hit: T1 [5] T2 [2 1]; 3: |T1|+|B1| = 1,
 *   REPLACE p = 0: 5 into B1; 4: 3 into B1 [3 5]; 5: in B1, p = 1, |T1| = 1
 *   is not > 1: T2's LRU 1 into B2                            => 10 faults
 * CAR, 3 frames: 1 2 3 fill T1 (1 2 3); 4: all bits clear, 1 leaves into B1,
 *   and |T1|+|B1| = 3 = c drops it again; so for 1, 2, 5 (evicting 2 3 4):
 *   T1 (1 2 5); 1 2 hit: bits set; 3: 1* and 2* move to T2 with bits
 *   cleared, 5 goes to B1; 4: T1 (3): 3 into B1 [3 5]; 5: T1 (4): 4 into B1,
 *   then 5 found in B1: p = 1, 5 to T2                       => 10 faults
 * CAR, 4 frames: 1 2 3 4; 1 2 hit (1*, 2*; the bit of 4 is cleared at 5's
 *   fault); 5: 1* 2* to T2, 3 into B1, T1 (4 5); 1 2 hit; 3: in B1, 4 into
 *   B1, p = 1, 3 to T2; 4: in B1, |T1| = 1 >= 1: 5 into B1, 4 to T2;
 *   5: in B1, T1 empty: T2's hand clears 1* 2*, evicts 3     => 8 faults
 * 2Q, 4 frames (Kin 1, Kout 2): 1-4 into A1in; 1 2 hit in A1in (nothing);
 *   5: |A1in| = 4 > 1, 1 to A1out; 1: in A1out, 2 to A1out, 1 to Am; 2: 3
 *   to A1out, 2 to Am; 3: 4 to A1out, Am [3 2 1], A1in [5]; 4: in A1out,
 *   |A1in| = 1 = Kin so Am's LRU 1 goes (no ghost); 5 hit    => 9 faults
 * 2Q, 3 frames (Kin 1, Kout 1): 4 sends 1 to A1out; 1 (A1out) sends 2; 2
 *   (A1out) sends 3, Am [2 1]; 5: |A1in| = 1, Am's LRU 1 goes; 1: A1out [3]:
 *   a new page, 4 to A1out; 2 hit; 3 sends 5, 4 sends 1, 5 sends 3 => 11
 * LIRS, 2 frames (Llirs 1): 1 LIR; 2 HIR; 3: 2 leaves (S [2n 1]), 3 HIR;
 *   4: 3 leaves; 1 hit at the bottom: S [1 4 3n 2n] pruned to [1]; 2: 4
 *   leaves, not in S: no ghost; 5, then 1 hit (pruned to [1]); 2 3 4 5 miss
 *                                                              => 10 faults
 * LIRS, 3 frames: 1 2 LIR, 3 HIR; 4: 3 leaves (S [4 3n 2 1]); 1 hit; 2 hit
 *   at the bottom: S [2 1 4 3n] pruned to [2 1]; 5: 4 leaves with no ghost;
 *   1 2 hit (5 pruned); 3 4 5 miss                            => 8 faults
 * LIRS, 4 frames: 1 2 3 LIR, 4 HIR; 5: 4 leaves (S [5 2 1 4n 3] after
 *   1 2); 1 2 hit; 3 hit at the bottom: pruned to [3 2 1]; 4 evicts 5 (not
 *   in S), 5 evicts 4                                         => 7 faults
 * LRU-2, 3 frames: 1(1,0) 2(2,0) 3(3,0); 4 evicts 1 (h2 = 0, oldest h1);
 *   1 evicts 2 and returns as 1(5,1); 2 evicts 3: 2(6,2); 5 evicts 4 (h2 0);
 *   1(8,5) 2(9,6) hit; 3 evicts 5 (h2 0), 3(10,3); 4 evicts 3 (h2 3 < 5 <
 *   6), 4(11,4); 5 evicts 4                                   => 10 faults
 * LRU-2, 4 frames: 1 2 hit: 1(5,1) 2(6,2); 5 evicts 3; 1(8,5) 2(9,6);
 *   3 evicts 4 (h2 0), 3(10,3); 4 evicts 5 (h2 0), 4(11,4); 5 evicts 3
 *                                                              => 8 faults */
static const char tv_belady[] = "1 2 3 4 1 2 5 1 2 3 4 5";

Test(policy_v2a, table_belady, .timeout = 60)
{
	static const tv_row_t rows[] = {
		{ "lru",  { 12, 12, 10, 8, 5 } },
		{ "arc",  { 12, 12, 10, 7, 5 } },
		{ "car",  { 12, 12, 10, 8, 5 } },
		{ "2q",   { 12, 12, 11, 9, 5 } },
		{ "lirs", { 12, 10, 8, 7, 5 } },
		{ "lru2", { 12, 12, 10, 8, 5 } },
	};
	tv_table("belady", tv_belady, rows, TV_LEN(rows));
}

/* ---- a scan LRU cannot survive -------------------------------------------------
 * 1 2 1 2, a scan 3 4 5 6, 1 2, a scan 7 8 9 10, 1 2, with 4 frames.
 * LRU: 5 and 6 evict 1 and 2, and 9 10 evict them again: only the first
 *   repeats hit                                               => 14 faults
 * ARC: 1 2 hit: T2 [2 1]; 3 4 in T1; 5, 6: p = 0 < |T1| = 2, so REPLACE
 *   takes T1's LRU (3, then 4) into B1; 1 2 hit; 7-10: |T1|+|B1| = 4 = c,
 *   so B1's LRU is dropped and T1's LRU goes into B1; 1 2 hit   => 10 faults
 * 2Q: 1 2 stay in A1in (their repeats are correlated); 5 6 send 1 2 to
 *   A1out, so 1 2 miss but enter Am, sending 3 4 to A1out; the scan 7-10
 *   only ever evicts from A1in (|A1in| = 2 > Kin), and 1 2 hit  => 12 faults
 * LIRS: 1 2 3 LIR, 4 HIR; 5 6 each evict the HIR page before them (left as
 *   non-resident entries); 1 2 hit as LIR; 7-10 evict only HIR pages; S at
 *   most 8 entries (4n and 5n dropped); 1 2 hit              => 10 faults
 * LRU-2: 1(3,1) 2(4,2); every scan page has h2 = 0 and goes first  => 10
 * CAR: 2's hit at reference 4 comes before the next fault, so 3's fault
 *   clears its bit; 5: 1* to T2, 2 into B1; 6: 3 goes, |T1|+|B1| = 4 drops
 *   2; 2 misses again; 1 stays in T2 and hits; every scan page and 2 miss
 *                                                              => 12 faults */
static const char tv_scan[] = "1 2 1 2 3 4 5 6 1 2 7 8 9 10 1 2";

Test(policy_v2a, table_scan, .timeout = 60)
{
	static const tv_row_t rows[] = {
		{ "lru",  { 16, 14, 14, 14, 14 } },
		{ "arc",  { 16, 12, 10, 10, 10 } },
		{ "car",  { 16, 12, 12, 12, 11 } },
		{ "2q",   { 16, 14, 14, 12, 12 } },
		{ "lirs", { 16, 12, 10, 10, 10 } },
		{ "lru2", { 16, 12, 10, 10, 10 } },
	};
	tv_table("scan", tv_scan, rows, TV_LEN(rows));
}

/* ---- a loop one page larger than memory -----------------------------------------
 * (1 2 3 4 5) three times, 4 frames.
 * LRU, ARC, CAR, LRU-2: every reference misses.  ARC: T1 is full with B1
 *   empty at every miss, so T1's LRU leaves with no ghost, as in LRU; LRU-2:
 *   no page is referenced twice while resident, so all h2 = 0 and LRU rules;
 *   CAR: no bit is ever set when the hand comes.              => 15 faults
 * 2Q: 5 sends 1 to A1out; 1 2 3 come back from A1out into Am (sending 2 3 4
 *   out); 4 comes from A1out with |A1in| = 1 = Kin: Am's LRU 1 goes; 5 hits
 *   in A1in; 1 and 2 miss (Am's LRU 2 goes, then A1in's 5 to A1out); 3 4 hit
 *   in Am; 5 from A1out                                       => 12 faults
 * LIRS: 1 2 3 LIR; 4 HIR; 5 evicts 4; 1 2 3 hit, and 3's hit prunes S to
 *   [3 2 1]; 4 evicts 5, 5 evicts 4, and again               => 9 faults */
static const char tv_loop[] = "1 2 3 4 5 1 2 3 4 5 1 2 3 4 5";

Test(policy_v2a, table_loop, .timeout = 60)
{
	static const tv_row_t rows[] = {
		{ "lru",  { 15, 15, 15, 15, 5 } },
		{ "arc",  { 15, 15, 15, 15, 5 } },
		{ "car",  { 15, 15, 15, 15, 5 } },
		{ "2q",   { 15, 15, 15, 12, 5 } },
		{ "lirs", { 15, 13, 11, 9, 5 } },
		{ "lru2", { 15, 15, 15, 15, 5 } },
	};
	tv_table("loop", tv_loop, rows, TV_LEN(rows));
}

/* ---- equal to libCacheSim ------------------------------------------------------
 * A stream of 30,000 draws of xorshift64 (13, 7, 17) from 88172645463325252:
 * page (r >> 16) % 24 when r % 8 < 5, else 100 + (r >> 16) % 300, with a
 * repeat of the previous page dropped (29,514 references).  The expected
 * misses are libCacheSim's (commit aa0fc40, `cachesim T oracleGeneral arc|twoq
 * N --ignore-obj-size 1`) on the same stream as an oracleGeneral file. */
static uint64_t tv_synth(vm_machine_t *m)
{
	uint64_t x = 88172645463325252ull, last = UINT64_MAX, n = 0;
	for (int i = 0; i < 30000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t page = x % 8 < 5 ? (x >> 16) % 24 : 100 + (x >> 16) % 300;
		if (page == last)
			continue;
		last = page;
		n++;
		if (m)
			cr_assert_eq(vm_ref(m, 0, page, 'R'), 0);
	}
	return n;
}

static uint64_t tv_synth_faults(const char *policy, uint32_t frames)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = frames;
	c.policy = policy;
	c.tlb_entries = 0;
	c.tlb_ways = 0;
	vm_machine_t *m = NULL;
	char err[256] = "";
	cr_assert_eq(vm_create(&m, &c, NULL, err, sizeof err), 0, "%s", err);
	tv_synth(m);
	uint64_t f = vm_stats(m)->page_faults;
	vm_destroy(m);
	return f;
}

Test(policy_v2a, arc_and_2q_equal_libcachesim)
{
	cr_assert_eq(tv_synth(NULL), 29514);
	static const uint32_t frames[] = { 4, 8, 16, 32, 64 };
	static const uint64_t arc[] = { 27502, 24789, 19246, 11643, 9746 };
	static const uint64_t twoq[] = { 27531, 24946, 20096, 12663, 9701 };
	for (size_t i = 0; i < TV_LEN(frames); i++) {
		cr_expect_eq(tv_synth_faults("arc", frames[i]), arc[i], "arc %u", frames[i]);
		cr_expect_eq(tv_synth_faults("2q", frames[i]), twoq[i], "2q %u", frames[i]);
	}
}

/* ---- history: released and forgotten pages leave none ------------------------- */

typedef struct tv_direct {
	const policy_ops_t *ops;
	void *priv, *state;
} tv_direct_t;

static tv_direct_t tv_open(const char *name, uint32_t nframes)
{
	tv_direct_t d = { .ops = policy_find(name) };
	cr_assert_not_null(d.ops);
	d.priv = calloc(nframes, d.ops->frame_priv_size);
	policy_env_t env = { .nframes = nframes, .seed = 1, .frame_priv = d.priv };
	d.state = d.ops->create(&env);
	cr_assert_not_null(d.state);
	return d;
}

static void tv_close(tv_direct_t *d)
{
	d->ops->destroy(d->state);
	free(d->priv);
}

/* Frame f takes page key at reference seq (and the retry). */
static void tv_fill(tv_direct_t *d, frame_id_t f, page_key_t key, uint64_t seq)
{
	policy_page_t pg = { .key = key, .seq = seq };
	d->ops->on_fill(d->state, f, &pg);
	if (d->ops->on_access)
		d->ops->on_access(d->state, f, seq);
}

static frame_id_t tv_pick(tv_direct_t *d, page_key_t key, uint64_t seq)
{
	policy_page_t pg = { .key = key, .seq = seq };
	return d->ops->pick_victim(d->state, &pg);
}

enum { TV_KEEP, TV_RELEASE, TV_FORGET };

/* ARC, 2 frames, pages A B C: A B fill T1; A hits (T2 [A]); C comes: REPLACE
 * (p = 0 < |T1| = 1) takes B, which goes into B1 unless released; C fills
 * B's frame.  Then B comes back: from B1, p = 1 and |T1| = 1 is not > p, so
 * T2's A (frame 0) goes; without the ghost it is case IV with p = 0, and
 * T1's C (frame 1) goes. */
static frame_id_t tv_arc_case(int how)
{
	enum { A = 10, B = 11, C = 12 };
	tv_direct_t d = tv_open("arc", 2);
	tv_fill(&d, 0, A, 0);
	tv_fill(&d, 1, B, 1);
	d.ops->on_access(d.state, 0, 2);
	cr_assert_eq(tv_pick(&d, C, 3), 1);
	d.ops->on_evict(d.state, 1, how == TV_RELEASE ? POLICY_RELEASE : POLICY_RECLAIM);
	if (how == TV_FORGET)
		d.ops->on_forget(d.state, B);
	tv_fill(&d, 1, C, 3);
	frame_id_t v = tv_pick(&d, B, 4);
	tv_close(&d);
	return v;
}

/* LRU-2, 2 frames: B fills frame 0 (time 1), A frame 1 (time 2), B is used
 * at time 3: B(3,1).  A (h2 0) is the victim and leaves; A comes straight
 * back at time 4: with its history A(4,2), so B (h2 1) is next; without,
 * A(4,0) is. */
static frame_id_t tv_lru2_case(int how)
{
	enum { A = 20, B = 21 };
	tv_direct_t d = tv_open("lru2", 2);
	tv_fill(&d, 0, B, 0);
	tv_fill(&d, 1, A, 1);
	d.ops->on_access(d.state, 0, 2);
	cr_assert_eq(tv_pick(&d, A + 100, 3), 1);
	d.ops->on_evict(d.state, 1, how == TV_RELEASE ? POLICY_RELEASE : POLICY_RECLAIM);
	if (how == TV_FORGET)
		d.ops->on_forget(d.state, A);
	tv_fill(&d, 1, A, 3);
	frame_id_t v = tv_pick(&d, PAGE_KEY_NONE, 4);
	tv_close(&d);
	return v;
}

/* LIRS, 3 frames (Llirs 2): A B LIR, C HIR; D comes: C leaves, as a
 * non-resident entry of S unless released; C comes back in C's frame: from S
 * it becomes LIR and the bottom LIR page A (frame 0) moves to Q, so A is the
 * next victim; without the entry C is a new HIR page and is itself next. */
static frame_id_t tv_lirs_case(int how)
{
	enum { A = 30, B = 31, C = 32, D = 33 };
	tv_direct_t d = tv_open("lirs", 3);
	tv_fill(&d, 0, A, 0);
	tv_fill(&d, 1, B, 1);
	tv_fill(&d, 2, C, 2);
	cr_assert_eq(tv_pick(&d, D, 3), 2);
	d.ops->on_evict(d.state, 2, how == TV_RELEASE ? POLICY_RELEASE : POLICY_RECLAIM);
	if (how == TV_FORGET)
		d.ops->on_forget(d.state, C);
	tv_fill(&d, 2, C, 3);
	frame_id_t v = tv_pick(&d, PAGE_KEY_NONE, 4);
	tv_close(&d);
	return v;
}

Test(policy_v2a, release_and_forget_leave_no_history)
{
	cr_expect_eq(tv_arc_case(TV_KEEP), 0);
	cr_expect_eq(tv_arc_case(TV_RELEASE), 1);
	cr_expect_eq(tv_arc_case(TV_FORGET), 1);
	cr_expect_eq(tv_lru2_case(TV_KEEP), 0);
	cr_expect_eq(tv_lru2_case(TV_RELEASE), 1);
	cr_expect_eq(tv_lru2_case(TV_FORGET), 1);
	cr_expect_eq(tv_lirs_case(TV_KEEP), 0);
	cr_expect_eq(tv_lirs_case(TV_RELEASE), 2);
	cr_expect_eq(tv_lirs_case(TV_FORGET), 2);
}

/* ---- history stays bounded -----------------------------------------------------
 * Each policy of this file (driven directly, so car reads no bits: the
 * machine is NULL) with 16 frames sees 200,000 distinct pages
 * (every one evicted by reclaim, so each leaves a ghost).  The heap in use
 * after the first 2,000 (when every ghost table has reached its bound) must
 * not grow by the end: an unbounded ghost list would take 200,000 entries. */
static size_t tv_heap(void)
{
	return mallinfo2().uordblks;
}

Test(policy_v2a, ghosts_bounded_over_distinct_pages)
{
	enum { F = 16, WARM = 2000, N = 200000 };
	for (size_t p = 0; p < TV_LEN(tv_new); p++) {
		const policy_ops_t *ops = policy_find(tv_new[p]);
		tv_direct_t d = tv_open(ops->name, F);
		size_t warm = 0;
		for (uint64_t i = 0; i < N; i++) {
			frame_id_t f;
			if (i < F) {
				f = (frame_id_t)i;
			} else {
				f = tv_pick(&d, 1000 + i, i);
				cr_assert_lt(f, F);
				d.ops->on_evict(d.state, f, POLICY_RECLAIM);
			}
			tv_fill(&d, f, 1000 + i, i);
			if (i == WARM)
				warm = tv_heap();
		}
		cr_expect_leq(tv_heap(), warm, "%s: heap grew from %zu to %zu bytes", ops->name,
			      warm, tv_heap());
		tv_close(&d);
	}
}
