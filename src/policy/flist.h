/* flist.h - a doubly linked list of frame ids threaded through the
 * per-frame state (prefix flist_), shared by the policies that evict by an
 * order of arrival or of use (fifo, lru).
 *
 * Each per-frame struct embeds an flist_link_t, so the list needs no storage
 * of its own, and every operation is O(1) even when the machine releases a
 * frame from the middle (a process exiting).  The head is the newest end,
 * the tail the next victim. */
#ifndef VMLAB_POLICY_FLIST_H
#define VMLAB_POLICY_FLIST_H

#include <stddef.h>

#include "policy.h"

/* Embedded in each per-frame struct; meaningful only while linked. */
typedef struct flist_link {
	frame_id_t prev;      /* neighbour towards the head, FRAME_NONE at it */
	frame_id_t next;      /* neighbour towards the tail, FRAME_NONE at it */
} flist_link_t;

typedef struct flist {
	unsigned char *base;  /* the per-frame structs (env->frame_priv) */
	size_t stride;        /* sizeof one per-frame struct */
	size_t link_off;      /* offsetof its flist_link_t */
	frame_id_t head;      /* newest, FRAME_NONE if empty; read-only */
	frame_id_t tail;      /* oldest, FRAME_NONE if empty; read-only */
} flist_t;

/* An empty list over frame_priv, whose structs of stride bytes each hold an
 * flist_link_t at link_off. */
static inline void flist_init(flist_t *l, void *frame_priv, size_t stride,
			      size_t link_off)
{
	l->base = frame_priv;
	l->stride = stride;
	l->link_off = link_off;
	l->head = l->tail = FRAME_NONE;
}

/* Frame f's link (f < nframes). */
static inline flist_link_t *flist_link(const flist_t *l, frame_id_t f)
{
	return (flist_link_t *)(l->base + (size_t)f * l->stride + l->link_off);
}

/* Link frame f, not in the list, in at the head. */
static inline void flist_push_head(flist_t *l, frame_id_t f)
{
	flist_link_t *e = flist_link(l, f);
	e->prev = FRAME_NONE;
	e->next = l->head;
	if (l->head != FRAME_NONE)
		flist_link(l, l->head)->prev = f;
	else
		l->tail = f;
	l->head = f;
}

/* Take frame f, in the list, out of it, wherever it is. */
static inline void flist_unlink(flist_t *l, frame_id_t f)
{
	flist_link_t *e = flist_link(l, f);
	if (e->prev != FRAME_NONE)
		flist_link(l, e->prev)->next = e->next;
	else
		l->head = e->next;
	if (e->next != FRAME_NONE)
		flist_link(l, e->next)->prev = e->prev;
	else
		l->tail = e->prev;
}

/* The frames from the tail (next victim) to the head, at most max into out;
 * returns how many are linked.  For showing the state. */
static inline size_t flist_from_tail(const flist_t *l, frame_id_t *out, size_t max)
{
	size_t n = 0;
	for (frame_id_t f = l->tail; f != FRAME_NONE; f = flist_link(l, f)->prev, n++)
		if (n < max)
			out[n] = f;
	return n;
}

/* Append the frames of l from the tail to the head after the n frames
 * already counted in out (at most max in all); returns the new count.  For
 * showing several lists one after another. */
static inline size_t flist_append_from_tail(const flist_t *l, frame_id_t *out, size_t max,
					    size_t n)
{
	size_t have = n < max ? n : max;
	return n + flist_from_tail(l, out + have, max - have);
}

/* A SIEVE-style hand, which walks from the tail towards the head and wraps
 * round: where it starts (hand, or the tail when it has none; l not empty),
 * and the frame after f. */
static inline frame_id_t flist_hand_start(const flist_t *l, frame_id_t hand)
{
	return hand != FRAME_NONE ? hand : l->tail;
}

static inline frame_id_t flist_hand_next(const flist_t *l, frame_id_t f)
{
	frame_id_t g = flist_link(l, f)->prev;
	return g != FRAME_NONE ? g : l->tail;
}

/* The frames in the order a hand at `hand` meets them: from the hand
 * towards the head, then from the tail round to the frame behind it; at
 * most max into out; returns how many are in the list. */
static inline size_t flist_from_hand(const flist_t *l, frame_id_t hand, frame_id_t *out,
				     size_t max)
{
	if (l->tail == FRAME_NONE)
		return 0;
	frame_id_t start = flist_hand_start(l, hand), f = start;
	size_t n = 0;
	do {
		if (n++ < max)
			out[n - 1] = f;
		f = flist_hand_next(l, f);
	} while (f != start);
	return n;
}

#endif
