/* sched.c - the simulated clock and a round-robin scheduler (vmlab_sched.h):
 * tasks run their accesses through vm_access, charged in nanoseconds; one
 * in-order disk queue serves every page the disk must move. */
#include <math.h>
#include <stdlib.h>

#include "kern/huge.h"
#include "kern/loadctl.h"
#include "kern/sched.h"
#include "util/vmerr.h"

enum { T_RUNNABLE, T_BLOCKED, T_DONE, T_SUSPENDED /* by load control */ };

typedef struct sched_task {
	vm_task_stats_t st;
	vm_task_next_fn next;
	void *arg;
	uint64_t until;        /* T_BLOCKED: when the disk is done with it */
	int state;
} sched_task_t;

struct vm_sched {
	vm_machine_t *vm;
	uint64_t quantum;
	uint64_t now;          /* the clock, ns */
	uint64_t disk_free;    /* when the disk has served every request queued */
	uint64_t disk_busy;    /* service time of every request queued */
	sched_task_t *t;
	size_t n, cap;
	size_t *rq;            /* run queue, a ring of task indices */
	size_t rq_head, rq_len;
	size_t cur;            /* the task on the CPU, or SIZE_MAX */
	uint64_t slice;        /* CPU it has used of its quantum */
	vm_sched_stats_t st;
	const lc_ops_t *lc;    /* load control (loadctl.h), chosen once */
	void *lc_state;
};

int vm_sched_create(vm_sched_t **out, vm_machine_t *vm, uint64_t quantum_ns)
{
	vm_sched_t *s = calloc(1, sizeof *s);
	if (!s)
		return VM_ENOMEM;
	s->vm = vm;
	vm->flusher_timed = 1; /* the flusher keeps this clock from now on */
	s->quantum = quantum_ns ? quantum_ns : 1000000;
	s->cur = SIZE_MAX;
	s->lc = lc_find(vm->cfg.load_control);
	if (s->lc->create(&s->lc_state, vm)) {
		free(s);
		return VM_ENOMEM;
	}
	*out = s;
	return VM_OK;
}

void vm_sched_destroy(vm_sched_t *s)
{
	if (!s)
		return;
	s->lc->destroy(s->lc_state);
	free(s->t);
	free(s->rq);
	free(s);
}

/* Task i to the tail of the run queue (room is there: one slot a task). */
static void sched_enqueue(vm_sched_t *s, size_t i)
{
	s->rq[(s->rq_head + s->rq_len++) % s->cap] = i;
	s->t[i].state = T_RUNNABLE;
}

int vm_sched_add(vm_sched_t *s, uint32_t pid, vm_task_next_fn next, void *arg)
{
	uint32_t p = proc_lookup(s->vm, pid);
	if (p == PROC_NONE || s->vm->procs[p].state != VM_PROC_ALIVE)
		return VM_ESRCH;
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].st.pid == pid && s->t[i].state != T_DONE)
			return VM_EEXIST;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		sched_task_t *t = realloc(s->t, cap * sizeof *t);
		if (!t)
			return VM_ENOMEM;
		s->t = t;
		size_t *rq = malloc(cap * sizeof *rq);
		if (!rq)
			return VM_ENOMEM;
		for (size_t k = 0; k < s->rq_len; k++)
			rq[k] = s->rq[(s->rq_head + k) % s->cap];
		free(s->rq);
		s->rq = rq;
		s->rq_head = 0;
		s->cap = cap;
	}
	int run = s->lc->add(s->lc_state, s->n);
	if (run < 0)
		return run;
	s->t[s->n] = (sched_task_t){ .st = { .pid = pid }, .next = next, .arg = arg,
				     .state = T_SUSPENDED };
	if (run)
		sched_enqueue(s, s->n);
	else
		s->vm->sys.suspensions++;
	s->n++;
	return VM_OK;
}

/* Blocked tasks whose disk requests are done by now join the run queue,
 * the earliest done first (ties: the order added). */
static void sched_wake(vm_sched_t *s)
{
	for (;;) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < s->n; i++)
			if (s->t[i].state == T_BLOCKED && s->t[i].until <= s->now &&
			    (best == SIZE_MAX || s->t[i].until < s->t[best].until))
				best = i;
		if (best == SIZE_MAX)
			return;
		sched_enqueue(s, best);
	}
}

/* The earliest time a blocked task wakes, or UINT64_MAX when none is. */
static uint64_t sched_next_wake(const vm_sched_t *s)
{
	uint64_t w = UINT64_MAX;
	for (size_t i = 0; i < s->n; i++)
		if (s->t[i].state == T_BLOCKED && s->t[i].until < w)
			w = s->t[i].until;
	return w;
}

/* The disk requests made so far: pages read in and written back. */
static uint64_t sched_disk_ops(const vm_machine_t *vm)
{
	return vm->st.swap_ins + vm->sys.file_reads + vm->st.dirty_writebacks;
}

/* Queue ops disk requests behind the ones before; when the last is done. */
static uint64_t sched_disk(vm_sched_t *s, uint64_t ops)
{
	uint64_t service = (uint64_t)llround((double)ops * s->vm->cfg.lat.major_ns);
	uint64_t start = s->disk_free > s->now ? s->disk_free : s->now;
	s->disk_free = start + service;
	s->disk_busy += service;
	s->st.disk_requests += ops;
	return s->disk_free;
}

/* ---- load control's mechanism (the policy is loadctl.c's) ---- */

/* Suspend task i: off the CPU or out of the run queue (a blocked one keeps
 * its disk request); its process's pages become reclaim's first victims. */
static void sched_suspend(vm_sched_t *s, size_t i)
{
	sched_task_t *t = &s->t[i];
	if (s->cur == i) {
		s->cur = SIZE_MAX;
	} else if (t->state == T_RUNNABLE) {
		size_t kept = 0;
		for (size_t k = 0; k < s->rq_len; k++) {
			size_t j = s->rq[(s->rq_head + k) % s->cap];
			if (j != i)
				s->rq[(s->rq_head + kept++) % s->cap] = j;
		}
		s->rq_len = kept;
	}
	t->state = T_SUSPENDED;
	s->vm->sys.suspensions++;
	uint32_t p = proc_lookup(s->vm, t->st.pid);
	if (p != PROC_NONE)
		reclaim_first(s->vm, p, 1);
}

/* Resume task i: blocked again if its disk request is not done yet, else
 * to the tail of the run queue. */
static void sched_resume(vm_sched_t *s, size_t i)
{
	sched_task_t *t = &s->t[i];
	s->vm->sys.resumptions++;
	uint32_t p = proc_lookup(s->vm, t->st.pid);
	if (p != PROC_NONE)
		reclaim_first(s->vm, p, 0);
	if (t->until > s->now)
		t->state = T_BLOCKED;
	else
		sched_enqueue(s, i);
}

/* Do what load control decided. */
static void sched_act(vm_sched_t *s, const lc_action_t *act)
{
	if (act->suspend != SIZE_MAX)
		sched_suspend(s, act->suspend);
	if (act->resume != SIZE_MAX)
		sched_resume(s, act->resume);
}

/* ---- */

/* Task i has run out of accesses or was killed: its process exits. */
static void sched_finish(vm_sched_t *s, size_t i)
{
	sched_task_t *t = &s->t[i];
	t->state = T_DONE;
	t->st.done = 1;
	uint32_t p = proc_lookup(s->vm, t->st.pid);
	if (p != PROC_NONE && s->vm->procs[p].state == VM_PROC_ALIVE)
		teardown_kill(s->vm, p, VM_PROC_EXITED);
	lc_action_t act = { SIZE_MAX, SIZE_MAX };
	s->lc->done(s->lc_state, i, &act);
	sched_act(s, &act);
}

/* What the counters moved by, across one access. */
typedef struct sched_mark {
	uint64_t lookups, mem, minor, major, disk;
} sched_mark_t;

static sched_mark_t sched_mark(vm_machine_t *vm)
{
	const mmu_t *m = &vm->mmu;
	return (sched_mark_t){ .lookups = m->count.tlb_hits + m->count.tlb_misses,
			       .mem = vm->st.references + m->count.walk_memory_refs,
			       .minor = vm->st.minor_faults, .major = vm->st.major_faults,
			       .disk = sched_disk_ops(vm) };
}

/* The flusher at the clock now (--dirty-expire): its write-backs join the
 * disk queue, blocking no process.  1, or its failure. */
static int sched_flusher(vm_sched_t *s)
{
	uint64_t before = s->vm->sys.flusher_writebacks;
	int rc = flusher_clock(s->vm, s->now);
	uint64_t n = s->vm->sys.flusher_writebacks - before;
	if (n) {
		uint64_t service = (uint64_t)llround((double)n * s->vm->cfg.lat.major_ns);
		s->disk_free = (s->disk_free > s->now ? s->disk_free : s->now) + service;
		s->disk_busy += service;
		s->st.disk_requests += n;
	}
	return rc ? rc : 1;
}

/* Run one access of the task on the CPU and charge it: CPU time for its
 * references and minor faults; disk requests queued behind the ones before,
 * the task blocked until the last is served.  1 ran, 0 the task is done,
 * or a negative vm_err_t. */
static int sched_step(vm_sched_t *s)
{
	sched_task_t *t = &s->t[s->cur];
	uint64_t va;
	uint32_t size;
	int kind;
	int rc = t->next(t->arg, &va, &size, &kind);
	if (rc <= 0)
		return rc;
	vm_machine_t *vm = s->vm;
	sched_mark_t a = sched_mark(vm);
	rc = vm_access(vm, t->st.pid, va, size, kind);
	if (rc == VM_EFAULT || rc == VM_EKILLED)
		return 0;
	if (rc)
		return rc;
	sched_mark_t b = sched_mark(vm);
	huge_daemon(vm); /* khugepaged on the clock of references, as after a script's own;
			    a daemon, so its copying is no task's CPU time */
	const vm_latency_t *l = &vm->cfg.lat;
	uint64_t cpu = (uint64_t)llround((double)(b.lookups - a.lookups) * l->tlb_ns +
					 (double)(b.mem - a.mem) * l->mem_ns +
					 (double)(b.minor - a.minor) * l->minor_ns);
	proc_t *pr = &vm->procs[proc_lookup(vm, t->st.pid)]; /* (a process is never forgotten) */
	pr->scheduled = 1;
	pr->cpu_ns += cpu;
	t->st.accesses++;
	t->st.minflt += b.minor - a.minor;
	t->st.majflt += b.major - a.major;
	t->st.cpu_ns += cpu;
	s->st.cpu_ns += cpu;
	s->now += cpu;
	s->slice += cpu;
	uint64_t ops = b.disk - a.disk;
	if (ops) {
		t->until = sched_disk(s, ops);
		t->st.blocked_ns += t->until - s->now;
		pr->blocked_ns += t->until - s->now;
		t->state = T_BLOCKED;
		s->cur = SIZE_MAX;
	}
	lc_action_t act = { SIZE_MAX, SIZE_MAX };
	lc_access_t la = { .task = (size_t)(t - s->t), .va = va, .size = size, .kind = kind,
			   .faults = b.minor - a.minor + b.major - a.major,
			   .task_cpu_ns = t->st.cpu_ns, .cpu_ns = s->st.cpu_ns };
	s->lc->access(s->lc_state, &la, &act);
	sched_act(s, &act);
	return sched_flusher(s);
}

/* Give the CPU to the head of the run queue, if any. */
static void sched_dispatch(vm_sched_t *s)
{
	if (s->cur != SIZE_MAX || !s->rq_len)
		return;
	s->cur = s->rq[s->rq_head];
	s->rq_head = (s->rq_head + 1) % s->cap;
	s->rq_len--;
	s->slice = 0;
	s->st.switches++;
}

/* What --timeline's lines show of the scheduler (vm->kclock), once an
 * access is charged. */
static void sched_publish(vm_sched_t *s)
{
	struct kclock *k = &s->vm->kclock;
	k->now = s->now;
	k->cpu_ns = s->st.cpu_ns;
	k->iowait_ns = s->st.iowait_ns;
	vm_sched_load(s, &k->runnable, &k->blocked);
}

int vm_sched_run(vm_sched_t *s, uint64_t for_ns)
{
	uint64_t end = for_ns && s->now <= UINT64_MAX - for_ns ? s->now + for_ns : UINT64_MAX;
	int rc = VM_OK;
	s->vm->kclock.on = 1;
	while (s->now < end) {
		sched_wake(s);
		sched_dispatch(s);
		if (s->cur == SIZE_MAX) {
			uint64_t w = sched_next_wake(s);
			if (w == UINT64_MAX)
				break; /* every task done */
			uint64_t to = w < end ? w : end;
			s->st.iowait_ns += to - s->now;
			s->now = to;
			continue;
		}
		size_t i = s->cur;
		rc = sched_step(s);
		if (rc < 0)
			break;
		if (rc == 0) {
			sched_finish(s, i);
			s->cur = SIZE_MAX;
		} else if (s->cur != SIZE_MAX && s->slice >= s->quantum) {
			sched_wake(s); /* who woke meanwhile goes before it */
			sched_enqueue(s, i);
			s->cur = SIZE_MAX;
		}
		if (s->vm->kclock.due) {
			sched_publish(s);
			ref_timeline_due(s->vm);
		}
		rc = VM_OK;
	}
	s->st.elapsed_ns = s->now;
	s->vm->kclock.on = s->vm->kclock.due = 0;
	return rc;
}

const vm_sched_stats_t *vm_sched_stats(const vm_sched_t *s)
{
	vm_sched_t *m = (vm_sched_t *)s;
	/* the disk's queued work past the clock is not done yet */
	uint64_t ahead = s->disk_free > s->now ? s->disk_free - s->now : 0;
	m->st.disk_ns = s->disk_busy - (ahead < s->disk_busy ? ahead : s->disk_busy);
	m->st.elapsed_ns = s->now;
	return &s->st;
}

size_t vm_sched_ntasks(const vm_sched_t *s)
{
	return s->n;
}

const vm_task_stats_t *vm_sched_task(const vm_sched_t *s, size_t i)
{
	return i < s->n ? &s->t[i].st : NULL;
}

void vm_sched_load(const vm_sched_t *s, uint32_t *runnable, uint32_t *blocked)
{
	*runnable = (uint32_t)s->rq_len + (s->cur != SIZE_MAX);
	*blocked = 0;
	for (size_t i = 0; i < s->n; i++)
		*blocked += s->t[i].state == T_BLOCKED;
}
