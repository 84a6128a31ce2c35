/* teardown.h - layer 8: taking mappings away (prefix teardown_): zapping
 * PTEs, unmapping regions (dirty file pages written back first), ending a
 * process.  Used by the system calls, the OOM killer and SIGSEGV. */
#ifndef VMLAB_KERN_TEARDOWN_H
#define VMLAB_KERN_TEARDOWN_H

#include <stdint.h>

#include "kern/check.h"

/* Free anonymous frame f if its last mapping is gone (page-cache pages stay
 * cached). */
void teardown_put_anon(vm_machine_t *vm, uint32_t f);
/* Unmap every page of [start, end) of p (regions untouched). */
int teardown_range(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end);
/* Remove the regions of [start, end) of p, unmapping their pages.  Their
 * dirty file pages are written back first; if one cannot be, nothing is
 * unmapped and the failure returned, unless lossy (a kill, which cannot be
 * refused: it goes on, and returns the failure after). */
int teardown_unmap(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end, int lossy);
/* End process p in state st, releasing everything.  A voluntary exit whose
 * write-backs fail is refused (VM_EIO, the process unchanged); a kill goes
 * on regardless and returns the failure (pages lost) after. */
int teardown_kill(vm_machine_t *vm, uint32_t p, vm_proc_state_t st);

#endif
