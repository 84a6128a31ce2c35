/* test_wss.c - `vmlab wss`: the working set worked by hand, against a brute
 * force, through the command line (LIST rules, outputs, splitting), and the
 * plots gnuplot draws.  The binary is $VMLAB (make test sets it). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/wss.h"
#include "cmd.h"
#include "util/rng.h"

/* Feed pages (pid 0) into a new analysis for taus (NULL: the default). */
static wss_t *wss_of(const int *pages, size_t n, const uint64_t *taus, size_t ntau, uint64_t every)
{
	wss_t *w;
	cr_assert_eq(wss_create(&w, taus, ntau, every), 0);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(wss_ref(w, 0, (uint64_t)pages[i]), 0);
	wss_finish(w);
	return w;
}

/* The string 1,2,3,1,2,3,4,4,4,4 (n = 10, 4 distinct pages), by hand.
 *
 * W(t, tau) for t = 1..10 (the last tau references):
 *   tau 1: 1 1 1 1 1 1 1 1 1 1            sum 10  avg 1.0  peak 1
 *   tau 2: 1 2 2 2 2 2 2 1 1 1            sum 16  avg 1.6  peak 2
 *          (t=8 is {4}: refs 7,8 are 4,4)
 *   tau 3: 1 2 3 3 3 3 3 2 1 1            sum 22  avg 2.2  peak 3
 *          (t=7 is {2,3,4}; t=8 {3,4}; t=9 {4})
 *   tau 4: 1 2 3 3 3 3 4 3 2 1            sum 25  avg 2.5  peak 4
 *          (t=7 refs 4..7 = 1,2,3,4: the peak; t=10 refs 7..10 = 4,4,4,4)
 *   tau 10: the distinct pages so far 1 2 3 3 3 3 4 4 4 4   sum 31  avg 3.1  peak 4
 * Gaps to the previous reference of the same page: t=4,5,6 gap 3 (pages
 * 1,2,3), t=8,9,10 gap 1 (page 4); first references t=1,2,3,7.
 *   ws_faults = 4 first + #{gap > tau}:
 *   tau 1: 4 + 3 (the gaps 3) = 7;  tau 2: 4 + 3 = 7;  tau 3, 4, 10: 4 + 0 = 4.
 * Cross-check of avg by gaps: sum_t |W| = sum over references of min(g, tau)
 * with g the gap to the page's next reference, or n + 1 - t for its last:
 * next gaps 3,3,3 (t=1,2,3), 1,1,1 (t=7,8,9); tails 7,6,5 (t=4,5,6), 1 (t=10).
 *   tau 2: 2+2+2 + 1+1+1 + 2+2+2 + 1 = 16;  tau 4: 3+3+3 + 1+1+1 + 4+4+4 + 1 = 25. */
static const int hand[] = { 1, 2, 3, 1, 2, 3, 4, 4, 4, 4 };

Test(wss, hand_worked_string_for_several_tau)
{
	static const uint64_t taus[] = { 1, 2, 3, 4, 10 };
	static const struct { double avg; uint64_t faults, peak; } want[] = {
		{ 1.0, 7, 1 }, { 1.6, 7, 2 }, { 2.2, 4, 3 }, { 2.5, 4, 4 }, { 3.1, 4, 4 },
	};
	wss_t *w = wss_of(hand, 10, taus, 5, 0);
	size_t n;
	const wss_point_t *p = wss_points(w, &n);
	cr_assert_eq(n, 5);
	cr_assert_eq(wss_references(w), 10);
	cr_assert_eq(wss_distinct_pages(w), 4);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(p[i].tau, taus[i]);
		cr_assert_float_eq(p[i].avg_wss, want[i].avg, 1e-12, "tau %zu", i);
		cr_assert_eq(p[i].ws_faults, want[i].faults, "tau %llu: %llu", (unsigned long long)taus[i],
			     (unsigned long long)p[i].ws_faults);
		cr_assert_eq(p[i].peak_wss, want[i].peak, "tau %llu", (unsigned long long)taus[i]);
	}
	wss_destroy(w);
}

/* --every 1 gives the W(t, tau) rows of the table above. */
Test(wss, every_reference_series_by_hand)
{
	static const uint64_t taus[] = { 2, 4 };
	static const uint64_t want[2][10] = {
		{ 1, 2, 2, 2, 2, 2, 2, 1, 1, 1 },
		{ 1, 2, 3, 3, 3, 3, 4, 3, 2, 1 },
	};
	wss_t *w = wss_of(hand, 10, taus, 2, 1);
	cr_assert_eq(wss_series_rows(w), 10);
	for (size_t t = 0; t < 10; t++)
		for (size_t i = 0; i < 2; i++)
			cr_assert_eq(wss_series_at(w, t, i), want[i][t], "t=%zu tau=%llu", t + 1,
				     (unsigned long long)taus[i]);
	wss_destroy(w);
}

/* The default taus are the powers of ten up to n: n = 10 gives 1 and 10,
 * n = 9 only 1, an empty string none. */
Test(wss, default_taus_are_powers_of_ten_up_to_n)
{
	size_t n;
	wss_t *w = wss_of(hand, 10, NULL, 0, 0);
	const wss_point_t *p = wss_points(w, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(p[0].tau, 1);
	cr_assert_eq(p[1].tau, 10);
	cr_assert_float_eq(p[1].avg_wss, 3.1, 1e-12);
	wss_destroy(w);
	w = wss_of(hand, 9, NULL, 0, 0);
	wss_points(w, &n);
	cr_assert_eq(n, 1);
	wss_destroy(w);
	w = wss_of(hand, 0, NULL, 0, 0);
	wss_points(w, &n);
	cr_assert_eq(n, 0);
	wss_destroy(w);
}

/* Against the definition, computed the slow way: random strings over few
 * pages (so gaps of every length occur), windows below, at and above n.
 * Catches an off-by-one in the window's edge, the histogram's buckets, a
 * window that starts late, or a peak from the wrong moment. */
Test(wss, equals_brute_force_on_random_strings)
{
	enum { N = 400 };
	static const uint64_t taus[] = { 1, 2, 3, 5, 7, 16, 50, 399, 400, 401, 1000 };
	const size_t T = sizeof taus / sizeof taus[0];
	uint64_t seed = 12345;
	for (int round = 0; round < 30; round++) {
		int s[N];
		int pages = 2 + round % 13;
		for (int i = 0; i < N; i++)
			s[i] = (int)(rng_mix64(seed++) % (uint64_t)pages);
		wss_t *w = wss_of(s, N, taus, T, 7);
		size_t np;
		const wss_point_t *p = wss_points(w, &np);
		cr_assert_eq(np, T);
		for (size_t k = 0; k < T; k++) {
			uint64_t sum = 0, faults = 0, peak = 0;
			for (int t = 0; t < N; t++) {
				/* |W(t, tau)|: distinct among t-tau+1..t (0-based here). */
				uint64_t size = 0;
				int lo = t + 1 >= (int)taus[k] ? t + 1 - (int)taus[k] : 0;
				for (int i = lo; i <= t; i++) {
					int seen = 0;
					for (int j = lo; j < i && !seen; j++)
						seen = s[j] == s[i];
					size += !seen;
				}
				sum += size;
				peak = size > peak ? size : peak;
				/* A fault: s[t] not among t-tau..t-1. */
				int found = 0;
				for (int i = t >= (int)taus[k] ? t - (int)taus[k] : 0; i < t && !found; i++)
					found = s[i] == s[t];
				faults += !found;
				if ((t + 1) % 7 == 0)
					cr_assert_eq(wss_series_at(w, (size_t)(t + 1) / 7 - 1, k), size);
			}
			cr_assert_float_eq(p[k].avg_wss * N, (double)sum, 1e-9, "round %d tau %llu", round,
					   (unsigned long long)taus[k]);
			cr_assert_eq(p[k].ws_faults, faults, "round %d tau %llu", round, (unsigned long long)taus[k]);
			cr_assert_eq(p[k].peak_wss, peak, "round %d tau %llu", round, (unsigned long long)taus[k]);
		}
		wss_destroy(w);
	}
}

/* Pages are (pid, VPN): the same VPN in two processes is two pages. */
Test(wss, pages_of_different_processes_differ)
{
	wss_t *w;
	static const uint64_t taus[] = { 1, 2 };
	cr_assert_eq(wss_create(&w, taus, 2, 0), 0);
	cr_assert_eq(wss_ref(w, 0, 5), 0);
	cr_assert_eq(wss_ref(w, 1, 5), 0);
	cr_assert_eq(wss_ref(w, 0, 5), 0);
	wss_finish(w);
	size_t n;
	const wss_point_t *p = wss_points(w, &n);
	cr_assert_eq(wss_distinct_pages(w), 2);
	cr_assert_eq(p[0].ws_faults, 3);  /* tau 1: each differs from the one before */
	cr_assert_eq(p[1].ws_faults, 2);  /* tau 2: the third is (0,5) again, gap 2 */
	wss_destroy(w);
}

#define HAND "printf '1,2,3,1,2,3,4,4,4,4\\n' | %s wss --format pages"

/* The JSON object in full: keys, order, %.17g for avg_wss (1.6 is not exact
 * in binary), the series. */
Test(wss_cli, json_with_series)
{
	cmd_out_t r;
	run(&r, HAND " --tau 4,2 --every 3 --json -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out,
		"{\n"
		"  \"trace\": \"<stdin>\",\n"
		"  \"format\": \"pages\",\n"
		"  \"page_size\": 4096,\n"
		"  \"every\": 3,\n"
		"  \"references\": 10,\n"
		"  \"distinct_pages\": 4,\n"
		"  \"points\": [\n"
		"    {\"tau\": 2, \"avg_wss\": 1.6000000000000001, \"ws_faults\": 7, \"peak_wss\": 2},\n"
		"    {\"tau\": 4, \"avg_wss\": 2.5, \"ws_faults\": 4, \"peak_wss\": 4}\n"
		"  ],\n"
		"  \"series\": [\n"
		"    {\"t\": 3, \"wss\": {\"2\": 2, \"4\": 3}},\n"
		"    {\"t\": 6, \"wss\": {\"2\": 2, \"4\": 3}},\n"
		"    {\"t\": 9, \"wss\": {\"2\": 1, \"4\": 2}}\n"
		"  ]\n"
		"}\n");
}

Test(wss_cli, csv_points_and_series)
{
	cmd_out_t r;
	run(&r, HAND " --tau 1..3 --csv", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "tau,avg_wss,ws_faults,peak_wss\n"
		"1,1,7,1\n"
		"2,1.6000000000000001,7,2\n"
		"3,2.2000000000000002,4,3\n");
	run(&r, HAND " --tau 2,4 --every 5 --csv", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* t=5: tau 2 {1,2}, tau 4 {2,3,1}; t=10: {4} and {4}. */
	cr_assert_str_eq(r.out, "t,2,4\n5,2,3\n10,1,1\n");
}

/* The table a person reads. */
Test(wss_cli, table)
{
	cmd_out_t r;
	run(&r, HAND " --tau 4", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out,
		"vmlab wss: <stdin> (pages)\n"
		"10 references, 4 distinct pages of 4096 B\n\n"
		"              tau      avg wss       ws faults   of refs  peak wss\n"
		"                4        2.500               4  40.0000%         4\n");
}

/* The tau of the JSON points, in order, into buf ("1,2,5"). */
static const char *taus_of(const char *out, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (const char *p = strstr(out, "\"tau\": "); p; p = strstr(p + 1, "\"tau\": "))
		at += (size_t)snprintf(buf + at, len - at, "%s%llu", at ? "," : "",
				       strtoull(p + 7, NULL, 10));
	return buf;
}

/* LIST: values, A..B, A..B/N geometric and rounded, sorted, deduplicated. */
Test(wss_cli, list_forms)
{
	static const struct { const char *list, *taus; } cases[] = {
		{ "5,1..3,2", "1,2,3,5" },
		{ "10..1000/3", "10,100,1000" },
		/* 1·10^(i/3): 1, 2.154 -> 2, 4.642 -> 5, 10 */
		{ "1..10/4", "1,2,5,10" },
		/* 1..3/10: ten values in 1..3, three distinct */
		{ "1..3/10", "1,2,3" },
		{ "7..7", "7" },
		{ "0x10", "16" },
		{ "4294967296", "4294967296" },
	};
	char buf[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cmd_out_t r;
		run(&r, HAND " --json --tau '%s'", vmlab(), cases[i].list);
		cr_assert_eq(r.status, 0, "%s: %s", cases[i].list, r.err);
		cr_assert_str_eq(taus_of(r.out, buf, sizeof buf), cases[i].taus, "%s", cases[i].list);
	}
}

/* LIST errors: exit 2, a message naming --tau, nothing on stdout. */
Test(wss_cli, list_errors_exit_2)
{
	static const struct { const char *list, *msg; } cases[] = {
		{ "0", "every value must be at least 1" },
		{ "1,0..3", "every value must be at least 1" },
		{ "", "empty item in ''" },
		{ "1,,2", "empty item in '1,,2'" },
		{ "1,2,", "empty item in '1,2,'" },
		{ "3..1", "the range goes down (3 > 1)" },
		{ "1..8/0", "/0 asks for no values" },
		{ "4294967297", "above 4294967296" },
		{ "1..4294967297", "above 4294967296" },
		{ "x", "is not a number" },
		{ "1..", "is not a number" },
		{ "1..4294967296", "makes more than 1048576 values" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cmd_out_t r;
		run(&r, HAND " --tau '%s'", vmlab(), cases[i].list);
		cr_assert_eq(r.status, 2, "'%s': status %d", cases[i].list, r.status);
		cr_assert_str_eq(r.out, "");
		cr_assert(strstr(r.err, "vmlab wss: --tau: ") && strstr(r.err, cases[i].msg),
			  "'%s': %s", cases[i].list, r.err);
	}
}

Test(wss_cli, bad_options_exit_2)
{
	cmd_out_t r;
	run(&r, HAND " --every 0", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--every"), "%s", r.err);
	run(&r, HAND " --csv --json", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, HAND " --tau", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--tau needs LIST"), "%s", r.err);
	run(&r, "printf '1,x\\n' | %s wss --format pages", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "<stdin>:1"), "%s", r.err);
}

/* References split as `run` splits them: an access across a page boundary
 * is one reference a page, M a read then a write of the same page. */
Test(wss_cli, references_split_as_run_splits_them)
{
	cmd_out_t r;
	/* I 0x1ffe,4: pages 1 and 2; M 0x5000: page 5 twice; L 0x1000: page 1. */
	run(&r, "printf 'I  00001ffe,4\\n M 00005000,1\\n L 00001000,8\\n' | %s wss --tau 1,2 --json",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "references"), 5);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 3);
	/* refs 1,2,5,5,1: tau 1 faults all but the second 5 = 4; tau 2 the same
	 * (page 1's gap is 4). */
	cr_assert(strstr(r.out, "{\"tau\": 1, \"avg_wss\": 1, \"ws_faults\": 4, \"peak_wss\": 1}"), "%s", r.out);
}

/* On the bundled trace, references and distinct pages equal run's. */
Test(wss_cli, bundled_trace_counts_equal_run)
{
	cmd_out_t a, b;
	run(&a, "%s wss --json --tau 1000 examples/ls.lackey.zst", vmlab());
	run(&b, "%s run --json examples/ls.lackey.zst", vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_eq(b.status, 0, "%s", b.err);
	cr_assert_eq(json_u(a.out, "references"), json_u(b.out, "references"));
	cr_assert_eq(json_u(a.out, "distinct_pages"), json_u(b.out, "distinct_pages"));
	/* tau above n: every page stays, so the faults are the first touches. */
	run(&a, "%s wss --json --tau 9999999 examples/ls.lackey.zst", vmlab());
	cr_assert_eq(json_u(a.out, "ws_faults"), json_u(b.out, "distinct_pages"));
	cr_assert_eq(json_u(a.out, "peak_wss"), json_u(b.out, "distinct_pages"));
}

/* The first bytes of a file into buf. */
static size_t head_of(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s was not written", path);
	size_t n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

Test(wss_cli, plot_png_and_svg_written_by_gnuplot)
{
	char dir[] = "/tmp/vmlab-plot-XXXXXX", path[128], buf[1024];
	cr_assert_not_null(mkdtemp(dir));
	cmd_out_t r;
	snprintf(path, sizeof path, "%s/w.png", dir);
	run(&r, HAND " --tau 1..4 --plot %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(head_of(path, buf, 8) == 8 && !memcmp(buf, "\x89PNG\r\n\x1a\n", 8));
	unlink(path);
	snprintf(path, sizeof path, "%s/w.SVG", dir);
	run(&r, HAND " --tau 2,4 --every 2 --plot %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	size_t n = head_of(path, buf, sizeof buf - 1);
	buf[n] = 0;
	cr_assert(strstr(buf, "<svg"), "%s", buf);
	unlink(path);
	/* Nothing else was left in the folder (no temporary file). */
	cr_assert_eq(rmdir(dir), 0);
}

Test(wss_cli, plot_errors)
{
	cmd_out_t r;
	/* An extension that is neither: usage, before reading anything. */
	run(&r, HAND " --plot /tmp/w.pdf", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "a plot is .png or .svg"), "%s", r.err);
	/* No gnuplot on PATH: exit 1 and the message, never a silent skip. */
	run(&r, "printf '1,2\\n' | PATH=/nonexistent %s wss --format pages --plot /tmp/w.png", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "gnuplot not found: install gnuplot-nox (the Makefile does)"), "%s", r.err);
	/* A folder that does not exist: the write fails, exit 1, no output. */
	run(&r, HAND " --plot /nonexistent-dir/w.png", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "/nonexistent-dir/w.png: cannot write"), "%s", r.err);
}
