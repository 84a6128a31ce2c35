/* ref.c - the reference engine (ref.h): one reference through the TLB,
 * the page-table walk and the mode's fault handler, retried until it
 * completes; the policy's clock; the counters (vm_stats).  The hot path
 * (vm_access, a TLB hit) lives here whole, so that it inlines. */
#include <assert.h>
#include <stdio.h>

#include "kern/ref.h"
#include "kern/huge.h"
#include "util/vmerr.h"

/* 100 * part / whole, rounded half up (0 when whole is). */
static unsigned ref_pct(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)((200 * (double)part / (double)whole + 1) / 2) : 0;
}

/* Under the scheduler, vmstat's procs and cpu columns: r (runnable,
 * running included) and b (blocked on the disk) now; us (CPU busy) and wa
 * (CPU idle while a process waited for the disk) in percent of the clock
 * since the last such line (or since 0). */
static void ref_timeline_sched(FILE *f, struct kclock *k)
{
	uint64_t el = k->now - k->line_now;
	fprintf(f, " %4u %4u %3u %3u", k->runnable, k->blocked, ref_pct(k->cpu_ns - k->line_cpu, el),
		ref_pct(k->iowait_ns - k->line_iowait, el));
	k->line_now = k->now;
	k->line_cpu = k->cpu_ns;
	k->line_iowait = k->iowait_ns;
}

/* The script-mode line: the counters now and, under the scheduler, its
 * columns; a header first whenever the columns change. */
static void ref_timeline_print(vm_machine_t *vm, const vm_stats_t *s)
{
	struct kclock *k = &vm->kclock;
	uint8_t header = k->on ? 2 : 1;
	if (k->header != header)
		fprintf(vm->cfg.timeline, "%12s %8s %8s %10s %10s %10s %10s%s\n", "references", "free",
			"resident", "faults", "major", "swap_in", "swap_out",
			k->on ? "    r    b  us  wa" : "");
	k->header = header;
	fprintf(vm->cfg.timeline, "%12llu %8llu %8llu %10llu %10llu %10llu %10llu",
		(unsigned long long)s->references,
		(unsigned long long)(vm->free_frames.limit - vm->free_frames.used),
		(unsigned long long)s->resident_pages, (unsigned long long)s->page_faults,
		(unsigned long long)s->major_faults, (unsigned long long)s->swap_ins,
		(unsigned long long)s->swap_outs);
	if (k->on)
		ref_timeline_sched(vm->cfg.timeline, k);
	fputc('\n', vm->cfg.timeline);
}

/* A vmstat-like line every cfg.timeline_every references. */
static void ref_timeline(vm_machine_t *vm)
{
	const vm_stats_t *s = vm_stats(vm);
	if (vm->cfg.timeline_fn) {
		vm->cfg.timeline_fn(vm->cfg.timeline_arg, s, vm->free_frames.limit - vm->free_frames.used);
		return;
	}
	if (vm->kclock.on) { /* the scheduler prints it once it has charged the access */
		vm->kclock.due = 1;
		return;
	}
	ref_timeline_print(vm, s);
}

void ref_timeline_due(vm_machine_t *vm)
{
	if (vm->kclock.due)
		ref_timeline_print(vm, vm_stats(vm));
	vm->kclock.due = 0;
}

/* cfg.tick more references have completed: the policy's clock ticks.  A
 * reference that failed may have passed tick_at without completing; the tick
 * then comes with the next one that completes, and the phase is kept. */
static void ref_tick(vm_machine_t *vm, uint64_t seq)
{
	while (vm->tick_at <= vm->st.references)
		vm->tick_at = vm->tick_at > UINT64_MAX - vm->cfg.tick ? UINT64_MAX
								  : vm->tick_at + vm->cfg.tick;
	vm->pol->on_tick(vm->pol_state, seq);
}

/* The rest of a reference that was not a plain TLB hit: translate, handle
 * faults and retry until the translation completes (*pfn), or the process is
 * gone.  Out of line: the hot path stays small. */
__attribute__((noinline))
static int ref_slow(vm_machine_t *vm, uint32_t p, uint32_t asid, uint64_t va, mmu_access_t acc,
		    uint64_t seq, uint64_t *pfn)
{
	mmu_result_t r;
	vm->numa_proc = p; /* (the process a new frame's node is chosen for) */
	/* kpti's kernel asid (a PCID pair's other half) goes with the kernel root */
	uint64_t root = asid & KASID_BIT ? proc_kernel_root(vm, p) : vm->procs[p].root_pfn;
	while (mmu_translate(&vm->mmu, asid, root, va, acc, &r) != MMU_OK) {
		uint64_t minor = vm->st.minor_faults, major = vm->st.major_faults;
		int rc = vm->mode->fault(vm, p, va, acc, &r, seq);
		proc_t *pr = &vm->procs[p]; /* every fault counted meanwhile is p's */
		pr->minflt += vm->st.minor_faults - minor;
		pr->majflt += vm->st.major_faults - major;
		if (rc)
			return rc;
		if (pr->state != VM_PROC_ALIVE)
			return VM_EKILLED;
	}
	*pfn = r.pfn;
	return VM_OK;
}

/* One page reference at va by process p: translate, fault and retry until it
 * completes, then tell the policy.  *pfn (if not NULL) gets the frame.
 * Kernel memory in script mode lives in kernel frames (numbered from the
 * user frames' end), which no policy manages and neither huge pages nor
 * NUMA count: a kernel-mode reference there tells none of them.
 * Always inlined: this is the per-reference path, a TLB hit its common case
 * (vm_access_batch's plain loop takes user references only). */
__attribute__((always_inline))
static inline int ref_one(vm_machine_t *vm, uint32_t p, uint32_t asid, uint64_t va,
			  mmu_access_t acc, uint64_t *pfn)
{
	uint64_t seq = vm->st.references++;
	uint64_t f;
	if (!mmu_translate_hit(&vm->mmu, asid, va, acc, &f)) {
		int rc = ref_slow(vm, p, asid, va, acc, seq, &f);
		if (rc)
			return rc;
	}
	if (__builtin_expect(f < vm->cfg.frames, 1)) {
		if (vm->pol->on_access)
			vm->pol->on_access(vm->pol_state, (frame_id_t)f, seq);
		if (__builtin_expect(vm->huge != NULL, 0))
			huge_touch(vm, f);
		if (vm->cfg.numa_nodes)
			numa_count(vm, p, f);
	}
	if (pfn)
		*pfn = f;
	if (vm->cfg.timeline_every && vm->st.references % vm->cfg.timeline_every == 0)
		ref_timeline(vm);
	if (vm->st.references >= vm->tick_at)
		ref_tick(vm, seq);
	return VM_OK;
}

int ref_kind(int kind, mmu_access_t *acc)
{
	switch (kind) {
	case VM_READ: *acc = MMU_READ; return VM_OK;
	case VM_WRITE: *acc = MMU_WRITE; return VM_OK;
	case VM_IFETCH: *acc = MMU_EXEC; return VM_OK;
	}
	return VM_EINVAL;
}

void ref_count_kind(vm_machine_t *vm, mmu_access_t acc)
{
	if (acc == MMU_READ)
		vm->st.reads++;
	else if (acc == MMU_WRITE)
		vm->st.writes++;
	else
		vm->st.ifetches++;
}


/* Where vm_access's page references go. */
typedef struct ref_target {
	vm_machine_t *vm;
	uint32_t p;
	uint32_t asid;         /* the root's: kpti's kernel root has its own */
} ref_target_t;

/* One page reference of an access (a vm_split_access callback). */
static int ref_page(void *arg, uint64_t vpn, int kind)
{
	ref_target_t *t = arg;
	mmu_access_t acc;
	int rc = ref_kind(kind, &acc);
	assert(rc == VM_OK);
	(void)rc;
	ref_count_kind(t->vm, acc);
	if (t->vm->mmu.kernel_mode)
		t->vm->kst.kernel_references++;
	return ref_one(t->vm, t->p, t->asid, vpn << t->vm->g.page_shift, acc, NULL);
}

/* A switch of root table (a new process, or kpti's entry and exit):
 * counted, and without asids a flush of the non-global entries. */
static void ref_switch_root(vm_machine_t *vm)
{
	vm->kst.root_switches++;
	mmu_switch(&vm->mmu);
}

/* The CPU now runs p in kernel mode or not: a switch of process switches
 * roots (not the first process's start); with kpti so does every entry to
 * and exit from the kernel.  Returns the asid the references go under. */
uint32_t ref_mode(vm_machine_t *vm, uint32_t p, int kernel)
{
	int was_kernel = vm->mmu.kernel_mode;
	if (p != vm->run_proc) {
		if (vm->run_proc != PROC_NONE)
			ref_switch_root(vm);
	} else if (kernel != was_kernel && vm->cfg.kpti) {
		ref_switch_root(vm);
	}
	if (kernel && (!was_kernel || p != vm->run_proc))
		vm->kst.syscalls++;
	vm->run_proc = p;
	vm->mmu.kernel_mode = (uint8_t)kernel;
	vm->user_proc = kernel ? PROC_NONE : p;
	return vm->procs[p].asid | (kernel && vm->cfg.kpti ? KASID_BIT : 0);
}

/* A kernel-half address given sign-extended (x86-64's canonical form) as
 * the va_bits-bit address the tables index; other addresses unchanged. */
uint64_t ref_canon(const vm_machine_t *vm, uint64_t va)
{
	unsigned b = vm->g.va_bits;
	if (!vm->kroot_pfn || b >= 64 || (va >> (b - 1)) != (~0ull >> (b - 1)))
		return va;
	return va & ((1ull << b) - 1);
}

/* Script mode's user references switch roots as trace mode's do once the
 * kernel half (or --asid off) is on; before, no switch is counted, as
 * scripts always ran. */
uint32_t ref_user(vm_machine_t *vm, uint32_t p)
{
	return vm->kroot_pfn || vm->cfg.asid_off ? ref_mode(vm, p, 0) : vm->procs[p].asid;
}

int ref_va(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc, uint64_t *pfn)
{
	return ref_one(vm, p, ref_user(vm, p), va, acc, pfn);
}

int ref_kernel_va(vm_machine_t *vm, uint32_t p, uint32_t asid, uint64_t va, mmu_access_t acc)
{
	assert(vm->mmu.kernel_mode);
	ref_count_kind(vm, acc);
	vm->kst.kernel_references++;
	return ref_one(vm, p, asid, va, acc, NULL);
}

/* vm_access in full: checks, the process, the split into page references;
 * kernel-mode kinds (VM_KREAD ...) and the kernel half. */
__attribute__((noinline))
static int ref_access_slow(vm_machine_t *vm, uint32_t pid, uint64_t va, uint32_t size, int kind)
{
	mmu_access_t acc;
	int kernel = kind == VM_KREAD || kind == VM_KWRITE || kind == VM_KIFETCH;
	if (kernel) {
		kind = kind - 'a' + 'A';
		int rc = proc_khalf_init(vm); /* implied by kernel-mode references */
		if (rc)
			return rc;
	}
	if (size == 0 || (kind != VM_MODIFY && ref_kind(kind, &acc)))
		return VM_EINVAL;
	va = ref_canon(vm, va);
	uint64_t end = va + (size - 1);
	if (end < va || (vm->g.va_bits < 64 && (end >> vm->g.va_bits)))
		return VM_ERANGE;
	if (vm_access_pages(vm->g.page_shift, va, size) > VM_ACCESS_MAX_PAGES)
		return VM_ELIMIT;
	ref_target_t t = { .vm = vm };
	int rc = vm->mode->lookup(vm, pid, &t.p);
	if (rc)
		return rc;
	t.asid = ref_mode(vm, t.p, kernel);
	if (!kernel && (end & vm->user_mask)) { /* a protection fault: SIGSEGV, skipped */
		vm->kst.segfaults++;
		return VM_OK;
	}
	return vm_split_access(vm->g.page_shift, va, size, kind, ref_page, &t);
}

/* The common case inline: a read, write or fetch within one page by the
 * process of the previous access (proc_get's cache, which teardown_kill
 * clears when that process ends, so that it names a live process in script
 * mode: what both modes' lookup accepts, and the two paths agree); anything
 * else goes to ref_access_slow, which checks it all again. */
int vm_access(vm_machine_t *vm, uint32_t pid, uint64_t va, uint32_t size, int kind)
{
	mmu_access_t acc;
	if (kind == VM_IFETCH)
		acc = MMU_EXEC;
	else if (kind == VM_READ)
		acc = MMU_READ;
	else if (kind == VM_WRITE)
		acc = MMU_WRITE;
	else
		return ref_access_slow(vm, pid, va, size, kind);
	unsigned shift = vm->g.page_shift;
	uint64_t end = va + (size - 1);
	uint32_t p = vm->last_proc;
	if (size == 0 || end < va || va >> shift != end >> shift ||
	    (end & vm->user_mask) || p != vm->user_proc ||
	    p >= vm->nprocs || vm->procs[p].pid != pid)
		return ref_access_slow(vm, pid, va, size, kind);
	ref_count_kind(vm, acc);
	return ref_one(vm, p, vm->procs[p].asid, va >> shift << shift, acc, NULL);
}

/* 1 + the MMU access of a one-kind reference kind (R, W, X); 0 for any
 * other kind (VM_MODIFY, or not a kind: vm_access sorts it out). */
static const uint8_t ref_acc_of[256] = {
	[VM_READ] = MMU_READ + 1, [VM_WRITE] = MMU_WRITE + 1, [VM_IFETCH] = MMU_EXEC + 1,
};

/* The count of references at which ref_one's timeline line or tick is due
 * next (UINT64_MAX: never). */
static uint64_t ref_next_event(const vm_machine_t *vm)
{
	uint64_t at = vm->tick_at, every = vm->cfg.timeline_every;
	if (every) {
		uint64_t k = vm->st.references / every + 1;
		uint64_t line = k > UINT64_MAX / every ? UINT64_MAX : k * every;
		if (line < at)
			at = line;
	}
	return at;
}

/* Add a batch's reads, writes and fetches counted so far (by MMU access) to
 * the machine's, and start again from 0. */
static void ref_add_kinds(vm_machine_t *vm, uint64_t kinds[3])
{
	vm->st.reads += kinds[MMU_READ];
	vm->st.writes += kinds[MMU_WRITE];
	vm->st.ifetches += kinds[MMU_EXEC];
	kinds[MMU_READ] = kinds[MMU_WRITE] = kinds[MMU_EXEC] = 0;
}

/* vm_access over an array, the common case (a one-page read, write or fetch
 * by a live process, a TLB hit) in the loop: ref_one's steps in ref_one's
 * order, with the process looked up once for a run of accesses by it, the
 * kinds counted in registers until something else may read the counters,
 * and the timeline and tick tested against one bound.  Anything else goes
 * through vm_access whole; after it, a fault or an event, the process is
 * looked up again, as vm_access would.
 *
 * A repeat: a reference to the page and with the access of the one before,
 * when that one was a TLB hit and nothing but the policy's on_access ran
 * since (on_access orders pages and never changes a translation), finds
 * the same entry, the most recent of its set, so a lookup would leave the
 * TLB as it is: the hit is counted and the lookup skipped. */
int vm_access_batch(vm_machine_t *vm, const vm_access_rec_t *a, size_t n, size_t *done)
{
	const unsigned shift = vm->g.page_shift;
	const uint64_t offset_mask = (1ull << shift) - 1;
	/* va_bits >= page_shift, so a one-page access is a user one in range iff
	 * its va is (user_mask: past va_bits, and the kernel half's bit) */
	const uint64_t va_over = vm->user_mask;
	/* Huge pages and NUMA count each reference in ref_one: every access goes
	 * through vm_access whole then. */
	const int plain = vm->huge == NULL && !vm->cfg.numa_nodes;
	void (*const on_access)(void *, frame_id_t, uint64_t) = vm->pol->on_access;
	void *const pol_state = vm->pol_state;
	uint64_t next_event = ref_next_event(vm);
	uint64_t kinds[3] = { 0, 0, 0 };
	uint64_t pid = UINT64_MAX;          /* the process p, asid: none yet */
	uint32_t p = PROC_NONE, asid = 0;
	uint64_t last_vpn = UINT64_MAX, last_f = 0; /* the repeatable hit: none */
	unsigned last_acc = 0;
	int rc = VM_OK;
	size_t i;
	for (i = 0; i < n; i++) {
		const vm_access_rec_t *x = &a[i];
		unsigned acc = ref_acc_of[x->kind] - 1u;
		uint64_t last = (x->va & offset_mask) + (uint32_t)(x->size - 1);
		if ((acc > MMU_EXEC) | (x->size == 0) | (last > offset_mask) | ((x->va & va_over) != 0) |
		    !plain)
			goto whole;
		if (x->pid != pid) {
			p = vm->last_proc;
			if (p != vm->user_proc || p >= vm->nprocs || vm->procs[p].pid != x->pid)
				goto whole;
			pid = x->pid;
			asid = vm->procs[p].asid;
			last_vpn = UINT64_MAX;
		}
		uint64_t vpn = x->va >> shift;
		uint64_t seq = vm->st.references++;
		uint64_t f;
		kinds[acc]++;
		if (vpn == last_vpn && acc == last_acc) {
			vm->mmu.count.tlb_hits++;
			f = last_f;
		} else if (mmu_translate_hit(&vm->mmu, asid, x->va, acc, &f)) {
			last_vpn = vpn;
			last_acc = acc;
			last_f = f;
		} else {
			ref_add_kinds(vm, kinds);
			rc = ref_slow(vm, p, asid, vpn << shift, acc, seq, &f);
			pid = UINT64_MAX;
			if (rc)
				break;
		}
		if (on_access)
			on_access(pol_state, (frame_id_t)f, seq);
		if (vm->st.references >= next_event) {
			ref_add_kinds(vm, kinds);
			if (vm->cfg.timeline_every && vm->st.references % vm->cfg.timeline_every == 0)
				ref_timeline(vm);
			if (vm->st.references >= vm->tick_at)
				ref_tick(vm, seq);
			next_event = ref_next_event(vm);
			pid = UINT64_MAX;
		}
		continue;
	whole:
		ref_add_kinds(vm, kinds);
		rc = vm_access(vm, x->pid, x->va, x->size, x->kind);
		next_event = ref_next_event(vm);
		pid = UINT64_MAX;
		if (rc)
			break;
	}
	ref_add_kinds(vm, kinds);
	*done = i;
	return rc;
}

int vm_ref(vm_machine_t *vm, uint32_t pid, uint64_t vpn, int kind)
{
	if (vm->g.vpn_bits < 64 && (vpn >> vm->g.vpn_bits))
		return VM_ERANGE;
	return vm_access(vm, pid, vpn << vm->g.page_shift, 1, kind);
}

const vm_kstats_t *vm_kstats(vm_machine_t *vm)
{
	vm->kst.tlb_flushes = vm->mmu.count.tlb_flushes;
	vm->kst.tlb_entries_flushed = vm->mmu.count.tlb_entries_flushed;
	return &vm->kst;
}

const vm_stats_t *vm_stats(vm_machine_t *vm)
{
	vm->st.tlb_hits = vm->mmu.count.tlb_hits;
	vm->st.tlb_misses = vm->mmu.count.tlb_misses;
	vm->st.page_walks = vm->mmu.count.tlb_misses;
	vm->st.walk_memory_refs = vm->mmu.count.walk_memory_refs;
	vm->st.huge_tlb_hits = vm->mmu.count.huge_tlb_hits;
	vm->st.huge_tlb_misses = vm->mmu.count.huge_tlb_misses;
	huge_stats(vm);
	vm->st.page_table_pages = vm->phys.klive - vm->kst.kernel_pages;
	vm->st.swap_slots_used = vm->swap.used;
	return &vm->st;
}
