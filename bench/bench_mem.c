/* bench_mem.c - simulation throughput with the trace already in memory.
 *
 *   build/bench_mem TRACE [POLICY...]      (default: every policy)
 *
 * Reads TRACE once through the trace reader into an array of accesses, then,
 * for each policy, builds a machine with the defaults of `vmlab run` (64
 * frames, TLB 64:4, 4 KiB pages) and feeds it every access with
 * vm_access_batch() in batches of 4096, as `vmlab run` does,
 * timing only that loop in CPU time (CLOCK_PROCESS_CPUTIME_ID: the machine
 * may be busy with other work), the least of BENCH_RUNS (default 3) runs,
 * each on a new machine, after an untimed warm-up run over the first
 * WARMUP accesses (so that the first policy measured does not pay for cold
 * caches and page faults on the array).  This is the "in-memory source"
 * figure: what the simulator does per second without reading, decompressing
 * or parsing text.
 *
 * Prints one line per policy: "mem POLICY REFERENCES CPU_SECONDS MREFS_S
 * PAGE_FAULTS" (bench.sh joins them into its table), or "mem POLICY failed:
 * WHY".  A policy that needs the future (opt) gets its next-use
 * index first, built (and timed apart) over the page references the machine
 * will perform: one per page an access touches, ascending, and for M the
 * reads of all its pages before the writes.
 *
 * Build (from the repository root, after make):
 *   gcc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/bench_mem.c \
 *       build/libvmlab.a -lzstd -lz -lm -o build/bench_mem
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmlab.h"
#include "analysis/nextuse.h"
#include "policy/policy.h"
#include "trace/trace.h"
#include "util/vmerr.h"

#define BATCH 65536
#define WARMUP 4000000

/* CPU seconds this process has used (user + system). */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned log2_of(unsigned x)
{
	unsigned s = 0;
	while ((1u << s) < x)
		s++;
	return s;
}

typedef struct accvec {
	trace_access_t *v;
	size_t n, cap;
} accvec_t;

/* Read the whole trace into memory, or exit with a message. */
static void read_trace(const char *path, const vm_config_t *cfg, accvec_t *out)
{
	char err[512];
	trace_reader_t *r = NULL;
	trace_opts_t opts = { .format = TRACE_FMT_AUTO,
			      .page_shift = log2_of(cfg->page_size),
			      .va_bits = cfg->va_bits };
	if (trace_open(&r, path, &opts, err, sizeof err)) {
		fprintf(stderr, "bench_mem: %s\n", err);
		exit(2);
	}
	long n;
	for (;;) {
		if (out->cap - out->n < BATCH) {
			size_t cap = out->cap ? out->cap * 2 : (size_t)1 << 20;
			trace_access_t *v = realloc(out->v, cap * sizeof *v);
			if (!v) {
				fprintf(stderr, "bench_mem: out of memory reading %s\n", path);
				exit(1);
			}
			out->v = v;
			out->cap = cap;
		}
		n = trace_read(r, out->v + out->n, BATCH);
		if (n <= 0)
			break;
		out->n += (size_t)n;
	}
	if (n < 0) {
		fprintf(stderr, "bench_mem: %s\n", trace_error(r));
		exit(2);
	}
	trace_close(r);
}

/* The page references the machine will perform, in order, and their next-use
 * index.  Returns the index (caller frees) and sets *nrefs. */
/* Where the page references of the next-use pass go (vm_split_access). */
typedef struct fill {
	vm_pageref_t *refs;
	size_t k;
	uint32_t pid;
} fill_t;

static int fill_one(void *arg, uint64_t vpn, int kind)
{
	fill_t *f = arg;
	f->refs[f->k++] = (vm_pageref_t){ .vpn = vpn, .pid = f->pid, .kind = (uint8_t)kind };
	return 0;
}

static uint64_t *build_future(const accvec_t *acc, unsigned page_shift, size_t *nrefs)
{
	size_t n = 0;
	for (size_t i = 0; i < acc->n; i++) {
		const trace_access_t *a = &acc->v[i];
		uint64_t pages = ((a->va + a->size - 1) >> page_shift) - (a->va >> page_shift) + 1;
		n += (size_t)pages * (a->kind == TRACE_MODIFY ? 2 : 1);
	}
	vm_pageref_t *refs = malloc((n ? n : 1) * sizeof *refs);
	if (!refs) {
		fprintf(stderr, "bench_mem: out of memory for %zu page references\n", n);
		exit(1);
	}
	fill_t fill = { .refs = refs };
	for (size_t i = 0; i < acc->n; i++) {
		const trace_access_t *a = &acc->v[i];
		fill.pid = a->pid;
		vm_split_access(page_shift, a->va, a->size, a->kind, fill_one, &fill);
	}
	uint64_t *next_use = NULL;
	if (nextuse_build(refs, n, &next_use)) {
		fprintf(stderr, "bench_mem: out of memory building the next-use index\n");
		exit(1);
	}
	free(refs);
	*nrefs = n;
	return next_use;
}

/* Feed accesses [0, n) to a new machine of configuration c; *secs gets the
 * CPU time of the loop.  Returns the machine (caller destroys), or NULL with
 * a line printed. */
static vm_machine_t *run_once(const vm_config_t *c, const uint64_t *future,
			      const accvec_t *acc, size_t n, double *secs)
{
	char err[512];
	vm_machine_t *m = NULL;
	int rc = vm_create(&m, c, future, err, sizeof err);
	if (rc) {
		printf("mem %s failed: vm_create: %s\n", c->policy, err);
		return NULL;
	}
	double s0 = cpu_s();
	size_t i, done = 0;
	/* in run's batches (RUN_BATCH); on a failure i ends at the failed access */
	for (i = 0; i < n && !rc; i += done)
		rc = vm_access_batch(m, acc->v + i, n - i < 4096 ? n - i : 4096, &done);
	*secs = cpu_s() - s0;
	if (rc) {
		printf("mem %s failed: stopped at access %zu: %s\n", c->policy, i, vm_strerror(rc));
		vm_destroy(m);
		return NULL;
	}
	return m;
}

int main(int argc, char **argv)
{
	static const char *const all[] = { "fifo", "random", "lru", "lfu", "clock", "eclock", "opt" };
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: bench_mem TRACE [POLICY...]\n");
		return 2;
	}
	const char *path = argv[1];
	const char *const *policies = argc > 2 ? (const char *const *)argv + 2 : all;
	size_t npolicies = argc > 2 ? (size_t)(argc - 2) : sizeof all / sizeof all[0];
	const char *env = getenv("BENCH_RUNS");
	int runs = env && atoi(env) > 0 ? atoi(env) : 3;

	vm_config_t cfg;
	vm_config_default(&cfg);
	unsigned page_shift = log2_of(cfg.page_size);

	accvec_t acc = { 0 };
	double t0 = cpu_s();
	read_trace(path, &cfg, &acc);
	double t1 = cpu_s();
	printf("read %zu accesses into memory in %.3f CPU s (%.1f MB as trace_access_t)\n",
	       acc.n, t1 - t0, (double)(acc.n * sizeof *acc.v) / 1e6);
	printf("machine: %u frames, TLB %u:%u, %u-byte pages; least CPU time of %d runs\n",
	       cfg.frames, cfg.tlb_entries, cfg.tlb_ways, cfg.page_size, runs);

	uint64_t *next_use = NULL;
	size_t nrefs = 0;
	int status = 0;
	for (size_t p = 0; p < npolicies; p++) {
		const char *name = policies[p];
		const policy_ops_t *ops = policy_find(name);
		if (!ops) {
			printf("mem %s failed: unknown policy\n", name);
			status = 1;
			continue;
		}
		const uint64_t *future = NULL;
		if (ops->needs == POLICY_NEEDS_FUTURE) {
			if (!next_use) {
				double b0 = cpu_s();
				next_use = build_future(&acc, page_shift, &nrefs);
				double b1 = cpu_s();
				printf("next-use index over %zu page references built in %.3f CPU s (not counted)\n",
				       nrefs, b1 - b0);
			}
			future = next_use;
		}
		vm_config_t c = cfg;
		c.policy = name;
		double secs, best = -1;
		vm_machine_t *m = run_once(&c, future, &acc, acc.n < WARMUP ? acc.n : WARMUP, &secs);
		vm_stats_t first = { 0 };
		for (int r = 0; m && r < runs; r++) {
			vm_destroy(m);
			m = run_once(&c, future, &acc, acc.n, &secs);
			if (!m)
				break;
			const vm_stats_t *st = vm_stats(m);
			if (r == 0)
				first = *st;
			else if (memcmp(&first, st, sizeof first)) {
				printf("mem %s failed: run %d counted differently from run 1\n", name, r + 1);
				vm_destroy(m);
				m = NULL;
				break;
			}
			if (best < 0 || secs < best)
				best = secs;
		}
		if (!m) {
			status = 1;
			continue;
		}
		if (future && first.references != nrefs) {
			printf("mem %s failed: %llu references simulated, %zu in the next-use index\n",
			       name, (unsigned long long)first.references, nrefs);
			status = 1;
		} else {
			printf("mem %s %llu %.3f %.2f %llu\n", name,
			       (unsigned long long)first.references, best,
			       best > 0 ? (double)first.references / best / 1e6 : 0.0,
			       (unsigned long long)first.page_faults);
		}
		fflush(stdout);
		vm_destroy(m);
	}
	free(next_use);
	free(acc.v);
	return status;
}
