/* wss.c - working sets for many window sizes in one pass (prefix wss_).
 *
 * Two exact methods, one per question, each checked against the other:
 *
 * Reuse gaps give avg_wss and ws_faults.  Take a reference at time s whose
 * page is next referenced at s + g (g its gap), or never again (then let g be
 * n + 1 - s, its "tail").  The page is in W(t, tau) with s its latest
 * reference exactly for t = s .. s + min(g, tau) - 1, so
 *     sum_t |W(t, tau)| = sum over references of min(g, tau)
 * and a reference at t with previous reference t - g is a working-set fault
 * iff g > tau (first references always are).  A histogram of the gaps with
 * one bucket per interval (tau[k-1], tau[k]] holding a count and a sum of
 * gaps gives both for every tau at the end: O(log T) per reference.
 *
 * A window walk gives peak_wss and the time series, which need |W(t, tau)|
 * at every t.  The pages are kept in a recency list (most recent at the
 * head).  W(t, tau) is a prefix of it: the pages whose latest reference is
 * at t - tau + 1 or later.  Each tau keeps the prefix's length and its last
 * page; a reference moves its page to the head, adding it to the prefix when
 * its gap exceeds tau, and at most one page leaves each prefix per step (the
 * one whose latest reference was at t - tau, which is the prefix's last).
 * So O(T) per reference for the T window sizes with tau < t; a tau >= t
 * still holds every page seen, so its state is that of an "everything"
 * window until t passes it.  This is the part that costs; it is needed for
 * the peak, since a maximum over t does not follow from the histogram. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "wss.h"
#include "../util/rng.h"
#include "../util/vmerr.h"

#define WSS_NIL UINT32_MAX
#define WSS_MAX_PAGES (UINT32_MAX - 1)
#define WSS_DEFAULT_TAUS 20           /* 10^0 .. 10^19, all below 2^64 */

typedef unsigned __int128 wss_u128;

typedef struct wss_page {
	uint64_t vpn;
	uint64_t last;          /* time of its latest reference */
	uint32_t pid;
	uint32_t newer, older;  /* the recency list; WSS_NIL at its ends */
} wss_page_t;

/* The window walk's state for one tau. */
typedef struct wss_win {
	uint64_t tau;
	uint64_t count;         /* |W(t, tau)| */
	uint64_t peak;
	uint64_t faults;        /* times a page joined: ws_faults, for the check */
	wss_u128 sum;           /* sum of count over t, for the check */
	uint32_t oldest;        /* the least recent page in W(t, tau) */
} wss_win_t;

struct wss {
	wss_page_t *page;
	uint32_t npages, page_cap;
	uint32_t *slot;         /* hash of (pid, vpn): 1 + page index, 0 empty */
	size_t slot_mask;
	uint32_t head, tail;    /* most and least recent page */
	uint64_t t;             /* references so far */
	wss_u128 sum_all;       /* sum over t of the distinct pages so far */
	wss_win_t *win;
	size_t nwin, nactive;   /* win[0..nactive) have tau < t */
	int trim;               /* default taus: keep those <= n */
	uint64_t *gap_cnt;      /* bucket k: gaps in (tau[k-1], tau[k]]; bucket nwin: above */
	wss_u128 *gap_sum;
	uint64_t every;
	uint64_t *series;       /* rows of nwin sizes */
	size_t rows, rows_cap;
	wss_point_t *points;
	size_t npoints;
};

int wss_create(wss_t **out, const uint64_t *taus, size_t ntau, uint64_t every)
{
	*out = NULL;
	wss_t *w = calloc(1, sizeof *w);
	if (!w)
		return VM_ENOMEM;
	w->trim = taus == NULL;
	w->nwin = taus ? ntau : WSS_DEFAULT_TAUS;
	w->every = every;
	w->head = w->tail = WSS_NIL;
	w->slot_mask = 15;
	w->win = calloc(w->nwin + 1, sizeof *w->win);
	w->gap_cnt = calloc(w->nwin + 1, sizeof *w->gap_cnt);
	w->gap_sum = calloc(w->nwin + 1, sizeof *w->gap_sum);
	w->points = calloc(w->nwin + 1, sizeof *w->points);
	w->slot = calloc(w->slot_mask + 1, sizeof *w->slot);
	if (!w->win || !w->gap_cnt || !w->gap_sum || !w->points || !w->slot) {
		wss_destroy(w);
		return VM_ENOMEM;
	}
	uint64_t p = 1;
	for (size_t i = 0; i < w->nwin; i++, p *= 10) {
		w->win[i].tau = taus ? taus[i] : p;
		assert(w->win[i].tau >= 1 && (i == 0 || w->win[i].tau > w->win[i - 1].tau));
	}
	*out = w;
	return VM_OK;
}

void wss_destroy(wss_t *w)
{
	if (!w)
		return;
	free(w->page);
	free(w->slot);
	free(w->win);
	free(w->gap_cnt);
	free(w->gap_sum);
	free(w->series);
	free(w->points);
	free(w);
}

static size_t wss_hash(const wss_t *w, uint32_t pid, uint64_t vpn)
{
	return (size_t)rng_mix64(vpn ^ ((uint64_t)pid * 0x9e3779b97f4a7c15ull)) & w->slot_mask;
}

/* The slot holding page (pid, vpn), or the empty one where it would go. */
static uint32_t *wss_slot(wss_t *w, uint32_t pid, uint64_t vpn)
{
	size_t h = wss_hash(w, pid, vpn);
	while (w->slot[h]) {
		const wss_page_t *pg = &w->page[w->slot[h] - 1];
		if (pg->vpn == vpn && pg->pid == pid)
			break;
		h = (h + 1) & w->slot_mask;
	}
	return &w->slot[h];
}

/* Double the hash table, keeping it at most half full. */
static int wss_rehash(wss_t *w)
{
	size_t cap = (w->slot_mask + 1) * 2;
	uint32_t *slot = calloc(cap, sizeof *slot), *old = w->slot;
	if (!slot)
		return VM_ENOMEM;
	w->slot = slot;
	w->slot_mask = cap - 1;
	for (uint32_t i = 0; i < w->npages; i++)
		*wss_slot(w, w->page[i].pid, w->page[i].vpn) = i + 1;
	free(old);
	return VM_OK;
}

/* The index of page (pid, vpn), adding it (last = 0, not in the list) when
 * new; *is_new says which.  Returns the index or a negative vm_err_t. */
static int64_t wss_lookup(wss_t *w, uint32_t pid, uint64_t vpn, int *is_new)
{
	uint32_t *s = wss_slot(w, pid, vpn);
	*is_new = !*s;
	if (*s)
		return *s - 1;
	if (w->npages == WSS_MAX_PAGES)
		return VM_ERANGE;
	if (w->npages == w->page_cap) {
		uint32_t cap = w->page_cap ? (w->page_cap > WSS_MAX_PAGES / 2 ? WSS_MAX_PAGES : w->page_cap * 2) : 1024;
		wss_page_t *pg = realloc(w->page, (size_t)cap * sizeof *pg);
		if (!pg)
			return VM_ENOMEM;
		w->page = pg;
		w->page_cap = cap;
	}
	uint32_t i = w->npages++;
	w->page[i] = (wss_page_t){ .vpn = vpn, .pid = pid, .newer = WSS_NIL, .older = WSS_NIL };
	*s = i + 1;
	if ((size_t)w->npages * 2 > w->slot_mask + 1 && wss_rehash(w)) {
		w->npages--;
		*wss_slot(w, pid, vpn) = 0;
		return VM_ENOMEM;
	}
	return i;
}

/* Move page x to the head of the recency list (it may not be in it yet). */
static void wss_to_head(wss_t *w, uint32_t x, int is_new)
{
	wss_page_t *p = w->page;
	if (!is_new) {
		if (w->head == x)
			return;
		p[p[x].newer].older = p[x].older;
		if (p[x].older != WSS_NIL)
			p[p[x].older].newer = p[x].newer;
		else
			w->tail = p[x].newer;
	}
	p[x].newer = WSS_NIL;
	p[x].older = w->head;
	if (w->head != WSS_NIL)
		p[w->head].newer = x;
	w->head = x;
	if (w->tail == WSS_NIL)
		w->tail = x;
}

/* The first bucket k with tau[k] >= g (nwin when g is above every tau). */
static size_t wss_bucket(const wss_t *w, uint64_t g)
{
	size_t lo = 0, hi = w->nwin;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->win[mid].tau < g)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Windows whose tau time t has just passed stop holding everything seen. */
static void wss_activate(wss_t *w, uint64_t t)
{
	while (w->nactive < w->nwin && w->win[w->nactive].tau < t) {
		wss_win_t *v = &w->win[w->nactive++];
		v->count = v->peak = v->faults = w->npages;
		v->sum = w->sum_all;
		v->oldest = w->tail;
	}
}

/* One step of every active window: x (old gap g, or new) went to the head;
 * x_newer is the page that was just more recent than x before the move. */
static void wss_walk(wss_t *w, uint64_t t, uint32_t x, int is_new, uint64_t g, uint32_t x_newer)
{
	const wss_page_t *p = w->page;
	for (size_t i = 0; i < w->nactive; i++) {
		wss_win_t *v = &w->win[i];
		if (is_new || g > v->tau) {
			v->count++;
			v->faults++;
		} else if (v->oldest == x) {
			v->oldest = x_newer != WSS_NIL ? x_newer : x;
		}
		if (v->oldest != x && p[v->oldest].last <= t - v->tau) {
			v->oldest = p[v->oldest].newer;
			v->count--;
		}
		if (v->count > v->peak)
			v->peak = v->count;
		v->sum += v->count;
	}
}

/* Record |W(t, tau)| for every tau; a tau >= t holds all pages seen. */
static int wss_record(wss_t *w)
{
	if (w->rows == w->rows_cap) {
		size_t cap = w->rows_cap ? w->rows_cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof(uint64_t) / (w->nwin + 1))
			return VM_ENOMEM;
		uint64_t *s = realloc(w->series, cap * (w->nwin + 1) * sizeof *s);
		if (!s)
			return VM_ENOMEM;
		w->series = s;
		w->rows_cap = cap;
	}
	uint64_t *row = w->series + w->rows++ * (w->nwin + 1);
	for (size_t i = 0; i < w->nwin; i++)
		row[i] = i < w->nactive ? w->win[i].count : w->npages;
	return VM_OK;
}

int wss_ref(wss_t *w, uint32_t pid, uint64_t vpn)
{
	int is_new;
	uint64_t t = w->t + 1;
	wss_activate(w, t);              /* from the state before this reference */
	int64_t xi = wss_lookup(w, pid, vpn, &is_new);
	if (xi < 0)
		return (int)xi;
	uint32_t x = (uint32_t)xi;
	w->t = t;
	uint64_t g = is_new ? 0 : t - w->page[x].last;
	if (!is_new) {
		size_t k = wss_bucket(w, g);
		w->gap_cnt[k]++;
		w->gap_sum[k] += g;
	}
	uint32_t x_newer = is_new ? WSS_NIL : w->page[x].newer;
	wss_to_head(w, x, is_new);
	w->page[x].last = t;
	wss_walk(w, t, x, is_new, g, x_newer);
	w->sum_all += w->npages;
	if (w->every && t % w->every == 0)
		return wss_record(w);
	return VM_OK;
}

/* (1/n) * total as a double, the integer part exact. */
static double wss_mean(wss_u128 total, uint64_t n)
{
	if (n == 0)
		return 0;
	return (double)(uint64_t)(total / n) + (double)(uint64_t)(total % n) / (double)n;
}

void wss_finish(wss_t *w)
{
	uint64_t n = w->t;
	size_t T = w->nwin;
	/* Tails: each page's latest reference counts min(n + 1 - last, tau). */
	uint64_t *cnt = calloc(T + 1, sizeof *cnt);
	wss_u128 *sum = calloc(T + 1, sizeof *sum);
	if (cnt && sum) {
		memcpy(cnt, w->gap_cnt, (T + 1) * sizeof *cnt);
		memcpy(sum, w->gap_sum, (T + 1) * sizeof *sum);
	}
	for (uint32_t i = 0; cnt && sum && i < w->npages; i++) {
		uint64_t tail = n + 1 - w->page[i].last;
		size_t k = wss_bucket(w, tail);
		cnt[k]++;
		sum[k] += tail;
	}
	/* Walk the buckets from the top: above[j] = gaps (and tails) > tau[j]. */
	wss_u128 below = 0;
	uint64_t above_all = 0, above_gaps = 0;
	for (size_t k = 0; k <= T; k++) {
		above_all += cnt ? cnt[k] : 0;
		above_gaps += w->gap_cnt[k];
	}
	for (size_t j = 0; j < T; j++) {
		wss_win_t *v = &w->win[j];
		if (cnt && sum) {
			below += sum[j];
			above_all -= cnt[j];
		}
		above_gaps -= w->gap_cnt[j];
		wss_u128 total = below + (wss_u128)v->tau * above_all;
		wss_point_t *pt = &w->points[j];
		pt->tau = v->tau;
		pt->ws_faults = w->npages + above_gaps;
		pt->avg_wss = wss_mean(cnt && sum ? total : (j < w->nactive ? v->sum : w->sum_all), n);
		pt->peak_wss = j < w->nactive ? v->peak : w->npages;
		/* The walk must agree with the histogram: a bug if not. */
		assert(pt->ws_faults == (j < w->nactive ? v->faults : w->npages));
		assert(!(cnt && sum) || total == (j < w->nactive ? v->sum : w->sum_all));
	}
	free(cnt);
	free(sum);
	w->npoints = T;
	if (w->trim)
		while (w->npoints && w->points[w->npoints - 1].tau > n)
			w->npoints--;
}

uint64_t wss_references(const wss_t *w)
{
	return w->t;
}

uint64_t wss_distinct_pages(const wss_t *w)
{
	return w->npages;
}

const wss_point_t *wss_points(const wss_t *w, size_t *n)
{
	*n = w->npoints;
	return w->points;
}

size_t wss_series_rows(const wss_t *w)
{
	return w->rows;
}

uint64_t wss_series_at(const wss_t *w, size_t row, size_t i)
{
	assert(row < w->rows && i < w->nwin);
	return w->series[row * (w->nwin + 1) + i];
}
