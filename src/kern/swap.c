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
		if (zram_holds(vm, slot))
			zram_drop(vm, slot);
		idset_put(&vm->swap, slot);
	}
}

/* The swap file as a message names it. */
static const char *swap_name(const vm_machine_t *vm)
{
	return vm->cfg.swap_file ? vm->cfg.swap_file : "the temporary swap file";
}

/* The page at slot to the swap file itself. */
static int swap_file_write(vm_machine_t *vm, uint64_t slot, const void *page)
{
	size_t len = geom_page_size(&vm->g);
	if (vm->cfg.swap_none)
		return VM_ENOSPC;
	int e = kio_pwrite(vm->swap_fd, page, len, slot * len);
	return e ? kio_fail(vm, e, "cannot write swap slot %llu to %s", (unsigned long long)slot,
			    swap_name(vm))
		 : VM_OK;
}

/* Write zRAM's oldest page back to the swap file (script mode: its bytes;
 * trace mode: bookkeeping).  VM_ENOSPC with no swap device or an empty
 * store. */
static int swap_zram_writeback(vm_machine_t *vm)
{
	uint64_t old = zram_oldest(vm);
	if (vm->cfg.swap_none || old == SLOT_NONE)
		return VM_ENOSPC;
	if (vm->cfg.bytes) {
		int rc = zram_read(vm, old, vm->zram.page);
		if (!rc)
			rc = swap_file_write(vm, old, vm->zram.page);
		if (rc)
			return rc;
	}
	zram_drop(vm, old);
	vm->zram.st.writebacks++;
	vm->st.swap_outs++;
	kio_event(vm, "zram writeback slot %llu\n", (unsigned long long)old);
	return VM_OK;
}

/* Write zRAM's oldest pages back until len more compressed bytes fit. */
static int swap_zram_room(vm_machine_t *vm, uint32_t len)
{
	while (!zram_room(vm, len)) {
		int rc = swap_zram_writeback(vm);
		if (rc)
			return rc;
	}
	return VM_OK;
}

int swap_zram_shrink(vm_machine_t *vm)
{
	uint32_t held = vm->zram.frames;
	while (held && vm->zram.frames == held) {
		int rc = swap_zram_writeback(vm);
		if (rc)
			return rc;
	}
	return held ? VM_OK : VM_ENOSPC;
}

/* Slot's copy (len compressed bytes, just made) into zRAM: 1 stored, 0 not
 * worth it (counted in zram_rejects), or a negative vm_err_t. */
static int swap_zram_store(vm_machine_t *vm, uint64_t slot, uint32_t len)
{
	if (zram_holds(vm, slot))
		zram_drop(vm, slot); /* the copy is stale: this one replaces it */
	if (!zram_worth(vm, len)) {
		vm->zram.st.rejects++;
		return 0;
	}
	int rc = swap_zram_room(vm, len);
	if (rc == VM_ENOSPC) { /* full, and nothing to write back to */
		vm->zram.st.rejects++;
		return 0;
	}
	if (!rc)
		rc = zram_insert(vm, slot, len);
	return rc ? rc : 1;
}

int swap_write(vm_machine_t *vm, uint64_t slot, const void *page)
{
	if (zram_on(vm)) {
		uint32_t len;
		int rc = zram_compress(vm, page, &len);
		if (!rc)
			rc = swap_zram_store(vm, slot, len);
		if (rc)
			return rc < 0 ? rc : VM_OK;
	}
	return swap_file_write(vm, slot, page);
}

int swap_store_trace(vm_machine_t *vm, uint64_t slot)
{
	if (zram_on(vm)) {
		uint32_t len;
		int rc = zram_compress(vm, NULL, &len);
		if (!rc)
			rc = swap_zram_store(vm, slot, len);
		if (rc)
			return rc;
	}
	return vm->cfg.swap_none ? VM_ENOSPC : 0;
}

int swap_on_file(const vm_machine_t *vm, uint64_t slot)
{
	return !zram_holds(vm, slot);
}

void swap_count_in(vm_machine_t *vm, uint64_t slot)
{
	if (zram_holds(vm, slot))
		vm->zram.st.loads++;
	else
		vm->st.swap_ins++;
}

int swap_read(vm_machine_t *vm, uint64_t slot, void *page)
{
	if (zram_holds(vm, slot)) {
		int rc = zram_read(vm, slot, page);
		return rc ? kio_fail(vm, EIO, "zram: slot %llu does not decompress", (unsigned long long)slot)
			  : VM_OK;
	}
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
