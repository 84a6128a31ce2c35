/* test_speed3.c - vmt version 3 (docs/trace-format.md): a block's data
 * items predicted by their own last address and stride, the successor
 * block in the tag, a successor use with every data address as predicted;
 * decoded byte for byte from a hand-made stream, written byte for byte by
 * convert, refused when malformed, and the same counters as the text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

#define HDR3 "\x89VMT\r\n\x1a\n\x03"
/* Block 0: X 0x400000 4, R (address from the use) 8, X 0x400004 2. */
#define DEF0 "\x04\x03\x80\x80\x80\x02\x42\x80\x22"
/* Block 1: X 0x500000 1, W (address from the use) 1. */
#define DEF1 "\x04\x02\x80\x80\xc0\x02\x12\x11"

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmlab-speed3-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	cmd_out_t r;
	run(&r, "rm -rf '%s'", dir);
}

TestSuite(speed3, .init = mkdir_tmp, .fini = rm_tmp);

static void put_file(const char *name, const void *bytes, size_t len)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

/* By hand: each data item's predictor is its last address plus its last
 * stride, both 0 at the definition. */
static const char stream3[] = HDR3 DEF0 DEF1
	"\x1d\x80\x40"      /* use 0 (tag id): R at 0 + 0 + 0x1000; stride 0x1000 */
	"\x25\x80\x80\x01"  /* use 1 (tag id): W at 0 + 0 + 0x2000; stride 0x2000 */
	"\x1d\x10"          /* use 0: R at 0x1000 + 0x1000 + 8 = 0x2008; stride 0x1008 */
	"\x0d\x1f"          /* successor of 0 (1): W at 0x2000 + 0x2000 - 16 = 0x3ff0 */
	"\x15"              /* successor of 1 (0), as predicted: R at 0x2008 + 0x1008 */
	"\x12\x00"          /* X 1 at 0x400006, the fetch after block 0 */
	"\x10\x20"          /* R 1 at the data predictor 0x3010 + 0x10 */
	"\x05\x01\x00";     /* use 1 (varint id): W at 0x3ff0 + 0x1ff0 + 0 */
static const char text3[] =
	"X 0x400000 4\nR 0x1000 8\nX 0x400004 2\n"
	"X 0x500000 1\nW 0x2000 1\n"
	"X 0x400000 4\nR 0x2008 8\nX 0x400004 2\n"
	"X 0x500000 1\nW 0x3ff0 1\n"
	"X 0x400000 4\nR 0x3010 8\nX 0x400004 2\n"
	"X 0x400006 1\n"
	"R 0x3020 1\n"
	"X 0x500000 1\nW 0x5fe0 1\n";

/* Catches a stride not added or not updated, a successor taken from the
 * wrong block, the exact use reading deltas (or not predicting), the data
 * predictor or the fetch predictor not following a use, a misread id. */
Test(speed3, vmt3_decodes_exactly)
{
	put_file("s.vmt", stream3, sizeof stream3 - 1);
	cmd_out_t r;
	run(&r, "%s convert %s/s.vmt - --to text", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, text3);
}

/* The same stream through run: the counts of its 17 accesses. */
Test(speed3, vmt3_run_counts)
{
	put_file("s.vmt", stream3, sizeof stream3 - 1);
	cmd_out_t r;
	run(&r, "%s run --json %s/s.vmt | grep -E '\"(references|reads|writes|ifetches|distinct_pages)\"'",
	    vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* 17 accesses, one page each: 4 R (3 in block 0's uses, 1 record), 3 W
	 * (block 1's uses), 10 X (2 a use of block 0, 1 of block 1, 1 record);
	 * pages 0x1 0x2 0x3 0x5 0x400 0x500 */
	cr_assert_str_eq(r.out, "  \"references\": 17,\n  \"reads\": 4,\n  \"writes\": 3,\n"
				"  \"ifetches\": 10,\n  \"distinct_pages\": 6,\n");
}

/* What convert writes for a loop, byte for byte: the first two uses by id
 * (no successor known yet, then the block's own), the third a successor
 * whose address the stride predicts (8 after 8), so no delta. */
Test(speed3, convert_writes_v3_successor_and_exact)
{
	static const char text[] = "X 0x400000 4\nR 0x1000 8\n"
				   "X 0x400000 4\nR 0x1008 8\n"
				   "X 0x400000 4\nR 0x1010 8\n";
	put_file("loop.txt", text, sizeof text - 1);
	cmd_out_t r;
	run(&r, "%s convert %s/loop.txt %s/loop.vmt && zstd -dc %s/loop.vmt | od -An -tx1 | tr -s ' \\n' ' '",
	    vmlab(), dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, " 89 56 4d 54 0d 0a 1a 0a 03"   /* header, version 3 */
				" 04 02 80 80 80 02 42 80"        /* define 0: X 4, R 8 at 0x400000 */
				" 1d 80 40"                       /* use 0: R delta +0x1000 */
				" 1d ef 3f"                       /* use 0: R 0x2000 predicted, -0xff8 */
				" 15 ");                          /* successor, 0x1010 as predicted */
	run(&r, "%s convert %s/loop.vmt - --to text", vmlab(), dir);
	cr_assert_str_eq(r.out, text);
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

/* Each new check of a v3 use, with the byte it names. */
Test(speed3, vmt3_malformed_uses)
{
	BAD(HDR3 DEF0 "\x0d", "18 of the decompressed stream: use of the successor block, none known (record at byte 18)");
	BAD(HDR3 DEF0 "\x15", "18 of the decompressed stream: use of the successor block, none known (record at byte 18)");
	/* block 0 used once: its successor is not known until a use follows it */
	BAD(HDR3 DEF0 "\x1d\x80\x40\x0d", "21 of the decompressed stream: use of the successor block, none known (record at byte 21)");
	BAD(HDR3 DEF0 "\x25", "18 of the decompressed stream: use of a block not defined (record at byte 18)");
	BAD(HDR3 DEF0 "\x1d", "19 of the decompressed stream: truncated block use record at byte 18");
	/* R 8 at 0x900000000000, then predicted at twice that: past 2^48 */
	BAD(HDR3 DEF0 "\x1d\x80\x80\x80\x80\x80\x80\x48" "\x1d\x00",
	    "26 of the decompressed stream: address 0x1200000000000 (size 8) overflows a 48-bit virtual address");
	/* the same with no delta at all (an exact successor use) */
	BAD(HDR3 DEF0 "\x1d\x80\x80\x80\x80\x80\x80\x48" "\x1d\x00" "\x15",
	    "26 of the decompressed stream: address 0x1200000000000 (size 8) overflows a 48-bit virtual address");
}

/* The bundled lackey trace and its v3 conversion: the same JSON but for
 * trace and format, for a hardware-bits and an every-reference policy. */
Test(speed3, vmt3_counters_equal_lackey)
{
	cmd_out_t r;
	run(&r, "%s convert examples/ls.lackey.zst %s/ls.vmt", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	static const char *const pol[] = { "clock", "lru" };
	for (size_t i = 0; i < 2; i++) {
		run(&r, "%s run --policy %s --json examples/ls.lackey.zst | grep -v '\"trace\"\\|\"format\"' > %s/a && "
		    "%s run --policy %s --json %s/ls.vmt | grep -v '\"trace\"\\|\"format\"' > %s/b && "
		    "cmp %s/a %s/b && grep -c . %s/a",
		    vmlab(), pol[i], dir, vmlab(), pol[i], dir, dir, dir, dir, dir);
		cr_assert_eq(r.status, 0, "%s: %s%s", pol[i], r.out, r.err);
		cr_assert_gt(atoi(r.out), 40, "%s", r.out);
	}
}
