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
		budget_release(p->budget, BUDGET_TABLES, p->kcap << p->g->page_shift);
	free(p->kmem);
	for (uint32_t i = 0; i < p->npools; i++) {
		budget_release(p->budget, BUDGET_TABLES, p->kfree[i].cap * sizeof *p->kfree[i].first);
		free(p->kfree[i].first);
	}
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

/* The pool of runs of count frames, created if there is room; NULL if not. */
static phys_pool_t *phys_pool(phys_t *p, uint32_t count, int create)
{
	for (uint32_t i = 0; i < p->npools; i++)
		if (p->kfree[i].count == count)
			return &p->kfree[i];
	if (!create || p->npools == PHYS_POOLS)
		return NULL;
	p->kfree[p->npools] = (phys_pool_t){ .count = count };
	return &p->kfree[p->npools++];
}

int phys_kalloc(phys_t *p, uint32_t count, uint64_t *pfn)
{
	uint64_t first;
	phys_pool_t *pool = phys_pool(p, count, 0);
	if (pool && pool->n) {
		first = pool->first[--pool->n];
	} else {
		if (p->g->kend_pfn && count > p->g->kend_pfn - p->g->kbase_pfn - p->ktop)
			return VM_ENOMEM; /* 4-byte PTEs: no frame number left */
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
	p->klive -= count;
	/* losing a run of frames (no pool, no memory) is harmless: it stays junk */
	phys_pool_t *pool = phys_pool(p, count, 1);
	if (!pool)
		return;
	if (pool->n == pool->cap) {
		uint32_t cap = pool->cap ? pool->cap * 2 : 16;
		int rc;
		uint64_t *runs = budget_realloc(p->budget, BUDGET_TABLES, pool->first,
						pool->cap * sizeof *runs, cap * sizeof *runs, &rc);
		if (!runs)
			return;
		pool->first = runs;
		pool->cap = cap;
	}
	pool->first[pool->n++] = first;
}
