/* check.c - the invariant checker (--check): one pass over the frames and
 * one over the PTEs of every live process's regions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kern/check.h"
#include "kern/huge.h"
#include "util/vmerr.h"

/* Describe the first broken invariant into err; always VM_EINVAL. */
static int broken(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return VM_EINVAL;
}

static int idset_has(const idset_t *s, uint64_t id)
{
	return id / 64 < s->nwords && (s->bits[id / 64] >> (id % 64) & 1);
}

/* Frames: refcount = reverse-map entries, each mapping PTE present and
 * pointing back, free frames unmapped, page-cache and swap-cache links. */
static int check_frames(vm_machine_t *vm, char *err, size_t errlen)
{
	for (uint32_t f = 0; f < vm->cfg.frames; f++) {
		const frame_t *fr = &vm->frames[f];
		if ((fr->used || fr->zram || fr->hugetlb) != idset_has(&vm->free_frames, f))
			return broken(err, errlen, "frame %u: used=%u but the free set says %s", f,
				      fr->used, idset_has(&vm->free_frames, f) ? "taken" : "free");
		if (!fr->used) {
			if (fr->rmap != RMAP_NONE || fr->refs || fr->obj != OBJ_NONE)
				return broken(err, errlen, "frame %u is free but mapped or cached", f);
			continue;
		}
		uint32_t n = 0;
		for (uint32_t i = fr->rmap; i != RMAP_NONE; i = vm->rmaps[i].next, n++) {
			const rmap_t *r = &vm->rmaps[i];
			uint64_t pte = kpte_get(vm, r->pte_pa);
			uint64_t base = pte & PTE_PS ? f & ~(geom_leaf_pages(&vm->g, 1) - 1) : f;
			if (!(pte & PTE_P) || pte_pfn(pte) != base) /* (a huge page: its first) */
				return broken(err, errlen, "frame %u: reverse map names PTE 0x%llx = 0x%llx", f,
					      (unsigned long long)r->pte_pa, (unsigned long long)pte);
			if (vm->procs[r->proc].state != VM_PROC_ALIVE)
				return broken(err, errlen, "frame %u mapped by dead pid %u", f, vm->procs[r->proc].pid);
		}
		if (n != fr->refs)
			return broken(err, errlen, "frame %u: refcount %u but %u reverse-map entries", f, fr->refs, n);
		if (fr->obj != OBJ_NONE && pcache_find(vm, fr->obj, fr->pgoff) != f)
			return broken(err, errlen, "frame %u: not found in the page cache", f);
	}
	return VM_OK;
}

/* Script mode: an anonymous frame's swap slot caches it. */
static int check_swap_cache(vm_machine_t *vm, char *err, size_t errlen)
{
	for (uint32_t f = 0; f < vm->cfg.frames; f++) {
		const frame_t *fr = &vm->frames[f];
		if (fr->used && fr->obj == OBJ_NONE && fr->swap_slot != SLOT_NONE &&
		    vm->swap_cache[fr->swap_slot] != f)
			return broken(err, errlen, "frame %u: swap cache of slot %llu names another frame", f,
				      (unsigned long long)fr->swap_slot);
	}
	return VM_OK;
}

/* The (space, page) an exact page key names, and whether it is exact. */
static int key_parts(page_key_t k, uint64_t *space, uint64_t *page)
{
	*space = (k & ~(1ull << 63)) >> 40;
	*page = k & ((1ull << 40) - 1);
	return !(k & 1ull << 62);
}

/* Shadow entries: the lists agree with the hash and the count, no entry is
 * of a resident page-cache page or a dead object. */
static int check_shadow(vm_machine_t *vm, char *err, size_t errlen)
{
	shadow_table_t *t = &vm->shadow;
	uint32_t n = 0, prev = 0;
	for (uint32_t i = t->oldest; i; prev = i, i = t->ents[i].newer) {
		const shadow_ent_t *e = &t->ents[i];
		uint64_t space, page;
		int exact = key_parts(e->key, &space, &page);
		const char *bad = ++n > t->used ? "more entries in the age list than used" :
				  e->older != prev ? "age list links" :
				  shadow_find(t, e->key) != i ? "entry not found by its key" :
				  e->obj != SHADOW_NO_OBJ && (e->obj >= vm->nobjs || !vm->objs[e->obj].refs) ?
					"entry of a dead object" :
				  e->obj != SHADOW_NO_OBJ && exact && pcache_find(vm, e->obj, page) != FRAME_NIL ?
					"entry of a page in the page cache" : NULL;
		if (bad)
			return broken(err, errlen, "shadow entry %u (key 0x%llx): %s", i,
				      (unsigned long long)e->key, bad);
	}
	if (n != t->used || t->used > t->max || vm->st.shadow_entries != t->used)
		return broken(err, errlen, "shadow table: %u entries listed, %u used, at most %u, counter %llu",
			      n, t->used, t->max, (unsigned long long)vm->st.shadow_entries);
	return VM_OK;
}

/* Script mode: no anonymous shadow entry is of a process that ended. */
static int check_shadow_procs(vm_machine_t *vm, char *err, size_t errlen)
{
	const shadow_table_t *t = &vm->shadow;
	for (uint32_t i = t->oldest; i; i = t->ents[i].newer) {
		const shadow_ent_t *e = &t->ents[i];
		uint64_t space, page;
		if (e->obj == SHADOW_NO_OBJ && key_parts(e->key, &space, &page) &&
		    (space >= vm->nprocs || vm->procs[space].state != VM_PROC_ALIVE))
			return broken(err, errlen, "shadow entry %u (key 0x%llx): %s", i,
				      (unsigned long long)e->key, "anonymous entry of a process that ended");
	}
	return VM_OK;
}

typedef struct tally {
	uint32_t *slots;   /* references counted per slot */
	uint64_t resident, swapped;
	char *err;
	size_t errlen;
} tally_t;

/* One PTE: a present one maps a used frame whose reverse map names it. */
static int check_pte(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	tally_t *t = arg;
	uint64_t pte = kpte_get(vm, pte_pa);
	if (pte & PTE_P) {
		uint64_t f = pte_pfn(pte);
		if (f >= vm->cfg.frames || !vm->frames[f].used)
			return broken(t->err, t->errlen, "pid %u va 0x%llx maps frame %llu, which is free",
				      vm->procs[p].pid, (unsigned long long)va, (unsigned long long)f);
		uint32_t i = vm->frames[f].rmap;
		while (i != RMAP_NONE && vm->rmaps[i].pte_pa != pte_pa)
			i = vm->rmaps[i].next;
		if (i == RMAP_NONE)
			return broken(t->err, t->errlen, "pid %u va 0x%llx: frame %llu has no reverse-map entry for it",
				      vm->procs[p].pid, (unsigned long long)va, (unsigned long long)f);
		t->resident++;
	} else if (pte & PTE_SWAP) {
		uint64_t slot = pte_pfn(pte);
		if (slot >= vm->swap_cap)
			return broken(t->err, t->errlen, "pid %u va 0x%llx: swap slot %llu out of range",
				      vm->procs[p].pid, (unsigned long long)va, (unsigned long long)slot);
		t->slots[slot]++;
		t->swapped++;
	}
	return VM_OK;
}

/* Swap slot counts: PTEs + swap cache + anonymous objects; zero iff free. */
/* One reference to slot from an object (an obj_each_slot callback). */
static void check_obj_slot(void *arg, uint64_t slot)
{
	((tally_t *)arg)->slots[slot]++;
}

static int check_slots(vm_machine_t *vm, tally_t *t)
{
	for (uint64_t s = 0; s < vm->swap_cap; s++)
		if (vm->swap_cache[s] != FRAME_NIL)
			t->slots[s]++;
	for (uint32_t o = 0; o < vm->nobjs; o++)
		if (vm->objs[o].refs)
			obj_each_slot(vm, o, check_obj_slot, t);
	for (uint64_t s = 0; s < vm->swap_cap; s++) {
		if (t->slots[s] != vm->swap_count[s])
			return broken(t->err, t->errlen, "swap slot %llu: count %u but %u references",
				      (unsigned long long)s, vm->swap_count[s], t->slots[s]);
		if (!!t->slots[s] != idset_has(&vm->swap, s))
			return broken(t->err, t->errlen, "swap slot %llu: in use %d but count %u",
				      (unsigned long long)s, idset_has(&vm->swap, s), t->slots[s]);
	}
	return VM_OK;
}

/* Regions of p: each non-empty and page aligned, inside the virtual address
 * space, sorted and disjoint, naming a live object. */
static int check_regions(vm_machine_t *vm, const proc_t *pr, char *err, size_t errlen)
{
	uint64_t mask = geom_page_size(&vm->g) - 1;
	for (uint32_t i = 0; i < pr->nvmas; i++) {
		const vma_t *v = &pr->vmas[i];
		if (v->start >= v->end || (v->start & mask) || (v->end & mask))
			return broken(err, errlen, "pid %u region %u [0x%llx, 0x%llx) is %s", pr->pid, i,
				      (unsigned long long)v->start, (unsigned long long)v->end,
				      v->start >= v->end ? "empty or inverted" : "not page aligned");
		if (vm->g.va_bits < 64 && v->end > (1ull << vm->g.va_bits))
			return broken(err, errlen, "pid %u region %u [0x%llx, 0x%llx) ends beyond the %u-bit address space",
				      pr->pid, i, (unsigned long long)v->start, (unsigned long long)v->end,
				      vm->g.va_bits);
		if (i > 0 && pr->vmas[i - 1].end > v->start)
			return broken(err, errlen, "pid %u regions %u and %u overlap or are out of order (0x%llx > 0x%llx)",
				      pr->pid, i - 1, i, (unsigned long long)pr->vmas[i - 1].end,
				      (unsigned long long)v->start);
		if (v->obj != OBJ_NONE && (v->obj >= vm->nobjs || vm->objs[v->obj].refs == 0))
			return broken(err, errlen, "pid %u region %u names object %u, which is gone", pr->pid, i, v->obj);
	}
	return VM_OK;
}

int check_all(vm_machine_t *vm, char *err, size_t errlen)
{
	int rc = check_frames(vm, err, errlen);
	if (!rc)
		rc = check_shadow(vm, err, errlen);
	if (!rc && vm->mode->check)
		rc = vm->mode->check(vm, err, errlen);
	return rc;
}

int check_script(vm_machine_t *vm, char *err, size_t errlen)
{
	int rc = check_swap_cache(vm, err, errlen);
	if (!rc)
		rc = check_shadow_procs(vm, err, errlen);
	if (!rc)
		rc = huge_check(vm, err, errlen);
	if (rc)
		return rc;
	tally_t t = { .slots = calloc(vm->swap_cap ? vm->swap_cap : 1, sizeof *t.slots),
		      .err = err, .errlen = errlen };
	if (!t.slots)
		return VM_ENOMEM;
	for (uint32_t p = 0; p < vm->nprocs && !rc; p++) {
		const proc_t *pr = &vm->procs[p];
		if (pr->state != VM_PROC_ALIVE)
			continue;
		t.resident = t.swapped = 0;
		rc = check_regions(vm, pr, err, errlen);
		for (uint32_t i = 0; i < pr->nvmas && !rc; i++)
			rc = proc_each_pte(vm, p, pr->vmas[i].start, pr->vmas[i].end, check_pte, &t);
		if (!rc && (t.resident != pr->resident || t.swapped != pr->swapped))
			rc = broken(err, errlen, "pid %u: counts resident %llu swapped %llu, PTEs say %llu and %llu",
				    pr->pid, (unsigned long long)pr->resident, (unsigned long long)pr->swapped,
				    (unsigned long long)t.resident, (unsigned long long)t.swapped);
	}
	if (!rc)
		rc = check_slots(vm, &t);
	free(t.slots);
	return rc;
}
