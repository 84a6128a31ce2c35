/* idset.c - numbers handed out lowest first (frames, swap slots). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kern/base.h"
#include "util/vmerr.h"

int idset_init(idset_t *s, uint64_t limit)
{
	memset(s, 0, sizeof *s);
	s->limit = limit;
	return VM_OK;
}

void idset_free(idset_t *s)
{
	free(s->bits);
	memset(s, 0, sizeof *s);
}

/* Make room for word w (doubling). */
static int idset_grow(idset_t *s, uint64_t w)
{
	if (w < s->nwords)
		return VM_OK;
	uint64_t n = s->nwords ? s->nwords : 4;
	while (n <= w)
		n *= 2;
	uint64_t *bits = realloc(s->bits, n * sizeof *bits);
	if (!bits)
		return VM_ENOMEM;
	memset(bits + s->nwords, 0, (n - s->nwords) * sizeof *bits);
	s->bits = bits;
	s->nwords = n;
	return VM_OK;
}

int idset_take(idset_t *s, uint64_t *id)
{
	if (s->used >= s->limit)
		return VM_ENOSPC;
	uint64_t w = s->hint;
	for (;; w++) {
		int rc = idset_grow(s, w);
		if (rc)
			return rc;
		if (~s->bits[w])
			break;
	}
	uint64_t bit = (uint64_t)__builtin_ctzll(~s->bits[w]);
	uint64_t n = w * 64 + bit;
	if (n >= s->limit) /* free numbers exist only below the limit: none left */
		return VM_ENOSPC;
	s->bits[w] |= 1ull << bit;
	s->hint = w;
	s->used++;
	*id = n;
	return VM_OK;
}

int idset_take_at(idset_t *s, uint64_t id)
{
	assert(id < s->limit && s->used < s->limit);
	int rc = idset_grow(s, id / 64);
	if (rc)
		return rc;
	assert(!(s->bits[id / 64] >> (id % 64) & 1));
	s->bits[id / 64] |= 1ull << (id % 64);
	s->used++;
	return VM_OK;
}

void idset_put(idset_t *s, uint64_t id)
{
	uint64_t w = id / 64;
	assert(w < s->nwords && (s->bits[w] >> (id % 64) & 1));
	s->bits[w] &= ~(1ull << (id % 64));
	if (w < s->hint)
		s->hint = w;
	s->used--;
}

/* Whether first .. first + count - 1 are all free (count a power of two,
 * first a multiple of it; words past nwords were never taken). */
static int idset_run_free(const idset_t *s, uint64_t first, uint64_t count)
{
	if (count >= 64) {
		for (uint64_t w = first / 64; w < (first + count) / 64 && w < s->nwords; w++)
			if (s->bits[w])
				return 0;
		return 1;
	}
	uint64_t w = first / 64;
	uint64_t mask = (count == 64 ? ~0ull : (1ull << count) - 1) << (first % 64);
	return w >= s->nwords || !(s->bits[w] & mask);
}

int idset_find_run(const idset_t *s, uint64_t count, uint64_t *first)
{
	assert(count && !(count & (count - 1)));
	if (s->limit < count || s->limit - s->used < count)
		return VM_ENOSPC;
	for (uint64_t at = s->hint * 64 / count * count; at <= s->limit - count; at += count) {
		if (idset_run_free(s, at, count)) {
			*first = at;
			return VM_OK;
		}
	}
	return VM_ENOSPC;
}

int idset_find_run_in(const idset_t *s, uint64_t count, uint64_t lo, uint64_t hi, uint64_t *first)
{
	assert(count && !(count & (count - 1)));
	if (hi > s->limit)
		hi = s->limit;
	for (uint64_t at = (lo + count - 1) / count * count; at + count > at && at + count <= hi;
	     at += count) {
		if (idset_run_free(s, at, count)) {
			*first = at;
			return VM_OK;
		}
	}
	return VM_ENOSPC;
}

int idset_take_run(idset_t *s, uint64_t first, uint64_t count)
{
	assert(count && first + count <= s->limit);
	int rc = idset_grow(s, (first + count - 1) / 64);
	if (rc)
		return rc;
	for (uint64_t id = first; id < first + count; id++) {
		assert(!(s->bits[id / 64] >> (id % 64) & 1));
		s->bits[id / 64] |= 1ull << (id % 64);
	}
	s->used += count;
	while (s->hint < s->nwords && !~s->bits[s->hint])
		s->hint++;
	return VM_OK;
}
