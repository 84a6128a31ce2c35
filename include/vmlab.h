/* vmlab.h - the public API: build a simulated machine, feed it references,
 * read its counters (prefix vm_).
 *
 * A machine is the hardware (physical frames, TLB, MMU walking multi-level
 * page tables that live in simulated physical memory) plus the kernel's
 * demand paging for traces: every page a process touches is anonymous memory
 * that may be read, written and executed; first touch is a zero-fill minor
 * fault, a page with a swap copy comes back with a major fault, and when no
 * user frame is free the replacement policy picks a victim.
 */
#ifndef VMLAB_H
#define VMLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab_err.h"

typedef struct vm_machine vm_machine_t;

/* Latencies behind effective_access_ns, in nanoseconds. */
typedef struct vm_latency {
	double tlb_ns;        /* one TLB lookup */
	double mem_ns;        /* one memory access (data or PTE) */
	double minor_ns;      /* servicing a minor fault */
	double major_ns;      /* servicing a major fault (a page read from swap) */
	double writeback_ns;  /* writing one dirty page back */
	double zram_store_ns; /* compressing one page into zRAM (default 5000) */
	double zram_load_ns;  /* decompressing one page from zRAM (default 2000) */
} vm_latency_t;

struct vm_stats;

typedef struct vm_config {
	unsigned page_size;   /* bytes, power of two 16..65536 */
	unsigned va_bits;
	unsigned pa_bits;
	unsigned levels;      /* 0: derived from the page size */
	uint32_t frames;      /* user frames */
	uint32_t tlb_entries; /* 0: no TLB */
	uint32_t tlb_ways;
	const char *policy;   /* registry name */
	uint64_t seed;
	uint64_t swap_slots;  /* 0: unbounded (trace mode only) */
	vm_latency_t lat;
	uint64_t max_memory;  /* host-memory budget in bytes (page tables, objects,
				 processes, buffers); 0: unlimited */
	unsigned swappiness;  /* 0..200: how the linux policy weighs scanning
				 anonymous against file pages (default 60) */
	/* Script mode (the kernel side, vmlab_sys.h): */
	int bytes;            /* frames hold real contents; swap is a real file */
	const char *swap_file;/* swap file path; NULL: a temporary file */
	uint32_t wmark_min, wmark_low, wmark_high; /* free-frame watermarks */
	unsigned readahead;   /* extra pages read on swap-in and file faults */
	unsigned fault_around;/* a read fault on a file page maps the cached pages
				 of the aligned window of this many pages (a power
				 of two; 0 or 1: only the page), as Linux's
				 do_fault_around */
	uint64_t dirty_expire;/* the flusher writes back dirty shared-file pages
				 found dirty this long (kern/flush.c); 0: no flusher */
	int check;            /* run the invariant checker after every call */
	FILE *events;         /* if set, one line per fault and eviction */
	uint64_t timeline_every; /* if set, a vmstat-like line every N references */
	FILE *timeline;       /* ... written here */
	/* ... or, if set, handed to this instead (vmlab run's own columns):
	 * the counters and the free user frames at that reference */
	void (*timeline_fn)(void *arg, const struct vm_stats *s, uint64_t free_frames);
	void *timeline_arg;
	/* Clocks of the policies that keep time (aging, nru, wsclock): */
	uint64_t tick;        /* the policy's on_tick every tick references;
				 0: never (default 1000) */
	uint64_t tau;         /* working-set window in references (wsclock;
				 default 10000) */
	/* Huge pages (issue 9 item 1; kern/huge.c): */
	uint32_t tlb_huge_entries; /* the TLB of huge entries (default 32:4);
				      0: they share the base TLB */
	uint32_t tlb_huge_ways;
	int thp;              /* VM_THP_*: transparent huge pages (default never) */
	uint64_t khugepaged_every; /* script mode: a khugepaged pass every this
				      many references; 0: none (default) */
	uint32_t hugepages;   /* script mode: huge pages reserved at start for
				 `mmap ... huge` (hugetlbfs's pool); 0: none */
	uint32_t max_ptes_none; /* khugepaged collapses a range with at most this
				   many unmapped entries (default 511) */
	unsigned pte_size;    /* bytes of a page-table entry: 8 (0 means 8) or 4
				 (32-bit x86's layout; page tables then take
				 the frames right after the user frames) */
	int kernel_half;      /* addresses from 2^(va_bits-1) up are the kernel's
				 (trace mode; implied by kpti and by kernel-mode
				 references) */
	int kpti;             /* kernel page-table isolation: a root switch on
				 every kernel entry and exit */
	int asid_off;         /* a TLB without address-space ids: every switch
				 of root flushes the non-global entries */
	/* zRAM, a compressed swap tier in memory (vm_zram_stats): */
	uint64_t zram_size;   /* compressed bytes it holds at most; 0: no zRAM */
	int zram_zstd;        /* script mode: zstd instead of LZ4 */
	double zram_ratio;    /* trace mode: a page compresses to page/ratio bytes
				 (default 3.0) */
	int swap_none;        /* no swap device (--swap none): only zRAM, if any */
	/* NUMA (vm_numa_stats): */
	uint32_t numa_nodes;  /* user frames split into this many nodes; 0: one, no NUMA */
	int mempolicy;        /* VM_MPOL_*: where a new frame comes from */
	uint32_t numa_bind;   /* VM_MPOL_BIND: the node */
	double lat_remote_ns; /* a data reference to a remote node; 0: 2 x lat.mem_ns */
	/* Load control of the scheduler (vmlab_sched.h; kern/loadctl.c): */
	int load_control;     /* VM_LC_*: none, page-fault frequency, working set */
	uint64_t pff_window_ns; /* pff: a fault rate over this much CPU time (default 10 ms) */
	double pff_high;      /* pff: faults per CPU-second above which a process
				 suspends the newest (default 100) */
	double pff_low;       /* pff: system faults per CPU-second below which a
				 suspended process resumes (default 20) */
	uint64_t ws_tau;      /* ws: working-set window in references (default 100000) */
} vm_config_t;

/* --load-control: none, Chu and Opderbeck's page-fault frequency, Denning's
 * working-set admission. */
enum { VM_LC_OFF = 0, VM_LC_PFF, VM_LC_WS };

/* --thp: when a fault may map a transparent huge page. */
enum { VM_THP_NEVER = 0, VM_THP_ALWAYS, VM_THP_MADVISE };

/* Kernel-mode references, root switches and TLB flushes (issue 9 item 2). */
typedef struct vm_kstats {
	uint64_t kernel_references; /* page references made in kernel mode */
	uint64_t syscalls;          /* entries into the kernel */
	uint64_t root_switches;     /* root-table switches: process to process,
				       and with kpti every entry and exit */
	uint64_t tlb_flushes;       /* switches that flushed (asid_off) */
	uint64_t tlb_entries_flushed;
	uint64_t segfaults;         /* trace mode: user references to kernel
				       addresses, skipped */
	uint64_t kernel_pages;      /* kernel frames holding kernel memory, not
				       tables (kpti's trampoline, script mode's
				       kernel pages) */
} vm_kstats_t;

/* Kinds of vm_access for kernel-mode references (trace kinds KR KW KX). */
enum { VM_KREAD = 'r', VM_KWRITE = 'w', VM_KIFETCH = 'x' };

const vm_kstats_t *vm_kstats(vm_machine_t *m);

enum { VM_MPOL_LOCAL = 0, VM_MPOL_INTERLEAVE = 1, VM_MPOL_BIND = 2 };

/* Reference kinds for vm_ref (the same letters as trace kinds). */
enum { VM_READ = 'R', VM_WRITE = 'W', VM_IFETCH = 'X', VM_MODIFY = 'M' };

typedef struct vm_stats {
	uint64_t references;      /* page references after splitting */
	uint64_t reads, writes, ifetches;
	uint64_t distinct_pages;  /* distinct (pid, VPN) touched */
	uint64_t page_faults;     /* minor + major */
	uint64_t minor_faults, major_faults;
	uint64_t tlb_hits, tlb_misses;
	uint64_t page_walks;      /* = tlb_misses */
	uint64_t walk_memory_refs;/* PTEs read by walks */
	uint64_t evictions;
	uint64_t dirty_writebacks;
	uint64_t swap_ins, swap_outs;
	uint64_t page_table_pages;/* kernel frames holding page tables now */
	uint64_t resident_pages;  /* user frames in use now */
	uint64_t resident_pages_peak;
	uint64_t swap_slots_used; /* slots holding a page now */
	uint64_t processes;       /* processes created */
	uint64_t refaults;        /* faults on pages whose shadow entry was still known */
	uint64_t shadow_entries;  /* shadow entries of reclaimed pages kept now */
	/* Huge pages (all 0 while --thp is never): */
	uint64_t huge_tlb_hits;   /* tlb_hits served by a huge entry */
	uint64_t huge_tlb_misses; /* walks that ended at a huge leaf */
	uint64_t thp_fault_alloc; /* faults that mapped a huge page */
	uint64_t thp_fault_fallback; /* faults that could have, but found no free
				     aligned run of frames: a base page */
	uint64_t thp_collapse_alloc; /* huge pages khugepaged made */
	uint64_t thp_split;       /* huge pages split into base pages */
	uint64_t thp_bloat_bytes; /* bytes of base pages a huge page brought in
				     that no reference touched while it was huge */
	uint64_t thp_collapse_copies; /* base pages khugepaged copied into the
					 huge pages it made */
	uint64_t khugepaged_passes;   /* passes of khugepaged (script mode) */
	/* The hugetlb pool (--hugepages; all 0 without): */
	uint64_t hugetlb_pages;       /* huge pages in the pool */
	uint64_t hugetlb_free;        /* of them not mapped now */
	uint64_t hugetlb_reserved;    /* of the free ones, promised to mappings */
	uint64_t hugetlb_faults;      /* faults that mapped a pool page */
} vm_stats_t;

/* The defaults of `vmlab run`: 4 KiB pages, 48-bit VA, 52-bit PA, derived
 * levels, 64 frames, TLB 64:4, clock, seed 1, unbounded swap, tick 1000,
 * tau 10000; no load control (pff: window 10 ms, high 100, low 20; ws: tau
 * 100000). */
void vm_config_default(vm_config_t *cfg);

/* Check that cfg describes a machine that can be built (geometry, frames,
 * TLB shape, policy name), without building it.  Returns 0, or VM_EINVAL /
 * VM_ENOENT with a sentence in err. */
int vm_config_check(const vm_config_t *cfg, char *err, size_t errlen);

/* Build a machine.  next_use (may be NULL) is the future for policies that
 * need it: next_use[seq] is the seq of the next reference to the same page,
 * and it must cover every reference the machine will be given.
 * Returns 0, or a negative vm_err_t with a sentence in err. */
int vm_create(vm_machine_t **out, const vm_config_t *cfg,
	      const uint64_t *next_use, char *err, size_t errlen);
void vm_destroy(vm_machine_t *m);

/* One access by process pid of size bytes at va: one page reference per page
 * touched, ascending; VM_MODIFY makes the reads and then the writes.
 * Returns 0, or a negative vm_err_t (VM_ENOSPC: swap full; VM_ERANGE: beyond
 * the virtual address width; VM_ELIMIT: more than VM_ACCESS_MAX_PAGES pages,
 * or host memory past cfg.max_memory, see vm_limit_message). */
int vm_access(vm_machine_t *m, uint32_t pid, uint64_t va, uint32_t size, int kind);

/* One access of a batch for vm_access_batch: vm_access's arguments. */
typedef struct vm_access_rec {
	uint64_t va;      /* first byte */
	uint32_t size;    /* bytes */
	uint32_t pid;
	uint8_t kind;     /* VM_READ, VM_WRITE, VM_IFETCH or VM_MODIFY */
} vm_access_rec_t;

/* vm_access of a[0], ..., a[n-1] in order, stopping at the first that fails:
 * the same references, counters and results as n calls of vm_access, with
 * less work for each.  *done gets the number that succeeded (so a[*done] is
 * the one that failed).  Returns 0, or the failed access's error. */
int vm_access_batch(vm_machine_t *m, const vm_access_rec_t *a, size_t n, size_t *done);

/* The page references one access makes, in the order vm_access performs
 * them: pages ascending; for VM_MODIFY all the reads, then all the writes.
 * Calls fn(arg, vpn, kind) for each (kind 'R', 'W' or 'X') and stops at, and
 * returns, the first non-zero result.  size must be at least 1 and
 * va + size - 1 must not wrap.  Whoever needs the references ahead of time
 * (OPT's future) splits with this, so that its order is the machine's. */
static inline int vm_split_access(unsigned page_shift, uint64_t va, uint32_t size, int kind,
				  int (*fn)(void *arg, uint64_t vpn, int kind), void *arg)
{
	uint64_t first = va >> page_shift, last = (va + (size - 1)) >> page_shift;
	int passes = kind == VM_MODIFY ? 2 : 1;
	for (int pass = 0; pass < passes; pass++) {
		int k = kind == VM_MODIFY ? (pass ? VM_WRITE : VM_READ) : kind;
		for (uint64_t vpn = first;; vpn++) {
			int rc = fn(arg, vpn, k);
			if (rc || vpn == last) {
				if (rc)
					return rc;
				break;
			}
		}
	}
	return 0;
}

/* Pages one access of size bytes at va spans (va + size - 1 must not wrap). */
static inline uint64_t vm_access_pages(unsigned page_shift, uint64_t va, uint32_t size)
{
	return ((va + (size - 1)) >> page_shift) - (va >> page_shift) + 1;
}

/* The most pages one access may span (vm_access refuses more with
 * VM_ELIMIT): the 2 GiB a trace line may give, at 4 KiB pages, twice over.
 * Tiny pages would otherwise turn one line into 2^27 references. */
#define VM_ACCESS_MAX_PAGES (1ull << 20)

/* One reference to page vpn of process pid (kind R, W or X). */
int vm_ref(vm_machine_t *m, uint32_t pid, uint64_t vpn, int kind);

/* The counters now (brings the hardware's counters up to date). */
const vm_stats_t *vm_stats(vm_machine_t *m);

/* The zRAM tier's counters (all 0 without --zram). */
typedef struct vm_zram_stats {
	uint64_t stores;          /* pages compressed into the store */
	uint64_t loads;           /* major faults served from it (not swap_ins) */
	uint64_t rejects;         /* pages not compressing below 3/4 of a page */
	uint64_t writebacks;      /* oldest pages written to the swap file when full */
	uint64_t bytes_stored;    /* page bytes the store holds now (pages x page size) */
	uint64_t compressed_bytes;/* compressed bytes it holds now */
	uint64_t frames;          /* user frames it takes now: ceil(compressed / page) */
} vm_zram_stats_t;

const vm_zram_stats_t *vm_zram_stats(vm_machine_t *m);

/* NUMA's counters (all 0 without --numa). */
typedef struct vm_numa_stats {
	uint64_t local;           /* data references to a frame on the process's home node */
	uint64_t remote;          /* ... on another node (they pay lat_remote_ns) */
	uint64_t foreign;         /* frames allocated on a node other than the policy's choice */
} vm_numa_stats_t;

const vm_numa_stats_t *vm_numa_stats(vm_machine_t *m);
/* Free user frames on node n now (n < cfg.numa_nodes). */
uint64_t vm_numa_node_free(vm_machine_t *m, uint32_t n);
/* Node n's own watermarks into w: min, low, high in frames (the machine's
 * scaled to the node's share of the frames, rounded down); 0s without
 * --numa or for n past the last node. */
void vm_numa_node_wmarks(vm_machine_t *m, uint32_t n, uint32_t w[3]);

/* Effective access time per reference, from the counters and latencies:
 *   ( (tlb_hits + tlb_misses) * tlb_ns
 *   + (references + walk_memory_refs) * mem_ns
 *   + minor_faults * minor_ns + major_faults * major_ns
 *   + dirty_writebacks * writeback_ns ) / references          (0 if none) */
double vm_effective_access_ns(vm_machine_t *m);

const vm_config_t *vm_config(const vm_machine_t *m);

/* Count bytes the caller holds for the machine (OPT's future in memory)
 * against cfg.max_memory.  Returns 0 or VM_ELIMIT. */
int vm_reserve_memory(vm_machine_t *m, uint64_t bytes);

/* After a call failed with VM_ELIMIT for host memory: "page tables need
 * more than --max-memory 64M (...); raise --max-memory" into buf.  Returns
 * 0, or VM_EINVAL (and a generic sentence) when no charge was refused. */
int vm_limit_message(vm_machine_t *m, char *buf, size_t len);

/* The policy's name and the information it needs (see policy.h). */
const char *vm_policy_name(const vm_machine_t *m);
const char *vm_policy_needs(const vm_machine_t *m);

/* The policy's own counters (linux: activations, deactivations): up to max
 * pairs into names[] and values[]; returns how many were written (0 for a
 * policy that keeps none). */
size_t vm_policy_counters(vm_machine_t *m, const char **names, uint64_t *values, size_t max);

/* The future of a reference string, for OPT: (*next)[i] = the smallest j > i
 * with the same (pids[j], vpns[j]) as reference i, or UINT64_MAX if none;
 * pids may be NULL (all process 0).  *next is malloc'ed (one entry when n is
 * 0), for vm_create's next_use; free it after vm_destroy.  Returns 0 or
 * VM_ENOMEM. */
int vm_nextuse_build(const uint64_t *vpns, const uint32_t *pids, size_t n, uint64_t **next);

/* "MAJOR.MINOR.PATCH" of the library. */
const char *vm_version(void);

/* Geometry actually in use (levels derived when cfg->levels was 0). */
unsigned vm_levels(const vm_machine_t *m);

/* ---- Observing one reference at a time (`vmlab run --steps`, --html) ----
 * For teaching tools: what one page reference did, and the state it left.
 * Nothing here changes what a machine does; references made with
 * vm_ref_step count exactly as those made with vm_ref. */

/* What one page reference did. */
typedef struct vm_step {
	uint64_t seq;             /* its number among page references, from 0 */
	uint32_t pid;
	uint64_t vpn;
	int kind;                 /* VM_READ, VM_WRITE or VM_IFETCH */
	int tlb_hit;              /* its first TLB lookup hit (none with no TLB) */
	int fault;                /* 0: none (a hit), 1: minor fault, 2: major fault */
	uint32_t frame;           /* the user frame holding the page afterwards */
	int evicted;              /* a page was evicted to make room */
	uint32_t victim_frame;    /* ... from this frame */
	uint32_t victim_pid;
	uint64_t victim_vpn;
	int victim_written;       /* ... and it was dirty: written back (a swap-out) */
} vm_step_t;

/* vm_ref, and *out describes what it did (filled even when it fails, as far
 * as it went).  The TLB outcome is read from the counters' change, the
 * victim from the eviction itself. */
int vm_ref_step(vm_machine_t *m, uint32_t pid, uint64_t vpn, int kind, vm_step_t *out);

/* A resident page, as the policy sees it. */
typedef struct vm_resident {
	uint32_t frame;
	uint32_t pid;
	uint64_t vpn;
	char note[32];            /* the policy's state of it ("a=1", "count=3"); "" if none */
} vm_resident_t;

/* The resident pages in the policy's own order (FIFO's arrival order, LRU's
 * recency, the clock from its hand; frame-number order for a policy that
 * has none), the end it evicts from first at out[0]; at most max of them.
 * Returns how many there are (may exceed max; 0 when out of host memory
 * with more than 64 resident). */
size_t vm_resident(vm_machine_t *m, vm_resident_t *out, size_t max);

/* The names of the two ends of vm_resident's order ("FirstIn", "LastIn"). */
void vm_resident_ends(const vm_machine_t *m, const char **first, const char **last);

/* One valid TLB entry. */
typedef struct vm_tlb_slot {
	uint32_t set, way;
	uint32_t pid;             /* the process of its address space */
	uint64_t vpn, pfn;
} vm_tlb_slot_t;

/* The TLB's shape (sets 0: no TLB) and its valid entries, set by set, way
 * by way, at most max of them.  Returns how many there are. */
void vm_tlb_shape(const vm_machine_t *m, uint32_t *sets, uint32_t *ways);
size_t vm_tlb_slots(vm_machine_t *m, vm_tlb_slot_t *out, size_t max);

#endif
