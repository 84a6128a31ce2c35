/* sweep.c - `vmlab sweep`: a grid of machines on one trace.
 *
 * The grid is policies x page sizes x TLBs x frames, in that order (frames
 * vary fastest), and row i is the i-th configuration in it.  The trace is
 * read once per page size (a page size changes the page references, and
 * the pages format's addresses) and every configuration of that page size
 * runs on that buffer in threads (grid.c).  --shard I/N keeps the rows
 * with index = I mod N, so shards run anywhere and their rows, sorted by
 * index, are the whole sweep's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "grid.h"
#include "list.h"
#include "plot.h"
#include "policy/policy.h"
#include "util/num.h"
#include "util/vmerr.h"

static const char sweep_usage[] =
	"usage: vmlab sweep [OPTIONS] [TRACE]\n"
	"       vmlab sweep [OPTIONS] -- PROGRAM [ARGS...]\n"
	"\n"
	"Run every configuration of a grid on one trace and print one row each, with\n"
	"every key of `vmlab run --json` led by its index in the grid (policies\n"
	"outermost, then page sizes, then TLBs, frames innermost).  With -- PROGRAM,\n"
	"the program's trace is recorded under Valgrind lackey as it runs.\n"
	"\n"
	"Here --frames defaults to 64; --shard takes\n"
	"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT as it is; --plot draws page\n"
	"faults over frames (log scale), one line per policy (and page size and TLB).";

/* Configurations in one grid: bounds the rows kept in memory. */
#define SWEEP_MAX_ROWS (1u << 24)

typedef struct sweep {
	cli_opts_t o;
	int csv;
	unsigned threads;
	uint64_t shard_i, shard_n;
	char **policies;          /* list_split blocks, or NULL */
	const char **pol;         /* the policy names in grid order */
	size_t npol;
	uint64_t *frames, *psize;
	size_t nframes, npsize;
	char **tlbs;
	uint32_t (*tlb)[2];       /* entries, ways */
	size_t ntlb;
	size_t nrows;             /* of the whole grid */
	report_row_t *row;        /* [nrows]; only the shard's are filled */
	report_row_t header;      /* the keys, from a machine of row 0 */
} sweep_t;

/* The configuration of grid row i into *o (a copy of the options). */
static void sweep_config(const sweep_t *s, size_t i, cli_opts_t *o)
{
	size_t f = i % s->nframes, rest = i / s->nframes;
	size_t t = rest % s->ntlb;
	rest /= s->ntlb;
	size_t p = rest % s->npsize, pol = rest / s->npsize;
	*o = s->o;
	o->cfg.policy = s->pol[pol];
	o->cfg.page_size = (unsigned)s->psize[p];
	o->cfg.tlb_entries = s->tlb[t][0];
	o->cfg.tlb_ways = s->tlb[t][1];
	o->cfg.frames = s->frames[f] < UINT32_MAX ? (uint32_t)s->frames[f] : UINT32_MAX;
	if (o->swap_bytes)
		o->cfg.swap_slots = o->swap_bytes / o->cfg.page_size;
}

static void sweep_describe(const sweep_t *s, size_t i, char *buf, size_t len)
{
	cli_opts_t o;
	sweep_config(s, i, &o);
	snprintf(buf, len, "row %zu (policy %s, page size %u, TLB %u:%u, %u frames)", i,
		 o.cfg.policy, o.cfg.page_size, o.cfg.tlb_entries, o.cfg.tlb_ways, o.cfg.frames);
}

static int sweep_in_shard(const sweep_t *s, size_t i)
{
	return i % s->shard_n == s->shard_i;
}

/* "I/N": N >= 1, I any number >= 0, taken modulo N. */
static int sweep_parse_shard(sweep_t *s, const char *arg)
{
	s->shard_i = 0;
	s->shard_n = 1;
	if (!arg)
		return CLI_EXIT_OK;
	const char *slash = strchr(arg, '/');
	char head[32];
	size_t n = slash ? (size_t)(slash - arg) : 0;
	if (!slash || n == 0 || n >= sizeof head) {
		fprintf(stderr, "vmlab sweep: --shard: '%s' is not I/N (e.g. 0/4)\n", arg);
		return CLI_EXIT_USAGE;
	}
	memcpy(head, arg, n);
	head[n] = 0;
	if (num_parse_u64(head, &s->shard_i, 0) || num_parse_u64(slash + 1, &s->shard_n, 0) ||
	    s->shard_n == 0) {
		fprintf(stderr, "vmlab sweep: --shard: '%s' is not I/N with I >= 0 and N >= 1\n", arg);
		return CLI_EXIT_USAGE;
	}
	s->shard_i %= s->shard_n;
	return CLI_EXIT_OK;
}

/* --policies: names checked as --policy checks them; all: the registry. */
static int sweep_policies(sweep_t *s, const char *arg)
{
	char err[512];
	size_t n;
	if (!arg) {
		s->pol = malloc(sizeof *s->pol);
		if (!s->pol)
			return CLI_EXIT_FAIL;
		s->pol[0] = s->o.cfg.policy;
		s->npol = 1;
		return CLI_EXIT_OK;
	}
	int all = !strcmp(arg, "all");
	if (!all && list_split(arg, &s->policies, &n, err, sizeof err)) {
		fprintf(stderr, "vmlab sweep: --policies: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	s->npol = all ? policy_count : n;
	s->pol = malloc(s->npol * sizeof *s->pol);
	if (!s->pol)
		return CLI_EXIT_FAIL;
	for (size_t i = 0; i < s->npol; i++) {
		s->pol[i] = all ? policy_registry[i]->name : s->policies[i];
		if (!policy_find(s->pol[i])) {
			cli_opts_t tmp = s->o;
			memset(tmp.given, 0, sizeof tmp.given);
			cli_set_option(&tmp, "policy", s->pol[i], CLI_MACHINE, err, sizeof err);
			fprintf(stderr, "vmlab sweep: --policies: %s\n", err);
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

/* --tlbs: each item as --tlb parses it. */
static int sweep_tlbs(sweep_t *s, const char *arg)
{
	char err[512];
	size_t n = 1;
	if (arg && list_split(arg, &s->tlbs, &n, err, sizeof err)) {
		fprintf(stderr, "vmlab sweep: --tlbs: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	s->ntlb = n;
	s->tlb = malloc(n * sizeof *s->tlb);
	if (!s->tlb)
		return CLI_EXIT_FAIL;
	for (size_t i = 0; i < n; i++) {
		cli_opts_t tmp = s->o;
		memset(tmp.given, 0, sizeof tmp.given);
		if (arg && cli_set_option(&tmp, "tlb", s->tlbs[i], CLI_GEOMETRY, err, sizeof err)) {
			fprintf(stderr, "vmlab sweep: --tlbs: %s\n", err);
			return CLI_EXIT_USAGE;
		}
		s->tlb[i][0] = tmp.cfg.tlb_entries;
		s->tlb[i][1] = tmp.cfg.tlb_ways;
	}
	return CLI_EXIT_OK;
}

/* A number list option, or the one value def when it was not given. */
static int sweep_numbers(const char *name, const char *arg, uint64_t max, int suffix, uint64_t def,
			 uint64_t **out, size_t *n)
{
	char err[512];
	if (!arg) {
		if (!(*out = malloc(sizeof **out)))
			return CLI_EXIT_FAIL;
		**out = def;
		*n = 1;
		return CLI_EXIT_OK;
	}
	int rc = list_parse_u64(arg, max, suffix, out, n, err, sizeof err);
	if (rc) {
		fprintf(stderr, "vmlab sweep: %s: %s\n", name, err);
		return rc == VM_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* Every option, and every configuration checked, before the trace is read. */
static int sweep_options(sweep_t *s, int argc, char **argv)
{
	int status = cli_parse(&s->o, argc, argv,
			       CLI_GEOMETRY | CLI_MACHINE | CLI_TRACE | CLI_LIMITS | CLI_FRAMES_LIST |
			       CLI_ANALYSIS | CLI_SWEEP | CLI_GRID | CLI_PROGRESS, sweep_usage);
	if (status)
		return status;
	s->csv = s->o.csv;
	s->threads = s->o.threads;
	if ((status = sweep_parse_shard(s, s->o.shard)) || (status = sweep_policies(s, s->o.policies)) ||
	    (status = sweep_numbers("--frames", s->o.frames_list, UINT32_MAX, 0, s->o.cfg.frames,
				    &s->frames, &s->nframes)) ||
	    (status = sweep_numbers("--page-sizes", s->o.page_sizes, 1u << 30, 1, s->o.cfg.page_size,
				    &s->psize, &s->npsize)) ||
	    (status = sweep_tlbs(s, s->o.tlbs)))
		return status;
	if (s->o.dashdash < 0 && s->o.nargs > 1) {
		fprintf(stderr, "vmlab sweep: one trace at a time ('%s' is extra)\n", s->o.args[1]);
		return CLI_EXIT_USAGE;
	}
	const char *path = s->o.nargs ? s->o.args[0] : NULL;
	if (s->npsize > 1 && s->o.dashdash >= 0) {
		fprintf(stderr, "vmlab sweep: several --page-sizes read the trace once each: record it first (vmlab record), then sweep the file\n");
		return CLI_EXIT_USAGE;
	}
	if (s->npsize > 1 && (!path || !strcmp(path, "-"))) {
		fprintf(stderr, "vmlab sweep: several --page-sizes read the trace once each: give a file, not stdin\n");
		return CLI_EXIT_USAGE;
	}
	char err[512], what[160];
	int rc = s->o.plot ? plot_check(s->o.plot, err, sizeof err) : VM_OK;
	if (rc) {
		fprintf(stderr, "vmlab sweep: --plot: %s\n", err);
		return rc == VM_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	/* Each factor is below 2^21 (a list's length), so no product wraps. */
	double rows = (double)s->npol * (double)s->npsize * (double)s->ntlb * (double)s->nframes;
	if (rows > SWEEP_MAX_ROWS) {
		fprintf(stderr, "vmlab sweep: the grid has %.0f configurations; at most %u at once (split it)\n",
			rows, SWEEP_MAX_ROWS);
		return CLI_EXIT_USAGE;
	}
	s->nrows = s->npol * s->npsize * s->ntlb * s->nframes;
	for (size_t i = 0; i < s->nrows; i++) {
		cli_opts_t o;
		sweep_config(s, i, &o);
		if (o.swap_bytes && !o.cfg.swap_slots) {
			fprintf(stderr, "vmlab sweep: --swap %llu is smaller than one page of %u bytes\n",
				(unsigned long long)o.swap_bytes, o.cfg.page_size);
			return CLI_EXIT_USAGE;
		}
		if (vm_config_check(&o.cfg, err, sizeof err)) {
			sweep_describe(s, i, what, sizeof what);
			fprintf(stderr, "vmlab sweep: %s: %s\n", what, err);
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

/* The key names, from a machine of row 0 that runs nothing, so that every
 * shard prints the same CSV header even if it has no rows. */
static int sweep_header(sweep_t *s)
{
	cli_opts_t o;
	char err[512];
	vm_machine_t *vm = NULL;
	sweep_config(s, 0, &o);
	o.cfg.policy = "lru"; /* keys do not depend on the policy; opt needs a future */
	o.cfg.frames = 1;
	int rc = vm_create(&vm, &o.cfg, NULL, err, sizeof err);
	if (!rc)
		rc = report_row_capture(&s->header, vm, &o, "", "");
	vm_destroy(vm);
	if (rc)
		fprintf(stderr, "vmlab sweep: %s\n", rc == VM_ENOMEM ? "out of memory" : err);
	return rc ? (rc == VM_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE) : CLI_EXIT_OK;
}

/* One page size: read the trace, run the shard's rows of that size. */
static int sweep_page_size(sweep_t *s, size_t p)
{
	size_t per_size = s->ntlb * s->nframes, n = 0;
	grid_job_t *jobs = calloc(s->npol * per_size, sizeof *jobs);
	size_t *index = calloc(s->npol * per_size, sizeof *index);
	int status = jobs && index ? CLI_EXIT_OK : CLI_EXIT_FAIL, future = 0;
	for (size_t pol = 0; pol < s->npol && status == CLI_EXIT_OK; pol++)
		for (size_t k = 0; k < per_size; k++) {
			size_t i = (pol * s->npsize + p) * per_size + k;
			if (!sweep_in_shard(s, i))
				continue;
			sweep_config(s, i, &jobs[n].o);
			sweep_describe(s, i, jobs[n].what, sizeof jobs[n].what);
			future |= policy_find(jobs[n].o.cfg.policy)->needs == POLICY_NEEDS_FUTURE;
			index[n++] = i;
		}
	if (status != CLI_EXIT_OK)
		fprintf(stderr, "vmlab sweep: out of memory\n");
	grid_trace_t gt = { 0 };
	if (status == CLI_EXIT_OK && n) {
		cli_opts_t o = jobs[0].o;
		status = grid_load(&gt, &o, 1, "sweep");
		if (status == CLI_EXIT_OK && future)
			status = grid_future(&gt, "sweep");
		if (status == CLI_EXIT_OK)
			status = grid_run(&gt, jobs, n, s->threads, "sweep");
	}
	for (size_t j = 0; j < n; j++) {
		if (status == CLI_EXIT_OK) {
			s->row[index[j]] = jobs[j].row;
			jobs[j].row = (report_row_t){ 0 };
		}
		report_row_free(&jobs[j].row);
	}
	grid_trace_free(&gt);
	free(jobs);
	free(index);
	return status;
}

static void sweep_json(const sweep_t *s)
{
	int any = 0;
	putchar('[');
	for (size_t i = 0; i < s->nrows; i++) {
		if (!sweep_in_shard(s, i))
			continue;
		report_jobj_t j;
		fputs(any++ ? ",\n  " : "\n  ", stdout);
		report_jobj_begin(&j, stdout, "  ");
		report_jobj_emit(&j, "index", &(report_value_t){ .type = REPORT_U64, .u = i });
		for (size_t k = 0; k < s->row[i].n; k++)
			report_jobj_emit(&j, s->row[i].kv[k].key, &s->row[i].kv[k].v);
		report_jobj_end(&j);
	}
	fputs(any ? "\n]\n" : "]\n", stdout);
}

static void sweep_csv(const sweep_t *s)
{
	fputs("index", stdout);
	for (size_t k = 0; k < s->header.n; k++)
		printf(",%s", s->header.kv[k].key);
	putchar('\n');
	for (size_t i = 0; i < s->nrows; i++) {
		if (!sweep_in_shard(s, i))
			continue;
		printf("%zu", i);
		for (size_t k = 0; k < s->row[i].n && k < s->header.n; k++) { /* (not a policy's own keys) */
			putchar(',');
			report_csv_value(stdout, &s->row[i].kv[k].v);
		}
		putchar('\n');
	}
}

static void sweep_table(const sweep_t *s)
{
	printf("%6s %-7s %9s %9s %10s %14s %14s %12s %8s %12s\n", "index", "policy", "page size",
	       "TLB", "frames", "page faults", "major faults", "write-backs", "TLB hit", "access ns");
	for (size_t i = 0; i < s->nrows; i++) {
		if (!sweep_in_shard(s, i))
			continue;
		const report_row_t *r = &s->row[i];
		uint64_t hits = report_row_get(r, "tlb_hits")->u, miss = report_row_get(r, "tlb_misses")->u;
		printf("%6zu %-7s %9llu %9s %10llu %14llu %14llu %12llu %7.2f%% %12.1f\n", i,
		       report_row_get(r, "policy")->s,
		       (unsigned long long)report_row_get(r, "page_size")->u,
		       report_row_get(r, "tlb")->s,
		       (unsigned long long)report_row_get(r, "frames")->u,
		       (unsigned long long)report_row_get(r, "page_faults")->u,
		       (unsigned long long)report_row_get(r, "major_faults")->u,
		       (unsigned long long)report_row_get(r, "dirty_writebacks")->u,
		       hits + miss ? 100.0 * (double)hits / (double)(hits + miss) : 0.0,
		       report_row_get(r, "effective_access_ns")->d);
	}
}

/* --plot: page faults over frames, one line per policy x page size x TLB
 * (the shard's rows; a line with no row in the shard is left out). */
static int sweep_plot(const sweep_t *s)
{
	size_t nlines = s->nrows / s->nframes, nser = 0;
	double *xy = malloc(2 * s->nrows * sizeof *xy);
	plot_series_t *ser = calloc(nlines, sizeof *ser);
	char (*names)[96] = calloc(nlines, sizeof *names);
	char title[512], err[1024];
	int status = CLI_EXIT_OK;
	if (!xy || !ser || !names) {
		fprintf(stderr, "vmlab sweep: out of memory drawing the plot\n");
		status = CLI_EXIT_FAIL;
		goto out;
	}
	const char *trace = "";
	for (size_t line = 0; line < nlines; line++) {
		double *x = xy + 2 * line * s->nframes, *y = x + s->nframes;
		size_t n = 0;
		for (size_t f = 0; f < s->nframes; f++) {
			const report_row_t *r = &s->row[line * s->nframes + f];
			if (!r->n)
				continue;
			x[n] = (double)report_row_get(r, "frames")->u;
			y[n++] = (double)report_row_get(r, "page_faults")->u;
			trace = report_row_get(r, "trace")->s;
		}
		if (!n)
			continue;
		/* the policy alone names a line unless page sizes or TLBs vary */
		cli_opts_t o;
		sweep_config(s, line * s->nframes, &o);
		int at = snprintf(names[nser], sizeof names[nser], "%s", o.cfg.policy);
		if (s->npsize > 1)
			at += snprintf(names[nser] + at, sizeof names[nser] - (size_t)at, ", %u B pages",
				       o.cfg.page_size);
		if (s->ntlb > 1)
			snprintf(names[nser] + at, sizeof names[nser] - (size_t)at, ", TLB %u:%u",
				 o.cfg.tlb_entries, o.cfg.tlb_ways);
		ser[nser] = (plot_series_t){ .name = names[nser], .n = n, .x = x, .y = y };
		nser++;
	}
	snprintf(title, sizeof title, "vmlab sweep: %s", trace);
	plot_t p = { .title = title, .xlabel = "memory (frames, log scale)", .ylabel = "page faults",
		     .logx = 1, .series = ser, .nseries = nser };
	if (plot_write(s->o.plot, &p, err, sizeof err)) {
		fprintf(stderr, "vmlab sweep: %s\n", err);
		status = CLI_EXIT_FAIL;
	}
out:
	free(xy);
	free(ser);
	free(names);
	return status;
}

int cmd_sweep(int argc, char **argv)
{
	sweep_t s = { 0 };
	int status = sweep_options(&s, argc, argv);
	if (status == CLI_EXIT_OK && !(s.row = calloc(s.nrows, sizeof *s.row))) {
		fprintf(stderr, "vmlab sweep: out of memory\n");
		status = CLI_EXIT_FAIL;
	}
	if (status == CLI_EXIT_OK)
		status = sweep_header(&s);
	for (size_t p = 0; p < s.npsize && status == CLI_EXIT_OK; p++)
		status = sweep_page_size(&s, p);
	if (status == CLI_EXIT_OK && s.o.plot)
		status = sweep_plot(&s);
	if (status == CLI_EXIT_OK) {
		if (s.o.json)
			sweep_json(&s);
		else if (s.csv)
			sweep_csv(&s);
		else
			sweep_table(&s);
	}
	for (size_t i = 0; s.row && i < s.nrows; i++)
		report_row_free(&s.row[i]);
	report_row_free(&s.header);
	free(s.row);
	free(s.pol);
	free(s.policies);
	free(s.frames);
	free(s.psize);
	free(s.tlbs);
	free(s.tlb);
	free(s.o.args);
	return status < 0 ? CLI_EXIT_OK : status;
}
