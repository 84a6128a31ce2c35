/* huge.c - huge pages of user memory (huge.h): trace mode's THP on first
 * touch, splitting before reclaim, the untouched-bytes count. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/huge.h"
#include "kern/numa.h"
#include "kern/shadow.h"
#include "util/vmerr.h"

/* The flags of a huge page mapped by a fault: present, writable, user. */
#define HUGE_ANON_FLAGS (PTE_P | PTE_W | PTE_U | PTE_PS | PTE_SEEN)
/* The bits a split hands from the huge entry to each base entry. */
#define HUGE_SPLIT_KEEP (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_G | PTE_SEEN | PTE_NX)

/* ---- Where huge pages come from: a table row chosen once (huge.h). ---- */

/* Whether taking a run out of `free` free frames leaves at least min. */
static int huge_leaves(const vm_machine_t *vm, uint64_t free, uint64_t min)
{
	return free >= vm->huge->run + min;
}

/* The machine's frames: the lowest free aligned run that leaves the free
 * frames at or above the min watermark. */
static int place_plain_run(vm_machine_t *vm, uint32_t p, uint64_t *first)
{
	idset_t *fs = &vm->free_frames;
	return !idset_find_run(fs, vm->huge->run, first) &&
	       huge_leaves(vm, fs->limit - fs->used, vm->cfg.wmark_min);
}

static void place_plain_took(vm_machine_t *vm, uint32_t p, uint64_t first)
{
}

/* The top of the free stack. */
static uint64_t place_plain_pick(vm_machine_t *vm, uint32_t p)
{
	return vm->huge->pool_free - 1;
}

static uint64_t place_plain_avail(vm_machine_t *vm)
{
	return vm->huge->pool_free;
}

/* Pool page i: the lowest free aligned run. */
static int place_plain_pool_run(vm_machine_t *vm, uint64_t i, uint64_t *first)
{
	return idset_find_run(&vm->free_frames, vm->huge->run, first);
}

/* NUMA: the lowest free aligned run of the first node the policy allows
 * that has one leaving its free frames at or above its min watermark. */
static int place_numa_run(vm_machine_t *vm, uint32_t p, uint64_t *first)
{
	uint32_t n;
	for (uint32_t k = 0; (n = numa_huge_node(vm, p, k)) != UINT32_MAX; k++) {
		uint64_t lo, hi;
		numa_node_range(vm, n, &lo, &hi);
		if (!idset_find_run_in(&vm->free_frames, vm->huge->run, lo, hi, first) &&
		    huge_leaves(vm, numa_node_free(vm, n), numa_wmark(vm, n, NUMA_WMARK_MIN)))
			return 1;
	}
	return 0;
}

static void place_numa_took(vm_machine_t *vm, uint32_t p, uint64_t first)
{
	numa_huge_took(vm, p, numa_node_of(vm, first));
}

/* The free pool page nearest the stack's top on the first node the policy
 * allows that has one; pool_free when none. */
static uint64_t place_numa_pick(vm_machine_t *vm, uint32_t p)
{
	const struct huge *h = vm->huge;
	uint32_t n;
	for (uint32_t k = 0; (n = numa_huge_node(vm, p, k)) != UINT32_MAX; k++)
		for (uint64_t i = h->pool_free; i-- > 0;)
			if (numa_node_of(vm, h->pool[i]) == n)
				return i;
	return h->pool_free;
}

/* Under bind only the bound node's free pool pages. */
static uint64_t place_numa_avail(vm_machine_t *vm)
{
	const struct huge *h = vm->huge;
	uint32_t n;
	if (!numa_bound(vm, &n))
		return h->pool_free;
	uint64_t k = 0;
	for (uint64_t i = 0; i < h->pool_free; i++)
		k += numa_node_of(vm, h->pool[i]) == n;
	return k;
}

/* Pool page i on node i mod N, or the next node that has a free aligned
 * run. */
static int place_numa_pool_run(vm_machine_t *vm, uint64_t i, uint64_t *first)
{
	uint32_t nodes = vm->cfg.numa_nodes;
	for (uint32_t k = 0; k < nodes; k++) {
		uint64_t lo, hi;
		numa_node_range(vm, (uint32_t)((i + k) % nodes), &lo, &hi);
		if (!idset_find_run_in(&vm->free_frames, vm->huge->run, lo, hi, first))
			return VM_OK;
	}
	return VM_ENOSPC;
}

typedef struct huge_place {
	/* a free aligned run for p that may be taken: 1 and *first, else 0 */
	int (*run)(vm_machine_t *vm, uint32_t p, uint64_t *first);
	/* the run (or pool page) from first was taken for p */
	void (*took)(vm_machine_t *vm, uint32_t p, uint64_t first);
	/* the index in pool[0, pool_free) of the free pool page for p, or
	 * pool_free when none may be taken */
	uint64_t (*pick)(vm_machine_t *vm, uint32_t p);
	/* free pool pages a reservation may count on */
	uint64_t (*avail)(vm_machine_t *vm);
	/* the first frame of a free aligned run for pool page i: 0 or VM_ENOSPC */
	int (*pool_run)(vm_machine_t *vm, uint64_t i, uint64_t *first);
} huge_place_t;

static const huge_place_t huge_places[] = {
	{ place_plain_run, place_plain_took, place_plain_pick, place_plain_avail,
	  place_plain_pool_run },
	{ place_numa_run, place_numa_took, place_numa_pick, place_numa_avail,
	  place_numa_pool_run },
};

/* Take the free pool page for p off the stack (its index from pick, moved
 * to the top): its first frame. */
static uint64_t huge_pool_take(vm_machine_t *vm, uint32_t p)
{
	struct huge *h = vm->huge;
	uint64_t i = h->place->pick(vm, p);
	assert(i < h->pool_free); /* (the reservations promised one) */
	uint64_t first = h->pool[i];
	h->pool[i] = h->pool[h->pool_free - 1];
	h->pool[--h->pool_free] = first;
	h->place->took(vm, p, first);
	return first;
}

/* Take cfg.hugepages aligned runs of frames for the hugetlb pool.  0, or
 * VM_EINVAL / VM_ENOMEM with the reason in err. */
static int huge_pool_init(vm_machine_t *vm, char *err, size_t errlen)
{
	struct huge *h = vm->huge;
	uint64_t n = vm->cfg.hugepages, first;
	if (!n)
		return VM_OK;
	h->pool = calloc(n, sizeof *h->pool);
	if (!h->pool || budget_charge(&vm->budget, BUDGET_MACHINE, n * sizeof *h->pool)) {
		snprintf(err, errlen, "out of memory (the hugetlb pool's list)");
		return VM_ENOMEM;
	}
	for (; h->pool_n < n; h->pool_n++) {
		if (h->place->pool_run(vm, h->pool_n, &first) ||
		    idset_take_run(&vm->free_frames, first, h->run)) {
			snprintf(err, errlen, "--hugepages %llu: the %u frames hold only %llu aligned runs of %llu",
				 (unsigned long long)n, vm->cfg.frames, (unsigned long long)h->pool_n,
				 (unsigned long long)h->run);
			return VM_EINVAL;
		}
		for (uint64_t i = 0; i < h->run; i++)
			vm->frames[first + i].hugetlb = 1;
		h->pool[h->pool_n] = first;
	}
	h->pool_free = n;
	return VM_OK;
}

int huge_init(vm_machine_t *vm, char *err, size_t errlen)
{
	if (vm->cfg.thp == VM_THP_NEVER && !vm->cfg.hugepages)
		return VM_OK;
	assert(vm->g.levels >= 2); /* vm_check_config refused a one-level table */
	struct huge *h = calloc(1, sizeof *h);
	uint64_t words = ((uint64_t)vm->cfg.frames + 63) / 64;
	if (h) {
		h->is_huge = calloc(words, sizeof *h->is_huge);
		h->touched = calloc(words, sizeof *h->touched);
	}
	vm->huge = h;
	if (!h || !h->is_huge || !h->touched) {
		snprintf(err, errlen, "out of memory");
		return VM_ENOMEM;
	}
	int rc = budget_charge(&vm->budget, BUDGET_MACHINE, sizeof *h + 2 * words * sizeof *h->is_huge);
	if (rc) {
		snprintf(err, errlen, "--max-memory: no room for the huge pages' bitmaps (%llu bytes)",
			 (unsigned long long)(sizeof *h + 2 * words * sizeof *h->is_huge));
		return rc;
	}
	h->run = geom_leaf_pages(&vm->g, 1);
	h->place = &huge_places[numa_on(vm)];
	h->scan_at = vm->cfg.khugepaged_every; /* the first pass after N references */
	return huge_pool_init(vm, err, errlen);
}

void huge_fini(vm_machine_t *vm)
{
	if (!vm->huge)
		return;
	free(vm->huge->is_huge);
	free(vm->huge->touched);
	free(vm->huge->pool);
	free(vm->huge);
	vm->huge = NULL;
}

/* Set or clear frame f's bit in a bitmap. */
static void huge_bit(uint64_t *map, uint64_t f, int on)
{
	if (on)
		map[f / 64] |= 1ull << (f % 64);
	else
		map[f / 64] &= ~(1ull << (f % 64));
}

/* The run from first has just become huge, no frame of it touched yet. */
static void huge_untouched(struct huge *h, uint64_t first)
{
	for (uint64_t i = 0; i < h->run; i++)
		huge_bit(h->touched, first + i, 0);
	h->untouched += h->run;
}

/* Give back the first n frames of a run taken from first (their reverse map
 * entries too): a fault that could not finish. */
static void huge_unwind(vm_machine_t *vm, uint64_t first, uint64_t n, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		uint32_t f = (uint32_t)(first + i);
		if (i < n)
			frame_rmap_clear(vm, f);
		vm->frames[f] = (frame_t){ .swap_slot = SLOT_NONE, .rmap = RMAP_NONE,
					   .obj = OBJ_NONE, .hnext = FRAME_NIL };
		idset_put(&vm->free_frames, f);
	}
}

/* Whether a free aligned run of frames for p exists (into *first) that
 * taking leaves the free frames (of its node) at or above the min
 * watermark. */
static int huge_free_run(vm_machine_t *vm, uint32_t p, uint64_t *first)
{
	return vm->huge->place->run(vm, p, first);
}

/* Take the free run from first for p. */
static int huge_take_run(vm_machine_t *vm, uint32_t p, uint64_t first)
{
	int rc = idset_take_run(&vm->free_frames, first, vm->huge->run);
	if (!rc)
		vm->huge->place->took(vm, p, first);
	return rc;
}

/* Map the taken run from first as one huge page of p at vpn0 through the
 * level-1 entry at pmd_pa with flags (PS among them): reverse map, huge
 * bits, the policy told of each frame at seq, resident counts.  The touched
 * bits and the other counts are the caller's.  0 or VM_ENOMEM (nothing changed, the run given
 * back). */
static int huge_install(vm_machine_t *vm, uint32_t p, uint64_t vpn0, uint64_t pmd_pa,
			uint64_t first, uint64_t flags, uint64_t seq)
{
	struct huge *h = vm->huge;
	for (uint64_t i = 0; i < h->run; i++) {
		uint32_t f = (uint32_t)(first + i);
		vm->frames[f].used = 1;
		vm->frames[f].swap_slot = SLOT_NONE;
		int rc = frame_rmap_add(vm, f, p, vpn0 + i, pmd_pa);
		if (rc) {
			huge_unwind(vm, first, i, h->run);
			return rc;
		}
	}
	kpte_set(vm, pmd_pa, pte_make(first, flags));
	for (uint64_t i = 0; i < h->run; i++) {
		huge_bit(h->is_huge, first + i, 1);
		policy_page_t pg = { .key = policy_key(0, p, vpn0 + i), .seq = seq };
		vm->pol->on_fill(vm->pol_state, (frame_id_t)(first + i), &pg);
	}
	frame_resident_add(vm, h->run);
	proc_rss_add(&vm->procs[p], h->run);
	return VM_OK;
}

/* A fault that mapped the huge page at first (its 512 base pages never
 * seen before: an empty level-1 entry): its pages untouched so far, and
 * counted as one minor fault and a THP allocation. */
static void huge_fault_counted(vm_machine_t *vm, uint64_t first)
{
	struct huge *h = vm->huge;
	huge_untouched(h, first);
	vm->st.distinct_pages += h->run;
	vm->st.page_faults++;
	vm->st.minor_faults++;
	vm->st.thp_fault_alloc++;
}

int huge_fault_trace(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t seq)
{
	struct huge *h = vm->huge;
	if (!h || vm->cfg.thp != VM_THP_ALWAYS)
		return 0;
	uint64_t pmd_pa, first;
	int rc = proc_walk_to(vm, p, va, 1, 1, &pmd_pa); /* (the one walker: the kernel half's and kpti's roots) */
	if (rc)
		return rc;
	if (pte_load(&vm->phys, &vm->g, pmd_pa) & PTE_P)
		return 0; /* base pages (a leaf table) are there already */
	if (!huge_free_run(vm, p, &first)) {
		vm->st.thp_fault_fallback++;
		return 0;
	}
	rc = huge_take_run(vm, p, first);
	if (rc)
		return rc;
	uint64_t vpn0 = va >> vm->g.level_shift[1] << (vm->g.level_shift[1] - vm->g.page_shift);
	/* A and D stay clear: the retried access sets them, as hardware would. */
	rc = huge_install(vm, p, vpn0, pmd_pa, first, proc_page_flags(vm, va, HUGE_ANON_FLAGS), seq);
	if (rc)
		return rc;
	huge_fault_counted(vm, first);
	kio_event(vm, "fault pid %u vpn 0x%llx: huge page, frames %llu..%llu\n",
		  vm->procs[p].pid, (unsigned long long)(va >> vm->g.page_shift),
		  (unsigned long long)first, (unsigned long long)(first + h->run - 1));
	return 1;
}

int huge_split(vm_machine_t *vm, uint32_t f)
{
	struct huge *h = vm->huge;
	const geom_t *g = &vm->g;
	assert(huge_is_huge(vm, f));
	uint64_t first = f & ~(h->run - 1);
	const rmap_t *r = &vm->rmaps[vm->frames[first].rmap];
	uint32_t p = r->proc;
	uint64_t pmd_pa = r->pte_pa, vpn0 = r->vpn, table;
	int rc = phys_kalloc(&vm->phys, g->level_frames[0], &table);
	if (rc)
		return rc;
	uint64_t flags = pte_load(&vm->phys, g, pmd_pa) & HUGE_SPLIT_KEEP;
	uint64_t untouched = 0;
	for (uint64_t i = 0; i < h->run; i++) {
		uint32_t fi = (uint32_t)(first + i);
		uint64_t leaf_pa = geom_entry_pa(g, table, i);
		frame_rmap_clear(vm, fi);
		pte_store(&vm->phys, g, leaf_pa, pte_make(fi, flags));
		rc = frame_rmap_add(vm, fi, p, vpn0 + i, leaf_pa); /* reuses the entry just freed */
		assert(rc == VM_OK);
		untouched += !(h->touched[fi / 64] >> (fi % 64) & 1);
		huge_bit(h->is_huge, fi, 0);
	}
	h->untouched -= untouched;
	h->bloat_pages += untouched;
	pte_store(&vm->phys, g, pmd_pa, pte_make(table, PTE_P | PTE_W | PTE_U));
	mmu_flush_page(&vm->mmu, vm->procs[p].asid, vpn0);
	vm->st.thp_split++;
	kio_event(vm, "split huge page pid %u vpn 0x%llx\n", vm->procs[p].pid,
		  (unsigned long long)vpn0);
	return VM_OK;
}

void huge_stats(vm_machine_t *vm)
{
	const struct huge *h = vm->huge;
	if (!h)
		return;
	vm->st.thp_bloat_bytes = (h->untouched + h->bloat_pages) << vm->g.page_shift;
	vm->st.hugetlb_pages = h->pool_n;
	vm->st.hugetlb_free = h->pool_free;
	vm->st.hugetlb_reserved = h->resv;
	vm->st.hugetlb_faults = h->tlb_faults;
}

/* ---- Script mode (regions, bytes, swap): see huge.h. ---- */

/* Bytes of a huge page. */
static uint64_t huge_bytes(const vm_machine_t *vm)
{
	return vm->huge->run << vm->g.page_shift;
}

int huge_thp_allowed(const vm_machine_t *vm, const vma_t *v)
{
	if (!vm->huge || v->obj != OBJ_NONE || v->shared || v->zero_from)
		return 0;
	switch (vm->cfg.thp) {
	case VM_THP_ALWAYS: return v->huge == VMA_HUGE_DEFAULT || v->huge == VMA_HUGE_ADVISED;
	case VM_THP_MADVISE: return v->huge == VMA_HUGE_ADVISED;
	default: return 0;
	}
}

/* Whether the aligned huge range holding va lies wholly inside v. */
static int huge_range_inside(const vm_machine_t *vm, const vma_t *v, uint64_t va)
{
	uint64_t a = va & ~(huge_bytes(vm) - 1);
	return a >= v->start && a + huge_bytes(vm) > a && a + huge_bytes(vm) <= v->end;
}

int huge_fault_script(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va)
{
	struct huge *h = vm->huge;
	if (!huge_thp_allowed(vm, v) || !huge_range_inside(vm, v, va))
		return 0;
	uint64_t pmd_pa, first;
	int rc = proc_walk_to(vm, p, va, 1, 1, &pmd_pa);
	if (rc)
		return rc;
	if (kpte_get(vm, pmd_pa) & PTE_P)
		return 0; /* a leaf table is there: base pages */
	if (!huge_free_run(vm, p, &first)) {
		vm->st.thp_fault_fallback++;
		return 0;
	}
	rc = huge_take_run(vm, p, first);
	if (rc)
		return rc;
	for (uint64_t i = 0; i < h->run; i++)
		memset(phys_user_page(&vm->phys, first + i), 0, geom_page_size(&vm->g));
	uint64_t vpn0 = (va & ~(huge_bytes(vm) - 1)) >> vm->g.page_shift;
	rc = huge_install(vm, p, vpn0, pmd_pa, first, vma_pte_flags(v, 0) | PTE_PS,
			  vm->st.references - 1);
	if (rc)
		return rc;
	huge_fault_counted(vm, first);
	kio_event(vm, "fault pid %u va 0x%llx minor: huge page, frames %llu..%llu\n",
		  vm->procs[p].pid, (unsigned long long)va, (unsigned long long)first,
		  (unsigned long long)(first + h->run - 1));
	return 1;
}

int huge_split_at(vm_machine_t *vm, uint32_t p, uint64_t va)
{
	uint64_t pte_pa;
	if (!vm->huge || !(va & (huge_bytes(vm) - 1)) || proc_walk(vm, p, va, 0, &pte_pa))
		return VM_OK;
	uint64_t pte = kpte_get(vm, pte_pa);
	return pte & PTE_PS ? huge_split(vm, (uint32_t)pte_pfn(pte)) : VM_OK;
}

/* The pool page from first, no longer mapped by p, goes back to the pool. */
static void huge_pool_put(vm_machine_t *vm, uint32_t p, uint64_t first)
{
	struct huge *h = vm->huge;
	for (uint64_t i = 0; i < h->run; i++) {
		frame_rmap_clear(vm, (uint32_t)(first + i));
		vm->frames[first + i].used = 0;
	}
	h->pool[h->pool_free++] = first;
	vm->st.resident_pages -= h->run;
	vm->procs[p].resident -= h->run;
	vm->procs[p].hugetlb -= (uint32_t)h->run;
}

void huge_zap(vm_machine_t *vm, uint32_t p, uint64_t pmd_pa)
{
	struct huge *h = vm->huge;
	uint64_t pte = kpte_get(vm, pmd_pa), first = pte_pfn(pte);
	assert((pte & PTE_PS) && (huge_is_huge(vm, (uint32_t)first) || vm->frames[first].hugetlb));
	uint64_t vpn0 = vm->rmaps[vm->frames[first].rmap].vpn;
	kpte_set(vm, pmd_pa, 0);
	mmu_flush_page(&vm->mmu, vm->procs[p].asid, vpn0);
	if (vm->frames[first].hugetlb) {
		huge_pool_put(vm, p, first);
		return;
	}
	for (uint64_t i = 0; i < h->run; i++) {
		uint32_t f = (uint32_t)(first + i);
		if (!(h->touched[f / 64] >> (f % 64) & 1)) {
			h->untouched--;
			h->bloat_pages++;
		}
		huge_bit(h->is_huge, f, 0);
		frame_rmap_clear(vm, f);
		vm->frames[f].dirty = 0;
		frame_release(vm, f);
	}
	vm->procs[p].resident -= h->run;
	kio_event(vm, "unmap huge page pid %u vpn 0x%llx\n", vm->procs[p].pid,
		  (unsigned long long)vpn0);
}

/* Whether the leaf table at table can be collapsed: every present entry a
 * private anonymous page mapped once and not copy-on-write, no swap entry,
 * at most max_ptes_none empty entries and at least one present.  *none and
 * *unseen get the counts of empty entries and of entries never seen. */
static int huge_collapsible(vm_machine_t *vm, uint64_t table, uint64_t *none, uint64_t *unseen)
{
	uint64_t run = vm->huge->run;
	*none = *unseen = 0;
	for (uint64_t i = 0; i < run; i++) {
		uint64_t pte = kpte_get(vm, geom_entry_pa(&vm->g, table, i));
		if (pte & PTE_P) {
			const frame_t *fr = &vm->frames[pte_pfn(pte)];
			if ((pte & PTE_COW) || fr->obj != OBJ_NONE || fr->refs != 1)
				return 0;
		} else if (pte & PTE_SWAP) {
			return 0;
		} else {
			++*none;
		}
		*unseen += !(pte & PTE_SEEN);
	}
	return *none <= vm->cfg.max_ptes_none && *none < run;
}

/* Collapse the leaf table under the level-1 entry at pmd_pa (p's range
 * from vpn0 in region v, huge_collapsible) into the free run from first:
 * each present page copied, the empty ones zeroed, the old frames released,
 * the table freed, one huge entry (dirty: no swap copy of it exists). */
static int huge_collapse(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t vpn0,
			 uint64_t pmd_pa, uint64_t first, uint64_t none, uint64_t unseen)
{
	struct huge *h = vm->huge;
	const geom_t *g = &vm->g;
	uint64_t table = pte_pfn(kpte_get(vm, pmd_pa)), page = geom_page_size(g), flags = 0;
	int rc = huge_take_run(vm, p, first);
	if (rc)
		return rc;
	for (uint64_t i = 0; i < h->run; i++) {
		uint64_t at = geom_entry_pa(g, table, i), pte = kpte_get(vm, at);
		uint8_t *to = phys_user_page(&vm->phys, first + i);
		if (!(pte & PTE_P)) {
			memset(to, 0, page);
			huge_bit(h->touched, first + i, 0);
			if (pte & PTE_SEEN) { /* reclaimed without a swap copy: its shadow goes */
				policy_shadow_t stale;
				shadow_take(vm, policy_key(0, p, vpn0 + i), &stale);
			}
			continue;
		}
		uint32_t old = (uint32_t)pte_pfn(pte);
		memcpy(to, phys_user_page(&vm->phys, old), page);
		huge_bit(h->touched, first + i, 1); /* the copies count as touched */
		flags |= pte & PTE_A;
		frame_rmap_del(vm, old, at);
		swap_uncache(vm, old);
		vm->frames[old].dirty = 0;
		frame_release(vm, old);
		vm->procs[p].resident--;
		kpte_set(vm, at, 0);
	}
	kpte_set(vm, pmd_pa, 0);
	phys_kfree(&vm->phys, table, g->level_frames[0]);
	for (uint64_t i = 0; i < h->run; i++)
		mmu_flush_page(&vm->mmu, vm->procs[p].asid, vpn0 + i);
	rc = huge_install(vm, p, vpn0, pmd_pa, first, vma_pte_flags(v, 0) | PTE_PS | PTE_D | flags,
			  vm->st.references ? vm->st.references - 1 : 0);
	assert(rc == VM_OK); /* the reverse-map entries just freed are reused */
	h->untouched += none;
	vm->st.distinct_pages += unseen;
	vm->st.thp_collapse_alloc++;
	vm->st.thp_collapse_copies += h->run - none;
	kio_event(vm, "khugepaged pid %u vpn 0x%llx: collapsed %llu pages (%llu empty) into frames %llu..%llu\n",
		  vm->procs[p].pid, (unsigned long long)vpn0, (unsigned long long)(h->run - none),
		  (unsigned long long)none, (unsigned long long)first,
		  (unsigned long long)(first + h->run - 1));
	return VM_OK;
}

/* khugepaged's pass over region v of p: each aligned range wholly inside
 * it whose leaf table can be collapsed, while free aligned runs last. */
static void huge_scan_region(vm_machine_t *vm, uint32_t p, uint32_t i)
{
	uint64_t hb = huge_bytes(vm);
	const vma_t *v = &vm->procs[p].vmas[i];
	uint64_t a = (v->start + hb - 1) & ~(hb - 1);
	for (; a >= v->start && a + hb > a && a + hb <= v->end; a += hb) {
		uint64_t pmd_pa, pte, none, unseen, first;
		if (!proc_walk_to(vm, p, a, 1, 0, &pmd_pa) && ((pte = kpte_get(vm, pmd_pa)) & PTE_P) &&
		    !(pte & PTE_PS) && huge_collapsible(vm, pte_pfn(pte), &none, &unseen)) {
			if (!huge_free_run(vm, p, &first))
				return; /* (no reclaim is done to make a run) */
			if (huge_collapse(vm, p, v, a >> vm->g.page_shift, pmd_pa, first, none, unseen))
				return;
			v = &vm->procs[p].vmas[i];
		}
	}
}

void huge_daemon(vm_machine_t *vm)
{
	struct huge *h = vm->huge;
	if (!h || !vm->cfg.khugepaged_every || vm->st.references < h->scan_at)
		return;
	h->scan_at = vm->st.references + vm->cfg.khugepaged_every;
	vm->st.khugepaged_passes++;
	for (uint32_t p = 0; p < vm->nprocs; p++) {
		if (vm->procs[p].state != VM_PROC_ALIVE)
			continue;
		for (uint32_t i = 0; i < vm->procs[p].nvmas; i++)
			if (huge_thp_allowed(vm, &vm->procs[p].vmas[i]))
				huge_scan_region(vm, p, i);
	}
}

/* ---- The hugetlb pool (see huge.h). ---- */

int huge_tlb_prepare(vm_machine_t *vm, const char *path, unsigned flags, uint64_t addr,
		     uint64_t *len)
{
	if (!vm->huge || !vm->huge->pool_n)
		return VM_ENOMEM; /* no pool: Linux's MAP_HUGETLB says ENOMEM too */
	uint64_t hb = huge_bytes(vm);
	if (path || (flags & VM_MAP_SHARED) || (addr & (hb - 1)))
		return VM_EINVAL;
	uint64_t up = (*len + hb - 1) & ~(hb - 1);
	if (up < *len)
		return VM_ENOMEM;
	*len = up;
	return VM_OK;
}

int huge_tlb_reserve(vm_machine_t *vm, uint64_t n, int take)
{
	struct huge *h = vm->huge;
	if (!take) {
		assert(h->resv >= n);
		h->resv -= n;
		return VM_OK;
	}
	if (h->place->avail(vm) - h->resv < n)
		return VM_ENOMEM;
	h->resv += n;
	return VM_OK;
}

int huge_tlb_cuts(const vm_machine_t *vm, uint32_t p, uint64_t va)
{
	int i = vm->huge ? vma_find(&vm->procs[p], va) : -1;
	return i >= 0 && vm->procs[p].vmas[i].huge == VMA_HUGE_TLB && (va & (huge_bytes(vm) - 1));
}

/* Empty level-1 entries of [start, end) of p (huge-aligned). */
static uint64_t huge_empty_pmds(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end)
{
	uint64_t n = 0, pmd_pa;
	for (uint64_t a = start; a < end; a += huge_bytes(vm))
		n += proc_walk_to(vm, p, a, 1, 0, &pmd_pa) || !(kpte_get(vm, pmd_pa) & PTE_P);
	return n;
}

void huge_tlb_unmap(vm_machine_t *vm, uint32_t p, const vma_t *v)
{
	huge_tlb_reserve(vm, huge_empty_pmds(vm, p, v->start, v->end), 0);
}

/* Map pool page first (taken off the free stack) at the level-1 entry
 * pmd_pa of p for vpn0 with flags: reverse map (every frame names the
 * entry), resident counts.  0 or VM_ENOMEM (the page back on the stack). */
static int huge_pool_map(vm_machine_t *vm, uint32_t p, uint64_t vpn0, uint64_t pmd_pa,
			 uint64_t first, uint64_t flags)
{
	struct huge *h = vm->huge;
	for (uint64_t i = 0; i < h->run; i++) {
		int rc = frame_rmap_add(vm, (uint32_t)(first + i), p, vpn0 + i, pmd_pa);
		if (rc) {
			for (uint64_t k = 0; k < i; k++)
				frame_rmap_clear(vm, (uint32_t)(first + k));
			h->pool[h->pool_free++] = first;
			return rc;
		}
		vm->frames[first + i].used = 1;
	}
	kpte_set(vm, pmd_pa, pte_make(first, flags));
	frame_resident_add(vm, h->run);
	proc_rss_add(&vm->procs[p], h->run);
	vm->procs[p].hugetlb += (uint32_t)h->run;
	return VM_OK;
}

int huge_fault_hugetlb(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va)
{
	struct huge *h = vm->huge;
	uint64_t pmd_pa;
	int rc = proc_walk_to(vm, p, va, 1, 1, &pmd_pa);
	if (rc)
		return rc;
	assert(!(kpte_get(vm, pmd_pa) & PTE_P) && h->resv > 0 && h->pool_free >= h->resv);
	uint64_t first = huge_pool_take(vm, p);
	for (uint64_t i = 0; i < h->run; i++)
		memset(phys_user_page(&vm->phys, first + i), 0, geom_page_size(&vm->g));
	uint64_t vpn0 = (va & ~(huge_bytes(vm) - 1)) >> vm->g.page_shift;
	rc = huge_pool_map(vm, p, vpn0, pmd_pa, first, vma_pte_flags(v, 0) | PTE_PS);
	if (rc)
		return rc;
	h->resv--;
	h->tlb_faults++;
	vm->st.distinct_pages += h->run;
	vm->st.page_faults++;
	vm->st.minor_faults++;
	kio_event(vm, "fault pid %u va 0x%llx minor: hugetlb page, frames %llu..%llu\n",
		  vm->procs[p].pid, (unsigned long long)va, (unsigned long long)first,
		  (unsigned long long)(first + h->run - 1));
	return VM_OK;
}

int huge_tlb_fork(vm_machine_t *vm, uint32_t p, uint32_t c, const vma_t *v)
{
	struct huge *h = vm->huge;
	uint64_t hb = huge_bytes(vm), empty = huge_empty_pmds(vm, p, v->start, v->end);
	uint64_t pages = (v->end - v->start) / hb;
	if (h->place->avail(vm) - h->resv < pages)
		return VM_ENOMEM; /* copies of the mapped pages and the empty ones' reservations */
	h->resv += empty;
	for (uint64_t a = v->start; a < v->end; a += hb) {
		uint64_t pmd_pa, child_pa;
		if (proc_walk_to(vm, p, a, 1, 0, &pmd_pa))
			continue;
		uint64_t pte = kpte_get(vm, pmd_pa);
		if (!(pte & PTE_P))
			continue;
		int rc = proc_walk_to(vm, c, a, 1, 1, &child_pa);
		if (rc)
			return rc;
		uint64_t first = huge_pool_take(vm, c);
		memcpy(phys_user_page(&vm->phys, first), phys_user_page(&vm->phys, pte_pfn(pte)), hb);
		rc = huge_pool_map(vm, c, a >> vm->g.page_shift, child_pa, first,
				   pte & ~(PTE_PFN_MASK | PTE_A | PTE_D));
		if (rc)
			return rc;
		vm->st.distinct_pages += h->run; /* (child, page) pairs of their own */
	}
	return VM_OK;
}

int huge_check(vm_machine_t *vm, char *err, size_t errlen)
{
	struct huge *h = vm->huge;
	if (!h || !h->pool_n)
		return VM_OK;
	uint64_t empty = 0, mapped = 0;
	for (uint32_t p = 0; p < vm->nprocs; p++) {
		const proc_t *pr = &vm->procs[p];
		uint64_t own = 0;
		for (uint32_t i = 0; pr->state == VM_PROC_ALIVE && i < pr->nvmas; i++) {
			const vma_t *v = &pr->vmas[i];
			if (v->huge != VMA_HUGE_TLB)
				continue;
			uint64_t e = huge_empty_pmds(vm, p, v->start, v->end);
			empty += e;
			own += (v->end - v->start) / huge_bytes(vm) - e;
		}
		mapped += own;
		if (pr->state == VM_PROC_ALIVE && pr->hugetlb != own * h->run) {
			snprintf(err, errlen, "pid %u: %llu hugetlb pages counted, %llu mapped",
				 pr->pid, (unsigned long long)pr->hugetlb,
				 (unsigned long long)(own * h->run));
			return VM_EINVAL;
		}
	}
	if (empty != h->resv || h->resv > h->pool_free || mapped + h->pool_free != h->pool_n) {
		snprintf(err, errlen, "hugetlb pool: %llu reserved for %llu empty pages, %llu free, %llu mapped of %llu",
			 (unsigned long long)h->resv, (unsigned long long)empty,
			 (unsigned long long)h->pool_free, (unsigned long long)mapped,
			 (unsigned long long)h->pool_n);
		return VM_EINVAL;
	}
	return VM_OK;
}
