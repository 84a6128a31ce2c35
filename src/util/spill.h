/* spill.h - a growable byte buffer that lives in host memory while a budget
 * allows, and past it in a temporary file mapped into memory (prefix spill_).
 *
 * OPT needs the whole reference string and its next-use index before the
 * run; on traces larger than memory they go to a file ($TMPDIR or /tmp,
 * unlinked at once) whose blocks are reserved with posix_fallocate before
 * they are mapped, so a full disk is an error of the growth, never a SIGBUS
 * or a silent loss later. */
#ifndef VMLAB_SPILL_H
#define VMLAB_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "budget.h"

typedef struct spill {
	uint8_t *p;            /* the bytes (moves when grown) */
	uint64_t cap;          /* bytes of room */
	int fd;                /* the file once spilled, else -1 */
	budget_t *budget;      /* in-memory bytes are charged as BUDGET_FUTURE */
} spill_t;

void spill_init(spill_t *s, budget_t *budget);

/* Room for at least need bytes, contents kept; new bytes are zero.  Returns
 * 0, or VM_EIO / VM_ENOMEM with the reason in err. */
int spill_reserve(spill_t *s, uint64_t need, char *err, size_t errlen);

/* Whether the buffer lives in a file. */
static inline int spill_in_file(const spill_t *s)
{
	return s->fd >= 0;
}

void spill_free(spill_t *s);

#endif
