/* flusher.c - dirty file pages written back while mapped (flusher.h). */
#include "kern/flusher.h"
#include "util/vmerr.h"

int flusher_write(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	int rc = obj_write_page(vm, f);
	if (rc)
		return rc;
	fr->dirty = 0;
	fr->flush_seen = 0;
	for (uint32_t i = fr->rmap; i != RMAP_NONE; i = vm->rmaps[i].next) {
		const rmap_t *r = &vm->rmaps[i];
		kpte_set(vm, r->pte_pa, kpte_get(vm, r->pte_pa) & ~PTE_D);
		tlb_flush_page(&vm->tlb, vm->procs[r->proc].asid, r->vpn);
	}
	return VM_OK;
}

/* One wake-up, number vm->flusher_wakes: every frame holding a file page
 * looked at once.  0 or the first failure. */
static int flusher_wake(vm_machine_t *vm)
{
	uint32_t now = ++vm->flusher_wakes;
	int first = VM_OK;
	for (uint32_t f = 0; f < vm->cfg.frames; f++) {
		frame_t *fr = &vm->frames[f];
		if (!fr->used || fr->obj == OBJ_NONE || vm->objs[fr->obj].fd < 0)
			continue;
		if (!vm_frame_dirty(vm, f)) {
			fr->flush_seen = 0;
		} else if (!fr->flush_seen) {
			fr->flush_seen = now;
		} else {
			int rc = flusher_write(vm, f);
			if (rc && !first)
				first = rc;
			if (rc)
				continue;
			vm->sys.flusher_writebacks++;
			kio_event(vm, "flusher: page %llu of %s written back\n",
				  (unsigned long long)fr->pgoff, vm->objs[fr->obj].path);
		}
	}
	return first;
}

int flusher_clock(vm_machine_t *vm, uint64_t now)
{
	uint64_t t = vm->cfg.dirty_expire;
	if (!t || now < (vm->flusher_next ? vm->flusher_next : t))
		return VM_OK;
	vm->flusher_next = now > UINT64_MAX - t ? UINT64_MAX : now + t; /* wake-ups T apart */
	return flusher_wake(vm);
}
