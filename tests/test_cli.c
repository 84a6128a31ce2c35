/* test_cli.c - the `vmlab` command as a user runs it: explain on the CS:APP
 * example, run on textbook strings and a real trace, errors and exit codes.
 * The binary is $VMLAB (make test sets it), run from the repository root. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

/* The value of "key: value" in explain output block number `block`. */
static const char *field(const char *out, int block, const char *key, char *buf, size_t len)
{
	const char *p = out;
	for (int b = 0; b < block; b++) {
		p = strstr(p, "\n\n");
		cr_assert_not_null(p, "no block %d", block);
		p += 2;
	}
	const char *end = strstr(p, "\n\n");
	char pat[64];
	snprintf(pat, sizeof pat, "%s: ", key);
	for (const char *q = p; q && (!end || q < end); q = strchr(q, '\n')) {
		if (*q == '\n')
			q++;
		if (!strncmp(q, pat, strlen(pat))) {
			q += strlen(pat);
			size_t n = strcspn(q, "\n");
			snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), q);
			return buf;
		}
	}
	cr_assert_fail("no key %s in block %d:\n%s", key, block, out);
	return NULL;
}


#define CSAPP "--page-size 64 --va-bits 14 --pa-bits 12 --levels 1 --tlb 16:4 --state examples/cscapp.state"

Test(cli_explain, csapp_section_9_6_4_and_practice_problems)
{
	static const struct {
		const char *va, *vpn, *vpo, *tlbi, *tlbt, *tlb, *ppn, *pa, *result;
	} want[] = {
		{ "0x3d4", "0xf", "0x14", "0x3", "0x3", "hit", "0xd", "0x354", "ok" },
		{ "0x3d7", "0xf", "0x17", "0x3", "0x3", "hit", "0xd", "0x357", "ok" },
		{ "0x27c", "0x9", "0x3c", "0x1", "0x2", "miss", "0x17", "0x5fc", "ok" },
		{ "0x3a9", "0xe", "0x29", "0x2", "0x3", "miss", "0x11", "0x469", "ok" },
		{ "0x40", "0x1", "0x0", "0x1", "0x0", "miss", "-", "-", "page fault (L1 entry not present)" },
		{ "0x20", "0x0", "0x20", "0x0", "0x0", "miss", "0x28", "0xa20", "ok" },
		{ "0xb8f", "0x2e", "0xf", "0x2", "0xb", "miss", "-", "-", "page fault (L1 entry not present)" },
	};
	cmd_out_t r;
	run(&r, "%s explain " CSAPP " 0x3d4 0x3d7 0x27c 0x3a9 0x40 0x20 0xb8f", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	char buf[128];
	for (int i = 0; i < 7; i++) {
		cr_assert_str_eq(field(r.out, i, "VA", buf, sizeof buf), want[i].va);
		cr_assert_str_eq(field(r.out, i, "VPN", buf, sizeof buf), want[i].vpn);
		cr_assert_str_eq(field(r.out, i, "VPO", buf, sizeof buf), want[i].vpo);
		cr_assert_str_eq(field(r.out, i, "TLBI", buf, sizeof buf), want[i].tlbi);
		cr_assert_str_eq(field(r.out, i, "TLBT", buf, sizeof buf), want[i].tlbt);
		cr_assert_str_eq(field(r.out, i, "TLB", buf, sizeof buf), want[i].tlb, "VA %s", want[i].va);
		cr_assert_str_eq(field(r.out, i, "PPN", buf, sizeof buf), want[i].ppn, "VA %s", want[i].va);
		cr_assert_str_eq(field(r.out, i, "PA", buf, sizeof buf), want[i].pa, "VA %s", want[i].va);
		cr_assert_str_eq(field(r.out, i, "result", buf, sizeof buf), want[i].result);
	}
	/* 0x27c misses: one level, table at kernel frame 64 = PA 0x1000, PTE 9 at 0x1048 */
	cr_assert_str_eq(field(r.out, 2, "L1_index", buf, sizeof buf), "0x9");
	cr_assert_str_eq(field(r.out, 2, "L1_pte_addr", buf, sizeof buf), "0x1048");
	cr_assert_str_eq(field(r.out, 2, "VA_bits", buf, sizeof buf), "00001001 111100");
}

Test(cli_explain, protection_fault_is_a_result_and_default_geometry_walks_four_levels)
{
	char path[] = "/tmp/vmlab-state-XXXXXX";
	int fd = mkstemp(path);
	dprintf(fd, "# read-only page\npte 0x5 0x9 ru\n");
	close(fd);
	cmd_out_t r;
	run(&r, "%s explain --state %s --access w 0x5123", vmlab(), path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char buf[128];
	cr_assert_str_eq(field(r.out, 0, "result", buf, sizeof buf),
			 "protection fault (write to a read-only page)");
	cr_assert_str_eq(field(r.out, 0, "L4_index", buf, sizeof buf), "0x5");
	run(&r, "%s explain --state %s --access r 0x5123", vmlab(), path);
	cr_assert_str_eq(field(r.out, 0, "PA", buf, sizeof buf), "0x9123");
	unlink(path);
}

Test(cli_explain, bad_state_line_names_file_and_line)
{
	char path[] = "/tmp/vmlab-state-XXXXXX";
	int fd = mkstemp(path);
	dprintf(fd, "pte 1 2\n\npte 3 zz\n");
	close(fd);
	cmd_out_t r;
	run(&r, "%s explain --state %s 0x10", vmlab(), path);
	cr_assert_eq(r.status, 2);
	char want[128];
	snprintf(want, sizeof want, "%s:3: bad PPN 'zz'", path);
	cr_assert(strstr(r.err, want), "stderr: %s", r.err);
	unlink(path);
}

Test(cli_run, belady_anomaly_through_the_command_line)
{
	cmd_out_t r;
	run(&r, "%s run --policy fifo --frames 3 --json examples/small.pages", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "page_faults"), 9);
	cr_assert_eq(json_u(r.out, "references"), 12);
	run(&r, "%s run --policy fifo --frames 4 --json examples/small.pages", vmlab());
	cr_assert_eq(json_u(r.out, "page_faults"), 10);
}

Test(cli_run, stdin_text_format_with_pids)
{
	cmd_out_t r;
	/* two processes touch page 0x1: two distinct pages, two minor faults */
	run(&r, "printf 'R 0x1000 4 1\\nW 1008 8 2\\nX 0x1000\\n' | %s run --json --frames 4", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "references"), 3);
	cr_assert_eq(json_u(r.out, "reads"), 1);
	cr_assert_eq(json_u(r.out, "writes"), 1);
	cr_assert_eq(json_u(r.out, "ifetches"), 1);
	cr_assert_eq(json_u(r.out, "processes"), 3);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 3);
	cr_assert_eq(json_u(r.out, "minor_faults"), 3);
}

Test(cli_run, counters_agree_on_the_bundled_real_trace)
{
	cmd_out_t r;
	run(&r, "%s run --json examples/ls.lackey.zst", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	unsigned long long refs = json_u(r.out, "references");
	cr_assert_gt(refs, 1000000);
	cr_assert_eq(refs, json_u(r.out, "reads") + json_u(r.out, "writes") + json_u(r.out, "ifetches"));
	cr_assert_eq(json_u(r.out, "page_faults"),
		     json_u(r.out, "minor_faults") + json_u(r.out, "major_faults"));
	cr_assert_eq(json_u(r.out, "tlb_hits") + json_u(r.out, "tlb_misses"),
		     refs + json_u(r.out, "page_faults"));
	cr_assert_eq(json_u(r.out, "page_walks"), json_u(r.out, "tlb_misses"));
	cr_assert_eq(json_u(r.out, "dirty_writebacks"), json_u(r.out, "swap_outs"));
	cr_assert_eq(json_u(r.out, "resident_pages_peak"), 64);
	/* every distinct page faults at least once */
	cr_assert_geq(json_u(r.out, "page_faults"), json_u(r.out, "distinct_pages"));
}

Test(cli_run, same_input_same_output_byte_for_byte)
{
	cmd_out_t a, b;
	run(&a, "%s run --policy random --seed 7 --frames 32 examples/ls.lackey.zst", vmlab());
	run(&b, "%s run --policy random --seed 7 --frames 32 examples/ls.lackey.zst", vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_str_eq(a.out, b.out);
	run(&b, "%s run --policy random --seed 8 --frames 32 examples/ls.lackey.zst", vmlab());
	cr_assert_str_neq(a.out, b.out, "another seed should evict differently");
}

Test(cli_run, opt_reads_the_future_from_stdin_too)
{
	cmd_out_t a, b;
	run(&a, "%s run --policy opt --frames 3 --json --format pages examples/small.pages", vmlab());
	run(&b, "cat examples/small.pages | %s run --policy opt --frames 3 --json --format pages -", vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_eq(b.status, 0, "%s", b.err);
	/* Belady's string with 3 frames: OPT faults 7 times */
	cr_assert_eq(json_u(a.out, "page_faults"), 7);
	cr_assert_eq(json_u(b.out, "page_faults"), 7);
}

Test(cli_errors, bad_trace_line_is_file_line_and_exit_2)
{
	char path[] = "/tmp/vmlab-trace-XXXXXX";
	int fd = mkstemp(path);
	dprintf(fd, "R 0x1000\nW 0x2000 4\nQ 0x3000\n");
	close(fd);
	cmd_out_t r;
	run(&r, "%s run --format text %s", vmlab(), path);
	cr_assert_eq(r.status, 2);
	char want[128];
	snprintf(want, sizeof want, "%s:3: ", path);
	cr_assert(!strncmp(r.err, want, strlen(want)), "stderr: %s", r.err);
	cr_assert_eq(r.out[0], 0, "nothing on stdout for a failed run");
	unlink(path);
}

Test(cli_errors, impossible_options_exit_2_with_a_reason)
{
	static const struct {
		const char *args, *says;
	} bad[] = {
		{ "--frames 0", "at least 1" },
		{ "--page-size 3000", "power of two" },
		{ "--tlb 4:8", "more ways" },
		{ "--page-size 16", "levels" },
		{ "--va-bits 70", "va-bits" },
		{ "--levels 6", "levels" },
		{ "--policy nope", "unknown policy" },
		{ "--format xml", "unknown format" },
		{ "--frames", "needs" },
		{ "--bogus", "unknown option" },
		{ "--pa-bits 16 --frames 100", "physical address" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cmd_out_t r;
		run(&r, "%s run examples/small.pages %s", vmlab(), bad[i].args);
		cr_assert_eq(r.status, 2, "%s: status %d", bad[i].args, r.status);
		cr_assert(strstr(r.err, bad[i].says), "%s: stderr %s", bad[i].args, r.err);
	}
}

Test(cli_errors, missing_file_and_full_swap)
{
	cmd_out_t r;
	run(&r, "%s run /nonexistent/trace", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "/nonexistent/trace"), "%s", r.err);
	/* 1 frame, 1 page of swap: the second dirty eviction has nowhere to go */
	run(&r, "printf '1w 2w 3w' | %s run --format pages --frames 1 --swap 4K", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "out of swap"), "%s", r.err);
}
