/* writer.h - writing traces: vmt, lackey, text (prefix trace_writer_).
 *
 * A regular file is written as PATH.tmpXXXXXX beside it and renamed over
 * PATH only once everything is written and synced, so a failed write (a
 * full disk) never leaves a half-written PATH; "-" is stdout, and what is
 * not a regular file (a pipe, /dev/full) is written directly. */
#ifndef VMLAB_TRACE_WRITER_H
#define VMLAB_TRACE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

typedef struct trace_writer trace_writer_t;

/* Start writing path in fmt (TRACE_FMT_VMT, _LACKEY or _TEXT).  Returns 0 or
 * a negative vm_err_t with "PATH: what is wrong" in err. */
int trace_writer_open(trace_writer_t **out, const char *path, trace_format_t fmt,
		      char *err, size_t errlen);

/* Append n accesses.  Returns 0 or a negative vm_err_t (VM_EIO a failed
 * write, VM_ENOTSUP an access the format cannot hold: lackey has no pids);
 * trace_writer_error() then says what.  Errors stick. */
int trace_writer_write(trace_writer_t *w, const trace_access_t *a, size_t n);

/* Flush, sync and put the file in place.  Returns 0 or a negative vm_err_t
 * (the partial output is then removed). */
int trace_writer_finish(trace_writer_t *w);

/* "PATH: what went wrong", or "" if nothing did. */
const char *trace_writer_error(const trace_writer_t *w);

/* Accesses written so far, and bytes of output. */
uint64_t trace_writer_count(const trace_writer_t *w);
uint64_t trace_writer_bytes(const trace_writer_t *w);

/* Free w; output that trace_writer_finish did not complete is removed.
 * NULL is allowed. */
void trace_writer_free(trace_writer_t *w);

/* The format an output name asks for: .vmt vmt, .lackey lackey, .txt text,
 * anything else vmt. */
trace_format_t trace_writer_format_for(const char *path);

#endif
