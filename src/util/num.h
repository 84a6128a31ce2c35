/* num.h - numbers as users write them on command lines, in scripts and in
 * state files (prefix num_). */
#ifndef VMLAB_NUM_H
#define VMLAB_NUM_H

#include <stdint.h>

/* Parse a C-literal unsigned number (0x1f, 31, 037) that starts with a digit
 * and has nothing after it but, when suffix is set, one K, M or G (x1024).
 * Returns 0, VM_EINVAL (not such a number) or VM_ERANGE (too large). */
int num_parse_u64(const char *s, uint64_t *out, int suffix);

#endif
