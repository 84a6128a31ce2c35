/* cli.h - the `vmlab` command: options shared by its subcommands (prefix cli_).
 *
 * Exit status of every subcommand: 0 success, 1 the simulation could not go
 * on (swap full, out of memory), 2 bad usage or bad input (FILE:LINE). */
#ifndef VMLAB_CLI_H
#define VMLAB_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab.h"
#include "trace/trace.h"
#include "util/spill.h"
#include "analysis/nextuse.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

#define CLI_MAX_ALLOW_READ 16    /* --allow-read folders */

/* Which option groups a subcommand accepts. */
enum {
	CLI_GEOMETRY = 1 << 0,   /* --page-size --va-bits --pa-bits --levels --tlb */
	CLI_MACHINE = 1 << 1,    /* --frames --policy --seed --swap --lat-* */
	CLI_TRACE = 1 << 2,      /* --format --json */
	CLI_EXPLAIN = 1 << 3,    /* --access --state */
	CLI_SCRIPT = 1 << 4,     /* --swap-file --watermarks --readahead --timeline --events
				    --check (a script may also `set` these) */
	CLI_SCRIPT_ARGS = 1 << 5,/* script, command line only: --json --root --allow-any-path --max-steps */
	CLI_LIMITS = 1 << 6,     /* --max-memory: command line only (a script cannot raise its own limits) */
	CLI_CONVERT = 1 << 7,    /* convert: --format --to */
	CLI_FRAMES_LIST = 1 << 8,/* the command takes --frames LIST itself: help leaves out --frames N */
	/* The analysis commands' own groups.  An option of one of these
	 * shadows a shared option of the same name (mrc's --frames LIST over
	 * --frames N), in parsing and in --help. */
	CLI_ANALYSIS = 1 << 9,   /* mrc, wss, sweep: --csv --plot */
	CLI_WSS = 1 << 10,       /* wss: --tau LIST --every */
	CLI_MRC = 1 << 11,       /* mrc: --sample --max-fault-rate */
	CLI_SWEEP = 1 << 12,     /* sweep: --policies --page-sizes --tlbs --shard */
	CLI_GRID = 1 << 13,      /* mrc, sweep: --frames LIST, -j */
	CLI_PROGRESS = 1 << 14,  /* commands that read a whole trace: --quiet */
	CLI_RUN = 1 << 15,       /* run: --timeline --timeline-csv */
	CLI_STEPS = 1 << 16,      /* run: --steps [N] --html FILE */
	CLI_HTML = 1 << 17,      /* explain: --html FILE */
	CLI_THRASH = 1 << 18,    /* thrash: --max --format --json */
};
#define CLI_OWN_GROUPS (CLI_ANALYSIS | CLI_WSS | CLI_MRC | CLI_SWEEP | CLI_GRID | CLI_RUN | CLI_THRASH)

/* Options the shared table (opts.c) may hold: the bits of cli_opts_t.given. */
#define CLI_MAX_OPTIONS 256

typedef struct cli_opts {
	vm_config_t cfg;
	trace_format_t format;
	int json;
	int access;              /* explain: 'r', 'w' or 'x' */
	int mode;                /* explain --mode: 'k' kernel, 'u' user, 0 not given */
	const char *state;       /* explain: state file, or NULL */
	uint64_t swap_bytes;     /* --swap as given, 0 = unbounded */
	const char **args;       /* positional arguments */
	int nargs;
	int dashdash;            /* index in args of the first argument after `--`, -1 if no `--` */
	trace_format_t to;       /* convert --to, TRACE_FMT_AUTO: by the output's name */
	/* script (CLI_SCRIPT, CLI_SCRIPT_ARGS); --swap-file, --readahead,
	 * --timeline and --check go straight into cfg */
	uint64_t given[CLI_MAX_OPTIONS / 64]; /* bit i: option i of the table came from the
						 command line (cli_given) */
	int has_watermarks;      /* --watermarks given (else the default 1%,2%,4%) */
	uint32_t wmark[3];       /* MIN, LOW, HIGH: frames, or percents of frames */
	unsigned char wmark_pct[3];
	int events;              /* --events */
	const char *root;        /* --root DIR, or NULL: the script's folder */
	int allow_any_path;
	const char *allow_read[CLI_MAX_ALLOW_READ]; /* --allow-read DIR, in order */
	int nallow_read;
	uint64_t stack_limit;    /* --stack-limit, 0: exec's default */
	uint64_t quantum;        /* --quantum NS, 0: the scheduler's 1 ms */
	uint64_t max_steps;      /* --max-steps: commands and references a script may execute */
	/* the analysis commands; a LIST is kept as given and parsed by its
	 * command, which knows its bounds and default */
	int csv;                 /* --csv */
	const char *plot;        /* --plot FILE (checked: .png or .svg) */
	const char *tau_list;    /* wss --tau LIST */
	uint64_t every;          /* wss --every N (>= 1), 0: none */
	const char *frames_list; /* mrc, sweep --frames LIST */
	unsigned threads;        /* -j N, 0: one per core */
	double sample;           /* mrc --sample R, 0: not given */
	double max_fault_rate;   /* mrc --max-fault-rate R (valid when given) */
	const char *policies, *page_sizes, *tlbs, *shard;  /* sweep's lists */
	int quiet;               /* --quiet: no progress line */
	const char *timeline_csv;/* run --timeline-csv FILE */
	int steps;               /* run --steps given */
	uint64_t steps_n;        /* ... its N; UINT64_MAX: every reference */
	const char *html;        /* --html FILE, or NULL */
	uint64_t max_copies;     /* thrash --max K, 0: the default 8 */
	const char *usage;       /* the command's usage text, as cli_parse got it */
} cli_opts_t;

/* Parse argv[1..] (argv[0] is the subcommand) accepting the option groups
 * in groups; positional arguments are collected in o->args.  On a bad option
 * prints "vmlab CMD: ..." to stderr and returns CLI_EXIT_USAGE; --help prints
 * usage and returns -1 (the caller exits 0). */
int cli_parse(cli_opts_t *o, int argc, char **argv, unsigned groups, const char *usage);

/* Apply option name (without the dashes) to value, as `set NAME VALUE` in a
 * script does, among the options of groups.  A flag takes on|off|1|0.  An
 * option the command line gave is left alone (the command line wins) and 1
 * is returned; 0 when applied; else a negative vm_err_t with the reason in
 * err (VM_ENOENT: no such option among groups). */
int cli_set_option(cli_opts_t *o, const char *name, const char *value, unsigned groups,
		   char *err, size_t errlen);

/* The --max-memory of run and script when none is given: half the
 * machine's physical memory (sysconf), or 0 (unlimited) if unknown. */
uint64_t cli_default_max_memory(void);

/* The machine of script mode from o (script_cmd.c), as `vmlab script` and
 * `vmlab thrash` build it: --swap 64M unless given, --max-memory's
 * default, the watermarks in frames (default 1%,2%,4%), cfg.bytes set; the
 * configuration checked.  On a bad one prints "vmlab CMD: ..." and returns
 * CLI_EXIT_USAGE; else 0. */
int cli_script_machine(cli_opts_t *o, const char *cmd);

/* The name --load-control gives mode (VM_LC_*): "off", "pff", "ws". */
const char *cli_load_control_name(int mode);

/* Whether option name (without the dashes) came from the command line. */
int cli_given(const cli_opts_t *o, const char *name);

/* Flush and close an output stream (stdout included) and report a write
 * that failed at any time, now or earlier: prints "vmlab: cannot write
 * NAME: REASON" on stderr and returns CLI_EXIT_FAIL; 0 when everything
 * written reached it.  main() does this for stdout after every subcommand
 * (NAME "the output"); a subcommand writing a file of its own calls it
 * with the file's name before it returns. */
int cli_close_output(FILE *f, const char *name);

/* Print the option help of the given groups. */
void cli_print_options(unsigned groups);

/* The input of a trace command: a file (or stdin), or a program recorded on
 * the fly under Valgrind lackey (`-- PROGRAM [ARGS...]`). */
typedef struct cli_trace {
	trace_reader_t *tr;
	const char *name;        /* the path, "<stdin>" or the program: for reports */
	int pid;                 /* the recording valgrind, 0 for a file */
	const char *cmd;         /* the subcommand, for messages */
} cli_trace_t;

/* Open what o's positional arguments name: with `--`, the program after it
 * (nothing may come before it), recorded live (lackey from a pipe);
 * otherwise args[0] or stdin, and no more than one.  topts is used as
 * given (a recording is always lackey).  On failure prints
 * "vmlab CMD: ..." and returns CLI_EXIT_USAGE or CLI_EXIT_FAIL. */
int cli_trace_open(cli_trace_t *t, const char *cmd, const cli_opts_t *o,
		   const trace_opts_t *topts);

/* Close the reader, then wait for a recording program: returns 0 for a file,
 * else the program's exit status (128 + signal if a signal killed it).
 * Safe to call on a closed or zeroed t. */
int cli_trace_close(cli_trace_t *t);

/* After a command read references from t (status so far): a recording is
 * closed and waited for (a file is left to cli_trace_close, so t->name stays
 * valid); the program's failure is not the command's, unless nothing was
 * recorded ("vmlab CMD: PROG: nothing recorded (exit status N)", exit 1);
 * else a note says how it exited.  Returns the command's status. */
int cli_trace_finish(cli_trace_t *t, const char *cmd, uint64_t references, int status);

int cmd_run(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_script(int argc, char **argv);
int cmd_wss(int argc, char **argv);
int cmd_mrc(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_quiz(int argc, char **argv);
int cmd_pager(int argc, char **argv);
int cmd_thrash(int argc, char **argv);

/* Page references buffered in the machine's order (run.c): in memory while
 * the budget given to refvec_init allows, else in a temporary file
 * (util/spill.h). */
typedef struct refvec {
	spill_t mem;
	vm_pageref_t *v;       /* = mem.p */
	size_t n;
	char err[512];         /* why growing failed */
} refvec_t;

/* An empty vector charging budget (NULL: unlimited). */
void refvec_init(refvec_t *rv, budget_t *budget);
/* Append one reference; returns 0, or VM_ENOMEM / VM_EIO with rv->err set. */
int refvec_push(refvec_t *rv, uint32_t pid, uint64_t vpn, uint8_t kind);
void refvec_free(refvec_t *rv);


/* Summary of a finished run: text for people, or one JSON object. */
void report_text(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format);
void report_json(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format);

/* One key's value.  NUM is a number that need not be an integer. */
typedef enum report_type { REPORT_U64, REPORT_NUM, REPORT_STR, REPORT_NULL } report_type_t;
typedef struct report_value {
	report_type_t type;
	uint64_t u;
	double d;
	const char *s;
} report_value_t;
typedef void report_emit_fn(void *arg, const char *key, const report_value_t *v);

/* Every key of `vmlab run --json`, in its order, through emit(arg, ...);
 * key names are static strings, values live only during the call. */
void report_keys(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format, report_emit_fn *emit, void *arg);

/* JSON and CSV pieces: a string with its quotes and escapes; a value
 * (non-integers with %.17g); a CSV field (quoted only when needed). */
void report_json_string(FILE *f, const char *s);
void report_json_value(FILE *f, const report_value_t *v);
void report_csv_value(FILE *f, const report_value_t *v);

/* A JSON object written key by key, lines indented by indent: begin writes
 * "{", each key its separator and "KEY": , end "\n INDENT }" (no newline). */
typedef struct report_jobj {
	FILE *f;
	const char *indent;
	int n;
} report_jobj_t;
void report_jobj_begin(report_jobj_t *j, FILE *f, const char *indent);
void report_jobj_key(report_jobj_t *j, const char *key);
void report_jobj_end(report_jobj_t *j);
report_emit_fn report_jobj_emit;  /* arg: a report_jobj_t */

/* A CSV row to stdout, key by key: the keys' names (header set) or their
 * values, comma-separated; the caller ends the line. */
typedef struct report_csv_row {
	int n, header;
} report_csv_row_t;
report_emit_fn report_csv_emit;   /* arg: a report_csv_row_t */

/* A run's keys kept after its machine is gone (strings copied). */
typedef struct report_kv {
	const char *key;
	report_value_t v;
} report_kv_t;
typedef struct report_row {
	report_kv_t *kv;
	size_t n, cap;
	int failed;
} report_row_t;

/* Fill *row with report_keys' output.  Returns 0 or VM_ENOMEM. */
int report_row_capture(report_row_t *row, vm_machine_t *vm, const cli_opts_t *o,
		       const char *trace_name, const char *format);
/* The value of key in row, or NULL. */
const report_value_t *report_row_get(const report_row_t *row, const char *key);
void report_row_free(report_row_t *row);

#endif
