/* list.h - LIST arguments of the analysis commands (prefix list_): --frames
 * of mrc and sweep, --tau of wss.
 *
 * A LIST is comma-separated items, each one of
 *   A        the value A
 *   A..B     every value from A to B
 *   A..B/N   N values spread geometrically from A to B (A·(B/A)^(i/(N-1)),
 *            i = 0..N-1, rounded to the nearest integer; N = 1 gives A)
 * Values are C literals as elsewhere (31, 0x1f).  The result is sorted
 * ascending with duplicates removed.  Errors: an empty item, a value of 0, a
 * value above max, A > B, N = 0, and a list of more than LIST_MAX_VALUES
 * values (it would only exhaust memory). */
#ifndef VMLAB_CLI_LIST_H
#define VMLAB_CLI_LIST_H

#include <stddef.h>
#include <stdint.h>

#define LIST_MAX_VALUES 1000000

/* Parse s into a malloc'ed sorted array *out of *n distinct values, each
 * 1..max.  Returns 0, or a negative vm_err_t (VM_EINVAL malformed, VM_ERANGE
 * a value out of range, VM_ENOMEM) with the reason in err; then *out is NULL. */
int list_parse(const char *s, uint64_t max, uint64_t **out, size_t *n, char *err, size_t errlen);

#endif
