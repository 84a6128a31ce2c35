/* thrash.c - `vmlab thrash`: 1, 2, ..., K copies of a trace as processes
 * on one machine, and what the machine got done at each degree of
 * multiprogramming (Denning's thrashing curve). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"
#include "script/tracetask.h"
#include "util/vmerr.h"
#include "vmlab_sched.h"
#include "vmlab_sys.h"

#define THRASH_DEFAULT_MAX 8

static const char thrash_usage[] =
	"usage: vmlab thrash [OPTIONS] TRACE\n"
	"\n"
	"Run 1, 2, ..., --max K (default 8) copies of TRACE as separate processes on\n"
	"one machine and print, for each number of processes, the CPU utilization,\n"
	"the elapsed simulated time, the page faults and the disk utilization:\n"
	"Denning's curve, utilization held while the working sets fit and\n"
	"collapsing past the point where they do not.  The machine is script\n"
	"mode's, scheduled as `spawn P trace TRACE` and `run` schedule it (its\n"
	"watermarks, --swap 64M, --quantum, --lat-major for the disk queue).\n"
	"--load-control pff or ws suspends processes to hold utilization up.\n"
	"--csv prints processes,cpu_utilization,elapsed_ns,page_faults,\n"
	"disk_utilization; --plot FILE draws both utilizations over the processes.";

/* What one degree of multiprogramming gave. */
typedef struct thrash_point {
	uint64_t processes;
	uint64_t elapsed_ns, cpu_ns, disk_ns, disk_requests;
	uint64_t page_faults, minor_faults, major_faults;
	uint64_t suspensions, resumptions;
} thrash_point_t;

static double thrash_ratio(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

/* The counters of a finished run into *pt. */
static void thrash_collect(vm_machine_t *vm, vm_sched_t *s, thrash_point_t *pt)
{
	const vm_sched_stats_t *st = vm_sched_stats(s);
	const vm_stats_t *vs = vm_stats(vm);
	const vm_sys_stats_t *ks = vm_sys_stats(vm);
	pt->elapsed_ns = st->elapsed_ns;
	pt->cpu_ns = st->cpu_ns;
	pt->disk_ns = st->disk_ns;
	pt->disk_requests = st->disk_requests;
	pt->page_faults = vs->page_faults;
	pt->minor_faults = vs->minor_faults;
	pt->major_faults = vs->major_faults;
	pt->suspensions = ks->suspensions;
	pt->resumptions = ks->resumptions;
}

/* k copies of path as processes 1..k on a new machine, run to the end, into
 * *pt.  Exit status; a message printed on failure. */
static int thrash_one(const cli_opts_t *o, const char *path, uint64_t k, thrash_point_t *pt,
		      trace_format_t *fmt)
{
	char err[1024];
	vm_machine_t *vm = NULL;
	vm_sched_t *s = NULL;
	tt_task_t **tasks = calloc(k, sizeof *tasks);
	int status = CLI_EXIT_OK, rc = tasks ? vm_create(&vm, &o->cfg, NULL, err, sizeof err) : VM_ENOMEM;
	if (rc) {
		fprintf(stderr, "vmlab thrash: %s\n", tasks ? err : "out of memory");
		status = rc == VM_EINVAL || rc == VM_ENOENT || rc == VM_ENOTSUP ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
		goto out;
	}
	if ((rc = vm_sched_create(&s, vm, o->quantum))) {
		fprintf(stderr, "vmlab thrash: out of memory\n");
		status = CLI_EXIT_FAIL;
		goto out;
	}
	const vm_config_t *cfg = vm_config(vm);
	for (uint64_t i = 0; i < k; i++) {
		uint32_t pid = (uint32_t)i + 1;
		rc = tt_open(&tasks[i], path, o->format, tt_page_shift(cfg), cfg->va_bits, err, sizeof err);
		if (rc) {
			fprintf(stderr, "vmlab thrash: %s\n", err);
			status = rc == VM_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
			goto out;
		}
		if ((rc = tt_spawn(vm, pid)) || (rc = vm_sched_add(s, pid, tt_next, tasks[i]))) {
			fprintf(stderr, "vmlab thrash: process %u: %s\n", pid, vm_strerror(rc));
			status = CLI_EXIT_FAIL;
			goto out;
		}
	}
	rc = vm_sched_run(s, 0);
	*fmt = trace_format(tasks[0]->r); /* (auto is known once read) */
	if (rc) {
		for (uint64_t i = 0; i < k; i++)
			if (*tt_error(tasks[i])) {
				fprintf(stderr, "vmlab thrash: %s\n", tt_error(tasks[i]));
				status = CLI_EXIT_USAGE;
				goto out;
			}
		char why[512];
		if (rc != VM_ELIMIT || vm_limit_message(vm, why, sizeof why))
			snprintf(why, sizeof why, "%s", vm_strerror(rc));
		fprintf(stderr, "vmlab thrash: %llu processes: %s\n", (unsigned long long)k, why);
		status = CLI_EXIT_FAIL;
		goto out;
	}
	pt->processes = k;
	thrash_collect(vm, s, pt);
out:
	vm_sched_destroy(s);
	for (uint64_t i = 0; tasks && i < k; i++)
		if (tasks[i])
			tt_close(tasks[i]);
	free(tasks);
	vm_destroy(vm);
	return status;
}

/* One point's keys, in the order of every output: the five of --csv first. */
static void thrash_keys(const thrash_point_t *p, int all, report_emit_fn *emit, void *arg)
{
#define KEY_U(k, v) emit(arg, k, &(report_value_t){ .type = REPORT_U64, .u = (v) })
#define KEY_N(k, v) emit(arg, k, &(report_value_t){ .type = REPORT_NUM, .d = (v) })
	KEY_U("processes", p->processes);
	KEY_N("cpu_utilization", thrash_ratio(p->cpu_ns, p->elapsed_ns));
	KEY_U("elapsed_ns", p->elapsed_ns);
	KEY_U("page_faults", p->page_faults);
	KEY_N("disk_utilization", thrash_ratio(p->disk_ns, p->elapsed_ns));
	if (!all)
		return;
	KEY_U("cpu_ns", p->cpu_ns);
	KEY_U("disk_ns", p->disk_ns);
	KEY_U("disk_requests", p->disk_requests);
	KEY_U("minor_faults", p->minor_faults);
	KEY_U("major_faults", p->major_faults);
	KEY_U("suspensions", p->suspensions);
	KEY_U("resumptions", p->resumptions);
#undef KEY_U
#undef KEY_N
}

/* CSV: a header row, then a row a degree. */
static void thrash_csv(const thrash_point_t *pt, size_t n)
{
	for (size_t i = 0; i <= n; i++) {
		report_csv_row_t c = { .header = i == 0 };
		thrash_keys(&pt[i ? i - 1 : 0], 0, report_csv_emit, &c);
		putchar('\n');
	}
}

static void thrash_json(const cli_opts_t *o, const char *trace, const char *fmt,
			const thrash_point_t *pt, size_t n)
{
	report_jobj_t j;
	report_jobj_begin(&j, stdout, "");
#define KEY(k, ...) report_jobj_emit(&j, k, &(report_value_t){ __VA_ARGS__ })
	KEY("trace", .type = REPORT_STR, .s = trace);
	KEY("format", .type = REPORT_STR, .s = fmt);
	KEY("policy", .type = REPORT_STR, .s = o->cfg.policy);
	KEY("frames", .type = REPORT_U64, .u = o->cfg.frames);
	KEY("page_size", .type = REPORT_U64, .u = o->cfg.page_size);
	KEY("quantum_ns", .type = REPORT_U64, .u = o->quantum ? o->quantum : 1000000);
	KEY("lat_major_ns", .type = REPORT_NUM, .d = o->cfg.lat.major_ns);
	KEY("wmark_low", .type = REPORT_U64, .u = o->cfg.wmark_low);
	KEY("load_control", .type = REPORT_STR, .s = cli_load_control_name(o->cfg.load_control));
#undef KEY
	report_jobj_key(&j, "points");
	fputc('[', stdout);
	for (size_t i = 0; i < n; i++) {
		report_jobj_t p;
		fputs(i ? ",\n    " : "\n    ", stdout);
		report_jobj_begin(&p, stdout, "    ");
		thrash_keys(&pt[i], 1, report_jobj_emit, &p);
		report_jobj_end(&p);
	}
	fputs("\n  ]", stdout);
	report_jobj_end(&j);
	putchar('\n');
}

static void thrash_table(const cli_opts_t *o, const char *trace, const char *fmt,
			 const thrash_point_t *pt, size_t n)
{
	int lc = o->cfg.load_control != VM_LC_OFF;
	printf("vmlab thrash: %s (%s), 1 to %zu processes\n", trace, fmt, n);
	printf("machine: %u frames of %u B, policy %s, watermarks %u,%u,%u, quantum %llu ns, disk %g ns a page, load control %s\n\n",
	       o->cfg.frames, o->cfg.page_size, o->cfg.policy, o->cfg.wmark_min, o->cfg.wmark_low,
	       o->cfg.wmark_high, (unsigned long long)(o->quantum ? o->quantum : 1000000),
	       o->cfg.lat.major_ns, cli_load_control_name(o->cfg.load_control));
	printf("%9s %9s %9s %15s %12s%s\n", "processes", "cpu util", "disk util", "elapsed ns",
	       "page faults", lc ? "  suspensions  resumptions" : "");
	for (size_t i = 0; i < n; i++) {
		const thrash_point_t *p = &pt[i];
		printf("%9llu %9.4f %9.4f %15llu %12llu", (unsigned long long)p->processes,
		       thrash_ratio(p->cpu_ns, p->elapsed_ns), thrash_ratio(p->disk_ns, p->elapsed_ns),
		       (unsigned long long)p->elapsed_ns, (unsigned long long)p->page_faults);
		if (lc)
			printf(" %12llu %12llu", (unsigned long long)p->suspensions,
			       (unsigned long long)p->resumptions);
		putchar('\n');
	}
}

/* --plot: CPU and disk utilization over the number of processes. */
static int thrash_plot(const cli_opts_t *o, const char *trace, const thrash_point_t *pt, size_t n)
{
	double *v = malloc(3 * n * sizeof *v);
	char title[512], err[1024];
	if (!v) {
		fprintf(stderr, "vmlab thrash: out of memory drawing the plot\n");
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		v[i] = (double)pt[i].processes;
		v[n + i] = thrash_ratio(pt[i].cpu_ns, pt[i].elapsed_ns);
		v[2 * n + i] = thrash_ratio(pt[i].disk_ns, pt[i].elapsed_ns);
	}
	snprintf(title, sizeof title, "vmlab thrash: %s, %u frames, load control %s", trace,
		 o->cfg.frames, cli_load_control_name(o->cfg.load_control));
	plot_series_t ser[2] = { { .name = "CPU utilization", .n = n, .x = v, .y = v + n },
				 { .name = "disk utilization", .n = n, .x = v, .y = v + 2 * n } };
	plot_t p = { .title = title, .xlabel = "processes (copies of the trace)",
		     .ylabel = "utilization (0 to 1)", .series = ser, .nseries = 2 };
	int rc = plot_write(o->plot, &p, err, sizeof err);
	free(v);
	if (rc)
		fprintf(stderr, "vmlab thrash: %s\n", err);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* The options, checked before any run.  Exit status (-1: --help). */
static int thrash_options(cli_opts_t *o, int argc, char **argv)
{
	int status = cli_parse(o, argc, argv,
			       CLI_GEOMETRY | CLI_MACHINE | CLI_SCRIPT | CLI_LIMITS | CLI_ANALYSIS |
			       CLI_THRASH, thrash_usage);
	if (status)
		return status;
	if (o->nargs != 1 || o->dashdash >= 0) {
		if (o->nargs > 1 && o->dashdash < 0)
			fprintf(stderr, "vmlab thrash: one trace at a time ('%s' is extra)\n", o->args[1]);
		else
			fprintf(stderr, "vmlab thrash: which trace? (vmlab thrash [OPTIONS] TRACE)\n");
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(o->args[0], "-")) {
		fprintf(stderr, "vmlab thrash: the trace is read once a process: a file, not stdin\n");
		return CLI_EXIT_USAGE;
	}
	if (o->json && o->csv) {
		fprintf(stderr, "vmlab thrash: --json or --csv, not both\n");
		return CLI_EXIT_USAGE;
	}
	char err[1024];
	int rc = o->plot ? plot_check(o->plot, err, sizeof err) : VM_OK;
	if (rc) {
		fprintf(stderr, "vmlab thrash: --plot: %s\n", err);
		return rc == VM_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	status = cli_script_machine(o, "thrash");
	if (status)
		return status;
	o->cfg.events = o->events ? stderr : NULL;
	o->cfg.timeline = o->cfg.timeline_every ? stderr : NULL;
	return CLI_EXIT_OK;
}

int cmd_thrash(int argc, char **argv)
{
	cli_opts_t o = { 0 };
	thrash_point_t *pt = NULL;
	int status = thrash_options(&o, argc, argv);
	size_t n = o.max_copies ? (size_t)o.max_copies : THRASH_DEFAULT_MAX;
	trace_format_t fmt = o.format;
	if (status == CLI_EXIT_OK && !(pt = calloc(n, sizeof *pt))) {
		fprintf(stderr, "vmlab thrash: out of memory\n");
		status = CLI_EXIT_FAIL;
	}
	for (size_t k = 1; status == CLI_EXIT_OK && k <= n; k++)
		status = thrash_one(&o, o.args[0], k, &pt[k - 1], &fmt);
	if (status == CLI_EXIT_OK && o.plot)
		status = thrash_plot(&o, o.args[0], pt, n);
	if (status == CLI_EXIT_OK) {
		if (o.json)
			thrash_json(&o, o.args[0], trace_format_name(fmt), pt, n);
		else if (o.csv)
			thrash_csv(pt, n);
		else
			thrash_table(&o, o.args[0], trace_format_name(fmt), pt, n);
	}
	free(pt);
	free(o.args);
	return status < 0 ? CLI_EXIT_OK : status;
}
