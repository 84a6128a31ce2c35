/* writer.c - writing traces: vmt (docs/trace-format.md), lackey, text.
 *
 * Records are encoded into stage[]; for vmt, zstd compresses stage[] into
 * zout[] as it fills, streaming, so memory stays bounded whatever the trace
 * length.  Output goes out by write(2) in large blocks. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "formats.h"
#include "writer.h"
#include "../util/rng.h"
#include "../util/clip.h"
#include "../util/vmerr.h"

#define STAGE_SIZE ((size_t)1 << 18)   /* encoded bytes before compression */
#define STAGE_ROOM 128                  /* the longest encoded access (text M: two lines) fits */
#define BLOCK_ROOM (VMT_BLOCK_ITEMS * VMT_V1_RECORD_MAX)   /* a block's records, however written */
_Static_assert(BLOCK_ROOM >= 1 + 10 + 10 + VMT_BLOCK_ITEMS + VMT_RECORD_MAX, "a definition and a use fit");
#define VMT_LEVEL 9                     /* zstd level: 3x smaller than lackey.zst, fast enough for record */

/* A block defined in the output: its start and items, as the record has
 * them; its data items' predictors at preds[poff ..] and its successor (the
 * block used after its last use), as the reader keeps them. */
typedef struct wr_block {
	uint64_t start;
	uint32_t poff;
	uint32_t succ;
	uint8_t n;
	uint8_t item[VMT_BLOCK_ITEMS];
} wr_block_t;

struct trace_writer {
	trace_format_t fmt;
	int fd;
	char *path;             /* as given, or "<stdout>" */
	char *tmp;              /* the temporary file renamed to path, or NULL */
	bool finished;
	uint8_t *stage;
	size_t staged;
	ZSTD_CCtx *zc;          /* vmt only */
	uint8_t *zout;
	size_t zout_size;
	uint64_t prev[2];       /* vmt: last data and ifetch address */
	uint32_t pid;           /* vmt: pid of the last record */
	trace_access_t blk[VMT_BLOCK_ITEMS];   /* vmt: the block being gathered */
	unsigned blk_n;
	uint64_t blk_next;      /* vmt: where the block's next fetch must be */
	wr_block_t *dict;       /* vmt: the blocks defined, numbered from 0 */
	size_t ndict, dict_cap;
	size_t dict_items;      /* vmt: accesses in all the definitions */
	vmt_pred_t *preds;      /* vmt: the data items' predictors */
	size_t npreds, preds_cap;
	uint32_t last_use;      /* vmt: the block of the last use, or VMT_NO_BLOCK */
	uint32_t *slot;         /* vmt: hash table of dict, index + 1 (0: empty) */
	size_t slot_mask;
	uint64_t count, bytes;
	int err;
	char msg[512];
};

/* Record "PATH: message" unless an error is already recorded; returns the
 * error in force. */
static int wr_fail(trace_writer_t *w, int code, const char *fmt, ...)
{
	if (w->err)
		return w->err;
	char why[sizeof w->msg];   /* a long PATH is cut, not the message */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	clip_join(w->msg, sizeof w->msg, "", w->path, ": ", why);
	w->err = code;
	return code;
}

trace_format_t trace_writer_format_for(const char *path)
{
	size_t n = strlen(path);
	if (n >= 7 && strcmp(path + n - 7, ".lackey") == 0)
		return TRACE_FMT_LACKEY;
	if (n >= 4 && strcmp(path + n - 4, ".txt") == 0)
		return TRACE_FMT_TEXT;
	return TRACE_FMT_VMT;
}

/* write(2) all of buf, retrying short writes and EINTR. */
static int wr_out(trace_writer_t *w, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t k = write(w->fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return wr_fail(w, VM_EIO, "write error: %s",
				       k < 0 ? strerror(errno) : "nothing written");
		p += k;
		len -= (size_t)k;
		w->bytes += (uint64_t)k;
	}
	return 0;
}

/* Compress (vmt) or write out what is staged; mode ZSTD_e_end finishes the
 * zstd frame. */
static int wr_flush(trace_writer_t *w, ZSTD_EndDirective mode)
{
	if (w->err)
		return w->err;
	if (!w->zc) {
		int rc = w->staged ? wr_out(w, w->stage, w->staged) : 0;
		w->staged = 0;
		return rc;
	}
	ZSTD_inBuffer in = { w->stage, w->staged, 0 };
	for (;;) {
		ZSTD_outBuffer out = { w->zout, w->zout_size, 0 };
		size_t left = ZSTD_compressStream2(w->zc, &out, &in, mode);
		if (ZSTD_isError(left))
			return wr_fail(w, VM_ENOMEM, "zstd: %s", ZSTD_getErrorName(left));
		if (out.pos && wr_out(w, w->zout, out.pos) < 0)
			return w->err;
		if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
			break;
	}
	w->staged = 0;
	return 0;
}

/* Create the output: stdout, the file itself when it is not a regular
 * file, else a temporary file beside it. */
static int wr_create(trace_writer_t *w, const char *path)
{
	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
		return 0;
	}
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		w->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (w->fd < 0)
			return wr_fail(w, VM_EIO, "%s", strerror(errno));
		return 0;
	}
	size_t n = strlen(path);
	w->tmp = malloc(n + sizeof ".tmpXXXXXX");
	if (!w->tmp)
		return wr_fail(w, VM_ENOMEM, "out of memory");
	memcpy(w->tmp, path, n);
	memcpy(w->tmp + n, ".tmpXXXXXX", sizeof ".tmpXXXXXX");
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		int e = errno;
		free(w->tmp);
		w->tmp = NULL;
		return wr_fail(w, VM_EIO, "cannot create: %s", strerror(e));
	}
	/* mkstemp makes 0600; give the file the mode a plain create would */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(w->fd, 0666 & ~mask);
	return 0;
}

int trace_writer_open(trace_writer_t **out, const char *path, trace_format_t fmt,
		      char *err, size_t errlen)
{
	*out = NULL;
	trace_writer_t *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(strcmp(path, "-") ? path : "<stdout>"))) {
		free(w);
		snprintf(err, errlen, "%s: out of memory", path);
		return VM_ENOMEM;
	}
	w->fmt = fmt;
	w->fd = -1;
	w->last_use = VMT_NO_BLOCK;
	int rc = 0;
	if (fmt != TRACE_FMT_VMT && fmt != TRACE_FMT_LACKEY && fmt != TRACE_FMT_TEXT)
		rc = wr_fail(w, VM_ENOTSUP, "cannot write %s traces (only vmt, lackey, text)",
			     trace_format_name(fmt));
	if (!rc && !(w->stage = malloc(STAGE_SIZE)))
		rc = wr_fail(w, VM_ENOMEM, "out of memory");
	if (!rc && fmt == TRACE_FMT_VMT) {
		w->zc = ZSTD_createCCtx();
		w->zout_size = ZSTD_CStreamOutSize();
		w->zout = malloc(w->zout_size);
		if (!w->zc || !w->zout)
			rc = wr_fail(w, VM_ENOMEM, "out of memory");
		else {
			ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, VMT_LEVEL);
			ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
			memcpy(w->stage, VMT_MAGIC, VMT_MAGIC_LEN);
			w->stage[VMT_MAGIC_LEN] = VMT_VERSION;
			w->staged = VMT_MAGIC_LEN + 1;
		}
	}
	if (!rc)
		rc = wr_create(w, path);
	if (rc) {
		snprintf(err, errlen, "%s", w->msg);
		trace_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

/* LEB128: 7 bits a byte, low bits first. */
static inline uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* One access as a vmt record at p; returns the byte after it. */
static uint8_t *put_vmt(trace_writer_t *w, uint8_t *p, const trace_access_t *a)
{
	int kern = trace_kind_is_kernel(a->kind);
	unsigned k = kern ? (a->kind == TRACE_KREAD ? VMT_K_READ : a->kind == TRACE_KWRITE
			     ? VMT_K_WRITE : VMT_K_IFETCH)
		   : a->kind == TRACE_READ ? VMT_K_READ : a->kind == TRACE_WRITE ? VMT_K_WRITE
		   : a->kind == TRACE_IFETCH ? VMT_K_IFETCH : VMT_K_MODIFY;
	unsigned tag = (kern ? VMT_K_KERNEL : k) | (a->size < 16 ? a->size << VMT_SIZE_SHIFT : 0);
	if (a->pid != w->pid)
		tag |= VMT_TAG_PID;
	*p++ = (uint8_t)tag;
	if (a->pid != w->pid)
		p = put_varint(p, a->pid);
	if (a->size >= 16)
		p = put_varint(p, a->size);
	if (kern)
		*p++ = (uint8_t)k;
	w->pid = a->pid;
	/* an instruction is predicted to follow the last one, data to be near
	 * the last data access */
	uint64_t *prev = &w->prev[k == VMT_K_IFETCH];
	uint64_t d = a->va - *prev;
	*prev = a->va + (k == VMT_K_IFETCH ? a->size : 0);
	return put_varint(p, d << 1 ^ (0 - (d >> 63)));   /* zigzag */
}

/* The vmt item byte of access a (size 1..15). */
static uint8_t blk_item(const trace_access_t *a)
{
	unsigned k = a->kind == TRACE_READ ? VMT_K_READ : a->kind == TRACE_WRITE ? VMT_K_WRITE
		   : a->kind == TRACE_IFETCH ? VMT_K_IFETCH : VMT_K_MODIFY;
	return (uint8_t)(k | a->size << VMT_SIZE_SHIFT);
}

static uint64_t blk_hash(uint64_t start, const uint8_t *item, unsigned n)
{
	uint64_t h = rng_mix64(start ^ n);
	for (unsigned i = 0; i < n; i++)
		h = rng_mix64(h ^ item[i]);
	return h;
}

/* Make the hash table room for one more block (at most half full).
 * Returns false when it cannot grow (out of memory). */
static bool blk_room(trace_writer_t *w)
{
	if ((w->ndict + 1) * 2 <= w->slot_mask + 1)
		return true;
	size_t mask = w->slot_mask ? w->slot_mask * 2 + 1 : 1023;
	uint32_t *slot = calloc(mask + 1, sizeof *slot);
	if (!slot)
		return false;
	for (size_t i = 0; i < w->ndict; i++) {
		const wr_block_t *d = &w->dict[i];
		size_t h = (size_t)blk_hash(d->start, d->item, d->n) & mask;
		while (slot[h])
			h = (h + 1) & mask;
		slot[h] = (uint32_t)i + 1;
	}
	free(w->slot);
	w->slot = slot;
	w->slot_mask = mask;
	return true;
}

/* The id of the block (start, item[0..n)), defined now (*fresh set) if
 * new; -1 when it is new and no more may be defined (VMT_BLOCKS blocks or
 * VMT_BLOCK_TOTAL accesses in the definitions) or memory runs out. */
static long blk_id(trace_writer_t *w, uint64_t start, const uint8_t *item, unsigned n, bool *fresh)
{
	*fresh = false;
	bool may_add = w->ndict < VMT_BLOCKS && w->dict_items + n <= VMT_BLOCK_TOTAL && blk_room(w);
	if (!w->slot)
		return -1;
	size_t h = (size_t)blk_hash(start, item, n) & w->slot_mask;
	for (; w->slot[h]; h = (h + 1) & w->slot_mask) {
		const wr_block_t *d = &w->dict[w->slot[h] - 1];
		if (d->start == start && d->n == n && memcmp(d->item, item, n) == 0)
			return (long)w->slot[h] - 1;
	}
	if (!may_add)
		return -1;
	if (w->ndict == w->dict_cap) {
		size_t cap = w->dict_cap ? w->dict_cap * 2 : 256;
		wr_block_t *d = realloc(w->dict, cap * sizeof *d);
		if (!d)
			return -1;
		w->dict = d;
		w->dict_cap = cap;
	}
	if (w->npreds + n > w->preds_cap) {
		size_t cap = w->preds_cap ? w->preds_cap : 1024;
		while (cap < w->npreds + n)
			cap *= 2;
		vmt_pred_t *pr = realloc(w->preds, cap * sizeof *pr);
		if (!pr)
			return -1;
		w->preds = pr;
		w->preds_cap = cap;
	}
	wr_block_t *d = &w->dict[w->ndict];
	d->start = start;
	d->n = (uint8_t)n;
	memcpy(d->item, item, n);
	d->poff = (uint32_t)w->npreds;
	d->succ = VMT_NO_BLOCK;
	for (unsigned i = 0; i < n; i++)
		if ((item[i] & VMT_KIND_MASK) != VMT_K_IFETCH)
			w->preds[w->npreds++] = (vmt_pred_t){ 0, 0 };
	w->slot[h] = (uint32_t)++w->ndict;
	w->dict_items += n;
	*fresh = true;
	return (long)w->ndict - 1;
}

/* A version 3 use of block id at p, the data addresses of the n gathered
 * accesses by the block's predictors; returns the byte after it. */
static uint8_t *put_use(trace_writer_t *w, uint8_t *p, uint32_t id, unsigned n)
{
	wr_block_t *d = &w->dict[id];
	uint8_t *tag = p++;
	bool succ = w->last_use != VMT_NO_BLOCK && w->dict[w->last_use].succ == id;
	if (succ)
		*tag = (uint8_t)(VMT_K_USE | VMT_V3_TAG_SUCC << VMT_TAG_ID_SHIFT);
	else if (id < VMT_V3_TAG_IDS)
		*tag = (uint8_t)(VMT_K_USE | (id + VMT_V3_TAG_ID0) << VMT_TAG_ID_SHIFT);
	else {
		*tag = VMT_K_USE;
		p = put_varint(p, id);
	}
	if (w->last_use != VMT_NO_BLOCK)
		w->dict[w->last_use].succ = id;
	w->last_use = id;
	vmt_pred_t *pr = w->preds + d->poff;
	bool exact = true;   /* every delta 0 so far */
	uint8_t *deltas = p;
	for (unsigned i = 0; i < n; i++) {
		if (w->blk[i].kind == TRACE_IFETCH)
			continue;
		uint64_t va = w->blk[i].va;
		uint64_t e = va - (pr->last + pr->stride);
		pr->stride = va - pr->last;
		pr->last = va;
		pr++;
		w->prev[0] = va;
		exact = exact && e == 0;
		p = put_varint(p, e << 1 ^ (0 - (e >> 63)));   /* zigzag */
	}
	if (succ && exact) {   /* the deltas (zeros) go */
		*tag = (uint8_t)(VMT_K_USE | VMT_V3_TAG_EXACT << VMT_TAG_ID_SHIFT);
		p = deltas;
	}
	return p;
}

/* Write the gathered block: a use of its definition (made first if new),
 * or its accesses as plain records when no more blocks may be defined. */
static int blk_flush(trace_writer_t *w)
{
	unsigned n = w->blk_n;
	if (!n)
		return 0;
	w->blk_n = 0;
	if (w->staged > STAGE_SIZE - BLOCK_ROOM && wr_flush(w, ZSTD_e_continue) < 0)
		return w->err;
	uint8_t item[VMT_BLOCK_ITEMS];
	for (unsigned i = 0; i < n; i++)
		item[i] = blk_item(&w->blk[i]);
	uint64_t start = w->blk[0].va;
	bool fresh;
	long id = blk_id(w, start, item, n, &fresh);
	uint8_t *p = w->stage + w->staged;
	if (id < 0) {
		for (unsigned i = 0; i < n; i++)
			p = put_vmt(w, p, &w->blk[i]);
		w->staged = (size_t)(p - w->stage);
		return 0;
	}
	if (fresh) {
		*p++ = VMT_K_DEFINE;
		p = put_varint(p, n);
		p = put_varint(p, start);
		memcpy(p, item, n);
		p += n;
	}
	p = put_use(w, p, (uint32_t)id, n);
	w->prev[1] = w->blk_next;
	w->staged = (size_t)(p - w->stage);
	return 0;
}

/* One access into the vmt output: gathered into a block (an instruction
 * fetch starts one; data accesses and the fetches that follow on in
 * sequence extend it, by the same pid, of 1..15 bytes), else a record. */
static int put_vmt_access(trace_writer_t *w, const trace_access_t *a)
{
	bool small = a->size >= 1 && a->size < 16 && a->pid == w->pid &&
		     !trace_kind_is_kernel(a->kind); /* (a block holds user accesses) */
	if (w->blk_n) {
		if (small && w->blk_n < VMT_BLOCK_ITEMS &&
		    (a->kind != TRACE_IFETCH || a->va == w->blk_next)) {
			w->blk[w->blk_n++] = *a;
			if (a->kind == TRACE_IFETCH)
				w->blk_next = a->va + a->size;
			return 0;
		}
		if (blk_flush(w) < 0)
			return w->err;
	}
	if (small && a->kind == TRACE_IFETCH && a->va <= UINT64_MAX - a->size) {
		w->blk[0] = *a;
		w->blk_n = 1;
		w->blk_next = a->va + a->size;
		return 0;
	}
	uint8_t *p = put_vmt(w, w->stage + w->staged, a);
	w->staged = (size_t)(p - w->stage);
	return 0;
}

/* One access as lackey or text lines at p. */
static uint8_t *put_line(trace_writer_t *w, uint8_t *p, const trace_access_t *a)
{
	char *s = (char *)p;
	if (w->fmt == TRACE_FMT_LACKEY) {
		const char *head = a->kind == TRACE_IFETCH ? "I " : a->kind == TRACE_READ ? " L"
				 : a->kind == TRACE_WRITE ? " S" : " M";
		return p + sprintf(s, "%s %08" PRIx64 ",%" PRIu32 "\n", head, a->va, a->size);
	}
	char pid[16] = "";
	if (a->pid)
		snprintf(pid, sizeof pid, " %" PRIu32, a->pid);
	if (a->kind == TRACE_MODIFY) {   /* text has no M: the read, then the write */
		s += sprintf(s, "R 0x%" PRIx64 " %" PRIu32 "%s\n", a->va, a->size, pid);
		return (uint8_t *)s + sprintf(s, "W 0x%" PRIx64 " %" PRIu32 "%s\n", a->va, a->size, pid);
	}
	const char *kind = a->kind == TRACE_READ ? "R" : a->kind == TRACE_WRITE ? "W"
			 : a->kind == TRACE_IFETCH ? "X" : a->kind == TRACE_KREAD ? "KR"
			 : a->kind == TRACE_KWRITE ? "KW" : "KX";
	return p + sprintf(s, "%s 0x%" PRIx64 " %" PRIu32 "%s\n", kind, a->va, a->size, pid);
}

int trace_writer_write(trace_writer_t *w, const trace_access_t *a, size_t n)
{
	if (w->err)
		return w->err;
	for (size_t i = 0; i < n; i++) {
		if (w->staged > STAGE_SIZE - STAGE_ROOM && wr_flush(w, ZSTD_e_continue) < 0)
			return w->err;
		if (w->fmt == TRACE_FMT_LACKEY && trace_kind_is_kernel(a[i].kind))
			return wr_fail(w, VM_ENOTSUP, "access %" PRIu64 " is made in kernel mode; "
				       "lackey traces have no kernel kinds (write vmt or text)",
				       w->count + 1);
		if (w->fmt == TRACE_FMT_LACKEY && a[i].pid != 0)
			return wr_fail(w, VM_ENOTSUP, "access %" PRIu64 " is by pid %" PRIu32
				       "; lackey traces have no pids (write vmt or text)",
				       w->count + 1, a[i].pid);
		if (w->fmt == TRACE_FMT_VMT) {
			if (put_vmt_access(w, &a[i]) < 0)
				return w->err;
		} else {
			uint8_t *p = put_line(w, w->stage + w->staged, &a[i]);
			w->staged = (size_t)(p - w->stage);
		}
		w->count++;
	}
	return 0;
}

int trace_writer_finish(trace_writer_t *w)
{
	if (w->err || w->finished)
		return w->err;
	if (blk_flush(w) < 0 || wr_flush(w, ZSTD_e_end) < 0)
		return w->err;
	if (w->fd != STDOUT_FILENO && fsync(w->fd) < 0 && errno != EINVAL && errno != EROFS)
		return wr_fail(w, VM_EIO, "write error: %s", strerror(errno));
	if (w->fd != STDOUT_FILENO) {
		int rc = close(w->fd);
		w->fd = -1;
		if (rc < 0)
			return wr_fail(w, VM_EIO, "write error: %s", strerror(errno));
	}
	if (w->tmp && rename(w->tmp, w->path) < 0)
		return wr_fail(w, VM_EIO, "cannot rename %s into place: %s", w->tmp, strerror(errno));
	free(w->tmp);
	w->tmp = NULL;
	w->finished = true;
	return 0;
}

const char *trace_writer_error(const trace_writer_t *w)
{
	return w->err ? w->msg : "";
}

uint64_t trace_writer_count(const trace_writer_t *w)
{
	return w->count;
}

uint64_t trace_writer_bytes(const trace_writer_t *w)
{
	return w->bytes;
}

void trace_writer_free(trace_writer_t *w)
{
	if (!w)
		return;
	if (w->fd >= 0 && w->fd != STDOUT_FILENO)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	ZSTD_freeCCtx(w->zc);
	free(w->dict);
	free(w->preds);
	free(w->slot);
	free(w->zout);
	free(w->stage);
	free(w->tmp);
	free(w->path);
	free(w);
}
