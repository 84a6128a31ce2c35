/* main.c - the `vmlab` command: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "policy/policy.h"

/* `vmlab policies`: every policy of the registry, what it needs, what it
 * evicts, and the definition it follows. */
static int cmd_policies(int argc, char **argv)
{
	int w = 6;
	for (size_t i = 0; i < policy_count; i++)
		if ((int)strlen(policy_registry[i]->name) > w)
			w = (int)strlen(policy_registry[i]->name);
	printf("%-*s %-16s %s\n", w, "policy", "needs", "what it evicts");
	for (size_t i = 0; i < policy_count; i++) {
		const policy_ops_t *p = policy_registry[i];
		printf("%-*s %-16s %s\n", w, p->name, policy_needs_name(p->needs), p->summary);
		if (p->paper && *p->paper)
			printf("%-*s %-16s as in: %s\n", w, "", "", p->paper);
	}
	return CLI_EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "simulate a memory trace and summarise what the VM system did" },
	{ "explain", cmd_explain, "translate addresses step by step (CS:APP 9.6 style)" },
	{ "script", cmd_script, "run a scenario script on the kernel side (fork, mmap, swap, ...)" },
	{ "wss", cmd_wss, "Denning's working set of a trace for many window sizes, and over time" },
	{ "mrc", cmd_mrc, "page faults over memory sizes: the miss-ratio curve, its knee" },
	{ "sweep", cmd_sweep, "a grid of machines (policies x sizes x pages x TLBs) on one trace" },
	{ "gen", cmd_gen, "write a seeded reference string (uniform, 80-20, loop, zipf, OSTEP's)" },
	{ "quiz", cmd_quiz, "a replacement or translation question, OSTEP style; --answers solves it" },
	{ "policies", cmd_policies, "list the replacement policies" },
	{ "convert", cmd_convert, "convert a trace to vmt (compact binary), lackey or text" },
	{ "record", cmd_record, "record a program's memory trace under Valgrind, as vmt" },
	{ "thrash", cmd_thrash, "1, 2, ... copies of a trace on one machine: CPU utilization collapsing, load control" },
	{ "pager", cmd_pager, "run a program with its heap really paged under a memory budget" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: vmlab COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n`vmlab COMMAND --help` describes each; `vmlab --version` the version.\n");
}

/* Run the subcommand argv[1]; its exit status. */
static int dispatch(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vmlab %s\n", vm_version());
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vmlab: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	int status = dispatch(argc, argv);
	/* Output that never reached stdout is a failed run, whatever the
	 * subcommand thought (a failure of stderr cannot be reported). */
	if (cli_close_output(stdout, "the output") && status == CLI_EXIT_OK)
		status = CLI_EXIT_FAIL;
	return status;
}
