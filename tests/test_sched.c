/* test_sched.c - threads (`thread P T`, src/script/thread.c), and the
 * scheduler with simulated time.  Every figure is worked by hand. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "script/script.h"
#include "util/vmerr.h"
#include "vmlab.h"
#include "vmlab_sys.h"

static vm_machine_t *machine(uint32_t frames)
{
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.frames = frames;
	c.policy = "fifo";
	c.swap_slots = 64;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

/* Parse and run text on a script machine of 64 frames; output into out,
 * an error into err; *vmp (if set) keeps the machine for the caller.
 * Returns the parse (2) or run (1) status. */
static int run_text_vm(const char *text, char *out, size_t outlen, char *err, size_t errlen,
		       vm_machine_t **vmp)
{
	script_t s;
	script_paths_t paths = { .root = "/tmp", .allow_any = 0 };
	err[0] = 0;
	if (script_parse(&s, "t.vms", text, &paths, err, errlen))
		return 2;
	vm_machine_t *vm = machine(64);
	FILE *f = fmemopen(out, outlen, "w");
	cr_assert_not_null(f);
	script_env_t env = { .out = f, .check = 1, .stack_limit = 64 << 10 };
	int rc = script_run(vm, &s, &env, err, errlen);
	fclose(f);
	script_free(&s);
	if (vmp)
		*vmp = vm;
	else
		vm_destroy(vm);
	return rc ? 1 : 0;
}

static int run_text(const char *text, char *out, size_t outlen, char *err, size_t errlen)
{
	return run_text_vm(text, out, outlen, err, errlen, NULL);
}

/* ---- threads ---- */

Test(threads, see_each_others_writes_and_share_one_heap_and_address_space)
{
	char out[4096] = "", err[512];
	vm_machine_t *vm;
	int rc = run_text_vm("spawn 1\n"
			     "mmap 1 0x10000 8K rw- private\n"
			     "write 1 0x10000 \"hello\"\n"
			     "thread 1 2\n"
			     "read 2 0x10000 5 expect \"hello\"\n"
			     "write 2 0x11000 \"from 2\"\n"
			     "read 1 0x11000 6 expect \"from 2\"\n"
			     "malloc 2 100 buf\n"        /* one heap: 1's malloc continues it */
			     "malloc 1 100\n"
			     "write 1 $buf \"shared\"\n"
			     "read 2 $buf 6 expect \"shared\"\n"
			     "expect 2 resident 4\n",      /* the space's: 2, and the heap's first and last */
			     out, sizeof out, err, sizeof err, &vm);
	cr_assert_eq(rc, 0, "%s", err);
	/* 64 KiB of stack above one guard page, placed as mmap(0) places it */
	cr_assert_str_eq(out, "thread 1 2: stack 0x7effffff0000-0x7f0000000000\n"
			      "malloc 2: 0x10000020\n"
			      "malloc 1: 0x100000a0\n");
	/* one kernel process: no page-table copy, one address-space id */
	const vm_stats_t *st = vm_stats(vm);
	cr_assert_eq(st->processes, 1);
	vm_proc_info_t pi;
	vm_proc_info(vm, 2, &pi);
	cr_assert_eq(pi.state, VM_PROC_NONE);
	vm_destroy(vm);
}

Test(threads, the_stack_has_a_guard_page_and_maps_shows_both)
{
	char out[4096] = "", err[512];
	int rc = run_text("spawn 1\nthread 1 t\nwrite t 0x7efffffffff8 \"top\"\nmaps 1\n"
			  "touch t 0x7efffffef000 1 r\nexpect t segv\nexpect 1 segv\n",
			  out, sizeof out, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(out, "thread 1 t: stack 0x7effffff0000-0x7f0000000000\n"
			      "7efffffef000-7effffff0000 ---p 00000000 stack                    resident 0 swapped 0\n"
			      "7effffff0000-7f0000000000 rw-p 00000000 stack                    resident 1 swapped 0\n"
			      "P t: SIGSEGV at 0x7efffffef000 (read of a region without r)\n"
			      /* the signal killed every thread of the space */
			      "P 1: SIGSEGV at 0x7efffffef000 (read of a region without r)\n");
}

Test(threads, exit_of_a_thread_frees_its_stack_and_the_last_exit_the_space)
{
	char out[4096] = "", err[512];
	vm_machine_t *vm;
	int rc = run_text_vm("spawn 1\n"
			     "brk 1 0x10001000\n"
			     "touch 1 0x10000000 4K w\n"
			     "thread 1 2\n"
			     "thread 2 3\n"              /* a thread of a thread: the same space */
			     "touch 3 0x7efffffdf000 4K w\n"  /* below 2's stack and guard */
			     "touch 2 0x7effffff0000 4K w\n"
			     "expect 1 resident 3\n"
			     "exit 3\n"                  /* its stack goes: one page less */
			     "expect 3 exited\n"
			     "expect 1 resident 2\n"
			     "exit 1\n"                  /* 2 keeps the space */
			     "expect 1 exited\n"
			     "expect 2 alive\n"
			     "read 2 0x10000000 1 expect 0x00\n"
			     "exit 2\n"
			     "expect 2 exited\n",
			     out, sizeof out, err, sizeof err, &vm);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(vm_sys_stats(vm)->free_frames, 64, "every frame back after the last exit");
	vm_destroy(vm);
}

Test(threads, bad_uses_are_line_errors)
{
	char out[4096], err[512];
	cr_assert_eq(run_text("spawn 1\nthread 1 2\nspawn 2\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:3: spawn 2: process 2 already exists");
	cr_assert_eq(run_text("spawn 1\nspawn 2\nthread 1 2\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:3: thread 1 2: process 2 already exists");
	cr_assert_eq(run_text("spawn 1\nthread 1 2\nfork 1 2\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:3: fork 1 2: process 2 already exists");
	cr_assert_eq(run_text("thread 1 2\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:1: thread 1 2: process 1 is not alive (never created)");
	cr_assert_eq(run_text("spawn 1\nthread 1 2\nexit 2\nwrite 2 0x1000 \"x\"\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:4: write 2 0x1000 \"x\": process 2 is not alive (exited)");
	cr_assert_eq(run_text("spawn 1\nthread 1 2\nexit 2\nthread 1 2\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:4: thread 1 2: process 2 already exists");
	cr_assert_eq(run_text("spawn 1\nthread 1\n", out, sizeof out, err, sizeof err), 2);
	cr_assert_str_eq(err, "t.vms:2: wrong number of words for thread (thread P T)");
}

Test(threads, a_fork_of_a_thread_copies_the_whole_space)
{
	char out[4096] = "", err[512];
	int rc = run_text("spawn 1\nmmap 1 0x10000 4K rw- private\nthread 1 2\n"
			  "write 2 0x10000 \"abc\"\nfork 2 3\nwrite 3 0x10000 \"xyz\"\n"
			  "read 1 0x10000 3 expect \"abc\"\nread 3 0x10000 3 expect \"xyz\"\n"
			  "exit 1\nexit 2\nexpect 3 alive\n",
			  out, sizeof out, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
}

/* ---- simulated time and the scheduler ---- */

/* The machine of the hand-worked runs: one-level page tables (21-bit VA),
 * no TLB, 10 ns a memory read, 1000 ns a minor fault, 100000 ns a disk
 * request, FIFO, a quantum of 1000 ns.  A reference that hits costs its
 * walk's PTE read and the data read, 20 ns; one that faults on a missing
 * page costs the failed walk's read, the retried walk's and the data's,
 * 30 ns, and 1000 ns more if the fault is minor. */
#define TINY "--va-bits 21 --levels 1 --tlb 0 --lat-tlb 0 --lat-mem 10 --lat-minor 1000 " \
	     "--lat-major 100000 --quantum 1000 --policy fifo"

static void sched_files(void)
{
	cr_assert_eq(system("mkdir -p /tmp/vmlab_sched && cd /tmp/vmlab_sched && "
			    "printf 'W 0x1000\\nW 0x2000\\nW 0x3000\\nR 0x1000\\n' > a.txt && "
			    "printf 'R 0x1000\\nR 0x1000\\n' > b.txt && "
			    "printf 'spawn 1 trace a.txt\\nspawn 2 trace b.txt\\nrun\\n"
			    "expect 1 exited\\nexpect 2 exited\\n' > s.vms"), 0);
}

Test(sched, round_robin_on_the_cpu_alone_when_memory_fits)
{
	/* 3 frames: 1's three pages and 2's one fit once 2 has exited.
	 * 1: W1 fault 1030 (quantum used up) | 2: R1 fault 1030 | 1: W2 1030 |
	 * 2: R1 hit 20, done, exits | 1: W3 1030, R1 hit 20.  CPU 1 3110,
	 * 2 1050, elapsed 4160, never idle. */
	sched_files();
	cmd_out_t r;
	run(&r, "%s script --frames 3 " TINY " /tmp/vmlab_sched/s.vms --json", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(strstr(r.err, "run:") ? strstr(r.err, "run:") : r.err,
			 "run: elapsed 4160 ns, cpu_utilization 1.0000, disk_utilization 0.0000\n"
			 "  P 1: cpu 3110 ns, blocked 0 ns, faults 3 (minor 3, major 0), done\n"
			 "  P 2: cpu 1050 ns, blocked 0 ns, faults 1 (minor 1, major 0), done\n");
}

Test(sched, a_dirty_victim_write_back_and_a_swap_in_block_on_the_disk_queue)
{
	/* 2 frames.  0-1030 1: W1 | -2060 2: R1 | -3090 1: W2 evicts 1's
	 * dirty page 1: a write-back, 1 blocked to 103090 | -3110 2: R1 hit,
	 * done, its frame freed | idle | 103090-104120 1: W3, a minor fault
	 * into the frame 2 freed (no eviction) | -104150 1: R1 a major fault
	 * (30 ns of CPU) whose victim, 1's page 2, is dirty: its write-back to
	 * 204150, then the swap-in to 304150 (--events: "evict frame 0 vpn 0x2
	 * dirty: written back" just before the swap-in).  CPU 3120 + 1050 of
	 * 304150 ns = 0.0137; the disk busy 3 x 100000 = 0.9864. */
	sched_files();
	cmd_out_t r;
	run(&r, "%s script --frames 2 " TINY " /tmp/vmlab_sched/s.vms --json", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(strstr(r.err, "run:") ? strstr(r.err, "run:") : r.err,
			 "run: elapsed 304150 ns, cpu_utilization 0.0137, disk_utilization 0.9864\n"
			 "  P 1: cpu 3120 ns, blocked 300000 ns, faults 4 (minor 3, major 1), done\n"
			 "  P 2: cpu 1050 ns, blocked 0 ns, faults 1 (minor 1, major 0), done\n");
	cr_assert_eq(json_u(r.out, "dirty_writebacks"), 2);
	cr_assert_eq(json_u(r.out, "swap_ins"), 1);
}

Test(sched, run_for_stops_the_clock_and_a_later_run_goes_on)
{
	sched_files();
	cr_assert_eq(system("cd /tmp/vmlab_sched && printf 'spawn 1 trace a.txt\\nspawn 2 trace b.txt\\n"
			    "run for 2000\\nexpect 1 alive\\nrun\\nexpect 1 exited\\n' > f.vms"), 0);
	cmd_out_t r;
	run(&r, "%s script --frames 3 " TINY " /tmp/vmlab_sched/f.vms --json", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* at 2060 the second access (2's) ends past 2000: the clock stops there */
	cr_assert(strstr(r.err, "run: elapsed 2060 ns, cpu_utilization 1.0000, disk_utilization 0.0000\n"
				"  P 1: cpu 1030 ns, blocked 0 ns, faults 1 (minor 1, major 0)\n"
				"  P 2: cpu 1030 ns, blocked 0 ns, faults 1 (minor 1, major 0)\n"
				"run: elapsed 4160 ns"), "%s", r.err);
}

Test(sched, bad_run_and_spawn_lines)
{
	cmd_out_t r;
	cr_assert_eq(system("mkdir -p /tmp/vmlab_sched && cd /tmp/vmlab_sched && "
			    "printf 'spawn 1\\nrun\\n' > n.vms && printf 'run for 0\\n' > z.vms && "
			    "printf 'spawn 1 trace\\n' > w.vms && printf 'spawn 1 trace missing.txt\\nrun\\n' > m.vms"), 0);
	run(&r, "%s script /tmp/vmlab_sched/n.vms", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "n.vms:2: run: no process runs a trace (spawn P trace TRACE first)"), "%s", r.err);
	run(&r, "%s script /tmp/vmlab_sched/z.vms", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "z.vms:1: bad NS '0'"), "%s", r.err);
	run(&r, "%s script /tmp/vmlab_sched/w.vms", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "w.vms:1: wrong number of words for spawn (spawn P, or spawn P trace TRACE)"), "%s", r.err);
	run(&r, "%s script /tmp/vmlab_sched/m.vms", vmlab());
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "m.vms:1:"), "%s", r.err);
}
