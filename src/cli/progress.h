/* progress.h - a progress line on a terminal's stderr (prefix progress_).
 *
 * A command that reads a whole trace calls progress_update once per batch
 * it reads.  Once it has run for about a second, and only when stderr is a
 * terminal and --quiet was not given, a line shows the share of the input
 * read (when the input is a file of known size), the references so far and
 * their rate, redrawn in place at most four times a second; progress_end
 * clears it, so nothing of it stays on the screen or reaches a file.
 * VMLAB_PROGRESS_AFTER=MS in the environment changes the second (tests use
 * 0 to see the line at once). */
#ifndef VMLAB_CLI_PROGRESS_H
#define VMLAB_CLI_PROGRESS_H

#include <stdint.h>

#include "trace/trace.h"

typedef struct progress {
	int on;               /* stderr is a terminal and not --quiet */
	const char *cmd;
	int fd;               /* the input's descriptor: its offset is what was read */
	uint64_t size;        /* the input's size in bytes, 0: unknown (a pipe) */
	double start, next;   /* seconds: when it started, when to draw next */
	int drawn;            /* a line is on the screen */
} progress_t;

/* Begin for command cmd reading tr (NULL: no input to measure). */
void progress_start(progress_t *p, const char *cmd, const trace_reader_t *tr, int quiet);

/* refs references so far: redraws the line when it is time. */
void progress_update(progress_t *p, uint64_t refs);

/* Clear the line, if one was drawn.  Safe to call twice. */
void progress_end(progress_t *p);

#endif
