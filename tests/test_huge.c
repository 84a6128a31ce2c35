/* test_huge.c - huge pages and THP (issue 9 item 1): the kernel half.  Every
 * number is worked by hand in the comments, for 4 KiB pages, 8-byte PTEs and
 * 4 levels (so a huge page at code level 1 is 2 MiB = 512 base pages, and a
 * walk to it reads 3 PTEs: L1, L2, L3). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "vmlab.h"
#include "vmlab_sys.h"
#include "util/vmerr.h"

#define PS 4096u
#define HUGE (512u * PS)

/* A text trace in a temporary file: n references of kind k to consecutive
 * pages from va, then m of kind k2 from va2 (m may be 0).  Returns its path
 * (static storage, one trace at a time). */
static const char *trace2(char k, uint64_t va, unsigned n, char k2, uint64_t va2, unsigned m)
{
	static char path[64];
	strcpy(path, "/tmp/vmlab_huge_XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%c 0x%llx\n", k, (unsigned long long)(va + (uint64_t)i * PS));
	for (unsigned i = 0; i < m; i++)
		fprintf(f, "%c 0x%llx\n", k2, (unsigned long long)(va2 + (uint64_t)i * PS));
	fclose(f);
	return path;
}

static void run_json(cmd_out_t *r, const char *opts, const char *path)
{
	run(r, "%s run --format text --json %s %s", vmlab(), opts, path);
	unlink(path);
	cr_assert_eq(r->status, 0, "%s", r->err);
}

/* Bug caught: the walk not stopping at PS (4 reads), or the fault handler
 * mapping base pages under --thp always.  No TLB at all (--tlb 0, and
 * --tlb-huge 0 shares it), so every reference walks.  Two reads, pages 0 and
 * 1 of the huge range at 2 MiB:
 *   ref 1: walk reads L1 (empty root entry): 1 PTE, fault -> huge page;
 *          retry: L1, L2, L3 (PS) = 3 PTEs, a walk ending at a huge leaf;
 *   ref 2: L1, L2, L3 = 3 PTEs, huge leaf.
 * = 7 PTE reads, 3 walks, 2 of them ending at a huge leaf, 1 fault.
 * Without THP: 1 + 4 (ref 1, after its fault made the tables), then 4 (the
 * leaf table exists, page 1's entry in it is empty) + 4 = 13 reads, 4 walks,
 * 2 faults. */
Test(huge, walk_reads_three_ptes_not_four)
{
	cmd_out_t r;
	run_json(&r, "--tlb 0 --tlb-huge 0 --frames 1024 --thp always", trace2('R', HUGE, 2, 'R', 0, 0));
	cr_assert_eq(json_u(r.out, "walk_memory_refs"), 7);
	cr_assert_eq(json_u(r.out, "page_walks"), 3);
	cr_assert_eq(json_u(r.out, "huge_tlb_misses"), 2);
	cr_assert_eq(json_u(r.out, "page_faults"), 1);
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "page_table_pages"), 3); /* root, L2, L3: no leaf table */
	run_json(&r, "--tlb 0 --tlb-huge 0 --frames 1024", trace2('R', HUGE, 2, 'R', 0, 0));
	cr_assert_eq(json_u(r.out, "walk_memory_refs"), 13);
	cr_assert_eq(json_u(r.out, "page_walks"), 4);
	cr_assert_eq(json_u(r.out, "page_faults"), 2);
	cr_assert_eq(json_u(r.out, "page_table_pages"), 4);
	cr_assert_null(strstr(r.out, "huge_tlb_hits"), "no huge keys without --thp");
}

/* Bug caught: a huge entry keyed per base page (so 512 misses), huge hits not
 * counted in tlb_hits, or --tlb-huge 0 not sharing the base TLB.  512 reads
 * of every page of one huge range: 1 fault, the retry's walk fills one huge
 * entry, the other 511 references hit it: tlb_hits 511 (all huge), misses 2
 * (the faulting walk and the retry); hits + misses = 513 = references +
 * faults.  The same with --tlb-huge 0 (the entry lives in the 64:4 TLB).
 * Without THP each page faults once and misses twice: 1024 misses, 0 hits. */
Test(huge, one_huge_entry_covers_512_pages)
{
	cmd_out_t r;
	const char *tlbs[] = { "--tlb-huge 32:4", "--tlb-huge 0" };
	for (int i = 0; i < 2; i++) {
		char opts[128];
		snprintf(opts, sizeof opts, "--frames 1024 --thp always %s", tlbs[i]);
		run_json(&r, opts, trace2('R', HUGE, 512, 'R', 0, 0));
		cr_assert_eq(json_u(r.out, "tlb_hits"), 511, "%s", tlbs[i]);
		cr_assert_eq(json_u(r.out, "huge_tlb_hits"), 511, "%s", tlbs[i]);
		cr_assert_eq(json_u(r.out, "tlb_misses"), 2, "%s", tlbs[i]);
		cr_assert_eq(json_u(r.out, "huge_tlb_misses"), 1, "%s", tlbs[i]);
		cr_assert_eq(json_u(r.out, "distinct_pages"), 512, "%s", tlbs[i]);
		cr_assert_eq(json_u(r.out, "resident_pages"), 512, "%s", tlbs[i]);
		cr_assert_eq(json_u(r.out, "thp_bloat_bytes"), 0, "%s", tlbs[i]);
	}
	run_json(&r, "--frames 1024", trace2('R', HUGE, 512, 'R', 0, 0));
	cr_assert_eq(json_u(r.out, "tlb_hits"), 0);
	cr_assert_eq(json_u(r.out, "tlb_misses"), 1024);
}

/* Bug caught: a run taken without looking at its alignment or the end of
 * memory.  1023 frames: the only aligned run is 0..511, which the first
 * huge range takes; the second range's first fault finds 511 free frames
 * (512..1022) but no aligned run of 512: fallback, a base page; its second
 * fault sees a leaf table and does not try again (1 fallback). */
Test(huge, fallback_when_no_aligned_run_is_free)
{
	cmd_out_t r;
	run_json(&r, "--frames 1023 --thp always", trace2('R', HUGE, 1, 'W', 2 * HUGE, 2));
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 1);
	cr_assert_eq(json_u(r.out, "page_faults"), 3);
	cr_assert_eq(json_u(r.out, "resident_pages"), 514);
	cr_assert_eq(json_u(r.out, "evictions"), 0);
	/* one page of 512 touched: 511 pages of bloat */
	cr_assert_eq(json_u(r.out, "thp_bloat_bytes"), 511ull * PS);
	/* fewer frames than a run: every first fault of a range falls back */
	run_json(&r, "--frames 511 --thp always", trace2('R', HUGE, 1, 'R', 2 * HUGE, 1));
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 0);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 2);
	cr_assert_eq(json_u(r.out, "thp_bloat_bytes"), 0);
}

/* Bug caught: eviction writing the swap entry into the huge entry (losing
 * 511 pages), or a split that drops mappings.  600 frames: range A (512
 * reads) is one huge page in frames 0..511; range B (200 writes) falls back
 * (88 frames free, no aligned run) and fills them with base pages; its 89th
 * fault must evict: clock's victim is a frame of A, which is split first
 * (one split, a new leaf table); 200 - 88 = 112 evictions in all.  Tables:
 * root, L2, L3, B's leaf table, A's leaf table from the split = 5. */
Test(huge, reclaim_splits_before_evicting)
{
	cmd_out_t r;
	run_json(&r, "--frames 600 --thp always", trace2('R', HUGE, 512, 'W', 2 * HUGE, 200));
	cr_assert_eq(json_u(r.out, "thp_fault_alloc"), 1);
	cr_assert_eq(json_u(r.out, "thp_fault_fallback"), 1);
	cr_assert_eq(json_u(r.out, "thp_split"), 1);
	cr_assert_eq(json_u(r.out, "evictions"), 112);
	cr_assert_eq(json_u(r.out, "page_faults"), 201);
	cr_assert_eq(json_u(r.out, "distinct_pages"), 712);
	cr_assert_eq(json_u(r.out, "resident_pages"), 600);
	cr_assert_eq(json_u(r.out, "page_table_pages"), 5);
}

/* The same through the API with the invariant checker after the run, and
 * the pages of the split huge page read again: the 112 evicted ones of A
 * (clean, never written: dropped) fault back in as minor faults, the 400
 * still resident hit. */
Test(huge, split_keeps_every_mapping)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = 600;
	c.thp = VM_THP_ALWAYS;
	c.policy = "fifo";
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	for (unsigned i = 0; i < 512; i++)
		cr_assert_eq(vm_access(vm, 1, HUGE + i * PS, 1, VM_READ), 0);
	for (unsigned i = 0; i < 200; i++)
		cr_assert_eq(vm_access(vm, 1, 2 * HUGE + i * PS, 1, VM_WRITE), 0);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->thp_split, 1);
	cr_assert_eq(s->evictions, 112);
	cr_assert_eq(vm_check(vm, err, sizeof err), 0, "%s", err);
	uint64_t faults = s->page_faults;
	/* fifo evicted A's first 112 pages (filled first, in order) */
	for (unsigned i = 112; i < 512; i++)
		cr_assert_eq(vm_access(vm, 1, HUGE + i * PS, 1, VM_READ), 0);
	cr_assert_eq(vm_stats(vm)->page_faults, faults, "the 400 pages left are all mapped");
	cr_assert_eq(vm_check(vm, err, sizeof err), 0, "%s", err);
	vm_destroy(vm);
}

/* Bad input: exit 2 with the reason. */
Test(huge, bad_options)
{
	cmd_out_t r;
	run(&r, "%s run --thp sometimes /dev/null", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--thp 'sometimes': expected always, madvise or never"), "%s", r.err);
	run(&r, "%s run --thp always --levels 1 --va-bits 32 /dev/null", vmlab());
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--thp needs a page table of at least 2 levels"), "%s", r.err);
	run(&r, "%s run --tlb-huge 3:2 /dev/null", vmlab());
	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "--tlb-huge"), "%s", r.err);
}

/* The README's worked example, line for line (examples/huge512.txt): the
 * summary lines it shows.  Bug caught: a README figure drifting from the
 * program, or the huge lines printed without --thp. */
Test(huge, readme_example)
{
	cmd_out_t r;
	run(&r, "%s run --frames 1024 examples/huge512.txt", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "  page walks                 1,024   4,093 PTE reads (4.00 per walk)\n"), "%s", r.out);
	cr_assert_null(strstr(r.out, "huge TLB"), "%s", r.out);
	run(&r, "%s run --frames 1024 --thp always examples/huge512.txt", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "  TLB hits                     511   99.61% of 513 lookups\n"
				"  page walks                     2   4 PTE reads (2.00 per walk)\n"
				"  huge TLB hits                511   1 walks to a huge leaf\n"
				"  THP faults                     1   0 fallbacks, 0 splits, 0 B never touched\n"),
		  "%s", r.out);
}
