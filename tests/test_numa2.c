/* test_numa2.c - NUMA reclaim per node (--numa N): each node's own policy
 * lists, watermarks and page daemon; bind reclaiming on its node only, down
 * to the OOM killer; interleave per process; numa_maps lines.  Unless a
 * test says otherwise: 6 frames in 2 nodes (frames 0-2 on node 0, 3-5 on
 * node 1), FIFO, watermarks 0,0,0 (reclaim only when no frame is free);
 * pid 1's home is node 1, pid 2's node 0.  Every number is worked by hand
 * in the comments. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define NUMA6 "--frames 6 --numa 2 --policy fifo --watermarks 0,0,0"

/* vmlab script FLAGS OPTS on text into *r (exit 0), the script in a
 * directory of its own (a `file` line makes its file there). */
static void run_script(cmd_out_t *r, const char *flags, const char *opts, const char *text)
{
	char dir[64], path[96], data[96];
	snprintf(dir, sizeof dir, "/tmp/vmlab-numa2-%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s.vms", dir);
	snprintf(data, sizeof data, "%s/data.bin", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	fclose(f);
	run(r, "%s script %s %s %s", vmlab(), flags, opts, path);
	unlink(data);
	unlink(path);
	rmdir(dir);
	cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
}

/* vmlab script --json --check --events OPTS on text into *r (exit 0). */
static void run_text(cmd_out_t *r, const char *opts, const char *text)
{
	run_script(r, "--json --check --events", opts, text);
}

/* pid 1 fills node 1 with 3 pages, then writes a 4th. */
static const char node1_full[] =
	"spawn 1\n"
	"mmap 1 0x500000 16K rw private\n"
	"touch 1 0x500000 12K w\n"
	"touch 1 0x503000 4K w\n"
	"maps 1\n";

/* local: node 1 is full and node 0 has room: page 3 goes to node 0's
 * lowest frame (0), a foreign allocation and a remote reference; nothing
 * is evicted. */
Test(numa2, local_node1_full_takes_node0_without_reclaim)
{
	cmd_out_t r;
	run_text(&r, NUMA6, node1_full);
	cr_assert_eq(json_u(r.out, "evictions"), 0);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
	cr_assert_eq(json_u(r.out, "numa_local"), 3);
	cr_assert_eq(json_u(r.out, "numa_remote"), 1);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 2);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 0);
	cr_assert_not_null(strstr(r.err, "resident 4 swapped 0 N0=1 N1=3\n"), "%s", r.err);
}

/* bind:1: the same page reclaims on node 1, though node 0 is empty: node
 * 1's FIFO victim is page 0 in frame 3, and page 3 takes that frame; node
 * 0 stays free. */
Test(numa2, bind_node1_full_evicts_on_node1)
{
	cmd_out_t r;
	run_text(&r, NUMA6 " --mempolicy bind:1", node1_full);
	cr_assert_eq(json_u(r.out, "evictions"), 1);
	cr_assert_eq(json_u(r.out, "direct_reclaims"), 1);
	cr_assert_not_null(strstr(r.err, "evict frame 3 vpn 0x500 dirty"), "%s", r.err);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 0);
	cr_assert_eq(json_u(r.out, "numa_local"), 4);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 3);
	cr_assert_not_null(strstr(r.err, "resident 3 swapped 1 N1=3\n"), "%s", r.err);
}

/* interleave, round robin per process.  pid 1's 5 pages: nodes 0,1,0,1,0
 * (frames 0,3,1,4,2), its next node 1.  pid 2's first page asks for node 0
 * (its own turn, not the machine's): full, so node 1's frame 5, foreign.
 * pid 1 unmaps its page in frame 0: node 0 has room, node 1 is full; pid
 * 1's next page asks for node 1 and falls back to frame 0 (foreign 2, no
 * eviction), its next node 0.  Its last page finds every node full: the
 * first direct reclaim works on node 0, whose FIFO victim is frame 1 (pid
 * 1's 0x502000; frame 0 was refilled later), and the page takes frame 1.
 * pid 1 (home 1): nodes 0,1,0,1,0 then 0,0: 2 local, 5 remote; pid 2: 1
 * remote. */
Test(numa2, interleave_per_process_and_reclaim_on_node0)
{
	cmd_out_t r;
	run_text(&r, NUMA6 " --mempolicy interleave",
		 "spawn 1\nspawn 2\n"
		 "mmap 1 0x500000 20K rw private\nmmap 2 0x500000 4K rw private\n"
		 "mmap 1 0x600000 4K rw private\nmmap 1 0x700000 4K rw private\n"
		 "touch 1 0x500000 20K w\ntouch 2 0x500000 4K w\n"
		 "munmap 1 0x500000 4K\n"
		 "touch 1 0x600000 4K w\ntouch 1 0x700000 4K w\nmaps 1\n");
	cr_assert_eq(json_u(r.out, "numa_foreign"), 2);
	cr_assert_eq(json_u(r.out, "evictions"), 1);
	cr_assert_not_null(strstr(r.err, "evict frame 1 vpn 0x502 dirty"), "%s", r.err);
	cr_assert_eq(json_u(r.out, "numa_local"), 2);
	cr_assert_eq(json_u(r.out, "numa_remote"), 6);
	cr_assert_not_null(strstr(r.err, "resident 3 swapped 1 N0=1 N1=2\n"), "%s", r.err);
}

/* local with every node full: direct reclaim takes one page from each node
 * in turn, from node 0.  pid 1 fills node 1 (frames 3-5), pid 2 node 0
 * (0-2).  pid 2's 4th page: node 0's FIFO victim, its own page 0 in frame
 * 0 (one global FIFO list would take pid 1's older page in frame 3), and
 * the page lands in frame 0, local.  Its 5th: node 1's victim, pid 1's page
 * 0 in frame 3; node 0 is full, so the page takes frame 3: foreign, remote. */
Test(numa2, local_all_full_reclaims_the_nodes_in_turn)
{
	cmd_out_t r;
	run_text(&r, NUMA6,
		 "spawn 1\nspawn 2\n"
		 "mmap 1 0x500000 12K rw private\nmmap 2 0x500000 20K rw private\n"
		 "touch 1 0x500000 12K w\ntouch 2 0x500000 16K w\ntouch 2 0x504000 4K w\n"
		 "maps 1\nmaps 2\n");
	const char *e0 = strstr(r.err, "evict frame 0 vpn 0x500 dirty");
	const char *e3 = strstr(r.err, "evict frame 3 vpn 0x500 dirty");
	cr_assert(e0 && e3 && e0 < e3, "%s", r.err);
	cr_assert_eq(json_u(r.out, "evictions"), 2);
	cr_assert_eq(json_u(r.out, "numa_local"), 7);
	cr_assert_eq(json_u(r.out, "numa_remote"), 1);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
	cr_assert_not_null(strstr(r.err, "resident 2 swapped 1 N1=2\n"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "resident 4 swapped 1 N0=3 N1=1\n"), "%s", r.err);
}

/* Per-node watermarks: 8 frames, 2 nodes of 4, --watermarks 2,4,6: each
 * node min 1, low 2, high 3.  bind:1, pages into frames 4, 5, ...  Two
 * pages leave node 1 with 2 free, its low mark exactly: not below, its
 * kswapd sleeps.  A third (2 free is not above low but above min) takes
 * frame 6; 1 free is below low: node 1's daemon reclaims 2 pages, up to
 * its high mark, 3 free, exactly; node 0 untouched. */
Test(numa2, node_watermarks_reached_exactly)
{
	static const char *const two = "spawn 1\nmmap 1 0x500000 16K rw private\ntouch 1 0x500000 8K w\n";
	static const char *const three = "spawn 1\nmmap 1 0x500000 16K rw private\ntouch 1 0x500000 12K w\n";
	const char *opts = "--frames 8 --numa 2 --policy fifo --watermarks 2,4,6 --mempolicy bind:1";
	cmd_out_t r;
	run_text(&r, opts, two);
	cr_assert_eq(json_u(r.out, "numa_wmark_min_node1"), 1);
	cr_assert_eq(json_u(r.out, "numa_wmark_low_node1"), 2);
	cr_assert_eq(json_u(r.out, "numa_wmark_high_node1"), 3);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 2);
	cr_assert_eq(json_u(r.out, "daemon_reclaims"), 0);
	run_text(&r, opts, three);
	cr_assert_eq(json_u(r.out, "daemon_reclaims"), 2);
	cr_assert_eq(json_u(r.out, "direct_reclaims"), 0);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 3);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 4);
	cr_assert_not_null(strstr(r.err, "evict frame 4 vpn 0x500 dirty"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "evict frame 5 vpn 0x501 dirty"), "%s", r.err);
	/* local: the third page falls back to node 0 at node 1's low mark
	 * (Linux's fast path): no reclaim at all */
	run_text(&r, "--frames 8 --numa 2 --policy fifo --watermarks 2,4,6", three);
	cr_assert_eq(json_u(r.out, "daemon_reclaims"), 0);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 3);
}

/* A node's share of the watermarks rounds down: 7 frames, nodes of 3 and
 * 4, --watermarks 2,4,6: node 0 2*3/7, 4*3/7, 6*3/7 = 0,1,2; node 1 2*4/7,
 * 4*4/7, 6*4/7 = 1,2,3.  The text summary says so too. */
Test(numa2, node_watermarks_round_down)
{
	cmd_out_t r;
	run_text(&r, "--frames 7 --numa 2 --watermarks 2,4,6", "spawn 1\n");
	cr_assert_eq(json_u(r.out, "numa_wmark_min_node0"), 0);
	cr_assert_eq(json_u(r.out, "numa_wmark_low_node0"), 1);
	cr_assert_eq(json_u(r.out, "numa_wmark_high_node0"), 2);
	cr_assert_eq(json_u(r.out, "numa_wmark_min_node1"), 1);
	cr_assert_eq(json_u(r.out, "numa_wmark_low_node1"), 2);
	cr_assert_eq(json_u(r.out, "numa_wmark_high_node1"), 3);
	run_script(&r, "", "--frames 7 --numa 2 --watermarks 2,4,6", "spawn 1\n");
	cr_assert_not_null(strstr(r.out, "numa watermarks  node 0: 0,1,2; node 1: 1,2,3 (min,low,high frames)\n"),
			   "%s", r.out);
}

/* bind on a full node with nothing it can reclaim there (--swap none: a
 * dirty anonymous page cannot leave): pid 1's 4th page finds node 1 full,
 * its FIFO victim unwritable and no other page of node 1 to take, so the
 * OOM killer ends pid 1 (as Linux's OOM killer for an MPOL_BIND
 * allocation), though node 0 is empty; pid 1's 4th reference never
 * completes.  Under local the page simply goes to node 0. */
Test(numa2, bind_fails_on_a_full_node)
{
	cmd_out_t r;
	run_text(&r, NUMA6 " --swap none --mempolicy bind:1",
		 "spawn 1\nmmap 1 0x500000 16K rw private\ntouch 1 0x500000 16K w\nexpect 1 oom\n");
	cr_assert_eq(json_u(r.out, "oom_kills"), 1);
	cr_assert_eq(json_u(r.out, "evictions"), 0);
	cr_assert_eq(json_u(r.out, "numa_local"), 3);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 3);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 3);
	cr_assert_not_null(strstr(r.err, "P 1: killed by the out-of-memory killer"), "%s", r.err);
	run_text(&r, NUMA6 " --swap none",
		 "spawn 1\nmmap 1 0x500000 16K rw private\ntouch 1 0x500000 16K w\nexpect 1 alive\n");
	cr_assert_eq(json_u(r.out, "oom_kills"), 0);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
}

/* numa_maps with 4-byte PTEs (maps read each PTE as 8 bytes before, and
 * stopped on an assertion): the same four pages, N0=1 N1=3. */
Test(numa2, numa_maps_with_4_byte_ptes)
{
	cmd_out_t r;
	run_text(&r, NUMA6 " --pte-size 4 --va-bits 32 --pa-bits 32 --levels 2", node1_full);
	cr_assert_not_null(strstr(r.err, "resident 4 swapped 0 N0=1 N1=3\n"), "%s", r.err);
}

/* Trace mode, 4 frames in 2 nodes (0-1, 2-3); pid 0's home node 0, pid 1's
 * node 1.  pid 0 writes A, B (frames 0, 1), pid 1 writes A, B (2, 3).  pid
 * 1's C: all full, the first direct reclaim works on node 0: its FIFO
 * victim is pid 0's A in frame 0; C takes it (node 1 is full): foreign,
 * remote.  pid 0 reads B: a hit.  pid 1's D: node 1's turn: pid 1's A
 * (frame 2), D local.  pid 0 reads A: a fault; node 0's turn: its FIFO
 * victim is B (frame 1; C came later), A takes frame 1.  7 faults, 3
 * evictions, 7 local references and 1 remote. */
Test(numa2, trace_mode_reclaims_per_node)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vmlab-numa2-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *t = "W 0x1000 1 0\nW 0x2000 1 0\nW 0x1000 1 1\nW 0x2000 1 1\n"
			"W 0x3000 1 1\nR 0x2000 1 0\nW 0x4000 1 1\nR 0x1000 1 0\n";
	cr_assert_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
	close(fd);
	cmd_out_t r;
	run(&r, "%s run --json --format text --frames 4 --numa 2 --policy fifo %s", vmlab(), path);
	unlink(path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "page_faults"), 7);
	cr_assert_eq(json_u(r.out, "evictions"), 3);
	cr_assert_eq(json_u(r.out, "numa_local"), 7);
	cr_assert_eq(json_u(r.out, "numa_remote"), 1);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
}

/* One node is the machine without NUMA: every policy (its lists, shadows,
 * counters, hardware bits behind numa.c's table) counts the same faults,
 * evictions and write-backs on a seeded trace of 3000 references to 40
 * pages in 12 frames. */
Test(numa2, one_node_counts_as_no_numa_for_every_policy, .timeout = 600)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vmlab-numa2-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	cmd_out_t r;
	run(&r, "%s gen --pattern 8020 -n 3000 --pages 40 --seed 7 --write-ratio 0.3 > %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "%s policies", vmlab());
	cr_assert_eq(r.status, 0);
	static char names[sizeof r.out];
	memcpy(names, r.out, sizeof names);
	int n = 0;
	for (char *line = strtok(names, "\n"); line; line = strtok(NULL, "\n")) {
		char pol[32];
		if (line[0] == ' ' || sscanf(line, "%31s", pol) != 1 || !strcmp(pol, "policy"))
			continue;
		static const char *const keys[] = { "page_faults", "evictions", "dirty_writebacks", "refaults" };
		cmd_out_t a, b;
		run(&a, "%s run --json --frames 12 --policy %s %s", vmlab(), pol, path);
		run(&b, "%s run --json --frames 12 --numa 1 --policy %s %s", vmlab(), pol, path);
		cr_assert_eq(a.status, 0, "%s: %s", pol, a.err);
		cr_assert_eq(b.status, 0, "%s: %s", pol, b.err);
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			cr_expect_eq(json_u(a.out, keys[k]), json_u(b.out, keys[k]), "%s %s", pol, keys[k]);
		n++;
	}
	unlink(path);
	cr_assert_geq(n, 20, "%d policies", n);
}

/* The example script's expect lines hold. */
Test(numa2, example_script_holds)
{
	cmd_out_t r;
	run(&r, "%s script --check examples/numa-reclaim.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
}

/* Read-ahead takes only frames free above a low watermark of a node the
 * policy allows, so it never forces reclaim.  pid 1 writes 2 anonymous
 * pages (frames 3, 4), then reads file page 0 (frame 5, node 1 now full)
 * with --readahead 2.  bind:1: node 1 has nothing above its low mark (0):
 * no read-ahead, nothing evicted (before, the two read-ahead pages evicted
 * pid 1's own pages).  local: node 0 has room: both read-ahead pages go
 * to frames 0 and 1 (foreign), 3 file reads. */
Test(numa2, readahead_never_reclaims_for_a_node)
{
	static const char *const text = "file data.bin 16K\nspawn 1\n"
					"mmap 1 0x500000 8K rw private\nmmap 1 0x800000 16K r shared file data.bin\n"
					"touch 1 0x500000 8K w\nread 1 0x800000 4\n";
	cmd_out_t r;
	run_text(&r, NUMA6 " --readahead 2 --mempolicy bind:1", text);
	cr_assert_eq(json_u(r.out, "evictions"), 0);
	cr_assert_eq(json_u(r.out, "file_reads"), 1);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 0);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 3);
	run_text(&r, NUMA6 " --readahead 2", text);
	cr_assert_eq(json_u(r.out, "evictions"), 0);
	cr_assert_eq(json_u(r.out, "file_reads"), 3);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 2);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 1);
}

/* --max-memory charges the nodes with the machine: each node's record (its
 * frames, watermarks, resident count and policy state: 56 bytes), so 4
 * nodes need 2 x 56 bytes more than 2. */
Test(numa2, max_memory_charges_the_nodes)
{
	cmd_out_t r2, r4;
	unsigned long long b2 = 0, b4 = 0;
	run(&r2, "%s run --frames 64 --numa 2 --max-memory 1K examples/small.pages", vmlab());
	run(&r4, "%s run --frames 64 --numa 4 --max-memory 1K examples/small.pages", vmlab());
	cr_assert_neq(r2.status, 0);
	const char *k2 = strstr(r2.err, "machine needs "), *k4 = strstr(r4.err, "machine needs ");
	cr_assert(k2 && k4, "%s%s", r2.err, r4.err);
	cr_assert_eq(sscanf(k2, "machine needs %llu", &b2), 1);
	cr_assert_eq(sscanf(k4, "machine needs %llu", &b4), 1);
	cr_assert_eq(b4 - b2, 112, "%llu %llu", b2, b4);
}
