/* opts.c - the option table shared by the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "policy/policy.h"
#include "util/num.h"
#include "util/vmerr.h"

typedef struct cli_option {
	const char *name;        /* without the leading -- */
	unsigned group;
	const char *arg;         /* argument name, NULL for a flag */
	const char *help;
	/* Apply the argument; on error write the reason into err. */
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

/* --frames N, with K/M/G suffixes (x1024) as --swap takes them. */
static int set_frames(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = set_uint(arg, UINT32_MAX - 1, 1, &v, err, errlen);
	o->cfg.frames = (uint32_t)v;
	return rc;
}

static int set_tlb(cli_opts_t *o, const char *arg, char *err, size_t errlen)
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
	o->cfg.tlb_entries = (uint32_t)entries;
	o->cfg.tlb_ways = (uint32_t)ways;
	return VM_OK;
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

static int set_timeline(cli_opts_t *o, const char *arg, char *err, size_t errlen)
{
	return set_uint(arg, UINT64_MAX, 0, &o->cfg.timeline_every, err, errlen);
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

static const cli_option_t cli_options[] = {
	{ "page-size", CLI_GEOMETRY, "BYTES", "page size, a power of two from 16 to 64K (default 4096)", set_page_size },
	{ "va-bits", CLI_GEOMETRY, "N", "virtual address bits (default 48)", set_va_bits },
	{ "pa-bits", CLI_GEOMETRY, "N", "physical address bits, bounding user frame numbers (default 52)", set_pa_bits },
	{ "levels", CLI_GEOMETRY, "N", "page-table levels 1..5 (default: page_size/8 entries per level)", set_levels },
	{ "tlb", CLI_GEOMETRY, "E:W", "TLB entries and ways, LRU in a set; 0 for none (default 64:4)", set_tlb },
	{ "frames", CLI_MACHINE, "N", "user page frames of physical memory, K/M suffixes (default 64)", set_frames },
	{ "policy", CLI_MACHINE, "NAME", "replacement policy (default clock; see `vmlab policies`)", set_policy },
	{ "seed", CLI_MACHINE, "N", "seed of the random policy's xoshiro256** (default 1)", set_seed },
	{ "swap", CLI_MACHINE, "SIZE", "swap space in bytes, K/M/G suffixes (default: unbounded for a trace, 64M for a script)", set_swap },
	{ "max-memory", CLI_LIMITS, "SIZE", "host-memory budget for page tables, buffers, objects and processes, K/M/G suffixes (default: half the machine's memory)", set_max_memory },
	{ "lat-tlb", CLI_MACHINE, "NS", "latency of a TLB lookup (default 1)", set_lat_tlb },
	{ "lat-mem", CLI_MACHINE, "NS", "latency of a memory access (default 100)", set_lat_mem },
	{ "lat-minor", CLI_MACHINE, "NS", "cost of a minor fault (default 1000)", set_lat_minor },
	{ "lat-major", CLI_MACHINE, "NS", "cost of a major fault (default 5000000)", set_lat_major },
	{ "lat-writeback", CLI_MACHINE, "NS", "cost of writing a dirty page back (default 5000000)", set_lat_writeback },
	{ "lat-ssd", CLI_MACHINE, NULL, "an SSD: --lat-major and --lat-writeback 100000 (a later --lat-* wins)", set_lat_ssd },
	{ "format", CLI_TRACE, "FMT", "trace format: auto lackey text pages vmt oracleGeneral (or oracle) din (default auto)", set_format },
	{ "format", CLI_CONVERT, "FMT", "input format: auto lackey text pages vmt oracleGeneral din (default auto)", set_format },
	{ "to", CLI_CONVERT, "FMT", "output format: vmt lackey text (default: by OUT's extension .vmt .lackey .txt, else vmt)", set_to },
	{ "json", CLI_TRACE, NULL, "print one JSON object instead of the text summary", set_json },
	{ "access", CLI_EXPLAIN, "r|w|x", "the kind of access to translate (default r)", set_access },
	{ "state", CLI_EXPLAIN, "FILE", "page-table and TLB contents to start from", set_state },
	{ "swap-file", CLI_SCRIPT, "PATH", "swap to this file (default: a temporary file, removed at exit)", set_swap_file },
	{ "watermarks", CLI_SCRIPT, "MIN,LOW,HIGH", "free-frame watermarks of the page daemon, frames or % of frames (default 1%,2%,4%; 0,0,0: replace only when no frame is free)", set_watermarks },
	{ "readahead", CLI_SCRIPT, "N", "extra pages read on a swap-in or file fault (default 0)", set_readahead },
	{ "timeline", CLI_SCRIPT, "N", "a vmstat-like line every N references (default 0: none)", set_timeline },
	{ "events", CLI_SCRIPT, NULL, "one line per fault and eviction", set_events },
	{ "check", CLI_SCRIPT, NULL, "check the kernel's invariants after every operation (slow)", set_check },
	{ "max-steps", CLI_SCRIPT_ARGS, "N", "commands, repeat passes and references a script may execute (default 1000000000)", set_max_steps },
	{ "json", CLI_SCRIPT_ARGS, NULL, "print one JSON object on stdout; what the script prints goes to stderr", set_json },
	{ "root", CLI_SCRIPT_ARGS, "DIR", "the folder script paths are relative to (default: the script's folder)", set_root },
	{ "allow-any-path", CLI_SCRIPT_ARGS, NULL, "let script paths be absolute or leave that folder", set_allow_any_path },
};

/* The bits of cli_opts_t.given are indices into cli_options. */
_Static_assert(sizeof cli_options / sizeof cli_options[0] <= 64, "cli_opts_t.given has 64 bits");

void cli_print_options(unsigned groups)
{
	for (size_t i = 0; i < sizeof cli_options / sizeof cli_options[0]; i++) {
		const cli_option_t *op = &cli_options[i];
		if (!(op->group & groups) || (op->set == set_frames && (groups & CLI_FRAMES_LIST)))
			continue;
		char left[40];
		snprintf(left, sizeof left, "--%s%s%s", op->name, op->arg ? " " : "", op->arg ? op->arg : "");
		printf("  %-22s %s\n", left, op->help);
	}
	printf("  %-22s %s\n", "--help", "this text");
}

/* The option called name (text up to '=' or the end) among groups, or NULL. */
static const cli_option_t *cli_find(const char *name, size_t len, unsigned groups)
{
	for (size_t i = 0; i < sizeof cli_options / sizeof cli_options[0]; i++) {
		const cli_option_t *op = &cli_options[i];
		if ((op->group & groups) && strlen(op->name) == len && !strncmp(op->name, name, len))
			return op;
	}
	return NULL;
}

int cli_given(const cli_opts_t *o, const char *name)
{
	const cli_option_t *op = cli_find(name, strlen(name), ~0u);
	return op && (o->given & (1ull << (op - cli_options)));
}

int cli_parse(cli_opts_t *o, int argc, char **argv, unsigned groups, const char *usage)
{
	const char *cmd = argv[0];
	char err[512];
	vm_config_default(&o->cfg);
	o->format = TRACE_FMT_AUTO;
	o->access = 'r';
	o->dashdash = -1;
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
		if (!op) {
			fprintf(stderr, "vmlab %s: unknown option '%s' (try vmlab %s --help)\n", cmd, a, cmd);
			return CLI_EXIT_USAGE;
		}
		const char *arg = NULL;
		if (op->arg) {
			arg = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!arg) {
				fprintf(stderr, "vmlab %s: --%s needs %s\n", cmd, op->name, op->arg);
				return CLI_EXIT_USAGE;
			}
		} else if (eq) {
			fprintf(stderr, "vmlab %s: --%s takes no value\n", cmd, op->name);
			return CLI_EXIT_USAGE;
		}
		if (op->set(o, arg, err, sizeof err)) {
			fprintf(stderr, "vmlab %s: --%s: %s\n", cmd, op->name, err);
			return CLI_EXIT_USAGE;
		}
		o->given |= 1ull << (op - cli_options);
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
	if (o->given & (1ull << (op - cli_options)))
		return 1;
	return op->set(o, value, err, errlen);
}
