/* test_pager_cli.c - `vmlab pager -- PROGRAM`: a real program's heap under
 * the pager (libvmlab_pager.so in LD_PRELOAD, mimalloc in a pager region).
 * sort gives the same bytes as without the pager while pages really go to
 * swap; every malloc entry point lands in paged memory (a program the test
 * builds checks its bytes); the exit status and output are the program's;
 * bad input is refused with the library's message, before PROGRAM runs. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmlab_pcli_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	cmd_out_t r;
	run(&r, "rm -rf '%s'", dir);
}

/* A file of n lines in a fixed shuffled order (an LCG, so every run has the
 * same input). */
static void make_input(const char *path, unsigned n)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	uint32_t x = 12345;
	for (unsigned i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		fprintf(f, "%08x line %u of the pager's input\n", x, i);
	}
	cr_assert_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* 30000 lines (1.3 MB) under a 128 KiB budget: sort's buffers are ten
 * times the budget, so pages go out and come back; the output is the same
 * bytes as sort's without the pager. */
Test(pager_cli, sort_same_output_with_swap, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 300)
{
	cmd_out_t r;
	char in[128];
	snprintf(in, sizeof in, "%s/in.txt", dir);
	make_input(in, 30000);
	run(&r, "%s pager --budget 128K --policy clock --stats %s/st.json -- sort %s > %s/paged.txt",
	    vmlab(), dir, in, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_empty(r.err);  /* the counters went to --stats */
	run(&r, "sort %s > %s/plain.txt && cmp %s/paged.txt %s/plain.txt && wc -l < %s/paged.txt",
	    in, dir, dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "30000\n");
	char st[160];
	snprintf(st, sizeof st, "%s/st.json", dir);
	const char *js = slurp(st);
	cr_assert(strstr(js, "\"backend\": \"uffd\"") || strstr(js, "\"backend\": \"sigsegv\""), "%s", js);
	cr_assert(strstr(js, "\"policy\": \"clock\""), "%s", js);
	cr_assert_eq(json_u(js, "budget_pages"), 32);   /* 128 KiB of 4 KiB pages */
	cr_assert_eq(json_u(js, "resident_pages_peak"), 32);
	cr_assert_gt(json_u(js, "swap_outs"), 0);
	cr_assert_gt(json_u(js, "major_faults"), 0);
	cr_assert_eq(json_u(js, "page_faults"), json_u(js, "minor_faults") + json_u(js, "major_faults"));
	cr_assert_eq(json_u(js, "swap_outs"), json_u(js, "dirty_writebacks"));
	cr_assert(strstr(js, "\"error\": null"), "%s", js);
}

/* A program of the test's own: every entry point of the malloc family,
 * 2 MiB through each, written with a pattern and read back after the
 * others pushed it out; "ok" and exit 0 only if every byte survived. */
static const char alloc_prog[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <malloc.h>\n"
	"#define N (2u << 20)\n"
	"static void fill(unsigned char *p, size_t n, unsigned k) { for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(i * 7 + k); }\n"
	"static int same(const unsigned char *p, size_t n, unsigned k) { for (size_t i = 0; i < n; i++) if (p[i] != (unsigned char)(i * 7 + k)) return 0; return 1; }\n"
	"int main(void) {\n"
	"  unsigned char *a = malloc(N), *b = calloc(N, 1), *c = malloc(100), *d, *e;\n"
	"  if (posix_memalign((void **)&d, 4096, N) || (size_t)d % 4096) return 10;\n"
	"  e = aligned_alloc(64, N);\n"
	"  if (!a || !b || !c || !e || (size_t)e % 64) return 11;\n"
	"  for (size_t i = 0; i < N; i++) if (b[i]) return 12;\n"
	"  fill(a, N, 1); fill(b, N, 2); fill(c, 100, 3); fill(d, N, 4); fill(e, N, 5);\n"
	"  c = realloc(c, N); if (!c || !same(c, 100, 3)) return 13; fill(c, N, 3);\n"
	"  if (malloc_usable_size(a) < N) return 14;\n"
	"  if (!same(a, N, 1) || !same(b, N, 2) || !same(c, N, 3) || !same(d, N, 4) || !same(e, N, 5)) return 15;\n"
	"  free(a); free(b); free(c); free(d); free(e);\n"
	"  puts(\"ok\"); return 0;\n}\n";

static void build(const char *name, const char *src, const char *flags)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s.c", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(src, f);
	cr_assert_eq(fclose(f), 0);
	cmd_out_t r;
	run(&r, "cc -O1 %s -o %s/%s %s", flags, dir, name, path);
	cr_assert_eq(r.status, 0, "%s", r.err);
}

/* 10 MiB of heap under a 256 KiB budget: every byte back, each entry point
 * paged (swap_outs > 0 and more minor faults than the 64 slots). */
Test(pager_cli, every_malloc_entry_point_is_paged, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 300)
{
	build("alloc", alloc_prog, "");
	cmd_out_t r;
	run(&r, "%s pager --budget 256K --policy fifo -- %s/alloc", vmlab(), dir);
	cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_assert_str_eq(r.out, "ok\n");
	cr_assert(strstr(r.err, "\"policy\": \"fifo\""), "%s", r.err);  /* counters on stderr */
	cr_assert_eq(json_u(r.err, "budget_pages"), 64);
	cr_assert_geq(json_u(r.err, "minor_faults"), 5 * 512);  /* 5 blocks of 512 pages, first touch */
	cr_assert_geq(json_u(r.err, "swap_outs"), 5 * 512 - 64);  /* each page dirty, 64 may stay */
	cr_assert_gt(json_u(r.err, "major_faults"), 0);
}

/* The program's own output and status; `_exit` (sh's way) reports too. */
Test(pager_cli, exit_status_and_output_are_the_programs, .timeout = 60)
{
	cmd_out_t r;
	run(&r, "%s pager --budget 256K -- sh -c 'echo out; echo err >&2; exit 7'", vmlab());
	cr_assert_eq(r.status, 7);
	cr_assert_str_eq(r.out, "out\n");
	cr_assert(!strncmp(r.err, "err\n{\"backend\": ", 16), "%s", r.err);
	cr_assert_eq(json_u(r.err, "budget_pages"), 64);
	run(&r, "%s pager -- false", vmlab());
	cr_assert_eq(r.status, 1);
}

/* The program's children run without the pager: one report only. */
Test(pager_cli, children_run_without_the_pager, .timeout = 60)
{
	cmd_out_t r;
	run(&r, "%s pager --budget 256K -- sh -c 'sh -c true; true' 2>&1 | grep -c page_faults", vmlab());
	cr_assert_str_eq(r.out, "1\n");
}

/* --swap-file is made and kept; --stats to a file; --region at its bound. */
Test(pager_cli, swap_file_kept_and_region_bounds, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 120)
{
	build("alloc", alloc_prog, "");
	cmd_out_t r;
	run(&r, "%s pager --budget=256K --region=64M --swap-file=%s/swap --stats=%s/st -- %s/alloc && "
		"test -s %s/swap && echo kept", vmlab(), dir, dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ok\nkept\n");
	char st[160];
	snprintf(st, sizeof st, "%s/st", dir);
	cr_assert_gt(json_u(slurp(st), "swap_outs"), 0);
	run(&r, "%s pager --region 63M -- true", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "vmlab pager: --region 63M: need at least 64M (one mimalloc arena block)\n");
}

/* Each refusal: the message, exit 2 (127 for a missing program), and
 * PROGRAM never ran (it would have printed). */
Test(pager_cli, bad_input, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 60)
{
	struct { const char *opts, *err; } cases[] = {
		{ "--budget 0", "vmlab pager: budget 0: need at least one page (4096 bytes)\n" },
		{ "--policy nosuch", "vmlab pager: policy nosuch: no such policy (vmlab policies lists them)\n" },
		{ "--swap-file /nonexistent-dir/swap", "vmlab pager: swap file /nonexistent-dir/swap: No such file or directory\n" },
		{ "--budget 12Q", "vmlab pager: --budget 12Q: not a size (a number, with K, M or G)\n" },
		{ "--budget", "vmlab pager: --budget needs a value\n" },
		{ "--bogus 1", "vmlab pager: unknown option '--bogus' (try vmlab pager --help)\n" },
		{ "--tick 1K", "vmlab pager: --tick 1K: not a number of faults\n" },
	};
	cmd_out_t r;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		run(&r, "%s pager %s -- echo ran", vmlab(), cases[k].opts);
		cr_assert_eq(r.status, 2, "%s: %d", cases[k].opts, r.status);
		cr_assert_str_empty(r.out, "%s", cases[k].opts);
		cr_assert_str_eq(r.err, cases[k].err);
	}
	run(&r, "%s pager --policy lru -- echo ran", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(!strncmp(r.err, "vmlab pager: policy lru needs every reference, which real hardware does not report", 82),
		  "%s", r.err);
	run(&r, "%s pager --policy opt -- echo ran", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "policy opt needs the future references"), "%s", r.err);
	run(&r, "%s pager --budget 1M", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "vmlab pager: needs -- PROGRAM [ARGS...]\n");
	run(&r, "%s pager -- no-such-program-here", vmlab());
	cr_assert_eq(r.status, 127);
	cr_assert_str_eq(r.err, "vmlab pager: no-such-program-here: no such program\n");
}

/* aging and nru under the pager: their counters move only at a tick, so
 * without one every page filled since the last ties at "unused" and two
 * pages one instruction needs take the same slot in turn for ever (sort
 * under 256K with aging never ended).  The default tick, once a budget of
 * faults, makes both finish (timeout 60 s: the old livelock fails it), with
 * the same output; `--tick 0` is still accepted (never). */
Test(pager_cli, aging_and_nru_finish_with_the_default_tick, .init = mkdir_tmp, .fini = rm_tmp,
     .timeout = 300)
{
	cmd_out_t r;
	char in[128];
	snprintf(in, sizeof in, "%s/in.txt", dir);
	make_input(in, 30000);
	run(&r, "sort %s > %s/plain.txt", in, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *pols[] = { "aging", "nru" };
	for (size_t k = 0; k < 2; k++) {
		run(&r, "timeout 60 %s pager --budget 256K --policy %s --stats %s/st.json -- sort %s > %s/paged.txt"
			" && cmp %s/paged.txt %s/plain.txt",
		    vmlab(), pols[k], dir, in, dir, dir, dir);
		cr_assert_eq(r.status, 0, "%s: status %d: %s", pols[k], r.status, r.err);
	}
	run(&r, "%s pager --tick 0 --policy nru -- echo ran", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "ran\n");
}

/* A static executable cannot take LD_PRELOAD: said so, not run. */
Test(pager_cli, static_executable_refused, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 120)
{
	build("hello", "#include <stdio.h>\nint main(void) { puts(\"ran\"); return 0; }\n", "-static");
	cmd_out_t r;
	run(&r, "%s pager -- %s/hello", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	cr_assert_str_empty(r.out);
	char want[512];
	snprintf(want, sizeof want, "vmlab pager: %s/hello: a static executable: it loads no shared library, "
		 "so its malloc cannot be replaced (vmlab pager runs dynamically linked programs only)\n", dir);
	cr_assert_str_eq(r.err, want);
	build("hello2", "#include <stdio.h>\nint main(void) { puts(\"ran\"); return 0; }\n", "");
	run(&r, "%s pager -- %s/hello2", vmlab(), dir);   /* the same, dynamic: runs */
	cr_assert_eq(r.status, 0);
	cr_assert_str_eq(r.out, "ran\n");
}
