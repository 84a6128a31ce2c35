/* mode.c - the two modes of a machine (kmode_t, kern/mach.h), each one
 * const table, chosen once by vm_create.  Trace mode: a memory trace over
 * private anonymous pages, no contents.  Script mode: the kernel side of a
 * scenario script, with page contents, regions, files and a swap file. */
#include <stdio.h>
#include <stdlib.h>

#include "kern/fault.h"
#include "util/vmerr.h"

static uint64_t trace_frame_bytes(const geom_t *g)
{
	return 0;
}

static int trace_init(vm_machine_t *vm, char *err, size_t errlen)
{
	return VM_OK;
}

const kmode_t kmode_trace = {
	.name = "trace",
	.frames_note = "",
	.frame_bytes = trace_frame_bytes,
	.init = trace_init,
	.lookup = proc_get,
	.fault = fault_trace,
	.evict = reclaim_evict_trace,
	.reclaim = reclaim_trace,
	.check = NULL,
};

/* A frame's contents, its page-cache bucket and its swap-cache entry. */
static uint64_t script_frame_bytes(const geom_t *g)
{
	return geom_page_size(g) + 2 * sizeof(uint32_t);
}

/* The page copy-on-write copies through, the page cache, the swap file. */
static int script_init(vm_machine_t *vm, char *err, size_t errlen)
{
	vm->scratch = malloc(geom_page_size(&vm->g));
	if (!vm->scratch || pcache_init(vm)) {
		snprintf(err, errlen, "out of memory");
		return VM_ENOMEM;
	}
	return swap_open(vm, err, errlen) ? VM_EIO : VM_OK;
}

const kmode_t kmode_script = {
	.name = "script",
	.frames_note = " with their contents",
	.frame_bytes = script_frame_bytes,
	.init = script_init,
	.lookup = proc_live,
	.fault = sysfault_handle,
	.evict = reclaim_evict_script,
	.reclaim = reclaim_script,
	.check = check_script,
};
