/* reclaim.c - getting frames back (reclaim.h): eviction of every kind of
 * page, the victim through the policy, direct reclaim, the page daemon
 * between watermarks, and the out-of-memory killer.  What differs between
 * the modes is behind vm->mode (evict, reclaim). */
#include <assert.h>

#include "kern/reclaim.h"
#include "kern/huge.h"
#include "util/vmerr.h"

/* Replace every PTE mapping f by `gone`, dropping their TLB entries.  A swap
 * entry takes one slot reference per PTE when slots are counted (script
 * mode's swap_count; trace mode's slots are bookkeeping). */
static void evict_unmap(vm_machine_t *vm, uint32_t f, uint64_t gone, int count_slots)
{
	frame_t *fr = &vm->frames[f];
	for (uint32_t i = fr->rmap; i != RMAP_NONE; i = vm->rmaps[i].next) {
		const rmap_t *r = &vm->rmaps[i];
		kpte_set(vm, r->pte_pa, gone);
		if (proc_is_kernel(vm, r->vpn << vm->g.page_shift))
			tlb_flush_all(&vm->tlb); /* shared: cached under any asid */
		else
			tlb_flush_page(&vm->tlb, vm->procs[r->proc].asid, r->vpn);
		vm->procs[r->proc].resident--;
		if (gone & PTE_SWAP) {
			vm->procs[r->proc].swapped++;
			if (count_slots)
				swap_get(vm, pte_pfn(gone));
		}
	}
	frame_rmap_clear(vm, f);
}

/* Trace mode: slots are bookkeeping; a dirty page takes one and keeps it. */
int reclaim_evict_trace(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	if (vm_frame_dirty(vm, f)) {
		if (fr->swap_slot == SLOT_NONE) {
			int rc = idset_take(&vm->swap, &fr->swap_slot);
			if (rc)
				return rc;
		}
		int rc = swap_store_trace(vm, fr->swap_slot);
		if (rc < 0)
			return rc;
		if (!rc) { /* (zRAM's store is not a swap-out) */
			vm->st.swap_outs++;
			vm->st.dirty_writebacks++;
		}
	}
	evict_unmap(vm, f, fr->swap_slot == SLOT_NONE ? PTE_SEEN : pte_make_swap(fr->swap_slot), 0);
	fr->swap_slot = SLOT_NONE;
	return VM_OK;
}

/* Script mode, a private anonymous page: a dirty one goes to its swap slot
 * (taken now if it has none, given back if the write fails, so that no frame
 * believes in a copy that was never made); sharers' PTEs all get the swap
 * entry.  A clean page with no slot was never written since its zero fill:
 * dropped.  A failure changes nothing. */
static int evict_anon(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	int dirty = vm_frame_dirty(vm, f);
	if (dirty) {
		int fresh = fr->swap_slot == SLOT_NONE;
		if (fresh) {
			int rc = swap_alloc(vm, &fr->swap_slot); /* the swap cache's reference */
			if (rc)
				return rc;
			vm->swap_cache[fr->swap_slot] = f;
		}
		int rc = swap_write(vm, fr->swap_slot, phys_user_page(&vm->phys, f));
		if (rc) {
			if (fresh)
				swap_uncache(vm, f);
			return rc;
		}
		if (swap_on_file(vm, fr->swap_slot)) { /* (zRAM's store is not a swap-out) */
			vm->st.swap_outs++;
			vm->st.dirty_writebacks++;
		}
	}
	evict_unmap(vm, f, fr->swap_slot == SLOT_NONE ? PTE_SEEN : pte_make_swap(fr->swap_slot), 1);
	swap_uncache(vm, f); /* the PTEs hold the slot now */
	fr->dirty = 0;
	return VM_OK;
}

/* Script mode, a page-cache page: written back to its file (or, for shared
 * anonymous memory, to its object's swap slot) if dirty, then dropped. */
static int evict_cached(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	if (vm_frame_dirty(vm, f)) {
		int rc = obj_write_page(vm, f);
		if (rc)
			return rc;
	}
	evict_unmap(vm, f, PTE_SEEN, 1);
	pcache_del(vm, f);
	fr->swap_slot = SLOT_NONE;
	fr->dirty = 0;
	return VM_OK;
}

int reclaim_evict_script(vm_machine_t *vm, uint32_t f)
{
	return vm->frames[f].obj == OBJ_NONE ? evict_anon(vm, f) : evict_cached(vm, f);
}

/* What a vm_ref_step caller sees of an eviction (vm->step is set). */
static void note_evict(vm_machine_t *vm, uint32_t f, uint32_t pid, uint64_t vpn, int dirty)
{
	vm_step_t *s = vm->step;
	s->evicted = 1;
	s->victim_frame = f;
	s->victim_pid = pid;
	s->victim_vpn = vpn;
	s->victim_written = dirty;
}

/* The key of the page in frame f, as its next fault will name it: (object,
 * page offset) for a page-cache page, else (process, VPN) of its first
 * mapping (the one faulted in, unless it is shared after fork);
 * PAGE_KEY_NONE for an anonymous page nothing maps (read ahead into the
 * swap cache), which keeps no shadow. */
static page_key_t evict_key(const vm_machine_t *vm, uint32_t f)
{
	const frame_t *fr = &vm->frames[f];
	if (fr->obj != OBJ_NONE)
		return policy_key(1, fr->obj, fr->pgoff);
	if (fr->rmap == RMAP_NONE)
		return PAGE_KEY_NONE;
	return policy_key(0, vm->rmaps[fr->rmap].proc, vm->rmaps[fr->rmap].vpn);
}

/* Write back (if dirty) and unmap the page in frame f, which came from the
 * policy's list `from` (for the event line; NULL: not the policy's choice,
 * or a policy without lists); f becomes free.  The policy's shadow for the
 * page is kept until it comes back.  VM_ENOSPC if it needs a swap slot and
 * none is free, VM_EIO if the write failed; a failure changes nothing. */
static int evict_from(vm_machine_t *vm, uint32_t f, const char *from)
{
	frame_t *fr = &vm->frames[f];
	assert(fr->used);
	if (huge_is_huge(vm, f)) { /* split first, as Linux splits anonymous THP */
		int rc = huge_split(vm, f);
		if (rc)
			return rc;
	}
	uint64_t vpn = fr->rmap != RMAP_NONE ? vm->rmaps[fr->rmap].vpn : 0;
	uint32_t obj = fr->obj; /* (evict_cached forgets it) */
	page_key_t key = evict_key(vm, f);
	uint32_t pid = fr->rmap != RMAP_NONE ? vm->procs[vm->rmaps[fr->rmap].proc].pid : 0;
	int dirty = vm_frame_dirty(vm, f);
	int rc = vm->mode->evict(vm, f);
	if (rc)
		return rc;
	kio_event(vm, "evict frame %u vpn 0x%llx %s%s%s%s\n", f, (unsigned long long)vpn,
		  dirty ? "dirty: written back" : "clean: dropped", from ? " (" : "",
		  from ? from : "", from ? ")" : "");
	if (vm->step)
		note_evict(vm, f, pid, vpn, dirty);
	policy_shadow_t cookie = vm->pol->on_evict(vm->pol_state, f, POLICY_RECLAIM);
	if (key != PAGE_KEY_NONE)
		shadow_store(vm, key, obj, cookie);
	fr->used = 0;
	idset_put(&vm->free_frames, f);
	zram_settle(vm); /* a frame zRAM's store could not take yet */
	vm->st.evictions++;
	vm->st.resident_pages--;
	return VM_OK;
}

/* From frame `from` on, a frame that can be evicted without taking a new
 * swap slot (clean, a page with a swap copy, or a file page), lowest first,
 * of the nodes reclaim may take (numa_reclaim_may); FRAME_NIL if none. */
static uint32_t reclaim_fallback(vm_machine_t *vm, uint32_t from)
{
	for (uint32_t f = from; f < vm->cfg.frames; f++) {
		const frame_t *fr = &vm->frames[f];
		if (!fr->used || fr->hugetlb || !numa_reclaim_may(vm, f)) /* (hugetlb pages are never reclaimed) */
			continue;
		if (fr->obj != OBJ_NONE ? vm->objs[fr->obj].fd >= 0 || !vm_frame_dirty(vm, f) ||
					       fr->swap_slot != SLOT_NONE
					: fr->swap_slot != SLOT_NONE || !vm_frame_dirty(vm, f))
			return f;
	}
	return FRAME_NIL;
}

/* What killing process pr gives back: its reclaimable pages in frames (its
 * hugetlb pages go back to the pool, never to the free frames) plus its
 * swapped ones (as Linux's oom_badness counts swap entries). */
static uint64_t oom_score(const proc_t *pr)
{
	return pr->resident - pr->hugetlb + pr->swapped;
}

/* The process the OOM killer ends: the highest oom_score, ties to the
 * oldest; PROC_NONE if no process is alive. */
static uint32_t oom_pick(vm_machine_t *vm)
{
	uint32_t best = PROC_NONE;
	for (uint32_t p = 0; p < vm->nprocs; p++) {
		const proc_t *pr = &vm->procs[p];
		if (pr->state != VM_PROC_ALIVE)
			continue;
		if (best == PROC_NONE || oom_score(pr) > oom_score(&vm->procs[best]))
			best = p;
	}
	return best;
}

void reclaim_first(vm_machine_t *vm, uint32_t p, int on)
{
	proc_t *pr = &vm->procs[p];
	if (pr->reclaim_first == !!on)
		return;
	pr->reclaim_first = (uint8_t)!!on;
	if (on) {
		vm->nreclaim_first++;
		vm->reclaim_hand = 0;
	} else {
		vm->nreclaim_first--;
	}
}

/* Whether used frame f is mapped, and only by reclaim-first processes. */
static int reclaim_first_only(const vm_machine_t *vm, uint32_t f)
{
	uint32_t i = vm->frames[f].rmap;
	if (i == RMAP_NONE)
		return 0;
	for (; i != RMAP_NONE; i = vm->rmaps[i].next)
		if (!vm->procs[vm->rmaps[i].proc].reclaim_first)
			return 0;
	return 1;
}

/* The lowest frame from the hand on that only reclaim-first processes map
 * (the hand moves past the others: a suspended process gains no page), or
 * FRAME_NIL. */
static uint32_t reclaim_first_frame(vm_machine_t *vm)
{
	for (; vm->reclaim_hand < vm->cfg.frames; vm->reclaim_hand++)
		if (vm->frames[vm->reclaim_hand].used && numa_reclaim_may(vm, vm->reclaim_hand) &&
		    reclaim_first_only(vm, vm->reclaim_hand))
			return vm->reclaim_hand;
	return FRAME_NIL;
}

/* Evict the victim for incoming into *victim: a page of a suspended
 * process first, else the policy's.  With no page resident, give back a
 * frame of the zRAM store instead (its oldest pages written to the swap
 * file; *victim untouched).  0, VM_ENOSPC (no page resident and no store
 * frame to give back, on NUMA's node no page, or no slot for it) or VM_EIO
 * (its write failed). */
static int reclaim_victim(vm_machine_t *vm, const policy_page_t *incoming, frame_id_t *victim)
{
	if (vm->st.resident_pages == 0)
		return swap_zram_shrink(vm); /* (the zRAM store may hold every frame) */
	if (numa_reclaim_empty(vm))
		return VM_ENOSPC;
	*victim = vm->nreclaim_first ? reclaim_first_frame(vm) : FRAME_NIL;
	if (*victim != FRAME_NIL)
		return evict_from(vm, *victim, "suspended");
	*victim = vm->pol->pick_victim(vm->pol_state, incoming);
	assert(*victim < vm->cfg.frames && vm->frames[*victim].used);
	const char *from = vm->pol->victim_list ? vm->pol->victim_list(vm->pol_state) : NULL;
	return evict_from(vm, *victim, from);
}

int reclaim_trace(vm_machine_t *vm, const policy_page_t *incoming, int direct)
{
	frame_id_t victim;
	return reclaim_victim(vm, incoming, &victim);
}

/* Free one frame: the policy's victim, or when it cannot be written (swap
 * full, a write that failed: it stays as it was) a page that needs no new
 * slot, or (direct, swap full) whatever the OOM killer's victim held; a
 * direct reclaim is counted.  Returns 0, VM_ENOSPC when nothing could be
 * freed, or VM_EIO when writes failed and nothing else could be freed (a
 * failing disk is reported, not answered by killing). */
static int reclaim_script_one(vm_machine_t *vm, const policy_page_t *incoming, int direct)
{
	frame_id_t victim = FRAME_NIL;
	int rc = reclaim_victim(vm, incoming, &victim);
	if (rc != VM_ENOSPC && rc != VM_EIO)
		return rc;
	if (victim == FRAME_NIL && !vm->zram.frames)
		return rc; /* nothing resident, and no frame in zRAM an OOM kill could free */
	for (uint32_t f = reclaim_fallback(vm, 0); f != FRAME_NIL; f = reclaim_fallback(vm, f + 1)) {
		if (f == victim)
			continue;
		int frc = evict_from(vm, f, NULL);
		if (frc != VM_ENOSPC && frc != VM_EIO)
			return frc;
		if (frc == VM_EIO)
			rc = VM_EIO;
	}
	uint32_t p = direct && rc == VM_ENOSPC ? oom_pick(vm) : PROC_NONE;
	if (p == PROC_NONE)
		return rc;
	kio_event(vm, "oom-kill pid %u (%llu resident, %llu swapped)\n", vm->procs[p].pid,
		  (unsigned long long)vm->procs[p].resident, (unsigned long long)vm->procs[p].swapped);
	vm->sys.oom_kills++;
	return teardown_kill(vm, p, VM_PROC_OOM);
}

int reclaim_script(vm_machine_t *vm, const policy_page_t *incoming, int direct)
{
	int rc = reclaim_script_one(vm, incoming, direct);
	if (rc == VM_OK && direct)
		vm->sys.direct_reclaims++;
	return rc;
}

/* NUMA: a free frame of the node the memory policy chooses for the
 * faulting process into *id; when every node it allows is at its min
 * watermark, the process reclaims on the node numa_choose names (bind: its
 * node only, down to the OOM killer; the others: each node in turn, the
 * fallback from any node). */
static int reclaim_node_frame(vm_machine_t *vm, const policy_page_t *pg, uint64_t *id)
{
	uint32_t n;
	int rc;
	while ((rc = numa_choose(vm, vm->numa_proc, &n)) == NUMA_RECLAIM) {
		rc = vm->mode->reclaim(vm, pg, 1); /* (on node n) */
		if (rc)
			return rc;
	}
	return rc ? rc : numa_take(vm, vm->numa_proc, n, id);
}

/* Without NUMA: a free frame into *id, the lowest; below the min watermark
 * (or with nothing free) the faulting process reclaims itself; trace mode
 * has min 0: only when nothing is free. */
static int reclaim_flat_frame(vm_machine_t *vm, const policy_page_t *pg, uint64_t *id)
{
	while (vm->free_frames.limit - vm->free_frames.used <= vm->cfg.wmark_min ||
	       vm->free_frames.used == vm->free_frames.limit) {
		if (vm->free_frames.used < vm->free_frames.limit && vm->st.resident_pages == 0)
			break;
		int rc = vm->mode->reclaim(vm, pg, 1);
		if (rc)
			return rc;
	}
	return idset_take(&vm->free_frames, id);
}

int reclaim_get_frame(vm_machine_t *vm, const policy_page_t *pg, uint32_t *f)
{
	uint64_t id;
	int rc = numa_on(vm) ? reclaim_node_frame(vm, pg, &id) : reclaim_flat_frame(vm, pg, &id);
	if (rc)
		return rc; /* (NUMA bind: its node full and nothing left to reclaim) */
	*f = (uint32_t)id;
	vm->frames[*f].used = 1;
	frame_resident_add(vm, 1);
	return VM_OK;
}

void reclaim_put_frame(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	assert(fr->used && fr->refs == 0 && fr->obj == OBJ_NONE);
	*fr = (frame_t){ .swap_slot = SLOT_NONE, .rmap = RMAP_NONE, .obj = OBJ_NONE,
			 .hnext = FRAME_NIL };
	vm->st.resident_pages--;
	idset_put(&vm->free_frames, f);
}

/* NUMA: each node's page daemon (kswapd): a node below its low watermark
 * reclaims its own pages until it is back at its high one (vm->in_reclaim
 * is set). */
static void reclaim_node_daemons(vm_machine_t *vm)
{
	policy_page_t ahead = { .key = PAGE_KEY_NONE, .seq = vm->st.references };
	for (uint32_t n = 0; n < vm->cfg.numa_nodes; n++) {
		if (!numa_below(vm, n, NUMA_WMARK_LOW))
			continue;
		numa_reclaim_on(vm, n, 0);
		while (numa_below(vm, n, NUMA_WMARK_HIGH) && vm->mode->reclaim(vm, &ahead, 0) == VM_OK)
			vm->sys.daemon_reclaims++;
	}
}

/* The page daemon: once free frames fall below the low watermark, reclaim
 * until they are back at high (NUMA: each node by its own).  Never kills:
 * it stops when nothing more can be evicted. */
void reclaim_page_daemon(vm_machine_t *vm)
{
	if (vm->in_reclaim)
		return;
	if (numa_on(vm)) {
		vm->in_reclaim = 1;
		reclaim_node_daemons(vm);
		vm->in_reclaim = 0;
		return;
	}
	uint64_t free_now = vm->free_frames.limit - vm->free_frames.used;
	if (free_now >= vm->cfg.wmark_low)
		return;
	policy_page_t ahead = { .key = PAGE_KEY_NONE, .seq = vm->st.references };
	vm->in_reclaim = 1;
	while (vm->free_frames.limit - vm->free_frames.used < vm->cfg.wmark_high &&
	       vm->mode->reclaim(vm, &ahead, 0) == VM_OK)
		vm->sys.daemon_reclaims++;
	vm->in_reclaim = 0;
}
