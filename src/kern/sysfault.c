/* sysfault.c - the page-fault handler of script mode, classifying a fault as
 * the seeds do:
 *
 *   no region                                  -> SIGSEGV
 *   region does not allow the access           -> SIGSEGV
 *   present, read-only, private writable region -> copy-on-write
 *   not present, swap entry                    -> swap-in (major; minor when
 *                                                 the swap cache has it)
 *   not present, file or shared anonymous      -> page cache (minor) or read
 *                                                 from the object (major)
 *   not present, private anonymous             -> zero-fill (minor); a huge
 *                                                 page if THP may (huge.h)
 *
 * The handler only makes the access possible; the MMU retries it.  A fault
 * that needs a frame may reclaim, which can change any PTE but the faulting
 * one; a COW source may be evicted meanwhile, so COW re-reads the PTE after
 * allocating and lets the retry sort it out. */
#include <assert.h>
#include <string.h>

#include "kern/fault.h"
#include "kern/huge.h"
#include "util/vmerr.h"

/* Kill p with SIGSEGV at va. */
static int segv(vm_machine_t *vm, uint32_t p, uint64_t va, const char *reason)
{
	vm->procs[p].fault_addr = va;
	vm->procs[p].fault_reason = reason;
	vm->sys.segfaults++;
	kio_event(vm, "segv pid %u va 0x%llx: %s\n", vm->procs[p].pid, (unsigned long long)va, reason);
	return teardown_kill(vm, p, VM_PROC_SEGV) == VM_EIO ? VM_EIO : VM_EFAULT; /* pages lost: say so */
}

/* Map frame f at va for p through the PTE at pte_pa. */
static int map_frame(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, uint32_t f,
		     uint64_t flags)
{
	int rc = frame_rmap_add(vm, f, p, va >> vm->g.page_shift, pte_pa);
	if (rc)
		return rc;
	kpte_set(vm, pte_pa, pte_make(f, flags));
	proc_rss_add(&vm->procs[p], 1);
	return VM_OK;
}

/* What the policy is told of a page the current reference brings in: page
 * `page` of process index or object `space` (file: a page-cache page). */
static policy_page_t sys_page(const vm_machine_t *vm, int file, uint64_t space, uint64_t page)
{
	return (policy_page_t){ .key = policy_key(file, space, page), .seq = vm->st.references - 1,
				.file = (uint8_t)file };
}

/* A new frame for p to hold pg; VM_EKILLED if reclaim's OOM killer chose p
 * itself. */
static int get_frame(vm_machine_t *vm, uint32_t p, const policy_page_t *pg, uint32_t *f)
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

/* Count a fault (a refault if the page's shadow was known) and tell the
 * policy about a newly filled frame (pg). */
static void count_fault(vm_machine_t *vm, int major, uint32_t filled, const policy_page_t *pg,
			int known)
{
	vm->st.page_faults++;
	vm->st.refaults += known;
	if (major)
		vm->st.major_faults++;
	else
		vm->st.minor_faults++;
	if (filled != FRAME_NIL)
		vm->pol->on_fill(vm->pol_state, filled, pg);
}

/* Whether read-ahead may take a frame: only from frames free above the low
 * watermark, so it never forces reclaim (which could take the page just
 * faulted in). */
static int readahead_room(vm_machine_t *vm)
{
	if (numa_on(vm)) /* (a node the policy takes from, above its low mark) */
		return numa_room(vm, vm->numa_proc);
	uint64_t free_now = vm->free_frames.limit - vm->free_frames.used;
	return free_now > vm->cfg.wmark_low && free_now > vm->cfg.wmark_min && free_now > 0;
}

/* After a major fault on an object page at va, read up to cfg.readahead of
 * the region's following pages into the page cache (not mapped). */
static void readahead_obj(vm_machine_t *vm, const vma_t *v, uint64_t va)
{
	uint64_t page = geom_page_size(&vm->g);
	for (unsigned k = 1; k <= vm->cfg.readahead && readahead_room(vm); k++) {
		uint64_t nva = va + k * page;
		if (nva >= v->end || nva < va)
			break;
		uint64_t pgoff = v->pgoff + ((nva - v->start) >> vm->g.page_shift);
		const vobj_t *ob = &vm->objs[v->obj];
		if (ob->fd >= 0 ? (pgoff << vm->g.page_shift) >= ob->size
				: pgoff >= ob->npages || obj_slot(vm, v->obj, pgoff) == SLOT_NONE)
			break; /* nothing stored there to read */
		uint32_t f;
		policy_page_t pg = sys_page(vm, 1, v->obj, pgoff);
		if (pcache_find(vm, v->obj, pgoff) != FRAME_NIL || reclaim_get_frame(vm, &pg, &f))
			continue;
		pcache_add(vm, f, v->obj, pgoff);
		if (obj_read_page(vm, v->obj, pgoff, f)) { /* the fault itself will report it */
			pcache_del(vm, f);
			reclaim_put_frame(vm, f);
			break;
		}
		shadow_take(vm, pg.key, &pg.shadow); /* read ahead: not a fault, no refault */
		vm->pol->on_fill(vm->pol_state, f, &pg);
	}
}

/* After a swap-in at va, read up to cfg.readahead of the region's following
 * pages that are in swap into the swap cache (not mapped). */
static void readahead_swap(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va)
{
	uint64_t page = geom_page_size(&vm->g);
	for (unsigned k = 1; k <= vm->cfg.readahead && readahead_room(vm); k++) {
		uint64_t nva = va + k * page, pte_pa;
		if (nva >= v->end || nva < va)
			break;
		if (proc_walk(vm, p, nva, 0, &pte_pa))
			continue;
		uint64_t pte = kpte_get(vm, pte_pa);
		uint32_t f;
		policy_page_t pg = sys_page(vm, 0, p, nva >> vm->g.page_shift);
		if (!(pte & PTE_SWAP) || vm->swap_cache[pte_pfn(pte)] != FRAME_NIL ||
		    reclaim_get_frame(vm, &pg, &f))
			continue;
		uint64_t slot = pte_pfn(pte);
		if (swap_read(vm, slot, phys_user_page(&vm->phys, f)) != VM_OK) {
			reclaim_put_frame(vm, f);
			break;
		}
		vm->frames[f].swap_slot = slot;
		vm->swap_cache[slot] = f;
		swap_get(vm, slot);
		swap_count_in(vm, slot);
		shadow_take(vm, pg.key, &pg.shadow); /* read ahead: not a fault, no refault */
		vm->pol->on_fill(vm->pol_state, f, &pg);
	}
}

static int do_zero_fill(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va,
			uint64_t pte_pa)
{
	uint32_t f;
	policy_page_t pg = sys_page(vm, 0, p, va >> vm->g.page_shift);
	int known = shadow_take(vm, pg.key, &pg.shadow); /* (lost if the fault fails) */
	int rc = get_frame(vm, p, &pg, &f);
	if (rc)
		return rc;
	memset(phys_user_page(&vm->phys, f), 0, geom_page_size(&vm->g));
	rc = map_frame(vm, p, va, pte_pa, f, vma_pte_flags(v, 0));
	if (rc)
		return rc;
	kio_event(vm, "fault pid %u va 0x%llx minor: zero-fill\n", vm->procs[p].pid, (unsigned long long)va);
	count_fault(vm, 0, f, &pg, known);
	return VM_OK;
}

static int do_swap_in(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va,
		      uint64_t pte_pa, uint64_t slot)
{
	uint32_t f = vm->swap_cache[slot], filled = FRAME_NIL;
	int major = f == FRAME_NIL, known = 0;
	policy_page_t pg = sys_page(vm, 0, p, va >> vm->g.page_shift);
	if (major) {
		known = shadow_take(vm, pg.key, &pg.shadow);
		int rc = get_frame(vm, p, &pg, &f);
		if (rc)
			return rc;
		rc = swap_read(vm, slot, phys_user_page(&vm->phys, f));
		if (rc) {
			reclaim_put_frame(vm, f);
			return rc;
		}
		vm->frames[f].swap_slot = slot;
		vm->swap_cache[slot] = f;
		swap_get(vm, slot); /* the swap cache's reference */
		swap_count_in(vm, slot);
		filled = f;
	}
	const frame_t *fr = &vm->frames[f];
	/* Writable at once only if nobody else can see this page or its slot. */
	int sole = fr->refs == 0 && vm->swap_count[slot] == 2;
	int rc = map_frame(vm, p, va, pte_pa, f, vma_pte_flags(v, !v->shared && !sole));
	if (rc)
		return rc;
	vm->procs[p].swapped--;
	swap_put(vm, slot); /* this PTE's reference became a mapping */
	if (!major) { /* resident again under this name too (a sharer evicted it as its own) */
		policy_shadow_t stale;
		shadow_take(vm, pg.key, &stale);
	}
	kio_event(vm, "fault pid %u va 0x%llx %s: swap-in slot %llu\n", vm->procs[p].pid,
		  (unsigned long long)va, major ? "major" : "minor (swap cache)", (unsigned long long)slot);
	count_fault(vm, major, filled, &pg, known);
	if (major)
		readahead_swap(vm, p, v, va);
	return VM_OK;
}

/* Whether the file page of region v at virtual page k may be mapped by
 * fault-around: inside the file's bytes, and not exec's zeroed .data tail
 * or the .bss after it (those pages are not the file's). */
static int around_ok(const vm_machine_t *vm, const vma_t *v, uint64_t k)
{
	uint64_t kva = k << vm->g.page_shift, pgoff = v->pgoff + (k - (v->start >> vm->g.page_shift));
	if (v->zero_from && (kva | (geom_page_size(&vm->g) - 1)) >= v->zero_from)
		return 0;
	return (pgoff << vm->g.page_shift) < vm->objs[v->obj].size;
}

/* Linux's do_fault_around, before a read fault on the file page at va is
 * served: map the pages of the aligned cfg.fault_around-page window around
 * it (clipped to the region and to the faulting page's leaf table, as
 * Linux's is to its PMD) that the page cache already holds and that p maps
 * in no way yet.  They are mapped as the fault would map them, without an
 * accessed bit and without a fault; the pages read for the fault itself
 * (read-ahead's included) are not mapped.  Counted in fault_around_pages,
 * and in distinct_pages (pages a process has had mapped). */
static void fault_around(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va)
{
	uint64_t n = vm->cfg.fault_around, table = 1ull << vm->g.level_bits[0];
	uint64_t vpn = va >> vm->g.page_shift, span = n < table ? n : table;
	uint64_t lo = vpn & ~(span - 1), hi = lo + span;
	uint64_t first = v->start >> vm->g.page_shift, end = v->end >> vm->g.page_shift;
	for (uint64_t k = lo > first ? lo : first; k < hi && k < end; k++) {
		uint64_t pte_pa, pgoff = v->pgoff + (k - first);
		uint32_t f;
		if (k == vpn || !around_ok(vm, v, k) ||
		    (f = pcache_find(vm, v->obj, pgoff)) == FRAME_NIL ||
		    proc_walk(vm, p, k << vm->g.page_shift, 0, &pte_pa))
			continue;
		uint64_t pte = kpte_get(vm, pte_pa);
		if (pte & (PTE_P | PTE_SWAP))
			continue;
		if (map_frame(vm, p, k << vm->g.page_shift, pte_pa, f, vma_pte_flags(v, !v->shared)))
			return;
		if (!(pte & PTE_SEEN))
			vm->st.distinct_pages++;
		vm->sys.fault_around_pages++;
		kio_event(vm, "fault-around pid %u va 0x%llx: page cache page %llu\n", vm->procs[p].pid,
			  (unsigned long long)(k << vm->g.page_shift), (unsigned long long)pgoff);
	}
}

static int do_cached(vm_machine_t *vm, uint32_t p, const vma_t *v, uint64_t va, uint64_t pte_pa,
		     mmu_access_t acc)
{
	if (vm->cfg.fault_around > 1 && acc != MMU_WRITE && vm->objs[v->obj].fd >= 0)
		fault_around(vm, p, v, va);
	uint64_t pgoff = v->pgoff + ((va - v->start) >> vm->g.page_shift);
	uint32_t f = pcache_find(vm, v->obj, pgoff), filled = FRAME_NIL;
	int major = 0, known = 0;
	policy_page_t pg = sys_page(vm, 1, v->obj, pgoff);
	if (f == FRAME_NIL) {
		known = shadow_take(vm, pg.key, &pg.shadow);
		int rc = get_frame(vm, p, &pg, &f);
		if (rc)
			return rc;
		uint64_t reads = vm->sys.file_reads + vm->st.swap_ins + vm->zram.st.loads;
		pcache_add(vm, f, v->obj, pgoff);
		rc = obj_read_page(vm, v->obj, pgoff, f);
		if (rc) {
			pcache_del(vm, f);
			reclaim_put_frame(vm, f);
			return rc;
		}
		major = vm->sys.file_reads + vm->st.swap_ins + vm->zram.st.loads != reads;
		filled = f;
	}
	int rc = map_frame(vm, p, va, pte_pa, f, vma_pte_flags(v, !v->shared));
	if (rc)
		return rc;
	kio_event(vm, "fault pid %u va 0x%llx %s: %s page %llu\n", vm->procs[p].pid,
		  (unsigned long long)va, major ? "major" : "minor",
		  filled == FRAME_NIL ? "page cache" : vm->objs[v->obj].fd >= 0 ? "file" : "shared memory",
		  (unsigned long long)pgoff);
	count_fault(vm, major, filled, &pg, known);
	if (major)
		readahead_obj(vm, v, va);
	return VM_OK;
}

static int do_cow(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, uint64_t pte)
{
	uint32_t f = (uint32_t)pte_pfn(pte);
	frame_t *fr = &vm->frames[f];
	uint32_t asid = vm->procs[p].asid;
	uint64_t vpn = va >> vm->g.page_shift;
	policy_page_t pg = sys_page(vm, 0, p, vpn);
	if (fr->obj == OBJ_NONE && fr->refs == 1 &&
	    (fr->swap_slot == SLOT_NONE || vm->swap_count[fr->swap_slot] == 1)) {
		/* The last user of an anonymous page: write in place.  Its swap
		 * copy is about to be stale, so let it go. */
		swap_uncache(vm, f);
		kpte_set(vm, pte_pa, (pte & ~PTE_COW) | PTE_W);
		tlb_flush_page(&vm->tlb, asid, vpn);
		vm->sys.cow_faults++;
		kio_event(vm, "fault pid %u va 0x%llx minor: copy-on-write, last user keeps the page\n",
			  vm->procs[p].pid, (unsigned long long)va);
		count_fault(vm, 0, FRAME_NIL, &pg, 0);
		return VM_OK;
	}
	/* Copy the source aside first: finding a frame may evict it, and
	 * retrying then would only swap it back in to be evicted again. */
	memcpy(vm->scratch, phys_user_page(&vm->phys, f), geom_page_size(&vm->g));
	uint32_t nf;
	int rc = get_frame(vm, p, &pg, &nf);
	if (rc)
		return rc;
	memcpy(phys_user_page(&vm->phys, nf), vm->scratch, geom_page_size(&vm->g));
	uint64_t now = kpte_get(vm, pte_pa);
	if ((now & PTE_P) && pte_pfn(now) == f) { /* (reclaim may have cleared A) */
		frame_rmap_del(vm, f, pte_pa);
		if (now & PTE_D)
			fr->dirty = 1;
		vm->procs[p].resident--;
		teardown_put_anon(vm, f);
	} else if (now & PTE_SWAP) { /* reclaim swapped the source out meanwhile */
		swap_put(vm, pte_pfn(now));
		vm->procs[p].swapped--;
	}
	const vma_t *v = &vm->procs[p].vmas[vma_find(&vm->procs[p], va)];
	rc = map_frame(vm, p, va, pte_pa, nf, vma_pte_flags(v, 0));
	if (rc)
		return rc;
	tlb_flush_page(&vm->tlb, asid, vpn);
	shadow_take(vm, pg.key, &pg.shadow); /* (the source, if reclaim took it as p's) */
	vm->sys.cow_faults++;
	vm->sys.cow_copies++;
	kio_event(vm, "fault pid %u va 0x%llx minor: copy-on-write copy\n", vm->procs[p].pid,
		  (unsigned long long)va);
	count_fault(vm, 0, nf, &pg, 0);
	return VM_OK;
}

/* A kernel-mode fault in the kernel half (user ones never get here:
 * vm_sys_ref stops them): demand-zero kernel memory, a minor fault. */
static int sysfault_kernel(vm_machine_t *vm, uint64_t va)
{
	int rc = proc_kernel_page(vm, va);
	if (rc)
		return rc;
	vm->st.page_faults++;
	vm->st.minor_faults++;
	vm->st.distinct_pages++;
	kio_event(vm, "fault kernel va 0x%llx minor: kernel zero-fill\n", (unsigned long long)va);
	return VM_OK;
}

int sysfault_handle(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
		    const mmu_result_t *r, uint64_t seq)
{
	if (proc_is_kernel(vm, va))
		return sysfault_kernel(vm, va);
	proc_t *pr = &vm->procs[p];
	const char *why;
	int i = vma_find(pr, va);
	if (i < 0 && (i = exsup_grow(vm, p, va, &why)) < 0)
		return segv(vm, p, va, why);
	vma_t v = pr->vmas[i];
	if (acc == MMU_WRITE && !(v.prot & VM_PROT_W))
		return segv(vm, p, va, "write to a region without w");
	if (acc == MMU_EXEC && !(v.prot & VM_PROT_X))
		return segv(vm, p, va, "execute in a region without x");
	if (acc == MMU_READ && !(v.prot & VM_PROT_R))
		return segv(vm, p, va, "read of a region without r");
	if (v.huge == VMA_HUGE_TLB) /* (a present huge page faults only for its rights) */
		return huge_fault_hugetlb(vm, p, &v, va);
	int rc = vm->huge && r->status != MMU_FAULT_PROTECTION ? huge_fault_script(vm, p, &v, va) : 0;
	if (rc)
		return rc > 0 ? VM_OK : rc;
	uint64_t pte_pa;
	rc = proc_walk(vm, p, va, 1, &pte_pa);
	if (rc)
		return rc;
	uint64_t pte = kpte_get(vm, pte_pa);
	if (pte & PTE_P) {
		assert(r->status == MMU_FAULT_PROTECTION && acc == MMU_WRITE && (pte & PTE_COW));
		return do_cow(vm, p, va, pte_pa, pte);
	}
	if (!(pte & PTE_SEEN))
		vm->st.distinct_pages++;
	if (pte & PTE_SWAP)
		return do_swap_in(vm, p, &v, va, pte_pa, pte_pfn(pte));
	if (v.zero_from && (va | (geom_page_size(&vm->g) - 1)) >= v.zero_from) /* exec's .data tail */
		return (va & ~(geom_page_size(&vm->g) - 1)) >= v.zero_from
			       ? do_zero_fill(vm, p, &v, va, pte_pa)
			       : exsup_tail_fault(vm, p, &v, va, pte_pa);
	if (v.obj != OBJ_NONE)
		return do_cached(vm, p, &v, va, pte_pa, acc);
	return do_zero_fill(vm, p, &v, va, pte_pa);
}
