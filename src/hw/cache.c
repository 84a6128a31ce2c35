/* cache.c - a set-associative cache's lookup. */
#include <stdlib.h>

#include "cache.h"
#include "util/vmerr.h"

static unsigned log2u(unsigned v)
{
	unsigned n = 0;
	while ((1u << n) < v)
		n++;
	return n;
}

int cache_init(cache_t *c, unsigned sets, unsigned ways, unsigned block)
{
	*c = (cache_t){ 0 };
	if (!sets || (sets & (sets - 1)) || !block || (block & (block - 1)) || !ways ||
	    (uint64_t)sets * ways * block > (1u << 24))
		return VM_EINVAL;
	c->lines = calloc((size_t)sets * ways, sizeof *c->lines);
	if (!c->lines)
		return VM_ENOMEM;
	c->sets = sets;
	c->ways = ways;
	c->block = block;
	c->s_bits = log2u(sets);
	c->b_bits = log2u(block);
	return VM_OK;
}

void cache_free(cache_t *c)
{
	for (size_t i = 0; c->lines && i < (size_t)c->sets * c->ways; i++)
		free(c->lines[i].bytes);
	free(c->lines);
	*c = (cache_t){ 0 };
}

int cache_put(cache_t *c, uint64_t set, uint64_t tag, const uint8_t *bytes)
{
	if (set >= c->sets)
		return VM_ERANGE;
	cache_line_t *l = &c->lines[set * c->ways];
	unsigned w = 0;
	while (w < c->ways && l[w].valid)
		w++;
	if (w == c->ways)
		return VM_ENOSPC;
	l[w].bytes = malloc(c->block);
	if (!l[w].bytes)
		return VM_ENOMEM;
	for (unsigned i = 0; i < c->block; i++)
		l[w].bytes[i] = bytes[i];
	l[w].valid = 1;
	l[w].tag = tag;
	return VM_OK;
}

const cache_line_t *cache_lookup(const cache_t *c, uint64_t pa)
{
	const cache_line_t *l = &c->lines[cache_ci(c, pa) * c->ways];
	uint64_t tag = cache_ct(c, pa);
	for (unsigned w = 0; w < c->ways; w++)
		if (l[w].valid && l[w].tag == tag)
			return &l[w];
	return NULL;
}
