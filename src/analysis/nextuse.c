/* nextuse.c - the next use of every reference, for OPT (prefix nextuse_).
 *
 * One backward pass: walking from the last reference to the first, a hash
 * table maps each (pid, vpn) to the latest-seen (so the nearest later)
 * reference to it, which is exactly the next use of the reference at hand.
 *
 * The table is open addressing with linear probing over a power-of-two
 * number of slots, at least twice the distinct pages so that it is at most
 * half full and probes stay short.  A slot holds 1 + the index of a
 * reference (0 = empty); the key is read back from refs[], so a slot is only
 * 8 bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "nextuse.h"
#include "../policy/policy.h"
#include "../util/rng.h"
#include "../util/spill.h"
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

/* The page table of the backward pass: open addressing over a power of
 * two of slots, at most half full, sized by the distinct pages seen so far
 * (not by the references: a long trace of few pages needs a small table). */
typedef struct nextuse_table {
	spill_t mem;           /* cap slots of 8 bytes */
	size_t cap, used;
} nextuse_table_t;

/* The slot of refs[i]'s page in t: its own or the empty one it would take. */
static size_t nextuse_find(const nextuse_table_t *t, const vm_pageref_t *refs, size_t i)
{
	const uint64_t *slot = (const uint64_t *)(void *)t->mem.p;
	size_t mask = t->cap - 1, h = (size_t)nextuse_hash(refs[i].pid, refs[i].vpn) & mask;
	while (slot[h] && !nextuse_same(&refs[slot[h] - 1], &refs[i]))
		h = (h + 1) & mask;
	return h;
}

/* Double t, re-inserting every page. */
static int nextuse_grow(nextuse_table_t *t, const vm_pageref_t *refs, char *err, size_t errlen)
{
	nextuse_table_t g = { .cap = t->cap ? t->cap * 2 : 1024, .used = t->used };
	spill_init(&g.mem, t->mem.budget);
	if (g.cap > SIZE_MAX / sizeof(uint64_t)) {
		snprintf(err, errlen, "too many distinct pages");
		return VM_ENOMEM;
	}
	int rc = spill_reserve(&g.mem, g.cap * sizeof(uint64_t), err, errlen);
	if (rc)
		return rc;
	const uint64_t *old = (const uint64_t *)(void *)t->mem.p;
	uint64_t *slot = (uint64_t *)(void *)g.mem.p;
	for (size_t i = 0; i < t->cap; i++)
		if (old[i])
			slot[nextuse_find(&g, refs, old[i] - 1)] = old[i];
	spill_free(&t->mem);
	*t = g;
	return VM_OK;
}

int nextuse_fill(const vm_pageref_t *refs, size_t n, uint64_t *next, budget_t *budget,
		 char *err, size_t errlen)
{
	nextuse_table_t t = { 0 };
	spill_init(&t.mem, budget);
	int rc = VM_OK;
	for (size_t i = n; i-- > 0;) {
		if ((t.used + 1) * 2 > t.cap && (rc = nextuse_grow(&t, refs, err, errlen)))
			break;
		uint64_t *slot = (uint64_t *)(void *)t.mem.p;
		size_t h = nextuse_find(&t, refs, i);
		next[i] = slot[h] ? slot[h] - 1 : NEXT_USE_NEVER;
		t.used += !slot[h];
		slot[h] = (uint64_t)i + 1;
	}
	spill_free(&t.mem);
	return rc;
}

/* n == 0 still gives a non-NULL (one-entry) array, so a caller may pass it
 * as "the future is known and empty"; a NULL future means unknown and makes
 * OPT refuse to run.  Free *out with free(). */
int nextuse_build(const vm_pageref_t *refs, size_t n, uint64_t **out)
{
	char err[256];
	*out = NULL;
	if (n > SIZE_MAX / sizeof(uint64_t))
		return VM_ENOMEM;
	uint64_t *next = malloc((n ? n : 1) * sizeof *next);
	if (!next)
		return VM_ENOMEM;
	next[0] = NEXT_USE_NEVER;
	int rc = nextuse_fill(refs, n, next, NULL, err, sizeof err);
	if (rc) {
		free(next);
		return rc;
	}
	*out = next;
	return VM_OK;
}
