/* test_kernel_diff2.c - the randomized differential test (kdiff.c) with the
 * features of issues 9 and 10 on: NUMA under each memory policy, zRAM in
 * front of a swap file and alone (--swap none), malloc/free in the model;
 * and, through the script language, threads sharing an address space.
 *
 * Every variant is a row of the table below and runs for every policy of
 * the registry but those that need the future (opt); huge pages in script
 * mode will be one more row (a configure turning THP on, a machine with
 * 2 MiB-aligned room).  The machines are the plain test's (base: 16 frames,
 * the page daemon between 2 and 4 free; tight: 4 frames, no daemon;
 * readahead), and one with 32 frames for zRAM alone, with fewer operations,
 * so that the whole file stays within ~30 s of CPU.
 *
 * Each variant checks, besides the plain test's end checks, what its
 * feature promises: NUMA's nodes' free frames add up after every operation,
 * bind never touches the other node; zRAM never holds more than its size
 * nor more frames than its bytes need, and alone never reads or writes a
 * swap file; malloc's blocks never overlap, and every byte written to one
 * reads back until it is freed (no tag written over it).
 *
 * The bugs the variants found are at the end, each with a focused test. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdiff.h"
#include "vmlab.h"
#include "vmlab_sys.h"
#include "policy/policy.h"
#include "util/vmerr.h"

#define PS KDIFF_PS
#ifndef DIFF2_OPS
#define DIFF2_OPS 9000u /* per policy and variant */
#endif

static const kdiff_machine_t M_BASE = { "base", 16, 1, 2, 4, 0, 64, 4, DIFF2_OPS };
/* zRAM with no swap device holds every page not resident: it needs room
 * of its own, taken from the user frames as it fills. */
static const kdiff_machine_t M_ZRAM = { "zram", 32, 1, 2, 4, 0, 64, 4, DIFF2_OPS };

/* Four frames, no page daemon; swap read-ahead with the daemon (as the
 * plain test's machines of those names). */
static const kdiff_machine_t M_TIGHT = { "tight", 4, 0, 0, 0, 0, 128, 8, DIFF2_OPS };
static const kdiff_machine_t M_READAHEAD = { "readahead", 12, 1, 3, 6, 3, 16, 2, DIFF2_OPS };

/* ---- NUMA ---- */

#define NUMA_NODES 2u

static void numa_config(vm_config_t *c, int policy, uint32_t bind)
{
	c->numa_nodes = NUMA_NODES;
	c->mempolicy = policy;
	c->numa_bind = bind;
}

static void cfg_numa_local(vm_config_t *c) { numa_config(c, VM_MPOL_LOCAL, 0); }
static void cfg_numa_interleave(vm_config_t *c) { numa_config(c, VM_MPOL_INTERLEAVE, 0); }
static void cfg_numa_bind1(vm_config_t *c) { numa_config(c, VM_MPOL_BIND, 1); }

/* numa P NODE: a new home node for pid. */
static void numa_home_op(kdiff_t *d, uint32_t pid)
{
	uint32_t node = (uint32_t)xs_below(kdiff_rng(d), NUMA_NODES);
	int rc = vm_numa_home(kdiff_vm(d), pid, node);
	cr_assert_eq(rc, 0, "[%s] op %u: numa %u %u: %s", kdiff_tag(d), kdiff_op(d), pid, node,
		     vm_strerror(rc));
}

/* The nodes' free frames add up to the machine's. */
static void numa_after(kdiff_t *d)
{
	vm_machine_t *vm = kdiff_vm(d);
	uint64_t sum = 0;
	for (uint32_t n = 0; n < NUMA_NODES; n++)
		sum += vm_numa_node_free(vm, n);
	cr_assert_eq(sum, vm_sys_stats(vm)->free_frames, "[%s] op %u: nodes' free frames %" PRIu64
		     ", machine's %" PRIu64, kdiff_tag(d), kdiff_op(d), sum,
		     vm_sys_stats(vm)->free_frames);
}

/* bind:1 never takes a frame of node 0 (on the base machine frames 0-7):
 * those frames stay free, and node 1's own page daemon (watermarks per
 * node, as kswapd) keeps room on node 1 (the common end check: it ran). */
static void numa_bind_after(kdiff_t *d)
{
	numa_after(d);
	uint64_t f0 = vm_numa_node_free(kdiff_vm(d), 0);
	uint32_t n0 = vm_config(kdiff_vm(d))->frames / NUMA_NODES;
	cr_assert_eq(f0, n0, "[%s] op %u: bind:1, but node 0 has %" PRIu64 " free frames of %u",
		     kdiff_tag(d), kdiff_op(d), f0, n0);
}

/* Both kinds of reference happen; with local, falling back is foreign. */
static void numa_end(kdiff_t *d)
{
	const vm_numa_stats_t *ns = vm_numa_stats(kdiff_vm(d));
	cr_log_info("[%s] numa: %" PRIu64 " local, %" PRIu64 " remote, %" PRIu64 " foreign",
		    kdiff_tag(d), ns->local, ns->remote, ns->foreign);
	cr_assert_gt(ns->local, 0, "[%s] no local references", kdiff_tag(d));
	cr_assert_gt(ns->remote, 0, "[%s] no remote references", kdiff_tag(d));
}

static void numa_local_end(kdiff_t *d)
{
	numa_end(d);
	cr_assert_gt(vm_numa_stats(kdiff_vm(d))->foreign, 0, "[%s] local never fell back",
		     kdiff_tag(d));
}

/* Interleave falls back to the next node too when the one it chose is
 * full (as Linux's MPOL_INTERLEAVE does); bind never does. */
static void numa_bind_end(kdiff_t *d)
{
	numa_end(d);
	cr_assert_eq(vm_numa_stats(kdiff_vm(d))->foreign, 0, "[%s] foreign allocations",
		     kdiff_tag(d));
}

/* ---- zRAM ---- */

static void cfg_zram_swap(vm_config_t *c)
{
	c->zram_size = 16u << 10; /* small: its oldest pages go to the file */
}

static void cfg_zram_none(vm_config_t *c)
{
	c->zram_size = 64u << 10;
	c->swap_none = 1;
}

static void zram_log(kdiff_t *d)
{
	const vm_zram_stats_t *z = vm_zram_stats(kdiff_vm(d));
	cr_log_info("[%s] zram: %" PRIu64 " stores, %" PRIu64 " loads, %" PRIu64 " rejects, %" PRIu64
		    " writebacks, %" PRIu64 " bytes in %" PRIu64 " compressed, %" PRIu64 " frames",
		    kdiff_tag(d), z->stores, z->loads, z->rejects, z->writebacks, z->bytes_stored,
		    z->compressed_bytes, z->frames);
}

/* The store never holds more than its size, nor takes more frames than
 * its compressed bytes need. */
static void zram_after(kdiff_t *d)
{
	const vm_zram_stats_t *z = vm_zram_stats(kdiff_vm(d));
	uint64_t size = vm_config(kdiff_vm(d))->zram_size;
	cr_assert_leq(z->compressed_bytes, size, "[%s] op %u: zram holds %" PRIu64 " > %" PRIu64,
		      kdiff_tag(d), kdiff_op(d), z->compressed_bytes, size);
	cr_assert_leq(z->frames, (z->compressed_bytes + PS - 1) / PS, "[%s] op %u: zram takes %"
		      PRIu64 " frames for %" PRIu64 " bytes", kdiff_tag(d), kdiff_op(d), z->frames,
		      z->compressed_bytes);
}

/* With a swap file: pages stored and loaded, random pages rejected to the
 * file, the store's oldest written back to it. */
static void zram_swap_end(kdiff_t *d)
{
	zram_log(d);
	const vm_zram_stats_t *z = vm_zram_stats(kdiff_vm(d));
	cr_assert_gt(z->stores, 0, "[%s] no zram stores", kdiff_tag(d));
	cr_assert_gt(z->loads, 0, "[%s] no zram loads", kdiff_tag(d));
	cr_assert_gt(z->rejects, 0, "[%s] no zram rejects", kdiff_tag(d));
	cr_assert_gt(z->writebacks, 0, "[%s] no zram writebacks", kdiff_tag(d));
}

/* Alone: every major fault is a load from the store, nothing touches a
 * swap file. */
static void zram_none_end(kdiff_t *d)
{
	zram_log(d);
	const vm_zram_stats_t *z = vm_zram_stats(kdiff_vm(d));
	const vm_stats_t *st = vm_stats(kdiff_vm(d));
	cr_assert_gt(z->stores, 0, "[%s] no zram stores", kdiff_tag(d));
	cr_assert_gt(z->loads, 0, "[%s] no zram loads", kdiff_tag(d));
	cr_assert_eq(z->writebacks, 0, "[%s] writebacks with no swap device", kdiff_tag(d));
	cr_assert_eq(st->swap_ins, 0, "[%s] swap-ins with no swap device", kdiff_tag(d));
	cr_assert_eq(st->swap_outs, 0, "[%s] swap-outs with no swap device", kdiff_tag(d));
	cr_assert_eq(st->major_faults, z->loads, "[%s] %" PRIu64 " major faults, %" PRIu64
		     " zram loads", kdiff_tag(d), st->major_faults, z->loads);
}

/* ---- malloc and free ---- */

/* Blocks of both kinds were made, written, read back and freed. */
static void heap_end(kdiff_t *d)
{
	kdiff_heap_counts_t h;
	kdiff_heap_counts(d, &h);
	cr_assert_gt(h.mallocs, 0, "[%s] no malloc", kdiff_tag(d));
	cr_assert_gt(h.mapped, 0, "[%s] no malloc through mmap", kdiff_tag(d));
	cr_assert_gt(h.frees, 0, "[%s] no free", kdiff_tag(d));
	cr_assert_gt(h.bytes_compared, 0, "[%s] no heap byte compared", kdiff_tag(d));
}

/* ---- all at once: NUMA (interleave), zRAM before a swap file, malloc ---- */

static void cfg_all(vm_config_t *c)
{
	cfg_numa_interleave(c);
	cfg_zram_swap(c);
}

static void all_after(kdiff_t *d)
{
	numa_after(d);
	zram_after(d);
}

static void all_end(kdiff_t *d)
{
	numa_end(d);
	zram_swap_end(d);
	heap_end(d);
}

/* ---- the table ---- */

static const kdiff_row_t rows[] = {
	{ { .name = "numa-local", .configure = cfg_numa_local, .fill = xs_fill,
	    .extra = numa_home_op, .extra_pct = 2, .after_op = numa_after, .at_end = numa_local_end },
	  &M_BASE, 0x9001 },
	{ { .name = "numa-interleave", .configure = cfg_numa_interleave, .fill = xs_fill,
	    .extra = numa_home_op, .extra_pct = 2, .after_op = numa_after, .at_end = numa_end },
	  &M_BASE, 0x9002 },
	{ { .name = "numa-bind1", .configure = cfg_numa_bind1, .fill = xs_fill,
	    .extra = numa_home_op, .extra_pct = 2, .after_op = numa_bind_after,
	    .at_end = numa_bind_end },
	  &M_BASE, 0x9003 },
	{ { .name = "zram-swap", .configure = cfg_zram_swap, .fill = xs_fill_mixed,
	    .after_op = zram_after, .at_end = zram_swap_end },
	  &M_BASE, 0x9004 },
	{ { .name = "zram-none", .configure = cfg_zram_none, .fill = xs_fill_runs,
	    .after_op = zram_after, .at_end = zram_none_end, .no_swap_ins = 1 },
	  &M_ZRAM, 0x9005 },
	{ { .name = "malloc", .fill = xs_fill, .extra = kdiff_heap_op, .extra_pct = 25,
	    .at_end = heap_end },
	  &M_BASE, 0x9006 },
	{ { .name = "numa-zram-malloc", .configure = cfg_all, .fill = xs_fill_mixed,
	    .extra = kdiff_heap_op, .extra_pct = 25, .after_op = all_after, .at_end = all_end },
	  &M_BASE, 0x9007 },
	/* the same on the plain test's other machines: two frames a node, and
	 * read-ahead into the swap cache from zRAM */
	{ { .name = "numa-bind1", .configure = cfg_numa_bind1, .fill = xs_fill,
	    .extra = numa_home_op, .extra_pct = 2, .after_op = numa_bind_after,
	    .at_end = numa_bind_end },
	  &M_TIGHT, 0x9008 },
	{ { .name = "zram-swap", .configure = cfg_zram_swap, .fill = xs_fill_mixed,
	    .after_op = zram_after, .at_end = zram_swap_end },
	  &M_READAHEAD, 0x900a },
	{ { .name = "zram-swap", .configure = cfg_zram_swap, .fill = xs_fill_mixed,
	    .after_op = zram_after, .at_end = zram_swap_end },
	  &M_TIGHT, 0x900b },
	{ { .name = "malloc", .fill = xs_fill, .extra = kdiff_heap_op, .extra_pct = 25,
	    .at_end = heap_end },
	  &M_TIGHT, 0x900c },
	{ { .name = "numa-zram-malloc", .configure = cfg_all, .fill = xs_fill_mixed,
	    .extra = kdiff_heap_op, .extra_pct = 25, .after_op = all_after, .at_end = all_end },
	  &M_READAHEAD, 0x900d },
};

#define NROWS (sizeof rows / sizeof rows[0])
#define DIFF2_MAX_POLICIES 64

ParameterizedTestParameters(kernel_diff2, every_policy)
{
	static kdiff_param_t params[NROWS * DIFF2_MAX_POLICIES];
	size_t n = kdiff_params(NROWS, params, sizeof params / sizeof params[0]);
	return cr_make_param_array(kdiff_param_t, params, n);
}

ParameterizedTest(kdiff_param_t *p, kernel_diff2, every_policy, .timeout = 300)
{
	kdiff_run_row(rows, p);
}

/* ---- threads, through the script language ----
 *
 * Threads are the script's (`thread P T`, src/script/thread.c): the kernel
 * sees one process per address space.  So this part writes a random script
 * and runs it (script_run, the invariant checker after every command): a
 * model of address spaces, each with its live threads, a window of
 * TD_PAGES pages (unmapped, r or rw) and its malloc'ed blocks by $NAME.
 * Every operation is done by a random live thread of a random space, so a
 * read is mostly by another thread than the write before it; every read
 * says what it must find (`read ... expect`).  The last thread's exit
 * releases the space: `expect P exited`, no page resident or swapped; at
 * the end no page is resident and no swap slot used.  On a failure the
 * script is kept in /tmp for a replay with `vmlab script --check`. */

#include "script/script.h"
#include "script/umalloc.h"

#define TD_PAGES 12u
#define TD_BASE ((uint64_t)0x40000000)
#define TD_MAX_SPACES 5u
#define TD_MAX_THREADS 4u
#define TD_MAX_BLOCKS 8u
#define TD_MAX_IO 300u  /* bytes a write or read moves at most (a line of 600 hex digits) */
#ifndef DIFF_SALT
#define DIFF_SALT 0ull /* -DDIFF_SALT=n: other scripts (soak runs), as kdiff.c's */
#endif
#ifndef TD_OPS
#define TD_OPS 6000u
#endif

typedef struct td_block {
	uint32_t name;           /* $bNAME */
	uint64_t n;
	uint8_t *bytes, *known;
} td_block_t;

typedef struct td_space {
	uint32_t kpid;           /* the number of the thread that made it: the kernel's pid */
	uint32_t thr[TD_MAX_THREADS], nthr;
	int prot[TD_PAGES];      /* -1: unmapped, else VM_PROT_R or VM_PROT_R | VM_PROT_W */
	uint8_t mem[TD_PAGES][PS];
	td_block_t blk[TD_MAX_BLOCKS];
	uint32_t nblk;
} td_space_t;

typedef struct td {
	uint64_t rng;
	td_space_t *sp[TD_MAX_SPACES];
	uint32_t nsp;
	uint32_t next_pid, next_name;
	char *text;
	size_t len, cap;
	/* what the script does */
	unsigned n_thread, n_thread_exit, n_release, n_cross, n_malloc, n_free, n_fork;
	uint32_t last_writer; /* the thread of the last write, for n_cross */
} td_t;

static void td_emit(td_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void td_emit(td_t *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->text + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if (t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		t->cap = t->cap * 2 + (size_t)n + 1;
		t->text = realloc(t->text, t->cap);
		cr_assert_not_null(t->text);
	}
}

static void td_hex(td_t *t, const uint8_t *p, size_t n)
{
	td_emit(t, "0x");
	for (size_t i = 0; i < n; i++)
		td_emit(t, "%02x", p[i]);
}

static td_space_t *td_new_space(td_t *t, uint32_t kpid)
{
	td_space_t *s = calloc(1, sizeof *s);
	cr_assert_not_null(s);
	s->kpid = kpid;
	s->thr[s->nthr++] = kpid;
	for (unsigned i = 0; i < TD_PAGES; i++)
		s->prot[i] = -1;
	t->sp[t->nsp++] = s;
	return s;
}

static void td_free_space(td_space_t *s)
{
	for (uint32_t i = 0; i < s->nblk; i++) {
		free(s->blk[i].bytes);
		free(s->blk[i].known);
	}
	free(s);
}

static uint32_t td_thread_of(td_t *t, const td_space_t *s)
{
	return s->thr[xs_below(&t->rng, s->nthr)];
}

static void td_spawn(td_t *t)
{
	uint32_t pid = t->next_pid++;
	td_new_space(t, pid);
	td_emit(t, "spawn %u\n", pid);
}

static void td_fork(td_t *t, td_space_t *s)
{
	uint32_t by = td_thread_of(t, s), child = t->next_pid++;
	td_space_t *c = td_new_space(t, child);
	memcpy(c->prot, s->prot, sizeof c->prot);
	memcpy(c->mem, s->mem, sizeof c->mem);
	for (uint32_t i = 0; i < s->nblk; i++) {
		const td_block_t *b = &s->blk[i];
		td_block_t *k = &c->blk[i];
		*k = (td_block_t){ b->name, b->n, malloc(b->n), malloc(b->n) };
		cr_assert(k->bytes && k->known);
		memcpy(k->bytes, b->bytes, b->n);
		memcpy(k->known, b->known, b->n);
	}
	c->nblk = s->nblk;
	td_emit(t, "fork %u %u\n", by, child);
	t->n_fork++;
}

static void td_thread(td_t *t, td_space_t *s)
{
	uint32_t by = td_thread_of(t, s), tid = t->next_pid++;
	s->thr[s->nthr++] = tid;
	td_emit(t, "thread %u %u\n", by, tid);
	t->n_thread++;
}

/* A thread exits; the last one releases the space. */
static void td_exit(td_t *t, uint32_t k)
{
	td_space_t *s = t->sp[k];
	uint32_t i = (uint32_t)xs_below(&t->rng, s->nthr), tid = s->thr[i];
	td_emit(t, "exit %u\n", tid);
	s->thr[i] = s->thr[--s->nthr];
	if (s->nthr) {
		/* the others go on in the same space */
		td_emit(t, "expect %u alive\n", s->thr[0]);
		t->n_thread_exit++;
		return;
	}
	td_emit(t, "expect %u exited\nexpect %u resident 0\nexpect %u swapped 0\n", s->kpid,
		s->kpid, s->kpid);
	td_free_space(s);
	t->sp[k] = t->sp[--t->nsp];
	t->n_release++;
}

static void td_mmap(td_t *t, td_space_t *s)
{
	unsigned first = (unsigned)xs_below(&t->rng, TD_PAGES);
	unsigned n = 1 + (unsigned)xs_below(&t->rng, 4);
	if (first + n > TD_PAGES)
		n = TD_PAGES - first;
	int prot = xs_pct(&t->rng, 70) ? VM_PROT_R | VM_PROT_W : VM_PROT_R;
	td_emit(t, "mmap %u 0x%" PRIx64 " %u %s private\n", td_thread_of(t, s),
		TD_BASE + (uint64_t)first * PS, n * PS, prot & VM_PROT_W ? "rw" : "r");
	for (unsigned i = first; i < first + n; i++) {
		s->prot[i] = prot;
		memset(s->mem[i], 0, PS);
	}
}

/* munmap or mprotect (r <-> rw) of one mapped page. */
static void td_unmap_or_protect(td_t *t, td_space_t *s)
{
	unsigned i = (unsigned)xs_below(&t->rng, TD_PAGES);
	if (s->prot[i] < 0)
		return;
	uint64_t addr = TD_BASE + (uint64_t)i * PS;
	if (xs_pct(&t->rng, 30)) {
		td_emit(t, "munmap %u 0x%" PRIx64 " %u\n", td_thread_of(t, s), addr, PS);
		s->prot[i] = -1;
		return;
	}
	int prot = s->prot[i] & VM_PROT_W ? VM_PROT_R : VM_PROT_R | VM_PROT_W;
	td_emit(t, "mprotect %u 0x%" PRIx64 " %u %s\n", td_thread_of(t, s), addr, PS,
		prot & VM_PROT_W ? "rw" : "r");
	s->prot[i] = prot;
}

/* A write inside one rw page of the window, or a read of one mapped page,
 * by a random thread. */
static void td_window_io(td_t *t, td_space_t *s, int write)
{
	unsigned i = (unsigned)xs_below(&t->rng, TD_PAGES);
	if (s->prot[i] < 0 || (write && !(s->prot[i] & VM_PROT_W)))
		return;
	uint32_t off = (uint32_t)xs_below(&t->rng, PS);
	uint32_t len = 1 + (uint32_t)xs_below(&t->rng, TD_MAX_IO);
	if (len > PS - off)
		len = PS - off;
	uint32_t tid = td_thread_of(t, s);
	uint64_t addr = TD_BASE + (uint64_t)i * PS + off;
	if (write) {
		xs_fill_mixed(xs_next(&t->rng), s->mem[i] + off, len);
		td_emit(t, "write %u 0x%" PRIx64 " ", tid, addr);
		td_hex(t, s->mem[i] + off, len);
		t->last_writer = tid;
	} else {
		td_emit(t, "read %u 0x%" PRIx64 " %u expect ", tid, addr, len);
		td_hex(t, s->mem[i] + off, len);
		t->n_cross += s->nthr > 1 && tid != t->last_writer;
	}
	td_emit(t, "\n");
}

static void td_malloc(td_t *t, td_space_t *s)
{
	uint64_t n = xs_pct(&t->rng, 90) ? 1 + xs_below(&t->rng, 600)
					 : UM_MMAP_THRESHOLD + xs_below(&t->rng, 3 * PS);
	td_block_t *b = &s->blk[s->nblk++];
	*b = (td_block_t){ t->next_name++, n, calloc(1, n), calloc(1, n) };
	cr_assert(b->bytes && b->known);
	td_emit(t, "malloc %u %" PRIu64 " b%u\n", td_thread_of(t, s), n, b->name);
	t->n_malloc++;
}

static void td_free(td_t *t, td_space_t *s)
{
	uint32_t i = (uint32_t)xs_below(&t->rng, s->nblk);
	td_block_t *b = &s->blk[i];
	td_emit(t, "free %u $b%u\n", td_thread_of(t, s), b->name);
	free(b->bytes);
	free(b->known);
	s->blk[i] = s->blk[--s->nblk];
	t->n_free++;
}

/* A write in a block, or a read of a run of bytes of it the model knows. */
static void td_block_io(td_t *t, td_space_t *s, int write)
{
	td_block_t *b = &s->blk[xs_below(&t->rng, s->nblk)];
	uint64_t off = xs_below(&t->rng, b->n), len = 1 + xs_below(&t->rng, TD_MAX_IO);
	if (len > b->n - off)
		len = b->n - off;
	uint32_t tid = td_thread_of(t, s);
	if (write) {
		xs_fill_mixed(xs_next(&t->rng), b->bytes + off, len);
		memset(b->known + off, 1, len);
		td_emit(t, "write %u $b%u+%" PRIu64 " ", tid, b->name, off);
		td_hex(t, b->bytes + off, len);
		td_emit(t, "\n");
		t->last_writer = tid;
		return;
	}
	while (off < b->n && !b->known[off])
		off++;
	if (off == b->n)
		return;
	uint64_t end = off;
	while (end < b->n && end - off < TD_MAX_IO && b->known[end])
		end++;
	td_emit(t, "read %u $b%u+%" PRIu64 " %" PRIu64 " expect ", tid, b->name, off, end - off);
	td_hex(t, b->bytes + off, end - off);
	td_emit(t, "\n");
	t->n_cross += s->nthr > 1 && tid != t->last_writer;
}

static void td_one(td_t *t)
{
	if (t->nsp < 2) {
		if (t->nsp && xs_pct(&t->rng, 50))
			td_fork(t, t->sp[0]);
		else
			td_spawn(t);
		return;
	}
	uint32_t k = (uint32_t)xs_below(&t->rng, t->nsp);
	td_space_t *s = t->sp[k];
	uint64_t r = xs_below(&t->rng, 1000);
	if (r < 200)
		td_window_io(t, s, 1);
	else if (r < 400)
		td_window_io(t, s, 0);
	else if (r < 480)
		td_mmap(t, s);
	else if (r < 520)
		td_unmap_or_protect(t, s);
	else if (r < 600 && s->nblk < TD_MAX_BLOCKS)
		td_malloc(t, s);
	else if (r < 640 && s->nblk)
		td_free(t, s);
	else if (r < 760 && s->nblk)
		td_block_io(t, s, 1);
	else if (r < 880 && s->nblk)
		td_block_io(t, s, 0);
	else if (r < 930 && s->nthr < TD_MAX_THREADS)
		td_thread(t, s);
	else if (r < 970)
		td_exit(t, k);
	else if (r < 985 && t->nsp < TD_MAX_SPACES)
		td_fork(t, s);
	else if (t->nsp < TD_MAX_SPACES)
		td_spawn(t);
}

/* The script for seed: TD_OPS operations, then every thread exits. */
static char *td_script(uint64_t seed, td_t *t)
{
	memset(t, 0, sizeof *t);
	t->rng = seed;
	t->next_pid = 1;
	for (unsigned op = 0; op < TD_OPS; op++)
		td_one(t);
	while (t->nsp)
		td_exit(t, 0);
	td_emit(t, "expect stat resident_pages 0\nexpect stat swap_slots_used 0\n");
	return t->text;
}

/* The machines the scripts run on: as the base machine, and with NUMA
 * (interleave) and zRAM before the swap file on. */
typedef struct td_row {
	const char *name;
	void (*configure)(vm_config_t *c);
	const char *opts;   /* the same as vmlab script options, for a replay */
	uint64_t salt;
} td_row_t;

static const td_row_t td_rows[] = {
	{ "threads", NULL, "", 0x9100 },
	{ "threads-numa-zram", cfg_all, " --numa 2 --mempolicy interleave --zram 16K", 0x9101 },
};

static void run_threads(const char *policy, const td_row_t *row, uint64_t seed)
{
	td_t t;
	char *text = td_script(seed, &t);
	char err[2048] = "", name[128];
	snprintf(name, sizeof name, "/tmp/vmlab-diff2-%s-%s.vms", row->name, policy);
	script_t s;
	script_paths_t paths = { .root = "/tmp", .allow_any = 0 };
	int rc = script_parse(&s, name, text, &paths, err, sizeof err);
	cr_assert_eq(rc, 0, "[%s/%s] parse: %s", policy, row->name, err);

	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.policy = policy;
	c.page_size = PS;
	c.frames = 16;
	c.swap_slots = 4096;
	c.wmark_min = 1;
	c.wmark_low = 2;
	c.wmark_high = 4;
	c.seed = 7;
	if (row->configure)
		row->configure(&c);
	vm_machine_t *vm = NULL;
	rc = vm_create(&vm, &c, NULL, err, sizeof err);
	cr_assert_eq(rc, 0, "[%s/%s] vm_create: %s", policy, row->name, err);
	FILE *out = fopen("/dev/null", "w");
	cr_assert_not_null(out);
	script_env_t env = { .out = out, .check = 1, .stack_limit = 64u << 10 };
	rc = script_run(vm, &s, &env, err, sizeof err);
	fclose(out);
	if (rc || getenv("VMLAB_DIFF2_KEEP")) {
		FILE *f = fopen(name, "w");
		if (f) {
			fputs(text, f);
			fclose(f);
		}
	}
	cr_assert_eq(rc, 0, "[%s/%s] %s (the script is kept: vmlab script --check --policy %s "
		     "--frames 16 --watermarks 1,2,4 --stack-limit 64K%s %s)", policy, row->name, err,
		     policy, row->opts, name);
	const vm_stats_t *st = vm_stats(vm);
	const vm_sys_stats_t *ss = vm_sys_stats(vm);
	cr_log_info("[%s/%s] %zu lines: %u threads made, %u thread exits, %u spaces released, "
		    "%u reads by another thread than the last writer, %u mallocs, %u frees, %u forks; "
		    "kernel: %" PRIu64 " refs, %" PRIu64 " faults (%" PRIu64 " major), %" PRIu64
		    " evictions, %" PRIu64 " cow_copies",
		    policy, row->name, s.n, t.n_thread, t.n_thread_exit, t.n_release, t.n_cross, t.n_malloc,
		    t.n_free, t.n_fork, st->references, st->page_faults, st->major_faults,
		    st->evictions, ss->cow_copies);
	cr_assert_gt(t.n_thread, 0);
	cr_assert_gt(t.n_thread_exit, 0);
	cr_assert_gt(t.n_cross, 0);
	cr_assert_gt(st->major_faults, 0, "[%s/%s] no major fault", policy, row->name);
	cr_assert_eq(ss->oom_kills, 0);
	cr_assert_eq(ss->segfaults, 0);
	script_free(&s);
	vm_destroy(vm);
	free(text);
}

typedef struct td_param {
	size_t policy; /* index in policy_registry */
	size_t row;    /* index in td_rows */
} td_param_t;

ParameterizedTestParameters(kernel_diff2, threads)
{
	static td_param_t params[2 * DIFF2_MAX_POLICIES];
	size_t n = 0;
	for (size_t r = 0; r < sizeof td_rows / sizeof td_rows[0]; r++)
		for (size_t i = 0; i < policy_count && i < DIFF2_MAX_POLICIES; i++)
			if (policy_registry[i]->needs != POLICY_NEEDS_FUTURE)
				params[n++] = (td_param_t){ i, r };
	return cr_make_param_array(td_param_t, params, n);
}

ParameterizedTest(td_param_t *p, kernel_diff2, threads, .timeout = 300)
{
	const char *name = policy_registry[p->policy]->name;
	const td_row_t *r = &td_rows[p->row];
	run_threads(name, r, kdiff_name_seed(name, r->salt) ^ DIFF_SALT);
}

/* ---- bugs the variants found, one focused test each ---- */

#include <lz4.h>

#define ZB 0x500000ull
#define ZFILL 2900u /* random bytes at the start of each page: LZ4 keeps them
		     * (about 2936 bytes a page, below 3/4 of one) */

/* LZ4's size for the page test page p holds (zram_machine's data). */
static unsigned zram_lz4(unsigned p)
{
	static uint8_t page[PS];
	static char out[LZ4_COMPRESSBOUND(PS)];
	memset(page, 0, sizeof page);
	xs_fill(p + 1, page, ZFILL);
	int n = LZ4_compress_default((const char *)page, out, PS, (int)sizeof out);
	cr_assert_gt(n, 0);
	return (unsigned)n;
}

/* 4 frames, FIFO, no daemon, a 16 KiB store: every page written compresses
 * to about 2936 bytes, so 4 of them fill... more than 3 frames. */
static vm_machine_t *zram_machine(int swap_none)
{
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.policy = "fifo";
	c.frames = 4;
	c.swap_slots = 64;
	c.wmark_min = c.wmark_low = c.wmark_high = 0;
	c.zram_size = 16u << 10;
	c.swap_none = swap_none;
	vm_machine_t *vm = NULL;
	char err[512];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	uint64_t out = 0;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, ZB, 8 * PS, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0,
			     VM_KIND_MAPPING, &out), 0);
	return vm;
}

static int zram_write_page(vm_machine_t *vm, unsigned p)
{
	uint8_t b[ZFILL];
	xs_fill(p + 1, b, sizeof b);
	return vm_write(vm, 1, ZB + (uint64_t)p * PS, b, sizeof b);
}

/* (1) Pages 0-3 fill the 4 frames.  Page 4 evicts page 0 into the store,
 * whose first frame is the one page 0 left, so page 1 goes too, and 2 and
 * 3 (3 x 2936 bytes need 3 frames; the 4th store frees one): page 4 gets
 * the frame left, 4 stores in 3 frames.  Page 5 evicts page 4 (5 stores:
 * 14,680 bytes, 4 frames) and nothing is resident: the store gives a frame
 * back by writing its oldest page (0) to the swap file.  So on to page 7:
 * 7 stores, 3 writebacks (= swap_outs), 3 frames, 1 page resident.  Every
 * byte reads back.  (The kernel used to fail the write of page 5 with
 * VM_ENOMEM, "out of host memory": reclaim found no page resident and gave
 * up, though the store held every frame.) */
Test(kernel_diff2_bugs, zram_store_holding_every_frame_gives_one_back_by_writeback)
{
	vm_machine_t *vm = zram_machine(0);
	for (unsigned p = 0; p < 8; p++)
		cr_assert_eq(zram_write_page(vm, p), 0, "page %u", p);
	const vm_zram_stats_t *z = vm_zram_stats(vm);
	cr_assert_eq(z->stores, 7);
	cr_assert_eq(z->writebacks, 3);
	cr_assert_eq(vm_stats(vm)->swap_outs, 3);
	cr_assert_eq(z->frames, 3);
	cr_assert_eq(z->compressed_bytes, zram_lz4(3) + zram_lz4(4) + zram_lz4(5) + zram_lz4(6));
	cr_assert_eq(vm_stats(vm)->resident_pages, 1);
	cr_assert_eq(vm_sys_stats(vm)->free_frames, 0);
	cr_assert_eq(vm_stats(vm)->evictions, 7);
	for (unsigned p = 0; p < 8; p++) {
		uint8_t want[PS], got[PS];
		memset(want, 0, sizeof want);
		xs_fill(p + 1, want, ZFILL);
		cr_assert_eq(vm_read(vm, 1, ZB + (uint64_t)p * PS, got, PS), 0, "read page %u", p);
		cr_assert_arr_eq(got, want, PS, "page %u", p);
	}
	char err[512] = "";
	cr_assert_eq(vm_check(vm, err, sizeof err), 0, "%s", err);
	vm_destroy(vm);
}

/* (2) The same with no swap device: at page 5 nothing can be evicted and
 * the store cannot write back, so the OOM killer ends the only process
 * (its pages and the store's copies of them go: 4 frames free).  (The
 * kernel used to fail the write with VM_ENOMEM and leave it alive.) */
Test(kernel_diff2_bugs, zram_store_holding_every_frame_with_swap_none_is_an_oom_kill)
{
	vm_machine_t *vm = zram_machine(1);
	for (unsigned p = 0; p < 5; p++)
		cr_assert_eq(zram_write_page(vm, p), 0, "page %u", p);
	cr_assert_eq(zram_write_page(vm, 5), VM_EKILLED);
	vm_proc_info_t info;
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.state, VM_PROC_OOM);
	cr_assert_eq(vm_sys_stats(vm)->oom_kills, 1);
	cr_assert_eq(vm_zram_stats(vm)->stores, 5);
	cr_assert_eq(vm_zram_stats(vm)->writebacks, 0);
	cr_assert_eq(vm_zram_stats(vm)->frames, 0);
	cr_assert_eq(vm_zram_stats(vm)->compressed_bytes, 0);
	cr_assert_eq(vm_sys_stats(vm)->free_frames, 4);
	char err[512] = "";
	cr_assert_eq(vm_check(vm, err, sizeof err), 0, "%s", err);
	vm_destroy(vm);
}

/* (3) The same in trace mode (pages of 4096 / 3.0 = 1366 bytes; 4 frames,
 * FIFO, writes to pages 1..10).  Page 5 evicts 1 (the store takes its
 * frame) and 2; page 6 evicts 3 (3 x 1366 = 4098 bytes: a 2nd frame) and 4;
 * page 7 evicts 5; page 8 evicts 6 (8196 bytes: a 3rd frame) and 7; page 9
 * evicts 8; page 10 evicts 9 (12,294 bytes: the 4th frame), and nothing is
 * resident: the store writes page 1 back (10,928 bytes, 3 frames) and page
 * 10 takes the frame.  (The kernel used to stop the run there, "out of
 * swap space: raise --swap", though swap is unbounded.) */
Test(kernel_diff2_bugs, zram_store_holding_every_frame_in_trace_mode_writes_back)
{
	vm_config_t c;
	vm_config_default(&c);
	c.policy = "fifo";
	c.frames = 4;
	c.tlb_entries = 0;
	c.zram_size = 16u << 10;
	vm_machine_t *vm = NULL;
	char err[512];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	for (uint64_t vpn = 1; vpn <= 10; vpn++)
		cr_assert_eq(vm_ref(vm, 0, vpn, VM_WRITE), 0, "page %" PRIu64, vpn);
	const vm_stats_t *st = vm_stats(vm);
	const vm_zram_stats_t *z = vm_zram_stats(vm);
	cr_assert_eq(st->minor_faults, 10);
	cr_assert_eq(st->evictions, 9);
	cr_assert_eq(z->stores, 9);
	cr_assert_eq(z->writebacks, 1);
	cr_assert_eq(st->swap_outs, 1);
	cr_assert_eq(z->compressed_bytes, 8 * 1366);
	cr_assert_eq(z->bytes_stored, 8 * PS);
	cr_assert_eq(z->frames, 3);
	cr_assert_eq(st->resident_pages, 1);
	vm_destroy(vm);
}
