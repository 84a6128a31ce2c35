/* test_policy_steps.c - what the policies show of themselves: `run --steps`
 * lines (their order, notes and the ends' names) worked by hand for arc and
 * s3fifo, every policy of the registry listing exactly its resident pages
 * in every line, and the list `script --events` names for the victims of
 * the policies with lists.
 *
 * Conventions of the working: a list is written as --steps prints it, the
 * end taken from first on the left; rN is the N-th reference; "m"/"h" a
 * miss or hit.  The faulting reference's retry is no hit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "policy/policy.h"

#define PS_LEN(a) (sizeof(a) / sizeof((a)[0]))

static cmd_out_t ps_out;

/* `run --steps` of string s; the lines in ps_out.out. */
static void ps_steps(const char *policy, unsigned frames, const char *s)
{
	run(&ps_out, "printf '%%s\\n' '%s' | %s run --format pages --tlb 0 --policy %s --frames %u --tick 2 --steps -",
	    s, vmlab(), policy, frames);
	cr_assert_eq(ps_out.status, 0, "%s: %s", policy, ps_out.err);
}

static void ps_expect_line(const char *policy, const char *line)
{
	cr_expect(strstr(ps_out.out, line), "%s: no line\n%s\nin\n%s", policy, line, ps_out.out);
}

/* arc, 3 frames (c = 3, p = 0), "1 2 3 1 4 1 2":
 *   r1-3 m: T1 [1 2 3] (LRU first).  r4 1 h: T1 -> T2: T1 [2 3], T2 [1].
 *   r5 4 m, in no ghost list: case IV, |T1| + |B1| = 2 < 3 and the four
 *     lists hold 3 < 6: REPLACE: |T1| = 2 > p = 0: T1's LRU 2 into B1;
 *     4 -> T1's MRU end: T1 [3 4], T2 [1].
 *   r6 1 h: T2's MRU already.
 *   r7 2 m, in B1: p += max(1, |B2| / |B1| = 0) = 1; REPLACE: |T1| = 2 > 1:
 *     T1's LRU 3 into B1; 2 -> T2's MRU end: T1 [4], T2 [1 2]. */
Test(policy_steps, arc_lines)
{
	ps_steps("arc", 3, "1 2 3 1 4 1 2");
	ps_expect_line("arc", "step 3: page 3 R tlb-miss MISS minor frame 2 Replaced:- "
			      "T1 LRU -> [1(T1), 2(T1), 3(T1)] <- T2 MRU [Hits:0 Misses:3]\n");
	ps_expect_line("arc", "step 4: page 1 R tlb-miss HIT        frame 0 Replaced:- "
			      "T1 LRU -> [2(T1), 3(T1), 1(T2)] <- T2 MRU [Hits:1 Misses:3]\n");
	ps_expect_line("arc", "step 5: page 4 R tlb-miss MISS minor frame 1 Replaced:2 (clean) "
			      "T1 LRU -> [3(T1), 4(T1), 1(T2)] <- T2 MRU [Hits:1 Misses:4]\n");
	ps_expect_line("arc", "step 7: page 2 R tlb-miss MISS minor frame 2 Replaced:3 (clean) "
			      "T1 LRU -> [4(T1), 1(T2), 2(T2)] <- T2 MRU [Hits:2 Misses:5]\n");
}

/* s3fifo, 4 frames: S's share 1 (10% rounded down, at least 1), M's 3, G
 * holds 3 keys.  "1 2 3 4 1 1 5 6 2":
 *   r1-4 m: S [1 2 3 4] (tail first), freq 0.  r5 1 h: freq 1; r6 1 h: 2.
 *   r7 5 m: |S| 4 >= 1: evictS: tail 1 has freq 2 > 1: to M (freq kept),
 *     M 1 <= 3; tail 2 freq 0: evicted, G [2].  5 -> S: S [3 4 5], M [1].
 *   r8 6 m: evictS: 3 evicted, G [2 3].  S [4 5 6], M [1].
 *   r9 2 m: evictS: 4 evicted, G [2 3 4]; 2 is in G: out of G, to M's
 *     head with freq 0: S [5 6], M [1 2]. */
Test(policy_steps, s3fifo_lines)
{
	ps_steps("s3fifo", 4, "1 2 3 4 1 1 5 6 2");
	ps_expect_line("s3fifo", "step 6: page 1 R tlb-miss HIT        frame 0 Replaced:- "
				 "S tail -> [1(S,f=2), 2(S,f=0), 3(S,f=0), 4(S,f=0)] <- M head [Hits:2 Misses:4]\n");
	ps_expect_line("s3fifo", "step 7: page 5 R tlb-miss MISS minor frame 1 Replaced:2 (clean) "
				 "S tail -> [3(S,f=0), 4(S,f=0), 5(S,f=0), 1(M,f=2)] <- M head [Hits:2 Misses:5]\n");
	ps_expect_line("s3fifo", "step 8: page 6 R tlb-miss MISS minor frame 2 Replaced:3 (clean) "
				 "S tail -> [4(S,f=0), 5(S,f=0), 6(S,f=0), 1(M,f=2)] <- M head [Hits:2 Misses:6]\n");
	ps_expect_line("s3fifo", "step 9: page 2 R tlb-miss MISS minor frame 3 Replaced:4 (clean) "
				 "S tail -> [5(S,f=0), 6(S,f=0), 1(M,f=2), 2(M,f=0)] <- M head [Hits:2 Misses:7]\n");
}

/* The pages inside the brackets of one --steps line, into pages[] (at most
 * max); returns how many, or -1 if the line has no brackets. */
static int ps_pages(const char *line, unsigned *pages, int max)
{
	const char *open = strstr(line, " -> [");
	if (!open)
		return -1;
	const char *p = open + 5;
	int n = 0;
	while (*p && *p != ']') {
		unsigned v;
		if (sscanf(p, "%u", &v) != 1)
			return -1;
		if (n < max)
			pages[n] = v;
		n++;
		while (*p && *p != ',' && *p != ']') {
			if (*p == '(') /* a note: skip to its end */
				while (*p && *p != ')')
					p++;
			if (*p)
				p++;
		}
		if (*p == ',')
			p += 2;
	}
	return n;
}

/* Every policy of the registry, 3 frames, a string with hits, misses and a
 * loop: each line lists each resident page once, min(pages seen, 3) of
 * them (a policy whose order forgot a list, or listed a page twice, fails
 * here), and the ends are named. */
Test(policy_steps, every_policy_lists_exactly_its_resident_pages, .timeout = 60)
{
	static const char s[] = "1 2 3 1 4 1 2 5 1 2 3 4 5 6 1 2 6 3";
	static const unsigned seen[] = { 1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6 };
	for (size_t i = 0; i < policy_count; i++) {
		const policy_ops_t *pol = policy_registry[i];
		ps_steps(pol->name, 3, s);
		const char *line = ps_out.out;
		for (size_t k = 0; k < PS_LEN(seen); k++) {
			unsigned pages[8];
			int n = ps_pages(line, pages, 8);
			unsigned want = seen[k] < 3 ? seen[k] : 3;
			cr_expect_eq(n, (int)want, "%s step %zu: %d pages, want %u", pol->name, k + 1, n, want);
			for (int a = 0; a < n && a < 8; a++)
				for (int b = a + 1; b < n && b < 8; b++)
					cr_expect_neq(pages[a], pages[b], "%s step %zu: page %u twice", pol->name,
						      k + 1, pages[a]);
			if (pol->order_first) {
				char ends[64];
				snprintf(ends, sizeof ends, " %s -> [", pol->order_first);
				const char *nl = strchr(line, '\n');
				const char *at = strstr(line, ends);
				cr_expect(at && nl && at < nl, "%s step %zu: no '%s'", pol->name, k + 1, ends);
			}
			line = strchr(line, '\n');
			cr_assert_not_null(line, "%s: %zu lines, want %zu", pol->name, k, PS_LEN(seen));
			line++;
		}
	}
}

/* The policies with lists that this task gave --events names, and every
 * name each must print on tests/data/policy-lists.vms (4 frames: a hot
 * pair, scans, pages used three times in a row, a loop of 6).  lirs takes a
 * LIR victim only when Q is empty, which only releases can cause, and
 * clock-pro's HANDcold takes only cold pages: one name each here. */
Test(policy_steps, events_name_the_victims_list, .timeout = 60)
{
	static const struct {
		const char *policy;
		const char *names[3];
	} want[] = {
		{ "arc", { "T1", "T2" } },        { "car", { "T1", "T2" } },
		{ "2q", { "A1in", "Am" } },       { "s3fifo", { "small", "main" } },
		{ "lirs", { "HIR" } },            { "clock-pro", { "cold" } },
		{ "mglru", { "gen 0", "gen 1", "gen 3" } }, { "linux", { "inactive anon" } },
	};
	cmd_out_t o;
	for (size_t i = 0; i < PS_LEN(want); i++) {
		cr_assert_not_null(policy_find(want[i].policy));
		cr_expect_not_null(policy_find(want[i].policy)->victim_list, "%s", want[i].policy);
		run(&o, "%s script --events --policy %s tests/data/policy-lists.vms", vmlab(), want[i].policy);
		cr_assert_eq(o.status, 0, "%s: %s", want[i].policy, o.err);
		for (size_t k = 0; k < 3 && want[i].names[k]; k++) {
			char tail[64];
			snprintf(tail, sizeof tail, " clean: dropped (%s)\n", want[i].names[k]);
			cr_expect(strstr(o.out, tail), "%s: no victim from %s in\n%s", want[i].policy,
				  want[i].names[k], o.out);
		}
		/* every eviction names its list */
		for (const char *p = strstr(o.out, "evict frame"); p; p = strstr(p + 1, "evict frame")) {
			const char *nl = strchr(p, '\n');
			cr_assert_not_null(nl);
			cr_expect(nl > p && nl[-1] == ')', "%s: %.*s", want[i].policy, (int)(nl - p), p);
		}
	}
	/* the first victims, worked by hand (r1-8: 1 2 3 4 1 2 1 2, r9 5 m):
	 * arc evicts T1's LRU page 3 (1 and 2 went to T2), 2q the oldest of
	 * A1in, page 1 (hits in A1in do nothing; |A1in| 4 > Kin 1) */
	run(&o, "%s script --events --policy arc tests/data/policy-lists.vms", vmlab());
	cr_expect(strstr(o.out, "\nevict frame 2 vpn 0x3 clean: dropped (T1)\n"), "%s", o.out);
	run(&o, "%s script --events --policy 2q tests/data/policy-lists.vms", vmlab());
	cr_expect(strstr(o.out, "\nevict frame 0 vpn 0x1 clean: dropped (A1in)\n"), "%s", o.out);
}
