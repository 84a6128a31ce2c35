/* test_steps.c - `vmlab run --steps [N]` line for line against hand-worked
 * tables (OSTEP's paging-policy README example, Belady's string), the N
 * forms of the option, and the HTML view (--html) loaded in headless
 * Chromium: the DOM after #step=5 must show what `run --steps`'s fifth
 * line says. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

#define OSTEP "tests/data/ostep-policy.pages"   /* 0,1,2,0,1,3,0,3,1,2,1 */
#define BELADY "examples/small.pages"           /* 1,2,3,4,1,2,5,1,2,3,4,5 */

/* The step lines of r: everything before the first blank line. */
static const char *steps_part(cmd_out_t *r)
{
	char *end = strstr(r->out, "\n\n");
	cr_assert_not_null(end, "no blank line after the steps:\n%s", r->out);
	end[1] = 0;
	return r->out;
}

/* Line n (from 1) of text into buf, without its newline. */
static void nth_line(const char *text, int n, char *buf, size_t len)
{
	const char *p = text;
	for (int i = 1; i < n && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	cr_assert(p && *p, "no line %d in:\n%s", n, text);
	size_t k = strcspn(p, "\n");
	cr_assert(k < len);
	memcpy(buf, p, k);
	buf[k] = 0;
}

/* OSTEP's README: LRU, 3 pages, 0 1 2 0 1 3 0 3 1 2 1 gives
 *   LRU->[0]<-MRU ... [0, 1, 3] Replace:2 ... [3, 1, 2] Replace:0 ... [3, 2, 1]
 *   Hits:6 Misses:5.
 * The same memory lists here.  The TLB (64:4, 16 sets) holds every resident
 * page, and LRU never clears accessed bits, so a HIT is a tlb-hit.  Frames:
 * the lowest free one, then the victim's.  A bug in the policy's order
 * (the list printed MRU first), in the victim (recorded after the frame was
 * reused) or in the counts (the retry counted as a hit) changes a line. */
Test(steps, ostep_readme_lru)
{
	cmd_out_t r;
	run(&r, "%s run --steps --frames 3 --policy lru --format pages " OSTEP, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 0 R tlb-miss MISS minor frame 0 Replaced:- LRU -> [0] <- MRU [Hits:0 Misses:1]\n"
		"step 2: page 1 R tlb-miss MISS minor frame 1 Replaced:- LRU -> [0, 1] <- MRU [Hits:0 Misses:2]\n"
		"step 3: page 2 R tlb-miss MISS minor frame 2 Replaced:- LRU -> [0, 1, 2] <- MRU [Hits:0 Misses:3]\n"
		"step 4: page 0 R tlb-hit HIT        frame 0 Replaced:- LRU -> [1, 2, 0] <- MRU [Hits:1 Misses:3]\n"
		"step 5: page 1 R tlb-hit HIT        frame 1 Replaced:- LRU -> [2, 0, 1] <- MRU [Hits:2 Misses:3]\n"
		"step 6: page 3 R tlb-miss MISS minor frame 2 Replaced:2 (clean) LRU -> [0, 1, 3] <- MRU [Hits:2 Misses:4]\n"
		"step 7: page 0 R tlb-hit HIT        frame 0 Replaced:- LRU -> [1, 3, 0] <- MRU [Hits:3 Misses:4]\n"
		"step 8: page 3 R tlb-hit HIT        frame 2 Replaced:- LRU -> [1, 0, 3] <- MRU [Hits:4 Misses:4]\n"
		"step 9: page 1 R tlb-hit HIT        frame 1 Replaced:- LRU -> [0, 3, 1] <- MRU [Hits:5 Misses:4]\n"
		"step 10: page 2 R tlb-miss MISS minor frame 0 Replaced:0 (clean) LRU -> [3, 1, 2] <- MRU [Hits:5 Misses:5]\n"
		"step 11: page 1 R tlb-hit HIT        frame 1 Replaced:- LRU -> [3, 2, 1] <- MRU [Hits:6 Misses:5]\n");
}

/* The same string under FIFO, worked as paging-policy.py -p FIFO -c does
 * (FirstIn->[..]<-Lastin): 3 evicts 0, 0 evicts 1, 1 evicts 2, 2 evicts 3;
 * Hits:4 Misses:7. */
Test(steps, ostep_readme_fifo)
{
	cmd_out_t r;
	run(&r, "%s run --steps --frames 3 --policy fifo --format pages " OSTEP, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 0 R tlb-miss MISS minor frame 0 Replaced:- FirstIn -> [0] <- LastIn [Hits:0 Misses:1]\n"
		"step 2: page 1 R tlb-miss MISS minor frame 1 Replaced:- FirstIn -> [0, 1] <- LastIn [Hits:0 Misses:2]\n"
		"step 3: page 2 R tlb-miss MISS minor frame 2 Replaced:- FirstIn -> [0, 1, 2] <- LastIn [Hits:0 Misses:3]\n"
		"step 4: page 0 R tlb-hit HIT        frame 0 Replaced:- FirstIn -> [0, 1, 2] <- LastIn [Hits:1 Misses:3]\n"
		"step 5: page 1 R tlb-hit HIT        frame 1 Replaced:- FirstIn -> [0, 1, 2] <- LastIn [Hits:2 Misses:3]\n"
		"step 6: page 3 R tlb-miss MISS minor frame 0 Replaced:0 (clean) FirstIn -> [1, 2, 3] <- LastIn [Hits:2 Misses:4]\n"
		"step 7: page 0 R tlb-miss MISS minor frame 1 Replaced:1 (clean) FirstIn -> [2, 3, 0] <- LastIn [Hits:2 Misses:5]\n"
		"step 8: page 3 R tlb-hit HIT        frame 0 Replaced:- FirstIn -> [2, 3, 0] <- LastIn [Hits:3 Misses:5]\n"
		"step 9: page 1 R tlb-miss MISS minor frame 2 Replaced:2 (clean) FirstIn -> [3, 0, 1] <- LastIn [Hits:3 Misses:6]\n"
		"step 10: page 2 R tlb-miss MISS minor frame 0 Replaced:3 (clean) FirstIn -> [0, 1, 2] <- LastIn [Hits:3 Misses:7]\n"
		"step 11: page 1 R tlb-hit HIT        frame 2 Replaced:- FirstIn -> [0, 1, 2] <- LastIn [Hits:4 Misses:7]\n");
}

/* OPT on the same string: paging-policy.py -p OPT -c answers Hits:6
 * Misses:5, evicting 2 at the 3 (next uses 0@7, 1@9, 2@10).  At the final
 * 2, pages 0 and 3 are both never used again: OSTEP's script takes the last
 * such in its list (3), vmlab the oldest arrival (0); the counts agree.
 * The memory is listed farthest next use first, next uses numbered as the
 * steps are. */
Test(steps, ostep_readme_opt)
{
	cmd_out_t r;
	run(&r, "%s run --steps --frames 3 --policy opt --tlb 0 --format pages " OSTEP, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 0 R tlb-miss MISS minor frame 0 Replaced:- Farthest -> [0(next=4)] <- Soonest [Hits:0 Misses:1]\n"
		"step 2: page 1 R tlb-miss MISS minor frame 1 Replaced:- Farthest -> [1(next=5), 0(next=4)] <- Soonest [Hits:0 Misses:2]\n"
		"step 3: page 2 R tlb-miss MISS minor frame 2 Replaced:- Farthest -> [2(next=10), 1(next=5), 0(next=4)] <- Soonest [Hits:0 Misses:3]\n"
		"step 4: page 0 R tlb-miss HIT        frame 0 Replaced:- Farthest -> [2(next=10), 0(next=7), 1(next=5)] <- Soonest [Hits:1 Misses:3]\n"
		"step 5: page 1 R tlb-miss HIT        frame 1 Replaced:- Farthest -> [2(next=10), 1(next=9), 0(next=7)] <- Soonest [Hits:2 Misses:3]\n"
		"step 6: page 3 R tlb-miss MISS minor frame 2 Replaced:2 (clean) Farthest -> [1(next=9), 3(next=8), 0(next=7)] <- Soonest [Hits:2 Misses:4]\n"
		"step 7: page 0 R tlb-miss HIT        frame 0 Replaced:- Farthest -> [0(next=never), 1(next=9), 3(next=8)] <- Soonest [Hits:3 Misses:4]\n"
		"step 8: page 3 R tlb-miss HIT        frame 2 Replaced:- Farthest -> [0(next=never), 3(next=never), 1(next=9)] <- Soonest [Hits:4 Misses:4]\n"
		"step 9: page 1 R tlb-miss HIT        frame 1 Replaced:- Farthest -> [0(next=never), 3(next=never), 1(next=11)] <- Soonest [Hits:5 Misses:4]\n"
		"step 10: page 2 R tlb-miss MISS minor frame 0 Replaced:0 (clean) Farthest -> [3(next=never), 2(next=never), 1(next=11)] <- Soonest [Hits:5 Misses:5]\n"
		"step 11: page 1 R tlb-miss HIT        frame 1 Replaced:- Farthest -> [1(next=never), 3(next=never), 2(next=never)] <- Soonest [Hits:6 Misses:5]\n");
}

/* Belady's anomaly, FIFO: 9 faults with 3 frames, 10 with 4 (the README of
 * paging-policy's last question).  The summary that follows says the
 * same. */
Test(steps, belady_fifo_3_and_4_frames)
{
	cmd_out_t r;
	run(&r, "%s run --steps --frames 3 --policy fifo " BELADY, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "  page faults                    9   minor 9, major 0"), "%s", r.out);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 1 R tlb-miss MISS minor frame 0 Replaced:- FirstIn -> [1] <- LastIn [Hits:0 Misses:1]\n"
		"step 2: page 2 R tlb-miss MISS minor frame 1 Replaced:- FirstIn -> [1, 2] <- LastIn [Hits:0 Misses:2]\n"
		"step 3: page 3 R tlb-miss MISS minor frame 2 Replaced:- FirstIn -> [1, 2, 3] <- LastIn [Hits:0 Misses:3]\n"
		"step 4: page 4 R tlb-miss MISS minor frame 0 Replaced:1 (clean) FirstIn -> [2, 3, 4] <- LastIn [Hits:0 Misses:4]\n"
		"step 5: page 1 R tlb-miss MISS minor frame 1 Replaced:2 (clean) FirstIn -> [3, 4, 1] <- LastIn [Hits:0 Misses:5]\n"
		"step 6: page 2 R tlb-miss MISS minor frame 2 Replaced:3 (clean) FirstIn -> [4, 1, 2] <- LastIn [Hits:0 Misses:6]\n"
		"step 7: page 5 R tlb-miss MISS minor frame 0 Replaced:4 (clean) FirstIn -> [1, 2, 5] <- LastIn [Hits:0 Misses:7]\n"
		"step 8: page 1 R tlb-hit HIT        frame 1 Replaced:- FirstIn -> [1, 2, 5] <- LastIn [Hits:1 Misses:7]\n"
		"step 9: page 2 R tlb-hit HIT        frame 2 Replaced:- FirstIn -> [1, 2, 5] <- LastIn [Hits:2 Misses:7]\n"
		"step 10: page 3 R tlb-miss MISS minor frame 1 Replaced:1 (clean) FirstIn -> [2, 5, 3] <- LastIn [Hits:2 Misses:8]\n"
		"step 11: page 4 R tlb-miss MISS minor frame 2 Replaced:2 (clean) FirstIn -> [5, 3, 4] <- LastIn [Hits:2 Misses:9]\n"
		"step 12: page 5 R tlb-hit HIT        frame 0 Replaced:- FirstIn -> [5, 3, 4] <- LastIn [Hits:3 Misses:9]\n");

	run(&r, "%s run --steps --frames 4 --policy fifo " BELADY, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "  page faults                   10   minor 10, major 0"), "%s", r.out);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 1 R tlb-miss MISS minor frame 0 Replaced:- FirstIn -> [1] <- LastIn [Hits:0 Misses:1]\n"
		"step 2: page 2 R tlb-miss MISS minor frame 1 Replaced:- FirstIn -> [1, 2] <- LastIn [Hits:0 Misses:2]\n"
		"step 3: page 3 R tlb-miss MISS minor frame 2 Replaced:- FirstIn -> [1, 2, 3] <- LastIn [Hits:0 Misses:3]\n"
		"step 4: page 4 R tlb-miss MISS minor frame 3 Replaced:- FirstIn -> [1, 2, 3, 4] <- LastIn [Hits:0 Misses:4]\n"
		"step 5: page 1 R tlb-hit HIT        frame 0 Replaced:- FirstIn -> [1, 2, 3, 4] <- LastIn [Hits:1 Misses:4]\n"
		"step 6: page 2 R tlb-hit HIT        frame 1 Replaced:- FirstIn -> [1, 2, 3, 4] <- LastIn [Hits:2 Misses:4]\n"
		"step 7: page 5 R tlb-miss MISS minor frame 0 Replaced:1 (clean) FirstIn -> [2, 3, 4, 5] <- LastIn [Hits:2 Misses:5]\n"
		"step 8: page 1 R tlb-miss MISS minor frame 1 Replaced:2 (clean) FirstIn -> [3, 4, 5, 1] <- LastIn [Hits:2 Misses:6]\n"
		"step 9: page 2 R tlb-miss MISS minor frame 2 Replaced:3 (clean) FirstIn -> [4, 5, 1, 2] <- LastIn [Hits:2 Misses:7]\n"
		"step 10: page 3 R tlb-miss MISS minor frame 3 Replaced:4 (clean) FirstIn -> [5, 1, 2, 3] <- LastIn [Hits:2 Misses:8]\n"
		"step 11: page 4 R tlb-miss MISS minor frame 0 Replaced:5 (clean) FirstIn -> [1, 2, 3, 4] <- LastIn [Hits:2 Misses:9]\n"
		"step 12: page 5 R tlb-miss MISS minor frame 1 Replaced:1 (clean) FirstIn -> [2, 3, 4, 5] <- LastIn [Hits:2 Misses:10]\n");
}

/* The clock shows its hand and accessed bits: 1,2,3 fill frames 0-2 with
 * a=1; 1 hits; 4 finds every bit set, clears all three in one lap, evicts
 * page 1 at frame 0 and leaves the hand at frame 1. */
Test(steps, clock_hand_and_accessed_bits)
{
	cmd_out_t r;
	run(&r, "printf '1,2,3,1,4' | %s run --steps --frames 3 --policy clock --format pages -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 1 R tlb-miss MISS minor frame 0 Replaced:- Hand -> [1(a=1)] <- Behind [Hits:0 Misses:1]\n"
		"step 2: page 2 R tlb-miss MISS minor frame 1 Replaced:- Hand -> [1(a=1), 2(a=1)] <- Behind [Hits:0 Misses:2]\n"
		"step 3: page 3 R tlb-miss MISS minor frame 2 Replaced:- Hand -> [1(a=1), 2(a=1), 3(a=1)] <- Behind [Hits:0 Misses:3]\n"
		"step 4: page 1 R tlb-hit HIT        frame 0 Replaced:- Hand -> [1(a=1), 2(a=1), 3(a=1)] <- Behind [Hits:1 Misses:3]\n"
		"step 5: page 4 R tlb-miss MISS minor frame 0 Replaced:1 (clean) Hand -> [2(a=0), 3(a=0), 4(a=1)] <- Behind [Hits:1 Misses:4]\n");
}

/* LFU shows its counts (the faulting reference counts); a written page is
 * written back when evicted; writes show as W. */
Test(steps, lfu_counts_and_written_back_victims)
{
	cmd_out_t r;
	run(&r, "printf '1,1,2,3' | %s run --steps --frames 2 --policy lfu --format pages -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 1 R tlb-miss MISS minor frame 0 Replaced:- Fewest -> [1(count=1)] <- Most [Hits:0 Misses:1]\n"
		"step 2: page 1 R tlb-hit HIT        frame 0 Replaced:- Fewest -> [1(count=2)] <- Most [Hits:1 Misses:1]\n"
		"step 3: page 2 R tlb-miss MISS minor frame 1 Replaced:- Fewest -> [2(count=1), 1(count=2)] <- Most [Hits:1 Misses:2]\n"
		"step 4: page 3 R tlb-miss MISS minor frame 1 Replaced:2 (clean) Fewest -> [3(count=1), 1(count=2)] <- Most [Hits:1 Misses:3]\n");
	/* 1 written, evicted dirty (a swap-out), then read back: a major fault */
	run(&r, "printf '1w,2,3,1' | %s run --steps --frames 2 --policy fifo --format pages -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 1 W tlb-miss MISS minor frame 0 Replaced:- FirstIn -> [1] <- LastIn [Hits:0 Misses:1]\n"
		"step 2: page 2 R tlb-miss MISS minor frame 1 Replaced:- FirstIn -> [1, 2] <- LastIn [Hits:0 Misses:2]\n"
		"step 3: page 3 R tlb-miss MISS minor frame 0 Replaced:1 (written back) FirstIn -> [2, 3] <- LastIn [Hits:0 Misses:3]\n"
		"step 4: page 1 R tlb-miss MISS major frame 1 Replaced:2 (clean) FirstIn -> [3, 1] <- LastIn [Hits:0 Misses:4]\n");
}

/* An access over two pages is two steps, pids show as PID:VPN. */
Test(steps, split_accesses_and_pids)
{
	cmd_out_t r;
	run(&r, "printf 'W 0x1ffe 4 7\\n' | %s run --steps --frames 4 --policy fifo --format text -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(steps_part(&r),
		"step 1: page 7:1 W tlb-miss MISS minor frame 0 Replaced:- FirstIn -> [7:1] <- LastIn [Hits:0 Misses:1]\n"
		"step 2: page 7:2 W tlb-miss MISS minor frame 1 Replaced:- FirstIn -> [7:1, 7:2] <- LastIn [Hits:0 Misses:2]\n");
}

/* How many "step " lines r printed. */
static int count_steps(const char *out)
{
	int n = 0;
	for (const char *p = out; (p = strstr(p, "step ")); p++)
		n += p == out || p[-1] == '\n';
	return n;
}

/* N is taken only when the next word is a decimal number; --steps=N too.
 * After the steps comes the summary, byte for byte that of a run without
 * --steps. */
Test(steps, the_forms_of_n)
{
	cmd_out_t r, plain;
	run(&plain, "%s run --frames 3 --policy fifo " BELADY, vmlab());
	cr_assert_eq(plain.status, 0);

	run(&r, "%s run --steps 3 --frames 3 --policy fifo " BELADY, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(count_steps(r.out), 3, "%s", r.out);
	cr_assert_str_eq(strstr(r.out, "\n\n") + 2, plain.out);

	run(&r, "%s run --frames 3 --policy fifo --steps " BELADY, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(count_steps(r.out), 12, "%s", r.out);
	cr_assert_str_eq(strstr(r.out, "\n\n") + 2, plain.out);

	run(&r, "%s run --steps=2 --frames 3 --policy fifo " BELADY, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(count_steps(r.out), 2, "%s", r.out);
	cr_assert(strstr(r.out, "step 2: page 2 R tlb-miss MISS minor frame 1 Replaced:- FirstIn -> [1, 2] <- LastIn [Hits:0 Misses:2]\n\nvmlab run:"),
		  "%s", r.out);

	/* more than there are: all of them */
	run(&r, "%s run --steps 1000 --frames 3 --policy fifo " BELADY, vmlab());
	cr_assert_eq(count_steps(r.out), 12, "%s", r.out);

	/* OPT's path (buffered references) takes N too */
	run(&r, "%s run --steps 4 --frames 3 --policy opt " BELADY, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(count_steps(r.out), 4, "%s", r.out);
	cr_assert(strstr(r.out, "  page faults                    7"), "%s", r.out);

	run(&r, "%s run --steps 0 " BELADY, vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "vmlab run: --steps: 0 steps shows nothing"), "%s", r.err);
	run(&r, "%s run --steps=x " BELADY, vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "'x' is not a number"), "%s", r.err);
	run(&r, "%s run --steps --json " BELADY, vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "--steps prints lines and --json one object"), "%s", r.err);
}

/* A run that fails prints no steps on stdout: swap of one slot, two dirty
 * pages to write out. */
Test(steps, a_failed_run_prints_nothing)
{
	cmd_out_t r;
	run(&r, "printf '1w,2w,3w,4w' | %s run --steps --frames 1 --swap 4096 --format pages -", vmlab());
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_str_eq(r.out, "");
	cr_assert(strstr(r.err, "out of swap space"), "%s", r.err);
}

/* ---- the HTML view in a real browser ---- */

/* Chromium's DOM of page#frag after its scripts ran, into out. */
static void dump_dom(const char *dir, const char *page, const char *frag, cmd_out_t *out)
{
	run(out, "chromium --headless --no-sandbox --disable-gpu --user-data-dir=%s/profile "
		 "--dump-dom 'file://%s#%s'", dir, page, frag);
	cr_assert_eq(out->status, 0, "chromium failed (the Makefile installs it: make test): %s", out->err);
}

/* The text of the element with id in an HTML dump ("" if none). */
static void dom_text(const char *html, const char *id, char *buf, size_t len)
{
	char pat[64];
	snprintf(pat, sizeof pat, "id=\"%s\">", id);
	const char *p = strstr(html, pat);
	buf[0] = 0;
	if (!p)
		return;
	p += strlen(pat);
	size_t k = strcspn(p, "<");
	if (k >= len)
		k = len - 1;
	memcpy(buf, p, k);
	buf[k] = 0;
}

/* A fresh folder for one test's page and browser profile, absolute. */
static void temp_dir(char *dir, size_t len)
{
	char cwd[512];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	snprintf(dir, len, "/tmp/vmlab-html-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

/* The DOM after #step=5 shows the counts of `run --steps`'s fifth line
 * (Belady, FIFO, 3 frames: Hits:0 Misses:5), the line itself, the
 * memory in FIFO order, the references coloured so far; #step=8 a hit. */
Test(steps_html, counts_after_step_5_in_chromium, .timeout = 240)
{
	char dir[64], page[128], line[512], want[512], got[512];
	temp_dir(dir, sizeof dir);
	snprintf(page, sizeof page, "%s/belady.html", dir);
	cmd_out_t r, d;
	run(&r, "%s run --steps --frames 3 --policy fifo --html %s " BELADY, vmlab(), page);
	cr_assert_eq(r.status, 0, "%s", r.err);
	nth_line(r.out, 5, line, sizeof line);
	cr_assert_str_eq(line, "step 5: page 1 R tlb-miss MISS minor frame 1 Replaced:2 (clean) FirstIn -> [3, 4, 1] <- LastIn [Hits:0 Misses:5]");

	/* self-contained: nothing fetched from anywhere */
	run(&d, "grep -c -i -E 'https?:|src=|href=|@import|url\\(' %s", page);
	cr_assert_str_eq(d.out, "0\n", "the page refers to something outside it");

	dump_dom(dir, page, "step=5", &d);
	dom_text(d.out, "hits", got, sizeof got);
	cr_assert_str_eq(got, "0");
	dom_text(d.out, "misses", got, sizeof got);
	cr_assert_str_eq(got, "5");
	dom_text(d.out, "stepno", got, sizeof got);
	cr_assert_str_eq(got, "5");
	dom_text(d.out, "line", got, sizeof got);
	snprintf(want, sizeof want, "%s", line);
	/* the DOM escapes < and > */
	cr_assert_str_eq(got, "step 5: page 1 R tlb-miss MISS minor frame 1 Replaced:2 (clean) FirstIn -&gt; [3, 4, 1] &lt;- LastIn [Hits:0 Misses:5]");
	cr_assert(strstr(d.out, "FirstIn → <span class=\"chip\">3</span><span class=\"chip\">4</span><span class=\"chip\">1</span> ← LastIn"),
		  "%s", d.out);
	cr_assert(strstr(d.out, "<span class=\"ref miss cur\" title=\"step 5\">1</span><span class=\"ref\" title=\"step 6\">2</span>"),
		  "%s", d.out);
	/* frame 1 took page 1 after page 2 left it; the TLB holds 3, 4, 1 */
	cr_assert(strstr(d.out, "<tr class=\"ref-frame\"><td>1</td><td>1</td><td></td><td>3</td><td>replaced 2 (clean), then page 1 loaded</td></tr>"),
		  "%s", d.out);
	cr_assert(strstr(d.out, "<th>1</th><td class=\"used\">page 1 → frame 1</td>"), "%s", d.out);

	dump_dom(dir, page, "step=8", &d);
	dom_text(d.out, "hits", got, sizeof got);
	cr_assert_str_eq(got, "1");
	dom_text(d.out, "misses", got, sizeof got);
	cr_assert_str_eq(got, "7");
	dom_text(d.out, "tlbout", got, sizeof got);
	cr_assert_str_eq(got, "tlb-hit");
	run(&r, "rm -rf %s", dir);
}

/* explain --html: the walk of CS:APP's 0x27c, step 2 is level 1, its
 * entry highlighted and the L1 index bits lit. */
Test(steps_html, explain_walk_in_chromium, .timeout = 240)
{
	char dir[64], page[128], got[512];
	temp_dir(dir, sizeof dir);
	snprintf(page, sizeof page, "%s/walk.html", dir);
	cmd_out_t r, d;
	run(&r, "%s explain --page-size 64 --va-bits 14 --pa-bits 12 --levels 1 --tlb 16:4 "
		"--state examples/cscapp.state --html %s 0x27c 0x3d4", vmlab(), page);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "L1_pte: 0x8000000000017007\n"), "explain's own output is unchanged");
	dump_dom(dir, page, "step=2", &d);
	dom_text(d.out, "now", got, sizeof got);
	cr_assert_str_eq(got, "L1_index: 0x9\nL1_pte_addr: 0x1048\nL1_pte: 0x8000000000017007\nL1_pte_bits: P W U NX");
	cr_assert(strstr(d.out, "<div class=\"field on\"><div class=\"b\">00001001</div><div>L1 0x9</div></div>"
				"<div class=\"field\"><div class=\"b\">111100</div><div>VPO 0x3c</div></div>"), "%s", d.out);
	/* step 3: the result; step 5: the second VA's TLB hit */
	dump_dom(dir, page, "step=3", &d);
	dom_text(d.out, "now", got, sizeof got);
	cr_assert_str_eq(got, "PPN: 0x17\nPA: 0x5fc\nresult: ok");
	dump_dom(dir, page, "step=5", &d);
	dom_text(d.out, "now", got, sizeof got);
	cr_assert_str_eq(got, "TLBI: 0x3\nTLBT: 0x3\nTLB: hit");
	run(&r, "rm -rf %s", dir);
}
