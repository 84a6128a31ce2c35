/* uffd.c - the userfaultfd backend (prefix uf_).
 *
 * Regions are private anonymous memory registered for missing faults and,
 * where the kernel offers them (5.7+), write-protect faults.  A handler
 * thread reads the fault messages and hands each to pg_fault; the ioctls
 * that resolve a fault (UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_WRITEPROTECT)
 * wake the threads waiting on the page.  A clean page is installed
 * write-protected (UFFDIO_COPY_MODE_WP), so its first write faults.  The
 * swap cache of parked pages is the pager's own buffer, a page a slot.
 * Usage follows the kernel's tools/testing/selftests/mm/uffd-common.c. */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pager/pager.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* A userfaultfd with the API handshake done asking for features, or -1. */
static int uf_open(uint64_t features, uint64_t *got)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 && errno == EPERM)  /* unprivileged: user-mode faults only */
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -1;
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	if (ioctl(fd, UFFDIO_API, &api)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*got = api.features;
	return fd;
}

static void *uf_handler(void *arg);

static int uf_init(vp_pager_t *p, char *err, size_t errlen)
{
	uint64_t got = 0;
	p->uffd = uf_open(UFFD_FEATURE_PAGEFAULT_FLAG_WP, &got);
	if (p->uffd < 0)
		p->uffd = uf_open(0, &got);
	if (p->uffd < 0) {
		int e = errno;
		FILE *f = fopen("/proc/sys/vm/unprivileged_userfaultfd", "r");
		int v = f ? fgetc(f) : -1;
		if (f)
			fclose(f);
		snprintf(err, errlen, "userfaultfd: %s%s", strerror(e),
			 e == EPERM && v == '0' ? " (vm.unprivileged_userfaultfd is 0)" : "");
		return VM_ENOTSUP;
	}
	p->wp_ok = (got & UFFD_FEATURE_PAGEFAULT_FLAG_WP) != 0;
	p->efd = eventfd(0, EFD_CLOEXEC);
	p->cachebuf = mmap(NULL, (size_t)p->nframes * p->page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->efd < 0 || p->cachebuf == MAP_FAILED) {
		p->cachebuf = NULL;
		snprintf(err, errlen, "%s", strerror(errno));
		return VM_ENOMEM;
	}
	if (pthread_create(&p->handler, NULL, uf_handler, p)) {
		snprintf(err, errlen, "cannot start the fault handler thread");
		return VM_ENOMEM;
	}
	p->handler_on = true;
	return VM_OK;
}

static void uf_fini(vp_pager_t *p)
{
	if (p->handler_on) {
		uint64_t one = 1;
		if (write(p->efd, &one, sizeof one) != sizeof one)
			perror("vmpager: eventfd");
		pthread_join(p->handler, NULL);
	}
	if (p->uffd >= 0)
		close(p->uffd);
	if (p->efd >= 0)
		close(p->efd);
	if (p->cachebuf)
		munmap(p->cachebuf, (size_t)p->nframes * p->page);
}

/* Serve every fault message until the stop event. */
static void *uf_handler(void *arg)
{
	vp_pager_t *p = arg;
	p->inside(true);   /* for good: this thread serves faults only */
	struct pollfd fds[2] = { { .fd = p->uffd, .events = POLLIN }, { .fd = p->efd, .events = POLLIN } };
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("vmpager: poll");
			return NULL;
		}
		if (fds[1].revents)
			return NULL;
		struct uffd_msg msg[16];
		ssize_t n = read(p->uffd, msg, sizeof msg);
		if (n < 0)
			continue;  /* EAGAIN: another wake-up took it */
		for (ssize_t k = 0; k < n / (ssize_t)sizeof msg[0]; k++) {
			if (msg[k].event != UFFD_EVENT_PAGEFAULT)
				continue;
			uintptr_t addr = (uintptr_t)msg[k].arg.pagefault.address & ~(uintptr_t)(p->page - 1);
			int wr = (msg[k].arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0;
			if (!pg_fault(p, addr, wr)) {
				struct uffdio_range rg = { .start = addr, .len = p->page };
				ioctl(p->uffd, UFFDIO_WAKE, &rg);  /* unmapped meanwhile */
			}
		}
	}
}

static int uf_map(vp_pager_t *p, pg_region_t *r)
{
	size_t len = r->npages * p->page;
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return VM_ENOMEM;
	madvise(base, len, MADV_NOHUGEPAGE);  /* faults a page at a time */
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)base, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING | (p->wp_ok ? UFFDIO_REGISTER_MODE_WP : 0),
	};
	if (ioctl(p->uffd, UFFDIO_REGISTER, &reg) ||
	    !(reg.ioctls & (1ull << _UFFDIO_COPY))) {
		munmap(base, len);
		return VM_ENOTSUP;
	}
	r->base = base;
	return VM_OK;
}

static void uf_unmap(vp_pager_t *p, pg_region_t *r)
{
	size_t len = r->npages * p->page;
	if (!r->released) {
		struct uffdio_range rg = { .start = (uintptr_t)r->base, .len = len };
		ioctl(p->uffd, UFFDIO_UNREGISTER, &rg);
	}
	munmap(r->base, len);
}

static char *uf_addr(vp_pager_t *p, pg_region_t *r, size_t i)
{
	return r->base + i * p->page;
}

/* UFFDIO_COPY of a page; EEXIST (another path mapped it) is no error. */
static int uf_copy(vp_pager_t *p, pg_region_t *r, size_t i, const void *src, bool writable)
{
	struct uffdio_copy c = {
		.dst = (uintptr_t)uf_addr(p, r, i), .src = (uintptr_t)src, .len = p->page,
		.mode = !writable && p->wp_ok ? UFFDIO_COPY_MODE_WP : 0,
	};
	while (ioctl(p->uffd, UFFDIO_COPY, &c)) {
		if (errno == EEXIST) {
			struct uffdio_range rg = { .start = c.dst, .len = p->page };
			ioctl(p->uffd, UFFDIO_WAKE, &rg);
			return VM_OK;
		}
		if (errno != EAGAIN && errno != EINTR)
			return errno == ENOMEM ? VM_ENOMEM : VM_EIO;
		c.copy = 0;
	}
	return VM_OK;
}

/* A write to a missing page gets the zero page (the kernel copies it on
 * the write); a read a copy of zeroes, write-protected. */
static int uf_fill(vp_pager_t *p, pg_region_t *r, size_t i, const void *src, bool writable)
{
	if (src || !writable)
		return uf_copy(p, r, i, src ? src : p->zeros, writable);
	struct uffdio_zeropage z = { .range = { .start = (uintptr_t)uf_addr(p, r, i), .len = p->page } };
	while (ioctl(p->uffd, UFFDIO_ZEROPAGE, &z)) {
		if (errno == EEXIST)
			return VM_OK;
		if (errno != EAGAIN && errno != EINTR)
			return errno == ENOMEM ? VM_ENOMEM : VM_EIO;
		z.zeropage = 0;
	}
	return VM_OK;
}

static char *uf_cache(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f)
{
	return p->cachebuf + (size_t)f * p->page;
}

static int uf_unpark(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f, bool writable)
{
	return uf_copy(p, r, i, uf_cache(p, r, i, f), writable);
}

static int uf_wp(vp_pager_t *p, pg_region_t *r, size_t i, bool on)
{
	if (!p->wp_ok)
		return VM_OK;
	struct uffdio_writeprotect w = {
		.range = { .start = (uintptr_t)uf_addr(p, r, i), .len = p->page },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};
	while (ioctl(p->uffd, UFFDIO_WRITEPROTECT, &w))
		if (errno != EAGAIN && errno != EINTR)
			return VM_EIO;
	return VM_OK;
}

static int uf_protect(vp_pager_t *p, pg_region_t *r, size_t i)
{
	return uf_wp(p, r, i, true);
}

static int uf_unprotect(vp_pager_t *p, pg_region_t *r, size_t i)
{
	return uf_wp(p, r, i, false);
}

/* Copy into the swap cache (write-protected first if writable, so that the
 * copy is whole) and drop the page from the mapping. */
static int uf_park(vp_pager_t *p, pg_region_t *r, size_t i, uint32_t f, bool writable)
{
	int rc = writable ? uf_protect(p, r, i) : VM_OK;
	if (rc)
		return rc;
	PG_PROGRAM_READ_BEGIN();
	memcpy(uf_cache(p, r, i, f), uf_addr(p, r, i), p->page);
	PG_PROGRAM_READ_END();
	return madvise(uf_addr(p, r, i), p->page, MADV_DONTNEED) ? VM_EIO : VM_OK;
}

static const char *uf_bytes(vp_pager_t *p, pg_region_t *r, size_t i)
{
	return uf_addr(p, r, i);
}

static int uf_drop(vp_pager_t *p, pg_region_t *r, size_t i, bool mapped)
{
	if (mapped && madvise(uf_addr(p, r, i), p->page, MADV_DONTNEED))
		return VM_EIO;
	return VM_OK;
}

static void uf_wake(vp_pager_t *p, pg_region_t *r, size_t i)
{
	struct uffdio_range rg = { .start = (uintptr_t)uf_addr(p, r, i), .len = p->page };
	ioctl(p->uffd, UFFDIO_WAKE, &rg);
}

/* Unregistering wakes every thread still waiting in the region. */
static void uf_detach(vp_pager_t *p, pg_region_t *r)
{
	struct uffdio_range rg = { .start = (uintptr_t)r->base, .len = r->npages * p->page };
	ioctl(p->uffd, UFFDIO_UNREGISTER, &rg);
}

const pg_backend_t pg_backend_uffd = {
	.name = "uffd",
	.init = uf_init,
	.fini = uf_fini,
	.map = uf_map,
	.unmap = uf_unmap,
	.fill = uf_fill,
	.cache = uf_cache,
	.unpark = uf_unpark,
	.park = uf_park,
	.bytes = uf_bytes,
	.protect = uf_protect,
	.unprotect = uf_unprotect,
	.drop = uf_drop,
	.wake = uf_wake,
	.detach = uf_detach,
};
