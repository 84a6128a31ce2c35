/* ghost.h - a bounded table of page keys with a small record each, in an
 * order of insertion or use (prefix ghost_), shared by the policies that
 * remember pages after they left their frame (arc, car, 2q, lirs, lru2).
 *
 * Entries are numbered 0 .. cap-1; an entry's number stays the same while it
 * lives, so a policy may link entries into lists of its own by number.  The
 * table keeps one doubly linked order, newest at the head: ghost_add puts an
 * entry at the head, ghost_touch moves it back there (LRU), ghost_oldest is
 * the tail (what a policy drops first to stay within its bound).  Lookup is
 * a chained hash over the keys.  Storage grows by doubling up to cap, so a
 * large cap costs nothing until it is used; the table never holds more than
 * cap entries (ghost_add refuses, and the caller must drop one first). */
#ifndef VMLAB_POLICY_GHOST_H
#define VMLAB_POLICY_GHOST_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

#define GHOST_NONE UINT32_MAX

typedef struct ghost_entry {
	page_key_t key;
	uint64_t val;         /* the caller's record */
	uint32_t prev, next;  /* towards the head (newer) / the tail (older) */
	uint32_t hnext;       /* hash chain; free list while unused */
} ghost_entry_t;

typedef struct ghost {
	ghost_entry_t *e;     /* alloc entries */
	uint32_t *bucket;     /* nbucket chain heads */
	uint32_t cap;         /* most entries ever held */
	uint32_t alloc;       /* entries allocated (<= cap) */
	uint32_t used;        /* entries 0 .. used-1 have been handed out */
	uint32_t nbucket;     /* a power of two >= 2 * alloc */
	uint32_t n;           /* live entries; read-only */
	uint32_t head, tail;  /* newest / oldest live entry, GHOST_NONE if empty */
	uint32_t free;        /* a freed entry to reuse, chained by hnext */
} ghost_t;

/* The bucket of key among nbucket (a power of two). */
static inline uint32_t ghost_hash(page_key_t key, uint32_t nbucket)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	h ^= h >> 32;
	return (uint32_t)h & (nbucket - 1);
}

/* An empty table of at most cap entries.  Returns 0, or -1 out of memory. */
static inline int ghost_init(ghost_t *g, uint32_t cap)
{
	*g = (ghost_t){ .cap = cap, .head = GHOST_NONE, .tail = GHOST_NONE,
			.free = GHOST_NONE };
	g->alloc = cap < 64 ? cap : 64;
	g->nbucket = 1;
	while (g->nbucket < 2 * g->alloc)
		g->nbucket *= 2;
	g->e = malloc((g->alloc ? g->alloc : 1) * sizeof *g->e);
	g->bucket = malloc(g->nbucket * sizeof *g->bucket);
	if (!g->e || !g->bucket) {
		free(g->e);
		free(g->bucket);
		return -1;
	}
	for (uint32_t b = 0; b < g->nbucket; b++)
		g->bucket[b] = GHOST_NONE;
	return 0;
}

static inline void ghost_fini(ghost_t *g)
{
	free(g->e);
	free(g->bucket);
	g->e = NULL;
	g->bucket = NULL;
}

/* The entry holding key, or GHOST_NONE. */
static inline uint32_t ghost_find(const ghost_t *g, page_key_t key)
{
	for (uint32_t i = g->bucket[ghost_hash(key, g->nbucket)]; i != GHOST_NONE; i = g->e[i].hnext)
		if (g->e[i].key == key)
			return i;
	return GHOST_NONE;
}

/* Double the storage (up to cap) and rehash.  Returns false out of memory,
 * leaving the table as it was. */
static inline bool ghost_grow(ghost_t *g)
{
	uint32_t alloc = g->alloc > g->cap / 2 ? g->cap : 2 * g->alloc;
	uint32_t nbucket = g->nbucket;
	while (nbucket < 2 * alloc)
		nbucket *= 2;
	ghost_entry_t *e = realloc(g->e, alloc * sizeof *e);
	if (!e)
		return false;
	g->e = e;
	uint32_t *bucket = malloc(nbucket * sizeof *bucket);
	if (!bucket)
		return false;
	free(g->bucket);
	g->bucket = bucket;
	g->alloc = alloc;
	g->nbucket = nbucket;
	for (uint32_t b = 0; b < nbucket; b++)
		bucket[b] = GHOST_NONE;
	for (uint32_t i = g->head; i != GHOST_NONE; i = g->e[i].next) {
		uint32_t b = ghost_hash(g->e[i].key, nbucket);
		g->e[i].hnext = bucket[b];
		bucket[b] = i;
	}
	return true;
}

/* Add key (not in the table) with record val at the head.  Returns its
 * entry, or GHOST_NONE if the table holds cap entries or memory ran out
 * (the page is then simply not remembered). */
static inline uint32_t ghost_add(ghost_t *g, page_key_t key, uint64_t val)
{
	assert(ghost_find(g, key) == GHOST_NONE);
	if (g->n >= g->cap)
		return GHOST_NONE;
	uint32_t i = g->free;
	if (i != GHOST_NONE) {
		g->free = g->e[i].hnext;
	} else {
		if (g->used == g->alloc && !ghost_grow(g))
			return GHOST_NONE;
		i = g->used++;
	}
	uint32_t b = ghost_hash(key, g->nbucket);
	g->e[i] = (ghost_entry_t){ .key = key, .val = val, .prev = GHOST_NONE,
				   .next = g->head, .hnext = g->bucket[b] };
	g->bucket[b] = i;
	if (g->head != GHOST_NONE)
		g->e[g->head].prev = i;
	else
		g->tail = i;
	g->head = i;
	g->n++;
	return i;
}

/* Take live entry i out of the order. */
static inline void ghost_unlink(ghost_t *g, uint32_t i)
{
	ghost_entry_t *x = &g->e[i];
	if (x->prev != GHOST_NONE)
		g->e[x->prev].next = x->next;
	else
		g->head = x->next;
	if (x->next != GHOST_NONE)
		g->e[x->next].prev = x->prev;
	else
		g->tail = x->prev;
}

/* Remove live entry i; its number may be reused by the next ghost_add. */
static inline void ghost_del(ghost_t *g, uint32_t i)
{
	ghost_unlink(g, i);
	uint32_t *p = &g->bucket[ghost_hash(g->e[i].key, g->nbucket)];
	while (*p != i)
		p = &g->e[*p].hnext;
	*p = g->e[i].hnext;
	g->e[i].hnext = g->free;
	g->free = i;
	g->n--;
}

/* Move live entry i to the head (it was just used). */
static inline void ghost_touch(ghost_t *g, uint32_t i)
{
	if (g->head == i)
		return;
	ghost_unlink(g, i);
	g->e[i].prev = GHOST_NONE;
	g->e[i].next = g->head;
	g->e[g->head].prev = i;  /* not empty: i was in it besides the head */
	g->head = i;
}

/* The oldest live entry (the tail), GHOST_NONE if empty. */
static inline uint32_t ghost_oldest(const ghost_t *g)
{
	return g->tail;
}

/* Remove key if present; true if it was. */
static inline bool ghost_forget(ghost_t *g, page_key_t key)
{
	uint32_t i = ghost_find(g, key);
	if (i == GHOST_NONE)
		return false;
	ghost_del(g, i);
	return true;
}

#endif
