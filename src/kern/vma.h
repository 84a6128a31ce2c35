/* vma.h - layer 6: the regions of a process (prefix vma_) and the rule that
 * turns a region into PTE flags. */
#ifndef VMLAB_KERN_VMA_H
#define VMLAB_KERN_VMA_H

#include <stdint.h>

#include "kern/proc.h"

/* Index of the region holding va, or -1. */
int vma_find(const proc_t *pr, uint64_t va);
/* Index of the first region ending after va (nvmas if none). */
uint32_t vma_lower(const proc_t *pr, uint64_t va);
int vma_insert(vm_machine_t *vm, proc_t *pr, const vma_t *v);
/* Free the region array of pr (a process that ended). */
void vma_free_all(vm_machine_t *vm, proc_t *pr);
/* Make a region boundary at addr if a region spans it (the new half takes a
 * reference to the region's object). */
int vma_split(vm_machine_t *vm, proc_t *pr, uint64_t addr);
void vma_remove_at(proc_t *pr, uint32_t i);
/* Join neighbours that continue each other exactly. */
void vma_merge(proc_t *pr);
/* PTE flags for a page of region v (COW pages stay read-only). */
uint64_t vma_pte_flags(const vma_t *v, int cow);

#endif
