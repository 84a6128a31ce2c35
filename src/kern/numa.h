/* numa.h - layer 1, beside frame: NUMA nodes (prefix numa_).  --numa N
 * splits the user frames into N nodes of equal size (the last takes the
 * remainder); a process's home node is its pid modulo N; a new frame comes
 * from the node --mempolicy names (local: the home node, falling back to
 * the others in turn when it is low, as MPOL_PREFERRED; interleave: round
 * robin per process, as a task's MPOL_INTERLEAVE; bind:NODE: that node
 * only).  Each node has its own watermarks (the machine's, scaled to the
 * node's share of the frames, as Linux splits min_free_kbytes among zones)
 * and its own lists of the replacement policy (one policy state a node, as
 * Linux's per-node LRU lists), so that reclaim works on one node. */
#ifndef VMLAB_KERN_NUMA_H
#define VMLAB_KERN_NUMA_H

#include <stdint.h>

#include "kern/base.h"

/* A node's watermarks (numa_below). */
enum { NUMA_WMARK_MIN, NUMA_WMARK_LOW, NUMA_WMARK_HIGH };
/* numa_choose: reclaim first. */
#define NUMA_RECLAIM 1

/* Whether the machine has nodes (cfg.numa_nodes >= 2 or 1). */
int numa_on(const vm_machine_t *vm);
/* Host bytes the nodes take (charged with the machine); 0 without NUMA. */
uint64_t numa_bytes(const vm_config_t *cfg);
/* Create the policy pol once a node (env as for one policy, whose frames
 * each node's state sees renumbered from 0) behind a policy table that sends
 * every call to the state of the frame's node; vm->pol and vm->pol_state
 * become that table and its state.  VM_ENOMEM. */
int numa_policy_create(vm_machine_t *vm, const policy_ops_t *pol, const policy_env_t *env);
/* The node of user frame f. */
uint32_t numa_node_of(const vm_machine_t *vm, uint64_t f);
/* Free frames on node n now. */
uint64_t numa_node_free(const vm_machine_t *vm, uint32_t n);
/* Node n's watermark w (NUMA_WMARK_*), in frames. */
uint32_t numa_wmark(const vm_machine_t *vm, uint32_t n, int w);
/* Whether node n has fewer free frames than its watermark w. */
int numa_below(const vm_machine_t *vm, uint32_t n, int w);
/* Where process p's next frame comes from, into *n: VM_OK, take it there
 * (numa_take); NUMA_RECLAIM, reclaim first: the nodes the policy allows are
 * all at or below their min watermark, and reclaim now works on *n
 * (numa_reclaim_on): under bind its node, else the next node that holds
 * pages after the one reclaimed last (a hand over the nodes, from node 0),
 * with the fallback on any node; VM_ENOSPC, no frame can come from
 * anywhere the policy allows. */
int numa_choose(vm_machine_t *vm, uint32_t p, uint32_t *n);
/* Whether a frame for process p can come from a node the policy allows
 * that has more free than its low watermark (so without any reclaim). */
int numa_room(vm_machine_t *vm, uint32_t p);
/* Take the lowest free frame of node n (numa_choose said VM_OK) for process
 * p into *f; a node other than the one the policy wanted counts in
 * numa_foreign, and interleave moves p on to its next node. */
int numa_take(vm_machine_t *vm, uint32_t p, uint32_t n, uint64_t *f);
/* From now on reclaim works on node n: the policy's victim comes from node
 * n's lists; the pages that need no new slot (the fallback when the victim
 * cannot be written) come from node n, or from any node when wide. */
void numa_reclaim_on(vm_machine_t *vm, uint32_t n, int wide);
/* Whether the node reclaim works on holds no page of the policy (0 without
 * NUMA). */
int numa_reclaim_empty(const vm_machine_t *vm);
/* Whether reclaim's fallback may take frame f (1 without NUMA). */
int numa_reclaim_may(const vm_machine_t *vm, uint64_t f);
/* Huge pages (a THP run or a hugetlb pool page: all its frames on one
 * node).  The k-th node a huge page for process p may come from (k = 0, 1,
 * ...), or UINT32_MAX past the last: the policy's node first (local: the
 * home node; interleave: p's next; bind: its node, and no other), then the
 * others in turn. */
uint32_t numa_huge_node(const vm_machine_t *vm, uint32_t p, uint32_t k);
/* A huge page for p came from node n: numa_foreign when n is not the node
 * the policy wanted; interleave moves p on to its next node. */
void numa_huge_took(vm_machine_t *vm, uint32_t p, uint32_t n);
/* Node n's frames: [*lo, *hi) (needs only the configuration). */
void numa_node_range(const vm_machine_t *vm, uint32_t n, uint64_t *lo, uint64_t *hi);
/* Under bind: 1 and its node into *n; else 0. */
int numa_bound(const vm_machine_t *vm, uint32_t *n);
/* Count one data reference of p to frame f: numa_local or numa_remote. */
void numa_count(vm_machine_t *vm, uint32_t p, uint64_t f);

#endif
