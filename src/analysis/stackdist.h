/* stackdist.h - LRU stack distances in one pass (prefix stackdist_).
 *
 * Mattson et al. (1970): a reference to a page whose previous reference was
 * followed by d distinct other pages has stack distance d + 1; with F frames
 * LRU faults on it iff it is the page's first reference or its distance
 * exceeds F.  So one pass that histograms the distances gives LRU's faults
 * for every F at once.
 *
 * A page is a (pid, VPN) pair.  Each reference costs O(log m), m the number
 * of distinct pages (a Fenwick tree over last-reference times); memory is
 * proportional to the distinct pages, never to the references. */
#ifndef VMLAB_STACKDIST_H
#define VMLAB_STACKDIST_H

#include <stddef.h>
#include <stdint.h>

typedef struct stackdist stackdist_t;

/* A new, empty analysis into *out.  Returns 0 or VM_ENOMEM. */
int stackdist_create(stackdist_t **out);
void stackdist_destroy(stackdist_t *s);

/* One reference to page (pid, vpn).  *dist (may be NULL) receives its stack
 * distance, 0 for a first reference.  Returns 0, VM_ENOMEM, or VM_ERANGE
 * past 2^32 - 2 distinct pages. */
int stackdist_ref(stackdist_t *s, uint32_t pid, uint64_t vpn, uint64_t *dist);

/* References seen, and distinct pages among them (= first references). */
uint64_t stackdist_references(const stackdist_t *s);
uint64_t stackdist_distinct(const stackdist_t *s);

/* LRU's page faults with frames frames: first references plus references
 * at a distance above frames.  O(1) after stackdist_finish. */
uint64_t stackdist_faults(const stackdist_t *s, uint64_t frames);

/* Turn the histogram into the faults curve (call once, after the last
 * reference and before stackdist_faults). */
void stackdist_finish(stackdist_t *s);

/* The knee of a faults curve over sizes frames[0] < ... < frames[n-1]
 * (n >= 1): the index i maximising (1 - x) - y, x = (F - F_first) /
 * (F_last - F_first), y = (faults[i] - faults_last) / (faults_first -
 * faults_last), the point farthest below the chord (Kneedle without
 * smoothing, Satopaa et al. 2011); ties go to the smaller F.  With one size,
 * or faults_first = faults_last, it is 0.  Exact (integer arithmetic). */
size_t stackdist_knee(const uint64_t *frames, const uint64_t *faults, size_t n);

#endif
