/* mach.h - the kernel's shared data: the machine and what it is made of
 * (frames, reverse map, processes, regions, objects, shadow entries) and the
 * table of what differs between trace and script mode.  Types only: every
 * function is declared in the header of its layer (see README.md here). */
#ifndef VMLAB_KERN_MACH_H
#define VMLAB_KERN_MACH_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"
#include "vmlab_sys.h"
#include "hw/mmu.h"
#include "hw/phys.h"
#include "hw/pte.h"
#include "hw/tlb.h"
#include "policy/policy.h"
#include "util/budget.h"

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
	uint8_t huge;          /* VMA_HUGE_*: madvise's hint, or a hugetlb region
				  (in the padding: vma_t keeps its size) */
	uint64_t zero_from;    /* file region: bytes from this VA on read as 0; 0 none */
	uint64_t grow_floor;   /* grows down to this VA on a fault below; 0 never */
} vma_t;

/* The swap slot of one page of a shared anonymous object. */
typedef struct obj_slot {
	uint64_t pgoff;
	uint64_t slot;         /* SLOT_NONE: an empty table entry */
} obj_slot_t;

/* vma_t.huge: what huge pages a region may have. */
enum {
	VMA_HUGE_DEFAULT = 0,  /* transparent huge pages if --thp always */
	VMA_HUGE_ADVISED,      /* madvise hugepage: also under --thp madvise */
	VMA_HUGE_NEVER,        /* madvise nohugepage: no transparent huge pages */
	VMA_HUGE_TLB,          /* mmap ... huge: only huge pages, from the pool */
};

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
	uint32_t hugetlb;      /* of resident, pages of hugetlb pool pages it maps
				  (never reclaimed: the OOM killer leaves them out;
				  frames are 32-bit.  In the padding: proc_t keeps
				  its size) */
	uint64_t brk;          /* program break */
	uint64_t brk_base;     /* brk never goes below; 0: VM_HEAP_BASE */
	uint8_t linux_names;   /* maps names regions as /proc/PID/maps (after exec) */
	uint8_t reclaim_first; /* suspended by load control: its pages are the first
				  victims (reclaim_first; in the padding too) */
	uint16_t numa_home;    /* 1 + the home node `numa P NODE` set (nodes <= 1024);
				  0: pid mod nodes.  (In the padding: proc_t keeps its size) */
	uint16_t numa_il;      /* --mempolicy interleave: the node of its next frame */
	uint64_t fault_addr;   /* SIGSEGV address */
	const char *fault_reason;
	vma_t *vmas;           /* sorted by start, disjoint */
	uint32_t nvmas, vmas_cap;
	/* Accounting (vm_proc_acct): faults taken while this process ran
	 * (getrusage's ru_minflt, ru_majflt), resident pages at most
	 * (/proc/PID/status's VmHWM), and under the scheduler its CPU and
	 * blocked time. */
	uint64_t minflt, majflt, hwm;
	uint64_t cpu_ns, blocked_ns;
	uint8_t scheduled;     /* the scheduler has run it */
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
	uint8_t zram;          /* holds part of the zRAM store (not free, no page) */
	uint8_t hugetlb;       /* in the hugetlb pool for good (not free; mapped by
				  one huge entry, or used 0: a free pool page);
				  the policy never hears of it */
	uint32_t flush_seen;   /* --dirty-expire: the flusher's wake-up that first
				  found this page dirty, 0 none (in the padding:
				  frame_t keeps its 40 bytes) */
} frame_t;

/* A set of numbers 0..n-1 handed out lowest first. */
typedef struct idset {
	uint64_t *bits;        /* 1 = in use */
	uint64_t nwords;
	uint64_t hint;         /* no free number below word hint */
	uint64_t used;
	uint64_t limit;        /* numbers available; UINT64_MAX = grows on demand */
} idset_t;

/* What differs between trace mode (no page contents; every page private
 * anonymous memory mapped rwx; swap slots are bookkeeping) and script mode
 * (regions, files, copy-on-write, a real swap file): one const table each
 * (fault.h: kmode_trace, kmode_script), chosen once by vm_create.  Shared
 * code calls through vm->mode and never tests cfg.bytes. */
typedef struct kmode {
	const char *name;      /* "trace" or "script" */
	const char *frames_note; /* what the --max-memory message adds about frames */
	/* Host bytes one frame costs beyond its frame_t and the policy's bytes. */
	uint64_t (*frame_bytes)(const geom_t *g);
	/* The mode's own parts of a new machine; the reason for a failure
	 * into err (VM_ENOMEM, VM_EIO). */
	int (*init)(vm_machine_t *vm, char *err, size_t errlen);
	/* The process an access by pid runs in, into *p: trace mode creates it
	 * on first use, script mode needs a live one (VM_ESRCH). */
	int (*lookup)(vm_machine_t *vm, uint32_t pid, uint32_t *p);
	/* Handle a fault the MMU raised for p at va; afterwards the access
	 * can be retried.  0 or a negative vm_err_t. */
	int (*fault)(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
		     const mmu_result_t *r, uint64_t seq);
	/* Write back (if dirty) and unmap the page in used frame f, leaving the
	 * frame to the caller.  A failure changes nothing. */
	int (*evict)(vm_machine_t *vm, uint32_t f);
	/* Free one frame for incoming (direct: a faulting process, which may
	 * count it and call the OOM killer; else the page daemon).  0 or a
	 * negative vm_err_t. */
	int (*reclaim)(vm_machine_t *vm, const policy_page_t *incoming, int direct);
	/* The mode's own invariants (NULL: none beyond the shared ones). */
	int (*check)(vm_machine_t *vm, char *err, size_t errlen);
} kmode_t;

/* One page in the zRAM store (zram.c): the compressed copy of a swap slot.
 * Entry indices start at 1; 0 is none. */
typedef struct zram_ent {
	uint64_t slot;           /* the swap slot whose copy this is */
	uint8_t *data;           /* script mode: the compressed bytes; trace: NULL */
	uint32_t len;            /* compressed bytes */
	uint32_t older, newer;   /* the age list, oldest first; free entries: next free */
} zram_ent_t;

/* The compressed store in front of the swap file (--zram). */
typedef struct zram {
	uint64_t size;           /* compressed bytes at most; 0: no zRAM */
	zram_ent_t *ents;        /* [cap + 1] */
	uint32_t cap, hwm, free;
	uint32_t oldest, newest;
	uint32_t *by_slot;       /* [slots_cap]: entry of each swap slot, 0 none */
	uint64_t slots_cap;
	uint32_t frames;         /* user frames the store holds (zram = 1) */
	uint8_t *cbuf;           /* script mode: a compression buffer */
	size_t cbuf_len;
	uint8_t *page;           /* script mode: a page for writeback */
	vm_zram_stats_t st;
} zram_t;

/* One non-resident page's shadow.  Entry indices start at 1; 0 is none. */
typedef struct shadow_ent {
	page_key_t key;
	policy_shadow_t cookie;
	uint32_t hnext;          /* next in the hash bucket; free entries: next free */
	uint32_t older, newer;   /* the age list, oldest first */
	uint32_t oprev, onext;   /* the list of its object (file pages) */
	uint32_t obj;            /* page-cache page of this object, or UINT32_MAX */
} shadow_ent_t;

typedef struct shadow_table {
	shadow_ent_t *ents;      /* [cap + 1]; ents[0] unused */
	uint32_t *buckets;       /* nbuckets heads, a power of two */
	uint32_t nbuckets;
	uint32_t cap;            /* entries allocated */
	uint32_t hwm;            /* entries ever handed out (1..hwm) */
	uint32_t free;           /* first free entry below hwm, 0 if none */
	uint32_t used;           /* live entries */
	uint32_t max;            /* live entries at most: SHADOW_PER_FRAME * frames */
	uint32_t oldest, newest;
	uint32_t *obj_head;      /* [obj_cap]: first entry of each object's list */
	uint32_t obj_cap;
	uint64_t bytes;          /* charged to BUDGET_SHADOW */
} shadow_table_t;

struct vm_machine {
	const kmode_t *mode;   /* trace or script, fixed at creation */
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
	uint32_t nreclaim_first; /* processes whose pages go first (reclaim_first) */
	uint32_t reclaim_hand; /* frames below it map no such process's page only */
	char io_error[1024];   /* the last host I/O failure in words, "" if none */

	shadow_table_t shadow; /* shadows of reclaimed pages (shadow.c) */
	const policy_ops_t *pol;
	void *pol_state;
	void *frame_priv;
	const uint64_t *next_use;
	uint64_t tick_at;      /* st.references at which pol->on_tick runs next;
				  UINT64_MAX: never (no tick, or no on_tick) */
	vm_step_t *step;       /* vm_ref_step's record while it runs, else NULL */
	tlb_t htlb;            /* huge entries (--tlb-huge); no sets: they share tlb */
	struct huge *huge;     /* huge pages' state (huge.h); NULL while none can exist */
	uint8_t ktables_full;  /* --pte-size 4: a table found no frame number left */
	uint64_t kroot_pfn;    /* kernel half: root of the kernel's own tables,
				  whose kernel-half entries every root shares */
	uint64_t tramp_pte;    /* kpti: the user roots' one kernel-half entry (the
				  last), to the trampoline's own tables */
	uint64_t user_mask;    /* VA bits a user reference may not set (past
				  va_bits; with the kernel half, bit va_bits-1) */
	uint32_t run_proc;     /* process the CPU runs; PROC_NONE before the first */
	uint32_t user_proc;    /* run_proc while in user mode, else PROC_NONE */
	vm_kstats_t kst;
	zram_t zram;           /* the compressed swap tier (zram.c) */
	vm_numa_stats_t numa_st; /* NUMA counters (numa.c) */
	uint32_t numa_il_next; /* --mempolicy interleave: the next node of a frame
				  for no process */
	struct numa *numa;     /* the nodes (numa.c); NULL without --numa */
	uint32_t numa_proc;    /* the process index a fault allocates for */
	uint64_t flusher_next; /* --dirty-expire: the clock reading of the flusher's
				  next wake-up (flusher.c) */
	uint32_t flusher_wakes;/* its wake-ups so far (frame_t.flush_seen's numbers) */
	uint8_t flusher_timed; /* the scheduler's clock drives it, not references */
	/* The scheduler's state as --timeline prints it: sched.c writes it
	 * after each access it runs, ref.c reads it (calls go down only). */
	struct kclock {
		uint8_t on;        /* vm_sched_run is running */
		uint8_t header;    /* the timeline's last header: 0 none, 1 plain,
				      2 with the scheduler's columns */
		uint8_t due;       /* a line fell due during the access running */
		uint32_t runnable, blocked; /* processes now (running counts as runnable) */
		uint64_t now, cpu_ns, iowait_ns; /* the clock, CPU busy, idle waiting for the disk */
		uint64_t line_now, line_cpu, line_iowait; /* the same at the last line */
	} kclock;
};

#define KASID_BIT TLB_ASID_PAIR /* kpti: the kernel root's asid (PCID pair) */

#endif
