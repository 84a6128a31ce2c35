/* check.h - layer 7: the invariant checker (prefix check_), run after every
 * system call when cfg.check is set; it reads every layer below. */
#ifndef VMLAB_KERN_CHECK_H
#define VMLAB_KERN_CHECK_H

#include <stddef.h>

#include "kern/vma.h"

/* Every invariant of the machine (the shared ones, then the mode's own):
 * 0, or VM_EINVAL with the broken one in err (VM_ENOMEM: no memory to
 * check). */
int check_all(vm_machine_t *vm, char *err, size_t errlen);
/* Script mode's own: regions, PTE counts, swap-slot counts and the swap
 * cache, no shadow of an ended process (kmode_script.check). */
int check_script(vm_machine_t *vm, char *err, size_t errlen);

#endif
