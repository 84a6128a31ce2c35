/* kern.h - the kernel's internal view of a machine.  Not part of the public
 * API (include/vmlab.h); shared by the files of src/kern/.
 *
 * Prefixes: proc_ (processes and their page tables), frame_ (user frames and
 * the reverse map), swap_ (swap slots), fault_ (the fault handler and
 * eviction), step_ (what one reference did, for vm_ref_step), vm_ (the
 * machine as a whole). */
#ifndef VMLAB_KERN_H
#define VMLAB_KERN_H

#include <stdint.h>

#include "vmlab.h"
#include "vmlab_sys.h"
#include "hw/mmu.h"
#include "hw/phys.h"
#include "hw/pte.h"
#include "hw/tlb.h"
#include "policy/policy.h"
#include "util/budget.h"
#include "kern/shadow.h"

#define RMAP_NONE UINT32_MAX
#define SLOT_NONE UINT64_MAX
#define PROC_NONE UINT32_MAX
#define OBJ_NONE UINT32_MAX
#define FRAME_NIL UINT32_MAX

/* A region of an address space (a VMA). */
typedef struct vma {
	uint64_t start, end;   /* page aligned, end exclusive */
	uint64_t pgoff;        /* page of obj mapped at start */
	uint32_t obj;          /* backing object, OBJ_NONE for private anonymous */
	uint8_t prot;          /* VM_PROT_* */
	uint8_t shared;        /* writes reach obj (and other sharers) */
	uint8_t kind;          /* vm_region_kind_t */
	uint64_t zero_from;    /* file region: bytes from this VA on read as 0; 0 none */
	uint64_t grow_floor;   /* grows down to this VA on a fault below; 0 never */
} vma_t;

/* The swap slot of one page of a shared anonymous object. */
typedef struct obj_slot {
	uint64_t pgoff;
	uint64_t slot;         /* SLOT_NONE: an empty table entry */
} obj_slot_t;

/* A backing object: a real file, or shared anonymous memory. */
typedef struct vobj {
	char *path;            /* host path; NULL for shared anonymous memory */
	int fd;                /* host file, -1 for anonymous */
	uint64_t dev, ino;     /* identity, so two mappings share one page cache */
	uint64_t size;         /* file size in bytes at open (anonymous: pages*size) */
	uint64_t npages;       /* anonymous: pages of the object */
	obj_slot_t *slots;     /* anonymous: slots of the pages written out, open
				  addressing by pgoff (cost per page swapped, not per
				  page mapped); NULL until the first */
	uint64_t slots_cap, slots_used;
	uint32_t refs;         /* regions mapping it */
} vobj_t;

typedef struct proc {
	uint32_t pid;          /* as the workload names it */
	uint32_t asid;         /* address-space id tagging TLB entries */
	uint64_t root_pfn;     /* kernel frame of the L1 table (the "CR3") */
	uint64_t resident;     /* pages of this process in frames now */
	uint64_t swapped;      /* PTEs of this process holding a swap entry */
	vm_proc_state_t state;
	uint64_t brk;          /* program break */
	uint64_t brk_base;     /* brk never goes below; 0: VM_HEAP_BASE */
	uint8_t linux_names;   /* maps names regions as /proc/PID/maps (after exec) */
	uint64_t fault_addr;   /* SIGSEGV address */
	const char *fault_reason;
	vma_t *vmas;           /* sorted by start, disjoint */
	uint32_t nvmas, vmas_cap;
} proc_t;

/* One PTE that maps a frame. */
typedef struct rmap {
	uint64_t pte_pa;       /* where the PTE lives */
	uint64_t vpn;
	uint32_t proc;         /* index into vm->procs */
	uint32_t next;         /* next mapping of the same frame, or RMAP_NONE */
	uint32_t prev;         /* previous one, RMAP_NONE for the first */
	uint32_t hnext;        /* next entry in the same bucket of vm->rmap_hash */
} rmap_t;

typedef struct frame {
	uint64_t swap_slot;    /* slot holding a copy of the page, or SLOT_NONE */
	uint64_t pgoff;        /* page of obj, for page-cache pages */
	uint32_t rmap;         /* first mapping, RMAP_NONE when none */
	uint32_t refs;         /* mappings (= reverse-map entries) */
	uint32_t obj;          /* page-cache page of this object, or OBJ_NONE (anonymous) */
	uint32_t hnext;        /* next frame in the page-cache hash chain */
	uint8_t used;          /* allocated to a page */
	uint8_t dirty;         /* dirty beyond what the PTEs say (a dirty PTE was removed) */
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
	budget_t budget;       /* host memory, against cfg.max_memory */
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
	uint32_t *rmap_hash;   /* pte_pa -> entry of rmaps (rmaps_cap buckets), so
				  that unmapping one PTE of a page shared by
				  many processes does not walk all its mappings */

	idset_t swap;          /* slots in use */
	uint32_t *swap_count;  /* script mode: references to each slot (PTEs,
				  swap cache, objects) */
	uint32_t *swap_cache;  /* script mode: frame caching each slot, or FRAME_NIL */
	uint64_t swap_cap;     /* entries of the two arrays */
	int swap_fd;           /* script mode: the swap file */

	vobj_t *objs;
	uint32_t nobjs, objs_cap;
	uint32_t *pcache;      /* page-cache hash buckets of frame numbers */
	uint32_t pcache_mask;

	vm_sys_stats_t sys;
	uint8_t *scratch;      /* script mode: one page, for copy-on-write */
	uint32_t in_reclaim;   /* the page daemon is running (no recursion) */
	char io_error[1024];   /* the last host I/O failure in words, "" if none */

	shadow_table_t shadow; /* shadows of reclaimed pages (shadow.c) */
	const policy_ops_t *pol;
	void *pol_state;
	void *frame_priv;
	const uint64_t *next_use;
	uint64_t tick_at;      /* st.references at which pol->on_tick runs next;
				  UINT64_MAX: never (no tick, or no on_tick) */
	vm_step_t *step;       /* vm_ref_step's record while it runs, else NULL */
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
/* Give frame f back: the policy forgets it, it becomes free. */
void frame_release(vm_machine_t *vm, uint32_t f);
/* Free anonymous frame f if its last mapping is gone (page-cache pages stay
 * cached). */
void frame_put_anon(vm_machine_t *vm, uint32_t f);
/* Forget the mapping of f by the PTE at pte_pa. */
void frame_rmap_del(vm_machine_t *vm, uint32_t f, uint64_t pte_pa);
/* Hardware bits of the page in frame f, through every PTE that maps it
 * (the reverse map): any accessed bit set; the same, clearing those bits and
 * dropping their TLB entries; must be written back before reuse. */
bool vm_frame_young(vm_machine_t *vm, frame_id_t f);
bool vm_frame_test_and_clear_young(vm_machine_t *vm, frame_id_t f);
bool vm_frame_dirty(vm_machine_t *vm, frame_id_t f);
/* Those three bits as a policy's host gives them (policy_hw_ops_t; host:
 * the vm_machine_t). */
extern const policy_hw_ops_t frame_hw_ops;
/* Record that the PTE at pte_pa (process p, page vpn) maps frame f. */
int frame_rmap_add(vm_machine_t *vm, uint32_t f, uint32_t p, uint64_t vpn, uint64_t pte_pa);
/* Forget every mapping of f (the PTEs themselves are the caller's). */
void frame_rmap_clear(vm_machine_t *vm, uint32_t f);

/* Find the leaf PTE of va without creating tables: 0 and *pte_pa, or the
 * CS:APP number of the level whose entry is missing (the walk can skip the
 * span that entry covers). */
unsigned proc_pte_find(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t *pte_pa);
/* Bytes of VA one entry at CS:APP level `level` covers. */
uint64_t proc_level_span(const vm_machine_t *vm, unsigned level);
/* Call fn for every leaf PTE that exists in [start, end) of p, skipping the
 * spans of missing tables; stops at the first non-zero return, returned. */
typedef int (*proc_pte_fn)(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg);
int proc_each_pte(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end, proc_pte_fn fn,
		  void *arg);
/* Free every page table of p (its mappings must be gone). */
void proc_free_tables(vm_machine_t *vm, uint32_t p);
/* Create process pid (PROC_NONE-free number); *out gets its index. */
int proc_create(vm_machine_t *vm, uint32_t pid, uint32_t *out);
/* The index of pid without creating it, or PROC_NONE. */
uint32_t proc_lookup(vm_machine_t *vm, uint32_t pid);

/* fault.c */
/* Handle a fault the MMU raised for process p at va; afterwards the access can
 * be retried.  Returns 0 or a negative vm_err_t (VM_ENOSPC, VM_ENOMEM). */
int fault_handle(vm_machine_t *vm, uint32_t p, uint64_t va, const mmu_result_t *r,
		 uint64_t seq);
/* Write back (if dirty) and unmap the page in frame f; f becomes free.
 * VM_ENOSPC if it needs a swap slot and none is free. */
int fault_evict(vm_machine_t *vm, uint32_t f);
/* A free frame: the lowest free one, or the policy's victim once evicted
 * (script mode: direct reclaim below the min watermark, the OOM killer when
 * nothing can be evicted). */
int fault_get_frame(vm_machine_t *vm, const policy_page_t *pg, uint32_t *f);
/* Undo fault_get_frame for a frame the policy was not told about yet. */
void fault_put_frame(vm_machine_t *vm, uint32_t f);
/* The page daemon: below the low watermark, reclaim up to the high one. */
void fault_page_daemon(vm_machine_t *vm);

/* sysfault.c: the script-mode fault handler (regions, COW, files, swap). */
int sysfault_handle(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
		    const mmu_result_t *r);
/* PTE flags for a page of region v (COW pages stay read-only). */
uint64_t sysfault_pte_flags(const vma_t *v, int cow);

/* swap.c: slots with reference counts and the swap cache (script mode). */
/* Open the swap file (script mode); the reason for a failure into err. */
int swap_init(vm_machine_t *vm, char *err, size_t errlen);
void swap_fini(vm_machine_t *vm);
int swap_alloc(vm_machine_t *vm, uint64_t *slot);      /* count 1 */
void swap_get(vm_machine_t *vm, uint64_t slot);        /* count + 1 */
void swap_put(vm_machine_t *vm, uint64_t slot);        /* count - 1, freed at 0 */
/* Frame f stops caching its swap slot (its copy is stale or unwanted). */
void swap_uncache(vm_machine_t *vm, uint32_t f);
int swap_write(vm_machine_t *vm, uint64_t slot, const void *page);
int swap_read(vm_machine_t *vm, uint64_t slot, void *page);

/* io.c: host file I/O of script mode. */
/* Write / read all len bytes at byte at, retrying short transfers.  Returns
 * 0 or the host errno (kio_pread: -1 when the file ends first). */
int kio_pwrite(int fd, const void *buf, size_t len, uint64_t at);
int kio_pread(int fd, void *buf, size_t len, uint64_t at);
/* Record "<what>: <strerror(err)>" as the machine's last I/O failure;
 * returns VM_EIO. */
int kio_fail(vm_machine_t *vm, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* obj.c: backing objects and the page cache. */
/* The object of the regular file at path (shared with mappings already open),
 * one more reference.  VM_ENOENT: no such file; VM_ENOTSUP: not a regular
 * file (found without blocking on a FIFO); VM_EIO: it cannot be opened. */
int obj_open_file(vm_machine_t *vm, const char *path, uint32_t *out);
int obj_new_anon(vm_machine_t *vm, uint64_t pages, uint32_t *out);
void obj_get(vm_machine_t *vm, uint32_t o);
/* The swap slot of page pgoff of anonymous object o, or SLOT_NONE. */
uint64_t obj_slot(const vm_machine_t *vm, uint32_t o, uint64_t pgoff);
/* Record slot for page pgoff of anonymous object o (it had none).  Returns 0,
 * VM_ENOMEM or VM_ELIMIT. */
int obj_slot_set(vm_machine_t *vm, uint32_t o, uint64_t pgoff, uint64_t slot);
/* Call fn(arg, slot) for every swap slot anonymous object o holds. */
void obj_each_slot(const vm_machine_t *vm, uint32_t o, void (*fn)(void *arg, uint64_t slot),
		   void *arg);
/* Drop a region's reference; the last one writes back and frees its pages. */
int obj_put(vm_machine_t *vm, uint32_t o);
uint32_t pcache_find(vm_machine_t *vm, uint32_t o, uint64_t pgoff);
void pcache_add(vm_machine_t *vm, uint32_t f, uint32_t o, uint64_t pgoff);
void pcache_del(vm_machine_t *vm, uint32_t f);
/* Read page pgoff of o into frame f (file: from the file, zeros past its
 * end; anonymous: from its swap slot or zeros).  Counts file_reads /
 * swap_ins.  Returns 0 or VM_EIO. */
int obj_read_page(vm_machine_t *vm, uint32_t o, uint64_t pgoff, uint32_t f);
/* Write frame f back to its object (file bytes within the file's size, or
 * the swap slot of anonymous memory).  Counts the write-back only once it
 * succeeded; a failure (VM_EIO, recorded by kio_fail; VM_ENOSPC) changes
 * nothing, the caller keeps the page dirty. */
int obj_write_page(vm_machine_t *vm, uint32_t f);

/* vma.c: regions of a process. */
/* Index of the region holding va, or -1. */
int vma_find(const proc_t *pr, uint64_t va);
/* Index of the first region ending after va (nvmas if none). */
uint32_t vma_lower(const proc_t *pr, uint64_t va);
int vma_insert(vm_machine_t *vm, proc_t *pr, const vma_t *v);
/* Free the region array of pr (a process that ended). */
void vma_free_all(vm_machine_t *vm, proc_t *pr);
/* Make a region boundary at addr if a region spans it (the new half takes a
 * reference to the region's object). */
int vma_split(vm_machine_t *vm, proc_t *pr, uint64_t addr);
void vma_remove_at(proc_t *pr, uint32_t i);
/* Join neighbours that continue each other exactly. */
void vma_merge(proc_t *pr);

/* exec_support.c: the fault-path parts of exec (the rest is vmlab_sys.h). */
/* No region holds va of p: grow a grows-down region above it to cover va's
 * page if its floor and guard gap allow; returns its index, or -1 with the
 * SIGSEGV reason in *why. */
int exsup_grow(vm_machine_t *vm, uint32_t p, uint64_t va, const char **why);
/* Fault on the page of region v holding v->zero_from (not present, no swap
 * entry): the file page through the page cache, then a private copy with
 * the bytes from zero_from zeroed, mapped at va through pte_pa.  One fault,
 * major if the file was read. */
int exsup_tail_fault(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va, uint64_t pte_pa);

/* sys.c */
/* Unmap every page of [start, end) of p (regions untouched). */
int sys_zap_range(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end);
/* End process p in state st, releasing everything. */
int sys_kill(vm_machine_t *vm, uint32_t p, vm_proc_state_t st);

/* step.c */
/* Record in vm->step that frame f's page (pid, vpn) was evicted (dirty:
 * written back). */
void step_note_evict(vm_machine_t *vm, uint32_t f, uint32_t pid, uint64_t vpn, int dirty);

/* check.c */
int check_all(vm_machine_t *vm, char *err, size_t errlen);

/* The end of every system call: the invariant checker when cfg.check is
 * set (a broken invariant is a kernel bug: it stops the program); returns rc. */
int vm_after(vm_machine_t *vm, int rc);

/* Event log (--events); a no-op unless cfg.events is set. */
void vm_event(vm_machine_t *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
