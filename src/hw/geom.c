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
	unsigned natural = g->page_shift - PTE_SHIFT;
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
		uint64_t bytes = (1ull << bits) * PTE_SIZE;
		uint64_t page = 1ull << g->page_shift;
		g->level_frames[i] = (unsigned)((bytes + page - 1) / page);
		shift += bits;
	}
}

int geom_init(geom_t *g, unsigned page_size, unsigned va_bits, unsigned pa_bits,
	      unsigned levels, char *err, unsigned errlen)
{
	memset(g, 0, sizeof *g);
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
	g->va_bits = va_bits;
	g->pa_bits = pa_bits;
	g->vpn_bits = va_bits - g->page_shift;
	unsigned natural = g->page_shift - PTE_SHIFT;
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
		if ((1ull << g->level_bits[i]) * PTE_SIZE > GEOM_MAX_TABLE_BYTES) {
			snprintf(err, errlen,
				 "a level-%u table of 2^%u entries is larger than 1 GiB: use more --levels",
				 g->levels - i, g->level_bits[i]);
			return VM_EINVAL;
		}
	}
	g->kbase_pfn = 1ull << (pa_bits - g->page_shift);
	return VM_OK;
}
