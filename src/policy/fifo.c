/* fifo.c - first in, first out (prefix fifo_).
 *
 * Evicts the page loaded longest ago, in the order of on_fill; references do
 * not matter, so it needs nothing from the hardware beyond faults.  The
 * resident frames form a doubly linked list threaded through the per-frame
 * state (flist.h), newest at the head, so that every event is O(1) even
 * when the machine releases a frame from the middle (a process exiting). */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>

#include "flist.h"
#include "policy.h"

typedef struct fifo_frame {
	flist_link_t link; /* prev is newer, next older */
	bool resident;     /* between on_fill and on_evict */
} fifo_frame_t;

typedef struct fifo {
	fifo_frame_t *fr;  /* env->frame_priv, one entry per frame */
	flist_t list;      /* head loaded most recently, tail the next victim */
} fifo_t;

static void *fifo_create(const policy_env_t *env)
{
	fifo_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->fr = env->frame_priv;
	flist_init(&p->list, p->fr, sizeof *p->fr, offsetof(fifo_frame_t, link));
	return p;
}

static void fifo_destroy(void *state)
{
	free(state);
}

/* The new page is the youngest: it goes to the head. */
static void fifo_on_fill(void *state, frame_id_t f, const policy_page_t *pg)
{
	fifo_t *p = state;
	assert(!p->fr[f].resident);
	p->fr[f].resident = true;
	flist_push_head(&p->list, f);
}

/* Unlink f wherever it is: victims leave at the tail, released frames
 * anywhere. */
static policy_shadow_t fifo_on_evict(void *state, frame_id_t f, policy_why_t why)
{
	fifo_t *p = state;
	assert(p->fr[f].resident);
	flist_unlink(&p->list, f);
	p->fr[f].resident = false;
	return 0;
}

static frame_id_t fifo_pick_victim(void *state, const policy_page_t *incoming)
{
	fifo_t *p = state;
	assert(p->list.tail != FRAME_NONE);
	return p->list.tail;
}

/* Oldest arrival first: the order of eviction. */
static size_t fifo_order(void *state, frame_id_t *out, size_t max)
{
	return flist_from_tail(&((fifo_t *)state)->list, out, max);
}

const policy_ops_t policy_fifo = {
	.version = POLICY_VERSION,
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
	.order = fifo_order,
	.order_first = "FirstIn",
	.order_last = "LastIn",
};
