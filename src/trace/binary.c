/* binary.c - the binary trace formats: vmt and libCacheSim's oracleGeneral.
 *
 * Decompressed bytes sit in one buffer of BIN_BUF bytes followed by BIN_PAD
 * zero bytes.  A vmt record is at most VMT_RECORD_MAX bytes, so the decoder
 * reads a whole record without a bounds check whenever that many bytes are
 * buffered or the input has ended: past the end it reads zeros, which stop
 * every varint, and one comparison after the record tells that it was cut
 * short.  The format is chosen once per trace_bin_read call, never per
 * record.  Offsets in messages count decompressed bytes from the start of
 * the stream (for an uncompressed file, its bytes).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "../util/clip.h"
#include "../util/vmerr.h"

#define BIN_BUF ((size_t)1 << 20)
#define BIN_PAD (VMT_RECORD_MAX + 32)
#define VMT_COPY_OVER 4   /* a block is copied this many accesses at a time */
_Static_assert(BIN_PAD >= VMT_RECORD_MAX, "a record read past the end stays in the pad");

/* A vmt 2 block: its accesses at arena[off .. off + n) (fetches with their
 * addresses; data with the last address a use gave them, 0 before the
 * first; the pid of the last use), which of them take an address from the
 * use record, the highest data address that fits whatever the item's size,
 * and where the fetch after the block is predicted; for version 3, the
 * strides of its data items at strides[poff .. poff + ndata) and the block
 * used after its last use (VMT_NO_BLOCK: none yet). */
typedef struct vmt_block {
	uint32_t off;
	uint8_t n, ndata;
	uint8_t data[VMT_BLOCK_ITEMS];
	uint32_t poff;
	uint32_t succ;
	uint32_t pid;
	uint64_t va_lim;
	uint64_t next_x;
} vmt_block_t;

typedef struct trace_bin trace_bin_t;
/* A version's decoder (vmt_decode_v2, vmt_decode_v3): whole records from
 * [pos, end) into out, at most cap; see vmt_decode. */
typedef size_t vmt_decode_fn(trace_bin_t *b, trace_access_t *out, size_t cap, size_t safe);

struct trace_bin {
	trace_input_t *in;
	trace_format_t fmt;
	unsigned page_shift;
	unsigned va_bits;
	uint64_t va_max;        /* 2^va_bits - 1 */
	uint8_t *buf;           /* BIN_BUF + BIN_PAD bytes */
	size_t pos, end;        /* unread bytes are [pos, end) */
	uint64_t base;          /* offset of buf[0] in the decompressed stream */
	bool eof;               /* the input has no more bytes */
	bool header_done;       /* vmt: magic and version checked */
	uint64_t prev[2];       /* vmt: last address of data (0) and ifetch (1) */
	uint32_t pid;           /* vmt: pid of the records until the next P tag */
	unsigned version;       /* vmt: the header's, 1 to VMT_VERSION */
	vmt_decode_fn *decode;  /* vmt: the version's decoder, set with it */
	vmt_block_t *blocks;    /* vmt 2: the blocks defined so far */
	size_t nblocks, blocks_cap;
	trace_access_t *arena;  /* vmt 2: their accesses, VMT_BLOCK_TOTAL at most */
	size_t narena, arena_cap;
	uint64_t *strides;      /* vmt 3: their data items' strides (as many at most) */
	size_t npreds, preds_cap;
	uint32_t last_use;      /* vmt 3: the block of the last use, or VMT_NO_BLOCK */
	trace_access_t pend[VMT_BLOCK_ITEMS];   /* a block decoded for a short buffer */
	size_t pend_pos, pend_n;
	int err;                /* sticky error, 0 if none */
	char msg[512];          /* "PATH: at byte N ...: what" */
};

static const uint8_t vmt_kinds[VMT_K_COUNT] = {
	TRACE_READ, TRACE_WRITE, TRACE_IFETCH, TRACE_MODIFY,
};
/* Kind 6's byte: the kernel-mode kinds. */
static const uint8_t vmt_kernel_kinds[VMT_K_MODIFY] = {
	TRACE_KREAD, TRACE_KWRITE, TRACE_KIFETCH,
};

/* Record "PATH: at byte OFF of the decompressed stream: message" unless an
 * error is already recorded; returns the error in force. */
static int bin_fail(trace_bin_t *b, int code, uint64_t off, const char *fmt, ...)
{
	if (b->err)
		return b->err;
	char why[sizeof b->msg], at[80];   /* a long PATH is cut, not the message */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(at, sizeof at, ": at byte %" PRIu64 " of the decompressed stream: ", off);
	clip_join(b->msg, sizeof b->msg, "", trace_input_name(b->in), at, why);
	b->err = code;
	return code;
}

int trace_bin_open(trace_bin_t **out, trace_input_t *in, trace_format_t fmt,
		   unsigned page_shift, unsigned va_bits, const void *pending,
		   size_t npending)
{
	*out = NULL;
	trace_bin_t *b = calloc(1, sizeof *b);
	uint8_t *buf = malloc(BIN_BUF + BIN_PAD);
	if (!b || !buf || npending > BIN_BUF) {
		free(b);
		free(buf);
		return VM_ENOMEM;
	}
	b->in = in;
	b->fmt = fmt;
	b->page_shift = page_shift;
	b->va_bits = va_bits;
	b->va_max = va_bits >= 64 ? UINT64_MAX : ((uint64_t)1 << va_bits) - 1;
	b->buf = buf;
	b->last_use = VMT_NO_BLOCK;
	memcpy(buf, pending, npending);
	b->end = npending;
	memset(buf + b->end, 0, BIN_PAD);
	*out = b;
	return 0;
}

/* Move the unread bytes to the front and read until at least want bytes are
 * unread (want <= BIN_BUF) or the input ends; the pad after them is zeroed.
 * Returns 0 or the error (recorded at the offset where decoding failed). */
static int bin_fill(trace_bin_t *b, size_t want)
{
	size_t rest = b->end - b->pos;
	if (b->pos > 0) {
		memmove(b->buf, b->buf + b->pos, rest);
		b->base += b->pos;
		b->pos = 0;
		b->end = rest;
	}
	while (!b->eof && b->end < want) {
		long got = trace_input_read(b->in, b->buf + b->end, BIN_BUF - b->end);
		if (got < 0)
			return bin_fail(b, (int)got, b->base + b->end, "%s",
					trace_input_error(b->in));
		if (got == 0)
			b->eof = true;
		b->end += (size_t)got;
	}
	memset(b->buf + b->end, 0, BIN_PAD);
	return 0;
}

/* Report that va..va+size-1 is not below 2^va_bits (or wraps). */
static __attribute__((cold, noinline)) int bin_range(trace_bin_t *b, uint64_t off, uint64_t va, uint64_t size)
{
	if (va <= b->va_max && size - 1 <= b->va_max - va)
		return 0;
	return bin_fail(b, VM_ERANGE, off, "address 0x%" PRIx64 " (size %" PRIu64
			") overflows a %u-bit virtual address", va, size, b->va_bits);
}

/* ------------------------------------------------------------------ */
/* vmt                                                                 */
/* ------------------------------------------------------------------ */

/* Decode the LEB128 varint at p into *v.  Returns the byte after it, or
 * NULL when it runs past 10 bytes or 64 bits. */
static inline const uint8_t *vmt_varint(const uint8_t *p, uint64_t *v)
{
	uint64_t x = p[0];
	if (x < 0x80) {
		*v = x;
		return p + 1;
	}
	x &= 0x7f;
	for (unsigned i = 1, s = 7; i < 9; i++, s += 7) {
		uint64_t c = p[i];
		x |= (c & 0x7f) << s;
		if (c < 0x80) {
			*v = x;
			return p + i + 1;
		}
	}
	if (p[9] > 1)
		return NULL;
	*v = x | (uint64_t)p[9] << 63;
	return p + 10;
}

static vmt_decode_fn vmt_decode_v1, vmt_decode_v2, vmt_decode_v3;

/* The decoder of each version. */
static vmt_decode_fn *const vmt_decoders[VMT_VERSION + 1] = {
	[1] = vmt_decode_v1, [2] = vmt_decode_v2, [3] = vmt_decode_v3,
};

/* Check the header: magic, then the version byte. */
static int vmt_header(trace_bin_t *b)
{
	if (bin_fill(b, VMT_MAGIC_LEN + 1) < 0)
		return b->err;
	const uint8_t *p = b->buf + b->pos;
	size_t have = b->end - b->pos;
	for (size_t i = 0; i < VMT_MAGIC_LEN; i++) {
		if (i == have)
			return bin_fail(b, VM_EINVAL, b->base + i, "truncated vmt header "
					"(%zu of %d magic bytes)", have, VMT_MAGIC_LEN);
		if (p[i] != (uint8_t)VMT_MAGIC[i])
			return bin_fail(b, VM_EINVAL, b->base + i, "bad magic: not a vmt trace");
	}
	if (have == VMT_MAGIC_LEN)
		return bin_fail(b, VM_EINVAL, b->base + VMT_MAGIC_LEN,
				"truncated vmt header (no version byte)");
	if (p[VMT_MAGIC_LEN] < 1 || p[VMT_MAGIC_LEN] > VMT_VERSION)
		return bin_fail(b, VM_EINVAL, b->base + VMT_MAGIC_LEN, "vmt version %u is not "
				"supported (this vmlab reads versions 1 to %d)", p[VMT_MAGIC_LEN], VMT_VERSION);
	b->version = p[VMT_MAGIC_LEN];
	b->decode = vmt_decoders[b->version];
	b->pos += VMT_MAGIC_LEN + 1;
	b->header_done = true;
	return 0;
}

/* The record at rec ran past the end of the data: name the field cut. */
static __attribute__((cold, noinline)) int vmt_cut(trace_bin_t *b, const uint8_t *rec)
{
	const uint8_t *e = b->buf + b->end, *p = rec + 1;
	unsigned tag = rec[0];
	const char *field = "address";
	uint64_t v;
	int kern = (tag & VMT_KIND_MASK) == VMT_K_KERNEL;
	if ((tag & VMT_KIND_MASK) >= VMT_K_COUNT && !kern)   /* a block's record */
		return bin_fail(b, VM_EINVAL, b->base + b->end, "truncated %s record at byte %" PRIu64,
				(tag & VMT_KIND_MASK) == VMT_K_DEFINE ? "block definition" : "block use",
				b->base + (uint64_t)(rec - b->buf));
	if (tag & VMT_TAG_PID) {
		if (vmt_varint(p, &v) > e) {
			field = "pid";
			goto out;
		}
		p = vmt_varint(p, &v);
	}
	if (!(tag >> VMT_SIZE_SHIFT)) {
		if (vmt_varint(p, &v) > e) {
			field = "size";
			goto out;
		}
		p = vmt_varint(p, &v);
	}
	if (kern && p >= e)
		return bin_fail(b, VM_EINVAL, b->base + (uint64_t)(p - b->buf),
				"truncated kernel record at byte %" PRIu64 " (no kind byte)",
				b->base + (uint64_t)(rec - b->buf));
	p += kern; /* the kind byte */
out:
	return bin_fail(b, VM_EINVAL, b->base + (uint64_t)(p - b->buf),
			"truncated varint (the %s of the record at byte %" PRIu64 ")", field,
			b->base + (uint64_t)(rec - b->buf));
}

/* A record that failed a check: say which, and where its field starts. */
static __attribute__((cold, noinline)) int vmt_bad(trace_bin_t *b, const uint8_t *rec, const uint8_t *field,
		   const char *what)
{
	return bin_fail(b, VM_EINVAL, b->base + (uint64_t)(field - b->buf),
			"%s (record at byte %" PRIu64 ")", what,
			b->base + (uint64_t)(rec - b->buf));
}

/* Make *arr (of *cap elements of size each) hold at least want, doubling.
 * Returns false when out of memory. */
static bool vmt_grow(void **arr, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return true;
	size_t c = *cap ? *cap : 256;
	while (c < want)
		c *= 2;
	void *p = realloc(*arr, c * size);
	if (!p)
		return false;
	*arr = p;
	*cap = c;
	return true;
}

/* The vmt 2 block definition at rec (tag already checked to be a define):
 * check it and add it to b->blocks.  Returns the byte after it, or NULL
 * after recording the error. */
static __attribute__((noinline)) const uint8_t *vmt_define(trace_bin_t *b, const uint8_t *rec)
{
	const uint8_t *e = b->buf + b->end, *p = rec + 1, *f;
	uint64_t n, start;
	if (rec[0] != VMT_K_DEFINE)
		return vmt_bad(b, rec, rec, "bad block definition tag"), NULL;
	if (!(p = vmt_varint(f = p, &n)) || p > e)
		return p ? vmt_cut(b, rec) : vmt_bad(b, rec, f, "varint longer than 64 bits"), NULL;
	if (n == 0 || n > VMT_BLOCK_ITEMS)
		return vmt_bad(b, rec, f, "a block holds 1 to 64 accesses"), NULL;
	if (!(p = vmt_varint(f = p, &start)) || p + n > e)
		return p ? vmt_cut(b, rec) : vmt_bad(b, rec, f, "varint longer than 64 bits"), NULL;
	if (b->nblocks == VMT_BLOCKS || b->narena + n > VMT_BLOCK_TOTAL)
		return vmt_bad(b, rec, rec, "more block definitions than 65536, or of more than "
			       "2^19 accesses in all"), NULL;
	uint64_t fetched = 0;   /* bytes of the block's instruction fetches */
	for (uint64_t i = 0; i < n; i++) {
		unsigned it = p[i], k = it & 3, size = it >> VMT_SIZE_SHIFT;
		if ((it & 0x0c) || size == 0)
			return vmt_bad(b, rec, p + i, "bad block item"), NULL;
		if (i == 0 && k != VMT_K_IFETCH)
			return vmt_bad(b, rec, p, "a block starts with an instruction fetch"), NULL;
		if (k == VMT_K_IFETCH)
			fetched += size;
	}
	if (start > b->va_max || fetched - 1 > b->va_max - start) {
		bin_range(b, b->base + (uint64_t)(rec - b->buf), start, fetched);
		return NULL;
	}
	if (!vmt_grow((void **)&b->blocks, &b->blocks_cap, b->nblocks + 1, sizeof *b->blocks) ||
	    !vmt_grow((void **)&b->arena, &b->arena_cap, b->narena + n + VMT_COPY_OVER - 1,
		      sizeof *b->arena) ||
	    !vmt_grow((void **)&b->strides, &b->preds_cap, b->npreds + n, sizeof *b->strides))
		return bin_fail(b, VM_ENOMEM, b->base + (uint64_t)(rec - b->buf), "out of memory"), NULL;
	vmt_block_t *bl = &b->blocks[b->nblocks++];
	trace_access_t *acc = b->arena + b->narena;
	bl->off = (uint32_t)b->narena;
	bl->n = (uint8_t)n;
	bl->ndata = 0;
	bl->poff = (uint32_t)b->npreds;
	bl->succ = VMT_NO_BLOCK;
	bl->pid = 0;
	b->narena += n;
	uint64_t x = start;
	unsigned widest = 1;   /* the largest data size */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = p[i] & 3, size = p[i] >> VMT_SIZE_SHIFT;
		acc[i] = (trace_access_t){ .va = k == VMT_K_IFETCH ? x : 0, .size = size,
					   .kind = vmt_kinds[k] };
		if (k == VMT_K_IFETCH) {
			x += size;
		} else {
			bl->data[bl->ndata++] = (uint8_t)i;
			if (size > widest)
				widest = size;
		}
	}
	bl->va_lim = b->va_max >= widest - 1 ? b->va_max - (widest - 1) : 0;
	bl->next_x = x;
	memset(b->strides + b->npreds, 0, bl->ndata * sizeof *b->strides);
	b->npreds += bl->ndata;
	return p + n;
}

/* The block a use names (*id from the tag as the version reads it, or
 * VMT_NO_BLOCK when a varint id follows; then the id read): *blp, its
 * accesses in the arena stamped with pid.  Returns the byte after the id;
 * rec itself when the block does not fit in cap; NULL after recording an
 * error. */
static inline const uint8_t *vmt_use_block(trace_bin_t *b, const uint8_t *rec, uint64_t *id,
					   size_t cap, uint32_t pid, vmt_block_t **blp)
{
	const uint8_t *p = rec + 1, *f = rec;
	if (*id == VMT_NO_BLOCK && !(p = vmt_varint(f = p, id)))
		return vmt_bad(b, rec, f, "varint longer than 64 bits"), NULL;
	if (*id >= b->nblocks) {
		if (p > b->buf + b->end)
			return vmt_cut(b, rec), NULL;
		return vmt_bad(b, rec, f, "use of a block not defined"), NULL;
	}
	vmt_block_t *bl = &b->blocks[*id];
	if (bl->n > cap)
		return rec;
	if (bl->pid != pid) {   /* rare: the arena's copy takes the pid of its uses */
		trace_access_t *a = b->arena + bl->off;
		for (unsigned i = 0; i < bl->n; i++)
			a[i].pid = pid;
		bl->pid = pid;
	}
	*blp = bl;
	return p;
}

/* Copy block bl's accesses from the arena to out (room for cap): four at a
 * time (six 16-byte moves), not by memcpy, which becomes a rep movs slow to
 * start for blocks this short; up to VMT_COPY_OVER - 1 more than bl->n,
 * from the arena's slack to out's room, when out has the room.  Returns
 * bl->n. */
static inline size_t vmt_use_copy(const trace_bin_t *b, const vmt_block_t *bl, trace_access_t *out,
				  size_t cap)
{
	const trace_access_t *src = b->arena + bl->off;
	unsigned n = bl->n;
	if (cap >= n + VMT_COPY_OVER - 1) {
		for (unsigned i = 0; i < n; i += VMT_COPY_OVER)
			memcpy(out + i, src + i, VMT_COPY_OVER * sizeof *out);
	} else {
		for (unsigned i = 0; i < n; i++)
			out[i] = src[i];
	}
	return n;
}

/* The data address va of a block's item a out of range: record it unless
 * the record was cut short (p past the end: vmt_cut's to say).  Returns
 * true when it is out of range. */
static __attribute__((cold, noinline)) bool vmt_use_range(trace_bin_t *b, const uint8_t *rec,
							    const uint8_t *p, uint64_t va,
							    const trace_access_t *a)
{
	if (va <= b->va_max && a->size - 1 <= b->va_max - va)
		return false;
	if (p <= b->buf + b->end)
		bin_range(b, b->base + (uint64_t)(rec - b->buf), va, a->size);
	return true;
}

/* The vmt 2 block use at rec: its accesses into out (room for cap), data
 * addresses from *prev_d on, the fetch after it predicted at *prev_x.
 * Returns the byte after the record; rec itself when the block does not
 * fit in cap; NULL after recording an error.  *nout gets the accesses.
 * The data addresses go into the arena's copy, which is then copied. */
static inline const uint8_t *vmt_use_v2(trace_bin_t *b, const uint8_t *rec, trace_access_t *out,
					size_t cap, uint64_t *prev_d, uint64_t *prev_x, uint32_t pid,
					size_t *nout)
{
	uint64_t id = rec[0] >> VMT_TAG_ID_SHIFT;
	id = id ? id - 1 : VMT_NO_BLOCK;
	vmt_block_t *bl = NULL;
	const uint8_t *p = vmt_use_block(b, rec, &id, cap, pid, &bl), *f;
	if (!p || p == rec)
		return p;
	trace_access_t *arena = b->arena + bl->off;
	uint64_t d = *prev_d, v;
	for (unsigned j = 0; j < bl->ndata; j++) {
		trace_access_t *a = &arena[bl->data[j]];
		if (*p < 0x80)
			v = *p++;
		else if (!(p = vmt_varint(f = p, &v)))
			return vmt_bad(b, rec, f, "varint longer than 64 bits"), NULL;
		uint64_t va = d += (v >> 1) ^ (0 - (v & 1));   /* zigzag */
		if (va > bl->va_lim && vmt_use_range(b, rec, p, va, a)) {
			if (b->err)
				return NULL;
			break;
		}
		a->va = va;
	}
	if (p > b->buf + b->end)
		return vmt_cut(b, rec), NULL;
	*prev_d = d;
	*prev_x = bl->next_x;
	*nout = vmt_use_copy(b, bl, out, cap);
	return p;
}

/* The vmt 3 block use at rec: as vmt_use_v2, but the block may be named as
 * the successor, and each data item is predicted by its own predictor: its
 * last address (kept in the arena's copy) plus its stride; with
 * VMT_V3_TAG_EXACT no deltas follow (*prev_d still becomes the last data
 * address). */
static inline const uint8_t *vmt_use_v3(trace_bin_t *b, const uint8_t *rec, trace_access_t *out,
					size_t cap, uint64_t *prev_d, uint64_t *prev_x, uint32_t pid,
					size_t *nout)
{
	unsigned c = rec[0] >> VMT_TAG_ID_SHIFT;
	uint64_t id = VMT_NO_BLOCK;   /* c == 0: a varint id */
	if (c >= VMT_V3_TAG_ID0) {
		id = c - VMT_V3_TAG_ID0;
	} else if (c) {
		if (b->last_use != VMT_NO_BLOCK)
			id = b->blocks[b->last_use].succ;
		if (id == VMT_NO_BLOCK)
			return vmt_bad(b, rec, rec, "use of the successor block, none known"), NULL;
	}
	vmt_block_t *bl = NULL;
	const uint8_t *p = vmt_use_block(b, rec, &id, cap, pid, &bl), *f;
	if (!p || p == rec)
		return p;
	trace_access_t *restrict arena = b->arena + bl->off;
	uint64_t *restrict stride = b->strides + bl->poff;
	const uint8_t *data = bl->data;
	const unsigned ndata = bl->ndata;
	const uint64_t va_lim = bl->va_lim;
	uint64_t va = *prev_d, v;
	if (c == VMT_V3_TAG_EXACT) {
		for (unsigned j = 0; j < ndata; j++) {
			trace_access_t *a = &arena[data[j]];
			va = a->va + stride[j];
			if (va > va_lim && vmt_use_range(b, rec, p, va, a))
				return NULL;
			a->va = va;
		}
	} else {
		for (unsigned j = 0; j < ndata; j++) {
			trace_access_t *a = &arena[data[j]];
			if (*p < 0x80)
				v = *p++;
			else if (!(p = vmt_varint(f = p, &v)))
				return vmt_bad(b, rec, f, "varint longer than 64 bits"), NULL;
			uint64_t last = a->va;
			va = last + stride[j] + ((v >> 1) ^ (0 - (v & 1)));   /* zigzag */
			if (va > va_lim && vmt_use_range(b, rec, p, va, a)) {
				if (b->err)
					return NULL;
				break;
			}
			stride[j] = va - last;
			a->va = va;
		}
		if (p > b->buf + b->end)
			return vmt_cut(b, rec), NULL;
	}
	if (b->last_use != VMT_NO_BLOCK)
		b->blocks[b->last_use].succ = (uint32_t)id;
	b->last_use = (uint32_t)id;
	*prev_d = va;
	*prev_x = bl->next_x;
	*nout = vmt_use_copy(b, bl, out, cap);
	return p;
}

typedef const uint8_t *vmt_use_fn(trace_bin_t *b, const uint8_t *rec, trace_access_t *out,
				  size_t cap, uint64_t *prev_d, uint64_t *prev_x, uint32_t pid,
				  size_t *nout);

/* Decode whole records from [pos, end) into out, at most cap, block uses by
 * the version's use (NULL: blocks are unknown record kinds).  The caller made sure a record starting before safe is
 * in the buffer or the input has ended.  Stops at an error (recorded).
 * Inlined into each version's decoder, so that use is a direct call. */
__attribute__((always_inline))
static inline size_t vmt_decode(trace_bin_t *b, trace_access_t *out, size_t cap, size_t safe,
				vmt_use_fn *use)
{
	const uint8_t *p = b->buf + b->pos;
	const uint8_t *const e = b->buf + b->end, *const lim = b->buf + safe;
	uint64_t prev_d = b->prev[0], prev_x = b->prev[1];
	const uint64_t va_max = b->va_max;
	uint32_t pid = b->pid;
	size_t n = 0;
	while (n < cap && p < lim) {
		const uint8_t *rec = p, *f;
		unsigned tag = *p++;
		unsigned k = tag & VMT_KIND_MASK;
		uint64_t size = tag >> VMT_SIZE_SHIFT, v;
		int kern = k == VMT_K_KERNEL;
		if (k >= VMT_K_COUNT && !kern) {
			if (!use || k > VMT_K_USE) {
				vmt_bad(b, rec, rec, "unknown record kind");
				break;
			}
			if (k == VMT_K_DEFINE) {
				if (!(p = vmt_define(b, rec)))
					break;
				continue;
			}
			size_t got = 0;
			if (!(p = use(b, rec, out + n, cap - n, &prev_d, &prev_x, pid, &got)) ||
			    p == rec)
				break;
			n += got;
			continue;
		}
		if (tag & VMT_TAG_PID) {
			f = p;
			if (!(p = vmt_varint(p, &v))) {
				vmt_bad(b, rec, f, "varint longer than 64 bits");
				break;
			}
			if (v > UINT32_MAX && p <= e) {
				vmt_bad(b, rec, f, "pid does not fit in 32 bits");
				break;
			}
			pid = (uint32_t)v;
		}
		if (!size) {
			f = p;
			if (!(p = vmt_varint(p, &size))) {
				vmt_bad(b, rec, f, "varint longer than 64 bits");
				break;
			}
			if ((size == 0 || size > VMT_SIZE_MAX) && p <= e) {
				vmt_bad(b, rec, f, size ? "size larger than 2^31" : "size 0");
				break;
			}
		}
		if (kern) { /* (past the end it reads the pad's zeros: cut, below) */
			k = *p++;
			if (k >= VMT_K_MODIFY) {
				if (p > e)
					vmt_cut(b, rec);
				else
					vmt_bad(b, rec, p - 1, "bad kernel access kind (0, 1 or 2)");
				break;
			}
		}
		f = p;
		if (!(p = vmt_varint(p, &v))) {
			vmt_bad(b, rec, f, "varint longer than 64 bits");
			break;
		}
		if (p > e) {
			vmt_cut(b, rec);
			break;
		}
		uint64_t delta = (v >> 1) ^ (0 - (v & 1));   /* zigzag */
		uint64_t va;
		if (k == VMT_K_IFETCH) {
			va = prev_x + delta;
			prev_x = va + size;
		} else {
			va = prev_d += delta;
		}
		uint64_t at = kern ? trace_kernel_va(va, b->va_bits) : va;
		if (at > va_max || size - 1 > va_max - at) {
			bin_range(b, b->base + (uint64_t)(rec - b->buf), va, size);
			break;
		}
		out[n].va = va;
		out[n].size = (uint32_t)size;
		out[n].pid = pid;
		out[n].kind = kern ? vmt_kernel_kinds[k] : vmt_kinds[k];
		n++;
	}
	if (!b->err)
		b->pos = (size_t)(p - b->buf);
	b->prev[0] = prev_d;
	b->prev[1] = prev_x;
	b->pid = pid;
	return n;
}

/* Version 1 has no blocks. */
static size_t vmt_decode_v1(trace_bin_t *b, trace_access_t *out, size_t cap, size_t safe)
{
	return vmt_decode(b, out, cap, safe, NULL);
}

static size_t vmt_decode_v2(trace_bin_t *b, trace_access_t *out, size_t cap, size_t safe)
{
	return vmt_decode(b, out, cap, safe, vmt_use_v2);
}

static size_t vmt_decode_v3(trace_bin_t *b, trace_access_t *out, size_t cap, size_t safe)
{
	return vmt_decode(b, out, cap, safe, vmt_use_v3);
}

static long vmt_read(trace_bin_t *b, trace_access_t *out, size_t cap)
{
	if (!b->header_done && vmt_header(b) < 0)
		return b->err;
	size_t n = 0;
	while (n < cap) {
		if (b->pend_pos < b->pend_n) {   /* the rest of a block that did not fit */
			size_t k = b->pend_n - b->pend_pos;
			if (k > cap - n)
				k = cap - n;
			memcpy(out + n, b->pend + b->pend_pos, k * sizeof *out);
			b->pend_pos += k;
			n += k;
			continue;
		}
		if (b->end - b->pos < VMT_RECORD_MAX && !b->eof && bin_fill(b, BIN_BUF) < 0)
			break;
		if (b->pos == b->end)
			break;   /* the end of the trace */
		size_t safe = b->eof ? b->end : b->end - (VMT_RECORD_MAX - 1);
		size_t got = b->decode(b, out + n, cap - n, safe);
		if (!got && !b->err && b->pos < b->end) {
			/* a block longer than the room left: decode it aside */
			b->pend_pos = 0;
			b->pend_n = b->decode(b, b->pend, VMT_BLOCK_ITEMS, safe);
		}
		n += got;
		if (b->err)
			break;
	}
	return n ? (long)n : b->err;
}

/* ------------------------------------------------------------------ */
/* oracleGeneral                                                       */
/* ------------------------------------------------------------------ */

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Each 24-byte record is one read of page obj_id by pid 0; the timestamp,
 * size and next access are ignored. */
static long oracle_read(trace_bin_t *b, trace_access_t *out, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		if (b->end - b->pos < ORACLE_RECORD && !b->eof && bin_fill(b, BIN_BUF) < 0)
			break;
		size_t have = b->end - b->pos;
		if (have == 0)
			break;
		if (have < ORACLE_RECORD) {
			bin_fail(b, VM_EINVAL, b->base + b->pos, "truncated oracleGeneral "
				 "record (%zu of %d bytes)", have, ORACLE_RECORD);
			break;
		}
		size_t k = have / ORACLE_RECORD;
		if (k > cap - n)
			k = cap - n;
		const uint8_t *p = b->buf + b->pos;
		for (size_t i = 0; i < k; i++, p += ORACLE_RECORD) {
			uint64_t id = le64(p + 4);
			uint64_t va = id << b->page_shift;
			if ((va >> b->page_shift) != id || va > b->va_max) {
				bin_fail(b, VM_ERANGE, b->base + (uint64_t)(p - b->buf) + 4,
					 "object id %" PRIu64 " is beyond a %u-bit virtual address "
					 "with %u-byte pages", id, b->va_bits, 1u << b->page_shift);
				break;
			}
			out[n].va = va;
			out[n].size = 1;
			out[n].pid = 0;
			out[n].kind = TRACE_READ;
			n++;
		}
		b->pos = (size_t)(p - b->buf);
		if (b->err)
			break;
	}
	return n ? (long)n : b->err;
}

long trace_bin_read(trace_bin_t *b, trace_access_t *buf, size_t cap)
{
	if (b->err)
		return b->err;
	if (cap > (size_t)1 << 30)
		cap = (size_t)1 << 30;
	return b->fmt == TRACE_FMT_VMT ? vmt_read(b, buf, cap) : oracle_read(b, buf, cap);
}

const char *trace_bin_error(const trace_bin_t *b)
{
	return b->err ? b->msg : "";
}

void trace_bin_close(trace_bin_t *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->blocks);
	free(b->arena);
	free(b->strides);
	free(b);
}
