/* huge.c - huge pages of user memory (huge.h): trace mode's THP on first
 * touch, splitting before reclaim, the untouched-bytes count. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "kern/huge.h"
#include "util/vmerr.h"

/* The flags of a huge page mapped by a fault: present, writable, user. */
#define HUGE_ANON_FLAGS (PTE_P | PTE_W | PTE_U | PTE_PS | PTE_SEEN)
/* The bits a split hands from the huge entry to each base entry. */
#define HUGE_SPLIT_KEEP (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_G | PTE_SEEN | PTE_NX)

int huge_init(vm_machine_t *vm, char *err, size_t errlen)
{
	if (vm->cfg.thp == VM_THP_NEVER)
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
	h->run = geom_leaf_pages(&vm->g, 1);
	return VM_OK;
}

void huge_fini(vm_machine_t *vm)
{
	if (!vm->huge)
		return;
	free(vm->huge->is_huge);
	free(vm->huge->touched);
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
	idset_t *fs = &vm->free_frames;
	if (idset_find_run(fs, h->run, &first) ||
	    fs->limit - fs->used - h->run < vm->cfg.wmark_min) {
		vm->st.thp_fault_fallback++;
		return 0;
	}
	rc = idset_take_run(fs, first, h->run);
	if (rc)
		return rc;
	uint64_t vpn0 = va >> vm->g.level_shift[1] << (vm->g.level_shift[1] - vm->g.page_shift);
	for (uint64_t i = 0; i < h->run; i++) {
		uint32_t f = (uint32_t)(first + i);
		vm->frames[f].used = 1;
		vm->frames[f].swap_slot = SLOT_NONE;
		rc = frame_rmap_add(vm, f, p, vpn0 + i, pmd_pa);
		if (rc) {
			huge_unwind(vm, first, i, h->run);
			return rc;
		}
	}
	/* A and D stay clear: the retried access sets them, as hardware would. */
	pte_store(&vm->phys, &vm->g, pmd_pa, pte_make(first, proc_page_flags(vm, va, HUGE_ANON_FLAGS)));
	for (uint64_t i = 0; i < h->run; i++) {
		huge_bit(h->is_huge, first + i, 1);
		huge_bit(h->touched, first + i, 0);
		policy_page_t pg = { .key = policy_key(0, p, vpn0 + i), .seq = seq };
		vm->pol->on_fill(vm->pol_state, (frame_id_t)(first + i), &pg);
	}
	h->untouched += h->run;
	vm->st.resident_pages += h->run;
	if (vm->st.resident_pages > vm->st.resident_pages_peak)
		vm->st.resident_pages_peak = vm->st.resident_pages;
	proc_rss_add(&vm->procs[p], h->run);
	vm->st.distinct_pages += h->run; /* an empty level-1 entry: none seen before */
	vm->st.page_faults++;
	vm->st.minor_faults++;
	vm->st.thp_fault_alloc++;
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
	if (h)
		vm->st.thp_bloat_bytes = (h->untouched + h->bloat_pages) << vm->g.page_shift;
}
