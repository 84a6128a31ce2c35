/* test_zram.c - zRAM, the compressed swap tier (--zram): pages really
 * compressed with LZ4 and read back unchanged; a page of random bytes
 * rejected to the swap file; the store's oldest page written back to the
 * swap file when it is full; --swap none with nothing to fall back to; trace
 * mode's --zram-ratio; and every number unchanged with zRAM off.
 *
 * Each script writes a short text at the start of a page (the rest of the
 * page is zero-filled); the compressed sizes are LZ4's own for those pages,
 * computed here with the same library, so the byte counts are exact. */
#include <criterion/criterion.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define PAGE 4096

/* LZ4's size for a page holding text at its start and zeros after it. */
static unsigned lz4_page(const char *text)
{
	static char page[PAGE], out[LZ4_COMPRESSBOUND(PAGE)];
	memset(page, 0, sizeof page);
	memcpy(page, text, strlen(text));
	int n = LZ4_compress_default(page, out, PAGE, (int)sizeof out);
	cr_assert_gt(n, 0);
	return (unsigned)n;
}

/* A script file holding text; its path into path. */
static void script_file(char *path, size_t len, const char *text)
{
	snprintf(path, len, "/tmp/vmlab-zram-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* Run `vmlab script --json --check OPTS` on text into *r; exit status 0. */
static void run_script(cmd_out_t *r, const char *opts, const char *text)
{
	char path[64];
	script_file(path, sizeof path, text);
	run(r, "%s script --json --check %s %s", vmlab(), opts, path);
	unlink(path);
	cr_assert_eq(r->status, 0, "exit %d: %s", r->status, r->err);
}

/* 4 pages in 3 frames, FIFO.  Writing page 3 evicts page 0 into zRAM, whose
 * store then takes a frame (ceil(L / 4096) = 1): so page 1 goes too.  Reading
 * pages 0 and 1 back (major faults from zRAM, not swap-ins) evicts pages 2
 * and 3 into the store; both texts come back byte for byte. */
Test(zram, stores_and_loads_real_bytes_unchanged)
{
	cmd_out_t r;
	run_script(&r, "--frames 3 --policy fifo --watermarks 0,0,0 --zram 64K",
		   "spawn 1\n"
		   "mmap 1 0x500000 16K rw private\n"
		   "write 1 0x500000 \"zram page 0\"\n"
		   "write 1 0x501000 \"zram page 1\"\n"
		   "write 1 0x502000 \"zram page 2\"\n"
		   "write 1 0x503000 \"zram page 3\"\n"
		   "read 1 0x500000 11 expect \"zram page 0\"\n"
		   "read 1 0x501000 11 expect \"zram page 1\"\n");
	unsigned l = lz4_page("zram page 0") + lz4_page("zram page 1") + lz4_page("zram page 2") +
		     lz4_page("zram page 3");
	cr_assert_eq(json_u(r.out, "zram_stores"), 4);
	cr_assert_eq(json_u(r.out, "zram_loads"), 2);
	cr_assert_eq(json_u(r.out, "zram_rejects"), 0);
	cr_assert_eq(json_u(r.out, "zram_writebacks"), 0);
	/* pages 0 and 1 keep their copies (the swap cache holds their slots) */
	cr_assert_eq(json_u(r.out, "zram_bytes_stored"), 4 * PAGE);
	cr_assert_eq(json_u(r.out, "zram_compressed_bytes"), l);
	cr_assert_eq(json_u(r.out, "zram_frames"), 1);
	cr_assert_eq(json_u(r.out, "major_faults"), 2);
	cr_assert_eq(json_u(r.out, "minor_faults"), 4);
	cr_assert_eq(json_u(r.out, "evictions"), 4);
	cr_assert_eq(json_u(r.out, "swap_ins"), 0);   /* a load is not a swap-in */
	cr_assert_eq(json_u(r.out, "swap_outs"), 0);  /* a store is not a swap-out */
	cr_assert_eq(json_u(r.out, "dirty_writebacks"), 0);
	cr_assert_eq(json_u(r.out, "free_frames"), 0); /* 2 pages + 1 for the store */
}

/* The same with zstd: the same counts, the texts unchanged. */
Test(zram, zstd_stores_and_loads_unchanged)
{
	cmd_out_t r;
	run_script(&r, "--frames 3 --policy fifo --watermarks 0,0,0 --zram 64K --zram-algo zstd",
		   "spawn 1\n"
		   "mmap 1 0x500000 16K rw private\n"
		   "write 1 0x500000 \"zram page 0\"\n"
		   "write 1 0x501000 \"zram page 1\"\n"
		   "write 1 0x502000 \"zram page 2\"\n"
		   "write 1 0x503000 \"zram page 3\"\n"
		   "read 1 0x500000 11 expect \"zram page 0\"\n"
		   "read 1 0x501000 11 expect \"zram page 1\"\n");
	cr_assert_eq(json_u(r.out, "zram_stores"), 4);
	cr_assert_eq(json_u(r.out, "zram_loads"), 2);
	cr_assert_eq(json_u(r.out, "zram_frames"), 1);
	cr_assert_eq(json_u(r.out, "swap_ins"), 0);
}

/* A page of 4096 random bytes: \xHH escapes of a fixed generator. */
static char *random_page_text(void)
{
	char *s = malloc(PAGE * 4 + 3);
	cr_assert_not_null(s);
	uint64_t x = 88172645463325252ull;
	size_t at = 0;
	s[at++] = '"';
	for (int i = 0; i < PAGE; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		at += (size_t)sprintf(s + at, "\\x%02x", (unsigned)(x >> 24) & 0xff);
	}
	s[at++] = '"';
	s[at] = 0;
	return s;
}

/* 3 pages in 2 frames.  Page 0 (random bytes) will not compress below 3/4
 * of a page: rejected to the swap file (a swap-out).  Reading it back evicts
 * page 1 into zRAM, whose frame makes page 2 go too; page 0 comes back from
 * the swap file (a swap-in) with every byte. */
Test(zram, random_bytes_are_rejected_to_the_swap_file)
{
	char *rnd = random_page_text();
	size_t len = strlen(rnd) * 2 + 512;
	char *text = malloc(len);
	cr_assert_not_null(text);
	snprintf(text, len,
		 "spawn 1\n"
		 "mmap 1 0x500000 12K rw private\n"
		 "write 1 0x500000 %s\n"
		 "write 1 0x501000 \"b\"\n"
		 "write 1 0x502000 \"c\"\n"
		 "read 1 0x500000 4096 expect %s\n",
		 rnd, rnd);
	cmd_out_t r;
	run_script(&r, "--frames 2 --policy fifo --watermarks 0,0,0 --zram 64K", text);
	cr_assert_eq(json_u(r.out, "zram_rejects"), 1);
	cr_assert_eq(json_u(r.out, "swap_outs"), 1);
	cr_assert_eq(json_u(r.out, "dirty_writebacks"), 1);
	cr_assert_eq(json_u(r.out, "swap_ins"), 1);
	cr_assert_eq(json_u(r.out, "zram_stores"), 2);
	cr_assert_eq(json_u(r.out, "zram_loads"), 0);
	cr_assert_eq(json_u(r.out, "evictions"), 3);
	cr_assert_eq(json_u(r.out, "zram_compressed_bytes"), lz4_page("b") + lz4_page("c"));
	free(text);
	free(rnd);
}

/* --swap none: the random page has nowhere to go; reclaim skips it (a
 * reject) and, nothing else being evictable, the OOM killer ends the
 * process. */
Test(zram, swap_none_rejects_and_kills_when_nothing_else_goes)
{
	char *rnd = random_page_text();
	size_t len = strlen(rnd) + 512;
	char *text = malloc(len);
	cr_assert_not_null(text);
	snprintf(text, len,
		 "spawn 1\n"
		 "mmap 1 0x500000 8K rw private\n"
		 "write 1 0x500000 %s\n"
		 "write 1 0x501000 \"b\"\n"
		 "expect 1 oom\n",
		 rnd);
	cmd_out_t r;
	run_script(&r, "--frames 1 --policy fifo --watermarks 0,0,0 --zram 64K --swap none", text);
	cr_assert_eq(json_u(r.out, "zram_rejects"), 1);
	cr_assert_eq(json_u(r.out, "oom_kills"), 1);
	cr_assert_eq(json_u(r.out, "swap_outs"), 0);
	cr_assert_eq(json_u(r.out, "zram_stores"), 0);
	free(text);
	free(rnd);
}

/* A store of exactly two pages' compressed bytes (the four texts have the
 * same length, so the same size L).  Pages 0 and 1 fill it; evicting page 2
 * to read page 0 back writes the oldest (page 0 itself) to the swap file,
 * from where it is read (a swap-in), unchanged. */
Test(zram, a_full_store_writes_its_oldest_page_back)
{
	unsigned l = lz4_page("zram page 0");
	cr_assert_eq(lz4_page("zram page 2"), l);
	char opts[128];
	snprintf(opts, sizeof opts, "--frames 3 --policy fifo --watermarks 0,0,0 --zram %u", 2 * l);
	cmd_out_t r;
	run_script(&r, opts,
		   "spawn 1\n"
		   "mmap 1 0x500000 16K rw private\n"
		   "write 1 0x500000 \"zram page 0\"\n"
		   "write 1 0x501000 \"zram page 1\"\n"
		   "write 1 0x502000 \"zram page 2\"\n"
		   "write 1 0x503000 \"zram page 3\"\n"
		   "read 1 0x500000 11 expect \"zram page 0\"\n");
	cr_assert_eq(json_u(r.out, "zram_stores"), 3);
	cr_assert_eq(json_u(r.out, "zram_writebacks"), 1);
	cr_assert_eq(json_u(r.out, "swap_outs"), 1);
	cr_assert_eq(json_u(r.out, "swap_ins"), 1);
	cr_assert_eq(json_u(r.out, "zram_loads"), 0);
	cr_assert_eq(json_u(r.out, "dirty_writebacks"), 0);
	cr_assert_eq(json_u(r.out, "zram_compressed_bytes"), 2 * l);
	cr_assert_eq(json_u(r.out, "zram_bytes_stored"), 2 * PAGE);
}

/* Trace mode models sizes: 4096 / 3.0 rounds up to 1366 bytes, so a 4 KiB
 * store holds two pages (2732; a third would make 4098).  2 frames: W3
 * evicts page 1 into the store, whose frame makes page 2 go too; R1 evicts
 * page 3, which writes page 1 (the oldest) back to the swap file, from where
 * page 1 comes back (a swap-in, not a zram load). */
Test(zram, trace_mode_models_sizes_with_the_ratio)
{
	char path[64];
	script_file(path, sizeof path, "W 0x1000\nW 0x2000\nW 0x3000\nR 0x1000\n");
	cmd_out_t r;
	run(&r, "%s run --format text --frames 2 --policy fifo --zram 4K --json %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "zram_stores"), 3);
	cr_assert_eq(json_u(r.out, "zram_writebacks"), 1);
	cr_assert_eq(json_u(r.out, "zram_compressed_bytes"), 2732);
	cr_assert_eq(json_u(r.out, "zram_frames"), 1);
	cr_assert_eq(json_u(r.out, "swap_outs"), 1);
	cr_assert_eq(json_u(r.out, "swap_ins"), 1);
	cr_assert_eq(json_u(r.out, "evictions"), 3);
	/* --zram-ratio 1.25: 3277 bytes, not below 3/4 of a page: every page
	 * goes to the swap file */
	run(&r, "%s run --format text --frames 2 --policy fifo --zram 4K --zram-ratio 1.25 --json %s",
	    vmlab(), path);
	cr_assert_eq(json_u(r.out, "zram_rejects"), 2);
	cr_assert_eq(json_u(r.out, "zram_stores"), 0);
	cr_assert_eq(json_u(r.out, "swap_outs"), 2);
	/* without --zram: no zram keys, and the same run as before */
	run(&r, "%s run --format text --frames 2 --policy fifo --json %s", vmlab(), path);
	cr_assert_null(strstr(r.out, "\"zram_"));
	cr_assert_eq(json_u(r.out, "swap_outs"), 2);
	unlink(path);
}

/* Bad values are refused with a message, exit 2. */
Test(zram, bad_options_are_refused)
{
	cmd_out_t r;
	run(&r, "%s run --zram-algo lzo examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "lzo"));
	run(&r, "%s run --zram-ratio 0.5 examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s run --zram 12Q examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
}

/* The example script's expect lines hold (exit 0 under --check). */
Test(zram, example_script_holds)
{
	cmd_out_t r;
	run(&r, "%s script --check examples/zram.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "148 B compressed"));
}
