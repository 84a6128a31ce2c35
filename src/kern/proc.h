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
/* The same walk stopped at code level stop (0 the leaf level; 1 the entry a
 * huge page's leaf would be): the address of va's entry there. */
int proc_walk_to(vm_machine_t *vm, uint32_t p, uint64_t va, unsigned stop, int alloc,
		 uint64_t *pte_pa);
/* Bytes of VA one entry at CS:APP level `level` covers. */
uint64_t proc_level_span(const vm_machine_t *vm, unsigned level);
/* Call fn for every leaf PTE that exists in [start, end) of p (its user half:
 * the kernel half's tables are the kernel's, shared), skipping the
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
/* Process pr has n more pages in frames: its resident count, and its peak
 * (VmHWM) when that is passed. */
static inline void proc_rss_add(proc_t *pr, uint64_t n)
{
	pr->resident += n;
	if (pr->resident > pr->hwm)
		pr->hwm = pr->resident;
}
/* The root p's kernel-mode references walk: under kpti its own kernel root
 * (the frames right after the user root, as Linux's PGD pair the other way
 * round), else its one root. */
uint64_t proc_kernel_root(const vm_machine_t *vm, uint32_t p);
/* kpti's trampoline: the top page of the address space (sign-extended
 * 0xfffffffffffff000 with 48 bits), the only kernel page user roots map. */
uint64_t proc_tramp_va(const vm_machine_t *vm);
/* Demand-zero kernel memory (script mode): a zeroed kernel frame mapped at
 * kernel-half va, U=0, global but under kpti; never reclaimed, counted in
 * kernel_pages.  0 or as proc_kalloc. */
int proc_kernel_page(vm_machine_t *vm, uint64_t va);
/* The PTE flags of a page at va: in the kernel half U cleared and G set
 * (global: it survives an address-space flush) but under kpti, where only
 * the trampoline is; elsewhere flags as given. */
uint64_t proc_page_flags(const vm_machine_t *vm, uint64_t va, uint64_t flags);
/* Free every page table of p (its mappings must be gone). */
void proc_free_tables(vm_machine_t *vm, uint32_t p);

#endif
