/* test_outerr.c - output that cannot be written, and messages for input
 * that is not what it looks like (issue 6, items 3 and 8):
 *   - every subcommand with stdout on /dev/full exits 1 with
 *     "vmlab: cannot write the output: No space left on device";
 *   - a state file with a NUL byte, or a folder given as --state;
 *   - a trace line longer than the reader's 1 MiB buffer: a "==" line, a
 *     comment line or a text line's trailing comment is skipped under every
 *     --format, as under auto; any other long line is refused, under auto too.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "trace/trace.h"
#include "util/vmerr.h"

#define FULL_MSG "vmlab: cannot write the output: No space left on device\n"
#define LONG ((size_t)3 << 20)   /* longer than the reader's 1 MiB buffer */

/* A temporary file holding len bytes; its path goes into path (40 bytes). */
static void temp_file(char *path, const char *suffix, const void *data, size_t len)
{
	snprintf(path, 40, "/tmp/vmlab-outerr-XXXXXX%s", suffix);
	int fd = mkstemps(path, (int)strlen(suffix));
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Run vmlab ARGS with stdout on /dev/full: exit 1 and exactly the message. */
static void expect_full(const char *args)
{
	cmd_out_t r;
	run(&r, "%s %s >/dev/full", vmlab(), args);
	cr_expect_eq(r.status, 1, "vmlab %s: status %d, stderr: %s", args, r.status, r.err);
	cr_expect_str_eq(r.err, FULL_MSG, "vmlab %s", args);
}

Test(output_errors, every_subcommand_on_a_full_disk_exits_1)
{
	expect_full("run examples/small.pages");
	expect_full("run --json examples/small.pages");
	expect_full("run --policy opt examples/small.pages");
	expect_full("script examples/belady-3.vms");
	expect_full("script --json examples/belady-3.vms");
	expect_full("explain --page-size 64 --va-bits 14 --pa-bits 12 --levels 1 --tlb 16:4 "
		    "--state examples/cscapp.state 0x27c");
	expect_full("policies");
	expect_full("--help");
	expect_full("run --help");
}

Test(output_errors, output_larger_than_a_buffer_still_fails)
{
	/* 2000 echo lines: stdio's buffer fails long before the final flush */
	const char text[] = "repeat 2000\necho a line of text that the script prints\nend\n";
	char path[40];
	temp_file(path, ".vms", text, sizeof text - 1);
	cmd_out_t r;
	run(&r, "%s script %s >/dev/full", vmlab(), path);
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err, FULL_MSG);
	unlink(path);
}

Test(output_errors, a_full_stderr_under_json_is_not_an_error_of_stdout)
{
	/* `stats` prints on stderr under --json: that failure cannot be
	 * reported, and the JSON object on stdout is complete */
	const char text[] = "spawn 1\nmmap 1 0x1000 4K rw private anon\ntouch 1 0x1000 4K w\nstats\n";
	char path[40];
	temp_file(path, ".vms", text, sizeof text - 1);
	cmd_out_t r;
	run(&r, "%s script --json %s 2>/dev/full", vmlab(), path);
	cr_expect_eq(r.status, 0);
	cr_expect_eq(json_u(r.out, "page_faults"), 1);
	unlink(path);
}

Test(output_errors, a_working_stdout_is_still_status_0)
{
	cmd_out_t r;
	run(&r, "%s run --json examples/small.pages", vmlab());
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.err, "");
}

Test(explain_state, a_nul_byte_is_named_with_its_line)
{
	static const char text[] = "pte 1 2\npte 3\0 4\n";
	char path[40], want[128];
	temp_file(path, "", text, sizeof text - 1);
	cmd_out_t r;
	run(&r, "%s explain --state %s 0x10", vmlab(), path);
	cr_expect_eq(r.status, 2);
	snprintf(want, sizeof want, "%s:2: a NUL byte in the line (a state file is text)\n", path);
	cr_expect_str_eq(r.err, want);
	unlink(path);
}

Test(explain_state, a_long_line_is_still_a_long_line)
{
	char text[3000], path[40], want[128];
	memset(text, ' ', sizeof text);
	memcpy(text, "pte 1 2\n", 8);
	text[8 + 1022] = '\n';              /* line 2: 1022 spaces, allowed */
	memcpy(text + 8 + 1023, "pte 3 4", 7); /* line 3: 1969 characters */
	temp_file(path, "", text, sizeof text);
	cmd_out_t r;
	run(&r, "%s explain --state %s 0x10", vmlab(), path);
	cr_expect_eq(r.status, 2);
	snprintf(want, sizeof want, "%s:3: line longer than 1022 characters\n", path);
	cr_expect_str_eq(r.err, want);
	unlink(path);
}

Test(explain_state, a_folder_is_a_directory)
{
	cmd_out_t r;
	run(&r, "%s explain --state examples 0x10", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "vmlab explain: examples: is a directory\n");
	cr_expect_str_eq(r.out, "");
}

/* Read a whole trace; the accesses go into a (cap of them), the count into
 * *n; returns trace_read's last result (0 at a clean end). */
static long read_trace(const char *path, trace_format_t fmt, trace_access_t *a, size_t cap,
		       size_t *n, char *err, size_t errlen)
{
	trace_opts_t o = { .format = fmt, .page_shift = 12, .va_bits = 48 };
	trace_reader_t *r;
	cr_assert_eq(trace_open(&r, path, &o, err, errlen), 0, "%s", err);
	long got;
	*n = 0;
	while ((got = trace_read(r, a + *n, cap - *n)) > 0)
		*n += (size_t)got;
	snprintf(err, errlen, "%s", trace_error(r));
	trace_close(r);
	return got;
}

/* A file of: head, LONG bytes of fill, tail. */
static void long_file(char *path, const char *head, char fill, const char *tail)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *data = malloc(hl + LONG + tl);
	cr_assert_not_null(data);
	memcpy(data, head, hl);
	memset(data + hl, fill, LONG);
	memcpy(data + hl + LONG, tail, tl);
	temp_file(path, "", data, hl + LONG + tl);
	free(data);
}

Test(trace_long_lines, a_long_valgrind_line_is_skipped_under_every_format)
{
	char path[40], err[600], want[700];
	long_file(path, " S 1234,8\n==1== ", 'x', "\nI  10,4\n==2== \nbad\n");
	static const trace_format_t fmts[] = { TRACE_FMT_AUTO, TRACE_FMT_LACKEY };
	for (int i = 0; i < 2; i++) {
		trace_access_t a[8];
		size_t n;
		long rc = read_trace(path, fmts[i], a, 8, &n, err, sizeof err);
		cr_expect_eq(rc, VM_EINVAL, "format %d: %s", (int)fmts[i], err);
		/* line numbers count the cut line once */
		snprintf(want, sizeof want, "%s:5: expected 'I', ' L', ' S' or ' M' at start of line", path);
		cr_expect_str_eq(err, want);
		cr_assert_eq(n, 2);
		cr_expect(a[0].kind == 'W' && a[0].va == 0x1234 && a[0].size == 8);
		cr_expect(a[1].kind == 'X' && a[1].va == 0x10 && a[1].size == 4);
	}
	unlink(path);
	/* first in the file, where auto always looked past it */
	long_file(path, "==1== ", 'x', "\n S 1234,8\n");
	for (int i = 0; i < 2; i++) {
		trace_access_t a[8];
		size_t n;
		cr_expect_eq(read_trace(path, fmts[i], a, 8, &n, err, sizeof err), 0, "%s", err);
		cr_assert_eq(n, 1);
		cr_expect(a[0].kind == 'W' && a[0].va == 0x1234 && a[0].size == 8);
	}
	unlink(path);
}

Test(trace_long_lines, long_comments_are_skipped_under_every_format)
{
	char path[40], err[600];
	/* a whole-line comment, then a trailing one: text keeps R 0x2000 4 */
	long_file(path, "# ", 'c', "\nR 0x1000\nW 0x2000 4 #c\nX 0x3000\n");
	static const trace_format_t fmts[] = { TRACE_FMT_AUTO, TRACE_FMT_TEXT };
	for (int i = 0; i < 2; i++) {
		trace_access_t a[8];
		size_t n;
		long rc = read_trace(path, fmts[i], a, 8, &n, err, sizeof err);
		cr_expect_eq(rc, 0, "format %d: %s", (int)fmts[i], err);
		cr_assert_eq(n, 3);
		cr_expect(a[0].kind == 'R' && a[0].va == 0x1000 && a[0].size == 1);
		cr_expect(a[1].kind == 'W' && a[1].va == 0x2000 && a[1].size == 4);
		cr_expect(a[2].kind == 'X' && a[2].va == 0x3000);
	}
	unlink(path);

	long_file(path, "W 0x2000 4 #", 'c', "\nR 0x1000\n");
	trace_access_t a[8];
	size_t n;
	cr_expect_eq(read_trace(path, TRACE_FMT_TEXT, a, 8, &n, err, sizeof err), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_expect(a[0].kind == 'W' && a[0].va == 0x2000 && a[0].size == 4);
	cr_expect(a[1].kind == 'R' && a[1].va == 0x1000);
	unlink(path);

	/* pages: a long first comment line, auto and explicit alike */
	long_file(path, "#", 'c', "\n1,2w\n");
	static const trace_format_t pf[] = { TRACE_FMT_AUTO, TRACE_FMT_PAGES };
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(read_trace(path, pf[i], a, 8, &n, err, sizeof err), 0, "%s", err);
		cr_assert_eq(n, 2);
		cr_expect(a[0].va == 0x1000 && a[1].va == 0x2000 && a[1].kind == 'W');
	}
	unlink(path);
}

Test(trace_long_lines, a_long_blank_line_is_refused_under_auto_too)
{
	char path[40], err[600], want[700];
	long_file(path, "R 0x1000\n", ' ', "\nR 0x2000\n");
	static const trace_format_t fmts[] = { TRACE_FMT_AUTO, TRACE_FMT_TEXT };
	for (int i = 0; i < 2; i++) {
		trace_access_t a[8];
		size_t n;
		cr_expect_eq(read_trace(path, fmts[i], a, 8, &n, err, sizeof err), VM_EINVAL);
		snprintf(want, sizeof want, "%s:2: line longer than 1048576 bytes", path);
		cr_expect_str_eq(err, want);
		cr_expect_eq(n, 1);
	}
	unlink(path);
	/* before the first trace line, where auto used to look past it */
	long_file(path, "", ' ', "\nR 0x2000\n");
	trace_access_t a[8];
	size_t n;
	cr_expect_eq(read_trace(path, TRACE_FMT_AUTO, a, 8, &n, err, sizeof err), VM_EINVAL);
	snprintf(want, sizeof want, "%s:1: line longer than 1048576 bytes", path);
	cr_expect_str_eq(err, want);
	unlink(path);
}
