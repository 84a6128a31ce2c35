/* wss.h - Denning's working set of a reference string, for many window sizes
 * in one pass (prefix wss_).
 *
 * References are numbered t = 1..n; W(t, tau) is the set of distinct pages
 * (pid, VPN) among references t-tau+1..t.  For each tau:
 *   avg_wss   = (1/n) sum_t |W(t, tau)|
 *   ws_faults = #{t : page(t) not among references t-tau..t-1}
 *               (the working-set policy's faults, first references included)
 *   peak_wss  = max_t |W(t, tau)|
 * and, every N references, the sizes |W(t, tau)| themselves.  Memory is
 * proportional to the distinct pages and the number of window sizes (plus
 * the time series when one is asked for), never to n. */
#ifndef VMLAB_WSS_H
#define VMLAB_WSS_H

#include <stddef.h>
#include <stdint.h>

typedef struct wss wss_t;

typedef struct wss_point {
	uint64_t tau;
	double avg_wss;
	uint64_t ws_faults;
	uint64_t peak_wss;
} wss_point_t;

/* Start an analysis for the window sizes taus[0..ntau) (sorted ascending,
 * distinct, each >= 1), or, when taus is NULL, for every power of ten from 1
 * to n (n known only at the end).  every > 0 records |W(t, tau)| at t =
 * every, 2*every, ...  Returns 0 or VM_ENOMEM. */
int wss_create(wss_t **out, const uint64_t *taus, size_t ntau, uint64_t every);

/* Account the next page reference.  Returns 0, VM_ENOMEM, or VM_ERANGE when
 * the distinct pages would exceed 2^32 - 2. */
int wss_ref(wss_t *w, uint32_t pid, uint64_t vpn);

/* End of the string: compute the points.  Call once, after the last wss_ref. */
void wss_finish(wss_t *w);

uint64_t wss_references(const wss_t *w);
uint64_t wss_distinct_pages(const wss_t *w);

/* The points, one per window size, ascending by tau (after wss_finish). */
const wss_point_t *wss_points(const wss_t *w, size_t *n);

/* Rows of the time series: row r is t = (r + 1) * every; wss_series_at gives
 * |W(t, tau)| for the tau of point i. */
size_t wss_series_rows(const wss_t *w);
uint64_t wss_series_at(const wss_t *w, size_t row, size_t i);

void wss_destroy(wss_t *w);

#endif
