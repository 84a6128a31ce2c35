/* proc.c - processes and their page tables (proc.h): the pid index, and
 * the one walker every lookup and every table allocation goes through. */
#include <stdlib.h>
#include <string.h>

#include "kern/proc.h"
#include "util/vmerr.h"

static uint32_t pid_hash(uint32_t pid, uint32_t cap)
{
	return (uint32_t)(((uint64_t)pid * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* Double the pid index and re-insert every process. */
static int pid_index_grow(vm_machine_t *vm)
{
	uint32_t cap = vm->pid_index_cap ? vm->pid_index_cap * 2 : 16;
	int rc = budget_charge(&vm->budget, BUDGET_PROCS, (uint64_t)cap * sizeof(uint32_t));
	if (rc)
		return rc;
	uint32_t *idx = malloc((uint64_t)cap * sizeof *idx);
	if (!idx) {
		budget_release(&vm->budget, BUDGET_PROCS, (uint64_t)cap * sizeof *idx);
		return VM_ENOMEM;
	}
	memset(idx, 0xff, cap * sizeof *idx);
	for (uint32_t i = 0; i < vm->nprocs; i++) {
		uint32_t h = pid_hash(vm->procs[i].pid, cap);
		while (idx[h] != PROC_NONE)
			h = (h + 1) & (cap - 1);
		idx[h] = i;
	}
	budget_release(&vm->budget, BUDGET_PROCS, (uint64_t)vm->pid_index_cap * sizeof *idx);
	free(vm->pid_index);
	vm->pid_index = idx;
	vm->pid_index_cap = cap;
	return VM_OK;
}

/* A page table of count frames into *pfn: 0, VM_ENOMEM (the host's memory),
 * or VM_ELIMIT with vm->ktables_full set when 4-byte PTEs leave no frame
 * number below 2^(pa_bits - page_shift) for it (vm_limit_message says so). */
static int proc_kalloc(vm_machine_t *vm, uint32_t count, uint64_t *pfn)
{
	const geom_t *g = &vm->g;
	int rc = phys_kalloc(&vm->phys, count, pfn);
	if (rc == VM_ENOMEM && g->kend_pfn && count > g->kend_pfn - g->kbase_pfn - vm->phys.ktop) {
		vm->ktables_full = 1; /* the frame numbers ran out, not the host */
		rc = VM_ELIMIT;
	}
	return rc;
}

/* First root index of the kernel half (the root's top index bit). */
static uint64_t proc_khalf_first(const geom_t *g)
{
	return 1ull << (g->level_bits[g->levels - 1] - 1);
}

/* Frames of one root table; a process under kpti has two, side by side. */
static uint32_t proc_root_frames(const vm_machine_t *vm)
{
	return vm->g.level_frames[vm->g.levels - 1];
}

uint64_t proc_kernel_root(const vm_machine_t *vm, uint32_t p)
{
	const proc_t *pr = &vm->procs[p];
	return vm->cfg.kpti ? pr->root_pfn + proc_root_frames(vm) : pr->root_pfn;
}

/* Copy the kernel half of the kernel's root into p's kernel root: every
 * address space shares the kernel's tables below.  Under kpti p's user root
 * gets the trampoline's one entry instead (vm->tramp_pte, the root's last). */
static void proc_share_kernel(vm_machine_t *vm, uint32_t p)
{
	const geom_t *g = &vm->g;
	if (!vm->kroot_pfn)
		return;
	uint64_t root = proc_kernel_root(vm, p);
	uint64_t last = (1ull << g->level_bits[g->levels - 1]) - 1;
	for (uint64_t i = proc_khalf_first(g); i <= last; i++) {
		uint64_t pte = kpte_get(vm, geom_entry_pa(g, vm->kroot_pfn, i));
		if (pte)
			kpte_set(vm, geom_entry_pa(g, root, i), pte);
	}
	if (vm->tramp_pte)
		kpte_set(vm, geom_entry_pa(g, vm->procs[p].root_pfn, last), vm->tramp_pte);
}

int proc_is_kernel(const vm_machine_t *vm, uint64_t va)
{
	return vm->kroot_pfn && (va >> (vm->g.va_bits - 1) & 1);
}

uint64_t proc_tramp_va(const vm_machine_t *vm)
{
	return (vm->g.va_bits < 64 ? 1ull << vm->g.va_bits : 0) - geom_page_size(&vm->g);
}

/* One page of kernel memory at va (the kernel half): a kernel frame, zeroed,
 * mapped in the kernel's tables with flags, counted in kernel_pages. */
static int proc_kernel_map(vm_machine_t *vm, uint64_t va, uint64_t flags, uint64_t *pfn)
{
	uint64_t pte_pa;
	int rc = proc_walk(vm, 0, va, 1, &pte_pa);
	if (!rc)
		rc = proc_kalloc(vm, 1, pfn);
	if (rc)
		return rc;
	kpte_set(vm, pte_pa, pte_make(*pfn, flags));
	vm->kst.kernel_pages++;
	return VM_OK;
}

/* kpti: the trampoline, the one kernel page the user roots map (as Linux's
 * entry text and cpu_entry_area): the top page of the address space, global,
 * mapped by the kernel's tables and by a chain of tables of its own whose
 * root entry (vm->tramp_pte) every user root holds.  Writable, as every
 * kernel page here (cpu_entry_area holds the entry stacks): a kernel write
 * is never a protection fault. */
static int proc_tramp_init(vm_machine_t *vm)
{
	const geom_t *g = &vm->g;
	uint64_t va = proc_tramp_va(vm), frame, below = 0, table = 0;
	int rc = proc_kernel_map(vm, va, PTE_P | PTE_W | PTE_G, &frame);
	for (unsigned level = 0; !rc && level < g->levels - 1; level++) {
		rc = proc_kalloc(vm, g->level_frames[level], &table);
		if (!rc)
			kpte_set(vm, geom_pte_pa(g, table, va, level),
				 level ? below : pte_make(frame, PTE_P | PTE_W | PTE_G));
		below = pte_make(table, PTE_P | PTE_W | PTE_U);
	}
	if (!rc)
		vm->tramp_pte = below;
	return rc;
}

int proc_khalf_init(vm_machine_t *vm)
{
	if (vm->kroot_pfn)
		return VM_OK;
	if (vm->g.levels < 2)
		return VM_ENOTSUP;
	int rc = proc_kalloc(vm, proc_root_frames(vm), &vm->kroot_pfn);
	if (rc)
		return rc;
	vm->user_mask = ~0ull << (vm->g.va_bits - 1);
	if (vm->cfg.kpti && (rc = proc_tramp_init(vm)))
		return rc;
	for (uint32_t p = 0; p < vm->nprocs; p++)
		if (vm->procs[p].state == VM_PROC_ALIVE)
			proc_share_kernel(vm, p);
	return VM_OK;
}

uint64_t proc_page_flags(const vm_machine_t *vm, uint64_t va, uint64_t flags)
{
	if (!proc_is_kernel(vm, va))
		return flags;
	return (flags & ~PTE_U) | (vm->cfg.kpti ? 0 : PTE_G);
}

int proc_kernel_page(vm_machine_t *vm, uint64_t va)
{
	uint64_t pfn;
	return proc_kernel_map(vm, va, proc_page_flags(vm, va, PTE_P | PTE_W), &pfn);
}

/* Create process pid with an empty root table; *out gets its index. */
int proc_create(vm_machine_t *vm, uint32_t pid, uint32_t *out)
{
	int rc;
	if (vm->nprocs >= (1u << 30))
		return VM_ENOMEM; /* the pid index could not double */
	if ((vm->nprocs + 1) * 2 > vm->pid_index_cap && (rc = pid_index_grow(vm)))
		return rc;
	if (vm->nprocs == vm->procs_cap) {
		uint32_t cap = vm->procs_cap ? vm->procs_cap * 2 : 8;
		proc_t *procs = budget_realloc(&vm->budget, BUDGET_PROCS, vm->procs,
					       (uint64_t)vm->procs_cap * sizeof *procs,
					       (uint64_t)cap * sizeof *procs, &rc);
		if (!procs)
			return rc;
		vm->procs = procs;
		vm->procs_cap = cap;
	}
	uint64_t root; /* under kpti the user root, the kernel root after it */
	rc = proc_kalloc(vm, proc_root_frames(vm) * (vm->cfg.kpti ? 2 : 1), &root);
	if (rc)
		return rc;
	uint32_t i = vm->nprocs++;
	vm->procs[i] = (proc_t){ .pid = pid, .asid = i, .root_pfn = root,
				 .state = VM_PROC_ALIVE, .brk = VM_HEAP_BASE };
	uint32_t h = pid_hash(pid, vm->pid_index_cap);
	while (vm->pid_index[h] != PROC_NONE)
		h = (h + 1) & (vm->pid_index_cap - 1);
	vm->pid_index[h] = i;
	proc_share_kernel(vm, i);
	vm->st.processes++;
	*out = i;
	return VM_OK;
}

int proc_get(vm_machine_t *vm, uint32_t pid, uint32_t *out)
{
	if (vm->last_proc < vm->nprocs && vm->procs[vm->last_proc].pid == pid) {
		*out = vm->last_proc;
		return VM_OK;
	}
	if (vm->pid_index_cap) {
		uint32_t h = pid_hash(pid, vm->pid_index_cap);
		for (; vm->pid_index[h] != PROC_NONE; h = (h + 1) & (vm->pid_index_cap - 1)) {
			if (vm->procs[vm->pid_index[h]].pid == pid) {
				*out = vm->last_proc = vm->pid_index[h];
				return VM_OK;
			}
		}
	}
	int rc = proc_create(vm, pid, out);
	if (rc == VM_OK)
		vm->last_proc = *out;
	return rc;
}

/* A new root entry pte for va: the kernel's goes into every kernel root;
 * under kpti p's user-half one goes into its kernel root too (as Linux's
 * pti_set_user_pgtbl keeps the two PGDs' user halves alike). */
static void proc_root_entry(vm_machine_t *vm, uint32_t p, int kernel, uint64_t va, uint64_t pte)
{
	const geom_t *g = &vm->g;
	if (!kernel) {
		if (vm->cfg.kpti)
			kpte_set(vm, geom_pte_pa(g, proc_kernel_root(vm, p), va, g->levels - 1), pte);
		return;
	}
	for (uint32_t q = 0; q < vm->nprocs; q++)
		if (vm->procs[q].state == VM_PROC_ALIVE)
			kpte_set(vm, geom_pte_pa(g, proc_kernel_root(vm, q), va, g->levels - 1), pte);
}

/* The one walk of p's page tables down to va's leaf PTE (xv6's walk()).
 * Returns 0 with its physical address in *pte_pa; a missing table is made
 * when alloc is set (VM_ENOMEM or VM_ELIMIT as proc_kalloc), else the walk
 * stops there and returns the CS:APP number of the level whose entry is
 * missing (the caller can skip the span that entry covers). */
int proc_walk(vm_machine_t *vm, uint32_t p, uint64_t va, int alloc, uint64_t *pte_pa)
{
	return proc_walk_to(vm, p, va, 0, alloc, pte_pa);
}

int proc_walk_to(vm_machine_t *vm, uint32_t p, uint64_t va, unsigned stop, int alloc,
		 uint64_t *pte_pa)
{
	const geom_t *g = &vm->g;
	int kernel = proc_is_kernel(vm, va); /* the kernel's tables, shared */
	uint64_t pfn = kernel ? vm->kroot_pfn : vm->procs[p].root_pfn;
	for (unsigned level = g->levels - 1; level > stop; level--) {
		uint64_t pa = geom_pte_pa(g, pfn, va, level);
		uint64_t pte = kpte_get(vm, pa);
		if (!(pte & PTE_P)) {
			if (!alloc)
				return (int)(g->levels - level);
			uint64_t table;
			int rc = proc_kalloc(vm, g->level_frames[level - 1], &table);
			if (rc)
				return rc;
			pte = pte_make(table, PTE_P | PTE_W | PTE_U);
			kpte_set(vm, pa, pte);
			if (level == g->levels - 1)
				proc_root_entry(vm, p, kernel, va, pte);
		}
		if (pte & PTE_PS) { /* a huge page: this entry is the leaf */
			*pte_pa = pa;
			return VM_OK;
		}
		pfn = pte_pfn(pte);
	}
	*pte_pa = geom_pte_pa(g, pfn, va, stop);
	return VM_OK;
}

uint32_t proc_lookup(vm_machine_t *vm, uint32_t pid)
{
	if (!vm->pid_index_cap)
		return PROC_NONE;
	uint32_t h = pid_hash(pid, vm->pid_index_cap);
	for (; vm->pid_index[h] != PROC_NONE; h = (h + 1) & (vm->pid_index_cap - 1))
		if (vm->procs[vm->pid_index[h]].pid == pid)
			return vm->pid_index[h];
	return PROC_NONE;
}

int proc_live(vm_machine_t *vm, uint32_t pid, uint32_t *p)
{
	*p = proc_lookup(vm, pid);
	return *p != PROC_NONE && vm->procs[*p].state == VM_PROC_ALIVE ? VM_OK : VM_ESRCH;
}

uint64_t proc_level_span(const vm_machine_t *vm, unsigned level)
{
	return 1ull << vm->g.level_shift[vm->g.levels - level]; /* code level 0 = leaf */
}

/* Free the table at pfn (code level `level`) and every table below it. */
static void proc_free_table(vm_machine_t *vm, uint64_t pfn, unsigned level)
{
	const geom_t *g = &vm->g;
	if (level > 0) {
		uint64_t n = 1ull << g->level_bits[level];
		if (level == g->levels - 1 && vm->kroot_pfn && pfn != vm->kroot_pfn)
			n = proc_khalf_first(g); /* the kernel half is the kernel's */
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pte = kpte_get(vm, geom_entry_pa(g, pfn, i));
			if ((pte & PTE_P) && !(pte & PTE_PS)) /* (a huge page is no table) */
				proc_free_table(vm, pte_pfn(pte), level - 1);
		}
	}
	phys_kfree(&vm->phys, pfn, g->level_frames[level]);
}

/* Under kpti the kernel root goes with the user root (its user half is the
 * user root's entries again, its kernel half the kernel's). */
void proc_free_tables(vm_machine_t *vm, uint32_t p)
{
	uint64_t root = vm->procs[p].root_pfn;
	proc_free_table(vm, root, vm->g.levels - 1);
	if (vm->cfg.kpti)
		phys_kfree(&vm->phys, root + proc_root_frames(vm), proc_root_frames(vm));
	vm->procs[p].root_pfn = 0;
}

int proc_each_pte(vm_machine_t *vm, uint32_t p, uint64_t start, uint64_t end,
		    int (*fn)(vm_machine_t *vm, uint32_t p, uint64_t va, uint64_t pte_pa, void *arg),
		    void *arg)
{
	uint64_t page = geom_page_size(&vm->g);
	if (vm->kroot_pfn && end > 1ull << (vm->g.va_bits - 1))
		end = 1ull << (vm->g.va_bits - 1); /* the kernel half is the kernel's, not p's */
	for (uint64_t va = start; va < end;) {
		uint64_t pte_pa;
		int missing = proc_walk(vm, p, va, 0, &pte_pa);
		if (missing) { /* nothing mapped in the span that entry covers */
			uint64_t next = (va | (proc_level_span(vm, (unsigned)missing) - 1)) + 1;
			if (next <= va)
				break;
			va = next;
			continue;
		}
		int rc = fn(vm, p, va, pte_pa, arg);
		if (rc)
			return rc;
		if (va + page < va)
			break;
		va += page;
	}
	return VM_OK;
}

