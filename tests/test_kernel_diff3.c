/* test_kernel_diff3.c - the randomized differential test (kdiff.c) with
 * transparent huge pages on (issue 9): --thp always, --thp madvise with
 * random madvise hugepage/nohugepage, khugepaged passes, and the partial
 * munmap/mprotect of the plain mix that split huge pages; and THP, NUMA and
 * zRAM together, byte for byte.
 *
 * The machine: huge pages must fit the model's window of 32 pages, so the
 * page table is 5 levels over a 31-bit address space (19 VPN bits: 3 a
 * level, the top one 7), and a huge page is a level-1 leaf of 8 base pages
 * (32 KiB) instead of 512: the same code (huge.c knows only huge->run), 64
 * times as many huge pages a frame.  The window (0x40000000, 32 pages) holds
 * 4 aligned huge ranges; 64 user frames hold 8 aligned runs.  Besides the
 * plain mix, an extra operation maps a whole aligned range (so faults can
 * map huge pages) or, under madvise, advises a random range.
 *
 * Every variant runs for every policy of the registry but opt.  Each checks,
 * besides the plain test's end checks and the invariant checker after every
 * call (which checks huge pages' frames, reverse maps and the pool), that
 * huge pages were made by faults, fell back, were split and (with
 * khugepaged) collapsed; with NUMA, that the nodes' free frames add up after
 * every operation, and under bind that the other node is never touched.
 *
 * The bug the variants found (khugepaged left the shadow entry of an empty
 * entry it collapsed) has its focused test in test_hugenuma.c. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>

#include "kdiff.h"
#include "vmlab.h"
#include "vmlab_sys.h"
#include "policy/policy.h"
#include "util/vmerr.h"

#define PS KDIFF_PS
#ifndef DIFF3_OPS
#define DIFF3_OPS 8000u /* per policy and variant */
#endif
#define HUGE_PAGES 8u /* base pages of a huge page on this geometry */

/* 64 frames, the page daemon between 2 and 4 free. */
static const kdiff_machine_t M_THP = { "thp", 48, 1, 2, 4, 0, 64, 4, DIFF3_OPS };

/* The geometry of 8-page huge pages (see above). */
static void cfg_geometry(vm_config_t *c)
{
	c->va_bits = 31;
	c->levels = 5;
}

static void cfg_always(vm_config_t *c)
{
	cfg_geometry(c);
	c->thp = VM_THP_ALWAYS;
	c->khugepaged_every = 64;
}

/* madvise: only advised regions; khugepaged collapses ranges with at most 3
 * of their 8 entries empty. */
static void cfg_madvise(vm_config_t *c)
{
	cfg_geometry(c);
	c->thp = VM_THP_MADVISE;
	c->khugepaged_every = 40;
	c->max_ptes_none = 3;
}

/* THP, NUMA (2 nodes of 32 frames, local) and zRAM before a swap file. */
static void cfg_all(vm_config_t *c)
{
	cfg_always(c);
	c->numa_nodes = 2;
	c->mempolicy = VM_MPOL_LOCAL;
	c->zram_size = 16u << 10;
}

/* THP under bind:1 (node 1: frames 24..47): huge pages and base pages of
 * node 1 only, a base page when node 1 has no free aligned run. */
static void cfg_bind(vm_config_t *c)
{
	cfg_always(c);
	c->numa_nodes = 2;
	c->mempolicy = VM_MPOL_BIND;
	c->numa_bind = 1;
}

/* ---- the extra operations ---- */

/* mmap a whole aligned huge range of the window rw (writes then fault a
 * huge page in), or rarely r (a read faults one in, mprotect later). */
static void huge_map_op(kdiff_t *d, uint32_t pid)
{
	uint64_t *rng = kdiff_rng(d);
	unsigned first = (unsigned)xs_below(rng, KDIFF_WIN_PAGES / HUGE_PAGES) * HUGE_PAGES;
	unsigned n = HUGE_PAGES * (xs_pct(rng, 25) ? 2u : 1u);
	if (first + n > KDIFF_WIN_PAGES)
		n = HUGE_PAGES;
	kdiff_mmap(d, pid, first, n, xs_pct(rng, 85) ? VM_PROT_R | VM_PROT_W : VM_PROT_R);
}

/* madvise hugepage or nohugepage of a random page range of the window
 * (unaligned ends split huge pages): ENOMEM when a page of it is not
 * mapped, else 0. */
static void huge_madvise_op(kdiff_t *d, uint32_t pid)
{
	uint64_t *rng = kdiff_rng(d);
	unsigned first = (unsigned)xs_below(rng, KDIFF_WIN_PAGES);
	unsigned n = 1 + (unsigned)xs_below(rng, 2 * HUGE_PAGES);
	if (first + n > KDIFF_WIN_PAGES)
		n = KDIFF_WIN_PAGES - first;
	int advice = xs_pct(rng, 70) ? VM_MADV_HUGEPAGE : VM_MADV_NOHUGEPAGE;
	int want = VM_OK;
	for (unsigned i = first; i < first + n; i++)
		if (kdiff_prot(d, pid, i) < 0)
			want = VM_ENOMEM;
	uint64_t addr = KDIFF_WIN_BASE + (uint64_t)first * PS, len = (uint64_t)n * PS;
	char line[96];
	snprintf(line, sizeof line, "madvise %u 0x%" PRIx64 " %" PRIu64 " %d", pid, addr, len,
		 advice);
	kdiff_log(d, line);
	int rc = vm_madvise(kdiff_vm(d), pid, addr, len, advice);
	cr_assert_eq(rc, want, "[%s] op %u: %s: %d (%s), the model says %d", kdiff_tag(d),
		     kdiff_op(d), line, rc, vm_strerror(rc), want);
}

/* --thp always: mostly whole ranges mapped, sometimes nohugepage advice. */
static void always_op(kdiff_t *d, uint32_t pid)
{
	if (xs_pct(kdiff_rng(d), 70))
		huge_map_op(d, pid);
	else
		huge_madvise_op(d, pid);
}

/* madvise hugepage of all of the whole range mapped at first (n pages). */
static void huge_advise_range(kdiff_t *d, uint32_t pid, unsigned first, unsigned n)
{
	uint64_t addr = KDIFF_WIN_BASE + (uint64_t)first * PS, len = (uint64_t)n * PS;
	kdiff_log(d, "madvise hugepage");
	int rc = vm_madvise(kdiff_vm(d), pid, addr, len, VM_MADV_HUGEPAGE);
	cr_assert_eq(rc, 0, "[%s] op %u: madvise %u 0x%" PRIx64 " %" PRIu64 " hugepage: %s",
		     kdiff_tag(d), kdiff_op(d), pid, addr, len, vm_strerror(rc));
}

/* --thp madvise: a whole range mapped and advised (faults map huge pages
 * there), a whole mapped range advised (khugepaged collapses its base
 * pages), or random advice. */
static void madvise_op(kdiff_t *d, uint32_t pid)
{
	uint64_t r = xs_below(kdiff_rng(d), 100);
	unsigned first = (unsigned)xs_below(kdiff_rng(d), KDIFF_WIN_PAGES / HUGE_PAGES) * HUGE_PAGES;
	if (r < 40) {
		kdiff_mmap(d, pid, first, HUGE_PAGES, VM_PROT_R | VM_PROT_W);
		huge_advise_range(d, pid, first, HUGE_PAGES);
		return;
	}
	if (r < 60) {
		unsigned i = first;
		while (i < first + HUGE_PAGES && kdiff_prot(d, pid, i) >= 0)
			i++;
		if (i == first + HUGE_PAGES) {
			huge_advise_range(d, pid, first, HUGE_PAGES);
			return;
		}
	}
	huge_madvise_op(d, pid);
}

/* ---- checks ---- */

/* The nodes' free frames add up to the machine's. */
static void numa_after(kdiff_t *d)
{
	vm_machine_t *vm = kdiff_vm(d);
	uint64_t sum = 0;
	for (uint32_t n = 0; n < vm_config(vm)->numa_nodes; n++)
		sum += vm_numa_node_free(vm, n);
	cr_assert_eq(sum, vm_sys_stats(vm)->free_frames, "[%s] op %u: nodes' free frames %" PRIu64
		     ", machine's %" PRIu64, kdiff_tag(d), kdiff_op(d), sum,
		     vm_sys_stats(vm)->free_frames);
}

/* bind:1 never takes a frame of node 0. */
static void bind_after(kdiff_t *d)
{
	numa_after(d);
	uint32_t n0 = vm_config(kdiff_vm(d))->frames / 2;
	cr_assert_eq(vm_numa_node_free(kdiff_vm(d), 0), n0, "[%s] op %u: bind:1, but node 0 has %"
		     PRIu64 " free frames of %u", kdiff_tag(d), kdiff_op(d),
		     vm_numa_node_free(kdiff_vm(d), 0), n0);
}

/* zRAM never holds more than its size. */
static void all_after(kdiff_t *d)
{
	numa_after(d);
	const vm_zram_stats_t *z = vm_zram_stats(kdiff_vm(d));
	cr_assert_leq(z->compressed_bytes, vm_config(kdiff_vm(d))->zram_size,
		      "[%s] op %u: zram holds %" PRIu64, kdiff_tag(d), kdiff_op(d),
		      z->compressed_bytes);
}

/* Huge pages were made by faults, faults fell back, huge pages were split;
 * and (collapse) khugepaged made some. */
static void thp_check(kdiff_t *d, int collapse)
{
	const vm_stats_t *st = vm_stats(kdiff_vm(d));
	cr_log_info("[%s] thp: %" PRIu64 " fault allocs, %" PRIu64 " fallbacks, %" PRIu64
		    " collapses (%" PRIu64 " pages copied) in %" PRIu64 " passes, %" PRIu64
		    " splits, %" PRIu64 " huge TLB hits", kdiff_tag(d), st->thp_fault_alloc,
		    st->thp_fault_fallback, st->thp_collapse_alloc, st->thp_collapse_copies,
		    st->khugepaged_passes, st->thp_split, st->huge_tlb_hits);
	cr_assert_gt(st->thp_fault_alloc, 0, "[%s] no huge page by a fault", kdiff_tag(d));
	cr_assert_gt(st->thp_fault_fallback, 0, "[%s] no fallback", kdiff_tag(d));
	cr_assert_gt(st->thp_split, 0, "[%s] no split", kdiff_tag(d));
	if (collapse)
		cr_assert_gt(st->thp_collapse_alloc, 0, "[%s] khugepaged never collapsed",
			     kdiff_tag(d));
}

static void thp_end(kdiff_t *d)
{
	thp_check(d, 1);
}

/* (Node 1's 24 frames seldom leave a free aligned run for khugepaged.) */
static void bind_end(kdiff_t *d)
{
	thp_check(d, 0);
	cr_assert_eq(vm_numa_stats(kdiff_vm(d))->foreign, 0, "[%s] foreign allocations",
		     kdiff_tag(d));
}

static void all_end(kdiff_t *d)
{
	thp_end(d);
	const vm_numa_stats_t *ns = vm_numa_stats(kdiff_vm(d));
	const vm_zram_stats_t *z = vm_zram_stats(kdiff_vm(d));
	cr_log_info("[%s] numa: %" PRIu64 " local, %" PRIu64 " remote, %" PRIu64
		    " foreign; zram: %" PRIu64 " stores, %" PRIu64 " loads, %" PRIu64 " rejects",
		    kdiff_tag(d), ns->local, ns->remote, ns->foreign, z->stores, z->loads,
		    z->rejects);
	cr_assert_gt(ns->local, 0, "[%s] no local references", kdiff_tag(d));
	cr_assert_gt(ns->remote, 0, "[%s] no remote references", kdiff_tag(d));
	cr_assert_gt(z->stores, 0, "[%s] no zram stores", kdiff_tag(d));
	cr_assert_gt(z->loads, 0, "[%s] no zram loads", kdiff_tag(d));
}

/* ---- the table ---- */

static const kdiff_row_t rows[] = {
	{ { .name = "thp-always", .configure = cfg_always, .fill = xs_fill, .extra = always_op,
	    .extra_pct = 8, .at_end = thp_end },
	  &M_THP, 0xa021 },
	{ { .name = "thp-madvise", .configure = cfg_madvise, .fill = xs_fill, .extra = madvise_op,
	    .extra_pct = 12, .at_end = thp_end },
	  &M_THP, 0xa002 },
	{ { .name = "thp-numa-zram", .configure = cfg_all, .fill = xs_fill_mixed, .extra = always_op,
	    .extra_pct = 8, .after_op = all_after, .at_end = all_end,
	    .no_swap_ins = 1 /* (zRAM's loads are checked instead) */ },
	  &M_THP, 0xa003 },
	{ { .name = "thp-numa-bind1", .configure = cfg_bind, .fill = xs_fill, .extra = always_op,
	    .extra_pct = 8, .after_op = bind_after, .at_end = bind_end },
	  &M_THP, 0xa004 },
};

#define NROWS (sizeof rows / sizeof rows[0])
#define DIFF3_MAX_POLICIES 64

ParameterizedTestParameters(kernel_diff3, every_policy)
{
	static kdiff_param_t params[NROWS * DIFF3_MAX_POLICIES];
	size_t n = kdiff_params(NROWS, params, sizeof params / sizeof params[0]);
	return cr_make_param_array(kdiff_param_t, params, n);
}

ParameterizedTest(kdiff_param_t *p, kernel_diff3, every_policy, .timeout = 300)
{
	kdiff_run_row(rows, p);
}
