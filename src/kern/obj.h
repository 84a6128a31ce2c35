/* obj.h - layer 4: backing objects (files, shared anonymous memory; prefix
 * obj_) and the page cache (prefix pcache_). */
#ifndef VMLAB_KERN_OBJ_H
#define VMLAB_KERN_OBJ_H

#include <stdint.h>

#include "kern/swap.h"

/* The object of the regular file at path (shared with mappings already open),
 * one more reference.  VM_ENOENT: no such file; VM_ENOTSUP: not a regular
 * file (found without blocking on a FIFO); VM_EIO: it cannot be opened. */
int obj_open_file(vm_machine_t *vm, const char *path, uint32_t *out);
int obj_new_anon(vm_machine_t *vm, uint64_t pages, uint32_t *out);
void obj_get(vm_machine_t *vm, uint32_t o);
/* The swap slot of page pgoff of anonymous object o, or SLOT_NONE. */
uint64_t obj_slot(const vm_machine_t *vm, uint32_t o, uint64_t pgoff);
/* Record slot for page pgoff of anonymous object o (it had none).  Returns 0,
 * VM_ENOMEM or VM_ELIMIT. */
int obj_slot_set(vm_machine_t *vm, uint32_t o, uint64_t pgoff, uint64_t slot);
/* Call fn(arg, slot) for every swap slot anonymous object o holds. */
void obj_each_slot(const vm_machine_t *vm, uint32_t o, void (*fn)(void *arg, uint64_t slot),
		   void *arg);
/* Drop a region's reference; the last one writes back and frees its pages. */
int obj_put(vm_machine_t *vm, uint32_t o);
/* The page cache's buckets (script mode): a power of two at least the
 * number of frames.  0 or VM_ENOMEM. */
int pcache_init(vm_machine_t *vm);
uint32_t pcache_find(vm_machine_t *vm, uint32_t o, uint64_t pgoff);
void pcache_add(vm_machine_t *vm, uint32_t f, uint32_t o, uint64_t pgoff);
void pcache_del(vm_machine_t *vm, uint32_t f);
/* Read page pgoff of o into frame f (file: from the file, zeros past its
 * end; anonymous: from its swap slot or zeros).  Counts file_reads /
 * swap_ins.  Returns 0 or VM_EIO. */
int obj_read_page(vm_machine_t *vm, uint32_t o, uint64_t pgoff, uint32_t f);
/* Write frame f back to its object (file bytes within the file's size, or
 * the swap slot of anonymous memory).  Counts the write-back only once it
 * succeeded; a failure (VM_EIO, recorded by kio_fail; VM_ENOSPC) changes
 * nothing, the caller keeps the page dirty. */
int obj_write_page(vm_machine_t *vm, uint32_t f);

#endif
