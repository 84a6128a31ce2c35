/* report.c - the summary of a run, for people (text) and for programs (JSON). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vmlab_sys.h"

/* n with thousands separators into buf. */
static const char *group3(char *buf, size_t len, uint64_t n)
{
	char raw[32];
	int digits = snprintf(raw, sizeof raw, "%llu", (unsigned long long)n);
	size_t at = 0;
	for (int i = 0; i < digits && at + 2 < len; i++) {
		if (i && (digits - i) % 3 == 0)
			buf[at++] = ',';
		buf[at++] = raw[i];
	}
	buf[at] = 0;
	return buf;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void describe_tlb(char *buf, size_t len, const vm_config_t *c)
{
	if (c->tlb_entries)
		snprintf(buf, len, "TLB %u entries %u-way", c->tlb_entries, c->tlb_ways);
	else
		snprintf(buf, len, "no TLB");
}

void report_text(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format)
{
	const vm_stats_t *s = vm_stats(vm);
	const vm_config_t *c = vm_config(vm);
	char a[32], b[32], d[32], e[32], tlb[64];
	describe_tlb(tlb, sizeof tlb, c);
	if (strcmp(format, "script") == 0) /* a script has no trace format */
		printf("vmlab script: %s\n", trace_name);
	else
		printf("vmlab run: %s (%s)\n", trace_name, format);
	printf("machine: %u frames of %u B, %u-level page table (%u-bit VA, %u-bit PA), %s, policy %s (%s)\n\n",
	       c->frames, c->page_size, vm_levels(vm), c->va_bits, c->pa_bits, tlb,
	       vm_policy_name(vm), vm_policy_needs(vm));
	printf("  references       %15s   reads %s, writes %s, ifetches %s\n",
	       group3(a, sizeof a, s->references), group3(b, sizeof b, s->reads),
	       group3(d, sizeof d, s->writes), group3(e, sizeof e, s->ifetches));
	printf("  distinct pages   %15s   %s B touched by %s process%s\n",
	       group3(a, sizeof a, s->distinct_pages),
	       group3(b, sizeof b, s->distinct_pages * c->page_size),
	       group3(d, sizeof d, s->processes), s->processes == 1 ? "" : "es");
	printf("  page faults      %15s   minor %s, major %s  (%.4f%% of references)\n",
	       group3(a, sizeof a, s->page_faults), group3(b, sizeof b, s->minor_faults),
	       group3(d, sizeof d, s->major_faults), pct(s->page_faults, s->references));
	printf("  TLB hits         %15s   %.2f%% of %s lookups\n", group3(a, sizeof a, s->tlb_hits),
	       pct(s->tlb_hits, s->tlb_hits + s->tlb_misses),
	       group3(b, sizeof b, s->tlb_hits + s->tlb_misses));
	printf("  page walks       %15s   %s PTE reads (%.2f per walk)\n",
	       group3(a, sizeof a, s->page_walks), group3(b, sizeof b, s->walk_memory_refs),
	       s->page_walks ? (double)s->walk_memory_refs / (double)s->page_walks : 0.0);
	printf("  evictions        %15s   %s dirty write-backs\n", group3(a, sizeof a, s->evictions),
	       group3(b, sizeof b, s->dirty_writebacks));
	printf("  swap-ins         %15s   swap-outs %s, %s swap slots in use\n",
	       group3(a, sizeof a, s->swap_ins), group3(b, sizeof b, s->swap_outs),
	       group3(d, sizeof d, s->swap_slots_used));
	printf("  page-table pages %15s   %s B of tables\n", group3(a, sizeof a, s->page_table_pages),
	       group3(b, sizeof b, s->page_table_pages * c->page_size));
	printf("  resident peak    %15s   pages of %u frames\n", group3(a, sizeof a, s->resident_pages_peak),
	       c->frames);
	if (c->bytes) {
		const vm_sys_stats_t *k = vm_sys_stats(vm);
		printf("  copy-on-write    %15s   faults, %s pages copied\n",
		       group3(a, sizeof a, k->cow_faults), group3(b, sizeof b, k->cow_copies));
		printf("  file pages       %15s   read, %s written back\n",
		       group3(a, sizeof a, k->file_reads), group3(b, sizeof b, k->file_writebacks));
		printf("  reclaim          %15s   by the page daemon, %s direct; %s free frames now\n",
		       group3(a, sizeof a, k->daemon_reclaims), group3(b, sizeof b, k->direct_reclaims),
		       group3(d, sizeof d, k->free_frames));
		printf("  killed           %15s   by SIGSEGV, %s by the OOM killer\n",
		       group3(a, sizeof a, k->segfaults), group3(b, sizeof b, k->oom_kills));
	}
	printf("  effective access %15.1f   ns per reference (latencies: TLB %g, memory %g, minor %g, major %g, write-back %g ns)\n",
	       vm_effective_access_ns(vm), c->lat.tlb_ns, c->lat.mem_ns, c->lat.minor_ns,
	       c->lat.major_ns, c->lat.writeback_ns);
}

/* Print s as a JSON string (quotes and escapes). */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void json_key(const char *key)
{
	printf(",\n  ");
	json_string(key);
	printf(": ");
}

static void json_u64(const char *key, uint64_t v)
{
	json_key(key);
	printf("%llu", (unsigned long long)v);
}

static void json_str(const char *key, const char *v)
{
	json_key(key);
	json_string(v);
}

static void json_num(const char *key, double v)
{
	json_key(key);
	printf("%.6g", v);
}

void report_json(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format)
{
	const vm_stats_t *s = vm_stats(vm);
	const vm_config_t *c = vm_config(vm);
	char tlb[32];
	snprintf(tlb, sizeof tlb, c->tlb_entries ? "%u:%u" : "0", c->tlb_entries, c->tlb_ways);
	printf("{\n  \"trace\": ");
	json_string(trace_name);
	json_str("format", format);
	json_str("policy", vm_policy_name(vm));
	json_str("policy_needs", vm_policy_needs(vm));
	json_u64("frames", c->frames);
	json_u64("page_size", c->page_size);
	json_u64("va_bits", c->va_bits);
	json_u64("pa_bits", c->pa_bits);
	json_u64("levels", vm_levels(vm));
	json_str("tlb", tlb);
	json_u64("seed", c->seed);
	json_u64("swap_bytes", o->swap_bytes);
	json_num("lat_tlb_ns", c->lat.tlb_ns);
	json_num("lat_mem_ns", c->lat.mem_ns);
	json_num("lat_minor_ns", c->lat.minor_ns);
	json_num("lat_major_ns", c->lat.major_ns);
	json_num("lat_writeback_ns", c->lat.writeback_ns);
	json_u64("references", s->references);
	json_u64("reads", s->reads);
	json_u64("writes", s->writes);
	json_u64("ifetches", s->ifetches);
	json_u64("distinct_pages", s->distinct_pages);
	json_u64("processes", s->processes);
	json_u64("page_faults", s->page_faults);
	json_u64("minor_faults", s->minor_faults);
	json_u64("major_faults", s->major_faults);
	json_u64("tlb_hits", s->tlb_hits);
	json_u64("tlb_misses", s->tlb_misses);
	json_u64("page_walks", s->page_walks);
	json_u64("walk_memory_refs", s->walk_memory_refs);
	json_u64("evictions", s->evictions);
	json_u64("dirty_writebacks", s->dirty_writebacks);
	json_u64("swap_ins", s->swap_ins);
	json_u64("swap_outs", s->swap_outs);
	json_u64("swap_slots_used", s->swap_slots_used);
	json_u64("page_table_pages", s->page_table_pages);
	json_u64("resident_pages", s->resident_pages);
	json_u64("resident_pages_peak", s->resident_pages_peak);
	json_num("effective_access_ns", vm_effective_access_ns(vm));
	if (c->bytes) {
		const vm_sys_stats_t *k = vm_sys_stats(vm);
		json_u64("cow_faults", k->cow_faults);
		json_u64("cow_copies", k->cow_copies);
		json_u64("segfaults", k->segfaults);
		json_u64("file_reads", k->file_reads);
		json_u64("file_writebacks", k->file_writebacks);
		json_u64("oom_kills", k->oom_kills);
		json_u64("daemon_reclaims", k->daemon_reclaims);
		json_u64("direct_reclaims", k->direct_reclaims);
		json_u64("free_frames", k->free_frames);
		json_u64("wmark_min", c->wmark_min);
		json_u64("wmark_low", c->wmark_low);
		json_u64("wmark_high", c->wmark_high);
	}
	printf("\n}\n");
}
