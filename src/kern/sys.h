/* sys.h - layer 12 (api): what the api layer's files share among
 * themselves (sys.c's system calls used by exec_support.c). */
#ifndef VMLAB_KERN_SYS_H
#define VMLAB_KERN_SYS_H

#include "kern/ref.h"

/* The end of every system call: the invariant checker when cfg.check is
 * set (a broken invariant is a kernel bug: it stops the program); returns rc. */
int sys_after(vm_machine_t *vm, int rc);

#endif
