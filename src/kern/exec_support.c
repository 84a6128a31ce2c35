/* exec_support.c - layer 12 (api): what exec of a real program needs of the
 * kernel beyond mmap (vmlab_sys.h): a fresh address space with its break
 * where the program ends, regions marked for the zeroed tail of a data
 * segment and for growing down, and the initial stack page written without
 * a fault.  The fault-time parts are in execfault.c, below. */
#include <string.h>

#include "kern/sys.h"
#include "util/vmerr.h"

static uint64_t exsup_page(const vm_machine_t *vm)
{
	return geom_page_size(&vm->g);
}

/* The live process pid, or PROC_NONE. */
static uint32_t exsup_live(vm_machine_t *vm, uint32_t pid)
{
	uint32_t p = proc_lookup(vm, pid);
	return p != PROC_NONE && vm->procs[p].state == VM_PROC_ALIVE ? p : PROC_NONE;
}

int vm_exec_reset(vm_machine_t *vm, uint32_t pid, uint64_t brk_base)
{
	uint32_t p = exsup_live(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	if (brk_base < exsup_page(vm) || (brk_base & (exsup_page(vm) - 1)))
		return VM_EINVAL;
	while (vm->procs[p].nvmas) { /* the last first: nothing moves under the loop */
		const vma_t *v = &vm->procs[p].vmas[vm->procs[p].nvmas - 1];
		int rc = vm_munmap(vm, pid, v->start, v->end - v->start);
		if (rc)
			return rc;
	}
	proc_t *pr = &vm->procs[p];
	pr->brk = pr->brk_base = brk_base;
	pr->linux_names = 1;
	return sys_after(vm, VM_OK);
}

/* The region of live process pid holding addr, or NULL (*p its index). */
static vma_t *exsup_region(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint32_t *p)
{
	*p = exsup_live(vm, pid);
	if (*p == PROC_NONE)
		return NULL;
	int i = vma_find(&vm->procs[*p], addr);
	return i < 0 ? NULL : &vm->procs[*p].vmas[i];
}

int vm_region_zero_from(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t zero_from)
{
	uint32_t p;
	vma_t *v = exsup_region(vm, pid, addr, &p);
	if (p == PROC_NONE)
		return VM_ESRCH;
	if (!v || v->obj == OBJ_NONE || v->shared || zero_from < v->start || zero_from >= v->end)
		return VM_EINVAL;
	v->zero_from = zero_from;
	return sys_after(vm, VM_OK);
}

int vm_region_grows_down(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t floor)
{
	uint32_t p;
	vma_t *v = exsup_region(vm, pid, addr, &p);
	if (p == PROC_NONE)
		return VM_ESRCH;
	if (!v || v->obj != OBJ_NONE || v->shared || !floor || floor > v->start ||
	    (floor & (exsup_page(vm) - 1)))
		return VM_EINVAL;
	v->grow_floor = floor;
	return sys_after(vm, VM_OK);
}

/* Preload one page at va of p: bytes [from, from+n) of it from data. */
static int exsup_preload_page(vm_machine_t *vm, uint32_t p, uint64_t va, const unsigned char *data,
			      size_t from, size_t n)
{
	int i = vma_find(&vm->procs[p], va);
	if (i < 0 || vm->procs[p].vmas[i].obj != OBJ_NONE || vm->procs[p].vmas[i].shared)
		return VM_EINVAL;
	vma_t v = vm->procs[p].vmas[i];
	uint64_t pte_pa;
	int rc = proc_walk(vm, p, va, 1, &pte_pa);
	if (rc)
		return rc;
	if (kpte_get(vm, pte_pa) & (PTE_P | PTE_SWAP))
		return VM_EINVAL;
	policy_page_t pg = { .key = policy_key(0, p, va >> vm->g.page_shift),
			     .seq = vm->st.references ? vm->st.references - 1 : 0 };
	uint32_t f;
	policy_shadow_t stale;
	shadow_take(vm, pg.key, &stale);
	if ((rc = exsup_frame(vm, p, &pg, &f)))
		return rc;
	unsigned char *mem = phys_user_page(&vm->phys, f);
	memset(mem, 0, exsup_page(vm));
	memcpy(mem + from, data, n);
	if ((rc = exsup_map(vm, p, &v, va, pte_pa, f))) {
		reclaim_put_frame(vm, f);
		return rc;
	}
	vm->pol->on_fill(vm->pol_state, f, &pg);
	return VM_OK;
}

int vm_preload(vm_machine_t *vm, uint32_t pid, uint64_t addr, const void *data, size_t len)
{
	uint32_t p = exsup_live(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	uint64_t page = exsup_page(vm);
	if (!len || addr + len < addr)
		return VM_EINVAL;
	const unsigned char *d = data;
	int rc = VM_OK;
	for (uint64_t at = addr & ~(page - 1); !rc && at < addr + len; at += page) {
		uint64_t lo = at > addr ? at : addr, hi = at + page < addr + len ? at + page : addr + len;
		rc = exsup_preload_page(vm, p, at, d + (lo - addr), lo - at, hi - lo);
	}
	return sys_after(vm, rc);
}
