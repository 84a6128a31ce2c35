/* test_kernel_diff2.c - the randomized differential test (kdiff.c) with the
 * features of issues 9 and 10 on: NUMA under each memory policy, zRAM in
 * front of a swap file and alone (--swap none), malloc/free in the model;
 * and, through the script language, threads sharing an address space.
 *
 * Every variant is a row of the table below and runs for every policy of
 * the registry but those that need the future (opt); huge pages in script
 * mode will be one more row (a configure turning THP on).  Each row's
 * machine is the plain test's base machine (16 frames, the page daemon
 * between 2 and 4 free) unless the row says otherwise, with fewer
 * operations, so that the whole file stays within ~30 s of CPU. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
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
#define DIFF2_OPS 12000u /* per policy and variant */
#endif

static const kdiff_machine_t M_BASE = { "base", 16, 1, 2, 4, 0, 64, 4, DIFF2_OPS };
/* zRAM with no swap device holds every page not resident: it needs room
 * of its own, taken from the user frames as it fills. */
static const kdiff_machine_t M_ZRAM = { "zram", 32, 1, 2, 4, 0, 64, 4, DIFF2_OPS };

/* ---- data: what the writes write ---- */

/* Runs of one byte, 8 to 263 long: pages of them compress well. */
static void fill_runs(uint64_t seed, uint8_t *p, size_t n)
{
	uint64_t s = seed | 1;
	for (size_t i = 0; i < n;) {
		uint64_t v = xs_next(&s);
		size_t run = 8 + (size_t)(v >> 56);
		if (run > n - i)
			run = n - i;
		memset(p + i, (int)(v & 0xff), run);
		i += run;
	}
}

/* A quarter of the writes random bytes (a page full of them is rejected by
 * zRAM and goes to the swap file), the rest runs. */
static void fill_mixed(uint64_t seed, uint8_t *p, size_t n)
{
	if (seed % 4 == 0)
		xs_fill(seed, p, n);
	else
		fill_runs(seed, p, n);
}

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

/* bind:1 never takes a frame of node 0 (frames 0-7).  Those 8 frames stay
 * free, so the machine-wide free count never falls to the low watermark and
 * the page daemon never wakes: every frame of node 1 comes from direct
 * reclaim.  (Issue 9 asks for per-node watermarks and a kswapd per node;
 * the kernel's are machine-wide: reported, not fixed here.) */
static void numa_bind_after(kdiff_t *d)
{
	numa_after(d);
	uint64_t f0 = vm_numa_node_free(kdiff_vm(d), 0);
	cr_assert_eq(f0, M_BASE.frames / NUMA_NODES, "[%s] op %u: bind:1, but node 0 has %" PRIu64
		     " free frames of %u", kdiff_tag(d), kdiff_op(d), f0, M_BASE.frames / NUMA_NODES);
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
	cr_assert_eq(vm_sys_stats(kdiff_vm(d))->daemon_reclaims, 0, "[%s] the daemon ran",
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

typedef struct diff2_row {
	kdiff_variant_t v;
	const kdiff_machine_t *m;
	uint64_t salt;
} diff2_row_t;

static const diff2_row_t rows[] = {
	{ { .name = "numa-local", .configure = cfg_numa_local, .fill = xs_fill,
	    .extra = numa_home_op, .extra_pct = 2, .after_op = numa_after, .at_end = numa_local_end },
	  &M_BASE, 0x9001 },
	{ { .name = "numa-interleave", .configure = cfg_numa_interleave, .fill = xs_fill,
	    .extra = numa_home_op, .extra_pct = 2, .after_op = numa_after, .at_end = numa_end },
	  &M_BASE, 0x9002 },
	{ { .name = "numa-bind1", .configure = cfg_numa_bind1, .fill = xs_fill,
	    .extra = numa_home_op, .extra_pct = 2, .after_op = numa_bind_after,
	    .at_end = numa_bind_end, .daemon_idle = 1 },
	  &M_BASE, 0x9003 },
	{ { .name = "zram-swap", .configure = cfg_zram_swap, .fill = fill_mixed,
	    .after_op = zram_after, .at_end = zram_swap_end },
	  &M_BASE, 0x9004 },
	{ { .name = "zram-none", .configure = cfg_zram_none, .fill = fill_runs,
	    .after_op = zram_after, .at_end = zram_none_end, .no_swap_ins = 1 },
	  &M_ZRAM, 0x9005 },
	{ { .name = "malloc", .fill = xs_fill, .extra = kdiff_heap_op, .extra_pct = 25,
	    .at_end = heap_end },
	  &M_BASE, 0x9006 },
	{ { .name = "numa-zram-malloc", .configure = cfg_all, .fill = fill_mixed,
	    .extra = kdiff_heap_op, .extra_pct = 25, .after_op = all_after, .at_end = all_end },
	  &M_BASE, 0x9007 },
};

#define NROWS (sizeof rows / sizeof rows[0])
#define DIFF2_MAX_POLICIES 64

/* Indices, not pointers: Criterion may run a test in a new process. */
typedef struct diff2_param {
	size_t policy; /* index in policy_registry */
	size_t row;    /* index in rows */
} diff2_param_t;

ParameterizedTestParameters(kernel_diff2, every_policy)
{
	static diff2_param_t params[NROWS * DIFF2_MAX_POLICIES];
	size_t n = 0;
	for (size_t r = 0; r < NROWS; r++)
		for (size_t i = 0; i < policy_count && i < DIFF2_MAX_POLICIES; i++)
			if (policy_registry[i]->needs != POLICY_NEEDS_FUTURE)
				params[n++] = (diff2_param_t){ i, r };
	return cr_make_param_array(diff2_param_t, params, n);
}

ParameterizedTest(diff2_param_t *p, kernel_diff2, every_policy, .timeout = 300)
{
	const char *name = policy_registry[p->policy]->name;
	const diff2_row_t *r = &rows[p->row];
	kdiff_run(name, r->m, &r->v, kdiff_name_seed(name, r->salt));
}
