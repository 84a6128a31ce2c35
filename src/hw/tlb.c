/* tlb.c - fill, invalidation and renumbering; lookup is inline in tlb.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pte.h"
#include "tlb.h"
#include "../util/vmerr.h"

int tlb_check_shape(uint32_t entries, uint32_t ways, char *err, unsigned errlen)
{
	return tlb_check_shape_opt("--tlb", entries, ways, err, errlen);
}

int tlb_check_shape_opt(const char *opt, uint32_t entries, uint32_t ways, char *err,
			unsigned errlen)
{
	if (entries == 0)
		return VM_OK;
	if (ways == 0 || ways > entries) {
		snprintf(err, errlen, "%s %u:%u: a set cannot have more ways than the TLB has entries, nor 0",
			 opt, entries, ways);
		return VM_EINVAL;
	}
	if (entries % ways) {
		snprintf(err, errlen, "%s %u:%u: entries must be a multiple of ways", opt, entries, ways);
		return VM_EINVAL;
	}
	return VM_OK;
}

int tlb_init(tlb_t *t, uint32_t entries, uint32_t ways)
{
	memset(t, 0, sizeof *t);
	/* One more entry, never valid, for mru to point at: lookups need no
	 * test for "no TLB" or "nothing looked up yet". */
	t->e = calloc((size_t)entries + 1, sizeof *t->e);
	if (!t->e)
		return VM_ENOMEM;
	t->mru = t->mru2 = &t->e[entries];
	if (entries == 0)
		return VM_OK;
	t->order = malloc((size_t)ways * sizeof *t->order);
	if (!t->order) {
		tlb_free(t);
		return VM_ENOMEM;
	}
	t->ways = ways;
	t->sets = entries / ways;
	if (!(t->sets & (t->sets - 1)))
		t->set_mask = t->sets - 1;
	/* sets == 1 gives mask 0, which tlb_set_of reads as "use %": fine. */
	return VM_OK;
}

void tlb_free(tlb_t *t)
{
	free(t->e);
	free(t->order);
	memset(t, 0, sizeof *t);
}

/* Insertion sort of each set's ways by stamp into t->order, then stamps
 * 1..ways in that order.  Only the order within a set matters to replacement
 * (invalid ways, stamped or not, are taken first anyway). */
void tlb_renumber(tlb_t *t)
{
	uint32_t *order = t->order;
	for (uint32_t s = 0; s < t->sets; s++) {
		tlb_entry_t *set = t->e + (uint64_t)s * t->ways;
		for (uint32_t w = 0; w < t->ways; w++) {
			uint32_t i = w;
			while (i > 0 && set[order[i - 1]].last_use > set[w].last_use) {
				order[i] = order[i - 1];
				i--;
			}
			order[i] = w;
		}
		for (uint32_t i = 0; i < t->ways; i++)
			set[order[i]].last_use = i + 1;
	}
	t->clock = t->ways;
}

tlb_entry_t *tlb_fill(tlb_t *t, uint32_t asid, uint64_t vpn, uint64_t pfn, uint64_t pte)
{
	if (!t->sets)
		return NULL;
	tlb_entry_t *set = t->e + tlb_set_of(t, vpn) * t->ways;
	tlb_entry_t *victim = &set[0];
	for (uint32_t w = 0; w < t->ways; w++) {
		if (!set[w].valid) {
			victim = &set[w];
			break;
		}
		if (set[w].last_use < victim->last_use)
			victim = &set[w];
	}
	int writable = !!(pte & PTE_W), user = !!(pte & PTE_U);
	int exec = !(pte & PTE_NX), dirty = !!(pte & PTE_D);
	uint32_t stamp = tlb_stamp(t);
	*victim = (tlb_entry_t){
		.vpn = vpn, .pfn = pfn, .valid = 1,
		.writable = writable, .user = user, .exec = exec, .dirty = dirty,
		.ok = user ? TLB_OK_READ | (writable && dirty ? TLB_OK_WRITE : 0) |
			     (exec ? TLB_OK_EXEC : 0) : 0,
		.global = !!(pte & PTE_G),
		.asid = asid, .last_use = stamp,
	};
	t->huge_levels |= (1u << tlb_key_level(vpn)) & ~1u;
	t->has_global |= victim->global;
	t->mru2 = t->mru;
	t->mru = victim;
	return victim;
}

tlb_entry_t *tlb_lookup_global(tlb_t *t, uint64_t vpn)
{
	tlb_entry_t *set = t->e + tlb_set_of(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++) {
		tlb_entry_t *e = &set[w];
		if (e->vpn == vpn && e->global && e->valid) {
			e->last_use = tlb_stamp(t);
			t->mru2 = t->mru;
			t->mru = e;
			return e;
		}
	}
	return 0;
}

void tlb_flush_page(tlb_t *t, uint32_t asid, uint64_t vpn)
{
	if (!t->sets)
		return;
	tlb_entry_t *set = t->e + tlb_set_of(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++)
		if (set[w].valid && set[w].vpn == vpn && ((set[w].asid | TLB_ASID_PAIR) == (asid | TLB_ASID_PAIR) || set[w].global))
			set[w].valid = 0;
}

void tlb_flush_asid(tlb_t *t, uint32_t asid)
{
	for (uint64_t i = 0; i < (uint64_t)t->sets * t->ways; i++)
		if ((t->e[i].asid | TLB_ASID_PAIR) == (asid | TLB_ASID_PAIR) && !t->e[i].global)
			t->e[i].valid = 0;
}

void tlb_flush_all(tlb_t *t)
{
	for (uint64_t i = 0; i < (uint64_t)t->sets * t->ways; i++)
		t->e[i].valid = 0;
	t->huge_levels = 0;
	t->has_global = 0;
}

uint64_t tlb_flush_nonglobal(tlb_t *t)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < (uint64_t)t->sets * t->ways; i++) {
		if (t->e[i].valid && !t->e[i].global) {
			t->e[i].valid = 0;
			n++;
		}
	}
	return n;
}
