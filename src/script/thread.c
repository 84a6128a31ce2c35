/* thread.c - which address space each of a script's threads runs in
 * (thread.h). */
#include <stdlib.h>

#include "script/thread.h"
#include "util/vmerr.h"

int th_init(th_table_t *t, size_t n)
{
	size_t m = n ? n : 1;
	*t = (th_table_t){ .n = n };
	t->as = malloc(m * sizeof *t->as);
	t->count = calloc(m, sizeof *t->count);
	t->gone = calloc(m, 1);
	t->made = calloc(m, 1);
	t->stack = calloc(m, sizeof *t->stack);
	t->stack_len = calloc(m, sizeof *t->stack_len);
	if (!t->as || !t->count || !t->gone || !t->made || !t->stack || !t->stack_len) {
		th_free(t);
		return VM_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		t->as[i] = i;
	return VM_OK;
}

void th_free(th_table_t *t)
{
	free(t->as);
	free(t->count);
	free(t->gone);
	free(t->made);
	free(t->stack);
	free(t->stack_len);
	*t = (th_table_t){ 0 };
}

size_t th_space(const th_table_t *t, size_t i)
{
	return i < t->n ? t->as[i] : i;
}

uint32_t th_count(const th_table_t *t, size_t i)
{
	if (i >= t->n)
		return 1;
	uint32_t c = t->count[t->as[i]];
	return c ? c : 1;
}

int th_taken(const th_table_t *t, size_t i)
{
	return i < t->n && (t->made[i] || t->gone[i]);
}

void th_add(th_table_t *t, size_t i, size_t j, uint64_t stack, uint64_t len)
{
	size_t h = t->as[i];
	t->count[h] = th_count(t, i) + 1;
	t->as[j] = h;
	t->made[j] = 1;
	t->stack[j] = stack;
	t->stack_len[j] = len;
}

int th_leave(th_table_t *t, size_t i)
{
	size_t h = t->as[i];
	if (th_count(t, i) <= 1)
		return 0;
	t->count[h]--;
	t->gone[i] = 1;
	return 1;
}
