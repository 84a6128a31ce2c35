/* vm.c - a machine as a whole: building it (the mode chosen once), its
 * configuration, its host-memory budget in words. */
#include <assert.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/ref.h"
#include "kern/huge.h"
#include "util/vmerr.h"

void vm_config_default(vm_config_t *cfg)
{
	*cfg = (vm_config_t){
		.page_size = 4096, .va_bits = 48, .pa_bits = 52, .levels = 0,
		.frames = 64, .tlb_entries = 64, .tlb_ways = 4,
		.tlb_huge_entries = TLB_HUGE_ENTRIES, .tlb_huge_ways = TLB_HUGE_WAYS,
		.policy = "clock", .seed = 1, .swap_slots = 0, .tick = 1000, .tau = 10000,
		.swappiness = 60, .max_ptes_none = 511,
		.lat = { .tlb_ns = 1, .mem_ns = 100, .minor_ns = 1000,
			 .major_ns = 5000000, .writeback_ns = 5000000,
			 .zram_store_ns = 5000, .zram_load_ns = 2000 },
		.zram_ratio = 3.0,
		.pff_window_ns = 10000000, .pff_high = 100, .pff_low = 20, .ws_tau = 100000,
	};
}

/* Refuse configurations that cannot be built; err says why. */
static int vm_check_config(const vm_config_t *cfg, const geom_t *g, char *err, size_t errlen)
{
	int rc = tlb_check_shape(cfg->tlb_entries, cfg->tlb_ways, err, (unsigned)errlen);
	if (!rc)
		rc = tlb_check_shape_opt("--tlb-huge", cfg->tlb_huge_entries, cfg->tlb_huge_ways, err,
					 (unsigned)errlen);
	if (rc)
		return rc;
	if (cfg->load_control < VM_LC_OFF || cfg->load_control > VM_LC_WS) {
		snprintf(err, errlen, "unknown load control %d", cfg->load_control);
		return VM_EINVAL;
	}
	if (cfg->load_control == VM_LC_PFF && !(cfg->pff_low <= cfg->pff_high)) {
		snprintf(err, errlen, "--pff-low %g is above --pff-high %g", cfg->pff_low, cfg->pff_high);
		return VM_EINVAL;
	}
	if (cfg->frames == 0) {
		snprintf(err, errlen, "--frames must be at least 1");
		return VM_EINVAL;
	}
	if (cfg->thp != VM_THP_NEVER && g->levels < 2) {
		snprintf(err, errlen, "--thp needs a page table of at least 2 levels (a huge page is a leaf above the last)");
		return VM_EINVAL;
	}
	if (cfg->hugepages && g->levels < 2) {
		snprintf(err, errlen, "--hugepages needs a page table of at least 2 levels (a huge page is a leaf above the last)");
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
	if (cfg->numa_nodes > cfg->frames || cfg->numa_nodes > 1024 ||
	    (cfg->numa_nodes && cfg->mempolicy == VM_MPOL_BIND && cfg->numa_bind >= cfg->numa_nodes)) {
		snprintf(err, errlen, "--numa %u with %u frames%s: need 1..1024 nodes, at most one a frame, and a bind node below the count",
			 cfg->numa_nodes, cfg->frames, cfg->mempolicy == VM_MPOL_BIND ? " and --mempolicy bind" : "");
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

/* The geometry of cfg with its kernel pool placed (pte.h: with 4-byte PTEs
 * the tables follow the user frames), then the rest of cfg checked against
 * it.  0 or VM_EINVAL with the reason in err. */
static int vm_geom_init(const vm_config_t *cfg, geom_t *g, char *err, size_t errlen)
{
	int rc = geom_init_pte(g, cfg->page_size, cfg->va_bits, cfg->pa_bits, cfg->levels,
			       cfg->pte_size ? cfg->pte_size : PTE_SIZE, err, (unsigned)errlen);
	if (!rc)
		rc = vm_check_config(cfg, g, err, errlen);
	if (!rc)
		rc = geom_place_tables(g, cfg->frames, err, (unsigned)errlen);
	return rc;
}

int vm_config_check(const vm_config_t *cfg, char *err, size_t errlen)
{
	geom_t g;
	int rc = vm_geom_init(cfg, &g, err, errlen);
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
	if (numa_on(vm)) /* one state a node, behind numa.c's table */
		vm->pol_state = numa_policy_create(vm, vm->pol, &env) ? NULL : vm->pol_state;
	else
		vm->pol_state = vm->pol->create(&env);
	if (!vm->pol_state) {
		snprintf(err, errlen, "policy '%s' could not start (out of memory)", vm->pol->name);
		return VM_ENOMEM;
	}
	return VM_OK;
}

/* Bytes the machine holds from the start whatever the input: the frame
 * table and the frames' contents, the policy's per-frame data, the page
 * cache's buckets, the TLB, the NUMA nodes. */
static uint64_t vm_fixed_bytes(const kmode_t *mode, const vm_config_t *cfg, const geom_t *g)
{
	const policy_ops_t *pol = policy_find(cfg->policy);
	uint64_t per_frame = sizeof(frame_t) + (pol ? pol->frame_priv_size : 0) + 1;
	per_frame += mode->frame_bytes(g);
	return (uint64_t)cfg->frames * per_frame + (uint64_t)cfg->tlb_entries * sizeof(tlb_entry_t) +
	       numa_bytes(cfg);
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
	uint64_t fixed = vm_fixed_bytes(vm->mode, &vm->cfg, &vm->g);
	if (!budget_charge(&vm->budget, BUDGET_MACHINE, fixed))
		return VM_OK;
	char lim[32];
	vm_size_words(vm->cfg.max_memory, lim, sizeof lim);
	snprintf(err, errlen,
		 "the simulated machine needs %llu bytes (--frames %u%s, --tlb %u entries), more than --max-memory %s; lower --frames or raise --max-memory",
		 (unsigned long long)fixed, vm->cfg.frames,
		 vm->mode->frames_note, vm->cfg.tlb_entries, lim);
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
	vm->mode = cfg->bytes ? &kmode_script : &kmode_trace; /* the one test of the mode */
	vm->next_use = next_use;
	vm->swap_fd = -1;
	int rc = vm_geom_init(cfg, &vm->g, err, errlen);
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
	    tlb_init(&vm->tlb, cfg->tlb_entries, cfg->tlb_ways) ||
	    tlb_init(&vm->htlb, cfg->tlb_huge_entries, cfg->tlb_huge_ways))
		goto err;
	vm->phys.budget = &vm->budget;
	for (uint32_t f = 0; f < cfg->frames; f++)
		vm->frames[f] = (frame_t){ .swap_slot = SLOT_NONE, .rmap = RMAP_NONE,
					   .obj = OBJ_NONE, .hnext = FRAME_NIL };
	rc = vm->mode->init(vm, err, errlen);
	if (!rc)
		rc = zram_init(vm, err, errlen);
	if (rc)
		goto err;
	idset_init(&vm->free_frames, cfg->frames);
	uint64_t slots = cfg->swap_slots ? cfg->swap_slots : UINT64_MAX;
	if (vm->g.pte_size == PTE32_SIZE && slots > geom_pfn_limit(&vm->g))
		slots = geom_pfn_limit(&vm->g); /* a swap entry's slot fits 20 bits */
	idset_init(&vm->swap, slots);
	vm->rmap_free = RMAP_NONE;
	vm->mmu = (mmu_t){ .g = &vm->g, .phys = &vm->phys, .tlb = &vm->tlb, .htlb = &vm->htlb,
			   .asid_mode = cfg->asid_off ? MMU_ASID_NONE : MMU_ASID_TAGGED };
	vm->user_mask = vm->g.va_bits < 64 ? ~0ull << vm->g.va_bits : 0;
	vm->run_proc = vm->user_proc = PROC_NONE;
	if ((cfg->kernel_half || cfg->kpti) && (rc = proc_khalf_init(vm))) {
		snprintf(err, errlen, rc == VM_ENOTSUP ? "--kernel-half needs at least 2 levels: "
			 "the kernel's tables below the root are what every address space shares"
			 : "out of memory");
		goto err;
	}
	rc = huge_init(vm, err, errlen);
	if (rc)
		goto err;
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
	zram_fini(vm);
	free(vm->frame_priv);
	free(vm->frames);
	free(vm->rmaps);
	free(vm->rmap_hash);
	free(vm->procs);
	free(vm->pid_index);
	idset_free(&vm->free_frames);
	idset_free(&vm->swap);
	tlb_free(&vm->tlb);
	tlb_free(&vm->htlb);
	huge_fini(vm);
	phys_free(&vm->phys);
	free(vm);
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
		       (double)(s->major_faults - vm->zram.st.loads) * l->major_ns +
		       (double)s->dirty_writebacks * l->writeback_ns;
	if (vm->cfg.numa_nodes) { /* remote data references pay lat_remote instead */
		double remote = vm->cfg.lat_remote_ns ? vm->cfg.lat_remote_ns : 2 * l->mem_ns;
		total += (double)vm->numa_st.remote * (remote - l->mem_ns);
	}
	if (zram_on(vm)) /* the tier's own costs (nothing without it) */
		total += (double)vm->zram.st.loads * l->zram_load_ns +
			 (double)vm->zram.st.stores * l->zram_store_ns +
			 (double)vm->zram.st.writebacks * l->writeback_ns;
	return total / (double)s->references;
}

const vm_zram_stats_t *vm_zram_stats(vm_machine_t *vm)
{
	return &vm->zram.st;
}

const vm_numa_stats_t *vm_numa_stats(vm_machine_t *vm)
{
	return &vm->numa_st;
}

uint64_t vm_numa_node_free(vm_machine_t *vm, uint32_t n)
{
	return numa_on(vm) && n < vm->cfg.numa_nodes ? numa_node_free(vm, n) : 0;
}

void vm_numa_node_wmarks(vm_machine_t *vm, uint32_t n, uint32_t w[3])
{
	for (int i = 0; i < 3; i++)
		w[i] = numa_on(vm) && n < vm->cfg.numa_nodes ? numa_wmark(vm, n, i) : 0;
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
	if (vm->ktables_full) {
		snprintf(buf, len, "with --pte-size 4 page tables take the frames %llu..%llu after the "
			 "user frames, and a new table found none of them free: raise --pa-bits or lower --frames",
			 (unsigned long long)vm->g.kbase_pfn, (unsigned long long)vm->g.kend_pfn - 1);
		return VM_OK;
	}
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

const char *vm_io_error(const vm_machine_t *vm)
{
	return vm->io_error[0] ? vm->io_error : NULL;
}
