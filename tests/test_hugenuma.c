/* test_hugenuma.c - huge pages and NUMA (issue 9): a huge run's frames
 * from one node chosen by the memory policy, local/remote references of
 * huge pages; the OOM killer counting only reclaimable frames; and the
 * bugs test_kernel_diff3.c found, each with a focused test.
 *
 * Most scripts run on a small geometry: 4 KiB pages, 5 levels over a 31-bit
 * address space (19 VPN bits: 3 a level, 7 on top), so a huge page is a
 * level-1 leaf of 8 base pages (32 KiB) and every count is small enough to
 * work by hand.  Every script runs with --check (the invariant checker after
 * every command) and --watermarks 0,0,0 (no page daemon). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define SMALL "--va-bits 31 --levels 5"

/* Run text as a script with --check --json and the options opts: the exit
 * status and output into *r. */
static void script(cmd_out_t *r, const char *opts, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/vmlab-hugenuma-%d-XXXXXX", (int)getpid());
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

/* Bug (found by test_kernel_diff3): khugepaged collapsed a range one of
 * whose empty entries was a page reclaimed clean without a swap copy (a
 * page only ever read: its shadow entry kept for a refault), and left the
 * shadow entry behind; the page now lives in the huge page, and when the
 * process exited the entry named a process that had ended (the checker:
 * "anonymous entry of a process that ended").
 *
 * 16 frames, fifo.  Page 0x40000 is read (frame 0, clean); writing the 16
 * pages of 0x50000000 takes frames 1..15 and then direct reclaim drops
 * frame 0 (clean: no swap-out, a shadow entry).  munmap frees frames 1..15;
 * the write to 0x40001000 takes frame 1 (the lowest free).  Advised,
 * khugepaged's next pass collapses 1 present page and 7 empty entries into
 * frames 8..15 (the only aligned run of 8 leaving the free frames at or
 * above min: 0..7 holds frame 1).  The empty entry of 0x40000 had the
 * shadow: it must go (0 entries), and exit must leave none. */
Test(hugenuma, collapse_drops_the_shadow_of_a_page_reclaimed_clean)
{
	const char *text = "spawn 1\n"
			   "mmap 1 0x40000000 32K rw private\n"
			   "mmap 1 0x50000000 64K rw private\n"
			   "touch 1 0x40000000 4K r\n"
			   "touch 1 0x50000000 64K w\n"
			   "expect stat evictions 1\n"
			   "expect stat swap_outs 0\n"
			   "expect stat shadow_entries 1\n"
			   "munmap 1 0x50000000 64K\n"
			   "touch 1 0x40001000 4K w\n"
			   "madvise 1 0x40000000 32K hugepage\n"
			   "touch 1 0x40001000 4K r\n"
			   "expect stat thp_collapse_alloc 1\n"
			   "expect stat thp_collapse_copies 1\n"
			   "expect stat shadow_entries 0\n"
			   "exit 1\n";
	cmd_out_t r;
	script_ok(&r, SMALL " --frames 16 --policy fifo --thp madvise --khugepaged-every 1", text);
	cr_assert_eq(json_u(r.out, "shadow_entries"), 0);
	cr_assert_eq(json_u(r.out, "resident_pages"), 0);
	cr_assert_eq(json_u(r.out, "free_frames"), 16);
}
