/* fuzz_trace.c - libFuzzer harness: any bytes as a trace, in every format,
 * through a small machine under every policy of the registry (OPT with its
 * next-use index, built as `vmlab run` does), then the invariant checker.
 *
 * Input: 4 control bytes, then the trace (plain, gzip or zstd).
 *   byte 0  format (auto, lackey, text, pages), and bit 2: bounded swap
 *   byte 1  policy, an index into policy_registry
 *   byte 2  page size 2^(4 + b % 13), frames 1 + (b >> 4)
 *   byte 3  VA bits (32, 39, 48, 64) and TLB (none, 4:1, 16:4, 64:4)
 * A trace is read up to MAX_ACCESSES accesses and run up to MAX_REFS page
 * references (an access of 2 GiB on 16-byte pages is 2^27 of them): a few
 * kilobytes of zstd may expand to gigabytes, which say nothing more than
 * their first million lines.  Time is the only thing bounded here; memory is
 * the machine's budget (max_memory).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmlab.h"
#include "vmlab_sys.h"
#include "analysis/nextuse.h"
#include "policy/policy.h"
#include "trace/trace.h"
#include "util/vmerr.h"

#define MAX_ACCESSES ((size_t)1 << 20)
#define MAX_REFS ((uint64_t)1 << 20)
#define BATCH 1024

static int memfd = -1;
static char path[64];

/* Every access of the trace at path, or NULL; *n gets the count. */
static trace_access_t *read_trace(const trace_opts_t *to, size_t *n)
{
	char err[512];
	trace_reader_t *r;
	*n = 0;
	if (trace_open(&r, path, to, err, sizeof err))
		return NULL;
	size_t cap = BATCH;
	trace_access_t *v = malloc(cap * sizeof *v);
	long got = 0;
	while (v && *n < MAX_ACCESSES && (got = trace_read(r, v + *n, cap - *n)) > 0) {
		*n += (size_t)got;
		if (*n == cap && cap < MAX_ACCESSES) {
			trace_access_t *w = realloc(v, 2 * cap * sizeof *v);
			if (!w)
				break;
			v = w;
			cap *= 2;
		}
	}
	if (got < 0 && strncmp(trace_error(r), trace_name(r), strlen(trace_name(r)))) {
		/* every error names the file: FILE:LINE */
		fprintf(stderr, "error without FILE:LINE: %s\n", trace_error(r));
		abort();
	}
	trace_close(r);
	return v;
}

typedef struct refs {
	vm_pageref_t *v;
	size_t n, cap;
	uint32_t pid;
} refs_t;

static int add_ref(void *arg, uint64_t vpn, int kind)
{
	refs_t *rs = arg;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 1024;
		vm_pageref_t *v = realloc(rs->v, cap * sizeof *v);
		if (!v)
			return VM_ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = (vm_pageref_t){ .vpn = vpn, .pid = rs->pid, .kind = (uint8_t)kind };
	return 0;
}

/* How many of the accesses a[0..n) fit in MAX_REFS page references. */
static size_t within_refs(const trace_access_t *a, size_t n, unsigned shift)
{
	uint64_t refs = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t pages = ((a[i].va + (a[i].size - 1)) >> shift) - (a[i].va >> shift) + 1;
		refs += pages * (a[i].kind == VM_MODIFY ? 2 : 1);
		if (refs > MAX_REFS)
			return i;
	}
	return n;
}

/* Run the accesses on a machine of cfg; OPT gets the future first. */
static void simulate(vm_config_t *cfg, const trace_access_t *a, size_t n, unsigned shift)
{
	char err[512];
	const policy_ops_t *pol = policy_find(cfg->policy);
	refs_t rs = { 0 };
	uint64_t *next_use = NULL;
	vm_machine_t *vm;
	int future = pol->needs == POLICY_NEEDS_FUTURE;
	n = within_refs(a, n, shift);
	if (future) {
		for (size_t i = 0; i < n; i++) {
			rs.pid = a[i].pid;
			if (vm_split_access(shift, a[i].va, a[i].size, a[i].kind, add_ref, &rs))
				goto out;
		}
		if (nextuse_build(rs.v, rs.n, &next_use))
			goto out;
	}
	if (vm_create(&vm, cfg, next_use, err, sizeof err))
		goto out;
	int rc = 0;
	if (future)
		for (size_t i = 0; i < rs.n && !rc; i++)
			rc = vm_ref(vm, rs.v[i].pid, rs.v[i].vpn, rs.v[i].kind);
	else
		for (size_t i = 0; i < n && !rc; i++)
			rc = vm_access(vm, a[i].pid, a[i].va, a[i].size, a[i].kind);
	if (vm_check(vm, err, sizeof err)) {
		fprintf(stderr, "invariant broken after %s: %s\n", rc ? vm_strerror(rc) : "the trace", err);
		abort();
	}
	const vm_stats_t *st = vm_stats(vm);
	if (st->page_faults != st->minor_faults + st->major_faults ||
	    st->references != st->reads + st->writes + st->ifetches ||
	    st->resident_pages > cfg->frames) {
		fprintf(stderr, "counters disagree\n");
		abort();
	}
	vm_destroy(vm);
out:
	free(rs.v);
	free(next_use);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned va_bits[4] = { 32, 39, 48, 64 };
	static const uint32_t tlb[4][2] = { { 0, 0 }, { 4, 1 }, { 16, 4 }, { 64, 4 } };
	if (size < 4)
		return 0;
	if (memfd < 0) {
		memfd = memfd_create("fuzz-trace", 0);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) || pwrite(memfd, data + 4, size - 4, 0) != (ssize_t)(size - 4))
		abort();

	vm_config_t cfg;
	vm_config_default(&cfg);
	unsigned shift = 4 + data[2] % 13;
	cfg.page_size = 1u << shift;
	cfg.frames = 1 + (data[2] >> 4);
	cfg.va_bits = va_bits[data[3] & 3];
	cfg.tlb_entries = tlb[(data[3] >> 2) & 3][0];
	cfg.tlb_ways = tlb[(data[3] >> 2) & 3][1];
	cfg.policy = policy_registry[data[1] % policy_count]->name;
	cfg.swap_slots = data[0] & 4 ? 1 + (data[3] >> 4) : 0;
	cfg.max_memory = (uint64_t)64 << 20;
	char err[512];
	if (vm_config_check(&cfg, err, sizeof err))
		return 0;   /* a geometry the command line refuses */

	trace_opts_t to = { .format = (trace_format_t)(data[0] & 3), .page_shift = shift,
			    .va_bits = cfg.va_bits };
	size_t n;
	trace_access_t *a = read_trace(&to, &n);
	if (a)
		simulate(&cfg, a, n, shift);
	free(a);
	return 0;
}
