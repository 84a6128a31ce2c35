/* tlb.h - a set-associative TLB tagged with address-space ids (prefix tlb_).
 *
 * sets = entries / ways; a VPN lives in set VPN mod sets (TLBI) with tag
 * VPN / sets (TLBT); inside a set the least recently used way is replaced,
 * an invalid way first.  An entry caches what the walk found in the leaf PTE:
 * the frame, the rights, whether the PTE's dirty bit is known set (a write
 * hitting an entry without it must set the bit in the PTE: the MMU finds the
 * PTE again, see mmu.h), and its G bit.
 *
 * Keys.  An entry is found by a 64-bit key: for a base page its VPN, for a
 * huge page mapped by an entry at code level k >= 1 (pte.h) the key
 * tlb_huge_key(k, HVPN), HVPN being the VA shifted right by level_shift[k]
 * (the huge page's number) and k kept in bits 63..60, which no VPN reaches
 * (va_bits <= 64 and page_shift >= 4).  So huge entries may share a TLB with
 * base ones without a lookup of a VPN ever finding them, and a huge entry of
 * key K lives in set HVPN mod sets.  The MMU keeps huge entries in a TLB of
 * their own or in the base one (mmu.h); this file only stores keys.
 *
 * Global entries.  An entry filled from a PTE with G set matches every
 * address-space id: lookups of any asid find it, tlb_flush_page of any asid
 * removes it (as x86's INVLPG), tlb_flush_asid and tlb_flush_nonglobal keep
 * it, tlb_flush_all removes it (as x86's CR4.PGE toggle).
 *
 * Speed: an entry is 24 bytes, and the two entries the last lookups or fills
 * returned (mru, then mru2: a code page and a data page, say) are tried
 * before the set is searched.  The last one holds the highest LRU stamp of
 * its set, so a hit on it leaves the set's order as it is without a new
 * stamp: the replacement decisions are those of a TLB that stamps every
 * hit.  These two shortcuts and the set search match the asid exactly; a
 * global entry reached from another asid is found by a second search of the
 * set (only when the TLB holds a global entry), and then becomes mru. */
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

/* Key layout (see above): the level of a huge entry in bits 63..60. */
#define TLB_KEY_LEVEL_SHIFT 60u
#define TLB_KEY_VPN_MASK ((1ull << TLB_KEY_LEVEL_SHIFT) - 1)

/* The key of a huge page of number hvpn mapped by an entry at code level k. */
static inline uint64_t tlb_huge_key(unsigned level, uint64_t hvpn)
{
	return (uint64_t)level << TLB_KEY_LEVEL_SHIFT | hvpn;
}

/* The code level of the entry a key names: 0 for a base page. */
static inline unsigned tlb_key_level(uint64_t key)
{
	return (unsigned)(key >> TLB_KEY_LEVEL_SHIFT);
}

typedef struct tlb_entry {
	uint64_t vpn;          /* the key: full VPN (tag and index together),
				  or tlb_huge_key(level, HVPN) */
	uint64_t pfn : 52;     /* frame (a PA has at most 52 bits) */
	uint64_t valid : 1;
	uint64_t writable : 1, user : 1, exec : 1;
	uint64_t dirty : 1;    /* the PTE's dirty bit is known to be set */
	uint64_t ok : 3;       /* TLB_OK_*, from the four bits above */
	uint64_t global : 1;   /* from PTE_G: matches every asid */
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
	uint32_t huge_levels;  /* bit k: a level-k huge key was filled since the
				  last tlb_flush_all (so probing for one helps) */
	uint32_t has_global;   /* a global entry was filled since then (so a
				  miss searches the set for one) */
} tlb_t;

/* The huge TLB's shape by default (--tlb-huge 32:4): the 2 MiB L1 DTLB of
 * recent x86 cores. */
#define TLB_HUGE_ENTRIES 32u
#define TLB_HUGE_WAYS 4u

/* Check an ENTRIES:WAYS shape; 0 entries means no TLB.  Returns 0 or
 * VM_EINVAL with the reason in err. */
int tlb_check_shape(uint32_t entries, uint32_t ways, char *err, unsigned errlen);

/* tlb_check_shape for the option named opt ("--tlb-huge"), named so in err. */
int tlb_check_shape_opt(const char *opt, uint32_t entries, uint32_t ways, char *err,
			unsigned errlen);

/* Build a TLB of a checked shape.  Returns 0 or VM_ENOMEM. */
int tlb_init(tlb_t *t, uint32_t entries, uint32_t ways);
void tlb_free(tlb_t *t);

/* The set of a key (a huge key's level bits do not count: set_mask is below
 * them). */
static inline uint64_t tlb_set_of(const tlb_t *t, uint64_t vpn)
{
	return t->set_mask ? (vpn & t->set_mask) : (vpn & TLB_KEY_VPN_MASK) % t->sets;
}

static inline uint64_t tlb_tag_of(const tlb_t *t, uint64_t vpn)
{
	return (vpn & TLB_KEY_VPN_MASK) / t->sets;
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

/* The set search for a global entry of vpn, after the asid's own missed. */
tlb_entry_t *tlb_lookup_global(tlb_t *t, uint64_t vpn);

/* The search of vpn's set: the valid entry for (asid, vpn), or a global one
 * for vpn, made most recently used, or NULL. */
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
	return t->has_global ? tlb_lookup_global(t, vpn) : 0;
}

/* The valid entry for (asid, vpn) or a global one for vpn, made most
 * recently used, or NULL. */
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

/* Install a translation of key vpn to frame pfn (a huge page's first frame
 * for a huge key) with the rights and G bit of PTE bits pte, replacing the
 * set's LRU (or an invalid) way.  Returns the entry, or NULL when there is
 * no TLB. */
tlb_entry_t *tlb_fill(tlb_t *t, uint32_t asid, uint64_t vpn, uint64_t pfn, uint64_t pte);

/* Bit 31 of an asid picks the other half of a PCID pair (kpti's kernel
 * root): a flush of asid A or A | TLB_ASID_PAIR reaches both halves, as
 * Linux flushes a page from the kernel and the user PCID alike. */
#define TLB_ASID_PAIR (1u << 31)

/* Invalidate key vpn of address space asid (and a global entry of that key,
 * whatever its asid) / every non-global entry of asid / every entry; both
 * halves of asid's PCID pair (TLB_ASID_PAIR). */
void tlb_flush_page(tlb_t *t, uint32_t asid, uint64_t vpn);
void tlb_flush_asid(tlb_t *t, uint32_t asid);
void tlb_flush_all(tlb_t *t);

/* Invalidate every entry without G, of every asid: what a switch of address
 * space does on a CPU without address-space ids.  Returns the number of
 * valid entries it invalidated. */
uint64_t tlb_flush_nonglobal(tlb_t *t);

#endif
