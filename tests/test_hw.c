/* test_hw.c - the simulated hardware: PTE bits, geometry, TLB, MMU walks. */
#include <criterion/criterion.h>
#include <string.h>

#include "vmlab.h"
#include "hw/mmu.h"
#include "hw/pte.h"
#include "hw/tlb.h"
#include "kern/explain.h"
#include "util/vmerr.h"

/* ---- PTE encode / decode ---- */

Test(pte, encode_decode_frame_and_flags)
{
	uint64_t pte = pte_make(0x12345, PTE_P | PTE_W | PTE_U);
	cr_assert_eq(pte, (0x12345ull << 12) | 0x7);
	cr_assert_eq(pte_pfn(pte), 0x12345);
	cr_assert_eq(pte_pfn(pte | PTE_A | PTE_D | PTE_NX), 0x12345);
	/* the frame field is 50 bits wide: bits above it never leak in */
	cr_assert_eq(pte_pfn(pte_make((1ull << 50) | 7, 0)), 7);
	cr_assert_eq(pte_make((1ull << 50) - 1, 0), 0x3ffffffffffff000ull);
}

Test(pte, x86_bit_positions)
{
	cr_assert_eq(PTE_P, 1ull);
	cr_assert_eq(PTE_W, 2ull);
	cr_assert_eq(PTE_U, 4ull);
	cr_assert_eq(PTE_A, 0x20ull);
	cr_assert_eq(PTE_D, 0x40ull);
	cr_assert_eq(PTE_NX, 0x8000000000000000ull);
}

Test(pte, swap_entry_is_not_present_and_keeps_slot)
{
	uint64_t pte = pte_make_swap(77);
	cr_assert_eq(pte & PTE_P, 0);
	cr_assert_neq(pte & PTE_SWAP, 0);
	cr_assert_eq(pte_pfn(pte), 77);
}

/* ---- geometry ---- */

static geom_t geom_ok(unsigned ps, unsigned va, unsigned pa, unsigned levels)
{
	geom_t g;
	char err[256];
	int rc = geom_init(&g, ps, va, pa, levels, err, sizeof err);
	cr_assert_eq(rc, 0, "geom_init(%u,%u,%u,%u): %s", ps, va, pa, levels, err);
	return g;
}

Test(geom, default_is_four_levels_of_nine_bits)
{
	geom_t g = geom_ok(4096, 48, 52, 0);
	cr_assert_eq(g.page_shift, 12);
	cr_assert_eq(g.levels, 4);
	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(g.level_bits[i], 9);
		cr_assert_eq(g.level_shift[i], 12 + 9 * i);
		cr_assert_eq(g.level_frames[i], 1);
	}
	cr_assert_eq(g.kbase_pfn, 1ull << 40);
	/* VA 0x7f12_3456_789a: L1 index = bits 47..39 = 0xfe, leaf = bits 20..12 = 0x167 */
	cr_assert_eq(geom_index(&g, 0x7f123456789aull, 3), 0xfe);
	cr_assert_eq(geom_index(&g, 0x7f123456789aull, 0), 0x167);
	cr_assert_eq(geom_vpo(&g, 0x7f123456789aull), 0x89a);
}

Test(geom, csapp_one_level_table_spans_contiguous_frames)
{
	/* 14-bit VA, 64-byte pages: 8 VPN bits, one table of 256 PTEs = 2 KiB = 32 pages */
	geom_t g = geom_ok(64, 14, 12, 1);
	cr_assert_eq(g.levels, 1);
	cr_assert_eq(g.vpn_bits, 8);
	cr_assert_eq(g.level_bits[0], 8);
	cr_assert_eq(g.level_frames[0], 32);
	cr_assert_eq(g.kbase_pfn, 64);
}

Test(geom, derived_levels_put_the_remainder_on_top)
{
	/* 64-byte pages index 8 entries (3 bits); 8 VPN bits -> 3 levels 3,3,2 */
	geom_t g = geom_ok(64, 14, 12, 0);
	cr_assert_eq(g.levels, 3);
	cr_assert_eq(g.level_bits[0], 3);
	cr_assert_eq(g.level_bits[1], 3);
	cr_assert_eq(g.level_bits[2], 2);
	cr_assert_eq(g.level_shift[2], 12);
}

Test(geom, chosen_levels_split_evenly_top_takes_remainder)
{
	geom_t g = geom_ok(64, 14, 12, 3); /* 8 bits over 3 levels: 2,2,4 */
	cr_assert_eq(g.level_bits[0], 2);
	cr_assert_eq(g.level_bits[1], 2);
	cr_assert_eq(g.level_bits[2], 4);
	g = geom_ok(4096, 48, 52, 2); /* 36 bits: 18,18; 2 MiB tables = 512 pages */
	cr_assert_eq(g.level_bits[0], 18);
	cr_assert_eq(g.level_bits[1], 18);
	cr_assert_eq(g.level_frames[1], 512);
}

Test(geom, impossible_layouts_are_refused)
{
	geom_t g;
	char err[256];
	cr_assert_eq(geom_init(&g, 3000, 48, 52, 0, err, sizeof err), VM_EINVAL);
	cr_assert(strstr(err, "power of two"), "%s", err);
	cr_assert_eq(geom_init(&g, 8, 48, 52, 0, err, sizeof err), VM_EINVAL);
	cr_assert_eq(geom_init(&g, 131072, 48, 52, 0, err, sizeof err), VM_EINVAL);
	/* 16-byte pages index 2 entries: 44 VPN bits would need 44 levels */
	cr_assert_eq(geom_init(&g, 16, 48, 52, 0, err, sizeof err), VM_EINVAL);
	cr_assert(strstr(err, "44 levels"), "%s", err);
	cr_assert_eq(geom_init(&g, 4096, 65, 52, 0, err, sizeof err), VM_EINVAL);
	cr_assert_eq(geom_init(&g, 4096, 12, 52, 0, err, sizeof err), VM_EINVAL);
	cr_assert_eq(geom_init(&g, 4096, 48, 53, 0, err, sizeof err), VM_EINVAL);
	cr_assert_eq(geom_init(&g, 4096, 48, 52, 6, err, sizeof err), VM_EINVAL);
	/* one level of 2^36 entries would be 512 GiB */
	cr_assert_eq(geom_init(&g, 4096, 48, 52, 1, err, sizeof err), VM_EINVAL);
	/* 16-byte pages work with a small VA: 10 VPN bits in 5 levels of 2 */
	g = geom_ok(16, 14, 12, 5);
	cr_assert_eq(g.level_bits[4], 2);
}

/* ---- TLB ---- */

Test(tlb, shape_checks)
{
	char err[256];
	cr_assert_eq(tlb_check_shape(0, 0, err, sizeof err), 0);
	cr_assert_eq(tlb_check_shape(64, 4, err, sizeof err), 0);
	cr_assert_eq(tlb_check_shape(4, 8, err, sizeof err), VM_EINVAL);
	cr_assert_eq(tlb_check_shape(6, 4, err, sizeof err), VM_EINVAL);
	cr_assert_eq(tlb_check_shape(8, 0, err, sizeof err), VM_EINVAL);
}

Test(tlb, set_index_is_vpn_mod_sets_and_lru_within_a_set)
{
	tlb_t t;
	cr_assert_eq(tlb_init(&t, 4, 2), 0); /* 2 sets of 2 ways */
	cr_assert_eq(tlb_set_of(&t, 6), 0);
	cr_assert_eq(tlb_tag_of(&t, 6), 3);
	tlb_fill(&t, 0, 0, 100, PTE_P | PTE_W | PTE_U); /* set 0 */
	tlb_fill(&t, 0, 2, 102, PTE_P | PTE_W | PTE_U); /* set 0 */
	tlb_fill(&t, 0, 1, 101, PTE_P | PTE_W | PTE_U); /* set 1 */
	cr_assert_not_null(tlb_lookup(&t, 0, 0));          /* 0 is now MRU of set 0 */
	tlb_fill(&t, 0, 4, 104, PTE_P | PTE_W | PTE_U); /* evicts 2, the LRU */
	cr_assert_null(tlb_lookup(&t, 0, 2));
	cr_assert_eq(tlb_lookup(&t, 0, 0)->pfn, 100);
	cr_assert_eq(tlb_lookup(&t, 0, 4)->pfn, 104);
	cr_assert_eq(tlb_lookup(&t, 0, 1)->pfn, 101); /* set 1 untouched */
	tlb_free(&t);
}

Test(tlb, address_space_ids_and_invalidation)
{
	tlb_t t;
	cr_assert_eq(tlb_init(&t, 8, 8), 0); /* fully associative */
	tlb_fill(&t, 1, 5, 50, PTE_P | PTE_U);
	tlb_fill(&t, 2, 5, 60, PTE_P | PTE_U);
	tlb_fill(&t, 2, 6, 61, PTE_P | PTE_U);
	cr_assert_eq(tlb_lookup(&t, 1, 5)->pfn, 50);
	cr_assert_eq(tlb_lookup(&t, 2, 5)->pfn, 60);
	cr_assert_null(tlb_lookup(&t, 3, 5));
	tlb_flush_page(&t, 2, 5);
	cr_assert_null(tlb_lookup(&t, 2, 5));
	cr_assert_not_null(tlb_lookup(&t, 1, 5));
	tlb_flush_asid(&t, 2);
	cr_assert_null(tlb_lookup(&t, 2, 6));
	cr_assert_not_null(tlb_lookup(&t, 1, 5));
	tlb_flush_all(&t);
	cr_assert_null(tlb_lookup(&t, 1, 5));
	tlb_free(&t);
}

/* ---- MMU through a machine ---- */

static vm_machine_t *machine(unsigned ps, unsigned va, unsigned pa, unsigned levels,
			     uint32_t tlb_entries, uint32_t tlb_ways)
{
	vm_config_t c;
	vm_config_default(&c);
	c.page_size = ps;
	c.va_bits = va;
	c.pa_bits = pa;
	c.levels = levels;
	c.tlb_entries = tlb_entries;
	c.tlb_ways = tlb_ways;
	c.frames = 1;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

Test(mmu, walk_reads_one_pte_per_level_and_sets_accessed)
{
	vm_machine_t *vm = machine(4096, 48, 52, 0, 0, 0);
	cr_assert_eq(vm_set_pte(vm, 0, 0x12345, 1, 7, PTE_W | PTE_U), 0);
	mmu_result_t r;
	mmu_log_t log;
	cr_assert_eq(vm_translate_logged(vm, 0, 0x12345abc, MMU_READ, &r, &log), MMU_OK);
	cr_assert_eq(r.pfn, 7);
	cr_assert_eq(log.tlb_hit, 0);
	cr_assert_eq(log.nsteps, 4);
	/* VPN 0x12345 = L1 0, L2 0, L3 0x91, L4 0x145 */
	cr_assert_eq(log.steps[0].index, 0);
	cr_assert_eq(log.steps[2].index, 0x91);
	cr_assert_eq(log.steps[3].index, 0x145);
	/* the leaf now has A, not D; a write sets D */
	uint64_t leaf = log.steps[3].pte;
	cr_assert_eq(leaf & (PTE_A | PTE_D), 0, "the log holds the entry as read");
	vm_translate_logged(vm, 0, 0x12345abc, MMU_WRITE, &r, &log);
	cr_assert_eq(log.steps[3].pte & (PTE_A | PTE_D), PTE_A);
	vm_translate_logged(vm, 0, 0x12345abc, MMU_READ, &r, &log);
	cr_assert_eq(log.steps[3].pte & (PTE_A | PTE_D), PTE_A | PTE_D);
	vm_destroy(vm);
}

Test(mmu, faults_and_their_reasons)
{
	vm_machine_t *vm = machine(4096, 48, 52, 0, 64, 4);
	mmu_result_t r;
	mmu_log_t log;
	/* nothing mapped: the walk stops at the first (L1) entry */
	cr_assert_eq(vm_translate_logged(vm, 0, 0x1000, MMU_READ, &r, &log), MMU_FAULT_NOT_PRESENT);
	cr_assert_eq(log.nsteps, 1);
	cr_assert_eq(r.fault_level, 1);
	/* a not-present leaf: four entries read, fault at L4 */
	vm_set_pte(vm, 0, 1, 0, 0, 0);
	cr_assert_eq(vm_translate_logged(vm, 0, 0x1000, MMU_READ, &r, &log), MMU_FAULT_NOT_PRESENT);
	cr_assert_eq(log.nsteps, 4);
	cr_assert_eq(r.fault_level, 4);
	vm_set_pte(vm, 0, 2, 1, 3, PTE_U | PTE_NX); /* read-only, no execute */
	cr_assert_eq(vm_translate_logged(vm, 0, 0x2000, MMU_WRITE, &r, &log), MMU_FAULT_PROTECTION);
	cr_assert_eq(r.reason, MMU_REASON_WRITE_RDONLY);
	cr_assert_eq(vm_translate_logged(vm, 0, 0x2000, MMU_EXEC, &r, &log), MMU_FAULT_PROTECTION);
	cr_assert_eq(r.reason, MMU_REASON_EXEC_NX);
	cr_assert_eq(vm_translate_logged(vm, 0, 0x2000, MMU_READ, &r, &log), MMU_OK);
	/* now in the TLB: the same faults are found from the entry, no walk */
	cr_assert_eq(vm_translate_logged(vm, 0, 0x2000, MMU_WRITE, &r, &log), MMU_FAULT_PROTECTION);
	cr_assert_eq(log.tlb_hit, 1);
	cr_assert_eq(r.reason, MMU_REASON_WRITE_RDONLY);
	vm_set_pte(vm, 0, 3, 1, 4, PTE_W); /* supervisor page */
	cr_assert_eq(vm_translate_logged(vm, 0, 0x3000, MMU_READ, &r, &log), MMU_FAULT_PROTECTION);
	cr_assert_eq(r.reason, MMU_REASON_SUPERVISOR);
	vm_destroy(vm);
}

/* ---- counters of a trace-mode machine, worked by hand ---- */

static vm_machine_t *trace_machine(uint32_t frames, uint32_t tlb_entries, uint32_t ways)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = frames;
	c.tlb_entries = tlb_entries;
	c.tlb_ways = ways;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

Test(machine, first_touch_then_tlb_hit)
{
	vm_machine_t *vm = trace_machine(4, 64, 4);
	vm_ref(vm, 0, 5, 'R');
	vm_ref(vm, 0, 5, 'W');
	const vm_stats_t *s = vm_stats(vm);
	/* ref 1: miss, walk reads L1 (not present) = 1 PTE, minor fault;
	 * retry: miss, walk reads 4 PTEs, fills the TLB; ref 2: hit */
	cr_assert_eq(s->references, 2);
	cr_assert_eq(s->page_faults, 1);
	cr_assert_eq(s->minor_faults, 1);
	cr_assert_eq(s->tlb_misses, 2);
	cr_assert_eq(s->tlb_hits, 1);
	cr_assert_eq(s->walk_memory_refs, 5);
	cr_assert_eq(s->page_table_pages, 4);
	cr_assert_eq(s->distinct_pages, 1);
	cr_assert_eq(s->tlb_hits + s->tlb_misses, s->references + s->page_faults);
	vm_destroy(vm);
}

Test(machine, no_tlb_walks_every_time)
{
	vm_machine_t *vm = trace_machine(4, 0, 0);
	vm_ref(vm, 0, 5, 'R');
	vm_ref(vm, 0, 5, 'R');
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->tlb_hits, 0);
	cr_assert_eq(s->tlb_misses, 3);
	cr_assert_eq(s->page_walks, 3);
	cr_assert_eq(s->walk_memory_refs, 1 + 4 + 4);
	vm_destroy(vm);
}

Test(machine, dirty_eviction_goes_to_swap_and_comes_back_major)
{
	vm_machine_t *vm = trace_machine(1, 64, 4);
	vm_ref(vm, 0, 1, 'W'); /* minor, dirty */
	vm_ref(vm, 0, 2, 'R'); /* minor; evicts 1: write-back to slot 0 */
	vm_ref(vm, 0, 1, 'R'); /* major: swap-in; evicts 2 (clean, no copy: dropped) */
	vm_ref(vm, 0, 2, 'R'); /* minor again (never written); evicts 1 (clean, keeps its copy) */
	vm_ref(vm, 0, 1, 'R'); /* major again, no new write */
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->minor_faults, 3);
	cr_assert_eq(s->major_faults, 2);
	cr_assert_eq(s->swap_ins, 2);
	cr_assert_eq(s->swap_outs, 1);
	cr_assert_eq(s->dirty_writebacks, 1);
	cr_assert_eq(s->evictions, 4);
	cr_assert_eq(s->distinct_pages, 2);
	cr_assert_eq(s->swap_slots_used, 1);
	cr_assert_eq(s->resident_pages_peak, 1);
	vm_destroy(vm);
}

Test(machine, bounded_swap_fills_up)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = 1;
	c.swap_slots = 1;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0);
	cr_assert_eq(vm_ref(vm, 0, 1, 'W'), 0);
	cr_assert_eq(vm_ref(vm, 0, 2, 'W'), 0);        /* 1 goes to the only slot */
	cr_assert_eq(vm_ref(vm, 0, 3, 'W'), VM_ENOSPC); /* 2 has nowhere to go */
	vm_destroy(vm);
}

Test(machine, processes_have_separate_tables_and_asids)
{
	vm_machine_t *vm = trace_machine(8, 64, 4);
	vm_ref(vm, 1, 7, 'R');
	vm_ref(vm, 2, 7, 'R');
	vm_ref(vm, 1, 7, 'R');
	vm_ref(vm, 2, 7, 'R');
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->processes, 2);
	cr_assert_eq(s->page_faults, 2);
	cr_assert_eq(s->distinct_pages, 2);
	cr_assert_eq(s->tlb_hits, 2); /* each process hits its own entry */
	cr_assert_eq(s->page_table_pages, 8);
	vm_destroy(vm);
}

Test(machine, access_split_into_pages_modify_reads_then_writes)
{
	vm_machine_t *vm = trace_machine(8, 64, 4);
	/* 8 bytes at 0x1ffc span pages 1 and 2: M = R1 R2 W1 W2 */
	cr_assert_eq(vm_access(vm, 0, 0x1ffc, 8, 'M'), 0);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->references, 4);
	cr_assert_eq(s->reads, 2);
	cr_assert_eq(s->writes, 2);
	cr_assert_eq(s->page_faults, 2);
	cr_assert_eq(vm_access(vm, 0, 0xffffffffffffull, 2, 'R'), VM_ERANGE);
	vm_destroy(vm);
}
