/* test_thrash.c - `vmlab thrash` and the scheduler's load control
 * (--load-control pff|ws, src/kern/loadctl.c).  Every figure of the tiny
 * machine is worked by hand; the bundled trace's are the README's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"

/* test_sched's machine: one-level page tables (21-bit VA), no TLB, 10 ns a
 * memory read, 1000 ns a minor fault, 100000 ns a disk request, FIFO, a
 * quantum of 1000 ns.  A hit costs 20 ns (the PTE and the data); a fault on
 * a missing page 30 ns (the failed walk, the retried one, the data), and
 * 1000 ns more if it is minor. */
#define TINY "--va-bits 21 --levels 1 --tlb 0 --lat-tlb 0 --lat-mem 10 --lat-minor 1000 " \
	     "--lat-major 100000 --quantum 1000 --policy fifo"
#define DIR "/tmp/vmlab_thrash"
/* The made workload: two pages written, then read. */
#define TRACE DIR "/t.txt"
#define CSV_HEAD "processes,cpu_utilization,elapsed_ns,page_faults,disk_utilization\n"

static void files(void)
{
	cr_assert_eq(system("mkdir -p " DIR " && cd " DIR " && "
			    "printf 'W 0x1000\\nW 0x2000\\nR 0x1000\\nR 0x2000\\n' > t.txt && "
			    "printf 'spawn 1 trace t.txt\\nspawn 2 trace t.txt\\nrun\\n' > two.vms && "
			    "printf 'spawn 1 trace t.txt\\nspawn 2 trace t.txt\\nrun for 3000\\n' > for.vms"), 0);
}

/* K = 1 on 3 frames: W1, W2 minor (1030 each), R1, R2 hits (20 each): 2100
 * ns, all CPU.  K = 2, the largest: P1 W1 (frame A), P2 W1 (B), P1 W2 (C),
 * all minor to 3090; P2 W2 evicts P1's dirty page 1: a write-back, P2
 * blocked 4120-104120; P1 R1 is a major fault (30 ns) evicting P2's page 1,
 * dirty: write-back and swap-in, 104120-304120; P2 R1 likewise evicts P1's
 * page 2, 304120-504120; P1 R2 evicts P2's page 2, 504120-704120; P2 R2
 * evicts P1's page 1, clean since its swap-in: the swap-in alone,
 * 704120-804120.  CPU 2 x (1030 + 1030 + 30 + 30) = 4240 of 804120 ns; the
 * disk 8 x 100000 of them; 4 minor and 4 major faults. */
Test(thrash, utilization_at_one_and_at_the_largest_k_by_hand)
{
	files();
	cmd_out_t r;
	run(&r, "%s thrash --frames 3 --max 2 " TINY " --csv " TRACE, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, CSV_HEAD "1,1,2100,2,0\n"
				"2,0.0052728448490275085,804120,8,0.99487638660896383\n");
	run(&r, "%s thrash --frames 3 --max 2 " TINY " " TRACE, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out,
		"vmlab thrash: " TRACE " (text), 1 to 2 processes\n"
		"machine: 3 frames of 4096 B, policy fifo, watermarks 0,0,0, quantum 1000 ns, disk 100000 ns a page, load control off\n\n"
		"processes  cpu util disk util      elapsed ns  page faults\n"
		"        1    1.0000    0.0000            2100            2\n"
		"        2    0.0053    0.9949          804120            8\n");
	/* 4 frames hold both: no disk at all, 2 x 2100 ns */
	run(&r, "%s thrash --frames 4 --max 2 " TINY " --csv " TRACE, vmlab());
	cr_assert_str_eq(r.out, CSV_HEAD "1,1,2100,2,0\n2,1,4200,4,0\n", "%s", r.err);
}

/* Every further copy adds 4 disk requests (400000 ns) and 2120 ns of CPU:
 * K copies take 400000 K + 4120 ns, 8 of them 3204120. */
Test(thrash, the_default_is_eight_copies_each_a_disk_request_more)
{
	files();
	cmd_out_t r;
	run(&r, "%s thrash --frames 3 " TINY " --json " TRACE, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *p8 = strstr(r.out, "\"processes\": 8,");
	cr_assert_not_null(p8, "%s", r.out);
	cr_assert(strstr(p8, "\"elapsed_ns\": 3204120,"), "%s", p8);
	cr_assert(strstr(p8, "\"cpu_ns\": 16960,"), "%s", p8);
	cr_assert(strstr(p8, "\"disk_requests\": 32,"), "%s", p8);
	cr_assert(strstr(p8, "\"major_faults\": 16,"), "%s", p8);
	cr_assert_null(strstr(r.out, "\"processes\": 9,"));
	cr_assert(strstr(r.out, "\"load_control\": \"off\""), "%s", r.out);
}

/* The disk is one queue: the 8 requests of the two processes above are
 * served one after another, each 100000 ns, so each process is blocked from
 * its fault to the end of its own requests: P1 4150-304120 and
 * 304150-704120 (699940 ns), P2 4120-104120, 104150-504120 and
 * 504150-804120 (799940 ns). */
Test(thrash, the_disk_queue_serves_two_processes_in_order)
{
	files();
	cmd_out_t r;
	run(&r, "%s script --frames 3 " TINY " " DIR "/two.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "run: elapsed 804120 ns, cpu_utilization 0.0053, disk_utilization 0.9949\n"
				"  P 1: cpu 2120 ns, blocked 699940 ns, faults 4 (minor 2, major 2), done\n"
				"  P 2: cpu 2120 ns, blocked 799940 ns, faults 4 (minor 2, major 2), done\n"),
		  "%s", r.out);
}

/* PFF with a window of 10 us, more than 1 fault in it too many, none in it
 * to resume, "low" = no free frame: P1's W2 at 3090 takes the last frame
 * with its second fault in 10 us, so P2 (the newest) is suspended; P1 ends
 * at 3130, none is active, P2 resumes and runs alone to 4200: utilization
 * 1 where it was 0.0053. */
#define PFF "--watermarks 0,1,1 --load-control pff --pff-window 10000 --pff-high 100000 --pff-low 100000"

Test(thrash, pff_holds_utilization_up_where_it_collapsed)
{
	files();
	cmd_out_t r;
	run(&r, "%s thrash --frames 3 --max 2 " TINY " " PFF " --csv " TRACE, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, CSV_HEAD "1,1,2100,2,0\n2,1,4200,4,0\n");
	run(&r, "%s thrash --frames 3 --max 2 " TINY " " PFF " --json " TRACE, vmlab());
	const char *p2 = strstr(r.out, "\"processes\": 2,");
	cr_assert_not_null(p2, "%s", r.out);
	cr_assert(strstr(p2, "\"suspensions\": 1,"), "%s", p2);
	cr_assert(strstr(p2, "\"resumptions\": 1\n"), "%s", p2);
	/* without the watermark condition (low 0: never below) nothing happens */
	run(&r, "%s thrash --frames 3 --max 2 " TINY " --load-control pff --pff-window 10000 "
		"--pff-high 100000 --pff-low 100000 --csv " TRACE, vmlab());
	cr_assert_str_eq(r.out, CSV_HEAD "1,1,2100,2,0\n"
				"2,0.0052728448490275085,804120,8,0.99487638660896383\n", "%s", r.err);
	/* The boundary: 2 faults in 10 us are 200000 a CPU-second.  With
	 * pff-high 199999 they are too many at P1's W2, as above; with 200000
	 * they are not, and P2 is suspended only at P1's third fault, R1 at
	 * 4150 (P2 blocked on its write-back, P1 on its read to 304120).  P1's
	 * R2 hits, it ends at 304140 and P2 resumes: its page 1 was swapped
	 * out, a swap-in 304170-404170 (its page 2, a suspended process's,
	 * stayed: no frame was wanted), then R2 hits: 404190 ns, 6 faults. */
	run(&r, "%s thrash --frames 3 --max 2 " TINY " --watermarks 0,1,1 --load-control pff "
		"--pff-window 10000 --pff-high 199999 --pff-low 0 --csv " TRACE, vmlab());
	cr_assert_str_eq(r.out, CSV_HEAD "1,1,2100,2,0\n2,1,4200,4,0\n", "%s", r.err);
	run(&r, "%s thrash --frames 3 --max 2 " TINY " --watermarks 0,1,1 --load-control pff "
		"--pff-window 10000 --pff-high 200000 --pff-low 0 --json " TRACE, vmlab());
	p2 = strstr(r.out, "\"processes\": 2,");
	cr_assert_not_null(p2, "%s", r.out);
	cr_assert(strstr(p2, "\"elapsed_ns\": 404190,"), "%s", p2);
	cr_assert(strstr(p2, "\"page_faults\": 6,"), "%s", p2);
	cr_assert(strstr(p2, "\"disk_requests\": 4,"), "%s", p2);
	cr_assert(strstr(p2, "\"suspensions\": 1,"), "%s", p2);
}

/* The example script, with its hand-worked expect lines; without load
 * control its expectations fail. */
Test(thrash, the_load_control_example_script)
{
	cmd_out_t r;
	run(&r, "%s script examples/load-control.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "run: elapsed 4200 ns, cpu_utilization 1.0000, disk_utilization 0.0000\n"),
		  "%s", r.out);
	cr_assert(strstr(r.out, "  suspensions                    1   1 resumptions (load control pff)\n"),
		  "%s", r.out);
	run(&r, "%s script --json examples/load-control.vms", vmlab());
	cr_assert_eq(json_u(r.out, "suspensions"), 1);
	cr_assert_eq(json_u(r.out, "resumptions"), 1);
	cr_assert(strstr(r.out, "\"load_control\": \"pff\""), "%s", r.out);
	run(&r, "%s script --load-control off examples/load-control.vms", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "load-control.vms:36: expected page_faults 4, found 8"), "%s", r.err);
	/* off: the summary and the JSON have no load-control keys */
	run(&r, "%s script --load-control off --json examples/load-control.vms", vmlab());
	cr_assert_null(strstr(r.out, "suspensions"), "%s", r.out);
}

/* ws with tau 2: P2 waits until the admitted working sets are measured
 * (P1 made 2 references, at 2060: W(2) = 2 pages) and P2's guess, the
 * largest, fits beside them: 2 + 2 <= 4 frames, so on 4 frames P2 runs from
 * 2060 (its W1 to 3090, P1 still at 2060), while on 3 frames it waits for
 * P1's end at 2100 (its W1 to 3130). */
Test(thrash, ws_admits_a_process_only_while_the_working_sets_fit)
{
	files();
	cmd_out_t r;
	run(&r, "%s script --frames 4 " TINY " --load-control ws --tau 2 " DIR "/for.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "run: elapsed 3090 ns, cpu_utilization 1.0000, disk_utilization 0.0000\n"
				"  P 1: cpu 2060 ns, blocked 0 ns, faults 2 (minor 2, major 0)\n"
				"  P 2: cpu 1030 ns, blocked 0 ns, faults 1 (minor 1, major 0)\n"), "%s", r.out);
	run(&r, "%s script --frames 3 " TINY " --load-control ws --tau 2 " DIR "/for.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "run: elapsed 3130 ns, cpu_utilization 1.0000, disk_utilization 0.0000\n"
				"  P 1: cpu 2100 ns, blocked 0 ns, faults 2 (minor 2, major 0), done\n"
				"  P 2: cpu 1030 ns, blocked 0 ns, faults 1 (minor 1, major 0)\n"), "%s", r.out);
	/* held back at its spawn (a suspension), admitted at P1's end */
	cr_assert(strstr(r.out, "  suspensions                    1   1 resumptions (load control ws)\n"),
		  "%s", r.out);
	run(&r, "%s thrash --frames 3 --max 2 " TINY " --load-control ws --tau 2 --csv " TRACE, vmlab());
	cr_assert_str_eq(r.out, CSV_HEAD "1,1,2100,2,0\n2,1,4200,4,0\n", "%s", r.err);
}

/* The README's curve: 600 frames hold two copies of ls (296 pages each);
 * at 8 utilization has fallen to 0.29, and pff holds it at 0.78. */
Test(thrash, the_bundled_trace_collapses_and_pff_holds_it, .timeout = 600)
{
	cmd_out_t r;
	run(&r, "%s thrash --frames 600 --csv examples/ls.lackey.zst", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, CSV_HEAD "1,1,243946905,296,0\n2,1,494065810,592,0\n"), "%s", r.out);
	cr_assert(strstr(r.out, "\n8,0.2857550179567499,6907241329,5998,0.95769058657715822\n"), "%s", r.out);
	run(&r, "%s thrash --frames 600 --load-control pff --csv examples/ls.lackey.zst", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\n8,0.77854885700636256,2518845211,2788,0.52007959610980636\n"), "%s", r.out);
}

Test(thrash, plot_draws_a_picture)
{
	files();
	cmd_out_t r;
	remove(DIR "/curve.svg");
	run(&r, "%s thrash --frames 3 --max 3 " TINY " --plot " DIR "/curve.svg " TRACE, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	struct stat st;
	cr_assert_eq(stat(DIR "/curve.svg", &st), 0);
	cr_assert_gt(st.st_size, 1000);
	cr_assert(strstr(r.out, "        3 "), "%s", r.out); /* the table still printed */
}

Test(thrash, bad_options_exit_2_with_a_message)
{
	files();
	static const struct {
		const char *args, *msg;
	} bad[] = {
		{ "--max 0 " TRACE, "vmlab thrash: --max: at least 1 copy\n" },
		{ "--max 65 " TRACE, "vmlab thrash: --max: 65 is out of range (at most 64)\n" },
		{ "--max x " TRACE, "vmlab thrash: --max: 'x' is not a number\n" },
		{ "--load-control lru " TRACE, "vmlab thrash: --load-control: 'lru': expected off, pff or ws\n" },
		{ "--pff-window 0 " TRACE, "vmlab thrash: --pff-window: a window of 0 ns holds no fault\n" },
		{ "--pff-high -1 " TRACE, "vmlab thrash: --pff-high: '-1' is not a number in [0, 1e+06]\n" },
		{ "--load-control pff --pff-low 200 " TRACE, "vmlab thrash: --pff-low 200 is above --pff-high 100\n" },
		{ "", "vmlab thrash: which trace? (vmlab thrash [OPTIONS] TRACE)\n" },
		{ TRACE " " TRACE, "vmlab thrash: one trace at a time ('" TRACE "' is extra)\n" },
		{ "-", "vmlab thrash: the trace is read once a process: a file, not stdin\n" },
		{ "--json --csv " TRACE, "vmlab thrash: --json or --csv, not both\n" },
		{ "--plot " DIR "/x.gif " TRACE, "vmlab thrash: --plot: " DIR "/x.gif: a plot is .png or .svg\n" },
		{ "--frames 2 --watermarks 0,1,2 " TRACE,
		  "vmlab thrash: --watermarks 0,1,2 (frames): need MIN <= LOW <= HIGH < frames (2)\n" },
		{ "--policy opt " TRACE, "vmlab thrash: --policy opt reads the future references" },
		{ "--steps " TRACE, "vmlab thrash: unknown option '--steps' (try vmlab thrash --help)\n" },
		{ DIR "/missing.txt", "vmlab thrash: " DIR "/missing.txt: " },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cmd_out_t r;
		run(&r, "%s thrash %s", vmlab(), bad[i].args);
		cr_expect_eq(r.status, 2, "%s: status %d", bad[i].args, r.status);
		cr_expect(!strncmp(r.err, bad[i].msg, strlen(bad[i].msg)), "%s: %s", bad[i].args, r.err);
		cr_expect_str_eq(r.out, "", "%s", bad[i].args);
	}
	/* a malformed trace line names the file and the line */
	cmd_out_t r;
	cr_assert_eq(system("printf 'W 0x1000\\nQ 0x2000\\n' > " DIR "/bad.txt"), 0);
	run(&r, "%s thrash --format text " DIR "/bad.txt", vmlab());
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "vmlab thrash: " DIR "/bad.txt:2:"), "%s", r.err);
	/* scripts take the same options with set */
	cr_assert_eq(system("printf 'set load-control maybe\\n' > " DIR "/s.vms"), 0);
	run(&r, "%s script " DIR "/s.vms", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "s.vms:1: set load-control: 'maybe': expected off, pff or ws"), "%s", r.err);
}

Test(thrash, help_and_the_command_list_name_it)
{
	cmd_out_t r;
	run(&r, "%s help", vmlab());
	cr_assert(strstr(r.out, "  thrash     1, 2, ... copies of a trace on one machine"), "%s", r.out);
	run(&r, "%s thrash --help", vmlab());
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "usage: vmlab thrash [OPTIONS] TRACE\n"), "%s", r.out);
	cr_assert(strstr(r.out, "--load-control off|pff|ws"), "%s", r.out);
	cr_assert(strstr(r.out, "--max K"), "%s", r.out);
	cr_assert(strstr(r.out, "--csv"), "%s", r.out);
}
