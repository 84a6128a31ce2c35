/* record.c - `vmlab record [-o FILE] -- PROGRAM [ARGS...]`: a real
 * program's memory trace, converted to vmt while Valgrind lackey runs it, so
 * the text trace never touches the disk. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trace/writer.h"

#define RECORD_BATCH 4096

static const char record_usage[] =
	"usage: vmlab record [-o FILE] -- PROGRAM [ARGS...]\n"
	"\n"
	"Run PROGRAM under Valgrind lackey and write its memory trace to FILE\n"
	"(default PROGRAM's name + .vmt in the current folder) as vmt, or as lackey\n"
	"or text by FILE's extension (.lackey, .txt).  The program's stdin, stdout,\n"
	"stderr and exit status stay its own: record exits with its status (128 +\n"
	"the signal if one killed it).  record's own message goes to stderr.\n"
	"\n"
	"Options:\n"
	"  -o FILE, --output FILE  where the trace goes\n"
	"  --help                  this text";

/* PROGRAM's basename + ".vmt", malloc'd. */
static char *record_default_out(const char *program)
{
	const char *base = strrchr(program, '/');
	base = base ? base + 1 : program;
	size_t n = strlen(base);
	char *out = malloc(n + 5);
	if (out) {
		memcpy(out, base, n);
		memcpy(out + n, ".vmt", 5);
	}
	return out;
}

/* Copy the recording into w.  Returns an exit status for a failure of
 * vmlab's own (0 when all went in). */
static int record_copy(cli_trace_t *src, trace_writer_t *w)
{
	static trace_access_t buf[RECORD_BATCH];
	long n;
	while ((n = trace_read(src->tr, buf, RECORD_BATCH)) > 0)
		if (trace_writer_write(w, buf, (size_t)n) < 0) {
			fprintf(stderr, "vmlab record: %s\n", trace_writer_error(w));
			return CLI_EXIT_FAIL;
		}
	if (n < 0) {
		fprintf(stderr, "vmlab record: %s\n", trace_error(src->tr));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* argv after "record": [-o FILE] [--] PROGRAM ARGS.  Sets *out and *prog
 * (the index of PROGRAM).  Returns -1 for --help, else an exit status. */
static int record_args(int argc, char **argv, const char **out, int *prog)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("%s\n", record_usage);
			return -1;
		}
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 >= argc || !argv[i + 1][0]) {
				fprintf(stderr, "vmlab record: %s needs FILE\n", a);
				return CLI_EXIT_USAGE;
			}
			*out = argv[++i];
			continue;
		}
		if (!strncmp(a, "--output=", 9) && a[9]) {
			*out = a + 9;
			continue;
		}
		if (a[0] == '-') {
			fprintf(stderr, "vmlab record: unknown option '%s' (try vmlab record --help)\n", a);
			return CLI_EXIT_USAGE;
		}
		break;   /* PROGRAM without `--` */
	}
	if (i >= argc) {
		fprintf(stderr, "vmlab record: needs -- PROGRAM [ARGS...]\n");
		return CLI_EXIT_USAGE;
	}
	*prog = i;
	return CLI_EXIT_OK;
}

int cmd_record(int argc, char **argv)
{
	const char *out = NULL;
	int prog;
	int status = record_args(argc, argv, &out, &prog);
	if (status)
		return status < 0 ? CLI_EXIT_OK : status;
	char *def = out ? NULL : record_default_out(argv[prog]);
	if (!out && !(out = def)) {
		fprintf(stderr, "vmlab record: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	char err[512];
	trace_writer_t *w = NULL;
	cli_trace_t src = { 0 };
	if (trace_writer_open(&w, out, trace_writer_format_for(out), err, sizeof err)) {
		fprintf(stderr, "vmlab record: %s\n", err);
		status = CLI_EXIT_FAIL;
		goto done;
	}
	/* every address lackey prints is kept: 64-bit, no page split here */
	cli_opts_t o = { .args = (const char **)argv + prog, .nargs = argc - prog, .dashdash = 0 };
	trace_opts_t topts = { .format = TRACE_FMT_LACKEY, .page_shift = 12, .va_bits = 64 };
	status = cli_trace_open(&src, "record", &o, &topts);
	if (status)
		goto done;
	int own = record_copy(&src, w);
	int prog_status = cli_trace_close(&src);
	uint64_t count = trace_writer_count(w);
	if (own) {
		status = own;
	} else if (count == 0 && prog_status != 0) {
		/* valgrind or the program could not start: no trace to keep */
		fprintf(stderr, "vmlab record: nothing recorded; %s exited with status %d\n",
			argv[prog], prog_status);
		status = prog_status;
	} else if (trace_writer_finish(w) < 0) {
		fprintf(stderr, "vmlab record: %s\n", trace_writer_error(w));
		status = CLI_EXIT_FAIL;
	} else {
		fprintf(stderr, "vmlab record: %" PRIu64 " memory references captured in %s (%" PRIu64
			" bytes); %s %s %d\n", count, out, trace_writer_bytes(w), argv[prog],
			prog_status > 128 ? "was killed by signal" : "exited with status",
			prog_status > 128 ? prog_status - 128 : prog_status);
		status = prog_status;
	}
done:
	cli_trace_close(&src);
	trace_writer_free(w);
	free(def);
	return status;
}
