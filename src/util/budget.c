/* budget.c - see budget.h. */
#include <stdlib.h>

#include "budget.h"
#include "vmerr.h"

void budget_init(budget_t *b, uint64_t limit)
{
	*b = (budget_t){ .limit = limit, .over = -1 };
}

int budget_charge(budget_t *b, int kind, uint64_t bytes)
{
	if (!b)
		return VM_OK;
	uint64_t free_now = b->limit - (b->used < b->limit ? b->used : b->limit);
	if (b->limit && bytes > free_now && b->shrink && kind != BUDGET_SHADOW) {
		b->shrink(b->shrink_arg);
		free_now = b->limit - (b->used < b->limit ? b->used : b->limit);
	}
	if (b->limit && bytes > free_now) {
		b->over = kind;
		b->over_want = b->by[kind] + bytes;
		return VM_ELIMIT;
	}
	b->used += bytes;
	b->by[kind] += bytes;
	return VM_OK;
}

void budget_release(budget_t *b, int kind, uint64_t bytes)
{
	if (!b)
		return;
	if (bytes > b->by[kind]) /* a bug; keep the account sane */
		bytes = b->by[kind];
	b->used -= bytes;
	b->by[kind] -= bytes;
}

uint64_t budget_room(const budget_t *b)
{
	if (!b || !b->limit)
		return UINT64_MAX;
	uint64_t used = b->used - (b->shrink ? b->by[BUDGET_SHADOW] : 0); /* can be given back */
	return used < b->limit ? b->limit - used : 0;
}

void *budget_realloc(budget_t *b, int kind, void *p, uint64_t old_bytes, uint64_t new_bytes,
		     int *rc)
{
	if (new_bytes > old_bytes && (*rc = budget_charge(b, kind, new_bytes - old_bytes)))
		return NULL;
	void *q = new_bytes == (size_t)new_bytes ? realloc(p, (size_t)new_bytes) : NULL;
	if (!q && new_bytes) {
		if (new_bytes > old_bytes)
			budget_release(b, kind, new_bytes - old_bytes);
		*rc = VM_ENOMEM;
		return NULL;
	}
	if (new_bytes < old_bytes)
		budget_release(b, kind, old_bytes - new_bytes);
	*rc = VM_OK;
	return q;
}
