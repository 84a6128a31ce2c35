/* formats.h - the trace formats beyond the line parsers of reader.c
 * (private to src/trace): vmt, libCacheSim's oracleGeneral, Dinero's din.
 *
 * vmt and oracleGeneral are binary: trace_bin_ reads them from a
 * trace_input_t with its own buffer.  din is a line format: reader.c hands
 * each line to trace_din_line.  docs/trace-format.md describes vmt. */
#ifndef VMLAB_TRACE_FORMATS_H
#define VMLAB_TRACE_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "trace.h"

/* vmt: "\x89VMT\r\n\x1a\n", then the version byte. */
#define VMT_MAGIC "\x89VMT\r\n\x1a\n"
#define VMT_MAGIC_LEN 8
#define VMT_VERSION 3            /* what the writer writes; 1, 2 and 3 are read */
/* Tag byte of a record: bits 0-2 the kind, bit 3 a pid follows, bits 4-7
 * the size if 1..15 (0: a size varint follows). */
#define VMT_KIND_MASK 0x07
#define VMT_TAG_PID 0x08
#define VMT_SIZE_SHIFT 4
enum { VMT_K_READ, VMT_K_WRITE, VMT_K_IFETCH, VMT_K_MODIFY, VMT_K_COUNT };
#define VMT_V1_RECORD_MAX 22    /* tag + pid (5) + size (5) + kernel kind (1) + address (10) */
#define VMT_SIZE_MAX ((uint64_t)1 << 31)
/* Version 2 adds blocks: kind 4 defines one (tag exactly 0x04, varint N,
 * varint start address, N item bytes: bits 0-1 the kind, 2-3 zero, 4-7 the
 * size 1..15; the first item an instruction fetch, the fetches at
 * consecutive addresses from start), kind 5 uses one (tag bits 3-7 id + 1,
 * or 0 and a varint id; then one zigzag address delta per data item).
 * Blocks are numbered from 0 in the order of their definitions. */
#define VMT_K_DEFINE 4
#define VMT_K_USE 5
/* Kind 6 (either version): a kernel-mode access (text KR KW KX).  Tag, pid
 * and size as an access record's, then one byte: 0 read, 1 write, 2
 * instruction fetch; then the address delta, predicted as that kind's.  Its
 * address may be sign-extended (bits va_bits-1 up all set).  A reader older
 * than it refuses the file ("unknown record kind"), so the version stays. */
#define VMT_K_KERNEL 6
#define VMT_TAG_ID_SHIFT 3
#define VMT_TAG_IDS 31          /* ids 0..30 fit in the tag */
/* Version 3 changes the use record only: tag bits 3-7 are 0 for a varint
 * id, 1 for the successor (the block used after the last use of the block
 * of the previous use), 2 for the successor with every data address as
 * predicted (no deltas follow), 3..31 for ids 0..28; a data item's address
 * is predicted by its own slot of the block (its last address plus its last
 * stride), not by the data predictor. */
#define VMT_V3_TAG_SUCC 1       /* the use's block is the successor */
#define VMT_V3_TAG_EXACT 2      /* the successor, its data as predicted */
#define VMT_V3_TAG_ID0 3        /* tag bits 3-7 of id 0 */
#define VMT_V3_TAG_IDS 29       /* ids 0..28 fit in the tag */
#define VMT_NO_BLOCK UINT32_MAX /* no successor known (or no use yet) */

/* vmt 3: a block's data item's address predictor, both 0 at the
 * definition: the item is predicted at last + stride; then stride becomes
 * address - last and last the address (modulo 2^64). */
typedef struct vmt_pred {
	uint64_t last, stride;
} vmt_pred_t;
#define VMT_BLOCK_ITEMS 64      /* the most accesses a block holds */
#define VMT_BLOCKS ((size_t)1 << 16)   /* the most blocks one stream defines */
#define VMT_BLOCK_TOTAL ((size_t)1 << 19)   /* the most accesses in all its definitions */
#define VMT_RECORD_MAX (1 + 5 + 10 * VMT_BLOCK_ITEMS)   /* a use record, the longest */

/* libCacheSim oracleGeneral: packed little-endian records of
 * uint32 timestamp, uint64 obj_id, uint32 obj_size, int64 next_access_vtime. */
#define ORACLE_RECORD 24

typedef struct trace_bin trace_bin_t;

/* Start decoding fmt (TRACE_FMT_VMT or TRACE_FMT_ORACLE) from in, which the
 * caller keeps owning; the first npending bytes are pending[] (already read
 * from in while detecting), which start at decompressed offset 0.
 * page_shift places oracle objects; va_bits bounds every access.  Returns 0
 * or VM_ENOMEM. */
int trace_bin_open(trace_bin_t **out, trace_input_t *in, trace_format_t fmt,
		   unsigned page_shift, unsigned va_bits, const void *pending,
		   size_t npending);

/* Decode up to cap accesses.  Returns how many (0 at the end) or a negative
 * vm_err_t, then trace_bin_error holds "PATH: at byte N of the decompressed
 * stream: what"; accesses before an error come first, the error sticks. */
long trace_bin_read(trace_bin_t *b, trace_access_t *buf, size_t cap);

const char *trace_bin_error(const trace_bin_t *b);

void trace_bin_close(trace_bin_t *b);

/* Does [s, e), the start of the first trace line, look like din and not
 * like a pages list: a one-digit label, blanks, then a hex address with a
 * letter a-f or a 0x prefix? */
bool trace_din_looks(const char *s, const char *e);

/* Parse the din line at s (ending in '\n'): "LABEL ADDR [anything]", label
 * 0 read, 1 write, 2 ifetch, of 1 byte at hex ADDR.  Returns 1 with *a set,
 * 0 for a blank line, or a negative vm_err_t with the reason (no FILE:LINE)
 * in msg.  *next gets the start of the following line. */
int trace_din_line(const char *s, uint64_t va_max, trace_access_t *a,
		   const char **next, char *msg, size_t msglen);

#endif
