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
/* Script mode: p runs in user mode now (ref_mode's switches, once the
 * kernel half or --asid off is on; before, nothing is counted, as scripts
 * always ran).  Returns p's user asid.  ref_va calls it. */
uint32_t ref_user(vm_machine_t *vm, uint32_t p);
/* The CPU now runs p in kernel mode (kernel set) or user mode: a switch of
 * process switches roots (not the first process's start), and under kpti so
 * does every entry and exit; entries count as syscalls.  Returns the asid
 * references in that mode go under (kpti's kernel asid in kernel mode). */
uint32_t ref_mode(vm_machine_t *vm, uint32_t p, int kernel);
/* One kernel-mode page reference at va by p under asid (ref_mode's), made
 * in kernel mode, counted (its kind and kernel_references); as ref_va. */
int ref_kernel_va(vm_machine_t *vm, uint32_t p, uint32_t asid, uint64_t va, mmu_access_t acc);
/* A kernel-half address given sign-extended (x86-64's canonical form) as
 * the va_bits-bit address the tables index; any other address unchanged. */
uint64_t ref_canon(const vm_machine_t *vm, uint64_t va);

/* Under the scheduler (vm->kclock.on) a --timeline line that falls due
 * during an access waits for the scheduler to charge the access: it prints
 * it here, with vm->kclock's columns as published.  Nothing if none is due. */
void ref_timeline_due(vm_machine_t *vm);

#endif
