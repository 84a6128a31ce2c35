/* vmlab_pager.h - libvmpager: real demand paging of real memory under a
 * budget, with vmlab's replacement policies (prefix vp_).
 *
 * A pager owns regions of anonymous memory (vp_map).  At most `budget`
 * bytes of them are resident; touching a page that is not faults, and the
 * pager brings it in: a zero page on first touch (a minor fault), its bytes
 * from the swap file if it has a copy there (a major fault).  When no
 * resident slot is free the policy (the simulator's own policy_ops_t, by
 * registry name) picks a victim, which is written to its swap slot if dirty
 * and dropped.  Dirty bits come from write-protect faults, accessed bits
 * from soft faults (see README, "The real pager").
 *
 * Backends: "uffd" (userfaultfd; a handler thread serves faults) and
 * "sigsegv" (mprotect and a SIGSEGV handler; the kernel's own accesses to a
 * non-resident page, read(2) into it say, fail with EFAULT).  Threads of the
 * program may fault at once.  Every function is thread-safe.
 *
 * Functions return 0 (or a count) or a negative vm_err_t (vmlab_err.h). */
#ifndef VMLAB_PAGER_H
#define VMLAB_PAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab_err.h"

typedef struct vp_pager vp_pager_t;

typedef struct vp_config {
	size_t budget;          /* resident bytes, rounded up to pages; > 0 */
	const char *policy;     /* registry name; NULL: "clock".  Only policies
				   that need hardware bits alone are accepted */
	const char *swap_file;  /* created if missing, kept; NULL: a temporary
				   file in $TMPDIR (or /tmp), removed at once */
	uint64_t swap_size;     /* bytes of swap (a page a slot); 0: unbounded */
	uint32_t wmark_low;     /* page daemon: wake when fewer slots are free, */
	uint32_t wmark_high;    /* and reclaim until this many are; 0, 0: no
				   daemon, reclaim only when none is free (as
				   `vmlab run`).  Need low <= high <= budget pages */
	unsigned readahead;     /* on a major fault, up to this many following
				   pages with a swap copy are read into free
				   slots (not mapped: their first touch is a
				   soft fault); 0: none */
	const char *backend;    /* "uffd", "sigsegv"; NULL: $VP_BACKEND, else
				   uffd where the kernel allows it, else sigsegv */
	uint64_t seed;          /* the random policy's seed (0: 1) */
	uint64_t tick;          /* on_tick (aging, nru) every tick faults; 0: never */
	uint64_t tau;           /* wsclock's window, in faults (0: 1000) */
	unsigned swappiness;    /* linux: 0..200 (0: 60) */
	char *errbuf;           /* if set, vp_open writes why it failed here */
	size_t errlen;
	/* If set, called with true when a thread starts working for the
	 * pager (its own threads, once at their start; any thread around a
	 * fault it serves) and with false when that work ends; calls nest.
	 * An allocator whose memory the pager owns (vmlab pager's LD_PRELOAD
	 * library) uses it to send the pager's and the policy's own
	 * allocations elsewhere: a fault handler must never fault. */
	void (*inside)(bool in);
} vp_config_t;

/* The counters.  page_faults = minor_faults + major_faults, counted as the
 * simulator counts them; soft and write-protect faults are apart. */
typedef struct vp_stats {
	uint64_t page_faults;       /* minor + major */
	uint64_t minor_faults;      /* zero page: first touch, or never written */
	uint64_t major_faults;      /* read back from the swap file (= swap_ins
				       - readahead_pages) */
	uint64_t soft_faults;       /* touch of a page whose accessed bit was cleared */
	uint64_t wp_faults;         /* first write to a clean page (sets dirty) */
	uint64_t evictions;         /* pages taken out of their slot by the policy */
	uint64_t dirty_writebacks;  /* dirty pages written to swap (= swap_outs) */
	uint64_t swap_ins, swap_outs; /* pages read from / written to the swap file */
	uint64_t readahead_pages;   /* pages read ahead (counted in swap_ins) */
	uint64_t daemon_reclaims;   /* evictions by the page daemon */
	uint64_t resident_pages, resident_pages_peak;
	uint64_t free_slots;        /* budget pages not resident now */
	uint64_t budget_pages;
	uint64_t swap_slots_used;
	uint64_t faults_timed;      /* faults in the figures below */
	uint64_t handler_ns;        /* total time spent handling faults */
	uint64_t fault_ns_mean, fault_ns_p50, fault_ns_p99; /* per fault; p50/p99
				       from a histogram of 1/8-octave buckets */
} vp_stats_t;

/* A pager as config says, in *out.  On failure *out is NULL and the error
 * returned: VM_EINVAL (budget 0, bad watermarks), VM_ENOENT (unknown policy
 * or backend), VM_ENOTSUP (a policy that needs every reference or the
 * future; a backend the kernel refuses), VM_EIO (the swap file), with a
 * message in config->errbuf. */
int vp_open(const vp_config_t *config, vp_pager_t **out);

/* A new region of length bytes (rounded up to pages) of zeroed memory the
 * pager owns, or NULL with errno EINVAL (length 0, or the pager gave up:
 * vp_error) or ENOMEM.  Address space only: nothing is
 * resident until touched, so a region may be far larger than the budget. */
void *vp_map(vp_pager_t *pager, size_t length);

/* Give back the region vp_map returned at addr: its pages and swap slots
 * are freed.  VM_EINVAL if addr is not such a region. */
int vp_unmap(vp_pager_t *pager, void *addr);

/* The counters now. */
void vp_stats(vp_pager_t *pager, vp_stats_t *out);

/* The counters as one JSON object (the names above, plus "backend",
 * "policy", "error"), and a new line, to out.  Returns 0 or VM_EIO. */
int vp_stats_json(vp_pager_t *pager, FILE *out);

/* 0, or the error that made the pager give up paging (the swap file full or
 * failing): then every region was turned back into plain memory with all
 * its bytes, over the budget; *msg (if msg) says what happened. */
int vp_error(vp_pager_t *pager, const char **msg);

/* "uffd" or "sigsegv". */
const char *vp_backend(vp_pager_t *pager);

/* Wait until the page daemon is idle: free slots at or above the low
 * watermark (or nothing left to evict).  For tests and benchmarks. */
void vp_sync(vp_pager_t *pager);

/* The swap file's descriptor (to read pages back in tests), and the byte
 * offset of page `page` of region addr's swap copy, or -1 if it has none. */
int vp_swap_fd(vp_pager_t *pager);
long long vp_swap_offset(vp_pager_t *pager, void *addr, size_t page);

/* Unmap every region, stop the threads, close (and remove, if temporary)
 * the swap file.  NULL is allowed. */
void vp_close(vp_pager_t *pager);

#endif
