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
 * Every level indexes page_size / pte_size entries (512 with 8-byte PTEs and
 * 4 KiB pages, 1024 with 4-byte ones) unless --levels asks for a different
 * split; then the VPN bits are divided evenly over the levels and the top
 * level takes the remainder (so a table may be larger than a page and then
 * occupies several contiguous kernel frames, as textbook one-level tables
 * do).
 *
 * A page-table entry is 64 bits by default, x86-64-like:
 *
 *   63  62  61                                 12 11 10  9  8  7  6  5  4  3  2  1  0
 *  +---+---+-------------------------------------+--+--+--+--+--+--+--+-----+--+--+--+
 *  |NX |S3 |       PFN (50 bits)                 |S2|S1|S0|G |PS|D |A |  0  |U |W |P |
 *  +---+---+-------------------------------------+--+--+--+--+--+--+--+-----+--+--+--+
 *
 * or, with --pte-size 4, 32 bits, as 32-bit x86 without PAE (no NX bit, no
 * S3, a 20-bit frame number; the low 12 bits are the same as above, x86's
 * PCD/PWT (bits 4, 3) are not modelled here either):
 *
 *   31                                 12 11 10  9  8  7  6  5  4  3  2  1  0
 *  +-------------------------------------+--+--+--+--+--+--+--+-----+--+--+--+
 *  |       PFN (20 bits)                 |S2|S1|S0|G |PS|D |A |  0  |U |W |P |
 *  +-------------------------------------+--+--+--+--+--+--+--+-----+--+--+--+
 *
 * In code an entry is always a uint64_t in the 64-bit layout: pte_load
 * (phys.h) zero-extends a 4-byte entry (so NX and S3 read as 0) and
 * pte_store keeps the low 32 bits, which drops NX: on 32-bit x86 every
 * readable page is executable.
 *
 *  P  present          W  writable        U  user-accessible
 *  A  accessed (set by the walker)        D  dirty (set on a write)
 *  PS page size: in an entry above the leaf level, the entry is itself a leaf
 *     mapping a huge page (x86's PS in a PDE or PDPTE); ignored at the leaf
 *     level (where x86 has PAT, not modelled)
 *  G  global: the TLB keeps the translation across address-space switches
 *     and flushes of one address space (x86's G, leaf entries only)
 *  NX no-execute       S0..S3 software bits, ignored by the MMU (x86's AVL
 *     bits 9..11 are S0..S2 in both layouts: PS and G take bits 7 and 8, which
 *     were 0, so no software bit moved):
 *     S0 SWAP   when P=0, the PFN field holds a swap slot
 *     S1 SEEN   the page has been touched before (so first touch is countable)
 *     S2 COW    the page is shared copy-on-write (kernel side)
 *     S3 spare  (64-bit layout only)
 *
 * An entry of an upper level without PS points at the next table's first
 * frame and is made P|W|U (permissions are enforced at the leaf).
 *
 * Huge pages.  An entry at code level k >= 1 (CS:APP level levels - k) with
 * P and PS set maps the 2^level_shift[k] bytes that level's entry covers:
 * page_size * entries^k with the natural split, so 2 MiB (k = 1) and 1 GiB
 * (k = 2) with 4 KiB pages and 8-byte PTEs, 4 MiB (k = 1) with 4-byte PTEs
 * (x86's PSE).  Its PFN field holds the first base frame of an aligned,
 * contiguous run of 2^(level_shift[k] - page_shift) user frames; the MMU
 * ignores the field's low bits below that alignment and puts the VPN's low
 * bits there, so va's frame is base + (VPN mod run length).  The walk stops
 * at that entry: it reads levels - k PTEs instead of levels.  A 2 MiB page
 * of the default geometry (k = 1):
 *
 *   47        39 38        30 29        21 20                         0
 *  +------------+------------+------------+----------------------------+
 *  |  L1 index  |  L2 index  |  L3 index  |  offset in the huge page   |
 *  +------------+------------+------------+----------------------------+
 *                              L3 entry: P|PS, PFN = first of 512 frames
 *
 * The TLB caches such a page as one entry (tlb.h's huge keys).
 *
 * Physical frame numbers: user frames are 0 .. frames-1 (and must lie below
 * pa_frames = 2^(pa_bits - page_shift)).  Page tables live in a kernel pool
 * of frames apart from them: with 8-byte PTEs numbered from
 * PT_KBASE = pa_frames upward (no upper bound); with 4-byte PTEs, whose
 * 20-bit frame field could not name those, numbered right after the user
 * frames (frames, frames + 1, ...) and bounded by pa_frames (geom_place_tables).
 */
#ifndef VMLAB_PTE_H
#define VMLAB_PTE_H

#include <stdint.h>

/* The default (64-bit) entry; geom_t.pte_size says which one a machine uses. */
#define PTE_SIZE 8u
#define PTE_SHIFT 3u
#define PTE32_SIZE 4u
#define PTE32_SHIFT 2u

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
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
#define PTE32_PFN_BITS 20u       /* frame field of a 4-byte entry: bits 31..12 */
#define PTE32_MASK 0xffffffffull /* the bits a 4-byte entry keeps */

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
	unsigned pte_size;       /* bytes an entry takes in memory: 8 or 4 */
	unsigned pte_shift;      /* log2 of pte_size */
	uint64_t pa_frames;      /* frames a PA names: 2^(pa_bits - page_shift) */
	uint64_t kend_pfn;       /* first PFN past the kernel pool; 0: unbounded */
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

/* Physical address of entry index of the table whose first frame is pfn. */
static inline uint64_t geom_entry_pa(const geom_t *g, uint64_t table_pfn, uint64_t index)
{
	return geom_frame_pa(g, table_pfn) + (index << g->pte_shift);
}

/* Physical address of va's entry at level (0 = leaf) in the table at pfn. */
static inline uint64_t geom_pte_pa(const geom_t *g, uint64_t table_pfn, uint64_t va,
				   unsigned level)
{
	return geom_entry_pa(g, table_pfn, geom_index(g, va, level));
}

/* One past the largest number an entry's frame field holds (a PFN or a
 * swap slot): 2^50 with 8-byte PTEs, 2^20 with 4-byte ones. */
static inline uint64_t geom_pfn_limit(const geom_t *g)
{
	return 1ull << (g->pte_size == PTE32_SIZE ? PTE32_PFN_BITS : PTE_PFN_BITS);
}

/* Base pages in the page an entry at level maps as a leaf (1 at the leaf
 * level; a huge page's 2^(level_shift[level] - page_shift) above it). */
static inline uint64_t geom_leaf_pages(const geom_t *g, unsigned level)
{
	return 1ull << (g->level_shift[level] - g->page_shift);
}

/* Fill *g for the given layout, levels 0 meaning "derive from the page size",
 * with 8-byte PTEs.  Returns 0, or VM_EINVAL with a sentence in err saying
 * what is impossible. */
int geom_init(geom_t *g, unsigned page_size, unsigned va_bits, unsigned pa_bits,
	      unsigned levels, char *err, unsigned errlen);

/* geom_init with entries of pte_size bytes (8, or 4 for 32-bit x86's layout:
 * page_size / 4 entries a level, and the 20-bit frame field bounds pa_bits to
 * page_shift + 20).  Returns 0 or VM_EINVAL with the reason in err. */
int geom_init_pte(geom_t *g, unsigned page_size, unsigned va_bits, unsigned pa_bits,
		  unsigned levels, unsigned pte_size, char *err, unsigned errlen);

/* Place the kernel pool for a machine of nuser user frames and check that it
 * fits: with 8-byte PTEs nothing moves (kbase_pfn = pa_frames, unbounded);
 * with 4-byte PTEs the pool starts at frame nuser and ends at pa_frames, and
 * it must hold at least one address space's first tables (the root and one
 * table of every lower level), or no page could ever be mapped.  Call after
 * geom_init*, before phys_init.  Returns 0, or VM_EINVAL with the reason in
 * err when the user frames, or the user frames and those tables, pass the
 * pa_frames a pa_bits-bit physical address names. */
int geom_place_tables(geom_t *g, uint64_t nuser, char *err, unsigned errlen);

#endif
