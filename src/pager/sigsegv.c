/* sigsegv.c - the fallback backend: mprotect and a SIGSEGV handler (prefix
 * sg_).
 *
 * A region is a memfd mapped twice: the program's view, whose protection
 * says the state (none: not mapped, read: clean, read-write: dirty), and
 * the pager's own read-write view, through which pages are filled and
 * written back, so that no thread sees a page half copied.  Parked pages
 * keep their bytes in the memfd (the swap cache); an evicted page's are
 * freed with a punched hole, which reads as zeroes again.
 *
 * The handler runs in the faulting thread and takes the pager's lock, as a
 * kernel's fault path does; it is not async-signal-safe in general, but
 * SIGSEGV from a touch of a region is synchronous and the pager never
 * touches the program's view itself.  A fault outside every region goes to
 * the handler that was there before.
 *
 * Global state, which a signal handler cannot do without: the table of
 * regions the handler searches (sg_table, atomics), the previous SIGSEGV
 * action, and how many pagers use the handler (under sg_lock). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "pager/pager.h"

#define SG_MAX 256   /* regions of every pager at once */

typedef struct sg_entry {
	_Atomic(uintptr_t) base, len;
	_Atomic(vp_pager_t *) pager;
} sg_entry_t;

static sg_entry_t sg_table[SG_MAX];
static pthread_mutex_t sg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction sg_old;
static unsigned sg_users;

/* The previous action, for a fault that is none of ours. */
static void sg_chain(int sig, siginfo_t *si, void *uc)
{
	if (sg_old.sa_flags & SA_SIGINFO) {
		sg_old.sa_sigaction(sig, si, uc);
	} else if (sg_old.sa_handler == SIG_IGN || sg_old.sa_handler == SIG_DFL) {
		signal(sig, SIG_DFL);  /* the access is retried and kills, as it would have */
	} else {
		sg_old.sa_handler(sig);
	}
}

/* Whether the fault was a write: the page-fault error code on x86-64;
 * elsewhere unknown (-1: pg_fault decides from the page's state). */
static int sg_is_write(void *ucv)
{
#if defined(__x86_64__)
	ucontext_t *uc = ucv;
	return (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
	return -1;
#endif
}

static void sg_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uintptr_t a = (uintptr_t)si->si_addr;
	for (size_t k = 0; k < SG_MAX; k++) {
		vp_pager_t *p = atomic_load(&sg_table[k].pager);
		uintptr_t base = atomic_load(&sg_table[k].base), len = atomic_load(&sg_table[k].len);
		if (p && a >= base && a - base < len) {
			if (pg_fault(p, a & ~(uintptr_t)(p->page - 1), sg_is_write(uc))) {
				errno = saved;
				return;
			}
			break;
		}
	}
	errno = saved;
	sg_chain(sig, si, uc);
}

static int sg_init(vp_pager_t *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&sg_lock);
	int rc = VM_OK;
	if (sg_users == 0) {
		struct sigaction sa = { .sa_sigaction = sg_handler, .sa_flags = SA_SIGINFO | SA_NODEFER };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSEGV, &sa, &sg_old)) {
			snprintf(err, errlen, "sigaction: %s", strerror(errno));
			rc = VM_ENOTSUP;
		}
	}
	if (rc == VM_OK) {
		sg_users++;
		p->wp_ok = true;
		p->handler_on = true;
	}
	pthread_mutex_unlock(&sg_lock);
	return rc;
}

static void sg_fini(vp_pager_t *p)
{
	if (!p->handler_on)
		return;
	pthread_mutex_lock(&sg_lock);
	if (--sg_users == 0)
		sigaction(SIGSEGV, &sg_old, NULL);
	pthread_mutex_unlock(&sg_lock);
}

static void sg_table_put(vp_pager_t *p, pg_region_t *r, bool on)
{
	pthread_mutex_lock(&sg_lock);
	for (size_t k = 0; k < SG_MAX; k++) {
		if (on && !atomic_load(&sg_table[k].pager)) {
			atomic_store(&sg_table[k].base, (uintptr_t)r->base);
			atomic_store(&sg_table[k].len, r->npages * p->page);
			atomic_store(&sg_table[k].pager, p);
			break;
		}
		if (!on && atomic_load(&sg_table[k].pager) == p &&
		    atomic_load(&sg_table[k].base) == (uintptr_t)r->base) {
			atomic_store(&sg_table[k].pager, NULL);
			break;
		}
	}
	pthread_mutex_unlock(&sg_lock);
}

static bool sg_table_full(void)
{
	pthread_mutex_lock(&sg_lock);
	size_t k = 0;
	while (k < SG_MAX && atomic_load(&sg_table[k].pager))
		k++;
	pthread_mutex_unlock(&sg_lock);
	return k == SG_MAX;
}

static int sg_map(vp_pager_t *p, pg_region_t *r)
{
	size_t len = r->npages * p->page;
	if (sg_table_full())
		return VM_ENOMEM;
	r->memfd = memfd_create("vmpager", MFD_CLOEXEC);
	if (r->memfd < 0)
		return VM_ENOMEM;
	if (ftruncate(r->memfd, (off_t)len))
		goto fail;
	r->base = mmap(NULL, len, PROT_NONE, MAP_SHARED | MAP_NORESERVE, r->memfd, 0);
	r->alias = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, r->memfd, 0);
	if (r->base == MAP_FAILED || r->alias == MAP_FAILED) {
		if (r->base != MAP_FAILED)
			munmap(r->base, len);
		if (r->alias != MAP_FAILED)
			munmap(r->alias, len);
		goto fail;
	}
	sg_table_put(p, r, true);
	return VM_OK;
fail:
	close(r->memfd);
	r->memfd = -1;
	return VM_ENOMEM;
}

static void sg_unmap(vp_pager_t *p, pg_region_t *r)
{
	size_t len = r->npages * p->page;
	if (!r->released)
		sg_table_put(p, r, false);
	munmap(r->base, len);
	munmap(r->alias, len);
	close(r->memfd);
}

static int sg_prot(vp_pager_t *p, pg_region_t *r, size_t i, int prot)
{
	return mprotect(r->base + i * p->page, p->page, prot) ? VM_ENOMEM : VM_OK;
}

static int sg_fill(vp_pager_t *p, pg_region_t *r, size_t i, const void *src, bool writable)
{
	if (src)
		memcpy(r->alias + i * p->page, src, p->page);
	return sg_prot(p, r, i, writable ? PROT_READ | PROT_WRITE : PROT_READ);
}

static char *sg_cache(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f)
{
	return r->alias + i * p->page;
}

static int sg_unpark(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f, bool writable)
{
	return sg_prot(p, r, i, writable ? PROT_READ | PROT_WRITE : PROT_READ);
}

static int sg_park(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f, bool writable)
{
	return sg_prot(p, r, i, PROT_NONE);
}

static const char *sg_bytes(vp_pager_t *p, pg_region_t *r, size_t i)
{
	return r->alias + i * p->page;
}

static int sg_protect(vp_pager_t *p, pg_region_t *r, size_t i)
{
	return sg_prot(p, r, i, PROT_READ);
}

static int sg_unprotect(vp_pager_t *p, pg_region_t *r, size_t i)
{
	return sg_prot(p, r, i, PROT_READ | PROT_WRITE);
}

/* Unmapped, and its memory given back: the hole reads as zeroes. */
static int sg_drop(vp_pager_t *p, pg_region_t *r, size_t i, bool mapped)
{
	int rc = mapped ? sg_prot(p, r, i, PROT_NONE) : VM_OK;
	if (!rc && fallocate(r->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     (off_t)(i * p->page), (off_t)p->page))
		rc = VM_EIO;
	return rc;
}

static void sg_wake(vp_pager_t *p, pg_region_t *r, size_t i)
{
}

static void sg_detach(vp_pager_t *p, pg_region_t *r)
{
	mprotect(r->base, r->npages * p->page, PROT_READ | PROT_WRITE);
	sg_table_put(p, r, false);
}

const pg_backend_t pg_backend_sigsegv = {
	.name = "sigsegv",
	.init = sg_init,
	.fini = sg_fini,
	.map = sg_map,
	.unmap = sg_unmap,
	.fill = sg_fill,
	.cache = sg_cache,
	.unpark = sg_unpark,
	.park = sg_park,
	.bytes = sg_bytes,
	.protect = sg_protect,
	.unprotect = sg_unprotect,
	.drop = sg_drop,
	.wake = sg_wake,
	.detach = sg_detach,
};
