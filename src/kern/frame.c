/* frame.c - the reverse map, and the hardware-bit helpers policies use. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "util/vmerr.h"

int frame_rmap_add(vm_machine_t *vm, uint32_t f, uint32_t p, uint64_t vpn, uint64_t pte_pa)
{
	uint32_t i = vm->rmap_free;
	if (i != RMAP_NONE) {
		vm->rmap_free = vm->rmaps[i].next;
	} else {
		if (vm->nrmaps == vm->rmaps_cap) {
			uint32_t cap = vm->rmaps_cap ? vm->rmaps_cap * 2 : 64;
			int rc;
			rmap_t *r = budget_realloc(&vm->budget, BUDGET_RMAPS, vm->rmaps,
						   (uint64_t)vm->rmaps_cap * sizeof *r,
						   (uint64_t)cap * sizeof *r, &rc);
			if (!r)
				return rc;
			vm->rmaps = r;
			vm->rmaps_cap = cap;
		}
		i = vm->nrmaps++;
	}
	vm->rmaps[i] = (rmap_t){ .pte_pa = pte_pa, .vpn = vpn, .proc = p,
				 .next = vm->frames[f].rmap };
	vm->frames[f].rmap = i;
	vm->frames[f].refs++;
	return VM_OK;
}

void frame_rmap_del(vm_machine_t *vm, uint32_t f, uint64_t pte_pa)
{
	uint32_t *link = &vm->frames[f].rmap;
	while (vm->rmaps[*link].pte_pa != pte_pa) {
		link = &vm->rmaps[*link].next;
		assert(*link != RMAP_NONE);
	}
	uint32_t i = *link;
	*link = vm->rmaps[i].next;
	vm->rmaps[i].next = vm->rmap_free;
	vm->rmap_free = i;
	assert(vm->frames[f].refs > 0);
	vm->frames[f].refs--;
}

void frame_release(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	assert(fr->used && fr->refs == 0 && fr->rmap == RMAP_NONE && fr->obj == OBJ_NONE);
	vm->pol->on_evict(vm->pol_state, f, POLICY_RELEASE);
	if (vm->phys.umem) /* junk, so that a stale use of the frame shows */
		memset(phys_user_page(&vm->phys, f), 0x6b, geom_page_size(&vm->g));
	*fr = (frame_t){ .swap_slot = SLOT_NONE, .rmap = RMAP_NONE, .obj = OBJ_NONE,
			 .hnext = FRAME_NIL };
	idset_put(&vm->free_frames, f);
	vm->st.resident_pages--;
}

void frame_rmap_clear(vm_machine_t *vm, uint32_t f)
{
	uint32_t i = vm->frames[f].rmap;
	while (i != RMAP_NONE) {
		uint32_t next = vm->rmaps[i].next;
		vm->rmaps[i].next = vm->rmap_free;
		vm->rmap_free = i;
		i = next;
	}
	vm->frames[f].rmap = RMAP_NONE;
	vm->frames[f].refs = 0;
}

bool vm_frame_young(vm_machine_t *vm, frame_id_t f)
{
	assert(f < vm->cfg.frames && vm->frames[f].used);
	for (uint32_t i = vm->frames[f].rmap; i != RMAP_NONE; i = vm->rmaps[i].next)
		if (phys_read64(&vm->phys, vm->rmaps[i].pte_pa) & PTE_A)
			return true;
	return false;
}

bool vm_frame_test_and_clear_young(vm_machine_t *vm, frame_id_t f)
{
	assert(f < vm->cfg.frames && vm->frames[f].used);
	bool young = false;
	for (uint32_t i = vm->frames[f].rmap; i != RMAP_NONE; i = vm->rmaps[i].next) {
		const rmap_t *r = &vm->rmaps[i];
		uint64_t pte = phys_read64(&vm->phys, r->pte_pa);
		if (pte & PTE_A) {
			phys_write64(&vm->phys, r->pte_pa, pte & ~PTE_A);
			tlb_flush_page(&vm->tlb, vm->procs[r->proc].asid, r->vpn);
			young = true;
		}
	}
	return young;
}

bool vm_frame_dirty(vm_machine_t *vm, frame_id_t f)
{
	assert(f < vm->cfg.frames && vm->frames[f].used);
	if (vm->frames[f].dirty)
		return true;
	for (uint32_t i = vm->frames[f].rmap; i != RMAP_NONE; i = vm->rmaps[i].next)
		if (phys_read64(&vm->phys, vm->rmaps[i].pte_pa) & PTE_D)
			return true;
	return false;
}

void frame_put_anon(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	if (fr->refs || fr->obj != OBJ_NONE)
		return;
	swap_uncache(vm, f);
	fr->dirty = 0;
	frame_release(vm, f);
}
