/* report.c - the summary of a run, for people (text) and for programs (JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmlab_sys.h"
#include "util/vmerr.h"

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
	if (c->thp != VM_THP_NEVER || c->hugepages) {
		printf("  huge TLB hits    %15s   %s walks to a huge leaf\n",
		       group3(a, sizeof a, s->huge_tlb_hits), group3(b, sizeof b, s->huge_tlb_misses));
		printf("  THP faults       %15s   %s fallbacks, %s splits, %s B never touched\n",
		       group3(a, sizeof a, s->thp_fault_alloc), group3(b, sizeof b, s->thp_fault_fallback),
		       group3(d, sizeof d, s->thp_split), group3(e, sizeof e, s->thp_bloat_bytes));
		if (c->khugepaged_every)
			printf("  THP collapses    %15s   %s pages copied in %s khugepaged passes\n",
			       group3(a, sizeof a, s->thp_collapse_alloc),
			       group3(b, sizeof b, s->thp_collapse_copies),
			       group3(d, sizeof d, s->khugepaged_passes));
	}
	if (c->hugepages)
		printf("  hugetlb pool     %15s   huge pages: %s free (%s reserved), %s faults\n",
		       group3(a, sizeof a, s->hugetlb_pages), group3(b, sizeof b, s->hugetlb_free),
		       group3(d, sizeof d, s->hugetlb_reserved), group3(e, sizeof e, s->hugetlb_faults));
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
		if (c->fault_around > 1)
			printf("  fault-around     %15s   pages mapped around read faults (window %u pages)\n",
			       group3(a, sizeof a, k->fault_around_pages), c->fault_around);
		if (c->dirty_expire)
			printf("  flusher          %15s   dirty file pages written back (expire %llu)\n",
			       group3(a, sizeof a, k->flusher_writebacks),
			       (unsigned long long)c->dirty_expire);
		if (c->load_control)
			printf("  suspensions      %15s   %s resumptions (load control %s)\n",
			       group3(a, sizeof a, k->suspensions), group3(b, sizeof b, k->resumptions),
			       cli_load_control_name(c->load_control));
	}
	if (c->kernel_half || c->kpti || c->asid_off || vm_kstats(vm)->kernel_references ||
	    vm_kstats(vm)->syscalls) {
		const vm_kstats_t *ks = vm_kstats(vm);
		if (c->bytes) /* (a user reference there is a SIGSEGV, counted above) */
			printf("  kernel refs      %15s   in %s syscalls; %s kernel pages\n",
			       group3(a, sizeof a, ks->kernel_references), group3(b, sizeof b, ks->syscalls),
			       group3(d, sizeof d, ks->kernel_pages));
		else
			printf("  kernel refs      %15s   in %s syscalls; %s user refs to kernel addresses skipped\n",
			       group3(a, sizeof a, ks->kernel_references), group3(b, sizeof b, ks->syscalls),
			       group3(d, sizeof d, ks->segfaults));
		printf("  root switches    %15s   %s TLB flushes, %s entries flushed\n",
		       group3(a, sizeof a, ks->root_switches), group3(b, sizeof b, ks->tlb_flushes),
		       group3(d, sizeof d, ks->tlb_entries_flushed));
	}
	if (c->numa_nodes) {
		const vm_numa_stats_t *nu = vm_numa_stats(vm);
		printf("  numa local       %15s   remote %s references, %s foreign allocations; free by node:",
		       group3(a, sizeof a, nu->local), group3(b, sizeof b, nu->remote),
		       group3(d, sizeof d, nu->foreign));
		for (uint32_t n = 0; n < c->numa_nodes; n++)
			printf(" %llu", (unsigned long long)vm_numa_node_free(vm, n));
		printf("\n  numa watermarks  ");
		for (uint32_t n = 0; n < c->numa_nodes; n++) {
			uint32_t w[3];
			vm_numa_node_wmarks(vm, n, w);
			printf("%snode %u: %u,%u,%u", n ? "; " : "", n, w[0], w[1], w[2]);
		}
		printf(" (min,low,high frames)\n");
	}
	if (c->zram_size) {
		const vm_zram_stats_t *z = vm_zram_stats(vm);
		printf("  zram stores      %15s   loads %s, rejects %s, writebacks %s\n",
		       group3(a, sizeof a, z->stores), group3(b, sizeof b, z->loads),
		       group3(d, sizeof d, z->rejects), group3(e, sizeof e, z->writebacks));
		printf("  zram stored      %15s   B in %s B compressed (ratio %.2f), %s frames\n",
		       group3(a, sizeof a, z->bytes_stored), group3(b, sizeof b, z->compressed_bytes),
		       z->compressed_bytes ? (double)z->bytes_stored / (double)z->compressed_bytes : 0.0,
		       group3(d, sizeof d, z->frames));
	}
	printf("  refaults         %15s   faults on pages whose shadow was still known, %s shadows kept\n",
	       group3(a, sizeof a, s->refaults), group3(b, sizeof b, s->shadow_entries));
	printf("  effective access %15.1f   ns per reference (latencies: TLB %g, memory %g, minor %g, major %g, write-back %g ns)\n",
	       vm_effective_access_ns(vm), c->lat.tlb_ns, c->lat.mem_ns, c->lat.minor_ns,
	       c->lat.major_ns, c->lat.writeback_ns);
}

/* The run's keys, in the order every output lists them.  The one list of
 * them: run --json, mrc's points and sweep's rows all come from here. */
void report_keys(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format, report_emit_fn *emit, void *arg)
{
	const vm_stats_t *s = vm_stats(vm);
	const vm_config_t *c = vm_config(vm);
	char tlb[32];
	snprintf(tlb, sizeof tlb, c->tlb_entries ? "%u:%u" : "0", c->tlb_entries, c->tlb_ways);
#define KEY_U(k, v) emit(arg, k, &(report_value_t){ .type = REPORT_U64, .u = (v) })
#define KEY_N(k, v) emit(arg, k, &(report_value_t){ .type = REPORT_NUM, .d = (v) })
#define KEY_S(k, v) emit(arg, k, &(report_value_t){ .type = REPORT_STR, .s = (v) })
	KEY_S("trace", trace_name);
	KEY_S("format", format);
	KEY_S("policy", vm_policy_name(vm));
	KEY_S("policy_needs", vm_policy_needs(vm));
	KEY_U("frames", c->frames);
	KEY_U("page_size", c->page_size);
	KEY_U("va_bits", c->va_bits);
	KEY_U("pa_bits", c->pa_bits);
	KEY_U("levels", vm_levels(vm));
	KEY_S("tlb", tlb);
	KEY_U("seed", c->seed);
	emit(arg, "swap_bytes", &(report_value_t){ .type = o->swap_bytes ? REPORT_U64 : REPORT_NULL, .u = o->swap_bytes }); /* null: unbounded */
	KEY_N("lat_tlb_ns", c->lat.tlb_ns);
	KEY_N("lat_mem_ns", c->lat.mem_ns);
	KEY_N("lat_minor_ns", c->lat.minor_ns);
	KEY_N("lat_major_ns", c->lat.major_ns);
	KEY_N("lat_writeback_ns", c->lat.writeback_ns);
	KEY_U("references", s->references);
	KEY_U("reads", s->reads);
	KEY_U("writes", s->writes);
	KEY_U("ifetches", s->ifetches);
	KEY_U("distinct_pages", s->distinct_pages);
	KEY_U("processes", s->processes);
	KEY_U("page_faults", s->page_faults);
	KEY_U("minor_faults", s->minor_faults);
	KEY_U("major_faults", s->major_faults);
	KEY_U("tlb_hits", s->tlb_hits);
	KEY_U("tlb_misses", s->tlb_misses);
	KEY_U("page_walks", s->page_walks);
	KEY_U("walk_memory_refs", s->walk_memory_refs);
	KEY_U("evictions", s->evictions);
	KEY_U("dirty_writebacks", s->dirty_writebacks);
	KEY_U("swap_ins", s->swap_ins);
	KEY_U("swap_outs", s->swap_outs);
	KEY_U("swap_slots_used", s->swap_slots_used);
	KEY_U("page_table_pages", s->page_table_pages);
	KEY_U("page_table_bytes", s->page_table_pages * c->page_size);
	KEY_U("resident_pages", s->resident_pages);
	KEY_U("resident_pages_peak", s->resident_pages_peak);
	KEY_N("effective_access_ns", vm_effective_access_ns(vm));
	const vm_kstats_t *ks = vm_kstats(vm);
	KEY_U("kernel_references", ks->kernel_references);
	KEY_U("syscalls", ks->syscalls);
	KEY_U("root_switches", ks->root_switches);
	KEY_U("tlb_flushes", ks->tlb_flushes);
	KEY_U("tlb_entries_flushed", ks->tlb_entries_flushed);
	KEY_U("kernel_pages", ks->kernel_pages);
	if (!c->bytes)
		KEY_U("segfaults", ks->segfaults);
	if (c->bytes) {
		const vm_sys_stats_t *k = vm_sys_stats(vm);
		KEY_U("cow_faults", k->cow_faults);
		KEY_U("cow_copies", k->cow_copies);
		KEY_U("segfaults", k->segfaults);
		KEY_U("file_reads", k->file_reads);
		KEY_U("file_writebacks", k->file_writebacks);
		KEY_U("oom_kills", k->oom_kills);
		KEY_U("daemon_reclaims", k->daemon_reclaims);
		KEY_U("direct_reclaims", k->direct_reclaims);
		KEY_U("free_frames", k->free_frames);
		KEY_U("wmark_min", c->wmark_min);
		KEY_U("wmark_low", c->wmark_low);
		KEY_U("wmark_high", c->wmark_high);
		if (c->fault_around > 1) { /* (only when asked for) */
			KEY_U("fault_around", c->fault_around);
			KEY_U("fault_around_pages", k->fault_around_pages);
		}
		if (c->dirty_expire) {
			KEY_U("dirty_expire", c->dirty_expire);
			KEY_U("flusher_writebacks", k->flusher_writebacks);
		}
		if (c->load_control) { /* (only with load control) */
			KEY_S("load_control", cli_load_control_name(c->load_control));
			KEY_U("suspensions", k->suspensions);
			KEY_U("resumptions", k->resumptions);
		}
	}
	KEY_U("refaults", s->refaults);
	KEY_U("shadow_entries", s->shadow_entries);
	if (c->thp != VM_THP_NEVER || c->hugepages) { /* huge pages: only when they can exist */
		KEY_U("huge_tlb_hits", s->huge_tlb_hits);
		KEY_U("huge_tlb_misses", s->huge_tlb_misses);
		KEY_U("thp_fault_alloc", s->thp_fault_alloc);
		KEY_U("thp_fault_fallback", s->thp_fault_fallback);
		KEY_U("thp_collapse_alloc", s->thp_collapse_alloc);
		KEY_U("thp_collapse_copies", s->thp_collapse_copies);
		KEY_U("khugepaged_passes", s->khugepaged_passes);
		KEY_U("thp_split", s->thp_split);
		KEY_U("thp_bloat_bytes", s->thp_bloat_bytes);
	}
	if (c->hugepages) { /* the hugetlb pool (only with one) */
		KEY_U("hugetlb_pages", s->hugetlb_pages);
		KEY_U("hugetlb_free", s->hugetlb_free);
		KEY_U("hugetlb_reserved", s->hugetlb_reserved);
		KEY_U("hugetlb_faults", s->hugetlb_faults);
	}
	if (c->numa_nodes) { /* (only with NUMA) */
		const vm_numa_stats_t *nu = vm_numa_stats(vm);
		static const char *const mpol[] = { "local", "interleave", "bind" };
		KEY_U("numa_nodes", c->numa_nodes);
		KEY_S("mempolicy", mpol[c->mempolicy]);
		KEY_N("lat_remote_ns", c->lat_remote_ns ? c->lat_remote_ns : 2 * c->lat.mem_ns);
		KEY_U("numa_local", nu->local);
		KEY_U("numa_remote", nu->remote);
		KEY_U("numa_foreign", nu->foreign);
		for (uint32_t n = 0; n < c->numa_nodes && n < 64; n++) {
			char key[32];
			snprintf(key, sizeof key, "numa_free_node%u", n);
			KEY_U(key, vm_numa_node_free(vm, n));
		}
		for (uint32_t n = 0; n < c->numa_nodes && n < 64; n++) {
			static const char *const wname[3] = { "min", "low", "high" };
			uint32_t w[3];
			vm_numa_node_wmarks(vm, n, w);
			for (int i = 0; i < 3; i++) {
				char key[40];
				snprintf(key, sizeof key, "numa_wmark_%s_node%u", wname[i], n);
				KEY_U(key, w[i]);
			}
		}
	}
	if (c->zram_size) { /* (only with zRAM: the keys of every run stay as they were) */
		const vm_zram_stats_t *z = vm_zram_stats(vm);
		KEY_U("zram_size", c->zram_size);
		KEY_S("zram_algo", c->bytes ? (c->zram_zstd ? "zstd" : "lz4") : "ratio");
		KEY_N("lat_zram_store_ns", c->lat.zram_store_ns);
		KEY_N("lat_zram_load_ns", c->lat.zram_load_ns);
		KEY_U("zram_stores", z->stores);
		KEY_U("zram_loads", z->loads);
		KEY_U("zram_rejects", z->rejects);
		KEY_U("zram_writebacks", z->writebacks);
		KEY_U("zram_bytes_stored", z->bytes_stored);
		KEY_U("zram_compressed_bytes", z->compressed_bytes);
		KEY_U("zram_frames", z->frames);
		KEY_N("zram_ratio", z->compressed_bytes ? (double)z->bytes_stored / (double)z->compressed_bytes : 0.0);
	}
	const char *names[16];
	uint64_t values[16];
	size_t n = vm_policy_counters(vm, names, values, 16);
	for (size_t i = 0; i < n; i++) /* the policy's own, after the machine's */
		KEY_U(names[i], values[i]);
#undef KEY_U
#undef KEY_N
#undef KEY_S
}

void report_json_string(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			putc(ch, f);
	}
	putc('"', f);
}

/* Numbers that are not integers keep every bit (%.17g reads back exactly). */
void report_json_value(FILE *f, const report_value_t *v)
{
	switch (v->type) {
	case REPORT_U64: fprintf(f, "%llu", (unsigned long long)v->u); break;
	case REPORT_NUM: fprintf(f, "%.17g", v->d); break;
	case REPORT_STR: report_json_string(f, v->s); break;
	case REPORT_NULL: fputs("null", f); break;
	}
}

/* A CSV field: strings quoted (RFC 4180) when they hold a comma, a quote or
 * a line break; null is an empty field. */
void report_csv_value(FILE *f, const report_value_t *v)
{
	if (v->type != REPORT_STR) {
		if (v->type != REPORT_NULL)
			report_json_value(f, v);
		return;
	}
	if (!v->s[strcspn(v->s, ",\"\r\n")]) {
		fputs(v->s, f);
		return;
	}
	putc('"', f);
	for (const char *p = v->s; *p; p++) {
		if (*p == '"')
			putc('"', f);
		putc(*p, f);
	}
	putc('"', f);
}

void report_csv_emit(void *arg, const char *key, const report_value_t *v)
{
	report_csv_row_t *c = arg;
	if (c->n++)
		putchar(',');
	if (c->header)
		fputs(key, stdout);
	else
		report_csv_value(stdout, v);
}

void report_jobj_begin(report_jobj_t *j, FILE *f, const char *indent)
{
	*j = (report_jobj_t){ .f = f, .indent = indent };
	putc('{', f);
}

void report_jobj_key(report_jobj_t *j, const char *key)
{
	fprintf(j->f, "%s\n%s  ", j->n++ ? "," : "", j->indent);
	report_json_string(j->f, key);
	fputs(": ", j->f);
}

void report_jobj_emit(void *arg, const char *key, const report_value_t *v)
{
	report_jobj_t *j = arg;
	report_jobj_key(j, key);
	report_json_value(j->f, v);
}

void report_jobj_end(report_jobj_t *j)
{
	fprintf(j->f, "\n%s}", j->indent);
}

void report_json(vm_machine_t *vm, const cli_opts_t *o, const char *trace_name,
		 const char *format)
{
	report_jobj_t j;
	report_jobj_begin(&j, stdout, "");
	report_keys(vm, o, trace_name, format, report_jobj_emit, &j);
	report_jobj_end(&j);
	putchar('\n');
}

/* Capture one key into a row, copying strings (the run's are short-lived). */
static void report_row_emit(void *arg, const char *key, const report_value_t *v)
{
	report_row_t *r = arg;
	if (r->failed)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		report_kv_t *kv = realloc(r->kv, cap * sizeof *kv);
		if (!kv) {
			r->failed = 1;
			return;
		}
		r->kv = kv;
		r->cap = cap;
	}
	report_kv_t *e = &r->kv[r->n];
	e->key = key;
	e->v = *v;
	if (v->type == REPORT_STR && !(e->v.s = strdup(v->s))) {
		r->failed = 1;
		return;
	}
	r->n++;
}

int report_row_capture(report_row_t *row, vm_machine_t *vm, const cli_opts_t *o,
		       const char *trace_name, const char *format)
{
	*row = (report_row_t){ 0 };
	report_keys(vm, o, trace_name, format, report_row_emit, row);
	if (row->failed) {
		report_row_free(row);
		return VM_ENOMEM;
	}
	return VM_OK;
}

const report_value_t *report_row_get(const report_row_t *row, const char *key)
{
	for (size_t i = 0; i < row->n; i++)
		if (!strcmp(row->kv[i].key, key))
			return &row->kv[i].v;
	return NULL;
}

void report_row_free(report_row_t *row)
{
	for (size_t i = 0; i < row->n; i++)
		if (row->kv[i].v.type == REPORT_STR)
			free((char *)row->kv[i].v.s);
	free(row->kv);
	*row = (report_row_t){ 0 };
}
