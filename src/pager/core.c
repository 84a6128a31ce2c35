/* core.c - the pager's mechanism: faults, eviction, the policy's host, the
 * page daemon, and the public API (prefix pg_ internal, vp_ public).
 *
 * The policy sees the budget's slots as its frames 0..nframes-1 and one
 * "reference" per fault the pager handles (minor, major, soft or
 * write-protect): seq counts them, and on_tick comes every config->tick of
 * them.  Its accessed bit of a slot is "mapped": test_and_clear_young parks
 * the page (unmaps it, its bytes kept in the swap cache), so the next touch
 * is a soft fault that maps it again.  Its dirty bit is the page's: set by
 * the first write (a write-protect fault), cleared by write-back. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pager/pager.h"

/* --- the policy's host: emulated accessed and dirty bits ------------------- */

static bool hw_young(void *host, frame_id_t f)
{
	vp_pager_t *p = host;
	return p->frames[f].mapped;
}

/* Clearing the accessed bit is parking the page: unmapped, bytes kept. */
static bool hw_test_and_clear_young(void *host, frame_id_t f)
{
	vp_pager_t *p = host;
	pg_frame_t *fr = &p->frames[f];
	if (!fr->mapped)
		return false;
	int rc = p->be->park(p, fr->r, fr->idx, f, fr->dirty);
	if (rc && !p->pending)
		p->pending = rc;
	fr->mapped = false;
	return true;
}

static bool hw_dirty(void *host, frame_id_t f)
{
	vp_pager_t *p = host;
	return p->frames[f].dirty;
}

static const policy_hw_ops_t pg_hw_ops = {
	.young = hw_young,
	.test_and_clear_young = hw_test_and_clear_young,
	.dirty = hw_dirty,
};

/* --- giving up: every region back to plain memory --------------------------- */

/* Map every page of r that has bytes (parked or swapped) writable, then let
 * the backend detach r: no page is lost, the budget no longer holds. */
static void region_release(vp_pager_t *p, pg_region_t *r)
{
	char *buf = malloc(p->page);
	for (size_t i = 0; i < r->hi; i++) {
		pg_page_t *pg = &r->pages[i];
		if (pg_frame(pg) != PG_NONE) {
			pg_frame_t *fr = &p->frames[pg_frame(pg)];
			if (!fr->mapped)
				p->be->unpark(p, r, i, pg_frame(pg), true);
			else if (!fr->dirty)
				p->be->unprotect(p, r, i);
		} else if (pg_slot(pg) != PG_NONE && buf && pg_swap_read(p, pg_slot(pg), buf) == VM_OK) {
			p->be->fill(p, r, i, buf, true);
		}
	}
	free(buf);
	p->be->detach(p, r);
	r->released = true;
}

/* The pager gives up paging (the swap file failed or filled): the error is
 * kept for vp_error and every region becomes plain memory. */
static void pager_fail(vp_pager_t *p, int err, const char *what)
{
	if (p->err)
		return;
	p->err = err;
	snprintf(p->errmsg, sizeof p->errmsg,
		 "%s: %s; the pager stopped paging, every page kept in memory over the budget",
		 what, vm_strerror(err));
	for (size_t k = 0; k < p->nregions; k++)
		if (!p->regions[k]->released)
			region_release(p, p->regions[k]);
	pthread_cond_broadcast(&p->idle_cv);
}

/* --- slots and eviction ----------------------------------------------------- */

static page_key_t page_key(const pg_region_t *r, size_t i)
{
	return policy_key(0, r->id, i);
}

/* Evict the page the policy picks for incoming: write it to its swap slot
 * if dirty (write-protected first, so no thread writes during the copy),
 * drop it, tell the policy.  On a failed write the page stays resident and
 * the error is returned. */
static int evict_one(vp_pager_t *p, const policy_page_t *incoming)
{
	assert(p->nfree < p->nframes);
	frame_id_t f = p->pol->pick_victim(p->pstate, incoming);
	assert(f < p->nframes && p->frames[f].r);
	if (p->pending)
		return p->pending;
	pg_frame_t *fr = &p->frames[f];
	pg_region_t *r = fr->r;
	pg_page_t *pg = &r->pages[fr->idx];
	int rc;
	if (fr->dirty) {
		if (fr->mapped && (rc = p->be->protect(p, r, fr->idx)))
			return rc;
		if (pg_slot(pg) == PG_NONE) {
			uint32_t slot;
			if ((rc = pg_swap_alloc(p, &slot)))
				return rc;
			pg_set_slot(pg, slot);
		}
		const char *src = fr->mapped ? p->be->bytes(p, r, fr->idx)
					     : p->be->cache(p, r, fr->idx, f);
		PG_PROGRAM_READ_BEGIN();
		rc = pg_swap_write(p, pg_slot(pg), src);
		PG_PROGRAM_READ_END();
		if (rc)
			return rc;
		fr->dirty = false;
		p->st.swap_outs++;
		p->st.dirty_writebacks++;
	}
	if ((rc = p->be->drop(p, r, fr->idx, fr->mapped)))
		return rc;
	pg->shadow = p->pol->on_evict(p->pstate, f, POLICY_RECLAIM);
	pg_set_frame(pg, PG_NONE);
	*fr = (pg_frame_t){ 0 };
	p->free[p->nfree++] = f;
	p->st.evictions++;
	return VM_OK;
}

/* A free slot for incoming, evicting (direct reclaim) if none is. */
static int frame_take(vp_pager_t *p, const policy_page_t *incoming, uint32_t *f)
{
	while (p->nfree == 0) {
		int rc = evict_one(p, incoming);
		if (rc)
			return rc;
	}
	*f = p->free[--p->nfree];
	uint64_t res = p->nframes - p->nfree;
	if (res > p->st.resident_pages_peak)
		p->st.resident_pages_peak = res;
	return VM_OK;
}

static void frame_set(vp_pager_t *p, uint32_t f, pg_region_t *r, size_t i, bool mapped, bool dirty,
		      uint64_t seq)
{
	pg_page_t *pg = &r->pages[i];
	p->frames[f] = (pg_frame_t){ .r = r, .idx = i, .mapped = mapped, .dirty = dirty };
	pg_set_frame(pg, f);
	policy_page_t in = { .key = page_key(r, i), .seq = seq, .shadow = pg->shadow };
	pg->shadow = 0;
	p->pol->on_fill(p->pstate, f, &in);
}

/* --- faults ----------------------------------------------------------------- */

/* Read ahead after a major fault at page i: following pages with a swap copy
 * and no slot, into free slots only (never evicting), parked. */
static void readahead(vp_pager_t *p, pg_region_t *r, size_t i, uint64_t seq)
{
	for (size_t j = i + 1; j < r->hi && j <= i + p->readahead && p->nfree; j++) {
		pg_page_t *pg = &r->pages[j];
		if (pg_frame(pg) != PG_NONE || pg_slot(pg) == PG_NONE)
			continue;
		uint32_t f = p->free[p->nfree - 1];
		if (pg_swap_read(p, pg_slot(pg), p->be->cache(p, r, j, f)))
			return;
		p->nfree--;
		uint64_t res = p->nframes - p->nfree;
		if (res > p->st.resident_pages_peak)
			p->st.resident_pages_peak = res;
		frame_set(p, f, r, j, false, false, seq);
		p->st.swap_ins++;
		p->st.readahead_pages++;
	}
}

/* Page i of r is not resident: a slot for it, its bytes (zeroes, or its
 * swap copy), mapped writable only for a write.  The policy's on_fill comes
 * before the page is mapped, with its accessed and dirty bits clear: as in
 * the simulator, the retried access sets them after. */
static int fault_in(vp_pager_t *p, pg_region_t *r, size_t i, bool write, uint64_t seq)
{
	pg_page_t *pg = &r->pages[i];
	policy_page_t in = { .key = page_key(r, i), .seq = seq, .shadow = pg->shadow };
	uint32_t f;
	int rc = frame_take(p, &in, &f);
	if (rc)
		return rc;
	bool swapped = pg_slot(pg) != PG_NONE;
	if (swapped && (rc = pg_swap_read(p, pg_slot(pg), p->be->cache(p, r, i, f)))) {
		p->free[p->nfree++] = f;
		return rc;
	}
	frame_set(p, f, r, i, false, false, seq);
	bool dirty = write || !p->wp_ok;  /* without write-protect faults every page may be dirty */
	rc = swapped ? p->be->unpark(p, r, i, f, dirty) : p->be->fill(p, r, i, NULL, dirty);
	if (rc) {
		p->pol->on_evict(p->pstate, f, POLICY_RELEASE);
		pg_set_frame(pg, PG_NONE);
		p->frames[f] = (pg_frame_t){ 0 };
		p->free[p->nfree++] = f;
		return rc;
	}
	p->frames[f].mapped = true;
	p->frames[f].dirty = dirty;
	if (swapped) {
		p->st.major_faults++;
		p->st.swap_ins++;
	} else {
		p->st.minor_faults++;
	}
	p->st.page_faults++;
	if (swapped && p->readahead)
		readahead(p, r, i, seq);
	return VM_OK;
}

/* A fault on page i of r, whatever state the page is in by now (another
 * thread's fault may have served it already). */
static int fault_page(vp_pager_t *p, pg_region_t *r, size_t i, int write, uint64_t seq)
{
	pg_page_t *pg = &r->pages[i];
	if (pg_frame(pg) == PG_NONE)
		return fault_in(p, r, i, write == 1, seq);
	pg_frame_t *fr = &p->frames[pg_frame(pg)];
	if (!fr->mapped) {               /* parked: the accessed bit comes back */
		if (write == 1)
			fr->dirty = true;
		int rc = p->be->unpark(p, r, i, pg_frame(pg), fr->dirty);
		if (rc)
			return rc;
		fr->mapped = true;
		p->st.soft_faults++;
	} else if (write != 0 && !fr->dirty) {  /* first write: the dirty bit */
		int rc = p->be->unprotect(p, r, i);
		if (rc)
			return rc;
		fr->dirty = true;
		p->st.wp_faults++;
	} else {
		p->be->wake(p, r, i);    /* served already */
	}
	return VM_OK;
}

static pg_region_t *region_find(vp_pager_t *p, uintptr_t addr)
{
	for (size_t k = 0; k < p->nregions; k++) {
		pg_region_t *r = p->regions[k];
		if (addr >= (uintptr_t)r->base && addr - (uintptr_t)r->base < r->npages * p->page)
			return r;
	}
	return NULL;
}

bool pg_fault(vp_pager_t *p, uintptr_t addr, int write)
{
	p->inside(true);
	uint64_t t0 = pg_now_ns();
	pthread_mutex_lock(&p->lock);
	pg_region_t *r = region_find(p, addr);
	if (!r) {
		pthread_mutex_unlock(&p->lock);
		p->inside(false);
		return false;
	}
	if (!r->released) {
		size_t i = (addr - (uintptr_t)r->base) / p->page;
		if (i >= r->hi)
			r->hi = i + 1;
		uint64_t seq = p->seq++;
		int rc = fault_page(p, r, i, write, seq);
		if (!rc && p->pending)
			rc = p->pending;
		if (rc) {
			pager_fail(p, rc, "swap file");
		} else {
			if (p->tick && p->pol->on_tick && (seq + 1) % p->tick == 0)
				p->pol->on_tick(p->pstate, seq);
			if (p->daemon_on && p->nfree < p->low)
				pthread_cond_signal(&p->wake_cv);
		}
	}
	pg_hist_add(&p->hist, pg_now_ns() - t0);
	pthread_mutex_unlock(&p->lock);
	p->inside(false);
	return true;
}

/* --- the page daemon -------------------------------------------------------- */

/* Below the low watermark, reclaim until free slots are back at high (as
 * the simulator's fault_page_daemon); the lock is let go between
 * evictions so that faults get through. */
static void *daemon_main(void *arg)
{
	vp_pager_t *p = arg;
	p->inside(true);   /* for good: this thread works for the pager only */
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		if (p->err || p->nfree >= p->low || p->nfree == p->nframes) {
			p->daemon_busy = false;
			pthread_cond_broadcast(&p->idle_cv);
			pthread_cond_wait(&p->wake_cv, &p->lock);
			continue;
		}
		p->daemon_busy = true;
		while (!p->stop && !p->err && p->nfree < p->high && p->nfree < p->nframes) {
			policy_page_t ahead = { .key = PAGE_KEY_NONE, .seq = p->seq };
			int rc = evict_one(p, &ahead);
			if (rc) {
				pager_fail(p, rc, "swap file");
				break;
			}
			p->st.daemon_reclaims++;
			pthread_mutex_unlock(&p->lock);
			pthread_mutex_lock(&p->lock);
		}
	}
	p->daemon_busy = false;
	pthread_cond_broadcast(&p->idle_cv);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void vp_sync(vp_pager_t *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->daemon_on && !p->stop && !p->err &&
	       (p->daemon_busy || (p->nfree < p->low && p->nfree < p->nframes))) {
		pthread_cond_signal(&p->wake_cv);
		pthread_cond_wait(&p->idle_cv, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
}

/* --- open and close --------------------------------------------------------- */

static int open_fail(const vp_config_t *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int open_fail(const vp_config_t *c, int rc, const char *fmt, ...)
{
	if (c->errbuf && c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->errbuf, c->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* The policy named c->policy if the pager can run it, else an error with
 * the reason (hardware tells no references and no future). */
static int policy_pick(const vp_config_t *c, const policy_ops_t **out)
{
	const char *name = c->policy ? c->policy : "clock";
	const policy_ops_t *ops = policy_find(name);
	if (!ops)
		return open_fail(c, VM_ENOENT, "policy %s: no such policy (vmlab policies lists them)", name);
	if (ops->needs != POLICY_NEEDS_HW_BITS) {
		char list[512] = "";
		size_t n = 0;
		for (size_t k = 0; k < policy_count; k++)
			if (policy_registry[k]->needs == POLICY_NEEDS_HW_BITS && n < sizeof list)
				n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "",
						      policy_registry[k]->name);
		return open_fail(c, VM_ENOTSUP,
				 "policy %s needs %s, which real hardware does not report: the pager "
				 "learns of a page only through its faults and the accessed and dirty "
				 "bits it emulates (use one of %s)",
				 name, ops->needs == POLICY_NEEDS_FUTURE ? "the future references"
									 : "every reference", list);
	}
	*out = ops;
	return VM_OK;
}

static const pg_backend_t *backend_find(const char *name)
{
	if (strcmp(name, "uffd") == 0)
		return &pg_backend_uffd;
	if (strcmp(name, "sigsegv") == 0)
		return &pg_backend_sigsegv;
	return NULL;
}

/* The backend as asked (config, else $VP_BACKEND), or uffd falling back to
 * sigsegv; initialised. */
static int backend_start(vp_pager_t *p, const vp_config_t *c)
{
	const char *name = c->backend;
	if (!name || !*name)
		name = getenv("VP_BACKEND");
	char err[256] = "";
	if (name && *name) {
		p->be = backend_find(name);
		if (!p->be)
			return open_fail(c, VM_ENOENT, "backend %s: no such backend (uffd, sigsegv)", name);
		int rc = p->be->init(p, err, sizeof err);
		return rc ? open_fail(c, rc, "backend %s: %s", name, err) : VM_OK;
	}
	p->be = &pg_backend_uffd;
	if (p->be->init(p, err, sizeof err) == VM_OK)
		return VM_OK;
	p->be = &pg_backend_sigsegv;
	int rc = p->be->init(p, err, sizeof err);
	return rc ? open_fail(c, rc, "backend sigsegv: %s", err) : VM_OK;
}

static int policy_start(vp_pager_t *p, const vp_config_t *c)
{
	if (p->pol->frame_priv_size && !(p->ppriv = calloc(p->nframes, p->pol->frame_priv_size)))
		return open_fail(c, VM_ENOMEM, "out of memory for the policy");
	policy_env_t env = {
		.nframes = p->nframes,
		.seed = c->seed ? c->seed : 1,
		.frame_priv = p->ppriv,
		.hw = { &pg_hw_ops, p },
		.tick = c->tick,
		.tau = c->tau ? c->tau : 1000,
		.swappiness = c->swappiness ? c->swappiness : 60,
	};
	p->pstate = p->pol->create(&env);
	return p->pstate ? VM_OK : open_fail(c, VM_ENOMEM, "policy %s could not start", p->pol->name);
}

static int pager_init(vp_pager_t *p, const vp_config_t *c)
{
	long ps = sysconf(_SC_PAGESIZE);
	p->page = ps > 0 ? (size_t)ps : 4096;
	if (c->budget == 0)
		return open_fail(c, VM_EINVAL, "budget 0: need at least one page (%zu bytes)", p->page);
	uint64_t n = (c->budget + p->page - 1) / p->page;
	if (n >= PG_NONE / 2 || c->budget > SIZE_MAX - p->page)
		return open_fail(c, VM_ERANGE, "budget %zu bytes: too large", c->budget);
	p->nframes = (uint32_t)n;
	if (c->wmark_low > c->wmark_high || c->wmark_high > p->nframes)
		return open_fail(c, VM_EINVAL, "watermarks low %u, high %u: need low <= high <= budget pages (%u)",
				 c->wmark_low, c->wmark_high, p->nframes);
	int rc = policy_pick(c, &p->pol);
	if (rc)
		return rc;
	p->low = c->wmark_low;
	p->high = c->wmark_high;
	p->readahead = c->readahead;
	p->tick = c->tick;
	p->swap_slots = c->swap_size ? c->swap_size / p->page : UINT64_MAX;
	p->frames = calloc(p->nframes, sizeof *p->frames);
	p->free = malloc(p->nframes * sizeof *p->free);
	p->zeros = calloc(1, p->page);
	if (!p->frames || !p->free || !p->zeros)
		return open_fail(c, VM_ENOMEM, "out of memory for %u slots", p->nframes);
	for (uint32_t k = 0; k < p->nframes; k++)
		p->free[k] = p->nframes - 1 - k;   /* lowest on top, as the simulator */
	p->nfree = p->nframes;
	char err[300] = "";
	if ((rc = pg_swap_open(p, c->swap_file, err, sizeof err)))
		return open_fail(c, rc, "%s", err);
	if ((rc = policy_start(p, c)) || (rc = backend_start(p, c)))
		return rc;
	if (p->low || p->high) {
		if (pthread_create(&p->daemon, NULL, daemon_main, p))
			return open_fail(c, VM_ENOMEM, "cannot start the page daemon");
		p->daemon_on = true;
	}
	return VM_OK;
}

static void inside_none(bool in)
{
}

int vp_open(const vp_config_t *config, vp_pager_t **out)
{
	*out = NULL;
	vp_pager_t *p = calloc(1, sizeof *p);
	if (!p)
		return open_fail(config, VM_ENOMEM, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake_cv, NULL);
	pthread_cond_init(&p->idle_cv, NULL);
	p->swap_fd = p->uffd = p->efd = -1;
	p->inside = config->inside ? config->inside : inside_none;
	int rc = pager_init(p, config);
	if (rc) {
		vp_close(p);
		return rc;
	}
	*out = p;
	return VM_OK;
}

/* Give r's pages and slots back (its resident pages leave the policy as
 * released) and remove it. */
static void region_free(vp_pager_t *p, size_t k)
{
	pg_region_t *r = p->regions[k];
	for (size_t i = 0; i < r->hi; i++) {
		pg_page_t *pg = &r->pages[i];
		if (pg_frame(pg) != PG_NONE) {
			p->pol->on_evict(p->pstate, pg_frame(pg), POLICY_RELEASE);
			p->frames[pg_frame(pg)] = (pg_frame_t){ 0 };
			p->free[p->nfree++] = pg_frame(pg);
		} else if (p->pol->on_forget && (pg_slot(pg) != PG_NONE || pg->shadow)) {
			p->pol->on_forget(p->pstate, page_key(r, i));
		}
		if (pg_slot(pg) != PG_NONE)
			pg_swap_free(p, pg_slot(pg));
	}
	p->be->unmap(p, r);
	munmap(r->pages, r->npages * sizeof *r->pages);
	free(r);
	p->regions[k] = p->regions[--p->nregions];
}

void vp_close(vp_pager_t *p)
{
	if (!p)
		return;
	if (p->daemon_on) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->wake_cv);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->daemon, NULL);
	}
	pthread_mutex_lock(&p->lock);
	while (p->nregions)
		region_free(p, p->nregions - 1);
	pthread_mutex_unlock(&p->lock);
	if (p->be)
		p->be->fini(p);
	if (p->pstate)
		p->pol->destroy(p->pstate);
	pg_swap_close(p);
	free(p->ppriv);
	free(p->regions);
	free(p->frames);
	free(p->free);
	free(p->zeros);
	pthread_cond_destroy(&p->wake_cv);
	pthread_cond_destroy(&p->idle_cv);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* --- regions ---------------------------------------------------------------- */

void *vp_map(vp_pager_t *p, size_t length)
{
	pthread_mutex_lock(&p->lock);
	void *addr = NULL;
	errno = EINVAL;
	if (p->err || length == 0 || length > SIZE_MAX / 2)
		goto out;
	errno = ENOMEM;
	pg_region_t *r = calloc(1, sizeof *r);
	if (!r)
		goto out;
	r->npages = (length + p->page - 1) / p->page;
	r->id = p->next_id++;
	r->memfd = -1;
	r->pages = mmap(NULL, r->npages * sizeof *r->pages, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->pages == MAP_FAILED) {
		free(r);
		goto out;
	}
	if (p->nregions == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		pg_region_t **n = realloc(p->regions, cap * sizeof *n);
		if (!n)
			goto undo;
		p->regions = n;
		p->cap = cap;
	}
	if (p->be->map(p, r))
		goto undo;
	p->regions[p->nregions++] = r;
	addr = r->base;
	goto out;
undo:
	munmap(r->pages, r->npages * sizeof *r->pages);
	free(r);
out:
	pthread_mutex_unlock(&p->lock);
	return addr;
}

int vp_unmap(vp_pager_t *p, void *addr)
{
	pthread_mutex_lock(&p->lock);
	int rc = VM_EINVAL;
	for (size_t k = 0; k < p->nregions; k++)
		if (p->regions[k]->base == addr) {
			region_free(p, k);
			rc = VM_OK;
			break;
		}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* --- reading ---------------------------------------------------------------- */

void vp_stats(vp_pager_t *p, vp_stats_t *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	out->resident_pages = p->nframes - p->nfree;
	out->free_slots = p->nfree;
	out->budget_pages = p->nframes;
	out->swap_slots_used = p->swap_used;
	out->faults_timed = p->hist.n;
	out->handler_ns = p->hist.sum;
	out->fault_ns_mean = p->hist.n ? p->hist.sum / p->hist.n : 0;
	out->fault_ns_p50 = pg_hist_pct(&p->hist, 50);
	out->fault_ns_p99 = pg_hist_pct(&p->hist, 99);
	pthread_mutex_unlock(&p->lock);
}

int vp_error(vp_pager_t *p, const char **msg)
{
	pthread_mutex_lock(&p->lock);
	int err = p->err;
	if (msg)
		*msg = err ? p->errmsg : "";
	pthread_mutex_unlock(&p->lock);
	return err;
}

const char *vp_backend(vp_pager_t *p)
{
	return p->be->name;
}

int vp_swap_fd(vp_pager_t *p)
{
	return p->swap_fd;
}

long long vp_swap_offset(vp_pager_t *p, void *addr, size_t page)
{
	pthread_mutex_lock(&p->lock);
	long long off = -1;
	for (size_t k = 0; k < p->nregions; k++) {
		pg_region_t *r = p->regions[k];
		if (r->base == addr && page < r->hi && pg_slot(&r->pages[page]) != PG_NONE)
			off = (long long)pg_slot(&r->pages[page]) * (long long)p->page;
	}
	pthread_mutex_unlock(&p->lock);
	return off;
}
