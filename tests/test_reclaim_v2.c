/* test_reclaim_v2.c - the kernel's side of policy interface version 2:
 * shadow entries kept for reclaimed pages and handed back on refault
 * (refaults, shadow_entries), on_forget when a page's identity dies, the
 * policy's victim list in --events and its own counters in the JSON; and
 * the linux policy (src/policy/linux.c) worked by hand.
 *
 * Conventions of the working (trace mode, one process, every reference a
 * read): IA [a b c] is the inactive anon list from head to tail (the tail is
 * scanned first), AA the active anon list; a page's accessed bit A is set by
 * every reference that walks the table (the one that faults it in, and the
 * first after a scan cleared it), R is its referenced flag.  A scan of the
 * inactive tail: A and R -> activate; A only -> keep (R set, to the head);
 * neither -> the victim.  age counts evictions and activations; a page
 * evicted at age e has shadow e + 1, and refaulting when the clock shows t
 * its distance is t - e, compared with the active anon list's size (the
 * working set an anonymous refault competes with when there are no file
 * pages).  Shadows are kept for at most 2 evictions per frame. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "vmlab.h"
#include "util/vmerr.h"

#define RV_LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct rv_result {
	vm_stats_t st;
	uint64_t activations, deactivations;
	size_t ncounters;
} rv_result_t;

/* Run pages (reads by process 0) on a fresh machine with policy and
 * frames; the final counters and the policy's own. */
static rv_result_t rv_run(const char *policy, const uint64_t *pages, size_t n, uint32_t frames)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = frames;
	c.policy = policy;
	vm_machine_t *m = NULL;
	char err[256] = "";
	cr_assert_eq(vm_create(&m, &c, NULL, err, sizeof err), 0, "%s", err);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(vm_ref(m, 0, pages[i], 'R'), 0, "reference %zu", i);
	rv_result_t r = { .st = *vm_stats(m) };
	const char *names[8];
	uint64_t values[8];
	r.ncounters = vm_policy_counters(m, names, values, 8);
	for (size_t i = 0; i < r.ncounters; i++) {
		if (!strcmp(names[i], "activations"))
			r.activations = values[i];
		else if (!strcmp(names[i], "deactivations"))
			r.deactivations = values[i];
		else
			cr_assert_fail("unexpected counter %s", names[i]);
	}
	vm_destroy(m);
	return r;
}

/* Belady's string, 1 2 3 4 1 2 5 1 2 3 4 5.
 *
 * 3 frames: 1 2 3 fill IA [3 2 1].  4: 1, 2, 3 kept (R set, A cleared),
 * then 1 (R, no A) is the victim (evicted at age 0) -> [4 3 2].  1: 2 is
 * the victim (age 1); 1 comes back at age 2, distance 2 > 0 active: inactive
 * [1 4 3].  2: victim 3 (age 2), 2's distance 3 - 1 = 2 -> [2 1 4].  5: 4,
 * 1, 2 kept (each A only), 4 the victim (age 3) -> [5 2 1].  1, 2 hit (A
 * set again).  3: 1 has A and R: activated (AA [1], age 5), so is 2 (AA [2
 * 1], age 6); inactive [5] is now low (1 < 2): 1 is deactivated -> IA [1 5],
 * AA [2]; 5 kept, then 1 (R, no A) the victim, evicted at age 6 (clock 7);
 * 3 (evicted at 2) comes back at distance 7 - 2 = 5 > 1 active page -> IA
 * [3 5].  4: victim 5 (evicted at 7), 4's distance 8 - 3 = 5 -> [4 3].  5:
 * 3 and 4 kept, then 3 the victim (clock 9); 5's distance 9 - 7 = 2 > 1 ->
 * inactive.  Faults 10 (all but the hits on the third 1 and 2); refaults 5
 * (the second 1 and 2, the last 3, 4, 5), activations 2, deactivations 1,
 * 7 evictions; 1 and 3 remain evicted: 2 shadows.
 *
 * 4 frames: 1 2 3 4 fill; 1, 2 hit; 5: all four kept, 1 the victim (age
 * 0).  1: victim 2 (R, no A; age 1); 1 at distance 2 -> inactive.  2:
 * victim 3; 3: victim 4; each returns at distance 2 > 0.  4: 5, 1, 2, 3 kept,
 * 5 the victim (age 4); 5: victim 1.  10 faults, 5 refaults, no activation,
 * 6 evictions, 1 shadow (1's).
 *
 * 2 frames: every reference faults (12); the victims in order are 1, 2, 3,
 * 4, 1, 2, 5, 1, 2, 3 (keeps in between), and every refault's distance is 2
 * or more with nothing active; refaults are the second 1 and 2, the third 1
 * and 2, then 3, 4, 5 (3 and 4 were evicted at ages 2 and 3, still among
 * the 4 shadows kept): 7; shadows left: 1, 2, 3 -> 3.
 *
 * 1 frame: 12 faults, each page kept once and then the victim.  Only the
 * last 2 evictions keep a shadow, so only a page evicted one or two faults
 * ago is a refault: the 1 and 2 after 5 (the second 1 left when 2 came, the
 * second 2 when 5 came): 2 refaults, 2 shadows.
 *
 * 5 frames: 5 faults, nothing evicted. */
Test(reclaim_v2, linux_belady_at_several_frame_counts)
{
	static const uint64_t s[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
	static const struct {
		uint32_t frames;
		uint64_t faults, refaults, shadows, evictions, act, deact;
	} want[] = {
		{ 1, 12, 2, 2, 11, 0, 0 }, { 2, 12, 7, 3, 10, 0, 0 }, { 3, 10, 5, 2, 7, 2, 1 },
		{ 4, 10, 5, 1, 6, 0, 0 },  { 5, 5, 0, 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < RV_LEN(want); i++) {
		rv_result_t r = rv_run("linux", s, RV_LEN(s), want[i].frames);
		uint32_t f = want[i].frames;
		cr_expect_eq(r.st.page_faults, want[i].faults, "%u frames: faults %llu", f,
			     (unsigned long long)r.st.page_faults);
		cr_expect_eq(r.st.refaults, want[i].refaults, "%u frames: refaults %llu", f,
			     (unsigned long long)r.st.refaults);
		cr_expect_eq(r.st.shadow_entries, want[i].shadows, "%u frames: shadows %llu", f,
			     (unsigned long long)r.st.shadow_entries);
		cr_expect_eq(r.st.evictions, want[i].evictions, "%u frames", f);
		cr_expect_eq(r.activations, want[i].act, "%u frames: activations", f);
		cr_expect_eq(r.deactivations, want[i].deact, "%u frames: deactivations", f);
		cr_expect_eq(r.ncounters, 2);
	}
}

/* A loop one page larger than memory, 1 2 3 4 three times at 3 frames:
 * every page is kept once and evicted before it returns (the victim is
 * always the page needed soonest, as with LRU); every refault is at
 * distance 2 with nothing active.  12 faults, 8 refaults, 9 evictions, no
 * activation; 1 (evicted last) keeps the only shadow. */
Test(reclaim_v2, linux_loop_slightly_larger_than_memory)
{
	static const uint64_t s[] = { 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4 };
	rv_result_t r = rv_run("linux", s, RV_LEN(s), 3);
	cr_expect_eq(r.st.page_faults, 12);
	cr_expect_eq(r.st.refaults, 8);
	cr_expect_eq(r.st.evictions, 9);
	cr_expect_eq(r.st.shadow_entries, 1);
	cr_expect_eq(r.activations, 0);
	cr_expect_eq(r.deactivations, 0);
}

/* A refault within the active list's size activates at once.  4 frames,
 * 1 2 3 4 5 2 3 6 4:
 *   1-4 fill IA [4 3 2 1]; 5: all four kept, 1 the victim (age 0 -> 1);
 *   2, 3 hit (A set; R set from the scan).
 *   6: 2 has A and R: activated (AA [2], age 2), 3 too (AA [3 2], age 3);
 *      inactive [5 4] is not low (2 < 2 is false); 4 (R, no A) is the victim,
 *      evicted at age 3 (clock 4).
 *   4: 5 and 6 kept, then 5 the victim (clock 5); 4's distance 5 - 3 = 2 <=
 *      2 active pages: straight onto the active list (activation 3, clock 6).
 * 7 faults, 1 refault, 3 activations.  With two more new pages before 4
 * returns (1 2 3 4 5 2 3 6 7 8 4) its distance is 7 - 3 = 4 > 2: it goes
 * to the inactive list, 2 activations, 9 faults. */
Test(reclaim_v2, linux_refault_within_the_active_list_activates)
{
	static const uint64_t near[] = { 1, 2, 3, 4, 5, 2, 3, 6, 4 };
	rv_result_t r = rv_run("linux", near, RV_LEN(near), 4);
	cr_expect_eq(r.st.page_faults, 7);
	cr_expect_eq(r.st.refaults, 1);
	cr_expect_eq(r.activations, 3);
	cr_expect_eq(r.deactivations, 0);
	static const uint64_t far[] = { 1, 2, 3, 4, 5, 2, 3, 6, 7, 8, 4 };
	r = rv_run("linux", far, RV_LEN(far), 4);
	cr_expect_eq(r.st.page_faults, 9);
	cr_expect_eq(r.st.refaults, 1);
	cr_expect_eq(r.activations, 2);
}

/* Refaults count faults on pages whose shadow was still kept, whatever the
 * policy (LRU's cookie is 0, but the kernel keeps an entry for every
 * reclaimed page).  LRU, 3 frames, Belady's string: the victims are 1 (for
 * 4), 2 (for 1), 3 (for 2), 4 (for 5), 5 (for 3), 1 (for 4), 2 (for 5);
 * faults 1 2 3 4 1* 2* 5 3* 4* 5* (* a page evicted before): 10 faults, 5
 * refaults, and 1 and 2 remain evicted: 2 shadows.  No policy counters. */
Test(reclaim_v2, refaults_counted_exactly_for_lru)
{
	static const uint64_t s[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
	rv_result_t r = rv_run("lru", s, RV_LEN(s), 3);
	cr_expect_eq(r.st.page_faults, 10);
	cr_expect_eq(r.st.refaults, 5);
	cr_expect_eq(r.st.shadow_entries, 2);
	cr_expect_eq(r.ncounters, 0);
	cmd_out_t o;
	run(&o, "printf '1 2 3 4 1 2 5 1 2 3 4 5\\n' | %s run --format pages --policy lru --frames 3 --json -",
	    vmlab());
	cr_assert_eq(o.status, 0, "%s", o.err);
	cr_expect_eq(json_u(o.out, "refaults"), 5);
	cr_expect_eq(json_u(o.out, "shadow_entries"), 2);
	/* the new keys come after every existing one, and lru has no counters */
	cr_expect(strstr(o.out, "\"effective_access_ns\": "), "%s", o.out);
	cr_expect(strstr(o.out, "\n  \"refaults\": 5,\n  \"shadow_entries\": 2\n}"), "%s", o.out);
	cr_expect_null(strstr(o.out, "activations"));
	run(&o, "printf '1 2 3 4 1 2 5 1 2 3 4 5\\n' | %s run --format pages --policy lru --frames 3 -",
	    vmlab());
	char line[160];
	snprintf(line, sizeof line, "  %-16s %15s   faults on pages whose shadow was still known, 2 shadows kept\n",
		 "refaults", "5");
	cr_expect(strstr(o.out, line), "%s", o.out);
}

/* linux's own counters follow the machine's keys in run --json. */
Test(reclaim_v2, linux_counters_in_the_json)
{
	cmd_out_t o;
	run(&o, "printf '1 2 3 4 1 2 5 1 2 3 4 5\\n' | %s run --format pages --policy linux --frames 3 --json -",
	    vmlab());
	cr_assert_eq(o.status, 0, "%s", o.err);
	cr_expect(strstr(o.out, "\n  \"refaults\": 5,\n  \"shadow_entries\": 2,\n  \"activations\": 2,\n  \"deactivations\": 1\n}"),
		  "%s", o.out);
}

/* --swappiness 0 (the script's `set swappiness 0`): 28 evictions, all of
 * file pages, no swap-out; the expected numbers are worked in the script. */
Test(reclaim_v2, swappiness_0_reclaims_file_only)
{
	cmd_out_t o;
	run(&o, "%s script --check tests/data/reclaim-v2-swappiness-0.vms", vmlab());
	cr_assert_eq(o.status, 0, "%s%s", o.out, o.err);
	/* The default 60 on the same script swaps at the second victim: at
	 * the first, anon and file have 4 pages each, weights 240 : 560, file
	 * wins (credits 240, 560 -> 240, -240); at the second anon's credit
	 * 480 beats file's 320, and the oldest anonymous page is swapped. */
	run(&o, "%s script --swappiness 60 tests/data/reclaim-v2-swappiness-0.vms", vmlab());
	cr_expect_eq(o.status, 1);
	cr_expect(strstr(o.err, "reclaim-v2-swappiness-0.vms:16: expected swap_outs 0, found 1"), "%s", o.err);
}

/* --swappiness 200: the 4 anonymous pages go before any file page. */
Test(reclaim_v2, swappiness_200_reclaims_anonymous_first)
{
	cmd_out_t o;
	run(&o, "%s script --check tests/data/reclaim-v2-swappiness-200.vms", vmlab());
	cr_assert_eq(o.status, 0, "%s%s", o.out, o.err);
}

Test(reclaim_v2, swappiness_out_of_range_is_a_usage_error)
{
	cmd_out_t o;
	run(&o, "printf '1\\n' | %s run --format pages --swappiness 201 -", vmlab());
	cr_expect_eq(o.status, 2);
	cr_expect(strstr(o.err, "--swappiness: 201 is out of range (at most 200)"), "%s", o.err);
	vm_config_t c;
	vm_config_default(&c);
	cr_expect_eq(c.swappiness, 60);
	c.swappiness = 201;
	char err[256];
	cr_expect_eq(vm_config_check(&c, err, sizeof err), VM_EINVAL);
	cr_expect_str_eq(err, "--swappiness 201: at most 200");
}

/* --events names the list the victim came from when the policy has lists:
 * with swappiness 200 the 4 anonymous pages (frames 0-3, pages 0x500-0x503,
 * dirty) go first, then the file pages from frame 4 on (page 0x800, clean). */
Test(reclaim_v2, events_name_the_victims_list)
{
	cmd_out_t o;
	run(&o, "%s script --events tests/data/reclaim-v2-swappiness-200.vms", vmlab());
	cr_assert_eq(o.status, 0, "%s", o.err);
	cr_expect(strstr(o.out, "\nevict frame 0 vpn 0x500 dirty: written back (inactive anon)\n"), "%s", o.out);
	cr_expect(strstr(o.out, "\nevict frame 3 vpn 0x503 dirty: written back (inactive anon)\n"), "%s", o.out);
	cr_expect(strstr(o.out, "\nevict frame 4 vpn 0x800 clean: dropped (inactive file)\n"), "%s", o.out);
	/* a policy without lists prints the line as before */
	run(&o, "%s script --events --policy fifo tests/data/reclaim-v2-swappiness-200.vms 2>&1", vmlab());
	cr_expect(strstr(o.out, "\nevict frame 0 vpn 0x500 dirty: written back\n"), "%s", o.out);
	cr_expect_null(strstr(o.out, "(inactive"));
}

/* Ghosts stay bounded: unmapping a range or ending the last mapping of a
 * file forgets its pages' shadows, and 40 processes that each push 8
 * anonymous and 8 file pages through 4 frames and exit leave none.  The
 * same with every old policy (the command line's --policy wins). */
Test(reclaim_v2, shadows_die_with_their_pages)
{
	static const char *const pol[] = { "linux", "fifo", "lru", "clock" };
	cmd_out_t o;
	for (size_t i = 0; i < RV_LEN(pol); i++) {
		run(&o, "%s script --check --json --policy %s tests/data/reclaim-v2-ghosts.vms", vmlab(), pol[i]);
		cr_assert_eq(o.status, 0, "%s: %s", pol[i], o.err);
		cr_expect_eq(json_u(o.out, "shadow_entries"), 0, "%s", pol[i]);
		cr_expect_eq(json_u(o.out, "evictions"), 4 + 4 + 40 * 12, "%s", pol[i]);
	}
}

/* Pages shared after fork leave no shadow behind either, and the checker
 * (which rejects an entry of an ended process, of a dead object or of a
 * resident page-cache page) holds at every step, for every policy. */
Test(reclaim_v2, shadows_after_fork)
{
	static const char *const pol[] = { "fifo", "random", "lru", "lfu", "clock", "eclock", "linux" };
	cmd_out_t o;
	for (size_t i = 0; i < RV_LEN(pol); i++) {
		run(&o, "%s script --check --policy %s tests/data/reclaim-v2-fork.vms", vmlab(), pol[i]);
		cr_expect_eq(o.status, 0, "%s: %s", pol[i], o.err);
	}
}
