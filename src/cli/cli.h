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

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

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
};

typedef struct cli_opts {
	vm_config_t cfg;
	trace_format_t format;
	int json;
	int access;              /* explain: 'r', 'w' or 'x' */
	const char *state;       /* explain: state file, or NULL */
	uint64_t swap_bytes;     /* --swap as given, 0 = unbounded */
	const char **args;       /* positional arguments */
	int nargs;
	/* script (CLI_SCRIPT, CLI_SCRIPT_ARGS); --swap-file, --readahead,
	 * --timeline and --check go straight into cfg */
	uint64_t given;          /* bit i: option i of the table came from the command line */
	int has_watermarks;      /* --watermarks given (else the default 1%,2%,4%) */
	uint32_t wmark[3];       /* MIN, LOW, HIGH: frames, or percents of frames */
	unsigned char wmark_pct[3];
	int events;              /* --events */
	const char *root;        /* --root DIR, or NULL: the script's folder */
	int allow_any_path;
	uint64_t max_steps;      /* --max-steps: commands and references a script may execute */
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

/* Flush and close an output stream (stdout included) and report a write
 * that failed at any time, now or earlier: prints "vmlab: cannot write
 * NAME: REASON" on stderr and returns CLI_EXIT_FAIL; 0 when everything
 * written reached it.  main() does this for stdout after every subcommand
 * (NAME "the output"); a subcommand writing a file of its own calls it
 * with the file's name before it returns. */
int cli_close_output(FILE *f, const char *name);

/* Print the option help of the given groups. */
void cli_print_options(unsigned groups);

int cmd_run(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_script(int argc, char **argv);


/* Summary of a finished run: text for people, or one JSON object. */
void report_text(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format);
void report_json(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format);

#endif
