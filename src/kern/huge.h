/* huge.h - layer 6 (beside vma): huge pages of user memory (prefix huge_).
 *
 * A huge page is mapped by one entry at code level 1 with PS set (pte.h):
 * an aligned, contiguous run of huge->run user frames (512 with 4 KiB pages
 * and 8-byte PTEs).  Each frame of the run stays an ordinary frame to the
 * rest of the kernel and to the policy (resident and distinct counts are in
 * base pages): it is used, has one reverse-map entry naming the level-1
 * entry and its own VPN, and the policy was told of it (on_fill).  Only two
 * things must know a frame is part of a huge page: reclaim, which splits the
 * page (huge_split) before it evicts any of its frames, and the accounting
 * of the bytes nobody touched (thp_bloat_bytes, huge_touch).
 *
 * Trace mode, --thp always: a not-present fault whose level-1 entry is empty
 * (no page of its 2 MiB range was ever mapped) takes a free aligned run if
 * one exists (thp_fault_alloc), else falls back to a base page
 * (thp_fault_fallback).  No reclaim is done to make a run.
 *
 * NUMA (--numa): every huge page (a THP run, a hugetlb pool page) lies
 * wholly on one node, so its references are all local or all remote.  A
 * run comes from the node the memory policy chooses (numa_huge_node): local
 * the home node, else the next node with a free aligned run (numa_foreign);
 * interleave p's next node in turn, falling back as local; bind that node
 * only, else a base page (THP) -- and it must leave that node's free frames
 * at or above the node's min watermark.  The pool spreads its pages over the
 * nodes in turn (page i on node i mod N, or the next node with room), a
 * fault takes a free pool page of the policy's node (local and interleave
 * falling back to another node, foreign); under bind mmap reserves only
 * pool pages of the bound node, so its faults never fail either. */
#ifndef VMLAB_KERN_HUGE_H
#define VMLAB_KERN_HUGE_H

#include <stdint.h>

#include "kern/vma.h"

struct huge {
	uint64_t run;          /* base frames of a huge page: 2^(level_shift[1] - page_shift) */
	uint64_t *is_huge;     /* bit per frame: part of a page mapped huge now */
	uint64_t *touched;     /* bit per frame: referenced since it became huge */
	uint64_t untouched;    /* frames of huge pages not referenced yet */
	uint64_t bloat_pages;  /* frames split off or unmapped untouched (counted for good) */
	uint64_t scan_at;      /* st.references at which khugepaged runs next */
	/* The hugetlb pool (--hugepages): */
	uint64_t *pool;        /* first frames of the free pool pages, a stack */
	uint64_t pool_n;       /* pages in the pool */
	uint64_t pool_free;    /* of them free (pool[0..pool_free)) */
	uint64_t resv;         /* free ones promised to hugetlb regions: one for
				  each empty level-1 entry of such a region */
	uint64_t tlb_faults;   /* faults that mapped a pool page */
	const struct huge_place *place; /* where huge pages come from: the
				  machine's frames, or (--numa) one node the
				  memory policy chooses (huge.c's table) */
};

/* Set up vm->huge when cfg.thp asks for huge pages (else leave it NULL); its
 * bitmaps are charged to the budget (BUDGET_MACHINE).
 * 0, or VM_ENOMEM with the reason in err. */
int huge_init(vm_machine_t *vm, char *err, size_t errlen);
void huge_fini(vm_machine_t *vm);

/* Whether frame f is part of a huge page mapped as one now. */
static inline int huge_is_huge(const vm_machine_t *vm, uint32_t f)
{
	const struct huge *h = vm->huge;
	return h && (h->is_huge[f / 64] >> (f % 64) & 1);
}

/* A reference reached frame f (vm->huge is set): the first one to a frame of
 * a huge page makes it touched. */
static inline void huge_touch(vm_machine_t *vm, uint64_t f)
{
	struct huge *h = vm->huge;
	uint64_t bit = 1ull << (f % 64);
	if ((h->is_huge[f / 64] & bit) && !(h->touched[f / 64] & bit)) {
		h->touched[f / 64] |= bit;
		h->untouched--;
	}
}

/* Trace mode's fault at va of process p (reference seq): map a huge page
 * there if --thp always, va's level-1 entry is empty and a free aligned run
 * exists.  Returns 1 when it did (the access can be retried), 0 when the
 * caller should map a base page, or a negative vm_err_t (VM_ENOMEM /
 * VM_ELIMIT: no room for a page table). */
int huge_fault_trace(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t seq);

/* Split the huge page holding frame f into base pages: a new leaf table
 * whose entries map the run's frames with the huge entry's bits (A, D, W, U
 * for each), the reverse map moved to them, the huge TLB entry dropped.
 * Returns 0 or the page table's VM_ENOMEM / VM_ELIMIT (nothing changed). */
int huge_split(vm_machine_t *vm, uint32_t f);

/* Script mode.  A huge page of a region is private anonymous memory of one
 * process and never shared: fork splits it (huge_split) before it shares
 * the base pages copy-on-write, as Linux's COW fault on a THP falls back to
 * base pages (it splits the PMD at the fault; here the split comes at the
 * fork, the bytes and copies the same).  So every reverse-map entry of its
 * frames names the one level-1 entry, and nobody looks one up by the PTE's
 * address (frame_rmap_del): split, unmap and collapse go by frame
 * (frame_rmap_clear).  The kernel's walker (proc_walk) stops at the huge
 * entry; whoever changes PTEs in a range splits the huge pages the range
 * cuts first (huge_split_at) and handles whole ones as one (huge_zap,
 * mprotect keeping PS), and reclaim splits before it evicts. */

/* Whether region v may have transparent huge pages: private anonymous,
 * and --thp always (unless madvise nohugepage) or --thp madvise with
 * madvise hugepage. */
int huge_thp_allowed(const vm_machine_t *vm, const vma_t *v);
/* Script mode's not-present fault at va of p in region v: map a zeroed huge
 * page if v allows THP, va's aligned range lies wholly inside v and its
 * level-1 entry is empty; no free aligned run: thp_fault_fallback.  1 when
 * it mapped one, 0: the caller maps a base page; or VM_ENOMEM / VM_ELIMIT. */
int huge_fault_script(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va);
/* Split the huge page of p holding va if va lies strictly inside it (the
 * boundary of a munmap or mprotect).  0 or as huge_split. */
int huge_split_at(vm_machine_t *vm, uint32_t p, uint64_t va);
/* Unmap the whole huge page whose level-1 entry is at pmd_pa (p's): its
 * frames released (a hugetlb page's back to the pool), the entry cleared,
 * its TLB entry dropped. */
void huge_zap(vm_machine_t *vm, uint32_t p, uint64_t pmd_pa);
/* khugepaged, when --khugepaged-every N references have passed since its
 * last pass: collapse each aligned range wholly inside a region that allows
 * THP whose leaf table holds at most --max-ptes-none empty entries, no swap
 * entry and only pages mapped once (not copy-on-write), into a free aligned
 * run (no reclaim for it): present pages copied (thp_collapse_copies),
 * empty ones zeroed, one huge page (thp_collapse_alloc).  Call it where no
 * frame of a reference is still in use (after it). */
void huge_daemon(vm_machine_t *vm);

/* The hugetlb pool (--hugepages N, hugetlbfs-like).  vm_create takes N
 * aligned runs of frames for good (frame_t.hugetlb; the policy never hears
 * of them, reclaim never takes them: hugetlb pages are not swapped).  A
 * hugetlb region (vma_t.huge = VMA_HUGE_TLB, private anonymous) holds huge
 * pages only: its length is a multiple of the huge page and mmap reserves a
 * pool page for each of its pages (ENOMEM when fewer free unreserved ones
 * remain, as Linux reserves at mmap), so its faults never fail.  munmap and
 * mprotect must not cut one of its pages (EINVAL, as Linux).  fork copies
 * the parent's pages into pool pages of the child's own and reserves the
 * rest (ENOMEM when the pool has too few): Linux shares them copy-on-write
 * and may kill the child at its first write instead. */

/* mmap of a hugetlb region at *addr (0: choose) of *len bytes: len rounded
 * up to huge pages, addr huge-aligned.  0, or VM_EINVAL (a file, shared,
 * an unaligned addr), VM_ENOMEM (no pool). */
int huge_tlb_prepare(vm_machine_t *vm, const char *path, unsigned flags, uint64_t addr,
		     uint64_t *len);
/* Reserve (take = 1) or give back (take = 0) n pool pages for a region.
 * Reserving: 0 or VM_ENOMEM when fewer than n free unreserved ones remain. */
int huge_tlb_reserve(vm_machine_t *vm, uint64_t n, int take);
/* Whether va cuts a huge page of a hugetlb region of p (lies strictly
 * inside it): munmap, mprotect and a fixed mmap refuse such a boundary. */
int huge_tlb_cuts(const vm_machine_t *vm, uint32_t p, uint64_t va);
/* Give back the reservations of the empty pages of hugetlb region v of p
 * (it is being unmapped; its mapped pages go back to the pool by huge_zap). */
void huge_tlb_unmap(vm_machine_t *vm, uint32_t p, const vma_t *v);
/* Fault at va of p in hugetlb region v: its reserved pool page, zeroed. */
int huge_fault_hugetlb(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va);
/* fork of hugetlb region v of p into c (which has the region): see above. */
int huge_tlb_fork(vm_machine_t *vm, uint32_t p, uint32_t c, const vma_t *v);
/* The pool's invariants (--check): reservations = empty pages of hugetlb
 * regions <= free pool pages; each live process's hugetlb count = the
 * base pages of the pool pages it maps.  0, or VM_EINVAL with the reason in err. */
int huge_check(vm_machine_t *vm, char *err, size_t errlen);

/* The counters of vm->st that live here (thp_bloat_bytes, hugetlb_*). */
void huge_stats(vm_machine_t *vm);

#endif
