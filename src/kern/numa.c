/* numa.c - NUMA nodes: which node a frame is on, the memory policy's
 * choice of node for a new frame, local and remote references. */
#include <assert.h>

#include "kern/numa.h"
#include "util/vmerr.h"

int numa_on(const vm_machine_t *vm)
{
	return vm->cfg.numa_nodes != 0;
}

/* Frames of each node but the last (which takes the remainder). */
static uint64_t numa_per(const vm_machine_t *vm)
{
	return vm->cfg.frames / vm->cfg.numa_nodes;
}

uint32_t numa_node_of(const vm_machine_t *vm, uint64_t f)
{
	uint64_t n = f / numa_per(vm);
	return n >= vm->cfg.numa_nodes ? vm->cfg.numa_nodes - 1 : (uint32_t)n;
}

/* The frames of node n: [*lo, *hi). */
static void numa_range(const vm_machine_t *vm, uint32_t n, uint64_t *lo, uint64_t *hi)
{
	*lo = n * numa_per(vm);
	*hi = n + 1 == vm->cfg.numa_nodes ? vm->cfg.frames : *lo + numa_per(vm);
}

/* The lowest free frame in [lo, hi), or UINT64_MAX. */
static uint64_t numa_first_free(const idset_t *s, uint64_t lo, uint64_t hi)
{
	for (uint64_t f = lo; f < hi;) {
		uint64_t w = f / 64;
		uint64_t bits = w < s->nwords ? ~s->bits[w] >> (f % 64) : ~0ull;
		if (!bits) {
			f = (w + 1) * 64;
			continue;
		}
		f += (uint64_t)__builtin_ctzll(bits);
		return f < hi ? f : UINT64_MAX;
	}
	return UINT64_MAX;
}

uint64_t numa_node_free(const vm_machine_t *vm, uint32_t n)
{
	uint64_t lo, hi, k = 0;
	numa_range(vm, n, &lo, &hi);
	for (uint64_t f = lo; (f = numa_first_free(&vm->free_frames, f, hi)) != UINT64_MAX; f++)
		k++;
	return k;
}

/* The home node of process index p. */
static uint32_t numa_home(const vm_machine_t *vm, uint32_t p)
{
	if (p >= vm->nprocs)
		return 0;
	return vm->procs[p].numa_home ? (uint32_t)vm->procs[p].numa_home - 1 : vm->procs[p].pid % vm->cfg.numa_nodes;
}

int numa_can_take(const vm_machine_t *vm, uint32_t p)
{
	if (vm->free_frames.used == vm->free_frames.limit)
		return 0;
	if (vm->cfg.mempolicy != VM_MPOL_BIND)
		return 1;
	uint64_t lo, hi;
	numa_range(vm, vm->cfg.numa_bind, &lo, &hi);
	return numa_first_free(&vm->free_frames, lo, hi) != UINT64_MAX;
}

int numa_take(vm_machine_t *vm, uint32_t p, uint64_t *f)
{
	uint32_t want = vm->cfg.mempolicy == VM_MPOL_BIND ? vm->cfg.numa_bind
			: vm->cfg.mempolicy == VM_MPOL_INTERLEAVE ? vm->numa_il_next++ % vm->cfg.numa_nodes
								   : numa_home(vm, p);
	uint32_t tries = vm->cfg.mempolicy == VM_MPOL_BIND ? 1 : vm->cfg.numa_nodes;
	for (uint32_t k = 0; k < tries; k++) {
		uint32_t n = (want + k) % vm->cfg.numa_nodes;
		uint64_t lo, hi;
		numa_range(vm, n, &lo, &hi);
		uint64_t id = numa_first_free(&vm->free_frames, lo, hi);
		if (id == UINT64_MAX)
			continue;
		if (idset_take_at(&vm->free_frames, id))
			continue; /* (host memory: another node may have its word) */
		if (n != want)
			vm->numa_st.foreign++;
		*f = id;
		return VM_OK;
	}
	return VM_ENOSPC;
}

void numa_count(vm_machine_t *vm, uint32_t p, uint64_t f)
{
	if (numa_node_of(vm, f) == numa_home(vm, p))
		vm->numa_st.local++;
	else
		vm->numa_st.remote++;
}
