/* explain.c - hand-made machine state and logged translations. */
#include "kern/explain.h"
#include "kern/proc.h"
#include "util/vmerr.h"

int vm_explain_proc(vm_machine_t *vm, uint32_t pid)
{
	uint32_t p;
	return proc_get(vm, pid, &p);
}

int vm_set_pte(vm_machine_t *vm, uint32_t pid, uint64_t vpn, int present,
	       uint64_t pfn, uint64_t flags)
{
	if ((vm->g.vpn_bits < 64 && (vpn >> vm->g.vpn_bits)) || pfn >= vm->g.kbase_pfn)
		return VM_ERANGE;
	uint32_t p;
	uint64_t pte_pa;
	int rc = proc_get(vm, pid, &p);
	if (!rc)
		rc = proc_walk(vm, p, vpn << vm->g.page_shift, 1, &pte_pa);
	if (rc)
		return rc;
	if (proc_is_kernel(vm, vpn << vm->g.page_shift)) /* the kernel's: supervisor, global */
		flags = (flags & ~PTE_U) | PTE_G;
	kpte_set(vm, pte_pa, present ? pte_make(pfn, PTE_P | flags) : 0);
	return VM_OK;
}

void vm_explain_mode(vm_machine_t *vm, int kernel)
{
	vm->mmu.kernel_mode = (uint8_t)!!kernel;
}

int vm_is_kernel(const vm_machine_t *vm, uint64_t va)
{
	return proc_is_kernel(vm, va);
}

int vm_tlb_insert(vm_machine_t *vm, uint32_t asid, uint64_t vpn, uint64_t pfn,
		  uint64_t flags)
{
	if ((vm->g.vpn_bits < 64 && (vpn >> vm->g.vpn_bits)) || pfn >= vm->g.kbase_pfn)
		return VM_ERANGE;
	/* An entry made by hand claims D known set: a write hit on it finds
	 * no PTE to set D in. */
	tlb_fill(&vm->tlb, asid, vpn, pfn, PTE_D | flags);
	return VM_OK;
}

mmu_status_t vm_translate_logged(vm_machine_t *vm, uint32_t pid, uint64_t va,
				 mmu_access_t acc, mmu_result_t *r, mmu_log_t *log)
{
	uint32_t p;
	if (proc_get(vm, pid, &p)) { /* out of host memory: nothing to walk */
		*log = (mmu_log_t){ 0 }; /* no TLB lookup, no step */
		*r = (mmu_result_t){ .status = MMU_FAULT_NOT_PRESENT,
				     .reason = MMU_REASON_NOT_PRESENT, .fault_level = 1 };
		return r->status;
	}
	return mmu_translate_logged(&vm->mmu, vm->procs[p].asid, vm->procs[p].root_pfn,
				    va, acc, r, log);
}

const geom_t *vm_geom(const vm_machine_t *vm) { return &vm->g; }
const tlb_t *vm_tlb(const vm_machine_t *vm) { return &vm->tlb; }
