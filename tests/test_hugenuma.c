/* test_hugenuma.c - huge pages and NUMA (issue 9): a huge run's frames
 * from one node chosen by the memory policy, local/remote references of
 * huge pages; the OOM killer counting only reclaimable frames; and the
 * bugs test_kernel_diff3.c found, each with a focused test.
 *
 * Most scripts run on a small geometry: 4 KiB pages, 5 levels over a 31-bit
 * address space (19 VPN bits: 3 a level, 7 on top), so a huge page is a
 * level-1 leaf of 8 base pages (32 KiB) and every count is small enough to
 * work by hand.  Every script runs with --check (the invariant checker after
 * every command) and --watermarks 0,0,0 (no page daemon). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define SMALL "--va-bits 31 --levels 5"

/* Run text as a script with --check --json and the options opts: the exit
 * status and output into *r. */
static void script(cmd_out_t *r, const char *opts, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vmlab-hugenuma-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	run(r, "%s script --check --json --watermarks 0,0,0 %s %s", vmlab(), opts, path);
	unlink(path);
}

static void script_ok(cmd_out_t *r, const char *opts, const char *text)
{
	script(r, opts, text);
	cr_assert_eq(r->status, 0, "%s", r->err);
}

/* Bug (found by test_kernel_diff3): khugepaged collapsed a range one of
 * whose empty entries was a page reclaimed clean without a swap copy (a
 * page only ever read: its shadow entry kept for a refault), and left the
 * shadow entry behind; the page now lives in the huge page, and when the
 * process exited the entry named a process that had ended (the checker:
 * "anonymous entry of a process that ended").
 *
 * 16 frames, fifo.  Page 0x40000 is read (frame 0, clean); writing the 16
 * pages of 0x50000000 takes frames 1..15 and then direct reclaim drops
 * frame 0 (clean: no swap-out, a shadow entry).  munmap frees frames 1..15;
 * the write to 0x40001000 takes frame 1 (the lowest free).  Advised,
 * khugepaged's next pass collapses 1 present page and 7 empty entries into
 * frames 8..15 (the only aligned run of 8 leaving the free frames at or
 * above min: 0..7 holds frame 1).  The empty entry of 0x40000 had the
 * shadow: it must go (0 entries), and exit must leave none. */
Test(hugenuma, collapse_drops_the_shadow_of_a_page_reclaimed_clean)
{
	const char *text = "spawn 1\n"
			   "mmap 1 0x40000000 32K rw private\n"
			   "mmap 1 0x50000000 64K rw private\n"
			   "touch 1 0x40000000 4K r\n"
			   "touch 1 0x50000000 64K w\n"
			   "expect stat evictions 1\n"
			   "expect stat swap_outs 0\n"
			   "expect stat shadow_entries 1\n"
			   "munmap 1 0x50000000 64K\n"
			   "touch 1 0x40001000 4K w\n"
			   "madvise 1 0x40000000 32K hugepage\n"
			   "touch 1 0x40001000 4K r\n"
			   "expect stat thp_collapse_alloc 1\n"
			   "expect stat thp_collapse_copies 1\n"
			   "expect stat shadow_entries 0\n"
			   "exit 1\n";
	cmd_out_t r;
	script_ok(&r, SMALL " --frames 16 --policy fifo --thp madvise --khugepaged-every 1", text);
	cr_assert_eq(json_u(r.out, "shadow_entries"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 0);
	cr_assert_eq(json_u(r.out, "free_frames"), 16);
}

/* ---- a huge run's frames from one node the memory policy chooses ----
 *
 * 24 frames, --numa 2: node 0 holds frames 0..11, node 1 frames 12..23.
 * The aligned runs of 8 are 0..7 (node 0), 8..15 (both nodes) and 16..23
 * (node 1).  pid 1's home node is 1 (pid mod 2). */
#define NUMA24 SMALL " --frames 24 --numa 2 --thp always"

static const char two_ranges[] = "spawn 1\n"
				 "mmap 1 0x40000000 64K rw private\n"
				 "touch 1 0x40000000 32K w\n"
				 "touch 1 0x40008000 16K w\n";

/* Bug caught: the lowest aligned run whatever the node (0..7 on node 0: 8
 * remote references), or a run across both nodes (8..15).  local: the
 * first huge page is 16..23 on the home node, its 8 references local.  The
 * second range finds no free aligned run on node 1 (12..15 only) and falls
 * back to node 0's 0..7: foreign, its 4 references remote.  Node 0 keeps
 * 12 - 8 = 4 free frames, node 1 12 - 8 = 4. */
Test(hugenuma, local_takes_the_home_node_then_falls_back_foreign)
{
	cmd_out_t r;
	script_ok(&r, NUMA24, two_ranges);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 2);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 0);
	cr_assert_eq(json_u(r.out, "numa_local"), 8);
	cr_assert_eq(json_u(r.out, "numa_remote"), 4);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 4);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 4);
	cr_assert_eq(json_u(r.out, "resident_pages"), 16);
}

/* bind:1: the second range finds no aligned run on node 1 and never looks
 * at node 0: a base page (thp_fault_fallback 1), then base pages for the
 * rest of the range (its level-1 entry holds a leaf table now): frames
 * 12..15.  1 + 4 faults, 12 references all local, node 0 untouched. */
Test(hugenuma, bind_falls_back_to_base_pages_of_its_node)
{
	cmd_out_t r;
	script_ok(&r, NUMA24 " --mempolicy bind:1", two_ranges);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 1);
	cr_assert_eq(json_u(r.out, "page_faults"), 5);
	cr_assert_eq(json_u(r.out, "numa_local"), 12);
	cr_assert_eq(json_u(r.out, "numa_remote"), 0);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 0);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 12);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 0);
}

/* interleave, pid 2 (home node 0): its first huge page from its next node,
 * 0 (frames 0..7, local), the second from node 1 (16..23, remote), as
 * Linux interleaves huge pages; neither is foreign.  Then one base page
 * from node 0 again (frame 8): 8 + 1 local references, 8 remote. */
Test(hugenuma, interleave_takes_huge_pages_round_robin)
{
	const char *text = "spawn 2\n"
			   "mmap 2 0x40000000 64K rw private\n"
			   "mmap 2 0x50000000 4K rw private\n"
			   "touch 2 0x40000000 64K w\n"
			   "touch 2 0x50000000 4K w\n";
	cmd_out_t r;
	script_ok(&r, NUMA24 " --mempolicy interleave", text);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 2);
	cr_assert_eq(json_u(r.out, "numa_local"), 9);
	cr_assert_eq(json_u(r.out, "numa_remote"), 8);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 0);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 3);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 4);
}

/* The min watermark is the node's: --watermarks 8,9,10 gives each node of
 * 12 frames 4,4,5 (its share), and node 1's run 16..23 leaves 12 - 8 = 4
 * >= 4 free: a huge page.  With 10,11,12 (5,5,6 a node) it would leave 4 <
 * 5, and so would node 0's 0..7: a base page (frame 12), though the
 * machine's 24 - 8 = 16 free frames are above its min of 10. */
Test(hugenuma, a_huge_run_leaves_its_node_min_watermark)
{
	const char *text = "spawn 1\n"
			   "mmap 1 0x40000000 32K rw private\n"
			   "touch 1 0x40000000 4K w\n";
	cmd_out_t r;
	script_ok(&r, NUMA24 " --watermarks 8,9,10", text); /* (the last --watermarks counts) */
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 4);
	script_ok(&r, NUMA24 " --watermarks 10,11,12", text);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 0);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 1);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 11);
	cr_assert_eq(json_u(r.out, "numa_local"), 1);
}

/* ---- the hugetlb pool over the nodes ----
 *
 * 32 frames, --numa 2 (0..15, 16..31), --hugepages 2: pool page 0 on node
 * 0 (frames 0..7), page 1 on node 1 (16..23), where the machine-wide pool
 * takes 0..7 and 8..15 (both on node 0).  pid 1 (home node 1) faults in
 * node 1's page, pid 2 (home 0) node 0's: every reference local; the free
 * frames, 8 a node, are the nodes' own. */
#define POOL32 SMALL " --frames 32 --numa 2 --hugepages 2"

Test(hugenuma, hugetlb_pages_spread_over_the_nodes_and_follow_the_policy)
{
	const char *text = "spawn 1\n"
			   "spawn 2\n"
			   "mmap 1 0x40000000 32K rw private huge\n"
			   "mmap 2 0x40000000 32K rw private huge\n"
			   "touch 1 0x40000000 32K w\n"
			   "touch 2 0x40000000 32K w\n"
			   "expect stat hugetlb_free 0\n";
	cmd_out_t r;
	script_ok(&r, POOL32, text);
	cr_assert_eq(json_u(r.out, "numa_local"), 16);
	cr_assert_eq(json_u(r.out, "numa_remote"), 0);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 0);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 8);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 8);
	/* local falls back: pid 1 takes both, the second (node 0's) foreign */
	const char *both = "spawn 1\n"
			   "mmap 1 0x40000000 64K rw private huge\n"
			   "touch 1 0x40000000 64K w\n";
	script_ok(&r, POOL32, both);
	cr_assert_eq(json_u(r.out, "numa_local"), 8);
	cr_assert_eq(json_u(r.out, "numa_remote"), 8);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
}

/* bind:1 reserves only node 1's pool pages: one 32 KiB region fits, a
 * second mmap fails with ENOMEM (exit 1) though node 0's page is free. */
Test(hugenuma, bind_reserves_only_its_node_pool_pages)
{
	const char *text = "spawn 1\n"
			   "mmap 1 0x40000000 32K rw private huge\n"
			   "touch 1 0x40000000 32K w\n"
			   "expect stat hugetlb_free 1\n"
			   "mmap 1 0x50000000 32K rw private huge\n";
	cmd_out_t r;
	script(&r, POOL32 " --mempolicy bind:1", text);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, ":5:"), "%s", r.err);
	/* bind:0: node 0's page, though pid 1's home is node 1 (remote) */
	const char *one = "spawn 1\n"
			  "mmap 1 0x40000000 32K rw private huge\n"
			  "touch 1 0x40000000 32K w\n";
	script_ok(&r, POOL32 " --mempolicy bind:0", one);
	cr_assert_eq(json_u(r.out, "numa_local"), 0);
	cr_assert_eq(json_u(r.out, "numa_remote"), 8);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 0);
	cr_assert_eq(json_u(r.out, "hugetlb_free"), 1);
}

/* ---- the OOM killer counts only reclaimable frames ----
 *
 * Bug caught: oom_pick counted hugetlb pages as resident, and killed a
 * process whose death frees no ordinary frame.  16 frames, --hugepages 1
 * (the pool takes frames 0..7 for good), no swap: P1 maps its pool page (8
 * resident, none reclaimable) and one base page (frame 8); P2 fills frames
 * 9..15 with 7 pages, and its 8th needs a frame nothing can give (no swap
 * device).  Resident + swapped: P1 9, P2 7, so P1 died and its death freed
 * frame 8; only reclaimable: P1 1, P2 7, P2 dies (frees 7 frames). */
Test(hugenuma, oom_leaves_hugetlb_pages_out)
{
	const char *text = "spawn 1\n"
			   "mmap 1 0x40000000 32K rw private huge\n"
			   "touch 1 0x40000000 32K w\n"
			   "mmap 1 0x50000000 4K rw private\n"
			   "touch 1 0x50000000 4K w\n"
			   "spawn 2\n"
			   "mmap 2 0x50000000 32K rw private\n"
			   "touch 2 0x50000000 28K w\n"
			   "expect stat free_frames 0\n"
			   "touch 2 0x50007000 4K w\n"
			   "expect 2 oom\n"
			   "expect 1 resident 9\n"
			   "expect stat oom_kills 1\n"
			   "expect stat free_frames 7\n"
			   "expect stat hugetlb_free 0\n";
	cmd_out_t r;
	script_ok(&r, SMALL " --frames 16 --hugepages 1 --swap none", text);
	/* P1 exits: its pool page goes back to the pool, not the free frames */
	char more[1024];
	snprintf(more, sizeof more, "%sexit 1\nexpect stat hugetlb_free 1\nexpect stat free_frames 8\n",
		 text);
	script_ok(&r, SMALL " --frames 16 --hugepages 1 --swap none", more);
}

/* The README's worked example, its expect lines worked in its comments. */
Test(hugenuma, example_script_runs)
{
	cmd_out_t r;
	run(&r, "%s script --check examples/huge-numa.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "numa local                   512   remote 512 references, 1 foreign allocations; free by node: 256 256"),
		  "%s", r.out);
}
