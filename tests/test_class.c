/* test_class.c - vmlab in the classroom and on the shelf: gen (OSTEP's
 * strings exactly, every pattern's properties), quiz, explain with OSTEP's
 * one-byte multi-level tables and CS:APP's cache, make install and the
 * embedding example, and the small frictions of issue 11.
 * Expected OSTEP output in tests/data/ostep-* was made by running OSTEP's own
 * scripts with python3 (tests/data/README.md says how). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
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

/* --- gen --------------------------------------------------------------- */

/* Each line of ostep-policy-strings.txt: vmlab's string equals OSTEP's.
 * Catches any slip in MT19937, in Python's seeding (init_by_array, two words
 * for seeds past 2^32), in random() (res53) or in int(maxpage * r). */
Test(class_gen, ostep_strings_equal_paging_policy_py)
{
	FILE *f = fopen("tests/data/ostep-policy-strings.txt", "r");
	cr_assert_not_null(f);
	char line[512];
	int checked = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		unsigned long long seed, n, m;
		char want[400];
		cr_assert_eq(sscanf(line, "%llu %llu %llu %399s", &seed, &n, &m, want), 4);
		cmd_out_t r;
		run(&r, "%s gen --pattern ostep -s %llu -n %llu -m %llu | tr -d '\\n'", vmlab(), seed, n, m);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert_str_eq(r.out, want, "seed %llu", seed);
		checked++;
	}
	fclose(f);
	cr_assert_eq(checked, 7);
}

/* Seeds 0-4 with OSTEP's defaults, written out here as well (10 pages of 10). */
Test(class_gen, ostep_seeds_0_to_4_literal)
{
	static const char *const want[] = {
		"8,7,4,2,5,4,7,3,4,5\n", "1,8,7,2,4,4,6,7,0,0\n", "9,9,0,0,8,7,6,3,6,6\n",
		"2,5,3,6,6,0,0,8,2,2\n", "2,1,3,1,0,4,9,8,7,2\n",
	};
	for (int s = 0; s < 5; s++) {
		cmd_out_t r;
		run(&r, "%s gen --pattern ostep --seed %d -n 10 -m 10", vmlab(), s);
		cr_assert_eq(r.status, 0);
		cr_assert_str_eq(r.out, want[s], "seed %d", s);
	}
}

/* Count the pages list's entries, writes, and how many are below limit. */
static void tally(const char *out, unsigned long long *n, unsigned long long *w,
		  unsigned long long limit, unsigned long long *below, unsigned long long *max)
{
	*n = *w = *below = *max = 0;
	for (const char *p = out; *p;) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		cr_assert(end != p, "bad output near '%.20s'", p);
		(*n)++;
		*below += v < limit;
		if (v > *max)
			*max = v;
		if (*end == 'w') {
			(*w)++;
			end++;
		}
		while (*end == ',' || *end == '\n')
			end++;
		p = end;
	}
}

/* Every pattern: same seed same bytes, another seed another string (not
 * loop/seq), -n references all within --pages. */
Test(class_gen, every_pattern_seeded_and_counted)
{
	static const char *const pats[] = { "uniform", "8020", "loop", "seq", "zipf:0.9", "ostep" };
	for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
		cmd_out_t a, b, c;
		run(&a, "%s gen --pattern %s -n 5000 --pages 50 --seed 3", vmlab(), pats[i]);
		run(&b, "%s gen --pattern %s -n 5000 --pages 50 --seed 3", vmlab(), pats[i]);
		run(&c, "%s gen --pattern %s -n 5000 --pages 50 --seed 4", vmlab(), pats[i]);
		cr_assert_eq(a.status, 0, "%s: %s", pats[i], a.err);
		cr_assert_str_eq(a.out, b.out, "%s not deterministic", pats[i]);
		int fixed = !strcmp(pats[i], "loop") || !strcmp(pats[i], "seq");
		cr_assert_eq(strcmp(a.out, c.out) == 0, fixed, "%s and the seed", pats[i]);
		unsigned long long n, w, below, max;
		tally(a.out, &n, &w, 50, &below, &max);
		cr_assert_eq(n, 5000, "%s", pats[i]);
		cr_assert_eq(w, 0);
		if (strcmp(pats[i], "seq"))
			cr_assert_eq(below, 5000, "%s: a page beyond --pages", pats[i]);
		else
			cr_assert_eq(max, 4999);
	}
}

/* The shapes: loop is 0..pages-1 repeated; 8020 sends ~80% to the first
 * fifth; zipf:1.2 makes page 0 the most frequent; write-ratio ~ its share
 * and changes no page. */
Test(class_gen, pattern_shapes)
{
	cmd_out_t r;
	run(&r, "%s gen --pattern loop -n 7 --pages 3", vmlab());
	cr_assert_str_eq(r.out, "0,1,2,0,1,2,0\n");
	run(&r, "%s gen --pattern seq -n 4", vmlab());
	cr_assert_str_eq(r.out, "0,1,2,3\n");
	unsigned long long n, w, below, max;
	run(&r, "%s gen --pattern 8020 -n 20000 --pages 100 --seed 1", vmlab());
	tally(r.out, &n, &w, 20, &below, &max);
	cr_assert(below > 15600 && below < 16400, "8020: %llu of 20000 in the hot fifth", below);
	run(&r, "%s gen --pattern zipf:1.2 -n 20000 --pages 100 --seed 1 | tr , '\\n' | sort -n | uniq -c | sort -rn | head -1 | awk '{print $2}'", vmlab());
	cr_assert_str_eq(r.out, "0\n");
	run(&r, "%s gen --pattern uniform -n 20000 --pages 100 --seed 1 --write-ratio 0.25", vmlab());
	tally(r.out, &n, &w, 100, &below, &max);
	cr_assert(w > 4700 && w < 5300, "write share %llu of 20000", w);
	cmd_out_t plain;
	run(&plain, "%s gen --pattern uniform -n 20000 --pages 100 --seed 1 | tr -d '\\n'", vmlab());
	run(&r, "%s gen --pattern uniform -n 20000 --pages 100 --seed 1 --write-ratio 0.25 | tr -d 'w\\n'", vmlab());
	cr_assert_str_eq(r.out, plain.out, "--write-ratio changed the pages");
	run(&r, "%s gen --pattern loop -n 3 --pages 2 --format text --write-ratio 1", vmlab());
	cr_assert_str_eq(r.out, "W 0x0\nW 0x1000\nW 0x0\n");
	/* what gen writes, run reads: a loop of 4 pages in 3 frames of LRU misses every time */
	run(&r, "%s gen --pattern loop -n 40 --pages 4 | %s run --format pages --frames 3 --policy lru --json -", vmlab(), vmlab());
	cr_assert_eq(json_u(r.out, "page_faults"), 40);
}

Test(class_gen, bad_options)
{
	cmd_out_t r;
	run(&r, "%s gen --pattern zipf:x", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "ALPHA"), "%s", r.err);
	run(&r, "%s gen --pattern nope", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "known: uniform 8020 loop seq zipf:ALPHA ostep"), "%s", r.err);
	run(&r, "%s gen --pages 0", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s gen --write-ratio 1.5", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s gen --pattern zipf:1 --pages 100000000", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "4194304"), "%s", r.err);
	run(&r, "%s gen -n", vmlab());
	cr_assert_eq(r.status, 2);
}

/* --- quiz -------------------------------------------------------------- */

/* The question is OSTEP's, line for line after its ARG header; the answers'
 * hits, misses and victims are OSTEP's -c (FIFO, LRU, OPT). */
Test(class_quiz, replace_question_and_answers_match_ostep)
{
	cmd_out_t r;
	run(&r, "%s quiz replace --seed 3 --frames 4 --policy lru", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *want = slurp("tests/data/ostep-policy-s3-lru-C4.txt");
	want = strstr(want, "Assuming");
	cr_assert_str_eq(r.out, want);
	run(&r, "%s quiz replace --seed 3 --frames 4 --policy lru --answers", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *c = slurp("tests/data/ostep-policy-s3-lru-C4-c.txt");
	/* the victim of each access and the running counts, OSTEP's columns */
	for (const char *p = strstr(c, "Access:"), *q = strstr(r.out, "Access:"); p;
	     p = strstr(p + 1, "Access:"), q = strstr(q + 1, "Access:")) {
		cr_assert_not_null(q);
		char a[64], b[64];
		cr_assert_eq(sscanf(strstr(p, "Replaced:"), "%63s", a), 1);
		cr_assert_eq(sscanf(strstr(q, "Replaced:"), "%63s", b), 1);
		cr_assert_str_eq(b, a);
		cr_assert_eq(strncmp(strstr(p, "[Hits:"), strstr(q, "[Hits:"), 18), 0);
		cr_assert_eq(strncmp(p + 8, q + 8, 6), 0, "HIT/MISS at '%.20s'", p);
	}
	cr_assert(strstr(r.out, "FINALSTATS hits 3   misses 7   hitrate 30.00"));
	run(&r, "%s quiz replace --seed 3 --frames 4 --policy opt -c", vmlab());
	cr_assert(strstr(r.out, "FINALSTATS hits 4   misses 6   hitrate 40.00"), "%s", r.out);
	run(&r, "%s quiz replace --seed 3 --frames 4 -c", vmlab());
	cr_assert(strstr(r.out, "FINALSTATS hits 3   misses 7   hitrate 30.00"), "%s", r.out);
	cr_assert(strstr(r.out, "Access: 0  HIT   Replaced:-  Resident:[0, 3, 5, 6]  [Hits:2 Misses:5]"), "%s", r.out);
}

/* quiz translate and its answers are OSTEP's script's output byte for byte. */
Test(class_quiz, translate_equals_paging_multilevel_translate_py)
{
	cmd_out_t r;
	run(&r, "%s quiz translate --seed 1", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, slurp("tests/data/ostep-mlt-s1.txt"));
	run(&r, "%s quiz translate --seed 1 --answers", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, slurp("tests/data/ostep-mlt-s1-c.txt"));
}

Test(class_quiz, bad_usage)
{
	cmd_out_t r;
	run(&r, "%s quiz", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s quiz swap", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s quiz replace --policy nope", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "timeout 10 %s quiz translate -a 126", vmlab());
	cr_assert_eq(r.status, 2, "frames run out: an error, not a hang (%d)", r.status);
	cr_assert(strstr(r.err, "do not fit"), "%s", r.err);
}

/* --- explain --pte-format ostep ------------------------------------------ */

/* Every VA of OSTEP's -c answers for seed 1, through explain: the same
 * indices, entries, PA and value, and the same faults at the same level. */
Test(class_explain, ostep_matches_script_answers)
{
	const char *c = slurp("tests/data/ostep-mlt-s1-c.txt");
	char vas[512] = "";
	int nva = 0;
	for (const char *p = strstr(c, "Virtual Address 0x"); p; p = strstr(p + 1, "Virtual Address 0x")) {
		strncat(vas, p + 16, 6);
		strcat(vas, " ");
		nva++;
	}
	cr_assert_eq(nva, 10);
	cmd_out_t r;
	run(&r, "%s explain --pte-format ostep --memory tests/data/ostep-mlt-s1.txt %s", vmlab(), vas);
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *q = r.out;
	int ok = 0, f1 = 0, f2 = 0;
	for (const char *p = strstr(c, "Virtual Address 0x"); p; p = strstr(p + 1, "Virtual Address 0x")) {
		const char *blk = strstr(q, "VA: ");
		cr_assert_not_null(blk);
		cr_assert_eq(strncmp(blk + 4, p + 16, 6), 0);
		const char *next = strstr(p + 1, "Virtual Address");
		unsigned idx, pte, valid, pfn;
		char key[160];
		const char *d = p;
		for (int l = 1; l <= 2; l++) {
			d = strstr(d, l == 1 ? "pde index:" : "pte index:");
			if (!d || (next && d > next))
				break;
			cr_assert_eq(sscanf(d + 10, "0x%x [decimal %*u] %*s contents:0x%x (valid %u, pfn 0x%x",
					    &idx, &pte, &valid, &pfn), 4);
			snprintf(key, sizeof key, "L%d_index: 0x%x\n", l, idx);
			cr_assert(strstr(blk, key), "%s in\n%.400s", key, blk);
			snprintf(key, sizeof key, "L%d_pte: 0x%02x\nL%d_valid: %u\nL%d_pfn: 0x%02x\n", l, pte, l, valid, l, pfn);
			cr_assert(strstr(blk, key), "%s in\n%.400s", key, blk);
			d++;
		}
		const char *t = strstr(p, "Translates to Physical Address 0x");
		if (t && (!next || t < next)) {
			unsigned pa, val;
			cr_assert_eq(sscanf(t, "Translates to Physical Address 0x%x --> Value: 0x%x", &pa, &val), 2);
			snprintf(key, sizeof key, "PA: 0x%03x\nvalue: 0x%02x\nresult: ok\n", pa, val);
			ok++;
		} else if (strstr(p, "directory entry not valid") &&
			   (!next || strstr(p, "directory entry not valid") < next)) {
			snprintf(key, sizeof key, "result: page fault (L1 entry not valid)\n");
			f1++;
		} else {
			snprintf(key, sizeof key, "result: page fault (L2 entry not valid)\n");
			f2++;
		}
		const char *end = strstr(blk, "\n\n");
		const char *hit = strstr(blk, key);
		cr_assert(hit && (!end || hit < end), "want %s in\n%.500s", key, blk);
		q = blk + 4;
	}
	cr_assert(ok && f1 && f2, "the seed shows all three outcomes (%d %d %d)", ok, f1, f2);
}

/* The first VA of seed 1 worked in full, and --pdbr overriding the dump's. */
Test(class_explain, ostep_block_and_errors)
{
	cmd_out_t r;
	run(&r, "%s explain --pte-format ostep --memory tests/data/ostep-mlt-s1.txt 0x6c74", vmlab());
	cr_assert_str_eq(r.out,
		"VA: 0x6c74\nVA_bits: 11011 00011 10100\nVPN: 0x363\nVPO: 0x14\nPDBR: 0x11\n"
		"L1_index: 0x1b\nL1_pte_addr: 0x23b\nL1_pte: 0xa0\nL1_valid: 1\nL1_pfn: 0x20\n"
		"L2_index: 0x3\nL2_pte_addr: 0x403\nL2_pte: 0xe1\nL2_valid: 1\nL2_pfn: 0x61\n"
		"PA: 0xc34\nvalue: 0x06\nresult: ok\n");
	/* page 17 is the directory; taken as 0 it is another walk */
	run(&r, "%s explain --pte-format ostep --memory tests/data/ostep-mlt-s1.txt --pdbr 17 0x6c74", vmlab());
	cr_assert(strstr(r.out, "PA: 0xc34\n"));
	run(&r, "%s explain --pte-format ostep --memory tests/data/ostep-mlt-s1.txt 0x8000", vmlab());
	cr_assert_eq(r.status, 2, "beyond the 15-bit VA");
	run(&r, "%s explain --pte-format ostep 0x1", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--memory"), "%s", r.err);
	run(&r, "%s explain --pte-format ostep --memory tests/data/ostep-mlt-s1.txt --page-size 64 0x1", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "(printf 'page   3:0011\\n' > /tmp/vmlab-bad-dump.$$ && %s explain --pte-format ostep --pdbr 3 --memory /tmp/vmlab-bad-dump.$$ 0x1; s=$?; rm -f /tmp/vmlab-bad-dump.$$; exit $s)", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, ":1: page 3: expected 32 bytes"), "%s", r.err);
	run(&r, "%s explain --pte-format ostep --memory examples/cscapp.state 0x1", vmlab());
	cr_assert_eq(r.status, 2, "no PDBR line, no --pdbr");
	cr_assert(strstr(r.err, "--pdbr"), "%s", r.err);
}

/* --- explain --cache: CS:APP practice problem 9.4 -------------------------- */

#define CSAPP "--page-size 64 --va-bits 14 --pa-bits 12 --levels 1 --tlb 16:4 --state examples/cscapp.state"

Test(class_explain, csapp_9_4_cache_step)
{
	cmd_out_t r;
	run(&r, "%s explain " CSAPP " --cache 16:1:4 0x03d7", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "PA: 0x357\nresult: ok\nCO: 0x3\nCI: 0x5\nCT: 0x0d\ncache: hit\nbyte: 0x1d\n"), "%s", r.out);
	/* section 9.6.4's own 0x03d4: byte 0x36; problem 9.11's 0x027c: a miss */
	run(&r, "%s explain " CSAPP " --cache 16:1:4 0x03d4 0x027c 0x40", vmlab());
	cr_assert(strstr(r.out, "CO: 0x0\nCI: 0x5\nCT: 0x0d\ncache: hit\nbyte: 0x36\n"), "%s", r.out);
	cr_assert(strstr(r.out, "CO: 0x0\nCI: 0xf\nCT: 0x17\ncache: miss\nbyte: -\n"), "%s", r.out);
	/* a fault has no PA, so no cache step */
	const char *last = strstr(strstr(r.out, "VA: 0x40"), "result:");
	cr_assert_str_eq(last, "result: page fault (L1 entry not present)\n");
	/* without --cache the file's cache lines change nothing */
	cmd_out_t a;
	run(&a, "%s explain " CSAPP " 0x03d7", vmlab());
	cr_assert_null(strstr(a.out, "CO:"));
	run(&r, "%s explain " CSAPP " --cache 16:1:8 0x03d7", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "examples/cscapp.state:") && strstr(r.err, "4 bytes; --cache gives 8-byte blocks"), "%s", r.err);
	run(&r, "%s explain " CSAPP " --cache 8:1:4 0x03d7", vmlab());
	cr_assert_eq(r.status, 2, "set 0xa beyond 8 sets");
	run(&r, "%s explain " CSAPP " --cache 3:1:4 0x03d7", vmlab());
	cr_assert_eq(r.status, 2);
}

/* --json: the same keys as the text, one object a VA. */
Test(class_explain, json)
{
	cmd_out_t r;
	run(&r, "%s explain " CSAPP " --json 0x3d7 0x40", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "[\n  {\n    \"VA\": \"0x3d7\",\n    \"access\": \"r\","), "%s", r.out);
	cr_assert(strstr(r.out, "\"PA\": \"0x357\""));
	cr_assert(strstr(r.out, "\"result\": \"page fault (L1 entry not present)\"\n  }\n]\n"), "%s", r.out);
	run(&r, "%s explain " CSAPP " --json 0x3d7 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), d[0][\"TLB\"])'", vmlab());
	cr_assert_str_eq(r.out, "1 hit\n");
}

/* --- make install and the embedding example -------------------------------- */

/* make install into a temporary DESTDIR; then the example is built with
 * pkg-config against that staged tree only, and run.  Catches a missing
 * file, a .so without its soname, a header that needs a private one, a
 * vmlab.pc that does not link, vm_nextuse_build not public. */
Test(class_install, staged_install_and_embedding_example, .timeout = 600)
{
	char dir[] = "/tmp/vmlab-install-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char build[512];
	snprintf(build, sizeof build, "%s", vmlab());
	char *slash = strrchr(build, '/');
	cr_assert_not_null(slash, "VMLAB=%s has no folder", vmlab());
	*slash = 0;
	cmd_out_t r;
	run(&r, "env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s BUILD=%s install PREFIX=/usr DESTDIR=%s 2>&1 >/dev/null", build, dir);
	cr_assert_eq(r.status, 0, "make install: %s", r.out);
	static const char *const files[] = {
		"bin/vmlab", "lib/libvmlab.a", "lib/libvmlab.so", "lib/libvmlab.so.0", "lib/libvmlab.so.0.2.0",
		"lib/pkgconfig/vmlab.pc", "include/vmlab.h", "include/vmlab_sys.h", "include/vmlab_err.h",
		"share/man/man1/vmlab.1", "share/man/man1/vmlab-run.1", "share/man/man1/vmlab-explain.1",
		"share/man/man1/vmlab-gen.1", "share/man/man1/vmlab-quiz.1", "share/man/man1/vmlab-script.1",
		"share/bash-completion/completions/vmlab",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		run(&r, "test -f %s/usr/%s", dir, files[i]);
		cr_assert_eq(r.status, 0, "%s not installed", files[i]);
	}
	run(&r, "objdump -p %s/usr/lib/libvmlab.so.0.2.0 | awk '$1 == \"SONAME\" { print $2 }'", dir);
	cr_assert_str_eq(r.out, "libvmlab.so.0\n");
	run(&r, "%s/usr/bin/vmlab --version", dir);
	cr_assert_str_eq(r.out, "vmlab 0.2.0\n");
	/* the man page of a subcommand is its --help */
	run(&r, "grep -c 'zipf:ALPHA' %s/usr/share/man/man1/vmlab-gen.1", dir);
	cr_assert_str_neq(r.out, "0\n");
	/* make sanitize builds the library with CFLAGS' sanitizers: the example
	 * links their runtimes with the same flags */
	const char *cflags = getenv("CFLAGS") && strstr(getenv("CFLAGS"), "-fsanitize") ? getenv("CFLAGS") : "";
	run(&r, "export PKG_CONFIG_SYSROOT_DIR=%s PKG_CONFIG_PATH=%s/usr/lib/pkgconfig PKG_CONFIG_LIBDIR=; "
		"pkg-config --modversion vmlab && cc %s -std=c11 -Wall -Werror examples/embed.c $(pkg-config --cflags --libs vmlab) -o %s/embed "
		"&& LD_LIBRARY_PATH=%s/usr/lib %s/embed", dir, dir, cflags, dir, dir, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "0.2.0\nfifo 9\nlru 10\nopt 7\n-6 not found, library 0.2.0\n");
	/* the static library links too (Libs.private) */
	run(&r, "export PKG_CONFIG_SYSROOT_DIR=%s PKG_CONFIG_PATH=%s/usr/lib/pkgconfig PKG_CONFIG_LIBDIR=; "
		"cc %s examples/embed.c $(pkg-config --cflags vmlab) %s/usr/lib/libvmlab.a $(pkg-config --static --libs-only-other --libs-only-l vmlab | sed 's/-lvmlab//') -o %s/embed-static 2>&1 "
		"&& %s/embed-static | head -1", dir, dir, cflags, dir, dir, dir);
	cr_assert_str_eq(r.out, "fifo 9\n", "%s", r.err);
	run(&r, "rm -rf %s", dir);
}

/* --- the frictions -------------------------------------------------------- */

Test(class_friction, policy_case_and_did_you_mean)
{
	cmd_out_t r;
	run(&r, "%s run --format pages --frames 3 --policy LRU --json examples/small.pages", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"policy\": \"lru\""), "%s", r.out);
	cr_assert_eq(json_u(r.out, "page_faults"), 10);
	run(&r, "%s run --policy lur examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "unknown policy 'lur' (did you mean lru?); known: fifo"), "%s", r.err);
	run(&r, "%s run --policy Clocck examples/small.pages", vmlab());
	cr_assert(strstr(r.err, "(did you mean clock?)"), "%s", r.err);
	run(&r, "%s run --policy zzzzzz examples/small.pages", vmlab());
	cr_assert(strstr(r.err, "unknown policy 'zzzzzz'; known:"), "no suggestion that far: %s", r.err);
}

/* With a terminal on stdin (script(1) gives one) run prints its usage and
 * exits 2 at once instead of waiting for a trace to be typed. */
Test(class_friction, run_on_a_terminal_prints_usage, .timeout = 30)
{
	cmd_out_t r;
	run(&r, "command -v script >/dev/null || exit 77; timeout 10 script -qec '%s run' /dev/null", vmlab());
	if (r.status == 77)
		cr_skip_test("script(1) not installed");
	cr_assert_eq(r.status, 2, "status %d: %s", r.status, r.out);
	cr_assert(strstr(r.out, "usage: vmlab run"), "%s", r.out);
	cr_assert(strstr(r.out, "no TRACE given and stdin is a terminal"), "%s", r.out);
	/* a pipe is read as before */
	run(&r, "printf '1,2,1\\n' | %s run --format pages --json", vmlab());
	cr_assert_eq(json_u(r.out, "references"), 3);
}

Test(class_friction, empty_trace_says_so)
{
	cmd_out_t r;
	run(&r, "%s run --json < /dev/null", vmlab());
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.err, "vmlab run: <stdin>: the trace is empty: no references"), "%s", r.err);
	run(&r, "%s run --format pages --json examples/small.pages", vmlab());
	cr_assert_null(strstr(r.err, "empty"), "%s", r.err);
}

Test(class_friction, xz_and_bzip2_traces, .timeout = 60)
{
	cmd_out_t r;
	run(&r, "command -v xz >/dev/null && command -v bzip2 >/dev/null || exit 77");
	if (r.status == 77)
		cr_skip_test("xz or bzip2 not installed");
	/* Belady's string, FIFO on 3 frames: 9 faults; twice concatenated: 24 refs */
	run(&r, "xz -c examples/small.pages | %s run --format pages --frames 3 --policy fifo --json -", vmlab());
	cr_assert_eq(json_u(r.out, "page_faults"), 9, "%s", r.err);
	run(&r, "bzip2 -c examples/small.pages | %s run --format pages --frames 3 --policy fifo --json -", vmlab());
	cr_assert_eq(json_u(r.out, "page_faults"), 9, "%s", r.err);
	run(&r, "(xz -c examples/small.pages; xz -c examples/small.pages) | %s run --format pages --json -", vmlab());
	cr_assert_eq(json_u(r.out, "references"), 24, "%s", r.err);
	run(&r, "(bzip2 -c examples/small.pages; bzip2 -c examples/small.pages) | %s run --format pages --json -", vmlab());
	cr_assert_eq(json_u(r.out, "references"), 24, "%s", r.err);
	run(&r, "bzip2 -c examples/small.pages | head -c 30 | %s run --format pages -", vmlab());
	cr_assert_neq(r.status, 0);
	cr_assert(strstr(r.err, "truncated bzip2 data"), "%s", r.err);
	run(&r, "xz -c examples/small.pages | head -c 40 | %s run --format pages -", vmlab());
	cr_assert(strstr(r.err, "truncated xz data"), "%s", r.err);
	run(&r, "printf '\\004\\042\\115\\030abcd' | %s run -", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "compressed with lz4 (decompress it with lz4 -d): vmlab reads gzip, zstd, xz and bzip2"), "%s", r.err);
}

Test(class_friction, frames_suffix_lat_ssd_swap_null)
{
	cmd_out_t r;
	run(&r, "%s run --format pages --frames 1K --json examples/small.pages", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "frames"), 1024);
	run(&r, "%s run --format pages --frames 2M --json examples/small.pages", vmlab());
	cr_assert_eq(json_u(r.out, "frames"), 2u << 20);
	run(&r, "%s run --format pages --frames 1x examples/small.pages", vmlab());
	cr_assert_eq(r.status, 2);
	run(&r, "%s run --format pages --lat-ssd --json examples/small.pages", vmlab());
	cr_assert(strstr(r.out, "\"lat_major_ns\": 100000,"), "%s", r.out);
	cr_assert(strstr(r.out, "\"lat_writeback_ns\": 100000,"), "%s", r.out);
	cr_assert(strstr(r.out, "\"lat_minor_ns\": 1000,"), "only the two: %s", r.out);
	run(&r, "%s run --format pages --lat-ssd --lat-major 7 --json examples/small.pages", vmlab());
	cr_assert(strstr(r.out, "\"lat_major_ns\": 7,"), "a later --lat-major wins: %s", r.out);
	run(&r, "%s run --format pages --json examples/small.pages", vmlab());
	cr_assert(strstr(r.out, "\"swap_bytes\": null,"), "%s", r.out);
	run(&r, "%s run --format pages --swap 1M --json examples/small.pages", vmlab());
	cr_assert(strstr(r.out, "\"swap_bytes\": 1048576,"), "%s", r.out);
	run(&r, "%s script --help", vmlab());
	cr_assert(strstr(r.out, "(default: unbounded for a trace, 64M for a script)"), "%s", r.out);
}

/* Processes named by words: the names in messages, numbers beside them. */
Test(class_friction, script_process_names)
{
	cmd_out_t r;
	run(&r, "%s script tests/data/class-named.vms", vmlab());
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_str_eq(r.out, "mmap parent: 0x7effffff8000\nmmap parent: 0x7effffff7000\n");
	cr_assert(strstr(r.err, "class-named.vms:14: write child 0 \"x\": process child is not alive (exited)"), "%s", r.err);
	run(&r, "(printf 'spawn a\\nspawn b\\nfork a c\\nexpect c resident 1\\n' > /tmp/vmlab-n.$$.vms; %s script /tmp/vmlab-n.$$.vms; s=$?; rm -f /tmp/vmlab-n.$$.vms; exit $s)", vmlab());
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, ":4: expected process c to have 1 resident pages, found 0"), "%s", r.err);
	run(&r, "(printf 'spawn a\\nspawn 4026531840\\n' > /tmp/vmlab-n.$$.vms; %s script /tmp/vmlab-n.$$.vms; s=$?; rm -f /tmp/vmlab-n.$$.vms; exit $s)", vmlab());
	cr_assert_eq(r.status, 2, "a number clashing with a name's");
	cr_assert(strstr(r.err, ":2: process number 4026531840 is already the number of 'a'"), "%s", r.err);
	run(&r, "(printf 'spawn a.b\\n' > /tmp/vmlab-n.$$.vms; %s script /tmp/vmlab-n.$$.vms; s=$?; rm -f /tmp/vmlab-n.$$.vms; exit $s)", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, ":1: bad process 'a.b'"), "%s", r.err);
}
