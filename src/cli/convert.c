/* convert.c - `vmlab convert IN OUT`: a trace from any format vmlab reads
 * into vmt, lackey or text. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "progress.h"
#include "trace/writer.h"

#define CONVERT_BATCH 4096

static const char convert_usage[] =
	"usage: vmlab convert [OPTIONS] IN OUT\n"
	"\n"
	"Convert the trace IN (any format vmlab reads; - for stdin) into OUT (- for\n"
	"stdout) as vmt (compressed binary, docs/trace-format.md), lackey or text,\n"
	"by OUT's extension (.vmt, .lackey, .txt; any other means vmt) or --to.\n"
	"OUT appears only once complete: a failed write (a full disk) leaves no\n"
	"partial file and exits 1.";

/* Copy every access of tr into w (the progress line counts accesses).
 * Returns an exit status. */
static int convert_copy(trace_reader_t *tr, trace_writer_t *w, progress_t *prog)
{
	static trace_access_t buf[CONVERT_BATCH];
	uint64_t done = 0;
	long n;
	while ((n = trace_read(tr, buf, CONVERT_BATCH)) > 0) {
		progress_update(prog, done);
		done += (uint64_t)n;
		if (trace_writer_write(w, buf, (size_t)n) < 0)
			goto write_failed;
	}
	if (n < 0) {
		fprintf(stderr, "%s\n", trace_error(tr));
		return CLI_EXIT_USAGE;
	}
	if (trace_writer_finish(w) == 0)
		return CLI_EXIT_OK;
write_failed:
	fprintf(stderr, "vmlab convert: %s\n", trace_writer_error(w));
	return CLI_EXIT_FAIL;
}

int cmd_convert(int argc, char **argv)
{
	cli_opts_t o = { 0 };
	int status = cli_parse(&o, argc, argv, CLI_GEOMETRY | CLI_CONVERT | CLI_PROGRESS, convert_usage);
	if (status) {
		free(o.args);
		return status < 0 ? CLI_EXIT_OK : status;
	}
	char err[512];
	trace_reader_t *tr = NULL;
	trace_writer_t *w = NULL;
	if (o.nargs != 2) {
		fprintf(stderr, "vmlab convert: needs IN and OUT (try vmlab convert --help)\n");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	/* only the page size and address width matter to reading a trace */
	if (o.cfg.page_size < 16 || (o.cfg.page_size & (o.cfg.page_size - 1)) ||
	    o.cfg.va_bits < 1 || o.cfg.va_bits > 64) {
		fprintf(stderr, "vmlab convert: --page-size must be a power of two of at least 16 "
			"and --va-bits within 1..64\n");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	unsigned shift = 0;
	while ((1u << shift) < o.cfg.page_size)
		shift++;
	trace_opts_t topts = { .format = o.format, .page_shift = shift, .va_bits = o.cfg.va_bits };
	if (trace_open(&tr, o.args[0], &topts, err, sizeof err)) {
		fprintf(stderr, "vmlab convert: %s\n", err);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	trace_format_t to = o.to ? o.to : trace_writer_format_for(o.args[1]);
	int rc = trace_writer_open(&w, o.args[1], to, err, sizeof err);
	if (rc) {
		fprintf(stderr, "vmlab convert: %s\n", err);
		status = CLI_EXIT_FAIL;
		goto out;
	}
	progress_t prog;
	progress_start(&prog, "convert", tr, o.quiet);
	status = convert_copy(tr, w, &prog);
	progress_end(&prog);
out:
	trace_writer_free(w);
	trace_close(tr);
	free(o.args);
	return status;
}
