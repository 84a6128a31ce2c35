/* vm.c - a machine as a whole: building it and running references. */
#include <assert.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern.h"
#include "util/vmerr.h"

void vm_config_default(vm_config_t *cfg)
{
	*cfg = (vm_config_t){
		.page_size = 4096, .va_bits = 48, .pa_bits = 52, .levels = 0,
		.frames = 64, .tlb_entries = 64, .tlb_ways = 4,
		.policy = "clock", .seed = 1, .swap_slots = 0, .tick = 1000, .tau = 10000,
		.swappiness = 60,
		.lat = { .tlb_ns = 1, .mem_ns = 100, .minor_ns = 1000,
			 .major_ns = 5000000, .writeback_ns = 5000000 },
	};
}

static int vm_live(vm_machine_t *vm, uint32_t pid, uint32_t *p);

/* Page-cache buckets: a power of two at least the number of frames. */
static int vm_pcache_init(vm_machine_t *vm)
{
	if (!vm->cfg.bytes)
		return VM_OK;
	vm->scratch = malloc(geom_page_size(&vm->g));
	if (!vm->scratch)
		return VM_ENOMEM;
	uint32_t n = 1;
	while (n < vm->cfg.frames && n < (1u << 30))
		n *= 2;
	vm->pcache = malloc(n * sizeof *vm->pcache);
	if (!vm->pcache)
		return VM_ENOMEM;
	memset(vm->pcache, 0xff, n * sizeof *vm->pcache);
	vm->pcache_mask = n - 1;
	return VM_OK;
}

/* Refuse configurations that cannot be built; err says why. */
static int vm_check_config(const vm_config_t *cfg, const geom_t *g, char *err, size_t errlen)
{
	int rc = tlb_check_shape(cfg->tlb_entries, cfg->tlb_ways, err, (unsigned)errlen);
	if (rc)
		return rc;
	if (cfg->frames == 0) {
		snprintf(err, errlen, "--frames must be at least 1");
		return VM_EINVAL;
	}
	if (cfg->swappiness > 200) {
		snprintf(err, errlen, "--swappiness %u: at most 200", cfg->swappiness);
		return VM_EINVAL;
	}
	if (cfg->wmark_min > cfg->wmark_low || cfg->wmark_low > cfg->wmark_high ||
	    (cfg->wmark_high && cfg->wmark_high >= cfg->frames)) {
		snprintf(err, errlen, "watermarks %u,%u,%u: need min <= low <= high < frames (%u)",
			 cfg->wmark_min, cfg->wmark_low, cfg->wmark_high, cfg->frames);
		return VM_EINVAL;
	}
	if (cfg->frames >= UINT32_MAX || cfg->frames > g->kbase_pfn) {
		snprintf(err, errlen, "--frames %u is more than a %u-bit physical address can name (%llu frames of %llu bytes)",
			 cfg->frames, g->pa_bits, (unsigned long long)g->kbase_pfn,
			 (unsigned long long)geom_page_size(g));
		return VM_EINVAL;
	}
	return VM_OK;
}

int vm_config_check(const vm_config_t *cfg, char *err, size_t errlen)
{
	geom_t g;
	int rc = geom_init(&g, cfg->page_size, cfg->va_bits, cfg->pa_bits, cfg->levels,
			   err, (unsigned)errlen);
	if (!rc)
		rc = vm_check_config(cfg, &g, err, errlen);
	if (!rc && !policy_find(cfg->policy)) {
		snprintf(err, errlen, "unknown policy '%s'", cfg->policy);
		rc = VM_ENOENT;
	}
	return rc;
}

/* Create the policy with its per-frame bytes. */
static int vm_policy_init(vm_machine_t *vm, char *err, size_t errlen)
{
	vm->pol = policy_find(vm->cfg.policy);
	if (!vm->pol) {
		snprintf(err, errlen, "unknown policy '%s'", vm->cfg.policy);
		return VM_ENOENT;
	}
	if (vm->pol->needs == POLICY_NEEDS_FUTURE && !vm->next_use) {
		snprintf(err, errlen, "policy '%s' needs the future references, which this input does not give",
			 vm->pol->name);
		return VM_ENOTSUP;
	}
	if (vm->pol->frame_priv_size) {
		vm->frame_priv = calloc(vm->cfg.frames, vm->pol->frame_priv_size);
		if (!vm->frame_priv)
			return VM_ENOMEM;
	}
	policy_env_t env = { .nframes = vm->cfg.frames, .seed = vm->cfg.seed,
			     .frame_priv = vm->frame_priv, .next_use = vm->next_use,
			     .hw = { &frame_hw_ops, vm },
			     .tick = vm->cfg.tick, .tau = vm->cfg.tau, .swappiness = vm->cfg.swappiness };
	vm->tick_at = vm->cfg.tick && vm->pol->on_tick ? vm->cfg.tick : UINT64_MAX;
	vm->pol_state = vm->pol->create(&env);
	if (!vm->pol_state) {
		snprintf(err, errlen, "policy '%s' could not start (out of memory)", vm->pol->name);
		return VM_ENOMEM;
	}
	return VM_OK;
}

/* Bytes the machine holds from the start whatever the input: the frame
 * table and the frames' contents, the policy's per-frame data, the page
 * cache's buckets, the TLB. */
static uint64_t vm_fixed_bytes(const vm_config_t *cfg, const geom_t *g)
{
	const policy_ops_t *pol = policy_find(cfg->policy);
	uint64_t per_frame = sizeof(frame_t) + (pol ? pol->frame_priv_size : 0) + 1;
	if (cfg->bytes)
		per_frame += geom_page_size(g) + 2 * sizeof(uint32_t);
	return (uint64_t)cfg->frames * per_frame + (uint64_t)cfg->tlb_entries * sizeof(tlb_entry_t);
}

/* "64M" for a size with a K/M/G/T suffix when exact, else the bytes. */
static void vm_size_words(uint64_t bytes, char *buf, size_t len)
{
	static const char suffix[] = "KMGT";
	int i = -1;
	while (i < 3 && bytes && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, suffix[i]);
}

/* Charge the fixed part of the machine, or say it does not fit. */
static int vm_budget_init(vm_machine_t *vm, char *err, size_t errlen)
{
	budget_init(&vm->budget, vm->cfg.max_memory);
	uint64_t fixed = vm_fixed_bytes(&vm->cfg, &vm->g);
	if (!budget_charge(&vm->budget, BUDGET_MACHINE, fixed))
		return VM_OK;
	char lim[32];
	vm_size_words(vm->cfg.max_memory, lim, sizeof lim);
	snprintf(err, errlen,
		 "the simulated machine needs %llu bytes (--frames %u%s, --tlb %u entries), more than --max-memory %s; lower --frames or raise --max-memory",
		 (unsigned long long)fixed, vm->cfg.frames,
		 vm->cfg.bytes ? " with their contents" : "", vm->cfg.tlb_entries, lim);
	return VM_ELIMIT;
}

int vm_create(vm_machine_t **out, const vm_config_t *cfg, const uint64_t *next_use,
	      char *err, size_t errlen)
{
	*out = NULL;
	vm_machine_t *vm = calloc(1, sizeof *vm);
	if (!vm)
		return VM_ENOMEM;
	vm->cfg = *cfg;
	vm->next_use = next_use;
	vm->swap_fd = -1;
	int rc = geom_init(&vm->g, cfg->page_size, cfg->va_bits, cfg->pa_bits, cfg->levels,
			   err, (unsigned)errlen);
	if (!rc)
		rc = vm_check_config(cfg, &vm->g, err, errlen);
	if (!rc)
		rc = vm_budget_init(vm, err, errlen);
	if (rc) {
		free(vm);
		return rc;
	}
	rc = VM_ENOMEM;
	snprintf(err, errlen, "out of memory");
	vm->frames = malloc(cfg->frames * sizeof *vm->frames);
	if (!vm->frames || phys_init(&vm->phys, &vm->g, cfg->frames, cfg->bytes) ||
	    tlb_init(&vm->tlb, cfg->tlb_entries, cfg->tlb_ways) || vm_pcache_init(vm))
		goto err;
	vm->phys.budget = &vm->budget;
	for (uint32_t f = 0; f < cfg->frames; f++)
		vm->frames[f] = (frame_t){ .swap_slot = SLOT_NONE, .rmap = RMAP_NONE,
					   .obj = OBJ_NONE, .hnext = FRAME_NIL };
	if (swap_init(vm, err, errlen)) {
		rc = VM_EIO;
		goto err;
	}
	idset_init(&vm->free_frames, cfg->frames);
	idset_init(&vm->swap, cfg->swap_slots ? cfg->swap_slots : UINT64_MAX);
	vm->rmap_free = RMAP_NONE;
	vm->mmu = (mmu_t){ .g = &vm->g, .phys = &vm->phys, .tlb = &vm->tlb };
	rc = vm_policy_init(vm, err, errlen);
	if (rc)
		goto err;
	err[0] = 0;
	*out = vm;
	return VM_OK;
err:
	vm_destroy(vm);
	return rc;
}

void vm_destroy(vm_machine_t *vm)
{
	if (!vm)
		return;
	if (vm->pol_state)
		vm->pol->destroy(vm->pol_state);
	shadow_fini(vm);
	for (uint32_t o = 0; o < vm->nobjs; o++) {
		free(vm->objs[o].path);
		free(vm->objs[o].slots);
		if (vm->objs[o].fd >= 0)
			close(vm->objs[o].fd);
	}
	free(vm->objs);
	free(vm->pcache);
	free(vm->scratch);
	for (uint32_t p = 0; p < vm->nprocs; p++)
		free(vm->procs[p].vmas);
	swap_fini(vm);
	free(vm->frame_priv);
	free(vm->frames);
	free(vm->rmaps);
	free(vm->rmap_hash);
	free(vm->procs);
	free(vm->pid_index);
	idset_free(&vm->free_frames);
	idset_free(&vm->swap);
	tlb_free(&vm->tlb);
	phys_free(&vm->phys);
	free(vm);
}

/* A vmstat-like line every cfg.timeline_every references. */
static void vm_timeline(vm_machine_t *vm)
{
	const vm_stats_t *s = vm_stats(vm);
	if (vm->cfg.timeline_fn) {
		vm->cfg.timeline_fn(vm->cfg.timeline_arg, s, vm->free_frames.limit - vm->free_frames.used);
		return;
	}
	if (s->references == vm->cfg.timeline_every)
		fprintf(vm->cfg.timeline, "%12s %8s %8s %10s %10s %10s %10s\n", "references", "free",
			"resident", "faults", "major", "swap_in", "swap_out");
	fprintf(vm->cfg.timeline, "%12llu %8llu %8llu %10llu %10llu %10llu %10llu\n",
		(unsigned long long)s->references,
		(unsigned long long)(vm->free_frames.limit - vm->free_frames.used),
		(unsigned long long)s->resident_pages, (unsigned long long)s->page_faults,
		(unsigned long long)s->major_faults, (unsigned long long)s->swap_ins,
		(unsigned long long)s->swap_outs);
}

/* cfg.tick more references have completed: the policy's clock ticks.  A
 * reference that failed may have passed tick_at without completing; the tick
 * then comes with the next one that completes, and the phase is kept. */
static void vm_tick(vm_machine_t *vm, uint64_t seq)
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
static int vm_ref_slow(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
		       uint64_t seq, uint64_t *pfn)
{
	const proc_t *proc = &vm->procs[p];
	mmu_result_t r;
	while (mmu_translate(&vm->mmu, proc->asid, proc->root_pfn, va, acc, &r) != MMU_OK) {
		int rc = vm->cfg.bytes ? sysfault_handle(vm, p, va, acc, &r)
				       : fault_handle(vm, p, va, &r, seq);
		if (rc)
			return rc;
		proc = &vm->procs[p];
		if (proc->state != VM_PROC_ALIVE)
			return VM_EKILLED;
	}
	*pfn = r.pfn;
	return VM_OK;
}

/* One page reference at va by process p: translate, fault and retry until it
 * completes, then tell the policy.  *pfn (if not NULL) gets the frame.
 * Always inlined: this is the per-reference path, a TLB hit its common case. */
__attribute__((always_inline))
static inline int vm_ref_va(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc,
			    uint64_t *pfn)
{
	uint64_t seq = vm->st.references++;
	uint64_t f;
	if (!mmu_translate_hit(&vm->mmu, vm->procs[p].asid, va, acc, &f)) {
		int rc = vm_ref_slow(vm, p, va, acc, seq, &f);
		if (rc)
			return rc;
	}
	if (vm->pol->on_access)
		vm->pol->on_access(vm->pol_state, (frame_id_t)f, seq);
	if (pfn)
		*pfn = f;
	if (vm->cfg.timeline_every && vm->st.references % vm->cfg.timeline_every == 0)
		vm_timeline(vm);
	if (vm->st.references >= vm->tick_at)
		vm_tick(vm, seq);
	return VM_OK;
}

/* Map a reference kind to an MMU access and count it. */
static int vm_kind(int kind, mmu_access_t *acc)
{
	switch (kind) {
	case VM_READ: *acc = MMU_READ; return VM_OK;
	case VM_WRITE: *acc = MMU_WRITE; return VM_OK;
	case VM_IFETCH: *acc = MMU_EXEC; return VM_OK;
	}
	return VM_EINVAL;
}

static void vm_count_kind(vm_machine_t *vm, mmu_access_t acc)
{
	if (acc == MMU_READ)
		vm->st.reads++;
	else if (acc == MMU_WRITE)
		vm->st.writes++;
	else
		vm->st.ifetches++;
}

/* Where vm_access's page references go. */
typedef struct vm_ref_target {
	vm_machine_t *vm;
	uint32_t p;
} vm_ref_target_t;

/* One page reference of an access (a vm_split_access callback). */
static int vm_ref_page(void *arg, uint64_t vpn, int kind)
{
	vm_ref_target_t *t = arg;
	mmu_access_t acc;
	int rc = vm_kind(kind, &acc);
	assert(rc == VM_OK);
	(void)rc;
	vm_count_kind(t->vm, acc);
	return vm_ref_va(t->vm, t->p, vpn << t->vm->g.page_shift, acc, NULL);
}

/* vm_access in full: checks, the process, the split into page references. */
__attribute__((noinline))
static int vm_access_slow(vm_machine_t *vm, uint32_t pid, uint64_t va, uint32_t size, int kind)
{
	mmu_access_t acc;
	if (size == 0 || (kind != VM_MODIFY && vm_kind(kind, &acc)))
		return VM_EINVAL;
	uint64_t end = va + (size - 1);
	if (end < va || (vm->g.va_bits < 64 && (end >> vm->g.va_bits)))
		return VM_ERANGE;
	if (vm_access_pages(vm->g.page_shift, va, size) > VM_ACCESS_MAX_PAGES)
		return VM_ELIMIT;
	vm_ref_target_t t = { .vm = vm };
	int rc = vm->cfg.bytes ? vm_live(vm, pid, &t.p) : proc_get(vm, pid, &t.p);
	if (rc)
		return rc;
	return vm_split_access(vm->g.page_shift, va, size, kind, vm_ref_page, &t);
}

/* The common case inline: a read, write or fetch within one page, in trace
 * mode, by the process of the previous access (proc_get's cache); anything
 * else goes to vm_access_slow, which checks it all again. */
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
		return vm_access_slow(vm, pid, va, size, kind);
	unsigned shift = vm->g.page_shift;
	uint64_t end = va + (size - 1);
	uint32_t p = vm->last_proc;
	if (size == 0 || end < va || va >> shift != end >> shift ||
	    (vm->g.va_bits < 64 && (end >> vm->g.va_bits)) || vm->cfg.bytes ||
	    p >= vm->nprocs || vm->procs[p].pid != pid)
		return vm_access_slow(vm, pid, va, size, kind);
	vm_count_kind(vm, acc);
	return vm_ref_va(vm, p, va >> shift << shift, acc, NULL);
}

int vm_ref(vm_machine_t *vm, uint32_t pid, uint64_t vpn, int kind)
{
	if (vm->g.vpn_bits < 64 && (vpn >> vm->g.vpn_bits))
		return VM_ERANGE;
	return vm_access(vm, pid, vpn << vm->g.page_shift, 1, kind);
}

/* The live process pid of script mode, or VM_ESRCH. */
static int vm_live(vm_machine_t *vm, uint32_t pid, uint32_t *p)
{
	*p = proc_lookup(vm, pid);
	return *p != PROC_NONE && vm->procs[*p].state == VM_PROC_ALIVE ? VM_OK : VM_ESRCH;
}

/* One reference by p to the page holding va; a reference outside the
 * virtual address space is a SIGSEGV.  The caller runs the page daemon once
 * it is done with the frame (the daemon could evict it). */
static int vm_sys_ref(vm_machine_t *vm, uint32_t p, uint64_t va, mmu_access_t acc, uint64_t *pfn)
{
	vm_count_kind(vm, acc);
	int rc;
	if (vm->g.va_bits < 64 && (va >> vm->g.va_bits)) {
		vm->st.references++;
		vm->procs[p].fault_addr = va;
		vm->procs[p].fault_reason = "address beyond the virtual address space";
		vm->sys.segfaults++;
		rc = sys_kill(vm, p, VM_PROC_SEGV) == VM_EIO ? VM_EIO : VM_EFAULT; /* pages lost: say so */
	} else {
		rc = vm_ref_va(vm, p, va, acc, pfn);
	}
	return rc;
}

/* Copy len bytes between buf and p's memory at addr, page by page (write
 * when to_mem).  Each page is one reference. */
static int vm_copy(vm_machine_t *vm, uint32_t pid, uint64_t addr, void *buf, size_t len, int to_mem)
{
	uint32_t p;
	int rc = vm_live(vm, pid, &p);
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
		fault_page_daemon(vm);
	}
	if (rc == VM_ENOSPC)
		rc = VM_ENOMEM;
	return vm_after(vm, rc);
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
	int rc = vm_live(vm, pid, &p);
	if (rc)
		return rc;
	if (vm_kind(kind, &acc))
		return VM_EINVAL;
	if (stride == 0)
		stride = geom_page_size(&vm->g);
	for (uint64_t off = 0; !rc && off < len; off += stride) {
		uint64_t va = addr + off;
		if (va < addr) /* wrapped around the address space: past its end */
			va = UINT64_MAX;
		rc = vm_sys_ref(vm, p, va, acc, NULL);
		if (!rc)
			fault_page_daemon(vm);
		if (off + stride < off)
			break;
	}
	return vm_after(vm, rc);
}

void vm_event(vm_machine_t *vm, const char *fmt, ...)
{
	if (!vm->cfg.events)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(vm->cfg.events, fmt, ap);
	va_end(ap);
}

int vm_after(vm_machine_t *vm, int rc)
{
	char err[512];
	if (vm->cfg.check && check_all(vm, err, sizeof err)) {
		fprintf(stderr, "vmlab: invariant broken: %s\n", err);
		abort();
	}
	return rc;
}

const vm_stats_t *vm_stats(vm_machine_t *vm)
{
	vm->st.tlb_hits = vm->mmu.count.tlb_hits;
	vm->st.tlb_misses = vm->mmu.count.tlb_misses;
	vm->st.page_walks = vm->mmu.count.tlb_misses;
	vm->st.walk_memory_refs = vm->mmu.count.walk_memory_refs;
	vm->st.page_table_pages = vm->phys.klive;
	vm->st.swap_slots_used = vm->swap.used;
	return &vm->st;
}

double vm_effective_access_ns(vm_machine_t *vm)
{
	const vm_stats_t *s = vm_stats(vm);
	const vm_latency_t *l = &vm->cfg.lat;
	if (!s->references)
		return 0;
	double total = (double)(s->tlb_hits + s->tlb_misses) * l->tlb_ns +
		       (double)(s->references + s->walk_memory_refs) * l->mem_ns +
		       (double)s->minor_faults * l->minor_ns +
		       (double)s->major_faults * l->major_ns +
		       (double)s->dirty_writebacks * l->writeback_ns;
	return total / (double)s->references;
}

const vm_config_t *vm_config(const vm_machine_t *vm) { return &vm->cfg; }
const char *vm_policy_name(const vm_machine_t *vm) { return vm->pol->name; }
const char *vm_policy_needs(const vm_machine_t *vm) { return policy_needs_name(vm->pol->needs); }
unsigned vm_levels(const vm_machine_t *vm) { return vm->g.levels; }

size_t vm_policy_counters(vm_machine_t *vm, const char **names, uint64_t *values, size_t max)
{
	return vm->pol->counters ? vm->pol->counters(vm->pol_state, names, values, max) : 0;
}

/* What held the bytes, for the message. */
static const char *vm_budget_what(int kind)
{
	switch (kind) {
	case BUDGET_TABLES: return "page tables need";
	case BUDGET_PROCS: return "processes need";
	case BUDGET_OBJECTS: return "mapped objects need";
	case BUDGET_RMAPS: return "the reverse map of shared pages needs";
	case BUDGET_SWAP: return "swap bookkeeping needs";
	case BUDGET_FUTURE: return "OPT's future (the part kept in memory) needs";
	case BUDGET_SHADOW: return "shadow entries need";
	}
	return "the simulated machine needs";
}

int vm_reserve_memory(vm_machine_t *vm, uint64_t bytes)
{
	return budget_charge(&vm->budget, BUDGET_FUTURE, bytes);
}

int vm_limit_message(vm_machine_t *vm, char *buf, size_t len)
{
	const budget_t *b = &vm->budget;
	if (b->over < 0) {
		snprintf(buf, len, "%s", vm_strerror(VM_ELIMIT));
		return VM_EINVAL;
	}
	const vm_stats_t *s = vm_stats(vm);
	char lim[32], why[256] = "";
	vm_size_words(vm->cfg.max_memory, lim, sizeof lim);
	uint64_t pages = s->distinct_pages ? s->distinct_pages : 1;
	uint64_t tables = vm->phys.klive << vm->g.page_shift;
	switch (b->over) {
	case BUDGET_TABLES:
		snprintf(why, sizeof why, " (%llu bytes of tables for %llu distinct pages of %u process%s, %llu bytes a page%s)",
			 (unsigned long long)tables, (unsigned long long)s->distinct_pages,
			 vm->nprocs, vm->nprocs == 1 ? "" : "es", (unsigned long long)(tables / pages),
			 tables / pages >= 1024 ? ": pages far apart, or in different processes, each need tables of their own" : "");
		break;
	case BUDGET_PROCS:
		snprintf(why, sizeof why, " (%u processes)", vm->nprocs);
		break;
	case BUDGET_OBJECTS:
		snprintf(why, sizeof why, " (%u objects)", vm->nobjs);
		break;
	case BUDGET_RMAPS:
		snprintf(why, sizeof why, " (%u mappings of resident pages)", vm->nrmaps);
		break;
	case BUDGET_SWAP:
		snprintf(why, sizeof why, " (%llu swap slots; a smaller --swap needs less)",
			 (unsigned long long)vm->swap_cap);
		break;
	}
	snprintf(buf, len, "%s more than --max-memory %s%s; raise --max-memory",
		 vm_budget_what(b->over), lim, why);
	return VM_OK;
}
