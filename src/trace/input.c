/* input.c - opening a trace file or stdin and undoing gzip, zstd, xz or bzip2.
 *
 * Plain input is read straight into the caller's buffer; compressed input
 * goes through one raw buffer of RAW_SIZE bytes.  The first bytes are read at
 * open time to recognise the compression, kept, and handed out (or decoded)
 * first, so the same works on pipes, where nothing can be read twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "input.h"
#include "../util/vmerr.h"

#define RAW_SIZE (1u << 20)   /* compressed bytes read per system call */
#define MAGIC_MAX 4           /* bytes needed to tell the compression */

typedef enum codec {
	CODEC_PLAIN,
	CODEC_GZIP,
	CODEC_ZSTD,
	CODEC_XZ,
	CODEC_BZIP2,
} codec_t;

struct trace_input {
	int fd;                       /* closed at the end unless stdin */
	bool is_stdin;
	codec_t codec;
	char *name;                   /* path as given, or "<stdin>" */
	unsigned char magic[MAGIC_MAX]; /* plain: first bytes, not yet handed out */
	size_t magic_len, magic_pos;
	unsigned char *raw;           /* compressed bytes read ahead */
	size_t raw_pos, raw_end;      /* unread compressed bytes */
	bool raw_eof;                 /* the file has no more bytes */
	z_stream zs;                  /* gzip decoder */
	bool zs_live;                 /* zs needs inflateEnd */
	bool in_member;               /* a gzip member started and has not ended */
	ZSTD_DCtx *zd;                /* zstd decoder */
	lzma_stream xz;               /* xz decoder (concatenated streams too) */
	bool xz_live;
	bz_stream bz;                 /* bzip2 decoder, restarted per stream */
	bool bz_live;                 /* bz needs BZ2_bzDecompressEnd */
	size_t zhint;                 /* last ZSTD_decompressStream result; 0 at
					 the end of a frame */
	int err;                      /* sticky error, 0 if none */
	char msg[160];                /* what err means, without the file name */
};

/* Record an error; the first one sticks, later calls keep returning it. */
static int set_error(trace_input_t *in, int code, const char *fmt, ...)
{
	if (in->err)
		return in->err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->msg, sizeof in->msg, fmt, ap);
	va_end(ap);
	in->err = code;
	return code;
}

/* read(2) that retries on EINTR; returns bytes, 0 at end, -1 with errno. */
static ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Map an errno from open/read to a vm_err_t: a missing file is ENOENT,
 * everything else the user can cause is EIO. */
static int errno_code(int e)
{
	if (e == ENOENT || e == ENOTDIR)
		return VM_ENOENT;
	if (e == ENOMEM)
		return VM_ENOMEM;
	return VM_EIO;
}

/* Fill magic[] with up to MAGIC_MAX bytes; short only at the end of the
 * file.  Returns 0 or -1 with errno set. */
static int read_magic(trace_input_t *in)
{
	while (in->magic_len < MAGIC_MAX) {
		ssize_t n = read_retry(in->fd, in->magic + in->magic_len,
				       MAGIC_MAX - in->magic_len);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		in->magic_len += (size_t)n;
	}
	return 0;
}

/* Decide the codec from magic[] and set up its decoder; the magic bytes move
 * into the raw buffer for the compressed codecs.  Returns 0 or VM_ENOMEM. */
static int start_codec(trace_input_t *in)
{
	static const unsigned char gz[2] = { 0x1f, 0x8b };
	static const unsigned char zs[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	static const unsigned char xz[4] = { 0xfd, '7', 'z', 'X' };
	/* compressions vmlab does not undo, named so the user knows what to run */
	static const struct { unsigned char m[4]; size_t n; const char *what; } other[] = {
		{ { 0x04, 0x22, 0x4d, 0x18 }, 4, "lz4 (decompress it with lz4 -d)" },
		{ { 'L', 'Z', 'I', 'P' }, 4, "lzip (decompress it with lzip -d)" },
		{ { 0x1f, 0x9d }, 2, "compress (.Z; decompress it with uncompress)" },
		{ { 0x89, 'L', 'Z', 'O' }, 4, "lzop (decompress it with lzop -d)" },
		{ { '7', 'z', 0xbc, 0xaf }, 4, "a 7-Zip archive (extract it with 7z x)" },
		{ { 'P', 'K', 0x03, 0x04 }, 4, "a zip archive (extract it with unzip)" },
	};

	if (in->magic_len >= 2 && memcmp(in->magic, gz, 2) == 0)
		in->codec = CODEC_GZIP;
	else if (in->magic_len >= 4 && memcmp(in->magic, zs, 4) == 0)
		in->codec = CODEC_ZSTD;
	else if (in->magic_len >= 4 && memcmp(in->magic, xz, 4) == 0)
		in->codec = CODEC_XZ;
	else if (in->magic_len >= 4 && !memcmp(in->magic, "BZh", 3) && in->magic[3] >= '1' && in->magic[3] <= '9')
		in->codec = CODEC_BZIP2;
	else {
		for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
			if (in->magic_len >= other[i].n && !memcmp(in->magic, other[i].m, other[i].n))
				return set_error(in, VM_ENOTSUP, "compressed with %s: vmlab reads gzip, zstd, xz and bzip2",
						 other[i].what);
		return 0;
	}

	in->raw = malloc(RAW_SIZE);
	if (!in->raw)
		return VM_ENOMEM;
	memcpy(in->raw, in->magic, in->magic_len);
	in->raw_end = in->magic_len;
	in->magic_len = 0;

	if (in->codec == CODEC_GZIP) {
		/* 15 + 32: the largest window, gzip or zlib header detected */
		if (inflateInit2(&in->zs, 15 + 32) != Z_OK)
			return VM_ENOMEM;
		in->zs_live = true;
		return 0;
	}
	if (in->codec == CODEC_XZ) {
		in->xz = (lzma_stream)LZMA_STREAM_INIT;
		if (lzma_stream_decoder(&in->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			return VM_ENOMEM;
		in->xz_live = true;
		return 0;
	}
	if (in->codec == CODEC_BZIP2)
		return 0;   /* bzip2_read starts each stream */
	in->zd = ZSTD_createDCtx();
	if (!in->zd)
		return VM_ENOMEM;
	/* accept frames made with zstd --long=31 too */
	ZSTD_DCtx_setParameter(in->zd, ZSTD_d_windowLogMax,
			       sizeof(size_t) >= 8 ? 31 : 30);
	in->zhint = 1;
	return 0;
}

int trace_input_open(trace_input_t **out, const char *path, char *err,
		     size_t errlen)
{
	*out = NULL;
	trace_input_t *in = calloc(1, sizeof *in);
	if (!in) {
		snprintf(err, errlen, "%s: out of memory", path ? path : "<stdin>");
		return VM_ENOMEM;
	}
	in->is_stdin = !path || strcmp(path, "-") == 0;
	in->name = strdup(in->is_stdin ? "<stdin>" : path);
	if (!in->name) {
		free(in);
		snprintf(err, errlen, "%s: out of memory", path ? path : "<stdin>");
		return VM_ENOMEM;
	}

	int rc = 0;
	if (in->is_stdin) {
		in->fd = STDIN_FILENO;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			rc = errno_code(errno);
			snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
			goto fail;
		}
		/* a hint only: the kernel reads further ahead */
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	/* reading now also catches directories (EISDIR) at open time */
	if (read_magic(in) < 0) {
		rc = errno_code(errno);
		snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
		goto fail;
	}
	rc = start_codec(in);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", in->name, in->err ? in->msg : "out of memory");
		goto fail;
	}
	*out = in;
	return 0;
fail:
	trace_input_close(in);
	return rc;
}

int trace_input_open_fd(trace_input_t **out, int fd, const char *name, char *err,
			size_t errlen)
{
	*out = NULL;
	trace_input_t *in = calloc(1, sizeof *in);
	char *copy = strdup(name);
	if (!in || !copy) {
		free(in);
		free(copy);
		close(fd);
		snprintf(err, errlen, "%s: out of memory", name);
		return VM_ENOMEM;
	}
	in->fd = fd;
	in->name = copy;
	int rc = 0;
	if (read_magic(in) < 0) {
		rc = errno_code(errno);
		snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
	} else if ((rc = start_codec(in)) < 0) {
		snprintf(err, errlen, "%s: %s", in->name, in->err ? in->msg : "out of memory");
	}
	if (rc < 0) {
		trace_input_close(in);
		return rc;
	}
	*out = in;
	return 0;
}

/* Plain input: the sniffed bytes first, then read(2) into buf directly. */
static long plain_read(trace_input_t *in, unsigned char *buf, size_t cap)
{
	size_t got = 0;
	while (in->magic_pos < in->magic_len && got < cap)
		buf[got++] = in->magic[in->magic_pos++];
	if (got == cap)
		return (long)got;
	ssize_t n = read_retry(in->fd, buf + got, cap - got);
	if (n < 0) {
		set_error(in, VM_EIO, "read error: %s", strerror(errno));
		return got ? (long)got : in->err;
	}
	return (long)(got + (size_t)n);
}

/* Make compressed bytes available in raw[] if none are left.  Returns 0
 * (raw_eof set when the file is exhausted) or a negative error. */
static int raw_fill(trace_input_t *in)
{
	if (in->raw_pos < in->raw_end || in->raw_eof)
		return 0;
	ssize_t n = read_retry(in->fd, in->raw, RAW_SIZE);
	if (n < 0)
		return set_error(in, VM_EIO, "read error: %s", strerror(errno));
	in->raw_pos = 0;
	in->raw_end = (size_t)n;
	if (n == 0)
		in->raw_eof = true;
	return 0;
}

/* gzip: inflate into buf until it is full or the input ends; a new member
 * may follow the end of the last one (concatenated .gz files). */
static long gzip_read(trace_input_t *in, unsigned char *buf, size_t cap)
{
	z_stream *zs = &in->zs;
	zs->next_out = buf;
	zs->avail_out = (uInt)cap;   /* at most 1 GiB, see trace_input_read */
	uInt want = zs->avail_out;

	while (zs->avail_out > 0) {
		if (in->raw_pos == in->raw_end) {
			if (raw_fill(in) < 0)
				break;
			if (in->raw_eof) {
				if (in->in_member)
					set_error(in, VM_EIO, "truncated gzip data");
				break;
			}
		}
		if (!in->in_member) {
			inflateReset(zs);
			in->in_member = true;
		}
		zs->next_in = in->raw + in->raw_pos;
		zs->avail_in = (uInt)(in->raw_end - in->raw_pos);
		int zr = inflate(zs, Z_NO_FLUSH);
		in->raw_pos = in->raw_end - zs->avail_in;
		if (zr == Z_STREAM_END) {
			in->in_member = false;
		} else if (zr == Z_MEM_ERROR) {
			set_error(in, VM_ENOMEM, "out of memory decoding gzip data");
			break;
		} else if (zr == Z_BUF_ERROR && zs->avail_in == 0) {
			continue;   /* needs more input */
		} else if (zr != Z_OK) {
			set_error(in, VM_EIO, "corrupt gzip data (%s)",
				  zs->msg ? zs->msg : zError(zr));
			break;
		}
	}
	size_t got = want - zs->avail_out;
	if (got)
		return (long)got;
	return in->err;
}

/* zstd: decode into buf until it is full or the input ends; frames may
 * follow one another (concatenated .zst files).  At most ZSTD_OUT_STEP
 * bytes a call of the decoder: a call that fails (a damaged block, or the
 * checksum) hands out nothing of what it decoded, so this loses at most
 * that many of the good bytes before the damage, which are read (and the
 * format detected by) before the error, whatever the stream's length. */
#define ZSTD_OUT_STEP ((size_t)1 << 14)
static long zstd_read(trace_input_t *in, unsigned char *buf, size_t cap)
{
	ZSTD_outBuffer out = { buf, 0, 0 };

	while (out.pos < cap) {
		out.size = cap - out.pos > ZSTD_OUT_STEP ? out.pos + ZSTD_OUT_STEP : cap;
		if (in->raw_pos == in->raw_end && raw_fill(in) < 0)
			break;
		bool drained = in->raw_pos == in->raw_end;   /* so raw_eof */
		if (drained && in->zhint == 0)
			break;   /* clean end after a complete frame */
		ZSTD_inBuffer src = { in->raw, in->raw_end, in->raw_pos };
		size_t before = out.pos;
		size_t r = ZSTD_decompressStream(in->zd, &out, &src);
		in->raw_pos = src.pos;
		if (ZSTD_isError(r)) {
			int code = ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation
				   ? VM_ENOMEM : VM_EIO;
			set_error(in, code, "corrupt zstd data (%s)",
				  ZSTD_getErrorName(r));
			break;
		}
		in->zhint = r;
		/* at the end of the file the decoder may still flush; once it
		 * stops making progress inside a frame, the frame was cut short */
		if (drained && out.pos == before) {
			if (r != 0)
				set_error(in, VM_EIO, "truncated zstd data");
			break;
		}
	}
	if (out.pos)
		return (long)out.pos;
	return in->err;
}

/* xz: decode into buf until it is full or the input ends (liblzma handles
 * concatenated streams itself with LZMA_CONCATENATED). */
static long xz_read(trace_input_t *in, unsigned char *buf, size_t cap)
{
	lzma_stream *x = &in->xz;
	x->next_out = buf;
	x->avail_out = cap;
	while (x->avail_out > 0) {
		if (in->raw_pos == in->raw_end && raw_fill(in) < 0)
			break;
		x->next_in = in->raw + in->raw_pos;
		x->avail_in = in->raw_end - in->raw_pos;
		lzma_ret r = lzma_code(x, in->raw_eof ? LZMA_FINISH : LZMA_RUN);
		in->raw_pos = in->raw_end - x->avail_in;
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_BUF_ERROR && in->raw_eof) {
			set_error(in, VM_EIO, "truncated xz data");
			break;
		}
		if (r == LZMA_MEM_ERROR) {
			set_error(in, VM_ENOMEM, "out of memory decoding xz data");
			break;
		}
		if (r != LZMA_OK) {
			set_error(in, VM_EIO, "corrupt xz data (liblzma error %d)", (int)r);
			break;
		}
	}
	size_t got = cap - x->avail_out;
	return got ? (long)got : in->err;
}

/* bzip2: decode into buf until it is full or the input ends; a stream may
 * follow the end of the last one (concatenated .bz2 files, pbzip2). */
static long bzip2_read(trace_input_t *in, unsigned char *buf, size_t cap)
{
	bz_stream *b = &in->bz;
	size_t got = 0;
	while (got < cap) {
		if (in->raw_pos == in->raw_end) {
			if (raw_fill(in) < 0)
				break;
			if (in->raw_eof) {
				if (in->bz_live)
					set_error(in, VM_EIO, "truncated bzip2 data");
				break;
			}
		}
		if (!in->bz_live) {
			memset(b, 0, sizeof *b);
			if (BZ2_bzDecompressInit(b, 0, 0) != BZ_OK) {
				set_error(in, VM_ENOMEM, "out of memory decoding bzip2 data");
				break;
			}
			in->bz_live = true;
		}
		b->next_in = (char *)in->raw + in->raw_pos;
		b->avail_in = (unsigned)(in->raw_end - in->raw_pos);
		b->next_out = (char *)buf + got;
		b->avail_out = (unsigned)(cap - got);
		int r = BZ2_bzDecompress(b);
		in->raw_pos = in->raw_end - b->avail_in;
		got = cap - b->avail_out;
		if (r == BZ_STREAM_END) {
			BZ2_bzDecompressEnd(b);
			in->bz_live = false;
		} else if (r == BZ_MEM_ERROR) {
			set_error(in, VM_ENOMEM, "out of memory decoding bzip2 data");
			break;
		} else if (r != BZ_OK) {
			set_error(in, VM_EIO, "corrupt bzip2 data (libbz2 error %d)", r);
			break;
		}
	}
	return got ? (long)got : in->err;
}

long trace_input_read(trace_input_t *in, void *buf, size_t cap)
{
	if (in->err)
		return in->err;
	if (cap > (size_t)1 << 30)
		cap = (size_t)1 << 30;   /* keeps the count within a long */
	switch (in->codec) {
	case CODEC_GZIP:
		return gzip_read(in, buf, cap);
	case CODEC_ZSTD:
		return zstd_read(in, buf, cap);
	case CODEC_XZ:
		return xz_read(in, buf, cap);
	case CODEC_BZIP2:
		return bzip2_read(in, buf, cap);
	case CODEC_PLAIN:
		break;
	}
	return plain_read(in, buf, cap);
}

const char *trace_input_error(const trace_input_t *in)
{
	return in->err ? in->msg : "";
}

const char *trace_input_name(const trace_input_t *in)
{
	return in->name;
}

int trace_input_fd(const trace_input_t *in)
{
	return in->fd;
}

void trace_input_close(trace_input_t *in)
{
	if (!in)
		return;
	if (!in->is_stdin && in->fd >= 0)
		close(in->fd);
	if (in->zs_live)
		inflateEnd(&in->zs);
	ZSTD_freeDCtx(in->zd);
	if (in->xz_live)
		lzma_end(&in->xz);
	if (in->bz_live)
		BZ2_bzDecompressEnd(&in->bz);
	free(in->raw);
	free(in->name);
	free(in);
}
