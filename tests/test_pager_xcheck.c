/* test_pager_xcheck.c - the real pager against the simulator: one thread
 * touches pages of a vp_map region in a recorded order (reads and writes);
 * the same order, written as a text trace, goes through `vmlab run --tlb 0
 * --frames B` with B the budget's pages; the counters must be equal.
 *
 * Why they can be equal: the simulator's first touch is a zero-filled minor
 * fault, a page never written leaves without a write and comes back minor,
 * a dirty one is written back once and comes back major, and reclaim runs
 * only when no frame is free (the pager's watermarks are 0, 0: no daemon).
 * The pager does all of that, hands out free slots lowest first as the
 * simulator does, and calls the same policy_ops_t in the same order.
 * Accessed bits: with no TLB the simulator sets a page's bit on every
 * reference; the pager's bit is "mapped", which the first touch after a
 * clear (a soft fault) sets again.  In one thread the two bits are then the
 * same at every pick_victim, so every policy whose decisions depend only on
 * the calls and the bits matches exactly: fifo, clock and the others listed
 * in exact[] below.  Not exact: the policies that read time, which is
 * references in the simulator but faults in the pager (wsclock's tau, the
 * on_tick of aging and nru); for them the test checks only that the counts
 * are consistent. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "policy/policy.h"
#include "vmlab_pager.h"

#define PAGE 4096u
#define NREF 4000
#define NPAGES 48
#define BUDGET 12

/* Policies whose decisions the pager reproduces exactly (see above). */
static const char *const exact[] = { "fifo", "clock", "random", "eclock", "sieve-hw", "clock-pro",
				     "linux", "car" };

static bool is_exact(const char *name)
{
	for (size_t k = 0; k < sizeof exact / sizeof exact[0]; k++)
		if (strcmp(exact[k], name) == 0)
			return true;
	return false;
}

typedef struct ref {
	uint32_t page;
	bool write;
} ref_t;

/* A reference string with locality: mostly a hot set of 10 pages that
 * drifts, sometimes any page; a third of the references write. */
static void make_refs(ref_t *r, size_t n)
{
	uint64_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t v = (uint32_t)(x >> 33);
		uint32_t hot = (uint32_t)(i / 200) * 3;
		r[i].page = v % 4 ? (hot + v / 4 % 10) % NPAGES : v / 4 % NPAGES;
		r[i].write = (v >> 20) % 3 == 0;
	}
}

static const char *const keys[] = { "page_faults", "minor_faults", "major_faults", "evictions",
				    "dirty_writebacks", "swap_ins", "swap_outs", "resident_pages_peak" };

static uint64_t stat_of(const vp_stats_t *s, size_t k)
{
	const uint64_t v[] = { s->page_faults, s->minor_faults, s->major_faults, s->evictions,
			       s->dirty_writebacks, s->swap_ins, s->swap_outs, s->resident_pages_peak };
	return v[k];
}

/* Run refs under the pager with policy on backend be; the counters in *s.
 * Each write stores the reference's number, each read checks the last. */
static void under_pager(const char *be, const char *policy, const ref_t *refs, vp_stats_t *s)
{
	char err[512] = "";
	vp_config_t c = { .budget = BUDGET * PAGE, .policy = policy, .backend = be,
			  .errbuf = err, .errlen = sizeof err };
	vp_pager_t *p;
	cr_assert_eq(vp_open(&c, &p), 0, "%s", err);
	volatile uint64_t *a = vp_map(p, NPAGES * PAGE);
	uint64_t last[NPAGES] = { 0 };
	size_t bad = 0;
	for (size_t i = 0; i < NREF; i++) {
		volatile uint64_t *w = a + refs[i].page * (PAGE / 8);
		if (refs[i].write) {
			*w = i + 1;
			last[refs[i].page] = i + 1;
		} else {
			bad += *w != last[refs[i].page];
		}
	}
	cr_assert_eq(bad, 0);
	vp_stats(p, s);
	cr_assert_eq(vp_error(p, NULL), 0);
	vp_close(p);
}

/* The same references as a text trace: R/W at page * 4096 (the first word
 * of the page, where the pager run touched it). */
static void write_trace(const char *path, const ref_t *refs)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (size_t i = 0; i < NREF; i++)
		fprintf(f, "%c 0x%x\n", refs[i].write ? 'W' : 'R', refs[i].page * PAGE);
	cr_assert_eq(fclose(f), 0);
}

Test(pager_xcheck, same_counts_as_vmlab_run, .timeout = 300)
{
	static ref_t refs[NREF];
	make_refs(refs, NREF);
	char path[] = "/tmp/vmpager-xcheck-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	write_trace(path, refs);
	size_t nexact = 0;
	for (size_t k = 0; k < policy_count; k++) {
		const policy_ops_t *ops = policy_registry[k];
		if (ops->needs != POLICY_NEEDS_HW_BITS)
			continue;
		cmd_out_t *r = malloc(sizeof *r);
		run(r, "%s run --format text --policy %s --frames %u --tlb 0 --json %s", vmlab(), ops->name,
		    BUDGET, path);
		cr_assert_eq(r->status, 0, "%s", r->err);
		for (int b = 0; b < 2; b++) {
			const char *be = b ? "sigsegv" : "uffd";
			vp_stats_t s;
			char err[256];
			vp_config_t probe = { .budget = PAGE, .policy = "fifo", .backend = be, .errbuf = err,
					      .errlen = sizeof err };
			vp_pager_t *p;
			if (vp_open(&probe, &p)) {
				cr_log_warn("backend %s not tested here: %s", be, err);
				continue;
			}
			vp_close(p);
			under_pager(be, ops->name, refs, &s);
			for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++) {
				unsigned long long sim = json_u(r->out, keys[j]);
				if (is_exact(ops->name))
					cr_assert_eq(stat_of(&s, j), sim, "%s on %s: %s pager %llu, vmlab run %llu",
						     ops->name, be, keys[j], (unsigned long long)stat_of(&s, j), sim);
			}
			/* every policy: the simulator's identities hold */
			cr_assert_eq(s.page_faults, s.minor_faults + s.major_faults);
			cr_assert_eq(s.evictions, s.page_faults - BUDGET);
			cr_assert_eq(s.swap_outs, s.dirty_writebacks);
		}
		nexact += is_exact(ops->name);
		free(r);
	}
	cr_assert_eq(nexact, sizeof exact / sizeof exact[0], "a policy of exact[] is not in the registry");
	unlink(path);
}

/* The hand-checked case of the README's timeline (1w 2w 3w 1 4 5 1 2 6, 4
 * frames, fifo): 9 references, 7 faults, 2 swap-ins, 3 write-backs. */
Test(pager_xcheck, readme_fifo_string_by_hand, .timeout = 60)
{
	static const ref_t refs[] = { { 1, 1 }, { 2, 1 }, { 3, 1 }, { 1, 0 }, { 4, 0 },
				      { 5, 0 }, { 1, 0 }, { 2, 0 }, { 6, 0 } };
	char err[256] = "";
	vp_config_t c = { .budget = 4 * PAGE, .policy = "fifo", .backend = "sigsegv", .errbuf = err,
			  .errlen = sizeof err };
	vp_pager_t *p;
	cr_assert_eq(vp_open(&c, &p), 0, "%s", err);
	volatile uint64_t *a = vp_map(p, 8 * PAGE);
	uint64_t sum = 0;
	for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
		if (refs[i].write)
			a[refs[i].page * (PAGE / 8)] = refs[i].page;
		else
			sum += a[refs[i].page * (PAGE / 8)];
	}
	vp_stats_t s;
	vp_stats(p, &s);
	cr_assert_eq(sum, 1 + 0 + 0 + 1 + 2 + 0);
	cr_assert_eq(s.page_faults, 8);
	cr_assert_eq(s.minor_faults, 6);
	cr_assert_eq(s.major_faults, 2);
	cr_assert_eq(s.evictions, 4);
	cr_assert_eq(s.dirty_writebacks, 3);
	vp_close(p);
	cmd_out_t *r = malloc(sizeof *r);
	run(r, "printf '1w\\n2w\\n3w\\n1\\n4\\n5\\n1\\n2\\n6\\n' | %s run --format pages --frames 4 --tlb 0 "
	       "--policy fifo --json", vmlab());
	cr_assert_eq(json_u(r->out, "page_faults"), 8);
	cr_assert_eq(json_u(r->out, "dirty_writebacks"), 3);
	free(r);
}
