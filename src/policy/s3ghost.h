/* s3ghost.h - a bounded FIFO of page keys with O(1) membership and removal
 * (prefix s3ghost_), S3-FIFO's ghost queue G (s3fifo.c).
 *
 * At most cap keys, in a doubly linked list over a pool of cap nodes, oldest
 * at the tail; pushing into a full queue drops the oldest.  A hash table of
 * node numbers (linear probing, at most half full, deletion by backward
 * shift) finds a key.  Memory is fixed at creation: about 40 bytes a key. */
#ifndef VMLAB_POLICY_S3GHOST_H
#define VMLAB_POLICY_S3GHOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

#define S3GHOST_NIL UINT32_MAX

typedef struct s3ghost {
	uint32_t cap, n;         /* capacity and keys held */
	page_key_t *key;         /* per node */
	uint32_t *prev, *next;   /* per node: towards the head / the tail */
	uint32_t head, tail, free; /* newest, oldest, first unused node */
	uint32_t *slot;          /* hash slots: node + 1, 0 empty */
	uint32_t mask;           /* slots - 1 */
} s3ghost_t;

/* A mixing of the key's bits, so that keys differing in high bits spread. */
static inline uint32_t s3ghost_hash(const s3ghost_t *g, page_key_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (uint32_t)k & g->mask;
}

/* An empty queue of cap keys (cap may be 0: nothing is ever kept).
 * Returns 0, or -1 out of memory (then s3ghost_free is still safe). */
static inline int s3ghost_init(s3ghost_t *g, uint32_t cap)
{
	*g = (s3ghost_t){ .cap = cap, .head = S3GHOST_NIL, .tail = S3GHOST_NIL };
	uint32_t slots = 2;
	while (slots < 2ull * cap)
		slots *= 2;
	g->mask = slots - 1;
	g->key = calloc(cap ? cap : 1, sizeof *g->key);
	g->prev = calloc(cap ? cap : 1, sizeof *g->prev);
	g->next = calloc(cap ? cap : 1, sizeof *g->next);
	g->slot = calloc(slots, sizeof *g->slot);
	if (!g->key || !g->prev || !g->next || !g->slot)
		return -1;
	for (uint32_t i = 0; i < cap; i++)
		g->next[i] = i + 1 < cap ? i + 1 : S3GHOST_NIL;
	g->free = cap ? 0 : S3GHOST_NIL;
	return 0;
}

static inline void s3ghost_free(s3ghost_t *g)
{
	free(g->key);
	free(g->prev);
	free(g->next);
	free(g->slot);
}

/* The hash slot holding key k, or of the empty slot where it would go. */
static inline uint32_t s3ghost_find_slot(const s3ghost_t *g, page_key_t k)
{
	uint32_t i = s3ghost_hash(g, k);
	while (g->slot[i] && g->key[g->slot[i] - 1] != k)
		i = (i + 1) & g->mask;
	return i;
}

static inline bool s3ghost_contains(const s3ghost_t *g, page_key_t k)
{
	return g->slot[s3ghost_find_slot(g, k)] != 0;
}

/* The node (0 .. cap-1) holding key k, or S3GHOST_NIL; stable until k is
 * removed (clock-pro names its non-resident entries by it). */
static inline uint32_t s3ghost_node(const s3ghost_t *g, page_key_t k)
{
	uint32_t s = g->slot[s3ghost_find_slot(g, k)];
	return s ? s - 1 : S3GHOST_NIL;
}

/* Empty hash slot i, moving later entries of its run back into the hole so
 * that every lookup still finds its key. */
static inline void s3ghost_slot_delete(s3ghost_t *g, uint32_t i)
{
	uint32_t j = i;
	for (;;) {
		g->slot[i] = 0;
		for (;;) {
			j = (j + 1) & g->mask;
			if (!g->slot[j])
				return;
			uint32_t home = s3ghost_hash(g, g->key[g->slot[j] - 1]);
			/* j's entry may move to i unless its home lies in (i, j] */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		g->slot[i] = g->slot[j];
		i = j;
	}
}

/* Remove key k if held; true if it was. */
static inline bool s3ghost_remove(s3ghost_t *g, page_key_t k)
{
	uint32_t i = s3ghost_find_slot(g, k);
	if (!g->slot[i])
		return false;
	uint32_t node = g->slot[i] - 1;
	s3ghost_slot_delete(g, i);
	if (g->prev[node] != S3GHOST_NIL)
		g->next[g->prev[node]] = g->next[node];
	else
		g->head = g->next[node];
	if (g->next[node] != S3GHOST_NIL)
		g->prev[g->next[node]] = g->prev[node];
	else
		g->tail = g->prev[node];
	g->next[node] = g->free;
	g->free = node;
	g->n--;
	return true;
}

/* Put key k at the head (moving it there if held), dropping the oldest
 * key if full. */
static inline void s3ghost_push(s3ghost_t *g, page_key_t k)
{
	if (g->cap == 0)
		return;
	s3ghost_remove(g, k);
	if (g->n == g->cap)
		s3ghost_remove(g, g->key[g->tail]);
	uint32_t node = g->free;
	g->free = g->next[node];
	g->key[node] = k;
	g->prev[node] = S3GHOST_NIL;
	g->next[node] = g->head;
	if (g->head != S3GHOST_NIL)
		g->prev[g->head] = node;
	else
		g->tail = node;
	g->head = node;
	g->n++;
	g->slot[s3ghost_find_slot(g, k)] = node + 1;
}

#endif
