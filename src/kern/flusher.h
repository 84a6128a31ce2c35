/* flusher.h - layer 8: writing dirty file pages back while they stay
 * mapped (prefix flusher_): msync's and the end of a script's one page at a
 * time, and the flusher of --dirty-expire (Linux's flusher threads with
 * dirty_expire_centisecs).
 *
 * The flusher wakes at the first look at its clock at least T
 * (cfg.dirty_expire) after its previous wake-up (the first: after T); the
 * clock is the simulated one in ns once a scheduler drives the machine
 * (vm_sched_create; it looks after every access), else the count of
 * references (looked at after each one: wake-ups at T, 2T, ...).  The kernel
 * learns that a mapped page was written only from its dirty bits, when it
 * looks: at each wake-up the flusher notes the dirty file pages it had not
 * seen dirty, and writes back those it had already found dirty at an
 * earlier wake-up and that stayed dirty since (a page cleaned meanwhile,
 * by msync, an unmap or eviction, starts over).  So a page is written back
 * once it has been dirty for at least T (at most 2T on the clock of
 * references). */
#ifndef VMLAB_KERN_FLUSHER_H
#define VMLAB_KERN_FLUSHER_H

#include <stdint.h>

#include "kern/check.h"

/* Write the dirty file page in frame f back, and mark it clean in the frame
 * and in every PTE that maps it (their TLB entries dropped).  0, or as
 * obj_write_page (the page stays dirty). */
int flusher_write(vm_machine_t *vm, uint32_t f);
/* The flusher's clock reads now: if a wake-up is due, run it (one, however
 * long since the last).  0, or the first write-back's failure
 * (VM_EIO; the pages it could not write stay dirty and are tried again at
 * the next wake-up).  Does nothing without cfg.dirty_expire. */
int flusher_clock(vm_machine_t *vm, uint64_t now);

#endif
