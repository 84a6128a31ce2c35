/* frame.c - the reverse map, and the hardware-bit helpers policies use. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kern/frame.h"
#include "util/vmerr.h"

/* The bucket of vm->rmap_hash for the PTE at pte_pa (rmaps_cap buckets, a
 * power of two). */
static uint32_t *rmap_bucket(vm_machine_t *vm, uint64_t pte_pa)
{
	uint64_t h = (pte_pa >> 3) * 0x9e3779b97f4a7c15ull;
	return &vm->rmap_hash[(h >> 32) & (vm->rmaps_cap - 1)];
}

/* Make room for one more reverse-map entry: double the entries and rebuild
 * the hash over the live ones (a free entry has pte_pa 0, which no PTE
 * has: the kernel pool starts above the user frames). */
static int rmap_grow(vm_machine_t *vm)
{
	uint32_t cap = vm->rmaps_cap ? vm->rmaps_cap * 2 : 64;
	uint64_t grow = (uint64_t)(cap - vm->rmaps_cap) * (sizeof(rmap_t) + sizeof(uint32_t));
	int rc = budget_charge(&vm->budget, BUDGET_RMAPS, grow);
	if (rc)
		return rc;
	uint32_t *hash = malloc(cap * sizeof *hash);
	rmap_t *r = hash ? realloc(vm->rmaps, cap * sizeof *r) : NULL;
	if (!r) {
		free(hash);
		budget_release(&vm->budget, BUDGET_RMAPS, grow);
		return VM_ENOMEM;
	}
	memset(hash, 0xff, cap * sizeof *hash);
	free(vm->rmap_hash);
	vm->rmaps = r;
	vm->rmap_hash = hash;
	vm->rmaps_cap = cap;
	for (uint32_t i = 0; i < vm->nrmaps; i++) {
		if (!r[i].pte_pa)
			continue;
		uint32_t *b = rmap_bucket(vm, r[i].pte_pa);
		r[i].hnext = *b;
		*b = i;
	}
	return VM_OK;
}

/* Take entry i out of the hash (it is there). */
static void rmap_unhash(vm_machine_t *vm, uint32_t i)
{
	uint32_t *link = rmap_bucket(vm, vm->rmaps[i].pte_pa);
	while (*link != i) {
		assert(*link != RMAP_NONE);
		link = &vm->rmaps[*link].hnext;
	}
	*link = vm->rmaps[i].hnext;
}

/* Entry i becomes free. */
static void rmap_free_entry(vm_machine_t *vm, uint32_t i)
{
	vm->rmaps[i].pte_pa = 0;
	vm->rmaps[i].next = vm->rmap_free;
	vm->rmap_free = i;
}

int frame_rmap_add(vm_machine_t *vm, uint32_t f, uint32_t p, uint64_t vpn, uint64_t pte_pa)
{
	assert(pte_pa != 0);
	uint32_t i = vm->rmap_free;
	if (i != RMAP_NONE) {
		vm->rmap_free = vm->rmaps[i].next;
	} else {
		int rc;
		if (vm->nrmaps == vm->rmaps_cap && (rc = rmap_grow(vm)))
			return rc;
		i = vm->nrmaps++;
	}
	uint32_t head = vm->frames[f].rmap, *b = rmap_bucket(vm, pte_pa);
	vm->rmaps[i] = (rmap_t){ .pte_pa = pte_pa, .vpn = vpn, .proc = p, .next = head,
				 .prev = RMAP_NONE, .hnext = *b };
	*b = i;
	if (head != RMAP_NONE)
		vm->rmaps[head].prev = i;
	vm->frames[f].rmap = i;
	vm->frames[f].refs++;
	return VM_OK;
}

void frame_rmap_del(vm_machine_t *vm, uint32_t f, uint64_t pte_pa)
{
	uint32_t i = *rmap_bucket(vm, pte_pa);
	while (vm->rmaps[i].pte_pa != pte_pa) {
		i = vm->rmaps[i].hnext;
		assert(i != RMAP_NONE);
	}
	rmap_t *r = &vm->rmaps[i];
	rmap_unhash(vm, i);
	if (r->prev != RMAP_NONE)
		vm->rmaps[r->prev].next = r->next;
	else
		vm->frames[f].rmap = r->next;
	if (r->next != RMAP_NONE)
		vm->rmaps[r->next].prev = r->prev;
	rmap_free_entry(vm, i);
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
		rmap_unhash(vm, i);
		rmap_free_entry(vm, i);
		i = next;
	}
	vm->frames[f].rmap = RMAP_NONE;
	vm->frames[f].refs = 0;
}

bool vm_frame_young(vm_machine_t *vm, frame_id_t f)
{
	assert(f < vm->cfg.frames && vm->frames[f].used);
	for (uint32_t i = vm->frames[f].rmap; i != RMAP_NONE; i = vm->rmaps[i].next)
		if (kpte_get(vm, vm->rmaps[i].pte_pa) & PTE_A)
			return true;
	return false;
}

bool vm_frame_test_and_clear_young(vm_machine_t *vm, frame_id_t f)
{
	assert(f < vm->cfg.frames && vm->frames[f].used);
	bool young = false;
	for (uint32_t i = vm->frames[f].rmap; i != RMAP_NONE; i = vm->rmaps[i].next) {
		const rmap_t *r = &vm->rmaps[i];
		uint64_t pte = kpte_get(vm, r->pte_pa);
		if (pte & PTE_A) {
			kpte_set(vm, r->pte_pa, pte & ~PTE_A);
			mmu_flush_page(&vm->mmu, vm->procs[r->proc].asid, r->vpn); /* a huge entry too */
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
		if (kpte_get(vm, vm->rmaps[i].pte_pa) & PTE_D)
			return true;
	return false;
}

static bool hw_young(void *host, frame_id_t f)
{
	return vm_frame_young(host, f);
}

static bool hw_test_and_clear_young(void *host, frame_id_t f)
{
	return vm_frame_test_and_clear_young(host, f);
}

static bool hw_dirty(void *host, frame_id_t f)
{
	return vm_frame_dirty(host, f);
}

const policy_hw_ops_t frame_hw_ops = {
	.young = hw_young,
	.test_and_clear_young = hw_test_and_clear_young,
	.dirty = hw_dirty,
};
