/* tlb.h - a set-associative TLB tagged with address-space ids (prefix tlb_).
 *
 * sets = entries / ways; a VPN lives in set VPN mod sets (TLBI) with tag
 * VPN / sets (TLBT); inside a set the least recently used way is replaced,
 * an invalid way first.  An entry caches what the walk found in the leaf PTE:
 * the frame, the rights, and whether the PTE's dirty bit is known set (a
 * write hitting an entry without it must set the bit in the PTE: the MMU
 * finds the PTE again, see mmu.h).
 *
 * Speed: an entry is 24 bytes, and the two entries the last lookups or fills
 * returned (mru, then mru2: a code page and a data page, say) are tried
 * before the set is searched.  The last one holds the highest LRU stamp of
 * its set, so a hit on it leaves the set's order as it is without a new
 * stamp: the replacement decisions are those of a TLB that stamps every
 * hit. */
#ifndef VMLAB_TLB_H
#define VMLAB_TLB_H

#include <stdbool.h>
#include <stdint.h>

/* Bits of tlb_entry_t.ok: the accesses (1 << mmu_access_t) the entry allows
 * with nothing to do but count the hit: read and exec with the rights, write
 * with the right and the dirty bit known set. */
#define TLB_OK_READ  1u
#define TLB_OK_WRITE 2u
#define TLB_OK_EXEC  4u

typedef struct tlb_entry {
	uint64_t vpn;          /* full VPN (tag and index together) */
	uint64_t pfn : 52;     /* frame (a PA has at most 52 bits) */
	uint64_t valid : 1;
	uint64_t writable : 1, user : 1, exec : 1;
	uint64_t dirty : 1;    /* the PTE's dirty bit is known to be set */
	uint64_t ok : 3;       /* TLB_OK_*, from the four bits above */
	uint32_t asid;
	uint32_t last_use;     /* LRU stamp within the set */
} tlb_entry_t;

_Static_assert(sizeof(tlb_entry_t) == 24, "a TLB entry is 24 bytes");

typedef struct tlb {
	uint32_t sets, ways;   /* sets == 0: no TLB */
	uint64_t set_mask;     /* sets - 1 when sets is a power of two, else 0 */
	uint32_t clock;        /* LRU stamp source; stamps are renumbered when it
				  would wrap (tlb_renumber) */
	tlb_entry_t *e;        /* sets * ways, set-major, then one entry that is
				  never valid */
	tlb_entry_t *mru;      /* the entry last looked up or filled (or the
				  never-valid one): highest stamp of its set */
	tlb_entry_t *mru2;     /* the one before (or the never-valid one) */
	uint32_t *order;       /* ways entries: tlb_renumber's sort */
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

/* Renumber every set's stamps 1..ways keeping their order, so that the clock
 * can start again low.  Called when the clock is about to wrap. */
void tlb_renumber(tlb_t *t);

/* A new stamp, higher than every stamp in the TLB. */
static inline uint32_t tlb_stamp(tlb_t *t)
{
	if (t->clock == UINT32_MAX)
		tlb_renumber(t);
	return ++t->clock;
}

/* The search of vpn's set: the valid entry for (asid, vpn), made most
 * recently used, or NULL. */
static inline tlb_entry_t *tlb_lookup_set(tlb_t *t, uint32_t asid, uint64_t vpn)
{
	if (!t->sets)
		return 0;
	tlb_entry_t *set = t->e + tlb_set_of(t, vpn) * t->ways;
	for (uint32_t w = 0; w < t->ways; w++) {
		tlb_entry_t *e = &set[w];
		if (e->vpn == vpn && e->asid == asid && e->valid) {
			e->last_use = tlb_stamp(t);
			t->mru2 = t->mru;
			t->mru = e;
			return e;
		}
	}
	return 0;
}

/* The valid entry for (asid, vpn), made most recently used, or NULL. */
static inline tlb_entry_t *tlb_lookup(tlb_t *t, uint32_t asid, uint64_t vpn)
{
	tlb_entry_t *e = t->mru;
	if (e->vpn == vpn && e->asid == asid && e->valid)
		return e; /* already the most recent of its set */
	e = t->mru2;
	if (e->vpn == vpn && e->asid == asid && e->valid) {
		e->last_use = tlb_stamp(t);
		t->mru2 = t->mru;
		t->mru = e;
		return e;
	}
	return tlb_lookup_set(t, asid, vpn);
}

/* The entry's PTE dirty bit is now known set. */
static inline void tlb_set_dirty(tlb_entry_t *e)
{
	e->dirty = 1;
	if (e->user && e->writable)
		e->ok |= TLB_OK_WRITE;
}

/* Install a translation to frame pfn with the rights of PTE bits pte,
 * replacing the set's LRU (or an invalid) way.  Returns the entry, or NULL
 * when there is no TLB. */
tlb_entry_t *tlb_fill(tlb_t *t, uint32_t asid, uint64_t vpn, uint64_t pfn, uint64_t pte);

/* Invalidate one page of one address space / one address space / all. */
void tlb_flush_page(tlb_t *t, uint32_t asid, uint64_t vpn);
void tlb_flush_asid(tlb_t *t, uint32_t asid);
void tlb_flush_all(tlb_t *t);

#endif
