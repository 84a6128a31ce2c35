/* reclaim.h - layer 9: getting frames back (prefix reclaim_): the victim
 * through the policy, eviction of every kind of page, direct reclaim, the
 * page daemon between watermarks and the out-of-memory killer. */
#ifndef VMLAB_KERN_RECLAIM_H
#define VMLAB_KERN_RECLAIM_H

#include <stdint.h>

#include "kern/teardown.h"

/* A free frame: the lowest free one, or the policy's victim once evicted
 * (script mode: direct reclaim below the min watermark, the OOM killer when
 * nothing can be evicted). */
int reclaim_get_frame(vm_machine_t *vm, const policy_page_t *pg, uint32_t *f);
/* Undo reclaim_get_frame for a frame the policy was not told about yet. */
void reclaim_put_frame(vm_machine_t *vm, uint32_t f);
/* The page daemon: below the low watermark, reclaim up to the high one. */
void reclaim_page_daemon(vm_machine_t *vm);

/* Evict every page that only process p maps, lowest frame first, as the
 * scheduler's load control does to a process it suspends (kern/loadctl.h).
 * 0, or the first eviction's failure (VM_ENOSPC, VM_EIO): the pages from
 * that one on stay resident. */
int reclaim_proc(vm_machine_t *vm, uint32_t p);

/* The modes' entries (kmode_t.evict, .reclaim).  Trace mode: swap slots are
 * bookkeeping, a dirty page takes one and keeps it; only the policy's
 * victim is tried. */
int reclaim_evict_trace(vm_machine_t *vm, uint32_t f);
int reclaim_trace(vm_machine_t *vm, const policy_page_t *incoming, int direct);
/* Script mode: anonymous pages to their swap slot, page-cache pages to their
 * object; a victim that cannot be written gives way to a page that needs no
 * new slot, then (direct) to the OOM killer. */
int reclaim_evict_script(vm_machine_t *vm, uint32_t f);
int reclaim_script(vm_machine_t *vm, const policy_page_t *incoming, int direct);

#endif
