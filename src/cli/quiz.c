/* quiz.c - `vmlab quiz`: seeded questions as the textbooks' homework asks
 * them, and with --answers their solutions.
 *
 * quiz replace: OSTEP paging-policy.py's question (the string of `gen
 * --pattern ostep`); the answers come from a vmlab machine running that
 * string with the policy, one reference at a time, victims read from its
 * event lines.  quiz translate: a small memory system and addresses to
 * translate, one of the systems of quiz_systems[] (quiz_ostep.c,
 * quiz_csapp.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "gen.h"
#include "quiz.h"
#include "policy/policy.h"
#include "util/num.h"
#include "util/vmerr.h"

static const char quiz_usage[] =
	"usage: vmlab quiz replace|translate [OPTIONS]\n"
	"\n"
	"Print a seeded question without its answers; --answers prints the solution.\n"
	"The same options and seed give the same question, byte for byte.\n"
	"\n"
	"  replace    OSTEP paging-policy.py's: a reference string, a policy and a\n"
	"             memory size; which references hit, which page each miss evicts\n"
	"  translate  a small memory system and virtual addresses to translate; the\n"
	"             system is --system's:\n"
	"    ostep-multilevel  (the default) OSTEP paging-multilevel-translate.py's:\n"
	"                      a memory dump, the PDBR and addresses (two levels,\n"
	"                      1-byte entries); the script's output for the seed\n"
	"    ostep-linear      OSTEP paging-linear-translate.py's: address space\n"
	"                      size, physical memory size, page size, a linear page\n"
	"                      table of valid bits and PFNs; the script's output\n"
	"    csapp             CS:APP 9.6.4's: 14-bit VA, 12-bit PA, 64-byte pages, a\n"
	"                      16-entry 4-way TLB, a one-level page table (its first\n"
	"                      16 entries) and a 16-set direct-mapped cache of 4-byte\n"
	"                      blocks; the answers are `vmlab explain`'s blocks\n"
	"\n"
	"Options:\n"
	"  --seed S, -s S     seed (default 0), as the OSTEP scripts' -s\n"
	"  --answers, -c      print the solution\n"
	"  -n N               references (replace, default 10) or addresses (default\n"
	"                     10 multi-level, 5 linear, 4 csapp)\n"
	"  --pages N, -m N    replace: pages 0..N-1 (default 10)\n"
	"  --policy P, -p P   replace: fifo, lru, opt, clock, ... (default fifo)\n"
	"  --frames N, -C N   replace: memory size in pages (default 3)\n"
	"  --system NAME      translate: ostep-multilevel, ostep-linear or csapp\n"
	"  -a N               ostep-multilevel: virtual pages allocated (default 64,\n"
	"                     at most 126)\n"
	"  --asize SIZE, -a SIZE       ostep-linear: address space size (default 16k)\n"
	"  --physmem SIZE, -p SIZE     ostep-linear: physical memory size (default 64k)\n"
	"  --page-size SIZE, -P SIZE   ostep-linear: page size, 16 to 64k (default 4k)\n"
	"  --used PCT, -u PCT          ostep-linear: percent of pages valid (default 50)\n"
	"  -v                          ostep-linear: the VPN by each page-table entry\n"
	"                     (SIZE: a number with k, m or g for 2^10, 2^20, 2^30)\n"
	"  --help             this text";

/* Every option: long and short name, and whether a value follows. */
static const struct quiz_opt {
	const char *l, *s;
	int value;
} quiz_opt[QO_COUNT] = {
	[QO_SEED] = { "--seed", "-s", 1 }, [QO_N] = { "-n", "-n", 1 },
	[QO_PAGES] = { "--pages", "-m", 1 }, [QO_FRAMES] = { "--frames", "-C", 1 },
	[QO_A] = { "-a", "-a", 1 }, [QO_POLICY] = { "--policy", "--policy", 1 },
	[QO_P] = { "-p", "-p", 1 }, [QO_ASIZE] = { "--asize", "--asize", 1 },
	[QO_PHYSMEM] = { "--physmem", "--physmem", 1 }, [QO_PAGE_SIZE] = { "--page-size", "-P", 1 },
	[QO_USED] = { "--used", "-u", 1 }, [QO_VERBOSE] = { "-v", "-v", 0 },
	[QO_SYSTEM] = { "--system", "--system", 1 }, [QO_ANSWERS] = { "--answers", "-c", 0 },
};

/* Parse quiz's options (argv[0] is the kind); returns 0, -1 (--help
 * printed) or CLI_EXIT_USAGE after printing why. */
static int quiz_parse(int argc, char **argv, quiz_opts_t *q)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			puts(quiz_usage);
			return -1;
		}
		int k = -1;
		const char *v = NULL;
		for (int j = 0; j < QO_COUNT && k < 0; j++) {
			size_t len = strlen(quiz_opt[j].l);
			if (!strcmp(a, quiz_opt[j].l) || !strcmp(a, quiz_opt[j].s))
				k = j;
			else if (quiz_opt[j].value && !strncmp(a, quiz_opt[j].l, len) && a[len] == '=' && a[1] == '-')
				k = j, v = a + len + 1;
		}
		if (k < 0) {
			fprintf(stderr, "vmlab quiz: unknown option or argument '%s' (try vmlab quiz --help)\n", a);
			return CLI_EXIT_USAGE;
		}
		if (quiz_opt[k].value && !v && !(i + 1 < argc && (v = argv[++i]))) {
			fprintf(stderr, "vmlab quiz: %s needs a value\n", a);
			return CLI_EXIT_USAGE;
		}
		q->val[k] = v ? v : "";
		q->given |= QO_BIT(k);
	}
	q->answers = !!(q->given & QO_BIT(QO_ANSWERS));
	return quiz_num(q, QO_SEED, 0, UINT64_MAX, 0, &q->seed);
}

int quiz_num(const quiz_opts_t *q, int i, uint64_t lo, uint64_t hi, uint64_t def, uint64_t *v)
{
	*v = def;
	const char *w = q->val[i];
	if (!w)
		return CLI_EXIT_OK;
	if (num_parse_u64(w, v, 0) || *v < lo || *v > hi) {
		fprintf(stderr, "vmlab quiz: %s: '%s' is not a number from %llu to %llu\n", quiz_opt[i].l, w,
			(unsigned long long)lo, (unsigned long long)hi);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* replace's own numbers. */
typedef struct replace_opts {
	uint64_t pages, frames;
	const char *policy;
} replace_opts_t;

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
static int replace_answers(const quiz_opts_t *q, const replace_opts_t *ro, const uint64_t *pages)
{
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.frames = (uint32_t)ro->frames;
	cfg.policy = ro->policy;
	cfg.tlb_entries = 0;
	cfg.seed = q->seed;
	char *events = NULL, err[512];
	size_t elen = 0, seen = 0;
	cfg.events = open_memstream(&events, &elen);
	uint64_t *next = NULL;
	vm_pageref_t *refs = calloc(q->n ? q->n : 1, sizeof *refs);
	uint64_t *resident = calloc(ro->frames, sizeof *resident);
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
	replace_opts_t ro;
	if (quiz_num(q, QO_N, 0, 100000, 10, &q->n) || quiz_num(q, QO_PAGES, 1, 1u << 30, 10, &ro.pages) ||
	    quiz_num(q, QO_FRAMES, 1, 1024, 3, &ro.frames))
		return CLI_EXIT_USAGE;
	ro.policy = q->val[QO_POLICY] ? q->val[QO_POLICY] : q->val[QO_P] ? q->val[QO_P] : "fifo";
	for (size_t i = 0; i < policy_count; i++)   /* OSTEP writes FIFO, vmlab fifo */
		if (!strcasecmp(policy_registry[i]->name, ro.policy))
			ro.policy = policy_registry[i]->name;
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.policy = ro.policy;
	cfg.frames = (uint32_t)ro.frames;
	char err[512];
	if (vm_config_check(&cfg, err, sizeof err)) {
		fprintf(stderr, "vmlab quiz: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	gen_t g = { .pattern = GEN_OSTEP, .pages = ro.pages, .seed = q->seed };
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
	upper(name, sizeof name, ro.policy);
	int status = CLI_EXIT_OK;
	if (!q->answers) {
		printf("Assuming a replacement policy of %s, and a cache of size %llu pages,\n"
		       "figure out whether each of the following page references hit or miss\n"
		       "in the page cache.\n\n", name, (unsigned long long)ro.frames);
		for (uint64_t i = 0; i < q->n; i++)
			printf("Access: %llu  Hit/Miss?  State of Memory?\n", (unsigned long long)pages[i]);
		printf("\n");
	} else {
		status = replace_answers(q, &ro, pages);
	}
	free(pages);
	return status;
}

/* The kinds of question and translate's systems: the options each takes
 * (besides --seed, -n and --answers) and its function. */
static const struct quiz_kind {
	const char *kind, *system;
	unsigned opts;
	int (*ask)(const quiz_opts_t *q);
} quiz_kinds[] = {
	{ "replace", NULL, QO_BIT(QO_PAGES) | QO_BIT(QO_FRAMES) | QO_BIT(QO_POLICY) | QO_BIT(QO_P), NULL },
	{ "translate", "ostep-multilevel", QO_BIT(QO_SYSTEM) | QO_BIT(QO_A), quiz_ostep_multilevel },
	{ "translate", "ostep-linear", QO_BIT(QO_SYSTEM) | QO_BIT(QO_A) | QO_BIT(QO_P) | QO_BIT(QO_ASIZE) |
	  QO_BIT(QO_PHYSMEM) | QO_BIT(QO_PAGE_SIZE) | QO_BIT(QO_USED) | QO_BIT(QO_VERBOSE), quiz_ostep_linear },
	{ "translate", "csapp", QO_BIT(QO_SYSTEM), quiz_csapp },
};

/* The entry of quiz_kinds for kind and --system (NULL: the kind's first,
 * its default); NULL after printing why when there is none. */
static const struct quiz_kind *quiz_pick(const char *kind, const char *system)
{
	for (size_t i = 0; i < sizeof quiz_kinds / sizeof quiz_kinds[0]; i++) {
		const struct quiz_kind *k = &quiz_kinds[i];
		if (!strcmp(k->kind, kind) && (!system || (k->system && !strcmp(k->system, system))))
			return k;
	}
	fprintf(stderr, "vmlab quiz translate: --system: '%s': expected ostep-multilevel, ostep-linear or csapp\n",
		system);
	return NULL;
}

int cmd_quiz(int argc, char **argv)
{
	quiz_opts_t q = { 0 };
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
	/* replace has no systems: a --system there is a stray option below */
	const struct quiz_kind *k = quiz_pick(argv[1], strcmp(argv[1], "replace") ? q.val[QO_SYSTEM] : NULL);
	if (!k)
		return CLI_EXIT_USAGE;
	unsigned stray = q.given & ~(k->opts | QO_BIT(QO_SEED) | QO_BIT(QO_N) | QO_BIT(QO_ANSWERS));
	if (stray) {
		int i = __builtin_ctz(stray);
		const char *name = quiz_opt[i].l;
		if (i == QO_SYSTEM)
			fprintf(stderr, "vmlab quiz replace: --system goes with quiz translate\n");
		else if (k->opts & QO_BIT(QO_SYSTEM) && (quiz_kinds[0].opts & QO_BIT(i)) && i != QO_P)
			fprintf(stderr, "vmlab quiz translate: %s goes with quiz replace\n", name);
		else
			fprintf(stderr, "vmlab quiz %s: %s does not go with %s%s (try vmlab quiz --help)\n",
				k->kind, name, k->system ? "--system " : "replace", k->system ? k->system : "");
		return CLI_EXIT_USAGE;
	}
	return k->ask ? k->ask(&q) : quiz_replace(&q);
}
