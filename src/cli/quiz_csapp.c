/* quiz_csapp.c - quiz translate --system csapp: CS:APP's small memory
 * system of section 9.6.4 (figure 9.20) with seeded contents, and virtual
 * addresses to translate, as practice problems 9.4 and 9.11-9.13 ask.
 *
 * The question prints the TLB, the first 16 page-table entries and the
 * cache in the book's columns.  The answers are `vmlab explain` run on the
 * same contents (given to it as a state file's text, explain.h), one block
 * an address, with the cache step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "explain.h"
#include "quiz.h"
#include "util/mt.h"

/* The geometry, fixed as the book's. */
enum {
	CS_VA_BITS = 14, CS_PA_BITS = 12, CS_PAGE_SHIFT = 6,
	CS_PPNS = 1 << (CS_PA_BITS - CS_PAGE_SHIFT),   /* 64 physical pages */
	CS_TLB_SETS = 4, CS_TLB_WAYS = 4,
	CS_PT_SHOWN = 16,                              /* the table entries the question shows */
	CS_CACHE_SETS = 16, CS_BLOCK = 4,
	CS_TAGS = 64,                                  /* TLBT and CT are 6 bits */
};

typedef struct cs_entry {
	unsigned tag, ppn, valid;
} cs_entry_t;

typedef struct cs_system {
	cs_entry_t tlb[CS_TLB_SETS][CS_TLB_WAYS];       /* VPN = tag << 2 | set */
	cs_entry_t pt[CS_PT_SHOWN];                      /* tag unused */
	cs_entry_t cache[CS_CACHE_SETS];
	unsigned char bytes[CS_CACHE_SETS][CS_BLOCK];
	int ppn_used[CS_PPNS];
	unsigned used[CS_PPNS], nused;                   /* PPNs handed out, in order */
	mt_t mt;
} cs_system_t;

/* int(n * random.random()): a number below n. */
static unsigned cs_below(cs_system_t *s, unsigned n)
{
	return (unsigned)((double)n * mt_random(&s->mt));
}

/* A physical page not handed out yet (there are more than the system maps). */
static unsigned cs_fresh_ppn(cs_system_t *s)
{
	unsigned p;
	do
		p = cs_below(s, CS_PPNS);
	while (s->ppn_used[p]);
	s->ppn_used[p] = 1;
	s->used[s->nused++] = p;
	return p;
}

/* The page table's shown entries (about half valid), then the TLB: each
 * way valid 2 times in 5 with a tag, half the time one that makes a VPN
 * of the shown table (and then valid only if that PTE is, with its PPN),
 * else any. */
static void cs_draw_tables(cs_system_t *s)
{
	for (unsigned v = 0; v < CS_PT_SHOWN; v++)
		if ((s->pt[v].valid = cs_below(s, 2)))
			s->pt[v].ppn = cs_fresh_ppn(s);
	for (unsigned set = 0; set < CS_TLB_SETS; set++)
		for (unsigned w = 0; w < CS_TLB_WAYS; w++) {
			cs_entry_t *e = &s->tlb[set][w];
			int again;
			do {
				e->tag = cs_below(s, 2) ? cs_below(s, CS_PT_SHOWN / CS_TLB_SETS) : cs_below(s, CS_TAGS);
				again = 0;
				for (unsigned k = 0; k < w; k++)
					again |= s->tlb[set][k].tag == e->tag;
			} while (again);
			unsigned vpn = e->tag << 2 | set;
			e->valid = cs_below(s, 5) < 2;
			if (e->valid && vpn < CS_PT_SHOWN) {
				e->valid = s->pt[vpn].valid;
				e->ppn = s->pt[vpn].ppn;
			} else if (e->valid) {
				e->ppn = cs_fresh_ppn(s);
			}
		}
}

/* The PPN a VPN maps to, by the TLB or the shown table; -1 if neither. */
static int cs_ppn_of(const cs_system_t *s, unsigned vpn)
{
	const cs_entry_t *set = s->tlb[vpn % CS_TLB_SETS];
	for (unsigned w = 0; w < CS_TLB_WAYS; w++)
		if (set[w].valid && set[w].tag == vpn / CS_TLB_SETS)
			return (int)set[w].ppn;
	return vpn < CS_PT_SHOWN && s->pt[vpn].valid ? (int)s->pt[vpn].ppn : -1;
}

/* An address whose answer the question's tables decide: half the time the
 * VPN of a valid TLB entry (when there is one), else one of the table's
 * 16; any offset. */
static unsigned cs_address(cs_system_t *s)
{
	unsigned valid[CS_TLB_SETS * CS_TLB_WAYS], nvalid = 0;
	for (unsigned set = 0; set < CS_TLB_SETS; set++)
		for (unsigned w = 0; w < CS_TLB_WAYS; w++)
			if (s->tlb[set][w].valid)
				valid[nvalid++] = s->tlb[set][w].tag << 2 | set;
	unsigned vpn = nvalid && cs_below(s, 2) ? valid[cs_below(s, nvalid)] : cs_below(s, CS_PT_SHOWN);
	return vpn << CS_PAGE_SHIFT | cs_below(s, 1u << CS_PAGE_SHIFT);
}

/* The cache: each line valid half the time, its tag half the time a PPN
 * in use, and its 4 bytes; then, so that hits happen, half the addresses
 * that translate find their block: its line valid with their PPN. */
static void cs_draw_cache(cs_system_t *s, const unsigned *vas, uint64_t n)
{
	for (unsigned i = 0; i < CS_CACHE_SETS; i++) {
		cs_entry_t *c = &s->cache[i];
		c->valid = cs_below(s, 2);
		c->tag = cs_below(s, 2) && s->nused ? s->used[cs_below(s, s->nused)] : cs_below(s, CS_TAGS);
		for (unsigned b = 0; b < CS_BLOCK; b++)
			s->bytes[i][b] = (unsigned char)cs_below(s, 256);
	}
	for (uint64_t k = 0; k < n; k++) {
		int ppn = cs_ppn_of(s, vas[k] >> CS_PAGE_SHIFT);
		if (ppn >= 0 && cs_below(s, 2)) {
			cs_entry_t *c = &s->cache[vas[k] >> 2 & (CS_CACHE_SETS - 1)];
			c->valid = 1;
			c->tag = (unsigned)ppn;
		}
	}
}

/* A byte as two hex digits, or "--" when not valid. */
static const char *cs_hex(char buf[3], unsigned v, int valid)
{
	if (valid)
		snprintf(buf, 3, "%02x", v & 0xff);
	else
		strcpy(buf, "--");
	return buf;
}

/* The three tables, as figure 9.20 draws them. */
static void cs_print_system(const cs_system_t *s)
{
	char h[2][3];
	printf("CS:APP's small memory system (section 9.6.4): 14-bit virtual addresses,\n"
	       "12-bit physical addresses, 64-byte pages; a TLB of 16 entries, 4-way set\n"
	       "associative; a one-level page table; a direct-mapped cache of 16 sets\n"
	       "with 4-byte blocks, physically addressed.  Numbers are in hex.\n\n"
	       "TLB (4 sets of 4 ways)\n"
	       "Set  Tag PPN Valid  Tag PPN Valid  Tag PPN Valid  Tag PPN Valid\n");
	for (unsigned set = 0; set < CS_TLB_SETS; set++) {
		printf("%3u", set);
		for (unsigned w = 0; w < CS_TLB_WAYS; w++) {
			const cs_entry_t *e = &s->tlb[set][w];
			printf("  %3s %3s %5u", cs_hex(h[0], e->tag, 1), cs_hex(h[1], e->ppn, (int)e->valid), e->valid);
		}
		printf("\n");
	}
	printf("\nPage table (the first 16 entries)\n"
	       "VPN PPN Valid  VPN PPN Valid  VPN PPN Valid  VPN PPN Valid\n");
	for (unsigned r = 0; r < CS_PT_SHOWN / 4; r++) {
		for (unsigned c = 0; c < 4; c++) {
			unsigned v = c * 4 + r;
			printf("%s%3s %3s %5u", c ? "  " : "", cs_hex(h[0], v, 1),
			       cs_hex(h[1], s->pt[v].ppn, (int)s->pt[v].valid), s->pt[v].valid);
		}
		printf("\n");
	}
	printf("\nCache (16 sets, direct mapped, 4-byte blocks)\n"
	       "Idx Tag Valid Blk0 Blk1 Blk2 Blk3\n");
	for (unsigned i = 0; i < CS_CACHE_SETS; i++) {
		const cs_entry_t *c = &s->cache[i];
		printf("%3x %3s %5u", i, cs_hex(h[0], c->tag, 1), c->valid);
		for (unsigned b = 0; b < CS_BLOCK; b++)
			printf(" %4s", cs_hex(h[1], s->bytes[i][b], (int)c->valid));
		printf("\n");
	}
	printf("\n");
}

/* The system as explain's state-file lines; NULL when out of memory. */
static char *cs_state_text(const cs_system_t *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (unsigned v = 0; v < CS_PT_SHOWN; v++)
		if (s->pt[v].valid)
			fprintf(f, "pte 0x%02x 0x%02x\n", v, s->pt[v].ppn);
		else
			fprintf(f, "pte 0x%02x -\n", v);
	for (unsigned set = 0; set < CS_TLB_SETS; set++)
		for (unsigned w = 0; w < CS_TLB_WAYS; w++) {
			const cs_entry_t *e = &s->tlb[set][w];
			unsigned vpn = e->tag << 2 | set;
			if (!e->valid)
				continue;
			if (vpn >= CS_PT_SHOWN)   /* the table beyond the 16 shown agrees with the TLB */
				fprintf(f, "pte 0x%02x 0x%02x\n", vpn, e->ppn);
			fprintf(f, "tlb 0x%02x 0x%02x\n", vpn, e->ppn);
		}
	for (unsigned i = 0; i < CS_CACHE_SETS; i++)
		if (s->cache[i].valid)
			fprintf(f, "cache 0x%x 0x%02x 0x%02x 0x%02x 0x%02x 0x%02x\n", i, s->cache[i].tag,
				s->bytes[i][0], s->bytes[i][1], s->bytes[i][2], s->bytes[i][3]);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The answers: explain on the state text, every address in one run. */
static int cs_answers(const cs_system_t *s, const unsigned *vas, uint64_t n)
{
	static const char *const fixed[] = {
		"explain", "--page-size", "64", "--va-bits", "14", "--pa-bits", "12", "--levels", "1",
		"--tlb", "16:4", "--cache", "16:1:4", "--state", "(quiz)", "--",
	};
	enum { NFIXED = sizeof fixed / sizeof fixed[0] };
	char *text = cs_state_text(s);
	char **argv = calloc(NFIXED + n + 1, sizeof *argv);
	char (*words)[8] = calloc(n ? n : 1, sizeof *words);
	int status = CLI_EXIT_FAIL;
	if (text && argv && words) {
		for (int i = 0; i < NFIXED; i++)
			argv[i] = (char *)fixed[i];
		for (uint64_t i = 0; i < n; i++) {
			snprintf(words[i], sizeof words[i], "0x%04x", vas[i]);
			argv[NFIXED + i] = words[i];
		}
		fflush(stdout);
		status = explain_main(NFIXED + (int)n, argv, text);
	} else {
		fprintf(stderr, "vmlab quiz: out of memory\n");
	}
	free(words);
	free(argv);
	free(text);
	return status;
}

int quiz_csapp(const quiz_opts_t *q)
{
	uint64_t n;
	if (quiz_num(q, QO_N, 1, 1000, 4, &n))
		return CLI_EXIT_USAGE;
	cs_system_t *s = calloc(1, sizeof *s);
	unsigned *vas = calloc(n, sizeof *vas);
	if (!s || !vas) {
		free(s);
		free(vas);
		fprintf(stderr, "vmlab quiz: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	mt_seed_python(&s->mt, q->seed);
	cs_draw_tables(s);
	for (uint64_t i = 0; i < n; i++)
		vas[i] = cs_address(s);
	cs_draw_cache(s, vas, n);
	printf("ARG system csapp\nARG seed %llu\nARG num %llu\n\n", (unsigned long long)q->seed,
	       (unsigned long long)n);
	cs_print_system(s);
	int status = CLI_EXIT_OK;
	if (!q->answers) {
		printf("For each virtual address: its VPN, TLBI, TLBT, TLB hit or miss, page\n"
		       "fault or not, PPN and PA; then CO, CI, CT, cache hit or miss and the\n"
		       "byte returned.\n\n");
		for (uint64_t i = 0; i < n; i++)
			printf("Virtual address 0x%04x\n", vas[i]);
	} else {
		printf("Answers (vmlab explain --page-size 64 --va-bits 14 --pa-bits 12 --levels 1\n"
		       "--tlb 16:4 --cache 16:1:4 on the tables above):\n\n");
		status = cs_answers(s, vas, n);
	}
	free(vas);
	free(s);
	return status;
}
