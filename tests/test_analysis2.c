/* test_analysis2.c - the rest of issue 7: plots of mrc and sweep, `--
 * PROGRAM` through mrc, wss and sweep, the shared option table, the
 * progress line (seen through a pseudo-terminal), run's timeline and its
 * CSV, and the next-use index against a brute force.  The binary is $VMLAB
 * (make test sets it). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/nextuse.h"
#include "cmd.h"
#include "policy/policy.h"
#include "util/rng.h"

#define BUNDLED "examples/ls.lackey.zst"

/* The first bytes of file path into buf (NUL-terminated); how many. */
static size_t head_of(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	cr_assert(f, "%s was not written", path);
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	return n;
}

/* A PNG from mrc (the knee marked, one line), an SVG from sweep (a line per
 * policy): what gnuplot wrote, nothing on stdout but the usual output. */
Test(analysis2, mrc_and_sweep_plots)
{
	char png[64], svg[64], buf[4096];
	snprintf(png, sizeof png, "/tmp/vmlab-a2-%d.png", (int)getpid());
	snprintf(svg, sizeof svg, "/tmp/vmlab-a2-%d.svg", (int)getpid());
	cmd_out_t r;
	run(&r, "%s mrc --frames 1..64/6 --plot %s " BUNDLED, vmlab(), png);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "knee:"), "the table still printed: %s", r.out);
	cr_assert_geq(head_of(png, buf, sizeof buf), 8);
	cr_expect(!memcmp(buf, "\x89PNG\r\n\x1a\n", 8), "not a PNG");
	run(&r, "%s sweep --policies lru,fifo --frames 4,16,64 --csv --plot %s " BUNDLED, vmlab(), svg);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(!strncmp(r.out, "index,", 6), "%s", r.out);
	head_of(svg, buf, sizeof buf);
	cr_expect(strstr(buf, "<svg"), "not an SVG: %.200s", buf);
	/* the legend names both policies */
	run(&r, "grep -c '>fifo<\\|>lru<' %s", svg);
	cr_expect_eq(atoi(r.out), 2, "legend entries: %s", r.out);
	unlink(png);
	unlink(svg);
	/* a bad name is usage (2), a missing gnuplot a failure (1), both
	 * before any work, and no file */
	run(&r, "%s mrc --plot /tmp/vmlab-a2.gif " BUNDLED, vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab mrc: --plot: /tmp/vmlab-a2.gif: a plot is .png or .svg"), "%s", r.err);
	run(&r, "PATH=/nonexistent %s sweep --plot %s " BUNDLED, vmlab(), png);
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "vmlab sweep: --plot: gnuplot not found"), "%s", r.err);
	cr_expect_str_eq(r.out, "");
	cr_expect_neq(access(png, F_OK), 0, "a plot without gnuplot");
}

/* `-- PROGRAM` records on the fly for mrc, wss and sweep; a program that
 * cannot run records nothing (exit 1), one that fails is only noted. */
Test(analysis2, dashdash_program, .timeout = 120)
{
	cmd_out_t r;
	run(&r, "%s mrc --json --frames 8,64 -- /bin/true", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"trace\": \"/bin/true\""), "%s", r.out);
	cr_expect(strstr(r.out, "\"format\": \"lackey\""), "%s", r.out);
	cr_expect_gt(json_u(r.out, "references"), 1000);
	run(&r, "%s wss --json --tau 100 -- /bin/true", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_gt(json_u(r.out, "references"), 1000);
	cr_expect(strstr(r.out, "\"trace\": \"/bin/true\""), "%s", r.out);
	run(&r, "%s sweep --policies fifo,clock --frames 16 --csv -- /bin/false", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "vmlab sweep: note: /bin/false exited with status 1"), "%s", r.err);
	cr_expect(strstr(r.out, "\n0,/bin/false,lackey,") && strstr(r.out, "\n1,/bin/false,lackey,"),
		  "%s", r.out);
	run(&r, "%s wss -- /nonexistent/program", vmlab());
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "vmlab wss: /nonexistent/program: nothing recorded (exit status "), "%s", r.err);
	cr_expect_str_eq(r.out, "");
	/* a trace and a program, or several page sizes of one recording */
	run(&r, "%s mrc " BUNDLED " -- /bin/true", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab mrc: a trace ('" BUNDLED "') or `-- PROGRAM`, not both"), "%s", r.err);
	run(&r, "%s sweep --page-sizes 4K,8K -- /bin/true", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab sweep: several --page-sizes"), "%s", r.err);
}

/* One option table: each command's --help lists its own options, an option
 * of another command is unknown, and messages have one form. */
Test(analysis2, shared_option_table)
{
	cmd_out_t r;
	run(&r, "%s mrc --help", vmlab());
	cr_assert_eq(r.status, 0);
	cr_expect(strstr(r.out, "  --frames LIST ") && strstr(r.out, "  --sample R ") &&
		  strstr(r.out, "  --max-fault-rate R ") && strstr(r.out, "  -j N ") &&
		  strstr(r.out, "  --plot FILE ") && strstr(r.out, "  --quiet "), "%s", r.out);
	cr_expect(!strstr(r.out, "--frames N ") && !strstr(r.out, "--shard"), "%s", r.out);
	run(&r, "%s sweep --help", vmlab());
	cr_expect(strstr(r.out, "  --policies LIST|all ") && strstr(r.out, "  --shard I/N ") &&
		  strstr(r.out, "  --tlbs LIST ") && !strstr(r.out, "--sample"), "%s", r.out);
	run(&r, "%s wss --help", vmlab());
	cr_expect(strstr(r.out, "  --tau LIST ") && strstr(r.out, "  --every N ") &&
		  !strstr(r.out, "--frames") && !strstr(r.out, "-j N"), "%s", r.out);
	run(&r, "%s run --help", vmlab());
	cr_expect(strstr(r.out, "  --timeline N ") && strstr(r.out, "  --timeline-csv FILE ") &&
		  !strstr(r.out, "--tau LIST"), "%s", r.out);
	run(&r, "%s wss --sample 0.5 " BUNDLED, vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab wss: unknown option '--sample' (try vmlab wss --help)"), "%s", r.err);
	run(&r, "%s mrc -j", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab mrc: -j needs N"), "%s", r.err);
	run(&r, "%s sweep -j0 " BUNDLED, vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab sweep: -j: '0' is not a thread count from 1 to 1024"), "%s", r.err);
	run(&r, "%s mrc --max-fault-rate 2 " BUNDLED, vmlab());
	cr_expect(strstr(r.err, "vmlab mrc: --max-fault-rate: '2' is not a number in [0, 1]"), "%s", r.err);
	run(&r, "%s mrc --csv=1 " BUNDLED, vmlab());
	cr_expect(strstr(r.err, "vmlab mrc: --csv takes no value"), "%s", r.err);
	/* -jN, -j N and --frames=LIST give the same curve */
	cmd_out_t a, b;
	run(&a, "%s mrc --policy fifo -j2 --frames=4,8 --csv " BUNDLED, vmlab());
	run(&b, "%s mrc --policy fifo -j 1 --frames 4,8 --csv " BUNDLED, vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_expect_str_eq(a.out, b.out);
}

/* Under a pseudo-terminal (script(1)) the progress line shows, redrawn with
 * \r and cleared; with stderr a pipe or --quiet it never does. */
#define SMALL "tests/data/true-excerpt.lackey"

Test(analysis2, progress_on_a_terminal_only, .timeout = 120)
{
	static const char *const cmds[] = { "run", "mrc", "wss", "sweep --frames 8", "mrc --policy fifo --frames 8" };
	cmd_out_t r;
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char word[16];
		sscanf(cmds[i], "%15s", word);
		run(&r, "VMLAB_PROGRESS_AFTER=0 script -qec '%s %s " SMALL " >/dev/null' /dev/null",
		    vmlab(), cmds[i]);
		cr_assert_eq(r.status, 0, "%s: %s", cmds[i], r.err);
		char want[64];
		snprintf(want, sizeof want, "\r\033[Kvmlab %s: ", word);
		cr_expect(strstr(r.out, want), "%s: no progress line: %s", cmds[i], r.out);
		cr_expect(strstr(r.out, " references, "), "%s: %s", cmds[i], r.out);
		/* the last thing drawn is the clearing */
		size_t n = strlen(r.out);
		cr_expect(n >= 4 && !strcmp(r.out + n - 4, "\r\033[K"), "%s: not cleared: %s", cmds[i], r.out);
		run(&r, "VMLAB_PROGRESS_AFTER=0 script -qec '%s %s --quiet " SMALL " >/dev/null' /dev/null",
		    vmlab(), cmds[i]);
		cr_expect_eq(r.status, 0);
		cr_expect(!strstr(r.out, "\033[K"), "%s --quiet: %s", cmds[i], r.out);
		run(&r, "VMLAB_PROGRESS_AFTER=0 %s %s " SMALL, vmlab(), cmds[i]);
		cr_expect(!strstr(r.err, "\033[K") && !strstr(r.out, "\033[K"), "%s on a pipe: %s", cmds[i], r.err);
	}
	/* the default waits about a second: a short run shows nothing */
	run(&r, "script -qec '%s run --format pages /dev/null' /dev/null", vmlab());
	cr_expect(!strstr(r.out, "\033[K"), "%s", r.out);
}

/* 1w 2w 3w 1 4 5 1 2 6 on 4 frames, FIFO, no TLB, a line every 3:
 *   t=3: 1,2,3 fault, 1 frame free; 3 faults, 3 refs + 3 retries = 6 misses.
 *   t=6: 1 hits; 4 faults (free 0); 5 evicts 1, dirty: 1 swap-out.
 *        2 faults, 5 misses.
 *   t=9: 1 faults back in (swap-in), evicting 2 (dirty: swap-out); 2 back
 *        in (swap-in), evicting 3 (dirty: swap-out); 6 evicts 4 (clean).
 *        3 faults, 2 swap-ins, 2 swap-outs, 6 misses. */
#define TL_TRACE "printf '1w\\n2w\\n3w\\n1\\n4\\n5\\n1\\n2\\n6\\n' | %s run --format pages --frames 4 --tlb 0 --policy fifo --timeline 3"

Test(analysis2, run_timeline_by_hand)
{
	cmd_out_t r;
	run(&r, TL_TRACE, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	static const char lines[] =
		"  references     free     faults    swap_in   swap_out   tlb_miss\n"
		"           3        1          3          0          0          6\n"
		"           6        0          2          0          1          5\n"
		"           9        0          3          2          2          6\n"
		"vmlab run: <stdin> (pages)\n";
	cr_expect(!strncmp(r.out, lines, strlen(lines)), "%s", r.out);
	/* the summary agrees with the intervals' sums */
	run(&r, TL_TRACE " --json", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_faults"), 8);
	cr_expect_eq(json_u(r.out, "swap_ins"), 2);
	cr_expect_eq(json_u(r.out, "swap_outs"), 3);
	cr_expect_eq(json_u(r.out, "tlb_misses"), 17);
	cr_expect(!strncmp(r.err, lines, strlen(lines) - strlen("vmlab run: <stdin> (pages)\n")),
		  "--json: the timeline on stderr: %s", r.err);
	cr_expect_eq(r.out[0], '{', "stdout is the object alone: %s", r.out);
	/* without --timeline, nothing of it */
	run(&r, "printf '1\\n' | %s run --format pages", vmlab());
	cr_expect(!strstr(r.out, "tlb_miss"), "%s", r.out);
}

Test(analysis2, run_timeline_csv)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/tmp/vmlab-a2-%d.csv", (int)getpid());
	cmd_out_t r;
	run(&r, TL_TRACE " --timeline-csv %s", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	head_of(path, buf, sizeof buf);
	cr_expect_str_eq(buf, "references,free,faults,swap_ins,swap_outs,tlb_misses\n"
			      "3,1,3,0,0,6\n6,0,2,0,1,5\n9,0,3,2,2,6\n");
	cr_expect(!strstr(r.out, "tlb_miss"), "the CSV replaces the text lines: %s", r.out);
	unlink(path);
	run(&r, TL_TRACE " --timeline-csv /dev/full", vmlab());
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "vmlab run: --timeline-csv: /dev/full: writing failed"), "%s", r.err);
	run(&r, TL_TRACE " --timeline-csv /nonexistent/dir/t.csv", vmlab());
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "vmlab run: --timeline-csv: /nonexistent/dir/t.csv: cannot write: "), "%s", r.err);
	run(&r, "%s run --timeline-csv %s " BUNDLED, vmlab(), path);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "vmlab run: --timeline-csv needs --timeline N"), "%s", r.err);
}

/* The next-use index equals the quadratic definition on random strings of
 * every length around the prefetch distance (16) and across table growth
 * (1024 slots), with pages of several processes sharing VPNs. */
Test(analysis2, nextuse_equals_brute_force)
{
	uint64_t seed = 7;
	for (size_t n = 0; n < 3000; n = n < 40 ? n + 1 : n * 2) {
		for (int round = 0; round < 3; round++) {
			uint64_t universe = round == 0 ? 3 : round == 1 ? 40 : 4000;
			vm_pageref_t *refs = malloc((n ? n : 1) * sizeof *refs);
			for (size_t i = 0; i < n; i++) {
				uint64_t x = rng_mix64(seed++);
				/* runs of one page, as real traces have */
				if (i && x % 3 == 0) {
					refs[i] = refs[i - 1];
					continue;
				}
				refs[i] = (vm_pageref_t){ .vpn = (x >> 8) % universe, .pid = (uint32_t)(x & 1),
							  .kind = 'R' };
			}
			uint64_t *next;
			cr_assert_eq(nextuse_build(refs, n, &next), 0);
			for (size_t i = 0; i < n; i++) {
				uint64_t want = NEXT_USE_NEVER;
				for (size_t j = i + 1; j < n; j++)
					if (refs[j].vpn == refs[i].vpn && refs[j].pid == refs[i].pid) {
						want = j;
						break;
					}
				cr_assert_eq(next[i], want, "n %zu universe %llu ref %zu", n,
					     (unsigned long long)universe, i);
			}
			if (!n)
				cr_assert_eq(next[0], NEXT_USE_NEVER);
			free(next);
			free(refs);
		}
	}
}
