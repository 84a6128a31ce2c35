/* test_hw9.c - issue 9's hardware: PS and G bits, 4-byte PTEs and their
 * geometry, huge leaves in the walk, the huge TLB, global entries and
 * switches without address-space ids.  Every machine here is built from
 * src/hw alone (geom, phys, tlb, mmu), with tables written by hand. */
#include <criterion/criterion.h>
#include <string.h>

#include "hw/mmu.h"
#include "hw/phys.h"
#include "hw/pte.h"
#include "hw/tlb.h"
#include "util/vmerr.h"

/* A bare machine: geometry, memory, base TLB, huge TLB, MMU. */
typedef struct hwm {
	geom_t g;
	phys_t p;
	tlb_t t, ht;
	mmu_t m;
} hwm_t;

/* Build h (not to be copied afterwards: the MMU points into it).  hte == 0
 * gives a huge TLB without entries: huge entries share the base TLB. */
static void hwm_init(hwm_t *h, unsigned ps, unsigned va, unsigned pa, unsigned levels,
		     unsigned pte_size, uint64_t nuser, uint32_t te, uint32_t tw,
		     uint32_t hte, uint32_t htw)
{
	char err[256];
	memset(h, 0, sizeof *h);
	int rc = geom_init_pte(&h->g, ps, va, pa, levels, pte_size, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(geom_place_tables(&h->g, nuser, err, sizeof err), 0, "%s", err);
	cr_assert_eq(phys_init(&h->p, &h->g, (uint32_t)nuser, 0), 0);
	cr_assert_eq(tlb_init(&h->t, te, tw), 0);
	cr_assert_eq(tlb_init(&h->ht, hte, htw), 0);
	h->m = (mmu_t){ .g = &h->g, .phys = &h->p, .tlb = &h->t, .htlb = &h->ht };
}

static void hwm_free(hwm_t *h)
{
	tlb_free(&h->t);
	tlb_free(&h->ht);
	phys_free(&h->p);
}

/* A new empty root table. */
static uint64_t hwm_root(hwm_t *h)
{
	uint64_t pfn;
	cr_assert_eq(phys_kalloc(&h->p, h->g.level_frames[h->g.levels - 1], &pfn), 0);
	return pfn;
}

/* Map va with a leaf at code level `level` (PS set above the leaf level) to
 * frame pfn with flags, making the tables on the way.  Returns the leaf's PA. */
static uint64_t hwm_map(hwm_t *h, uint64_t root, uint64_t va, unsigned level, uint64_t pfn,
			uint64_t flags)
{
	const geom_t *g = &h->g;
	uint64_t table = root;
	for (unsigned l = g->levels - 1; l > level; l--) {
		uint64_t pa = geom_pte_pa(g, table, va, l);
		uint64_t pte = pte_load(&h->p, g, pa);
		if (!(pte & PTE_P)) {
			uint64_t next;
			cr_assert_eq(phys_kalloc(&h->p, g->level_frames[l - 1], &next), 0);
			pte = pte_make(next, PTE_P | PTE_W | PTE_U);
			pte_store(&h->p, g, pa, pte);
		}
		table = pte_pfn(pte);
	}
	uint64_t pa = geom_pte_pa(g, table, va, level);
	pte_store(&h->p, g, pa, pte_make(pfn, PTE_P | flags | (level ? PTE_PS : 0)));
	return pa;
}

static uint64_t tlb_valid(const tlb_t *t)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < (uint64_t)t->sets * t->ways; i++)
		n += t->e[i].valid;
	return n;
}

#define RWU (PTE_W | PTE_U)

/* ---- PTE bits ---- */

Test(hw9_pte, ps_and_g_are_x86_bits_7_and_8_and_software_bits_stay)
{
	cr_assert_eq(PTE_PS, 0x80ull);
	cr_assert_eq(PTE_G, 0x100ull);
	cr_assert_eq(PTE_SWAP, 0x200ull);
	cr_assert_eq(PTE_SEEN, 0x400ull);
	cr_assert_eq(PTE_COW, 0x800ull);
	uint64_t bits[] = { PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS, PTE_G, PTE_SWAP,
			    PTE_SEEN, PTE_COW, PTE_SPARE, PTE_NX };
	uint64_t all = 0;
	for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++) {
		cr_assert_eq(all & bits[i], 0, "bit %u overlaps", i);
		cr_assert_eq(bits[i] & PTE_PFN_MASK, 0, "bit %u is in the frame field", i);
		all |= bits[i];
	}
	/* every flag of the 32-bit layout is in its low 12 bits */
	cr_assert_eq((PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_PS | PTE_G | PTE_SWAP |
		      PTE_SEEN | PTE_COW) >> 12, 0);
}

/* ---- geometry with 4-byte PTEs ---- */

static geom_t geom4(unsigned ps, unsigned va, unsigned pa, unsigned levels)
{
	geom_t g;
	char err[256];
	int rc = geom_init_pte(&g, ps, va, pa, levels, 4, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
	return g;
}

Test(hw9_geom, csapp_one_level_32_bit_table_is_4_mb)
{
	/* 2^20 entries x 4 B = 4 MiB = 1024 pages of 4 KiB */
	geom_t g = geom4(4096, 32, 32, 1);
	cr_assert_eq(g.pte_size, 4);
	cr_assert_eq(g.pte_shift, 2);
	cr_assert_eq(g.levels, 1);
	cr_assert_eq(g.level_bits[0], 20);
	cr_assert_eq(g.level_frames[0], 1024);
	cr_assert_eq((uint64_t)g.level_frames[0] << g.page_shift, 4ull << 20);
	cr_assert_eq(g.pa_frames, 1ull << 20);
}

Test(hw9_geom, two_levels_index_1024_entries_each)
{
	geom_t g = geom4(4096, 32, 32, 2);
	cr_assert_eq(g.levels, 2);
	for (unsigned i = 0; i < 2; i++) {
		cr_assert_eq(g.level_bits[i], 10);
		cr_assert_eq(g.level_frames[i], 1);
	}
	cr_assert_eq(g.level_shift[1], 22); /* a directory entry covers 4 MiB */
	/* derived: page_size / 4 = 1024 entries, so 20 VPN bits need 2 levels */
	geom_t d = geom4(4096, 32, 32, 0);
	cr_assert_eq(d.levels, 2);
	cr_assert_eq(d.level_bits[0], 10);
	cr_assert_eq(d.level_bits[1], 10);
	/* and 48 bits need 4 (36 VPN bits at 10 a level: 10, 10, 10, 6) */
	geom_t e = geom4(4096, 48, 32, 0);
	cr_assert_eq(e.levels, 4);
	cr_assert_eq(e.level_bits[3], 6);
	/* an entry of a 32-bit table is 4 bytes apart from the next */
	cr_assert_eq(geom_entry_pa(&g, 0x100, 3), (0x100ull << 12) + 12);
	cr_assert_eq(geom_pfn_limit(&g), 1ull << 20);
}

Test(hw9_geom, default_geometry_is_unchanged)
{
	geom_t g;
	char err[256];
	cr_assert_eq(geom_init(&g, 4096, 48, 52, 0, err, sizeof err), 0);
	cr_assert_eq(g.pte_size, 8);
	cr_assert_eq(g.pte_shift, 3);
	cr_assert_eq(g.levels, 4);
	cr_assert_eq(g.level_bits[0], 9);
	cr_assert_eq(g.kbase_pfn, 1ull << 40);
	cr_assert_eq(g.pa_frames, 1ull << 40);
	cr_assert_eq(geom_pfn_limit(&g), 1ull << 50);
	cr_assert_eq(geom_leaf_pages(&g, 0), 1);
	cr_assert_eq(geom_leaf_pages(&g, 1), 512);      /* 2 MiB */
	cr_assert_eq(geom_leaf_pages(&g, 2), 262144);   /* 1 GiB */
	/* 8-byte PTEs: placing the tables moves nothing */
	cr_assert_eq(geom_place_tables(&g, 64, err, sizeof err), 0);
	cr_assert_eq(g.kbase_pfn, 1ull << 40);
	cr_assert_eq(g.kend_pfn, 0);
	geom_t e;
	cr_assert_eq(geom_init_pte(&e, 4096, 48, 52, 0, 8, err, sizeof err), 0);
	cr_assert_eq(memcmp(&e, &g, sizeof g), 0);
}

Test(hw9_geom, bad_pte_sizes_and_wide_frames_are_refused)
{
	geom_t g;
	char err[256] = "";
	cr_assert_eq(geom_init_pte(&g, 4096, 32, 32, 0, 6, err, sizeof err), VM_EINVAL);
	cr_assert_str_eq(err, "--pte-size 6: a page-table entry is 4 or 8 bytes");
	/* the 20-bit frame field: 4 KiB pages allow 32 PA bits, not 33 */
	cr_assert_eq(geom_init_pte(&g, 4096, 32, 32, 0, 4, err, sizeof err), 0);
	cr_assert_eq(geom_init_pte(&g, 4096, 32, 33, 0, 4, err, sizeof err), VM_EINVAL);
	cr_assert(strstr(err, "20-bit frame number"), "%s", err);
	cr_assert(strstr(err, "at most 32 bits"), "%s", err);
	/* 64-byte pages: 26 */
	cr_assert_eq(geom_init_pte(&g, 64, 14, 26, 0, 4, err, sizeof err), 0);
	cr_assert_eq(geom_init_pte(&g, 64, 14, 27, 0, 4, err, sizeof err), VM_EINVAL);
	/* the same PA width is fine with 8-byte PTEs */
	cr_assert_eq(geom_init_pte(&g, 4096, 32, 33, 0, 8, err, sizeof err), 0);
}

Test(hw9_geom, tables_after_the_user_frames_must_fit_the_pa)
{
	char err[256] = "";
	/* 23 PA bits: 2048 frames; the one-level table takes 1024 */
	geom_t g = geom4(4096, 32, 23, 1);
	cr_assert_eq(geom_place_tables(&g, 1024, err, sizeof err), 0, "%s", err);
	cr_assert_eq(g.kbase_pfn, 1024);
	cr_assert_eq(g.kend_pfn, 2048);
	g = geom4(4096, 32, 23, 1);
	cr_assert_eq(geom_place_tables(&g, 1025, err, sizeof err), VM_EINVAL);
	cr_assert_str_eq(err, "with --pte-size 4 page tables take frames after the 1025 user frames, "
			      "and one address space's first tables (1024 frames) pass the 2048 "
			      "frames a 23-bit physical address can name: raise --pa-bits or lower --frames");
	/* two levels: a walk's first tables are 2 frames */
	g = geom4(4096, 32, 23, 2);
	cr_assert_eq(geom_place_tables(&g, 2046, err, sizeof err), 0);
	g = geom4(4096, 32, 23, 2);
	cr_assert_eq(geom_place_tables(&g, 2047, err, sizeof err), VM_EINVAL);
	/* more user frames than the PA names, either PTE size */
	g = geom4(4096, 32, 23, 2);
	cr_assert_eq(geom_place_tables(&g, 2049, err, sizeof err), VM_EINVAL);
	cr_assert(strstr(err, "--frames 2049 is more than a 23-bit"), "%s", err);
	geom_t e;
	cr_assert_eq(geom_init_pte(&e, 4096, 32, 23, 2, 8, err, sizeof err), 0);
	cr_assert_eq(geom_place_tables(&e, 2049, err, sizeof err), VM_EINVAL);
	cr_assert_eq(geom_place_tables(&e, 2048, err, sizeof err), 0);
}

Test(hw9_geom, the_kernel_pool_stops_at_the_pa_limit)
{
	hwm_t h;
	hwm_init(&h, 4096, 32, 23, 1, 4, 1024, 0, 0, 0, 0);
	uint64_t pfn;
	cr_assert_eq(phys_kalloc(&h.p, 1024, &pfn), 0);
	cr_assert_eq(pfn, 1024); /* right after the user frames */
	cr_assert_eq(phys_kalloc(&h.p, 1, &pfn), VM_ENOMEM);
	phys_kfree(&h.p, 1024, 1024);
	cr_assert_eq(phys_kalloc(&h.p, 1024, &pfn), 0); /* reused */
	cr_assert_eq(pfn, 1024);
	hwm_free(&h);
}

/* ---- PTE accessors ---- */

Test(hw9_pte, four_byte_entries_keep_the_low_32_bits)
{
	hwm_t h;
	hwm_init(&h, 4096, 32, 32, 2, 4, 64, 0, 0, 0, 0);
	uint64_t t = hwm_root(&h);
	uint64_t pa = geom_entry_pa(&h.g, t, 1);
	cr_assert_eq(pa, (64ull << 12) + 4);
	uint64_t flags = PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_PS | PTE_G;
	pte_store(&h.p, &h.g, pa, pte_make(0xfffff, flags | PTE_NX | PTE_SPARE));
	cr_assert_eq(phys_read32(&h.p, pa), 0xfffff1e7u);
	cr_assert_eq(pte_load(&h.p, &h.g, pa), 0xfffff1e7ull); /* NX and S3 gone */
	/* the neighbours, 4 bytes either side, are untouched */
	cr_assert_eq(pte_load(&h.p, &h.g, pa - 4), 0);
	cr_assert_eq(pte_load(&h.p, &h.g, pa + 4), 0);
	pte_store(&h.p, &h.g, pa + 4, pte_make_swap(0x12345));
	cr_assert_eq(pte_pfn(pte_load(&h.p, &h.g, pa + 4)), 0x12345);
	cr_assert_eq(pte_load(&h.p, &h.g, pa), 0xfffff1e7ull);
	hwm_free(&h);
}

Test(hw9_pte, eight_byte_entries_are_the_64_bit_words)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 64, 0, 0, 0, 0);
	uint64_t t = hwm_root(&h);
	uint64_t pa = geom_entry_pa(&h.g, t, 1);
	cr_assert_eq(pa, (t << 12) + 8);
	uint64_t v = pte_make(0x3ffffffffffffull, PTE_P | PTE_NX | PTE_SPARE | PTE_G);
	pte_store(&h.p, &h.g, pa, v);
	cr_assert_eq(phys_read64(&h.p, pa), v);
	cr_assert_eq(pte_load(&h.p, &h.g, pa), v);
	hwm_free(&h);
}

/* ---- huge leaves in the walk ---- */

#define VA2M 0x40200000ull /* 2 MiB-aligned: L1 0, L2 1, L3 1 */

Test(hw9_walk, a_2_mib_leaf_reads_3_ptes_instead_of_4)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	/* a base page next door, for the 4-PTE walk */
	hwm_map(&h, root, 0x40000000ull, 0, 7, RWU);
	uint64_t pde = hwm_map(&h, root, VA2M, 1, 1024, RWU);
	mmu_result_t r;
	cr_assert_eq(mmu_translate(&h.m, 1, root, 0x40000000ull, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pfn, 7);
	cr_assert_eq(r.leaf_level, 0);
	cr_assert_eq(h.m.count.walk_memory_refs, 4);
	cr_assert_eq(h.m.count.huge_tlb_misses, 0);
	/* VA2M + 6 pages + 0x234: frame 1024 + 6 */
	cr_assert_eq(mmu_translate(&h.m, 1, root, VA2M + 0x6234, MMU_WRITE, &r), MMU_OK);
	cr_assert_eq(r.pfn, 1030);
	cr_assert_eq(r.leaf_level, 1);
	cr_assert_eq(r.pte_pa, pde);
	cr_assert_eq(h.m.count.walk_memory_refs, 4 + 3);
	cr_assert_eq(h.m.count.tlb_misses, 2);
	cr_assert_eq(h.m.count.huge_tlb_misses, 1);
	/* A and D set on the huge entry itself */
	cr_assert_eq(pte_load(&h.p, &h.g, pde), pte_make(1024, PTE_P | RWU | PTE_PS | PTE_A | PTE_D));
	/* the entry went to the huge TLB, not the base one */
	cr_assert_eq(tlb_valid(&h.t), 1);
	cr_assert_eq(tlb_valid(&h.ht), 1);
	cr_assert_eq(h.ht.huge_levels, 1u << 1);
	hwm_free(&h);
}

Test(hw9_walk, a_1_gib_leaf_reads_2_ptes)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	uint64_t pdpte = hwm_map(&h, root, 0x80000000ull, 2, 262144, RWU);
	mmu_result_t r;
	/* 0x80000000 + 0x12345678: base page 0x12345 of the run */
	cr_assert_eq(mmu_translate(&h.m, 1, root, 0x92345678ull, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pfn, 262144 + 0x12345);
	cr_assert_eq(r.leaf_level, 2);
	cr_assert_eq(r.pte_pa, pdpte);
	cr_assert_eq(h.m.count.walk_memory_refs, 2);
	cr_assert_eq(h.m.count.huge_tlb_misses, 1);
	cr_assert_eq(pte_load(&h.p, &h.g, pdpte) & (PTE_A | PTE_D), PTE_A);
	/* the last byte of the gigabyte is still in it, with no new walk */
	cr_assert_eq(mmu_translate(&h.m, 1, root, 0xbfffffffull, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pfn, 262144 + 262143);
	cr_assert_eq(h.m.count.walk_memory_refs, 2);
	cr_assert_eq(h.m.count.huge_tlb_hits, 1);
	hwm_free(&h);
}

Test(hw9_walk, the_low_bits_of_a_huge_frame_field_are_ignored)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	hwm_map(&h, root, VA2M, 1, 1024 + 7, RWU);
	mmu_result_t r;
	cr_assert_eq(mmu_translate(&h.m, 1, root, VA2M + 511 * 4096, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pfn, 1024 + 511);
	hwm_free(&h);
}

Test(hw9_walk, ps_at_the_leaf_level_is_ignored)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	uint64_t pa = hwm_map(&h, root, 0x5000, 0, 9, RWU | PTE_PS);
	mmu_result_t r;
	cr_assert_eq(mmu_translate(&h.m, 1, root, 0x5000, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pfn, 9);
	cr_assert_eq(r.leaf_level, 0);
	cr_assert_eq(r.pte_pa, pa);
	cr_assert_eq(h.m.count.huge_tlb_misses, 0);
	cr_assert_eq(tlb_valid(&h.ht), 0);
	hwm_free(&h);
}

Test(hw9_walk, a_read_only_huge_page_refuses_a_write_without_filling)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	uint64_t pde = hwm_map(&h, root, VA2M, 1, 1024, PTE_U);
	mmu_result_t r;
	cr_assert_eq(mmu_translate(&h.m, 1, root, VA2M, MMU_WRITE, &r), MMU_FAULT_PROTECTION);
	cr_assert_eq(r.reason, MMU_REASON_WRITE_RDONLY);
	cr_assert_eq(r.pte_pa, pde);
	cr_assert_eq(r.leaf_level, 1);
	cr_assert_eq(tlb_valid(&h.ht), 0);
	cr_assert_eq(pte_load(&h.p, &h.g, pde) & PTE_A, 0);
	hwm_free(&h);
}

Test(hw9_walk, explain_log_of_a_huge_walk_then_a_huge_hit)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	uint64_t pde = hwm_map(&h, root, VA2M, 1, 1024, RWU);
	mmu_result_t r;
	mmu_log_t log;
	cr_assert_eq(mmu_translate_logged(&h.m, 1, root, VA2M + 0x1000, MMU_READ, &r, &log), MMU_OK);
	cr_assert_eq(log.tlb_hit, 0);
	cr_assert_eq(log.nsteps, 3);
	cr_assert_eq(log.steps[2].pte_pa, pde);
	cr_assert_eq(log.steps[2].index, 1);
	cr_assert_eq(r.pfn, 1025);
	cr_assert_eq(mmu_translate_logged(&h.m, 1, root, VA2M + 0x2000, MMU_READ, &r, &log), MMU_OK);
	cr_assert_eq(log.tlb_hit, 1);
	cr_assert_eq(log.nsteps, 0);
	cr_assert_eq(r.pfn, 1026);
	cr_assert_eq(r.pte_pa, pde);
	cr_assert_eq(r.leaf_level, 1);
	cr_assert_eq(h.m.count.tlb_hits, 1);
	cr_assert_eq(h.m.count.huge_tlb_hits, 1);
	hwm_free(&h);
}

/* ---- 4-byte PTE walks ---- */

Test(hw9_walk, a_32_bit_two_level_walk_and_a_4_mib_page)
{
	hwm_t h;
	hwm_init(&h, 4096, 32, 32, 2, 4, 64, 16, 4, 0, 0);
	uint64_t root = hwm_root(&h);
	cr_assert_eq(root, 64); /* the pool starts after the 64 user frames */
	/* VA 0x00403abc: directory index 1, table index 3 */
	uint64_t pte_pa = hwm_map(&h, root, 0x00403abcull, 0, 5, RWU | PTE_NX);
	mmu_result_t r;
	mmu_log_t log;
	cr_assert_eq(mmu_translate_logged(&h.m, 1, root, 0x00403abcull, MMU_EXEC, &r, &log), MMU_OK,
		     "no NX in a 4-byte entry: every page is executable");
	cr_assert_eq(r.pfn, 5);
	cr_assert_eq(log.nsteps, 2);
	cr_assert_eq(log.steps[0].index, 1);
	cr_assert_eq(log.steps[0].pte_pa, (64ull << 12) + 4);
	cr_assert_eq(log.steps[0].pte, pte_make(65, PTE_P | RWU)); /* as read, before A */
	cr_assert_eq(log.steps[1].index, 3);
	cr_assert_eq(log.steps[1].pte_pa, pte_pa);
	cr_assert_eq(pte_pa, (65ull << 12) + 12);
	cr_assert_eq(phys_read32(&h.p, pte_pa), (5u << 12) | 0x27u); /* P W U A */
	/* a 4 MiB page (x86 PSE) at directory index 2: one PTE read */
	hwm_map(&h, root, 0x00800000ull, 1, 1024, RWU);
	cr_assert_eq(mmu_translate(&h.m, 1, root, 0x00bff123ull, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pfn, 1024 + 1023);
	cr_assert_eq(r.leaf_level, 1);
	cr_assert_eq(h.m.count.walk_memory_refs, 2 + 1);
	cr_assert_eq(h.m.count.huge_tlb_misses, 1);
	hwm_free(&h);
}

/* ---- the huge TLB ---- */

/* Touch every base page of the 2 MiB page at VA2M, then the first again. */
static void touch_512_pages(hwm_t *h, uint64_t root)
{
	mmu_result_t r;
	for (uint64_t i = 0; i < 512; i++) {
		cr_assert_eq(mmu_translate(&h->m, 1, root, VA2M + i * 4096 + 8, MMU_READ, &r), MMU_OK);
		cr_assert_eq(r.pfn, 1024 + i);
	}
	cr_assert_eq(mmu_translate(&h->m, 1, root, VA2M, MMU_READ, &r), MMU_OK);
}

Test(hw9_tlb, one_huge_entry_serves_512_base_pages)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	hwm_map(&h, root, VA2M, 1, 1024, RWU);
	touch_512_pages(&h, root);
	/* 513 lookups: 1 miss (one 3-PTE walk), 512 hits, all huge */
	cr_assert_eq(h.m.count.tlb_misses, 1);
	cr_assert_eq(h.m.count.tlb_hits, 512);
	cr_assert_eq(h.m.count.tlb_hits + h.m.count.tlb_misses, 513);
	cr_assert_eq(h.m.count.huge_tlb_hits, 512);
	cr_assert_eq(h.m.count.huge_tlb_misses, 1);
	cr_assert_eq(h.m.count.walk_memory_refs, 3);
	cr_assert_eq(tlb_valid(&h.t), 0);
	cr_assert_eq(tlb_valid(&h.ht), 1);
	/* the base TLB's fast path does not see huge entries, and counts nothing */
	uint64_t pfn;
	cr_assert(!mmu_translate_hit(&h.m, 1, VA2M, MMU_READ, &pfn));
	cr_assert_eq(h.m.count.tlb_hits, 512);
	hwm_free(&h);
}

Test(hw9_tlb, shared_mode_keeps_the_huge_entry_in_the_base_tlb)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 0, 0); /* --tlb-huge 0 */
	uint64_t root = hwm_root(&h);
	hwm_map(&h, root, VA2M, 1, 1024, RWU);
	cr_assert_eq(mmu_huge_tlb(&h.m), &h.t);
	touch_512_pages(&h, root);
	cr_assert_eq(h.m.count.tlb_misses, 1);
	cr_assert_eq(h.m.count.tlb_hits, 512);
	cr_assert_eq(h.m.count.huge_tlb_hits, 512);
	cr_assert_eq(tlb_valid(&h.t), 1);
	/* huge page number 0x201 (VA2M >> 21) lives in set 0x201 mod 16 = 1 */
	uint64_t key = tlb_huge_key(1, VA2M >> 21);
	cr_assert_eq(tlb_set_of(&h.t, key), 1);
	tlb_entry_t *set = h.t.e + 1 * h.t.ways;
	int found = 0;
	for (unsigned w = 0; w < h.t.ways; w++)
		found |= set[w].valid && set[w].vpn == key && set[w].pfn == 1024;
	cr_assert(found);
	/* a base page whose VPN equals the huge page number is a different key */
	cr_assert_null(tlb_lookup(&h.t, 1, VA2M >> 21));
	/* no huge TLB pointer at all also shares */
	h.m.htlb = NULL;
	cr_assert_eq(mmu_huge_tlb(&h.m), &h.t);
	hwm_free(&h);
}

Test(hw9_tlb, a_huge_hit_sets_dirty_through_the_huge_entry)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	uint64_t pde = hwm_map(&h, root, VA2M, 1, 1024, RWU);
	mmu_result_t r;
	cr_assert_eq(mmu_translate(&h.m, 1, root, VA2M, MMU_READ, &r), MMU_OK);
	cr_assert_eq(pte_load(&h.p, &h.g, pde) & PTE_D, 0);
	cr_assert_eq(mmu_translate(&h.m, 1, root, VA2M + 0x5000, MMU_WRITE, &r), MMU_OK);
	cr_assert_eq(r.pfn, 1029);
	cr_assert_eq(r.pte_pa, pde);
	cr_assert_neq(pte_load(&h.p, &h.g, pde) & PTE_D, 0);
	cr_assert_eq(h.m.count.tlb_misses, 1);
	cr_assert_eq(h.m.count.tlb_hits, 1);
	cr_assert_eq(h.m.count.huge_tlb_hits, 1);
	/* now known dirty: the next write is a plain hit */
	cr_assert_eq(mmu_translate(&h.m, 1, root, VA2M + 0x6000, MMU_WRITE, &r), MMU_OK);
	cr_assert_eq(r.pfn, 1030);
	cr_assert_eq(h.m.count.huge_tlb_hits, 2);
	cr_assert_eq(h.m.count.walk_memory_refs, 3);
	hwm_free(&h);
}

Test(hw9_tlb, flush_page_reaches_the_huge_entry_covering_it)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	hwm_map(&h, root, VA2M, 1, 1024, RWU);
	hwm_map(&h, root, 0x1000, 0, 3, RWU);
	mmu_result_t r;
	mmu_translate(&h.m, 1, root, VA2M, MMU_READ, &r);
	mmu_translate(&h.m, 1, root, 0x1000, MMU_READ, &r);
	/* another asid's flush leaves it */
	mmu_flush_page(&h.m, 2, (VA2M >> 12) + 77);
	cr_assert_eq(tlb_valid(&h.ht), 1);
	mmu_flush_page(&h.m, 1, (VA2M >> 12) + 77);
	cr_assert_eq(tlb_valid(&h.ht), 0);
	cr_assert_eq(tlb_valid(&h.t), 1);
	mmu_flush_page(&h.m, 1, 1);
	cr_assert_eq(tlb_valid(&h.t), 0);
	mmu_translate(&h.m, 1, root, VA2M, MMU_READ, &r);
	cr_assert_eq(h.m.count.tlb_misses, 3);
	mmu_flush_asid(&h.m, 1);
	cr_assert_eq(tlb_valid(&h.ht), 0);
	mmu_translate(&h.m, 1, root, VA2M, MMU_READ, &r);
	mmu_flush_all(&h.m);
	cr_assert_eq(tlb_valid(&h.ht), 0);
	cr_assert_eq(h.ht.huge_levels, 0);
	hwm_free(&h);
}

Test(hw9_tlb, huge_tlb_shape_errors_name_their_option)
{
	char err[256] = "";
	cr_assert_eq(tlb_check_shape_opt("--tlb-huge", TLB_HUGE_ENTRIES, TLB_HUGE_WAYS, err, sizeof err), 0);
	cr_assert_eq(tlb_check_shape_opt("--tlb-huge", 0, 0, err, sizeof err), 0);
	cr_assert_eq(tlb_check_shape_opt("--tlb-huge", 30, 4, err, sizeof err), VM_EINVAL);
	cr_assert_str_eq(err, "--tlb-huge 30:4: entries must be a multiple of ways");
	cr_assert_eq(tlb_check_shape(4, 8, err, sizeof err), VM_EINVAL);
	cr_assert_str_eq(err, "--tlb 4:8: a set cannot have more ways than the TLB has entries, nor 0");
}

/* ---- global entries ---- */

Test(hw9_tlb, global_entries_match_every_asid_and_survive_a_nonglobal_flush)
{
	tlb_t t;
	cr_assert_eq(tlb_init(&t, 8, 2), 0);
	tlb_fill(&t, 1, 0x10, 100, PTE_W | PTE_G);      /* a kernel page */
	tlb_fill(&t, 1, 0x11, 101, PTE_W | PTE_U);      /* a user page of asid 1 */
	tlb_fill(&t, 2, 0x12, 102, PTE_W | PTE_U);      /* a user page of asid 2 */
	tlb_entry_t *e = tlb_lookup(&t, 7, 0x10);
	cr_assert_not_null(e, "a global entry matches any asid");
	cr_assert_eq(e->pfn, 100);
	cr_assert_eq(e->global, 1);
	cr_assert_null(tlb_lookup(&t, 7, 0x11));
	/* flushing one address space keeps the global entry */
	tlb_flush_asid(&t, 1);
	cr_assert_not_null(tlb_lookup(&t, 1, 0x10));
	cr_assert_null(tlb_lookup(&t, 1, 0x11));
	/* a non-global flush removes the others, counting the valid ones */
	tlb_fill(&t, 1, 0x11, 101, PTE_W | PTE_U);
	cr_assert_eq(tlb_flush_nonglobal(&t), 2);
	cr_assert_eq(tlb_flush_nonglobal(&t), 0);
	cr_assert_not_null(tlb_lookup(&t, 3, 0x10));
	cr_assert_null(tlb_lookup(&t, 2, 0x12));
	/* INVLPG of the address from any asid removes it */
	tlb_flush_page(&t, 9, 0x10);
	cr_assert_null(tlb_lookup(&t, 1, 0x10));
	tlb_fill(&t, 1, 0x10, 100, PTE_G);
	tlb_flush_all(&t);
	cr_assert_null(tlb_lookup(&t, 1, 0x10));
	tlb_free(&t);
}

Test(hw9_tlb, a_walked_global_leaf_fills_a_global_entry)
{
	hwm_t h;
	hwm_init(&h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	uint64_t root = hwm_root(&h);
	hwm_map(&h, root, 0x7000, 0, 3, RWU | PTE_G);
	hwm_map(&h, root, VA2M, 1, 1024, RWU | PTE_G);
	mmu_result_t r;
	mmu_translate(&h.m, 1, root, 0x7000, MMU_READ, &r);
	mmu_translate(&h.m, 1, root, VA2M, MMU_READ, &r);
	/* asid 2 (same tables, say a kernel half) hits both */
	cr_assert_eq(mmu_translate(&h.m, 2, root, 0x7000, MMU_READ, &r), MMU_OK);
	cr_assert_eq(mmu_translate(&h.m, 2, root, VA2M + 0x3000, MMU_READ, &r), MMU_OK);
	cr_assert_eq(r.pfn, 1027);
	cr_assert_eq(h.m.count.tlb_misses, 2);
	cr_assert_eq(h.m.count.tlb_hits, 2);
	cr_assert_eq(h.m.count.huge_tlb_hits, 1);
	hwm_free(&h);
}

/* ---- switching address spaces without ASIDs ---- */

/* Two processes, each with its own root: A (asid 1) maps 3 base pages, one
 * of them global, and a 2 MiB page; B (asid 2) maps 2 base pages and the
 * same global page. */
typedef struct twoproc {
	hwm_t h;
	uint64_t ra, rb;
} twoproc_t;

static void twoproc_init(twoproc_t *tp, mmu_asid_mode_t mode)
{
	hwm_init(&tp->h, 4096, 48, 52, 0, 8, 4096, 64, 4, 32, 4);
	tp->h.m.asid_mode = mode;
	tp->ra = hwm_root(&tp->h);
	tp->rb = hwm_root(&tp->h);
	for (uint64_t i = 0; i < 2; i++) {
		hwm_map(&tp->h, tp->ra, 0x1000 * (i + 1), 0, 10 + i, RWU);
		hwm_map(&tp->h, tp->rb, 0x1000 * (i + 1), 0, 20 + i, RWU);
	}
	hwm_map(&tp->h, tp->ra, 0x9000, 0, 30, RWU | PTE_G);
	hwm_map(&tp->h, tp->rb, 0x9000, 0, 30, RWU | PTE_G);
	hwm_map(&tp->h, tp->ra, VA2M, 1, 1024, RWU);
}

static void run_a(twoproc_t *tp)
{
	mmu_result_t r;
	for (uint64_t va = 0x1000; va <= 0x2000; va += 0x1000)
		cr_assert_eq(mmu_translate(&tp->h.m, 1, tp->ra, va, MMU_READ, &r), MMU_OK);
	cr_assert_eq(mmu_translate(&tp->h.m, 1, tp->ra, 0x9000, MMU_READ, &r), MMU_OK);
	cr_assert_eq(mmu_translate(&tp->h.m, 1, tp->ra, VA2M, MMU_READ, &r), MMU_OK);
}

static void run_b(twoproc_t *tp)
{
	mmu_result_t r;
	for (uint64_t va = 0x1000; va <= 0x2000; va += 0x1000) {
		cr_assert_eq(mmu_translate(&tp->h.m, 2, tp->rb, va, MMU_READ, &r), MMU_OK);
		cr_assert_eq(r.pfn, 20 + (va >> 12) - 1);
	}
	cr_assert_eq(mmu_translate(&tp->h.m, 2, tp->rb, 0x9000, MMU_READ, &r), MMU_OK);
}

Test(hw9_asid, asid_less_switches_flush_every_nonglobal_entry_counted)
{
	twoproc_t tp;
	twoproc_init(&tp, MMU_ASID_NONE);
	mmu_counters_t *c = &tp.h.m.count;
	run_a(&tp);             /* 4 misses: 2 base, global, huge */
	mmu_switch(&tp.h.m);    /* A -> B: A's 2 base entries and its huge one go */
	cr_assert_eq(c->tlb_flushes, 1);
	cr_assert_eq(c->tlb_entries_flushed, 3);
	cr_assert_eq(tlb_valid(&tp.h.t), 1); /* the global page */
	run_b(&tp);             /* 2 misses, the global page hits */
	mmu_switch(&tp.h.m);    /* B -> A: B's 2 */
	cr_assert_eq(c->tlb_flushes, 2);
	cr_assert_eq(c->tlb_entries_flushed, 5);
	run_a(&tp);             /* 3 misses again, the global page hits */
	cr_assert_eq(c->tlb_misses, 4 + 2 + 3);
	cr_assert_eq(c->tlb_hits, 2);
	cr_assert_eq(c->huge_tlb_misses, 2);
	cr_assert_eq(c->huge_tlb_hits, 0);
	/* a switch with nothing to flush still counts as a flush */
	mmu_switch(&tp.h.m);
	mmu_switch(&tp.h.m);
	cr_assert_eq(c->tlb_flushes, 4);
	cr_assert_eq(c->tlb_entries_flushed, 5 + 3);
	hwm_free(&tp.h);
}

Test(hw9_asid, tagged_switches_cost_nothing)
{
	twoproc_t tp;
	twoproc_init(&tp, MMU_ASID_TAGGED);
	mmu_counters_t *c = &tp.h.m.count;
	run_a(&tp);
	mmu_switch(&tp.h.m);
	run_b(&tp);
	mmu_switch(&tp.h.m);
	run_a(&tp);
	cr_assert_eq(c->tlb_flushes, 0);
	cr_assert_eq(c->tlb_entries_flushed, 0);
	/* A: 4 misses then 4 hits; B: 2 misses, global hit */
	cr_assert_eq(c->tlb_misses, 6);
	cr_assert_eq(c->tlb_hits, 5);
	cr_assert_eq(c->huge_tlb_hits, 1);
	hwm_free(&tp.h);
}
