/* loadctl.c - the scheduler's load control policies (loadctl.h): off, pff
 * and ws, one table each. */
#include <math.h>
#include <stdlib.h>

#include "kern/loadctl.h"
#include "util/vmerr.h"

enum { LC_ACTIVE, LC_SUSPENDED, LC_DONE };

/* Times of the latest faults, newest last; it grows up to max entries,
 * then forgets the oldest. */
typedef struct lc_ring {
	uint64_t *t;
	size_t cap, max, n, head;
} lc_ring_t;

/* A page of a task's working set: its VPN and the task's reference count
 * at its last reference; in the window's list, most recent first. */
typedef struct ws_page {
	uint64_t vpn, last;
	uint32_t prev, next;   /* toward the newer / the older, WS_NIL at the ends */
	uint8_t in;            /* in the window */
} ws_page_t;

#define WS_NIL UINT32_MAX

/* Denning's W(t, tau) of one task, kept as references arrive: every page it
 * ever touched (an open-addressing table of indices + 1), the ones in the
 * window listed by last reference. */
typedef struct ws_track {
	ws_page_t *pg;
	uint32_t npg, cappg;
	uint32_t *hash;
	uint32_t hcap;         /* a power of two, at least twice npg */
	uint32_t newest, oldest;
	uint64_t t;            /* the task's page references so far */
	uint64_t ws;           /* pages in the window */
} ws_track_t;

typedef struct lc_task {
	int state;
	lc_ring_t faults;      /* pff: its faults, in its CPU time */
	ws_track_t ws;         /* ws */
} lc_task_t;

typedef struct lc {
	vm_machine_t *vm;
	lc_task_t *t;
	size_t n, cap;
	size_t nactive, nsusp;
	lc_ring_t sys;         /* pff: every fault, in the system's CPU time */
	size_t khigh;          /* pff: this many faults in a window exceed pff_high */
	size_t klow;           /* pff: fewer than this many are below pff_low (0: never) */
} lc_t;

/* ---- the parts every policy shares ---- */

static int lc_create(void **state, vm_machine_t *vm)
{
	lc_t *l = calloc(1, sizeof *l);
	if (!l)
		return VM_ENOMEM;
	l->vm = vm;
	*state = l;
	return VM_OK;
}

static void lc_destroy(void *state)
{
	lc_t *l = state;
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->t[i].faults.t);
		free(l->t[i].ws.pg);
		free(l->t[i].ws.hash);
	}
	free(l->t);
	free(l->sys.t);
	free(l);
}

/* Room for task i (= l->n) in state st.  0 or VM_ENOMEM. */
static int lc_push_task(lc_t *l, int st)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		lc_task_t *t = realloc(l->t, cap * sizeof *t);
		if (!t)
			return VM_ENOMEM;
		l->t = t;
		l->cap = cap;
	}
	l->t[l->n++] = (lc_task_t){ .state = st, .faults.max = l->khigh,
				    .ws = { .newest = WS_NIL, .oldest = WS_NIL } };
	if (st == LC_ACTIVE)
		l->nactive++;
	else
		l->nsusp++;
	return VM_OK;
}

/* The active task added last, or SIZE_MAX. */
static size_t lc_newest_active(const lc_t *l)
{
	for (size_t i = l->n; i-- > 0;)
		if (l->t[i].state == LC_ACTIVE)
			return i;
	return SIZE_MAX;
}

/* The suspended task added first, or SIZE_MAX. */
static size_t lc_oldest_suspended(const lc_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->t[i].state == LC_SUSPENDED)
			return i;
	return SIZE_MAX;
}

/* Decide to suspend active task i. */
static void lc_suspend(lc_t *l, size_t i, lc_action_t *act)
{
	l->t[i].state = LC_SUSPENDED;
	l->nactive--;
	l->nsusp++;
	act->suspend = i;
}

/* Decide to resume suspended task i. */
static void lc_resume(lc_t *l, size_t i, lc_action_t *act)
{
	l->t[i].state = LC_ACTIVE;
	l->nsusp--;
	l->nactive++;
	act->resume = i;
}

/* Task i is done; SIZE_MAX when it is the last active and a suspended task
 * must resume, else 0. */
static int lc_mark_done(lc_t *l, size_t i)
{
	l->t[i].state = LC_DONE;
	l->nactive--;
	return l->nactive == 0 && l->nsusp;
}

/* ---- off: every task runs ---- */

static int off_add(void *state, size_t i)
{
	return 1;
}

static void off_access(void *state, const lc_access_t *a, lc_action_t *act)
{
}

static void off_done(void *state, size_t i, lc_action_t *act)
{
}

/* ---- pff: page-fault frequency ---- */

/* Remember a fault at time t. 0 or VM_ENOMEM. */
static int ring_push(lc_ring_t *r, uint64_t t)
{
	if (r->n == r->cap && r->cap < r->max) {
		size_t cap = r->cap ? 2 * r->cap : 4;
		if (cap > r->max)
			cap = r->max;
		uint64_t *nt = malloc(cap * sizeof *nt);
		if (!nt)
			return VM_ENOMEM;
		for (size_t k = 0; k < r->n; k++)
			nt[k] = r->t[(r->head + k) % r->cap];
		free(r->t);
		r->t = nt;
		r->head = 0;
		r->cap = cap;
	}
	if (r->n < r->cap) {
		r->t[(r->head + r->n++) % r->cap] = t;
	} else {
		r->t[r->head] = t;
		r->head = (r->head + 1) % r->cap;
	}
	return VM_OK;
}

/* Whether at least k faults fell in the last window ns of a clock now at
 * now: the k-th newest at a time t with t + window > now. */
static int ring_has(const lc_ring_t *r, size_t k, uint64_t now, uint64_t window)
{
	if (k == 0)
		return 1;
	if (r->n < k)
		return 0;
	uint64_t t = r->t[(r->head + r->n - k) % r->cap];
	return t + window > now;
}

static int pff_create(void **state, vm_machine_t *vm)
{
	int rc = lc_create(state, vm);
	if (rc)
		return rc;
	lc_t *l = *state;
	const vm_config_t *c = &vm->cfg;
	double w = (double)c->pff_window_ns;
	/* more than high x w faults in a window exceed high; fewer than
	 * low x w are below low (the product first: exact for whole rates) */
	l->khigh = (size_t)floor(c->pff_high * w / 1e9) + 1;
	l->klow = (size_t)ceil(c->pff_low * w / 1e9);
	l->sys.max = l->klow ? l->klow : 1;
	return VM_OK;
}

static int pff_add(void *state, size_t i)
{
	int rc = lc_push_task(state, LC_ACTIVE);
	return rc ? rc : 1;
}

/* Whether the system's fault rate is below pff_low now. */
static int pff_low(const lc_t *l, uint64_t cpu_ns)
{
	return l->klow && !ring_has(&l->sys, l->klow, cpu_ns, l->vm->cfg.pff_window_ns);
}

/* A task that faults too often while memory is short suspends the newest
 * active task; a system that faults rarely resumes the oldest suspended. */
static void pff_access(void *state, const lc_access_t *a, lc_action_t *act)
{
	lc_t *l = state;
	const vm_machine_t *vm = l->vm;
	lc_task_t *t = &l->t[a->task];
	for (uint64_t k = 0; k < a->faults; k++) /* (no room to remember: forgotten) */
		if (ring_push(&t->faults, a->task_cpu_ns) || ring_push(&l->sys, a->cpu_ns))
			break;
	uint64_t free_now = vm->free_frames.limit - vm->free_frames.used;
	if (a->faults && l->nactive > 1 && free_now < vm->cfg.wmark_low &&
	    ring_has(&t->faults, l->khigh, a->task_cpu_ns, vm->cfg.pff_window_ns)) {
		lc_suspend(l, lc_newest_active(l), act);
		return;
	}
	if (l->nsusp && pff_low(l, a->cpu_ns))
		lc_resume(l, lc_oldest_suspended(l), act);
}

static void pff_done(void *state, size_t i, lc_action_t *act)
{
	lc_t *l = state;
	if (lc_mark_done(l, i))
		lc_resume(l, lc_oldest_suspended(l), act);
}

/* ---- ws: working-set admission ---- */

static uint32_t ws_slot(uint64_t vpn, uint32_t hcap)
{
	return (uint32_t)((vpn * 0x9e3779b97f4a7c15ull) >> 32) & (hcap - 1);
}

/* The index of vpn's page, added (not in the window) if new; WS_NIL when
 * out of memory. */
static uint32_t ws_page(ws_track_t *w, uint64_t vpn)
{
	if (w->hcap) {
		for (uint32_t h = ws_slot(vpn, w->hcap);; h = (h + 1) & (w->hcap - 1)) {
			uint32_t e = w->hash[h];
			if (!e)
				break;
			if (w->pg[e - 1].vpn == vpn)
				return e - 1;
		}
	}
	if (w->npg == WS_NIL - 1)
		return WS_NIL;
	if (w->npg == w->cappg) {
		uint32_t cap = w->cappg ? 2 * w->cappg : 64;
		ws_page_t *pg = realloc(w->pg, (size_t)cap * sizeof *pg);
		if (!pg)
			return WS_NIL;
		w->pg = pg;
		w->cappg = cap;
	}
	if (2 * ((uint64_t)w->npg + 1) > w->hcap) { /* rebuild at twice the size */
		uint32_t hcap = w->hcap ? 2 * w->hcap : 128;
		uint32_t *hash = calloc(hcap, sizeof *hash);
		if (!hash)
			return WS_NIL;
		for (uint32_t k = 0; k < w->npg; k++) {
			uint32_t h = ws_slot(w->pg[k].vpn, hcap);
			while (hash[h])
				h = (h + 1) & (hcap - 1);
			hash[h] = k + 1;
		}
		free(w->hash);
		w->hash = hash;
		w->hcap = hcap;
	}
	uint32_t h = ws_slot(vpn, w->hcap);
	while (w->hash[h])
		h = (h + 1) & (w->hcap - 1);
	w->pg[w->npg] = (ws_page_t){ .vpn = vpn, .prev = WS_NIL, .next = WS_NIL };
	w->hash[h] = ++w->npg;
	return w->npg - 1;
}

/* Take page k out of the window's list. */
static void ws_unlink(ws_track_t *w, uint32_t k)
{
	ws_page_t *p = &w->pg[k];
	if (p->prev != WS_NIL)
		w->pg[p->prev].next = p->next;
	else
		w->newest = p->next;
	if (p->next != WS_NIL)
		w->pg[p->next].prev = p->prev;
	else
		w->oldest = p->prev;
	p->in = 0;
	w->ws--;
}

/* The task referenced vpn: it is the newest of the window, and pages last
 * referenced tau or more references ago leave it.  0 or VM_ENOMEM. */
static int ws_ref(ws_track_t *w, uint64_t vpn, uint64_t tau)
{
	uint32_t k = ws_page(w, vpn);
	if (k == WS_NIL)
		return VM_ENOMEM;
	ws_page_t *p = &w->pg[k];
	if (p->in)
		ws_unlink(w, k);
	p->last = ++w->t;
	p->in = 1;
	p->prev = WS_NIL;
	p->next = w->newest;
	if (w->newest != WS_NIL)
		w->pg[w->newest].prev = k;
	else
		w->oldest = k;
	w->newest = k;
	w->ws++;
	while (w->oldest != WS_NIL && w->pg[w->oldest].last + tau <= w->t)
		ws_unlink(w, w->oldest);
	return VM_OK;
}

typedef struct ws_split {
	ws_track_t *w;
	uint64_t tau;
} ws_split_t;

static int ws_split_ref(void *arg, uint64_t vpn, int kind)
{
	ws_split_t *s = arg;
	return ws_ref(s->w, vpn, s->tau);
}

static int ws_add(void *state, size_t i)
{
	lc_t *l = state;
	int run = l->nactive == 0; /* the first runs; the rest wait to be admitted */
	int rc = lc_push_task(l, run ? LC_ACTIVE : LC_SUSPENDED);
	return rc ? rc : run;
}

/* The active tasks' working sets added up; *measured whether each has made
 * tau references (its working set is known), *largest the largest. */
static uint64_t ws_sum(const lc_t *l, int *measured, uint64_t *largest)
{
	uint64_t sum = 0;
	*measured = 1;
	*largest = 0;
	for (size_t i = 0; i < l->n; i++) {
		const lc_task_t *t = &l->t[i];
		if (t->state != LC_ACTIVE)
			continue;
		sum += t->ws.ws;
		*measured &= t->ws.t >= l->vm->cfg.ws_tau;
		if (t->ws.ws > *largest)
			*largest = t->ws.ws;
	}
	return sum;
}

/* Admit or deactivate: the newest active task goes when the working sets
 * no longer fit the frames; the oldest waiting one is admitted when every
 * active one's is known and its own (as it last ran, or the largest active
 * one's if it never has) fits beside them. */
static void ws_balance(lc_t *l, lc_action_t *act)
{
	int measured;
	uint64_t largest, frames = l->vm->cfg.frames;
	uint64_t sum = ws_sum(l, &measured, &largest);
	if (sum > frames && l->nactive > 1) {
		lc_suspend(l, lc_newest_active(l), act);
		return;
	}
	size_t k = lc_oldest_suspended(l);
	if (k == SIZE_MAX || !measured)
		return;
	uint64_t need = l->t[k].ws.t ? l->t[k].ws.ws : largest;
	if (sum + need <= frames)
		lc_resume(l, k, act);
}

static void ws_access(void *state, const lc_access_t *a, lc_action_t *act)
{
	lc_t *l = state;
	ws_split_t sp = { .w = &l->t[a->task].ws, .tau = l->vm->cfg.ws_tau };
	/* (out of memory: the window stops growing, a smaller estimate) */
	vm_split_access(l->vm->g.page_shift, a->va, a->size, a->kind, ws_split_ref, &sp);
	ws_balance(l, act);
}

static void ws_done(void *state, size_t i, lc_action_t *act)
{
	lc_t *l = state;
	if (lc_mark_done(l, i))
		lc_resume(l, lc_oldest_suspended(l), act);
	else
		ws_balance(l, act);
}

static const lc_ops_t lc_tables[] = {
	[VM_LC_OFF] = { "off", lc_create, lc_destroy, off_add, off_access, off_done },
	[VM_LC_PFF] = { "pff", pff_create, lc_destroy, pff_add, pff_access, pff_done },
	[VM_LC_WS] = { "ws", lc_create, lc_destroy, ws_add, ws_access, ws_done },
};

const lc_ops_t *lc_find(int mode)
{
	return &lc_tables[mode];
}
