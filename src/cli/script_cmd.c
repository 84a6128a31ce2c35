/* script_cmd.c - `vmlab script`: run a scenario script (docs/script.md) on
 * the kernel side of a machine: processes, mmap, fork, swap, real files. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "policy/policy.h"
#include "script/script.h"
#include "util/vmerr.h"

/* Options of the command line, and those a script may `set`. */
#define SCRIPT_GROUPS (CLI_GEOMETRY | CLI_MACHINE | CLI_SCRIPT | CLI_SCRIPT_ARGS | CLI_LIMITS)
#define SCRIPT_SET_GROUPS (CLI_GEOMETRY | CLI_MACHINE | CLI_SCRIPT)
/* Swap when neither --swap nor `set swap` gives it: room to see swapping
 * without a full swap being the usual ending. */
#define SCRIPT_DEFAULT_SWAP (64ull << 20)
/* Steps a script may run without --max-steps: far beyond any example (the
 * largest runs under 1000); a block past it is refused before it starts. */
#define SCRIPT_DEFAULT_MAX_STEPS 1000000000ull

static const char script_usage[] =
	"usage: vmlab script [OPTIONS] FILE\n"
	"\n"
	"Run a scenario script (spawn, mmap, fork, write, read, expect, ...; see\n"
	"docs/script.md) on the kernel side of a machine, then print the summary.\n"
	"FILE - reads the script from stdin (its paths are then relative to the\n"
	"current folder).  Exit status: 0 every expectation held, 1 one did not (or\n"
	"the kernel refused a call), 2 a malformed script or option.  In script\n"
	"mode --swap defaults to 64M.";

/* The whole of a file (or stdin for "-") as a string; NULL with err set. */
static char *script_slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - 1 - n, f);
		if (n < cap - 1)
			break;
		char *bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!buf || bad) {
		snprintf(err, errlen, "cannot read %s: %s", path, buf ? strerror(EIO) : "out of memory");
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	if (strlen(buf) != n) {
		snprintf(err, errlen, "%s holds a NUL byte: not a script", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* The folder script paths are relative to: --root, else the script's own
 * folder (the current one for stdin). */
static void script_root(const cli_opts_t *o, const char *file, char *buf, size_t len)
{
	const char *slash = strrchr(file, '/');
	if (o->root)
		snprintf(buf, len, "%s", o->root);
	else if (!strcmp(file, "-") || !slash)
		snprintf(buf, len, ".");
	else if (slash == file)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - file), file);
}

/* Whether the policy needs the future, which a script cannot give: what a
 * script does next depends on what happened (deaths, reads). */
static int script_future_policy(const char *name)
{
	const policy_ops_t *pol = policy_find(name);
	return pol && pol->needs == POLICY_NEEDS_FUTURE;
}

/* Apply the script's set lines (the command line wins).  Exit status. */
static int script_apply_sets(cli_opts_t *o, const script_t *s)
{
	char err[1024];
	for (size_t i = 0; i < s->n && s->cmds[i].op == SCRIPT_SET; i++) {
		const script_cmd_t *c = &s->cmds[i];
		int rc = cli_set_option(o, c->name, c->setval, SCRIPT_SET_GROUPS, err, sizeof err);
		if (rc < 0) {
			fprintf(stderr, "%s:%u: set %s: %s\n", s->name, c->line, c->name, err);
			return CLI_EXIT_USAGE;
		}
		if (rc == 0 && !strcmp(c->name, "policy") && script_future_policy(c->setval)) {
			fprintf(stderr, "%s:%u: set policy %s: this policy reads the future references, which a script does not have (what it does next depends on what happened); choose another policy\n",
				s->name, c->line, c->setval);
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

/* Turn the watermark options into frame counts: percentages of the frames
 * rounded down; MIN <= LOW <= HIGH < frames. */
static int script_watermarks(cli_opts_t *o, const char *cmd)
{
	static const uint32_t dflt[3] = { 1, 2, 4 };
	uint32_t w[3];
	for (int i = 0; i < 3; i++) {
		int pct = o->has_watermarks ? o->wmark_pct[i] : 1;
		uint64_t v = o->has_watermarks ? o->wmark[i] : dflt[i];
		w[i] = pct ? (uint32_t)((uint64_t)o->cfg.frames * v / 100) : (uint32_t)v;
	}
	if (!(w[0] <= w[1] && w[1] <= w[2] && w[2] < o->cfg.frames)) {
		fprintf(stderr, "vmlab %s: --watermarks %u,%u,%u (frames): need MIN <= LOW <= HIGH < frames (%u)\n",
			cmd, w[0], w[1], w[2], o->cfg.frames);
		return CLI_EXIT_USAGE;
	}
	o->cfg.wmark_min = w[0];
	o->cfg.wmark_low = w[1];
	o->cfg.wmark_high = w[2];
	return CLI_EXIT_OK;
}

int cli_script_machine(cli_opts_t *o, const char *cmd)
{
	char err[512];
	if (script_future_policy(o->cfg.policy)) {
		fprintf(stderr, "vmlab %s: --policy %s reads the future references, which a script does not have (what it does next depends on what happened); choose another policy\n",
			cmd, o->cfg.policy);
		return CLI_EXIT_USAGE;
	}
	if (!o->swap_bytes)
		o->swap_bytes = SCRIPT_DEFAULT_SWAP;
	if (!o->cfg.max_memory)
		o->cfg.max_memory = cli_default_max_memory();
	o->cfg.swap_slots = o->swap_bytes / (o->cfg.page_size ? o->cfg.page_size : 1);
	if (!o->cfg.swap_slots) {
		fprintf(stderr, "vmlab %s: --swap %llu is smaller than one page\n", cmd,
			(unsigned long long)o->swap_bytes);
		return CLI_EXIT_USAGE;
	}
	if (vm_config_check(&o->cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab %s: %s\n", cmd, err);
		return CLI_EXIT_USAGE;
	}
	o->cfg.bytes = 1;
	return script_watermarks(o, cmd);
}

/* The machine of script mode from the options; *check gets --check.  Exit
 * status. */
static int script_config(cli_opts_t *o, FILE *out, int *check)
{
	int status = cli_script_machine(o, "script");
	if (status)
		return status;
	/* --check runs through script_run, which names the line and exits 1;
	 * the kernel's own after-call check would abort instead */
	*check = o->cfg.check;
	o->cfg.check = 0;
	o->cfg.events = o->events ? out : NULL;
	o->cfg.timeline = o->cfg.timeline_every ? out : NULL;
	return CLI_EXIT_OK;
}

/* What `stats` needs to print the summary. */
typedef struct script_report {
	const cli_opts_t *o;
	const char *name;
} script_report_t;

/* `stats`: the text summary now, on the script's output.  report_text writes
 * to stdout, so under --json (stdout is for the JSON object only) stdout is
 * pointed at stderr for the call. */
static void script_stats(vm_machine_t *vm, void *arg)
{
	const script_report_t *r = arg;
	int saved = -1;
	fflush(stdout);
	if (r->o->json && (saved = dup(STDOUT_FILENO)) >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	report_text(vm, r->o, r->name, "script");
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
		/* a failed write here went to stderr, which cannot be reported;
		 * stdout itself holds nothing yet (the JSON object comes last) */
		clearerr(stdout);
	}
}

/* The JSON's process_stats: every process the machine made, in that order,
 * with its accounting (vm_proc_acct; cpu_ns and blocked_ns once scheduled). */
static void script_json_procs(vm_machine_t *vm, const script_t *s, report_jobj_t *j)
{
	static const char *const states[] = { "none", "alive", "exited", "segv", "oom" };
	report_jobj_key(j, "process_stats");
	putchar('[');
	for (size_t i = 0; i < vm_proc_count(vm); i++) {
		vm_proc_acct_t a;
		char num[16];
		report_jobj_t o;
		vm_proc_acct_at(vm, i, &a);
#define ACCT_U(k, v) report_jobj_emit(&o, k, &(report_value_t){ .type = REPORT_U64, .u = (v) })
		printf("%s\n    ", i ? "," : "");
		report_jobj_begin(&o, stdout, "    ");
		report_jobj_emit(&o, "process", &(report_value_t){ .type = REPORT_STR,
								 .s = script_pid_label(s, a.pid, num) });
		report_jobj_emit(&o, "state", &(report_value_t){ .type = REPORT_STR, .s = states[a.state] });
		ACCT_U("minflt", a.minflt);
		ACCT_U("majflt", a.majflt);
		ACCT_U("VmRSS", a.vm_rss);
		ACCT_U("VmSwap", a.vm_swap);
		ACCT_U("VmHWM", a.vm_hwm);
		if (a.scheduled) {
			ACCT_U("cpu_ns", a.cpu_ns);
			ACCT_U("blocked_ns", a.blocked_ns);
		}
#undef ACCT_U
		report_jobj_end(&o);
	}
	printf("%s]", vm_proc_count(vm) ? "\n  " : "");
}

/* The JSON summary of a script: run's keys, then process_stats. */
static void script_json(vm_machine_t *vm, const cli_opts_t *o, const char *name, const script_t *s)
{
	report_jobj_t j;
	report_jobj_begin(&j, stdout, "");
	report_keys(vm, o, name, "script", report_jobj_emit, &j);
	script_json_procs(vm, s, &j);
	report_jobj_end(&j);
	putchar('\n');
}

/* Parse, configure, build, run, report.  Exit status. */
static int script_main(cli_opts_t *o, const char *file)
{
	char err[PATH_MAX + 1024], root[PATH_MAX];
	FILE *out = o->json ? stderr : stdout;
	script_t s = { 0 };
	vm_machine_t *vm = NULL;
	char *text = script_slurp(file, err, sizeof err);
	if (!text) {
		fprintf(stderr, "vmlab script: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	script_root(o, file, root, sizeof root);
	script_paths_t paths = { .root = root, .allow_any = o->allow_any_path,
				 .allow_read = o->allow_read, .nallow_read = (size_t)o->nallow_read };
	const char *name = strcmp(file, "-") ? file : "<stdin>";   /* for FILE:LINE */
	int rc = script_parse(&s, name, text, &paths, err, sizeof err), status;
	free(text);
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return rc == VM_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
	}
	int check = 0;
	status = script_apply_sets(o, &s);
	if (!status)
		status = script_config(o, out, &check);
	if (!status && (rc = vm_create(&vm, &o->cfg, NULL, err, sizeof err))) {
		fprintf(stderr, "vmlab script: %s\n", err);
		status = rc == VM_ENOMEM || rc == VM_EIO || rc == VM_ELIMIT ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
	}
	if (!status) {
		script_report_t rep = { .o = o, .name = name };
		script_env_t env = { .out = out, .check = check, .stats = script_stats,
				     .stats_arg = &rep, .swap_bytes = o->swap_bytes,
				     .max_steps = o->max_steps ? o->max_steps : SCRIPT_DEFAULT_MAX_STEPS,
				     .stack_limit = o->stack_limit, .quantum_ns = o->quantum };
		if (script_run(vm, &s, &env, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			status = CLI_EXIT_FAIL;
		} else if (o->json) {
			script_json(vm, o, name, &s);
		} else {
			report_text(vm, o, name, "script");
		}
	}
	vm_destroy(vm);   /* before the script: cfg points at its set values */
	script_free(&s);
	return status;
}

int cmd_script(int argc, char **argv)
{
	cli_opts_t o = { 0 };
	int status = cli_parse(&o, argc, argv, SCRIPT_GROUPS, script_usage);
	if (status) {
		free(o.args);
		return status < 0 ? CLI_EXIT_OK : status;
	}
	if (o.nargs != 1) {
		if (o.nargs)
			fprintf(stderr, "vmlab script: one script at a time ('%s' is extra)\n", o.args[1]);
		else
			fprintf(stderr, "vmlab script: which script? (vmlab script [OPTIONS] FILE)\n");
		free(o.args);
		return CLI_EXIT_USAGE;
	}
	status = script_main(&o, o.args[0]);
	free(o.args);
	return status;
}
