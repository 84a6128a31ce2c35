/* frame.h - layer 1: user frames, the reverse map (which PTEs map a frame)
 * and the hardware bits of a frame's page as a policy reads them (prefix
 * frame_; vm_frame_* for the three bits, the names policies know). */
#ifndef VMLAB_KERN_FRAME_H
#define VMLAB_KERN_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/numa.h"

/* Record that the PTE at pte_pa (process p, page vpn) maps frame f. */
int frame_rmap_add(vm_machine_t *vm, uint32_t f, uint32_t p, uint64_t vpn, uint64_t pte_pa);
/* Forget the mapping of f by the PTE at pte_pa. */
void frame_rmap_del(vm_machine_t *vm, uint32_t f, uint64_t pte_pa);
/* Forget every mapping of f (the PTEs themselves are the caller's). */
void frame_rmap_clear(vm_machine_t *vm, uint32_t f);
/* n more frames hold pages: the resident count and its peak. */
static inline void frame_resident_add(vm_machine_t *vm, uint64_t n)
{
	vm->st.resident_pages += n;
	if (vm->st.resident_pages > vm->st.resident_pages_peak)
		vm->st.resident_pages_peak = vm->st.resident_pages;
}
/* Give frame f back (nothing maps or caches it): the policy forgets it
 * (POLICY_RELEASE), it becomes free. */
void frame_release(vm_machine_t *vm, uint32_t f);
/* Hardware bits of the page in frame f, through every PTE that maps it
 * (the reverse map): any accessed bit set; the same, clearing those bits and
 * dropping their TLB entries; must be written back before reuse. */
bool vm_frame_young(vm_machine_t *vm, frame_id_t f);
bool vm_frame_test_and_clear_young(vm_machine_t *vm, frame_id_t f);
bool vm_frame_dirty(vm_machine_t *vm, frame_id_t f);
/* Those three bits as a policy's host gives them (policy_hw_ops_t; host:
 * the vm_machine_t). */
extern const policy_hw_ops_t frame_hw_ops;

#endif
