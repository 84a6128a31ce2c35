/* test_acct.c - issue 10 section 6 and section 4's timeline columns:
 * per-process accounting (stats P, process_stats), --fault-around,
 * --dirty-expire's flusher, and vmstat's r b us wa under `run`.  Every
 * figure is worked by hand in the comment above it. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* A fresh folder for one test (tests run in processes of their own). */
static void tmpdir(char *dir)
{
	strcpy(dir, "/tmp/vmlab_acct_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* The two trace processes of test_sched.c on TINY's latencies. */
#define TINY "--va-bits 21 --levels 1 --tlb 0 --lat-tlb 0 --lat-mem 10 --lat-minor 1000 " \
	     "--lat-major 100000 --quantum 1000 --policy fifo"

static void sched_files(const char *dir, const char *after_run)
{
	put(dir, "a.txt", "W 0x1000\nW 0x2000\nW 0x3000\nR 0x1000\n");
	put(dir, "b.txt", "R 0x1000\nR 0x1000\n");
	char text[512];
	snprintf(text, sizeof text, "spawn 1 trace a.txt\nspawn 2 trace b.txt\nrun\n%s", after_run);
	put(dir, "s.vms", text);
}

/* ---- stats P and process_stats ---- */

/* On 2 frames (test_sched's disk-queue case): 1 takes 3 zero-fills and the
 * swap-in of its first page (minflt 3, majflt 1), never more than 2 pages
 * resident (2 frames; 2 held the other while it lived); 2 takes one
 * zero-fill.  CPU and blocked time are the scheduler's. */
Test(acct, stats_p_and_process_stats_under_the_scheduler)
{
	char dir[64];
	tmpdir(dir);
	sched_files(dir, "stats 1\nstats 2\nexpect 1 minflt 3\nexpect 1 majflt 1\nexpect 1 hwm 2\n"
			 "expect 2 minflt 1\nexpect 2 hwm 1\n");
	cmd_out_t r;
	run(&r, "%s script --frames 2 " TINY " %s/s.vms --json", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "stats 1: minflt 3, majflt 1, VmRSS 0, VmSwap 0, VmHWM 2 pages; cpu 3120 ns, blocked 300000 ns\n"
				"stats 2: minflt 1, majflt 0, VmRSS 0, VmSwap 0, VmHWM 1 pages; cpu 1050 ns, blocked 0 ns\n"),
		  "%s", r.err);
	cr_assert(strstr(r.out, "  \"process_stats\": [\n"
				"    {\n"
				"      \"process\": \"1\",\n"
				"      \"state\": \"exited\",\n"
				"      \"minflt\": 3,\n"
				"      \"majflt\": 1,\n"
				"      \"VmRSS\": 0,\n"
				"      \"VmSwap\": 0,\n"
				"      \"VmHWM\": 2,\n"
				"      \"cpu_ns\": 3120,\n"
				"      \"blocked_ns\": 300000\n"
				"    },\n"
				"    {\n"
				"      \"process\": \"2\",\n"
				"      \"state\": \"exited\",\n"
				"      \"minflt\": 1,\n"
				"      \"majflt\": 0,\n"
				"      \"VmRSS\": 0,\n"
				"      \"VmSwap\": 0,\n"
				"      \"VmHWM\": 1,\n"
				"      \"cpu_ns\": 1050,\n"
				"      \"blocked_ns\": 0\n"
				"    }\n"
				"  ]\n}\n"),
		  "%s", r.out);
}

/* Without a scheduler: faults go to the process that took them, a forked
 * child's VmHWM starts at what it shares, and no times are shown.  1
 * touches 3 pages (3 minor), forks: the child maps the 3 (resident 3, no
 * fault); its write is a copy-on-write (minor 1: its one fault), which
 * swaps a shared page for its own copy (still 3).  1 then swaps out
 * nothing (64 frames) and exits: VmRSS 0, VmHWM 3.  Named processes keep
 * their names. */
Test(acct, faults_belong_to_who_took_them_and_hwm_follows_fork)
{
	char dir[64];
	tmpdir(dir);
	put(dir, "f.vms", "spawn parent\n"
			  "mmap parent 0x10000 12K rw private\n"
			  "touch parent 0x10000 12K w\n"
			  "fork parent child\n"
			  "stats child\n"
			  "write child 0x11000 \"c\"\n"
			  "stats child\n"
			  "exit parent\n"
			  "stats parent\n"
			  "expect child minflt 1\n"
			  "expect parent minflt 3\n"
			  "expect parent hwm 3\n");
	cmd_out_t r;
	run(&r, "%s script --check %s/f.vms --json", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "stats child: minflt 0, majflt 0, VmRSS 3, VmSwap 0, VmHWM 3 pages\n"
				"stats child: minflt 1, majflt 0, VmRSS 3, VmSwap 0, VmHWM 3 pages\n"
				"stats parent: minflt 3, majflt 0, VmRSS 0, VmSwap 0, VmHWM 3 pages\n"),
		  "%s", r.err);
	cr_assert(strstr(r.out, "\"process\": \"parent\",\n      \"state\": \"exited\",\n      \"minflt\": 3,"), "%s", r.out);
	cr_assert(strstr(r.out, "\"process\": \"child\",\n      \"state\": \"alive\",\n      \"minflt\": 1,"), "%s", r.out);
	cr_assert_null(strstr(r.out, "cpu_ns"), "%s", r.out);
	cr_assert_eq(json_u(r.out, "page_faults"), 4);
}

/* A wrong expectation names the counter and both numbers; stats of a
 * process never made is a refused line (exit 1); a bad counter word is a
 * malformed line (exit 2). */
Test(acct, bad_stats_and_expect_lines)
{
	char dir[64];
	tmpdir(dir);
	put(dir, "e.vms", "spawn 1\nmmap 1 0x10000 4K rw private\ntouch 1 0x10000 1 r\nexpect 1 minflt 2\n");
	put(dir, "n.vms", "spawn 1\nstats 7\n");
	put(dir, "w.vms", "spawn 1\nexpect 1 maxflt 2\n");
	cmd_out_t r;
	run(&r, "%s script %s/e.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "e.vms:4: expected process 1's minflt to be 2, found 1\n"), "%s", r.err);
	run(&r, "%s script %s/n.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "n.vms:2: stats 7: process 7 is not alive (never created)"), "%s", r.err);
	run(&r, "%s script %s/w.vms", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "w.vms:2: bad expectation 'maxflt 2'"), "%s", r.err);
}

/* ---- --fault-around ---- */

/* 1 reads pages 8-11 of a 16-page file (4 major faults: cached).  2 maps
 * the file and reads page 10: with --fault-around 4 the window is 8-11,
 * and 8, 9, 11 are mapped around the one minor fault; its reads of 8-11
 * after take no fault.  Without the option, each is a minor fault. */
static const char fa_script[] =
	"file f.bin 64K\n"
	"spawn 1\n"
	"mmap 1 0x400000 64K r private file f.bin\n"
	"touch 1 0x408000 16K r\n"
	"spawn 2\n"
	"mmap 2 0x400000 64K r private file f.bin\n"
	"touch 2 0x40a000 1 r\n"
	"touch 2 0x408000 16K r\n"
	"stats 2\n";

Test(acct, fault_around_4_on_page_10_maps_8_9_and_11)
{
	char dir[64];
	tmpdir(dir);
	put(dir, "fa.vms", fa_script);
	cmd_out_t r;
	run(&r, "%s script --check --events --fault-around 4 %s/fa.vms --json", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "fault-around pid 2 va 0x408000: page cache page 8\n"
				"fault-around pid 2 va 0x409000: page cache page 9\n"
				"fault-around pid 2 va 0x40b000: page cache page 11\n"
				"fault pid 2 va 0x40a000 minor: page cache page 10\n"
				"stats 2: minflt 1, majflt 0, VmRSS 4, VmSwap 0, VmHWM 4 pages\n"),
		  "%s", r.err);
	cr_assert_eq(json_u(r.out, "fault_around"), 4);
	cr_assert_eq(json_u(r.out, "fault_around_pages"), 3);
	cr_assert_eq(json_u(r.out, "page_faults"), 5);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 8); /* 1's 4, 2's 4 (mapped) */
	/* off: four minor faults, and no fault-around keys */
	run(&r, "%s script --check %s/fa.vms --json", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "stats 2: minflt 4, majflt 0, VmRSS 4, VmSwap 0, VmHWM 4 pages\n"), "%s", r.err);
	cr_assert_null(strstr(r.out, "fault_around"), "%s", r.out);
	cr_assert_eq(json_u(r.out, "page_faults"), 8);
}

/* The window's edges: 2 maps the file from page 9 (offset 36K) at
 * 0x409000, so the window 8-11 of its fault on VA page 10 is clipped to
 * 9-11: 9 and 11 come.  A window of 2 on page 10 is 10-11: 11 alone.  A
 * write fault (2 maps shared rw and writes page 10) maps nothing around. */
Test(acct, fault_around_window_clipped_to_the_region_and_not_on_writes)
{
	char dir[64];
	tmpdir(dir);
	static const char head[] = "file f.bin 64K\nspawn 1\nmmap 1 0x400000 64K r private file f.bin\n"
				   "touch 1 0x408000 16K r\nspawn 2\n";
	char text[1024];
	snprintf(text, sizeof text, "%smmap 2 0x409000 28K r private file f.bin 36K\n"
				    "touch 2 0x40a000 1 r\nexpect stat fault_around_pages 2\n"
				    "expect 2 resident 3\n", head);
	put(dir, "clip.vms", text);
	snprintf(text, sizeof text, "%smmap 2 0x400000 64K r private file f.bin\n"
				    "touch 2 0x40a000 1 r\nexpect stat fault_around_pages 1\n"
				    "expect 2 resident 2\n", head);
	put(dir, "two.vms", text);
	snprintf(text, sizeof text, "%smmap 2 0x400000 64K rw shared file f.bin\n"
				    "touch 2 0x40a000 1 w\nexpect stat fault_around_pages 0\n"
				    "touch 2 0x408000 1 r\nexpect stat fault_around_pages 2\n"
				    "expect 2 resident 4\n", head);
	put(dir, "write.vms", text);
	cmd_out_t r;
	run(&r, "%s script --check --fault-around 4 %s/clip.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "%s script --check --fault-around 2 %s/two.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* the read fault on 8 then maps 9 and 11 (10 is mapped already) */
	run(&r, "%s script --check --fault-around 4 %s/write.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
}

/* A window must be a power of two: a bad value is a usage error, from the
 * command line or from a set line. */
Test(acct, fault_around_must_be_a_power_of_two)
{
	char dir[64];
	tmpdir(dir);
	put(dir, "s.vms", "set fault-around 6\nspawn 1\n");
	cmd_out_t r;
	run(&r, "%s script --fault-around 3 %s/s.vms", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "3 is not a power of two"), "%s", r.err);
	run(&r, "%s script %s/s.vms", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "s.vms:1: set fault-around: 6 is not a power of two"), "%s", r.err);
}

/* ---- --dirty-expire ---- */

/* The clock is the count of references; with T = 4 the flusher wakes at
 * 4, 8, 12, 16.  At 4 it notes pages 0 and 1 (written at 1 and 2); at 8
 * it writes them (dirty since 4), and notes page 2 (written at 5); at 12
 * it writes page 2 and notes page 0 (written again at 9).  msync cleans
 * page 0: at 16 it is noted afresh, not written.  Exactly the expired
 * pages: 3; with msync's one, 4 write-backs; the end of the script writes
 * page 0 once more: 5. */
Test(acct, the_flusher_writes_exactly_the_expired_pages)
{
	char dir[64];
	tmpdir(dir);
	put(dir, "fl.vms", "file g.bin 16K\n"
			   "spawn 1\n"
			   "mmap 1 0x400000 16K rw shared file g.bin\n"
			   "write 1 0x400000 \"a\"\n"
			   "write 1 0x401000 \"b\"\n"
			   "touch 1 0x402000 8K r\n"
			   "expect stat flusher_writebacks 0\n"
			   "write 1 0x402000 \"c\"\n"
			   "touch 1 0x400000 12K r\n"
			   "expect stat flusher_writebacks 2\n"
			   "write 1 0x400000 \"d\"\n"
			   "touch 1 0x400000 12K r\n"
			   "expect stat flusher_writebacks 3\n"
			   "msync 1 0x400000 16K\n"
			   "write 1 0x400000 \"e\"\n"
			   "touch 1 0x400000 12K r\n"
			   "expect stat flusher_writebacks 3\n"
			   "expect stat file_writebacks 4\n");
	cmd_out_t r;
	run(&r, "%s script --check --events --dirty-expire 4 %s/fl.vms --json", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char want[1024];
	snprintf(want, sizeof want, "flusher: page 0 of %s/g.bin written back\n"
				    "flusher: page 1 of %s/g.bin written back\n", dir, dir);
	cr_assert(strstr(r.err, want), "%s", r.err);
	cr_assert_eq(json_u(r.out, "dirty_expire"), 4);
	cr_assert_eq(json_u(r.out, "flusher_writebacks"), 3);
	cr_assert_eq(json_u(r.out, "file_writebacks"), 5);
	/* the bytes reached the file */
	run(&r, "head -c 1 %s/g.bin; dd if=%s/g.bin bs=4096 skip=1 count=1 2>/dev/null | head -c 1; "
		"dd if=%s/g.bin bs=4096 skip=2 count=1 2>/dev/null | head -c 1", dir, dir, dir);
	cr_assert_str_eq(r.out, "ebc");
	/* one reference short of the wake-up at 8: nothing is written */
	put(dir, "short.vms", "file g.bin 16K\nspawn 1\nmmap 1 0x400000 16K rw shared file g.bin\n"
			      "write 1 0x400000 \"a\"\ntouch 1 0x400000 6 r 1\n"
			      "expect stat flusher_writebacks 0\ntouch 1 0x400000 1 r\n"
			      "expect stat flusher_writebacks 1\n");
	run(&r, "%s script --check --dirty-expire 4 %s/short.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* off: no flusher keys */
	run(&r, "%s script %s/fl.vms --json", vmlab(), dir);
	cr_assert_eq(r.status, 1); /* (the expectations are the flusher's) */
	cr_assert(strstr(r.err, "fl.vms:10: expected flusher_writebacks 2, found 0"), "%s", r.err);
}

/* Under the scheduler the clock is in ns.  Page 0 of the file is written
 * before the run (reference 1: no wake-up, T = 1000).  2 runs three
 * zero-fills of 1030 ns each: the wake-up at 1030 notes the page, the next
 * (due 1000 later, at 2030) comes at 2060 and writes it, which occupies the disk from 2060 to 102060 but
 * blocks no process; at 3090 2 is done and the clock stops, the disk
 * busy for 1030 of its 3090 ns. */
Test(acct, the_flusher_on_the_scheduler_clock_uses_the_disk_and_blocks_nobody)
{
	char dir[64];
	tmpdir(dir);
	put(dir, "t.txt", "R 0x1000\nR 0x2000\nR 0x3000\n");
	put(dir, "s.vms", "file g.bin 16K\nspawn 1\nmmap 1 0x100000 16K rw shared file g.bin\n"
			  "write 1 0x100000 \"a\"\n"
			  "spawn 2 trace t.txt\nrun\nstats 2\n"
			  "expect stat flusher_writebacks 1\n");
	cmd_out_t r;
	run(&r, "%s script --frames 8 " TINY " --dirty-expire 1000 %s/s.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "run: elapsed 3090 ns, cpu_utilization 1.0000, disk_utilization 0.3333\n"
				"  P 2: cpu 3090 ns, blocked 0 ns, faults 3 (minor 3, major 0), done\n"
				"stats 2: minflt 3, majflt 0, VmRSS 0, VmSwap 0, VmHWM 3 pages; cpu 3090 ns, blocked 0 ns\n"),
		  "%s", r.out);
}

/* ---- --timeline under run ---- */

/* test_sched's 2-frame case, a line a reference, each printed once its
 * access is charged.  1: W1 0-1030 (quantum spent: r 2, us 100) | 2: R1
 * -2060 (r 2) | 1: W2 -3090 evicts 1's dirty page: 1 blocked (r 1 b 1) |
 * 2: R1 hit -3110 (r 1 b 1, us 100 of 20 ns) | idle to 103090 | 1: W3
 * -104120 (2 has exited: a free frame; 1030 of 101010 ns busy = 1%,
 * 99980 idle waiting = 99%) | 1: R1 -104150: the dirty W2 page written,
 * then the swap-in: 1 blocked (r 0 b 1, us 100 of 30 ns). */
Test(acct, timeline_gains_r_b_us_wa_under_run)
{
	char dir[64];
	tmpdir(dir);
	sched_files(dir, "");
	cmd_out_t r;
	run(&r, "%s script --frames 2 " TINY " --timeline 1 %s/s.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out,
			 "  references     free resident     faults      major    swap_in   swap_out    r    b  us  wa\n"
			 "           1        1        1          1          0          0          0    2    0 100   0\n"
			 "           2        0        2          2          0          0          0    2    0 100   0\n"
			 "           3        0        2          3          0          0          1    1    1 100   0\n"
			 "           4        0        2          3          0          0          1    1    1 100   0\n"
			 "           5        0        2          4          0          0          1    1    0   1  99\n"
			 "           6        0        2          5          1          1          2    0    1 100   0\n"
			 "run: elapsed 304150 ns"),
		  "%s", r.out);
}

/* Lines outside run keep their columns; the header is printed again when
 * the columns change, and lines of a second run go on from the first's. */
Test(acct, timeline_header_follows_the_columns)
{
	char dir[64];
	tmpdir(dir);
	put(dir, "t.txt", "R 0x1000\n");
	put(dir, "s.vms", "spawn 1\nmmap 1 0x10000 4K rw private\ntouch 1 0x10000 1 r\n"
			  "spawn 2 trace t.txt\nrun\ntouch 1 0x10000 1 r\n");
	cmd_out_t r;
	run(&r, "%s script --frames 8 " TINY " --timeline 1 %s/s.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* 2's one access: a zero-fill, 1030 ns, 2 running (r 1) */
	cr_assert(strstr(r.out,
			 "  references     free resident     faults      major    swap_in   swap_out\n"
			 "           1        7        1          1          0          0          0\n"
			 "  references     free resident     faults      major    swap_in   swap_out    r    b  us  wa\n"
			 "           2        6        2          2          0          0          0    1    0 100   0\n"
			 "run: elapsed 1030 ns, cpu_utilization 1.0000, disk_utilization 0.0000\n"
			 "  P 2: cpu 1030 ns, blocked 0 ns, faults 1 (minor 1, major 0), done\n"
			 "  references     free resident     faults      major    swap_in   swap_out\n"
			 "           3        7        1          2          0          0          0\n"),
		  "%s", r.out);
}

/* ---- the example ---- */

Test(acct, example_acct_passes_as_written)
{
	char dir[64];
	tmpdir(dir);
	cmd_out_t r;
	run(&r, "cp examples/acct.vms %s/ && %s script --check %s/acct.vms", dir, vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "stats 1: minflt 0, majflt 14, VmRSS 14, VmSwap 0, VmHWM 14 pages\n"
				"stats 2: minflt 1, majflt 0, VmRSS 4, VmSwap 0, VmHWM 4 pages\n"),
		  "%s", r.out);
}
