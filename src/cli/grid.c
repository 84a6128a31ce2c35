/* grid.c - many machines on one trace, in threads (prefix grid_).
 *
 * The buffer is written once by grid_load and only read afterwards, so the
 * worker threads share it (and the next-use index) without locks; each job
 * owns its machine and its result slot, and jobs are handed out by one
 * atomic counter, so the results do not depend on the thread count. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grid.h"
#include "progress.h"
#include "policy/policy.h"
#include "util/vmerr.h"

#define GRID_BATCH 4096

unsigned grid_page_shift(unsigned page_size)
{
	unsigned s = 0;
	while ((1u << s) < page_size)
		s++;
	return s;
}

unsigned grid_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

void grid_sampler_init(grid_sampler_t *s, double sample)
{
	s->threshold = sample * (double)(1u << 24);
	s->all = sample >= 1;
	for (size_t i = 0; i < GRID_MEMO; i++)
		s->memo[i].keep = -1;
}

/* The distinct pages of the kept references: an open-addressing set. */
typedef struct grid_pageset {
	struct grid_page { uint64_t vpn; uint32_t pid, used; } *slot;
	size_t mask, n;
} grid_pageset_t;

static int grid_pageset_add(grid_pageset_t *ps, uint32_t pid, uint64_t vpn);

static int grid_pageset_grow(grid_pageset_t *ps)
{
	grid_pageset_t big = { .mask = ps->mask ? ps->mask * 2 + 1 : 1023 };
	big.slot = calloc(big.mask + 1, sizeof *big.slot);
	if (!big.slot)
		return VM_ENOMEM;
	for (size_t i = 0; ps->slot && i <= ps->mask; i++)
		if (ps->slot[i].used)
			grid_pageset_add(&big, ps->slot[i].pid, ps->slot[i].vpn);
	free(ps->slot);
	*ps = big;
	return VM_OK;
}

/* Add a page (a no-op if present); kept at most half full. */
static int grid_pageset_add(grid_pageset_t *ps, uint32_t pid, uint64_t vpn)
{
	if ((ps->n + 1) * 2 > ps->mask + 1 && grid_pageset_grow(ps))
		return VM_ENOMEM;
	size_t h = (size_t)rng_mix64(vpn ^ ((uint64_t)pid * 0x9e3779b97f4a7c15ull)) & ps->mask;
	for (; ps->slot[h].used; h = (h + 1) & ps->mask)
		if (ps->slot[h].vpn == vpn && ps->slot[h].pid == pid)
			return VM_OK;
	ps->slot[h] = (struct grid_page){ .vpn = vpn, .pid = pid, .used = 1 };
	ps->n++;
	return VM_OK;
}

/* Where vm_split_access puts one access's page references. */
typedef struct grid_loader {
	grid_trace_t *gt;
	grid_pageset_t pages;
	grid_sampler_t *sampler;
	uint32_t pid;           /* of the access being split */
	int have_last;          /* the previous kept page, to skip the set on repeats */
	uint32_t last_pid;
	uint64_t last_vpn;
} grid_loader_t;

static int grid_add(void *arg, uint64_t vpn, int kind)
{
	grid_loader_t *l = arg;
	l->gt->references++;
	if (!grid_sampler_keep(l->sampler, l->pid, vpn))
		return VM_OK;
	if (!l->have_last || l->last_vpn != vpn || l->last_pid != l->pid) {
		if (grid_pageset_add(&l->pages, l->pid, vpn))
			return VM_ENOMEM;
		l->have_last = 1;
		l->last_pid = l->pid;
		l->last_vpn = vpn;
	}
	return refvec_push(&l->gt->refs, l->pid, vpn, (uint8_t)kind);
}

static int grid_strdup(char **out, const char *s)
{
	return (*out = strdup(s)) ? VM_OK : VM_ENOMEM;
}

int grid_load(grid_trace_t *gt, const cli_opts_t *o, double sample, const char *cmd)
{
	cli_trace_t src;
	*gt = (grid_trace_t){ .page_shift = grid_page_shift(o->cfg.page_size) };
	uint64_t limit = o->cfg.max_memory ? o->cfg.max_memory : cli_default_max_memory();
	budget_init(&gt->budget, limit / 2 ? limit / 2 : limit);
	refvec_init(&gt->refs, &gt->budget);
	trace_opts_t topts = { .format = o->format, .page_shift = gt->page_shift,
			       .va_bits = o->cfg.va_bits };
	int status = cli_trace_open(&src, cmd, o, &topts);
	if (status)
		return status;
	trace_reader_t *tr = src.tr;
	grid_sampler_t *sampler = malloc(sizeof *sampler);
	grid_loader_t l = { .gt = gt, .sampler = sampler };
	trace_access_t *buf = malloc(GRID_BATCH * sizeof *buf);
	status = buf && sampler ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (sampler)
		grid_sampler_init(sampler, sample);
	long n = 0;
	progress_t prog;
	progress_start(&prog, cmd, tr, o->quiet);
	while (status == CLI_EXIT_OK && (n = trace_read(tr, buf, GRID_BATCH)) > 0) {
		progress_update(&prog, gt->references);
		for (long i = 0; i < n && status == CLI_EXIT_OK; i++) {
			unsigned dropped = grid_sampler_drop(sampler, &buf[i], gt->page_shift);
			if (dropped) {
				gt->references += dropped;
				continue;
			}
			l.pid = buf[i].pid;
			if (vm_split_access(gt->page_shift, buf[i].va, buf[i].size, buf[i].kind, grid_add, &l))
				status = CLI_EXIT_FAIL;
		}
	}
	progress_end(&prog);
	if (status == CLI_EXIT_OK && n < 0) {
		fprintf(stderr, "%s\n", trace_error(tr));
		status = CLI_EXIT_USAGE;
	} else if (status == CLI_EXIT_OK &&
		   (grid_strdup(&gt->name, src.name) ||
		    grid_strdup(&gt->format, trace_format_name(trace_format(tr))))) {
		status = CLI_EXIT_FAIL;
	}
	if (status == CLI_EXIT_FAIL)
		fprintf(stderr, "vmlab %s: buffering the trace: %s\n", cmd,
			gt->refs.err[0] ? gt->refs.err : "out of host memory");
	gt->distinct = l.pages.n;
	free(l.pages.slot);
	free(buf);
	free(sampler);
	status = cli_trace_finish(&src, cmd, gt->references, status);
	cli_trace_close(&src);
	return status;
}

int grid_future(grid_trace_t *gt, const char *cmd)
{
	if (gt->next_use || !nextuse_build(gt->refs.v, gt->refs.n, &gt->next_use))
		return CLI_EXIT_OK;
	fprintf(stderr, "vmlab %s: out of memory building the next-use index\n", cmd);
	return CLI_EXIT_FAIL;
}

void grid_trace_free(grid_trace_t *gt)
{
	refvec_free(&gt->refs);
	free(gt->next_use);
	free(gt->name);
	free(gt->format);
	*gt = (grid_trace_t){ 0 };
}

/* One job from machine to captured keys. */
static void grid_job_run(const grid_trace_t *gt, grid_job_t *j)
{
	vm_machine_t *vm = NULL;
	const policy_ops_t *pol = policy_find(j->o.cfg.policy);
	const uint64_t *future = pol && pol->needs == POLICY_NEEDS_FUTURE ? gt->next_use : NULL;
	int rc = vm_create(&vm, &j->o.cfg, future, j->err, sizeof j->err);
	j->status = CLI_EXIT_OK;
	if (rc) {
		j->status = rc == VM_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
		return;
	}
	j->err[0] = 0;
	const vm_pageref_t *r = gt->refs.v;
	for (size_t i = 0; i < gt->refs.n; i++)
		if ((rc = vm_ref(vm, r[i].pid, r[i].vpn, r[i].kind)))
			break;
	if (rc == VM_ENOSPC)
		snprintf(j->err, sizeof j->err, "out of swap space after %llu references: a dirty page had nowhere to go (raise --swap)",
			 (unsigned long long)vm_stats(vm)->references);
	else if (rc)
		snprintf(j->err, sizeof j->err, "stopped after %llu references: %s",
			 (unsigned long long)vm_stats(vm)->references, vm_strerror(rc));
	else if (report_row_capture(&j->row, vm, &j->o, gt->name, gt->format))
		snprintf(j->err, sizeof j->err, "out of memory");
	if (j->err[0])
		j->status = CLI_EXIT_FAIL;
	vm_destroy(vm);
}

typedef struct grid_pool {
	const grid_trace_t *gt;
	grid_job_t *jobs;
	size_t n;
	atomic_size_t next;
} grid_pool_t;

static void *grid_worker(void *arg)
{
	grid_pool_t *p = arg;
	for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n;)
		grid_job_run(p->gt, &p->jobs[i]);
	return NULL;
}

int grid_run(const grid_trace_t *gt, grid_job_t *jobs, size_t n, unsigned threads,
	     const char *cmd)
{
	grid_pool_t pool = { .gt = gt, .jobs = jobs, .n = n };
	atomic_init(&pool.next, 0);
	if (!threads)
		threads = grid_default_threads();
	if (threads > n)
		threads = (unsigned)n;
	pthread_t *tid = threads > 1 ? calloc(threads, sizeof *tid) : NULL;
	unsigned started = 0;
	/* This thread works too; a thread that cannot start leaves its share
	 * to the others. */
	while (tid && started + 1 < threads &&
	       !pthread_create(&tid[started], NULL, grid_worker, &pool))
		started++;
	grid_worker(&pool);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	free(tid);
	for (size_t i = 0; i < n; i++)
		if (jobs[i].status != CLI_EXIT_OK) {
			fprintf(stderr, "vmlab %s: %s: %s\n", cmd, jobs[i].what, jobs[i].err);
			return jobs[i].status;
		}
	return CLI_EXIT_OK;
}
