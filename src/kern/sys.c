/* sys.c - the system calls of script mode: spawn, fork, exit, mmap, munmap,
 * mprotect, brk, msync, touch, read and write (teardown.h does their
 * unmapping and killing). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/sys.h"
#include "kern/huge.h"
#include "util/vmerr.h"

int sys_after(vm_machine_t *vm, int rc)
{
	char err[512];
	if (vm->cfg.check && check_all(vm, err, sizeof err)) {
		fprintf(stderr, "vmlab: invariant broken: %s\n", err);
		abort();
	}
	return rc;
}

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

/* After each page reference of a system call: the page daemon, then the
 * flusher on the clock of references (unless a scheduler's clock drives
 * it).  0, or the flusher's write-back failure. */
static int sys_background(vm_machine_t *vm)
{
	reclaim_page_daemon(vm);
	huge_daemon(vm);
	return vm->flusher_timed ? VM_OK : flusher_clock(vm, vm->st.references);
}

/* One reference by p to the page holding va; a reference outside the
 * virtual address space, or with the kernel half into it (a supervisor
 * page: U=0), is a SIGSEGV.  The caller runs the page daemon once it is
 * done with the frame (the daemon could evict it). */
static int vm_sys_ref(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc, uint64_t *pfn)
{
	ref_count_kind(vm, acc);
	int rc;
	uint64_t at = ref_canon(vm, va);
	if (at & vm->user_mask) {
		ref_user(vm, p); /* (p runs, to fault) */
		vm->st.references++;
		vm->procs[p].fault_addr = va;
		vm->procs[p].fault_reason = at >> (vm->g.va_bits - 1) == 1
			? "user access to a kernel address: a supervisor page, U=0"
			: "address beyond the virtual address space";
		vm->sys.segfaults++;
		rc = teardown_kill(vm, p, VM_PROC_SEGV) == VM_EIO ? VM_EIO : VM_EFAULT; /* pages lost: say so */
	} else {
		rc = ref_va(vm, p, at, acc, pfn);
	}
	return rc;
}

int vm_syscall(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len)
{
	uint32_t p = live_proc(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	int rc = proc_khalf_init(vm); /* implied by a syscall */
	if (rc)
		return rc;
	uint64_t va = ref_canon(vm, addr), page = geom_page_size(&vm->g);
	if (len && (!proc_is_kernel(vm, va) || va + (len - 1) < va ||
		    (vm->g.va_bits < 64 && ((va + (len - 1)) >> vm->g.va_bits))))
		return VM_EINVAL;
	uint32_t asid = ref_mode(vm, p, 1);
	for (uint64_t at = va & ~(page - 1); !rc && len && at <= va + (len - 1); at += page)
		rc = ref_kernel_va(vm, p, asid, at, MMU_READ);
	ref_mode(vm, p, 0);
	return sys_after(vm, rc);
}

/* Copy len bytes between buf and p's memory at addr, page by page (write
 * when to_mem).  Each page is one reference. */
static int vm_copy(vm_machine_t *vm, uint32_t pid, uint64_t addr, void *buf, size_t len, int to_mem)
{
	uint32_t p;
	int rc = proc_live(vm, pid, &p);
	uint64_t page = geom_page_size(&vm->g);
	for (size_t done = 0; !rc && done < len;) {
		uint64_t va = addr + done, pfn;
		if (va < addr) /* wrapped around the address space */
			va = UINT64_MAX;
		size_t n = page - (va & (page - 1));
		if (n > len - done)
			n = len - done;
		rc = vm_sys_ref(vm, p, va, to_mem ? MMU_WRITE : MMU_READ, &pfn);
		if (rc)
			break;
		uint8_t *mem = phys_user_page(&vm->phys, pfn) + (va & (page - 1));
		if (to_mem)
			memcpy(mem, (const uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, mem, n);
		done += n;
		rc = sys_background(vm);
	}
	if (rc == VM_ENOSPC)
		rc = VM_ENOMEM;
	return sys_after(vm, rc);
}

int vm_write(vm_machine_t *vm, uint32_t pid, uint64_t addr, const void *data, size_t len)
{
	return vm_copy(vm, pid, addr, (void *)(uintptr_t)data, len, 1);
}

int vm_read(vm_machine_t *vm, uint32_t pid, uint64_t addr, void *out, size_t len)
{
	return vm_copy(vm, pid, addr, out, len, 0);
}

int vm_touch(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, int kind,
	     uint64_t stride)
{
	uint32_t p;
	mmu_access_t acc;
	int rc = proc_live(vm, pid, &p);
	if (rc)
		return rc;
	if (ref_kind(kind, &acc))
		return VM_EINVAL;
	if (stride == 0)
		stride = geom_page_size(&vm->g);
	for (uint64_t off = 0; !rc && off < len; off += stride) {
		uint64_t va = addr + off;
		if (va < addr) /* wrapped around the address space: past its end */
			va = UINT64_MAX;
		rc = vm_sys_ref(vm, p, va, acc, NULL);
		if (!rc)
			rc = sys_background(vm);
		if (off + stride < off)
			break;
	}
	return sys_after(vm, rc);
}

int vm_spawn(vm_machine_t *vm, uint32_t pid)
{
	if (proc_lookup(vm, pid) != PROC_NONE)
		return VM_EEXIST;
	uint32_t p;
	return sys_after(vm, proc_create(vm, pid, &p));
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
	uint64_t pte = kpte_get(vm, pte_pa);
	if (pte & PTE_PS) { /* a huge page is never shared (huge.h): base pages */
		int rc = huge_split(vm, (uint32_t)pte_pfn(pte));
		if (!rc)
			rc = proc_walk(vm, p, va, 0, &pte_pa);
		if (rc)
			return rc < 0 ? rc : VM_ENOMEM;
		pte = kpte_get(vm, pte_pa);
	}
	if (!(pte & (PTE_P | PTE_SWAP | PTE_SEEN)))
		return VM_OK;
	vm->st.distinct_pages++; /* (child, page) is a pair of its own */
	uint64_t child_pa;
	int rc = proc_walk(vm, fa->child, va, 1, &child_pa);
	if (rc)
		return rc;
	if (pte & PTE_P) {
		uint64_t flags = pte & ~(PTE_PFN_MASK | PTE_A | PTE_D);
		if (!fa->v->shared) {
			/* Every private page becomes copy-on-write, even in a region
			 * that is read-only now: mprotect may make it writable. */
			flags = (flags & ~PTE_W) | PTE_COW;
			kpte_set(vm, pte_pa, (pte & ~PTE_W) | PTE_COW);
			tlb_flush_page(&vm->tlb, vm->procs[p].asid, va >> vm->g.page_shift);
		}
		uint32_t f = (uint32_t)pte_pfn(pte);
		rc = frame_rmap_add(vm, f, fa->child, va >> vm->g.page_shift, child_pa);
		if (rc)
			return rc;
		kpte_set(vm, child_pa, pte_make(f, flags));
		proc_rss_add(&vm->procs[fa->child], 1);
	} else {
		if (pte & PTE_SWAP) {
			swap_get(vm, pte_pfn(pte));
			vm->procs[fa->child].swapped++;
		}
		kpte_set(vm, child_pa, pte);
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
		rc = v.huge == VMA_HUGE_TLB ? huge_tlb_fork(vm, p, c, &v)
					    : proc_each_pte(vm, p, v.start, v.end, fork_one, &fa);
		pp = &vm->procs[p];
	}
	return sys_after(vm, rc);
}

int vm_exit(vm_machine_t *vm, uint32_t pid)
{
	uint32_t p = live_proc(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	return sys_after(vm, teardown_kill(vm, p, VM_PROC_EXITED));
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
	uint64_t end = 0, pages;
	if (len == 0 || (offset & (geom_page_size(&vm->g) - 1)) || prot > 7)
		return VM_EINVAL;
	pages = page_up(vm, len) >> vm->g.page_shift;
	if (pages == 0)
		return VM_ENOMEM; /* len rounds up past 2^64, as Linux says */
	uint64_t pgoff = offset >> vm->g.page_shift;
	if (path && pgoff + pages < pgoff)
		return VM_EINVAL; /* the file offset of the end would wrap */
	int rc = flags & VM_MAP_HUGETLB ? huge_tlb_prepare(vm, path, flags, addr, &len) : VM_OK;
	if (rc)
		return rc;
	uint64_t align = flags & VM_MAP_HUGETLB ? geom_page_size(&vm->g) * vm->huge->run : 0;
	pages = page_up(vm, len) >> vm->g.page_shift;
	rc = addr ? page_range(vm, addr, len, &end)
		  : mmap_choose(vm, p, (pages << vm->g.page_shift) + align, &addr);
	if (rc)
		return rc;
	if (!end && align) /* (chosen with a huge page to spare: align it) */
		addr = (addr + align - 1) & ~(align - 1);
	end = addr + (pages << vm->g.page_shift);
	vma_t v = { .start = addr, .end = end, .prot = (uint8_t)prot,
		    .shared = flags & VM_MAP_SHARED ? 1 : 0, .kind = (uint8_t)kind,
		    .huge = flags & VM_MAP_HUGETLB ? VMA_HUGE_TLB : VMA_HUGE_DEFAULT,
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
	rc = teardown_unmap(vm, p, addr, end, 0); /* a fixed mapping replaces what was there */
	uint64_t resv = align ? (end - addr) / align : 0;
	if (!rc && resv && (rc = huge_tlb_reserve(vm, resv, 1)))
		resv = 0;
	if (!rc)
		rc = vma_insert(vm, &vm->procs[p], &v);
	if (rc) {
		if (resv)
			huge_tlb_reserve(vm, resv, 0);
		if (v.obj != OBJ_NONE)
			obj_put(vm, v.obj);
		return sys_after(vm, rc);
	}
	*out = addr;
	return sys_after(vm, VM_OK);
}

int vm_munmap(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len)
{
	uint32_t p;
	uint64_t end;
	int rc = proc_range(vm, pid, addr, len, &p, &end);
	if (rc)
		return rc;
	return sys_after(vm, teardown_unmap(vm, p, addr, end, 0));
}

/* Recompute the flags of one present PTE for its (new) region. */
static int protect_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	const vma_t *v = arg;
	uint64_t pte = kpte_get(vm, pte_pa);
	if (!(pte & PTE_P))
		return VM_OK;
	uint64_t keep = pte & (PTE_PFN_MASK | PTE_A | PTE_D | PTE_SEEN | PTE_PS);
	kpte_set(vm, pte_pa, keep | vma_pte_flags(v, !!(pte & PTE_COW)));
	if (pte & PTE_PS) /* a whole huge page stays huge (vm_mprotect split the cut ones) */
		mmu_flush_page(&vm->mmu, vm->procs[p].asid, va >> vm->g.page_shift);
	else
		tlb_flush_page(&vm->tlb, vm->procs[p].asid, va >> vm->g.page_shift);
	return VM_OK;
}

/* Make [addr, end) of p whole regions with no huge page across either end:
 * split the transparent huge pages cut there (as Linux's
 * vma_adjust_trans_huge), then the regions.  0 or a negative vm_err_t. */
static int sys_split_range(vm_machine_t *vm, uint32_t p, uint64_t addr, uint64_t end)
{
	int rc = huge_split_at(vm, p, addr);
	if (!rc)
		rc = huge_split_at(vm, p, end);
	if (!rc)
		rc = vma_split(vm, &vm->procs[p], addr);
	if (!rc)
		rc = vma_split(vm, &vm->procs[p], end);
	return rc;
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
	if (huge_tlb_cuts(vm, p, addr) || huge_tlb_cuts(vm, p, end))
		return VM_EINVAL; /* a hugetlb page changes rights whole */
	rc = sys_split_range(vm, p, addr, end);
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
	return sys_after(vm, VM_OK);
}

int vm_madvise(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, int advice)
{
	uint32_t p;
	uint64_t end;
	int rc = proc_range(vm, pid, addr, len, &p, &end);
	if (rc)
		return rc;
	if (advice != VM_MADV_HUGEPAGE && advice != VM_MADV_NOHUGEPAGE)
		return VM_EINVAL;
	proc_t *pr = &vm->procs[p];
	for (uint64_t va = addr; va < end;) { /* every page must be mapped, as in Linux */
		int i = vma_find(pr, va);
		if (i < 0)
			return VM_ENOMEM;
		if (pr->vmas[i].huge == VMA_HUGE_TLB)
			return VM_EINVAL; /* a hugetlb region has huge pages only */
		va = pr->vmas[i].end;
	}
	rc = sys_split_range(vm, p, addr, end);
	if (rc)
		return rc;
	pr = &vm->procs[p];
	for (uint32_t i = vma_lower(pr, addr); i < pr->nvmas && pr->vmas[i].start < end; i++)
		pr->vmas[i].huge = advice == VM_MADV_HUGEPAGE ? VMA_HUGE_ADVISED : VMA_HUGE_NEVER;
	vma_merge(pr);
	return sys_after(vm, VM_OK);
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
		rc = teardown_unmap(vm, p, new_end, old_end, 0);
	}
	if (!rc)
		vm->procs[p].brk = addr;
	return sys_after(vm, rc);
}

/* Write frame f (a dirty file page) back and mark it clean everywhere. */
static int sync_frame(vm_machine_t *vm, uint32_t f)
{
	return flusher_write(vm, f);
}

/* msync of one PTE: its page written back if it is a dirty file page. */
static int sync_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	uint64_t pte = kpte_get(vm, pte_pa);
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
	return sys_after(vm, rc);
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
	return sys_after(vm, rc);
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

size_t vm_proc_count(const vm_machine_t *vm)
{
	return vm->nprocs;
}

int vm_proc_acct_at(vm_machine_t *vm, size_t i, vm_proc_acct_t *out)
{
	if (i >= vm->nprocs)
		return VM_ESRCH;
	const proc_t *pr = &vm->procs[i];
	*out = (vm_proc_acct_t){ .pid = pr->pid, .state = pr->state, .minflt = pr->minflt,
				 .majflt = pr->majflt, .vm_rss = pr->resident,
				 .vm_swap = pr->swapped, .vm_hwm = pr->hwm,
				 .scheduled = pr->scheduled, .cpu_ns = pr->cpu_ns,
				 .blocked_ns = pr->blocked_ns };
	return VM_OK;
}

int vm_proc_acct(vm_machine_t *vm, uint32_t pid, vm_proc_acct_t *out)
{
	uint32_t p = proc_lookup(vm, pid);
	return p == PROC_NONE ? VM_ESRCH : vm_proc_acct_at(vm, p, out);
}

const vm_sys_stats_t *vm_sys_stats(vm_machine_t *vm)
{
	vm->sys.free_frames = vm->free_frames.limit - vm->free_frames.used;
	return &vm->sys;
}

/* Count resident and swapped pages of a region (arg: two counters). */
static int count_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	uint64_t *n = arg, pte = kpte_get(vm, pte_pa);
	n[0] += !!(pte & PTE_P);
	n[1] += !!(pte & PTE_SWAP);
	return VM_OK;
}

/* Count a region's resident pages by node (arg: cfg.numa_nodes counters). */
static int node_one(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg)
{
	uint64_t *n = arg, pte = kpte_get(vm, pte_pa);
	if (pte & PTE_P)
		n[numa_node_of(vm, pte_pfn(pte))]++;
	return VM_OK;
}

/* With NUMA: " N0=3 N1=1", the region's resident pages by node, as
 * /proc/PID/numa_maps shows them (nodes with none left out). */
static void maps_nodes(vm_machine_t *vm, uint32_t p, const vma_t *v, FILE *out)
{
	uint64_t *n = numa_on(vm) ? calloc(vm->cfg.numa_nodes, sizeof *n) : NULL;
	if (!n)
		return;
	proc_each_pte(vm, p, v->start, v->end, node_one, n);
	for (uint32_t k = 0; k < vm->cfg.numa_nodes; k++)
		if (n[k])
			fprintf(out, " N%u=%llu", k, (unsigned long long)n[k]);
	free(n);
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
		const char *name = v->obj != OBJ_NONE && vm->objs[v->obj].path ? vm->objs[v->obj].path
				   : v->huge == VMA_HUGE_TLB ? "anon_hugepage" : NULL; /* (as Linux) */
		fprintf(out, "%012llx-%012llx %c%c%c%c %08llx %-24s resident %llu swapped %llu",
			(unsigned long long)v->start, (unsigned long long)v->end,
			v->prot & VM_PROT_R ? 'r' : '-', v->prot & VM_PROT_W ? 'w' : '-',
			v->prot & VM_PROT_X ? 'x' : '-', v->shared ? 's' : 'p',
			(unsigned long long)(v->pgoff << vm->g.page_shift),
			name ? name : (pr->linux_names ? linux_kinds : kinds)[v->kind], (unsigned long long)n[0], (unsigned long long)n[1]);
		maps_nodes(vm, p, v, out);
		fputc('\n', out);
		pr = &vm->procs[p];
	}
	return VM_OK;
}

int vm_numa_home(vm_machine_t *vm, uint32_t pid, uint32_t node)
{
	uint32_t p = live_proc(vm, pid);
	if (p == PROC_NONE)
		return VM_ESRCH;
	if (!numa_on(vm) || node >= vm->cfg.numa_nodes)
		return VM_EINVAL;
	vm->procs[p].numa_home = (uint16_t)(node + 1);
	return VM_OK;
}

int vm_check(vm_machine_t *vm, char *err, size_t errlen)
{
	return check_all(vm, err, errlen);
}
