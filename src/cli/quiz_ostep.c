/* quiz_ostep.c - quiz translate's OSTEP questions: the memory dump, PDBR
 * and virtual addresses of vm-smalltables/paging-multilevel-translate.py,
 * and the linear page table and addresses of vm-paging/
 * paging-linear-translate.py, each drawn as its script draws them from
 * Python's random (util/mt.h), so that the output is the script's for the
 * same seed and options.  The multi-level answers walk through hw/walk8, the
 * code of `explain --pte-format ostep`; the linear ones through the MMU of
 * `explain` on a one-level table (kern/explain.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "quiz.h"
#include "hw/pte.h"
#include "hw/walk8.h"
#include "kern/explain.h"
#include "util/mt.h"

/* paging-multilevel-translate.py's OS: 128 frames of 32 bytes. */
typedef struct ostep_os {
	uint8_t mem[WALK8_MEM];
	int used[WALK8_FRAMES];
	unsigned nused, pdbr;
	mt_t mt;
} ostep_os_t;

/* findFree: a random free frame, marked used; -1 when none is free (the
 * script asserts). */
static int os_find_free(ostep_os_t *os)
{
	unsigned look;
	if (os->nused == WALK8_FRAMES)
		return -1;
	do
		look = (unsigned)(mt_random(&os->mt) * WALK8_FRAMES);
	while (os->used[look]);
	os->used[look] = 1;
	os->nused++;
	return (int)look;
}

/* initPageDir: every entry 0x7f (not valid, PFN 127). */
static void os_init_table(ostep_os_t *os, unsigned frame)
{
	memset(os->mem + frame * WALK8_PAGE_SIZE, 0x7f, WALK8_PAGE_SIZE);
}

/* procAlloc(1, allocated): the directory, then allocated random virtual
 * pages, each with a frame (and a table frame when its directory entry is
 * not valid yet) filled with random bytes below 31.  vps gets the pages. */
static int os_proc_alloc(ostep_os_t *os, unsigned allocated, unsigned *vps)
{
	os->pdbr = (unsigned)os_find_free(os);
	os_init_table(os, os->pdbr);
	static int taken[1024];
	memset(taken, 0, sizeof taken);
	for (unsigned k = 0; k < allocated; k++) {
		unsigned vp;
		do
			vp = (unsigned)(mt_random(&os->mt) * 1024);
		while (taken[vp]);
		taken[vp] = 1;
		vps[k] = vp;
		int pp = os_find_free(os);
		unsigned pde_pa = os->pdbr * WALK8_PAGE_SIZE + (vp >> 5);
		if (pp < 0)
			return -1;
		if (!(os->mem[pde_pa] & PTE8_VALID)) {
			int pt = os_find_free(os);
			if (pt < 0)
				return -1;
			os->mem[pde_pa] = (uint8_t)(PTE8_VALID | pt);
			os_init_table(os, pt);
		}
		os->mem[(os->mem[pde_pa] & PTE8_PFN) * WALK8_PAGE_SIZE + (vp & 31)] = (uint8_t)(PTE8_VALID | pp);
		for (unsigned j = 0; j < WALK8_PAGE_SIZE; j++)
			os->mem[(unsigned)pp * WALK8_PAGE_SIZE + j] = (uint8_t)(mt_random(&os->mt) * 31);
	}
	return 0;
}

int quiz_ostep_multilevel(const quiz_opts_t *q)
{
	uint64_t n, allocated64;
	if (quiz_num(q, QO_N, 0, 100000, 10, &n) || quiz_num(q, QO_A, 0, WALK8_FRAMES - 2, 64, &allocated64))
		return CLI_EXIT_USAGE;
	ostep_os_t *os = calloc(1, sizeof *os);
	unsigned *vps = calloc(WALK8_FRAMES, sizeof *vps);
	if (!os || !vps) {
		free(os);
		free(vps);
		fprintf(stderr, "vmlab quiz: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	unsigned allocated = (unsigned)allocated64;
	mt_seed_python(&os->mt, q->seed);
	if (os_proc_alloc(os, allocated, vps)) {
		fprintf(stderr, "vmlab quiz translate: -a %u pages and their page tables do not fit in %u frames for seed %llu\n",
			allocated, WALK8_FRAMES, (unsigned long long)q->seed);
		free(os);
		free(vps);
		return CLI_EXIT_USAGE;
	}
	printf("ARG seed %llu\nARG allocated %u\nARG num %llu\n\n", (unsigned long long)q->seed,
	       allocated, (unsigned long long)n);
	for (unsigned p = 0; p < WALK8_FRAMES; p++) {
		printf("page %3u:", p);
		for (unsigned j = 0; j < WALK8_PAGE_SIZE; j++)
			printf("%02x", os->mem[p * WALK8_PAGE_SIZE + j]);
		printf("\n");
	}
	printf("\nPDBR: %u  (decimal) [This means the page directory is held in this page]\n\n", os->pdbr);
	for (uint64_t i = 0; i < n; i++) {
		unsigned va;
		if (mt_random(&os->mt) * 100 > 50.0 || i >= allocated)
			va = (unsigned)(mt_random(&os->mt) * 1024 * 32);
		else
			va = vps[i] << 5 | (unsigned)(mt_random(&os->mt) * 32);
		if (!q->answers) {
			printf("Virtual Address %04x: Translates To What Physical Address (And Fetches what Value)? Or Fault?\n", va);
			continue;
		}
		walk8_result_t r;
		walk8_translate(os->mem, os->pdbr, va, &r);
		printf("Virtual Address 0x%04x:\n", va);
		for (unsigned l = 0; l < r.nsteps; l++) {
			const walk8_step_t *s = &r.steps[l];
			printf("%s--> %s index:0x%x [decimal %u] %s contents:0x%x (valid %u, pfn 0x%02x [decimal %u])\n",
			       l ? "    " : "  ", l ? "pte" : "pde", s->index, s->index, l ? "pte" : "pde",
			       s->pte, s->valid, s->pfn, s->pfn);
		}
		if (!r.fault_level)
			printf("      --> Translates to Physical Address 0x%03x --> Value: 0x%02x\n", r.pa, os->mem[r.pa]);
		else
			printf("      --> Fault (page %s entry not valid)\n", r.fault_level == 1 ? "directory" : "table");
	}
	printf("\n");
	free(os);
	free(vps);
	return CLI_EXIT_OK;
}

/* paging-linear-translate.py's sizes and its page table. */
typedef struct ostep_linear {
	const char *asize_s, *psize_s, *page_s;   /* as given: the ARG lines echo them */
	uint64_t asize, psize, page, used, vpages, pages;
	unsigned page_bits, va_bits, pa_bits;
	int verbose;
	int64_t *pt;                               /* PFN of each VPN, -1: not valid */
} ostep_linear_t;

/* The script's convert(): a number, times 2^10, 2^20 or 2^30 after k, m or
 * g.  Returns 0, or CLI_EXIT_USAGE after printing why. */
static int linear_size(const char *opt, const char *s, uint64_t *v)
{
	size_t len = strlen(s), digits = strspn(s, "0123456789");
	unsigned shift = 0;
	if (len && digits == len - 1 && strchr("kKmMgG", s[len - 1]))
		shift = strchr("kK", s[len - 1]) ? 10 : strchr("mM", s[len - 1]) ? 20 : 30;
	else if (digits != len)
		digits = 0;
	*v = 0;
	for (size_t i = 0; i < digits && *v < (1ull << 40); i++)
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	if (!digits || *v >= (1ull << 40)) {
		fprintf(stderr, "vmlab quiz: %s: '%s' is not a size (a number, with k, m or g for 2^10, 2^20, 2^30)\n",
			opt, s);
		return CLI_EXIT_USAGE;
	}
	*v <<= shift;
	return CLI_EXIT_OK;
}

/* log2 of a power of two; ceil_log2 for the others. */
static unsigned ceil_log2(uint64_t v)
{
	unsigned b = 0;
	while ((1ull << b) < v)
		b++;
	return b;
}

/* The sizes from the options, checked as the script checks them (same
 * order, its words), then for vmlab's machine; 0 or CLI_EXIT_USAGE. */
static int linear_sizes(const quiz_opts_t *q, ostep_linear_t *l)
{
	l->asize_s = q->val[QO_ASIZE] ? q->val[QO_ASIZE] : q->val[QO_A] ? q->val[QO_A] : "16k";
	l->psize_s = q->val[QO_PHYSMEM] ? q->val[QO_PHYSMEM] : q->val[QO_P] ? q->val[QO_P] : "64k";
	l->page_s = q->val[QO_PAGE_SIZE] ? q->val[QO_PAGE_SIZE] : "4k";
	l->verbose = !!q->val[QO_VERBOSE];
	if (linear_size("--asize", l->asize_s, &l->asize) || linear_size("--physmem", l->psize_s, &l->psize) ||
	    linear_size("--page-size", l->page_s, &l->page) || quiz_num(q, QO_USED, 0, 100, 50, &l->used))
		return CLI_EXIT_USAGE;
	const char *why = NULL;
	if (l->psize <= 1)
		why = "must specify a non-zero physical memory size";
	else if (l->asize < 1)
		why = "must specify a non-zero address-space size";
	else if (l->psize <= l->asize)
		why = "physical memory size must be GREATER than address space size (for this simulation)";
	else if (l->psize >= (1ull << 30) || l->asize >= (1ull << 30))
		why = "must use smaller sizes (less than 1 GB) for this simulation";
	else if (!l->page || l->asize % l->page)
		why = "address space must be a multiple of the pagesize";
	else if (l->psize % l->page)
		why = "physical memory must be a multiple of the pagesize";
	else if (l->asize & (l->asize - 1))
		why = "address space must be a power of 2";
	else if (l->page & (l->page - 1))
		why = "page size must be a power of 2";
	else if (l->page < 16 || l->page > 65536)
		why = "vmlab's pages are 16 bytes to 64k";
	else if (l->asize == l->page)
		why = "the address space must hold more than one page";
	else if (l->asize / l->page > 65536)
		why = "at most 65536 virtual pages (address space size / page size)";
	if (why) {
		fprintf(stderr, "vmlab quiz translate --system ostep-linear: %s\n", why);
		return CLI_EXIT_USAGE;
	}
	l->page_bits = ceil_log2(l->page);
	l->va_bits = ceil_log2(l->asize);
	l->pa_bits = ceil_log2(l->psize);
	l->vpages = l->asize / l->page;
	l->pages = l->psize / l->page;
	return CLI_EXIT_OK;
}

/* The script's page table: for each VPN, valid with probability used%,
 * then a random free frame (drawn again while the frame is taken). */
static int linear_table(ostep_linear_t *l, mt_t *mt)
{
	char *taken = calloc(l->pages, 1);
	l->pt = calloc(l->vpages, sizeof *l->pt);
	if (!taken || !l->pt) {
		free(taken);
		return CLI_EXIT_FAIL;
	}
	for (uint64_t v = 0; v < l->vpages; v++) {
		l->pt[v] = -2;
		while (l->pt[v] == -2) {
			if (mt_random(mt) * 100.0 > 100.0 - (double)l->used) {
				uint64_t u = (uint64_t)((double)l->pages * mt_random(mt));
				if (!taken[u]) {
					taken[u] = 1;
					l->pt[v] = (int64_t)u;
				}
			} else {
				l->pt[v] = -1;
			}
		}
	}
	free(taken);
	return CLI_EXIT_OK;
}

/* A machine of the question's geometry with its table: one level, no TLB,
 * each valid entry a present rwu PTE.  NULL after printing why. */
static vm_machine_t *linear_machine(const ostep_linear_t *l)
{
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.page_size = (unsigned)l->page;
	cfg.va_bits = l->va_bits;
	cfg.pa_bits = l->pa_bits > l->page_bits ? l->pa_bits : l->page_bits;
	cfg.levels = 1;
	cfg.tlb_entries = 0;
	cfg.frames = 1;   /* frames are mapped by hand, as explain does */
	vm_machine_t *vm = NULL;
	char err[512];
	if (vm_create(&vm, &cfg, NULL, err, sizeof err)) {
		fprintf(stderr, "vmlab quiz translate --system ostep-linear: %s\n", err);
		return NULL;
	}
	for (uint64_t v = 0; v < l->vpages; v++)
		if (l->pt[v] >= 0 && vm_set_pte(vm, 0, v, 1, (uint64_t)l->pt[v], PTE_W | PTE_U | PTE_NX)) {
			fprintf(stderr, "vmlab quiz translate --system ostep-linear: out of memory\n");
			vm_destroy(vm);
			return NULL;
		}
	return vm;
}

/* One address of the trace: the question's line, or with vm its answer,
 * translated by the MMU. */
static void linear_line(vm_machine_t *vm, const ostep_linear_t *l, uint64_t va)
{
	unsigned long long v = va;
	if (!vm) {
		printf("  VA 0x%08llx (decimal: %8llu) --> PA or invalid address?\n", v, v);
		return;
	}
	mmu_result_t r;
	mmu_log_t log;
	vm_translate_logged(vm, 0, va, MMU_READ, &r, &log);
	unsigned long long vpn = va >> l->page_bits;
	if (r.status != MMU_OK) {
		printf("  VA 0x%08llx (decimal: %8llu) -->  Invalid (VPN %llu not valid)\n", v, v, vpn);
		return;
	}
	unsigned long long pa = r.pfn << l->page_bits | (va & (l->page - 1));
	printf("  VA 0x%08llx (decimal: %8llu) --> %08llx (decimal %8llu) [VPN %llu]\n", v, v, pa, pa, vpn);
}

int quiz_ostep_linear(const quiz_opts_t *q)
{
	ostep_linear_t l = { 0 };
	uint64_t n;
	int status = quiz_num(q, QO_N, 0, 100000, 5, &n);
	if (status || (status = linear_sizes(q, &l)))
		return status;
	mt_t *mt = malloc(sizeof *mt);
	vm_machine_t *vm = NULL;
	if (!mt || linear_table(&l, (mt_seed_python(mt, q->seed), mt))) {
		fprintf(stderr, "vmlab quiz: out of memory\n");
		status = CLI_EXIT_FAIL;
		goto out;
	}
	if (q->answers && !(vm = linear_machine(&l))) {
		status = CLI_EXIT_USAGE;
		goto out;
	}
	printf("ARG seed %llu\nARG address space size %s\nARG phys mem size %s\nARG page size %s\n"
	       "ARG verbose %s\nARG addresses -1\n\n\n", (unsigned long long)q->seed, l.asize_s, l.psize_s,
	       l.page_s, l.verbose ? "True" : "False");
	printf("The format of the page table is simple:\n"
	       "The high-order (left-most) bit is the VALID bit.\n"
	       "  If the bit is 1, the rest of the entry is the PFN.\n"
	       "  If the bit is 0, the page is not valid.\n"
	       "Use verbose mode (-v) if you want to print the VPN # by\n"
	       "each entry of the page table.\n\n"
	       "Page Table (from entry 0 down to the max size)\n");
	for (uint64_t v = 0; v < l.vpages; v++) {
		if (l.verbose)
			printf("  [%8llu]  ", (unsigned long long)v);
		else
			printf("  ");
		printf("0x%08llx\n", l.pt[v] < 0 ? 0ull : (unsigned long long)(PTE32_VALID | (uint64_t)l.pt[v]));
	}
	printf("\nVirtual Address Trace\n");
	for (uint64_t i = 0; i < n; i++)
		linear_line(vm, &l, (uint64_t)((double)l.asize * mt_random(mt)));
	printf("\n");
	if (!q->answers)
		printf("For each virtual address, write down the physical address it translates to\n"
		       "OR write down that it is an out-of-bounds address (e.g., segfault).\n\n");
out:
	vm_destroy(vm);
	free(l.pt);
	free(mt);
	return status;
}
