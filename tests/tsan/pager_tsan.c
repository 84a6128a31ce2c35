/* pager_tsan.c - the pager's threads under ThreadSanitizer (make tsan).
 *
 * A program of its own, not a Criterion test: Criterion cannot start under
 * ThreadSanitizer (Snaipe/Criterion#274, "Could not initialize inheritable
 * arena").  For each backend the kernel allows and each policy the pager
 * accepts: four threads write their pages of a region 8x the budget, then
 * all read every page, with the page daemon and read-ahead on, while a
 * fifth thread reads the counters.  Exit status 0 only if every word came
 * back and the counters add up; ThreadSanitizer's halt_on_error makes a
 * data race fail it too. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "vmlab_pager.h"

#define PAGE 4096u
#define WORDS (PAGE / 8)
#define BUDGET 16
#define NPAGES (8 * BUDGET)
#define NTHREADS 4

typedef struct job {
	volatile uint64_t *a;
	unsigned t;
	pthread_barrier_t *bar;
	size_t bad;
} job_t;

static uint64_t word(size_t page, size_t w)
{
	return (uint64_t)page << 32 ^ w * 0x9e3779b97f4a7c15ull;
}

static void *worker(void *arg)
{
	job_t *j = arg;
	for (size_t pg = j->t; pg < NPAGES; pg += NTHREADS)
		for (size_t w = 0; w < WORDS; w++)
			j->a[pg * WORDS + w] = word(pg, w);
	pthread_barrier_wait(j->bar);
	for (int round = 0; round < 2; round++)
		for (size_t k = 0; k < NPAGES; k++) {
			size_t pg = (k + j->t * 37) % NPAGES;
			for (size_t w = 0; w < WORDS; w++)
				j->bad += j->a[pg * WORDS + w] != word(pg, w);
		}
	return NULL;
}

static atomic_int done;

static void *watcher(void *arg)
{
	vp_pager_t *p = arg;
	while (!atomic_load(&done)) {
		vp_stats_t s;
		vp_stats(p, &s);
		if (s.resident_pages > BUDGET)
			fprintf(stderr, "over budget: %llu\n", (unsigned long long)s.resident_pages);
	}
	return NULL;
}

/* One run; returns the number of failures. */
static int one(const char *be, const char *policy)
{
	char err[512] = "";
	vp_config_t c = { .budget = BUDGET * PAGE, .policy = policy, .backend = be, .wmark_low = 2,
			  .wmark_high = 5, .readahead = 2, .tick = 8, .errbuf = err, .errlen = sizeof err };
	vp_pager_t *p;
	if (vp_open(&c, &p)) {
		fprintf(stderr, "%s/%s: %s\n", be, policy, err);
		return 1;
	}
	volatile uint64_t *a = vp_map(p, NPAGES * PAGE);
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, NTHREADS);
	job_t j[NTHREADS];
	pthread_t th[NTHREADS], wt;
	atomic_store(&done, 0);
	pthread_create(&wt, NULL, watcher, p);
	for (unsigned t = 0; t < NTHREADS; t++) {
		j[t] = (job_t){ .a = a, .t = t, .bar = &bar };
		pthread_create(&th[t], NULL, worker, &j[t]);
	}
	size_t bad = 0;
	for (unsigned t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		bad += j[t].bad;
	}
	atomic_store(&done, 1);
	pthread_join(wt, NULL);
	pthread_barrier_destroy(&bar);
	vp_stats_t s;
	vp_stats(p, &s);
	int fails = 0;
	if (bad || vp_error(p, NULL) || s.minor_faults != NPAGES || s.resident_pages_peak > BUDGET ||
	    s.page_faults != s.minor_faults + s.major_faults) {
		fprintf(stderr, "%s/%s: %zu words wrong, error %d, minor %llu, peak %llu\n", be, policy, bad,
			vp_error(p, NULL), (unsigned long long)s.minor_faults,
			(unsigned long long)s.resident_pages_peak);
		fails = 1;
	}
	vp_close(p);
	return fails;
}

int main(void)
{
	static const char *const backends[] = { "uffd", "sigsegv" };
	int fails = 0, runs = 0;
	for (size_t b = 0; b < 2; b++) {
		char err[512] = "";
		vp_config_t probe = { .budget = PAGE, .backend = backends[b], .errbuf = err, .errlen = sizeof err };
		vp_pager_t *p;
		if (vp_open(&probe, &p)) {
			printf("pager_tsan: backend %s not tested here: %s\n", backends[b], err);
			continue;
		}
		vp_close(p);
		for (size_t k = 0; k < policy_count; k++)
			if (policy_registry[k]->needs == POLICY_NEEDS_HW_BITS) {
				fails += one(backends[b], policy_registry[k]->name);
				runs++;
			}
	}
	printf("pager_tsan: %d runs, %d failed\n", runs, fails);
	return fails != 0 || runs == 0;
}
