/* swap.h - layer 3: the swap device of script mode (prefix swap_): slots
 * with reference counts (PTEs holding the swap entry, the swap cache,
 * anonymous objects) in a real file, and the swap cache (vm->swap_cache:
 * the frame holding a copy of each slot, so that sharers find it). */
#ifndef VMLAB_KERN_SWAP_H
#define VMLAB_KERN_SWAP_H

#include <stddef.h>
#include <stdint.h>

#include "kern/zram.h"

/* Open the swap file (script mode); the reason for a failure into err. */
int swap_open(vm_machine_t *vm, char *err, size_t errlen);
void swap_fini(vm_machine_t *vm);
int swap_alloc(vm_machine_t *vm, uint64_t *slot);      /* count 1 */
void swap_get(vm_machine_t *vm, uint64_t slot);        /* count + 1 */
void swap_put(vm_machine_t *vm, uint64_t slot);        /* count - 1, freed at 0 */
/* Frame f stops caching its swap slot (its copy is stale or unwanted). */
void swap_uncache(vm_machine_t *vm, uint32_t f);
/* Script mode: slot's copy of page into zRAM (when on and the page
 * compresses below 3/4 of a page, writing the store's oldest pages back to
 * the file while it is full), else to the swap file; VM_ENOSPC when neither
 * can take it (no swap device: --swap none). */
int swap_write(vm_machine_t *vm, uint64_t slot, const void *page);
/* Script mode: slot's copy from zRAM (counted in zram_loads) or the file. */
int swap_read(vm_machine_t *vm, uint64_t slot, void *page);
/* Trace mode: a dirty page's copy goes to slot: 1 into zRAM, 0 to the swap
 * file (bookkeeping), VM_ENOSPC with no room in either. */
int swap_store_trace(vm_machine_t *vm, uint64_t slot);
/* Whether slot's copy is in the swap file (not in zRAM): a write of it is a
 * swap-out, a read a swap-in. */
int swap_on_file(const vm_machine_t *vm, uint64_t slot);
/* Give a frame of the zRAM store back to the machine by writing its oldest
 * pages to the swap file (zram writeback), for reclaim when the store holds
 * the frames and no page is resident.  0; VM_ENOSPC when the store holds
 * no frame or there is no swap device; VM_EIO if a write failed. */
int swap_zram_shrink(vm_machine_t *vm);
/* Count a fault's read of slot: zram_loads or swap_ins. */
void swap_count_in(vm_machine_t *vm, uint64_t slot);

#endif
