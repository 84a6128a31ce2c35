/* bench_pager.c - libvmpager against the kernel, one run, figures side by side.
 *
 *   bench_pager            (bench/pager.sh builds it against libvmlab.a)
 *
 * 1. Per-fault latency over FAULT_PAGES pages: the kernel's own anonymous
 *    page fault (first write to fresh mmap memory); a SIGSEGV handler that
 *    mprotects the page (the classic user-space fallback); the pager's first
 *    touch (minor: a zero page), swap-in (major: a page read back from the
 *    swap file) and soft fault (a parked page mapped again, clock's emulated
 *    accessed bit).  Wall time of the touching loop divided by the faults.
 * 2. A workload over 4x its budget (SWEEP_PAGES pages, budget a quarter):
 *    a sequential sweep (3 passes, writing) and a random one (seeded, 1 in 4
 *    a write), for every hardware-bits policy of the registry and for no
 *    budget (plain memory): elapsed seconds and the pager's faults.
 * Wall-clock figures: the machine may be shared, so they are indicative. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "vmlab_pager.h"

#define FAULT_PAGES 4096
#define SWEEP_PAGES 4096
#define PAGE 4096

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static vp_pager_t *open_pager(size_t budget_pages, const char *policy)
{
	char err[512] = "";
	vp_config_t c = { .budget = budget_pages * PAGE, .policy = policy, .errbuf = err, .errlen = sizeof err };
	vp_pager_t *p;
	if (vp_open(&c, &p)) {
		fprintf(stderr, "bench_pager: %s\n", err);
		exit(1);
	}
	return p;
}

static void touch_write(volatile char *a, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		a[i * PAGE] = (char)i;
}

static long touch_read(volatile char *a, size_t from, size_t to)
{
	long s = 0;
	for (size_t i = from; i < to; i++)
		s += a[i * PAGE];
	return s;
}

static void row(const char *what, double secs, uint64_t faults)
{
	printf("  %-34s %9.2f us/fault  (%llu faults)\n", what, faults ? secs * 1e6 / faults : 0.0,
	       (unsigned long long)faults);
}

/* --- 1. per-fault latency ----------------------------------------------------- */

static char *sg_base;
static void sg_handler(int sig, siginfo_t *si, void *uc)
{
	char *a = (char *)((uintptr_t)si->si_addr & ~(uintptr_t)(PAGE - 1));
	if (a < sg_base || a >= sg_base + (size_t)FAULT_PAGES * PAGE || mprotect(a, PAGE, PROT_READ | PROT_WRITE))
		abort();
}

static void latency(void)
{
	printf("== per-fault latency, %d pages of 4 KiB (wall time of the loop / faults)\n", FAULT_PAGES);
	size_t len = (size_t)FAULT_PAGES * PAGE;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(a, len, MADV_NOHUGEPAGE);
	double t = now();
	touch_write(a, 0, FAULT_PAGES);
	row("kernel anonymous page fault", now() - t, FAULT_PAGES);
	munmap(a, len);

	sg_base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(sg_base, len, MADV_NOHUGEPAGE);
	struct sigaction sa = { .sa_sigaction = sg_handler, .sa_flags = SA_SIGINFO }, old;
	sigaction(SIGSEGV, &sa, &old);
	t = now();
	touch_write(sg_base, 0, FAULT_PAGES);
	row("SIGSEGV + mprotect handler", now() - t, FAULT_PAGES);
	sigaction(SIGSEGV, &old, NULL);
	munmap(sg_base, len);

	vp_stats_t s0, s1;
	/* first touch: budget for every page, so nothing is evicted */
	vp_pager_t *p = open_pager(FAULT_PAGES, "fifo");
	char *r = vp_map(p, len);
	t = now();
	touch_write(r, 0, FAULT_PAGES);
	double dt = now() - t;
	vp_stats(p, &s1);
	char what[64];
	snprintf(what, sizeof what, "pager first touch (%s)", vp_backend(p));
	row(what, dt, s1.minor_faults);
	vp_close(p);

	/* swap-in: half the pages fit; the second read pass reads every page
	 * back (fifo on a loop), each evicting a clean one (no write) */
	p = open_pager(FAULT_PAGES / 2, "fifo");
	r = vp_map(p, len);
	touch_write(r, 0, FAULT_PAGES);
	touch_read(r, 0, FAULT_PAGES);   /* now every page has a swap copy */
	vp_stats(p, &s0);
	t = now();
	touch_read(r, 0, FAULT_PAGES);
	dt = now() - t;
	vp_stats(p, &s1);
	row("pager swap-in (major, clean victim)", dt, s1.major_faults - s0.major_faults);
	vp_close(p);

	/* soft fault: clock parks every resident page when its hand sweeps;
	 * touching those again maps them back */
	p = open_pager(FAULT_PAGES / 2, "clock");
	r = vp_map(p, len);
	touch_write(r, 0, FAULT_PAGES / 2 + 1);   /* the last one makes the hand sweep all */
	vp_stats(p, &s0);
	t = now();
	touch_read(r, FAULT_PAGES / 2 - FAULT_PAGES / 4, FAULT_PAGES / 2);
	dt = now() - t;
	vp_stats(p, &s1);
	uint64_t soft = s1.soft_faults - s0.soft_faults, other = s1.page_faults - s0.page_faults;
	row("pager soft fault (clock, parked page)", dt, soft + other);
	if (other)
		printf("  (of which %llu not soft)\n", (unsigned long long)other);
	vp_close(p);
}

/* --- 2. a workload over 4x its budget ------------------------------------------- */

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The sweeps over a (SWEEP_PAGES pages); elapsed seconds in t[2]. */
static void sweeps(char *a, double t[2])
{
	double t0 = now();
	for (int pass = 0; pass < 3; pass++)
		touch_write(a, 0, SWEEP_PAGES);
	t[0] = now() - t0;
	rng = 88172645463325252ull;
	t0 = now();
	volatile char *v = a;
	for (int k = 0; k < 4 * SWEEP_PAGES; k++) {
		uint64_t x = xorshift();
		size_t i = x % SWEEP_PAGES;
		if ((x >> 40) % 4 == 0)
			v[i * PAGE] = (char)k;
		else
			(void)v[i * PAGE];
	}
	t[1] = now() - t0;
}

static void workload(void)
{
	printf("\n== %d pages (16 MiB), budget %d pages (4x over): sequential = 3 writing passes, "
	       "random = %d seeded touches (1 in 4 a write)\n", SWEEP_PAGES, SWEEP_PAGES / 4, 4 * SWEEP_PAGES);
	/* milliseconds with three decimals: the random sweep without a budget
	 * takes a fraction of one, which %.3f seconds printed as 0.000 */
	printf("  %-10s %9s %8s %8s %8s %8s | %9s %8s %8s %8s\n", "policy", "seq ms", "faults", "major",
	       "soft", "swapout", "rand ms", "faults", "major", "soft");
	size_t len = (size_t)SWEEP_PAGES * PAGE;
	char *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t[2];
	sweeps(a, t);
	printf("  %-10s %9.3f %8s %8s %8s %8s | %9.3f %8s %8s %8s\n", "no budget", t[0] * 1e3, "-", "-",
	       "-", "-", t[1] * 1e3, "-", "-", "-");
	munmap(a, len);
	for (size_t k = 0; k < policy_count; k++) {
		const policy_ops_t *ops = policy_registry[k];
		if (ops->needs != POLICY_NEEDS_HW_BITS)
			continue;
		vp_pager_t *p = open_pager(SWEEP_PAGES / 4, ops->name);
		char *r = vp_map(p, len);
		vp_stats_t s0, s1;
		double t0 = now();
		for (int pass = 0; pass < 3; pass++)
			touch_write(r, 0, SWEEP_PAGES);
		t[0] = now() - t0;
		vp_stats(p, &s0);
		rng = 88172645463325252ull;
		t0 = now();
		volatile char *v = r;
		for (int j = 0; j < 4 * SWEEP_PAGES; j++) {
			uint64_t x = xorshift();
			size_t i = x % SWEEP_PAGES;
			if ((x >> 40) % 4 == 0)
				v[i * PAGE] = (char)j;
			else
				(void)v[i * PAGE];
		}
		t[1] = now() - t0;
		vp_stats(p, &s1);
		printf("  %-10s %9.3f %8llu %8llu %8llu %8llu | %9.3f %8llu %8llu %8llu\n", ops->name, t[0] * 1e3,
		       (unsigned long long)s0.page_faults, (unsigned long long)s0.major_faults,
		       (unsigned long long)s0.soft_faults, (unsigned long long)s0.swap_outs, t[1] * 1e3,
		       (unsigned long long)(s1.page_faults - s0.page_faults),
		       (unsigned long long)(s1.major_faults - s0.major_faults),
		       (unsigned long long)(s1.soft_faults - s0.soft_faults));
		vp_close(p);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	latency();
	workload();
	return 0;
}
