/* num.c - see num.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "num.h"
#include "vmerr.h"

int num_parse_u64(const char *s, uint64_t *out, int suffix)
{
	if (!s || !isdigit((unsigned char)*s)) /* strtoull would take blanks and signs */
		return VM_EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return VM_ERANGE;
	unsigned shift = 0;
	if (suffix && *end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return VM_EINVAL;
		}
		end++;
	}
	if (*end)
		return VM_EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return VM_ERANGE;
	*out = (uint64_t)v << shift;
	return VM_OK;
}
