/* kern.h - the kernel's internal view of a machine.  Not part of the public
 * API (include/vmlab.h); shared by the files of src/kern/.
 *
 * Prefixes: proc_ (processes and their page tables), frame_ (user frames and
 * the reverse map), swap_ (swap slots), fault_ (the fault handler and
 * eviction), vm_ (the machine as a whole). */
#ifndef VMLAB_KERN_H
#define VMLAB_KERN_H

#include <stdint.h>

#include "vmlab.h"
#include "hw/mmu.h"
#include "hw/phys.h"
#include "hw/pte.h"
#include "hw/tlb.h"
#include "policy/policy.h"

#define RMAP_NONE UINT32_MAX
#define SLOT_NONE UINT64_MAX
#define PROC_NONE UINT32_MAX

typedef struct proc {
	uint32_t pid;          /* as the workload names it */
	uint32_t asid;         /* address-space id tagging TLB entries */
	uint64_t root_pfn;     /* kernel frame of the L1 table (the "CR3") */
	uint64_t resident;     /* pages of this process in frames now */
} proc_t;

/* One PTE that maps a frame. */
typedef struct rmap {
	uint64_t pte_pa;       /* where the PTE lives */
	uint64_t vpn;
	uint32_t proc;         /* index into vm->procs */
	uint32_t next;         /* next mapping of the same frame, or RMAP_NONE */
} rmap_t;

typedef struct frame {
	uint64_t swap_slot;    /* slot holding a copy of the page, or SLOT_NONE */
	uint32_t rmap;         /* first mapping, RMAP_NONE when free */
	uint32_t used;         /* allocated to a page */
} frame_t;

/* A set of numbers 0..n-1 handed out lowest first. */
typedef struct idset {
	uint64_t *bits;        /* 1 = in use */
	uint64_t nwords;
	uint64_t hint;         /* no free number below word hint */
	uint64_t used;
	uint64_t limit;        /* numbers available; UINT64_MAX = grows on demand */
} idset_t;

struct vm_machine {
	vm_config_t cfg;
	geom_t g;
	phys_t phys;
	tlb_t tlb;
	mmu_t mmu;
	vm_stats_t st;

	proc_t *procs;         /* by index = asid */
	uint32_t nprocs, procs_cap;
	uint32_t *pid_index;   /* open-addressing pid -> proc index, PROC_NONE empty */
	uint32_t pid_index_cap;/* power of two */
	uint32_t last_proc;    /* cache of the last lookup */

	frame_t *frames;       /* cfg.frames entries */
	idset_t free_frames;
	rmap_t *rmaps;
	uint32_t nrmaps, rmaps_cap, rmap_free;

	idset_t swap;          /* slots in use */

	const policy_ops_t *pol;
	void *pol_state;
	void *frame_priv;
	const uint64_t *next_use;
};

/* idset.c */
int idset_init(idset_t *s, uint64_t limit);
void idset_free(idset_t *s);
/* Take the lowest free number into *id; VM_ENOSPC when all limit are used. */
int idset_take(idset_t *s, uint64_t *id);
void idset_put(idset_t *s, uint64_t id);

/* proc.c */
/* The process with this pid, created (with an empty root table) on first use.
 * *out gets its index.  Returns 0 or VM_ENOMEM. */
int proc_get(vm_machine_t *vm, uint32_t pid, uint32_t *out);
/* Physical address of va's leaf PTE in process p, creating missing tables.
 * Returns 0 or VM_ENOMEM. */
int proc_pte_alloc(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t *pte_pa);

/* frame.c */
/* Record that the PTE at pte_pa (process p, page vpn) maps frame f. */
int frame_rmap_add(vm_machine_t *vm, uint32_t f, uint32_t p, uint64_t vpn, uint64_t pte_pa);
/* Forget every mapping of f (the PTEs themselves are the caller's). */
void frame_rmap_clear(vm_machine_t *vm, uint32_t f);

/* fault.c */
/* Handle a fault the MMU raised for process p at va; afterwards the access can
 * be retried.  Returns 0 or a negative vm_err_t (VM_ENOSPC, VM_ENOMEM). */
int fault_handle(vm_machine_t *vm, uint32_t p, uint64_t va, const mmu_result_t *r,
		 uint64_t seq);
/* Write back (if dirty) and unmap the page in frame f; f becomes free. */
int fault_evict(vm_machine_t *vm, uint32_t f);

#endif
