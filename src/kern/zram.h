/* zram.h - layer 3, beside swap: the zRAM store (prefix zram_), a
 * compressed copy of swap slots kept in memory, oldest first, that holds
 * ceil(compressed bytes / page size) user frames as it fills.  It knows
 * nothing of the swap file: swap.c puts it in front of the file, writes its
 * oldest pages back when it is full and asks it first on a read. */
#ifndef VMLAB_KERN_ZRAM_H
#define VMLAB_KERN_ZRAM_H

#include <stddef.h>
#include <stdint.h>

#include "kern/shadow.h"

/* Set up the store of cfg.zram_size bytes (nothing when 0); the reason for a
 * failure into err. */
int zram_init(vm_machine_t *vm, char *err, size_t errlen);
void zram_fini(vm_machine_t *vm);
/* Whether the store is on / holds a copy of slot. */
int zram_on(const vm_machine_t *vm);
int zram_holds(const vm_machine_t *vm, uint64_t slot);
/* The compressed size of page into *len (script mode: compressed into the
 * store's buffer, for zram_insert; trace mode: page size / cfg.zram_ratio,
 * rounded up).  VM_EIO if the compressor fails. */
int zram_compress(vm_machine_t *vm, const void *page, uint32_t *len);
/* Whether a page of len compressed bytes is worth keeping (below 3/4 of a
 * page and no bigger than the store) / fits beside what is stored now. */
int zram_worth(const vm_machine_t *vm, uint32_t len);
int zram_room(const vm_machine_t *vm, uint32_t len);
/* The slot of the oldest page stored, SLOT_NONE if the store is empty. */
uint64_t zram_oldest(const vm_machine_t *vm);
/* Store the len bytes zram_compress just made as the copy of slot (which
 * it holds no copy of; zram_room said yes); counted in zram_stores.
 * VM_ENOMEM (host memory) changes nothing. */
int zram_insert(vm_machine_t *vm, uint64_t slot, uint32_t len);
/* Decompress slot's copy (held) into page; VM_EIO if it is corrupt. */
int zram_read(vm_machine_t *vm, uint64_t slot, void *page);
/* Forget slot's copy (held), giving back the frames it no longer needs. */
void zram_drop(vm_machine_t *vm, uint64_t slot);
/* Take the free frames the store needs and does not hold yet (a store made
 * while no frame was free takes its frame once one is). */
void zram_settle(vm_machine_t *vm);

#endif
