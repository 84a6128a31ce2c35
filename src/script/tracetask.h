/* tracetask.h - a trace as the accesses of a scheduled process (prefix
 * tt_): `spawn P trace TRACE` and `vmlab thrash` hand tt_next to the
 * scheduler (vmlab_sched.h).  The trace's own process numbers are ignored:
 * every access is the task's. */
#ifndef VMLAB_SCRIPT_TRACETASK_H
#define VMLAB_SCRIPT_TRACETASK_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"
#include "vmlab.h"

typedef struct tt_task {
	trace_reader_t *r;
	trace_access_t buf[256];
	long len, pos;         /* accesses in buf, the next one */
} tt_task_t;

/* Open path (any format `vmlab run` reads; format TRACE_FMT_AUTO guesses)
 * for a machine of 2^page_shift-byte pages and va_bits.  0, or a negative
 * vm_err_t with "PATH: what" in err. */
int tt_open(tt_task_t **out, const char *path, trace_format_t format, unsigned page_shift,
	    unsigned va_bits, char *err, size_t errlen);
/* Create process pid on script-mode vm with its whole address space (above
 * page 0) one private anonymous rwx region, as trace mode has it.  0, or
 * the negative vm_err_t of vm_spawn or vm_mmap. */
int tt_spawn(vm_machine_t *vm, uint32_t pid);
/* log2 of cfg's page size, what tt_open takes. */
unsigned tt_page_shift(const vm_config_t *cfg);

/* vm_task_next_fn: the next access; a read error is returned (tt_error). */
int tt_next(void *arg, uint64_t *va, uint32_t *size, int *kind);
const char *tt_error(const tt_task_t *t);
void tt_close(tt_task_t *t);

#endif
