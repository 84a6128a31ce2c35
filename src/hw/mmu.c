/* mmu.c - the page-table walker. */
#include <assert.h>

#include "mmu.h"

/* The frame of base page vpn inside the page TLB entry e maps: e->pfn for a
 * base entry, the huge page's first frame plus vpn's offset for a huge one. */
static uint64_t mmu_entry_pfn(const mmu_t *m, const tlb_entry_t *e, uint64_t vpn)
{
	unsigned level = tlb_key_level(e->vpn);
	return level ? e->pfn + (vpn & (geom_leaf_pages(m->g, level) - 1)) : e->pfn;
}

/* The leaf entry pte found at code level `level` for va: set A (and D on a
 * write) in memory, fill the TLB with the effective rights, report the
 * frame.  The rights were checked. */
static mmu_status_t mmu_leaf(mmu_t *m, uint32_t asid, uint64_t va, mmu_access_t acc,
			     unsigned level, uint64_t pte, uint64_t pte_pa, uint64_t eff_rights,
			     mmu_result_t *r)
{
	const geom_t *g = m->g;
	uint64_t vpn = va >> g->page_shift;
	pte |= PTE_A | (acc == MMU_WRITE ? PTE_D : 0);
	pte_store(m->phys, g, pte_pa, pte);
	uint64_t eff = (pte & ~(PTE_W | PTE_U | PTE_NX)) | eff_rights;
	if (level == 0) {
		r->pfn = pte_pfn(pte);
		tlb_fill(m->tlb, asid, vpn, r->pfn, eff);
	} else {
		uint64_t run = geom_leaf_pages(g, level);
		uint64_t base = pte_pfn(pte) & ~(run - 1);
		r->pfn = base + (vpn & (run - 1));
		m->count.huge_tlb_misses++;
		tlb_fill(mmu_huge_tlb(m), asid,
			 tlb_huge_key(level, va >> g->level_shift[level]), base, eff);
	}
	r->leaf_level = level;
	r->status = MMU_OK;
	return MMU_OK;
}

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
		uint64_t pte_pa = geom_entry_pa(g, pfn, index);
		uint64_t pte = pte_load(m->phys, g, pte_pa);
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
		if (level == 0 || (pte & PTE_PS)) {
			r->pte_pa = pte_pa;
			r->leaf_level = level;
			r->reason = mmu_check(writable, user || m->kernel_mode, exec, acc);
			if (r->reason != MMU_REASON_NONE) {
				r->status = MMU_FAULT_PROTECTION;
				return r->status;
			}
			uint64_t rights = (writable ? PTE_W : 0) | (user ? PTE_U : 0) | (exec ? 0 : PTE_NX);
			return mmu_leaf(m, asid, va, acc, level, pte, pte_pa, rights, r);
		}
		if (!(pte & PTE_A))
			pte_store(m->phys, g, pte_pa, pte | PTE_A);
		pfn = pte_pfn(pte);
	}
	/* levels >= 1 always, so the loop returns. */
	r->status = MMU_FAULT_NOT_PRESENT;
	return r->status;
}

/* The address of va's leaf PTE (the leaf level's, or a huge leaf above it),
 * or 0 if a table on the way is missing; reads PTEs without counting them or
 * setting A. */
static uint64_t mmu_leaf_pa(const mmu_t *m, uint64_t root_pfn, uint64_t va)
{
	const geom_t *g = m->g;
	uint64_t pfn = root_pfn;
	for (unsigned level = g->levels; level-- > 0;) {
		uint64_t pte_pa = geom_pte_pa(g, pfn, va, level);
		if (level == 0)
			return pte_pa;
		uint64_t pte = pte_load(m->phys, g, pte_pa);
		if (!(pte & PTE_P))
			return 0;
		if (pte & PTE_PS)
			return pte_pa;
		pfn = pte_pfn(pte);
	}
	return 0;
}

mmu_status_t mmu_tlb_hit(mmu_t *m, tlb_entry_t *e, uint64_t root_pfn, uint64_t va,
			 mmu_access_t acc, mmu_result_t *r)
{
	m->count.tlb_hits++;
	r->leaf_level = tlb_key_level(e->vpn);
	m->count.huge_tlb_hits += r->leaf_level != 0;
	r->reason = mmu_check(e->writable, e->user || m->kernel_mode, e->exec, acc);
	r->pte_pa = mmu_leaf_pa(m, root_pfn, va);
	if (r->reason != MMU_REASON_NONE) {
		r->status = MMU_FAULT_PROTECTION;
		return r->status;
	}
	if (acc == MMU_WRITE && !e->dirty) {
		/* Only a walk fills an entry whose dirty bit is not known set,
		 * so the tables it walked are there. */
		assert(r->pte_pa);
		pte_store(m->phys, m->g, r->pte_pa, pte_load(m->phys, m->g, r->pte_pa) | PTE_D);
		tlb_set_dirty(e);
	}
	r->pfn = mmu_entry_pfn(m, e, va >> m->g->page_shift);
	r->status = MMU_OK;
	return MMU_OK;
}

tlb_entry_t *mmu_huge_lookup(mmu_t *m, uint32_t asid, uint64_t vpn)
{
	tlb_t *t = mmu_huge_tlb(m);
	const geom_t *g = m->g;
	for (uint32_t lv = t->huge_levels; lv; lv &= lv - 1) {
		unsigned level = (unsigned)__builtin_ctz(lv);
		uint64_t hvpn = vpn >> (g->level_shift[level] - g->page_shift);
		tlb_entry_t *e = tlb_lookup(t, asid, tlb_huge_key(level, hvpn));
		if (e)
			return e;
	}
	return NULL;
}

/* A huge entry's hit that e allows outright is counted and answered here
 * without finding the PTE again; the rest is mmu_tlb_hit's. */
mmu_status_t mmu_miss(mmu_t *m, uint32_t asid, uint64_t root_pfn, uint64_t va,
		      mmu_access_t acc, mmu_result_t *r, mmu_log_t *log)
{
	uint64_t vpn = va >> m->g->page_shift;
	tlb_entry_t *e = mmu_huge_tlb(m)->huge_levels ? mmu_huge_lookup(m, asid, vpn) : NULL;
	if (!e)
		return mmu_walk(m, asid, root_pfn, va, acc, r, log);
	if (log)
		log->tlb_hit = 1;
	if (!(e->ok >> acc & 1) || log)
		return mmu_tlb_hit(m, e, root_pfn, va, acc, r);
	m->count.tlb_hits++;
	m->count.huge_tlb_hits++;
	r->status = MMU_OK;
	r->reason = MMU_REASON_NONE;
	r->pfn = mmu_entry_pfn(m, e, vpn);
	r->leaf_level = tlb_key_level(e->vpn);
	return MMU_OK;
}

mmu_status_t mmu_translate_logged(mmu_t *m, uint32_t asid, uint64_t root_pfn,
				  uint64_t va, mmu_access_t acc, mmu_result_t *r,
				  mmu_log_t *log)
{
	tlb_entry_t *e = tlb_lookup(m->tlb, asid, va >> m->g->page_shift);
	log->nsteps = 0;
	log->tlb_hit = e != 0;
	return e ? mmu_tlb_hit(m, e, root_pfn, va, acc, r) : mmu_miss(m, asid, root_pfn, va, acc, r, log);
}

void mmu_flush_page(mmu_t *m, uint32_t asid, uint64_t vpn)
{
	const geom_t *g = m->g;
	tlb_t *t = mmu_huge_tlb(m);
	tlb_flush_page(m->tlb, asid, vpn);
	for (uint32_t lv = t->huge_levels; lv; lv &= lv - 1) {
		unsigned level = (unsigned)__builtin_ctz(lv);
		uint64_t hvpn = vpn >> (g->level_shift[level] - g->page_shift);
		tlb_flush_page(t, asid, tlb_huge_key(level, hvpn));
	}
}

void mmu_flush_asid(mmu_t *m, uint32_t asid)
{
	tlb_flush_asid(m->tlb, asid);
	if (mmu_huge_tlb(m) != m->tlb)
		tlb_flush_asid(m->htlb, asid);
}

void mmu_flush_all(mmu_t *m)
{
	tlb_flush_all(m->tlb);
	if (mmu_huge_tlb(m) != m->tlb)
		tlb_flush_all(m->htlb);
}

/* The switch of each mode, chosen by m->asid_mode. */
static void mmu_switch_tagged(mmu_t *m)
{
	(void)m;
}

static void mmu_switch_flush(mmu_t *m)
{
	uint64_t n = tlb_flush_nonglobal(m->tlb);
	if (mmu_huge_tlb(m) != m->tlb)
		n += tlb_flush_nonglobal(m->htlb);
	m->count.tlb_flushes++;
	m->count.tlb_entries_flushed += n;
}

static void (*const mmu_switch_ops[])(mmu_t *) = {
	[MMU_ASID_TAGGED] = mmu_switch_tagged,
	[MMU_ASID_NONE] = mmu_switch_flush,
};

void mmu_switch(mmu_t *m)
{
	assert((unsigned)m->asid_mode < sizeof mmu_switch_ops / sizeof mmu_switch_ops[0]);
	mmu_switch_ops[m->asid_mode](m);
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
