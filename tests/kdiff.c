/* kdiff.c - the differential driver of kdiff.h: the kernel side checked
 * byte for byte against an independent flat model.
 *
 * The model knows nothing about frames, swap, page tables or sharing: each
 * process is a window of WIN_PAGES pages, each page either unmapped or mapped
 * (private anonymous) with a protection, and a flat byte store (a page buffer,
 * NULL = never written = zeros).  A page-indexed array is the region list
 * flattened to pages, which is exactly what private anonymous mappings need:
 * fork copies everything, munmap forgets the bytes, mmap over a range gives
 * zeros, mprotect keeps the bytes.  Beside the window, the blocks malloc
 * handed out (kdiff_heap_op): pointer, size, the bytes written and which of
 * them were (a block's other bytes are whatever the heap held).
 *
 * The kernel's invariant checker runs after every call (cfg.check) and
 * vm_check after every operation.  Set VMLAB_DIFF_LOG=path to get one line
 * per operation in path.POLICY.MACHINE[.VARIANT] (enough to replay a failure
 * by hand).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdiff.h"
#include "policy/policy.h"
#include "script/umalloc.h"
#include "util/vmerr.h"

#define PS KDIFF_PS
#define WIN_PAGES KDIFF_WIN_PAGES
#define WIN_BASE KDIFF_WIN_BASE
#define WIN_END (WIN_BASE + (uint64_t)WIN_PAGES * PS)
#define MAX_IO (3u * PS)

#define MIN_LIVE 4u
#define MAX_LIVE 7u
#ifndef DIFF_SALT
#define DIFF_SALT 0ull /* -DDIFF_SALT=n: other operation sequences (soak runs) */
#endif
#define FULL_EVERY 1000u
#define FORK_AT_LEAST 100u /* a fork at least once in this many operations */
#define HEAP_MAX_BLOCKS 16u /* malloc'ed blocks a process holds at most */

/* ---- the model ---- */

enum { M_UNUSED = 0, M_ALIVE, M_EXITED, M_SEGV, M_NEVER /* a fork to it failed */ };

/* A block malloc handed out. */
typedef struct mblock {
	uint64_t addr, n;         /* payload and size asked for */
	uint8_t *bytes, *known;   /* n each: what was written, and where */
} mblock_t;

typedef struct mproc {
	int state;
	int prot[WIN_PAGES];      /* -1: no region; else VM_PROT_* bits */
	uint8_t *page[WIN_PAGES]; /* NULL: zeros */
	mblock_t *blk;            /* live malloc'ed blocks */
	uint32_t nblk;
	um_heap_t *heap;          /* the allocator's state (NULL before a malloc) */
} mproc_t;

static const uint8_t zero_page[PS];

static int m_page_of(uint64_t addr)
{
	if (addr < WIN_BASE || addr >= WIN_END)
		return -1;
	return (int)((addr - WIN_BASE) / PS);
}

static int m_prot_at(const mproc_t *m, uint64_t addr)
{
	int i = m_page_of(addr);
	return i < 0 ? -1 : m->prot[i];
}

static const uint8_t *m_bytes(const mproc_t *m, int i)
{
	return m->page[i] ? m->page[i] : zero_page;
}

static void m_forget(mproc_t *m, int i)
{
	free(m->page[i]);
	m->page[i] = NULL;
}

static void m_block_free(mblock_t *b)
{
	free(b->bytes);
	free(b->known);
}

static void m_release(mproc_t *m)
{
	for (unsigned i = 0; i < WIN_PAGES; i++) {
		m_forget(m, (int)i);
		m->prot[i] = -1;
	}
	for (uint32_t i = 0; i < m->nblk; i++)
		m_block_free(&m->blk[i]);
	free(m->blk);
	m->blk = NULL;
	m->nblk = 0;
	um_drop(&m->heap);
}

static uint8_t *m_page_w(mproc_t *m, int i)
{
	if (!m->page[i]) {
		m->page[i] = calloc(1, PS);
		cr_assert_not_null(m->page[i]);
	}
	return m->page[i];
}

/* Does an access of this kind succeed on a page with this prot? */
static int prot_allows(int prot, int kind)
{
	if (prot < 0)
		return 0;
	switch (kind) {
	case 'R': return (prot & VM_PROT_R) != 0;
	case 'W': return (prot & VM_PROT_W) != 0;
	case 'X': return (prot & VM_PROT_X) != 0;
	}
	return 0;
}

/* The first page of [addr, addr+len) an access of this kind would fault on,
 * as the address the reference uses (addr itself on the first page, the page
 * start after it); 0 if none. */
static uint64_t m_first_fault(const mproc_t *m, uint64_t addr, uint64_t len, int kind)
{
	uint64_t end = addr + len;
	for (uint64_t a = addr; a < end; a = (a / PS + 1) * PS)
		if (!prot_allows(m_prot_at(m, a), kind))
			return a;
	return 0;
}

/* ---- the differential driver ---- */

typedef struct diff {
	const char *policy;  /* the tag: POLICY/MACHINE[/VARIANT] */
	const kdiff_variant_t *v;
	vm_machine_t *vm;
	uint64_t rng;
	mproc_t *procs;      /* index = pid - 1 */
	uint32_t nprocs, cap;
	uint32_t live[MAX_LIVE + 1];
	uint32_t nlive;
	uint32_t op, last_fork;
	uint32_t cur;        /* the process most operations go to (locality) */
	FILE *log;
	char err[1024];
	uint8_t data[MAX_IO], got[MAX_IO];
	/* what happened */
	uint64_t n_spawn, n_fork, n_exit, n_segv, n_esrch, n_eexist, n_write, n_read,
		n_touch, n_mmap, n_munmap, n_mprotect, n_full, bytes_compared, n_malloc,
		n_malloc_mapped, n_free, n_hwrite, n_hread, heap_bytes_compared;
} diff_t;

static void d_log(diff_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void d_log(diff_t *d, const char *fmt, ...)
{
	if (!d->log)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(d->log, "%u ", d->op);
	vfprintf(d->log, fmt, ap);
	fputc('\n', d->log);
	va_end(ap);
	fflush(d->log);
}

static void d_check(diff_t *d, const char *what)
{
	d->err[0] = 0;
	int rc = vm_check(d->vm, d->err, sizeof d->err);
	cr_assert_eq(rc, 0, "[%s] op %u (%s): invariant broken: %s", d->policy, d->op, what,
		     d->err);
}

static mproc_t *d_proc(diff_t *d, uint32_t pid)
{
	return &d->procs[pid - 1];
}

static uint32_t d_new_pid(diff_t *d)
{
	if (d->nprocs == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->procs = realloc(d->procs, d->cap * sizeof *d->procs);
		cr_assert_not_null(d->procs);
	}
	mproc_t *m = &d->procs[d->nprocs++];
	memset(m, 0, sizeof *m);
	for (unsigned i = 0; i < WIN_PAGES; i++)
		m->prot[i] = -1;
	return d->nprocs; /* pid = index + 1 */
}

static void d_live_remove(diff_t *d, uint32_t pid)
{
	for (uint32_t i = 0; i < d->nlive; i++)
		if (d->live[i] == pid) {
			d->live[i] = d->live[--d->nlive];
			return;
		}
	cr_assert_fail("pid %u not live", pid);
}

static uint32_t d_pick_live(diff_t *d)
{
	return d->live[xs_below(&d->rng, d->nlive)];
}

static void d_expect_state(diff_t *d, uint32_t pid, vm_proc_state_t want)
{
	vm_proc_info_t info;
	memset(&info, 0, sizeof info);
	vm_proc_info(d->vm, pid, &info);
	cr_assert_eq(info.state, want, "[%s] op %u: pid %u state %d, model says %d", d->policy,
		     d->op, pid, info.state, want);
}

/* The kernel killed pid with SIGSEGV at fault (model prediction). */
static void d_segv(diff_t *d, uint32_t pid, int rc, uint64_t fault, const char *what)
{
	cr_assert_eq(rc, VM_EFAULT, "[%s] op %u: %s by pid %u should SIGSEGV at 0x%" PRIx64
		     ", got %d (%s)", d->policy, d->op, what, pid, fault, rc, vm_strerror(rc));
	vm_proc_info_t info;
	memset(&info, 0, sizeof info);
	vm_proc_info(d->vm, pid, &info);
	cr_assert_eq(info.state, VM_PROC_SEGV, "[%s] op %u: pid %u state %d after SIGSEGV",
		     d->policy, d->op, pid, info.state);
	cr_assert_eq(info.fault_addr, fault, "[%s] op %u: pid %u fault_addr 0x%" PRIx64
		     ", model says 0x%" PRIx64, d->policy, d->op, pid, info.fault_addr, fault);
	mproc_t *m = d_proc(d, pid);
	m_release(m);
	m->state = M_SEGV;
	d_live_remove(d, pid);
	d->n_segv++;
}

static void op_spawn(diff_t *d)
{
	uint32_t pid = d_new_pid(d);
	d_log(d, "spawn %u", pid);
	int rc = vm_spawn(d->vm, pid);
	cr_assert_eq(rc, 0, "[%s] op %u: spawn %u: %s", d->policy, d->op, pid, vm_strerror(rc));
	d_proc(d, pid)->state = M_ALIVE;
	d->live[d->nlive++] = pid;
	d->n_spawn++;
}

static void op_exit(diff_t *d, uint32_t pid)
{
	d_log(d, "exit %u", pid);
	int rc = vm_exit(d->vm, pid);
	cr_assert_eq(rc, 0, "[%s] op %u: exit %u: %s", d->policy, d->op, pid, vm_strerror(rc));
	mproc_t *m = d_proc(d, pid);
	m_release(m);
	m->state = M_EXITED;
	d_live_remove(d, pid);
	d_expect_state(d, pid, VM_PROC_EXITED);
	d->n_exit++;
}

/* The child's copy of the parent's malloc'ed blocks. */
static void m_copy_blocks(mproc_t *c, const mproc_t *p)
{
	if (!p->nblk)
		return;
	c->blk = calloc(HEAP_MAX_BLOCKS, sizeof *c->blk);
	cr_assert_not_null(c->blk);
	for (uint32_t i = 0; i < p->nblk; i++) {
		const mblock_t *b = &p->blk[i];
		mblock_t *k = &c->blk[i];
		*k = (mblock_t){ b->addr, b->n, malloc(b->n), malloc(b->n) };
		cr_assert(k->bytes && k->known);
		memcpy(k->bytes, b->bytes, b->n);
		memcpy(k->known, b->known, b->n);
	}
	c->nblk = p->nblk;
}

static void op_fork(diff_t *d, uint32_t parent)
{
	if (d->nlive >= MAX_LIVE) {
		uint32_t victim;
		do
			victim = d_pick_live(d);
		while (victim == parent);
		op_exit(d, victim);
		d_check(d, "exit before fork");
	}
	uint32_t child = d_new_pid(d);
	d_log(d, "fork %u %u", parent, child);
	int rc = vm_fork(d->vm, parent, child);
	cr_assert_eq(rc, 0, "[%s] op %u: fork %u -> %u: %s", d->policy, d->op, parent, child,
		     vm_strerror(rc));
	mproc_t *p = d_proc(d, parent), *c = d_proc(d, child);
	c->state = M_ALIVE;
	for (unsigned i = 0; i < WIN_PAGES; i++) {
		c->prot[i] = p->prot[i];
		if (p->page[i]) {
			c->page[i] = malloc(PS);
			cr_assert_not_null(c->page[i]);
			memcpy(c->page[i], p->page[i], PS);
		}
	}
	m_copy_blocks(c, p);
	cr_assert_eq(um_fork(&c->heap, p->heap), 0);
	d->live[d->nlive++] = child;
	d->cur = xs_pct(&d->rng, 50) ? child : parent;
	d->last_fork = d->op;
	d->n_fork++;
}

static int random_prot(diff_t *d)
{
	uint64_t r = xs_below(&d->rng, 100);
	if (r < 40)
		return VM_PROT_R | VM_PROT_W;
	if (r < 65)
		return VM_PROT_R;
	if (r < 90)
		return VM_PROT_R | VM_PROT_W | VM_PROT_X;
	return VM_PROT_NONE;
}

/* A fixed private mmap of window pages [first, first + n) of pid with prot,
 * len bytes (rounded up to n pages by the kernel); the model's pages become
 * zeros. */
static void d_mmap(diff_t *d, uint32_t pid, unsigned first, unsigned n, uint64_t len, int prot)
{
	mproc_t *m = d_proc(d, pid);
	uint64_t addr = WIN_BASE + (uint64_t)first * PS;
	uint64_t out = 0;
	d_log(d, "mmap %u 0x%" PRIx64 " %" PRIu64 " %d", pid, addr, len, prot);
	int rc = vm_mmap(d->vm, pid, addr, len, (unsigned)prot, VM_MAP_PRIVATE, NULL, 0,
			 VM_KIND_MAPPING, &out);
	cr_assert_eq(rc, 0, "[%s] op %u: mmap pid %u 0x%" PRIx64 "+%" PRIu64 ": %s", d->policy,
		     d->op, pid, addr, len, vm_strerror(rc));
	cr_assert_eq(out, addr, "[%s] op %u: fixed mmap at 0x%" PRIx64 " returned 0x%" PRIx64,
		     d->policy, d->op, addr, out);
	for (unsigned i = first; i < first + n; i++) {
		m_forget(m, (int)i);
		m->prot[i] = prot;
	}
	d->n_mmap++;
}

static void op_mmap(diff_t *d, uint32_t pid)
{
	unsigned first = (unsigned)xs_below(&d->rng, WIN_PAGES);
	unsigned n = 1 + (unsigned)xs_below(&d->rng, 8);
	if (first + n > WIN_PAGES)
		n = WIN_PAGES - first;
	int prot = random_prot(d);
	uint64_t len = (uint64_t)n * PS;
	if (xs_pct(&d->rng, 25)) /* lengths are rounded up to pages */
		len -= xs_below(&d->rng, PS);
	d_mmap(d, pid, first, n, len, prot);
}

void kdiff_mmap(kdiff_t *d, uint32_t pid, unsigned first, unsigned n, int prot)
{
	cr_assert(n && first + n <= WIN_PAGES);
	d_mmap(d, pid, first, n, (uint64_t)n * PS, prot);
}

int kdiff_prot(const kdiff_t *d, uint32_t pid, unsigned page)
{
	return page < WIN_PAGES ? d->procs[pid - 1].prot[page] : -1;
}

void kdiff_log(kdiff_t *d, const char *what)
{
	d_log(d, "%s", what);
}

/* A random sub-range [*a, *b) (page indices) of a run of mapped pages;
 * 0 if pid has nothing mapped. */
static int pick_mapped_range(diff_t *d, const mproc_t *m, unsigned *a, unsigned *b)
{
	unsigned mapped[WIN_PAGES], n = 0;
	for (unsigned i = 0; i < WIN_PAGES; i++)
		if (m->prot[i] >= 0)
			mapped[n++] = i;
	if (!n)
		return 0;
	unsigned at = mapped[xs_below(&d->rng, n)];
	unsigned lo = at, hi = at + 1;
	while (lo > 0 && m->prot[lo - 1] >= 0)
		lo--;
	while (hi < WIN_PAGES && m->prot[hi] >= 0)
		hi++;
	if (xs_pct(&d->rng, 30)) {
		*a = lo;
		*b = hi;
	} else {
		unsigned x = lo + (unsigned)xs_below(&d->rng, hi - lo);
		unsigned y = lo + (unsigned)xs_below(&d->rng, hi - lo);
		if (x > y) {
			unsigned t = x;
			x = y;
			y = t;
		}
		*a = x;
		*b = y + 1;
	}
	return 1;
}

static void op_munmap(diff_t *d, uint32_t pid)
{
	mproc_t *m = d_proc(d, pid);
	unsigned a, b;
	if (!pick_mapped_range(d, m, &a, &b))
		return;
	uint64_t addr = WIN_BASE + (uint64_t)a * PS, len = (uint64_t)(b - a) * PS;
	d_log(d, "munmap %u 0x%" PRIx64 " %" PRIu64, pid, addr, len);
	int rc = vm_munmap(d->vm, pid, addr, len);
	cr_assert_eq(rc, 0, "[%s] op %u: munmap pid %u 0x%" PRIx64 "+%" PRIu64 ": %s", d->policy,
		     d->op, pid, addr, len, vm_strerror(rc));
	for (unsigned i = a; i < b; i++) {
		m_forget(m, (int)i);
		m->prot[i] = -1;
	}
	d->n_munmap++;
}

static void op_mprotect(diff_t *d, uint32_t pid)
{
	mproc_t *m = d_proc(d, pid);
	unsigned a, b;
	if (!pick_mapped_range(d, m, &a, &b))
		return;
	int prot = random_prot(d);
	uint64_t addr = WIN_BASE + (uint64_t)a * PS, len = (uint64_t)(b - a) * PS;
	d_log(d, "mprotect %u 0x%" PRIx64 " %" PRIu64 " %d", pid, addr, len, prot);
	int rc = vm_mprotect(d->vm, pid, addr, len, (unsigned)prot);
	cr_assert_eq(rc, 0, "[%s] op %u: mprotect pid %u 0x%" PRIx64 "+%" PRIu64 " %d: %s",
		     d->policy, d->op, pid, addr, len, prot, vm_strerror(rc));
	for (unsigned i = a; i < b; i++)
		m->prot[i] = prot;
	d->n_mprotect++;
}

static uint64_t random_len(diff_t *d, uint64_t max)
{
	uint64_t r = xs_below(&d->rng, 3), cap = r == 0 ? 64 : r == 1 ? PS : MAX_IO;
	if (cap > max)
		cap = max;
	return 1 + xs_below(&d->rng, cap);
}

/* An access range for pid: mostly inside pages allowing kind (valid), else
 * anywhere around the window.  0 when a valid one was wanted but none exists. */
static int pick_access(diff_t *d, const mproc_t *m, int kind, int valid, int aligned,
		       uint64_t *addr, uint64_t *len)
{
	if (!valid) {
		uint64_t pages = WIN_PAGES + 4;
		uint64_t start = WIN_BASE - 2 * PS + xs_below(&d->rng, pages) * PS;
		if (aligned) {
			*addr = start;
			*len = (1 + xs_below(&d->rng, 3)) * PS;
		} else {
			*addr = start + xs_below(&d->rng, PS);
			*len = random_len(d, MAX_IO);
		}
		return 1;
	}
	unsigned ok[WIN_PAGES], n = 0;
	for (unsigned i = 0; i < WIN_PAGES; i++)
		if (prot_allows(m->prot[i], kind))
			ok[n++] = i;
	if (!n)
		return 0;
	unsigned at = ok[xs_below(&d->rng, n)], hi = at + 1;
	while (hi < WIN_PAGES && prot_allows(m->prot[hi], kind))
		hi++;
	if (aligned) {
		unsigned np = 1 + (unsigned)xs_below(&d->rng, hi - at < 3 ? hi - at : 3);
		*addr = WIN_BASE + (uint64_t)at * PS;
		*len = (uint64_t)np * PS;
		return 1;
	}
	*addr = WIN_BASE + (uint64_t)at * PS + xs_below(&d->rng, PS);
	uint64_t room = WIN_BASE + (uint64_t)hi * PS - *addr;
	*len = random_len(d, room);
	return 1;
}

static void op_write(diff_t *d, uint32_t pid, int valid)
{
	mproc_t *m = d_proc(d, pid);
	uint64_t addr, len;
	if (!pick_access(d, m, 'W', valid, 0, &addr, &len))
		return;
	uint64_t seed = xs_next(&d->rng);
	d->v->fill(seed, d->data, len);
	d_log(d, "write %u 0x%" PRIx64 " %" PRIu64 " seed=0x%" PRIx64, pid, addr, len, seed);
	int rc = vm_write(d->vm, pid, addr, d->data, len);
	uint64_t fault = m_first_fault(m, addr, len, 'W');
	/* the model: page by page up to the bad page */
	uint64_t end = fault ? fault : addr + len;
	for (uint64_t a = addr; a < end;) {
		uint64_t next = (a / PS + 1) * PS;
		if (next > end)
			next = end;
		int i = m_page_of(a);
		memcpy(m_page_w(m, i) + a % PS, d->data + (a - addr), next - a);
		a = next;
	}
	d->n_write++;
	if (fault) {
		d_segv(d, pid, rc, fault, "write");
		return;
	}
	cr_assert_eq(rc, 0, "[%s] op %u: write pid %u 0x%" PRIx64 "+%" PRIu64 ": %d (%s)",
		     d->policy, d->op, pid, addr, len, rc, vm_strerror(rc));
}

static void compare(diff_t *d, uint32_t pid, const mproc_t *m, uint64_t addr, uint64_t len,
		    const uint8_t *got, const char *what)
{
	for (uint64_t a = addr; a < addr + len;) {
		uint64_t next = (a / PS + 1) * PS;
		if (next > addr + len)
			next = addr + len;
		const uint8_t *want = m_bytes(m, m_page_of(a)) + a % PS;
		const uint8_t *have = got + (a - addr);
		if (memcmp(want, have, next - a)) {
			uint64_t k = 0;
			while (want[k] == have[k])
				k++;
			cr_assert_fail("[%s] op %u: %s pid %u: byte at 0x%" PRIx64
				       " is 0x%02x, model says 0x%02x", d->policy, d->op, what,
				       pid, a + k, have[k], want[k]);
		}
		d->bytes_compared += next - a;
		a = next;
	}
}

static void op_read(diff_t *d, uint32_t pid, int valid)
{
	mproc_t *m = d_proc(d, pid);
	uint64_t addr, len;
	if (!pick_access(d, m, 'R', valid, 0, &addr, &len))
		return;
	d_log(d, "read %u 0x%" PRIx64 " %" PRIu64, pid, addr, len);
	memset(d->got, 0xa5, len);
	int rc = vm_read(d->vm, pid, addr, d->got, len);
	uint64_t fault = m_first_fault(m, addr, len, 'R');
	d->n_read++;
	if (fault) {
		/* bytes before the bad page are done */
		compare(d, pid, m, addr, fault - addr, d->got, "read before a fault");
		d_segv(d, pid, rc, fault, "read");
		return;
	}
	cr_assert_eq(rc, 0, "[%s] op %u: read pid %u 0x%" PRIx64 "+%" PRIu64 ": %d (%s)",
		     d->policy, d->op, pid, addr, len, rc, vm_strerror(rc));
	compare(d, pid, m, addr, len, d->got, "read");
}

static void op_touch(diff_t *d, uint32_t pid, int valid)
{
	mproc_t *m = d_proc(d, pid);
	int kind;
	uint64_t r = xs_below(&d->rng, 10);
	/* 'X' only where the model is sure: on rwx pages */
	kind = r < 5 ? 'R' : r < 9 || !valid ? 'W' : 'X';
	uint64_t addr, len;
	if (!pick_access(d, m, kind, valid, 1, &addr, &len))
		return;
	d_log(d, "touch %u 0x%" PRIx64 " %" PRIu64 " %c", pid, addr, len, kind);
	int rc = vm_touch(d->vm, pid, addr, len, kind, 0);
	uint64_t fault = m_first_fault(m, addr, len, kind);
	d->n_touch++;
	if (fault) {
		d_segv(d, pid, rc, fault, "touch");
		return;
	}
	cr_assert_eq(rc, 0, "[%s] op %u: touch %c pid %u 0x%" PRIx64 "+%" PRIu64 ": %d (%s)",
		     d->policy, d->op, kind, pid, addr, len, rc, vm_strerror(rc));
}

/* Operations on a dead process fail with VM_ESRCH; its number stays used
 * (spawn or fork to it: VM_EEXIST). */
static void op_dead(diff_t *d)
{
	uint32_t pid = 0;
	for (int tries = 0; tries < 8 && !pid; tries++) {
		uint32_t p = 1 + (uint32_t)xs_below(&d->rng, d->nprocs);
		if (d_proc(d, p)->state == M_EXITED || d_proc(d, p)->state == M_SEGV)
			pid = p;
	}
	if (!pid)
		return;
	uint8_t b[16] = { 0 };
	uint64_t out = 0, addr = WIN_BASE + xs_below(&d->rng, WIN_PAGES) * PS;
	int which = (int)xs_below(&d->rng, 10), rc, want = VM_ESRCH;
	d_log(d, "dead %u op %d", pid, which);
	switch (which) {
	case 0: rc = vm_write(d->vm, pid, addr, b, sizeof b); break;
	case 1: rc = vm_read(d->vm, pid, addr, b, sizeof b); break;
	case 2: rc = vm_touch(d->vm, pid, addr, PS, 'R', 0); break;
	case 3:
		rc = vm_mmap(d->vm, pid, addr, PS, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0,
			     VM_KIND_MAPPING, &out);
		break;
	case 4: rc = vm_munmap(d->vm, pid, addr, PS); break;
	case 5: rc = vm_mprotect(d->vm, pid, addr, PS, VM_PROT_R); break;
	case 6: rc = vm_exit(d->vm, pid); break;
	case 7: {
		uint32_t child = d_new_pid(d); /* never used again */
		d_proc(d, child)->state = M_NEVER;
		rc = vm_fork(d->vm, pid, child);
		d_expect_state(d, child, VM_PROC_NONE);
		break;
	}
	case 8:
		rc = vm_spawn(d->vm, pid);
		want = VM_EEXIST;
		break;
	default: /* a live parent forking to a number already used */
		rc = vm_fork(d->vm, d_pick_live(d), pid);
		want = VM_EEXIST;
		break;
	}
	cr_assert_eq(rc, want, "[%s] op %u: call %d on dead pid %u returned %d (%s), want %s",
		     d->policy, d->op, which, pid, rc, vm_strerror(rc), vm_strerror(want));
	if (want == VM_ESRCH)
		d->n_esrch++;
	else
		d->n_eexist++;
	d_expect_state(d, pid, d_proc(d, pid)->state == M_SEGV ? VM_PROC_SEGV : VM_PROC_EXITED);
}

/* ---- malloc and free (kdiff_heap_op) ---- */

/* Read [off, off+len) of block b of pid (len <= MAX_IO) and compare the
 * bytes the model knows. */
static void heap_compare(diff_t *d, uint32_t pid, const mblock_t *b, uint64_t off, uint64_t len,
			 const char *what)
{
	memset(d->got, 0xa5, len);
	int rc = vm_read(d->vm, pid, b->addr + off, d->got, len);
	cr_assert_eq(rc, 0, "[%s] op %u: %s: read pid %u 0x%" PRIx64 "+%" PRIu64 " (block 0x%"
		     PRIx64 " of %" PRIu64 "): %d (%s)", d->policy, d->op, what, pid, b->addr + off,
		     len, b->addr, b->n, rc, vm_strerror(rc));
	for (uint64_t i = 0; i < len; i++) {
		if (!b->known[off + i])
			continue;
		cr_assert_eq(d->got[i], b->bytes[off + i], "[%s] op %u: %s pid %u: byte at 0x%"
			     PRIx64 " (block 0x%" PRIx64 " of %" PRIu64 ", offset %" PRIu64
			     ") is 0x%02x, model says 0x%02x", d->policy, d->op, what, pid,
			     b->addr + off + i, b->addr, b->n, off + i, d->got[i], b->bytes[off + i]);
		d->heap_bytes_compared++;
	}
}

/* Every known byte of block b, read a page-sized piece at a time (pieces
 * holding no known byte are skipped). */
static void heap_compare_block(diff_t *d, uint32_t pid, const mblock_t *b, const char *what)
{
	for (uint64_t off = 0; off < b->n; off += PS) {
		uint64_t len = b->n - off < PS ? b->n - off : PS;
		if (memchr(b->known + off, 1, len))
			heap_compare(d, pid, b, off, len, what);
	}
}

/* The size of a request: mostly small, some over a page, a few past the
 * mmap threshold (their own mapping). */
static uint64_t heap_size(diff_t *d)
{
	uint64_t r = xs_below(&d->rng, 100);
	if (r < 70)
		return 1 + xs_below(&d->rng, 256);
	if (r < 93)
		return 257 + xs_below(&d->rng, 2 * PS);
	return UM_MMAP_THRESHOLD + xs_below(&d->rng, 8 * PS);
}

static void heap_malloc(diff_t *d, uint32_t pid, mproc_t *m)
{
	uint64_t n = heap_size(d), out = 0;
	char why[256] = "";
	d_log(d, "malloc %u %" PRIu64, pid, n);
	int rc = um_malloc(&m->heap, d->vm, pid, n, &out, why, sizeof why);
	cr_assert_eq(rc, 0, "[%s] op %u: malloc pid %u %" PRIu64 ": %d (%s) %s", d->policy, d->op,
		     pid, n, rc, vm_strerror(rc), why);
	cr_assert_neq(out, 0, "[%s] op %u: malloc pid %u %" PRIu64 " returned NULL", d->policy,
		      d->op, pid, n);
	cr_assert_eq(out % UM_ALIGN, 0, "[%s] op %u: malloc returned 0x%" PRIx64, d->policy, d->op,
		     out);
	cr_assert(out + n <= WIN_BASE || out >= WIN_END, "[%s] op %u: malloc 0x%" PRIx64
		  " inside the window", d->policy, d->op, out);
	for (uint32_t i = 0; i < m->nblk; i++)
		cr_assert(out + n <= m->blk[i].addr || out >= m->blk[i].addr + m->blk[i].n,
			  "[%s] op %u: malloc pid %u %" PRIu64 " -> 0x%" PRIx64
			  " overlaps the live block 0x%" PRIx64 " of %" PRIu64, d->policy, d->op,
			  pid, n, out, m->blk[i].addr, m->blk[i].n);
	if (!m->blk) {
		m->blk = calloc(HEAP_MAX_BLOCKS, sizeof *m->blk);
		cr_assert_not_null(m->blk);
	}
	mblock_t *b = &m->blk[m->nblk++];
	*b = (mblock_t){ out, n, calloc(1, n), calloc(1, n) };
	cr_assert(b->bytes && b->known);
	d->n_malloc++;
	d->n_malloc_mapped += n >= UM_MMAP_THRESHOLD;
}

/* A random piece [*off, *off + *len) of block b, at most MAX_IO bytes. */
static void heap_piece(diff_t *d, const mblock_t *b, uint64_t *off, uint64_t *len)
{
	*off = xs_pct(&d->rng, 20) ? 0 : xs_below(&d->rng, b->n);
	*len = random_len(d, b->n - *off);
	if (xs_pct(&d->rng, 10)) /* up to the block's last byte */
		*len = b->n - *off < MAX_IO ? b->n - *off : MAX_IO;
}

static void heap_write(diff_t *d, uint32_t pid, mproc_t *m)
{
	mblock_t *b = &m->blk[xs_below(&d->rng, m->nblk)];
	uint64_t off, len;
	heap_piece(d, b, &off, &len);
	uint64_t seed = xs_next(&d->rng);
	d->v->fill(seed, d->data, len);
	d_log(d, "hwrite %u 0x%" PRIx64 " %" PRIu64 " seed=0x%" PRIx64, pid, b->addr + off, len,
	      seed);
	int rc = vm_write(d->vm, pid, b->addr + off, d->data, len);
	cr_assert_eq(rc, 0, "[%s] op %u: write pid %u 0x%" PRIx64 "+%" PRIu64 " in a block: %d (%s)",
		     d->policy, d->op, pid, b->addr + off, len, rc, vm_strerror(rc));
	memcpy(b->bytes + off, d->data, len);
	memset(b->known + off, 1, len);
	d->n_hwrite++;
}

static void heap_read(diff_t *d, uint32_t pid, mproc_t *m)
{
	const mblock_t *b = &m->blk[xs_below(&d->rng, m->nblk)];
	uint64_t off, len;
	heap_piece(d, b, &off, &len);
	d_log(d, "hread %u 0x%" PRIx64 " %" PRIu64, pid, b->addr + off, len);
	heap_compare(d, pid, b, off, len, "read in a block");
	d->n_hread++;
}

/* Free a live block, after checking every byte written to it is still
 * there (no tag of a neighbour written over it). */
static void heap_free(diff_t *d, uint32_t pid, mproc_t *m)
{
	uint32_t i = (uint32_t)xs_below(&d->rng, m->nblk);
	mblock_t *b = &m->blk[i];
	heap_compare_block(d, pid, b, "before free");
	char why[256] = "";
	d_log(d, "free %u 0x%" PRIx64, pid, b->addr);
	int rc = um_free(&m->heap, d->vm, pid, b->addr, why, sizeof why);
	cr_assert_eq(rc, 0, "[%s] op %u: free pid %u 0x%" PRIx64 " (of %" PRIu64 "): %d (%s) %s",
		     d->policy, d->op, pid, b->addr, b->n, rc, vm_strerror(rc), why);
	m_block_free(b);
	m->blk[i] = m->blk[--m->nblk];
	d->n_free++;
}

void kdiff_heap_op(kdiff_t *d, uint32_t pid)
{
	mproc_t *m = d_proc(d, pid);
	uint64_t r = xs_below(&d->rng, 100);
	if (!m->nblk || (r < 30 && m->nblk < HEAP_MAX_BLOCKS))
		heap_malloc(d, pid, m);
	else if (r < 50)
		heap_free(d, pid, m);
	else if (r < 80)
		heap_write(d, pid, m);
	else
		heap_read(d, pid, m);
}

/* Read back every mapped page of every live process; pages without read
 * permission are made readable for the read and put back.  Then every
 * known byte of every malloc'ed block. */
static void full_compare(diff_t *d)
{
	d_log(d, "full");
	for (uint32_t k = 0; k < d->nlive; k++) {
		uint32_t pid = d->live[k];
		mproc_t *m = d_proc(d, pid);
		d_expect_state(d, pid, VM_PROC_ALIVE);
		for (unsigned i = 0; i < WIN_PAGES; i++) {
			if (m->prot[i] < 0)
				continue;
			uint64_t addr = WIN_BASE + (uint64_t)i * PS;
			int readable = (m->prot[i] & VM_PROT_R) != 0, rc;
			if (!readable) {
				rc = vm_mprotect(d->vm, pid, addr, PS, VM_PROT_R);
				cr_assert_eq(rc, 0, "[%s] op %u: mprotect for full compare: %s",
					     d->policy, d->op, vm_strerror(rc));
			}
			memset(d->got, 0x5a, PS);
			rc = vm_read(d->vm, pid, addr, d->got, PS);
			cr_assert_eq(rc, 0, "[%s] op %u: full read pid %u 0x%" PRIx64 ": %s",
				     d->policy, d->op, pid, addr, vm_strerror(rc));
			compare(d, pid, m, addr, PS, d->got, "full compare");
			if (!readable) {
				rc = vm_mprotect(d->vm, pid, addr, PS, (unsigned)m->prot[i]);
				cr_assert_eq(rc, 0, "[%s] op %u: mprotect back: %s", d->policy,
					     d->op, vm_strerror(rc));
			}
		}
		for (uint32_t i = 0; i < m->nblk; i++)
			heap_compare_block(d, pid, &m->blk[i], "full compare");
	}
	d_check(d, "full compare");
	d->n_full++;
}

static void one_op(diff_t *d)
{
	if (d->nlive < MIN_LIVE) {
		if (d->nlive && xs_pct(&d->rng, 60))
			op_fork(d, d_pick_live(d));
		else
			op_spawn(d);
		return;
	}
	if (d->op - d->last_fork >= FORK_AT_LEAST - 10) {
		op_fork(d, d_pick_live(d));
		return;
	}
	/* Half the operations go to one process (the parent or the child of the
	 * last fork), so its pages stay resident and are shared when it forks. */
	uint32_t pid = d->cur && d_proc(d, d->cur)->state == M_ALIVE && xs_pct(&d->rng, 50)
			       ? d->cur : d_pick_live(d);
	d->cur = pid;
	if (d->v->extra && xs_pct(&d->rng, d->v->extra_pct)) {
		d->v->extra(d, pid);
		return;
	}
	int valid = !xs_pct(&d->rng, 4);
	uint64_t r = xs_below(&d->rng, 1000);
	if (r < 300)
		op_write(d, pid, valid);
	else if (r < 560)
		op_read(d, pid, valid);
	else if (r < 640)
		op_touch(d, pid, valid);
	else if (r < 780)
		op_mmap(d, pid);
	else if (r < 840)
		op_munmap(d, pid);
	else if (r < 910)
		op_mprotect(d, pid);
	else if (r < 940)
		op_fork(d, pid);
	else if (r < 955)
		op_exit(d, pid);
	else if (r < 970 && d->nlive < MAX_LIVE)
		op_spawn(d);
	else
		op_dead(d);
}

static void plain_fill(uint64_t seed, uint8_t *p, size_t n)
{
	xs_fill(seed, p, n);
}

const kdiff_variant_t kdiff_plain = { .name = NULL, .fill = plain_fill };

vm_machine_t *kdiff_vm(kdiff_t *d) { return d->vm; }
uint64_t *kdiff_rng(kdiff_t *d) { return &d->rng; }
const char *kdiff_tag(const kdiff_t *d) { return d->policy; }
unsigned kdiff_op(const kdiff_t *d) { return d->op; }
uint32_t kdiff_nlive(const kdiff_t *d) { return d->nlive; }
uint32_t kdiff_live(const kdiff_t *d, uint32_t i) { return d->live[i]; }

void kdiff_heap_counts(const kdiff_t *d, kdiff_heap_counts_t *out)
{
	*out = (kdiff_heap_counts_t){ d->n_malloc, d->n_malloc_mapped, d->n_free, d->n_hwrite,
				      d->n_hread, d->heap_bytes_compared };
}

static void report(diff_t *d, unsigned ops)
{
	const char *tag = d->policy;
	const vm_stats_t *st = vm_stats(d->vm);
	const vm_sys_stats_t *ss = vm_sys_stats(d->vm);
	cr_log_info("[%s] %u ops: %" PRIu64 " writes, %" PRIu64 " reads, %" PRIu64 " touches, %"
		    PRIu64 " mmap, %" PRIu64 " munmap, %" PRIu64 " mprotect, %" PRIu64 " spawns, %"
		    PRIu64 " forks, %" PRIu64 " exits, %" PRIu64 " SIGSEGVs, %" PRIu64
		    " ESRCH + %" PRIu64 " EEXIST checked, %" PRIu64 " full compares, %" PRIu64
		    " bytes compared, %u processes",
		    tag, ops, d->n_write, d->n_read, d->n_touch, d->n_mmap, d->n_munmap,
		    d->n_mprotect, d->n_spawn, d->n_fork, d->n_exit, d->n_segv, d->n_esrch,
		    d->n_eexist, d->n_full, d->bytes_compared, d->nprocs);
	if (d->n_malloc)
		cr_log_info("[%s] heap: %" PRIu64 " mallocs (%" PRIu64 " mapped), %" PRIu64
			    " frees, %" PRIu64 " writes, %" PRIu64 " reads, %" PRIu64
			    " bytes compared", tag, d->n_malloc, d->n_malloc_mapped, d->n_free,
			    d->n_hwrite, d->n_hread, d->heap_bytes_compared);
	cr_log_info("[%s] kernel: %" PRIu64 " refs, %" PRIu64 " faults (%" PRIu64 " major), %"
		    PRIu64 " evictions, %" PRIu64 " swap_ins, %" PRIu64 " swap_outs, %" PRIu64
		    " cow_faults, %" PRIu64 " cow_copies, %" PRIu64 " daemon_reclaims, %" PRIu64
		    " direct_reclaims, %" PRIu64 " segfaults, %" PRIu64 " distinct pages",
		    tag, st->references, st->page_faults, st->major_faults, st->evictions,
		    st->swap_ins, st->swap_outs, ss->cow_faults, ss->cow_copies,
		    ss->daemon_reclaims, ss->direct_reclaims, ss->segfaults, st->distinct_pages);
}

void kdiff_run(const char *policy, const kdiff_machine_t *mc, const kdiff_variant_t *v,
	       uint64_t seed)
{
	diff_t *d = calloc(1, sizeof *d);
	cr_assert_not_null(d);
	char tag[96];
	if (v->name)
		snprintf(tag, sizeof tag, "%s/%s/%s", policy, mc->name, v->name);
	else
		snprintf(tag, sizeof tag, "%s/%s", policy, mc->name);
	d->policy = tag;
	d->v = v;
	d->rng = seed ^ DIFF_SALT;
	const char *logpath = getenv("VMLAB_DIFF_LOG");
	if (logpath) {
		char path[512];
		snprintf(path, sizeof path, "%s.%s.%s%s%s", logpath, policy, mc->name,
			 v->name ? "." : "", v->name ? v->name : "");
		d->log = fopen(path, "w");
	}

	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.policy = policy;
	c.page_size = PS;
	c.frames = mc->frames;
	c.swap_slots = 4096;
	c.swap_file = NULL;
	c.wmark_min = mc->wmark_min;
	c.wmark_low = mc->wmark_low;
	c.wmark_high = mc->wmark_high;
	c.readahead = mc->readahead;
	c.tlb_entries = mc->tlb_entries;
	c.tlb_ways = mc->tlb_ways;
	c.seed = 7;
	if (v->configure)
		v->configure(&c);
	int rc = vm_create(&d->vm, &c, NULL, d->err, sizeof d->err);
	cr_assert_eq(rc, 0, "[%s] vm_create: %s", tag, d->err);

	for (d->op = 0; d->op < mc->ops; d->op++) {
		one_op(d);
		d_check(d, "operation");
		if (v->after_op)
			v->after_op(d);
		cr_assert_leq(d->op - d->last_fork, FORK_AT_LEAST);
		if ((d->op + 1) % FULL_EVERY == 0)
			full_compare(d);
	}
	full_compare(d);
	report(d, mc->ops);

	const vm_stats_t *st = vm_stats(d->vm);
	const vm_sys_stats_t *ss = vm_sys_stats(d->vm);
	cr_assert_gt(st->evictions, 0, "[%s] no evictions", tag);
	if (!v->no_swap_ins)
		cr_assert_gt(st->swap_ins, 0, "[%s] no swap-ins", tag);
	cr_assert_gt(ss->cow_copies, 0, "[%s] no copy-on-write copies", tag);
	cr_assert_eq(ss->segfaults, d->n_segv, "[%s] segfaults %" PRIu64 ", model %" PRIu64,
		     tag, ss->segfaults, d->n_segv);
	cr_assert_eq(ss->oom_kills, 0, "[%s] %" PRIu64 " OOM kills", tag, ss->oom_kills);
	cr_assert_geq(d->n_fork, mc->ops / FORK_AT_LEAST);
	cr_assert_gt(d->n_segv, 0);
	if (mc->wmark_low)
		cr_assert_gt(ss->daemon_reclaims, 0, "[%s] the page daemon never ran", tag);
	else if (!mc->wmark_low)
		cr_assert_eq(ss->daemon_reclaims, 0, "[%s] a page daemon without watermarks", tag);
	/* frames are at most a quarter of the pages touched */
	cr_assert_leq(4ull * c.frames, st->distinct_pages);
	if (v->at_end)
		v->at_end(d);

	vm_destroy(d->vm);
	for (uint32_t i = 0; i < d->nprocs; i++)
		m_release(&d->procs[i]);
	free(d->procs);
	if (d->log)
		fclose(d->log);
	free(d);
}

size_t kdiff_params(size_t nrows, kdiff_param_t *out, size_t cap)
{
	size_t n = 0;
	for (size_t r = 0; r < nrows; r++)
		for (size_t i = 0; i < policy_count && n < cap; i++)
			if (policy_registry[i]->needs != POLICY_NEEDS_FUTURE)
				out[n++] = (kdiff_param_t){ i, r };
	return n;
}

void kdiff_run_row(const kdiff_row_t *rows, const kdiff_param_t *p)
{
	const char *name = policy_registry[p->policy]->name;
	const kdiff_row_t *r = &rows[p->row];
	kdiff_run(name, r->m, &r->v, kdiff_name_seed(name, r->salt));
}
