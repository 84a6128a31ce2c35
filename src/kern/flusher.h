/* flusher.h - layer 8: writing dirty file pages back while they stay
 * mapped (prefix flusher_): msync's and the end of a script's one page at a
 * time, and the flusher of --dirty-expire (Linux's flusher threads with
 * dirty_expire_centisecs).
 *
 * The flusher wakes whenever its clock has passed a multiple of T
 * (cfg.dirty_expire): the simulated clock in ns once a scheduler drives the
 * machine (vm_sched_create), else the count of references.  The kernel
 * learns that a mapped page was written only from its dirty bits, when it
 * looks: at each wake-up the flusher notes the dirty file pages it had not
 * seen dirty, and writes back those it had already found dirty at an
 * earlier wake-up and that stayed dirty since (a page cleaned meanwhile,
 * by msync, an unmap or eviction, starts over).  So a page is written back
 * once it has been dirty for at least T and at most 2T of the clock. */
#ifndef VMLAB_KERN_FLUSHER_H
#define VMLAB_KERN_FLUSHER_H

#include <stdint.h>

#include "kern/check.h"

/* Write the dirty file page in frame f back, and mark it clean in the frame
 * and in every PTE that maps it (their TLB entries dropped).  0, or as
 * obj_write_page (the page stays dirty). */
int flusher_write(vm_machine_t *vm, uint32_t f);
/* The flusher's clock reads now: if a wake-up is due, run it (one, however
 * many multiples of T have passed).  0, or the first write-back's failure
 * (VM_EIO; the pages it could not write stay dirty and are tried again at
 * the next wake-up).  Does nothing without cfg.dirty_expire. */
int flusher_clock(vm_machine_t *vm, uint64_t now);

#endif
