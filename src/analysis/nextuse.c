/* nextuse.c - the next use of every reference, for OPT (prefix nextuse_).
 *
 * One backward pass: walking from the last reference to the first, a hash
 * table maps each (pid, vpn) to the latest-seen (so the nearest later)
 * reference to it, which is exactly the next use of the reference at hand.
 *
 * The table is open addressing with linear probing over a power-of-two
 * number of slots, at least 2n so that it is at most half full and probes
 * stay short.  A slot holds 1 + the index of a reference (0 = empty); the
 * key is read back from refs[], so a slot is only 8 bytes. */
#include <stdlib.h>

#include "nextuse.h"
#include "../policy/policy.h"
#include "../util/rng.h"
#include "../util/vmerr.h"

/* Hash of a page: the pid is spread by the golden-ratio multiplier before
 * mixing so that the same vpn in different processes lands apart. */
static uint64_t nextuse_hash(uint32_t pid, uint64_t vpn)
{
	return rng_mix64(vpn ^ ((uint64_t)pid * 0x9e3779b97f4a7c15ull));
}

static int nextuse_same(const vm_pageref_t *a, const vm_pageref_t *b)
{
	return a->vpn == b->vpn && a->pid == b->pid;
}

/* The smallest power of two >= 2n (and >= 16), or 0 if that overflows or
 * the table's bytes would not fit in a size_t. */
static size_t nextuse_capacity(size_t n)
{
	size_t cap = 16;
	while (cap < n || cap - n < n) {
		if (cap > SIZE_MAX / 2 / sizeof(uint64_t))
			return 0;
		cap *= 2;
	}
	return cap;
}

/* n == 0 still gives a non-NULL (one-entry) array, so a caller may pass it
 * as "the future is known and empty"; a NULL future means unknown and makes
 * OPT refuse to run.  Free *out with free(). */
int nextuse_build(const vm_pageref_t *refs, size_t n, uint64_t **out)
{
	*out = NULL;
	if (n > SIZE_MAX / sizeof(uint64_t))
		return VM_ENOMEM;
	uint64_t *next = malloc((n ? n : 1) * sizeof *next);
	if (!next)
		return VM_ENOMEM;
	if (n == 0) {
		next[0] = NEXT_USE_NEVER;
		*out = next;
		return VM_OK;
	}
	size_t cap = nextuse_capacity(n);
	uint64_t *slot = cap ? calloc(cap, sizeof *slot) : NULL;
	if (!slot) {
		free(next);
		return VM_ENOMEM;
	}
	size_t mask = cap - 1;
	for (size_t i = n; i-- > 0;) {
		size_t h = (size_t)nextuse_hash(refs[i].pid, refs[i].vpn) & mask;
		while (slot[h] && !nextuse_same(&refs[slot[h] - 1], &refs[i]))
			h = (h + 1) & mask;
		next[i] = slot[h] ? slot[h] - 1 : NEXT_USE_NEVER;
		slot[h] = (uint64_t)i + 1;
	}
	free(slot);
	*out = next;
	return VM_OK;
}
