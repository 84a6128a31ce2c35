/* execfault.c - layer 10 (fault): the fault-path parts of exec of a real
 * program: a stack that grows down (Linux's VM_GROWSDOWN, with its guard
 * gap) and the zeroed tail of a data segment's last file page.  sysfault.c
 * calls exsup_grow and exsup_tail_fault; exec_support.c (the api layer)
 * uses exsup_frame and exsup_map to write the initial stack. */
#include <string.h>

#include "kern/fault.h"
#include "util/vmerr.h"

/* Linux's stack_guard_gap: 256 pages. */
#define EXSUP_GUARD_PAGES 256u

static uint64_t exsup_page(const vm_machine_t *vm)
{
	return geom_page_size(&vm->g);
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
	kio_event(vm, "stack pid %u grows down to 0x%llx\n", pr->pid, (unsigned long long)at);
	return (int)i;
}

/* A frame for page pg of p, as the fault handler takes one: VM_ENOMEM for
 * no swap room, VM_EKILLED if reclaim's OOM killer chose p itself. */
int exsup_frame(vm_machine_t *vm, uint32_t p, const policy_page_t *pg, uint32_t *f)
{
	int rc = reclaim_get_frame(vm, pg, f);
	if (rc)
		return rc == VM_ENOSPC ? VM_ENOMEM : rc;
	if (vm->procs[p].state != VM_PROC_ALIVE) {
		reclaim_put_frame(vm, *f);
		return VM_EKILLED;
	}
	return VM_OK;
}

/* Map anonymous frame f at va of p through pte_pa, writable if v is. */
int exsup_map(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va, uint64_t pte_pa,
	      uint32_t f)
{
	int rc = frame_rmap_add(vm, f, p, va >> vm->g.page_shift, pte_pa);
	if (rc)
		return rc;
	kpte_set(vm, pte_pa, pte_make(f, vma_pte_flags(v, 0)));
	proc_rss_add(&vm->procs[p], 1);
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
		reclaim_put_frame(vm, *f);
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
		reclaim_put_frame(vm, f);
		return rc;
	}
	vm->st.page_faults++;
	vm->st.refaults += known;
	if (major)
		vm->st.major_faults++;
	else
		vm->st.minor_faults++;
	kio_event(vm, "fault pid %u va 0x%llx %s: %s page %llu, tail from 0x%llx zeroed\n",
		 vm->procs[p].pid, (unsigned long long)va, major ? "major" : "minor",
		 major ? "file" : "page cache", (unsigned long long)pgoff,
		 (unsigned long long)v->zero_from);
	vm->pol->on_fill(vm->pol_state, f, &pg);
	return VM_OK;
}

