/* test_script.c - `vmlab script` as a user runs it (the examples, errors and
 * their FILE:LINE, --json, set against the command line, the path sandbox)
 * and the sandbox module (src/script/path.c) directly.  The binary is
 * $VMLAB (make test sets it), run from the repository root. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "script/path.h"
#include "script/script.h"
#include "util/num.h"
#include "util/vmerr.h"


/* A fresh folder for one test's scripts and files (removed by rm_tree). */
static void make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/vmlab-script-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* Write text to dir/name; the full path into path. */
static void put_file(char *path, size_t len, const char *dir, const char *name, const char *text)
{
	snprintf(path, len, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static int exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

Test(script_examples, every_example_passes_as_written)
{
	static const char *const names[] = { "demand-paging", "cow-fork", "shared-memory",
					     "file-mapping", "thrashing", "belady-3", "belady-4" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		cmd_out_t r;
		run(&r, "%s script --check examples/%s.vms", vmlab(), names[i]);
		cr_assert_eq(r.status, 0, "%s: status %d\n%s", names[i], r.status, r.err);
		cr_assert(strstr(r.out, "page faults"), "%s: no summary:\n%s", names[i], r.out);
	}
}

Test(script_kernel, readahead_counts_file_and_swap_pages_read)
{
	/* the scripts hold their hand-worked counts as expect stat lines */
	cmd_out_t r;
	run(&r, "%s script --check tests/data/script-readahead.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "%s script --check tests/data/script-readahead-swap.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* without read-ahead the first touch reads one page only */
	run(&r, "%s script --readahead 0 tests/data/script-readahead.vms", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "script-readahead.vms:10:"), "%s", r.err);
}

Test(script_kernel, page_daemon_restores_high_and_direct_reclaim_below_min)
{
	/* hand-worked counts are the expect stat lines of the two scripts */
	cmd_out_t r;
	run(&r, "%s script --check tests/data/script-watermarks.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "%s script --check tests/data/script-direct-reclaim.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* the same first script with the daemon off evicts nothing yet */
	run(&r, "%s script --watermarks 0,0,0 tests/data/script-watermarks.vms", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "script-watermarks.vms:12:"), "%s", r.err);
}

Test(script_examples, file_mapping_leaves_the_shared_write_in_the_real_file)
{
	/* a copy in a folder of its own: the test of every example runs the
	 * original at the same time, on examples/data.bin */
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	cmd_out_t r;
	run(&r, "cp examples/file-mapping.vms %s/ && %s script %s/file-mapping.vms", dir, vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	unsigned char buf[16384];
	snprintf(path, sizeof path, "%s/data.bin", dir);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	cr_assert_eq(n, 16384);
	cr_assert(!memcmp(buf, "shared write", 12));
	for (size_t i = 12; i < n; i++)
		cr_assert_eq(buf[i], 0, "byte %zu is %u: the private write reached the file", i, buf[i]);
	rm_tree(dir);
}

Test(script_examples, belady_counts_through_json)
{
	cmd_out_t r;
	run(&r, "%s script --json examples/belady-3.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "page_faults"), 9);
	cr_assert_eq(json_u(r.out, "frames"), 3);
	run(&r, "%s script --json examples/belady-4.vms", vmlab());
	cr_assert_eq(json_u(r.out, "page_faults"), 10);
}

Test(script_errors, malformed_lines_exit_2_with_file_line_before_anything_runs)
{
	static const struct {
		const char *line, *says;
	} bad[] = {
		{ "frobnicate 1", "unknown command 'frobnicate'" },
		{ "spawn", "wrong number of words for spawn (spawn P)" },
		{ "spawn 1 2", "wrong number of words for spawn" },
		{ "spawn 1x", "bad process number '1x'" },   /* x1 is a name now (issue 11) */
		{ "spawn -1", "bad process number '-1'" },
		{ "spawn 4294967296", "bad process number '4294967296'" },
		{ "mmap 1 0x1000 4K rwz private", "bad PROT 'rwz'" },
		{ "mmap 1 0x1000 4K rr private", "bad PROT 'rr'" },
		{ "mmap 1 0x1000 4K rw public", "bad mapping type 'public'" },
		{ "mmap 1 0x1000 4Q rw private", "bad LEN '4Q'" },
		{ "mmap 1 0x1000 0 rw private", "bad LEN 0" },
		{ "mmap 1 0x1000 4K rw private as code", "bad kind 'code'" },
		{ "mmap 1 0x1000 4K rw private anon extra", "unexpected 'extra'" },
		{ "write 1 0x1000 hello", "bad DATA 'hello'" },
		{ "write 1 0x1000 0x123", "bad DATA '0x123'" },
		{ "write 1 0x1000 0xzz", "bad DATA '0xzz'" },
		{ "write 1 0x1000 \"\"", "bad DATA \"\" (empty)" },
		{ "write 1 0x1000 \"open", "unterminated string" },
		{ "read 1 0x1000 4 expect \"abc\"", "expect DATA is 3 bytes but LEN is 4" },
		{ "touch 1 0x1000 4K q", "bad access 'q'" },
		{ "expect 1 dead", "bad expectation 'dead'" },
		{ "expect stat nonsense 1", "unknown counter 'nonsense'; known: references" },
		{ "expect stat cow_copies x", "bad VALUE 'x'" },
		{ "end", "end without repeat" },
		{ "repeat 2", "repeat without end" },
	};
	char dir[64], path[PATH_MAX], text[512];
	make_dir(dir, sizeof dir);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* line 3 is bad; line 2 would create a file if anything ran */
		snprintf(text, sizeof text, "spawn 1\nfile made.bin 4K\n%s\nspawn 2\n", bad[i].line);
		put_file(path, sizeof path, dir, "bad.vms", text);
		cmd_out_t r;
		run(&r, "%s script %s", vmlab(), path);
		char want[PATH_MAX + 256];
		snprintf(want, sizeof want, "%s:3: %s", path, bad[i].says);
		cr_assert_eq(r.status, 2, "%s: status %d, stderr %s", bad[i].line, r.status, r.err);
		cr_assert(!strncmp(r.err, want, strlen(want)), "%s:\nwant %s\ngot  %s", bad[i].line, want, r.err);
		cr_assert_eq(r.out[0], 0, "%s: stdout %s", bad[i].line, r.out);
		cr_assert(!exists(dir, "made.bin"), "%s: line 2 ran", bad[i].line);
	}
	rm_tree(dir);
}

Test(script_errors, set_after_a_command_and_bad_settings_exit_2)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "spawn 1\nset frames 8\n", ":2: set must come before any other command" },
		{ "set frobs 8\n", ":1: set frobs: unknown setting 'frobs'; known: page-size" },
		{ "set frames lots\n", ":1: set frames: 'lots' is not a number" },
		{ "set policy opt\n", ":1: set policy opt: this policy reads the future" },
		{ "set json on\n", ":1: set json: 'json' cannot be set by a script" },
		{ "set allow-any-path on\n", ":1: set allow-any-path: 'allow-any-path' cannot be set by a script" },
		{ "set check maybe\n", ":1: set check: 'maybe' is not on or off" },
		{ "set watermarks 1,2\n", ":1: set watermarks: '1,2' is not MIN,LOW,HIGH" },
	};
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_file(path, sizeof path, dir, "set.vms", bad[i].text);
		cmd_out_t r;
		run(&r, "%s script %s", vmlab(), path);
		char want[PATH_MAX + 256];
		snprintf(want, sizeof want, "%s%s", path, bad[i].says);
		cr_assert_eq(r.status, 2, "%s: status %d, stderr %s", bad[i].text, r.status, r.err);
		cr_assert(!strncmp(r.err, want, strlen(want)), "want %s\ngot  %s", want, r.err);
	}
	rm_tree(dir);
}

Test(script_errors, bad_options_exit_2)
{
	static const struct {
		const char *args, *says;
	} bad[] = {
		{ "--policy opt", "vmlab script: --policy opt reads the future references" },
		{ "--watermarks 3,2,1", "need MIN <= LOW <= HIGH < frames" },
		{ "--frames 8 --watermarks 0,0,8", "vmlab script: --watermarks 0,0,8 (frames): need MIN <= LOW <= HIGH < frames (8)" },
		{ "--watermarks 1%,2%", "is not MIN,LOW,HIGH" },
		{ "--watermarks 1%,2%,101%", "is not MIN,LOW,HIGH" },
		{ "--format text", "unknown option '--format'" },
		{ "--frames 0", "at least 1" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cmd_out_t r;
		run(&r, "%s script %s examples/belady-3.vms", vmlab(), bad[i].args);
		cr_assert_eq(r.status, 2, "%s: status %d", bad[i].args, r.status);
		cr_assert(strstr(r.err, bad[i].says), "%s: stderr %s", bad[i].args, r.err);
	}
	cmd_out_t r;
	run(&r, "%s script", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s script /nonexistent/x.vms", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "cannot open /nonexistent/x.vms"), "%s", r.err);
}

Test(script_errors, failed_expectations_exit_1_with_expected_and_found)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "spawn 1\nmmap 1 0x1000 4K rw private\nwrite 1 0x1000 \"hi\"\n# a comment\nexpect stat minor_faults 2\n",
		  ":5: expected minor_faults 2, found 1" },
		{ "spawn 1\nmmap 1 0x1000 4K rw private\nwrite 1 0x1000 \"hello\"\nread 1 0x1000 5 expect \"hellp\"\n",
		  ":4: expected \"hellp\" at 0x1000, found \"hello\" (first difference at byte 4)" },
		{ "spawn 1\nexpect 1 segv\n", ":2: expected process 1 killed by SIGSEGV (segv), found it alive" },
		{ "spawn 1\nexit 1\nexpect 1 alive\n", ":3: expected process 1 alive, found it exited" },
		{ "spawn 1\nexpect 1 resident 1\n", ":2: expected process 1 to have 1 resident pages, found 0" },
		{ "spawn 1\nexit 1\nmmap 1 0x1000 4K rw private\n",
		  ":3: mmap 1 0x1000 4K rw private: process 1 is not alive (exited)" },
		{ "spawn 1\nwrite 7 0x1000 \"x\"\n", ":2: write 7 0x1000 \"x\": process 7 is not alive (never created)" },
		{ "spawn 1\nspawn 1\n", ":2: spawn 1: process 1 already exists" },
		{ "spawn 1\nmmap 1 0x1001 4K rw private\n", ":2: mmap 1 0x1001 4K rw private: the kernel refused: invalid input" },
		{ "spawn 1\nmmap 1 0x1000 4K rw private file nothere.bin\n",
		  ":2: mmap 1 0x1000 4K rw private file nothere.bin: the kernel refused: not found" },
		{ "spawn 1\nmmap 1 0x1000 4K r private\nwrite 1 0x1000 \"x\"\nread 1 0x1000 1 expect \"x\"\n",
		  ":4: read 1 0x1000 1 expect \"x\": process 1 is not alive (killed by SIGSEGV at 0x1000" },
	};
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_file(path, sizeof path, dir, "fail.vms", bad[i].text);
		cmd_out_t r;
		run(&r, "%s script %s", vmlab(), path);
		char want[PATH_MAX + 256];
		snprintf(want, sizeof want, "%s%s", path, bad[i].says);
		cr_assert_eq(r.status, 1, "%s: status %d, stderr %s", bad[i].text, r.status, r.err);
		cr_assert(strstr(r.err, want), "want %s\ngot  %s", want, r.err);
		cr_assert(!strstr(r.out, "page faults"), "a failed script prints no summary:\n%s", r.out);
	}
	rm_tree(dir);
}

Test(script_run, sigsegv_is_reported_and_the_script_goes_on)
{
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	put_file(path, sizeof path, dir, "segv.vms",
		 "spawn 1\nspawn 2\nmmap 1 0x1000 4K r private\nwrite 1 0x1000 \"x\"\n"
		 "touch 2 0x5000 1 r\nexpect 1 segv\nexpect 2 segv\nexpect stat segfaults 2\n");
	cmd_out_t r;
	run(&r, "%s script %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "P 1: SIGSEGV at 0x1000 ("), "%s", r.out);
	cr_assert(strstr(r.out, "P 2: SIGSEGV at 0x5000 (no region)"), "%s", r.out);
	/* under --json the lines go to stderr */
	run(&r, "%s script --json %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "P 1: SIGSEGV at 0x1000"), "%s", r.err);
	rm_tree(dir);
}

Test(script_run, oom_kill_is_reported_and_expect_oom_checks_it)
{
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	/* 4 frames and 2 swap slots: 1 writes 8 pages, 2 holds 2; when nothing
	 * more can go to swap the OOM killer ends the biggest, 1 */
	put_file(path, sizeof path, dir, "oom.vms",
		 "set frames 4\nset swap 8K\nset watermarks 0,0,0\nspawn 1\nspawn 2\n"
		 "mmap 1 0x1000 32K rw private\nmmap 2 0x1000 8K rw private\n"
		 "touch 2 0x1000 8K w\ntouch 1 0x1000 32K w\n"
		 "expect 1 oom\nexpect 2 alive\nexpect stat oom_kills 1\n");
	cmd_out_t r;
	run(&r, "%s script %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "P 1: killed by the out-of-memory killer\n"), "%s", r.out);
	rm_tree(dir);
}

Test(script_run, a_script_on_stdin_is_named_stdin)
{
	cmd_out_t r;
	run(&r, "printf 'spawn 1\\nspawn 1\\n' | %s script -", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.err, "<stdin>:2: spawn 1: process 1 already exists\n");
}

Test(script_run, json_stdout_is_one_object_with_the_kernel_keys)
{
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	/* a script that prints on every channel it has */
	put_file(path, sizeof path, dir, "j.vms",
		 "spawn 1\nmmap 1 0 8K rw private\nmmap 1 0x1000 4K rw private\n"
		 "write 1 0x1000 \"hi\"\nread 1 0x1000 2\nmaps 1\nstats\necho done\n");
	cmd_out_t r;
	run(&r, "%s script --json --events --timeline 1 %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	size_t n = strlen(r.out);
	cr_assert(n > 2 && r.out[0] == '{' && !strcmp(r.out + n - 2, "}\n"), "stdout:\n%s", r.out);
	/* one object only: the objects inside are process_stats', its last key */
	const char *procs = strstr(r.out, "\"process_stats\": [");
	cr_assert_not_null(procs, "%s", r.out);
	cr_assert(memchr(r.out + 1, '{', (size_t)(procs - r.out - 1)) == NULL, "one object only:\n%s", r.out);
	cr_assert(strstr(procs, "]\n}\n") == r.out + n - 4, "one object only:\n%s", r.out);
	cr_assert_eq(json_u(r.out, "minor_faults"), 1);
	cr_assert_eq(json_u(r.out, "swap_bytes"), 64ull << 20);
	static const char *const keys[] = { "cow_faults", "cow_copies", "segfaults", "file_reads",
					    "file_writebacks", "oom_kills", "daemon_reclaims",
					    "direct_reclaims", "free_frames" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_u(r.out, keys[i]);
	cr_assert_eq(json_u(r.out, "free_frames"), 63);
	cr_assert(strstr(r.err, "mmap 1: 0x"), "%s", r.err);
	cr_assert(strstr(r.err, "read 1 0x1000: \"hi\""), "%s", r.err);
	cr_assert(strstr(r.err, "page faults"), "stats goes to stderr: %s", r.err);
	cr_assert(strstr(r.err, "done\n"), "%s", r.err);
	rm_tree(dir);
}

Test(script_run, the_command_line_wins_over_set)
{
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	put_file(path, sizeof path, dir, "s.vms", "set frames 8\nset policy fifo\nset swap 1M\nspawn 1\n");
	cmd_out_t r;
	run(&r, "%s script --json --frames 16 %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "frames"), 16);
	cr_assert(strstr(r.out, "\"policy\": \"fifo\""), "%s", r.out);
	cr_assert_eq(json_u(r.out, "swap_bytes"), 1 << 20);
	run(&r, "%s script --json %s", vmlab(), path);
	cr_assert_eq(json_u(r.out, "frames"), 8);
	run(&r, "%s script --json --policy=lru --frames=4 %s", vmlab(), path);
	cr_assert_eq(json_u(r.out, "frames"), 4);
	cr_assert(strstr(r.out, "\"policy\": \"lru\""), "%s", r.out);
	rm_tree(dir);
}

Test(script_run, mmap_0_prints_the_same_address_every_time)
{
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	put_file(path, sizeof path, dir, "m.vms",
		 "spawn 1\nmmap 1 0 8K rw private\nmmap 1 0 4K r private\nspawn 2\nmmap 2 0 8K rw shared\n");
	cmd_out_t a, b;
	run(&a, "%s script %s", vmlab(), path);
	run(&b, "%s script %s", vmlab(), path);
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_str_eq(a.out, b.out);
	/* top down below VM_MMAP_TOP, first fit */
	static const char want[] = "mmap 1: 0x7effffffe000\nmmap 1: 0x7effffffd000\nmmap 2: 0x7effffffe000\n";
	cr_assert(!strncmp(a.out, want, strlen(want)), "%s", a.out);
	rm_tree(dir);
}

Test(script_run, repeat_echo_check_and_readback)
{
	char dir[64], path[PATH_MAX];
	make_dir(dir, sizeof dir);
	put_file(path, sizeof path, dir, "r.vms",
		 "set frames 4\nspawn 1\nmmap 1 0x1000 16K rw private\n"
		 "repeat 3\n  repeat 2 # nested\n    touch 1 0x1000 16K w\n  end\nend\n"
		 "repeat 0\n  exit 1\nend\n"
		 "write 1 0x2000 0x00ff41\nread 1 0x2000 3\nwrite 1 0x3000 \"a \\\"q\\\" \\x41\"\n"
		 "read 1 0x3000 7\ncheck\necho \"two  words\" and more\nexpect stat references 28\n");
	cmd_out_t r;
	run(&r, "%s script --check %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "read 1 0x2000: 0x00ff41\n"), "%s", r.out);
	cr_assert(strstr(r.out, "read 1 0x3000: \"a \\\"q\\\" A\"\n"), "%s", r.out);
	cr_assert(strstr(r.out, "two  words and more\n"), "%s", r.out);
	rm_tree(dir);
}

/* Scripts in dir/box, a symbolic link box/out -> dir/outside. */
static void make_box(char *dir, size_t len)
{
	char p[PATH_MAX], q[PATH_MAX];
	make_dir(dir, len);
	snprintf(p, sizeof p, "%s/box", dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/box/sub", dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/outside", dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/box/out", dir);
	snprintf(q, sizeof q, "%s/outside", dir);
	cr_assert_eq(symlink(q, p), 0);
	snprintf(p, sizeof p, "%s/box/dangling", dir);
	snprintf(q, sizeof q, "%s/outside/nothing-yet", dir);
	cr_assert_eq(symlink(q, p), 0);
	snprintf(p, sizeof p, "%s/box/in", dir);
	cr_assert_eq(symlink("sub", p), 0);
}

Test(script_paths, script_paths_stay_in_the_script_folder)
{
	static const struct {
		const char *line;
		int line_no;
		const char *says;
	} bad[] = {
		{ "file /tmp/vmlab-abs.bin 4K", 1, "path '/tmp/vmlab-abs.bin' leaves the script's folder (it is absolute); use --allow-any-path" },
		{ "file ../x.bin 4K", 1, "path '../x.bin' leaves the script's folder" },
		{ "file sub/../../x.bin 4K", 1, "path 'sub/../../x.bin' leaves the script's folder" },
		{ "file out/x.bin 4K", 1, "path 'out/x.bin' leaves the script's folder" },
		{ "file dangling 4K", 1, "is a symbolic link to nothing" },
		{ "spawn 1\nmmap 1 0x1000 4K r shared file ../x.bin", 2, "path '../x.bin' leaves the script's folder" },
		{ "set swap-file out/swap", 1, "path 'out/swap' leaves the script's folder" },
	};
	char dir[64], path[PATH_MAX], text[256];
	make_box(dir, sizeof dir);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "%s\n", bad[i].line);
		put_file(path, sizeof path, dir, "box/p.vms", text);
		cmd_out_t r;
		run(&r, "%s script %s", vmlab(), path);
		char want[PATH_MAX + 256];
		snprintf(want, sizeof want, "%s:%d: ", path, bad[i].line_no);
		cr_assert_eq(r.status, 2, "%s: status %d %s", bad[i].line, r.status, r.err);
		cr_assert(!strncmp(r.err, want, strlen(want)) && strstr(r.err, bad[i].says),
			  "%s:\nwant %s...%s\ngot  %s", bad[i].line, want, bad[i].says, r.err);
		cr_assert(strstr(r.err, "--allow-any-path"), "%s", r.err);
	}
	cr_assert(!exists(dir, "outside/x.bin") && !exists(dir, "x.bin"));
	/* inside, through .. and a symbolic link that stays inside: fine */
	put_file(path, sizeof path, dir, "box/p.vms",
		 "file sub/../a.bin 4K\nfile in/b.bin 4K\nfile ./sub/c.bin 4K\n"
		 "spawn 1\nmmap 1 0x1000 4K r shared file in/b.bin\n");
	cmd_out_t r;
	run(&r, "%s script %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(exists(dir, "box/a.bin") && exists(dir, "box/sub/b.bin") && exists(dir, "box/sub/c.bin"));
	/* --allow-any-path lets them through */
	char abs_line[PATH_MAX + 64];
	snprintf(abs_line, sizeof abs_line, "file out/x.bin 4K\nfile ../y.bin 1K\nfile %s/z.bin 2K\n", dir);
	put_file(path, sizeof path, dir, "box/p.vms", abs_line);
	run(&r, "%s script %s", vmlab(), path);
	cr_assert_eq(r.status, 2);
	run(&r, "%s script --allow-any-path %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(exists(dir, "outside/x.bin") && exists(dir, "y.bin") && exists(dir, "z.bin"));
	/* --root moves the folder */
	put_file(path, sizeof path, dir, "box/p.vms", "file x2.bin 4K\n");
	char root[PATH_MAX];
	snprintf(root, sizeof root, "%s/outside", dir);
	run(&r, "%s script --root %s %s", vmlab(), root, path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(exists(dir, "outside/x2.bin") && !exists(dir, "box/x2.bin"));
	rm_tree(dir);
}

Test(script_paths, path_resolve_directly)
{
	char dir[64], root[PATH_MAX], real[PATH_MAX], out[PATH_MAX], err[PATH_MAX + 256], want[PATH_MAX + 64];
	make_box(dir, sizeof dir);
	snprintf(root, sizeof root, "%s/box", dir);
	cr_assert_not_null(realpath(root, real));

	cr_assert_eq(path_resolve(root, "a/../b.bin", 0, out, sizeof out, err, sizeof err), VM_OK, "%s", err);
	snprintf(want, sizeof want, "%s/b.bin", real);
	cr_assert_str_eq(out, want);
	cr_assert_eq(path_resolve(root, "sub//./x", 0, out, sizeof out, err, sizeof err), VM_OK, "%s", err);
	snprintf(want, sizeof want, "%s/sub/x", real);
	cr_assert_str_eq(out, want);
	cr_assert_eq(path_resolve(root, "in/x", 0, out, sizeof out, err, sizeof err), VM_OK, "%s", err);
	cr_assert_str_eq(out, want, "a link inside resolves to its target");
	cr_assert_eq(path_resolve(root, "sub/..", 0, out, sizeof out, err, sizeof err), VM_OK);
	cr_assert_str_eq(out, real);
	cr_assert_eq(path_resolve(root, "../box/sub", 0, out, sizeof out, err, sizeof err), VM_OK,
		     "out and back in is inside: %s", err);

	cr_assert_eq(path_resolve(root, "/etc/passwd", 0, out, sizeof out, err, sizeof err), VM_EPERM);
	cr_assert_eq(path_resolve(root, "..", 0, out, sizeof out, err, sizeof err), VM_EPERM);
	cr_assert_eq(path_resolve(root, "out", 0, out, sizeof out, err, sizeof err), VM_EPERM);
	cr_assert_eq(path_resolve(root, "out/new/deeper", 0, out, sizeof out, err, sizeof err), VM_EPERM);
	cr_assert_eq(path_resolve(root, "dangling", 0, out, sizeof out, err, sizeof err), VM_EPERM);
	cr_assert_eq(path_resolve(root, "new/../../x", 0, out, sizeof out, err, sizeof err), VM_EPERM,
		     "`..` after a missing folder still counts");
	cr_assert_eq(path_resolve(root, "", 0, out, sizeof out, err, sizeof err), VM_EINVAL);

	cr_assert_eq(path_resolve(root, "out/x", 1, out, sizeof out, err, sizeof err), VM_OK);
	cr_assert(strstr(out, "/outside/x"), "a link out is followed: %s", out);
	cr_assert_eq(path_resolve(root, "/etc/passwd", 1, out, sizeof out, err, sizeof err), VM_OK);
	cr_assert_str_eq(out, "/etc/passwd");
	cr_assert_eq(path_resolve("/nonexistent-root", "x", 0, out, sizeof out, err, sizeof err), VM_ENOENT);

	cr_assert(path_inside("/a/b", "/a/b"));
	cr_assert(path_inside("/a/b", "/a/b/c"));
	cr_assert(!path_inside("/a/b", "/a/bc"));
	cr_assert(path_inside("/", "/x"));
	rm_tree(dir);
}

Test(script_parse, numbers_prot_and_data)
{
	uint64_t v;
	cr_assert_eq(num_parse_u64("0x1000", &v, 0), VM_OK);
	cr_assert_eq(v, 4096);
	cr_assert_eq(num_parse_u64("010", &v, 0), VM_OK);
	cr_assert_eq(v, 8);
	cr_assert_eq(num_parse_u64("16K", &v, 1), VM_OK);
	cr_assert_eq(v, 16384);
	cr_assert_eq(num_parse_u64("2M", &v, 1), VM_OK);
	cr_assert_eq(v, 2u << 20);
	cr_assert_eq(num_parse_u64("16K", &v, 0), VM_EINVAL);
	cr_assert_eq(num_parse_u64("-1", &v, 0), VM_EINVAL);
	cr_assert_eq(num_parse_u64("99999999999999999999", &v, 0), VM_ERANGE);
	cr_assert_eq(num_parse_u64("17179869184G", &v, 1), VM_ERANGE);

	script_t s;
	char err[512];
	script_paths_t paths = { .root = ".", .allow_any = 0 };
	cr_assert_eq(script_parse(&s, "t.vms",
				  "# c\n\nmmap 7 0x1000 8K r-x shared anon as text # c\n"
				  "mprotect 7 0x1000 4K -\nwrite 7 0x1000 \"a#b\"\n",
				  &paths, err, sizeof err), VM_OK, "%s", err);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.cmds[0].line, 3);
	cr_assert_eq(s.cmds[0].op, SCRIPT_MMAP);
	cr_assert_eq(s.cmds[0].prot, VM_PROT_R | VM_PROT_X);
	cr_assert_eq(s.cmds[0].flags, VM_MAP_SHARED);
	cr_assert_eq(s.cmds[0].kind, VM_KIND_TEXT);
	cr_assert_eq(s.cmds[0].len, 8192);
	cr_assert_str_eq(s.cmds[0].text, "mmap 7 0x1000 8K r-x shared anon as text");
	cr_assert_eq(s.cmds[1].prot, VM_PROT_NONE);
	cr_assert_eq(s.cmds[2].ndata, 3);
	cr_assert(!memcmp(s.cmds[2].data, "a#b", 3));
	cr_assert_eq(s.npids, 1);
	cr_assert_eq(s.pids[0], 7);
	script_free(&s);
}
