/* grid.h - many machines on one trace (prefix grid_): the trace is read
 * and split into page references once, into a buffer that threads share
 * read-only, and each job (one machine's options) runs the whole buffer on
 * its own machine, so every job's keys equal `vmlab run`'s with the same
 * options.  `vmlab mrc` (a policy that is not lru) and `vmlab sweep` use it. */
#ifndef VMLAB_CLI_GRID_H
#define VMLAB_CLI_GRID_H

#include <stdint.h>

#include "cli.h"
#include "util/rng.h"

/* A trace as page references. */
typedef struct grid_trace {
	budget_t budget;          /* what refs may hold in memory: half --max-memory */
	refvec_t refs;            /* the references kept (all unless sampled) */
	uint64_t *next_use;       /* the future of refs, once grid_future built it */
	uint64_t references;      /* every page reference, kept or not */
	uint64_t distinct;        /* distinct pages among the kept references */
	char *name, *format;      /* the trace's display name and format */
	unsigned page_shift;
} grid_trace_t;

/* SHARDS spatial sampling (Waldspurger et al., FAST 2015): page (pid, vpn)
 * is kept iff the low 24 bits of SplitMix64(pid << 48 ^ vpn) are below
 * threshold = R * 2^24 (R = 1 keeps every page). */
static inline int grid_sample_keep(double threshold, uint32_t pid, uint64_t vpn)
{
	uint64_t h = rng_mix64((((uint64_t)pid << 48) ^ vpn) + 0x9e3779b97f4a7c15ull);
	return (double)(h & 0xffffff) < threshold;
}

/* SHARDS's decision per page, remembered in a small direct-mapped cache so
 * that a page's hash is computed about once, not once a reference. */
#define GRID_MEMO 4096
typedef struct grid_sampler {
	double threshold;         /* grid_sample_keep's */
	int all;                  /* R = 1: every page is kept */
	struct grid_memo { uint64_t vpn; uint32_t pid; int32_t keep; } memo[GRID_MEMO];
} grid_sampler_t;

/* Start *s for rate sample (0 < sample <= 1): nothing remembered yet. */
void grid_sampler_init(grid_sampler_t *s, double sample);

/* grid_sample_keep(s->threshold, pid, vpn), from the cache when it can. */
static inline int grid_sampler_keep(grid_sampler_t *s, uint32_t pid, uint64_t vpn)
{
	if (s->all)
		return 1;
	struct grid_memo *m = &s->memo[(vpn ^ (uint64_t)pid * 0x9e3779b1u) & (GRID_MEMO - 1)];
	if (m->keep < 0 || m->vpn != vpn || m->pid != pid)
		*m = (struct grid_memo){ .vpn = vpn, .pid = pid,
					 .keep = grid_sample_keep(s->threshold, pid, vpn) };
	return m->keep;
}

/* The filter as soon as an access is read: when access a (size >= 1, not
 * wrapping) lies in one page that the sampler drops, the page references
 * it makes (2 for a modify, else 1), else 0: split it and ask per page. */
static inline unsigned grid_sampler_drop(grid_sampler_t *s, const trace_access_t *a,
					 unsigned page_shift)
{
	uint64_t vpn = a->va >> page_shift;
	if (s->all || (a->va + (a->size - 1)) >> page_shift != vpn ||
	    grid_sampler_keep(s, a->pid, vpn))
		return 0;
	return a->kind == TRACE_MODIFY ? 2 : 1;
}

/* log2 of a page size (a power of two). */
unsigned grid_page_shift(unsigned page_size);

/* Read the trace o names (a file, stdin, or `-- PROGRAM` recorded live:
 * cli_trace_open) with o's format, page size and VA width into *gt, keeping only the pages grid_sample_keep keeps at sample
 * (0 < sample <= 1).  Errors go to stderr as "vmlab CMD: ..." or the
 * reader's "PATH:LINE: ..."; returns a CLI_EXIT_ status. */
int grid_load(grid_trace_t *gt, const cli_opts_t *o, double sample, const char *cmd);

/* Build gt's next-use index (for policies that read the future), once.
 * Returns a CLI_EXIT_ status. */
int grid_future(grid_trace_t *gt, const char *cmd);

void grid_trace_free(grid_trace_t *gt);

/* One machine to run: its options in, its keys out. */
typedef struct grid_job {
	cli_opts_t o;             /* cfg (and swap_bytes for the report) */
	char what[96];            /* names the job in messages ("row 3 (clock, 8 frames)") */
	report_row_t row;         /* filled by grid_run: the keys of run --json */
	int status;               /* CLI_EXIT_ status of this job */
	char err[256];            /* why, when status is not CLI_EXIT_OK */
} grid_job_t;

/* Run every job on gt with up to threads threads (0: one per core).  Each
 * job's status and err say how it went; returns the first failing job's
 * status in job order, its err printed as "vmlab CMD: WHAT: ERR", else
 * CLI_EXIT_OK. */
int grid_run(const grid_trace_t *gt, grid_job_t *jobs, size_t n, unsigned threads,
	     const char *cmd);

/* Threads to use for -j 0: the cores online. */
unsigned grid_default_threads(void);

#endif
