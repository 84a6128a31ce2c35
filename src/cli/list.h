/* list.h - lists of values on the command line (prefix list_).
 *
 * A number list is comma-separated items, each N, A..B (every value from A
 * to B) or A..B/N (N values spread geometrically from A to B, rounded);
 * the result is sorted ascending with duplicates removed.  A word list is
 * comma-separated words, kept in order, repeats dropped. */
#ifndef VMLAB_CLI_LIST_H
#define VMLAB_CLI_LIST_H

#include <stddef.h>
#include <stdint.h>

/* At most this many values in a list, so that `1..4000000000` cannot
 * exhaust memory. */
#define LIST_MAX_VALUES (1u << 20)

/* Parse number list s, each value 1..max (K, M, G suffixes when suffix),
 * into *out (free() it), *n values.  Returns 0, or VM_EINVAL / VM_ERANGE /
 * VM_ENOMEM with the reason in err ("empty item in '1,,2'"). */
int list_parse_u64(const char *s, uint64_t max, int suffix, uint64_t **out, size_t *n,
		   char *err, size_t errlen);

/* Split word list s into *out, *n words (free() *out: one block holding
 * the pointers and the words).  Returns 0, or VM_EINVAL (an empty item) /
 * VM_ENOMEM with the reason in err. */
int list_split(const char *s, char ***out, size_t *n, char *err, size_t errlen);

#endif
