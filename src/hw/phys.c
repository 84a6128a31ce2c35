/* phys.c - the kernel frame pool and user frame bytes. */
#include <stdlib.h>

#include "phys.h"
#include "../util/vmerr.h"

#define PHYS_JUNK 0xa5

int phys_init(phys_t *p, const geom_t *g, uint32_t nuser, int with_bytes)
{
	memset(p, 0, sizeof *p);
	p->g = g;
	p->nuser = nuser;
	if (with_bytes) {
		p->umem = calloc(nuser, geom_page_size(g));
		if (!p->umem)
			return VM_ENOMEM;
	}
	return VM_OK;
}

void phys_free(phys_t *p)
{
	if (p->g)
		budget_release(p->budget, BUDGET_TABLES, (p->kcap << p->g->page_shift) +
						       p->kfree_cap * sizeof *p->kfree);
	free(p->kmem);
	free(p->kfree);
	free(p->umem);
	memset(p, 0, sizeof *p);
}

/* Make room for at least need frames in the pool (doubling, but no further
 * than the budget allows once need itself fits). */
static int phys_kgrow(phys_t *p, uint64_t need)
{
	if (need <= p->kcap)
		return VM_OK;
	unsigned shift = p->g->page_shift;
	if (need > (UINT64_MAX >> shift) / 2)
		return VM_ENOMEM;
	uint64_t cap = p->kcap ? p->kcap : 16;
	while (cap < need)
		cap *= 2;
	uint64_t room = budget_room(p->budget);
	if (room != UINT64_MAX && cap > p->kcap + (room >> shift) && need <= p->kcap + (room >> shift))
		cap = p->kcap + (room >> shift);
	int rc;
	uint8_t *mem = budget_realloc(p->budget, BUDGET_TABLES, p->kmem, p->kcap << shift,
				      cap << shift, &rc);
	if (!mem)
		return rc;
	p->kmem = mem;
	p->kcap = cap;
	return VM_OK;
}

int phys_kalloc(phys_t *p, uint32_t count, uint64_t *pfn)
{
	uint64_t first;
	uint32_t i;
	for (i = 0; i < p->nkfree && p->kfree[i].count != count; i++)
		;
	if (i < p->nkfree) {
		first = p->kfree[i].first;
		p->kfree[i] = p->kfree[--p->nkfree];
	} else {
		int rc = phys_kgrow(p, p->ktop + count);
		if (rc)
			return rc;
		first = p->ktop;
		p->ktop += count;
	}
	memset(p->kmem + (first << p->g->page_shift), 0,
	       (uint64_t)count << p->g->page_shift);
	p->klive += count;
	*pfn = p->g->kbase_pfn + first;
	return VM_OK;
}

void phys_kfree(phys_t *p, uint64_t pfn, uint32_t count)
{
	assert(pfn >= p->g->kbase_pfn && pfn - p->g->kbase_pfn + count <= p->ktop);
	uint64_t first = pfn - p->g->kbase_pfn;
	memset(p->kmem + (first << p->g->page_shift), PHYS_JUNK,
	       (uint64_t)count << p->g->page_shift);
	if (p->nkfree == p->kfree_cap) {
		uint32_t cap = p->kfree_cap ? p->kfree_cap * 2 : 16;
		int rc;
		phys_run_t *runs = budget_realloc(p->budget, BUDGET_TABLES, p->kfree,
						  p->kfree_cap * sizeof *runs, cap * sizeof *runs, &rc);
		if (!runs) /* losing a run of frames is harmless; it stays junk */
			goto out;
		p->kfree = runs;
		p->kfree_cap = cap;
	}
	p->kfree[p->nkfree++] = (phys_run_t){ first, count };
out:
	p->klive -= count;
}
