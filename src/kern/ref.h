/* ref.h - layer 11: the reference engine (ref.c): one reference through the
 * TLB, the page-table walk and the mode's fault handler, retried until it
 * completes, then the policy's on_access; vm_access / vm_ref on top of it. */
#ifndef VMLAB_KERN_REF_H
#define VMLAB_KERN_REF_H

#include <stdint.h>

#include "kern/fault.h"

/* Map a reference kind (VM_READ, VM_WRITE, VM_IFETCH) to an MMU access:
 * 0 or VM_EINVAL. */
int ref_kind(int kind, mmu_access_t *acc);
/* Count one reference of kind acc (reads, writes, ifetches). */
void ref_count_kind(vm_machine_t *vm, mmu_access_t acc);
/* One page reference at va by process p (counted by the caller): translate,
 * fault and retry until it completes, then tell the policy.  *pfn (if not
 * NULL) gets the frame.  VM_EKILLED if p was killed meanwhile. */
int ref_va(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc, uint64_t *pfn);

/* Under the scheduler (vm->kclock.on) a --timeline line that falls due
 * during an access waits for the scheduler to charge the access: it prints
 * it here, with vm->kclock's columns as published.  Nothing if none is due. */
void ref_timeline_due(vm_machine_t *vm);

#endif
