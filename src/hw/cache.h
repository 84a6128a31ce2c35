/* cache.h - a physically addressed cache of S sets, E lines a set, B-byte
 * blocks, as CS:APP section 6.4 draws it (prefix cache_): a PA splits into
 * CT (tag) | CI (set index, log2 S bits) | CO (block offset, log2 B bits).
 * Only looked up (by `vmlab explain`): its contents are given, never filled. */
#ifndef VMLAB_HW_CACHE_H
#define VMLAB_HW_CACHE_H

#include <stdint.h>

typedef struct cache_line {
	int valid;
	uint64_t tag;
	uint8_t *bytes;          /* B bytes */
} cache_line_t;

typedef struct cache {
	unsigned sets, ways, block;    /* S, E, B */
	unsigned s_bits, b_bits;
	cache_line_t *lines;           /* sets * ways, set by set */
} cache_t;

/* An empty cache; S and B powers of two, E >= 1, S*E*B at most 2^24 bytes.
 * Returns 0, VM_EINVAL (shape) or VM_ENOMEM. */
int cache_init(cache_t *c, unsigned sets, unsigned ways, unsigned block);
void cache_free(cache_t *c);

/* Put a valid line with tag and block bytes into set; returns 0, VM_ERANGE
 * (set beyond S) or VM_ENOSPC (the set's E lines are all taken). */
int cache_put(cache_t *c, uint64_t set, uint64_t tag, const uint8_t *bytes);

/* The fields of pa. */
static inline uint64_t cache_co(const cache_t *c, uint64_t pa) { return pa & (c->block - 1); }
static inline uint64_t cache_ci(const cache_t *c, uint64_t pa) { return (pa >> c->b_bits) & (c->sets - 1); }
static inline uint64_t cache_ct(const cache_t *c, uint64_t pa) { return pa >> (c->b_bits + c->s_bits); }

/* The valid line holding pa, or NULL (a miss). */
const cache_line_t *cache_lookup(const cache_t *c, uint64_t pa);

#endif
