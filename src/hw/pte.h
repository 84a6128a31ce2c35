/* pte.h - every hardware fact of the simulated machine, in one place.
 *
 * A virtual address, for the default geometry (4 KiB pages, 48-bit VA,
 * 8-byte PTEs so 512 entries and 9 index bits per level, 4 levels):
 *
 *   47        39 38        30 29        21 20        12 11           0
 *  +------------+------------+------------+------------+--------------+
 *  |  L1 index  |  L2 index  |  L3 index  |  L4 index  |     VPO      |
 *  +------------+------------+------------+------------+--------------+
 *  |<------------------- VPN (36 bits) --------------->|<- 12 bits -->|
 *
 * Levels are numbered as CS:APP numbers VPN 1..k: L1 is the top (root) table,
 * Lk is the leaf whose entries map pages.  In code, level 0 is the *leaf* and
 * level levels-1 the root, so that level i's index starts at bit
 * page_shift + (index bits of the levels below).
 *
 * Every level indexes page_size / 8 entries unless --levels asks for a
 * different split; then the VPN bits are divided evenly over the levels and
 * the top level takes the remainder (so a table may be larger than a page and
 * then occupies several contiguous kernel frames, as textbook one-level tables
 * do).
 *
 * A page-table entry is 64 bits, x86-64-like:
 *
 *   63  62  61                                 12 11 10  9  8  7  6  5  4  3  2  1  0
 *  +---+---+-------------------------------------+--+--+--+-----+--+--+-----+--+--+--+
 *  |NX |S3 |       PFN (50 bits)                 |S2|S1|S0|  0  |D |A |  0  |U |W |P |
 *  +---+---+-------------------------------------+--+--+--+-----+--+--+-----+--+--+--+
 *
 *  P  present          W  writable        U  user-accessible
 *  A  accessed (set by the walker)        D  dirty (set on a write)
 *  NX no-execute       S0..S3 software bits, ignored by the MMU:
 *     S0 SWAP   when P=0, the PFN field holds a swap slot
 *     S1 SEEN   the page has been touched before (so first touch is countable)
 *     S2 COW    the page is shared copy-on-write (kernel side)
 *     S3 spare
 *
 * An entry of an upper level points at the next table's first frame and is
 * made P|W|U (permissions are enforced at the leaf).
 *
 * Physical frame numbers: user frames are 0 .. frames-1 (and must lie below
 * 2^(pa_bits - page_shift)); page tables live in a kernel pool of frames
 * numbered from PT_KBASE = 2^(pa_bits - page_shift) upward, apart from them.
 */
#ifndef VMLAB_PTE_H
#define VMLAB_PTE_H

#include <stdint.h>

#define PTE_SIZE 8u
#define PTE_SHIFT 3u

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_SWAP (1ull << 9)
#define PTE_SEEN (1ull << 10)
#define PTE_COW (1ull << 11)
#define PTE_SPARE (1ull << 62)
#define PTE_NX (1ull << 63)

/* OSTEP's linear page-table entries (vm-paging/paging-linear-translate.py):
 * 32 bits, bit 31 valid, the rest the PFN. */
#define PTE32_VALID 0x80000000u

#define PTE_PFN_SHIFT 12u
#define PTE_PFN_BITS 50u
#define PTE_PFN_MASK (((1ull << PTE_PFN_BITS) - 1) << PTE_PFN_SHIFT)

#define GEOM_MAX_LEVELS 5u
#define GEOM_MIN_PAGE_SHIFT 4u   /* 16 B */
#define GEOM_MAX_PAGE_SHIFT 16u  /* 64 KiB */
#define GEOM_MAX_PA_BITS 52u
#define GEOM_MAX_VA_BITS 64u
#define GEOM_MAX_TABLE_BYTES (1ull << 30) /* one table may not exceed 1 GiB */

/* Frame number held by an entry (a PFN when present, a slot when swapped). */
static inline uint64_t pte_pfn(uint64_t pte)
{
	return (pte & PTE_PFN_MASK) >> PTE_PFN_SHIFT;
}

/* A present entry mapping frame pfn with the given flag bits. */
static inline uint64_t pte_make(uint64_t pfn, uint64_t flags)
{
	return ((pfn << PTE_PFN_SHIFT) & PTE_PFN_MASK) | flags;
}

/* A not-present entry that remembers the page's swap slot. */
static inline uint64_t pte_make_swap(uint64_t slot)
{
	return ((slot << PTE_PFN_SHIFT) & PTE_PFN_MASK) | PTE_SWAP | PTE_SEEN;
}

/* The address layout of one machine, fixed when the machine is built. */
typedef struct geom {
	unsigned page_shift;     /* log2 of the page size */
	unsigned va_bits;        /* virtual address width */
	unsigned pa_bits;        /* physical address width (user frames) */
	unsigned levels;         /* page-table levels, 1..GEOM_MAX_LEVELS */
	unsigned vpn_bits;       /* va_bits - page_shift */
	unsigned level_bits[GEOM_MAX_LEVELS];  /* index bits; [0] is the leaf */
	unsigned level_shift[GEOM_MAX_LEVELS]; /* lowest VA bit of the index */
	unsigned level_frames[GEOM_MAX_LEVELS]; /* frames one table occupies */
	uint64_t kbase_pfn;      /* first kernel-pool PFN */
} geom_t;

static inline uint64_t geom_page_size(const geom_t *g)
{
	return 1ull << g->page_shift;
}

static inline uint64_t geom_vpn(const geom_t *g, uint64_t va)
{
	return va >> g->page_shift;
}

static inline uint64_t geom_vpo(const geom_t *g, uint64_t va)
{
	return va & (geom_page_size(g) - 1);
}

/* Index into the table at level (0 = leaf) for a virtual address. */
static inline uint64_t geom_index(const geom_t *g, uint64_t va, unsigned level)
{
	return (va >> g->level_shift[level]) &
	       ((1ull << g->level_bits[level]) - 1);
}

/* Physical address of the first byte of frame pfn. */
static inline uint64_t geom_frame_pa(const geom_t *g, uint64_t pfn)
{
	return pfn << g->page_shift;
}

/* Fill *g for the given layout, levels 0 meaning "derive from the page size".
 * Returns 0, or VM_EINVAL with a sentence in err saying what is impossible. */
int geom_init(geom_t *g, unsigned page_size, unsigned va_bits, unsigned pa_bits,
	      unsigned levels, char *err, unsigned errlen);

#endif
