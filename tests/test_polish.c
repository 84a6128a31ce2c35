/* test_polish.c - leftovers of issues 9 and 10: an error's reason printed
 * whole however long the quoted line (script commands, script words, state
 * files, trace paths), khugepaged counting the references of `spawn P trace`
 * processes, and explain's HTML naming --mode. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "util/clip.h"

/* Write n bytes of text to a new temporary file named by path (40 bytes). */
static void pol_file(char *path, const char *suffix, const char *text, size_t n)
{
	snprintf(path, 40, "/tmp/vmlab-polish-XXXXXX%s", suffix);
	int fd = mkstemps(path, (int)strlen(suffix));
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, n), (ssize_t)n);
	close(fd);
}

/* A script whose line 2 is `write 9 0x1000 "a...a"` with n a's. */
static char *pol_long_write(size_t n)
{
	char *s = malloc(n + 64);
	cr_assert(s);
	int at = sprintf(s, "spawn 1\nwrite 9 0x1000 \"");
	memset(s + at, 'a', n);
	strcpy(s + at + n, "\"\n");
	return s;
}

Test(clip, a_word_that_fits_is_kept_whole_and_a_longer_one_cut_to_64_bytes)
{
	clip_t q;
	char w[100];
	memset(w, 'x', sizeof w);
	cr_expect_str_eq(clip_word(&q, "rw", 2), "rw");
	cr_expect_eq(strlen(clip_word(&q, w, 64)), 64);   /* 64 fit: no "..." */
	cr_expect_eq(strchr(q.s, '.'), NULL);
	cr_expect_eq(strlen(clip_word(&q, w, 65)), 64);   /* 61 x's and "..." */
	cr_expect_str_eq(q.s + 61, "...");
	/* never half a UTF-8 character: "é" is 2 bytes, at bytes 60-61 */
	memcpy(w + 60, "\xc3\xa9", 2);
	clip_word(&q, w, 100);
	cr_expect_str_eq(q.s + 60, "...");
}

Test(clip, join_cuts_the_text_not_the_reason)
{
	char out[20];
	clip_join(out, sizeof out, "f:1: ", "abc", ": ", "why");
	cr_expect_str_eq(out, "f:1: abc: why");   /* 13 bytes: whole */
	/* room 19; head 5 + sep 2 + reason 3 = 10: 9 for the text, 6 and "..." */
	clip_join(out, sizeof out, "f:1: ", "0123456789", ": ", "why");
	cr_expect_str_eq(out, "f:1: 012345...: why");
}

Test(clip, join_at_the_boundary)
{
	char out[21];   /* room 20: "f:1: 0123456789: why" is exactly 20 */
	clip_join(out, sizeof out, "f:1: ", "0123456789", ": ", "why");
	cr_expect_str_eq(out, "f:1: 0123456789: why");
	char small[20];
	clip_join(small, sizeof small, "f:1: ", "0123456789", ": ", "why");
	cr_expect_str_eq(small, "f:1: 012345...: why");
	char tiny[8];   /* not even HEAD "..." SEP REASON: the reason is cut last */
	clip_join(tiny, sizeof tiny, "f:1: ", "0123456789", ": ", "why");
	cr_expect_str_eq(tiny, "f:1: ..");
}

Test(long_lines, a_10000_byte_write_to_a_bad_pid_keeps_its_reason)
{
	char path[40];
	char *text = pol_long_write(10000);
	pol_file(path, ".vms", text, strlen(text));
	free(text);
	cmd_out_t r;
	run(&r, "%s script %s", vmlab(), path);
	cr_expect_eq(r.status, 1);
	static const char why[] = "...: process 9 is not alive (never created)\n";
	size_t n = strlen(r.err);
	cr_assert_geq(n, sizeof why - 1);
	cr_expect_str_eq(r.err + n - (sizeof why - 1), why);
	/* the message fills the error buffer (PATH_MAX + 1024 = 5120 bytes, one
	 * the NUL) and then the newline */
	cr_expect_eq(n, 5120);
	char head[80];
	snprintf(head, sizeof head, "%s:2: write 9 0x1000 \"aaaa", path);
	cr_expect_eq(strncmp(r.err, head, strlen(head)), 0);
	unlink(path);
}

Test(long_lines, a_short_write_to_a_bad_pid_is_quoted_whole)
{
	char path[40], want[160];
	char *text = pol_long_write(2);
	pol_file(path, ".vms", text, strlen(text));
	free(text);
	cmd_out_t r;
	run(&r, "%s script %s", vmlab(), path);
	cr_expect_eq(r.status, 1);
	snprintf(want, sizeof want,
		 "%s:2: write 9 0x1000 \"aa\": process 9 is not alive (never created)\n", path);
	cr_expect_str_eq(r.err, want);
	unlink(path);
}

Test(long_lines, a_10000_byte_bad_hex_data_word_keeps_its_reason)
{
	char path[40], want[256];
	char *s = malloc(10100);
	cr_assert(s);
	int at = sprintf(s, "spawn 1\nwrite 1 0x1000 0x");
	for (int i = 0; i < 5000; i++)
		memcpy(s + at + 2 * i, "ag", 2);
	strcpy(s + at + 10000, "\n");
	pol_file(path, ".vms", s, strlen(s));
	free(s);
	cmd_out_t r;
	run(&r, "%s script %s", vmlab(), path);
	cr_expect_eq(r.status, 2);
	/* 0x, then 59 bytes of agag..., then "...": 64 in all */
	snprintf(want, sizeof want, "%s:2: bad DATA '0x%s...' (0x and two hex digits a byte)\n", path,
		 "agagagagagagagagagagagagagagagagagagagagagagagagagagagagaga");
	cr_expect_str_eq(r.err, want);
	unlink(path);
}

Test(long_lines, a_long_flags_word_of_a_state_file_keeps_its_reason)
{
	char path[40], text[1024], want[256];
	int at = sprintf(text, "pte 1 2 ");
	for (int i = 0; i < 400; i++)
		memcpy(text + at + 2 * i, "wx", 2);
	strcpy(text + at + 800, "\n");
	pol_file(path, "", text, strlen(text));
	cmd_out_t r;
	run(&r, "%s explain --state %s 0x1000", vmlab(), path);
	cr_expect_eq(r.status, 2);
	snprintf(want, sizeof want, "%s:1: bad flags '%s...': letters of rwxu, each once\n", path,
		 "wxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxwxw");
	cr_expect_str_eq(r.err, want);
	unlink(path);
}

Test(long_lines, a_trace_under_a_long_path_keeps_its_reason)
{
	/* 120-byte folder names, 4 deep: a path of about 500 bytes, which once
	 * left no room in the reader's 512-byte message for the reason */
	char dir[1024] = "/tmp/vmlab-polish-deep-XXXXXX", name[121];
	cr_assert(mkdtemp(dir));
	memset(name, 'd', 120);
	name[120] = 0;
	for (int i = 0; i < 4; i++) {
		strcat(dir, "/");
		strcat(dir, name);
		cr_assert_eq(mkdir(dir, 0700), 0);
	}
	char file[1100];
	snprintf(file, sizeof file, "%s/t.txt", dir);
	FILE *f = fopen(file, "w");
	cr_assert(f);
	fputs("1 2\nxyz\n", f);
	fclose(f);
	cmd_out_t r;
	run(&r, "%s run --format pages %s", vmlab(), file);
	cr_expect_eq(r.status, 2);
	static const char why[] = "...:2: bad page number \"xyz\"\n";
	size_t n = strlen(r.err);
	cr_assert_geq(n, sizeof why - 1);
	cr_expect_str_eq(r.err + n - (sizeof why - 1), why, "%s", r.err);
	char cmd[2300];
	snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", 29, dir);
	cr_expect_eq(system(cmd), 0);
}

/* khugepaged's clock is the machine's references, a `spawn P trace`
 * process's as well as the script's.  --khugepaged-every 5: the script's two
 * writes are references 1-2, process 2's eight reads 3-10, so the passes
 * fall at 5 and 10, both during `run` (before, process 2's references were
 * not looked at and no pass ran until the read at 11).  The first pass
 * collapses process 1's advised 2 MiB range: 2 pages present, 510 none (at
 * most 511).  Its copy is the daemon's: process 2's CPU is what it is
 * without khugepaged (8 reads: 2309 ns, the first a minor fault). */
Test(khugepaged, counts_the_references_of_trace_processes)
{
	cr_assert_eq(system("mkdir -p /tmp/vmlab_polish_kh && cd /tmp/vmlab_polish_kh && "
			    "printf 'R 0x1000\\nR 0x1000\\nR 0x1000\\nR 0x1000\\n"
			    "R 0x1000\\nR 0x1000\\nR 0x1000\\nR 0x1000\\n' > t.txt && "
			    "printf 'spawn 1\\nmmap 1 0x200000 0x200000 rw private\\n"
			    "write 1 0x200000 \"a\"\\nwrite 1 0x201000 \"b\"\\n"
			    "madvise 1 0x200000 0x200000 hugepage\\nspawn 2 trace t.txt\\nrun\\n"
			    "expect stat khugepaged_passes 2\\nexpect stat thp_collapse_alloc 1\\n"
			    "read 1 0x201000 1 expect \"b\"\\nread 1 0x200000 1 expect \"a\"\\n"
			    "expect stat khugepaged_passes 2\\n' > k.vms"), 0);
	cmd_out_t r;
	run(&r, "%s script --frames 2048 --thp madvise --khugepaged-every 5 "
		"/tmp/vmlab_polish_kh/k.vms --json", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.err, "run: elapsed 2309 ns, cpu_utilization 1.0000, disk_utilization 0.0000\n"
				"  P 2: cpu 2309 ns, blocked 0 ns, faults 1 (minor 1, major 0), done\n");
	cr_expect_eq(json_u(r.out, "references"), 12);
	cr_expect_eq(json_u(r.out, "khugepaged_passes"), 2);
	cr_expect_eq(json_u(r.out, "thp_collapse_alloc"), 1);
	cr_expect_eq(json_u(r.out, "thp_fault_alloc"), 0);
	cr_expect_eq(json_u(r.out, "distinct_pages"), 513);   /* the huge page's 512 and P 2's one */
}

/* Without --khugepaged-every no pass runs, trace processes or not. */
Test(khugepaged, is_off_by_default_under_run)
{
	cr_assert_eq(system("mkdir -p /tmp/vmlab_polish_kh0 && cd /tmp/vmlab_polish_kh0 && "
			    "printf 'R 0x1000\\nR 0x2000\\n' > t.txt && "
			    "printf 'spawn 1\\nmmap 1 0x200000 0x200000 rw private\\n"
			    "write 1 0x200000 \"a\"\\nmadvise 1 0x200000 0x200000 hugepage\\n"
			    "spawn 2 trace t.txt\\nrun\\n' > k.vms"), 0);
	cmd_out_t r;
	run(&r, "%s script --frames 2048 --thp madvise /tmp/vmlab_polish_kh0/k.vms --json", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "khugepaged_passes"), 0);
	cr_expect_eq(json_u(r.out, "thp_collapse_alloc"), 0);
	cr_expect_eq(json_u(r.out, "references"), 3);
}

/* --- explain --mode ... --html ------------------------------------------ */

#define POL_KSTATE "printf 'pte 0x800000000 0x5 rw\\npte 0x1 0x3\\n' > %s/k.state"

/* A fresh folder for a page and a browser profile. */
static void pol_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/vmlab-polish-html-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

/* The text of the element with id in an HTML dump ("" if none). */
static void pol_dom_text(const char *html, const char *id, char *buf, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof pat, "id=\"%s\">", id);
	const char *p = strstr(html, pat);
	buf[0] = 0;
	if (!p)
		return;
	p += strlen(pat);
	size_t k = strcspn(p, "<");
	if (k >= len)
		k = len - 1;
	memcpy(buf, p, k);
	buf[k] = 0;
}

/* The page's data names the mode and half of each VA as the text does, the
 * leaf's G bit too; without --mode neither key is there. */
Test(explain_html_mode, the_data_holds_mode_half_and_the_g_bit)
{
	char dir[64], cmd[512];
	pol_dir(dir, sizeof dir);
	snprintf(cmd, sizeof cmd, POL_KSTATE, dir);
	cr_assert_eq(system(cmd), 0);
	cmd_out_t r;
	run(&r, "%s explain --state %s/k.state --mode user --html %s/u.html 0xffff800000000000 0x1abc",
	    vmlab(), dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "mode: user\nhalf: kernel\n"), "%s", r.out);   /* the text as before */
	run(&r, "grep -o '\"mode\":\"[a-z]*\",\"half\":\"[a-z]*\"' %s/u.html", dir);
	cr_expect_str_eq(r.out, "\"mode\":\"user\",\"half\":\"kernel\"\n\"mode\":\"user\",\"half\":\"user\"\n");
	run(&r, "grep -c '\"0x8000000000005103\",\"P W G NX\"' %s/u.html", dir);
	cr_expect_str_eq(r.out, "1\n");   /* L4_pte_bits: P W G NX, as the text says */
	run(&r, "%s explain --state %s/k.state --html %s/n.html 0x1abc", vmlab(), dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "grep -c '\"mode\"' %s/n.html", dir);
	cr_expect_str_eq(r.out, "0\n");
	run(&r, "rm -rf %s", dir);
}

/* 4-byte PTEs in the page as in the text: 8 hex digits. */
Test(explain_html_mode, a_32_bit_pte_has_8_digits_as_in_the_text)
{
	char dir[64];
	pol_dir(dir, sizeof dir);
	cmd_out_t r;
	run(&r, "%s explain --va-bits 32 --pa-bits 32 --pte-size 4 --levels 2 --html %s/p.html 0x1234",
	    vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "L1_pte: 0x00000000\n"), "%s", r.out);
	run(&r, "grep -c '\"levels\":\\[\\[\"0x0\",\"0x1000\",\"0x00000000\",\"not-present\"\\]\\]' %s/p.html", dir);
	cr_expect_str_eq(r.out, "1\n");
	run(&r, "rm -rf %s", dir);
}

/* In Chromium: step 0 of a kernel-mode explain lists mode and half after
 * access, as the text does, and the heading names the mode. */
Test(explain_html_mode, chromium_shows_the_mode, .timeout = 240)
{
	char dir[64], cmd[512], got[1024];
	pol_dir(dir, sizeof dir);
	snprintf(cmd, sizeof cmd, POL_KSTATE, dir);
	cr_assert_eq(system(cmd), 0);
	cmd_out_t r;
	run(&r, "%s explain --state %s/k.state --mode kernel --html %s/k.html 0x800000000abc 0x1abc",
	    vmlab(), dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "chromium --headless --no-sandbox --disable-gpu --user-data-dir=%s/profile "
		"--dump-dom 'file://%s/k.html#step=0'", dir, dir);
	cr_assert_eq(r.status, 0, "chromium failed (the Makefile installs it: make test): %s", r.err);
	pol_dom_text(r.out, "which", got, sizeof got);
	cr_expect_str_eq(got, "VA 1 of 2: 0x800000000abc, kernel mode");
	pol_dom_text(r.out, "now", got, sizeof got);
	cr_expect_str_eq(got, "VA: 0x800000000abc\naccess: r\nmode: kernel\nhalf: kernel\n"
			      "VA_bits: 100000000 000000000 000000000 000000000 101010111100\n"
			      "VPN: 0x800000000\nVPO: 0xabc");
	/* the second VA's first step (7 = 3 + 4 levels): the user half */
	run(&r, "chromium --headless --no-sandbox --disable-gpu --user-data-dir=%s/profile "
		"--dump-dom 'file://%s/k.html#step=7'", dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	pol_dom_text(r.out, "which", got, sizeof got);
	cr_expect_str_eq(got, "VA 2 of 2: 0x1abc, kernel mode");
	cr_expect(strstr(r.out, "<div class=\"on\">mode: kernel</div><div class=\"on\">half: user</div>"),
		  "%s", r.out);
	run(&r, "rm -rf %s", dir);
}

/* An option's value of 5,000 digits, on the command line or in a script's
 * set line: the value is cut to 64 bytes ("..." its last 3), the reason
 * whole; a short bad value is quoted whole as before. */
Test(long_lines, a_long_option_value_keeps_its_reason)
{
	char digits[5001], cut[65], want[256], path[40], text[5100];
	memset(digits, '1', 5000);
	digits[5000] = 0;
	memset(cut, '1', 61);
	strcpy(cut + 61, "...");
	cmd_out_t r;
	run(&r, "%s run --frames %s", vmlab(), digits);
	cr_expect_eq(r.status, 2);
	snprintf(want, sizeof want, "vmlab run: --frames: %s is out of range (at most 4294967294)\n", cut);
	cr_expect_str_eq(r.err, want);
	snprintf(text, sizeof text, "set frames %s\nspawn 1\n", digits);
	pol_file(path, ".vms", text, strlen(text));
	run(&r, "%s script %s", vmlab(), path);
	cr_expect_eq(r.status, 2);
	snprintf(want, sizeof want, "%s:1: set frames: %s is out of range (at most 4294967294)\n", path, cut);
	cr_expect_str_eq(r.err, want);
	unlink(path);
	run(&r, "%s run --frames 12x", vmlab());
	cr_expect_str_eq(r.err, "vmlab run: --frames: '12x' is not a number (K, M, G suffixes allowed)\n");
}
