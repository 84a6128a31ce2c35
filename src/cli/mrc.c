/* mrc.c - `vmlab mrc`: page faults over memory sizes (the miss-ratio curve).
 *
 * lru is a stack algorithm: one pass of stack distances gives its faults at
 * every size at once (analysis/stackdist).  Any other policy runs one
 * machine per size on a buffer read once (grid.c).  --sample R keeps the
 * pages SHARDS keeps and simulates each size F at max(1, round(F R)) frames,
 * scaling the faults back by 1/R. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "grid.h"
#include "list.h"
#include "plot.h"
#include "progress.h"
#include "analysis/stackdist.h"
#include "policy/policy.h"
#include "util/vmerr.h"

#define MRC_BATCH 4096

static const char mrc_usage[] =
	"usage: vmlab mrc [OPTIONS] [TRACE]\n"
	"       vmlab mrc [OPTIONS] -- PROGRAM [ARGS...]\n"
	"\n"
	"Page faults of a trace at many memory sizes.  lru (the default policy here)\n"
	"takes one pass of LRU stack distances; any other policy runs one machine per\n"
	"size, in threads, on the trace read once.  Every point equals `vmlab run`\n"
	"with the same options and --frames.  With -- PROGRAM, the program's trace\n"
	"is recorded under Valgrind lackey as it runs.\n"
	"\n"
	"Here --policy defaults to lru, --frames to every power of two up to the\n"
	"distinct pages and the distinct pages, -j serves a policy other than lru,\n"
	"and --plot draws page faults over frames (log scale) with the knee marked.";

/* Frames above this are meaningless to every machine (frames is 32 bits). */
#define MRC_MAX_FRAMES (1ull << 32)

typedef struct mrc_point {
	uint64_t frames;          /* the size asked for */
	uint64_t sim_frames;      /* simulated (sampling scales it) */
	uint64_t page_faults;     /* at frames (scaled back when sampling) */
	report_row_t row;         /* every key of run --json, for exact simulations */
} mrc_point_t;

typedef struct mrc {
	cli_opts_t o;
	double sample;            /* 1: every page */
	double max_rate;
	int csv, exact_lru, simulated;  /* simulated: points carry run's keys */
	unsigned threads;
	uint64_t *frames;         /* the sizes, ascending; NULL: the default */
	size_t nframes;
	mrc_point_t *pt;
	uint64_t references, distinct;
	char *trace_name, *format;
	int have_needed;
	uint64_t needed;          /* frames_needed */
	size_t knee;              /* index into pt */
	stackdist_t *sd;          /* lru's curve */
} mrc_t;

static uint64_t mrc_scale_frames(const mrc_t *m, uint64_t f)
{
	if (m->sample >= 1)
		return f;
	uint64_t s = (uint64_t)llround((double)f * m->sample);
	return s ? s : 1;
}

static uint64_t mrc_scale_faults(const mrc_t *m, uint64_t faults)
{
	return m->sample >= 1 ? faults : (uint64_t)llround((double)faults / m->sample);
}

static double mrc_ratio(uint64_t faults, uint64_t refs)
{
	return refs ? (double)faults / (double)refs : 0.0;
}

/* The default sizes: powers of two up to the first >= distinct, and distinct. */
static int mrc_default_frames(mrc_t *m)
{
	size_t n = 0;
	m->frames = malloc(66 * sizeof *m->frames);
	if (!m->frames) {
		fprintf(stderr, "vmlab mrc: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	for (uint64_t p = 1;; p *= 2) {
		m->frames[n++] = p;
		if (p >= m->distinct)
			break;
	}
	if (m->distinct && m->frames[n - 1] != m->distinct) {
		m->frames[n] = m->frames[n - 1];
		m->frames[n++ - 1] = m->distinct;
	}
	m->nframes = n;
	return CLI_EXIT_OK;
}

/* One access's page references into the stack-distance pass. */
typedef struct mrc_feed {
	mrc_t *m;
	uint32_t pid;
	grid_sampler_t sampler;
} mrc_feed_t;

static int mrc_ref_all(void *arg, uint64_t vpn, int kind)
{
	mrc_feed_t *f = arg;
	f->m->references++;
	return stackdist_ref(f->m->sd, f->pid, vpn, NULL);
}

static int mrc_ref_sampled(void *arg, uint64_t vpn, int kind)
{
	mrc_feed_t *f = arg;
	f->m->references++;
	return grid_sampler_keep(&f->sampler, f->pid, vpn) ? stackdist_ref(f->m->sd, f->pid, vpn, NULL)
							     : VM_OK;
}

/* lru: stream the trace through the stack-distance pass; memory stays
 * proportional to the distinct pages. */
static int mrc_lru_pass(mrc_t *m)
{
	cli_trace_t src;
	unsigned shift = grid_page_shift(m->o.cfg.page_size);
	trace_opts_t topts = { .format = m->o.format, .page_shift = shift, .va_bits = m->o.cfg.va_bits };
	int status = cli_trace_open(&src, "mrc", &m->o, &topts);
	if (status)
		return status;
	trace_reader_t *tr = src.tr;
	trace_access_t *buf = malloc(MRC_BATCH * sizeof *buf);
	status = buf && !stackdist_create(&m->sd) ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	mrc_feed_t *feed = malloc(sizeof *feed);
	if (!feed)
		status = CLI_EXIT_FAIL;
	else {
		feed->m = m;
		grid_sampler_init(&feed->sampler, m->sample);
	}
	long n = 0;
	int rc = VM_OK;
	progress_t prog;
	progress_start(&prog, "mrc", tr, m->o.quiet);
	while (status == CLI_EXIT_OK && !rc && (n = trace_read(tr, buf, MRC_BATCH)) > 0) {
		progress_update(&prog, m->references);
		for (long i = 0; i < n && !rc; i++) {
			unsigned dropped = grid_sampler_drop(&feed->sampler, &buf[i], shift);
			if (dropped) {
				m->references += dropped;
				continue;
			}
			feed->pid = buf[i].pid;
			rc = m->sample >= 1
				? vm_split_access(shift, buf[i].va, buf[i].size, buf[i].kind, mrc_ref_all, feed)
				: vm_split_access(shift, buf[i].va, buf[i].size, buf[i].kind, mrc_ref_sampled, feed);
		}
	}
	if (status != CLI_EXIT_OK || rc) {
		fprintf(stderr, "vmlab mrc: %s\n", rc == VM_ERANGE ? "more distinct pages than the stack-distance pass holds (2^30)"
							       : "out of memory");
		status = CLI_EXIT_FAIL;
	} else if (n < 0) {
		fprintf(stderr, "%s\n", trace_error(tr));
		status = CLI_EXIT_USAGE;
	} else if (!(m->trace_name = strdup(src.name)) ||
		   !(m->format = strdup(trace_format_name(trace_format(tr))))) {
		fprintf(stderr, "vmlab mrc: out of memory\n");
		status = CLI_EXIT_FAIL;
	}
	progress_end(&prog);
	free(buf);
	free(feed);
	status = cli_trace_finish(&src, "mrc", m->references, status);
	cli_trace_close(&src);
	if (status == CLI_EXIT_OK) {
		stackdist_finish(m->sd);
		m->distinct = mrc_scale_faults(m, stackdist_distinct(m->sd));
	}
	return status;
}

/* lru's faults at size f, from the curve. */
static uint64_t mrc_lru_faults(const mrc_t *m, uint64_t f)
{
	return mrc_scale_faults(m, stackdist_faults(m->sd, mrc_scale_frames(m, f)));
}

static int mrc_lru_points(mrc_t *m)
{
	for (size_t i = 0; i < m->nframes; i++) {
		m->pt[i].frames = m->frames[i];
		m->pt[i].sim_frames = mrc_scale_frames(m, m->frames[i]);
		m->pt[i].page_faults = mrc_lru_faults(m, m->frames[i]);
	}
	/* LRU is a stack algorithm: every size from 1 to distinct_pages counts. */
	for (uint64_t f = 1; f <= m->distinct && !m->have_needed; f++)
		if (mrc_ratio(mrc_lru_faults(m, f), m->references) <= m->max_rate) {
			m->have_needed = 1;
			m->needed = f;
		}
	return CLI_EXIT_OK;
}

/* Any other policy: one machine per size, on the trace read once. */
static int mrc_simulate(mrc_t *m, grid_trace_t *gt)
{
	const policy_ops_t *pol = policy_find(m->o.cfg.policy);
	int status = grid_load(gt, &m->o, m->sample, "mrc");
	if (status)
		return status;
	m->references = gt->references;
	m->distinct = mrc_scale_faults(m, gt->distinct);
	if (!(m->trace_name = strdup(gt->name)) || !(m->format = strdup(gt->format))) {
		fprintf(stderr, "vmlab mrc: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	if (!m->frames && (status = mrc_default_frames(m)))
		return status;
	grid_job_t *jobs = calloc(m->nframes, sizeof *jobs);
	m->pt = calloc(m->nframes, sizeof *m->pt);
	if (!jobs || !m->pt) {
		free(jobs);
		fprintf(stderr, "vmlab mrc: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	char err[512];
	for (size_t i = 0; i < m->nframes && status == CLI_EXIT_OK; i++) {
		uint64_t sim = mrc_scale_frames(m, m->frames[i]);
		jobs[i].o = m->o;
		jobs[i].o.cfg.frames = sim < UINT32_MAX ? (uint32_t)sim : UINT32_MAX;
		snprintf(jobs[i].what, sizeof jobs[i].what, "--frames %llu", (unsigned long long)m->frames[i]);
		if (vm_config_check(&jobs[i].o.cfg, err, sizeof err)) {
			fprintf(stderr, "vmlab mrc: %s: %s\n", jobs[i].what, err);
			status = CLI_EXIT_USAGE;
		}
	}
	if (status == CLI_EXIT_OK && pol->needs == POLICY_NEEDS_FUTURE)
		status = grid_future(gt, "mrc");
	if (status == CLI_EXIT_OK)
		status = grid_run(gt, jobs, m->nframes, m->threads, "mrc");
	for (size_t i = 0; i < m->nframes && status == CLI_EXIT_OK; i++) {
		m->pt[i].frames = m->frames[i];
		m->pt[i].sim_frames = jobs[i].o.cfg.frames;
		m->pt[i].page_faults = mrc_scale_faults(m, report_row_get(&jobs[i].row, "page_faults")->u);
		if (m->simulated) {
			m->pt[i].row = jobs[i].row;
			jobs[i].row = (report_row_t){ 0 };
		}
		if (!m->have_needed && mrc_ratio(m->pt[i].page_faults, m->references) <= m->max_rate) {
			m->have_needed = 1;
			m->needed = m->frames[i];
		}
	}
	for (size_t i = 0; i < m->nframes; i++)
		report_row_free(&jobs[i].row);
	free(jobs);
	return status;
}

static void mrc_knee(mrc_t *m)
{
	uint64_t *f = malloc(m->nframes * sizeof *f), *y = malloc(m->nframes * sizeof *y);
	m->knee = 0;
	if (f && y) {
		for (size_t i = 0; i < m->nframes; i++) {
			f[i] = m->pt[i].frames;
			y[i] = m->pt[i].page_faults;
		}
		m->knee = stackdist_knee(f, y, m->nframes);
	}
	free(f);
	free(y);
}

/* A point's keys, in the order JSON and CSV list them. */
static void mrc_point_keys(const mrc_t *m, const mrc_point_t *p, report_emit_fn *emit, void *arg)
{
	report_value_t ratio = { .type = REPORT_NUM, .d = mrc_ratio(p->page_faults, m->references) };
	if (m->simulated) {
		for (size_t k = 0; k < p->row.n; k++)
			emit(arg, p->row.kv[k].key, &p->row.kv[k].v);
		emit(arg, "miss_ratio", &ratio);
		return;
	}
	emit(arg, "frames", &(report_value_t){ .type = REPORT_U64, .u = p->frames });
	if (m->sample < 1)
		emit(arg, "sim_frames", &(report_value_t){ .type = REPORT_U64, .u = p->sim_frames });
	emit(arg, "page_faults", &(report_value_t){ .type = REPORT_U64, .u = p->page_faults });
	emit(arg, "miss_ratio", &ratio);
}

static void mrc_json(const mrc_t *m)
{
	report_jobj_t j;
	report_value_t null = { .type = REPORT_NULL };
	report_jobj_begin(&j, stdout, "");
#define MRC_KEY(k, ...) report_jobj_emit(&j, k, &(report_value_t){ __VA_ARGS__ })
	MRC_KEY("trace", .type = REPORT_STR, .s = m->trace_name);
	MRC_KEY("format", .type = REPORT_STR, .s = m->format);
	MRC_KEY("policy", .type = REPORT_STR, .s = m->o.cfg.policy);
	MRC_KEY("page_size", .type = REPORT_U64, .u = m->o.cfg.page_size);
	if (m->sample < 1)
		MRC_KEY("sample", .type = REPORT_NUM, .d = m->sample);
	else
		report_jobj_emit(&j, "sample", &null);
	MRC_KEY("max_fault_rate", .type = REPORT_NUM, .d = m->max_rate);
	MRC_KEY("references", .type = REPORT_U64, .u = m->references);
	MRC_KEY("distinct_pages", .type = REPORT_U64, .u = m->distinct);
	report_jobj_key(&j, "points");
	fputc('[', stdout);
	for (size_t i = 0; i < m->nframes; i++) {
		report_jobj_t p;
		fputs(i ? ",\n    " : "\n    ", stdout);
		report_jobj_begin(&p, stdout, "    ");
		mrc_point_keys(m, &m->pt[i], report_jobj_emit, &p);
		report_jobj_end(&p);
	}
	fputs("\n  ]", stdout);
	MRC_KEY("knee_frames", .type = REPORT_U64, .u = m->pt[m->knee].frames);
	if (m->have_needed)
		MRC_KEY("frames_needed", .type = REPORT_U64, .u = m->needed);
	else
		report_jobj_emit(&j, "frames_needed", &null);
#undef MRC_KEY
	report_jobj_end(&j);
	putchar('\n');
}

/* CSV: the header from the first point's keys, then a row a point. */
static void mrc_csv(const mrc_t *m)
{
	for (size_t i = 0; i < m->nframes; i++) {
		if (i == 0) {
			report_csv_row_t h = { .header = 1 };
			mrc_point_keys(m, &m->pt[0], report_csv_emit, &h);
			putchar('\n');
		}
		report_csv_row_t c = { 0 };
		mrc_point_keys(m, &m->pt[i], report_csv_emit, &c);
		putchar('\n');
	}
}

static void mrc_table(const mrc_t *m)
{
	printf("vmlab mrc: %s (%s), policy %s, ", m->trace_name, m->format, m->o.cfg.policy);
	if (m->sample < 1)
		printf("SHARDS sample %g of the pages (estimates)\n", m->sample);
	else
		printf("%s\n", m->exact_lru ? "exact (one pass of LRU stack distances)"
					    : "exact (one machine per size)");
	printf("%llu references, %llu distinct pages%s\n\n", (unsigned long long)m->references,
	       (unsigned long long)m->distinct, m->sample < 1 ? " (estimated)" : "");
	printf("%12s %14s %10s", "frames", "page faults", "miss ratio");
	if (m->simulated)
		printf(" %14s %14s %14s", "major faults", "write-backs", "access ns");
	putchar('\n');
	for (size_t i = 0; i < m->nframes; i++) {
		const mrc_point_t *p = &m->pt[i];
		printf("%12llu %14llu %10.6f", (unsigned long long)p->frames,
		       (unsigned long long)p->page_faults, mrc_ratio(p->page_faults, m->references));
		if (m->simulated)
			printf(" %14llu %14llu %14.1f",
			       (unsigned long long)report_row_get(&p->row, "major_faults")->u,
			       (unsigned long long)report_row_get(&p->row, "dirty_writebacks")->u,
			       report_row_get(&p->row, "effective_access_ns")->d);
		putchar('\n');
	}
	printf("\nknee: %llu frames\n", (unsigned long long)m->pt[m->knee].frames);
	printf("frames needed for a fault rate <= %g: ", m->max_rate);
	if (m->have_needed)
		printf("%llu\n", (unsigned long long)m->needed);
	else
		printf("none%s\n", m->exact_lru ? "" : " of the sizes listed");
}

/* --plot: page faults over frames on a log axis, one line (the policy),
 * the knee marked. */
static int mrc_plot(const mrc_t *m)
{
	double *xy = malloc(2 * m->nframes * sizeof *xy);
	char title[512], name[128], knee[64], err[1024];
	if (!xy) {
		fprintf(stderr, "vmlab mrc: out of memory drawing the plot\n");
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < m->nframes; i++) {
		xy[i] = (double)m->pt[i].frames;
		xy[m->nframes + i] = (double)m->pt[i].page_faults;
	}
	snprintf(title, sizeof title, "vmlab mrc: %s, %llu references", m->trace_name,
		 (unsigned long long)m->references);
	snprintf(name, sizeof name, "%s%s", m->o.cfg.policy,
		 m->sample < 1 ? " (SHARDS estimate)" : "");
	snprintf(knee, sizeof knee, "knee: %llu frames", (unsigned long long)m->pt[m->knee].frames);
	plot_series_t ser = { .name = name, .n = m->nframes, .x = xy, .y = xy + m->nframes };
	plot_mark_t mark = { .x = xy[m->knee], .y = xy[m->nframes + m->knee], .label = knee };
	plot_t p = { .title = title, .xlabel = "memory (frames, log scale)",
		     .ylabel = "page faults", .logx = 1, .series = &ser, .nseries = 1, .mark = &mark };
	int rc = plot_write(m->o.plot, &p, err, sizeof err);
	free(xy);
	if (rc)
		fprintf(stderr, "vmlab mrc: %s\n", err);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int mrc_print(const mrc_t *m)
{
	if (m->o.plot) {
		int status = mrc_plot(m);
		if (status)
			return status;
	}
	if (m->o.json)
		mrc_json(m);
	else if (m->csv)
		mrc_csv(m);
	else
		mrc_table(m);
	return CLI_EXIT_OK;
}

/* The options (one table, opts.c), checked as far as they can be before
 * the trace is read. */
static int mrc_options(mrc_t *m, int argc, char **argv)
{
	int status = cli_parse(&m->o, argc, argv,
			       CLI_GEOMETRY | CLI_MACHINE | CLI_TRACE | CLI_LIMITS | CLI_FRAMES_LIST |
			       CLI_ANALYSIS | CLI_MRC | CLI_GRID | CLI_PROGRESS, mrc_usage);
	if (status)
		return status;
	if (!cli_given(&m->o, "policy"))
		m->o.cfg.policy = "lru";
	m->exact_lru = !strcmp(m->o.cfg.policy, "lru");
	m->sample = m->o.sample > 0 ? m->o.sample : 1;
	m->max_rate = m->o.max_fault_rate;
	m->csv = m->o.csv;
	m->threads = m->o.threads;
	const char *frames = m->o.frames_list;
	m->simulated = !m->exact_lru && m->sample >= 1;
	char err[512];
	if (frames && list_parse_u64(frames, MRC_MAX_FRAMES, 0, &m->frames, &m->nframes, err, sizeof err)) {
		fprintf(stderr, "vmlab mrc: --frames: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (m->o.dashdash < 0 && m->o.nargs > 1) {
		fprintf(stderr, "vmlab mrc: one trace at a time ('%s' is extra)\n", m->o.args[1]);
		return CLI_EXIT_USAGE;
	}
	int rc = m->o.plot ? plot_check(m->o.plot, err, sizeof err) : VM_OK;
	if (rc) {
		fprintf(stderr, "vmlab mrc: --plot: %s\n", err);
		return rc == VM_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	if (m->o.swap_bytes) {
		m->o.cfg.swap_slots = m->o.swap_bytes / m->o.cfg.page_size;
		if (!m->o.cfg.swap_slots) {
			fprintf(stderr, "vmlab mrc: --swap %llu is smaller than one page\n",
				(unsigned long long)m->o.swap_bytes);
			return CLI_EXIT_USAGE;
		}
	}
	if (vm_config_check(&m->o.cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab mrc: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* lru: the curve from one pass, then the points read off it. */
static int mrc_lru(mrc_t *m)
{
	int status = mrc_lru_pass(m);
	if (status == CLI_EXIT_OK && !m->frames)
		status = mrc_default_frames(m);
	if (status == CLI_EXIT_OK && !(m->pt = calloc(m->nframes, sizeof *m->pt))) {
		fprintf(stderr, "vmlab mrc: out of memory\n");
		status = CLI_EXIT_FAIL;
	}
	return status == CLI_EXIT_OK ? mrc_lru_points(m) : status;
}

int cmd_mrc(int argc, char **argv)
{
	mrc_t m = { 0 };
	grid_trace_t gt = { 0 };
	int status = mrc_options(&m, argc, argv);
	if (status == CLI_EXIT_OK) {
		status = m.exact_lru ? mrc_lru(&m) : mrc_simulate(&m, &gt);
		if (status == CLI_EXIT_OK) {
			mrc_knee(&m);
			status = mrc_print(&m);
		}
	}
	for (size_t i = 0; m.pt && i < m.nframes; i++)
		report_row_free(&m.pt[i].row);
	free(m.pt);
	free(m.frames);
	free(m.trace_name);
	free(m.format);
	stackdist_destroy(m.sd);
	grid_trace_free(&gt);
	free(m.o.args);
	return status < 0 ? CLI_EXIT_OK : status; /* < 0: --help */
}
