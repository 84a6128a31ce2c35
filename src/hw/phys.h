/* phys.h - simulated physical memory (prefix phys_).
 *
 * Two ranges of frames: user frames 0 .. nuser-1, whose bytes exist only when
 * asked for (trace mode keeps none), and the kernel pool from g->kbase_pfn up
 * (to g->kend_pfn when that is not 0), which holds page tables as real PTE
 * words of g->pte_size bytes, little-endian as the host's.  Every PTE access,
 * the walker's and the kernel's, goes through pte_load and pte_store, which
 * read and write either size. */
#ifndef VMLAB_PHYS_H
#define VMLAB_PHYS_H

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "pte.h"
#include "../util/budget.h"

/* Runs of count frames given back, reused last freed first.  One pool per
 * run size (a page table's size depends only on its level), so taking one
 * never searches: the cost of a fork or spawn stays the same however many
 * processes came and went. */
typedef struct phys_pool {
	uint32_t count;        /* contiguous frames a run */
	uint32_t n, cap;
	uint64_t *first;       /* kernel frame index (not PFN) of each run */
} phys_pool_t;

#define PHYS_POOLS 8       /* run sizes kept (levels <= 5: at most 5 sizes) */

typedef struct phys {
	const geom_t *g;
	uint8_t *kmem;         /* kernel pool bytes, kcap frames */
	uint64_t kcap;         /* frames kmem has room for */
	uint64_t ktop;         /* frames ever handed out from the bottom */
	uint64_t klive;        /* frames in use now */
	phys_pool_t kfree[PHYS_POOLS]; /* runs given back, reused by exact size */
	uint32_t npools;
	uint32_t nuser;        /* user frames */
	uint8_t *umem;         /* user frame bytes, NULL in trace mode */
	budget_t *budget;      /* the pool's bytes are charged here (may be NULL) */
} phys_t;

/* Set up memory for nuser user frames; with_bytes gives them real contents.
 * Returns 0 or VM_ENOMEM. */
int phys_init(phys_t *p, const geom_t *g, uint32_t nuser, int with_bytes);
void phys_free(phys_t *p);

/* Take count contiguous zeroed kernel frames; *pfn gets the first PFN.
 * Returns 0, VM_ENOMEM (host memory, or with 4-byte PTEs no PFN left below
 * g->kend_pfn), or VM_ELIMIT when the pool would outgrow the budget.  The pool may move in host memory: keep PFNs,
 * never host pointers, across calls. */
int phys_kalloc(phys_t *p, uint32_t count, uint64_t *pfn);

/* Give back count kernel frames from pfn (as allocated together).  They are
 * filled with junk so that a stale walk shows. */
void phys_kfree(phys_t *p, uint64_t pfn, uint32_t count);

static inline int phys_is_kernel(const phys_t *p, uint64_t pa)
{
	return (pa >> p->g->page_shift) >= p->g->kbase_pfn;
}

/* Host pointer to the 8-byte word at kernel physical address pa. */
static inline uint64_t *phys_kword(const phys_t *p, uint64_t pa)
{
	uint64_t off = pa - (p->g->kbase_pfn << p->g->page_shift);
	assert(phys_is_kernel(p, pa) && off + 8 <= (p->ktop << p->g->page_shift));
	assert((pa & 7) == 0);
	return (uint64_t *)(void *)(p->kmem + off);
}

static inline uint64_t phys_read64(const phys_t *p, uint64_t pa)
{
	return *phys_kword(p, pa);
}

static inline void phys_write64(phys_t *p, uint64_t pa, uint64_t v)
{
	*phys_kword(p, pa) = v;
}

/* Host pointer to the 4-byte word at kernel physical address pa. */
static inline uint32_t *phys_kword32(const phys_t *p, uint64_t pa)
{
	uint64_t off = pa - (p->g->kbase_pfn << p->g->page_shift);
	assert(phys_is_kernel(p, pa) && off + 4 <= (p->ktop << p->g->page_shift));
	assert((pa & 3) == 0);
	return (uint32_t *)(void *)(p->kmem + off);
}

static inline uint32_t phys_read32(const phys_t *p, uint64_t pa)
{
	return *phys_kword32(p, pa);
}

static inline void phys_write32(phys_t *p, uint64_t pa, uint32_t v)
{
	*phys_kword32(p, pa) = v;
}

/* The entry at pa, in the 64-bit layout of pte.h whatever g->pte_size is: a
 * 4-byte entry is zero-extended (NX and S3 read as 0).  g is p's geometry. */
static inline uint64_t pte_load(const phys_t *p, const geom_t *g, uint64_t pa)
{
	assert(g == p->g);
	return g->pte_size == PTE32_SIZE ? phys_read32(p, pa) : phys_read64(p, pa);
}

/* Store entry v (64-bit layout) at pa as a g->pte_size-byte entry.  A 4-byte
 * entry keeps bits 31..0: NX and S3 do not exist there and are dropped; a
 * frame number (or swap slot) of geom_pfn_limit(g) or more is a bug of the
 * caller. */
static inline void pte_store(phys_t *p, const geom_t *g, uint64_t pa, uint64_t v)
{
	assert(g == p->g);
	if (g->pte_size == PTE32_SIZE) {
		assert(pte_pfn(v) < geom_pfn_limit(g));
		phys_write32(p, pa, (uint32_t)(v & PTE32_MASK));
	} else {
		phys_write64(p, pa, v);
	}
}

/* Host pointer to the bytes of user frame pfn (script mode only). */
static inline uint8_t *phys_user_page(const phys_t *p, uint64_t pfn)
{
	assert(p->umem && pfn < p->nuser);
	return p->umem + (pfn << p->g->page_shift);
}

#endif
