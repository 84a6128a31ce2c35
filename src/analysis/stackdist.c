/* stackdist.c - LRU stack distances with a Fenwick tree (prefix stackdist_).
 *
 * Every reference takes the next tick of a time axis; a page's tick is that
 * of its latest reference.  A Fenwick tree over the ticks marks the ticks
 * that are some page's latest, so the distinct pages referenced since page
 * p's previous reference are the marks after p's tick: one prefix sum.
 *
 * The axis has room for cap ticks, cap at least twice the distinct pages.
 * When it is full it is compacted: the marked ticks are renumbered 1..m in
 * order, which keeps every page's rank and so every future distance, and
 * costs O(cap) once per at least cap/2 references.  Memory is therefore
 * O(distinct pages), however long the trace.
 *
 * The SD_WIN most recently referenced pages, the top of the LRU stack, are
 * kept apart in a small MRU array instead of the tree: a reference to one
 * of them has its position there as its distance and costs no hash lookup
 * and no tree update (most of a program's references are to its last few
 * pages: an instruction page and a data page or two).  A page pushed out of
 * the array takes the next tick, which is right since it is more recent
 * than every page in the tree.  With the array's pages unmarked, the marks
 * after a tree page's tick are the tree's pages referenced since, and the
 * array's pages all were too: the distance stays npages - prefix + 1. */
#include <stdlib.h>
#include <string.h>

#include "stackdist.h"
#include "../util/rng.h"
#include "../util/vmerr.h"

#define SD_MIN_CAP 4096u
#define SD_MAX_PAGES (1u << 30)  /* keeps 2 * pages + SD_MIN_CAP ticks in a uint32_t */
#define SD_WIN 8                 /* pages at the top of the stack, outside the tree */

typedef struct sd_page {
	uint64_t vpn;
	uint32_t pid;
	uint32_t tick;   /* of its latest reference, 1..cap; 0 in the MRU array */
} sd_page_t;

typedef struct sd_top {
	uint64_t vpn;
	uint32_t pid;
	uint32_t index;  /* in page[] */
} sd_top_t;

struct stackdist {
	sd_page_t *page;      /* npages of them, in order of first reference */
	uint32_t npages, page_cap;
	uint32_t *slot;       /* hash table: 1 + page index, 0 empty */
	uint32_t slot_mask;
	uint32_t *fen;        /* Fenwick tree over ticks 1..cap (fen[0] unused) */
	uint32_t *owner;      /* owner[t]: the page that took tick t */
	uint32_t cap, now;    /* ticks available, last tick taken */
	sd_top_t top[SD_WIN]; /* the most recent pages, most recent first */
	uint32_t ntop;
	uint64_t *hist;       /* hist[d]: references at distance d (1..npages);
				 after stackdist_finish, faults with d frames */
	uint64_t hist_cap;
	uint64_t refs;
	int finished;
};

static uint32_t sd_hash(uint32_t pid, uint64_t vpn)
{
	return (uint32_t)rng_mix64(vpn ^ ((uint64_t)pid * 0x9e3779b97f4a7c15ull));
}

int stackdist_create(stackdist_t **out)
{
	stackdist_t *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s)
		return VM_ENOMEM;
	s->slot_mask = 1023;
	s->cap = SD_MIN_CAP;
	s->slot = calloc(s->slot_mask + 1, sizeof *s->slot);
	s->fen = calloc(s->cap + 1, sizeof *s->fen);
	s->owner = malloc((s->cap + 1) * sizeof *s->owner);
	if (!s->slot || !s->fen || !s->owner) {
		stackdist_destroy(s);
		return VM_ENOMEM;
	}
	*out = s;
	return VM_OK;
}

void stackdist_destroy(stackdist_t *s)
{
	if (!s)
		return;
	free(s->page);
	free(s->slot);
	free(s->fen);
	free(s->owner);
	free(s->hist);
	free(s);
}

static void sd_fen_add(stackdist_t *s, uint32_t t, int32_t delta)
{
	for (; t <= s->cap; t += t & -t)
		s->fen[t] += (uint32_t)delta;
}

/* Marked ticks in 1..t. */
static uint32_t sd_fen_prefix(const stackdist_t *s, uint32_t t)
{
	uint32_t sum = 0;
	for (; t; t -= t & -t)
		sum += s->fen[t];
	return sum;
}

/* Double the hash table (kept at most half full). */
static int sd_rehash(stackdist_t *s)
{
	uint32_t mask = s->slot_mask * 2 + 1;
	uint32_t *slot = calloc((size_t)mask + 1, sizeof *slot);
	if (!slot)
		return VM_ENOMEM;
	for (uint32_t i = 0; i < s->npages; i++) {
		uint32_t h = sd_hash(s->page[i].pid, s->page[i].vpn) & mask;
		while (slot[h])
			h = (h + 1) & mask;
		slot[h] = i + 1;
	}
	free(s->slot);
	s->slot = slot;
	s->slot_mask = mask;
	return VM_OK;
}

/* Room for one more page: its record, its hash slot, a histogram bucket. */
static int sd_grow(stackdist_t *s)
{
	if (s->npages >= SD_MAX_PAGES)
		return VM_ERANGE;
	if (s->npages == s->page_cap) {
		uint32_t cap = s->page_cap ? s->page_cap * 2 : 1024;
		sd_page_t *p = realloc(s->page, (size_t)cap * sizeof *p);
		if (!p)
			return VM_ENOMEM;
		s->page = p;
		s->page_cap = cap;
	}
	if (s->npages + 2 > s->hist_cap) {
		uint64_t cap = s->hist_cap ? s->hist_cap * 2 : 1024;
		uint64_t *h = realloc(s->hist, cap * sizeof *h);
		if (!h)
			return VM_ENOMEM;
		memset(h + s->hist_cap, 0, (cap - s->hist_cap) * sizeof *h);
		s->hist = h;
		s->hist_cap = cap;
	}
	if ((uint64_t)(s->npages + 1) * 2 > (uint64_t)s->slot_mask + 1)
		return sd_rehash(s);
	return VM_OK;
}

/* Renumber the marked ticks 1..npages in order, growing the axis to at
 * least twice the pages, and rebuild the tree in O(cap). */
static int sd_compact(stackdist_t *s)
{
	/* Allocate first so that a failure leaves the state as it was. */
	if (s->cap < 2 * s->npages + SD_MIN_CAP) {
		uint32_t cap = 2 * s->npages + SD_MIN_CAP;
		uint32_t *fen = realloc(s->fen, ((size_t)cap + 1) * sizeof *fen);
		if (!fen)
			return VM_ENOMEM;
		s->fen = fen;
		uint32_t *owner = realloc(s->owner, ((size_t)cap + 1) * sizeof *owner);
		if (!owner)
			return VM_ENOMEM; /* s->cap unchanged: both arrays still hold it */
		s->owner = owner;
		s->cap = cap;
	}
	uint32_t m = 0;
	for (uint32_t t = 1; t <= s->now; t++) {
		uint32_t p = s->owner[t];
		if (s->page[p].tick == t) {
			s->page[p].tick = ++m;
			s->owner[m] = p;
		}
	}
	/* Linear build: ticks 1..m marked, then each node passes its sum up. */
	for (uint32_t t = 1; t <= s->cap; t++)
		s->fen[t] = t <= m;
	for (uint32_t t = 1; t <= s->cap; t++) {
		uint32_t up = t + (t & -t);
		if (up <= s->cap)
			s->fen[up] += s->fen[t];
	}
	s->now = m;
	return VM_OK;
}

/* The index of page (pid, vpn), adding it if new (*is_new set). */
static int sd_lookup(stackdist_t *s, uint32_t pid, uint64_t vpn, uint32_t *index, int *is_new)
{
	uint32_t h = sd_hash(pid, vpn) & s->slot_mask;
	for (; s->slot[h]; h = (h + 1) & s->slot_mask) {
		const sd_page_t *p = &s->page[s->slot[h] - 1];
		if (p->vpn == vpn && p->pid == pid) {
			*index = s->slot[h] - 1;
			*is_new = 0;
			return VM_OK;
		}
	}
	int rc = sd_grow(s);
	if (rc)
		return rc;
	h = sd_hash(pid, vpn) & s->slot_mask;  /* sd_grow may have rehashed */
	while (s->slot[h])
		h = (h + 1) & s->slot_mask;
	s->slot[h] = s->npages + 1;
	s->page[s->npages] = (sd_page_t){ .vpn = vpn, .pid = pid, .tick = 0 };
	*index = s->npages++;
	*is_new = 1;
	return VM_OK;
}

/* Page i, just referenced and out of the tree, goes to the front of the MRU
 * array; the page that falls off its end, if any, into the tree with the
 * next tick (the caller made room on the axis). */
static void sd_push_top(stackdist_t *s, uint32_t i)
{
	uint32_t n = s->ntop < SD_WIN ? s->ntop : SD_WIN - 1;
	if (s->ntop == SD_WIN) {
		uint32_t q = s->top[SD_WIN - 1].index;
		s->page[q].tick = ++s->now;
		s->owner[s->now] = q;
		sd_fen_add(s, s->now, 1);
	} else {
		s->ntop++;
	}
	memmove(&s->top[1], &s->top[0], n * sizeof s->top[0]);
	s->top[0] = (sd_top_t){ .vpn = s->page[i].vpn, .pid = s->page[i].pid, .index = i };
}

int stackdist_ref(stackdist_t *s, uint32_t pid, uint64_t vpn, uint64_t *dist)
{
	for (uint32_t j = 0; j < s->ntop; j++) {
		if (s->top[j].vpn == vpn && s->top[j].pid == pid) {
			sd_top_t t = s->top[j];
			memmove(&s->top[1], &s->top[0], j * sizeof t);
			s->top[0] = t;
			s->refs++;
			s->hist[j + 1]++;
			if (dist)
				*dist = j + 1;
			return VM_OK;
		}
	}
	uint32_t i;
	int is_new, rc = sd_lookup(s, pid, vpn, &i, &is_new);
	if (rc)
		return rc;
	if (s->now == s->cap && (rc = sd_compact(s)))
		return rc;
	uint64_t d = 0;
	sd_page_t *p = &s->page[i];
	if (!is_new) {
		/* npages marks and array pages in all; the marks up to p's tick
		 * include p itself */
		d = (uint64_t)s->npages - sd_fen_prefix(s, p->tick) + 1;
		sd_fen_add(s, p->tick, -1);
		p->tick = 0;
		s->hist[d]++;
	}
	sd_push_top(s, i);
	s->refs++;
	if (dist)
		*dist = d;
	return VM_OK;
}

uint64_t stackdist_references(const stackdist_t *s)
{
	return s->refs;
}

uint64_t stackdist_distinct(const stackdist_t *s)
{
	return s->npages;
}

void stackdist_finish(stackdist_t *s)
{
	if (s->finished)
		return;
	s->finished = 1;
	if (!s->hist)
		return;
	/* faults(F) = first references + references at distance > F. */
	uint64_t above = 0;
	for (uint64_t d = s->npages + 1; d-- > 0;) {
		uint64_t here = s->hist[d];
		s->hist[d] = s->npages + above;
		above += d ? here : 0;
	}
}

uint64_t stackdist_faults(const stackdist_t *s, uint64_t frames)
{
	if (!s->hist || frames >= s->npages)
		return s->npages;
	return s->hist[frames];
}

/* (1 - x) - y = [(F_last - F) * dy - (faults - faults_last) * dx] / (dx * dy)
 * with dx = F_last - F_first > 0 and dy = faults_first - faults_last != 0:
 * compare the numerators (they fit in 128 bits), the larger wins when
 * dy > 0 and the smaller when dy < 0 (a curve that rises, as FIFO's may). */
size_t stackdist_knee(const uint64_t *frames, const uint64_t *faults, size_t n)
{
	if (n < 2 || faults[0] == faults[n - 1])
		return 0;
	__int128 dx = (__int128)frames[n - 1] - frames[0];
	__int128 dy = (__int128)faults[0] - faults[n - 1];
	size_t best = 0;
	__int128 best_num = 0;
	for (size_t i = 0; i < n; i++) {
		__int128 num = ((__int128)frames[n - 1] - frames[i]) * dy -
			       ((__int128)faults[i] - faults[n - 1]) * dx;
		if (i == 0 || (dy > 0 ? num > best_num : num < best_num)) {
			best = i;
			best_num = num;
		}
	}
	return best;
}
