/* test_speed.c - what the speed work added: vmt version 2's blocks (decoded
 * byte for byte, through a buffer of any size, refused when malformed, and
 * what `convert` writes), version 1 still read, and mrc --sample's filter
 * while reading giving the curve of the filter after it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "trace/trace.h"

#define HDR1 "\x89VMT\r\n\x1a\n\x01"
#define HDR2 "\x89VMT\r\n\x1a\n\x02"

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmlab-speed-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	cmd_out_t r;
	run(&r, "rm -rf '%s'", dir);
}

TestSuite(speed, .init = mkdir_tmp, .fini = rm_tmp);

static void put_file(const char *name, const void *bytes, size_t len)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

/* Block 0: X 0x400000 4, R (address from the use) 8, X 0x400004 2. */
#define DEF0 "\x04\x03\x80\x80\x80\x02\x42\x80\x22"
/* A v2 stream, by hand from docs/trace-format.md: a use with the id in the
 * tag, a v1 fetch predicted after the block, a use with a varint id and a
 * negative delta, a pid record, a use under that pid. */
static const char stream2[] = HDR2 DEF0
	"\x0d\x80\x40"     /* use 0: R at 0 + 0x1000 */
	"\x12\x00"         /* X 1 at 0x400006, the fetch after the block */
	"\x05\x00\x0f"     /* use 0 (varint id): R at 0x1000 - 8 */
	"\x18\x07\x10"     /* R 1 pid 7 at 0xff8 + 8 */
	"\x0d\x00";        /* use 0 under pid 7: R at 0x1000 */
static const char text2[] =
	"X 0x400000 4\nR 0x1000 8\nX 0x400004 2\n"
	"X 0x400006 1\n"
	"X 0x400000 4\nR 0xff8 8\nX 0x400004 2\n"
	"R 0x1000 1 7\n"
	"X 0x400000 4 7\nR 0x1000 8 7\nX 0x400004 2 7\n";

/* Catches a misread tag id, varint id, data delta, the fetch predictor after
 * a block, or a block's pid. */
Test(speed, vmt2_blocks_decode_exactly)
{
	put_file("s.vmt", stream2, sizeof stream2 - 1);
	cmd_out_t r;
	run(&r, "%s convert %s/s.vmt - --to text", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, text2);
}

/* Read s.vmt cap accesses at a time; returns how many in all, into all[]. */
static size_t read_all(size_t cap, trace_access_t *all, size_t max)
{
	char path[128], err[512];
	snprintf(path, sizeof path, "%s/s.vmt", dir);
	trace_opts_t o = { .format = TRACE_FMT_AUTO, .page_shift = 12, .va_bits = 48 };
	trace_reader_t *tr;
	cr_assert_eq(trace_open(&tr, path, &o, err, sizeof err), 0, "%s", err);
	trace_access_t buf[16];
	size_t n = 0;
	long k;
	while ((k = trace_read(tr, buf, cap)) > 0) {
		cr_assert_leq((size_t)k, cap);
		cr_assert_leq(n + (size_t)k, max);
		memcpy(all + n, buf, (size_t)k * sizeof *buf);
		n += (size_t)k;
	}
	cr_assert_eq(k, 0, "%s", trace_error(tr));
	trace_close(tr);
	return n;
}

/* A block longer than the room left in the caller's buffer is handed out
 * in pieces: catches a lost or repeated access at the seam. */
Test(speed, vmt2_blocks_through_a_small_buffer)
{
	put_file("s.vmt", stream2, sizeof stream2 - 1);
	trace_access_t want[16], got[16];
	size_t n = read_all(16, want, 16);
	cr_assert_eq(n, 11);
	cr_assert_eq(want[8].va, 0x400000);
	cr_assert_eq(want[8].pid, 7);
	cr_assert_eq(want[9].va, 0x1000);
	for (size_t cap = 1; cap <= 4; cap++) {
		memset(got, 0, sizeof got);
		cr_assert_eq(read_all(cap, got, 16), 11, "cap %zu", cap);
		for (size_t i = 0; i < 11; i++) {
			cr_assert_eq(got[i].va, want[i].va, "cap %zu access %zu", cap, i);
			cr_assert_eq(got[i].size, want[i].size);
			cr_assert_eq(got[i].pid, want[i].pid);
			cr_assert_eq(got[i].kind, want[i].kind);
		}
	}
}

static void bad(const char *bytes, size_t len, const char *msg)
{
	put_file("bad.vmt", bytes, len);
	cmd_out_t r;
	run(&r, "%s run %s/bad.vmt", vmlab(), dir);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	char want[512];
	snprintf(want, sizeof want, "%s/bad.vmt: at byte %s\n", dir, msg);
	cr_assert_str_eq(r.err, want);
}

#define BAD(lit, msg) bad(lit, sizeof lit - 1, msg)

/* Each check of a block record, with the byte it names. */
Test(speed, vmt2_malformed_blocks)
{
	BAD(HDR1 "\x04\x01\x00\x42", "9 of the decompressed stream: unknown record kind (record at byte 9)");
	BAD(HDR2 "\x0d\x00", "9 of the decompressed stream: use of a block not defined (record at byte 9)");
	BAD(HDR2 "\x05\x01", "10 of the decompressed stream: use of a block not defined (record at byte 9)");
	BAD(HDR2 "\x04\x00", "10 of the decompressed stream: a block holds 1 to 64 accesses (record at byte 9)");
	BAD(HDR2 "\x04\x41\x00", "10 of the decompressed stream: a block holds 1 to 64 accesses (record at byte 9)");
	BAD(HDR2 "\x04\x01\x00\x80", "12 of the decompressed stream: a block starts with an instruction fetch (record at byte 9)");
	BAD(HDR2 "\x04\x02\x00\x42\x06", "13 of the decompressed stream: bad block item (record at byte 9)");
	BAD(HDR2 "\x04\x01\x00\x02", "12 of the decompressed stream: bad block item (record at byte 9)");
	BAD(HDR2 "\x0c", "9 of the decompressed stream: bad block definition tag (record at byte 9)");
	BAD(HDR2 "\x07", "9 of the decompressed stream: unknown record kind (record at byte 9)"); /* (6: a kernel access, test_kmode2.c) */
	BAD(HDR2 "\x04\x03\x00\x42", "13 of the decompressed stream: truncated block definition record at byte 9");
	BAD(HDR2 DEF0 "\x0d", "19 of the decompressed stream: truncated block use record at byte 18");
	/* the last fetch's byte 2^48 is one past a 48-bit address space */
	BAD(HDR2 "\x04\x01\xff\xff\xff\xff\xff\xff\x3f\x22",
	    "9 of the decompressed stream: address 0xffffffffffff (size 2) overflows a 48-bit virtual address");
	/* data at 2^48 - 4, 8 bytes */
	BAD(HDR2 DEF0 "\x0d\xf8\xff\xff\xff\xff\xff\x7f",
	    "18 of the decompressed stream: address 0xfffffffffffc (size 8) overflows a 48-bit virtual address");
}

/* convert writes version 3 (test_speed3.c), and back to lackey gives the
 * lackey trace's lines; version 1 of the same trace (hand-made in
 * test_vmt.c) still reads: here, a v1 stream of the first accesses of
 * stream2. */
Test(speed, convert_writes_v3_and_v1_still_reads)
{
	cmd_out_t r;
	run(&r, "%s convert examples/ls.lackey.zst %s/ls.vmt && zstd -dc %s/ls.vmt | head -c 9 | od -An -tx1",
	    vmlab(), dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, " 89 56 4d 54 0d 0a 1a 0a 03\n");
	run(&r, "zstd -dc examples/ls.lackey.zst | grep -v '^==' > %s/orig && %s convert %s/ls.vmt - "
	    "--to lackey | cmp - %s/orig && echo same", dir, vmlab(), dir, dir);
	cr_assert_str_eq(r.out, "same\n", "%s", r.err);
	static const char v1[] = HDR1 "\x42\x80\x80\x80\x04" "\x80\x80\x40" "\x22\x00";
	put_file("v1.vmt", v1, sizeof v1 - 1);
	run(&r, "%s convert %s/v1.vmt - --to text", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "X 0x400000 4\nR 0x1000 8\nX 0x400004 2\n");
}

/* mrc --sample drops a reference as soon as it is read when its page is not
 * kept (one page, remembered per page); the curves are those of the filter
 * per page reference it replaced (recorded before the change), and
 * references stays the full count: accesses spanning pages, modifies (two
 * references), pids; both the stack-distance pass (lru) and the machines
 * (clock). */
Test(speed, sampled_curves_unchanged_by_early_filter)
{
	static const struct { const char *trace, *rate, *want; unsigned long long refs; } c[] = {
		{ "span.lackey", "0.5", "1,1,10,0.66666666666666663\n2,1,10,0.66666666666666663\n3,2,10,0.66666666666666663\n", 15 },
		{ "span.lackey", "0.3", "1,1,13,0.8666666666666667\n2,1,13,0.8666666666666667\n3,1,13,0.8666666666666667\n", 15 },
		{ "span.lackey", "0.2", "1,1,20,1.3333333333333333\n2,1,20,1.3333333333333333\n3,1,20,1.3333333333333333\n", 15 },
		{ "span.txt", "0.5", "1,1,10,1\n2,1,10,1\n3,2,10,1\n", 10 },
		{ "span.txt", "0.3", "1,1,13,1.3\n2,1,13,1.3\n3,1,13,1.3\n", 10 },
		{ "span.txt", "0.2", "1,1,15,1.5\n2,1,15,1.5\n3,1,15,1.5\n", 10 },
	};
	static const char lackey[] = " L 0fff,2\n M 1ffe,4\n S 5000,8192\nI  3000,1\n M 3000,1\n"
				     " L 10000,1\n L 1000,1\n M 2000,1\n";
	static const char text[] = "R 0xfff 2 3\nW 0x5000 8192 1\nX 0x3000 1\nR 0x3000 1 1\n"
				   "R 0x10000 1 1\nW 0x2fff 2 3\nR 0x7000 1 2\n";
	put_file("span.lackey", lackey, sizeof lackey - 1);
	put_file("span.txt", text, sizeof text - 1);
	static const char *const pol[] = { "lru", "clock" };
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		for (size_t k = 0; k < 2; k++) {
			cmd_out_t r;
			run(&r, "%s mrc --policy %s --sample %s --frames 1..3 --csv %s/%s | tail -n +2",
			    vmlab(), pol[k], c[i].rate, dir, c[i].trace);
			cr_assert_str_eq(r.out, c[i].want, "%s %s %s: %s", pol[k], c[i].trace, c[i].rate, r.err);
			run(&r, "%s mrc --policy %s --sample %s --frames 1..3 --json %s/%s", vmlab(), pol[k],
			    c[i].rate, dir, c[i].trace);
			cr_assert_eq(json_u(r.out, "references"), c[i].refs);
		}
}

/* The same on the bundled trace, where the cache of decisions is reused
 * millions of times: the figures of the filter per reference. */
Test(speed, sampled_curves_of_the_bundled_trace)
{
	cmd_out_t r;
	run(&r, "%s mrc --policy clock --sample 0.1 --frames 1..64/8 --csv examples/ls.lackey.zst | tail -n +2", vmlab());
	cr_assert_str_eq(r.out, "1,1,513300,0.21645359362303171\n2,1,513300,0.21645359362303171\n"
			 "3,1,513300,0.21645359362303171\n6,1,513300,0.21645359362303171\n"
			 "11,1,513300,0.21645359362303171\n20,2,169750,0.071581916067620557\n"
			 "35,4,46510,0.01961281246718723\n64,6,18520,0.0078097030077898836\n", "%s", r.err);
	run(&r, "%s mrc --policy lru --sample 0.01 --frames 1..64/8 --csv examples/ls.lackey.zst | tail -n +2", vmlab());
	cr_assert_str_eq(r.out, "1,1,105400,0.044446149947141127\n2,1,105400,0.044446149947141127\n"
			 "3,1,105400,0.044446149947141127\n6,1,105400,0.044446149947141127\n"
			 "11,1,105400,0.044446149947141127\n20,1,105400,0.044446149947141127\n"
			 "35,1,105400,0.044446149947141127\n64,1,105400,0.044446149947141127\n", "%s", r.err);
}
