/* shadow.c - the shadow entries of reclaimed pages (shadow.h): a chained
 * hash from page key to entry, an age list for the shrinker, and a list per
 * object so that an object's death finds its pages' entries. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/shadow.h"
#include "util/vmerr.h"


/* The bucket of key (nbuckets > 0). */
static uint32_t *shadow_bucket(shadow_table_t *t, page_key_t key)
{
	uint64_t h = (key ^ key >> 29) * 0x9e3779b97f4a7c15ull;
	return &t->buckets[(h >> 32) & (t->nbuckets - 1)];
}

/* The entry of key, or 0. */
uint32_t shadow_find(shadow_table_t *t, page_key_t key)
{
	if (!t->nbuckets)
		return 0;
	uint32_t i = *shadow_bucket(t, key);
	while (i && t->ents[i].key != key)
		i = t->ents[i].hnext;
	return i;
}

void shadow_fini(vm_machine_t *vm)
{
	shadow_table_t *t = &vm->shadow;
	free(t->ents);
	free(t->buckets);
	free(t->obj_head);
	budget_release(&vm->budget, BUDGET_SHADOW, t->bytes);
	*t = (shadow_table_t){ .max = t->max };
	vm->st.shadow_entries = 0;
}

/* The budget's shrinker: another part of the machine needs the memory, so
 * every shadow goes (the table may grow again later, while it has room). */
static void shadow_shrink(void *arg)
{
	shadow_fini(arg);
}

/* Take entry i out of the hash, the age list and its object's list, and
 * put it on the free list. */
static void shadow_remove(vm_machine_t *vm, uint32_t i)
{
	shadow_table_t *t = &vm->shadow;
	shadow_ent_t *e = &t->ents[i];
	uint32_t *link = shadow_bucket(t, e->key);
	while (*link != i) {
		assert(*link);
		link = &t->ents[*link].hnext;
	}
	*link = e->hnext;
	if (e->older)
		t->ents[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer)
		t->ents[e->newer].older = e->older;
	else
		t->newest = e->older;
	if (e->obj != SHADOW_NO_OBJ) {
		if (e->oprev)
			t->ents[e->oprev].onext = e->onext;
		else
			t->obj_head[e->obj] = e->onext;
		if (e->onext)
			t->ents[e->onext].oprev = e->oprev;
	}
	e->hnext = t->free;
	t->free = i;
	t->used--;
	vm->st.shadow_entries = t->used;
}

/* Charge grow more bytes if the table may take them: at most half of what
 * the budget has left.  Returns 1 when charged. */
static int shadow_charge(vm_machine_t *vm, uint64_t grow)
{
	uint64_t room = budget_room(&vm->budget), mine = vm->budget.by[BUDGET_SHADOW];
	if (room != UINT64_MAX)
		room = room > mine ? room - mine : 0; /* what is really free */
	if (room != UINT64_MAX && grow > room / 2)
		return 0;
	if (budget_charge(&vm->budget, BUDGET_SHADOW, grow))
		return 0;
	vm->shadow.bytes += grow;
	return 1;
}

/* Double the entries (up to max) and rebuild the hash.  Returns 1 if it
 * grew. */
static int shadow_grow(vm_machine_t *vm)
{
	shadow_table_t *t = &vm->shadow;
	uint32_t cap = t->cap ? t->cap * 2 : 64;
	if (cap > t->max)
		cap = t->max;
	if (cap <= t->cap)
		return 0;
	uint32_t nb = 1;
	while (nb < cap)
		nb *= 2;
	uint64_t grow = (uint64_t)(cap - t->cap) * sizeof(shadow_ent_t) +
			(uint64_t)(nb - t->nbuckets) * sizeof(uint32_t) +
			(t->cap ? 0 : sizeof(shadow_ent_t));
	if (!shadow_charge(vm, grow))
		return 0;
	uint32_t *b = malloc((size_t)nb * sizeof *b);
	shadow_ent_t *e = b ? realloc(t->ents, ((size_t)cap + 1) * sizeof *e) : NULL;
	if (!e) {
		free(b);
		budget_release(&vm->budget, BUDGET_SHADOW, grow);
		t->bytes -= grow;
		return 0;
	}
	memset(b, 0, (size_t)nb * sizeof *b);
	free(t->buckets);
	t->ents = e;
	t->buckets = b;
	t->nbuckets = nb;
	t->cap = cap;
	for (uint32_t i = t->oldest; i; i = t->ents[i].newer) {
		uint32_t *head = shadow_bucket(t, t->ents[i].key);
		t->ents[i].hnext = *head;
		*head = i;
	}
	return 1;
}

/* Make the object list heads cover object o.  Returns 1 if they do. */
static int shadow_obj_room(vm_machine_t *vm, uint32_t o)
{
	shadow_table_t *t = &vm->shadow;
	if (o < t->obj_cap)
		return 1;
	uint32_t cap = vm->objs_cap > o ? vm->objs_cap : o + 1;
	uint64_t grow = (uint64_t)(cap - t->obj_cap) * sizeof(uint32_t);
	if (!shadow_charge(vm, grow))
		return 0;
	uint32_t *h = realloc(t->obj_head, (size_t)cap * sizeof *h);
	if (!h) {
		budget_release(&vm->budget, BUDGET_SHADOW, grow);
		t->bytes -= grow;
		return 0;
	}
	memset(h + t->obj_cap, 0, (size_t)(cap - t->obj_cap) * sizeof *h);
	t->obj_head = h;
	t->obj_cap = cap;
	return 1;
}

/* A free entry: from the free list, a new one below cap, a grown table, or
 * the oldest entry dropped.  0 if the table is empty and may not grow. */
static uint32_t shadow_alloc(vm_machine_t *vm)
{
	shadow_table_t *t = &vm->shadow;
	if (t->used >= t->max || (!t->free && t->hwm == t->cap && !shadow_grow(vm))) {
		if (!t->oldest)
			return 0;
		shadow_remove(vm, t->oldest); /* the shrinker: the oldest entry goes */
	}
	if (t->free) {
		uint32_t i = t->free;
		t->free = t->ents[i].hnext;
		return i;
	}
	assert(t->hwm < t->cap);
	return ++t->hwm;
}

void shadow_store(vm_machine_t *vm, page_key_t key, uint32_t obj, policy_shadow_t cookie)
{
	shadow_table_t *t = &vm->shadow;
	if (!t->max) {
		t->max = vm->cfg.frames > UINT32_MAX / SHADOW_PER_FRAME ? UINT32_MAX
								: vm->cfg.frames * SHADOW_PER_FRAME;
		vm->budget.shrink = shadow_shrink;
		vm->budget.shrink_arg = vm;
	}
	uint32_t old = shadow_find(t, key);
	if (old) /* a key seen twice (pages shared after fork): the newest wins */
		shadow_remove(vm, old);
	if (obj != SHADOW_NO_OBJ && !shadow_obj_room(vm, obj))
		return;
	uint32_t i = shadow_alloc(vm);
	if (!i)
		return;
	uint32_t *head = shadow_bucket(t, key);
	shadow_ent_t *e = &t->ents[i];
	*e = (shadow_ent_t){ .key = key, .cookie = cookie, .hnext = *head, .older = t->newest,
			     .obj = obj };
	*head = i;
	if (t->newest)
		t->ents[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
	if (obj != SHADOW_NO_OBJ) {
		e->onext = t->obj_head[obj];
		if (e->onext)
			t->ents[e->onext].oprev = i;
		t->obj_head[obj] = i;
	}
	t->used++;
	vm->st.shadow_entries = t->used;
}

int shadow_take(vm_machine_t *vm, page_key_t key, policy_shadow_t *cookie)
{
	uint32_t i = shadow_find(&vm->shadow, key);
	*cookie = i ? vm->shadow.ents[i].cookie : 0;
	if (i)
		shadow_remove(vm, i);
	return i != 0;
}

void shadow_forget(vm_machine_t *vm, page_key_t key)
{
	if (vm->pol->on_forget)
		vm->pol->on_forget(vm->pol_state, key);
	uint32_t i = shadow_find(&vm->shadow, key);
	if (i)
		shadow_remove(vm, i);
}

void shadow_forget_obj(vm_machine_t *vm, uint32_t o)
{
	shadow_table_t *t = &vm->shadow;
	while (o < t->obj_cap && t->obj_head[o]) {
		uint32_t i = t->obj_head[o];
		if (vm->pol->on_forget)
			vm->pol->on_forget(vm->pol_state, t->ents[i].key);
		shadow_remove(vm, i);
	}
}
