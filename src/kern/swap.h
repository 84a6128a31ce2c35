/* swap.h - layer 3: the swap device of script mode (prefix swap_): slots
 * with reference counts (PTEs holding the swap entry, the swap cache,
 * anonymous objects) in a real file, and the swap cache (vm->swap_cache:
 * the frame holding a copy of each slot, so that sharers find it). */
#ifndef VMLAB_KERN_SWAP_H
#define VMLAB_KERN_SWAP_H

#include <stddef.h>
#include <stdint.h>

#include "kern/shadow.h"

/* Open the swap file (script mode); the reason for a failure into err. */
int swap_open(vm_machine_t *vm, char *err, size_t errlen);
void swap_fini(vm_machine_t *vm);
int swap_alloc(vm_machine_t *vm, uint64_t *slot);      /* count 1 */
void swap_get(vm_machine_t *vm, uint64_t slot);        /* count + 1 */
void swap_put(vm_machine_t *vm, uint64_t slot);        /* count - 1, freed at 0 */
/* Frame f stops caching its swap slot (its copy is stale or unwanted). */
void swap_uncache(vm_machine_t *vm, uint32_t f);
int swap_write(vm_machine_t *vm, uint64_t slot, const void *page);
int swap_read(vm_machine_t *vm, uint64_t slot, void *page);

#endif
