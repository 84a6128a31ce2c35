/* run.c - `vmlab run`: simulate a trace and print what the VM system did. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "steps.h"
#include "analysis/nextuse.h"
#include "policy/policy.h"
#include "util/spill.h"
#include "util/vmerr.h"

#define RUN_BATCH 4096

static const char run_usage[] =
	"usage: vmlab run [OPTIONS] [TRACE]\n"
	"       vmlab run [OPTIONS] -- PROGRAM [ARGS...]\n"
	"\n"
	"Simulate a memory trace (a file, gzip or zstd compressed or not; - or none\n"
	"for stdin) on the machine the options describe and print a summary.  With\n"
	"-- PROGRAM, record the program's trace under Valgrind lackey as it runs.\n"
	"\n"
	"--timeline N prints a line every N references: the free frames then, and\n"
	"the faults, swap-ins, swap-outs and TLB misses of the last N references (on\n"
	"stderr under --json); --timeline-csv FILE writes those lines to FILE as CSV\n"
	"instead.";

/* Say why the machine stopped: swap full is the workload's doing (exit 1). */
static int run_fail(vm_machine_t *vm, int rc, uint64_t refs)
{
	char msg[512];
	if (rc == VM_ELIMIT && !vm_limit_message(vm, msg, sizeof msg))
		fprintf(stderr, "vmlab run: stopped after %llu references: %s\n",
			(unsigned long long)refs, msg);
	else if (rc == VM_ENOSPC)
		fprintf(stderr, "vmlab run: out of swap space after %llu references: a dirty page had nowhere to go (raise --swap)\n",
			(unsigned long long)refs);
	else
		fprintf(stderr, "vmlab run: stopped after %llu references: %s\n",
			(unsigned long long)refs, vm_strerror(rc));
	return CLI_EXIT_FAIL;
}

/* An access spanning more pages than the machine takes at once: say so
 * (exit 1).  Returns 0 when a is fine. */
static int run_too_wide(const trace_access_t *a, unsigned page_shift)
{
	uint64_t pages = vm_access_pages(page_shift, a->va, a->size);
	if (pages <= VM_ACCESS_MAX_PAGES)
		return CLI_EXIT_OK;
	fprintf(stderr, "vmlab run: an access of %u bytes at 0x%llx spans %llu pages of %u bytes, more than the %llu one access may make; use a larger --page-size\n",
		a->size, (unsigned long long)a->va, (unsigned long long)pages, 1u << page_shift,
		(unsigned long long)VM_ACCESS_MAX_PAGES);
	return CLI_EXIT_FAIL;
}

/* Stream the trace through the machine a batch at a time. */
static int run_stream(vm_machine_t *vm, trace_reader_t *tr, unsigned page_shift, progress_t *prog,
		      steps_t *sp)
{
	static trace_access_t buf[RUN_BATCH];
	long n;
	while ((n = trace_read(tr, buf, RUN_BATCH)) > 0) {
		if (prog->on)  /* vm_stats brings counters up to date: not for nothing */
			progress_update(prog, vm_stats(vm)->references);
		long i = 0;
		int rc = 0;
		if (sp)
			for (; i < n && !(rc = steps_access(sp, vm, buf[i].pid, buf[i].va, buf[i].size,
							    buf[i].kind)); i++)
				;
		else { /* no steps: the machine itself, the batch in one call */
			size_t done;
			rc = vm_access_batch(vm, buf, (size_t)n, &done);
			i = (long)done;
		}
		if (rc == VM_ELIMIT && run_too_wide(&buf[i], page_shift))
			return CLI_EXIT_FAIL;
		if (rc)
			return run_fail(vm, rc, vm_stats(vm)->references);
	}
	if (n < 0) {
		fprintf(stderr, "%s\n", trace_error(tr));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

void refvec_init(refvec_t *rv, budget_t *budget)
{
	rv->n = 0;
	rv->v = NULL;
	rv->err[0] = 0;
	spill_init(&rv->mem, budget);
}

void refvec_free(refvec_t *rv)
{
	spill_free(&rv->mem);
	rv->v = NULL;
	rv->n = 0;
}

int refvec_push(refvec_t *rv, uint32_t pid, uint64_t vpn, uint8_t kind)
{
	if ((rv->n + 1) * sizeof *rv->v > rv->mem.cap) {
		int rc = spill_reserve(&rv->mem, (rv->n + 1) * sizeof *rv->v, rv->err, sizeof rv->err);
		if (rc)
			return rc;
		rv->v = (vm_pageref_t *)(void *)rv->mem.p;
	}
	rv->v[rv->n++] = (vm_pageref_t){ .vpn = vpn, .pid = pid, .kind = kind };
	return VM_OK;
}

/* Where refvec_split puts one access's page references. */
typedef struct refvec_target {
	refvec_t *rv;
	uint32_t pid;
} refvec_target_t;

static int refvec_add(void *arg, uint64_t vpn, int kind)
{
	refvec_target_t *t = arg;
	return refvec_push(t->rv, t->pid, vpn, (uint8_t)kind);
}

/* Append one access's page references, in the machine's order. */
static int refvec_split(refvec_t *rv, const trace_access_t *a, unsigned page_shift)
{
	refvec_target_t t = { .rv = rv, .pid = a->pid };
	return vm_split_access(page_shift, a->va, a->size, a->kind, refvec_add, &t);
}

/* Read the whole trace into page references (the future a policy like OPT
 * needs); works on stdin too, by buffering. */
static int run_buffer(trace_reader_t *tr, unsigned page_shift, refvec_t *rv, progress_t *prog)
{
	static trace_access_t buf[RUN_BATCH];
	long n;
	while ((n = trace_read(tr, buf, RUN_BATCH)) > 0) {
		progress_update(prog, rv->n);
		for (long i = 0; i < n; i++) {
			if (run_too_wide(&buf[i], page_shift))
				return CLI_EXIT_FAIL;
			if (refvec_split(rv, &buf[i], page_shift)) {
				fprintf(stderr, "vmlab run: buffering the trace for --policy %s: %s\n",
					"opt", rv->err);
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

/* Feed buffered page references to the machine. */
static int run_refs(vm_machine_t *vm, const refvec_t *rv, steps_t *sp)
{
	for (size_t i = 0; i < rv->n; i++) {
		int rc = steps_ref(sp, vm, rv->v[i].pid, rv->v[i].vpn, rv->v[i].kind);
		if (rc)
			return run_fail(vm, rc, vm_stats(vm)->references);
	}
	return CLI_EXIT_OK;
}

static unsigned log2_of(unsigned x)
{
	unsigned s = 0;
	while ((1u << s) < x)
		s++;
	return s;
}

/* The next-use index of rv into *next (memory or a temporary file, as the
 * budget allows).  Exit status. */
static int run_nextuse(refvec_t *rv, spill_t *next)
{
	char err[512];
	int rc = spill_reserve(next, (rv->n ? rv->n : 1) * sizeof(uint64_t), err, sizeof err);
	if (!rc) {
		((uint64_t *)(void *)next->p)[0] = NEXT_USE_NEVER;
		rc = nextuse_fill(rv->v, rv->n, (uint64_t *)(void *)next->p, next->budget, err,
				  sizeof err);
	}
	if (rc) {
		fprintf(stderr, "vmlab run: building the next-use index for --policy opt: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* Build the machine; the future is read first when the policy needs it.
 * The future may use half of --max-memory in memory, the rest goes to a
 * temporary file; what stays in memory counts against the machine's budget. */
static int run_simulate(cli_opts_t *o, trace_reader_t *tr, vm_machine_t **vm, steps_t *sp)
{
	progress_t prog;
	progress_start(&prog, "run", tr, o->quiet);
	char err[512];
	const policy_ops_t *pol = policy_find(o->cfg.policy);
	int future = pol && pol->needs == POLICY_NEEDS_FUTURE;
	budget_t fb;
	budget_init(&fb, o->cfg.max_memory / 2 ? o->cfg.max_memory / 2 : o->cfg.max_memory);
	refvec_t rv;
	spill_t next;
	refvec_init(&rv, &fb);
	spill_init(&next, &fb);
	int status = CLI_EXIT_OK;
	if (future) {
		status = run_buffer(tr, log2_of(o->cfg.page_size), &rv, &prog);
		progress_end(&prog);
		if (status == CLI_EXIT_OK)
			status = run_nextuse(&rv, &next);
		if (status == CLI_EXIT_OK && (spill_in_file(&rv.mem) || spill_in_file(&next)))
			fprintf(stderr, "vmlab run: note: OPT's future (%zu references) is larger than half of --max-memory; it is kept in a temporary file\n",
				rv.n);
	}
	if (status == CLI_EXIT_OK) {
		int rc = vm_create(vm, &o->cfg, future ? (const uint64_t *)(void *)next.p : NULL,
				   err, sizeof err);
		if (!rc && (rc = vm_reserve_memory(*vm, fb.used)))
			vm_limit_message(*vm, err, sizeof err);
		if (rc) {
			fprintf(stderr, "vmlab run: %s\n", err);
			status = rc == VM_ENOMEM || rc == VM_ELIMIT ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
		} else {
			status = future ? run_refs(*vm, &rv, sp)
					: run_stream(*vm, tr, log2_of(o->cfg.page_size), &prog, sp);
		}
	}
	progress_end(&prog);
	refvec_free(&rv);
	spill_free(&next);
	return status;
}

/* --timeline: the counters at the last line, to print each interval's. */
typedef struct run_timeline {
	FILE *f;
	int csv;
	vm_stats_t last;
} run_timeline_t;

static void run_timeline_line(void *arg, const vm_stats_t *s, uint64_t free_frames)
{
	run_timeline_t *t = arg;
	unsigned long long v[6] = { s->references, free_frames, s->page_faults - t->last.page_faults,
				    s->swap_ins - t->last.swap_ins, s->swap_outs - t->last.swap_outs,
				    s->tlb_misses - t->last.tlb_misses };
	if (t->csv) {
		if (!t->last.references)
			fputs("references,free,faults,swap_ins,swap_outs,tlb_misses\n", t->f);
		fprintf(t->f, "%llu,%llu,%llu,%llu,%llu,%llu\n", v[0], v[1], v[2], v[3], v[4], v[5]);
	} else {
		if (!t->last.references)
			fprintf(t->f, "%12s %8s %10s %10s %10s %10s\n", "references", "free", "faults",
				"swap_in", "swap_out", "tlb_miss");
		fprintf(t->f, "%12llu %8llu %10llu %10llu %10llu %10llu\n", v[0], v[1], v[2], v[3],
			v[4], v[5]);
	}
	t->last = *s;
}

/* Where the timeline goes: --timeline-csv's file, else stdout (stderr under
 * --json, whose stdout is the object alone).  Exit status. */
static int run_timeline_open(cli_opts_t *o, run_timeline_t *t)
{
	if (o->timeline_csv && !o->cfg.timeline_every) {
		fprintf(stderr, "vmlab run: --timeline-csv needs --timeline N\n");
		return CLI_EXIT_USAGE;
	}
	if (!o->cfg.timeline_every)
		return CLI_EXIT_OK;
	t->f = o->json ? stderr : stdout;
	if (o->timeline_csv && !(t->csv = 1, t->f = fopen(o->timeline_csv, "w"))) {
		fprintf(stderr, "vmlab run: --timeline-csv: %s: cannot write: %s\n", o->timeline_csv,
			strerror(errno));
		return CLI_EXIT_FAIL;
	}
	o->cfg.timeline_fn = run_timeline_line;
	o->cfg.timeline_arg = t;
	return CLI_EXIT_OK;
}

/* Close the CSV file: a write that failed (disk full) fails the run. */
static int run_timeline_close(const cli_opts_t *o, run_timeline_t *t, int status)
{
	if (!t->csv || !t->f)
		return status;
	int bad = ferror(t->f);
	bad |= fclose(t->f) != 0;
	t->f = NULL;
	if (bad && status == CLI_EXIT_OK) {
		fprintf(stderr, "vmlab run: --timeline-csv: %s: writing failed\n", o->timeline_csv);
		return CLI_EXIT_FAIL;
	}
	return status;
}

int cmd_run(int argc, char **argv)
{
	cli_opts_t o = { 0 };
	run_timeline_t tl = { 0 };
	int status = cli_parse(&o, argc, argv, CLI_GEOMETRY | CLI_MACHINE | CLI_TRACE | CLI_LIMITS |
			       CLI_PROGRESS | CLI_RUN | CLI_STEPS, run_usage);
	if (status) {
		free(o.args);
		return status < 0 ? CLI_EXIT_OK : status;
	}
	if (!o.cfg.max_memory)
		o.cfg.max_memory = cli_default_max_memory();
	char err[512];
	vm_machine_t *vm = NULL;
	cli_trace_t src = { 0 };
	steps_t *sp = NULL;
	if (o.dashdash < 0 && o.nargs > 1) {
		fprintf(stderr, "vmlab run: one trace at a time ('%s' is extra)\n", o.args[1]);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.swap_bytes) {
		o.cfg.swap_slots = o.swap_bytes / (o.cfg.page_size ? o.cfg.page_size : 1);
		if (!o.cfg.swap_slots) {
			fprintf(stderr, "vmlab run: --swap %llu is smaller than one page\n",
				(unsigned long long)o.swap_bytes);
			status = CLI_EXIT_USAGE;
			goto out;
		}
	}
	/* Refuse a bad geometry before reading any input. */
	if (vm_config_check(&o.cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab run: %s\n", err);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if ((status = run_timeline_open(&o, &tl)))
		goto out;
	trace_opts_t topts = { .format = o.format, .page_shift = log2_of(o.cfg.page_size),
			       .va_bits = o.cfg.va_bits };
	if ((status = steps_new(&sp, &o)))
		goto out;
	status = cli_trace_open(&src, "run", &o, &topts);
	if (status)
		goto out;
	status = run_simulate(&o, src.tr, &vm, sp);
	trace_format_t fmt = trace_format(src.tr);
	status = cli_trace_finish(&src, "run", vm ? vm_stats(vm)->references : 0, status);
	status = run_timeline_close(&o, &tl, status);
	if (status == CLI_EXIT_OK && sp) {
		char title[512];
		snprintf(title, sizeof title, "vmlab run: %s (%s)", src.name, trace_format_name(fmt));
		status = steps_finish(sp, vm, title);
	}
	if (status == CLI_EXIT_OK) {
		if (o.json)
			report_json(vm, &o, src.name, trace_format_name(fmt));
		else
			report_text(vm, &o, src.name, trace_format_name(fmt));
	}
out:
	run_timeline_close(&o, &tl, status);
	steps_free(sp);
	cli_trace_close(&src);
	vm_destroy(vm);
	free(o.args);
	return status;
}
