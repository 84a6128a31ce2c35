/* swap.c - the swap device of script mode: a real file, slot s at byte
 * s * page_size, with a reference count per slot (PTEs holding the swap
 * entry, the swap cache, anonymous objects) and the swap cache (the frame
 * that holds a copy of the slot, so that sharers find it). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kern/swap.h"
#include "util/hostfile.h"
#include "util/vmerr.h"

/* Open the swap file (script mode): the given path (a regular file, checked without
 * blocking on a FIFO, emptied only once it passed), or an unlinked temporary
 * file.  The reason for a failure into err. */
int swap_open(vm_machine_t *vm, char *err, size_t errlen)
{
	char why[128];
	if (vm->cfg.swap_file) {
		vm->swap_fd = hostfile_open(vm->cfg.swap_file, O_RDWR | O_CREAT, 0600, why, sizeof why);
		if (vm->swap_fd >= 0 && ftruncate(vm->swap_fd, 0) != 0) {
			snprintf(why, sizeof why, "%s", strerror(errno));
			close(vm->swap_fd);
			vm->swap_fd = -1;
		}
		if (vm->swap_fd < 0) {
			snprintf(err, errlen, "cannot create the swap file %s: %s", vm->cfg.swap_file, why);
			return VM_EIO;
		}
		return VM_OK;
	}
	const char *dir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/vmlab-swap-XXXXXX", dir && *dir ? dir : "/tmp");
	vm->swap_fd = mkstemp(path);
	if (vm->swap_fd < 0) {
		snprintf(err, errlen, "cannot create the swap file (a temporary file in %s; set TMPDIR or --swap-file): %s",
			 dir && *dir ? dir : "/tmp", strerror(errno));
		return VM_EIO;
	}
	unlink(path); /* removed when the machine closes it, even on a crash */
	return VM_OK;
}

void swap_fini(vm_machine_t *vm)
{
	if (vm->swap_fd >= 0)
		close(vm->swap_fd);
	free(vm->swap_count);
	free(vm->swap_cache);
}

/* Make the per-slot arrays cover slot. */
static int swap_grow(vm_machine_t *vm, uint64_t slot)
{
	if (slot < vm->swap_cap)
		return VM_OK;
	uint64_t cap = vm->swap_cap ? vm->swap_cap : 64;
	while (cap <= slot)
		cap *= 2;
	int rc;
	uint32_t *count = budget_realloc(&vm->budget, BUDGET_SWAP, vm->swap_count,
					 vm->swap_cap * sizeof *count, cap * sizeof *count, &rc);
	if (!count)
		return rc;
	vm->swap_count = count;
	uint32_t *cache = budget_realloc(&vm->budget, BUDGET_SWAP, vm->swap_cache,
					 vm->swap_cap * sizeof *cache, cap * sizeof *cache, &rc);
	if (!cache)
		return rc;
	vm->swap_cache = cache;
	for (uint64_t s = vm->swap_cap; s < cap; s++) {
		count[s] = 0;
		cache[s] = FRAME_NIL;
	}
	vm->swap_cap = cap;
	return VM_OK;
}

int swap_alloc(vm_machine_t *vm, uint64_t *slot)
{
	int rc = idset_take(&vm->swap, slot);
	if (rc)
		return rc;
	rc = swap_grow(vm, *slot);
	if (rc) {
		idset_put(&vm->swap, *slot);
		return rc;
	}
	assert(vm->swap_count[*slot] == 0 && vm->swap_cache[*slot] == FRAME_NIL);
	vm->swap_count[*slot] = 1;
	return VM_OK;
}

void swap_get(vm_machine_t *vm, uint64_t slot)
{
	assert(slot < vm->swap_cap && vm->swap_count[slot] > 0);
	vm->swap_count[slot]++;
}

void swap_put(vm_machine_t *vm, uint64_t slot)
{
	assert(slot < vm->swap_cap && vm->swap_count[slot] > 0);
	if (--vm->swap_count[slot] == 0) {
		assert(vm->swap_cache[slot] == FRAME_NIL);
		idset_put(&vm->swap, slot);
	}
}

/* The swap file as a message names it. */
static const char *swap_name(const vm_machine_t *vm)
{
	return vm->cfg.swap_file ? vm->cfg.swap_file : "the temporary swap file";
}

int swap_write(vm_machine_t *vm, uint64_t slot, const void *page)
{
	size_t len = geom_page_size(&vm->g);
	int e = kio_pwrite(vm->swap_fd, page, len, slot * len);
	return e ? kio_fail(vm, e, "cannot write swap slot %llu to %s", (unsigned long long)slot,
			    swap_name(vm))
		 : VM_OK;
}

int swap_read(vm_machine_t *vm, uint64_t slot, void *page)
{
	size_t len = geom_page_size(&vm->g);
	int e = kio_pread(vm->swap_fd, page, len, slot * len);
	return e ? kio_fail(vm, e, "cannot read swap slot %llu from %s", (unsigned long long)slot,
			    swap_name(vm))
		 : VM_OK;
}

void swap_uncache(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	if (fr->swap_slot == SLOT_NONE)
		return;
	assert(vm->swap_cache[fr->swap_slot] == f);
	vm->swap_cache[fr->swap_slot] = FRAME_NIL;
	swap_put(vm, fr->swap_slot);
	fr->swap_slot = SLOT_NONE;
}
