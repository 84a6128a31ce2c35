/* step.c - observing one reference at a time (vm_ref_step), and reading
 * the state a teaching view shows: resident pages in the policy's order,
 * the TLB's entries.  Nothing here is on the path of an ordinary reference:
 * the only hook is reclaim's note of an eviction while vm->step is set. */
#include <stdlib.h>
#include <string.h>

#include "kern/ref.h"
#include "util/vmerr.h"

/* The user frame mapping (pid, vpn) now, or UINT32_MAX. */
static uint32_t step_frame_of(vm_machine_t *vm, uint32_t pid, uint64_t vpn)
{
	uint32_t p = proc_lookup(vm, pid);
	uint64_t pte_pa;
	if (p == PROC_NONE || proc_walk(vm, p, vpn << vm->g.page_shift, 0, &pte_pa))
		return UINT32_MAX;
	uint64_t pte = kpte_get(vm, pte_pa);
	return pte & PTE_P ? (uint32_t)pte_pfn(pte) : UINT32_MAX;
}

int vm_ref_step(vm_machine_t *vm, uint32_t pid, uint64_t vpn, int kind, vm_step_t *out)
{
	const vm_stats_t *s = vm_stats(vm);
	uint64_t hits = s->tlb_hits, minor = s->minor_faults, major = s->major_faults;
	*out = (vm_step_t){ .seq = s->references, .pid = pid, .vpn = vpn, .kind = kind,
			    .frame = UINT32_MAX };
	vm->step = out;
	int rc = vm_ref(vm, pid, vpn, kind);
	vm->step = NULL;
	s = vm_stats(vm);
	/* A faulting reference's lookups both miss (the page was not mapped), so
	 * any TLB hit is the first lookup's. */
	out->tlb_hit = s->tlb_hits > hits;
	out->fault = s->major_faults > major ? 2 : s->minor_faults > minor ? 1 : 0;
	if (!rc)
		out->frame = step_frame_of(vm, pid, vpn);
	return rc;
}

/* Resident frames by number, at most max into out; how many there are. */
static size_t step_by_number(vm_machine_t *vm, frame_id_t *out, size_t max)
{
	size_t n = 0;
	for (uint32_t f = 0; f < vm->cfg.frames; f++)
		if (vm->frames[f].used && vm->frames[f].rmap != RMAP_NONE && n++ < max)
			out[n - 1] = f;
	return n;
}

size_t vm_resident(vm_machine_t *vm, vm_resident_t *out, size_t max)
{
	frame_id_t small[64], *f = small;
	size_t n = step_by_number(vm, NULL, 0), shown = n < max ? n : max;
	if (n > 64 && !(f = malloc(n * sizeof *f)))
		return 0;
	/* the policy sorts only when all fit, so ask for all n */
	if (vm->pol->order)
		vm->pol->order(vm->pol_state, f, n);
	else
		step_by_number(vm, f, n);
	for (size_t i = 0; i < shown; i++) {
		vm_resident_t *r = &out[i];
		const frame_t *fr = &vm->frames[f[i]];
		r->frame = f[i];
		r->pid = vm->procs[vm->rmaps[fr->rmap].proc].pid;
		r->vpn = vm->rmaps[fr->rmap].vpn;
		r->note[0] = 0;
		if (vm->pol->note && vm->pol->note(vm->pol_state, r->frame, r->note, sizeof r->note))
			r->note[0] = 0;
	}
	if (f != small)
		free(f);
	return n;
}

void vm_resident_ends(const vm_machine_t *vm, const char **first, const char **last)
{
	*first = vm->pol->order_first ? vm->pol->order_first : "Left";
	*last = vm->pol->order_last ? vm->pol->order_last : "Right";
}

void vm_tlb_shape(const vm_machine_t *vm, uint32_t *sets, uint32_t *ways)
{
	*sets = vm->tlb.sets;
	*ways = vm->tlb.sets ? vm->tlb.ways : 0;
}

size_t vm_tlb_slots(vm_machine_t *vm, vm_tlb_slot_t *out, size_t max)
{
	const tlb_t *t = &vm->tlb;
	size_t n = 0;
	for (uint32_t s = 0; s < t->sets; s++)
		for (uint32_t w = 0; w < t->ways; w++) {
			const tlb_entry_t *e = &t->e[(size_t)s * t->ways + w];
			if (!e->valid)
				continue;
			if (n < max)
				out[n] = (vm_tlb_slot_t){ .set = s, .way = w, .vpn = e->vpn, .pfn = e->pfn,
							  .pid = e->asid < vm->nprocs ? vm->procs[e->asid].pid : e->asid };
			n++;
		}
	return n;
}
