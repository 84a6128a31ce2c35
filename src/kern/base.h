/* base.h - layer 0 of the kernel: sets of numbers (idset_, idset.c) and
 * host file I/O with the machine's last I/O failure and its event log
 * (kio_, io.c).  Below everything; calls nothing else of src/kern. */
#ifndef VMLAB_KERN_BASE_H
#define VMLAB_KERN_BASE_H

#include <stddef.h>
#include <stdint.h>

#include "kern/mach.h"

/* The kernel's PTE accessors (prefix kpte_): every entry the kernel reads or
 * writes goes through the hardware's pte_load / pte_store, so that 4-byte
 * entries (--pte-size 4) are read and written as the walker sees them.  The
 * entry is always in the 64-bit layout of pte.h. */
static inline uint64_t kpte_get(const vm_machine_t *vm, uint64_t pte_pa)
{
	return pte_load(&vm->phys, &vm->g, pte_pa);
}

static inline void kpte_set(vm_machine_t *vm, uint64_t pte_pa, uint64_t pte)
{
	pte_store(&vm->phys, &vm->g, pte_pa, pte);
}

/* idset.c */
int idset_init(idset_t *s, uint64_t limit);
void idset_free(idset_t *s);
/* Take the lowest free number into *id; VM_ENOSPC when all limit are used. */
int idset_take(idset_t *s, uint64_t *id);
void idset_put(idset_t *s, uint64_t id);
/* The lowest run of count free numbers (count a power of two) starting at a
 * multiple of count and ending at or below the limit: 0 and its first into
 * *first, or VM_ENOSPC when there is none.  (Huge frames, huge.c.) */
int idset_find_run(const idset_t *s, uint64_t count, uint64_t *first);
/* The lowest free aligned run of count ids (a power of two) wholly inside
 * [lo, hi) into *first: VM_OK, or VM_ENOSPC. */
int idset_find_run_in(const idset_t *s, uint64_t count, uint64_t lo, uint64_t hi, uint64_t *first);
/* Take the free numbers first .. first + count - 1.  0 or VM_ENOMEM. */
int idset_take_run(idset_t *s, uint64_t first, uint64_t count);
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
