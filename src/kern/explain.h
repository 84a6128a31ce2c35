/* explain.h - setting up page tables and the TLB by hand and translating one
 * address with every step recorded, for `vmlab explain` (prefix vm_).  The
 * translation goes through the same MMU code as every reference of `run`. */
#ifndef VMLAB_EXPLAIN_H
#define VMLAB_EXPLAIN_H

#include <stdint.h>

#include "vmlab.h"
#include "hw/mmu.h"

/* Make process pid (its root table) if it is not there yet.  0, or
 * VM_ENOMEM / VM_ELIMIT when its root passes host memory or the budget. */
int vm_explain_proc(vm_machine_t *vm, uint32_t pid);

/* Set process pid's leaf PTE for vpn, creating the tables above it.  With
 * present 0 the entry is written not present (0).  flags are PTE_W / PTE_U /
 * PTE_NX bits; in the kernel half U is cleared and G set (a kernel page).  Returns 0, VM_ERANGE (vpn or pfn too large) or VM_ENOMEM. */
int vm_set_pte(vm_machine_t *vm, uint32_t pid, uint64_t vpn, int present,
	       uint64_t pfn, uint64_t flags);

/* Translations from now on as the CPU in kernel mode (kernel set: U=0
 * pages allowed) or in user mode (the default). */
void vm_explain_mode(vm_machine_t *vm, int kernel);
/* va lies in the kernel half (--kernel-half, explain --mode). */
int vm_is_kernel(const vm_machine_t *vm, uint64_t va);

/* Put a translation vpn -> pfn for address space asid into the TLB, with
 * rights from flags (PTE_W / PTE_U / PTE_NX).  Returns 0 or VM_ERANGE. */
int vm_tlb_insert(vm_machine_t *vm, uint32_t asid, uint64_t vpn, uint64_t pfn,
		  uint64_t flags);

/* Translate va for pid through the MMU, recording the steps in *log.  No
 * fault is handled: a fault is the result. */
mmu_status_t vm_translate_logged(vm_machine_t *vm, uint32_t pid, uint64_t va,
				 mmu_access_t acc, mmu_result_t *r, mmu_log_t *log);

/* The machine's geometry and TLB, for printing. */
const geom_t *vm_geom(const vm_machine_t *vm);
const tlb_t *vm_tlb(const vm_machine_t *vm);

#endif
