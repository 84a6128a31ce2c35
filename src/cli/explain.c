/* explain.c - `vmlab explain`: translations worked step by step, as CS:APP
 * section 9.6.4 does by hand, through the same MMU code as `run`. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "html.h"
#include "hw/pte.h"
#include "kern/explain.h"
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
	"  tlb VPN PPN [ASID [FLAGS]]  a TLB entry (ASID default 0, FLAGS default rwu)";

/* One line of a state file. */
typedef struct state_line {
	int is_tlb;
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
			snprintf(err, errlen, "bad flags '%s': letters of rwxu, each once", s);
			return -1;
		}
		*bit = 1;
	}
	if (!r) {
		snprintf(err, errlen, "bad flags '%s': a present page is always readable here (as on x86), so include r", s);
		return -1;
	}
	*flags = (w ? PTE_W : 0) | (u ? PTE_U : 0) | (x ? 0 : PTE_NX);
	return 0;
}

/* Parse a number word; returns 0 or -1 with the reason in err. */
static int parse_num(const char *word, const char *what, uint64_t *v, char *err, size_t errlen)
{
	if (num_parse_u64(word, v, 0)) {
		snprintf(err, errlen, "bad %s '%s': expected a number such as 0x1f or 31", what, word);
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
	snprintf(err, errlen, "unknown command '%s': expected pte or tlb", w[0]);
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

/* Read a state file; on a bad line prints FILE:LINE: reason and returns 2. */
static int state_read(const char *path, state_t *st)
{
	FILE *f = fopen(path, "r");
	struct stat sb;
	if (!f || (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode))) {
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
		char *w[8];
		int n = 0;
		for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n"))
			if (n < 8)
				w[n++] = tok;
			else
				n = 9;
		if (n == 0)
			continue;
		state_line_t sl = { .lineno = lineno };
		if (n > 8)
			snprintf(err, sizeof err, "too many words");
		if (n > 8 || parse_state_words(w, n, &sl, err, sizeof err)) {
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
	if (vm_create(vm, &o->cfg, NULL, err, sizeof err)) {
		fprintf(stderr, "vmlab explain: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < st->n; i++) {
		const state_line_t *sl = &st->v[i];
		int rc = sl->is_tlb ? (sl->asid > UINT32_MAX ? VM_ERANGE
					: vm_tlb_insert(*vm, (uint32_t)sl->asid, sl->vpn, sl->ppn, sl->flags))
				    : vm_set_pte(*vm, 0, sl->vpn, sl->present, sl->ppn, sl->flags);
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

static void print_pte_bits(const char *key, uint64_t pte)
{
	printf("%s: ", key);
	if (!(pte & PTE_P)) {
		printf("not-present%s\n", pte & PTE_SWAP ? " swap" : "");
		return;
	}
	printf("P%s%s%s%s%s\n", pte & PTE_W ? " W" : "", pte & PTE_U ? " U" : "",
	       pte & PTE_A ? " A" : "", pte & PTE_D ? " D" : "", pte & PTE_NX ? " NX" : "");
}

/* Print the whole working of one translation. */
static void explain_one(vm_machine_t *vm, uint64_t va, int access, html_explain_t *html)
{
	const geom_t *g = vm_geom(vm);
	const tlb_t *t = vm_tlb(vm);
	uint64_t vpn = geom_vpn(g, va);
	char bits[160] = "";
	for (unsigned l = g->levels; l-- > 0;)
		put_bits(bits, sizeof bits, va, g->level_shift[l], g->level_bits[l]);
	put_bits(bits, sizeof bits, va, 0, g->page_shift);
	printf("VA: 0x%llx\naccess: %c\nVA_bits: %s\n", (unsigned long long)va, access, bits);
	printf("VPN: 0x%llx\nVPO: 0x%llx\n", (unsigned long long)vpn,
	       (unsigned long long)geom_vpo(g, va));
	if (t->sets) {
		printf("TLBI: 0x%llx\nTLBT: 0x%llx\n", (unsigned long long)tlb_set_of(t, vpn),
		       (unsigned long long)tlb_tag_of(t, vpn));
	} else {
		printf("TLBI: -\nTLBT: -\n");
	}
	mmu_access_t acc = access == 'w' ? MMU_WRITE : access == 'x' ? MMU_EXEC : MMU_READ;
	mmu_result_t r;
	mmu_log_t log;
	vm_translate_logged(vm, 0, va, acc, &r, &log);
	if (html)
		html_explain_add(html, vm, va, access, &r, &log);
	printf("TLB: %s\n", log.tlb_hit ? "hit" : "miss");
	for (unsigned i = 0; i < log.nsteps; i++) {
		char key[32];
		printf("L%u_index: 0x%llx\nL%u_pte_addr: 0x%llx\nL%u_pte: 0x%llx\n", i + 1,
		       (unsigned long long)log.steps[i].index, i + 1,
		       (unsigned long long)log.steps[i].pte_pa, i + 1,
		       (unsigned long long)log.steps[i].pte);
		snprintf(key, sizeof key, "L%u_pte_bits", i + 1);
		print_pte_bits(key, log.steps[i].pte);
	}
	if (r.status == MMU_OK) {
		printf("PPN: 0x%llx\nPA: 0x%llx\nresult: ok\n", (unsigned long long)r.pfn,
		       (unsigned long long)(geom_frame_pa(g, r.pfn) | geom_vpo(g, va)));
	} else if (r.status == MMU_FAULT_NOT_PRESENT) {
		printf("PPN: -\nPA: -\nresult: page fault (L%u entry not present)\n", r.fault_level);
	} else {
		printf("PPN: -\nPA: -\nresult: protection fault (%s)\n", mmu_reason_name(r.reason));
	}
}

int cmd_explain(int argc, char **argv)
{
	cli_opts_t o = { 0 };
	state_t st = { 0 };
	vm_machine_t *vm = NULL;
	html_explain_t *html = NULL;
	int status = cli_parse(&o, argc, argv, CLI_GEOMETRY | CLI_EXPLAIN | CLI_HTML, explain_usage);
	if (status)
		goto out;
	o.cfg.frames = 1; /* explain maps frames by hand; the kernel owns none */
	char err[512];
	if (vm_config_check(&o.cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab explain: %s\n", err);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.nargs == 0) {
		fprintf(stderr, "vmlab explain: give at least one virtual address (try --help)\n");
		status = CLI_EXIT_USAGE;
		goto out;
	}
	uint64_t *vas = (uint64_t *)calloc((size_t)o.nargs, sizeof *vas);
	for (int i = 0; vas && i < o.nargs; i++) {
		if (num_parse_u64(o.args[i], &vas[i], 0) ||
		    (o.cfg.va_bits < 64 && (vas[i] >> o.cfg.va_bits))) {
			fprintf(stderr, "vmlab explain: '%s' is not a virtual address below 2^%u\n",
				o.args[i], o.cfg.va_bits);
			status = CLI_EXIT_USAGE;
		}
	}
	if (!vas)
		status = CLI_EXIT_FAIL;
	if (status == CLI_EXIT_OK && o.state)
		status = state_read(o.state, &st);
	if (status == CLI_EXIT_OK && o.html && !(html = html_explain_new()))
		status = CLI_EXIT_FAIL;
	for (int i = 0; status == CLI_EXIT_OK && i < o.nargs; i++) {
		status = state_apply(&o, &st, &vm);
		if (status == CLI_EXIT_OK) {
			if (i)
				putchar('\n');
			explain_one(vm, vas[i], o.access, html);
		}
		vm_destroy(vm);
		vm = NULL;
	}
	if (status == CLI_EXIT_OK && html)
		status = html_explain_write(html, o.html, "vmlab explain");
	free(vas);
out:
	html_explain_free(html);
	free(st.v);
	free(o.args);
	return status < 0 ? CLI_EXIT_OK : status;
}
