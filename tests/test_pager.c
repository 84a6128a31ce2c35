/* test_pager.c - libvmpager (include/vmlab_pager.h): every byte survives
 * under every policy the pager accepts, in one and four threads; dirty
 * tracking by the writes to the swap file; the swap file read back
 * directly; the page daemon's watermarks; bad input and a full disk; the
 * cross-check against `vmlab run` on the same references; the example.
 * Every test runs on both backends (uffd only where the kernel allows it:
 * the test says so otherwise). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "policy/policy.h"
#include "vmlab_pager.h"

#define PAGE 4096u
#define WORDS (PAGE / 8)

static const char *const backends[] = { "uffd", "sigsegv" };

/* Whether backend be can run here; says why not in the log. */
static bool backend_ok(const char *be)
{
	char err[512] = "";
	vp_config_t c = { .budget = PAGE, .policy = "fifo", .backend = be, .errbuf = err, .errlen = sizeof err };
	vp_pager_t *p;
	int rc = vp_open(&c, &p);
	if (rc) {
		cr_log_warn("backend %s not tested here: %s", be, err);
		return false;
	}
	vp_close(p);
	return true;
}

/* A pager of budget pages; fails the test if it cannot be made. */
static vp_pager_t *pager(const char *be, const char *policy, unsigned budget, vp_config_t extra)
{
	char err[512] = "";
	extra.budget = (size_t)budget * PAGE;
	extra.policy = policy;
	extra.backend = be;
	extra.errbuf = err;
	extra.errlen = sizeof err;
	if (!extra.tick)
		extra.tick = 8;
	vp_pager_t *p;
	int rc = vp_open(&extra, &p);
	cr_assert_eq(rc, 0, "%s/%s: %s", be, policy, err);
	cr_assert_str_eq(vp_backend(p), be);
	return p;
}

static uint64_t word(size_t page, size_t w, uint64_t seed)
{
	return (uint64_t)page << 32 ^ (uint64_t)w * 0x9e3779b97f4a7c15ull ^ seed;
}

static void write_page(volatile uint64_t *a, size_t page, uint64_t seed)
{
	for (size_t w = 0; w < WORDS; w++)
		a[page * WORDS + w] = word(page, w, seed);
}

/* Wrong words in page. */
static size_t check_page(const volatile uint64_t *a, size_t page, uint64_t seed)
{
	size_t bad = 0;
	for (size_t w = 0; w < WORDS; w++)
		bad += a[page * WORDS + w] != word(page, w, seed);
	return bad;
}

/* --- every byte survives -------------------------------------------------- */

#define BUDGET 16
#define NPAGES (8 * BUDGET)

typedef struct worker {
	volatile uint64_t *a;
	unsigned t, nthreads;
	pthread_barrier_t *bar;
	size_t bad;
} worker_t;

/* Write this thread's pages (every nthreads-th), wait for all, then read
 * every page, starting at a different one in each thread so that threads
 * fault on the same pages at once. */
static void *worker_main(void *arg)
{
	worker_t *w = arg;
	for (size_t pg = w->t; pg < NPAGES; pg += w->nthreads)
		write_page(w->a, pg, 77);
	pthread_barrier_wait(w->bar);
	for (size_t k = 0; k < NPAGES; k++)
		w->bad += check_page(w->a, (k + w->t * 37) % NPAGES, 77);
	return NULL;
}

static void survive(const char *be, const char *policy, unsigned nthreads)
{
	vp_pager_t *p = pager(be, policy, BUDGET, (vp_config_t){ 0 });
	volatile uint64_t *a = vp_map(p, NPAGES * PAGE);
	cr_assert_not_null((void *)a);
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, nthreads);
	worker_t w[4];
	pthread_t th[4];
	for (unsigned t = 0; t < nthreads; t++) {
		w[t] = (worker_t){ .a = a, .t = t, .nthreads = nthreads, .bar = &bar };
		cr_assert_eq(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
	}
	size_t bad = 0;
	for (unsigned t = 0; t < nthreads; t++) {
		pthread_join(th[t], NULL);
		bad += w[t].bad;
	}
	pthread_barrier_destroy(&bar);
	vp_stats_t s;
	vp_stats(p, &s);
	cr_assert_eq(bad, 0, "%s/%s/%u threads: %zu words wrong", be, policy, nthreads, bad);
	cr_assert_eq(vp_error(p, NULL), 0);
	/* each page's first touch is a write by one thread: one minor fault
	 * each; everything else comes back from swap */
	cr_assert_eq(s.minor_faults, NPAGES, "%s/%s", be, policy);
	cr_assert_eq(s.page_faults, s.minor_faults + s.major_faults);
	cr_assert_eq(s.swap_ins, s.major_faults);
	cr_assert_eq(s.dirty_writebacks, s.swap_outs);
	cr_assert_eq(s.evictions, s.page_faults - BUDGET, "%s/%s", be, policy);
	cr_assert_eq(s.resident_pages_peak, BUDGET);
	cr_assert_eq(s.resident_pages, BUDGET);
	cr_assert_geq(s.major_faults, NPAGES - BUDGET);
	cr_assert_geq(s.faults_timed, s.page_faults + s.soft_faults + s.wp_faults);
	if (nthreads == 1) {
		/* one thread: no fault is met twice */
		cr_assert_eq(s.faults_timed, s.page_faults + s.soft_faults + s.wp_faults);
		/* every page written once, so written back at most once */
		cr_assert_leq(s.swap_outs, NPAGES);
		cr_assert_geq(s.swap_outs, NPAGES - BUDGET);
	}
	if (nthreads == 1 && strcmp(policy, "fifo") == 0) {
		/* by hand: 112 dirty pages leave while writing, the last 16 while
		 * reading 0..15; all 128 reads are major; no write-protect fault
		 * (a write first touch is mapped writable), no soft fault */
		cr_assert_eq(s.major_faults, 128);
		cr_assert_eq(s.evictions, 240);
		cr_assert_eq(s.dirty_writebacks, 128);
		cr_assert_eq(s.wp_faults, 0);
		cr_assert_eq(s.soft_faults, 0);
		cr_assert_eq(s.swap_slots_used, 128);
	}
	cr_assert_eq(vp_unmap(p, (void *)a), 0);
	vp_stats(p, &s);
	cr_assert_eq(s.resident_pages, 0);
	cr_assert_eq(s.swap_slots_used, 0);
	vp_close(p);
}

static void survive_all(unsigned nthreads)
{
	for (size_t b = 0; b < 2; b++) {
		if (!backend_ok(backends[b]))
			continue;
		size_t n = 0;
		for (size_t k = 0; k < policy_count; k++)
			if (policy_registry[k]->needs == POLICY_NEEDS_HW_BITS) {
				survive(backends[b], policy_registry[k]->name, nthreads);
				n++;
			}
		cr_assert_geq(n, 2);
	}
}

Test(pager, every_byte_survives_one_thread, .timeout = 120)
{
	survive_all(1);
}

Test(pager, every_byte_survives_four_threads, .timeout = 120)
{
	survive_all(4);
}

/* --- dirty tracking ------------------------------------------------------- */

/* Bytes this process wrote with write(2) and friends so far. */
static unsigned long long wchar(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	cr_assert_not_null(f);
	char line[128];
	unsigned long long v = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* fifo, 4 slots, 8 pages: writing them all writes back 0..3; reading them
 * all writes back 4..7 (still dirty) and nothing else; reading again
 * writes nothing: a page only read since its swap-in keeps its copy.  The
 * process's own write count says the same as the counters. */
Test(pager, clean_pages_are_not_written_again, .timeout = 60)
{
	for (size_t b = 0; b < 2; b++) {
		if (!backend_ok(backends[b]))
			continue;
		vp_pager_t *p = pager(backends[b], "fifo", 4, (vp_config_t){ 0 });
		volatile uint64_t *a = vp_map(p, 8 * PAGE);
		cr_assert_not_null((void *)a);
		unsigned long long w0 = wchar();
		for (size_t pg = 0; pg < 8; pg++)
			write_page(a, pg, 5);
		vp_stats_t s;
		vp_stats(p, &s);
		cr_assert_eq(s.swap_outs, 4);
		cr_assert_eq(wchar() - w0, 4 * PAGE);
		size_t bad = 0;
		for (size_t pg = 0; pg < 8; pg++)
			bad += check_page(a, pg, 5);
		vp_stats(p, &s);
		cr_assert_eq(s.swap_outs, 8);
		cr_assert_eq(s.major_faults, 8);
		cr_assert_eq(wchar() - w0, 8 * PAGE);
		for (int round = 0; round < 2; round++)
			for (size_t pg = 0; pg < 8; pg++)
				bad += check_page(a, pg, 5);
		vp_stats(p, &s);
		cr_assert_eq(bad, 0);
		cr_assert_eq(s.major_faults, 24);
		cr_assert_eq(s.swap_outs, 8, "%s: a clean page was written back", backends[b]);
		cr_assert_eq(s.dirty_writebacks, 8);
		cr_assert_eq(wchar() - w0, 8 * PAGE);
		cr_assert_eq(s.wp_faults, 0);
		/* a write to a page swapped in clean: one write-protect fault, and
		 * it is written back when it leaves (4..7 are resident now, clean) */
		a[4 * WORDS] = 1;
		a[4 * WORDS + 1] = 2;
		vp_stats(p, &s);
		cr_assert_eq(s.wp_faults, 1);
		for (size_t pg = 0; pg < 4; pg++)
			bad += check_page(a, pg, 5);
		vp_stats(p, &s);
		cr_assert_eq(s.swap_outs, 9);
		cr_assert_eq(wchar() - w0, 9 * PAGE);
		cr_assert_eq(bad, 0);
		cr_assert_eq(a[4 * WORDS], 1);
		cr_assert_eq(a[4 * WORDS + 1], 2);
		cr_assert_eq(a[4 * WORDS + 2], word(4, 2, 5));
		vp_close(p);
	}
}

/* A page only read since its first touch is never written at all, and
 * comes back as zeroes with a minor fault, as the simulator counts it. */
Test(pager, never_written_pages_cost_no_write, .timeout = 60)
{
	for (size_t b = 0; b < 2; b++) {
		if (!backend_ok(backends[b]))
			continue;
		vp_pager_t *p = pager(backends[b], "fifo", 2, (vp_config_t){ 0 });
		volatile uint64_t *a = vp_map(p, 6 * PAGE);
		uint64_t sum = 0;
		for (int round = 0; round < 3; round++)
			for (size_t pg = 0; pg < 6; pg++)
				sum += a[pg * WORDS + 3];
		vp_stats_t s;
		vp_stats(p, &s);
		cr_assert_eq(sum, 0);
		cr_assert_eq(s.minor_faults, 18);
		cr_assert_eq(s.major_faults, 0);
		cr_assert_eq(s.evictions, 16);
		cr_assert_eq(s.swap_outs, 0);
		cr_assert_eq(s.swap_slots_used, 0);
		vp_close(p);
	}
}

/* --- the swap file read back directly ------------------------------------ */

Test(pager, swap_file_holds_the_evicted_bytes, .timeout = 60)
{
	for (size_t b = 0; b < 2; b++) {
		if (!backend_ok(backends[b]))
			continue;
		char dir[] = "/tmp/vmpager-test-XXXXXX", path[64];
		cr_assert_not_null(mkdtemp(dir));
		snprintf(path, sizeof path, "%s/swap", dir);
		vp_pager_t *p = pager(backends[b], "fifo", 2, (vp_config_t){ .swap_file = path });
		volatile uint64_t *a = vp_map(p, 4 * PAGE);
		for (size_t pg = 0; pg < 4; pg++)
			write_page(a, pg, 99);
		/* 0 and 1 left, dirty; 2 and 3 are resident and have no copy */
		cr_assert_eq(vp_swap_offset(p, (void *)a, 2), -1);
		for (size_t pg = 0; pg < 2; pg++) {
			long long off = vp_swap_offset(p, (void *)a, pg);
			cr_assert_eq(off, (long long)pg * PAGE);
			int fd = open(path, O_RDONLY);
			cr_assert_geq(fd, 0);
			uint64_t buf[WORDS];
			cr_assert_eq(pread(fd, buf, PAGE, off), (ssize_t)PAGE);
			close(fd);
			size_t bad = 0;
			for (size_t w = 0; w < WORDS; w++)
				bad += buf[w] != word(pg, w, 99);
			cr_assert_eq(bad, 0, "page %zu in the swap file", pg);
		}
		struct stat st;
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_eq(st.st_size, 2 * PAGE);
		vp_close(p);
		cr_assert_eq(stat(path, &st), 0, "a given swap file is kept");
		unlink(path);
		rmdir(dir);
	}
}

/* --- watermarks ----------------------------------------------------------- */

/* 16 slots, low 4, high 8: the daemon wakes when a fault leaves 3 free and
 * reclaims until 8 are; faults themselves never reclaim. */
Test(pager, daemon_keeps_free_slots_between_watermarks, .timeout = 60)
{
	for (size_t b = 0; b < 2; b++) {
		if (!backend_ok(backends[b]))
			continue;
		vp_pager_t *p = pager(backends[b], "clock", 16,
				      (vp_config_t){ .wmark_low = 4, .wmark_high = 8 });
		volatile uint64_t *a = vp_map(p, 64 * PAGE);
		vp_stats_t s;
		static const struct { unsigned touched, free_slots, reclaims; } want[] = {
			{ 12, 4, 0 }, { 13, 8, 5 }, { 17, 4, 5 }, { 18, 8, 10 }, { 23, 8, 15 },
		};
		unsigned touched = 0;
		for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
			while (touched < want[k].touched) {
				a[touched * WORDS] = touched + 1;
				touched++;
				vp_sync(p);
			}
			vp_stats(p, &s);
			cr_assert_eq(s.free_slots, want[k].free_slots, "%s after %u pages", backends[b], touched);
			cr_assert_eq(s.daemon_reclaims, want[k].reclaims, "%s after %u pages", backends[b], touched);
			cr_assert_eq(s.evictions, want[k].reclaims);
		}
		cr_assert_eq(s.resident_pages_peak, 13);
		for (unsigned k = 0; k < touched; k++)
			cr_assert_eq(a[k * WORDS], k + 1);
		vp_close(p);
	}
}

/* --- bad input ------------------------------------------------------------ */

static int open_err(vp_config_t c, char *err, size_t len)
{
	c.errbuf = err;
	c.errlen = len;
	vp_pager_t *p = (vp_pager_t *)1;
	int rc = vp_open(&c, &p);
	cr_assert_null(p);
	return rc;
}

Test(pager, bad_input_is_refused_with_a_reason)
{
	char err[512];
	cr_assert_eq(open_err((vp_config_t){ .budget = 0 }, err, sizeof err), VM_EINVAL);
	cr_assert_str_eq(err, "budget 0: need at least one page (4096 bytes)");
	cr_assert_eq(open_err((vp_config_t){ .budget = PAGE, .policy = "nosuch" }, err, sizeof err), VM_ENOENT);
	cr_assert_str_eq(err, "policy nosuch: no such policy (vmlab policies lists them)");
	cr_assert_eq(open_err((vp_config_t){ .budget = PAGE, .backend = "mmap" }, err, sizeof err), VM_ENOENT);
	cr_assert_str_eq(err, "backend mmap: no such backend (uffd, sigsegv)");
	cr_assert_eq(open_err((vp_config_t){ .budget = 4 * PAGE, .wmark_low = 3, .wmark_high = 2 }, err, sizeof err),
		     VM_EINVAL);
	cr_assert_str_eq(err, "watermarks low 3, high 2: need low <= high <= budget pages (4)");
	cr_assert_eq(open_err((vp_config_t){ .budget = 4 * PAGE, .wmark_low = 1, .wmark_high = 5 }, err, sizeof err),
		     VM_EINVAL);
	cr_assert_eq(open_err((vp_config_t){ .budget = PAGE, .swap_file = "/nonexistent-dir/swap" }, err, sizeof err),
		     VM_ENOENT);
	cr_assert_str_eq(err, "swap file /nonexistent-dir/swap: No such file or directory");
	/* every policy that needs more than hardware tells, from the registry */
	size_t refused = 0;
	for (size_t k = 0; k < policy_count; k++) {
		const policy_ops_t *ops = policy_registry[k];
		if (ops->needs == POLICY_NEEDS_HW_BITS)
			continue;
		cr_assert_eq(open_err((vp_config_t){ .budget = PAGE, .policy = ops->name }, err, sizeof err),
			     VM_ENOTSUP, "%s", ops->name);
		cr_assert(strstr(err, "which real hardware does not report"), "%s", err);
		cr_assert(strstr(err, ops->needs == POLICY_NEEDS_FUTURE ? "the future" : "every reference"),
			  "%s", err);
		refused++;
	}
	cr_assert_geq(refused, 3);
	open_err((vp_config_t){ .budget = PAGE, .policy = "lru" }, err, sizeof err);
	cr_assert(strncmp(err, "policy lru needs every reference, which real hardware does not report", 69) == 0,
		  "%s", err);
	cr_assert(strstr(err, "(use one of fifo, random, clock, "), "%s", err);
	/* regions */
	vp_pager_t *p = pager(backends[1], "fifo", 1, (vp_config_t){ 0 });
	cr_assert_null(vp_map(p, 0));
	int x;
	cr_assert_eq(vp_unmap(p, &x), VM_EINVAL);
	cr_assert_eq(vp_swap_offset(p, &x, 0), -1);
	vp_close(p);
	vp_close(NULL);
}

/* The swap file on a full disk (/dev/full), or a swap size reached: the
 * pager gives up paging with the error, and no page is lost. */
static void full_swap(const char *be, vp_config_t c, int want_err, unsigned want_outs)
{
	vp_pager_t *p = pager(be, "clock", 4, c);
	volatile uint64_t *a = vp_map(p, 32 * PAGE);
	for (size_t pg = 0; pg < 32; pg++)
		write_page(a, pg, 3);
	size_t bad = 0;
	for (size_t pg = 0; pg < 32; pg++)
		bad += check_page(a, pg, 3);
	cr_assert_eq(bad, 0, "%s: pages lost", be);
	const char *msg;
	cr_assert_eq(vp_error(p, &msg), want_err, "%s: %s", be, msg);
	cr_assert(strstr(msg, "the pager stopped paging, every page kept in memory over the budget"), "%s", msg);
	vp_stats_t s;
	vp_stats(p, &s);
	cr_assert_eq(s.swap_outs, want_outs);
	cr_assert_null(vp_map(p, PAGE), "no new region once paging stopped");
	/* still plain memory, still writable */
	write_page(a, 31, 4);
	cr_assert_eq(check_page(a, 31, 4), 0);
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	cr_assert_eq(vp_stats_json(p, f), 0);
	fclose(f);
	cr_assert(strstr(json, "\"error\": \"swap file: "), "%s", json);
	free(json);
	cr_assert_eq(vp_unmap(p, (void *)a), 0);
	vp_close(p);
}

Test(pager, full_disk_stops_paging_and_loses_nothing, .timeout = 60)
{
	for (size_t b = 0; b < 2; b++) {
		if (!backend_ok(backends[b]))
			continue;
		full_swap(backends[b], (vp_config_t){ .swap_file = "/dev/full" }, VM_ENOSPC, 0);
		full_swap(backends[b], (vp_config_t){ .swap_size = 6 * PAGE }, VM_ENOSPC, 6);
	}
}

/* --- JSON ----------------------------------------------------------------- */

Test(pager, stats_as_json, .timeout = 60)
{
	vp_pager_t *p = pager("sigsegv", "fifo", 2, (vp_config_t){ 0 });
	volatile uint64_t *a = vp_map(p, 3 * PAGE);
	a[0] = 1, a[WORDS] = 2, a[2 * WORDS] = 3;
	cr_assert_eq(a[0], 1);
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);
	cr_assert_eq(vp_stats_json(p, f), 0);
	fclose(f);
	static const char head[] = "{\"backend\": \"sigsegv\", \"policy\": \"fifo\", \"budget_pages\": 2, "
			  "\"page_faults\": 4, \"minor_faults\": 3, \"major_faults\": 1, \"soft_faults\": 0, "
			  "\"wp_faults\": 0, \"evictions\": 2, \"dirty_writebacks\": 2, \"swap_ins\": 1, "
			  "\"swap_outs\": 2, \"readahead_pages\": 0, \"daemon_reclaims\": 0, "
			  "\"resident_pages\": 2, \"resident_pages_peak\": 2, \"free_slots\": 0, "
			  "\"swap_slots_used\": 2, \"faults_timed\": 4, \"handler_ns\": ";
	cr_assert(strncmp(json, head, sizeof head - 1) == 0, "%s", json);
	cr_assert(strstr(json, ", \"error\": null}\n"), "%s", json);
	cr_assert_eq(json_u(json, "fault_ns_p50") <= json_u(json, "fault_ns_p99"), 1);
	free(json);
	vp_close(p);
}

/* --- read-ahead ----------------------------------------------------------- */

/* Read-ahead of 3 with 8 slots: a major fault with no slot free reads
 * nothing ahead (it never evicts for it); once an unmap frees 4 slots, a
 * major fault takes one and reads the next three pages into the others,
 * parked, so that their first touch is a soft fault, not a major one. */
Test(pager, readahead_fills_free_slots_only, .timeout = 60)
{
	for (size_t b = 0; b < 2; b++) {
		if (!backend_ok(backends[b]))
			continue;
		vp_pager_t *p = pager(backends[b], "fifo", 8, (vp_config_t){ .readahead = 3 });
		volatile uint64_t *a = vp_map(p, 16 * PAGE);
		volatile uint64_t *other = vp_map(p, 4 * PAGE);
		for (size_t pg = 0; pg < 12; pg++)
			write_page(a, pg, 8);
		for (size_t pg = 0; pg < 4; pg++)
			write_page(other, pg, 9);
		/* resident: a 8..11, other 0..3; a 0..7 swapped */
		cr_assert_eq(check_page(a, 0, 8), 0);   /* evicts a 8: no slot free */
		vp_stats_t s;
		vp_stats(p, &s);
		cr_assert_eq(s.readahead_pages, 0);
		cr_assert_eq(vp_unmap(p, (void *)other), 0);  /* 4 slots free */
		cr_assert_eq(check_page(a, 4, 8), 0);   /* 5, 6, 7 ahead */
		vp_stats(p, &s);
		cr_assert_eq(s.readahead_pages, 3);
		cr_assert_eq(s.swap_ins, 5);
		cr_assert_eq(s.major_faults, 2);
		cr_assert_eq(s.free_slots, 0);
		size_t bad = 0;
		for (size_t pg = 5; pg < 8; pg++)
			bad += check_page(a, pg, 8);
		vp_stats(p, &s);
		cr_assert_eq(bad, 0);
		cr_assert_eq(s.major_faults, 2, "pages read ahead come with no major fault");
		cr_assert_eq(s.soft_faults, 3, "their first touch is a soft fault");
		vp_close(p);
	}
}

/* --- the README's example ------------------------------------------------- */

/* examples/pager.c builds against the library as it is (with the
 * sanitizers' flags under make sanitize or make tsan) and runs: 1 MiB under
 * 64 KiB, every byte right, every page out and back once. */
Test(pager, example_builds_and_runs, .timeout = 300)
{
	char build[512];
	snprintf(build, sizeof build, "%s", vmlab());
	char *slash = strrchr(build, '/');
	cr_assert_not_null(slash, "VMLAB=%s has no folder", vmlab());
	*slash = 0;
	char dir[] = "/tmp/vmpager-example-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	const char *cflags = getenv("CFLAGS") && strstr(getenv("CFLAGS"), "-fsanitize") ? getenv("CFLAGS") : "";
	cmd_out_t *r = malloc(sizeof *r);
	run(r, "cc %s -std=c11 -Wall -Wextra -Werror examples/pager.c -Iinclude %s/libvmlab.a "
	       "-pthread -lzstd -lz -llzma -lbz2 -lm -o %s/pager && %s/pager", cflags, build, dir, dir);
	cr_assert_eq(r->status, 0, "%s", r->err);
	cr_assert(strncmp(r->out, "0 bytes wrong\n{\"backend\": \"", 27) == 0, "%s", r->out);
	cr_assert_eq(json_u(r->out, "budget_pages"), 16);
	cr_assert_eq(json_u(r->out, "minor_faults"), 256);
	cr_assert_eq(json_u(r->out, "major_faults"), 256);
	cr_assert_eq(json_u(r->out, "swap_outs"), 256);
	run(r, "rm -rf %s", dir);
	free(r);
}

/* --- choosing the backend ------------------------------------------------- */

/* $VP_BACKEND chooses when the config does not; the config wins over it. */
Test(pager, vp_backend_from_the_environment)
{
	char err[512] = "";
	vp_config_t c = { .budget = PAGE, .errbuf = err, .errlen = sizeof err };
	vp_pager_t *p;
	setenv("VP_BACKEND", "sigsegv", 1);
	cr_assert_eq(vp_open(&c, &p), 0, "%s", err);
	cr_assert_str_eq(vp_backend(p), "sigsegv");
	FILE *null = fopen("/dev/null", "w");
	cr_assert_eq(vp_stats_json(p, null), 0);
	fclose(null);
	vp_close(p);
	setenv("VP_BACKEND", "bogus", 1);
	cr_assert_eq(vp_open(&c, &p), VM_ENOENT);
	cr_assert_str_eq(err, "backend bogus: no such backend (uffd, sigsegv)");
	c.backend = "sigsegv";
	cr_assert_eq(vp_open(&c, &p), 0, "%s", err);
	vp_close(p);
	unsetenv("VP_BACKEND");
	c.backend = NULL;
	cr_assert_eq(vp_open(&c, &p), 0, "%s", err);
	cr_assert_str_eq(vp_backend(p), backend_ok("uffd") ? "uffd" : "sigsegv");
	vp_close(p);
}
