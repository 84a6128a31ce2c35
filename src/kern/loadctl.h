/* loadctl.h - layer 12: the scheduler's load control (prefix lc_), one
 * table of functions a mode of cfg.load_control, which the scheduler
 * chooses once (lc_find):
 *   off  every task runs;
 *   pff  page-fault frequency (Chu and Opderbeck 1972): when a task's faults
 *        over the last cfg.pff_window_ns of its CPU time exceed cfg.pff_high
 *        a CPU-second while free frames are below the low watermark, the
 *        most recently added active task is suspended; when the system's
 *        faults over the last window of CPU time fall below cfg.pff_low a
 *        CPU-second, the oldest suspended task resumes (newest last);
 *   ws   Denning's working sets over cfg.ws_tau references of each task: a
 *        task is admitted only while the admitted tasks' working sets fit
 *        in the frames (added ones wait, suspended from the start).
 * The policy decides and the scheduler acts: it tells the policy of each
 * task it adds, each access a task ran and each task done, and does what
 * the answer says (an lc_action_t).  The policy keeps its own view of which
 * tasks are active, suspended or done; it never suspends the last active
 * task, and resumes one whenever none is left active. */
#ifndef VMLAB_KERN_LOADCTL_H
#define VMLAB_KERN_LOADCTL_H

#include <stddef.h>
#include <stdint.h>

#include "kern/ref.h"

/* One access a task ran, as the policy hears of it. */
typedef struct lc_access {
	size_t task;           /* index of the task, in the order added */
	uint64_t va;           /* the access (ws counts its pages) */
	uint32_t size;
	int kind;
	uint64_t faults;       /* page faults it took (minor and major) */
	uint64_t task_cpu_ns;  /* the task's CPU time after it */
	uint64_t cpu_ns;       /* the system's CPU time after it */
} lc_access_t;

/* What the scheduler must do now. */
typedef struct lc_action {
	size_t suspend;        /* a task to suspend (its pages reclaimed), or SIZE_MAX */
	size_t resume;         /* a task to resume, or SIZE_MAX */
} lc_action_t;

typedef struct lc_ops {
	const char *name;      /* "off", "pff", "ws" */
	/* The policy's state for vm (its cfg).  0 or VM_ENOMEM. */
	int (*create)(void **state, vm_machine_t *vm);
	void (*destroy)(void *state);
	/* Task i (the next index) is added: 1 it runs, 0 it waits (suspended
	 * from the start), or VM_ENOMEM. */
	int (*add)(void *state, size_t i);
	/* After an access of an active task. */
	void (*access)(void *state, const lc_access_t *a, lc_action_t *act);
	/* Task i is done (it was active). */
	void (*done)(void *state, size_t i, lc_action_t *act);
} lc_ops_t;

/* The table of mode (VM_LC_OFF, VM_LC_PFF, VM_LC_WS); mode is checked by
 * vm_config_check. */
const lc_ops_t *lc_find(int mode);

#endif
