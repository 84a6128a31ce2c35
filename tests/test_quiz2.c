/* test_quiz2.c - quiz translate's three systems (--system csapp,
 * ostep-linear, ostep-multilevel): the exact question for a fixed seed and
 * its answers, each value worked out by hand (the working is in the
 * comments), OSTEP's linear script's own output, determinism, and the
 * options that belong to another system. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* A whole file into a static buffer. */
static const char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* The value of "key: " in the block that starts "VA: va\n" (static). */
static const char *block_value(const char *out, const char *va, const char *key)
{
	static char val[64];
	char head[32], k[40];
	snprintf(head, sizeof head, "VA: %s\n", va);
	const char *b = strstr(out, head);
	cr_assert_not_null(b, "no block for %s in:\n%s", va, out);
	const char *end = strstr(b + 1, "\nVA: ");
	snprintf(k, sizeof k, "\n%s: ", key);
	const char *p = strstr(b, k);
	if (!p || (end && p > end))
		return NULL;
	p += strlen(k);
	snprintf(val, sizeof val, "%.*s", (int)strcspn(p, "\n"), p);
	return val;
}

#define CHECK(out, va, key, want) do { \
		const char *got_ = block_value(out, va, key); \
		cr_assert_not_null(got_, "%s: no %s", va, key); \
		cr_assert_str_eq(got_, want, "%s %s", va, key); \
	} while (0)

/* --- csapp --------------------------------------------------------------- */

/* Seed 2's question, tables and addresses, as tests/data/quiz-csapp-s2.txt
 * holds it (its contents read by hand against the answers below). */
Test(quiz2_csapp, seed_2_question_exact)
{
	cmd_out_t r;
	run(&r, "%s quiz translate --system csapp --seed 2", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, slurp("tests/data/quiz-csapp-s2.txt"));
	/* a few lines written out here too, so that the file is not the only witness */
	cr_assert(strstr(r.out, "ARG system csapp\nARG seed 2\nARG num 4\n"));
	cr_assert(strstr(r.out, "\n  0   18  --     0   02  --     0   14  20     1   39  --     0\n"), "%s", r.out);
	cr_assert(strstr(r.out, "\n  3   3a  3d     1   02  --     0   0d  --     0   34  --     0\n"));
	cr_assert(strstr(r.out, "\n 02  --     0   06  0a     1   0a  22     1   0e  --     0\n"));
	cr_assert(strstr(r.out, "\n  b  20     1   19   2e   3b   37\n"));
	cr_assert(strstr(r.out, "\n  3  16     0   --   --   --   --\n"));
	cr_assert(strstr(r.out, "Virtual address 0x142f\nVirtual address 0x0291\n"
			 "Virtual address 0x0386\nVirtual address 0x3acf\n"));
	cr_assert_null(strstr(r.out, "PA:"), "no answers without --answers");
}

/* Seed 2's answers: every outcome once.  Worked by hand from the tables:
 *  0x142f: VPN 0x50, VPO 0x2f, TLBI 0, TLBT 0x14: set 0 way 2 holds 14/20
 *          valid, a hit; PA 0x20<<6|0x2f = 0x82f; CO 3, CI 0xb, CT 0x20:
 *          line b is 20 valid, byte 3 is 0x37.
 *  0x0291: VPN 0xa, VPO 0x11, TLBI 2, TLBT 2: set 2 has no tag 02, a miss;
 *          PTE 0a is 22 valid, PA 0x891; CO 1, CI 4, CT 0x22: line 4 is
 *          22 valid, byte 1 is 0xe6.
 *  0x0386: VPN 0xe, VPO 6, TLBI 2, TLBT 3: a miss; PTE 0e not valid: a
 *          page fault.
 *  0x3acf: VPN 0xeb, VPO 0xf, TLBI 3, TLBT 0x3a: set 3 way 0 holds 3a/3d
 *          valid, a hit (VPN 0xeb is past the 16 shown entries, which the
 *          TLB alone answers); PA 0xf4f; CO 3, CI 3, CT 0x3d: line 3 is not
 *          valid, a miss. */
Test(quiz2_csapp, seed_2_answers_by_hand)
{
	cmd_out_t r;
	run(&r, "%s quiz translate --system csapp --seed 2 --answers", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *o = r.out;
	CHECK(o, "0x142f", "VPN", "0x50");
	CHECK(o, "0x142f", "VPO", "0x2f");
	CHECK(o, "0x142f", "TLBI", "0x0");
	CHECK(o, "0x142f", "TLBT", "0x14");
	CHECK(o, "0x142f", "TLB", "hit");
	CHECK(o, "0x142f", "PA", "0x82f");
	CHECK(o, "0x142f", "CO", "0x3");
	CHECK(o, "0x142f", "CI", "0xb");
	CHECK(o, "0x142f", "CT", "0x20");
	CHECK(o, "0x142f", "cache", "hit");
	CHECK(o, "0x142f", "byte", "0x37");
	cr_assert_null(block_value(o, "0x142f", "L1_index"), "a TLB hit walks no table");
	CHECK(o, "0x291", "TLBI", "0x2");
	CHECK(o, "0x291", "TLBT", "0x2");
	CHECK(o, "0x291", "TLB", "miss");
	CHECK(o, "0x291", "L1_index", "0xa");
	CHECK(o, "0x291", "PPN", "0x22");
	CHECK(o, "0x291", "PA", "0x891");
	CHECK(o, "0x291", "CI", "0x4");
	CHECK(o, "0x291", "cache", "hit");
	CHECK(o, "0x291", "byte", "0xe6");
	CHECK(o, "0x386", "VPN", "0xe");
	CHECK(o, "0x386", "TLB", "miss");
	CHECK(o, "0x386", "PA", "-");
	CHECK(o, "0x386", "result", "page fault (L1 entry not present)");
	cr_assert_null(block_value(o, "0x386", "CO"), "no cache step after a fault");
	CHECK(o, "0x3acf", "VPN", "0xeb");
	CHECK(o, "0x3acf", "TLBT", "0x3a");
	CHECK(o, "0x3acf", "TLB", "hit");
	CHECK(o, "0x3acf", "PPN", "0x3d");
	CHECK(o, "0x3acf", "PA", "0xf4f");
	CHECK(o, "0x3acf", "CI", "0x3");
	CHECK(o, "0x3acf", "CT", "0x3d");
	CHECK(o, "0x3acf", "cache", "miss");
	CHECK(o, "0x3acf", "byte", "-");
	/* the same tables above the answers as in the question */
	const char *q = slurp("tests/data/quiz-csapp-s2.txt");
	size_t upto = (size_t)(strstr(q, "For each virtual address") - q);
	cr_assert_eq(strncmp(o, q, upto), 0);
}

/* Seed 0 by hand, a second witness with other outcomes: TLB set 3 way 0
 * holds 24/0c valid, so 0x24e2 (VPN 0x93, VPO 0x22) hits, PA 0x322, CI 8,
 * where line 8 holds tag 2b: a cache miss; 0x02d1 (VPN 0xb, TLBT 2, set 3
 * has no tag 02) walks to PTE 0b = 39: PA 0xe51, CI 4, line 4 is 39 valid:
 * byte 1 is 0x09. */
Test(quiz2_csapp, seed_0_answers_by_hand)
{
	cmd_out_t r;
	run(&r, "%s quiz translate --system csapp -s 0 -c", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	CHECK(r.out, "0x24e2", "TLB", "hit");
	CHECK(r.out, "0x24e2", "PA", "0x322");
	CHECK(r.out, "0x24e2", "CI", "0x8");
	CHECK(r.out, "0x24e2", "cache", "miss");
	CHECK(r.out, "0x2d1", "TLB", "miss");
	CHECK(r.out, "0x2d1", "L1_pte", "0x8000000000039007");
	CHECK(r.out, "0x2d1", "PA", "0xe51");
	CHECK(r.out, "0x2d1", "byte", "0x09");
}

/* Same seed, same bytes; another seed, another question; -n counts. */
Test(quiz2_csapp, deterministic_and_seeded)
{
	static cmd_out_t a, b;
	run(&a, "%s quiz translate --system csapp --seed 7 -n 6 --answers", vmlab());
	run(&b, "%s quiz translate --system csapp --seed 7 -n 6 --answers", vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_str_eq(a.out, b.out);
	int blocks = 0;
	for (const char *p = a.out; (p = strstr(p, "\nVA: ")); p++)
		blocks++;
	cr_assert_eq(blocks, 6);
	run(&b, "%s quiz translate --system csapp --seed 8 -n 6 --answers", vmlab());
	cr_assert_str_neq(a.out, b.out);
}

/* --- ostep-linear ---------------------------------------------------------- */

/* OSTEP's paging-linear-translate.py itself (run with python 2.7.18, see
 * tests/data/README.md), question and -c, byte for byte; its answers read by
 * hand: VPN 0 -> 0x17, so 0x6b -> 0x17<<10|0x6b = 0x5c6b; 0x1d52 is VPN 7
 * offset 0x152 -> 0x12<<10|0x152 = 0x4952. */
Test(quiz2_linear, equals_paging_linear_translate_py)
{
	cmd_out_t r;
	run(&r, "%s quiz translate --system ostep-linear -P 1k -a 8k -p 32k -u 60 -s 5 -n 6 -v", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, slurp("tests/data/ostep-plt-s5.txt"));
	run(&r, "%s quiz translate --system ostep-linear --page-size 1k --asize 8k --physmem 32k --used 60 -s 5 -n 6 -v -c",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, slurp("tests/data/ostep-plt-s5-c.txt"));
	cr_assert(strstr(r.out, "  [       0]  0x80000017\n"));
	cr_assert(strstr(r.out, "  VA 0x0000006b (decimal:      107) --> 00005c6b (decimal    23659) [VPN 0]\n"));
	cr_assert(strstr(r.out, "  VA 0x00001d52 (decimal:     7506) --> 00004952 (decimal    18770) [VPN 7]\n"));
}

/* The defaults (16k space, 64k memory, 4k pages, 50%% used, 5 addresses),
 * seed 1: only VPN 1 is valid (PFN 0xc), so 0x1cc4 -> 0xccc4 and the rest
 * are invalid, VPN 0 included (the boundary at the bottom of the table). */
Test(quiz2_linear, defaults_seed_1)
{
	cmd_out_t r;
	run(&r, "%s quiz translate --system ostep-linear -s 1 -c", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "ARG seed 1\nARG address space size 16k\nARG phys mem size 64k\nARG page size 4k\n"
			 "ARG verbose False\nARG addresses -1\n\n\n"), "%s", r.out);
	cr_assert(strstr(r.out, "Page Table (from entry 0 down to the max size)\n"
			 "  0x00000000\n  0x8000000c\n  0x00000000\n  0x00000000\n\n"), "%s", r.out);
	cr_assert(strstr(r.out, "  VA 0x00001cc4 (decimal:     7364) --> 0000ccc4 (decimal    52420) [VPN 1]\n"
			 "  VA 0x000029b3 (decimal:    10675) -->  Invalid (VPN 2 not valid)\n"
			 "  VA 0x0000327a (decimal:    12922) -->  Invalid (VPN 3 not valid)\n"
			 "  VA 0x00000601 (decimal:     1537) -->  Invalid (VPN 0 not valid)\n"), "%s", r.out);
	cr_assert_null(strstr(r.out, "write down"), "the -c output has no instructions");
}

/* The script's own refusals, and vmlab's page-size bounds (16 bytes, 64k). */
Test(quiz2_linear, bad_sizes)
{
	static const struct { const char *args, *msg; } bad[] = {
		{ "-a 64k -p 64k", "GREATER" },
		{ "-a 12k -p 64k -P 4k", "power of 2" },
		{ "-a 16k -P 3k", "multiple of the pagesize" },
		{ "-P 1m -a 256m -p 512m", "16 bytes to 64k" },
		{ "-P 8 -a 64 -p 128", "16 bytes to 64k" },
		{ "-a 4k -P 4k", "more than one page" },
		{ "-p 1g", "less than 1 GB" },
		{ "--asize 16q", "not a size" },
		{ "-u 101", "from 0 to 100" },
		{ "-P 16 -a 2m -p 4m", "65536 virtual pages" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cmd_out_t r;
		run(&r, "%s quiz translate --system ostep-linear %s", vmlab(), bad[i].args);
		cr_assert_eq(r.status, 2, "%s", bad[i].args);
		cr_assert(strstr(r.err, bad[i].msg), "%s: %s", bad[i].args, r.err);
		cr_assert_eq(r.out[0], 0, "%s: nothing on stdout", bad[i].args);
	}
	/* the largest table allowed, 65536 pages of 16 bytes: 6 ARG lines, 2
	 * blank, 6 on the format, 1 blank, the table's title, its 65536
	 * entries, 1 blank, the trace's title, 1 address, 1 blank */
	cmd_out_t r;
	run(&r, "%s quiz translate --system ostep-linear -P 16 -a 1m -p 2m -n 1 -c | wc -l", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "65556\n");
}

/* --- choosing the system ------------------------------------------------- */

/* ostep-multilevel is the default: --system ostep-multilevel changes nothing. */
Test(quiz2_system, multilevel_is_the_default)
{
	cmd_out_t r;
	run(&r, "%s quiz translate --system ostep-multilevel --seed 1", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, slurp("tests/data/ostep-mlt-s1.txt"));
	run(&r, "%s quiz translate --system=ostep-multilevel --seed 1 -c", vmlab());
	cr_assert_str_eq(r.out, slurp("tests/data/ostep-mlt-s1-c.txt"));
}

/* An option of another question is refused by name, never ignored. */
Test(quiz2_system, options_of_another_system)
{
	static const struct { const char *args, *msg; } bad[] = {
		{ "translate --system nope", "expected ostep-multilevel, ostep-linear or csapp" },
		{ "translate --system csapp -a 3", "-a does not go with --system csapp" },
		{ "translate --system csapp -P 1k", "--page-size does not go with --system csapp" },
		{ "translate --system ostep-multilevel --used 3", "--used does not go with --system ostep-multilevel" },
		{ "translate --frames 3", "--frames goes with quiz replace" },
		{ "translate --policy lru", "--policy goes with quiz replace" },
		{ "replace --system csapp", "--system goes with quiz translate" },
		{ "replace -v", "-v does not go with replace" },
		{ "translate --system csapp -n 0", "from 1 to 1000" },
		{ "translate --system", "needs a value" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cmd_out_t r;
		run(&r, "%s quiz %s", vmlab(), bad[i].args);
		cr_assert_eq(r.status, 2, "%s", bad[i].args);
		cr_assert(strstr(r.err, bad[i].msg), "%s: %s", bad[i].args, r.err);
	}
}
