/* exec_support.c - what exec of a real program needs of the kernel beyond
 * mmap: a fresh address space with its break where the program ends, the
 * zeroed tail of a data segment's last file page, a stack that grows down
 * (Linux's VM_GROWSDOWN, with its guard gap), and the initial stack page
 * written without a fault.  Calls go down only: to regions, page tables,
 * frames, the page cache and the policy; sysfault.c calls exsup_grow and
 * exsup_tail_fault, and nothing here calls sysfault.c. */
#include <string.h>

#include "kern.h"
#include "util/vmerr.h"

/* Linux's stack_guard_gap: 256 pages. */
#define EXSUP_GUARD_PAGES 256u

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
	return vm_after(vm, VM_OK);
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
	return vm_after(vm, VM_OK);
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
	return vm_after(vm, VM_OK);
}

int exsup_grow(vm_machine_t *vm, uint32_t p, uint64_t va, const char **why)
{
	proc_t *pr = &vm->procs[p];
	uint32_t i = vma_lower(pr, va);
	uint64_t page = exsup_page(vm), at = va & ~(page - 1);
	*why = "no region";
	if (i == pr->nvmas || !pr->vmas[i].grow_floor || va >= pr->vmas[i].start)
		return -1;
	if (at < pr->vmas[i].grow_floor) {
		*why = "stack growth past --stack-limit";
		return -1;
	}
	uint64_t below = i ? pr->vmas[i - 1].end : 0; /* <= at: va is in no region */
	if (at - below < (uint64_t)EXSUP_GUARD_PAGES * page) {
		*why = "stack growth into the guard gap above the region below";
		return -1;
	}
	pr->vmas[i].start = at;
	vm_event(vm, "stack pid %u grows down to 0x%llx\n", pr->pid, (unsigned long long)at);
	return (int)i;
}

/* A frame for page pg of p, as the fault handler takes one: VM_ENOMEM for
 * no swap room, VM_EKILLED if reclaim's OOM killer chose p itself. */
static int exsup_frame(vm_machine_t *vm, uint32_t p, const policy_page_t *pg, uint32_t *f)
{
	int rc = fault_get_frame(vm, pg, f);
	if (rc)
		return rc == VM_ENOSPC ? VM_ENOMEM : rc;
	if (vm->procs[p].state != VM_PROC_ALIVE) {
		fault_put_frame(vm, *f);
		return VM_EKILLED;
	}
	return VM_OK;
}

/* Map anonymous frame f at va of p through pte_pa, writable if v is. */
static int exsup_map(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va, uint64_t pte_pa,
		     uint32_t f)
{
	int rc = frame_rmap_add(vm, f, p, va >> vm->g.page_shift, pte_pa);
	if (rc)
		return rc;
	phys_write64(&vm->phys, pte_pa, pte_make(f, sysfault_pte_flags(v, 0)));
	vm->procs[p].resident++;
	return VM_OK;
}

/* The page-cache frame of page pgoff of v's file, read if it is not cached
 * (*major: the file was read). */
static int exsup_cached(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t pgoff,
			uint32_t *f, int *major, int *known)
{
	*f = pcache_find(vm, v->obj, pgoff);
	*major = *known = 0;
	if (*f != FRAME_NIL)
		return VM_OK;
	policy_page_t pg = { .key = policy_key(1, v->obj, pgoff), .seq = vm->st.references - 1,
			     .file = 1 };
	*known = shadow_take(vm, pg.key, &pg.shadow);
	int rc = exsup_frame(vm, p, &pg, f);
	if (rc)
		return rc;
	uint64_t reads = vm->sys.file_reads;
	pcache_add(vm, *f, v->obj, pgoff);
	if ((rc = obj_read_page(vm, v->obj, pgoff, *f))) {
		pcache_del(vm, *f);
		fault_put_frame(vm, *f);
		return rc;
	}
	*major = vm->sys.file_reads != reads;
	vm->pol->on_fill(vm->pol_state, *f, &pg); /* cached, not mapped: as read-ahead */
	return VM_OK;
}

int exsup_tail_fault(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va, uint64_t pte_pa)
{
	uint64_t page = exsup_page(vm), at = va & ~(page - 1);
	uint64_t pgoff = v->pgoff + ((at - v->start) >> vm->g.page_shift);
	uint32_t cf, f;
	int major, known;
	int rc = exsup_cached(vm, p, v, pgoff, &cf, &major, &known);
	if (rc)
		return rc;
	/* Copied aside first: finding the private frame may evict the cached one. */
	memcpy(vm->scratch, phys_user_page(&vm->phys, cf), page);
	memset(vm->scratch + (v->zero_from - at), 0, page - (v->zero_from - at));
	policy_page_t pg = { .key = policy_key(0, p, va >> vm->g.page_shift),
			     .seq = vm->st.references - 1 };
	known |= shadow_take(vm, pg.key, &pg.shadow);
	if ((rc = exsup_frame(vm, p, &pg, &f)))
		return rc;
	memcpy(phys_user_page(&vm->phys, f), vm->scratch, page);
	if ((rc = exsup_map(vm, p, v, va, pte_pa, f))) {
		fault_put_frame(vm, f);
		return rc;
	}
	vm->st.page_faults++;
	vm->st.refaults += known;
	if (major)
		vm->st.major_faults++;
	else
		vm->st.minor_faults++;
	vm_event(vm, "fault pid %u va 0x%llx %s: %s page %llu, tail from 0x%llx zeroed\n",
		 vm->procs[p].pid, (unsigned long long)va, major ? "major" : "minor",
		 major ? "file" : "page cache", (unsigned long long)pgoff,
		 (unsigned long long)v->zero_from);
	vm->pol->on_fill(vm->pol_state, f, &pg);
	return VM_OK;
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
	int rc = proc_pte_alloc(vm, p, va, &pte_pa);
	if (rc)
		return rc;
	if (phys_read64(&vm->phys, pte_pa) & (PTE_P | PTE_SWAP))
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
		fault_put_frame(vm, f);
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
	return vm_after(vm, rc);
}
