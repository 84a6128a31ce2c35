/* pager.h - libvmpager's internals (prefix pg_).
 *
 * core.c is the mechanism: page and slot state, faults, eviction, the
 * policy's host (emulated accessed and dirty bits), the page daemon.  It
 * changes the mappings only through a backend's table (uffd.c, sigsegv.c),
 * chosen once in vp_open.  A backend's fault entry calls pg_fault; core
 * calls back only through the table.  swap.c: the swap file; stats.c: the
 * handler-time histogram and JSON.
 *
 * One mutex (pager->lock) guards everything; faults, the daemon and the API
 * take it.  Nothing under it touches a region's pages through the
 * program's view where they might not be mapped (that would fault on the
 * very lock): bytes are read from a mapped page, the swap cache, or the
 * backend's own view.
 *
 * States of a page (r->pages[i]):
 *   none           frame NONE, slot NONE: zero; the next touch is minor
 *   swapped        frame NONE, slot set: the next touch is major
 *   resident       frame set, mapped: accessed bit 1; dirty: writable
 *   parked         frame set, not mapped: accessed bit 0, its bytes in the
 *                  swap cache (the backend's); the next touch is soft
 * A resident clean page is write-protected, so its first write faults and
 * sets dirty.  A page keeps its swap slot while it lives: a clean one is
 * dropped without a write. */
#ifndef VMLAB_PAGER_INT_H
#define VMLAB_PAGER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"
#include "vmlab_pager.h"

#define PG_NONE UINT32_MAX

/* Stored plus one, so that the zero pages of a fresh (lazily mapped) array
 * read as none: read them with pg_frame and pg_slot. */
typedef struct pg_page {
	uint32_t frame1;         /* resident slot + 1, or 0 */
	uint32_t slot1;          /* swap slot + 1, or 0 */
	policy_shadow_t shadow;  /* the policy's note from the last eviction */
} pg_page_t;

static inline uint32_t pg_frame(const pg_page_t *pg) { return pg->frame1 - 1u; } /* or PG_NONE */
static inline uint32_t pg_slot(const pg_page_t *pg) { return pg->slot1 - 1u; }
static inline void pg_set_frame(pg_page_t *pg, uint32_t f) { pg->frame1 = f + 1u; }
static inline void pg_set_slot(pg_page_t *pg, uint32_t s) { pg->slot1 = s + 1u; }

typedef struct pg_region {
	char *base;              /* the program's view */
	size_t npages;
	size_t hi;               /* pages[0..hi) may be other than none */
	pg_page_t *pages;        /* npages, mapped lazily (MAP_NORESERVE) */
	uint32_t id;             /* the key's space */
	bool released;           /* plain memory now (after vp_error) */
	int memfd;               /* sigsegv: the memory; -1 for uffd */
	char *alias;             /* sigsegv: the pager's read-write view */
} pg_region_t;

typedef struct pg_frame {
	pg_region_t *r;          /* NULL: free */
	size_t idx;              /* page of r */
	bool mapped;             /* accessed bit */
	bool dirty;
} pg_frame_t;

/* What a backend does to one page (region r, page i, slot f).  Each
 * returns 0 or a negative vm_err_t. */
typedef struct pg_backend {
	const char *name;
	int (*init)(vp_pager_t *p, char *err, size_t errlen);
	void (*fini)(vp_pager_t *p);
	int (*map)(vp_pager_t *p, pg_region_t *r);   /* reserve and register */
	void (*unmap)(vp_pager_t *p, pg_region_t *r);
	/* Map page i with the bytes at src (NULL: zeroes), writable or
	 * write-protected. */
	int (*fill)(vp_pager_t *p, pg_region_t *r, size_t i, const void *src, bool writable);
	/* Where page i's bytes are while it is parked in slot f (and where a
	 * swap-in reads them to before unpark). */
	char *(*cache)(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f);
	/* Map page i with the bytes of cache(f). */
	int (*unpark)(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f, bool writable);
	/* Unmap mapped page i (writable: it may be written now), keeping its
	 * bytes in cache(f). */
	int (*park)(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f, bool writable);
	/* The bytes of mapped page i, readable by the pager without a fault. */
	const char *(*bytes)(vp_pager_t *p, pg_region_t *r, size_t i);
	int (*protect)(vp_pager_t *p, pg_region_t *r, size_t i);   /* no writes */
	int (*unprotect)(vp_pager_t *p, pg_region_t *r, size_t i); /* writes, wake */
	/* Forget page i's bytes (mapped or parked): its memory is freed. */
	int (*drop)(vp_pager_t *p, pg_region_t *r, size_t i, bool mapped);
	void (*wake)(vp_pager_t *p, pg_region_t *r, size_t i);
	/* Turn r into plain memory (every page already mapped and writable). */
	void (*detach)(vp_pager_t *p, pg_region_t *r);
} pg_backend_t;

extern const pg_backend_t pg_backend_uffd, pg_backend_sigsegv;

/* The histogram of handler times: 8 buckets an octave of nanoseconds. */
#define PG_HIST 512
typedef struct pg_hist {
	uint64_t n, sum;
	uint64_t b[PG_HIST];
} pg_hist_t;

struct vp_pager {
	pthread_mutex_t lock;
	const pg_backend_t *be;
	size_t page;             /* page size */
	/* budget slots */
	uint32_t nframes;
	pg_frame_t *frames;
	uint32_t *free;          /* stack of free slots, lowest on top */
	uint32_t nfree;
	/* policy */
	const policy_ops_t *pol;
	void *pstate;
	void *ppriv;
	uint64_t seq, tick;
	/* regions */
	pg_region_t **regions;
	size_t nregions, cap;
	uint32_t next_id;
	/* swap file */
	int swap_fd;
	uint64_t swap_slots;     /* limit; UINT64_MAX: unbounded */
	uint32_t swap_next;      /* slots ever used */
	uint32_t *swap_free;     /* freed slots (a stack) */
	size_t nswap_free, swap_free_cap;
	uint64_t swap_used;
	/* daemon */
	uint32_t low, high;
	unsigned readahead;
	pthread_t daemon;
	bool daemon_on, stop, daemon_busy;
	pthread_cond_t wake_cv, idle_cv;
	/* backend */
	int uffd, efd;           /* uffd: its descriptor, and the stop event */
	bool wp_ok;              /* uffd: write-protect faults available */
	pthread_t handler;
	bool handler_on;
	char *cachebuf;          /* uffd: the swap cache, nframes pages */
	char *zeros;             /* a page of zeroes */
	/* failure */
	int err;
	int pending;              /* an error met where none can be returned */
	char errmsg[256];
	void (*inside)(bool in);  /* config->inside, or a no-op */
	vp_stats_t st;
	pg_hist_t hist;
};

/* The pager reads a page of the program's view (to write it back, or to
 * park it) while program threads run.  No write can race with that read:
 * the page is write-protected first, and the ordering goes through the
 * kernel, which ThreadSanitizer cannot see; so under TSan such reads are
 * marked as ignored (make tsan).  Nothing otherwise. */
#if defined(__SANITIZE_THREAD__)
#define PG_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PG_TSAN 1
#endif
#endif
#ifdef PG_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define PG_PROGRAM_READ_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define PG_PROGRAM_READ_END() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define PG_PROGRAM_READ_BEGIN() ((void)0)
#define PG_PROGRAM_READ_END() ((void)0)
#endif

/* core.c: serve a fault at addr for the backend's handler; write 1: a
 * write access, 0: a read, -1: unknown (a fault on a mapped clean page is
 * then taken as a write).  Returns false if addr is in no managed region
 * (nothing was done). */
bool pg_fault(vp_pager_t *p, uintptr_t addr, int write);

/* swap.c */
int pg_swap_open(vp_pager_t *p, const char *path, char *err, size_t errlen);
void pg_swap_close(vp_pager_t *p);
int pg_swap_alloc(vp_pager_t *p, uint32_t *slot);
void pg_swap_free(vp_pager_t *p, uint32_t slot);
int pg_swap_write(vp_pager_t *p, uint32_t slot, const void *buf);
int pg_swap_read(vp_pager_t *p, uint32_t slot, void *buf);

/* stats.c */
uint64_t pg_now_ns(void);
void pg_hist_add(pg_hist_t *h, uint64_t ns);
uint64_t pg_hist_pct(const pg_hist_t *h, unsigned pct);

#endif
