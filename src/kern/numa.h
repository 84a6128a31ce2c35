/* numa.h - layer 1, beside frame: NUMA nodes (prefix numa_).  --numa N
 * splits the user frames into N nodes of equal size (the last takes the
 * remainder); a process's home node is its pid modulo N; a new frame comes
 * from the node --mempolicy names (local: the home node, falling back to
 * the others in turn when it is full, as MPOL_PREFERRED; interleave: round
 * robin; bind:NODE: that node only). */
#ifndef VMLAB_KERN_NUMA_H
#define VMLAB_KERN_NUMA_H

#include <stdint.h>

#include "kern/base.h"

/* Whether the machine has nodes (cfg.numa_nodes >= 2 or 1). */
int numa_on(const vm_machine_t *vm);
/* The node of user frame f. */
uint32_t numa_node_of(const vm_machine_t *vm, uint64_t f);
/* Free frames on node n now. */
uint64_t numa_node_free(const vm_machine_t *vm, uint32_t n);
/* Whether numa_take can give a frame to process p now (bind: a frame free
 * on its node; otherwise any free frame). */
int numa_can_take(const vm_machine_t *vm, uint32_t p);
/* Take a free frame for process p under the memory policy into *f (the
 * lowest free one of the node chosen; numa_can_take said yes); a frame from
 * a node other than the one chosen counts in numa_foreign.  VM_ENOSPC: no
 * frame free where the policy allows. */
int numa_take(vm_machine_t *vm, uint32_t p, uint64_t *f);
/* Count one data reference of p to frame f: numa_local or numa_remote. */
void numa_count(vm_machine_t *vm, uint32_t p, uint64_t f);

#endif
