/* trace.h - reading memory traces (prefix trace_).
 *
 * A reader turns a file (or stdin) in one of the supported formats into a
 * stream of accesses.  It knows nothing of pages, frames or page tables: an
 * access is what the program did (kind, address, size, process); the machine
 * splits it into page references.
 *
 * Formats:
 *   lackey  Valgrind --tool=lackey --trace-mem=yes output:
 *           "I  ADDR,SIZE", " L ADDR,SIZE", " S ADDR,SIZE", " M ADDR,SIZE"
 *           (ADDR hex without 0x); lines starting with "==" and blank lines
 *           are skipped; any other line is an error.
 *   text    "KIND ADDR [SIZE [PID]]", KIND one of R W X, ADDR hex with or
 *           without 0x, SIZE decimal bytes (default 1, at least 1), PID
 *           decimal (default 0); '#' starts a comment; blank lines skipped.
 *   pages   decimal page numbers separated by commas, spaces or new lines;
 *           "Nw" marks a write; page N is the address N << page_shift, size 1,
 *           pid 0; '#' starts a comment.
 *   vmt     vmlab's binary format (docs/trace-format.md), recognised by its
 *           magic; binary.c.
 *   oracleGeneral  libCacheSim's 24-byte records, each a read of page obj_id
 *           by pid 0; chosen by name (--format) or a file name containing
 *           ".oracleGeneral".
 *   din     Dinero's "LABEL ADDR" lines (0 read, 1 write, 2 ifetch, 1 byte);
 *           din.c.
 * A line of lackey or text may be up to 1 MiB long; a longer one is an error
 * unless it is a "==" line or a comment (text: also a comment ending a line),
 * which may be any length, under every format and auto alike.
 * Files compressed with gzip or zstd are recognised by their magic bytes and
 * read transparently, from a path or from stdin.
 */
#ifndef VMLAB_TRACE_H
#define VMLAB_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"

/* What an access does.  M (lackey's modify) is a read then a write. */
typedef enum trace_kind {
	TRACE_READ = 'R',
	TRACE_WRITE = 'W',
	TRACE_IFETCH = 'X',
	TRACE_MODIFY = 'M',
	TRACE_KREAD = 'r',   /* kernel mode (text kinds KR KW KX): vmlab.h's VM_K* */
	TRACE_KWRITE = 'w',
	TRACE_KIFETCH = 'x',
} trace_kind_t;

/* A kernel-mode kind (KR KW KX). */
static inline int trace_kind_is_kernel(int kind)
{
	return kind == TRACE_KREAD || kind == TRACE_KWRITE || kind == TRACE_KIFETCH;
}

/* A kernel-mode access's address as the va_bits-bit one its range is
 * checked at: a sign-extended one (bits va_bits-1 up all set, as x86-64
 * writes kernel addresses) without its top bits; others unchanged. */
static inline uint64_t trace_kernel_va(uint64_t va, unsigned va_bits)
{
	if (va_bits == 0 || va_bits >= 64 || va >> (va_bits - 1) != ~0ull >> (va_bits - 1))
		return va;
	return va & ((1ull << va_bits) - 1);
}

/* One access: va (first byte), size (bytes, at least 1), pid (process, 0
 * when the format has none), kind (a trace_kind_t: the same letters as
 * vm_access's kinds).  The public API's record, so that a batch read goes to
 * vm_access_batch as it is. */
typedef vm_access_rec_t trace_access_t;

typedef enum trace_format {
	TRACE_FMT_AUTO = 0,
	TRACE_FMT_LACKEY,
	TRACE_FMT_TEXT,
	TRACE_FMT_PAGES,
	TRACE_FMT_VMT,
	TRACE_FMT_ORACLE,
	TRACE_FMT_DIN,
} trace_format_t;

typedef struct trace_opts {
	trace_format_t format; /* TRACE_FMT_AUTO: decided from the first line that is
				  neither blank, a comment nor a "==" line */
	unsigned page_shift;   /* pages format: page N is at N << page_shift */
	unsigned va_bits;      /* every byte of an access must be below 2^va_bits
				  (64 allows all) */
} trace_opts_t;

typedef struct trace_reader trace_reader_t;

/* Open path ("-" or NULL for stdin).  On failure returns a negative vm_err_t
 * and writes "PATH: what is wrong" into err. */
int trace_open(trace_reader_t **out, const char *path, const trace_opts_t *opts,
	       char *err, size_t errlen);

/* Read up to cap accesses into buf.  Returns how many (0 at the end of the
 * trace), or a negative vm_err_t; then trace_error() holds
 * "PATH:LINE: what is wrong" (PATH is "<stdin>" for stdin). */
long trace_read(trace_reader_t *r, trace_access_t *buf, size_t cap);

/* The message of the last error, or "" if none. */
const char *trace_error(const trace_reader_t *r);

/* Whether the trace ended (trace_read returned 0) having given no access. */
bool trace_empty(const trace_reader_t *r);

/* The format in use (decided after the first trace_read when auto). */
trace_format_t trace_format(const trace_reader_t *r);

/* The display name of the file ("<stdin>" for stdin). */
const char *trace_name(const trace_reader_t *r);

void trace_close(trace_reader_t *r);

/* The descriptor the reader reads from (its offset over its size is the
 * share of a file read so far: progress lines), or -1. */
int trace_fd(const trace_reader_t *r);

/* Open a pipe or other file descriptor already open for reading, shown as
 * name; the reader closes fd.  Otherwise as trace_open. */
int trace_open_fd(trace_reader_t **out, int fd, const char *name,
		  const trace_opts_t *opts, char *err, size_t errlen);

/* "lackey", "text", "pages", "vmt", "oracleGeneral", "din" or "auto". */
const char *trace_format_name(trace_format_t f);

/* Parse a format name ("oracle" too); returns 0 or VM_ENOENT. */
int trace_format_parse(const char *name, trace_format_t *out);

#endif
