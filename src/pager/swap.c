/* swap.c - the pager's swap file: one page a slot, slot s at byte s * page
 * (prefix pg_swap_).  Slots are handed out lowest never-used first, then
 * freed ones again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pager/pager.h"

/* Open (create) path, or with path NULL a temporary file in $TMPDIR that is
 * removed at once (it lives while the descriptor does). */
int pg_swap_open(vp_pager_t *p, const char *path, char *err, size_t errlen)
{
	if (path) {
		p->swap_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (p->swap_fd < 0) {
			snprintf(err, errlen, "swap file %s: %s", path, strerror(errno));
			return errno == ENOENT ? VM_ENOENT : VM_EIO;
		}
		return VM_OK;
	}
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/vmpager-swap-XXXXXX", dir && *dir ? dir : "/tmp");
	p->swap_fd = mkostemp(tmpl, O_CLOEXEC);
	if (p->swap_fd < 0) {
		snprintf(err, errlen, "swap file %s: %s", tmpl, strerror(errno));
		return VM_EIO;
	}
	unlink(tmpl);
	return VM_OK;
}

void pg_swap_close(vp_pager_t *p)
{
	if (p->swap_fd >= 0)
		close(p->swap_fd);
	p->swap_fd = -1;
	free(p->swap_free);
	p->swap_free = NULL;
}

/* A free slot in *slot, or VM_ENOSPC past the configured size. */
int pg_swap_alloc(vp_pager_t *p, uint32_t *slot)
{
	if (p->nswap_free) {
		*slot = p->swap_free[--p->nswap_free];
	} else {
		if (p->swap_next >= p->swap_slots || p->swap_next == PG_NONE - 1)
			return VM_ENOSPC;
		if (p->swap_free_cap <= p->swap_next) {
			/* room to give every slot back later, grown ahead */
			size_t cap = p->swap_free_cap ? 2 * p->swap_free_cap : 64;
			uint32_t *n = realloc(p->swap_free, cap * sizeof *n);
			if (!n)
				return VM_ENOMEM;
			p->swap_free = n;
			p->swap_free_cap = cap;
		}
		*slot = p->swap_next++;
	}
	p->swap_used++;
	return VM_OK;
}

void pg_swap_free(vp_pager_t *p, uint32_t slot)
{
	p->swap_free[p->nswap_free++] = slot;
	p->swap_used--;
}

/* Write one page to slot; VM_ENOSPC if the disk is full, VM_EIO else. */
int pg_swap_write(vp_pager_t *p, uint32_t slot, const void *buf)
{
	size_t done = 0;
	off_t off = (off_t)slot * (off_t)p->page;
	while (done < p->page) {
		ssize_t n = pwrite(p->swap_fd, (const char *)buf + done, p->page - done,
				   off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && (errno == ENOSPC || errno == EDQUOT) ? VM_ENOSPC : VM_EIO;
		done += (size_t)n;
	}
	return VM_OK;
}

int pg_swap_read(vp_pager_t *p, uint32_t slot, void *buf)
{
	size_t done = 0;
	off_t off = (off_t)slot * (off_t)p->page;
	while (done < p->page) {
		ssize_t n = pread(p->swap_fd, (char *)buf + done, p->page - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return VM_EIO;
		done += (size_t)n;
	}
	return VM_OK;
}
