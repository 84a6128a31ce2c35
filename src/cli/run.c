/* run.c - `vmlab run`: simulate a trace and print what the VM system did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "analysis/nextuse.h"
#include "policy/policy.h"
#include "util/vmerr.h"

#define RUN_BATCH 4096

static const char run_usage[] =
	"usage: vmlab run [OPTIONS] [TRACE]\n"
	"\n"
	"Simulate a memory trace (a file, gzip or zstd compressed or not; - or none\n"
	"for stdin) on the machine the options describe and print a summary.";

/* Say why the machine stopped: swap full is the workload's doing (exit 1). */
static int run_fail(int rc, uint64_t refs)
{
	if (rc == VM_ENOSPC)
		fprintf(stderr, "vmlab run: out of swap space after %llu references: a dirty page had nowhere to go (raise --swap)\n",
			(unsigned long long)refs);
	else
		fprintf(stderr, "vmlab run: stopped after %llu references: %s\n",
			(unsigned long long)refs, vm_strerror(rc));
	return CLI_EXIT_FAIL;
}

/* Stream the trace through the machine a batch at a time. */
static int run_stream(vm_machine_t *vm, trace_reader_t *tr)
{
	static trace_access_t buf[RUN_BATCH];
	long n;
	while ((n = trace_read(tr, buf, RUN_BATCH)) > 0) {
		for (long i = 0; i < n; i++) {
			int rc = vm_access(vm, buf[i].pid, buf[i].va, buf[i].size, buf[i].kind);
			if (rc)
				return run_fail(rc, vm_stats(vm)->references);
		}
	}
	if (n < 0) {
		fprintf(stderr, "%s\n", trace_error(tr));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int refvec_push(refvec_t *rv, uint32_t pid, uint64_t vpn, uint8_t kind)
{
	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 1 << 16;
		vm_pageref_t *v = realloc(rv->v, cap * sizeof *v);
		if (!v)
			return VM_ENOMEM;
		rv->v = v;
		rv->cap = cap;
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
static int run_buffer(trace_reader_t *tr, unsigned page_shift, refvec_t *rv)
{
	static trace_access_t buf[RUN_BATCH];
	long n;
	while ((n = trace_read(tr, buf, RUN_BATCH)) > 0)
		for (long i = 0; i < n; i++)
			if (refvec_split(rv, &buf[i], page_shift)) {
				fprintf(stderr, "vmlab run: out of memory buffering the trace\n");
				return CLI_EXIT_FAIL;
			}
	if (n < 0) {
		fprintf(stderr, "%s\n", trace_error(tr));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* Feed buffered page references to the machine. */
static int run_refs(vm_machine_t *vm, const refvec_t *rv)
{
	for (size_t i = 0; i < rv->n; i++) {
		int rc = vm_ref(vm, rv->v[i].pid, rv->v[i].vpn, rv->v[i].kind);
		if (rc)
			return run_fail(rc, vm_stats(vm)->references);
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

/* Build the machine; the future is read first when the policy needs it. */
static int run_simulate(cli_opts_t *o, trace_reader_t *tr, vm_machine_t **vm)
{
	char err[512];
	const policy_ops_t *pol = policy_find(o->cfg.policy);
	refvec_t rv = { 0 };
	uint64_t *next_use = NULL;
	int status = CLI_EXIT_OK;
	if (pol && pol->needs == POLICY_NEEDS_FUTURE) {
		status = run_buffer(tr, log2_of(o->cfg.page_size), &rv);
		if (status == CLI_EXIT_OK && nextuse_build(rv.v, rv.n, &next_use)) {
			fprintf(stderr, "vmlab run: out of memory building the next-use index\n");
			status = CLI_EXIT_FAIL;
		}
	}
	if (status == CLI_EXIT_OK) {
		int rc = vm_create(vm, &o->cfg, next_use, err, sizeof err);
		if (rc) {
			fprintf(stderr, "vmlab run: %s\n", err);
			status = rc == VM_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
		} else {
			status = pol && pol->needs == POLICY_NEEDS_FUTURE ? run_refs(*vm, &rv)
									   : run_stream(*vm, tr);
		}
	}
	free(rv.v);
	free(next_use);
	return status;
}

int cmd_run(int argc, char **argv)
{
	cli_opts_t o = { 0 };
	int status = cli_parse(&o, argc, argv, CLI_GEOMETRY | CLI_MACHINE | CLI_TRACE | CLI_LIMITS, run_usage);
	if (status) {
		free(o.args);
		return status < 0 ? CLI_EXIT_OK : status;
	}
	char err[512];
	vm_machine_t *vm = NULL;
	trace_reader_t *tr = NULL;
	const char *path = o.nargs ? o.args[0] : NULL;
	if (o.nargs > 1) {
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
	trace_opts_t topts = { .format = o.format, .page_shift = log2_of(o.cfg.page_size),
			       .va_bits = o.cfg.va_bits };
	int rc = trace_open(&tr, path, &topts, err, sizeof err);
	if (rc) {
		fprintf(stderr, "vmlab run: %s\n", err);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	status = run_simulate(&o, tr, &vm);
	if (status == CLI_EXIT_OK) {
		if (o.json)
			report_json(vm, &o, trace_name(tr), trace_format_name(trace_format(tr)));
		else
			report_text(vm, &o, trace_name(tr), trace_format_name(trace_format(tr)));
	}
out:
	if (tr)
		trace_close(tr);
	vm_destroy(vm);
	free(o.args);
	return status;
}
