/* reclaim.h - layer 9: getting frames back (prefix reclaim_): the victim
 * through the policy, eviction of every kind of page, direct reclaim, the
 * page daemon between watermarks and the out-of-memory killer. */
#ifndef VMLAB_KERN_RECLAIM_H
#define VMLAB_KERN_RECLAIM_H

#include <stdint.h>

#include "kern/flusher.h"
#include "kern/teardown.h"

/* A free frame: the lowest free one, or the policy's victim once evicted
 * (script mode: direct reclaim below the min watermark, the OOM killer when
 * nothing can be evicted). */
int reclaim_get_frame(vm_machine_t *vm, const policy_page_t *pg, uint32_t *f);
/* Undo reclaim_get_frame for a frame the policy was not told about yet. */
void reclaim_put_frame(vm_machine_t *vm, uint32_t f);
/* The page daemon: below the low watermark, reclaim up to the high one. */
void reclaim_page_daemon(vm_machine_t *vm);

/* on: the pages that only such processes map are the first victims of
 * every reclaim, lowest frame first, before the policy is asked, as the
 * scheduler's load control wants for a process it suspends (loadctl.h);
 * off: p's pages are the policy's again. */
void reclaim_first(vm_machine_t *vm, uint32_t p, int on);

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
