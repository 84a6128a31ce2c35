/* stat.c - the counters `expect stat NAME VALUE` compares, by their JSON
 * summary key. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "script/script.h"
#include "util/vmerr.h"

/* Where a counter lives. */
typedef enum stat_src { STAT_VM, STAT_SYS, STAT_CFG, STAT_ZRAM, STAT_NUMA, STAT_KERN } stat_src_t;

typedef struct script_counter {
	const char *name;
	stat_src_t src;
	size_t off;                 /* offset of a uint64_t (STAT_VM, STAT_SYS) */
} script_counter_t;

#define VMS(f) { #f, STAT_VM, offsetof(vm_stats_t, f) }
#define SYS(f) { #f, STAT_SYS, offsetof(vm_sys_stats_t, f) }
#define CFG(f) { #f, STAT_CFG, 0 }
#define ZRAM(f) { "zram_" #f, STAT_ZRAM, offsetof(vm_zram_stats_t, f) }
#define NUMA(f) { "numa_" #f, STAT_NUMA, offsetof(vm_numa_stats_t, f) }
#define KERN(f) { #f, STAT_KERN, offsetof(vm_kstats_t, f) }

static const script_counter_t script_counters[] = {
	VMS(references), VMS(reads), VMS(writes), VMS(ifetches), VMS(distinct_pages),
	VMS(processes), VMS(page_faults), VMS(minor_faults), VMS(major_faults),
	VMS(tlb_hits), VMS(tlb_misses), VMS(page_walks), VMS(walk_memory_refs),
	VMS(evictions), VMS(dirty_writebacks), VMS(swap_ins), VMS(swap_outs),
	VMS(swap_slots_used), VMS(page_table_pages), VMS(resident_pages),
	VMS(resident_pages_peak), VMS(refaults), VMS(shadow_entries),
	SYS(cow_faults), SYS(cow_copies), SYS(segfaults), SYS(file_reads),
	SYS(file_writebacks), SYS(oom_kills), SYS(daemon_reclaims), SYS(direct_reclaims),
	SYS(free_frames), SYS(fault_around_pages), SYS(flusher_writebacks), SYS(suspensions), SYS(resumptions),
	VMS(huge_tlb_hits), VMS(huge_tlb_misses), VMS(thp_fault_alloc), VMS(thp_fault_fallback),
	VMS(thp_collapse_alloc), VMS(thp_collapse_copies), VMS(khugepaged_passes), VMS(thp_split),
	VMS(thp_bloat_bytes), VMS(hugetlb_pages), VMS(hugetlb_free), VMS(hugetlb_reserved),
	VMS(hugetlb_faults),
	CFG(frames), CFG(page_size), CFG(va_bits), CFG(pa_bits), CFG(levels), CFG(seed),
	CFG(swap_bytes),
	ZRAM(stores), ZRAM(loads), ZRAM(rejects), ZRAM(writebacks), ZRAM(bytes_stored),
	ZRAM(compressed_bytes), ZRAM(frames),
	NUMA(local), NUMA(remote), NUMA(foreign),
	KERN(kernel_references), KERN(syscalls), KERN(root_switches), KERN(tlb_flushes),
	KERN(tlb_entries_flushed), KERN(kernel_pages),
};

/* An option of the machine, by name (the CFG entries). */
static uint64_t stat_config(vm_machine_t *vm, const script_env_t *env, const char *name)
{
	const vm_config_t *c = vm_config(vm);
	if (!strcmp(name, "frames"))
		return c->frames;
	if (!strcmp(name, "page_size"))
		return c->page_size;
	if (!strcmp(name, "va_bits"))
		return c->va_bits;
	if (!strcmp(name, "pa_bits"))
		return c->pa_bits;
	if (!strcmp(name, "levels"))
		return vm_levels(vm);
	if (!strcmp(name, "seed"))
		return c->seed;
	return env ? env->swap_bytes : 0;
}

/* numa_free_nodeN: node N's free frames (N decimal, below 1024) into *out
 * (vm NULL: only whether the name is one); VM_ENOENT for another name. */
static int stat_node_free(vm_machine_t *vm, const char *name, uint64_t *out)
{
	static const char prefix[] = "numa_free_node";
	const char *d = name + sizeof prefix - 1;
	if (strncmp(name, prefix, sizeof prefix - 1) || !*d || strlen(d) > 4 || (d[0] == '0' && d[1]))
		return VM_ENOENT;
	uint32_t n = 0;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return VM_ENOENT;
		n = n * 10 + (uint32_t)(*d - '0');
	}
	if (n >= 1024)
		return VM_ENOENT;
	if (vm)
		*out = vm_numa_node_free(vm, n);
	return VM_OK;
}

int script_stat(vm_machine_t *vm, const script_env_t *env, const char *name, uint64_t *out)
{
	if (!stat_node_free(vm, name, out))
		return VM_OK;
	for (size_t i = 0; i < sizeof script_counters / sizeof script_counters[0]; i++) {
		const script_counter_t *k = &script_counters[i];
		if (strcmp(k->name, name))
			continue;
		if (!vm)
			return VM_OK;
		if (k->src == STAT_VM)
			*out = *(const uint64_t *)((const char *)vm_stats(vm) + k->off);
		else if (k->src == STAT_SYS)
			*out = *(const uint64_t *)((const char *)vm_sys_stats(vm) + k->off);
		else if (k->src == STAT_ZRAM)
			*out = *(const uint64_t *)((const char *)vm_zram_stats(vm) + k->off);
		else if (k->src == STAT_NUMA)
			*out = *(const uint64_t *)((const char *)vm_numa_stats(vm) + k->off);
		else if (k->src == STAT_KERN)
			*out = *(const uint64_t *)((const char *)vm_kstats(vm) + k->off);
		else
			*out = stat_config(vm, env, name);
		return VM_OK;
	}
	return VM_ENOENT;
}

size_t script_stat_names(char *buf, size_t len)
{
	size_t at = 0;
	for (size_t i = 0; i < sizeof script_counters / sizeof script_counters[0]; i++) {
		int n = snprintf(buf + at, len - at, "%s%s", i ? " " : "", script_counters[i].name);
		if (n < 0 || (size_t)n >= len - at)
			break;
		at += (size_t)n;
	}
	int n = snprintf(buf + at, len - at, " numa_free_nodeN");
	if (n > 0 && (size_t)n < len - at)
		at += (size_t)n;
	return at;
}
