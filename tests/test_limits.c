/* test_limits.c - what keeps a script from running forever or blocking:
 * --max-steps (its counting, hand-checked), the notices of deaths looking
 * only where a death can be, files that must be regular (FIFOs refused
 * without blocking), `file` checking before it changes anything, and the
 * swap file's reasons.  Every run of the binary goes through `timeout`, so a
 * regression to a hang fails (status 124) instead of stopping the suite. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "script/script.h"
#include "util/vmerr.h"

/* A fresh folder (its real path, as the sandbox resolves it). */
static void lim_dir(char *dir, size_t len)
{
	char tmp[] = "/tmp/vmlab-limits-XXXXXX";
	cr_assert_not_null(mkdtemp(tmp));
	cr_assert_not_null(realpath(tmp, dir));
	(void)len;
}

static void lim_rm(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* Write text to dir/name. */
static void lim_put(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* The whole of dir/name ("" if it cannot be read). */
static void lim_get(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

static int lim_exists(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* --- --max-steps ------------------------------------------------------- */

Test(limits_steps, repeat_forever_is_refused_at_once)
{
	char dir[PATH_MAX];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "t.vms", "repeat 18446744073709551615\nend\n");
	run(&r, "timeout 60 %s script %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	char want[PATH_MAX * 3];
	snprintf(want, sizeof want,
		 "%s/t.vms:1: repeat 18446744073709551615: --max-steps 1000000000 reached: the script has run 0 steps and this repeat block needs 18446744073709551615 or more (a step is a command run, a pass of a repeat, or a page reference of touch, read or write); raise --max-steps\n",
		 dir);
	cr_assert_str_eq(r.err, want);
	cr_assert_str_eq(r.out, "", "no summary after a failure");
	lim_rm(dir);
}

/* A repeat of an empty repeat: every pass counts, so the outer block needs
 * 1000000 * (1 + 1000000) steps; refused before its first pass. */
Test(limits_steps, nested_repeats_are_refused_before_they_run)
{
	char dir[PATH_MAX];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "t.vms", "spawn 1\nmmap 1 0x400000 16K rw private\ntouch 1 0x400000 16K w\n"
			      "echo before\nrepeat 1000000\nrepeat 1000000\nend\nend\n");
	run(&r, "timeout 60 %s script %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	/* spawn 1 + mmap 1 + touch (1 + 4 pages) + echo 1 = 8 */
	cr_assert_not_null(strstr(r.err, "t.vms:5: repeat 1000000: --max-steps 1000000000 reached: the script has run 8 steps and this repeat block needs 1000001000000 more"),
			   "%s", r.err);
	cr_assert_str_eq(r.out, "before\n", "what the script printed is kept");
	lim_rm(dir);
}

/* With 16-byte pages, a 1 TiB (1024G) touch asks for 2^36 references: refused
 * before the first, though the region is mapped and every read would work. */
Test(limits_steps, huge_touch_is_refused_before_it_starts)
{
	char dir[PATH_MAX];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "t.vms", "set page-size 16\nset levels 5\nspawn 1\nmmap 1 0x1000 1024G r private\ntouch 1 0x1000 1024G r\n");
	run(&r, "timeout 60 %s script %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	/* set costs nothing; spawn 1 + mmap 1; the touch 1 + 2^40 / 16 */
	cr_assert_not_null(strstr(r.err, "t.vms:5: touch 1 0x1000 1024G r: --max-steps 1000000000 reached: the script has run 2 steps and this command needs 68719476737 more"),
			   "%s", r.err);
	lim_rm(dir);
}

/* Steps, counted by hand (4 KiB pages):
 *   spawn 1                          1      1
 *   mmap 1 0x400000 16K rw private   1      2
 *   touch 1 0x400000 16K w           1 + 4  7
 *   repeat 2 / end                   2      9   (two empty passes)
 *   repeat 2 / echo x / end          2 * 2  13  (a pass and an echo, twice)
 *   write 1 0x400fff "ab"            1 + 2  16  (the bytes span two pages)
 *   touch 1 0x400000 16K r 3000      1 + 6  23  (0, 3000, ..., 15000) */
static const char steps_script[] =
	"spawn 1\n"
	"mmap 1 0x400000 16K rw private\n"
	"touch 1 0x400000 16K w\n"
	"repeat 2\n"
	"end\n"
	"repeat 2\n"
	"echo x\n"
	"end\n"
	"write 1 0x400fff \"ab\"\n"
	"touch 1 0x400000 16K r 3000\n";

/* Run steps_script under --max-steps max; *r gets the result. */
static void steps_run(cmd_out_t *r, const char *dir, unsigned max)
{
	run(r, "timeout 60 %s script --max-steps %u %s/t.vms", vmlab(), max, dir);
}

Test(limits_steps, every_command_pass_and_reference_counts_exactly)
{
	char dir[PATH_MAX];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "t.vms", steps_script);
	steps_run(&r, dir, 23);
	cr_assert_eq(r.status, 0, "23 steps fit in 23: %s", r.err);
	cr_assert_eq(strncmp(r.out, "x\nx\nvmlab script:", 17), 0, "%s", r.out);

	steps_run(&r, dir, 22);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:10: touch 1 0x400000 16K r 3000: --max-steps 22 reached: the script has run 16 steps and this command needs 7 more"),
			   "%s", r.err);
	cr_assert_str_eq(r.out, "x\nx\n");

	steps_run(&r, dir, 15);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:9: write 1 0x400fff \"ab\": --max-steps 15 reached: the script has run 13 steps and this command needs 3 more"),
			   "%s", r.err);

	steps_run(&r, dir, 12);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:6: repeat 2: --max-steps 12 reached: the script has run 9 steps and this repeat block needs 4 more"),
			   "%s", r.err);
	cr_assert_str_eq(r.out, "", "the block is refused before its first pass");

	steps_run(&r, dir, 8);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:4: repeat 2: --max-steps 8 reached: the script has run 7 steps and this repeat block needs 2 more"),
			   "an empty repeat's passes count: %s", r.err);

	steps_run(&r, dir, 6);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:3: touch 1 0x400000 16K w: --max-steps 6 reached: the script has run 2 steps and this command needs 5 more"),
			   "%s", r.err);
	lim_rm(dir);
}

/* --- notices of deaths --------------------------------------------------- */

/* Parse text and run it on a script-mode machine of frames frames, fifo,
 * swap_slots slots, no watermarks; what it prints into out, the count of
 * looks at every process into *scans.  Returns script_run's result. */
static int lim_script(const char *text, uint32_t frames, uint64_t swap_slots, char *out,
		      size_t outlen, uint64_t *scans)
{
	char err[1024];
	script_t s;
	script_paths_t paths = { .root = "/tmp" };
	cr_assert_eq(script_parse(&s, "t.vms", text, &paths, err, sizeof err), 0, "%s", err);
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.frames = frames;
	c.policy = "fifo";
	c.swap_slots = swap_slots;
	vm_machine_t *vm;
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	memset(out, 0, outlen); /* fmemopen leaves it unterminated when nothing is written */
	FILE *f = fmemopen(out, outlen - 1, "w");
	cr_assert_not_null(f);
	*scans = 0;
	script_env_t env = { .out = f, .swap_bytes = swap_slots * 4096, .notice_scans = scans };
	int rc = script_run(vm, &s, &env, err, sizeof err);
	if (rc)
		cr_log_error("%s", err);
	fclose(f);
	vm_destroy(vm);
	script_free(&s);
	return rc;
}

/* Process 2's touch makes the OOM killer end process 1 (4 resident + 4
 * swapped pages against 2's 4): a bystander of the command, still reported,
 * by the one look at every process that the OOM kill asks for. */
Test(limits_notices, an_oom_killed_bystander_is_reported)
{
	static const char text[] =
		"spawn 1\n"
		"mmap 1 0x400000 32K rw private\n"
		"touch 1 0x400000 32K w\n"
		"spawn 2\n"
		"mmap 2 0x400000 20K rw private\n"
		"touch 2 0x400000 20K w\n"
		"expect 1 oom\n"
		"expect 2 alive\n"
		"expect stat oom_kills 1\n";
	char out[4096];
	uint64_t scans;
	cr_assert_eq(lim_script(text, 8, 4, out, sizeof out, &scans), 0);
	cr_assert_str_eq(out, "P 1: killed by the out-of-memory killer\n");
	cr_assert_eq(scans, 1);
}

/* 300 forks and a SIGSEGV: no OOM kill, so no command looks at every
 * process (each looks at its own, and a fork at its child); the death of
 * the command's own process is still reported. */
Test(limits_notices, commands_look_only_at_their_own_processes)
{
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap), out[4096];
	cr_assert_not_null(text);
	n += (size_t)snprintf(text + n, cap - n, "spawn 1\nmmap 1 0x400000 64K rw private\ntouch 1 0x400000 64K w\n");
	for (unsigned i = 2; i <= 301; i++)
		n += (size_t)snprintf(text + n, cap - n, "fork 1 %u\n", i);
	n += (size_t)snprintf(text + n, cap - n, "write 300 0x10000 \"x\"\nexpect 300 segv\nexpect 301 alive\n");
	cr_assert_lt(n, cap);
	uint64_t scans;
	cr_assert_eq(lim_script(text, 64, 64, out, sizeof out, &scans), 0);
	cr_assert_str_eq(out, "P 300: SIGSEGV at 0x10000 (no region)\n");
	cr_assert_eq(scans, 0);
	free(text);
}

/* --- files that must be regular ------------------------------------------ */

/* A script in a fresh folder next to a FIFO named p; *r gets the run. */
static void fifo_run(cmd_out_t *r, char *dir, size_t len, const char *script, const char *opts)
{
	char path[PATH_MAX + 64];
	lim_dir(dir, len);
	snprintf(path, sizeof path, "%s/p", dir);
	cr_assert_eq(mkfifo(path, 0644), 0);
	lim_put(dir, "t.vms", script);
	run(r, "timeout 20 %s script %s %s/t.vms", vmlab(), opts, dir);
}

Test(limits_files, file_on_a_fifo_is_refused_without_blocking)
{
	char dir[PATH_MAX], want[PATH_MAX * 3];
	cmd_out_t r;
	fifo_run(&r, dir, sizeof dir, "file p 4\n", "");
	cr_assert_eq(r.status, 1, "status %d (124: it blocked): %s", r.status, r.err);
	snprintf(want, sizeof want, "%s/t.vms:1: cannot create %s/p: not a regular file (a FIFO)\n", dir, dir);
	cr_assert_str_eq(r.err, want);
	lim_rm(dir);
}

Test(limits_files, mmap_of_a_fifo_is_refused_without_blocking)
{
	char dir[PATH_MAX], want[PATH_MAX * 3];
	cmd_out_t r;
	fifo_run(&r, dir, sizeof dir, "spawn 1\nmmap 1 0x400000 4K rw shared file p\n", "");
	cr_assert_eq(r.status, 1, "status %d (124: it blocked): %s", r.status, r.err);
	snprintf(want, sizeof want,
		 "%s/t.vms:2: mmap 1 0x400000 4K rw shared file p: the kernel refused: %s/p is not a regular file (a FIFO)\n",
		 dir, dir);
	cr_assert_str_eq(r.err, want);
	lim_rm(dir);
}

Test(limits_files, a_swap_file_on_a_fifo_is_refused)
{
	char dir[PATH_MAX], want[PATH_MAX * 3];
	cmd_out_t r;
	fifo_run(&r, dir, sizeof dir, "set swap-file p\nspawn 1\n", "");
	cr_assert_eq(r.status, 1, "status %d (124: it blocked): %s", r.status, r.err);
	snprintf(want, sizeof want, "vmlab script: cannot create the swap file %s/p: not a regular file (a FIFO)\n", dir);
	cr_assert_str_eq(r.err, want);
	lim_rm(dir);
}

Test(limits_files, a_directory_as_the_swap_file_is_refused)
{
	char dir[PATH_MAX], want[PATH_MAX * 3];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "t.vms", "spawn 1\n");
	run(&r, "timeout 20 %s script --swap-file %s %s/t.vms", vmlab(), dir, dir);
	cr_assert_eq(r.status, 1, "%s", r.err);
	snprintf(want, sizeof want, "vmlab script: cannot create the swap file %s: not a regular file (a directory)\n", dir);
	cr_assert_str_eq(r.err, want);
	lim_rm(dir);
}

Test(limits_files, the_swap_file_says_why_it_cannot_be_created)
{
	char dir[PATH_MAX], want[PATH_MAX * 3];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "t.vms", "spawn 1\n");
	run(&r, "timeout 20 %s script --swap-file %s/no/swap %s/t.vms", vmlab(), dir, dir);
	cr_assert_eq(r.status, 1, "%s", r.err);
	snprintf(want, sizeof want, "vmlab script: cannot create the swap file %s/no/swap: No such file or directory\n", dir);
	cr_assert_str_eq(r.err, want);
	lim_rm(dir);
}

Test(limits_files, a_directory_is_not_a_script)
{
	char dir[PATH_MAX], want[PATH_MAX * 3];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	run(&r, "timeout 20 %s script %s", vmlab(), dir);
	cr_assert_eq(r.status, 2, "%s", r.err);
	snprintf(want, sizeof want, "vmlab script: %s: is a directory\n", dir);
	cr_assert_str_eq(r.err, want);
	lim_rm(dir);
}

/* A size no file can have (past off_t) is refused before the file is
 * opened: an existing file keeps its bytes, a new one is not created. */
Test(limits_files, file_too_large_for_any_file_changes_nothing)
{
	char dir[PATH_MAX], want[PATH_MAX * 3], got[64];
	cmd_out_t r;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "big.bin", "hello");
	lim_put(dir, "t.vms", "file big.bin 9000000000G\n");
	run(&r, "timeout 20 %s script %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1, "%s", r.err);
	/* 9000000000 * 2^30 = 9663676416000000000 > 2^63 - 1 */
	snprintf(want, sizeof want,
		 "%s/t.vms:1: cannot create %s/big.bin: 9663676416000000000 bytes is more than a file can hold (at most 9223372036854775807)\n",
		 dir, dir);
	cr_assert_str_eq(r.err, want);
	lim_get(dir, "big.bin", got, sizeof got);
	cr_assert_str_eq(got, "hello", "the file was changed before the command failed");

	lim_put(dir, "t.vms", "file new.bin 9000000000G\n");
	run(&r, "timeout 20 %s script %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(!lim_exists(dir, "new.bin"), "a failed file command left a file behind");
	lim_rm(dir);
}

/* The example: 1000000G is more than ext4 holds (16 TiB).  Where
 * the file system takes it (tmpfs, xfs: sparse), the command succeeds and
 * the file has that size; where it does not, nothing changed. */
Test(limits_files, file_the_file_system_cannot_hold_changes_nothing)
{
	char dir[PATH_MAX], got[64], path[PATH_MAX + 16];
	cmd_out_t r;
	struct stat st;
	lim_dir(dir, sizeof dir);
	lim_put(dir, "big.bin", "hello");
	lim_put(dir, "t.vms", "file big.bin 1000000G\n");
	lim_put(dir, "n.vms", "file new.bin 1000000G\n");
	run(&r, "timeout 20 %s script %s/t.vms", vmlab(), dir);
	snprintf(path, sizeof path, "%s/big.bin", dir);
	if (r.status == 0) {
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq((unsigned long long)st.st_size, 1000000ull << 30);
		cr_log_warn("this file system holds a 1000000G file: the refusal is not tested here");
	} else {
		cr_assert_eq(r.status, 1, "%s", r.err);
		cr_assert_not_null(strstr(r.err, "t.vms:1: cannot create "), "%s", r.err);
		lim_get(dir, "big.bin", got, sizeof got);
		cr_assert_str_eq(got, "hello", "big.bin was truncated before the command failed");
		run(&r, "timeout 20 %s script %s/n.vms", vmlab(), dir);
		cr_assert_eq(r.status, 1, "%s", r.err);
		cr_assert(!lim_exists(dir, "new.bin"), "a failed file command left a file behind");
	}
	lim_rm(dir);
}

/* --- the reverse map ------------------------------------------------------ */

/* 200 children share the parent's 16 pages; they exit oldest first (the far
 * end of each page's list of mappings) and every fourth writes first (a
 * copy-on-write copy of its own).  The checker (reverse map = PTEs, counts)
 * holds after every call, and the parent is left as it was. */
Test(limits_rmap, mappings_leave_in_any_order)
{
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap), out[256];
	cr_assert_not_null(text);
	n += (size_t)snprintf(text + n, cap - n, "spawn 1\nmmap 1 0x400000 64K rw private\ntouch 1 0x400000 64K w\n");
	for (unsigned i = 2; i <= 201; i++) {
		n += (size_t)snprintf(text + n, cap - n, "fork 1 %u\n", i);
		if (i % 4 == 0)
			n += (size_t)snprintf(text + n, cap - n, "write %u 0x%x \"x\"\n", i, 0x400000 + (i % 16) * 4096);
	}
	for (unsigned i = 2; i <= 201; i++)
		n += (size_t)snprintf(text + n, cap - n, "exit %u\ncheck\n", i);
	/* 16 parent pages + 50 copies, all in 128 frames: nothing evicted */
	n += (size_t)snprintf(text + n, cap - n, "expect stat cow_copies 50\nexpect 1 resident 16\nexpect stat resident_pages 16\n");
	cr_assert_lt(n, cap);
	uint64_t scans;
	cr_assert_eq(lim_script(text, 128, 64, out, sizeof out, &scans), 0);
	cr_assert_str_eq(out, "");
	free(text);
}

/* explain under --max-memory: 64-byte pages and 59-bit VAs in 3 levels make
 * tables of 2^18 entries (2 MB, and its pool grows by doubling): the root
 * fits in 5M, the table a pte line needs below it does not; the budget
 * refuses it with the state file's line, exit 2, instead of allocating it
 * (in 2 levels the tables took 1.5 GB). */
Test(limits_files, explain_page_tables_past_the_budget)
{
	cmd_out_t r;
	run(&r, "(d=$(mktemp -d) && printf 'pte 0x24 0x0d\\n' > $d/s.state && "
		"%s explain --page-size 64 --va-bits 59 --pa-bits 12 --levels 3 --max-memory 5M "
		"--state $d/s.state 0x27c; s=$?; rm -rf $d; exit $s)", vmlab());
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_str_empty(r.out);
	const char *want = "/s.state:1: a limit was reached: the page tables this line needs pass "
			   "the host-memory budget (--max-memory 5242880)\n";
	const char *at = strstr(r.err, "/s.state:1: ");
	cr_assert(at && !strcmp(at, want), "%s", r.err);
	/* 56-bit VAs: the root table alone passes 256M; said so, not explained
	 * as a page fault of an empty table (its walk log was never written) */
	run(&r, "%s explain --page-size 64 --va-bits 56 --pa-bits 12 --levels 2 --max-memory 256M 0x27c",
	    vmlab());
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_str_empty(r.out);
	cr_assert_str_eq(r.err, "vmlab explain: a limit was reached: the root page table passes the "
				"host-memory budget (--max-memory 268435456)\n");
}
