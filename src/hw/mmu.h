/* mmu.h - address translation (prefix mmu_).
 *
 * translate(asid, root, va, access):
 *   TLB lookup (asid, VPN) -- hit:  check permissions; a write to an entry
 *                                    whose dirty bit is not known set sets the
 *                                    PTE's D bit in memory (no walk)
 *                          -- miss: look for a huge entry covering va (in the
 *                                    huge TLB, or the base one when they
 *                                    share: see below); a hit there is
 *                                    handled as above
 *                          -- miss in both: walk from the root table, L1 ..
 *                                    Lk, one PTE read per level, stopping at
 *                                    the first entry that is not present or
 *                                    is a leaf (the leaf level, or PS set
 *                                    above it: a huge page, pte.h); on
 *                                    success set A (and D on a write) in that
 *                                    entry, check permissions, fill the TLB
 * and report either the frame, or a fault with its reason.  The MMU knows PTE
 * bits and nothing of processes, regions, files or swap: the kernel handles
 * the fault and retries the access.
 *
 * Counting: every translation is one TLB lookup, counted once as tlb_hits or
 * tlb_misses whichever TLB answers (so hits + misses = translations);
 * huge_tlb_hits is the part of tlb_hits that huge entries served,
 * huge_tlb_misses the part of tlb_misses whose walk ended at a huge leaf.
 *
 * Huge entries: m->htlb, when it has entries (--tlb-huge E:W, as the 2 MiB
 * L1 DTLB of x86 cores), holds them apart from m->tlb; when it is NULL or has
 * no entries (--tlb-huge 0), they share m->tlb (tlb.h's keys keep them
 * apart).  A huge hit probes one key per level that holds huge entries
 * (tlb_t.huge_levels), after the base lookup missed: a machine without huge
 * pages probes nothing.
 *
 * Address-space ids: with m->asid_mode MMU_ASID_TAGGED (the default) entries
 * are tagged and a switch of address space costs nothing; with
 * MMU_ASID_NONE, a CPU without ASIDs, mmu_switch flushes every non-global
 * entry of both TLBs, counted in tlb_flushes (one a switch) and
 * tlb_entries_flushed (the valid entries that went).  The kernel calls
 * mmu_switch on every switch of root table (process to process, or KPTI's
 * user and kernel roots); which ones count is its decision.
 *
 * Invalidation after a PTE change goes through mmu_flush_page / _asid / _all,
 * which reach the huge entries too (tlb_flush_page alone knows one key). */
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
	uint64_t huge_tlb_hits;   /* tlb_hits served by a huge entry */
	uint64_t huge_tlb_misses; /* walks that ended at a huge leaf */
	uint64_t tlb_flushes;     /* MMU_ASID_NONE: switches that flushed */
	uint64_t tlb_entries_flushed; /* valid entries those flushes removed */
} mmu_counters_t;

/* How the TLB tells address spaces apart (m->asid_mode). */
typedef enum mmu_asid_mode {
	MMU_ASID_TAGGED = 0,      /* entries carry the asid: switches are free */
	MMU_ASID_NONE,            /* no asids: a switch flushes non-global entries */
} mmu_asid_mode_t;

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
	unsigned leaf_level;      /* code level of the leaf that maps va: 0 a base
				     page, k >= 1 a huge page of 2^level_shift[k]
				     bytes; set with pte_pa (not by the inline
				     fast path) */
} mmu_result_t;

typedef struct mmu {
	const geom_t *g;
	phys_t *phys;
	tlb_t *tlb;
	mmu_counters_t count;
	tlb_t *htlb;              /* huge entries; NULL or no entries: in tlb */
	mmu_asid_mode_t asid_mode;
	uint8_t kernel_mode;      /* the CPU is in supervisor mode: U=0 pages allowed */
} mmu_t;

/* Translate va for address space asid whose root table is at frame root_pfn.
 * log may be NULL (the fast path).  Fills *r and returns r->status. */
mmu_status_t mmu_translate_logged(mmu_t *m, uint32_t asid, uint64_t root_pfn,
				  uint64_t va, mmu_access_t acc, mmu_result_t *r,
				  mmu_log_t *log);

/* The miss path: walk the tables.  Counted as a TLB miss and a walk. */
mmu_status_t mmu_walk(mmu_t *m, uint32_t asid, uint64_t root_pfn, uint64_t va,
		      mmu_access_t acc, mmu_result_t *r, mmu_log_t *log);

/* After the base TLB missed va: a huge entry's translation (a TLB hit) if
 * one covers va, else mmu_walk. */
mmu_status_t mmu_miss(mmu_t *m, uint32_t asid, uint64_t root_pfn, uint64_t va,
		      mmu_access_t acc, mmu_result_t *r, mmu_log_t *log);

/* The TLB that holds huge entries: m->htlb, or m->tlb when they share. */
static inline tlb_t *mmu_huge_tlb(const mmu_t *m)
{
	return m->htlb && m->htlb->sets ? m->htlb : m->tlb;
}

/* The huge entry of (asid, or global) covering base page vpn, made most
 * recently used, or NULL.  Counts nothing. */
tlb_entry_t *mmu_huge_lookup(mmu_t *m, uint32_t asid, uint64_t vpn);

/* Invalidate every entry that maps base page vpn for asid (its base entry
 * and a huge one covering it) / every non-global entry of asid / every entry,
 * in both TLBs. */
void mmu_flush_page(mmu_t *m, uint32_t asid, uint64_t vpn);
void mmu_flush_asid(mmu_t *m, uint32_t asid);
void mmu_flush_all(mmu_t *m);

/* A switch of address space (root table): nothing with MMU_ASID_TAGGED;
 * with MMU_ASID_NONE a flush of every non-global entry, counted. */
void mmu_switch(mmu_t *m);

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

/* A translation that hit TLB entry e (base or huge) without e allowing it
 * outright (e->ok; for a huge entry also with it): check the rights e caches;
 * a write to a page whose dirty bit is not known set sets it in the PTE,
 * found again by a walk that is not counted (the hardware would keep its
 * address in the entry).  Counted as a TLB hit (and a huge one). */
mmu_status_t mmu_tlb_hit(mmu_t *m, tlb_entry_t *e, uint64_t root_pfn, uint64_t va,
			 mmu_access_t acc, mmu_result_t *r);

/* The hot path's first half: true, with *pfn, when the base TLB holds a
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
 * (pfn, status and reason set; pte_pa and leaf_level are not), the rest goes
 * to mmu_tlb_hit or to mmu_miss. */
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
	return e ? mmu_tlb_hit(m, e, root_pfn, va, acc, r) : mmu_miss(m, asid, root_pfn, va, acc, r, 0);
}

const char *mmu_reason_name(mmu_reason_t reason);

#endif
