/* tlb.h - a set-associative TLB tagged with address-space ids (prefix tlb_).
 *
 * sets = entries / ways; a VPN lives in set VPN mod sets (TLBI) with tag
 * VPN / sets (TLBT); inside a set the least recently used way is replaced,
 * an invalid way first.  An entry caches what the walk found in the leaf PTE
 * plus where that PTE lives, so that a write hitting an entry whose dirty bit
 * is not yet known set can set the PTE's dirty bit without a new walk. */
#ifndef VMLAB_TLB_H
#define VMLAB_TLB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tlb_entry {
	uint64_t vpn;          /* full VPN (tag and index together) */
	uint64_t pfn;
	uint64_t pte_pa;       /* physical address of the leaf PTE */
	uint64_t last_use;     /* LRU stamp within the set */
	uint32_t asid;
	uint8_t valid;
	uint8_t writable, user, exec;
	uint8_t dirty;         /* the PTE's dirty bit is known to be set */
} tlb_entry_t;

typedef struct tlb {
	uint32_t sets, ways;   /* sets == 0: no TLB */
	uint64_t set_mask;     /* sets - 1 when sets is a power of two, else 0 */
	uint64_t clock;        /* LRU stamp source */
	tlb_entry_t *e;        /* sets * ways, set-major */
} tlb_t;

/* Check an ENTRIES:WAYS shape; 0 entries means no TLB.  Returns 0 or
 * VM_EINVAL with the reason in err. */
int tlb_check_shape(uint32_t entries, uint32_t ways, char *err, unsigned errlen);

/* Build a TLB of a checked shape.  Returns 0 or VM_ENOMEM. */
int tlb_init(tlb_t *t, uint32_t entries, uint32_t ways);
void tlb_free(tlb_t *t);

static inline uint64_t tlb_set_of(const tlb_t *t, uint64_t vpn)
{
	return t->set_mask ? (vpn & t->set_mask) : vpn % t->sets;
}

static inline uint64_t tlb_tag_of(const tlb_t *t, uint64_t vpn)
{
	return vpn / t->sets;
}

/* The valid entry for (asid, vpn), made most recently used, or NULL. */
static inline tlb_entry_t *tlb_lookup(tlb_t *t, uint32_t asid, uint64_t vpn)
{
	if (!t->sets)
		return 0;
	tlb_entry_t *set = t->e + tlb_set_of(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++) {
		tlb_entry_t *e = &set[w];
		if (e->valid && e->vpn == vpn && e->asid == asid) {
			e->last_use = ++t->clock;
			return e;
		}
	}
	return 0;
}

/* Install a translation, replacing the set's LRU (or an invalid) way.
 * Returns the entry, or NULL when there is no TLB. */
tlb_entry_t *tlb_fill(tlb_t *t, uint32_t asid, uint64_t vpn, uint64_t pfn,
		      uint64_t pte_pa, uint64_t pte);

/* Invalidate one page of one address space / one address space / all. */
void tlb_flush_page(tlb_t *t, uint32_t asid, uint64_t vpn);
void tlb_flush_asid(tlb_t *t, uint32_t asid);
void tlb_flush_all(tlb_t *t);

#endif
