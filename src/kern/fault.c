/* fault.c - the fault handler of trace mode: every page is private
 * anonymous memory mapped rwx, so a fault is a zero-fill or a swap-in. */
#include <assert.h>

#include "kern/fault.h"
#include "kern/huge.h"
#include "util/vmerr.h"

/* The PTE flags of a page mapped in trace mode: present, writable, user. */
#define FAULT_ANON_FLAGS (PTE_P | PTE_W | PTE_U | PTE_SEEN)

int fault_trace(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
		const mmu_result_t *r, uint64_t seq)
{
	/* Trace mode maps every page rwx, so only not-present faults happen. */
	assert(r->status == MMU_FAULT_NOT_PRESENT);
	uint64_t pte_pa, pte;
	int rc = vm->huge ? huge_fault_trace(vm, p, va, seq) : 0;
	if (rc)
		return rc > 0 ? VM_OK : rc;
	rc = proc_walk(vm, p, va, 1, &pte_pa);
	if (rc)
		return rc;
	uint32_t f;
	policy_page_t pg = { .key = policy_key(0, p, va >> vm->g.page_shift), .seq = seq };
	int known = shadow_take(vm, pg.key, &pg.shadow); /* (lost if the fault fails) */
	rc = reclaim_get_frame(vm, &pg, &f);
	if (rc)
		return rc;
	pte = kpte_get(vm, pte_pa); /* after reclaim, which may have changed it */
	assert(!(pte & PTE_P));
	frame_t *fr = &vm->frames[f];
	if (pte & PTE_SWAP) {
		fr->swap_slot = pte_pfn(pte);   /* the copy stays while the page is clean */
		vm->procs[p].swapped--;
		vm->st.major_faults++;
		swap_count_in(vm, fr->swap_slot);
	} else {
		fr->swap_slot = SLOT_NONE;      /* zero-fill */
		vm->st.minor_faults++;
		if (!(pte & PTE_SEEN))
			vm->st.distinct_pages++;
	}
	vm->st.page_faults++;
	rc = frame_rmap_add(vm, f, p, va >> vm->g.page_shift, pte_pa);
	if (rc) {
		reclaim_put_frame(vm, f);
		return rc;
	}
	/* A and D stay clear: the retried access sets them, as hardware would. */
	kpte_set(vm, pte_pa, pte_make(f, proc_page_flags(vm, va, FAULT_ANON_FLAGS)));
	proc_rss_add(&vm->procs[p], 1);
	vm->st.refaults += known;
	vm->pol->on_fill(vm->pol_state, f, &pg);
	return VM_OK;
}
