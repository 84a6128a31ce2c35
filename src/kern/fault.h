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

/* The modes (kmode_t, kern/mach.h). */
extern const kmode_t kmode_trace, kmode_script;

#endif
