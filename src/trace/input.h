/* input.h - the byte source under the trace readers (private to src/trace).
 *
 * Opens a path or stdin, recognises gzip (1f 8b) and zstd (28 b5 2f fd) by
 * their magic bytes, also on stdin, and hands out the decompressed bytes in
 * large blocks.  A stream that is corrupt or ends inside a gzip member or a
 * zstd frame is an error, never a quiet end of input.
 */
#ifndef VMLAB_TRACE_INPUT_H
#define VMLAB_TRACE_INPUT_H

#include <stddef.h>

typedef struct trace_input trace_input_t;

/* Open path (NULL or "-" for stdin) and sniff its compression.  On failure
 * returns VM_ENOENT (missing), VM_EIO (unreadable) or VM_ENOMEM and writes
 * "PATH: what is wrong" into err. */
int trace_input_open(trace_input_t **out, const char *path, char *err,
		     size_t errlen);

/* The same on a descriptor already open (a pipe), shown as name; closed by
 * trace_input_close. */
int trace_input_open_fd(trace_input_t **out, int fd, const char *name, char *err,
			size_t errlen);

/* Read up to cap decompressed bytes into buf (cap > 0).  Returns how many
 * (0 only at the clean end of input) or a negative vm_err_t, after which
 * trace_input_error() says what went wrong, without the file name.  Bytes
 * decoded before an error are returned first; the error comes on the next
 * call and on every call after it. */
long trace_input_read(trace_input_t *in, void *buf, size_t cap);

/* The message of the last error ("corrupt gzip data (...)"), or "". */
const char *trace_input_error(const trace_input_t *in);

/* The display name: the path as given, or "<stdin>". */
const char *trace_input_name(const trace_input_t *in);

/* The descriptor read from. */
int trace_input_fd(const trace_input_t *in);

/* Close the file (never stdin) and free everything; NULL is allowed. */
void trace_input_close(trace_input_t *in);

#endif
