/* output.c - closing an output stream and saying when what was written did
 * not reach it (a full disk, a closed pipe, /dev/full). */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>

#include "cli.h"

int cli_close_output(FILE *f, const char *name)
{
	/* An earlier write may have failed (ferror) with its errno long gone;
	 * flushing again either fails with a reason or writes what was left. */
	int failed = ferror(f), err = 0;
	if (fflush(f) == EOF) {
		failed = 1;
		err = errno;
	}
	int pending = __fpending(f) != 0;
	if (fclose(f) == EOF && (pending || errno != EBADF)) {
		/* EBADF with nothing pending: the stream was never open (as
		 * `vmlab ... >&-` leaves stdout) and nothing was lost */
		if (!failed)
			err = errno;
		failed = 1;
	}
	if (!failed)
		return 0;
	fprintf(stderr, "vmlab: cannot write %s: %s\n", name, err ? strerror(err) : "write error");
	return CLI_EXIT_FAIL;
}
