/* test_vmt.c - the vmt format, `vmlab convert`, `vmlab record` and
 * `run -- PROGRAM`, and the oracleGeneral and din readers, driven through the
 * built binary as a user runs them. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

#define HDR "\x89VMT\r\n\x1a\n\x01"   /* magic and version 1 */
#define HDR_LEN 9

static char dir[64];

/* A fresh temporary folder per test. */
static void mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmlab-vmt-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	cmd_out_t r;
	run(&r, "rm -rf '%s'", dir);
}

static void put_file(const char *name, const void *bytes, size_t len)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The JSON of `run` from "policy" on: everything but trace and format. */
static const char *counters(const cmd_out_t *r)
{
	const char *p = strstr(r->out, "\"policy\"");
	cr_assert_not_null(p, "no JSON in:\n%s\n%s", r->out, r->err);
	return p;
}

TestSuite(vmt, .init = mkdir_tmp, .fini = rm_tmp);

/* A vmt written by hand, byte by byte from docs/trace-format.md: a pid and a
 * size varint, the ifetch predictor (last address + size), a negative
 * delta, M.  Catches any misreading of the tag, zigzag or predictors. */
Test(vmt, hand_made_records_decode_exactly)
{
	static const unsigned char t[] = HDR
		"\x88\x03\x80\x40"          /* R pid 3 size 8 at 0x1000 */
		"\x01\x80\x20\xf0\x3f"      /* W size 4096 at 0x1000 + 0xff8 */
		"\x42\x80\x80\x80\x04"      /* X size 4 at 0x400000 */
		"\x12\x00"                  /* X size 1 at 0x400000 + 4 */
		"\x1b\x00\xef\x3f";         /* M pid 0 size 1 at 0x1ff8 - 0xff8 */
	put_file("h.vmt", t, sizeof t - 1);
	cmd_out_t r;
	run(&r, "%s convert %s/h.vmt - --to text", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "R 0x1000 8 3\nW 0x1ff8 4096 3\nX 0x400000 4 3\n"
			 "X 0x400004 1 3\nR 0x1000 1\nW 0x1000 1\n");
	run(&r, "%s run --json %s/h.vmt", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"format\": \"vmt\""));
	cr_assert_eq(json_u(r.out, "references"), 7);   /* the W spans 2 pages, M is 2 */
	cr_assert_eq(json_u(r.out, "reads"), 2);
	cr_assert_eq(json_u(r.out, "writes"), 3);
	cr_assert_eq(json_u(r.out, "ifetches"), 2);
	cr_assert_eq(json_u(r.out, "processes"), 2);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 4);
}

/* lackey -> vmt -> lackey and text: the same counters as the original, and
 * the lackey text itself back byte for byte (without the == lines). */
Test(vmt, round_trip_keeps_every_counter)
{
	cmd_out_t a, b;
	run(&a, "%s run --json examples/ls.lackey.zst", vmlab());
	cr_assert_eq(a.status, 0);
	run(&b, "%s convert examples/ls.lackey.zst %s/ls.vmt", vmlab(), dir);
	cr_assert_eq(b.status, 0, "%s", b.err);
	run(&b, "%s convert %s/ls.vmt %s/ls.lackey && %s convert %s/ls.vmt %s/ls.txt",
	    vmlab(), dir, dir, vmlab(), dir, dir);
	cr_assert_eq(b.status, 0, "%s", b.err);
	const char *outs[] = { "ls.vmt", "ls.lackey", "ls.txt" };
	const char *fmts[] = { "vmt", "lackey", "text" };
	for (int i = 0; i < 3; i++) {
		run(&b, "%s run --json %s/%s", vmlab(), dir, outs[i]);
		cr_assert_eq(b.status, 0, "%s", b.err);
		cr_assert_str_eq(counters(&b), counters(&a), "%s differs", outs[i]);
		char want[64];
		snprintf(want, sizeof want, "\"format\": \"%s\"", fmts[i]);
		cr_assert(strstr(b.out, want), "%s", b.out);
	}
	char path[128];
	snprintf(path, sizeof path, "%s/ls.vmt", dir);
	long vmt = file_size(path), zst = file_size("examples/ls.lackey.zst");
	cr_assert(vmt > 0 && vmt < zst, "vmt %ld bytes, lackey.zst %ld", vmt, zst);

	run(&b, "grep -v '^==' tests/data/true-excerpt.lackey > %s/orig && %s convert "
	    "tests/data/true-excerpt.lackey %s/t.vmt && %s convert %s/t.vmt - --to lackey | "
	    "cmp - %s/orig", dir, vmlab(), dir, vmlab(), dir, dir);
	cr_assert_eq(b.status, 0, "%s%s", b.out, b.err);
}

/* One malformed vmt: exit 2 and exactly this message after "FILE: ". */
static void bad_vmt(const void *bytes, size_t len, const char *msg)
{
	put_file("bad.vmt", bytes, len);
	cmd_out_t r;
	run(&r, "%s run %s/bad.vmt", vmlab(), dir);
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.err);
	cr_assert_str_empty(r.out);
	char want[512];
	snprintf(want, sizeof want, "%s/bad.vmt: %s\n", dir, msg);
	cr_assert_str_eq(r.err, want);
}

#define BAD(lit, msg) bad_vmt(lit, sizeof lit - 1, msg)

Test(vmt, malformed_input_names_the_byte)
{
	BAD("\x89VMT\r\n\x1a", "at byte 7 of the decompressed stream: truncated vmt header (7 of 8 magic bytes)");
	BAD("\x89VMT\r\n\x1a\n", "at byte 8 of the decompressed stream: truncated vmt header (no version byte)");
	BAD("\x89VMT\r\r\x1a\n\x01", "at byte 5 of the decompressed stream: bad magic: not a vmt trace");
	BAD("\x89VMT\r\n\x1a\n\x04", "at byte 8 of the decompressed stream: vmt version 4 is not supported (this vmlab reads versions 1 to 3)");
	BAD(HDR "\x12\x02\x10\x80", "at byte 12 of the decompressed stream: truncated varint (the address of the record at byte 11)");
	BAD(HDR "\x08\x80", "at byte 10 of the decompressed stream: truncated varint (the pid of the record at byte 9)");
	BAD(HDR "\x10", "at byte 10 of the decompressed stream: truncated varint (the address of the record at byte 9)");
	BAD(HDR "\x00\x00\x00", "at byte 10 of the decompressed stream: size 0 (record at byte 9)");
	BAD(HDR "\x00\x81\x80\x80\x80\x08\x00", "at byte 10 of the decompressed stream: size larger than 2^31 (record at byte 9)");
	BAD(HDR "\x12\x02\x15\x00", "at byte 11 of the decompressed stream: unknown record kind (record at byte 11)");
	BAD(HDR "\x18\x80\x80\x80\x80\x10\x00", "at byte 10 of the decompressed stream: pid does not fit in 32 bits (record at byte 9)");
	BAD(HDR "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "at byte 10 of the decompressed stream: varint longer than 64 bits (record at byte 9)");
	/* zigzag 2^49 is +2^48: one past a 48-bit address space */
	BAD(HDR "\x12\x02\x10\x80\x80\x80\x80\x80\x80\x80\x01", "at byte 11 of the decompressed stream: address 0x1000000000000 (size 1) overflows a 48-bit virtual address");
	/* a negative delta from 0 wraps below address 0 */
	BAD(HDR "\x10\x01", "at byte 9 of the decompressed stream: address 0xffffffffffffffff (size 1) overflows a 48-bit virtual address");
}

/* A lackey file read as vmt, and a cut or damaged zstd frame. */
Test(vmt, wrong_or_corrupt_input)
{
	cmd_out_t r;
	run(&r, "%s run --format vmt tests/data/true-excerpt.lackey", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "tests/data/true-excerpt.lackey: at byte 0 of the decompressed stream: bad magic: not a vmt trace\n");

	run(&r, "%s convert examples/ls.lackey.zst %s/ls.vmt && head -c 100000 %s/ls.vmt > %s/cut.vmt",
	    vmlab(), dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "%s run %s/cut.vmt", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "of the decompressed stream: truncated zstd data"), "%s", r.err);
	/* a damaged checksum (the frame's last 4 bytes), noticed at the end; the
	 * offset is where zstd stopped handing out bytes (its last block is
	 * held back), so only its form is checked */
	run(&r, "cp %s/ls.vmt %s/flip.vmt && printf '\\377\\377' | dd of=%s/flip.vmt bs=1 "
	    "seek=$(($(stat -c %%s %s/ls.vmt) - 2)) conv=notrunc status=none && %s run %s/flip.vmt",
	    dir, dir, dir, dir, vmlab(), dir);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "flip.vmt: at byte ") && strstr(r.err, " of the decompressed stream: "
		  "corrupt zstd data ("), "%s", r.err);
	/* damage in the middle (half way, past the first zstd block whatever the
	 * format version makes of the trace): garbage records or a zstd error,
	 * never a crash */
	run(&r, "cp %s/ls.vmt %s/mid.vmt && printf '\\377\\377\\377\\377' | dd of=%s/mid.vmt bs=1 "
	    "seek=$(($(stat -c %%s %s/ls.vmt) / 2)) conv=notrunc status=none && %s run %s/mid.vmt",
	    dir, dir, dir, dir, vmlab(), dir);
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "mid.vmt: at byte "), "%s", r.err);
}

/* A pipe or a full disk as OUT, a missing folder, and an input that fails
 * half-way: exit 1 (or 2 for the input), and no OUT or temporary left. */
Test(vmt, convert_failures_leave_no_file)
{
	cmd_out_t r;
	run(&r, "%s convert examples/ls.lackey.zst /dev/full", vmlab());
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_str_eq(r.err, "vmlab convert: /dev/full: write error: No space left on device\n");
	run(&r, "%s convert examples/ls.lackey.zst %s/no/such/dir/x.vmt", vmlab(), dir);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "cannot create: No such file or directory"), "%s", r.err);

	run(&r, "printf 'R 0x1000\\nW 0x2000 4\\nQ 3\\n' > %s/bad.txt && %s convert %s/bad.txt %s/o.vmt",
	    dir, vmlab(), dir, dir);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "bad.txt:3: expected R, W or X"), "%s", r.err);
	run(&r, "ls -A %s", dir);
	cr_assert_str_eq(r.out, "bad.txt\n");

	/* lackey has no pids: refused, not dropped */
	run(&r, "printf 'R 0x1000 1 7\\n' > %s/p.txt && %s convert %s/p.txt %s/p.lackey", dir, vmlab(), dir, dir);
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "lackey traces have no pids"), "%s", r.err);
	run(&r, "ls -A %s", dir);
	cr_assert_str_eq(r.out, "bad.txt\np.txt\n");
}

/* --to wins over the extension; an unknown extension means vmt. */
Test(vmt, output_format_by_name_or_to)
{
	cmd_out_t r;
	run(&r, "printf 'R 0x1000 4\\n' | %s convert - %s/x.bin && head -c 4 %s/x.bin | od -An -tx1",
	    vmlab(), dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, " 28 b5 2f fd\n");   /* a zstd frame */
	run(&r, "printf 'R 0x1000 4\\n' | %s convert --to lackey - %s/x.vmt && cat %s/x.vmt", vmlab(), dir, dir);
	cr_assert_str_eq(r.out, " L 00001000,4\n");
	run(&r, "%s convert --to pages - %s/y", vmlab(), dir);
	cr_assert_eq(r.status, 2);
}

/* oracleGeneral: records of ids 5 6 5 7 5 with junk in the ignored fields;
 * pages 5 6 5 7 5: LRU with 2 frames faults on 5 6 7 = 3, with 1 on all 5. */
static void put_oracle(const char *name, size_t extra)
{
	unsigned char buf[5 * 24 + 24] = { 0 };
	const unsigned long long ids[5] = { 5, 6, 5, 7, 5 };
	for (int i = 0; i < 5; i++) {
		unsigned char *p = buf + 24 * i;
		memset(p, 0xee, 24);             /* timestamp, size, next access */
		for (int b = 0; b < 8; b++)
			p[4 + b] = (unsigned char)(ids[i] >> (8 * b));
	}
	put_file(name, buf, 5 * 24 + extra);
}

Test(vmt, oracle_general_reads_obj_ids_as_pages)
{
	put_oracle("w.oracleGeneral.bin", 0);
	cmd_out_t r;
	run(&r, "%s run --json --policy lru --frames 2 %s/w.oracleGeneral.bin", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"format\": \"oracleGeneral\""));
	cr_assert_eq(json_u(r.out, "references"), 5);
	cr_assert_eq(json_u(r.out, "reads"), 5);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 3);
	cr_assert_eq(json_u(r.out, "page_faults"), 3);
	put_oracle("plain", 0);
	run(&r, "%s run --json --policy lru --frames 1 --format oracle %s/plain", vmlab(), dir);
	cr_assert_eq(json_u(r.out, "page_faults"), 5);
	/* page N is at N * page size */
	run(&r, "%s convert --page-size 16 --format oracleGeneral %s/plain - --to text", vmlab(), dir);
	cr_assert_str_eq(r.out, "R 0x50 1\nR 0x60 1\nR 0x50 1\nR 0x70 1\nR 0x50 1\n");
	/* compressed, still named .oracleGeneral */
	run(&r, "gzip -c %s/w.oracleGeneral.bin > %s/w.oracleGeneral.bin.gz && %s run --json "
	    "--policy lru --frames 2 %s/w.oracleGeneral.bin.gz", dir, dir, vmlab(), dir);
	cr_assert_eq(json_u(r.out, "page_faults"), 3);
}

Test(vmt, oracle_general_truncated_record)
{
	put_oracle("t.oracleGeneral", 10);
	cmd_out_t r;
	run(&r, "%s run %s/t.oracleGeneral", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	char want[256];
	snprintf(want, sizeof want, "%s/t.oracleGeneral: at byte 120 of the decompressed stream: "
		 "truncated oracleGeneral record (10 of 24 bytes)\n", dir);
	cr_assert_str_eq(r.err, want);
	/* an id whose page is beyond 48 bits */
	unsigned char big[24] = { 0 };
	big[4 + 5] = 0x10;   /* id 2^44: page 2^44 at 2^56 */
	put_file("big.oracleGeneral", big, 24);
	run(&r, "%s run %s/big.oracleGeneral", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "at byte 4 of the decompressed stream: object id 17592186044416 is beyond"), "%s", r.err);
}

/* din: pages 40a 7ff 7ff 40a 601 40b; FIFO with 1 frame hits only the
 * second 7ff: 5 faults. */
Test(vmt, din_labels_and_detection)
{
	cmd_out_t r;
	run(&r, "%s run --json --policy fifo --frames 1 tests/data/small.din", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"format\": \"din\""));
	cr_assert_eq(json_u(r.out, "references"), 6);
	cr_assert_eq(json_u(r.out, "reads"), 2);
	cr_assert_eq(json_u(r.out, "writes"), 1);
	cr_assert_eq(json_u(r.out, "ifetches"), 3);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 4);
	cr_assert_eq(json_u(r.out, "page_faults"), 5);
	/* "0 1000" is also a pages list: auto keeps pages, --format din reads hex */
	run(&r, "printf '0 1000\\n1 2000\\n' | %s convert - - --to text", vmlab());
	cr_assert_str_eq(r.out, "R 0x0 1\nR 0x3e8000 1\nR 0x1000 1\nR 0x7d0000 1\n");
	run(&r, "printf '0 1000\\n1 2000\\n' | %s convert --format din - - --to text", vmlab());
	cr_assert_str_eq(r.out, "R 0x1000 1\nW 0x2000 1\n");
}

Test(vmt, din_bad_lines)
{
	cmd_out_t r;
	run(&r, "printf '2 40a000\\n4 1234\\n' > %s/b.din && %s run %s/b.din", dir, vmlab(), dir);
	cr_assert_eq(r.status, 2);
	char want[256];
	snprintf(want, sizeof want, "%s/b.din:2: label 4 is not 0 (read), 1 (write) or 2 "
		 "(instruction fetch)\n", dir);
	cr_assert_str_eq(r.err, want);
	run(&r, "printf '0 abc\\n1 xyz\\n' | %s run -", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.err, "<stdin>:2: bad hex address\n");
	run(&r, "printf '0 abc\\n1\\n' | %s run -", vmlab());
	cr_assert_str_eq(r.err, "<stdin>:2: missing address\n");
}

/* record: the program's stdout and exit status pass through; the trace is
 * real (references > 0); the default name is PROGRAM.vmt here. */
Test(vmt, record_passes_the_program_through, .timeout = 120)
{
	char bin[PATH_MAX];
	cr_assert_not_null(realpath(vmlab(), bin));
	cmd_out_t r;
	run(&r, "cd %s && %s record -- /bin/true", dir, bin);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_empty(r.out);
	cr_assert(strstr(r.err, "memory references captured in true.vmt ("), "%s", r.err);
	run(&r, "%s run --json %s/true.vmt", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_gt(json_u(r.out, "references"), 1000);
	cr_assert_gt(json_u(r.out, "ifetches"), 1000);

	run(&r, "%s record -o %s/sh.vmt -- /bin/sh -c 'echo hello; exit 3'", bin, dir);
	cr_assert_eq(r.status, 3, "%s", r.err);
	cr_assert_str_eq(r.out, "hello\n");
	cr_assert(strstr(r.err, "exited with status 3"), "%s", r.err);
	cr_assert_gt(file_size(strcat(strcpy((char[128]){ 0 }, dir), "/sh.vmt")), 1000);

	run(&r, "%s record -o %s/k.vmt -- /bin/sh -c 'kill -TERM $$'", bin, dir);
	cr_assert_eq(r.status, 128 + 15, "%s", r.err);
	cr_assert(strstr(r.err, "was killed by signal 15"), "%s", r.err);

	run(&r, "%s record -o %s/n.vmt -- %s/no-such-program", bin, dir, dir);
	cr_assert_eq(r.status, 127);
	cr_assert(strstr(r.err, "nothing recorded"), "%s", r.err);
	cr_assert_eq(file_size(strcat(strcpy((char[128]){ 0 }, dir), "/n.vmt")), -1);
}

/* run -- PROGRAM: simulates the recording as it comes; the same counters
 * as recording to a file first (the program is deterministic). */
Test(vmt, run_records_on_the_fly, .timeout = 120)
{
	cmd_out_t a, b;
	run(&a, "%s run --json -- /bin/true", vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert(strstr(a.out, "\"trace\": \"/bin/true\",\n  \"format\": \"lackey\""), "%s", a.out);
	cr_assert_gt(json_u(a.out, "references"), 1000);
	run(&b, "%s run -- /bin/sh -c 'exit 3' > /dev/null", vmlab());
	cr_assert_eq(b.status, 0, "%s", b.err);
	cr_assert(strstr(b.err, "note: /bin/sh exited with status 3"), "%s", b.err);
	run(&b, "%s run examples/ls.lackey.zst -- /bin/true", vmlab());
	cr_assert_eq(b.status, 2);
	run(&b, "%s run --", vmlab());
	cr_assert_eq(b.status, 2);
	cr_assert_str_eq(b.err, "vmlab run: `--` needs a PROGRAM to record\n");
}
