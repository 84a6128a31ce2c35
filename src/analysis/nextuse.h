/* nextuse.h - the future of a reference string, for OPT (prefix nextuse_).
 *
 * Given the page references a machine will perform, in order, computes for
 * each one the index of the next reference to the same (pid, VPN): one
 * backward pass with a hash table, O(1) expected per reference.  Memory:
 * the 8-byte answer per reference, and a table of 48 bytes per distinct
 * page (24-byte slots, at most half full). */
#ifndef VMLAB_NEXTUSE_H
#define VMLAB_NEXTUSE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/budget.h"

/* One page reference, as the machine performs it. */
typedef struct vm_pageref {
	uint64_t vpn;
	uint32_t pid;
	uint8_t kind;   /* 'R', 'W' or 'X' */
} vm_pageref_t;

/* Allocate *out with n entries (one when n is 0, so *out is never NULL): (*out)[i] = the smallest j > i with the same
 * (pid, vpn) as refs[i], or NEXT_USE_NEVER.  Returns 0 or VM_ENOMEM. */
int nextuse_build(const vm_pageref_t *refs, size_t n, uint64_t **out);

/* The same into next[0..n-1], the pass's page table charged to budget (NULL:
 * unlimited) and kept in a temporary file past it (util/spill.h).  Returns
 * 0, or VM_EIO / VM_ENOMEM with the reason in err. */
int nextuse_fill(const vm_pageref_t *refs, size_t n, uint64_t *next, budget_t *budget,
		 char *err, size_t errlen);

#endif
