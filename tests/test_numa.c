/* test_numa.c - NUMA nodes (--numa N): 6 frames in 2 nodes (frames 0-2 on
 * node 0, 3-5 on node 1); pid 1's home is node 1, pid 2's node 0.  pid 1
 * writes 4 pages, then pid 2 writes 2; the local and remote references,
 * foreign allocations and free frames by node under each memory policy,
 * worked by hand below. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "cmd.h"

static const char numa_script[] =
	"spawn 1\n"
	"spawn 2\n"
	"mmap 1 0x500000 16K rw private\n"
	"mmap 2 0x500000 8K rw private\n"
	"touch 1 0x500000 16K w\n"
	"touch 2 0x500000 8K w\n";

/* vmlab script --json --check with opts on numa_script into *r. */
static void run_numa(cmd_out_t *r, const char *opts)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vmlab-numa-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, numa_script, strlen(numa_script)), (ssize_t)strlen(numa_script));
	close(fd);
	run(r, "%s script --json --check --frames 6 --numa 2 --policy fifo --watermarks 0,0,0 %s %s",
	    vmlab(), opts, path);
	unlink(path);
	cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
}

/* local: pid 1's first 3 pages fill node 1 (local), the 4th falls back to
 * node 0 (foreign, and its reference remote); pid 2's 2 pages on node 0. */
Test(numa, local_falls_back_to_the_other_node)
{
	cmd_out_t r;
	run_numa(&r, "");
	cr_assert_eq(json_u(r.out, "numa_local"), 5);
	cr_assert_eq(json_u(r.out, "numa_remote"), 1);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 1);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 0);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 0);
	cr_assert_eq(json_u(r.out, "evictions"), 0);
}

/* interleave: nodes 0,1,0,1 for pid 1 (home 1: remote, local, remote,
 * local), then 0,1 for pid 2 (home 0: local, remote). */
Test(numa, interleave_takes_nodes_in_turn)
{
	cmd_out_t r;
	run_numa(&r, "--mempolicy interleave");
	cr_assert_eq(json_u(r.out, "numa_local"), 3);
	cr_assert_eq(json_u(r.out, "numa_remote"), 3);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 0);
	cr_assert_eq(json_u(r.out, "evictions"), 0);
}

/* bind:1: node 1's 3 frames only.  pid 1's 4th page reclaims (FIFO: its
 * page 0, frame 3), all local; pid 2's 2 pages reclaim pid 1's pages 1 and
 * 2 and are remote; node 0 stays free. */
Test(numa, bind_reclaims_for_its_node)
{
	cmd_out_t r;
	run_numa(&r, "--mempolicy bind:1");
	cr_assert_eq(json_u(r.out, "numa_local"), 4);
	cr_assert_eq(json_u(r.out, "numa_remote"), 2);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 0);
	cr_assert_eq(json_u(r.out, "evictions"), 3);
	cr_assert_eq(json_u(r.out, "numa_free_node0"), 3);
	cr_assert_eq(json_u(r.out, "numa_free_node1"), 0);
}

/* The remote references pay --lat-remote instead of --lat-mem: interleave's
 * 3 remote of 6 references, at 300 ns instead of 100, add 100 ns a
 * reference to the run without NUMA cost (--lat-remote 100). */
Test(numa, remote_latency_in_the_effective_access_time)
{
	cmd_out_t a, b;
	run_numa(&a, "--mempolicy interleave --lat-remote 300");
	run_numa(&b, "--mempolicy interleave --lat-remote 100");
	const char *ka = strstr(a.out, "\"effective_access_ns\": "), *kb = strstr(b.out, "\"effective_access_ns\": ");
	cr_assert(ka && kb);
	double ea = strtod(ka + 23, NULL), eb = strtod(kb + 23, NULL);
	cr_assert_float_eq(ea - eb, 100.0, 1e-9);
}

/* Bad values are refused, exit 2; without --numa no numa keys. */
Test(numa, bad_options_and_off)
{
	cmd_out_t r;
	run(&r, "%s run --numa 2 --mempolicy bind:2 examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s run --mempolicy nearest examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s run --numa 65 --frames 64 examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s run --json examples/small.pages", vmlab());
	cr_assert_null(strstr(r.out, "\"numa_"));
}

/* The example script's expect lines hold (exit 0 under --check). */
Test(numa, example_script_holds)
{
	cmd_out_t r;
	run(&r, "%s script --check examples/numa.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
}

/* `numa P NODE` moves pid 1's home to node 0: its 4 pages take node 0's 3
 * frames (local) and one of node 1 (foreign, remote); pid 2 (home 0) then
 * finds node 0 full: both its pages on node 1, foreign and remote.  maps
 * shows each region's pages by node, as numa_maps. */
Test(numa, numa_command_sets_the_home_node_and_maps_shows_nodes)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vmlab-numa-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	const char *text = "spawn 1\nspawn 2\nnuma 1 0\n"
			   "mmap 1 0x500000 16K rw private\nmmap 2 0x500000 8K rw private\n"
			   "touch 1 0x500000 16K w\ntouch 2 0x500000 8K w\nmaps 1\n";
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cmd_out_t r;
	run(&r, "%s script --json --check --frames 6 --numa 2 --policy fifo --watermarks 0,0,0 %s",
	    vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "numa_local"), 3);
	cr_assert_eq(json_u(r.out, "numa_remote"), 3);
	cr_assert_eq(json_u(r.out, "numa_foreign"), 3);
	cr_assert_not_null(strstr(r.err, "resident 4 swapped 0 N0=3 N1=1\n"), "%s", r.err);
	/* a node past the last is refused, naming the line */
	text = "spawn 1\nnuma 1 2\n";
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	run(&r, "%s script --numa 2 %s", vmlab(), path);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, ":2:"), "%s", r.err);
	unlink(path);
}
