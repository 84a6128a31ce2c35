/* sched.h - layer 12: the simulated clock and the scheduler (prefix
 * sched_), above the reference engine; its functions are the public
 * vm_sched_ ones of vmlab_sched.h. */
#ifndef VMLAB_KERN_SCHED_H
#define VMLAB_KERN_SCHED_H

#include "kern/ref.h"
#include "vmlab_sched.h"

#endif
