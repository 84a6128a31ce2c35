/* preload.c - libvmlab_pager.so, the LD_PRELOAD library of `vmlab pager`
 * (prefix pl_): the program's heap in memory that libvmpager pages.
 *
 * At load it opens a pager as the environment says (VMLAB_PAGER_BUDGET,
 * _POLICY, _SWAP, _STATS, _REGION, set by `vmlab pager`, which checked them
 * already), maps one region and hands it to mimalloc as its only arena
 * (OS allocation, decommit and reset off: mimalloc must never unmap or
 * MADV_DONTNEED pages behind the pager's back).  malloc and its family,
 * defined here, go to mimalloc; C++ new calls malloc.  At exit the pager's
 * counters go, as JSON, to VMLAB_PAGER_STATS or stderr.
 *
 * Who gets libc's malloc instead: everything before the pager is up (other
 * libraries' constructors), and every thread while it works for the pager
 * (pl_inside, told by the pager's `inside` hook): the fault handler, the
 * page daemon and the policies must not allocate in memory that faults.
 * free tells the two apart by address.  libc's functions are found with
 * dlsym in libc.so.6 itself (libmimalloc.so, a dependency of this library,
 * exports malloc too); while that runs, a small static buffer serves. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mimalloc.h>

#include "util/num.h"
#include "vmlab_pager.h"

#define PL_API __attribute__((visibility("default")))
#define PL_ARENA_ALIGN ((size_t)64 << 20)   /* mimalloc's segments are aligned to this */

static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
	void *(*memalign)(size_t, size_t);
	size_t (*usable)(void *);
} pl_libc;

static int pl_resolving;                 /* dlsym running: the bump buffer serves */
static _Alignas(64) char pl_boot[1 << 16];
static size_t pl_boot_used;

static vp_pager_t *pl_pager;
static char *pl_lo, *pl_hi;              /* mimalloc's arena */
static bool pl_ready;                    /* set before the program's threads exist */
static pid_t pl_pid;                     /* who opened the pager */
static int pl_errfd = -1;                /* stderr as it was at start (programs close theirs) */
static __thread int pl_inside __attribute__((tls_model("initial-exec")));

/* The pager's hook: nesting count of pager work on this thread. */
static void pl_inside_hook(bool in)
{
	pl_inside += in ? 1 : -1;
}

/* Bytes from the static buffer (only while libc's functions are looked up;
 * never freed). */
static void *pl_boot_alloc(size_t n, size_t align)
{
	size_t at = (pl_boot_used + align - 1) & ~(align - 1);
	if (at + n > sizeof pl_boot)
		return NULL;
	pl_boot_used = at + n;
	return memset(pl_boot + at, 0, n);
}

static bool pl_is_boot(const void *ptr)
{
	return (const char *)ptr >= pl_boot && (const char *)ptr < pl_boot + sizeof pl_boot;
}

static bool pl_is_arena(const void *ptr)
{
	return (const char *)ptr >= pl_lo && (const char *)ptr < pl_hi;
}

/* libc's own allocator, from libc.so.6 itself.  Returns false while that
 * lookup runs (the caller then uses the static buffer). */
static bool pl_libc_ok(void)
{
	if (pl_libc.malloc)
		return true;
	if (pl_resolving)
		return false;
	pl_resolving = 1;
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (h) {
		pl_libc.calloc = (void *(*)(size_t, size_t))dlsym(h, "calloc");
		pl_libc.realloc = (void *(*)(void *, size_t))dlsym(h, "realloc");
		pl_libc.free = (void (*)(void *))dlsym(h, "free");
		pl_libc.memalign = (void *(*)(size_t, size_t))dlsym(h, "memalign");
		pl_libc.usable = (size_t (*)(void *))dlsym(h, "malloc_usable_size");
		void *m = dlsym(h, "malloc");
		if (!pl_libc.calloc || !pl_libc.realloc || !pl_libc.free || !pl_libc.memalign || !pl_libc.usable)
			m = NULL;
		pl_libc.malloc = (void *(*)(size_t))m;
	}
	pl_resolving = 0;
	if (!pl_libc.malloc) {
		static const char msg[] = "vmlab pager: cannot find libc's malloc\n";
		if (write(2, msg, sizeof msg - 1) < 0)
			_exit(127);
		_exit(127);
	}
	return true;
}

/* True if this allocation goes to mimalloc (the paged arena). */
static bool pl_paged(void)
{
	return pl_ready && !pl_inside;
}

/* --- the malloc family ------------------------------------------------------ */

PL_API void *malloc(size_t n)
{
	if (pl_paged())
		return mi_malloc(n);
	return pl_libc_ok() ? pl_libc.malloc(n) : pl_boot_alloc(n, 16);
}

PL_API void *calloc(size_t k, size_t n)
{
	if (pl_paged())
		return mi_calloc(k, n);
	if (pl_libc_ok())
		return pl_libc.calloc(k, n);
	return n && k > SIZE_MAX / n ? NULL : pl_boot_alloc(k * n, 16);
}

PL_API void free(void *ptr)
{
	if (!ptr || pl_is_boot(ptr))
		return;
	if (pl_is_arena(ptr))
		mi_free(ptr);
	else if (pl_libc_ok())
		pl_libc.free(ptr);
}

/* A block of libc's (from before the pager, or the pager's own) stays with
 * libc when the pager is the caller; a program's is moved into the arena. */
PL_API void *realloc(void *ptr, size_t n)
{
	if (!ptr)
		return malloc(n);
	if (pl_is_arena(ptr))
		return mi_realloc(ptr, n);
	if (pl_is_boot(ptr) || pl_paged()) {
		size_t old = pl_is_boot(ptr) ? (size_t)(pl_boot + sizeof pl_boot - (char *)ptr)
					     : (pl_libc_ok() ? pl_libc.usable(ptr) : 0);
		void *q = malloc(n ? n : 1);
		if (!q)
			return NULL;
		memcpy(q, ptr, old < n ? old : n);
		free(ptr);
		return q;
	}
	return pl_libc_ok() ? pl_libc.realloc(ptr, n) : NULL;
}

PL_API void *reallocarray(void *ptr, size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, k * n);
}

PL_API void *memalign(size_t align, size_t n)
{
	if (pl_paged())
		return mi_malloc_aligned(n, align);
	return pl_libc_ok() ? pl_libc.memalign(align, n) : pl_boot_alloc(n, align);
}

PL_API int posix_memalign(void **out, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	void *p = memalign(align, n);
	if (!p && n)
		return ENOMEM;
	*out = p;
	return 0;
}

PL_API void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

PL_API void *valloc(size_t n)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

PL_API void *pvalloc(size_t n)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	return memalign(ps, (n + ps - 1) & ~(ps - 1));
}

PL_API size_t malloc_usable_size(void *ptr)
{
	if (!ptr || pl_is_boot(ptr))
		return 0;
	if (pl_is_arena(ptr))
		return mi_usable_size(ptr);
	return pl_libc_ok() ? pl_libc.usable(ptr) : 0;
}

/* --- start and exit ----------------------------------------------------------- */

static void pl_die(const char *fmt, const char *arg)
{
	fprintf(stderr, "vmlab pager: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	_exit(127);
}

static uint64_t pl_env_size(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	uint64_t v;
	if (!s || !*s)
		return dflt;
	if (num_parse_u64(s, &v, 1))
		pl_die("%s: not a size", name);
	return v;
}

/* Take this library out of LD_PRELOAD: the program's children run as
 * they would without vmlab pager. */
static void pl_unpreload(void)
{
	const char *lp = getenv("LD_PRELOAD");
	const char *me = getenv("VMLAB_PAGER_LIB");
	if (!lp || !me || !*me)
		return;
	char *rest = strdup(lp), *out = calloc(1, strlen(lp) + 1);
	if (!rest || !out)
		goto done;
	for (char *save, *t = strtok_r(rest, " :", &save); t; t = strtok_r(NULL, " :", &save))
		if (strcmp(t, me)) {
			if (*out)
				strcat(out, ":");
			strcat(out, t);
		}
	if (*out)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
	unsetenv("VMLAB_PAGER_LIB");
done:
	free(rest);
	free(out);
}

/* mimalloc: the region as its only arena, and nothing given back to the OS
 * (a decommit would replace or drop the pager's pages). */
static void pl_mimalloc(char *base, size_t len)
{
	mi_option_set(mi_option_limit_os_alloc, 1);
	mi_option_set(mi_option_allow_decommit, 0);
	mi_option_set(mi_option_page_reset, 0);
	mi_option_set(mi_option_abandoned_page_decommit, 0);
	mi_option_set(mi_option_eager_commit, 1);
	mi_option_set(mi_option_large_os_pages, 0);
	char *lo = (char *)(((uintptr_t)base + PL_ARENA_ALIGN - 1) & ~(uintptr_t)(PL_ARENA_ALIGN - 1));
	size_t n = (size_t)(base + len - lo) & ~(PL_ARENA_ALIGN - 1);
	if (!mi_manage_os_memory(lo, n, true, false, true, -1))
		pl_die("%s", "mimalloc refused the pager's region");
	pl_lo = lo;
	pl_hi = lo + n;
}

__attribute__((constructor)) static void pl_start(void)
{
	pl_inside++;
	pl_libc_ok();
	pl_errfd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	pl_pid = getpid();
	char err[512] = "";
	uint64_t budget = pl_env_size("VMLAB_PAGER_BUDGET", (uint64_t)64 << 20);
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t page = ps > 0 ? (uint64_t)ps : 4096;
	vp_config_t c = {
		.budget = budget,
		/* aging's and nru's tick: once a budget of faults by default, so
		 * that pages filled since the last one (all tied at "unused")
		 * do not take the same slot in turn for ever when one
		 * instruction touches two of them */
		.tick = pl_env_size("VMLAB_PAGER_TICK", budget / page + (budget % page != 0)),
		.policy = getenv("VMLAB_PAGER_POLICY"),
		.swap_file = getenv("VMLAB_PAGER_SWAP"),
		.errbuf = err,
		.errlen = sizeof err,
		.inside = pl_inside_hook,
	};
	if (c.swap_file && !*c.swap_file)
		c.swap_file = NULL;
	uint64_t region = pl_env_size("VMLAB_PAGER_REGION", (uint64_t)64 << 30);
	if (region < PL_ARENA_ALIGN || region > SIZE_MAX / 2)
		pl_die("%s", "VMLAB_PAGER_REGION: need 64M or more");
	if (vp_open(&c, &pl_pager))
		pl_die("%s", err);
	size_t len = (size_t)region + PL_ARENA_ALIGN;   /* room to align the arena */
	char *base = vp_map(pl_pager, len);
	if (!base)
		pl_die("cannot map the pager's region: %s", strerror(errno));
	pl_mimalloc(base, len);
	pl_unpreload();
	pl_inside--;
	pl_ready = true;
}

/* The counters, once, by the process that opened the pager (a forked
 * child's pager is not its own), to VMLAB_PAGER_STATS or stderr. */
static void pl_report(void)
{
	static bool done;
	if (!pl_pager || done || getpid() != pl_pid)
		return;
	done = true;
	pl_inside++;
	const char *path = getenv("VMLAB_PAGER_STATS");
	bool file = path && *path;
	FILE *f = file ? fopen(path, "w") : pl_errfd >= 0 ? fdopen(pl_errfd, "w") : NULL;
	if (!f) {
		dprintf(pl_errfd, "vmlab pager: %s: %s\n", file ? path : "stderr", strerror(errno));
	} else {
		int bad = vp_stats_json(pl_pager, f);
		bad |= fclose(f);
		if (bad && file)
			dprintf(pl_errfd, "vmlab pager: %s: cannot write the counters\n", path);
	}
	pl_inside--;
}

/* At exit.  The pager stays: later destructors and exit handlers may still
 * touch the heap; the process's end frees all. */
__attribute__((destructor)) static void pl_stop(void)
{
	pl_report();
}

/* Programs that leave by _exit (sh does) report too. */
PL_API void _exit(int status)
{
	pl_report();
	for (;;)
		syscall(SYS_exit_group, status);
}

PL_API void _Exit(int status)
{
	_exit(status);
}
