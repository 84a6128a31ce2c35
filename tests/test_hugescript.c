/* test_hugescript.c - huge pages in script mode (issue 9 item 1): THP faults
 * and their fallback, madvise, splits on munmap / mprotect / fork / reclaim,
 * khugepaged's collapse, the hugetlb pool.  Every script runs with --check,
 * so the invariant checker runs after every system call.  4 KiB pages and 4
 * levels: a huge page is 2 MiB = 512 base pages; every number is worked by
 * hand in the comments. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* Run text as a script with --check --json and the options opts: the exit
 * status and output into *r. */
static void script(cmd_out_t *r, const char *opts, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vmlab-hugescript-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	run(r, "%s script --check --json --watermarks 0,0,0 %s %s", vmlab(), opts, path);
	unlink(path);
}

static void script_ok(cmd_out_t *r, const char *opts, const char *text)
{
	script(r, opts, text);
	cr_assert_eq(r->status, 0, "%s", r->err);
}

/* Bug caught: a huge page from an unaligned or partly taken run, or no
 * fallback.  With 1000 frames the only aligned run of 512 is 0..511 (512 +
 * 512 > 1000); the base page of the small region takes frame 0, so the
 * fault in the 2 MiB region falls back to a base page (frame 1).  With 1024
 * frames the run 512..1023 is free: a huge page, 1 + 512 resident. */
Test(hugescript, thp_falls_back_when_no_aligned_run_is_free)
{
	const char *text = "spawn 1\n"
			   "mmap 1 0x50000000 4K rw private\n"
			   "mmap 1 0x40000000 2M rw private\n"
			   "touch 1 0x50000000 4K w\n"
			   "touch 1 0x40000000 4K w\n";
	cmd_out_t r;
	script_ok(&r, "--thp always --frames 1000", text);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 1);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 0);
	cr_assert_eq(json_u(r.out, "page_faults"), 2);
	cr_assert_eq(json_u(r.out, "resident_pages"), 2);
	script_ok(&r, "--thp always --frames 1024", text);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 0);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "page_faults"), 2);
	cr_assert_eq(json_u(r.out, "resident_pages"), 513);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 513);
	cr_assert_eq(json_u(r.out, "free_frames"), 511);
}

/* Bug caught: THP outside its mode, or a range only partly inside the
 * region.  --thp madvise: no huge page until madvise hugepage; --thp always
 * with madvise nohugepage: none; a 2 MiB region that is not 2 MiB aligned
 * (0x40100000..0x40300000) holds no aligned range: base pages, and no
 * fallback is counted (no huge page could have been). */
Test(hugescript, thp_modes_and_madvise)
{
	cmd_out_t r;
	const char *plain = "spawn 1\nmmap 1 0x40000000 2M rw private\ntouch 1 0x40000000 4K w\n";
	script_ok(&r, "--thp madvise --frames 1100", plain);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 1);
	script_ok(&r, "--thp madvise --frames 1100",
		  "spawn 1\nmmap 1 0x40000000 2M rw private\nmadvise 1 0x40000000 2M hugepage\n"
		  "touch 1 0x40000000 4K w\n");
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "resident_pages"), 512);
	script_ok(&r, "--thp always --frames 1100",
		  "spawn 1\nmmap 1 0x40000000 2M rw private\nmadvise 1 0x40000000 2M nohugepage\n"
		  "touch 1 0x40000000 4K w\n");
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 1);
	script_ok(&r, "--thp always --frames 1100",
		  "spawn 1\nmmap 1 0x40100000 2M rw private\ntouch 1 0x40100000 2M w\n");
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 0);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 512);
	cr_assert_eq(json_u(r.out, "page_faults"), 512);
	/* a bad advice names the line */
	script(&r, "--thp always", "spawn 1\nmmap 1 0x40000000 2M rw private\nmadvise 1 0x40000000 2M huge\n");
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, ":3: bad advice 'huge' (hugepage or nohugepage)"), "%s", r.err);
}

/* A script writing "page NNN" into each of the 512 pages of the huge page at
 * 0x40000000, then cut: `cut` (a command or ""), then reading every page
 * back except page `skip` (-1: none). */
static char *every_page(const char *cut, int skip)
{
	size_t cap = 1 << 16, at = 0;
	char *s = malloc(cap);
	cr_assert_not_null(s);
	at += (size_t)snprintf(s + at, cap - at, "spawn 1\nmmap 1 0x40000000 2M rw private\n");
	for (int i = 0; i < 512; i++)
		at += (size_t)snprintf(s + at, cap - at, "write 1 0x%x \"page %03d\"\n",
				       0x40000000 + i * 4096 + 100, i);
	at += (size_t)snprintf(s + at, cap - at, "%s\n", cut);
	for (int i = 0; i < 512; i++)
		if (i != skip)
			at += (size_t)snprintf(s + at, cap - at, "read 1 0x%x 8 expect \"page %03d\"\n",
					       0x40000000 + i * 4096 + 100, i);
	cr_assert_lt(at, cap);
	return s;
}

/* Bug caught: a split that loses or moves bytes, or a huge page unmapped
 * whole by a partial munmap.  One fault maps the huge page; 512 writes;
 * munmap of page 256 splits it (thp_split 1), frees one frame; the other 511
 * pages read back their own bytes, with no fault: 1 fault, 512 + 511
 * references, 511 resident. */
Test(hugescript, partial_munmap_splits_keeping_every_byte)
{
	char *text = every_page("munmap 1 0x40100000 4K", 256);
	cmd_out_t r;
	script_ok(&r, "--thp always --frames 1100", text);
	free(text);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "thp_split"), 1);
	cr_assert_eq(json_u(r.out, "page_faults"), 1);
	cr_assert_eq(json_u(r.out, "references"), 1023);
	cr_assert_eq(json_u(r.out, "resident_pages"), 511);
	cr_assert_eq(json_u(r.out, "free_frames"), 1100 - 511);
	cr_assert_eq(json_u(r.out, "thp_bloat_bytes"), 0); /* every page was touched */
}

/* Bug caught: mprotect of part of a huge page changing all of it, or of all
 * of it splitting.  Read-only for page 0 only: a split, and the write to
 * page 1 still succeeds; read-only for the whole page: no split, every
 * page readable. */
Test(hugescript, mprotect_splits_only_what_it_cuts)
{
	cmd_out_t r;
	script_ok(&r, "--thp always --frames 1100",
		  "spawn 1\nmmap 1 0x40000000 2M rw private\nwrite 1 0x40000000 \"x\"\n"
		  "mprotect 1 0x40000000 4K r\nwrite 1 0x40001000 \"y\"\nread 1 0x40000000 1 expect \"x\"\n");
	cr_assert_eq(json_u(r.out, "thp_split"), 1);
	cr_assert_eq(json_u(r.out, "resident_pages"), 512);
	script_ok(&r, "--thp always --frames 1100",
		  "spawn 1\nmmap 1 0x40000000 2M rw private\nwrite 1 0x40000000 \"x\"\n"
		  "mprotect 1 0x40000000 2M r\nread 1 0x401ff000 1 expect \"\\0\"\n"
		  "read 1 0x40000000 1 expect \"x\"\nwrite 1 0x40000000 \"z\"\nexpect 1 segv\n");
	cr_assert_eq(json_u(r.out, "thp_split"), 0);
	cr_assert_eq(json_u(r.out, "segfaults"), 1);
	cr_assert_eq(json_u(r.out, "resident_pages"), 0); /* the SIGSEGV unmapped it whole */
}

/* Bug caught: a whole munmap splitting, or leaking frames.  The huge page's
 * 512 frames go back; 511 of them never touched: 511 * 4096 B of bloat. */
Test(hugescript, whole_munmap_frees_the_huge_page_unsplit)
{
	cmd_out_t r;
	script_ok(&r, "--thp always --frames 1100",
		  "spawn 1\nmmap 1 0x40000000 4M rw private\ntouch 1 0x40000000 4K w\n"
		  "munmap 1 0x40000000 2M\n");
	cr_assert_eq(json_u(r.out, "thp_split"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 0);
	cr_assert_eq(json_u(r.out, "free_frames"), 1100);
	cr_assert_eq(json_u(r.out, "thp_bloat_bytes"), 511 * 4096);
}

/* Bug caught: fork sharing a huge entry (the reverse map cannot hold two
 * mappers of one) or losing the COW.  fork splits the parent's huge page
 * (thp_split 1) and shares its 512 base pages copy-on-write; the child's
 * write copies one page; each sees its own byte. */
Test(hugescript, fork_splits_then_copies_on_write)
{
	cmd_out_t r;
	script_ok(&r, "--thp always --frames 1100",
		  "spawn 1\nmmap 1 0x40000000 2M rw private\nwrite 1 0x40000000 \"p\"\n"
		  "fork 1 2\nwrite 2 0x40000000 \"c\"\nread 1 0x40000000 1 expect \"p\"\n"
		  "read 2 0x40000000 1 expect \"c\"\n");
	cr_assert_eq(json_u(r.out, "thp_split"), 1);
	cr_assert_eq(json_u(r.out, "cow_copies"), 1);
	cr_assert_eq(json_u(r.out, "resident_pages"), 513);
}

/* Bug caught: a collapse that does not copy, counts wrong, or ignores
 * --max-ptes-none.  Three base pages (before madvise), madvise hugepage, two
 * more (the level-1 entry already holds a table: base pages); khugepaged's
 * pass after reference 5 finds 5 present and 507 empty entries: it collapses
 * when 507 <= --max-ptes-none (511 and 507), not with 506.  The copies: 5;
 * resident 512 (5 old frames freed); distinct 5 + 507 = 512; the bytes read
 * back, an empty page reads 0 (without the collapse, that read is a sixth
 * fault: 6 resident). */
Test(hugescript, khugepaged_collapses_copying_the_pages)
{
	const char *text = "spawn 1\nmmap 1 0x40000000 2M rw private\n"
			   "write 1 0x40000000 \"p0\"\nwrite 1 0x40001000 \"p1\"\nwrite 1 0x40002000 \"p2\"\n"
			   "madvise 1 0x40000000 2M hugepage\n"
			   "write 1 0x40003000 \"p3\"\nwrite 1 0x40100000 \"mid\"\n"
			   "read 1 0x40000000 2 expect \"p0\"\nread 1 0x40100000 3 expect \"mid\"\n"
			   "read 1 0x40004000 1 expect \"\\0\"\n";
	cmd_out_t r;
	const char *opts[] = { "--thp madvise --frames 1100 --khugepaged-every 5",
			       "--thp madvise --frames 1100 --khugepaged-every 5 --max-ptes-none 507" };
	for (int i = 0; i < 2; i++) {
		script_ok(&r, opts[i], text);
		cr_assert_eq(json_u(r.out, "thp_collapse_alloc"), 1, "%s", opts[i]);
		cr_assert_eq(json_u(r.out, "thp_collapse_copies"), 5);
		cr_assert_eq(json_u(r.out, "khugepaged_passes"), 1); /* (at 5; the next at 10) */
		cr_assert_eq(json_u(r.out, "resident_pages"), 512);
		cr_assert_eq(json_u(r.out, "distinct_pages"), 512);
		cr_assert_eq(json_u(r.out, "page_faults"), 5);
		cr_assert_eq(json_u(r.out, "free_frames"), 1100 - 512);
	}
	script_ok(&r, "--thp madvise --frames 1100 --khugepaged-every 5 --max-ptes-none 506", text);
	cr_assert_eq(json_u(r.out, "thp_collapse_alloc"), 0);
	cr_assert_eq(json_u(r.out, "thp_collapse_copies"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 6); /* the last read faults in a zeroed page */
	/* no free aligned run (frames 0..4 taken, 512 + 512 > 1000): no collapse */
	script_ok(&r, "--thp madvise --frames 1000 --khugepaged-every 5", text);
	cr_assert_eq(json_u(r.out, "thp_collapse_alloc"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 6);
}

/* Bug caught: reclaim evicting a huge page whole, or losing its bytes.  600
 * frames, FIFO: the huge page takes frames 0..511 (dirty: written); 100
 * pages of a second region take the 88 free frames, then 12 evictions: the
 * first takes frame 0, so the huge page is split (thp_split 1) and its
 * first 12 base pages are swapped out (dirty: 12 swap-outs).  Reading page
 * 0 back swaps it in (major fault), evicting a 13th; the last page never
 * left; both read their bytes. */
Test(hugescript, reclaim_splits_and_swaps_back_intact)
{
	cmd_out_t r;
	script_ok(&r, "--thp always --frames 600 --policy fifo",
		  "spawn 1\nmmap 1 0x40000000 2M rw private\n"
		  "write 1 0x40000000 \"first\"\nwrite 1 0x401ff000 \"last\"\n"
		  "mmap 1 0x50000000 400K rw private\ntouch 1 0x50000000 400K w\n"
		  "expect stat thp_split 1\nexpect stat swap_outs 12\n"
		  "read 1 0x40000000 5 expect \"first\"\nread 1 0x401ff000 4 expect \"last\"\n");
	cr_assert_eq(json_u(r.out, "thp_split"), 1);
	cr_assert_eq(json_u(r.out, "swap_outs"), 13);
	cr_assert_eq(json_u(r.out, "swap_ins"), 1);
	cr_assert_eq(json_u(r.out, "major_faults"), 1);
	cr_assert_eq(json_u(r.out, "resident_pages"), 600);
}

/* Bug caught: reserving at fault time instead of at mmap, or a reservation
 * not given back.  A pool of 2: 3M rounds up to 2 huge pages, reserving
 * both, so the next mmap fails with ENOMEM (exit 1, its line named) before
 * anything is touched; after munmap of the first, it succeeds. */
Test(hugescript, hugetlb_pool_enomem_at_mmap)
{
	cmd_out_t r;
	script(&r, "--frames 1100 --hugepages 2",
	       "spawn 1\nmmap 1 0x40000000 3M rw private huge\n"
	       "expect stat hugetlb_reserved 2\nmmap 1 0x80000000 2M rw private huge\n");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, ":4: mmap 1 0x80000000 2M rw private huge: the kernel refused: out of memory"),
			   "%s", r.err);
	script_ok(&r, "--frames 1100 --hugepages 2",
		  "spawn 1\nmmap 1 0x40000000 3M rw private huge\nmunmap 1 0x40000000 4M\n"
		  "mmap 1 0x80000000 2M rw private huge\nwrite 1 0x80000000 \"x\"\n");
	cr_assert_eq(json_u(r.out, "hugetlb_pages"), 2);
	cr_assert_eq(json_u(r.out, "hugetlb_free"), 1);
	cr_assert_eq(json_u(r.out, "hugetlb_reserved"), 0);
	cr_assert_eq(json_u(r.out, "hugetlb_faults"), 1);
	cr_assert_eq(json_u(r.out, "resident_pages"), 512);
	cr_assert_eq(json_u(r.out, "free_frames"), 1100 - 1024); /* the pool is never free */
	/* no pool at all: ENOMEM too */
	script(&r, "--frames 1100", "spawn 1\nmmap 1 0 2M rw private huge\n");
	cr_assert_eq(r.status, 1, "%s", r.err);
	/* an unaligned ADDR and a shared mapping are invalid */
	script(&r, "--frames 1100 --hugepages 1", "spawn 1\nmmap 1 0x40001000 2M rw private huge\n");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "aligned to the huge page"), "%s", r.err);
	/* too big a pool for the frames is refused at start (exit 2) */
	script(&r, "--frames 1100 --hugepages 3", "spawn 1\n");
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "--hugepages 3: the 1100 frames hold only 2 aligned runs of 512"), "%s", r.err);
}

/* Bug caught: a hugetlb page cut, its bytes or pool pages lost over fork,
 * or a pool page reclaimed.  A pool of 6: two pages written, one reserved;
 * munmap of half a page is EINVAL; fork copies the 2 mapped pages into the
 * child's own (free 4 - 2 = 2) and reserves the empty one (2 reserved);
 * writes stay apart; 500 base pages touched in the 3200 - 3072 = 128 frames
 * the pool leaves swap among themselves and never take a pool page (the
 * bytes stay); after both exit all 6 are free. */
Test(hugescript, hugetlb_fork_cut_and_pressure)
{
	cmd_out_t r;
	script(&r, "--frames 3200 --hugepages 6",
	       "spawn 1\nmmap 1 0x40000000 4M rw private huge\nmunmap 1 0x40100000 1M\n");
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "a hugetlb region only at huge-page boundaries"), "%s", r.err);
	script_ok(&r, "--frames 3200 --hugepages 6 --policy fifo",
		  "spawn 1\nmmap 1 0x40000000 4M rw private huge\nmmap 1 0x80000000 2M rw private huge\n"
		  "write 1 0x40000000 \"A\"\nwrite 1 0x40200000 \"B\"\n"
		  "fork 1 2\nexpect stat hugetlb_free 2\nexpect stat hugetlb_reserved 2\n"
		  "write 2 0x40200000 \"C\"\nread 1 0x40200000 1 expect \"B\"\nread 2 0x40000000 1 expect \"A\"\n"
		  "mmap 1 0x90000000 2000K rw private\ntouch 1 0x90000000 2000K w\n"
		  "read 1 0x40000000 1 expect \"A\"\nread 2 0x40200000 1 expect \"C\"\n"
		  "exit 2\nexit 1\n");
	cr_assert_eq(json_u(r.out, "hugetlb_free"), 6);
	cr_assert_eq(json_u(r.out, "hugetlb_reserved"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 0);
	cr_assert_eq(json_u(r.out, "hugetlb_faults"), 2);
}

/* The example's expect lines hold (with the checker on). */
Test(hugescript, example_script_holds)
{
	cmd_out_t r;
	run(&r, "%s script --check examples/huge.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "THP collapses                  1   4 pages copied in 1 khugepaged passes"),
			   "%s", r.out);
}

/* With the new options off, no new key appears in --json. */
Test(hugescript, keys_only_when_on)
{
	cmd_out_t r;
	script_ok(&r, "--frames 64", "spawn 1\nmmap 1 0x40000000 8K rw private\ntouch 1 0x40000000 8K w\n");
	cr_assert_null(strstr(r.out, "thp_collapse_copies"), "%s", r.out);
	cr_assert_null(strstr(r.out, "hugetlb_pages"), "%s", r.out);
}
