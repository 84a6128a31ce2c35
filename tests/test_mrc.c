/* test_mrc.c - `vmlab mrc` and `vmlab sweep`: stack distances and the knee
 * by hand, the LRU curve against `vmlab run` at every size, other policies
 * and sweep rows against run key for key, shards, SHARDS sampling against
 * a brute-force LRU, and bad lists. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stackdist.h"
#include "cmd.h"
#include "policy/policy.h"

/* The first 100,000 lines of the bundled `ls -l` trace: a real program,
 * 101,369 references to 105 distinct pages, small enough to run `vmlab run`
 * once per size. */
#define EXCERPT "/tmp/vmlab-test-mrc-excerpt.lackey"
#define BUNDLED "examples/ls.lackey.zst"

static void make_excerpt(void)
{
	cmd_out_t r;
	/* Tests run in parallel: each writes its own copy and renames it over
	 * (atomically), so no test reads a half-written file. */
	run(&r, "zstd -dc " BUNDLED " | head -n 100000 > " EXCERPT ".$$ && mv " EXCERPT ".$$ " EXCERPT);
	cr_assert_eq(r.status, 0, "%s", r.err);
}

static void distances(const uint32_t *pid, const uint64_t *vpn, size_t n, uint64_t *out,
		      stackdist_t **keep)
{
	stackdist_t *s;
	cr_assert_eq(stackdist_create(&s), 0);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(stackdist_ref(s, pid ? pid[i] : 0, vpn[i], &out[i]), 0);
	stackdist_finish(s);
	*keep = s;
}

Test(stackdist, belady_string_distances_and_lru_curve)
{
	/* Distances by hand: the second 1 has seen 2,3,4 since (distance 4),
	 * the second 2 3,4,1 (4); the third 1 2,5 (3); the third 2 5,1 (3); the
	 * last 3, 4, 5 have each seen four others (5). */
	static const uint64_t page[12] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
	static const uint64_t want[12] = { 0, 0, 0, 0, 4, 4, 0, 3, 3, 5, 5, 5 };
	uint64_t d[12];
	stackdist_t *s;
	distances(NULL, page, 12, d, &s);
	for (int i = 0; i < 12; i++)
		cr_expect_eq(d[i], want[i], "reference %d: distance %llu, want %llu", i,
			     (unsigned long long)d[i], (unsigned long long)want[i]);
	static const uint64_t faults[6] = { 12, 12, 12, 10, 8, 5 };
	for (int f = 1; f <= 5; f++)
		cr_expect_eq(stackdist_faults(s, (uint64_t)f), faults[f], "%d frames", f);
	cr_expect_eq(stackdist_faults(s, 1000), 5);
	cr_expect_eq(stackdist_distinct(s), 5);
	cr_expect_eq(stackdist_references(s), 12);
	stackdist_destroy(s);
}

Test(stackdist, repeats_and_processes)
{
	/* a a b a c b a: the repeat is distance 1 (the shortcut); the same VPN
	 * in another process is another page. */
	static const uint64_t vpn[10] = { 1, 1, 2, 1, 3, 2, 1, 7, 7, 7 };
	static const uint32_t pid[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	static const uint64_t want[10] = { 0, 1, 0, 2, 0, 3, 3, 0, 0, 2 };
	uint64_t d[10];
	stackdist_t *s;
	distances(pid, vpn, 10, d, &s);
	for (int i = 0; i < 10; i++)
		cr_expect_eq(d[i], want[i], "reference %d: distance %llu", i, (unsigned long long)d[i]);
	cr_expect_eq(stackdist_distinct(s), 5);
	stackdist_destroy(s);
}

Test(stackdist, time_axis_compaction_keeps_distances)
{
	/* 3 pages in a cycle 5000 times cross the 4096-tick axis many times;
	 * 6000 pages twice make it grow.  A wrong renumbering would change the
	 * distances after the first compaction. */
	stackdist_t *s;
	uint64_t d;
	cr_assert_eq(stackdist_create(&s), 0);
	for (int i = 0; i < 15000; i++) {
		cr_assert_eq(stackdist_ref(s, 0, (uint64_t)(i % 3), &d), 0);
		cr_assert_eq(d, i < 3 ? 0 : 3, "reference %d", i);
	}
	for (int round = 0; round < 2; round++)
		for (uint64_t p = 100; p < 6100; p++) {
			cr_assert_eq(stackdist_ref(s, 0, p, &d), 0);
			cr_assert_eq(d, round ? 6000 : 0, "round %d page %llu", round, (unsigned long long)p);
		}
	/* The cycle's pages were last used before 6000 others, in order 0 1 2
	 * (the cycle ended on page 2 at i = 14999, 1 at 14998, 0 at 14997). */
	cr_assert_eq(stackdist_ref(s, 0, 2, &d), 0);
	cr_expect_eq(d, 6001);
	cr_assert_eq(stackdist_ref(s, 0, 0, &d), 0);
	cr_expect_eq(d, 6003);
	stackdist_destroy(s);
}

/* Distances at the top of the stack (the first 8 pages are kept apart from
 * the tree) and just below it, against a brute-force LRU stack: 200,000
 * references over 2 processes x 20 pages, skewed so that distances 1..40
 * all occur, many at 8 and 9 (the boundary); the tree's axis compacts many
 * times.  A distance off by one at the boundary, or a page pushed into the
 * tree out of order, fails it. */
Test(stackdist, top_of_the_stack_and_below_equal_brute_force)
{
	enum { PAGES = 40, REFS = 200000 };
	uint64_t stack[PAGES], x = 12345, seen[10] = { 0 };
	size_t depth = 0;
	stackdist_t *s;
	cr_assert_eq(stackdist_create(&s), 0);
	for (int i = 0; i < REFS; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t r = x >> 33;
		/* a page near the top most of the time, sometimes any page */
		uint64_t key;
		if (depth && r % 4)
			key = stack[(r >> 8) % (depth < 12 ? depth : 12)];
		else
			key = (r >> 8) % PAGES;
		size_t at = 0;
		while (at < depth && stack[at] != key)
			at++;
		uint64_t want = at < depth ? at + 1 : 0;
		if (at == depth)
			depth++;
		memmove(&stack[1], &stack[0], (at < depth ? at : depth - 1) * sizeof stack[0]);
		stack[0] = key;
		uint64_t d;
		cr_assert_eq(stackdist_ref(s, (uint32_t)(key & 1), key >> 1, &d), 0);
		cr_assert_eq(d, want, "reference %d to page %llu", i, (unsigned long long)key);
		if (want >= 7 && want <= 10)
			seen[want - 7 + 1]++;
	}
	for (int k = 1; k <= 4; k++)
		cr_assert_gt(seen[k], 100, "distance %d seen %llu times", k + 6, (unsigned long long)seen[k]);
	cr_assert_eq(stackdist_distinct(s), PAGES);
	stackdist_destroy(s);
}

Test(stackdist, knee_of_made_up_curves)
{
	/* (1-x)-y by hand for faults 100,60,20,15,10 at 1,2,4,8,16:
	 * 0, 0.0, .., the largest at 4 frames (930/1350 of the scale). */
	static const uint64_t f[5] = { 1, 2, 4, 8, 16 }, y[5] = { 100, 60, 20, 15, 10 };
	cr_expect_eq(stackdist_knee(f, y, 5), 2);
	/* A tie between 2 and 4 frames goes to the smaller. */
	static const uint64_t f2[5] = { 1, 2, 3, 4, 5 }, y2[5] = { 8, 4, 4, 0, 0 };
	cr_expect_eq(stackdist_knee(f2, y2, 5), 1);
	/* A straight line: every point ties at 0, so F_first. */
	static const uint64_t y3[3] = { 10, 5, 0 };
	cr_expect_eq(stackdist_knee(f2, y3, 3), 0);
	/* Flat, and a single size: F_first. */
	static const uint64_t y4[3] = { 7, 3, 7 };
	cr_expect_eq(stackdist_knee(f2, y4, 3), 0);
	cr_expect_eq(stackdist_knee(f, y, 1), 0);
	/* A curve that rises (Belady's anomaly at the end): y = (f - f_last) /
	 * (f_first - f_last) flips sign; 2 frames is (1 - 0.5) - 0.2 = 0.3. */
	static const uint64_t y5[3] = { 5, 9, 10 };
	cr_expect_eq(stackdist_knee(f2, y5, 3), 1);
}

Test(cli_mrc, belady_string_csv_json_and_default_sizes)
{
	cmd_out_t r;
	run(&r, "printf '1,2,3,4,1,2,5,1,2,3,4,5' | %s mrc --frames 1..5 --csv --format pages -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "frames,page_faults,miss_ratio\n1,12,1\n2,12,1\n"
				"3,10,0.83333333333333337\n4,8,0.66666666666666663\n"
				"5,5,0.41666666666666669\n");
	/* frames_needed at 50%: faults <= 6 first at 5 frames. */
	run(&r, "printf '1,2,3,4,1,2,5,1,2,3,4,5' | %s mrc --json --max-fault-rate 0.5 --format pages -",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "references"), 12);
	cr_expect_eq(json_u(r.out, "distinct_pages"), 5);
	cr_expect_eq(json_u(r.out, "frames_needed"), 5);
	/* Default sizes: 1 2 4 8 and the 5 distinct pages. */
	const char *p = r.out;
	static const unsigned sizes[5] = { 1, 2, 4, 5, 8 };
	for (int i = 0; i < 5; i++) {
		p = strstr(p, "\"frames\": ");
		cr_assert_not_null(p, "point %d", i);
		p += strlen("\"frames\": ");
		cr_expect_eq(strtoul(p, NULL, 10), sizes[i], "point %d", i);
	}
	cr_expect_null(strstr(p, "\"frames\": "));
	run(&r, "printf '1,2,3,4,1,2,5,1,2,3,4,5' | %s mrc --json --format pages -", vmlab());
	cr_expect(strstr(r.out, "\"frames_needed\": null"), "%s", r.out);
}

/* page_faults of `vmlab run` with extra options. */
static unsigned long long run_faults(const char *trace, const char *opts)
{
	cmd_out_t r;
	run(&r, "%s run --json %s %s", vmlab(), opts, trace);
	cr_assert_eq(r.status, 0, "%s", r.err);
	return json_u(r.out, "page_faults");
}

/* The page_faults column of CSV output whose first column is frames. */
static void csv_faults(const char *out, unsigned long long *faults, size_t cap, size_t *n)
{
	const char *line = strchr(out, '\n');
	*n = 0;
	while (line && line[1] && *n < cap) {
		unsigned long long f;
		cr_assert_eq(sscanf(line + 1, "%*u,%llu,", &f), 1, "line: %.40s", line + 1);
		faults[(*n)++] = f;
		line = strchr(line + 1, '\n');
	}
}

Test(cli_mrc, lru_curve_equals_run_at_every_size_on_a_real_trace, .timeout = 600)
{
	make_excerpt();
	static cmd_out_t r;
	run(&r, "%s mrc --frames 1..106 --csv " EXCERPT, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	unsigned long long faults[106];
	size_t n;
	csv_faults(r.out, faults, 106, &n);
	cr_assert_eq(n, 106);
	for (unsigned f = 1; f <= 106; f++) {
		char opt[64];
		snprintf(opt, sizeof opt, "--policy lru --frames %u", f);
		cr_expect_eq(faults[f - 1], run_faults(EXCERPT, opt), "%u frames", f);
	}
	/* The whole bundled trace, at sizes around its knee and its 296 pages. */
	static const unsigned sizes[] = { 1, 3, 31, 64, 100, 295, 296, 297 };
	run(&r, "%s mrc --frames 1,3,31,64,100,295,296,297 --csv " BUNDLED, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	csv_faults(r.out, faults, 8, &n);
	cr_assert_eq(n, 8);
	for (size_t i = 0; i < 8; i++) {
		char opt[64];
		snprintf(opt, sizeof opt, "--policy lru --frames %u", sizes[i]);
		cr_expect_eq(faults[i], run_faults(BUNDLED, opt), "%u frames", sizes[i]);
	}
}

/* The "key": value lines of the JSON object starting at *p (up to its
 * closing brace), whitespace and commas stripped, joined by '\n'; *p moves
 * past it. */
static void object_lines(const char **p, char *out, size_t cap)
{
	const char *s = strchr(*p, '{');
	cr_assert_not_null(s);
	const char *e = strchr(s, '}');
	cr_assert_not_null(e);
	size_t at = 0;
	for (const char *q = s + 1; q < e;) {
		while (q < e && (*q == ' ' || *q == '\n'))
			q++;
		const char *eol = q;
		while (eol < e && *eol != '\n')
			eol++;
		size_t len = (size_t)(eol - q);
		if (len && q[len - 1] == ',')
			len--;
		if (len) {
			cr_assert_lt(at + len + 2, cap);
			memcpy(out + at, q, len);
			at += len;
			out[at++] = '\n';
		}
		q = eol;
	}
	out[at] = 0;
	*p = e + 1;
}

/* Remove the line starting with prefix from lines (it must be there). */
static void drop_line(char *lines, const char *prefix)
{
	char *l = strstr(lines, prefix);
	cr_assert_not_null(l, "no %s in\n%s", prefix, lines);
	char *end = strchr(l, '\n');
	memmove(l, end + 1, strlen(end + 1) + 1);
}

Test(cli_mrc, other_policies_equal_run_key_for_key, .timeout = 60)
{
	make_excerpt();
	static const char *const policies[] = { "clock", "opt" };
	static cmd_out_t r, one;
	for (int k = 0; k < 2; k++) {
		run(&r, "%s mrc --policy %s --frames 2..90/5 --json -j 2 --tlb 16:4 " EXCERPT, vmlab(),
		    policies[k]);
		cr_assert_eq(r.status, 0, "%s", r.err);
		const char *p = strstr(r.out, "\"points\"");
		cr_assert_not_null(p);
		static const unsigned sizes[5] = { 2, 5, 13, 35, 90 };  /* 2 * 45^(i/4) rounded */
		for (int i = 0; i < 5; i++) {
			char got[8192], want[8192];
			object_lines(&p, got, sizeof got);
			drop_line(got, "\"miss_ratio\": ");
			run(&one, "%s run --json --policy %s --frames %u --tlb 16:4 " EXCERPT, vmlab(),
			    policies[k], sizes[i]);
			cr_assert_eq(one.status, 0, "%s", one.err);
			const char *q = one.out;
			object_lines(&q, want, sizeof want);
			cr_expect_str_eq(got, want, "%s, %u frames", policies[k], sizes[i]);
		}
	}
	/* The thread count changes nothing. */
	static cmd_out_t a, b;
	run(&a, "%s mrc --policy clock --frames 1..40 --csv -j 1 " EXCERPT, vmlab());
	run(&b, "%s mrc --policy clock --frames 1..40 --csv -j 2 " EXCERPT, vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_expect_str_eq(a.out, b.out);
}

/* SplitMix64, written again from its definition (Steele et al.). */
static uint64_t splitmix64(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* LRU faults of pages[0..n) with f frames, by a plain list. */
static unsigned brute_lru(const unsigned *pages, size_t n, unsigned f)
{
	unsigned stack[256], depth = 0, faults = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned at = 0;
		while (at < depth && stack[at] != pages[i])
			at++;
		if (at == depth || at >= f)
			faults++;
		if (at == depth)
			depth++;
		memmove(stack + 1, stack, at * sizeof *stack);
		stack[0] = pages[i];
	}
	return faults;
}

Test(cli_mrc, shards_sampling_as_defined)
{
	/* Pages 0..59 in a loop of strides; R = 0.5 keeps page p iff the low
	 * 24 bits of SplitMix64(0 << 48 ^ p) are below 2^23. */
	unsigned pages[600], kept[600];
	size_t n = 0, nk = 0;
	char list[4096];
	size_t at = 0;
	for (unsigned i = 0; i < 600; i++) {
		pages[n++] = (i * 7 + i / 60) % 60;
		at += (size_t)snprintf(list + at, sizeof list - at, "%s%u", i ? "," : "", pages[i]);
		if ((splitmix64(pages[i]) & 0xffffff) < (1u << 23))
			kept[nk++] = pages[i];
	}
	cr_assert_gt(nk, 0);
	FILE *f = fopen("/tmp/vmlab-test-mrc-shards.pages", "w");
	cr_assert_not_null(f);
	fputs(list, f);
	fclose(f);
	static cmd_out_t r;
	run(&r, "%s mrc --sample 0.5 --frames 1,3,10,25,60 --csv --format pages /tmp/vmlab-test-mrc-shards.pages",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	static const unsigned sizes[5] = { 1, 3, 10, 25, 60 };
	const char *line = strchr(r.out, '\n');
	cr_assert(!strncmp(r.out, "frames,sim_frames,page_faults,miss_ratio\n", 41), "%s", r.out);
	for (int i = 0; i < 5; i++) {
		unsigned fr, sim;
		unsigned long long pf;
		cr_assert_eq(sscanf(line + 1, "%u,%u,%llu,", &fr, &sim, &pf), 3);
		unsigned want_sim = (sizes[i] + 1) / 2;  /* round(F / 2), halves up */
		cr_expect_eq(fr, sizes[i]);
		cr_expect_eq(sim, want_sim ? want_sim : 1);
		cr_expect_eq(pf, 2ull * brute_lru(kept, nk, want_sim), "%u frames", sizes[i]);
		line = strchr(line + 1, '\n');
	}
	/* Another policy samples the same way: clock at 60 frames holds every
	 * kept page, so its faults are the kept distinct pages, doubled. */
	run(&r, "%s mrc --policy clock --sample 0.5 --frames 120 --json --format pages /tmp/vmlab-test-mrc-shards.pages",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "references"), 600);
	cr_expect_eq(json_u(r.out, "page_faults"), 2ull * brute_lru(kept, nk, 60));
}

Test(cli_sweep, rows_equal_run_json_in_grid_order, .timeout = 60)
{
	make_excerpt();
	static cmd_out_t r, one;
	run(&r, "%s sweep --policies opt,fifo --page-sizes 4K,16384 --tlbs 16:4,0 --frames 8,32 --json -j 2 " EXCERPT,
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	static const char *const pol[2] = { "opt", "fifo" }, *const tlb[2] = { "16:4", "0" };
	static const unsigned ps[2] = { 4096, 16384 }, fr[2] = { 8, 32 };
	const char *p = r.out;
	for (unsigned i = 0; i < 16; i++) {
		char got[8192], want[8192], lead[32];
		object_lines(&p, got, sizeof got);
		snprintf(lead, sizeof lead, "\"index\": %u\n", i);
		cr_assert(!strncmp(got, lead, strlen(lead)), "row %u:\n%s", i, got);
		run(&one, "%s run --json --policy %s --page-size %u --tlb %s --frames %u " EXCERPT, vmlab(),
		    pol[i / 8], ps[i / 4 % 2], tlb[i / 2 % 2], fr[i % 2]);
		cr_assert_eq(one.status, 0, "%s", one.err);
		const char *q = one.out;
		object_lines(&q, want, sizeof want);
		cr_expect_str_eq(got + strlen(lead), want, "row %u", i);
	}
	cr_expect_null(strchr(p, '{'), "more than 16 rows");
}

Test(cli_sweep, shards_make_the_whole, .timeout = 60)
{
	make_excerpt();
	static cmd_out_t whole, part;
	run(&whole, "%s sweep --policies all --frames 4,16,64 --csv " EXCERPT, vmlab());
	cr_assert_eq(whole.status, 0, "%s", whole.err);
	const char *body = strchr(whole.out, '\n') + 1;
	size_t header = (size_t)(body - whole.out);
	/* every registered policy x 3 sizes; rows of index i come from shard
	 * i mod 3.  The last shard is named 5/3 (1-based array ids are taken
	 * modulo N). */
	const int nrows = (int)policy_count * 3;
	static char rows[3 * 64][4096];
	cr_assert_leq(nrows, 3 * 64);
	static const char *const shard[3] = { "0/3", "1/3", "5/3" };
	for (int s = 0; s < 3; s++) {
		run(&part, "%s sweep --policies all --frames 4,16,64 --csv --shard %s " EXCERPT, vmlab(),
		    shard[s]);
		cr_assert_eq(part.status, 0, "%s", part.err);
		cr_assert(!strncmp(part.out, whole.out, header), "shard %s has the header", shard[s]);
		for (const char *l = part.out + header; *l;) {
			const char *e = strchr(l, '\n');
			int idx = atoi(l);
			cr_assert(idx >= 0 && idx < nrows && idx % 3 == (s == 2 ? 2 : s), "row %d in shard %s", idx, shard[s]);
			snprintf(rows[idx], sizeof rows[idx], "%.*s", (int)(e - l + 1), l);
			l = e + 1;
		}
	}
	static char joined[1 << 16];
	size_t at = 0;
	for (int i = 0; i < nrows; i++)
		at += (size_t)snprintf(joined + at, sizeof joined - at, "%s", rows[i]);
	cr_expect_str_eq(joined, body);
	/* A shard beyond the rows still prints the header. */
	run(&part, "%s sweep --policies lru --frames 4 --csv --shard 1/2 " EXCERPT, vmlab());
	cr_assert_eq(part.status, 0, "%s", part.err);
	cr_expect_eq(strlen(part.out), header);
}

Test(cli_mrc, bad_lists_exit_2)
{
	static const struct {
		const char *list, *msg;
	} bad[] = {
		{ "0", "at least 1" },
		{ "1,,2", "empty item" },
		{ "1,", "empty item" },
		{ "", "empty item" },
		{ "8..2", "goes down" },
		{ "1..64/0", "/0" },
		{ "4294967297", "above 4294967296" },
		{ "1..4294967297", "above" },
		{ "1..4000000", "more than" },
		{ "x", "not a number" },
		{ "1..", "not a number" },
	};
	cmd_out_t r;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		run(&r, "%s mrc --frames '%s' " BUNDLED, vmlab(), bad[i].list);
		cr_expect_eq(r.status, 2, "--frames '%s': status %d", bad[i].list, r.status);
		cr_expect(strstr(r.err, "vmlab mrc: --frames: ") && strstr(r.err, bad[i].msg),
			  "--frames '%s': %s", bad[i].list, r.err);
		cr_expect_str_eq(r.out, "");
	}
	run(&r, "%s sweep --frames 2..1 " BUNDLED, vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab sweep: --frames: "), "%s", r.err);
	static const char *const opts[] = { "--shard 1", "--shard 1/0", "--shard a/2",
					    "--policies lru,nope", "--policies ,", "--tlbs 64",
					    "--page-sizes 3000", "-j 0", "--sample 0" };
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		run(&r, "%s %s %s " BUNDLED, vmlab(), i < 8 ? "sweep" : "mrc", opts[i]);
		cr_expect_eq(r.status, 2, "%s: status %d", opts[i], r.status);
		cr_expect_neq(r.err[0], 0, "%s: no message", opts[i]);
	}
	/* A malformed trace is the reader's FILE:LINE, exit 2, for both paths. */
	run(&r, "printf 'R 10\\nbogus\\n' | %s mrc --format text -", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "<stdin>:2:"), "%s", r.err);
	run(&r, "printf 'R 10\\nbogus\\n' | %s mrc --policy fifo --format text -", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "<stdin>:2:"), "%s", r.err);
}
