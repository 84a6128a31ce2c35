/* mmu.c - the page-table walker. */
#include <assert.h>

#include "mmu.h"

/* Effective rights accumulate down the walk as on x86: writable and user only
 * if every level allows it, executable unless some level says NX. */
mmu_status_t mmu_walk(mmu_t *m, uint32_t asid, uint64_t root_pfn, uint64_t va,
		      mmu_access_t acc, mmu_result_t *r, mmu_log_t *log)
{
	const geom_t *g = m->g;
	uint64_t pfn = root_pfn;
	int writable = 1, user = 1, exec = 1;

	m->count.tlb_misses++;
	for (unsigned level = g->levels; level-- > 0;) {
		uint64_t index = geom_index(g, va, level);
		uint64_t pte_pa = geom_frame_pa(g, pfn) + index * PTE_SIZE;
		uint64_t pte = phys_read64(m->phys, pte_pa);
		m->count.walk_memory_refs++;
		if (log)
			log->steps[log->nsteps++] = (mmu_step_t){ index, pte_pa, pte };
		if (!(pte & PTE_P)) {
			r->status = MMU_FAULT_NOT_PRESENT;
			r->reason = MMU_REASON_NOT_PRESENT;
			r->pte_pa = pte_pa;
			r->fault_level = g->levels - level;
			return r->status;
		}
		writable &= !!(pte & PTE_W);
		user &= !!(pte & PTE_U);
		exec &= !(pte & PTE_NX);
		if (level == 0) {
			r->pte_pa = pte_pa;
			r->reason = mmu_check(writable, user, exec, acc);
			if (r->reason != MMU_REASON_NONE) {
				r->status = MMU_FAULT_PROTECTION;
				return r->status;
			}
			pte |= PTE_A | (acc == MMU_WRITE ? PTE_D : 0);
			phys_write64(m->phys, pte_pa, pte);
			r->pfn = pte_pfn(pte);
			uint64_t eff = pte & ~(PTE_W | PTE_U | PTE_NX);
			eff |= (writable ? PTE_W : 0) | (user ? PTE_U : 0) | (exec ? 0 : PTE_NX);
			tlb_fill(m->tlb, asid, va >> g->page_shift, r->pfn, eff);
			r->status = MMU_OK;
			return MMU_OK;
		}
		if (!(pte & PTE_A))
			phys_write64(m->phys, pte_pa, pte | PTE_A);
		pfn = pte_pfn(pte);
	}
	/* levels >= 1 always, so the loop returns. */
	r->status = MMU_FAULT_NOT_PRESENT;
	return r->status;
}

/* The address of va's leaf PTE, or 0 if a table on the way is missing; reads
 * PTEs without counting them or setting A. */
static uint64_t mmu_leaf_pa(const mmu_t *m, uint64_t root_pfn, uint64_t va)
{
	const geom_t *g = m->g;
	uint64_t pfn = root_pfn;
	for (unsigned level = g->levels; level-- > 0;) {
		uint64_t pte_pa = geom_frame_pa(g, pfn) + geom_index(g, va, level) * PTE_SIZE;
		if (level == 0)
			return pte_pa;
		uint64_t pte = phys_read64(m->phys, pte_pa);
		if (!(pte & PTE_P))
			return 0;
		pfn = pte_pfn(pte);
	}
	return 0;
}

mmu_status_t mmu_tlb_hit(mmu_t *m, tlb_entry_t *e, uint64_t root_pfn, uint64_t va,
			 mmu_access_t acc, mmu_result_t *r)
{
	m->count.tlb_hits++;
	r->reason = mmu_check(e->writable, e->user, e->exec, acc);
	r->pte_pa = mmu_leaf_pa(m, root_pfn, va);
	if (r->reason != MMU_REASON_NONE) {
		r->status = MMU_FAULT_PROTECTION;
		return r->status;
	}
	if (acc == MMU_WRITE && !e->dirty) {
		/* Only a walk fills an entry whose dirty bit is not known set,
		 * so the tables it walked are there. */
		assert(r->pte_pa);
		phys_write64(m->phys, r->pte_pa, phys_read64(m->phys, r->pte_pa) | PTE_D);
		tlb_set_dirty(e);
	}
	r->pfn = e->pfn;
	r->status = MMU_OK;
	return MMU_OK;
}

mmu_status_t mmu_translate_logged(mmu_t *m, uint32_t asid, uint64_t root_pfn,
				  uint64_t va, mmu_access_t acc, mmu_result_t *r,
				  mmu_log_t *log)
{
	tlb_entry_t *e = tlb_lookup(m->tlb, asid, va >> m->g->page_shift);
	log->nsteps = 0;
	log->tlb_hit = e != 0;
	return e ? mmu_tlb_hit(m, e, root_pfn, va, acc, r) : mmu_walk(m, asid, root_pfn, va, acc, r, log);
}

const char *mmu_reason_name(mmu_reason_t reason)
{
	switch (reason) {
	case MMU_REASON_NONE: return "none";
	case MMU_REASON_NOT_PRESENT: return "page not present";
	case MMU_REASON_WRITE_RDONLY: return "write to a read-only page";
	case MMU_REASON_EXEC_NX: return "instruction fetch from a no-execute page";
	case MMU_REASON_SUPERVISOR: return "user access to a supervisor page";
	}
	return "?";
}
