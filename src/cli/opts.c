/* opts.c - the option table shared by the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "policy/policy.h"
#include "util/clip.h"
#include "util/num.h"
#include "util/vmerr.h"

typedef struct cli_option {
	const char *name;        /* without the leading -- */
	unsigned group;
	const char *arg;         /* argument name, NULL for a flag */
	const char *help;
	/* Apply the argument; on error write the reason into err.  An argument
	 * named in brackets ("[N]") may be left out: it is taken from the next
	 * word only when that is a decimal number (or given as --NAME=N), and
	 * set gets NULL without one. */
	int (*set)(cli_opts_t *o, const char *arg, char *err, size_t errlen);
} cli_option_t;

/* A number into an unsigned field no larger than max. */
static int set_uint(const char *arg, uint64_t max, int suffix, uint64_t *out,
		    char *err, size_t errlen)
{
	int rc = num_parse_u64(arg, out, suffix);
	if (rc == VM_OK && *out > max)
		rc = VM_ERANGE;
	if (rc == VM_EINVAL)
		snprintf(err, errlen, "'%s' is not a number%s", arg, suffix ? " (K, M, G suffixes allowed)" : "");
	else if (rc == VM_ERANGE)
		snprintf(err, errlen, "%s is out of range (at most %llu)", arg, (unsigned long long)max);
	return rc;
}

static int set_page_size(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, 1u << 30, 1, &v, err, errlen);
	o->cfg.page_size = (unsigned)v;
	return rc;
}

#define SET_UNSIGNED(fn, field, max)                                          \
	static int fn(cli_opts_t *o, const char *arg, char *err, size_t errlen) \
	{                                                                     \
		uint64_t v;                                                   \
		int rc = set_uint(arg, max, 0, &v, err, errlen);              \
		o->cfg.field = (unsigned)v;                                   \
		return rc;                                                    \
	}
SET_UNSIGNED(set_va_bits, va_bits, 64)
SET_UNSIGNED(set_pa_bits, pa_bits, 64)
SET_UNSIGNED(set_levels, levels, 64)
SET_UNSIGNED(set_swappiness, swappiness, 200)

static int set_kernel_half(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->cfg.kernel_half = 1;
	return VM_OK;
}

static int set_kpti(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->cfg.kpti = 1;
	return VM_OK;
}

/* --asid on|off: a TLB with address-space ids, or one flushed on a switch. */
static int set_asid(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "on") && strcmp(arg, "off")) {
		snprintf(err, errlen, "'%s': expected on or off", arg);
		return VM_EINVAL;
	}
	o->cfg.asid_off = !strcmp(arg, "off");
	return VM_OK;
}

/* --pte-size 4|8: the bytes of a page-table entry (pte.h's two layouts). */
static int set_pte_size(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "4") && strcmp(arg, "8")) {
		snprintf(err, errlen, "'%s': a page-table entry is 4 or 8 bytes", arg);
		return VM_EINVAL;
	}
	o->cfg.pte_size = (unsigned)atoi(arg);
	return VM_OK;
}

/* --frames N, with K/M/G suffixes (x1024) as --swap takes them. */
static int set_frames(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, UINT32_MAX - 1, 1, &v, err, errlen);
	o->cfg.frames = (uint32_t)v;
	return rc;
}

/* ENTRIES:WAYS, or 0 for none, into *entries and *ways. */
static int parse_tlb(const char *arg, uint32_t *out_entries, uint32_t *out_ways, char *err,
		     size_t errlen)
{
	const char *colon = strchr(arg, ':');
	uint64_t entries, ways = 1;
	char head[32];
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	if (n >= sizeof head)
		n = sizeof head - 1;
	memcpy(head, arg, n);
	head[n] = 0;
	if (num_parse_u64(head, &entries, 0) || entries > (1u << 24) ||
	    (colon && (num_parse_u64(colon + 1, &ways, 0) || ways > (1u << 24)))) {
		snprintf(err, errlen, "'%s' is not ENTRIES:WAYS (e.g. 64:4, or 0 for no TLB)", arg);
		return VM_EINVAL;
	}
	if (!colon && entries != 0) {
		snprintf(err, errlen, "'%s' needs :WAYS (e.g. %llu:4), or 0 for no TLB", arg,
			 (unsigned long long)entries);
		return VM_EINVAL;
	}
	*out_entries = (uint32_t)entries;
	*out_ways = (uint32_t)ways;
	return VM_OK;
}

static int set_tlb(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return parse_tlb(arg, &o->cfg.tlb_entries, &o->cfg.tlb_ways, err, errlen);
}

/* --tlb-huge E:W: the TLB of huge entries; 0: they share --tlb. */
static int set_tlb_huge(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return parse_tlb(arg, &o->cfg.tlb_huge_entries, &o->cfg.tlb_huge_ways, err, errlen);
}

/* --thp always|madvise|never. */
static int set_thp(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	static const char *const names[] = { [VM_THP_NEVER] = "never", [VM_THP_ALWAYS] = "always",
					     [VM_THP_MADVISE] = "madvise" };
	for (int i = 0; i < (int)(sizeof names / sizeof *names); i++) {
		if (!strcmp(arg, names[i])) {
			o->cfg.thp = i;
			return VM_OK;
		}
	}
	snprintf(err, errlen, "--thp '%s': expected always, madvise or never", arg);
	return VM_EINVAL;
}

/* --hugepages N: the hugetlb pool (script mode). */
static int set_hugepages(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, UINT32_MAX, 0, &v, err, errlen);
	o->cfg.hugepages = (uint32_t)v;
	return rc;
}

/* --khugepaged-every N: references between khugepaged's passes. */
static int set_khugepaged_every(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_uint(arg, UINT64_MAX, 0, &o->cfg.khugepaged_every, err, errlen);
}

/* --max-ptes-none N: khugepaged's limit of unmapped entries in a range. */
static int set_max_ptes_none(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, UINT32_MAX, 0, &v, err, errlen);
	o->cfg.max_ptes_none = (uint32_t)v;
	return rc;
}

/* Edit distance of a and b, case ignored (both short names). */
static size_t name_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[33];
	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = d[0];
		d[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = d[j], sub = diag + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			d[j] = sub < up + 1 ? sub : up + 1;
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			diag = up;
		}
	}
	return d[lb];
}

static int set_policy(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	const policy_ops_t *pol = NULL;
	for (size_t i = 0; i < policy_count && !pol; i++)
		if (!strcasecmp(policy_registry[i]->name, arg))   /* LRU is lru */
			pol = policy_registry[i];
	if (!pol) {
		const char *best = NULL;
		size_t bestd = 3;   /* suggest within two edits */
		for (size_t i = 0; i < policy_count; i++) {
			size_t dist = name_distance(arg, policy_registry[i]->name);
			if (dist < bestd) {
				bestd = dist;
				best = policy_registry[i]->name;
			}
		}
		int at = best ? snprintf(err, errlen, "unknown policy '%s' (did you mean %s?); known:", arg, best)
			      : snprintf(err, errlen, "unknown policy '%s'; known:", arg);
		for (size_t i = 0; i < policy_count && at > 0 && (size_t)at < errlen; i++)
			at += snprintf(err + at, errlen - (size_t)at, " %s", policy_registry[i]->name);
		return VM_ENOENT;
	}
	o->cfg.policy = pol->name;   /* the registry's spelling, whatever the case given */
	return VM_OK;
}

static int set_seed(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_uint(arg, UINT64_MAX, 0, &o->cfg.seed, err, errlen);
}

static int set_swap(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->cfg.swap_none = strcmp(arg, "none") == 0; /* no swap device (zRAM alone) */
	if (o->cfg.swap_none) {
		o->swap_bytes = 0;
		return VM_OK;
	}
	int rc = set_uint(arg, UINT64_MAX, 1, &o->swap_bytes, err, errlen);
	if (rc == VM_OK && o->swap_bytes == 0) {
		snprintf(err, errlen, "a swap of size 0 leaves no room; omit --swap for unbounded swap");
		return VM_EINVAL;
	}
	return rc;
}

/* A latency in nanoseconds: a non-negative decimal number. */
static int set_latency(double *field, const char *arg, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v >= 0) || v > 1e15) {
		snprintf(err, errlen, "'%s' is not a latency in nanoseconds", arg);
		return VM_EINVAL;
	}
	*field = v;
	return VM_OK;
}

#define SET_LATENCY(fn, field)                                                \
	static int fn(cli_opts_t *o, const char *arg, char *err, size_t errlen) \
	{                                                                     \
		return set_latency(&o->cfg.lat.field, arg, err, errlen);      \
	}
SET_LATENCY(set_lat_tlb, tlb_ns)
SET_LATENCY(set_lat_mem, mem_ns)
SET_LATENCY(set_lat_minor, minor_ns)
SET_LATENCY(set_lat_major, major_ns)
SET_LATENCY(set_lat_writeback, writeback_ns)
SET_LATENCY(set_lat_zram_store, zram_store_ns)
SET_LATENCY(set_lat_zram_load, zram_load_ns)

/* --numa N: nodes of the user frames. */
static int set_numa(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, 1024, 0, &v, err, errlen);
	if (rc == VM_OK && v == 0) {
		snprintf(err, errlen, "--numa 0: at least 1 node");
		return VM_EINVAL;
	}
	o->cfg.numa_nodes = (uint32_t)v;
	return rc;
}

static int set_lat_remote(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_latency(&o->cfg.lat_remote_ns, arg, err, errlen);
}

/* --mempolicy local|interleave|bind:NODE */
static int set_mempolicy(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (!strcmp(arg, "local") || !strcmp(arg, "interleave")) {
		o->cfg.mempolicy = arg[0] == 'l' ? VM_MPOL_LOCAL : VM_MPOL_INTERLEAVE;
		return VM_OK;
	}
	uint64_t n;
	if (strncmp(arg, "bind:", 5) || set_uint(arg + 5, 1023, 0, &n, err, errlen)) {
		snprintf(err, errlen, "unknown memory policy '%s'; known: local interleave bind:NODE", arg);
		return VM_EINVAL;
	}
	o->cfg.mempolicy = VM_MPOL_BIND;
	o->cfg.numa_bind = (uint32_t)n;
	return VM_OK;
}

/* --zram SIZE: a compressed store of SIZE bytes, K/M/G suffixes. */
static int set_zram(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_uint(arg, UINT64_MAX / 2, 1, &o->cfg.zram_size, err, errlen);
}

static int set_zram_algo(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "lz4") && strcmp(arg, "zstd")) {
		snprintf(err, errlen, "unknown compressor '%s'; known: lz4 zstd", arg);
		return VM_EINVAL;
	}
	o->cfg.zram_zstd = arg[1] == 's';
	return VM_OK;
}

/* --zram-ratio R: trace mode's compression ratio, at least 1. */
static int set_zram_ratio(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v >= 1) || v > 1e6) {
		snprintf(err, errlen, "'%s' is not a compression ratio (a number from 1 to 1000000)", arg);
		return VM_EINVAL;
	}
	o->cfg.zram_ratio = v;
	return VM_OK;
}

/* --lat-ssd: an SSD's 100 us for a major fault and for a write-back. */
static int set_lat_ssd(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->cfg.lat.major_ns = o->cfg.lat.writeback_ns = 100000;
	return VM_OK;
}

static int set_format(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (trace_format_parse(arg, &o->format)) {
		snprintf(err, errlen, "unknown format '%s'; known: auto lackey text pages vmt oracleGeneral din", arg);
		return VM_ENOENT;
	}
	return VM_OK;
}

static int set_to(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (trace_format_parse(arg, &o->to) ||
	    (o->to != TRACE_FMT_VMT && o->to != TRACE_FMT_LACKEY && o->to != TRACE_FMT_TEXT)) {
		snprintf(err, errlen, "cannot write format '%s'; known: vmt lackey text", arg);
		return VM_ENOENT;
	}
	return VM_OK;
}

static int set_json(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->json = 1;
	return VM_OK;
}

static int set_access(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (strlen(arg) != 1 || !strchr("rwx", arg[0])) {
		snprintf(err, errlen, "'%s' is not r, w or x", arg);
		return VM_EINVAL;
	}
	o->access = arg[0];
	return VM_OK;
}

/* explain --mode kernel|user: the CPU's mode; either turns the kernel half on. */
static int set_mode(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "kernel") && strcmp(arg, "user")) {
		snprintf(err, errlen, "'%s': expected kernel or user", arg);
		return VM_EINVAL;
	}
	o->mode = arg[0];
	o->cfg.kernel_half = 1;
	return VM_OK;
}

static int set_state(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->state = arg;
	return VM_OK;
}

/* on|off|1|0|yes|no for a flag that `set` gives a value; NULL (the command
 * line) is on. */
static int set_flag(int *field, const char *arg, char *err, size_t errlen)
{
	if (!arg || !strcmp(arg, "on") || !strcmp(arg, "1") || !strcmp(arg, "yes"))
		*field = 1;
	else if (!strcmp(arg, "off") || !strcmp(arg, "0") || !strcmp(arg, "no"))
		*field = 0;
	else {
		snprintf(err, errlen, "'%s' is not on or off", arg);
		return VM_EINVAL;
	}
	return VM_OK;
}

static int set_swap_file(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg) {
		snprintf(err, errlen, "an empty path");
		return VM_EINVAL;
	}
	o->cfg.swap_file = arg;
	return VM_OK;
}

/* MIN,LOW,HIGH: each a frame count or a percentage of the frames (5%); the
 * frames may still change, so they are turned into counts later. */
static int set_watermarks(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;
	for (int i = 0; i < 3; i++) {
		char part[32], *end;
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof part || (i < 2 && p[n] != ',') || (i == 2 && p[n]))
			goto bad;
		memcpy(part, p, n);
		part[n] = 0;
		int pct = part[n - 1] == '%';
		if (pct)
			part[n - 1] = 0;
		errno = 0;
		unsigned long v = part[0] >= '0' && part[0] <= '9' ? strtoul(part, &end, 10) : 0;
		if (part[0] < '0' || part[0] > '9' || *end || errno || v > (pct ? 100 : UINT32_MAX - 1))
			goto bad;
		o->wmark[i] = (uint32_t)v;
		o->wmark_pct[i] = (unsigned char)pct;
		p += n + (i < 2);
	}
	o->has_watermarks = 1;
	return VM_OK;
bad:
	snprintf(err, errlen, "'%s' is not MIN,LOW,HIGH (each a frame count or a percentage like 5%%)", arg);
	return VM_EINVAL;
}

static int set_readahead(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, 1u << 20, 0, &v, err, errlen);
	o->cfg.readahead = (unsigned)v;
	return rc;
}

static int set_fault_around(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, 1u << 20, 0, &v, err, errlen);
	if (rc == VM_OK && (v & (v - 1))) {
		snprintf(err, errlen, "%s is not a power of two (the window is aligned to its size)", arg);
		return VM_EINVAL;
	}
	o->cfg.fault_around = (unsigned)v;
	return rc;
}

static int set_dirty_expire(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_uint(arg, 1ull << 62, 0, &o->cfg.dirty_expire, err, errlen);
}

static int set_timeline(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_uint(arg, UINT64_MAX, 0, &o->cfg.timeline_every, err, errlen);
}

static int set_tick(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_uint(arg, UINT64_MAX, 0, &o->cfg.tick, err, errlen);
}

/* --tau N: the working-set window of wsclock and of --load-control ws. */
static int set_tau(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	int rc = set_uint(arg, UINT64_MAX, 0, &o->cfg.tau, err, errlen);
	o->cfg.ws_tau = o->cfg.tau;
	return rc;
}

static const char *const lc_names[] = { [VM_LC_OFF] = "off", [VM_LC_PFF] = "pff", [VM_LC_WS] = "ws" };

const char *cli_load_control_name(int mode)
{
	return mode >= 0 && mode < (int)(sizeof lc_names / sizeof *lc_names) ? lc_names[mode] : "?";
}

/* --load-control off|pff|ws. */
static int set_load_control(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	for (int i = 0; i < (int)(sizeof lc_names / sizeof *lc_names); i++) {
		if (!strcmp(arg, lc_names[i])) {
			o->cfg.load_control = i;
			return VM_OK;
		}
	}
	snprintf(err, errlen, "'%s': expected off, pff or ws", arg);
	return VM_EINVAL;
}

/* --pff-window NS: from 1 ns to 10 s of CPU time. */
static int set_pff_window(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	int rc = set_uint(arg, 10000000000ull, 0, &o->cfg.pff_window_ns, err, errlen);
	if (rc == VM_OK && o->cfg.pff_window_ns == 0) {
		snprintf(err, errlen, "a window of 0 ns holds no fault");
		return VM_EINVAL;
	}
	return rc;
}

static int set_rate(double *field, const char *arg, double lo, int lo_ok, double hi,
		    char *err, size_t errlen);

/* --pff-high R, --pff-low R: faults per CPU-second, 0 to a million. */
static int set_pff_high(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_rate(&o->cfg.pff_high, arg, 0, 1, 1e6, err, errlen);
}

static int set_pff_low(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_rate(&o->cfg.pff_low, arg, 0, 1, 1e6, err, errlen);
}

/* thrash --max K: 1 to 64 copies. */
static int set_max_copies(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	int rc = set_uint(arg, 64, 0, &o->max_copies, err, errlen);
	if (rc == VM_OK && o->max_copies == 0) {
		snprintf(err, errlen, "at least 1 copy");
		return VM_EINVAL;
	}
	return rc;
}

static int set_events(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_flag(&o->events, arg, err, errlen);
}

static int set_check(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_flag(&o->cfg.check, arg, err, errlen);
}

static int set_root(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->root = arg;
	return VM_OK;
}

static int set_allow_any_path(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->allow_any_path = 1;
	return VM_OK;
}

/* --allow-read DIR, any number of times up to CLI_MAX_ALLOW_READ: a folder
 * that must exist. */
static int set_allow_read(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	struct stat st;
	if (stat(arg, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a folder", arg);
		return VM_EINVAL;
	}
	if (o->nallow_read == CLI_MAX_ALLOW_READ) {
		snprintf(err, errlen, "more than %d folders", CLI_MAX_ALLOW_READ);
		return VM_EINVAL;
	}
	o->allow_read[o->nallow_read++] = arg;
	return VM_OK;
}

static int set_stack_limit(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	int rc = set_uint(arg, 1ull << 46, 1, &o->stack_limit, err, errlen);
	if (rc == VM_OK && o->stack_limit == 0) {
		snprintf(err, errlen, "a stack of 0 bytes leaves no room");
		return VM_EINVAL;
	}
	return rc;
}

static int set_quantum(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	int rc = set_uint(arg, 1ull << 62, 0, &o->quantum, err, errlen);
	if (rc == VM_OK && o->quantum == 0) {
		snprintf(err, errlen, "a quantum of 0 ns never lets a process run");
		return VM_EINVAL;
	}
	return rc;
}

static int set_max_memory(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	int rc = set_uint(arg, UINT64_MAX, 1, &o->cfg.max_memory, err, errlen);
	if (rc == VM_OK && o->cfg.max_memory == 0) {
		snprintf(err, errlen, "a budget of 0 bytes leaves no room");
		return VM_EINVAL;
	}
	return rc;
}

uint64_t cli_default_max_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || size <= 0)
		return 0;
	return (uint64_t)pages * (uint64_t)size / 2;
}

static int set_max_steps(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	int rc = set_uint(arg, UINT64_MAX, 0, &o->max_steps, err, errlen);
	if (rc == VM_OK && o->max_steps == 0) {
		snprintf(err, errlen, "a limit of 0 steps leaves no room");
		return VM_EINVAL;
	}
	return rc;
}

/* --csv, --quiet: flags. */
static int set_csv(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_flag(&o->csv, arg, err, errlen);
}

static int set_quiet(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_flag(&o->quiet, arg, err, errlen);
}

/* A string kept as given: a LIST its command parses (and explains), or a
 * path (never empty). */
static int set_string(const char **field, const char *arg, int path, char *err, size_t errlen)
{
	if (path && !*arg) {
		snprintf(err, errlen, "an empty value");
		return VM_EINVAL;
	}
	*field = arg;
	return VM_OK;
}

#define SET_STRING(fn, field, path)                                           \
	static int fn(cli_opts_t *o, const char *arg, char *err, size_t errlen) \
	{                                                                     \
		return set_string(&o->field, arg, path, err, errlen);         \
	}
SET_STRING(set_plot, plot, 1)
SET_STRING(set_tau_list, tau_list, 0)
SET_STRING(set_frames_list, frames_list, 0)
SET_STRING(set_policies, policies, 0)
SET_STRING(set_page_sizes, page_sizes, 0)
SET_STRING(set_tlbs, tlbs, 0)
SET_STRING(set_shard, shard, 0)
SET_STRING(set_timeline_csv, timeline_csv, 1)

static int set_every(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (num_parse_u64(arg, &o->every, 0) || o->every == 0) {
		snprintf(err, errlen, "'%s' is not a number of references >= 1", arg);
		return VM_EINVAL;
	}
	return VM_OK;
}

static int set_jobs(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	if (num_parse_u64(arg, &v, 0) || v < 1 || v > 1024) {
		snprintf(err, errlen, "'%s' is not a thread count from 1 to 1024", arg);
		return VM_EINVAL;
	}
	o->threads = (unsigned)v;
	return VM_OK;
}

/* A number in (lo, hi], or [lo, hi] when lo_ok. */
static int set_rate(double *field, const char *arg, double lo, int lo_ok, double hi,
		    char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || !(lo_ok ? v >= lo : v > lo) || !(v <= hi)) {
		snprintf(err, errlen, "'%s' is not a number in %c%g, %g]", arg, lo_ok ? '[' : '(', lo, hi);
		return VM_EINVAL;
	}
	*field = v;
	return VM_OK;
}

/* Below 2^-24 the 24 bits of SHARDS' hash cannot sample any finer. */
static int set_sample(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_rate(&o->sample, arg, 1.0 / (1u << 24), 1, 1, err, errlen);
}

static int set_max_fault_rate(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_rate(&o->max_fault_rate, arg, 0, 1, 1, err, errlen);
}

/* --steps [N]: N of at least 1, or every reference. */
static int set_steps(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	o->steps = 1;
	o->steps_n = UINT64_MAX;
	if (!arg)
		return VM_OK;
	int rc = set_uint(arg, UINT64_MAX, 0, &o->steps_n, err, errlen);
	if (rc == VM_OK && o->steps_n == 0) {
		snprintf(err, errlen, "0 steps shows nothing; omit N for every reference");
		return VM_EINVAL;
	}
	return rc;
}

static int set_html(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	if (!*arg) {
		snprintf(err, errlen, "an empty path");
		return VM_EINVAL;
	}
	o->html = arg;
	return VM_OK;
}

/* A word made only of decimal digits: what an optional argument takes. */
static int cli_is_decimal(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static const cli_option_t cli_options[] = {
	{ "page-size", CLI_GEOMETRY, "BYTES", "page size, a power of two from 16 to 64K (default 4096)", set_page_size },
	{ "va-bits", CLI_GEOMETRY, "N", "virtual address bits (default 48)", set_va_bits },
	{ "pa-bits", CLI_GEOMETRY, "N", "physical address bits, bounding user frame numbers (default 52)", set_pa_bits },
	{ "levels", CLI_GEOMETRY, "N", "page-table levels 1..5 (default: page_size/8 entries per level)", set_levels },
	{ "pte-size", CLI_GEOMETRY, "4|8", "bytes of a page-table entry: 8 (x86-64, default) or 4 (32-bit x86; tables follow the user frames)", set_pte_size },
	{ "kernel-half", CLI_MACHINE, NULL, "addresses from 2^(va-bits - 1) up are the kernel's, shared by every process (U=0, global)", set_kernel_half },
	{ "kpti", CLI_MACHINE, NULL, "kernel page-table isolation: switch roots on every kernel entry and exit (implies --kernel-half)", set_kpti },
	{ "asid", CLI_MACHINE, "on|off", "address-space ids in the TLB; off: every root switch flushes the non-global entries (default on)", set_asid },
	{ "tlb", CLI_GEOMETRY, "E:W", "TLB entries and ways, LRU in a set; 0 for none (default 64:4)", set_tlb },
	{ "tlb-huge", CLI_GEOMETRY, "E:W", "TLB of huge-page entries; 0: they share --tlb (default 32:4)", set_tlb_huge },
	{ "thp", CLI_MACHINE, "MODE", "transparent huge pages: always, madvise or never (default never)", set_thp },
	{ "frames", CLI_MACHINE, "N", "user page frames of physical memory, K/M suffixes (default 64)", set_frames },
	{ "policy", CLI_MACHINE, "NAME", "replacement policy (default clock; see `vmlab policies`)", set_policy },
	{ "seed", CLI_MACHINE, "N", "seed of the random policy's xoshiro256** (default 1)", set_seed },
	{ "swap", CLI_MACHINE, "SIZE", "swap space in bytes, K/M/G suffixes, or none (default: unbounded for a trace, 64M for a script)", set_swap },
	{ "numa", CLI_MACHINE, "N", "split the user frames into N NUMA nodes (the last takes the remainder); a process's home node is its pid mod N (default: none)", set_numa },
	{ "mempolicy", CLI_MACHINE, "local|interleave|bind:NODE", "NUMA: where a new frame comes from (default local: the home node, then the others)", set_mempolicy },
	{ "lat-remote", CLI_MACHINE, "NS", "NUMA: latency of a data reference to another node (default 2 x --lat-mem)", set_lat_remote },
	{ "zram", CLI_MACHINE, "SIZE", "a compressed swap tier in memory of SIZE compressed bytes, K/M/G suffixes, in front of the swap file (--swap none: alone; default: none)", set_zram },
	{ "zram-algo", CLI_MACHINE, "lz4|zstd", "script mode: zRAM's compressor (default lz4)", set_zram_algo },
	{ "zram-ratio", CLI_MACHINE, "R", "trace mode: a page compresses to page size / R bytes in zRAM (default 3.0)", set_zram_ratio },
	{ "tick", CLI_MACHINE, "N", "aging and nru: shift/clear the accessed bits every N references (default 1000; 0: never)", set_tick },
	{ "tau", CLI_MACHINE, "N", "working-set window in references: wsclock's (default 10000) and --load-control ws's (default 100000)", set_tau },
	{ "swappiness", CLI_MACHINE, "N", "0..200: how the linux policy weighs reclaiming anonymous against file pages (default 60)", set_swappiness },
	{ "max-memory", CLI_LIMITS, "SIZE", "host-memory budget for page tables, buffers, objects and processes, K/M/G suffixes (default: half the machine's memory)", set_max_memory },
	{ "lat-tlb", CLI_MACHINE, "NS", "latency of a TLB lookup (default 1)", set_lat_tlb },
	{ "lat-mem", CLI_MACHINE, "NS", "latency of a memory access (default 100)", set_lat_mem },
	{ "lat-minor", CLI_MACHINE, "NS", "cost of a minor fault (default 1000)", set_lat_minor },
	{ "lat-major", CLI_MACHINE, "NS", "cost of a major fault (default 5000000)", set_lat_major },
	{ "lat-writeback", CLI_MACHINE, "NS", "cost of writing a dirty page back (default 5000000)", set_lat_writeback },
	{ "lat-zram-store", CLI_MACHINE, "NS", "cost of compressing a page into zRAM (default 5000)", set_lat_zram_store },
	{ "lat-zram-load", CLI_MACHINE, "NS", "cost of a major fault served from zRAM (default 2000)", set_lat_zram_load },
	{ "lat-ssd", CLI_MACHINE, NULL, "an SSD: --lat-major and --lat-writeback 100000 (a later --lat-* wins)", set_lat_ssd },
	{ "format", CLI_TRACE, "FMT", "trace format: auto lackey text pages vmt oracleGeneral (or oracle) din (default auto)", set_format },
	{ "format", CLI_CONVERT, "FMT", "input format: auto lackey text pages vmt oracleGeneral din (default auto)", set_format },
	{ "to", CLI_CONVERT, "FMT", "output format: vmt lackey text (default: by OUT's extension .vmt .lackey .txt, else vmt)", set_to },
	{ "json", CLI_TRACE, NULL, "print one JSON object instead of the text summary", set_json },
	{ "access", CLI_EXPLAIN, "r|w|x", "the kind of access to translate (default r)", set_access },
	{ "state", CLI_EXPLAIN, "FILE", "page-table and TLB contents to start from", set_state },
	{ "mode", CLI_EXPLAIN, "kernel|user", "translate as a kernel-mode or a user-mode access, with the kernel half on (a pte line there maps a kernel page: U=0, global)", set_mode },
	{ "hugepages", CLI_SCRIPT, "N", "huge pages reserved for `mmap ... huge`, as hugetlbfs's pool (default 0)", set_hugepages },
	{ "khugepaged-every", CLI_SCRIPT, "N", "a khugepaged pass every N references, collapsing base pages into huge ones (default 0: none)", set_khugepaged_every },
	{ "max-ptes-none", CLI_SCRIPT, "N", "khugepaged collapses a 2 MiB range with at most N unmapped entries (default 511)", set_max_ptes_none },
	{ "swap-file", CLI_SCRIPT, "PATH", "swap to this file (default: a temporary file, removed at exit)", set_swap_file },
	{ "watermarks", CLI_SCRIPT, "MIN,LOW,HIGH", "free-frame watermarks of the page daemon, frames or % of frames (default 1%,2%,4%; 0,0,0: replace only when no frame is free)", set_watermarks },
	{ "readahead", CLI_SCRIPT, "N", "extra pages read on a swap-in or file fault (default 0)", set_readahead },
	{ "fault-around", CLI_SCRIPT, "N", "a read fault on a file page also maps the cached pages of its aligned N-page window (a power of two; default 0: off)", set_fault_around },
	{ "dirty-expire", CLI_SCRIPT, "NS", "a flusher writes back dirty shared-file pages dirty for NS (ns of the scheduler's clock, else references; default 0: off)", set_dirty_expire },
	{ "timeline", CLI_SCRIPT, "N", "a vmstat-like line every N references (default 0: none)", set_timeline },
	{ "events", CLI_SCRIPT, NULL, "one line per fault and eviction", set_events },
	{ "check", CLI_SCRIPT, NULL, "check the kernel's invariants after every operation (slow)", set_check },
	{ "max-steps", CLI_SCRIPT_ARGS, "N", "commands, repeat passes and references a script may execute (default 1000000000)", set_max_steps },
	{ "json", CLI_SCRIPT_ARGS, NULL, "print one JSON object on stdout; what the script prints goes to stderr", set_json },
	{ "root", CLI_SCRIPT_ARGS, "DIR", "the folder script paths are relative to (default: the script's folder)", set_root },
	{ "allow-any-path", CLI_SCRIPT_ARGS, NULL, "let script paths be absolute or leave that folder", set_allow_any_path },
	{ "allow-read", CLI_SCRIPT_ARGS, "DIR", "exec may read programs and interpreters in DIR too (resolved paths; repeatable)", set_allow_read },
	{ "stack-limit", CLI_SCRIPT, "SIZE", "exec: how far a stack may grow down, K/M/G suffixes (default 8M)", set_stack_limit },
	{ "quantum", CLI_SCRIPT, "NS", "run: the round-robin quantum of CPU time in ns (default 1000000)", set_quantum },
	{ "load-control", CLI_SCRIPT, "off|pff|ws", "run: suspend processes when memory is overcommitted: pff (page-fault frequency) or ws (working-set admission; default off)", set_load_control },
	{ "pff-window", CLI_SCRIPT, "NS", "pff: a process's fault rate is over this much of its CPU time, in ns (default 10000000)", set_pff_window },
	{ "pff-high", CLI_SCRIPT, "R", "pff: above R faults per CPU-second, while free frames are below the low watermark, the newest process is suspended (default 100)", set_pff_high },
	{ "pff-low", CLI_SCRIPT, "R", "pff: below R faults per CPU-second of the system, the oldest suspended process resumes (default 20)", set_pff_low },
	{ "frames", CLI_GRID, "LIST", "sizes: N, A..B, A..B/N (N sizes spread geometrically), comma-separated", set_frames_list },
	{ "tau", CLI_WSS, "LIST", "window sizes in references: N, A..B, A..B/N, comma-separated (default: every power of ten from 1 to the references)", set_tau_list },
	{ "every", CLI_WSS, "N", "also |W(t, tau)| at t = N, 2N, ... (a time series)", set_every },
	{ "sample", CLI_MRC, "R", "SHARDS spatial sampling of the pages, 0 < R <= 1 (default 1: every page)", set_sample },
	{ "max-fault-rate", CLI_MRC, "R", "frames_needed: the fewest frames with faults/references <= R (default 0.001)", set_max_fault_rate },
	{ "policies", CLI_SWEEP, "LIST|all", "policies, comma-separated, or all in `vmlab policies`' order (default: --policy)", set_policies },
	{ "page-sizes", CLI_SWEEP, "LIST", "page sizes, as --frames (default: --page-size)", set_page_sizes },
	{ "tlbs", CLI_SWEEP, "LIST", "TLBs E:W or 0, comma-separated (default: --tlb)", set_tlbs },
	{ "shard", CLI_SWEEP, "I/N", "only the rows whose index is I modulo N (I >= 0, taken modulo N)", set_shard },
	{ "max", CLI_THRASH, "K", "thrash: run 1, 2, ..., K copies of the trace (default 8, at most 64)", set_max_copies },
	{ "format", CLI_THRASH, "FMT", "trace format: auto lackey text pages vmt oracleGeneral (or oracle) din (default auto)", set_format },
	{ "json", CLI_THRASH, NULL, "print one JSON object: the machine and a point per number of processes", set_json },
	{ "csv", CLI_ANALYSIS, NULL, "CSV: a header row, then one row per point", set_csv },
	{ "plot", CLI_ANALYSIS, "FILE", "draw the result into FILE, .png or .svg, with gnuplot", set_plot },
	{ "j", CLI_GRID, "N", "threads (default: one per core)", set_jobs },
	{ "quiet", CLI_PROGRESS, NULL, "no progress line on a terminal's stderr", set_quiet },
	{ "timeline", CLI_RUN, "N", "a vmstat-like line every N references (default 0: none)", set_timeline },
	{ "timeline-csv", CLI_RUN, "FILE", "write the --timeline lines to FILE as CSV", set_timeline_csv },
	{ "steps", CLI_STEPS, "[N]", "print one line per page reference for the first N (all without N): TLB, HIT or MISS, victim, memory in the policy's order, counts", set_steps },
	{ "html", CLI_STEPS | CLI_HTML, "FILE", "write an interactive, self-contained HTML view of the steps (explain: of each translation)", set_html },
};

/* The bits of cli_opts_t.given are indices into cli_options. */
_Static_assert(sizeof cli_options / sizeof cli_options[0] <= CLI_MAX_OPTIONS,
	       "cli_opts_t.given has CLI_MAX_OPTIONS bits");

/* Whether option i of the table was given; mark it given. */
static int cli_bit(const cli_opts_t *o, size_t i)
{
	return (int)(o->given[i / 64] >> (i % 64) & 1);
}

static void cli_set_bit(cli_opts_t *o, size_t i)
{
	o->given[i / 64] |= 1ull << (i % 64);
}

static const cli_option_t *cli_find(const char *name, size_t len, unsigned groups);

/* "--name" or, for a one-letter name, "-n". */
static const char *cli_dashes(const cli_option_t *op)
{
	return op->name[1] ? "--" : "-";
}

void cli_print_options(unsigned groups)
{
	for (size_t i = 0; i < sizeof cli_options / sizeof cli_options[0]; i++) {
		const cli_option_t *op = &cli_options[i];
		if (!(op->group & groups) || (op->set == set_frames && (groups & CLI_FRAMES_LIST)) ||
		    cli_find(op->name, strlen(op->name), groups) != op)
			continue;
		char left[40];
		snprintf(left, sizeof left, "%s%s%s%s", cli_dashes(op), op->name, op->arg ? " " : "",
			 op->arg ? op->arg : "");
		printf("  %-22s %s\n", left, op->help);
	}
	printf("  %-22s %s\n", "--help", "this text");
}

/* The option called name (text up to '=' or the end) among groups, or NULL;
 * one in a command's own group (CLI_OWN_GROUPS) first. */
static const cli_option_t *cli_find(const char *name, size_t len, unsigned groups)
{
	const cli_option_t *shared = NULL;
	for (size_t i = 0; i < sizeof cli_options / sizeof cli_options[0]; i++) {
		const cli_option_t *op = &cli_options[i];
		if (!(op->group & groups) || strlen(op->name) != len || strncmp(op->name, name, len))
			continue;
		if (op->group & CLI_OWN_GROUPS)
			return op;
		if (!shared)
			shared = op;
	}
	return shared;
}

/* msg into err (errlen bytes) with each whole copy of a value longer than
 * a quoted word cut short (CLIP), so that the reason around it fits. */
static void cli_clip_value(char *err, size_t errlen, const char *msg, const char *value)
{
	size_t vn = value ? strlen(value) : 0, at = 0;
	const char *p = msg, *hit;
	while (vn > CLIP_WORD && (hit = strstr(p, value))) {
		at += (size_t)snprintf(err + at, errlen - at, "%.*s%s", (int)(hit - p), p, CLIP(value, vn));
		if (at >= errlen)
			return;
		p = hit + vn;
	}
	snprintf(err + at, errlen - at, "%s", p);
}

/* Apply op's argument (op->set), its message built with room for the whole
 * argument (a --frames of 5,000 digits) and the argument then cut short in
 * it: the reason always fits err.  0 or op->set's error. */
static int cli_apply(const cli_option_t *op, cli_opts_t *o, const char *arg, char *err,
		     size_t errlen)
{
	size_t room = errlen + (arg ? 2 * strlen(arg) : 0); /* a message quotes it at most twice */
	char *msg = malloc(room);
	if (!msg)
		return op->set(o, arg, err, errlen);
	msg[0] = 0;
	int rc = op->set(o, arg, msg, room);
	if (rc)
		cli_clip_value(err, errlen, msg, arg);
	free(msg);
	return rc;
}

/* Any option of that name: a command parses only one of the groups that
 * share a name (run's --frames N, mrc's --frames LIST). */
int cli_given(const cli_opts_t *o, const char *name)
{
	for (size_t i = 0; i < sizeof cli_options / sizeof cli_options[0]; i++)
		if (!strcmp(cli_options[i].name, name) && cli_bit(o, i))
			return 1;
	return 0;
}

int cli_parse(cli_opts_t *o, int argc, char **argv, unsigned groups, const char *usage)
{
	const char *cmd = argv[0];
	char err[512];
	vm_config_default(&o->cfg);
	o->format = TRACE_FMT_AUTO;
	o->access = 'r';
	o->dashdash = -1;
	o->max_fault_rate = 0.001;
	o->usage = usage;
	o->args = calloc((size_t)argc, sizeof *o->args);
	if (!o->args)
		return CLI_EXIT_FAIL;
	int only_args = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_args || a[0] != '-' || !strcmp(a, "-")) {
			o->args[o->nargs++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			o->dashdash = o->nargs;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("%s\n\nOptions:\n", usage);
			cli_print_options(groups);
			return -1;
		}
		const char *name = a + 2, *eq = strchr(a, '=');
		const cli_option_t *op = a[1] == '-' ?
			cli_find(name, eq ? (size_t)(eq - name) : strlen(name), groups) : NULL;
		if (a[1] != '-' && (op = cli_find(a + 1, 1, groups)) != NULL) {
			/* -jN, -j=N or -j N */
			eq = a[2] == '=' ? a + 2 : a[2] ? a + 1 : NULL;
		}
		if (!op || (a[1] != '-' && !op->arg && a[2])) {
			fprintf(stderr, "vmlab %s: unknown option '%s' (try vmlab %s --help)\n", cmd, a, cmd);
			return CLI_EXIT_USAGE;
		}
		const char *dashes = cli_dashes(op);
		const char *arg = NULL;
		int optional = op->arg && op->arg[0] == '[';
		if (op->arg) {
			if (eq)
				arg = eq + 1;
			else if (optional)
				arg = i + 1 < argc && cli_is_decimal(argv[i + 1]) ? argv[++i] : NULL;
			else
				arg = i + 1 < argc ? argv[++i] : NULL;
			if (!arg && !optional) {
				fprintf(stderr, "vmlab %s: %s%s needs %s\n", cmd, dashes, op->name, op->arg);
				return CLI_EXIT_USAGE;
			}
		} else if (eq) {
			fprintf(stderr, "vmlab %s: %s%s takes no value\n", cmd, dashes, op->name);
			return CLI_EXIT_USAGE;
		}
		if (cli_apply(op, o, arg, err, sizeof err)) {
			fprintf(stderr, "vmlab %s: %s%s: %s\n", cmd, dashes, op->name, err);
			return CLI_EXIT_USAGE;
		}
		cli_set_bit(o, (size_t)(op - cli_options));
	}
	return CLI_EXIT_OK;
}

/* "unknown setting NAME; known: ..." listing the options of groups. */
static int cli_unknown_setting(const char *name, unsigned groups, char *err, size_t errlen)
{
	if (cli_find(name, strlen(name), CLI_SCRIPT_ARGS | CLI_LIMITS)) {
		snprintf(err, errlen, "'%s' cannot be set by a script, only given on the command line", name);
		return VM_EPERM;
	}
	int at = snprintf(err, errlen, "unknown setting '%s'; known:", name);
	for (size_t i = 0; i < sizeof cli_options / sizeof cli_options[0] && at > 0 && (size_t)at < errlen; i++)
		if (cli_options[i].group & groups)
			at += snprintf(err + at, errlen - (size_t)at, " %s", cli_options[i].name);
	return VM_ENOENT;
}

int cli_set_option(cli_opts_t *o, const char *name, const char *value, unsigned groups,
		   char *err, size_t errlen)
{
	const cli_option_t *op = cli_find(name, strlen(name), groups);
	if (!op)
		return cli_unknown_setting(name, groups, err, errlen);
	if (cli_bit(o, (size_t)(op - cli_options)))
		return 1;
	return cli_apply(op, o, value, err, errlen);
}
