/* vma.c - the regions of an address space: a sorted array, looked up by
 * binary search (O(log n)); inserts and removals move the tail. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kern/vma.h"
#include "util/vmerr.h"

int vma_find(const proc_t *pr, uint64_t va)
{
	uint32_t lo = 0, hi = pr->nvmas;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (va < pr->vmas[mid].start)
			hi = mid;
		else if (va >= pr->vmas[mid].end)
			lo = mid + 1;
		else
			return (int)mid;
	}
	return -1;
}

uint32_t vma_lower(const proc_t *pr, uint64_t va)
{
	uint32_t lo = 0, hi = pr->nvmas;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (pr->vmas[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Put v at index i, moving the tail up. */
static int vma_put_at(vm_machine_t *vm, proc_t *pr, uint32_t i, const vma_t *v)
{
	if (pr->nvmas == pr->vmas_cap) {
		uint32_t cap = pr->vmas_cap ? pr->vmas_cap * 2 : 8;
		int rc;
		vma_t *a = budget_realloc(&vm->budget, BUDGET_PROCS, pr->vmas,
					  (uint64_t)pr->vmas_cap * sizeof *a, (uint64_t)cap * sizeof *a, &rc);
		if (!a)
			return rc;
		pr->vmas = a;
		pr->vmas_cap = cap;
	}
	memmove(&pr->vmas[i + 1], &pr->vmas[i], (pr->nvmas - i) * sizeof *pr->vmas);
	pr->vmas[i] = *v;
	pr->nvmas++;
	return VM_OK;
}

/* Insert v right after region i (a split's right half). */
static int vma_insert_after(vm_machine_t *vm, proc_t *pr, uint32_t i, const vma_t *v)
{
	return vma_put_at(vm, pr, i + 1, v);
}

int vma_insert(vm_machine_t *vm, proc_t *pr, const vma_t *v)
{
	uint32_t i = vma_lower(pr, v->start);
	assert(i == pr->nvmas || pr->vmas[i].start >= v->end);
	return vma_put_at(vm, pr, i, v);
}

void vma_free_all(vm_machine_t *vm, proc_t *pr)
{
	budget_release(&vm->budget, BUDGET_PROCS, (uint64_t)pr->vmas_cap * sizeof *pr->vmas);
	free(pr->vmas);
	pr->vmas = NULL;
	pr->nvmas = pr->vmas_cap = 0;
}

int vma_split(vm_machine_t *vm, proc_t *pr, uint64_t addr)
{
	int i = vma_find(pr, addr);
	if (i < 0 || pr->vmas[i].start == addr)
		return VM_OK;
	vma_t right = pr->vmas[i];
	if (right.obj != OBJ_NONE) /* private anonymous memory has no offset */
		right.pgoff += (addr - right.start) >> vm->g.page_shift;
	right.start = addr;
	int rc = vma_insert_after(vm, pr, (uint32_t)i, &right);
	if (rc)
		return rc;
	pr->vmas[i].end = addr;
	if (right.obj != OBJ_NONE)
		obj_get(vm, right.obj);
	return VM_OK;
}

void vma_remove_at(proc_t *pr, uint32_t i)
{
	assert(i < pr->nvmas);
	memmove(&pr->vmas[i], &pr->vmas[i + 1], (pr->nvmas - i - 1) * sizeof *pr->vmas);
	pr->nvmas--;
}

void vma_merge(proc_t *pr)
{
	uint32_t out = 0;
	for (uint32_t i = 0; i < pr->nvmas; i++) {
		vma_t *a = out ? &pr->vmas[out - 1] : NULL, *b = &pr->vmas[i];
		if (a && a->end == b->start && a->prot == b->prot && a->shared == b->shared &&
		    a->kind == b->kind && a->obj == b->obj && a->obj == OBJ_NONE && a->huge == b->huge &&
		    a->grow_floor == b->grow_floor) {
			a->end = b->end;
			continue;
		}
		pr->vmas[out++] = *b;
	}
	pr->nvmas = out;
}

uint64_t vma_pte_flags(const vma_t *v, int cow)
{
	uint64_t flags = PTE_P | PTE_SEEN;
	if (v->prot != VM_PROT_NONE)
		flags |= PTE_U; /* PROT_NONE pages stay mapped but user-inaccessible */
	if (!(v->prot & VM_PROT_X))
		flags |= PTE_NX;
	if (cow)
		flags |= PTE_COW;
	else if (v->prot & VM_PROT_W)
		flags |= PTE_W;
	return flags;
}
