/* vm_nextuse.c - the public door to nextuse_build (vmlab.h), so that a
 * program using the library can run OPT without vmlab's private headers. */
#include <stdlib.h>

#include "vmlab.h"
#include "nextuse.h"

int vm_nextuse_build(const uint64_t *vpns, const uint32_t *pids, size_t n, uint64_t **next)
{
	vm_pageref_t *refs = malloc((n ? n : 1) * sizeof *refs);
	if (!refs)
		return VM_ENOMEM;
	for (size_t i = 0; i < n; i++)
		refs[i] = (vm_pageref_t){ .vpn = vpns[i], .pid = pids ? pids[i] : 0, .kind = VM_READ };
	int rc = nextuse_build(refs, n, next);
	free(refs);
	return rc;
}

const char *vm_version(void)
{
	return VMLAB_VERSION;
}
