/* base.h - layer 0 of the kernel: sets of numbers (idset_, idset.c) and
 * host file I/O with the machine's last I/O failure and its event log
 * (kio_, io.c).  Below everything; calls nothing else of src/kern. */
#ifndef VMLAB_KERN_BASE_H
#define VMLAB_KERN_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "kern/mach.h"

/* idset.c */
int idset_init(idset_t *s, uint64_t limit);
void idset_free(idset_t *s);
/* Take the lowest free number into *id; VM_ENOSPC when all limit are used. */
int idset_take(idset_t *s, uint64_t *id);
void idset_put(idset_t *s, uint64_t id);
/* Take number id, which is free (NUMA: a frame of a chosen node). */
int idset_take_at(idset_t *s, uint64_t id);

/* io.c: host file I/O of script mode. */
/* Write / read all len bytes at byte at, retrying short transfers.  Returns
 * 0 or the host errno (kio_pread: -1 when the file ends first). */
int kio_pwrite(int fd, const void *buf, size_t len, uint64_t at);
int kio_pread(int fd, void *buf, size_t len, uint64_t at);
/* Record "<what>: <strerror(err)>" as the machine's last I/O failure;
 * returns VM_EIO. */
int kio_fail(vm_machine_t *vm, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One line of the event log (--events); a no-op unless cfg.events is set. */
void kio_event(vm_machine_t *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
