/* test_fastpath.c - the per-reference fast path gives the counts of the full
 * one: the TLB's most-recent entries tried first without a new LRU stamp,
 * the stamps renumbered before their clock wraps, a write after a read on
 * the same TLB entry still setting the dirty bit, address-space ids and the
 * policy told of every reference, repeats included.  Every expected number
 * is worked out by hand in the comments. */
#include <criterion/criterion.h>

#include "vmlab.h"
#include "hw/pte.h"
#include "hw/tlb.h"

/* A machine of the run defaults with frames, TLB entries:ways and policy. */
static vm_machine_t *fp_machine(uint32_t frames, uint32_t entries, uint32_t ways,
				const char *policy)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = frames;
	c.tlb_entries = entries;
	c.tlb_ways = ways;
	c.policy = policy;
	char err[256];
	vm_machine_t *vm = NULL;
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

/* One set of 4 ways, filled with 1..4 (stamps 1..4), then 2 and 1 used
 * (stamps 5, 6): LRU order 3, 4, 2, 1.  With the clock one below its top, 4
 * takes the last stamp and 3's lookup renumbers the set (3:1 2:2 1:3 4:4,
 * clock 4) before taking stamp 5: order 2, 1, 4, 3.  A wrapped clock would
 * give 3 stamp 0 and make it the next victim instead of 2. */
Test(fastpath, tlb_stamps_renumbered_before_the_clock_wraps)
{
	tlb_t t;
	cr_assert_eq(tlb_init(&t, 4, 4), 0);
	for (uint64_t v = 1; v <= 4; v++)
		tlb_fill(&t, 0, v, 10 + v, PTE_P | PTE_W | PTE_U);
	cr_assert_not_null(tlb_lookup(&t, 0, 2));
	cr_assert_not_null(tlb_lookup(&t, 0, 1));
	t.clock = UINT32_MAX - 1;
	cr_assert_not_null(tlb_lookup(&t, 0, 4));
	cr_assert_eq(t.clock, UINT32_MAX);
	cr_assert_not_null(tlb_lookup(&t, 0, 3));
	cr_assert_eq(t.clock, 5);
	tlb_fill(&t, 0, 5, 15, PTE_P | PTE_U); /* evicts 2 */
	cr_assert_null(tlb_lookup(&t, 0, 2));
	tlb_fill(&t, 0, 6, 16, PTE_P | PTE_U); /* evicts 1 */
	cr_assert_null(tlb_lookup(&t, 0, 1));
	cr_assert_eq(tlb_lookup(&t, 0, 4)->pfn, 14);
	cr_assert_eq(tlb_lookup(&t, 0, 3)->pfn, 13);
	cr_assert_eq(tlb_lookup(&t, 0, 5)->pfn, 15);
	cr_assert_eq(tlb_lookup(&t, 0, 6)->pfn, 16);
	tlb_free(&t);
}

/* One set of 2 ways.  Fill A=1, B=2 (stamps 1, 2); B again (the most recent:
 * no stamp), A (the one before: stamp 3), A again; C's fill evicts B, the
 * LRU.  Then A (stamp 5 after C's 4) and D evicts C.  A flushed most-recent
 * entry is not found. */
Test(fastpath, tlb_recent_entries_keep_exact_lru)
{
	tlb_t t;
	cr_assert_eq(tlb_init(&t, 2, 2), 0);
	tlb_fill(&t, 0, 1, 11, PTE_P | PTE_U);
	tlb_fill(&t, 0, 2, 12, PTE_P | PTE_U);
	cr_assert_not_null(tlb_lookup(&t, 0, 2));
	cr_assert_not_null(tlb_lookup(&t, 0, 1));
	cr_assert_not_null(tlb_lookup(&t, 0, 1));
	tlb_fill(&t, 0, 3, 13, PTE_P | PTE_U);
	cr_assert_null(tlb_lookup(&t, 0, 2));
	cr_assert_eq(tlb_lookup(&t, 0, 1)->pfn, 11);
	tlb_fill(&t, 0, 4, 14, PTE_P | PTE_U);
	cr_assert_null(tlb_lookup(&t, 0, 3));
	cr_assert_eq(tlb_lookup(&t, 0, 1)->pfn, 11);
	cr_assert_null(tlb_lookup(&t, 1, 1)); /* another address space */
	tlb_flush_page(&t, 0, 1);
	cr_assert_null(tlb_lookup(&t, 0, 1));
	cr_assert_eq(tlb_lookup(&t, 0, 4)->pfn, 14);
	tlb_free(&t);
}

/* One frame.  R page 1: TLB miss, fault, miss again on the retry (2 misses).
 * W page 1 hits the entry the read filled, whose dirty bit is not known set:
 * the hit sets D in the PTE (1 hit).  R page 2: miss, fault evicting page 1,
 * dirty, so written back; retry miss.  With a read instead of the write
 * nothing is written back. */
Test(fastpath, write_after_read_on_one_entry_sets_the_dirty_bit)
{
	for (int write = 0; write <= 1; write++) {
		vm_machine_t *vm = fp_machine(1, 64, 4, "clock");
		cr_assert_eq(vm_access(vm, 0, 0x1000, 1, VM_READ), 0);
		cr_assert_eq(vm_access(vm, 0, 0x1008, 4, write ? VM_WRITE : VM_READ), 0);
		cr_assert_eq(vm_access(vm, 0, 0x2000, 1, VM_READ), 0);
		const vm_stats_t *s = vm_stats(vm);
		cr_assert_eq(s->references, 3);
		cr_assert_eq(s->reads, write ? 2 : 3);
		cr_assert_eq(s->writes, write ? 1 : 0);
		cr_assert_eq(s->page_faults, 2);
		cr_assert_eq(s->tlb_hits, 1);
		cr_assert_eq(s->tlb_misses, 4);
		cr_assert_eq(s->evictions, 1);
		cr_assert_eq(s->dirty_writebacks, write ? 1 : 0, "write=%d", write);
		vm_destroy(vm);
	}
}

/* Page 1 of pid 1, of pid 2, of pid 1: the second is another address space's
 * page (2 misses, a fault), the third hits pid 1's entry, the one before the
 * most recent. */
Test(fastpath, the_recent_entry_belongs_to_one_address_space)
{
	vm_machine_t *vm = fp_machine(4, 64, 4, "clock");
	cr_assert_eq(vm_access(vm, 1, 0x1000, 1, VM_READ), 0);
	cr_assert_eq(vm_access(vm, 2, 0x1000, 1, VM_READ), 0);
	cr_assert_eq(vm_access(vm, 1, 0x1000, 1, VM_IFETCH), 0);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->processes, 2);
	cr_assert_eq(s->distinct_pages, 2);
	cr_assert_eq(s->page_faults, 2);
	cr_assert_eq(s->tlb_hits, 1);
	cr_assert_eq(s->tlb_misses, 4);
	cr_assert_eq(s->ifetches, 1);
	vm_destroy(vm);
}

/* LFU with 2 frames on 0 1 1 1 2 0 1: the repeats of 1 count, so at 2 the
 * victim is 0 (1 use against 3), at 0 it is 2 (1 against 3), and the last 1
 * hits: 4 faults.  Repeats not told to the policy would leave 1 at one use,
 * evict it at the second 0 (ties go to the oldest arrival) and fault 5
 * times. */
Test(fastpath, every_repeat_reaches_a_policy_that_counts_references)
{
	static const uint64_t pages[] = { 0, 1, 1, 1, 2, 0, 1 };
	vm_machine_t *vm = fp_machine(2, 64, 4, "lfu");
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
		cr_assert_eq(vm_ref(vm, 0, pages[i], VM_READ), 0);
	cr_assert_eq(vm_stats(vm)->references, 7);
	cr_assert_eq(vm_stats(vm)->page_faults, 4);
	vm_destroy(vm);
}
