/* mmu.h - address translation (prefix mmu_).
 *
 * translate(asid, root, va, access):
 *   TLB lookup (asid, VPN) -- hit:  check permissions; a write to an entry
 *                                    whose dirty bit is not known set sets the
 *                                    PTE's D bit in memory (no walk)
 *                          -- miss: walk from the root table, L1 .. Lk, one
 *                                    PTE read per level, stopping at the first
 *                                    entry that is not present; on success set
 *                                    A (and D on a write) in memory, check
 *                                    permissions, fill the TLB
 * and report either the frame, or a fault with its reason.  The MMU knows PTE
 * bits and nothing of processes, regions, files or swap: the kernel handles
 * the fault and retries the access. */
#ifndef VMLAB_MMU_H
#define VMLAB_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "phys.h"
#include "pte.h"
#include "tlb.h"

typedef enum mmu_access {
	MMU_READ,
	MMU_WRITE,
	MMU_EXEC,
} mmu_access_t;

typedef enum mmu_status {
	MMU_OK = 0,
	MMU_FAULT_NOT_PRESENT,
	MMU_FAULT_PROTECTION,
} mmu_status_t;

typedef enum mmu_reason {
	MMU_REASON_NONE = 0,
	MMU_REASON_NOT_PRESENT,   /* an entry on the walk has P clear */
	MMU_REASON_WRITE_RDONLY,  /* write to a page without W */
	MMU_REASON_EXEC_NX,       /* instruction fetch from an NX page */
	MMU_REASON_SUPERVISOR,    /* user access to a page without U */
} mmu_reason_t;

typedef struct mmu_counters {
	uint64_t tlb_hits;
	uint64_t tlb_misses;      /* = page walks */
	uint64_t walk_memory_refs;/* PTEs read by walks */
} mmu_counters_t;

/* One step of a walk, for `vmlab explain`. */
typedef struct mmu_step {
	uint64_t index;           /* index into this level's table */
	uint64_t pte_pa;          /* physical address of the entry read */
	uint64_t pte;             /* the entry as read */
} mmu_step_t;

/* What one translation did, recorded only when asked (explain). */
typedef struct mmu_log {
	int tlb_hit;
	unsigned nsteps;          /* steps[0] is L1, the root */
	mmu_step_t steps[GEOM_MAX_LEVELS];
} mmu_log_t;

typedef struct mmu_result {
	mmu_status_t status;
	mmu_reason_t reason;
	uint64_t pfn;             /* frame, when status is MMU_OK */
	uint64_t pte_pa;          /* leaf PTE address, when known */
	unsigned fault_level;     /* CS:APP level number (1 = root) of a not-present fault */
} mmu_result_t;

typedef struct mmu {
	const geom_t *g;
	phys_t *phys;
	tlb_t *tlb;
	mmu_counters_t count;
} mmu_t;

/* Translate va for address space asid whose root table is at frame root_pfn.
 * log may be NULL (the fast path).  Fills *r and returns r->status. */
mmu_status_t mmu_translate_logged(mmu_t *m, uint32_t asid, uint64_t root_pfn,
				  uint64_t va, mmu_access_t acc, mmu_result_t *r,
				  mmu_log_t *log);

/* The miss path: walk the tables.  Counted as a TLB miss and a walk. */
mmu_status_t mmu_walk(mmu_t *m, uint32_t asid, uint64_t root_pfn, uint64_t va,
		      mmu_access_t acc, mmu_result_t *r, mmu_log_t *log);

/* Permission check of a leaf's effective rights; MMU_REASON_NONE if allowed. */
static inline mmu_reason_t mmu_check(int writable, int user, int exec, mmu_access_t acc)
{
	if (!user)
		return MMU_REASON_SUPERVISOR;
	if (acc == MMU_WRITE && !writable)
		return MMU_REASON_WRITE_RDONLY;
	if (acc == MMU_EXEC && !exec)
		return MMU_REASON_EXEC_NX;
	return MMU_REASON_NONE;
}

/* A translation that hit TLB entry e without e allowing it outright (e->ok):
 * check the rights e caches; a write to a page whose dirty bit is not known
 * set sets it in the PTE, found again by a walk that is not counted (the
 * hardware would keep its address in the entry). */
mmu_status_t mmu_tlb_hit(mmu_t *m, tlb_entry_t *e, uint64_t root_pfn, uint64_t va,
			 mmu_access_t acc, mmu_result_t *r);

/* The hot path's first half: true, with *pfn, when the TLB holds a
 * translation of va that allows acc outright (counted as a TLB hit); false
 * with nothing counted otherwise: then mmu_translate does the rest (its
 * lookup finds the same entry, now the most recent, without a new stamp).
 * Always inlined, as mmu_translate: a call is a good part of a hit's cost. */
__attribute__((always_inline))
static inline bool mmu_translate_hit(mmu_t *m, uint32_t asid, uint64_t va, mmu_access_t acc,
				     uint64_t *pfn)
{
	tlb_entry_t *e = tlb_lookup(m->tlb, asid, va >> m->g->page_shift);
	if (e && (e->ok >> acc & 1)) {
		m->count.tlb_hits++;
		*pfn = e->pfn;
		return true;
	}
	return false;
}

/* A whole translation: a TLB hit the entry allows outright is handled here
 * (pfn, status and reason set; pte_pa is not), the rest goes to mmu_tlb_hit
 * or to mmu_walk. */
__attribute__((always_inline))
static inline mmu_status_t mmu_translate(mmu_t *m, uint32_t asid, uint64_t root_pfn,
					 uint64_t va, mmu_access_t acc, mmu_result_t *r)
{
	tlb_entry_t *e = tlb_lookup(m->tlb, asid, va >> m->g->page_shift);
	if (e && (e->ok >> acc & 1)) {
		m->count.tlb_hits++;
		r->status = MMU_OK;
		r->reason = MMU_REASON_NONE;
		r->pfn = e->pfn;
		return MMU_OK;
	}
	return e ? mmu_tlb_hit(m, e, root_pfn, va, acc, r) : mmu_walk(m, asid, root_pfn, va, acc, r, 0);
}

const char *mmu_reason_name(mmu_reason_t reason);

#endif
