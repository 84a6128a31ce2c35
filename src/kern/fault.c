/* fault.c - the page-fault handler and eviction (trace mode: every page is
 * anonymous and may be read, written and executed). */
#include <assert.h>

#include "kern.h"
#include "util/vmerr.h"

/* The PTE flags of a page mapped in trace mode: present, writable, user. */
#define FAULT_ANON_FLAGS (PTE_P | PTE_W | PTE_U | PTE_SEEN)

int fault_evict(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	assert(fr->used);
	if (vm_frame_dirty(vm, f)) {
		if (fr->swap_slot == SLOT_NONE) {
			int rc = idset_take(&vm->swap, &fr->swap_slot);
			if (rc)
				return rc;
		}
		vm->st.swap_outs++;
		vm->st.dirty_writebacks++;
	}
	uint64_t gone = fr->swap_slot == SLOT_NONE ? PTE_SEEN : pte_make_swap(fr->swap_slot);
	for (uint32_t i = fr->rmap; i != RMAP_NONE; i = vm->rmaps[i].next) {
		const rmap_t *r = &vm->rmaps[i];
		phys_write64(&vm->phys, r->pte_pa, gone);
		tlb_flush_page(&vm->tlb, vm->procs[r->proc].asid, r->vpn);
		vm->procs[r->proc].resident--;
	}
	frame_rmap_clear(vm, f);
	vm->pol->on_evict(vm->pol_state, f);
	fr->used = 0;
	fr->swap_slot = SLOT_NONE;
	idset_put(&vm->free_frames, f);
	vm->st.evictions++;
	vm->st.resident_pages--;
	return VM_OK;
}

/* A free frame: the lowest free one, or the policy's victim once evicted. */
static int fault_get_frame(vm_machine_t *vm, uint32_t *f)
{
	uint64_t id;
	if (idset_take(&vm->free_frames, &id) != VM_OK) {
		frame_id_t victim = vm->pol->pick_victim(vm->pol_state);
		assert(victim < vm->cfg.frames && vm->frames[victim].used);
		int rc = fault_evict(vm, victim);
		if (rc)
			return rc;
		rc = idset_take(&vm->free_frames, &id);
		assert(rc == VM_OK);
	}
	*f = (uint32_t)id;
	return VM_OK;
}

int fault_handle(vm_machine_t *vm, uint32_t p, uint64_t va, const mmu_result_t *r,
		 uint64_t seq)
{
	/* Trace mode maps every page rwx, so only not-present faults happen. */
	assert(r->status == MMU_FAULT_NOT_PRESENT);
	uint64_t pte_pa, pte;
	int rc = proc_pte_alloc(vm, p, va, &pte_pa);
	if (rc)
		return rc;
	pte = phys_read64(&vm->phys, pte_pa);
	assert(!(pte & PTE_P));

	uint32_t f;
	rc = fault_get_frame(vm, &f);
	if (rc)
		return rc;
	frame_t *fr = &vm->frames[f];
	if (pte & PTE_SWAP) {
		fr->swap_slot = pte_pfn(pte);   /* the copy stays while the page is clean */
		vm->st.major_faults++;
		vm->st.swap_ins++;
	} else {
		fr->swap_slot = SLOT_NONE;      /* zero-fill */
		vm->st.minor_faults++;
		if (!(pte & PTE_SEEN))
			vm->st.distinct_pages++;
	}
	vm->st.page_faults++;
	rc = frame_rmap_add(vm, f, p, va >> vm->g.page_shift, pte_pa);
	if (rc) {
		idset_put(&vm->free_frames, f);
		return rc;
	}
	fr->used = 1;
	/* A and D stay clear: the retried access sets them, as hardware would. */
	phys_write64(&vm->phys, pte_pa, pte_make(f, FAULT_ANON_FLAGS));
	vm->procs[p].resident++;
	if (++vm->st.resident_pages > vm->st.resident_pages_peak)
		vm->st.resident_pages_peak = vm->st.resident_pages;
	vm->pol->on_fill(vm->pol_state, f, seq);
	return VM_OK;
}
