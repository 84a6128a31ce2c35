/* quiz.c - `vmlab quiz`: seeded questions as OSTEP's homework scripts ask
 * them, and with --answers their solutions.
 *
 * quiz replace: paging-policy.py's question (the string of `gen --pattern
 * ostep`); the answers come from a vmlab machine running that string with
 * the policy, one reference at a time, victims read from its event lines.
 * quiz translate: paging-multilevel-translate.py's memory, PDBR and virtual
 * addresses, drawn as that script draws them from Python's random
 * (util/mt.h), so the output is the script's for the same seed; the answers
 * walk through hw/walk8, the code of `explain --pte-format ostep`. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "gen.h"
#include "hw/walk8.h"
#include "policy/policy.h"
#include "util/num.h"
#include "util/vmerr.h"

static const char quiz_usage[] =
	"usage: vmlab quiz replace|translate [OPTIONS]\n"
	"\n"
	"Print a seeded question without its answers; --answers prints the solution.\n"
	"\n"
	"  replace    OSTEP paging-policy.py's: a reference string, a policy and a\n"
	"             memory size; which references hit, which page each miss evicts\n"
	"  translate  OSTEP paging-multilevel-translate.py's: a memory dump, the PDBR\n"
	"             and virtual addresses to translate (two levels, 1-byte entries)\n"
	"\n"
	"Options:\n"
	"  --seed S, -s S     seed (default 0), as the OSTEP script's -s\n"
	"  --answers, -c      print the solution\n"
	"  -n N               replace: references (default 10); translate: addresses (10)\n"
	"  --pages N, -m N    replace: pages 0..N-1 (default 10)\n"
	"  --policy P, -p P   replace: fifo, lru, opt, clock, ... (default fifo)\n"
	"  --frames N, -C N   replace: memory size in pages (default 3)\n"
	"  -a N               translate: virtual pages allocated (default 64, at most 126)\n"
	"  --help             this text";

typedef struct quiz_opts {
	uint64_t seed, n, pages, frames, allocated;
	int answers, n_given;
	const char *policy;
} quiz_opts_t;

/* Parse quiz's options (argv[0] is the kind); returns 0, -1 (--help
 * printed) or CLI_EXIT_USAGE after printing why. */
static int quiz_parse(int argc, char **argv, quiz_opts_t *q)
{
	static const struct { const char *l, *s; int idx; } opts[] = {
		{ "--seed", "-s", 0 }, { "-n", "-n", 1 }, { "--pages", "-m", 2 },
		{ "--frames", "-C", 3 }, { "-a", "-a", 4 }, { "--policy", "-p", 5 },
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			puts(quiz_usage);
			return -1;
		}
		if (!strcmp(a, "--answers") || !strcmp(a, "-c")) {
			q->answers = 1;
			continue;
		}
		int k = -1;
		const char *v = NULL;
		for (size_t j = 0; j < sizeof opts / sizeof opts[0] && k < 0; j++) {
			size_t len = strlen(opts[j].l);
			if (!strcmp(a, opts[j].l) || !strcmp(a, opts[j].s))
				k = opts[j].idx;
			else if (!strncmp(a, opts[j].l, len) && a[len] == '=' && a[1] == '-')
				k = opts[j].idx, v = a + len + 1;
		}
		if (k < 0) {
			fprintf(stderr, "vmlab quiz: unknown option or argument '%s' (try vmlab quiz --help)\n", a);
			return CLI_EXIT_USAGE;
		}
		if (!v && !(i + 1 < argc && (v = argv[++i]))) {
			fprintf(stderr, "vmlab quiz: %s needs a value\n", a);
			return CLI_EXIT_USAGE;
		}
		if (k == 5) {
			q->policy = v;
			continue;
		}
		uint64_t *field[] = { &q->seed, &q->n, &q->pages, &q->frames, &q->allocated };
		static const uint64_t lo[] = { 0, 0, 1, 1, 0 }, hi[] = { UINT64_MAX, 100000, 1u << 30, 1024, WALK8_FRAMES - 2 };
		if (num_parse_u64(v, field[k], 0) || *field[k] < lo[k] || *field[k] > hi[k]) {
			fprintf(stderr, "vmlab quiz: %s: '%s' is not a number from %llu to %llu\n", a, v,
				(unsigned long long)lo[k], (unsigned long long)hi[k]);
			return CLI_EXIT_USAGE;
		}
		q->n_given |= k == 1;
	}
	return CLI_EXIT_OK;
}

/* The policy's name in capitals, as OSTEP writes it. */
static void upper(char *dst, size_t len, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < len; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = 0;
}

/* The victim an "evict frame F vpn 0xV ..." event line names, or -1. */
static long long event_victim(const char *events, size_t from, size_t to)
{
	long long victim = -1;
	for (size_t at = from; at < to;) {
		unsigned f;
		unsigned long long vpn;
		if (sscanf(events + at, "evict frame %u vpn 0x%llx", &f, &vpn) == 2)
			victim = (long long)vpn;
		const char *nl = memchr(events + at, '\n', to - at);
		at = nl ? (size_t)(nl - events) + 1 : to;
	}
	return victim;
}

/* quiz replace --answers: run the string on a machine, one line a reference. */
static int replace_answers(const quiz_opts_t *q, const uint64_t *pages)
{
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.frames = (uint32_t)q->frames;
	cfg.policy = q->policy;
	cfg.tlb_entries = 0;
	cfg.seed = q->seed;
	char *events = NULL, err[512];
	size_t elen = 0, seen = 0;
	cfg.events = open_memstream(&events, &elen);
	uint64_t *next = NULL;
	vm_pageref_t *refs = calloc(q->n ? q->n : 1, sizeof *refs);
	uint64_t *resident = calloc(q->frames, sizeof *resident);
	vm_machine_t *vm = NULL;
	int status = CLI_EXIT_FAIL;
	if (!cfg.events || !refs || !resident)
		goto out;
	for (uint64_t i = 0; i < q->n; i++)
		refs[i] = (vm_pageref_t){ .vpn = pages[i], .kind = 'R' };
	if (nextuse_build(refs, q->n, &next))
		goto out;
	if (vm_create(&vm, &cfg, next, err, sizeof err)) {
		fprintf(stderr, "vmlab quiz: %s\n", err);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	uint64_t hits = 0, misses = 0, nres = 0;
	printf("Solving...\n\n");
	for (uint64_t i = 0; i < q->n; i++) {
		uint64_t faults = vm_stats(vm)->page_faults;
		if (vm_ref(vm, 0, pages[i], VM_READ))
			goto out;
		fflush(cfg.events);
		int miss = vm_stats(vm)->page_faults != faults;
		long long victim = event_victim(events, seen, elen);
		seen = elen;
		hits += !miss;
		misses += miss;
		if (victim >= 0)
			for (uint64_t k = 0; k < nres; k++)
				if (resident[k] == (uint64_t)victim)
					resident[k] = resident[--nres];
		if (miss)
			resident[nres++] = pages[i];
		/* ascending: the set, not the policy's order */
		for (uint64_t a = 1; a < nres; a++)
			for (uint64_t b = a; b > 0 && resident[b - 1] > resident[b]; b--) {
				uint64_t t = resident[b];
				resident[b] = resident[b - 1];
				resident[b - 1] = t;
			}
		printf("Access: %llu  %s  Replaced:", (unsigned long long)pages[i], miss ? "MISS" : "HIT ");
		if (victim >= 0)
			printf("%lld", victim);
		else
			printf("-");
		printf("  Resident:[");
		for (uint64_t k = 0; k < nres; k++)
			printf("%s%llu", k ? ", " : "", (unsigned long long)resident[k]);
		printf("]  [Hits:%llu Misses:%llu]\n", (unsigned long long)hits, (unsigned long long)misses);
	}
	printf("\nFINALSTATS hits %llu   misses %llu   hitrate %.2f\n\n", (unsigned long long)hits,
	       (unsigned long long)misses, q->n ? 100.0 * (double)hits / (double)q->n : 0.0);
	status = CLI_EXIT_OK;
out:
	if (status == CLI_EXIT_FAIL)
		fprintf(stderr, "vmlab quiz: out of memory\n");
	vm_destroy(vm);
	if (cfg.events)
		fclose(cfg.events);
	free(events);
	free(next);
	free(refs);
	free(resident);
	return status;
}

static int quiz_replace(quiz_opts_t *q)
{
	if (!q->policy)
		q->policy = "fifo";
	for (size_t i = 0; i < policy_count; i++)   /* OSTEP writes FIFO, vmlab fifo */
		if (!strcasecmp(policy_registry[i]->name, q->policy))
			q->policy = policy_registry[i]->name;
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.policy = q->policy;
	cfg.frames = (uint32_t)q->frames;
	char err[512];
	if (vm_config_check(&cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab quiz: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	gen_t g = { .pattern = GEN_OSTEP, .pages = q->pages, .seed = q->seed };
	uint64_t *pages = calloc(q->n ? q->n : 1, sizeof *pages);
	if (!pages || gen_start(&g)) {
		free(pages);
		fprintf(stderr, "vmlab quiz: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	for (uint64_t i = 0; i < q->n; i++) {
		int w;
		pages[i] = gen_next(&g, &w);
	}
	gen_free(&g);
	char name[32];
	upper(name, sizeof name, q->policy);
	int status = CLI_EXIT_OK;
	if (!q->answers) {
		printf("Assuming a replacement policy of %s, and a cache of size %llu pages,\n"
		       "figure out whether each of the following page references hit or miss\n"
		       "in the page cache.\n\n", name, (unsigned long long)q->frames);
		for (uint64_t i = 0; i < q->n; i++)
			printf("Access: %llu  Hit/Miss?  State of Memory?\n", (unsigned long long)pages[i]);
		printf("\n");
	} else {
		status = replace_answers(q, pages);
	}
	free(pages);
	return status;
}

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

static int quiz_translate(quiz_opts_t *q)
{
	if (q->policy) {
		fprintf(stderr, "vmlab quiz translate: --policy goes with quiz replace\n");
		return CLI_EXIT_USAGE;
	}
	ostep_os_t *os = calloc(1, sizeof *os);
	unsigned *vps = calloc(WALK8_FRAMES, sizeof *vps);
	if (!os || !vps) {
		free(os);
		free(vps);
		fprintf(stderr, "vmlab quiz: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	unsigned allocated = (unsigned)q->allocated;
	mt_seed_python(&os->mt, q->seed);
	if (os_proc_alloc(os, allocated, vps)) {
		fprintf(stderr, "vmlab quiz translate: -a %u pages and their page tables do not fit in %u frames for seed %llu\n",
			allocated, WALK8_FRAMES, (unsigned long long)q->seed);
		free(os);
		free(vps);
		return CLI_EXIT_USAGE;
	}
	printf("ARG seed %llu\nARG allocated %u\nARG num %llu\n\n", (unsigned long long)q->seed,
	       allocated, (unsigned long long)q->n);
	for (unsigned p = 0; p < WALK8_FRAMES; p++) {
		printf("page %3u:", p);
		for (unsigned j = 0; j < WALK8_PAGE_SIZE; j++)
			printf("%02x", os->mem[p * WALK8_PAGE_SIZE + j]);
		printf("\n");
	}
	printf("\nPDBR: %u  (decimal) [This means the page directory is held in this page]\n\n", os->pdbr);
	for (uint64_t i = 0; i < q->n; i++) {
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

int cmd_quiz(int argc, char **argv)
{
	quiz_opts_t q = { .n = 10, .pages = 10, .frames = 3, .allocated = 64 };
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		puts(quiz_usage);
		return CLI_EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "replace") && strcmp(argv[1], "translate"))) {
		fprintf(stderr, "vmlab quiz: expected replace or translate%s%s%s (try vmlab quiz --help)\n",
			argc >= 2 ? ", not '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "");
		return CLI_EXIT_USAGE;
	}
	int rc = quiz_parse(argc - 1, argv + 1, &q);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	return !strcmp(argv[1], "replace") ? quiz_replace(&q) : quiz_translate(&q);
}
