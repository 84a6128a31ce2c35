/* fifo.c - first in, first out (prefix fifo_).
 *
 * Evicts the page loaded longest ago, in the order of on_fill; references do
 * not matter, so it needs nothing from the hardware beyond faults.  The
 * resident frames form a doubly linked list threaded through the per-frame
 * state, newest at the head, so that every event is O(1) even when the
 * machine releases a frame from the middle (a process exiting). */
#include <assert.h>
#include <stdlib.h>

#include "policy.h"

typedef struct fifo_frame {
	frame_id_t prev;   /* newer neighbour, FRAME_NONE at the head */
	frame_id_t next;   /* older neighbour, FRAME_NONE at the tail */
	bool resident;     /* between on_fill and on_evict */
} fifo_frame_t;

typedef struct fifo {
	fifo_frame_t *fr;  /* env->frame_priv, one entry per frame */
	frame_id_t head;   /* loaded most recently */
	frame_id_t tail;   /* loaded longest ago: the next victim */
} fifo_t;

static void *fifo_create(const policy_env_t *env)
{
	fifo_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	p->head = p->tail = FRAME_NONE;
	return p;
}

static void fifo_destroy(void *state)
{
	free(state);
}

/* The new page is the youngest: it goes to the head. */
static void fifo_on_fill(void *state, frame_id_t f, uint64_t seq)
{
	fifo_t *p = state;
	fifo_frame_t *e = &p->fr[f];
	assert(!e->resident);
	e->resident = true;
	e->prev = FRAME_NONE;
	e->next = p->head;
	if (p->head != FRAME_NONE)
		p->fr[p->head].prev = f;
	else
		p->tail = f;
	p->head = f;
}

/* Unlink f wherever it is: victims leave at the tail, released frames
 * anywhere. */
static void fifo_on_evict(void *state, frame_id_t f)
{
	fifo_t *p = state;
	fifo_frame_t *e = &p->fr[f];
	assert(e->resident);
	if (e->prev != FRAME_NONE)
		p->fr[e->prev].next = e->next;
	else
		p->head = e->next;
	if (e->next != FRAME_NONE)
		p->fr[e->next].prev = e->prev;
	else
		p->tail = e->prev;
	e->resident = false;
}

static frame_id_t fifo_pick_victim(void *state)
{
	fifo_t *p = state;
	assert(p->tail != FRAME_NONE);
	return p->tail;
}

const policy_ops_t policy_fifo = {
	.name = "fifo",
	.summary = "first in, first out: evict the page loaded longest ago",
	.needs = POLICY_NEEDS_HW_BITS,
	.frame_priv_size = sizeof(fifo_frame_t),
	.create = fifo_create,
	.destroy = fifo_destroy,
	.on_fill = fifo_on_fill,
	.on_access = NULL,
	.on_evict = fifo_on_evict,
	.pick_victim = fifo_pick_victim,
};
