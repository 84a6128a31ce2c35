/* proc.h - layer 5: processes and their page tables (prefix proc_), with
 * the one walker of the tables (proc_walk, xv6's walk()). */
#ifndef VMLAB_KERN_PROC_H
#define VMLAB_KERN_PROC_H

#include <stdint.h>

#include "kern/obj.h"

/* Create process pid with an empty root table; *out gets its index. */
int proc_create(vm_machine_t *vm, uint32_t pid, uint32_t *out);
/* The process with this pid, created (with an empty root table) on first use.
 * *out gets its index.  Returns 0 or VM_ENOMEM. */
int proc_get(vm_machine_t *vm, uint32_t pid, uint32_t *out);
/* The index of pid without creating it, or PROC_NONE. */
uint32_t proc_lookup(vm_machine_t *vm, uint32_t pid);
/* The live process pid into *p, or VM_ESRCH. */
int proc_live(vm_machine_t *vm, uint32_t pid, uint32_t *p);
/* The one walk of p's page tables to va's leaf PTE (xv6's walk()): 0 and
 * its physical address in *pte_pa; for a huge page that is the entry above
 * the leaf level with PTE_PS (huge.h), the same for each of its pages, and
 * its PFN the page's first frame, not va's.  A missing table is made when alloc is
 * set (VM_ENOMEM when no kernel frame is left); without alloc the walk
 * returns the CS:APP number of the level whose entry is missing (the caller
 * can skip the span that entry covers). */
int proc_walk(vm_machine_t *vm, uint32_t p, uint64_t va, int alloc, uint64_t *pte_pa);
/* Bytes of VA one entry at CS:APP level `level` covers. */
uint64_t proc_level_span(const vm_machine_t *vm, unsigned level);
/* Call fn for every leaf PTE that exists in [start, end) of p, skipping the
 * spans of missing tables; stops at the first non-zero return, returned. */
typedef int (*proc_pte_fn)(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg);
int proc_each_pte(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end, proc_pte_fn fn,
		  void *arg);
/* The kernel half (--kernel-half): make the kernel's root, whose kernel-half
 * entries every root shares, and bar user references from that half.  0,
 * VM_ENOTSUP with one level (no table below the root to share), or as
 * proc_kalloc.  proc_is_kernel: va lies in the kernel half. */
int proc_khalf_init(vm_machine_t *vm);
int proc_is_kernel(const vm_machine_t *vm, uint64_t va);
/* Free every page table of p (its mappings must be gone). */
void proc_free_tables(vm_machine_t *vm, uint32_t p);

#endif
