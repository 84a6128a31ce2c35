/* vmlab_sched.h - simulated time and a round-robin scheduler over the
 * processes of a script-mode machine (prefix vm_sched_; src/kern/sched.c).
 *
 * The clock counts nanoseconds from 0.  A reference costs the CPU what the
 * effective access time charges it (TLB lookups, memory and page-walk
 * reads) and a minor fault --lat-minor more; an access that needs the disk
 * (a swap-in, a file read, the write-back of a dirty victim) blocks its
 * process while one in-order disk queue serves each request in lat.major_ns,
 * so a fault whose victim is dirty waits for that write-back before its own
 * read.  The page is mapped when the fault is taken; the process resumes
 * when the disk is done with its last request.  A process runs for a
 * quantum of CPU time, then goes to the tail of the run queue; a blocked
 * process yields the CPU, and the CPU idles when none can run. */
#ifndef VMLAB_SCHED_H
#define VMLAB_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"

typedef struct vm_sched vm_sched_t;

/* A task's next access into *va, *size, *kind (VM_READ, ...): 1, or 0 when
 * it has none left, or a negative vm_err_t (the run stops with it). */
typedef int (*vm_task_next_fn)(void *arg, uint64_t *va, uint32_t *size, int *kind);

typedef struct vm_task_stats {
	uint32_t pid;
	uint64_t cpu_ns;       /* references and minor faults */
	uint64_t blocked_ns;   /* waiting for the disk */
	uint64_t minflt, majflt;
	uint64_t accesses;     /* accesses run */
	int done;              /* its accesses ran out (or it was killed); it has exited */
} vm_task_stats_t;

typedef struct vm_sched_stats {
	uint64_t elapsed_ns;   /* the clock */
	uint64_t cpu_ns;       /* CPU busy */
	uint64_t disk_ns;      /* disk busy, up to the clock */
	uint64_t iowait_ns;    /* CPU idle while a process waited for the disk */
	uint64_t disk_requests;
	uint64_t switches;     /* context switches: a process got the CPU */
} vm_sched_stats_t;

/* A scheduler for vm's processes with a quantum of quantum_ns (0: 1 ms).
 * 0 or VM_ENOMEM. */
int vm_sched_create(vm_sched_t **out, vm_machine_t *vm, uint64_t quantum_ns);
void vm_sched_destroy(vm_sched_t *s);
/* Live process pid runs next's accesses, from the tail of the run queue.
 * VM_ESRCH (not alive), VM_EEXIST (a task already), VM_ENOMEM. */
int vm_sched_add(vm_sched_t *s, uint32_t pid, vm_task_next_fn next, void *arg);
/* Run until every task is done (for_ns 0) or for for_ns of simulated time.
 * A task done exits (its process's memory released).  0, or the negative
 * vm_err_t of a task's next or of vm_access (not VM_EFAULT or VM_EKILLED:
 * a killed process is done). */
int vm_sched_run(vm_sched_t *s, uint64_t for_ns);
const vm_sched_stats_t *vm_sched_stats(const vm_sched_t *s);
size_t vm_sched_ntasks(const vm_sched_t *s);
/* Task i, in the order added. */
const vm_task_stats_t *vm_sched_task(const vm_sched_t *s, size_t i);
/* Processes runnable (running included) and blocked now. */
void vm_sched_load(const vm_sched_t *s, uint32_t *runnable, uint32_t *blocked);

#endif
