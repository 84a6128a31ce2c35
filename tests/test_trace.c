/* test_trace.c - the trace readers: formats, detection, compression, errors.
 *
 * Every test writes its input into a fresh directory under /tmp and reads it
 * back through the public interface; expected values are written out by
 * hand, never taken from the reader itself.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "trace/trace.h"
#include "util/vmerr.h"

#define MAX_FILES 16
#define BIG (3u << 20)   /* bytes: larger than the reader's 1 MiB buffer */

static char tmpdir[64];               /* this test's scratch directory */
static char files[MAX_FILES][128];    /* files made in it, to remove */
static int nfiles;

static void setup(void)
{
	strcpy(tmpdir, "/tmp/vmlab-trace-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	nfiles = 0;
}

static void teardown(void)
{
	for (int i = 0; i < nfiles; i++)
		unlink(files[i]);
	rmdir(tmpdir);
}

TestSuite(trace, .init = setup, .fini = teardown);

/* Write len bytes into tmpdir/name; returns the path (lives until the end
 * of the test). */
static const char *write_bytes(const char *name, const void *data, size_t len)
{
	cr_assert_lt(nfiles, MAX_FILES);
	char *path = files[nfiles++];
	snprintf(path, sizeof files[0], "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static const char *write_text(const char *name, const char *text)
{
	return write_bytes(name, text, strlen(text));
}

/* The whole content of a file in malloc'd memory. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	char *data = malloc((size_t)n + 1);
	cr_assert_not_null(data);
	cr_assert_eq(fread(data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	data[n] = '\0';
	*len = (size_t)n;
	return data;
}

/* One gzip member holding data, in malloc'd memory. */
static unsigned char *gzip_bytes(const void *data, size_t len, size_t *outlen)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
				  Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, len) + 64;
	unsigned char *out = malloc(cap);
	cr_assert_not_null(out);
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* One zstd frame (with a checksum) holding data, in malloc'd memory. */
static unsigned char *zstd_bytes(const void *data, size_t len, size_t *outlen)
{
	size_t cap = ZSTD_compressBound(len);
	unsigned char *out = malloc(cap);
	cr_assert_not_null(out);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	cr_assert_not_null(cc);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	size_t n = ZSTD_compress2(cc, out, cap, data, len);
	cr_assert(!ZSTD_isError(n), "%s", ZSTD_getErrorName(n));
	ZSTD_freeCCtx(cc);
	*outlen = n;
	return out;
}

typedef struct result {
	trace_access_t *a;     /* accesses read, malloc'd */
	size_t n;
	long rc;               /* 0 at a clean end, else the error */
	char err[512];         /* trace_error() after the error */
	trace_format_t format; /* trace_format() at the end */
} result_t;

/* Read a whole trace batch accesses at a time; on an error also checks that
 * the error sticks. */
static result_t read_all_opts(const char *path, const trace_opts_t *o,
			      size_t batch)
{
	result_t res;
	memset(&res, 0, sizeof res);
	char err[512];
	trace_reader_t *r;
	int rc = trace_open(&r, path, o, err, sizeof err);
	cr_assert_eq(rc, 0, "trace_open: %s", err);
	cr_assert_str_eq(trace_error(r), "");
	size_t cap = 1024;
	res.a = malloc(cap * sizeof *res.a);
	trace_access_t *chunk = malloc(batch * sizeof *chunk);
	cr_assert(res.a && chunk);
	for (;;) {
		long k = trace_read(r, chunk, batch);
		if (k <= 0) {
			res.rc = k;
			break;
		}
		cr_assert_leq((size_t)k, batch);
		while (res.n + (size_t)k > cap) {
			cap *= 2;
			res.a = realloc(res.a, cap * sizeof *res.a);
			cr_assert_not_null(res.a);
		}
		memcpy(res.a + res.n, chunk, (size_t)k * sizeof *chunk);
		res.n += (size_t)k;
	}
	if (res.rc < 0) {
		snprintf(res.err, sizeof res.err, "%s", trace_error(r));
		cr_assert_eq(trace_read(r, chunk, batch), res.rc, "error not sticky");
		cr_assert_str_eq(trace_error(r), res.err);
	} else {
		cr_assert_eq(trace_read(r, chunk, batch), 0, "end not sticky");
	}
	res.format = trace_format(r);
	trace_close(r);
	free(chunk);
	return res;
}

static result_t read_all(const char *path, trace_format_t f, unsigned va_bits)
{
	trace_opts_t o = { .format = f, .page_shift = 12, .va_bits = va_bits };
	return read_all_opts(path, &o, 4096);
}

/* Check access i of res field by field. */
static void expect_access(const result_t *res, size_t i, char kind, uint64_t va,
			  uint32_t size, uint32_t pid)
{
	cr_assert_lt(i, res->n, "only %zu accesses", res->n);
	const trace_access_t *a = &res->a[i];
	cr_expect_eq(a->kind, (uint8_t)kind, "access %zu: kind %c, want %c", i,
		     a->kind, kind);
	cr_expect_eq(a->va, va, "access %zu: va 0x%" PRIx64 ", want 0x%" PRIx64,
		     i, a->va, va);
	cr_expect_eq(a->size, size, "access %zu: size %u, want %u", i, a->size,
		     size);
	cr_expect_eq(a->pid, pid, "access %zu: pid %u, want %u", i, a->pid, pid);
}

/* Parse text as format f and expect the error "PATH:" + where_what. */
static void expect_error_bits(const char *text, trace_format_t f,
			      unsigned va_bits, long code,
			      const char *where_what)
{
	const char *path = write_text("t", text);
	result_t res = read_all(path, f, va_bits);
	char want[600];
	snprintf(want, sizeof want, "%s:%s", path, where_what);
	cr_expect_eq(res.rc, code, "rc %ld, want %ld (%s)", res.rc, code, res.err);
	cr_expect_str_eq(res.err, want);
	free(res.a);
}

static void expect_error(const char *text, trace_format_t f, long code,
			 const char *where_what)
{
	expect_error_bits(text, f, 48, code, where_what);
}

/* ------------------------------------------------------------------ */
/* lackey                                                              */
/* ------------------------------------------------------------------ */

Test(trace, lackey_fields)
{
	const char *path = write_text("t.lackey",
		"==123== Lackey, an example Valgrind tool\n"
		"I  0400d7d4,8\n"
		" L 04222cc0,8\n"
		"\n"
		" S 1fff000708,16\n"
		"==123== \n"
		" M 0421c7f0,4\n"
		"I  ABCDEF12,1\n"
		"I  00000000,2147483648\n");
	result_t res = read_all(path, TRACE_FMT_LACKEY, 64);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, 6);
	expect_access(&res, 0, 'X', 0x0400d7d4, 8, 0);
	expect_access(&res, 1, 'R', 0x04222cc0, 8, 0);
	expect_access(&res, 2, 'W', 0x1fff000708, 16, 0);
	expect_access(&res, 3, 'M', 0x0421c7f0, 4, 0);
	expect_access(&res, 4, 'X', 0xabcdef12, 1, 0);
	expect_access(&res, 5, 'X', 0, 2147483648u, 0);
	cr_expect_eq(res.format, TRACE_FMT_LACKEY);
	free(res.a);
}

Test(trace, lackey_crlf_trailing_spaces_and_no_final_newline)
{
	const char *path = write_text("t.lackey",
		"I  0400d7d4,8\r\n"
		" L 04222cc0,2   \n"
		"   \t\r\n"
		" S 10,3 \r\n"
		" M 20,4");
	result_t res = read_all(path, TRACE_FMT_LACKEY, 64);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, 4);
	expect_access(&res, 0, 'X', 0x0400d7d4, 8, 0);
	expect_access(&res, 1, 'R', 0x04222cc0, 2, 0);
	expect_access(&res, 2, 'W', 0x10, 3, 0);
	expect_access(&res, 3, 'M', 0x20, 4, 0);
	free(res.a);
}

Test(trace, lackey_long_addresses)
{
	const char *path = write_text("t.lackey",
		"I  ffffffffffffffff,1\n"
		" L 0000000000000000000000000000001f,1\n");
	result_t res = read_all(path, TRACE_FMT_LACKEY, 64);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, 2);
	expect_access(&res, 0, 'X', UINT64_MAX, 1, 0);
	expect_access(&res, 1, 'R', 0x1f, 1, 0);
	free(res.a);
}

Test(trace, lackey_error_bad_start)
{
	expect_error("I  10,1\nX 10,1\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "2: expected 'I', ' L', ' S' or ' M' at start of line");
}

Test(trace, lackey_error_one_space_after_I)
{
	expect_error("I 10,1\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: expected 'I', ' L', ' S' or ' M' at start of line");
}

Test(trace, lackey_error_comment_line)
{
	/* lackey has no comments */
	expect_error("# made by hand\nI  10,1\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: expected 'I', ' L', ' S' or ' M' at start of line");
}

Test(trace, lackey_error_bad_hex)
{
	expect_error("I  10,1\n\n L 04g0,8\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "3: bad hex address \"04g0\"");
}

Test(trace, error_quotes_at_most_32_bytes_of_a_token)
{
	expect_error("R 0123456789abcdef0123456789abcdefg\n", TRACE_FMT_TEXT,
		     VM_EINVAL, "1: bad hex address "
		     "\"0123456789abcdef0123456789abcdef...\"");
	expect_error("R 0123456789abcdef0123456789abcdeg\n", TRACE_FMT_TEXT,
		     VM_EINVAL, "1: bad hex address "
		     "\"0123456789abcdef0123456789abcdeg\"");
}

Test(trace, lackey_error_0x_prefix)
{
	expect_error(" S 0x10,8\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: bad hex address \"0x10\"");
}

Test(trace, lackey_error_missing_address)
{
	expect_error(" S ,8\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: missing address");
}

Test(trace, lackey_error_address_over_64_bits)
{
	expect_error("I  10000000000000000,1\n", TRACE_FMT_LACKEY, VM_ERANGE,
		     "1: address \"10000000000000000\" does not fit in 64 bits");
}

Test(trace, lackey_error_missing_size)
{
	expect_error("I  0400d7d4\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: missing ',SIZE'");
	expect_error("I  0400d7d4 8\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: missing ',SIZE'");
}

Test(trace, lackey_error_empty_size)
{
	expect_error("I  0400d7d4,\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: missing size after ','");
}

Test(trace, lackey_error_bad_size)
{
	expect_error("I  0400d7d4,8x\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: bad size \"8x\"");
	expect_error("I  0400d7d4,-1\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: bad size \"-1\"");
}

Test(trace, lackey_error_size_zero)
{
	expect_error("I  0400d7d4,0\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: size must be at least 1");
}

Test(trace, lackey_error_size_too_large)
{
	expect_error("I  0400d7d4,2147483649\n", TRACE_FMT_LACKEY, VM_ERANGE,
		     "1: size 2147483649 is too large (at most 2147483648)");
	expect_error("I  0,99999999999999999999999\n", TRACE_FMT_LACKEY,
		     VM_ERANGE, "1: size 99999999999999999999999 is too large "
		     "(at most 2147483648)");
}

Test(trace, lackey_error_trailing_characters)
{
	expect_error(" L 04222cc0,8 junk\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: trailing characters \"junk\"");
	expect_error(" L 04222cc0,8,3\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: bad size \"8,3\"");
	expect_error(" L 04222cc0,8 #x\n", TRACE_FMT_LACKEY, VM_EINVAL,
		     "1: trailing characters \"#x\"");
}

Test(trace, lackey_error_nul_byte)
{
	static const char data[] = "I  10,1\nI  1\0,1\n";
	const char *path = write_bytes("t", data, sizeof data - 1);
	result_t res = read_all(path, TRACE_FMT_LACKEY, 48);
	char want[600];
	snprintf(want, sizeof want, "%s:2: bad hex address \"1?\"", path);
	cr_expect_eq(res.n, 1);
	cr_expect_eq(res.rc, VM_EINVAL);
	cr_expect_str_eq(res.err, want);
	free(res.a);
}

Test(trace, error_comes_after_the_good_accesses)
{
	const char *path = write_text("t", "I  1,1\nI  2,1\nbad\nI  3,1\n");
	trace_opts_t o = { .format = TRACE_FMT_LACKEY, .page_shift = 12,
			   .va_bits = 48 };
	char err[256];
	trace_reader_t *r;
	cr_assert_eq(trace_open(&r, path, &o, err, sizeof err), 0, "%s", err);
	trace_access_t a[10];
	cr_assert_eq(trace_read(r, a, 10), 2);
	cr_expect_eq(a[1].va, 2);
	cr_assert_eq(trace_read(r, a, 10), VM_EINVAL);
	char want[300];
	snprintf(want, sizeof want, "%s:3: expected 'I', ' L', ' S' or ' M' "
		 "at start of line", path);
	cr_expect_str_eq(trace_error(r), want);
	cr_expect_eq(trace_read(r, a, 10), VM_EINVAL);
	trace_close(r);
}

/* ------------------------------------------------------------------ */
/* va_bits                                                             */
/* ------------------------------------------------------------------ */

Test(trace, va_bits_last_byte_fits)
{
	const char *path = write_text("t",
		"I  ffffffff,1\n"
		"I  fffffff0,16\n");
	result_t res = read_all(path, TRACE_FMT_LACKEY, 32);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, 2);
	expect_access(&res, 1, 'X', 0xfffffff0, 16, 0);
	free(res.a);
}

Test(trace, va_bits_range_crossing_the_top)
{
	expect_error_bits("I  ffffffff,1\nI  ffffffff,2\n", TRACE_FMT_LACKEY, 32,
			  VM_ERANGE, "2: address 0xffffffff (size 2) does not "
			  "fit in a 32-bit virtual address");
}

Test(trace, va_bits_address_above_the_top)
{
	expect_error_bits("R 0x1000000000000 1\n", TRACE_FMT_TEXT, 48,
			  VM_ERANGE, "1: address 0x1000000000000 (size 1) does "
			  "not fit in a 48-bit virtual address");
}

Test(trace, va_bits_64_wraparound)
{
	expect_error_bits("I  ffffffffffffffff,1\n"
			  "I  ffffffffffffffff,2\n", TRACE_FMT_LACKEY, 64,
			  VM_ERANGE, "2: address 0xffffffffffffffff (size 2) "
			  "does not fit in a 64-bit virtual address");
	expect_error_bits("X fffffffffffffff0 17\n", TRACE_FMT_TEXT, 64,
			  VM_ERANGE, "1: address 0xfffffffffffffff0 (size 17) "
			  "does not fit in a 64-bit virtual address");
}

Test(trace, bad_options)
{
	char err[256];
	trace_reader_t *r = (trace_reader_t *)1;
	trace_opts_t o = { .format = TRACE_FMT_AUTO, .page_shift = 12,
			   .va_bits = 0 };
	cr_expect_eq(trace_open(&r, "x", &o, err, sizeof err), VM_EINVAL);
	cr_expect_str_eq(err, "x: va_bits 0 is not in 1..64");
	cr_expect_null(r);
	o.va_bits = 48;
	o.page_shift = 64;
	cr_expect_eq(trace_open(&r, "x", &o, err, sizeof err), VM_EINVAL);
	cr_expect_str_eq(err, "x: page_shift 64 is not below 64");
}

/* ------------------------------------------------------------------ */
/* text                                                                */
/* ------------------------------------------------------------------ */

Test(trace, text_fields)
{
	const char *path = write_text("t.txt",
		"# kind addr size pid\n"
		"R 0x1000\n"
		"W 2000 4\n"
		"X\t0X3000\t8\t7   # fetch\n"
		"\n"
		"   \t\n"
		"r 0xAbC 1 4294967295\n"
		"  w 00000000000000000000000000000010 2147483648 0\n"
		"x ffffffffffff 1 1#comment right after\r\n"
		"R 5 3 2");
	result_t res = read_all(path, TRACE_FMT_TEXT, 48);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, 7);
	expect_access(&res, 0, 'R', 0x1000, 1, 0);
	expect_access(&res, 1, 'W', 0x2000, 4, 0);
	expect_access(&res, 2, 'X', 0x3000, 8, 7);
	expect_access(&res, 3, 'R', 0xabc, 1, 4294967295u);
	expect_access(&res, 4, 'W', 0x10, 2147483648u, 0);
	expect_access(&res, 5, 'X', 0xffffffffffff, 1, 1);
	expect_access(&res, 6, 'R', 0x5, 3, 2);
	free(res.a);
}

Test(trace, text_error_bad_kind)
{
	expect_error("R 1\nL 1000\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "2: expected R, W or X at start of line");
	expect_error("RW 1000\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: expected R, W or X at start of line");
	expect_error("==1== valgrind says hi\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: expected R, W or X at start of line");
}

Test(trace, text_error_missing_address)
{
	expect_error("W\n", TRACE_FMT_TEXT, VM_EINVAL, "1: missing address");
	expect_error("W   # nothing\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: missing address");
}

Test(trace, text_error_bad_address)
{
	expect_error("W 0x\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: bad hex address \"0x\"");
	expect_error("W 12z4 8\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: bad hex address \"12z4\"");
	expect_error("W 0x10000000000000000\n", TRACE_FMT_TEXT, VM_ERANGE,
		     "1: address \"0x10000000000000000\" does not fit in 64 bits");
}

Test(trace, text_error_bad_size)
{
	expect_error("R 10 0\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: size must be at least 1");
	expect_error("R 10 4k\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: bad size \"4k\"");
	expect_error("R 10 0x4\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: bad size \"0x4\"");
	expect_error("R 10 4294967296\n", TRACE_FMT_TEXT, VM_ERANGE,
		     "1: size 4294967296 is too large (at most 2147483648)");
}

Test(trace, text_error_bad_pid)
{
	expect_error("R 10 1 4294967296\n", TRACE_FMT_TEXT, VM_ERANGE,
		     "1: pid 4294967296 does not fit in 32 bits");
	expect_error("R 10 1 -1\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: bad pid \"-1\"");
}

Test(trace, text_error_trailing_characters)
{
	expect_error("R 10 1 2 3\n", TRACE_FMT_TEXT, VM_EINVAL,
		     "1: trailing characters \"3\"");
}

/* ------------------------------------------------------------------ */
/* pages                                                               */
/* ------------------------------------------------------------------ */

Test(trace, pages_fields)
{
	const char *path = write_text("t.pages",
		"# a reference string\n"
		"1,2,3w, 4W\n"
		"7 0\t5 # trailing comment, 9 10\n"
		"\n"
		"0,,8");
	result_t res = read_all(path, TRACE_FMT_PAGES, 48);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, 9);
	expect_access(&res, 0, 'R', 0x1000, 1, 0);
	expect_access(&res, 1, 'R', 0x2000, 1, 0);
	expect_access(&res, 2, 'W', 0x3000, 1, 0);
	expect_access(&res, 3, 'W', 0x4000, 1, 0);
	expect_access(&res, 4, 'R', 0x7000, 1, 0);
	expect_access(&res, 5, 'R', 0x0, 1, 0);
	expect_access(&res, 6, 'R', 0x5000, 1, 0);
	expect_access(&res, 7, 'R', 0x0, 1, 0);
	expect_access(&res, 8, 'R', 0x8000, 1, 0);
	free(res.a);
}

Test(trace, pages_page_shift)
{
	const char *path = write_text("t.pages", "1 3w\n");
	trace_opts_t o = { .format = TRACE_FMT_PAGES, .page_shift = 16,
			   .va_bits = 48 };
	result_t res = read_all_opts(path, &o, 4096);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, 2);
	expect_access(&res, 0, 'R', 0x10000, 1, 0);
	expect_access(&res, 1, 'W', 0x30000, 1, 0);
	free(res.a);
}

Test(trace, pages_error_line_of_token)
{
	expect_error("1,2\n3 # x, y\n\n 4, x5\n", TRACE_FMT_PAGES, VM_EINVAL,
		     "4: bad page number \"x5\"");
	expect_error("1 2r,3\n", TRACE_FMT_PAGES, VM_EINVAL,
		     "1: bad page number \"2r\"");
	expect_error("1 2ww\n", TRACE_FMT_PAGES, VM_EINVAL,
		     "1: bad page number \"2ww\"");
	expect_error("\n\nw\n", TRACE_FMT_PAGES, VM_EINVAL,
		     "3: bad page number \"w\"");
}

Test(trace, pages_error_too_large)
{
	expect_error("1\n18446744073709551616\n", TRACE_FMT_PAGES, VM_ERANGE,
		     "2: page number \"18446744073709551616\" does not fit in "
		     "64 bits");
	/* 2^36 pages of 4 KiB fill 48 bits exactly */
	expect_error("68719476735 68719476736\n", TRACE_FMT_PAGES, VM_ERANGE,
		     "1: address 0x1000000000000 (size 1) does not fit in a "
		     "48-bit virtual address");
	/* N << 12 does not even fit in 64 bits */
	expect_error_bits("4503599627370495\n4503599627370496\n",
			  TRACE_FMT_PAGES, 64, VM_ERANGE, "2: page "
			  "4503599627370496 does not fit in a 64-bit virtual "
			  "address");
}

/* ------------------------------------------------------------------ */
/* Format detection                                                    */
/* ------------------------------------------------------------------ */

Test(trace, auto_lackey)
{
	const char *path = write_text("t",
		"==9== Lackey\n==9== \n\n"
		" L 04222cc0,8\n"
		"I  0400d7d4,8\n");
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_expect_eq(res.format, TRACE_FMT_LACKEY);
	cr_assert_eq(res.n, 2);
	expect_access(&res, 0, 'R', 0x04222cc0, 8, 0);
	expect_access(&res, 1, 'X', 0x0400d7d4, 8, 0);
	free(res.a);
}

Test(trace, auto_text)
{
	const char *path = write_text("t", "# comment\n\n  w\t0x10 2\nR 20\n");
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_expect_eq(res.format, TRACE_FMT_TEXT);
	cr_assert_eq(res.n, 2);
	expect_access(&res, 0, 'W', 0x10, 2, 0);
	expect_access(&res, 1, 'R', 0x20, 1, 0);
	free(res.a);
}

Test(trace, auto_pages)
{
	const char *path = write_text("t", "# Belady\n7 0 1 2 0 3\n");
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_expect_eq(res.format, TRACE_FMT_PAGES);
	cr_assert_eq(res.n, 6);
	expect_access(&res, 0, 'R', 0x7000, 1, 0);
	expect_access(&res, 5, 'R', 0x3000, 1, 0);
	free(res.a);
}

Test(trace, auto_unknown)
{
	expect_error("\n# hmm\nhello world\n", TRACE_FMT_AUTO, VM_EINVAL,
		     "3: cannot tell the trace format from this line; use "
		     "--format");
	expect_error("Read 10\n", TRACE_FMT_AUTO, VM_EINVAL,
		     "1: cannot tell the trace format from this line; use "
		     "--format");
}

Test(trace, auto_applies_the_whole_grammar)
{
	/* detection looks past the '#' line, but lackey has no comments */
	expect_error("# note\nI  10,1\n", TRACE_FMT_AUTO, VM_EINVAL,
		     "1: expected 'I', ' L', ' S' or ' M' at start of line");
}

Test(trace, auto_empty)
{
	const char *path = write_text("t", "==1== nothing traced\n\n# really\n");
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	cr_expect_eq(res.rc, 0, "%s", res.err);
	cr_expect_eq(res.n, 0);
	cr_expect_eq(res.format, TRACE_FMT_AUTO);
	free(res.a);
	path = write_text("e", "");
	res = read_all(path, TRACE_FMT_AUTO, 48);
	cr_expect_eq(res.rc, 0, "%s", res.err);
	cr_expect_eq(res.n, 0);
	free(res.a);
	res = read_all(path, TRACE_FMT_LACKEY, 48);
	cr_expect_eq(res.rc, 0, "%s", res.err);
	cr_expect_eq(res.n, 0);
	free(res.a);
}

Test(trace, auto_after_more_than_a_buffer_of_skipped_lines)
{
	const char *hdr = "==1234== a valgrind message, repeated a lot\n";
	size_t hl = strlen(hdr), reps = BIG / hl;
	char *data = malloc(reps * hl + 64);
	cr_assert_not_null(data);
	for (size_t i = 0; i < reps; i++)
		memcpy(data + i * hl, hdr, hl);
	strcpy(data + reps * hl, " S 1234,8\n");
	const char *path = write_bytes("t", data, strlen(data));
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_expect_eq(res.format, TRACE_FMT_LACKEY);
	cr_assert_eq(res.n, 1);
	expect_access(&res, 0, 'W', 0x1234, 8, 0);
	free(res.a);
	free(data);
}

Test(trace, format_names)
{
	trace_format_t f = TRACE_FMT_AUTO;
	cr_expect_eq(trace_format_parse("lackey", &f), 0);
	cr_expect_eq(f, TRACE_FMT_LACKEY);
	cr_expect_eq(trace_format_parse("text", &f), 0);
	cr_expect_eq(f, TRACE_FMT_TEXT);
	cr_expect_eq(trace_format_parse("pages", &f), 0);
	cr_expect_eq(f, TRACE_FMT_PAGES);
	cr_expect_eq(trace_format_parse("auto", &f), 0);
	cr_expect_eq(f, TRACE_FMT_AUTO);
	cr_expect_eq(trace_format_parse("Lackey", &f), VM_ENOENT);
	cr_expect_eq(trace_format_parse("", &f), VM_ENOENT);
	cr_expect_str_eq(trace_format_name(TRACE_FMT_LACKEY), "lackey");
	cr_expect_str_eq(trace_format_name(TRACE_FMT_TEXT), "text");
	cr_expect_str_eq(trace_format_name(TRACE_FMT_PAGES), "pages");
	cr_expect_str_eq(trace_format_name(TRACE_FMT_AUTO), "auto");
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

Test(trace, missing_file)
{
	char path[128], err[256], want[300];
	snprintf(path, sizeof path, "%s/no-such-file", tmpdir);
	trace_opts_t o = { .format = TRACE_FMT_AUTO, .page_shift = 12,
			   .va_bits = 48 };
	trace_reader_t *r;
	cr_expect_eq(trace_open(&r, path, &o, err, sizeof err), VM_ENOENT);
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	cr_expect_str_eq(err, want);
	cr_expect_null(r);
}

Test(trace, unreadable_file)
{
	char err[256], want[300];
	trace_opts_t o = { .format = TRACE_FMT_AUTO, .page_shift = 12,
			   .va_bits = 48 };
	trace_reader_t *r;
	cr_expect_eq(trace_open(&r, tmpdir, &o, err, sizeof err), VM_EIO);
	snprintf(want, sizeof want, "%s: Is a directory", tmpdir);
	cr_expect_str_eq(err, want);
}

Test(trace, name)
{
	const char *path = write_text("t", "I  1,1\n");
	trace_opts_t o = { .format = TRACE_FMT_AUTO, .page_shift = 12,
			   .va_bits = 48 };
	char err[256];
	trace_reader_t *r;
	cr_assert_eq(trace_open(&r, path, &o, err, sizeof err), 0, "%s", err);
	cr_expect_str_eq(trace_name(r), path);
	cr_expect_eq(trace_format(r), TRACE_FMT_AUTO);
	trace_access_t a[4];
	cr_expect_eq(trace_read(r, a, 4), 1);
	cr_expect_eq(trace_format(r), TRACE_FMT_LACKEY);
	trace_close(r);
}

/* ------------------------------------------------------------------ */
/* The real excerpt (see tests/data/README.md)                         */
/* ------------------------------------------------------------------ */

#define EXCERPT "tests/data/true-excerpt.lackey"

/* Counts by grep -c on the file: 6 "==" lines, 233 "I  ", 26 " L ",
 * 32 " S ", 3 " M " (300 lines); sizes sum to 1316 (awk). */
static void check_excerpt(const result_t *res)
{
	cr_assert_eq(res->rc, 0, "%s", res->err);
	cr_assert_eq(res->n, 294);
	size_t count[256] = { 0 };
	uint64_t bytes = 0;
	for (size_t i = 0; i < res->n; i++) {
		count[res->a[i].kind]++;
		bytes += res->a[i].size;
		cr_expect_eq(res->a[i].pid, 0);
	}
	cr_expect_eq(count['X'], 233);
	cr_expect_eq(count['R'], 26);
	cr_expect_eq(count['W'], 32);
	cr_expect_eq(count['M'], 3);
	cr_expect_eq(bytes, 1316);
	/* lines 7-11 of the file */
	expect_access(res, 0, 'X', 0x0401ab70, 3, 0);
	expect_access(res, 1, 'X', 0x0401ab73, 5, 0);
	expect_access(res, 2, 'W', 0x1fff000708, 8, 0);
	expect_access(res, 3, 'X', 0x0401b770, 1, 0);
	expect_access(res, 4, 'W', 0x1fff000700, 8, 0);
	/* line 35, the first " M", and line 44, the first " L" */
	expect_access(res, 28, 'M', 0x04033e06, 1, 0);
	expect_access(res, 37, 'R', 0x04032e40, 8, 0);
	/* line 300, the last */
	expect_access(res, 293, 'X', 0x0401b8bf, 4, 0);
}

Test(trace, real_excerpt)
{
	result_t res = read_all(EXCERPT, TRACE_FMT_LACKEY, 48);
	check_excerpt(&res);
	free(res.a);
	res = read_all(EXCERPT, TRACE_FMT_AUTO, 48);
	cr_expect_eq(res.format, TRACE_FMT_LACKEY);
	check_excerpt(&res);
	free(res.a);
}

Test(trace, real_excerpt_in_small_batches)
{
	trace_opts_t o = { .format = TRACE_FMT_AUTO, .page_shift = 12,
			   .va_bits = 48 };
	size_t batches[] = { 1, 2, 7, 293, 294, 295 };
	for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
		result_t res = read_all_opts(EXCERPT, &o, batches[b]);
		check_excerpt(&res);
		free(res.a);
	}
}

Test(trace, real_excerpt_va_bits_too_small)
{
	/* the stack at 0x1fff000708 needs 37 bits; line 9 is the first */
	size_t len;
	char *data = slurp(EXCERPT, &len);
	const char *path = write_bytes("t", data, len);
	free(data);
	result_t res = read_all(path, TRACE_FMT_LACKEY, 36);
	char want[600];
	snprintf(want, sizeof want, "%s:9: address 0x1fff000708 (size 8) does "
		 "not fit in a 36-bit virtual address", path);
	cr_expect_eq(res.n, 2);
	cr_expect_eq(res.rc, VM_ERANGE);
	cr_expect_str_eq(res.err, want);
	free(res.a);
}

/* ------------------------------------------------------------------ */
/* Compressed input                                                    */
/* ------------------------------------------------------------------ */

Test(trace, gzip_same_as_plain)
{
	size_t len, zlen;
	char *data = slurp(EXCERPT, &len);
	unsigned char *z = gzip_bytes(data, len, &zlen);
	const char *path = write_bytes("t.gz", z, zlen);
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	check_excerpt(&res);
	free(res.a);
	free(z);
	free(data);
}

Test(trace, zstd_same_as_plain)
{
	size_t len, zlen;
	char *data = slurp(EXCERPT, &len);
	unsigned char *z = zstd_bytes(data, len, &zlen);
	const char *path = write_bytes("t.zst", z, zlen);
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	check_excerpt(&res);
	free(res.a);
	free(z);
	free(data);
}

/* Compress the excerpt as two pieces split mid-line, back to back. */
static void check_concatenated(unsigned char *(*pack)(const void *, size_t,
						       size_t *))
{
	size_t len, l1, l2;
	char *data = slurp(EXCERPT, &len);
	size_t half = len / 2 + 3;
	unsigned char *z1 = pack(data, half, &l1);
	unsigned char *z2 = pack(data + half, len - half, &l2);
	unsigned char *both = malloc(l1 + l2);
	cr_assert_not_null(both);
	memcpy(both, z1, l1);
	memcpy(both + l1, z2, l2);
	const char *path = write_bytes("t.z", both, l1 + l2);
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	check_excerpt(&res);
	free(res.a);
	free(both);
	free(z1);
	free(z2);
	free(data);
}

Test(trace, gzip_concatenated_members)
{
	check_concatenated(gzip_bytes);
}

Test(trace, zstd_concatenated_frames)
{
	check_concatenated(zstd_bytes);
}

/* Expect reading path to fail with VM_EIO and a message starting with
 * "PATH:LINE: " + what, after the accesses before the damage. */
static void expect_io_error(const char *path, const char *what)
{
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	char want[600];
	snprintf(want, sizeof want, "%s:%zu: %s", path, res.n + 1, what);
	cr_expect_eq(res.rc, VM_EIO, "rc %ld (%s)", res.rc, res.err);
	cr_expect_eq(strncmp(res.err, want, strlen(want)), 0,
		     "error \"%s\", want it to start with \"%s\"", res.err, want);
	free(res.a);
}

/* A trace with one line per access, so line = accesses + 1 at the damage. */
static char *plain_lines(size_t *len)
{
	size_t cap = 200000, n = 0;
	char *data = malloc(cap);
	cr_assert_not_null(data);
	for (unsigned i = 0; n + 40 < cap; i++)
		n += (size_t)sprintf(data + n, " L %08x,%u\n", i * 2654435761u,
				     1 + i % 8);
	*len = n;
	return data;
}

Test(trace, gzip_corrupt)
{
	size_t len, zlen;
	char *data = plain_lines(&len);
	unsigned char *z = gzip_bytes(data, len, &zlen);
	z[2] = 7;   /* compression method: only 8 (deflate) exists */
	expect_io_error(write_bytes("t.gz", z, zlen), "corrupt gzip data");
	free(z);
	free(data);
}

Test(trace, gzip_truncated)
{
	size_t len, zlen;
	char *data = plain_lines(&len);
	unsigned char *z = gzip_bytes(data, len, &zlen);
	expect_io_error(write_bytes("t.gz", z, zlen / 2), "truncated gzip data");
	/* cut inside the 8-byte trailer: all data there, the check missing */
	expect_io_error(write_bytes("u.gz", z, zlen - 3), "truncated gzip data");
	free(z);
	free(data);
}

Test(trace, gzip_trailing_garbage)
{
	size_t len, zlen;
	char *data = plain_lines(&len);
	unsigned char *z = gzip_bytes(data, len, &zlen);
	unsigned char *more = malloc(zlen + 5);
	cr_assert_not_null(more);
	memcpy(more, z, zlen);
	memcpy(more + zlen, "junk\n", 5);
	expect_io_error(write_bytes("t.gz", more, zlen + 5), "corrupt gzip data");
	free(more);
	free(z);
	free(data);
}

Test(trace, zstd_corrupt)
{
	size_t len, zlen;
	char *data = plain_lines(&len);
	unsigned char *z = zstd_bytes(data, len, &zlen);
	z[4] |= 0x08;   /* a reserved bit of the frame header descriptor */
	expect_io_error(write_bytes("t.zst", z, zlen), "corrupt zstd data");
	free(z);
	free(data);
}

Test(trace, zstd_truncated)
{
	size_t len, zlen;
	char *data = plain_lines(&len);
	unsigned char *z = zstd_bytes(data, len, &zlen);
	expect_io_error(write_bytes("t.zst", z, zlen / 2), "truncated zstd data");
	expect_io_error(write_bytes("u.zst", z, zlen - 2), "truncated zstd data");
	expect_io_error(write_bytes("v.zst", z, 4), "truncated zstd data");
	free(z);
	free(data);
}

/* ------------------------------------------------------------------ */
/* Lines straddling the reader's buffer                                */
/* ------------------------------------------------------------------ */

/* Access i of the generated big traces: addresses of 1 to 16 hex digits so
 * that line lengths vary and lines straddle every buffer boundary. */
static uint64_t big_va(unsigned i)
{
	uint64_t v = (uint64_t)i * 0x9e3779b97f4a7c15u;
	return v >> (4 * (i % 16));
}

static const char big_kind[4] = { 'X', 'R', 'W', 'M' };

/* A lackey trace of at least BIG bytes; *count gets its accesses. */
static char *big_lackey(size_t *len, unsigned *count)
{
	size_t cap = BIG + 4096, n = 0;
	char *data = malloc(cap);
	cr_assert_not_null(data);
	static const char *start[4] = { "I  ", " L ", " S ", " M " };
	unsigned i;
	for (i = 0; n < BIG; i++)
		n += (size_t)sprintf(data + n, "%s%" PRIx64 ",%u\n", start[i % 4],
				     big_va(i), 1 + i % 13);
	*len = n;
	*count = i;
	return data;
}

static void check_big(const result_t *res, unsigned count)
{
	cr_assert_eq(res->rc, 0, "%s", res->err);
	cr_assert_eq(res->n, count);
	for (unsigned i = 0; i < count; i++) {
		const trace_access_t *a = &res->a[i];
		if (a->va != big_va(i) || a->size != 1 + i % 13 ||
		    a->kind != big_kind[i % 4])
			cr_assert_fail("access %u: %c 0x%" PRIx64 ",%u", i,
				       a->kind, a->va, a->size);
	}
}

Test(trace, lackey_lines_straddle_the_buffer)
{
	size_t len;
	unsigned count;
	char *data = big_lackey(&len, &count);
	const char *path = write_bytes("t", data, len);
	result_t res = read_all(path, TRACE_FMT_AUTO, 64);
	check_big(&res, count);
	free(res.a);
	trace_opts_t o = { .format = TRACE_FMT_LACKEY, .page_shift = 12,
			   .va_bits = 64 };
	res = read_all_opts(path, &o, 1000);
	check_big(&res, count);
	free(res.a);
	free(data);
}

Test(trace, big_gzip_and_zstd)
{
	size_t len, zlen;
	unsigned count;
	char *data = big_lackey(&len, &count);
	unsigned char *z = gzip_bytes(data, len, &zlen);
	result_t res = read_all(write_bytes("t.gz", z, zlen), TRACE_FMT_AUTO, 64);
	check_big(&res, count);
	free(res.a);
	free(z);
	z = zstd_bytes(data, len, &zlen);
	res = read_all(write_bytes("t.zst", z, zlen), TRACE_FMT_AUTO, 64);
	check_big(&res, count);
	free(res.a);
	free(z);
	free(data);
}

Test(trace, text_lines_straddle_the_buffer)
{
	size_t cap = BIG + 4096, n = 0;
	char *data = malloc(cap);
	cr_assert_not_null(data);
	static const char kinds[3] = { 'R', 'W', 'X' };
	unsigned i;
	for (i = 0; n < BIG; i++)
		n += (size_t)sprintf(data + n, "%c 0x%" PRIx64 " %u %u\n",
				     kinds[i % 3], big_va(i), 1 + i % 13, i);
	const char *path = write_bytes("t", data, n);
	result_t res = read_all(path, TRACE_FMT_TEXT, 64);
	cr_assert_eq(res.rc, 0, "%s", res.err);
	cr_assert_eq(res.n, i);
	for (unsigned j = 0; j < i; j++) {
		const trace_access_t *a = &res.a[j];
		if (a->va != big_va(j) || a->size != 1 + j % 13 ||
		    a->pid != j || a->kind != kinds[j % 3])
			cr_assert_fail("access %u: %c 0x%" PRIx64 ",%u", j,
				       a->kind, a->va, a->size);
	}
	free(res.a);
	free(data);
}

Test(trace, pages_one_line_longer_than_the_buffer)
{
	size_t cap = BIG + 64, n = 0;
	char *data = malloc(cap);
	cr_assert_not_null(data);
	unsigned i;
	for (i = 0; n < BIG; i++)
		n += (size_t)sprintf(data + n, "%u%s,", i * 7919u % 100003u,
				     i % 5 ? "" : "w");
	n += (size_t)sprintf(data + n, "\n12x\n");
	const char *path = write_bytes("t", data, n);
	result_t res = read_all(path, TRACE_FMT_AUTO, 48);
	char want[600];
	snprintf(want, sizeof want, "%s:2: bad page number \"12x\"", path);
	cr_expect_eq(res.rc, VM_EINVAL);
	cr_expect_str_eq(res.err, want);
	cr_assert_eq(res.n, i);
	for (unsigned j = 0; j < i; j++) {
		const trace_access_t *a = &res.a[j];
		if (a->va != (uint64_t)(j * 7919u % 100003u) << 12 ||
		    a->kind != (j % 5 ? 'R' : 'W') || a->size != 1)
			cr_assert_fail("access %u: %c 0x%" PRIx64, j, a->kind,
				       a->va);
	}
	free(res.a);
	free(data);
}

Test(trace, line_longer_than_the_buffer)
{
	size_t len = BIG;
	char *data = malloc(len);
	cr_assert_not_null(data);
	memset(data, ' ', len);
	memcpy(data, "I  10,1\nI  20,1", 15);
	data[len - 1] = '\n';
	const char *path = write_bytes("t", data, len);
	result_t res = read_all(path, TRACE_FMT_LACKEY, 48);
	char want[600];
	snprintf(want, sizeof want, "%s:2: line longer than 1048576 bytes", path);
	cr_expect_eq(res.n, 1);
	cr_expect_eq(res.rc, VM_EINVAL);
	cr_expect_str_eq(res.err, want);
	free(res.a);
	free(data);
}
