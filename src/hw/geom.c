/* geom.c - validating an address layout and splitting the VPN over levels. */
#include <stdio.h>
#include <string.h>

#include "pte.h"
#include "../util/vmerr.h"

static int is_pow2(unsigned x)
{
	return x && !(x & (x - 1));
}

static unsigned log2u(unsigned x)
{
	unsigned s = 0;
	while ((1u << s) < x)
		s++;
	return s;
}

/* Split vpn_bits over g->levels: natural (page-sized tables) when levels was
 * derived, even with the remainder on top when the user chose levels. */
static void split_levels(geom_t *g, int user_levels)
{
	unsigned natural = g->page_shift - g->pte_shift;
	unsigned shift = g->page_shift;
	for (unsigned i = 0; i < g->levels; i++) {
		unsigned bits;
		if (!user_levels) {
			unsigned left = g->vpn_bits - (shift - g->page_shift);
			bits = left < natural ? left : natural;
		} else {
			bits = g->vpn_bits / g->levels;
			if (i == g->levels - 1)
				bits += g->vpn_bits % g->levels;
		}
		g->level_bits[i] = bits;
		g->level_shift[i] = shift;
		uint64_t bytes = (1ull << bits) * g->pte_size;
		uint64_t page = 1ull << g->page_shift;
		g->level_frames[i] = (unsigned)((bytes + page - 1) / page);
		shift += bits;
	}
}

int geom_init(geom_t *g, unsigned page_size, unsigned va_bits, unsigned pa_bits,
	      unsigned levels, char *err, unsigned errlen)
{
	return geom_init_pte(g, page_size, va_bits, pa_bits, levels, PTE_SIZE, err, errlen);
}

int geom_init_pte(geom_t *g, unsigned page_size, unsigned va_bits, unsigned pa_bits,
		  unsigned levels, unsigned pte_size, char *err, unsigned errlen)
{
	memset(g, 0, sizeof *g);
	if (pte_size != PTE_SIZE && pte_size != PTE32_SIZE) {
		snprintf(err, errlen, "--pte-size %u: a page-table entry is 4 or 8 bytes", pte_size);
		return VM_EINVAL;
	}
	g->pte_size = pte_size;
	g->pte_shift = pte_size == PTE_SIZE ? PTE_SHIFT : PTE32_SHIFT;
	if (!is_pow2(page_size) || page_size < (1u << GEOM_MIN_PAGE_SHIFT) ||
	    page_size > (1u << GEOM_MAX_PAGE_SHIFT)) {
		snprintf(err, errlen, "page size %u is not a power of two from 16 to 65536", page_size);
		return VM_EINVAL;
	}
	g->page_shift = log2u(page_size);
	if (va_bits <= g->page_shift || va_bits > GEOM_MAX_VA_BITS) {
		snprintf(err, errlen, "--va-bits %u out of range: must exceed the page offset (%u bits) and be at most %u",
			 va_bits, g->page_shift, GEOM_MAX_VA_BITS);
		return VM_EINVAL;
	}
	if (pa_bits < g->page_shift || pa_bits > GEOM_MAX_PA_BITS) {
		snprintf(err, errlen, "--pa-bits %u out of range: must be from the page offset (%u bits) to %u",
			 pa_bits, g->page_shift, GEOM_MAX_PA_BITS);
		return VM_EINVAL;
	}
	if (pte_size == PTE32_SIZE && pa_bits - g->page_shift > PTE32_PFN_BITS) {
		snprintf(err, errlen,
			 "--pa-bits %u with --pte-size 4: a 4-byte PTE holds a %u-bit frame number, "
			 "so at most %u bits with %u-byte pages",
			 pa_bits, PTE32_PFN_BITS, g->page_shift + PTE32_PFN_BITS, page_size);
		return VM_EINVAL;
	}
	g->va_bits = va_bits;
	g->pa_bits = pa_bits;
	g->vpn_bits = va_bits - g->page_shift;
	unsigned natural = g->page_shift - g->pte_shift;
	if (levels == 0) {
		g->levels = (g->vpn_bits + natural - 1) / natural;
		if (g->levels > GEOM_MAX_LEVELS) {
			snprintf(err, errlen,
				 "%u VPN bits at %u index bits per level need %u levels, more than %u: "
				 "lower --va-bits, raise --page-size or set --levels",
				 g->vpn_bits, natural, g->levels, GEOM_MAX_LEVELS);
			return VM_EINVAL;
		}
	} else {
		if (levels > GEOM_MAX_LEVELS) {
			snprintf(err, errlen, "--levels %u out of range 1..%u", levels, GEOM_MAX_LEVELS);
			return VM_EINVAL;
		}
		if (levels > g->vpn_bits) {
			snprintf(err, errlen, "--levels %u exceeds the %u VPN bits", levels, g->vpn_bits);
			return VM_EINVAL;
		}
		g->levels = levels;
	}
	split_levels(g, levels != 0);
	for (unsigned i = 0; i < g->levels; i++) {
		if ((1ull << g->level_bits[i]) * g->pte_size > GEOM_MAX_TABLE_BYTES) {
			snprintf(err, errlen,
				 "a level-%u table of 2^%u entries is larger than 1 GiB: use more --levels",
				 g->levels - i, g->level_bits[i]);
			return VM_EINVAL;
		}
	}
	g->pa_frames = 1ull << (pa_bits - g->page_shift);
	g->kbase_pfn = g->pa_frames;
	return VM_OK;
}

int geom_place_tables(geom_t *g, uint64_t nuser, char *err, unsigned errlen)
{
	if (nuser > g->pa_frames) {
		snprintf(err, errlen, "--frames %llu is more than a %u-bit physical address can name (%llu frames of %llu bytes)",
			 (unsigned long long)nuser, g->pa_bits, (unsigned long long)g->pa_frames,
			 (unsigned long long)geom_page_size(g));
		return VM_EINVAL;
	}
	if (g->pte_size == PTE_SIZE) {
		g->kbase_pfn = g->pa_frames;
		g->kend_pfn = 0;
		return VM_OK;
	}
	uint64_t first = 0; /* one address space's first tables: a walk's worth */
	for (unsigned i = 0; i < g->levels; i++)
		first += g->level_frames[i];
	if (first > g->pa_frames - nuser) {
		snprintf(err, errlen,
			 "with --pte-size 4 page tables take frames after the %llu user frames, and one "
			 "address space's first tables (%llu frames) pass the %llu frames a %u-bit "
			 "physical address can name: raise --pa-bits or lower --frames",
			 (unsigned long long)nuser, (unsigned long long)first,
			 (unsigned long long)g->pa_frames, g->pa_bits);
		return VM_EINVAL;
	}
	g->kbase_pfn = nuser;
	g->kend_pfn = g->pa_frames;
	return VM_OK;
}
