/* walk8.c - the walk of OSTEP's two-level, one-byte-entry page table. */
#include <assert.h>

#include "walk8.h"

void walk8_translate(const uint8_t *mem, unsigned pdbr, unsigned va, walk8_result_t *r)
{
	assert(pdbr < WALK8_FRAMES && va < (1u << WALK8_VA_BITS));
	unsigned frame = pdbr;
	r->nsteps = 0;
	r->fault_level = 0;
	for (unsigned l = 0; l < WALK8_LEVELS; l++) {
		walk8_step_t *s = &r->steps[r->nsteps++];
		unsigned shift = WALK8_PAGE_SHIFT + WALK8_INDEX_BITS * (WALK8_LEVELS - 1 - l);
		s->index = (va >> shift) & ((1u << WALK8_INDEX_BITS) - 1);
		s->pte_pa = frame << WALK8_PAGE_SHIFT | s->index;
		s->pte = mem[s->pte_pa];
		s->valid = !!(s->pte & PTE8_VALID);
		s->pfn = s->pte & PTE8_PFN;
		if (!s->valid) {
			r->fault_level = l + 1;
			return;
		}
		frame = s->pfn;
	}
	r->pa = frame << WALK8_PAGE_SHIFT | (va & (WALK8_PAGE_SIZE - 1));
}
