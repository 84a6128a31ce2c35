/* io.c - host file I/O of script mode (prefix kio_): whole transfers, a
 * short one retried for the rest (the retry is what names the reason, as
 * ENOSPC), the last failure kept in words for vm_io_error, and the event
 * log of --events. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kern/base.h"
#include "util/vmerr.h"

int kio_pwrite(int fd, const void *buf, size_t len, uint64_t at)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO; /* nothing written and no reason given */
		p += n;
		len -= (size_t)n;
		at += (uint64_t)n;
	}
	return 0;
}

int kio_pread(int fd, void *buf, size_t len, uint64_t at)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return -1;
		p += n;
		len -= (size_t)n;
		at += (uint64_t)n;
	}
	return 0;
}

int kio_fail(vm_machine_t *vm, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int at = vsnprintf(vm->io_error, sizeof vm->io_error, fmt, ap);
	va_end(ap);
	if (at >= 0 && (size_t)at < sizeof vm->io_error)
		snprintf(vm->io_error + at, sizeof vm->io_error - (size_t)at, ": %s",
			 err > 0 ? strerror(err) : "the file ended early (it was truncated)");
	return VM_EIO;
}

void kio_event(vm_machine_t *vm, const char *fmt, ...)
{
	if (!vm->cfg.events)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(vm->cfg.events, fmt, ap);
	va_end(ap);
}
