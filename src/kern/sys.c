/* sys.c - the system calls of script mode: spawn, fork, exit, mmap, munmap,
 * mprotect, brk, msync, and the bookkeeping they share (zapping a range,
 * killing a process). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "util/vmerr.h"

/* The live process numbered pid, or PROC_NONE. */
static uint32_t live_proc(vm_machine_t *vm, uint32_t pid)
{
	uint32_t p = proc_lookup(vm, pid);
	return p != PROC_NONE && vm->procs[p].state == VM_PROC_ALIVE ? p : PROC_NONE;
}

static uint64_t page_up(const vm_machine_t *vm, uint64_t x)
{
	uint64_t mask = geom_page_size(&vm->g) - 1;
	return (x + mask) & ~mask;
}

/* The page range [addr, addr+len) rounded up to pages, checked to lie in the
 * virtual address space.  Returns 0 or VM_EINVAL. */
static int page_range(const vm_machine_t *vm, uint64_t addr, uint64_t len, uint64_t *end)
{
	if (len == 0 || (addr & (geom_page_size(&vm->g) - 1)))
		return VM_EINVAL;
	uint64_t e = page_up(vm, addr + len);
	if (e <= addr || (vm->g.va_bits < 64 && e > (1ull << vm->g.va_bits)))
		return VM_EINVAL;
	*end = e;
	return VM_OK;
}

/* The live process pid (*p) and the page range from addr (*end), as the
 * range system calls need them.  Returns 0, VM_ESRCH or VM_EINVAL. */
static int proc_range(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len,
		      uint32_t *p, uint64_t *end)
{
	*p = live_proc(vm, pid);
	return *p == PROC_NONE ? VM_ESRCH : page_range(vm, addr, len, end);
}

/* Unmap one PTE: a mapped page loses this mapping (its dirtiness moves to
 * the frame: a dirty file page the caller could not write back stays dirty
 * in the page cache), a swap entry gives back its slot reference.  The
 * anonymous page (p, vpn) dies with it: if it is not resident, the policy
 * forgets it and its shadow goes (a resident one was released, or lives on
 * in the processes sharing it). */
static int zap_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	uint64_t pte = phys_read64(&vm->phys, pte_pa);
	if (pte & PTE_P) {
		uint32_t f = (uint32_t)pte_pfn(pte);
		frame_t *fr = &vm->frames[f];
		frame_rmap_del(vm, f, pte_pa);
		vm->procs[p].resident--;
		tlb_flush_page(&vm->tlb, vm->procs[p].asid, va >> vm->g.page_shift);
		if (pte & PTE_D)
			fr->dirty = 1;
		frame_put_anon(vm, f);
	} else if (pte & PTE_SWAP) {
		swap_put(vm, pte_pfn(pte));
		vm->procs[p].swapped--;
	}
	if (!(pte & PTE_P) && (pte & (PTE_SWAP | PTE_SEEN)))
		shadow_forget(vm, policy_key(0, p, va >> vm->g.page_shift));
	phys_write64(&vm->phys, pte_pa, 0);
	return VM_OK;
}

int sys_zap_range(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end)
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
	uint64_t pte = phys_read64(&vm->phys, pte_pa);
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
	phys_write64(&vm->phys, pte_pa, pte & ~PTE_D);
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
			fr->dirty = 0;
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

/* Remove the regions of [start, end) of p, unmapping their pages.  Their
 * dirty file pages are written back first; if one cannot be, nothing is
 * unmapped and the failure returned, unless lossy (a kill, which cannot be
 * refused: it goes on, and returns the failure after). */
static int unmap_regions(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end, int lossy)
{
	int io = flush_range(vm, p, start, end, lossy);
	if (io && !lossy)
		return io;
	proc_t *pr = &vm->procs[p];
	int rc = vma_split(vm, pr, start);
	if (!rc)
		rc = vma_split(vm, pr, end);
	if (rc)
		return rc;
	for (uint32_t i = vma_lower(pr, start); i < pr->nvmas && pr->vmas[i].start < end;) {
		vma_t v = pr->vmas[i];
		sys_zap_range(vm, p, v.start, v.end);
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

/* End process p in state st.  A voluntary exit whose write-backs fail is
 * refused (VM_EIO, the process unchanged); a kill goes on regardless and
 * returns the failure (pages lost) after. */
int sys_kill(vm_machine_t *vm, uint32_t p, vm_proc_state_t st)
{
	proc_t *pr = &vm->procs[p];
	assert(pr->state == VM_PROC_ALIVE);
	uint64_t top = va_top(vm);
	int rc = unmap_regions(vm, p, 0, top ? top : UINT64_MAX, st != VM_PROC_EXITED);
	if (rc && st == VM_PROC_EXITED)
		return rc;
	pr = &vm->procs[p];
	assert(pr->resident == 0 && pr->swapped == 0);
	proc_free_tables(vm, p);
	tlb_flush_asid(&vm->tlb, pr->asid);
	vma_free_all(vm, pr);
	pr->state = st;
	return rc;
}

int vm_spawn(vm_machine_t *vm, uint32_t pid)
{
	if (proc_lookup(vm, pid) != PROC_NONE)
		return VM_EEXIST;
	uint32_t p;
	return vm_after(vm, proc_create(vm, pid, &p));
}

/* Fork one PTE of the parent into the child (arg: the child's index and the
 * region), sharing frames and making private pages copy-on-write. */
typedef struct fork_arg {
	uint32_t child;
	const vma_t *v;
} fork_arg_t;

static int fork_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	const fork_arg_t *fa = arg;
	uint64_t pte = phys_read64(&vm->phys, pte_pa);
	if (!(pte & (PTE_P | PTE_SWAP | PTE_SEEN)))
		return VM_OK;
	vm->st.distinct_pages++; /* (child, page) is a pair of its own */
	uint64_t child_pa;
	int rc = proc_pte_alloc(vm, fa->child, va, &child_pa);
	if (rc)
		return rc;
	if (pte & PTE_P) {
		uint64_t flags = pte & ~(PTE_PFN_MASK | PTE_A | PTE_D);
		if (!fa->v->shared) {
			/* Every private page becomes copy-on-write, even in a region
			 * that is read-only now: mprotect may make it writable. */
			flags = (flags & ~PTE_W) | PTE_COW;
			phys_write64(&vm->phys, pte_pa, (pte & ~PTE_W) | PTE_COW);
			tlb_flush_page(&vm->tlb, vm->procs[p].asid, va >> vm->g.page_shift);
		}
		uint32_t f = (uint32_t)pte_pfn(pte);
		rc = frame_rmap_add(vm, f, fa->child, va >> vm->g.page_shift, child_pa);
		if (rc)
			return rc;
		phys_write64(&vm->phys, child_pa, pte_make(f, flags));
		vm->procs[fa->child].resident++;
	} else {
		if (pte & PTE_SWAP) {
			swap_get(vm, pte_pfn(pte));
			vm->procs[fa->child].swapped++;
		}
		phys_write64(&vm->phys, child_pa, pte);
	}
	return VM_OK;
}

int vm_fork(vm_machine_t *vm, uint32_t parent, uint32_t child)
{
	uint32_t p = live_proc(vm, parent), c;
	if (p == PROC_NONE)
		return VM_ESRCH;
	if (proc_lookup(vm, child) != PROC_NONE)
		return VM_EEXIST;
	int rc = proc_create(vm, child, &c);
	if (rc)
		return rc;
	proc_t *pp = &vm->procs[p], *cp = &vm->procs[c];
	cp->brk = pp->brk;
	cp->brk_base = pp->brk_base;
	cp->linux_names = pp->linux_names;
	for (uint32_t i = 0; i < pp->nvmas && !rc; i++) {
		vma_t v = pp->vmas[i];
		rc = vma_insert(vm, &vm->procs[c], &v);
		if (rc)
			break;
		if (v.obj != OBJ_NONE)
			obj_get(vm, v.obj);
		fork_arg_t fa = { .child = c, .v = &v };
		rc = proc_each_pte(vm, p, v.start, v.end, fork_one, &fa);
		pp = &vm->procs[p];
	}
	return vm_after(vm, rc);
}

int vm_exit(vm_machine_t *vm, uint32_t pid)
{
	uint32_t p = live_proc(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	return vm_after(vm, sys_kill(vm, p, VM_PROC_EXITED));
}

/* Highest free gap of len bytes below VM_MMAP_TOP (or the top of the VA),
 * above page 0.  Returns 0 or VM_ENOMEM. */
static int mmap_choose(vm_machine_t *vm, uint32_t p, uint64_t len, uint64_t *addr)
{
	const proc_t *pr = &vm->procs[p];
	uint64_t hi = VM_MMAP_TOP;
	if (vm->g.va_bits < 64 && hi > (1ull << vm->g.va_bits))
		hi = 1ull << vm->g.va_bits;
	uint64_t floor = geom_page_size(&vm->g); /* never map page 0 */
	for (uint32_t i = pr->nvmas; i-- > 0;) {
		const vma_t *v = &pr->vmas[i];
		if (v->start >= hi)
			continue;
		if (v->end <= hi && hi - v->end >= len) {
			*addr = hi - len;
			return VM_OK;
		}
		hi = v->start;
	}
	if (hi >= floor && hi - floor >= len) { /* (floor + len could wrap) */
		*addr = hi - len;
		return VM_OK;
	}
	return VM_ENOMEM;
}

int vm_mmap(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, unsigned prot,
	    unsigned flags, const char *path, uint64_t offset, vm_region_kind_t kind,
	    uint64_t *out)
{
	uint32_t p = live_proc(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	uint64_t end, pages;
	if (len == 0 || (offset & (geom_page_size(&vm->g) - 1)) || prot > 7)
		return VM_EINVAL;
	pages = page_up(vm, len) >> vm->g.page_shift;
	if (pages == 0)
		return VM_ENOMEM; /* len rounds up past 2^64, as Linux says */
	uint64_t pgoff = offset >> vm->g.page_shift;
	if (path && pgoff + pages < pgoff)
		return VM_EINVAL; /* the file offset of the end would wrap */
	int rc = addr ? page_range(vm, addr, len, &end)
		      : mmap_choose(vm, p, pages << vm->g.page_shift, &addr);
	if (rc)
		return rc;
	end = addr + (pages << vm->g.page_shift);
	vma_t v = { .start = addr, .end = end, .prot = (uint8_t)prot,
		    .shared = flags & VM_MAP_SHARED ? 1 : 0, .kind = (uint8_t)kind,
		    .obj = OBJ_NONE, .pgoff = offset >> vm->g.page_shift };
	vm->io_error[0] = 0; /* an open failure does not describe itself there */
	if (path)
		rc = obj_open_file(vm, path, &v.obj);
	else if (v.shared)
		rc = obj_new_anon(vm, pages, &v.obj);
	if (rc)
		return rc;
	if (!path)
		v.pgoff = 0;
	rc = unmap_regions(vm, p, addr, end, 0); /* a fixed mapping replaces what was there */
	if (!rc)
		rc = vma_insert(vm, &vm->procs[p], &v);
	if (rc) {
		if (v.obj != OBJ_NONE)
			obj_put(vm, v.obj);
		return vm_after(vm, rc);
	}
	*out = addr;
	return vm_after(vm, VM_OK);
}

int vm_munmap(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len)
{
	uint32_t p;
	uint64_t end;
	int rc = proc_range(vm, pid, addr, len, &p, &end);
	if (rc)
		return rc;
	return vm_after(vm, unmap_regions(vm, p, addr, end, 0));
}

/* Recompute the flags of one present PTE for its (new) region. */
static int protect_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	const vma_t *v = arg;
	uint64_t pte = phys_read64(&vm->phys, pte_pa);
	if (!(pte & PTE_P))
		return VM_OK;
	uint64_t keep = pte & (PTE_PFN_MASK | PTE_A | PTE_D | PTE_SEEN);
	phys_write64(&vm->phys, pte_pa, keep | sysfault_pte_flags(v, !!(pte & PTE_COW)));
	tlb_flush_page(&vm->tlb, vm->procs[p].asid, va >> vm->g.page_shift);
	return VM_OK;
}

int vm_mprotect(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, unsigned prot)
{
	uint32_t p;
	uint64_t end;
	int rc = proc_range(vm, pid, addr, len, &p, &end);
	if (rc || prot > 7)
		return rc ? rc : VM_EINVAL;
	proc_t *pr = &vm->procs[p];
	for (uint64_t va = addr; va < end;) { /* every page must be mapped, as in Linux */
		int i = vma_find(pr, va);
		if (i < 0)
			return VM_ENOMEM;
		va = pr->vmas[i].end;
	}
	rc = vma_split(vm, pr, addr);
	if (!rc)
		rc = vma_split(vm, pr, end);
	if (rc)
		return rc;
	pr = &vm->procs[p];
	for (uint32_t i = 0; i < pr->nvmas; i++) {
		vma_t *v = &pr->vmas[i];
		if (v->end <= addr || v->start >= end)
			continue;
		v->prot = (uint8_t)prot;
		proc_each_pte(vm, p, v->start, v->end, protect_one, v);
	}
	vma_merge(&vm->procs[p]);
	return vm_after(vm, VM_OK);
}

int vm_brk(vm_machine_t *vm, uint32_t pid, uint64_t addr)
{
	uint32_t p = live_proc(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	proc_t *pr = &vm->procs[p];
	if (addr < (pr->brk_base ? pr->brk_base : VM_HEAP_BASE) ||
	    (vm->g.va_bits < 64 && addr > (1ull << vm->g.va_bits)))
		return VM_EINVAL;
	uint64_t old_end = page_up(vm, pr->brk), new_end = page_up(vm, addr);
	if (new_end < addr)
		return VM_EINVAL; /* in the last page of a 64-bit space: its end wraps */
	int rc = VM_OK;
	if (new_end > old_end) {
		uint32_t i = vma_lower(pr, old_end);
		if (i < pr->nvmas && pr->vmas[i].start < new_end)
			return VM_ENOMEM; /* the heap would run into a mapping */
		vma_t v = { .start = old_end, .end = new_end, .prot = VM_PROT_R | VM_PROT_W,
			    .kind = VM_KIND_HEAP, .obj = OBJ_NONE };
		rc = vma_insert(vm, pr, &v);
		vma_merge(&vm->procs[p]);
	} else if (new_end < old_end) {
		rc = unmap_regions(vm, p, new_end, old_end, 0);
	}
	if (!rc)
		vm->procs[p].brk = addr;
	return vm_after(vm, rc);
}

/* Write frame f (a dirty file page) back and mark it clean everywhere. */
static int sync_frame(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	int rc = obj_write_page(vm, f);
	if (rc)
		return rc;
	fr->dirty = 0;
	for (uint32_t i = fr->rmap; i != RMAP_NONE; i = vm->rmaps[i].next) {
		const rmap_t *r = &vm->rmaps[i];
		phys_write64(&vm->phys, r->pte_pa, phys_read64(&vm->phys, r->pte_pa) & ~PTE_D);
		tlb_flush_page(&vm->tlb, vm->procs[r->proc].asid, r->vpn);
	}
	return VM_OK;
}

/* msync of one PTE: its page written back if it is a dirty file page. */
static int sync_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	uint64_t pte = phys_read64(&vm->phys, pte_pa);
	if (!(pte & PTE_P))
		return VM_OK;
	uint32_t f = (uint32_t)pte_pfn(pte);
	const frame_t *fr = &vm->frames[f];
	if (fr->obj == OBJ_NONE || vm->objs[fr->obj].fd < 0 || !vm_frame_dirty(vm, f))
		return VM_OK;
	return sync_frame(vm, f);
}

int vm_msync(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len)
{
	uint32_t p;
	uint64_t end;
	int rc = proc_range(vm, pid, addr, len, &p, &end);
	if (rc)
		return rc;
	const proc_t *pr = &vm->procs[p];
	for (uint32_t i = 0; i < pr->nvmas && !rc; i++) {
		vma_t v = pr->vmas[i];
		if (v.end <= addr || v.start >= end || !v.shared || v.obj == OBJ_NONE)
			continue;
		rc = proc_each_pte(vm, p, v.start > addr ? v.start : addr, v.end < end ? v.end : end, sync_one, NULL);
		pr = &vm->procs[p];
	}
	return vm_after(vm, rc);
}

int vm_sync_all(vm_machine_t *vm)
{
	char first[sizeof vm->io_error];
	int rc = VM_OK;
	for (uint32_t f = 0; f < vm->cfg.frames; f++) {
		const frame_t *fr = &vm->frames[f];
		if (!fr->used || fr->obj == OBJ_NONE || vm->objs[fr->obj].fd < 0 || !vm_frame_dirty(vm, f))
			continue;
		int e = sync_frame(vm, f);
		if (e && !rc) {
			rc = e;
			memcpy(first, vm->io_error, sizeof first);
		}
	}
	if (rc)
		memcpy(vm->io_error, first, sizeof first);
	return vm_after(vm, rc);
}

void vm_proc_info(vm_machine_t *vm, uint32_t pid, vm_proc_info_t *out)
{
	uint32_t p = proc_lookup(vm, pid);
	if (p == PROC_NONE) {
		*out = (vm_proc_info_t){ .state = VM_PROC_NONE };
		return;
	}
	const proc_t *pr = &vm->procs[p];
	*out = (vm_proc_info_t){ .state = pr->state, .fault_addr = pr->fault_addr,
				 .reason = pr->fault_reason, .resident = pr->resident,
				 .swapped = pr->swapped, .brk = pr->brk };
}

const vm_sys_stats_t *vm_sys_stats(vm_machine_t *vm)
{
	vm->sys.free_frames = vm->free_frames.limit - vm->free_frames.used;
	return &vm->sys;
}

/* Count resident and swapped pages of a region (arg: two counters). */
static int count_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	uint64_t *n = arg, pte = phys_read64(&vm->phys, pte_pa);
	n[0] += !!(pte & PTE_P);
	n[1] += !!(pte & PTE_SWAP);
	return VM_OK;
}

int vm_maps(vm_machine_t *vm, uint32_t pid, FILE *out)
{
	static const char *const kinds[] = { "mapping", "text", "data", "heap", "stack" };
	static const char *const linux_kinds[] = { "", "", "", "[heap]", "[stack]" }; /* after exec */
	uint32_t p = live_proc(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	const proc_t *pr = &vm->procs[p];
	for (uint32_t i = 0; i < pr->nvmas; i++) {
		const vma_t *v = &pr->vmas[i];
		uint64_t n[2] = { 0, 0 };
		proc_each_pte(vm, p, v->start, v->end, count_one, n);
		const char *name = v->obj != OBJ_NONE && vm->objs[v->obj].path ? vm->objs[v->obj].path : NULL;
		fprintf(out, "%012llx-%012llx %c%c%c%c %08llx %-24s resident %llu swapped %llu\n",
			(unsigned long long)v->start, (unsigned long long)v->end,
			v->prot & VM_PROT_R ? 'r' : '-', v->prot & VM_PROT_W ? 'w' : '-',
			v->prot & VM_PROT_X ? 'x' : '-', v->shared ? 's' : 'p',
			(unsigned long long)(v->pgoff << vm->g.page_shift),
			name ? name : (pr->linux_names ? linux_kinds : kinds)[v->kind], (unsigned long long)n[0], (unsigned long long)n[1]);
		pr = &vm->procs[p];
	}
	return VM_OK;
}

int vm_check(vm_machine_t *vm, char *err, size_t errlen)
{
	return check_all(vm, err, errlen);
}
