/* fault.h - layer 10: the fault handlers, one per mode (fault.c: trace
 * mode; sysfault.c: script mode), and the two mode tables (mode.c) that
 * vm_create chooses between. */
#ifndef VMLAB_KERN_FAULT_H
#define VMLAB_KERN_FAULT_H

#include <stdint.h>

#include "kern/reclaim.h"

/* Trace mode: every fault is a not-present one of private anonymous memory
 * mapped rwx (zero-fill, or swap-in of a page with a slot). */
int fault_trace(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
		const mmu_result_t *r, uint64_t seq);
/* Script mode: regions, SIGSEGV, copy-on-write, files, swap (sysfault.c). */
int sysfault_handle(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
		    const mmu_result_t *r, uint64_t seq);

/* execfault.c: the fault-path parts of exec of a real program. */
/* No region holds va of p: grow a grows-down region above it to cover va's
 * page if its floor and guard gap allow; returns its index, or -1 with the
 * SIGSEGV reason in *why. */
int exsup_grow(vm_machine_t *vm, uint32_t p, uint64_t va, const char **why);
/* Fault on the page of region v holding v->zero_from (not present, no swap
 * entry): the file page through the page cache, then a private copy with
 * the bytes from zero_from zeroed, mapped at va through pte_pa.  One fault,
 * major if the file was read. */
int exsup_tail_fault(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va, uint64_t pte_pa);
/* A frame for page pg of p, as the fault handler takes one: VM_ENOMEM for
 * no swap room, VM_EKILLED if reclaim's OOM killer chose p itself. */
int exsup_frame(vm_machine_t *vm, uint32_t p, const policy_page_t *pg, uint32_t *f);
/* Map anonymous frame f at va of p through pte_pa, writable if v is. */
int exsup_map(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va, uint64_t pte_pa,
	      uint32_t f);

/* The modes (kmode_t, kern/mach.h). */
extern const kmode_t kmode_trace, kmode_script;

#endif
