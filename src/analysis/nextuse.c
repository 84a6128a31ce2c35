/* nextuse.c - the next use of every reference, for OPT (prefix nextuse_).
 *
 * One backward pass: walking from the last reference to the first, a hash
 * table maps each (pid, vpn) to the latest-seen (so the nearest later)
 * reference to it, which is exactly the next use of the reference at hand.
 *
 * The table is open addressing with linear probing over a power-of-two
 * number of slots, at least twice the distinct pages so that it is at most
 * half full and probes stay short.  A slot holds its page's key itself (24
 * bytes), so a probe touches the table alone: the table is sized by the
 * distinct pages and stays in cache, where reading the key back from refs[]
 * cost a cache miss per reference.  A run of references to one page (most
 * of a real trace) skips the hash: the slot of the previous reference is
 * the slot at hand. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

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

/* One page's slot: 1 + the index of its latest-seen reference (0: empty). */
typedef struct nextuse_slot {
	uint64_t vpn;
	uint64_t at;
	uint32_t pid;
} nextuse_slot_t;

/* The page table of the backward pass: open addressing over a power of
 * two of slots, at most half full, sized by the distinct pages seen so far
 * (not by the references: a long trace of few pages needs a small table). */
typedef struct nextuse_table {
	spill_t mem;           /* cap slots */
	size_t cap, used;
} nextuse_table_t;

/* The slot of page (pid, vpn), whose hash is hash, in t: its own or the
 * empty one it would take. */
static nextuse_slot_t *nextuse_find_hashed(const nextuse_table_t *t, uint32_t pid, uint64_t vpn,
					   uint64_t hash)
{
	nextuse_slot_t *slot = (nextuse_slot_t *)(void *)t->mem.p;
	size_t mask = t->cap - 1, h = (size_t)hash & mask;
	while (slot[h].at && (slot[h].vpn != vpn || slot[h].pid != pid))
		h = (h + 1) & mask;
	return &slot[h];
}

static nextuse_slot_t *nextuse_find(const nextuse_table_t *t, uint32_t pid, uint64_t vpn)
{
	return nextuse_find_hashed(t, pid, vpn, nextuse_hash(pid, vpn));
}

/* How far ahead (down the string) the pass hashes a page and prefetches its
 * slot, so that the probe finds it in cache. */
#define NEXTUSE_AHEAD 16

/* Double t, re-inserting every page. */
static int nextuse_grow(nextuse_table_t *t, char *err, size_t errlen)
{
	nextuse_table_t g = { .cap = t->cap ? t->cap * 2 : 1024, .used = t->used };
	spill_init(&g.mem, t->mem.budget);
	if (g.cap > SIZE_MAX / sizeof(nextuse_slot_t)) {
		snprintf(err, errlen, "too many distinct pages");
		return VM_ENOMEM;
	}
	int rc = spill_reserve(&g.mem, g.cap * sizeof(nextuse_slot_t), err, errlen);
	if (rc)
		return rc;
	const nextuse_slot_t *old = (const nextuse_slot_t *)(void *)t->mem.p;
	for (size_t i = 0; i < t->cap; i++)
		if (old[i].at)
			*nextuse_find(&g, old[i].pid, old[i].vpn) = old[i];
	spill_free(&t->mem);
	*t = g;
	return VM_OK;
}

/* Ask for huge pages under next[0..n): the answer is written once, end to
 * start, and faulting it in 4 KiB at a time cost more than the pass itself
 * (half the time on a 20 M-reference string).  Only advice: any failure,
 * or a kernel without transparent huge pages, changes nothing. */
static void nextuse_advise(uint64_t *next, size_t n)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t lo = ((uintptr_t)next + huge - 1) & ~(huge - 1);
	uintptr_t hi = ((uintptr_t)(next + n)) & ~(huge - 1);
	if (n > huge / sizeof *next && hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
}

int nextuse_fill(const vm_pageref_t *refs, size_t n, uint64_t *next, budget_t *budget,
		 char *err, size_t errlen)
{
	nextuse_advise(next, n);
	nextuse_table_t t = { 0 };
	spill_init(&t.mem, budget);
	int rc = VM_OK;
	nextuse_slot_t *last = NULL;   /* the slot of refs[i + 1]'s page */
	uint64_t ring[NEXTUSE_AHEAD];  /* hashes of refs[i .. i - AHEAD + 1] by index mod AHEAD */
	for (size_t k = n; k-- > 0 && k + NEXTUSE_AHEAD >= n;)
		ring[k % NEXTUSE_AHEAD] = nextuse_hash(refs[k].pid, refs[k].vpn);
	for (size_t i = n; i-- > 0;) {
		const vm_pageref_t *r = &refs[i];
		uint64_t hash = ring[i % NEXTUSE_AHEAD];
		if (i >= NEXTUSE_AHEAD) {
			const vm_pageref_t *a = &refs[i - NEXTUSE_AHEAD];
			uint64_t ha = nextuse_hash(a->pid, a->vpn);
			ring[(i - NEXTUSE_AHEAD) % NEXTUSE_AHEAD] = ha;
			if (t.cap)
				__builtin_prefetch((nextuse_slot_t *)(void *)t.mem.p + (ha & (t.cap - 1)), 1);
		}
		if (last && last->vpn == r->vpn && last->pid == r->pid) {
			next[i] = i + 1;
			last->at = (uint64_t)i + 1;
			continue;
		}
		if ((t.used + 1) * 2 > t.cap && (rc = nextuse_grow(&t, err, errlen)))
			break;
		nextuse_slot_t *s = nextuse_find_hashed(&t, r->pid, r->vpn, hash);
		if (s->at) {
			next[i] = s->at - 1;
		} else {
			next[i] = NEXT_USE_NEVER;
			t.used++;
			s->vpn = r->vpn;
			s->pid = r->pid;
		}
		s->at = (uint64_t)i + 1;
		last = s;
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
