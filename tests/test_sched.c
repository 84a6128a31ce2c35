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
