/* wss.c - `vmlab wss`: Denning's working set of a trace, for many window
 * sizes at once, and its time series. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "list.h"
#include "plot.h"
#include "progress.h"
#include "analysis/wss.h"
#include "util/num.h"
#include "util/vmerr.h"

#define WSS_BATCH 4096

static const char wss_usage[] =
	"usage: vmlab wss [OPTIONS] [TRACE]\n"
	"       vmlab wss [OPTIONS] -- PROGRAM [ARGS...]\n"
	"\n"
	"Denning's working set W(t, tau): the distinct pages (pid, VPN) among the\n"
	"last tau page references.  For each tau: avg_wss (mean |W(t, tau)| over\n"
	"all t), ws_faults (references whose page is not among the tau before them,\n"
	"first references included) and peak_wss (max |W(t, tau)|).  With\n"
	"-- PROGRAM, the program's trace is recorded under Valgrind lackey as it runs.\n"
	"\n"
	"--csv prints tau,avg_wss,ws_faults,peak_wss, or with --every the time series:\n"
	"t and one column per tau.  --plot draws avg_wss over tau (or, with --every,\n"
	"the time series).";

/* Where vm_split_access sends one access's page references. */
typedef struct wss_target {
	wss_t *w;
	uint32_t pid;
} wss_target_t;

static int wss_add(void *arg, uint64_t vpn, int kind)
{
	wss_target_t *t = arg;
	return wss_ref(t->w, t->pid, vpn);
}

static unsigned wss_log2(unsigned x)
{
	unsigned s = 0;
	while ((1u << s) < x)
		s++;
	return s;
}

/* Feed the whole trace, split into page references as `run` splits it. */
static int wss_feed(wss_t *w, trace_reader_t *tr, unsigned page_shift, progress_t *prog)
{
	static trace_access_t buf[WSS_BATCH];
	long n;
	while ((n = trace_read(tr, buf, WSS_BATCH)) > 0) {
		progress_update(prog, wss_references(w));
		for (long i = 0; i < n; i++) {
			wss_target_t t = { .w = w, .pid = buf[i].pid };
			int rc = vm_split_access(page_shift, buf[i].va, buf[i].size, buf[i].kind, wss_add, &t);
			if (rc == VM_ERANGE) {
				fprintf(stderr, "vmlab wss: more than %u distinct pages\n", UINT32_MAX - 1);
				return CLI_EXIT_FAIL;
			}
			if (rc) {
				fprintf(stderr, "vmlab wss: out of memory after %llu references\n",
					(unsigned long long)wss_references(w));
				return CLI_EXIT_FAIL;
			}
		}
	}
	if (n < 0) {
		fprintf(stderr, "%s\n", trace_error(tr));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* n with thousands separators into buf. */
static const char *wss_group3(char *buf, size_t len, uint64_t n)
{
	char raw[32];
	int digits = snprintf(raw, sizeof raw, "%llu", (unsigned long long)n);
	size_t at = 0;
	for (int i = 0; i < digits && at + 2 < len; i++) {
		if (i && (digits - i) % 3 == 0)
			buf[at++] = ',';
		buf[at++] = raw[i];
	}
	buf[at] = 0;
	return buf;
}

static void wss_print_text(const wss_t *w, const char *name, const char *format,
			   unsigned page_size, uint64_t every)
{
	size_t np;
	const wss_point_t *pt = wss_points(w, &np);
	uint64_t n = wss_references(w);
	char a[32], b[32], c[32];
	printf("vmlab wss: %s (%s)\n", name, format);
	printf("%s references, %s distinct pages of %u B\n\n", wss_group3(a, sizeof a, n),
	       wss_group3(b, sizeof b, wss_distinct_pages(w)), page_size);
	printf("  %15s %12s %15s %9s %9s\n", "tau", "avg wss", "ws faults", "of refs", "peak wss");
	for (size_t i = 0; i < np; i++)
		printf("  %15s %12.3f %15s %8.4f%% %9s\n", wss_group3(a, sizeof a, pt[i].tau),
		       pt[i].avg_wss, wss_group3(b, sizeof b, pt[i].ws_faults),
		       n ? 100.0 * (double)pt[i].ws_faults / (double)n : 0.0,
		       wss_group3(c, sizeof c, pt[i].peak_wss));
	if (!every)
		return;
	printf("\n|W(t, tau)| every %s references:\n  %15s", wss_group3(a, sizeof a, every), "t");
	for (size_t i = 0; i < np; i++) {
		char head[40];
		snprintf(head, sizeof head, "tau=%llu", (unsigned long long)pt[i].tau);
		printf(" %12s", head);
	}
	printf("\n");
	for (size_t r = 0; r < wss_series_rows(w); r++) {
		printf("  %15s", wss_group3(a, sizeof a, (r + 1) * every));
		for (size_t i = 0; i < np; i++)
			printf(" %12llu", (unsigned long long)wss_series_at(w, r, i));
		printf("\n");
	}
}

static void wss_print_csv(const wss_t *w, uint64_t every)
{
	size_t np;
	const wss_point_t *pt = wss_points(w, &np);
	if (!every) {
		printf("tau,avg_wss,ws_faults,peak_wss\n");
		for (size_t i = 0; i < np; i++)
			printf("%llu,%.17g,%llu,%llu\n", (unsigned long long)pt[i].tau, pt[i].avg_wss,
			       (unsigned long long)pt[i].ws_faults, (unsigned long long)pt[i].peak_wss);
		return;
	}
	printf("t");
	for (size_t i = 0; i < np; i++)
		printf(",%llu", (unsigned long long)pt[i].tau);
	printf("\n");
	for (size_t r = 0; r < wss_series_rows(w); r++) {
		printf("%llu", (unsigned long long)((r + 1) * every));
		for (size_t i = 0; i < np; i++)
			printf(",%llu", (unsigned long long)wss_series_at(w, r, i));
		printf("\n");
	}
}

/* s as a JSON string. */
static void wss_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void wss_print_json(const wss_t *w, const char *name, const char *format,
			   unsigned page_size, uint64_t every)
{
	size_t np;
	const wss_point_t *pt = wss_points(w, &np);
	printf("{\n  \"trace\": ");
	wss_json_string(name);
	printf(",\n  \"format\": ");
	wss_json_string(format);
	printf(",\n  \"page_size\": %u", page_size);
	if (every)
		printf(",\n  \"every\": %llu", (unsigned long long)every);
	printf(",\n  \"references\": %llu", (unsigned long long)wss_references(w));
	printf(",\n  \"distinct_pages\": %llu", (unsigned long long)wss_distinct_pages(w));
	printf(",\n  \"points\": [");
	for (size_t i = 0; i < np; i++)
		printf("%s\n    {\"tau\": %llu, \"avg_wss\": %.17g, \"ws_faults\": %llu, \"peak_wss\": %llu}",
		       i ? "," : "", (unsigned long long)pt[i].tau, pt[i].avg_wss,
		       (unsigned long long)pt[i].ws_faults, (unsigned long long)pt[i].peak_wss);
	printf("%s]", np ? "\n  " : "");
	if (every) {
		size_t rows = wss_series_rows(w);
		printf(",\n  \"series\": [");
		for (size_t r = 0; r < rows; r++) {
			printf("%s\n    {\"t\": %llu, \"wss\": {", r ? "," : "",
			       (unsigned long long)((r + 1) * every));
			for (size_t i = 0; i < np; i++)
				printf("%s\"%llu\": %llu", i ? ", " : "", (unsigned long long)pt[i].tau,
				       (unsigned long long)wss_series_at(w, r, i));
			printf("}}");
		}
		printf("%s]", rows ? "\n  " : "");
	}
	printf("\n}\n");
}

/* Draw avg_wss over tau, or with a time series one line per tau. */
static int wss_plot(const wss_t *w, const char *file, const char *name, uint64_t every)
{
	size_t np, rows = wss_series_rows(w);
	const wss_point_t *pt = wss_points(w, &np);
	size_t nser = every ? np : 1, npts = every ? rows : np;
	double *xy = malloc((npts ? npts : 1) * (nser + 1) * sizeof *xy);
	plot_series_t *ser = calloc(nser ? nser : 1, sizeof *ser);
	char (*names)[48] = calloc(nser ? nser : 1, sizeof *names);
	char title[512], err[1024];
	int rc = VM_ENOMEM;
	if (!xy || !ser || !names)
		goto out;
	snprintf(title, sizeof title, "vmlab wss: %s", name);
	plot_t p = { .title = title, .series = ser, .nseries = nser };
	if (every) {
		p.xlabel = "time t (references)";
		p.ylabel = "working-set size |W(t, τ)| (pages)";
		for (size_t r = 0; r < rows; r++)
			xy[r] = (double)((r + 1) * every);
		for (size_t i = 0; i < np; i++) {
			double *y = xy + (i + 1) * rows;
			for (size_t r = 0; r < rows; r++)
				y[r] = (double)wss_series_at(w, r, i);
			snprintf(names[i], sizeof names[i], "τ = %llu", (unsigned long long)pt[i].tau);
			ser[i] = (plot_series_t){ .name = names[i], .n = rows, .x = xy, .y = y };
		}
	} else {
		p.xlabel = "window τ (references, log scale)";
		p.ylabel = "average working-set size (pages)";
		p.logx = 1;
		for (size_t i = 0; i < np; i++) {
			xy[i] = (double)pt[i].tau;
			xy[np + i] = pt[i].avg_wss;
		}
		ser[0] = (plot_series_t){ .name = "avg_wss", .n = np, .x = xy, .y = xy + np };
	}
	rc = plot_write(file, &p, err, sizeof err);
	if (rc)
		fprintf(stderr, "vmlab wss: %s\n", err);
out:
	if (rc == VM_ENOMEM)
		fprintf(stderr, "vmlab wss: out of memory drawing the plot\n");
	free(xy);
	free(ser);
	free(names);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Check wss's own options; the LIST and the plot's name before any input. */
static int wss_check_args(const cli_opts_t *o, uint64_t **taus, size_t *ntau)
{
	char err[512];
	if (o->csv && o->json) {
		fprintf(stderr, "vmlab wss: --csv and --json exclude each other\n");
		return CLI_EXIT_USAGE;
	}
	if (o->tau_list && list_parse_u64(o->tau_list, 1ull << 32, 0, taus, ntau, err, sizeof err)) {
		fprintf(stderr, "vmlab wss: --tau: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	int rc = o->plot ? plot_check(o->plot, err, sizeof err) : VM_OK;
	if (rc) {
		fprintf(stderr, "vmlab wss: --plot: %s\n", err);
		return rc == VM_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	if (vm_config_check(&o->cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab wss: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int cmd_wss(int argc, char **argv)
{
	cli_opts_t o = { 0 };
	uint64_t *taus = NULL;
	size_t ntau = 0;
	wss_t *w = NULL;
	cli_trace_t src = { 0 };
	char *name = NULL;
	int status = cli_parse(&o, argc, argv, CLI_GEOMETRY | CLI_TRACE | CLI_ANALYSIS | CLI_WSS |
			       CLI_PROGRESS, wss_usage);
	if (status) {
		free(o.args);
		return status < 0 ? CLI_EXIT_OK : status;
	}
	if (o.dashdash < 0 && o.nargs > 1) {
		fprintf(stderr, "vmlab wss: one trace at a time ('%s' is extra)\n", o.args[1]);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	uint64_t every = o.every;
	status = wss_check_args(&o, &taus, &ntau);
	if (status)
		goto out;
	unsigned shift = wss_log2(o.cfg.page_size);
	trace_opts_t topts = { .format = o.format, .page_shift = shift, .va_bits = o.cfg.va_bits };
	status = cli_trace_open(&src, "wss", &o, &topts);
	if (status)
		goto out;
	if (wss_create(&w, taus, ntau, every)) {
		fprintf(stderr, "vmlab wss: out of memory\n");
		status = CLI_EXIT_FAIL;
		goto out;
	}
	progress_t prog;
	progress_start(&prog, "wss", src.tr, o.quiet);
	status = wss_feed(w, src.tr, shift, &prog);
	progress_end(&prog);
	const char *format = trace_format_name(trace_format(src.tr));
	if (!(name = strdup(src.name))) {
		fprintf(stderr, "vmlab wss: out of memory\n");
		status = CLI_EXIT_FAIL;
	}
	status = cli_trace_finish(&src, "wss", wss_references(w), status);
	if (status)
		goto out;
	wss_finish(w);
	if (o.plot && (status = wss_plot(w, o.plot, name, every)))
		goto out;
	if (o.json)
		wss_print_json(w, name, format, o.cfg.page_size, every);
	else if (o.csv)
		wss_print_csv(w, every);
	else
		wss_print_text(w, name, format, o.cfg.page_size, every);
out:
	cli_trace_close(&src);
	wss_destroy(w);
	free(name);
	free(taus);
	free(o.args);
	return status;
}
