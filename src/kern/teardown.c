/* teardown.c - taking mappings away (teardown.h): zapping the PTEs of a
 * range, unmapping regions after writing back what unmapping would lose,
 * and ending a process.  The system calls, the OOM killer and SIGSEGV all
 * end here; nothing here reclaims or faults. */
#include <assert.h>

#include "kern/teardown.h"
#include "kern/huge.h"
#include "util/vmerr.h"

void teardown_put_anon(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	if (fr->refs || fr->obj != OBJ_NONE)
		return;
	swap_uncache(vm, f);
	fr->dirty = 0;
	frame_release(vm, f);
}

/* Unmap one PTE: a mapped page loses this mapping (its dirtiness moves to
 * the frame: a dirty file page the caller could not write back stays dirty
 * in the page cache), a swap entry gives back its slot reference.  The
 * anonymous page (p, vpn) dies with it: if it is not resident, the policy
 * forgets it and its shadow goes (a resident one was released, or lives on
 * in the processes sharing it). */
static int zap_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	uint64_t pte = kpte_get(vm, pte_pa);
	if (pte & PTE_PS) { /* a whole huge page (teardown_unmap split the cut ones) */
		huge_zap(vm, p, pte_pa);
		return VM_OK;
	}
	if (pte & PTE_P) {
		uint32_t f = (uint32_t)pte_pfn(pte);
		frame_t *fr = &vm->frames[f];
		frame_rmap_del(vm, f, pte_pa);
		vm->procs[p].resident--;
		tlb_flush_page(&vm->tlb, vm->procs[p].asid, va >> vm->g.page_shift);
		if (pte & PTE_D)
			fr->dirty = 1;
		teardown_put_anon(vm, f);
	} else if (pte & PTE_SWAP) {
		swap_put(vm, pte_pfn(pte));
		vm->procs[p].swapped--;
	}
	if (!(pte & PTE_P) && (pte & (PTE_SWAP | PTE_SEEN)))
		shadow_forget(vm, policy_key(0, p, va >> vm->g.page_shift));
	kpte_set(vm, pte_pa, 0);
	return VM_OK;
}

int teardown_range(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end)
{
	return proc_each_pte(vm, p, start, end, zap_one, NULL);
}

/* A write-back pass: whether to go on past a failure, and the first one. */
typedef struct flush_arg {
	int keep_going;
	int rc;
} flush_arg_t;

/* Before unmapping: write back the file page this PTE maps if the PTE or the
 * frame is dirty (each dirty PTE once, as unmapping always counted them);
 * once written, this PTE and the frame are clean.  A failure leaves both. */
static int flush_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	flush_arg_t *fa = arg;
	uint64_t pte = kpte_get(vm, pte_pa);
	if (!(pte & PTE_P))
		return VM_OK;
	uint32_t f = (uint32_t)pte_pfn(pte);
	frame_t *fr = &vm->frames[f];
	if (fr->obj == OBJ_NONE || vm->objs[fr->obj].fd < 0 || !((pte & PTE_D) || fr->dirty))
		return VM_OK;
	int rc = obj_write_page(vm, f);
	if (rc) {
		if (!fa->rc)
			fa->rc = rc;
		return fa->keep_going ? VM_OK : rc;
	}
	fr->dirty = 0;
	fr->flush_seen = 0; /* clean as of now: the flusher starts over */
	kpte_set(vm, pte_pa, pte & ~PTE_D);
	tlb_flush_page(&vm->tlb, vm->procs[p].asid, va >> vm->g.page_shift);
	return VM_OK;
}

/* Write back the dirty unmapped page-cache pages of file object o (its last
 * region is going, and its pages with it). */
static void flush_orphans(vm_machine_t *vm, uint32_t o, flush_arg_t *fa)
{
	for (uint32_t f = 0; f < vm->cfg.frames && (fa->keep_going || !fa->rc); f++) {
		frame_t *fr = &vm->frames[f];
		if (!fr->used || fr->obj != o || fr->refs || !fr->dirty)
			continue;
		int rc = obj_write_page(vm, f);
		if (rc && !fa->rc)
			fa->rc = rc;
		if (!rc)
			fr->dirty = fr->flush_seen = 0;
	}
}

/* Whether every region of object o lies in [start, end) of p (unmapping the
 * range drops its last reference). */
static int last_refs_in(vm_machine_t *vm, const proc_t *pr, uint32_t o, uint64_t start,
			uint64_t end)
{
	uint32_t n = 0;
	for (uint32_t i = vma_lower(pr, start); i < pr->nvmas && pr->vmas[i].start < end; i++)
		n += pr->vmas[i].obj == o && pr->vmas[i].start >= start && pr->vmas[i].end <= end;
	return n == vm->objs[o].refs;
}

/* Write back everything unmapping [start, end) of p would otherwise lose
 * (dirty file pages mapped there; dirty cached pages of files whose last
 * region goes), so that the unmapping itself never writes.  Stops at the
 * first failure unless keep_going; returns it (VM_EIO) or 0. */
static int flush_range(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end,
		       int keep_going)
{
	flush_arg_t fa = { .keep_going = keep_going };
	for (uint32_t i = vma_lower(&vm->procs[p], start);
	     i < vm->procs[p].nvmas && vm->procs[p].vmas[i].start < end && (keep_going || !fa.rc); i++) {
		vma_t v = vm->procs[p].vmas[i];
		if (v.obj == OBJ_NONE || vm->objs[v.obj].fd < 0)
			continue;
		int rc = proc_each_pte(vm, p, v.start > start ? v.start : start,
				       v.end < end ? v.end : end, flush_one, &fa);
		if (rc && !fa.rc)
			fa.rc = rc;
		if ((keep_going || !fa.rc) && last_refs_in(vm, &vm->procs[p], v.obj, start, end))
			flush_orphans(vm, v.obj, &fa);
	}
	return fa.rc;
}

int teardown_unmap(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end, int lossy)
{
	int io = flush_range(vm, p, start, end, lossy);
	if (io && !lossy)
		return io;
	if (huge_tlb_cuts(vm, p, start) || huge_tlb_cuts(vm, p, end))
		return VM_EINVAL; /* a hugetlb page is unmapped whole */
	int rc = huge_split_at(vm, p, start);
	if (!rc)
		rc = huge_split_at(vm, p, end);
	proc_t *pr = &vm->procs[p];
	if (!rc)
		rc = vma_split(vm, pr, start);
	if (!rc)
		rc = vma_split(vm, pr, end);
	if (rc)
		return rc;
	for (uint32_t i = vma_lower(pr, start); i < pr->nvmas && pr->vmas[i].start < end;) {
		vma_t v = pr->vmas[i];
		if (v.huge == VMA_HUGE_TLB)
			huge_tlb_unmap(vm, p, &v);
		teardown_range(vm, p, v.start, v.end);
		vma_remove_at(pr, i);
		pr = &vm->procs[p];
		if (v.obj != OBJ_NONE && obj_put(vm, v.obj) && !io)
			io = VM_EIO;
	}
	return io;
}

/* The end of the address space (0 for a full 64-bit one, which wraps). */
static uint64_t va_top(const vm_machine_t *vm)
{
	return vm->g.va_bits < 64 ? 1ull << vm->g.va_bits : 0;
}

int teardown_kill(vm_machine_t *vm, uint32_t p, vm_proc_state_t st)
{
	proc_t *pr = &vm->procs[p];
	assert(pr->state == VM_PROC_ALIVE);
	uint64_t top = va_top(vm);
	int rc = teardown_unmap(vm, p, 0, top ? top : UINT64_MAX, st != VM_PROC_EXITED);
	if (rc && st == VM_PROC_EXITED)
		return rc;
	pr = &vm->procs[p];
	assert(pr->resident == 0 && pr->swapped == 0);
	proc_free_tables(vm, p);
	tlb_flush_asid(&vm->tlb, pr->asid);
	vma_free_all(vm, pr);
	pr->state = st;
	if (vm->last_proc == p)
		vm->last_proc = PROC_NONE; /* vm_access's inline path is for live ones */
	return rc;
}
