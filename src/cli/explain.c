/* explain.c - `vmlab explain`: translations worked step by step, as CS:APP
 * section 9.6.4 does by hand, through the same MMU code as `run`. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "explain.h"
#include "html.h"
#include "hw/cache.h"
#include "hw/pte.h"
#include "hw/walk8.h"
#include "kern/explain.h"
#include "util/clip.h"
#include "util/num.h"
#include "util/vmerr.h"

static const char explain_usage[] =
	"usage: vmlab explain [OPTIONS] VA...\n"
	"\n"
	"Translate each virtual address (a C literal, e.g. 0x3d4) from the same\n"
	"starting state and print every step: VPN/VPO, TLB index/tag, hit or miss,\n"
	"each level's index, PTE address and PTE, then the PPN and PA, or the fault.\n"
	"\n"
	"State file lines (numbers as C literals, '#' comments):\n"
	"  pte VPN PPN [FLAGS]     a present leaf entry; FLAGS letters of rwxu (default rwu)\n"
	"  pte VPN -               an entry that is not present\n"
	"  tlb VPN PPN [ASID [FLAGS]]  a TLB entry (ASID default 0, FLAGS default rwu)\n"
	"  cache SET TAG BYTE...   a valid cache line (used with --cache; B bytes)\n"
	"\n"
	"Options of explain alone:\n"
	"  --cache S:E:B          after the PA, look it up in a cache of S sets, E lines\n"
	"                         a set, B-byte blocks (CS:APP 9.6.4): CO, CI, CT, hit\n"
	"                         or miss, and the byte on a hit\n"
	"  --pte-format ostep     OSTEP's paging-multilevel-translate.py machine instead:\n"
	"                         32-byte pages, 15-bit VA, 12-bit PA, two levels of\n"
	"                         1-byte entries (bit 7 valid, 7-bit PFN), no TLB\n"
	"  --memory FILE          ostep: the memory dump (lines `page N: HEX...`, as\n"
	"                         that script prints it; other lines ignored)\n"
	"  --pdbr PFN             ostep: the page directory's frame (default: the\n"
	"                         dump's `PDBR:` line)\n"
	"  --json                 one JSON array of objects, one a VA, same keys";

/* One line of a state file. */
#define STATE_CACHE_BYTES 64   /* the largest block a `cache` line may give */

typedef struct state_line {
	int is_tlb;
	int is_cache;            /* cache SET TAG BYTE...: set in vpn, tag in ppn */
	unsigned nbytes;
	uint8_t bytes[STATE_CACHE_BYTES];
	int present;
	uint64_t vpn, ppn, asid;
	uint64_t flags;          /* PTE_W | PTE_U | PTE_NX */
	unsigned lineno;
} state_line_t;

typedef struct state {
	state_line_t *v;
	size_t n, cap;
} state_t;

/* FLAGS letters into PTE bits; returns 0 or -1 with the reason in err. */
static int parse_flags(const char *s, uint64_t *flags, char *err, size_t errlen)
{
	int r = 0, w = 0, x = 0, u = 0;
	for (const char *c = s; *c; c++) {
		int *bit = *c == 'r' ? &r : *c == 'w' ? &w : *c == 'x' ? &x : *c == 'u' ? &u : NULL;
		if (!bit || *bit) {
			snprintf(err, errlen, "bad flags '%s': letters of rwxu, each once", CLIP(s, strlen(s)));
			return -1;
		}
		*bit = 1;
	}
	if (!r) {
		snprintf(err, errlen, "bad flags '%s': a present page is always readable here (as on x86), so include r",
			 CLIP(s, strlen(s)));
		return -1;
	}
	*flags = (w ? PTE_W : 0) | (u ? PTE_U : 0) | (x ? 0 : PTE_NX);
	return 0;
}

/* Parse a number word; returns 0 or -1 with the reason in err. */
static int parse_num(const char *word, const char *what, uint64_t *v, char *err, size_t errlen)
{
	if (num_parse_u64(word, v, 0)) {
		snprintf(err, errlen, "bad %s '%s': expected a number such as 0x1f or 31", what, CLIP(word, strlen(word)));
		return -1;
	}
	return 0;
}

/* Parse the words of one state line into *sl. */
static int parse_state_words(char **w, int n, state_line_t *sl, char *err, size_t errlen)
{
	sl->flags = PTE_W | PTE_U | PTE_NX;
	sl->present = 1;
	if (!strcmp(w[0], "pte")) {
		if (n < 3 || n > 4) {
			snprintf(err, errlen, "expected 'pte VPN PPN [FLAGS]' or 'pte VPN -'");
			return -1;
		}
		if (parse_num(w[1], "VPN", &sl->vpn, err, errlen))
			return -1;
		if (!strcmp(w[2], "-")) {
			if (n != 3) {
				snprintf(err, errlen, "'pte VPN -' takes nothing after the -");
				return -1;
			}
			sl->present = 0;
			return 0;
		}
		return parse_num(w[2], "PPN", &sl->ppn, err, errlen) ||
		       (n == 4 && parse_flags(w[3], &sl->flags, err, errlen)) ? -1 : 0;
	}
	if (!strcmp(w[0], "tlb")) {
		sl->is_tlb = 1;
		if (n < 3 || n > 5) {
			snprintf(err, errlen, "expected 'tlb VPN PPN [ASID [FLAGS]]'");
			return -1;
		}
		return parse_num(w[1], "VPN", &sl->vpn, err, errlen) ||
		       parse_num(w[2], "PPN", &sl->ppn, err, errlen) ||
		       (n >= 4 && parse_num(w[3], "ASID", &sl->asid, err, errlen)) ||
		       (n == 5 && parse_flags(w[4], &sl->flags, err, errlen)) ? -1 : 0;
	}
	if (!strcmp(w[0], "cache")) {
		sl->is_cache = 1;
		if (n < 4 || n > 3 + STATE_CACHE_BYTES) {
			snprintf(err, errlen, "expected 'cache SET TAG BYTE...' (1 to %d bytes)", STATE_CACHE_BYTES);
			return -1;
		}
		if (parse_num(w[1], "SET", &sl->vpn, err, errlen) || parse_num(w[2], "TAG", &sl->ppn, err, errlen))
			return -1;
		for (int i = 3; i < n; i++) {
			uint64_t b;
			if (parse_num(w[i], "BYTE", &b, err, errlen))
				return -1;
			if (b > 0xff) {
				snprintf(err, errlen, "bad BYTE '%s': above 0xff", CLIP(w[i], strlen(w[i])));
				return -1;
			}
			sl->bytes[sl->nbytes++] = (uint8_t)b;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown command '%s': expected pte, tlb or cache", CLIP(w[0], strlen(w[0])));
	return -1;
}

/* Read one line of f into line (cap bytes, without its '\n', NUL ended).
 * Returns 1 for a line, 0 at the end of the file, -1 for a line that does
 * not fit and -2 for a NUL byte in it (the rest of the line is not read). */
static int state_getline(FILE *f, char *line, size_t cap)
{
	size_t n = 0;
	int c;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == 0)
			return -2;
		if (n + 2 >= cap)   /* room for the '\n' and the NUL, as fgets */
			return -1;
		line[n++] = (char)c;
	}
	line[n] = 0;
	return c == EOF && n == 0 ? 0 : 1;
}

/* Read a state file (or, when text is not NULL, that text under the name
 * path); on a bad line prints FILE:LINE: reason and returns 2. */
static int state_read(const char *path, const char *text, state_t *st)
{
	FILE *f = text ? fmemopen((void *)text, strlen(text), "r") : fopen(path, "r");
	struct stat sb;
	if (!f || (!text && fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode))) {
		fprintf(stderr, "vmlab explain: %s: %s\n", path, f ? "is a directory" : strerror(errno));
		if (f)
			fclose(f);
		return CLI_EXIT_USAGE;
	}
	char line[1024], err[256];
	unsigned lineno = 0;
	int status = CLI_EXIT_OK, got;
	while (status == CLI_EXIT_OK && (got = state_getline(f, line, sizeof line)) != 0) {
		lineno++;
		if (got < 0) {
			if (got == -1)
				fprintf(stderr, "%s:%u: line longer than %zu characters\n", path, lineno, sizeof line - 2);
			else
				fprintf(stderr, "%s:%u: a NUL byte in the line (a state file is text)\n", path, lineno);
			status = CLI_EXIT_USAGE;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		enum { MAXW = 3 + STATE_CACHE_BYTES };
		char *w[MAXW];
		int n = 0;
		for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"))
			if (n < MAXW)
				w[n++] = tok;
			else
				n = MAXW + 1;
		if (n == 0)
			continue;
		state_line_t sl = { .lineno = lineno };
		int too_many = n > (strcmp(w[0], "cache") ? 8 : MAXW);
		if (too_many)
			snprintf(err, sizeof err, "too many words");
		if (too_many || parse_state_words(w, n, &sl, err, sizeof err)) {
			fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
			status = CLI_EXIT_USAGE;
			break;
		}
		if (st->n == st->cap) {
			st->cap = st->cap ? st->cap * 2 : 16;
			state_line_t *v = realloc(st->v, st->cap * sizeof *v);
			if (!v) {
				status = CLI_EXIT_FAIL;
				break;
			}
			st->v = v;
		}
		st->v[st->n++] = sl;
	}
	if (status == CLI_EXIT_OK && ferror(f)) {
		fprintf(stderr, "vmlab explain: %s: read error\n", path);
		status = CLI_EXIT_USAGE;
	}
	fclose(f);
	return status;
}

/* Build a machine holding the state; a line out of range is FILE:LINE. */
static int state_apply(const cli_opts_t *o, const state_t *st, vm_machine_t **vm)
{
	char err[512];
	vm_config_t cfg = o->cfg;
	if (cfg.pte_size == PTE32_SIZE) { /* tables follow the highest frame named */
		for (size_t i = 0; i < st->n; i++) {
			const state_line_t *sl = &st->v[i];
			if (sl->is_cache || (!sl->is_tlb && !sl->present))
				continue;
			if (sl->ppn >> (cfg.pa_bits - (unsigned)__builtin_ctz(cfg.page_size))) {
				fprintf(stderr, "%s:%u: number out of range (PPN below 2^%u)\n", o->state,
					sl->lineno, cfg.pa_bits - (unsigned)__builtin_ctz(cfg.page_size));
				return CLI_EXIT_USAGE;
			}
			if (sl->ppn >= cfg.frames)
				cfg.frames = (uint32_t)sl->ppn + 1;
		}
	}
	if (vm_create(vm, &cfg, NULL, err, sizeof err)) {
		fprintf(stderr, "vmlab explain: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	int rc = vm_explain_proc(*vm, 0);
	if (rc) { /* its root table alone */
		fprintf(stderr, "vmlab explain: %s: the root page table passes the host-memory budget (--max-memory %llu)\n",
			vm_strerror(rc), (unsigned long long)o->cfg.max_memory);
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < st->n; i++) {
		const state_line_t *sl = &st->v[i];
		if (sl->is_cache)
			continue;   /* cache_apply's */
		rc = sl->is_tlb ? (sl->asid > UINT32_MAX ? VM_ERANGE
					: vm_tlb_insert(*vm, (uint32_t)sl->asid, sl->vpn, sl->ppn, sl->flags))
				    : vm_set_pte(*vm, 0, sl->vpn, sl->present, sl->ppn, sl->flags);
		if (rc == VM_ELIMIT || rc == VM_ENOMEM) { /* its page tables: host memory */
			fprintf(stderr, "%s:%u: %s: the page tables this line needs pass the host-memory budget (--max-memory %llu)\n",
				o->state, sl->lineno, vm_strerror(rc), (unsigned long long)o->cfg.max_memory);
			return CLI_EXIT_USAGE;
		}
		if (rc) {
			const geom_t *g = vm_geom(*vm);
			fprintf(stderr, "%s:%u: %s (VPN below 2^%u, PPN below 2^%u%s)\n", o->state,
				sl->lineno, rc == VM_ERANGE ? "number out of range" : vm_strerror(rc),
				g->vpn_bits, g->pa_bits - g->page_shift,
				sl->is_tlb ? ", ASID below 2^32" : "");
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

/* Bits [lo, lo+n) of v as binary digits appended to buf. */
static void put_bits(char *buf, size_t len, uint64_t v, unsigned lo, unsigned n)
{
	size_t at = strlen(buf);
	if (at && at + 1 < len)
		buf[at++] = ' ';
	for (unsigned i = n; i-- > 0 && at + 1 < len;)
		buf[at++] = (char)('0' + ((v >> (lo + i)) & 1));
	buf[at] = 0;
}

static void print_pte_bits(FILE *out, const char *key, uint64_t pte)
{
	fprintf(out, "%s: ", key);
	if (!(pte & PTE_P)) {
		fprintf(out, "not-present%s\n", pte & PTE_SWAP ? " swap" : "");
		return;
	}
	fprintf(out, "P%s%s%s%s%s%s\n", pte & PTE_W ? " W" : "", pte & PTE_U ? " U" : "",
	       pte & PTE_A ? " A" : "", pte & PTE_D ? " D" : "", pte & PTE_G ? " G" : "",
	       pte & PTE_NX ? " NX" : "");
}

/* Print the whole working of one translation. */
/* Returns 1 with the PA in *pa when the translation succeeds, else 0; html
 * (if not NULL) records the steps for --html. */
static int explain_one(FILE *out, vm_machine_t *vm, uint64_t va, int access, int mode,
		       uint64_t *pa, html_explain_t *html)
{
	const geom_t *g = vm_geom(vm);
	const tlb_t *t = vm_tlb(vm);
	uint64_t vpn = geom_vpn(g, va);
	char bits[160] = "";
	for (unsigned l = g->levels; l-- > 0;)
		put_bits(bits, sizeof bits, va, g->level_shift[l], g->level_bits[l]);
	put_bits(bits, sizeof bits, va, 0, g->page_shift);
	fprintf(out, "VA: 0x%llx\naccess: %c\n", (unsigned long long)va, access);
	if (mode) { /* --mode: the CPU's mode and the half va lies in */
		vm_explain_mode(vm, mode == 'k');
		fprintf(out, "mode: %s\nhalf: %s\n", mode == 'k' ? "kernel" : "user",
			vm_is_kernel(vm, va) ? "kernel" : "user");
	}
	fprintf(out, "VA_bits: %s\n", bits);
	fprintf(out, "VPN: 0x%llx\nVPO: 0x%llx\n", (unsigned long long)vpn,
	       (unsigned long long)geom_vpo(g, va));
	if (t->sets) {
		fprintf(out, "TLBI: 0x%llx\nTLBT: 0x%llx\n", (unsigned long long)tlb_set_of(t, vpn),
		       (unsigned long long)tlb_tag_of(t, vpn));
	} else {
		fprintf(out, "TLBI: -\nTLBT: -\n");
	}
	mmu_access_t acc = access == 'w' ? MMU_WRITE : access == 'x' ? MMU_EXEC : MMU_READ;
	mmu_result_t r;
	mmu_log_t log;
	vm_translate_logged(vm, 0, va, acc, &r, &log);
	if (html)
		html_explain_add(html, vm, va, access, mode, &r, &log);
	fprintf(out, "TLB: %s\n", log.tlb_hit ? "hit" : "miss");
	for (unsigned i = 0; i < log.nsteps; i++) {
		char key[32];
		fprintf(out, g->pte_size == PTE32_SIZE ? "L%u_index: 0x%llx\nL%u_pte_addr: 0x%llx\nL%u_pte: 0x%08llx\n"
			: "L%u_index: 0x%llx\nL%u_pte_addr: 0x%llx\nL%u_pte: 0x%llx\n", i + 1,
		       (unsigned long long)log.steps[i].index, i + 1,
		       (unsigned long long)log.steps[i].pte_pa, i + 1,
		       (unsigned long long)log.steps[i].pte);
		snprintf(key, sizeof key, "L%u_pte_bits", i + 1);
		print_pte_bits(out, key, log.steps[i].pte);
	}
	if (r.status == MMU_OK) {
		*pa = geom_frame_pa(g, r.pfn) | geom_vpo(g, va);
		fprintf(out, "PPN: 0x%llx\nPA: 0x%llx\nresult: ok\n", (unsigned long long)r.pfn,
		       (unsigned long long)*pa);
		return 1;
	} else if (r.status == MMU_FAULT_NOT_PRESENT) {
		fprintf(out, "PPN: -\nPA: -\nresult: page fault (L%u entry not present)\n", r.fault_level);
	} else {
		fprintf(out, "PPN: -\nPA: -\nresult: protection fault (%s)\n", mmu_reason_name(r.reason));
	}
	return 0;
}

/* Options of explain alone, taken out of argv before cli_parse sees it. */
typedef struct explain_opts {
	int ostep, json;
	const char *memory;
	int has_pdbr;
	uint64_t pdbr;
	int has_cache;
	unsigned sets, ways, block;
} explain_opts_t;

/* Parse S:E:B; returns 0 or -1. */
static int parse_cache_shape(const char *s, explain_opts_t *x)
{
	uint64_t v[3];
	char buf[64];
	snprintf(buf, sizeof buf, "%s", s);
	char *save = NULL, *tok = strtok_r(buf, ":", &save);
	for (int i = 0; i < 3; i++, tok = strtok_r(NULL, ":", &save))
		if (!tok || num_parse_u64(tok, &v[i], 0) || v[i] == 0 || v[i] > (1u << 24))
			return -1;
	if (tok || (v[0] & (v[0] - 1)) || (v[2] & (v[2] - 1)) || v[2] > STATE_CACHE_BYTES)
		return -1;
	x->sets = (unsigned)v[0];
	x->ways = (unsigned)v[1];
	x->block = (unsigned)v[2];
	return 0;
}

/* Remove explain's own options from argv (compacting it, *argc updated).
 * Returns 0, or CLI_EXIT_USAGE after printing why. */
static int explain_take_opts(int *argc, char **argv, explain_opts_t *x)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) { /* the rest is VAs */
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		static const char *const names[] = { "--pte-format", "--memory", "--pdbr", "--cache", "--json" };
		int k = -1;
		size_t len = 0;
		for (int j = 0; j < 5; j++) {
			len = strlen(names[j]);
			if (!strncmp(a, names[j], len) && (a[len] == 0 || a[len] == '=')) {
				k = j;
				break;
			}
		}
		if (k < 0) {
			argv[out++] = argv[i];
			continue;
		}
		const char *v = a[len] == '=' ? a + len + 1 : NULL;
		if (k == 4) {
			if (v) {
				fprintf(stderr, "vmlab explain: --json takes no value\n");
				return CLI_EXIT_USAGE;
			}
			x->json = 1;
			continue;
		}
		if (!v && i + 1 < *argc)
			v = argv[++i];
		if (!v) {
			fprintf(stderr, "vmlab explain: %s needs a value\n", names[k]);
			return CLI_EXIT_USAGE;
		}
		if (k == 0) {
			if (strcmp(v, "ostep") && strcmp(v, "native")) {
				fprintf(stderr, "vmlab explain: --pte-format: '%s': expected ostep (or native, the default)\n", v);
				return CLI_EXIT_USAGE;
			}
			x->ostep = !strcmp(v, "ostep");
		} else if (k == 1) {
			x->memory = v;
		} else if (k == 2) {
			if (num_parse_u64(v, &x->pdbr, 0) || x->pdbr >= WALK8_FRAMES) {
				fprintf(stderr, "vmlab explain: --pdbr: '%s' is not a frame number below %u\n", v, WALK8_FRAMES);
				return CLI_EXIT_USAGE;
			}
			x->has_pdbr = 1;
		} else {
			if (parse_cache_shape(v, x)) {
				fprintf(stderr, "vmlab explain: --cache: '%s' is not S:E:B (sets and block bytes powers of two, B at most %d; e.g. 16:1:4)\n",
					v, STATE_CACHE_BYTES);
				return CLI_EXIT_USAGE;
			}
			x->has_cache = 1;
		}
	}
	argv[out] = NULL;
	*argc = out;
	return CLI_EXIT_OK;
}

/* Fill the cache from the state's cache lines; a bad line is FILE:LINE. */
static int cache_apply(const cli_opts_t *o, const state_t *st, cache_t *c, unsigned pa_bits)
{
	unsigned tag_bits = pa_bits > c->s_bits + c->b_bits ? pa_bits - c->s_bits - c->b_bits : 0;
	for (size_t i = 0; i < st->n; i++) {
		const state_line_t *sl = &st->v[i];
		if (!sl->is_cache)
			continue;
		const char *why = NULL;
		char buf[128];
		if (sl->nbytes != c->block) {
			snprintf(buf, sizeof buf, "cache line has %u bytes; --cache gives %u-byte blocks",
				 sl->nbytes, c->block);
			why = buf;
		} else if (tag_bits < 64 && (sl->ppn >> tag_bits)) {
			snprintf(buf, sizeof buf, "TAG out of range (below 2^%u: PA bits less CI and CO bits)", tag_bits);
			why = buf;
		} else {
			int rc = cache_put(c, sl->vpn, sl->ppn, sl->bytes);
			if (rc == VM_ERANGE) {
				snprintf(buf, sizeof buf, "SET out of range (below %u)", c->sets);
				why = buf;
			} else if (rc == VM_ENOSPC) {
				snprintf(buf, sizeof buf, "set %llu already holds %u valid lines (E)",
					 (unsigned long long)sl->vpn, c->ways);
				why = buf;
			} else if (rc) {
				return CLI_EXIT_FAIL;
			}
		}
		if (why) {
			fprintf(stderr, "%s:%u: %s\n", o->state, sl->lineno, why);
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

/* The cache step after a PA: CO, CI, CT (as many hex digits as its bits
 * need), hit or miss, and the byte on a hit. */
static void explain_cache(FILE *out, const cache_t *c, uint64_t pa, unsigned pa_bits)
{
	unsigned tag_bits = pa_bits > c->s_bits + c->b_bits ? pa_bits - c->s_bits - c->b_bits : 1;
	const cache_line_t *l = cache_lookup(c, pa);
	fprintf(out, "CO: 0x%llx\nCI: 0x%llx\nCT: 0x%0*llx\ncache: %s\n",
		(unsigned long long)cache_co(c, pa), (unsigned long long)cache_ci(c, pa),
		(int)((tag_bits + 3) / 4), (unsigned long long)cache_ct(c, pa), l ? "hit" : "miss");
	if (l)
		fprintf(out, "byte: 0x%02x\n", l->bytes[cache_co(c, pa)]);
	else
		fprintf(out, "byte: -\n");
}

/* Read an OSTEP memory dump into mem (WALK8_MEM bytes, zero where no page
 * line gives it); a `PDBR: N` line sets *pdbr if not given.  A bad page
 * line is FILE:LINE. */
static int memory_read(const char *path, uint8_t *mem, explain_opts_t *x)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "vmlab explain: %s: %s\n", path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	char line[1024];
	unsigned lineno = 0;
	int status = CLI_EXIT_OK, seen[WALK8_FRAMES] = { 0 };
	while (status == CLI_EXIT_OK && fgets(line, sizeof line, f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "%s:%u: line longer than %zu characters\n", path, lineno, sizeof line - 2);
			status = CLI_EXIT_USAGE;
			break;
		}
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		unsigned long v;
		char *end;
		if (!strncmp(p, "PDBR:", 5)) {
			v = strtoul(p + 5, &end, 10);
			if (end != p + 5 && v < WALK8_FRAMES && !x->has_pdbr) {
				x->pdbr = v;
				x->has_pdbr = 1;
			}
			continue;
		}
		if (strncmp(p, "page", 4) || !(p[4] == ' ' || p[4] == '\t'))
			continue;   /* the script's other lines */
		p += 4;
		v = strtoul(p, &end, 10);
		if (end == p || *end != ':' || v >= WALK8_FRAMES) {
			fprintf(stderr, "%s:%u: expected 'page N:' with N below %u\n", path, lineno, WALK8_FRAMES);
			status = CLI_EXIT_USAGE;
			break;
		}
		if (seen[v]++) {
			fprintf(stderr, "%s:%u: page %lu given twice\n", path, lineno, v);
			status = CLI_EXIT_USAGE;
			break;
		}
		unsigned got = 0;
		for (p = end + 1; *p && *p != '\n';) {
			if (*p == ' ' || *p == '\t' || *p == '\r') {
				p++;
				continue;
			}
			if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || got == WALK8_PAGE_SIZE)
				break;
			char hex[3] = { p[0], p[1], 0 };
			mem[v * WALK8_PAGE_SIZE + got++] = (uint8_t)strtoul(hex, NULL, 16);
			p += 2;
		}
		if (got != WALK8_PAGE_SIZE || (*p && *p != '\n')) {
			fprintf(stderr, "%s:%u: page %lu: expected %u bytes as two hex digits each\n", path,
				lineno, v, WALK8_PAGE_SIZE);
			status = CLI_EXIT_USAGE;
		}
	}
	if (status == CLI_EXIT_OK && ferror(f)) {
		fprintf(stderr, "vmlab explain: %s: read error\n", path);
		status = CLI_EXIT_USAGE;
	}
	fclose(f);
	return status;
}

/* One OSTEP translation, in explain's keys. */
static void explain_ostep(FILE *out, const uint8_t *mem, unsigned pdbr, unsigned va)
{
	walk8_result_t r;
	walk8_translate(mem, pdbr, va, &r);
	char bits[32] = "";
	put_bits(bits, sizeof bits, va, 10, 5);
	put_bits(bits, sizeof bits, va, 5, 5);
	put_bits(bits, sizeof bits, va, 0, 5);
	fprintf(out, "VA: 0x%04x\nVA_bits: %s\nVPN: 0x%x\nVPO: 0x%x\nPDBR: 0x%x\n", va, bits,
		va >> WALK8_PAGE_SHIFT, va & (WALK8_PAGE_SIZE - 1), pdbr);
	for (unsigned i = 0; i < r.nsteps; i++) {
		const walk8_step_t *s = &r.steps[i];
		fprintf(out, "L%u_index: 0x%x\nL%u_pte_addr: 0x%03x\nL%u_pte: 0x%02x\nL%u_valid: %u\nL%u_pfn: 0x%02x\n",
			i + 1, s->index, i + 1, s->pte_pa, i + 1, s->pte, i + 1, s->valid, i + 1, s->pfn);
	}
	if (r.fault_level)
		fprintf(out, "PA: -\nvalue: -\nresult: page fault (L%u entry not valid)\n", r.fault_level);
	else
		fprintf(out, "PA: 0x%03x\nvalue: 0x%02x\nresult: ok\n", r.pa, mem[r.pa]);
}

/* explain's text blocks as one JSON array of objects, every value a string. */
static void blocks_to_json(const char *text)
{
	report_jobj_t j;
	int open = 0, nobj = 0;
	printf("[");
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n == 0) {
			if (open) {
				report_jobj_end(&j);
				open = 0;
			}
		} else {
			const char *colon = memchr(p, ':', n);
			char key[64], val[256];
			snprintf(key, sizeof key, "%.*s", colon ? (int)(colon - p) : (int)n, p);
			snprintf(val, sizeof val, "%.*s", colon ? (int)(n - (size_t)(colon - p) - (colon[1] == ' ' ? 2 : 1)) : 0,
				 colon ? colon + (colon[1] == ' ' ? 2 : 1) : p);
			if (!open) {
				printf("%s\n  ", nobj++ ? "," : "");
				report_jobj_begin(&j, stdout, "  ");
				open = 1;
			}
			report_jobj_key(&j, key);
			report_json_string(stdout, val);
		}
		p += n;
		if (*p)
			p++;
	}
	if (open)
		report_jobj_end(&j);
	printf("\n]\n");
}

int explain_main(int argc, char **argv, const char *state_text)
{
	cli_opts_t o = { 0 };
	state_t st = { 0 };
	explain_opts_t x = { 0 };
	cache_t cache = { 0 };
	vm_machine_t *vm = NULL;
	html_explain_t *html = NULL;
	uint8_t *mem = NULL;
	uint64_t *vas = NULL;
	char *text = NULL;
	size_t textlen = 0;
	FILE *out = stdout;
	int status = explain_take_opts(&argc, argv, &x);
	if (status)
		return status;
	status = cli_parse(&o, argc, argv, CLI_GEOMETRY | CLI_EXPLAIN | CLI_HTML | CLI_LIMITS,
			   explain_usage);
	if (status)
		goto out;
	o.cfg.frames = 1; /* explain maps frames by hand; the kernel owns none */
	if (!o.cfg.max_memory) /* page tables of a wide, shallow geometry are large */
		o.cfg.max_memory = cli_default_max_memory();
	char err[512];
	if (x.ostep) {
		static const char *const geometry[] = { "page-size", "va-bits", "pa-bits", "levels", "tlb", "state", "access" };
		for (size_t i = 0; i < sizeof geometry / sizeof geometry[0]; i++)
			if (cli_given(&o, geometry[i])) {
				fprintf(stderr, "vmlab explain: --%s does not go with --pte-format ostep (its machine is fixed: 32-byte pages, 15-bit VA, 12-bit PA, two levels, no TLB)\n",
					geometry[i]);
				status = CLI_EXIT_USAGE;
				goto out;
			}
		if (!x.memory || x.has_cache) {
			fprintf(stderr, "vmlab explain: --pte-format ostep %s\n", x.has_cache ?
				"has no cache (--cache goes with the native format)" : "needs --memory FILE (the script's dump)");
			status = CLI_EXIT_USAGE;
			goto out;
		}
		o.cfg.va_bits = WALK8_VA_BITS;
	} else if (x.memory || x.has_pdbr) {
		fprintf(stderr, "vmlab explain: --memory and --pdbr go with --pte-format ostep\n");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (!x.ostep && vm_config_check(&o.cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab explain: %s\n", err);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.nargs == 0) {
		fprintf(stderr, "vmlab explain: give at least one virtual address (try --help)\n");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	vas = (uint64_t *)calloc((size_t)o.nargs, sizeof *vas);
	for (int i = 0; vas && i < o.nargs; i++) {
		int bad = num_parse_u64(o.args[i], &vas[i], 0);
		unsigned b = o.cfg.va_bits;
		if (!bad && o.mode && b < 64 && vas[i] >> (b - 1) == ~0ull >> (b - 1))
			vas[i] &= (1ull << b) - 1; /* a sign-extended kernel address */
		if (bad || (b < 64 && (vas[i] >> b))) {
			fprintf(stderr, "vmlab explain: '%s' is not a virtual address below 2^%u\n",
				o.args[i], o.cfg.va_bits);
			status = CLI_EXIT_USAGE;
		}
	}
	if (!vas)
		status = CLI_EXIT_FAIL;
	if (status == CLI_EXIT_OK && x.ostep) {
		mem = calloc(WALK8_MEM, 1);
		status = !mem ? CLI_EXIT_FAIL : memory_read(x.memory, mem, &x);
		if (status == CLI_EXIT_OK && !x.has_pdbr) {
			fprintf(stderr, "vmlab explain: %s has no 'PDBR: N' line; give --pdbr PFN\n", x.memory);
			status = CLI_EXIT_USAGE;
		}
	}
	if (status == CLI_EXIT_OK && o.state)
		status = state_read(o.state, state_text, &st);
	if (status == CLI_EXIT_OK && o.html && !(html = html_explain_new()))
		status = CLI_EXIT_FAIL;
	if (status == CLI_EXIT_OK && x.has_cache) {
		int rc = cache_init(&cache, x.sets, x.ways, x.block);
		if (rc) {
			fprintf(stderr, "vmlab explain: --cache %u:%u:%u: %s\n", x.sets, x.ways, x.block,
				rc == VM_EINVAL ? "S*E*B at most 16 MiB" : "out of memory");
			status = CLI_EXIT_USAGE;
		} else {
			status = cache_apply(&o, &st, &cache, o.cfg.pa_bits);
		}
	}
	if (status == CLI_EXIT_OK && x.json) {
		out = open_memstream(&text, &textlen);
		if (!out) {
			out = stdout;
			status = CLI_EXIT_FAIL;
		}
	}
	for (int i = 0; status == CLI_EXIT_OK && i < o.nargs; i++) {
		if (i)
			fputc('\n', out);
		if (x.ostep) {
			explain_ostep(out, mem, (unsigned)x.pdbr, (unsigned)vas[i]);
			continue;
		}
		status = state_apply(&o, &st, &vm);
		if (status == CLI_EXIT_OK) {
			uint64_t pa;
			if (explain_one(out, vm, vas[i], o.access, o.mode, &pa, html) && x.has_cache)
				explain_cache(out, &cache, pa, o.cfg.pa_bits);
		}
		vm_destroy(vm);
		vm = NULL;
	}
	if (out != stdout) {
		fclose(out);
		if (status == CLI_EXIT_OK)
			blocks_to_json(text);
	}
	if (status == CLI_EXIT_OK && html)
		status = html_explain_write(html, o.html, "vmlab explain");
out:
	html_explain_free(html);
	free(text);
	free(vas);
	free(mem);
	cache_free(&cache);
	free(st.v);
	free(o.args);
	return status < 0 ? CLI_EXIT_OK : status;
}

int cmd_explain(int argc, char **argv)
{
	return explain_main(argc, argv, NULL);
}
