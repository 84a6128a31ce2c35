/* gen.c - `vmlab gen`: seeded reference strings.  --pattern ostep draws as
 * OSTEP's vm-beyondphys-policy/paging-policy.py does:
 *   random.seed(seed); for i in range(n): int(maxpage * random.random())
 * with Python's MT19937 (util/mt.h), so the same -s, -n, -m give the string
 * that script asks about. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gen.h"
#include "util/num.h"
#include "util/vmerr.h"

static const char gen_usage[] =
	"usage: vmlab gen [OPTIONS]\n"
	"\n"
	"Write a seeded reference string on stdout, as a pages list (the `pages`\n"
	"trace format: page numbers separated by commas, 'w' after a write) or, with\n"
	"--format text, one `R ADDR` / `W ADDR` line per reference.\n"
	"\n"
	"Options:\n"
	"  --pattern P        uniform (default), 8020 (80% of references to the first\n"
	"                     fifth of the pages), loop (0,1,..,pages-1 over and over),\n"
	"                     seq (0,1,2,... every page new; --pages unused),\n"
	"                     zipf:ALPHA (page k-1 with probability ~ 1/k^ALPHA), or\n"
	"                     ostep (OSTEP paging-policy.py's string for -s -n -m)\n"
	"  -n N               references (default 10)\n"
	"  --pages N, -m N    pages 0..N-1 (OSTEP's -m MAXPAGE; default 10)\n"
	"  --seed S, -s S     seed (default 0)\n"
	"  --write-ratio R    share of writes, 0 to 1 (default 0); drawn apart from\n"
	"                     the pages, so R changes no page number\n"
	"  --format F         pages (default) or text\n"
	"  --page-size BYTES  text: page N is address N*BYTES (default 4096)\n"
	"  --help             this text";

int gen_parse_pattern(gen_t *g, const char *s, char *err, size_t errlen)
{
	static const struct { const char *name; gen_pattern_t p; } names[] = {
		{ "uniform", GEN_UNIFORM }, { "8020", GEN_8020 }, { "loop", GEN_LOOP },
		{ "seq", GEN_SEQ }, { "ostep", GEN_OSTEP },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i].name)) {
			g->pattern = names[i].p;
			return VM_OK;
		}
	if (!strncmp(s, "zipf:", 5)) {
		char *end;
		double a = strtod(s + 5, &end);
		if (end != s + 5 && !*end && a >= 0 && a <= 100) {
			g->pattern = GEN_ZIPF;
			g->alpha = a;
			return VM_OK;
		}
		snprintf(err, errlen, "'%s': ALPHA must be a number from 0 to 100 (zipf:0.8)", s);
		return VM_EINVAL;
	}
	snprintf(err, errlen, "unknown pattern '%s'; known: uniform 8020 loop seq zipf:ALPHA ostep", s);
	return VM_EINVAL;
}

int gen_start(gen_t *g)
{
	rng_seed(&g->rng, g->seed);
	rng_seed(&g->wrng, g->seed ^ 0x5772697465ull); /* "Write": a stream of its own */
	mt_seed_python(&g->mt, g->seed);
	g->i = 0;
	g->cdf = NULL;
	if (g->pattern != GEN_ZIPF)
		return VM_OK;
	if (g->pages > GEN_ZIPF_MAX_PAGES)
		return VM_ERANGE;
	g->cdf = malloc(g->pages * sizeof *g->cdf);
	if (!g->cdf)
		return VM_ENOMEM;
	double sum = 0;
	for (uint64_t k = 0; k < g->pages; k++)
		g->cdf[k] = sum += pow((double)(k + 1), -g->alpha);
	for (uint64_t k = 0; k < g->pages; k++)
		g->cdf[k] /= sum;
	return VM_OK;
}

/* A double in [0, 1) from the top 53 bits of xoshiro. */
static double unit(rng_t *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* zipf: the first rank whose cumulative probability passes u. */
static uint64_t zipf_draw(const gen_t *g, double u)
{
	uint64_t lo = 0, hi = g->pages - 1;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (g->cdf[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

uint64_t gen_next(gen_t *g, int *write)
{
	uint64_t page = 0, i = g->i++;
	switch (g->pattern) {
	case GEN_UNIFORM:
		page = rng_below(&g->rng, g->pages);
		break;
	case GEN_8020: {
		uint64_t hot = g->pages / 5 ? g->pages / 5 : 1;
		if (rng_below(&g->rng, 100) < 80 || hot == g->pages)
			page = rng_below(&g->rng, hot);
		else
			page = hot + rng_below(&g->rng, g->pages - hot);
		break;
	}
	case GEN_LOOP:
		page = i % g->pages;
		break;
	case GEN_SEQ:
		page = i;
		break;
	case GEN_ZIPF:
		page = zipf_draw(g, unit(&g->rng));
		break;
	case GEN_OSTEP:
		/* Python: int(maxpage * random.random()), a double product truncated */
		page = (uint64_t)((double)g->pages * mt_random(&g->mt));
		break;
	}
	*write = g->write_ratio > 0 && unit(&g->wrng) < g->write_ratio;
	return page;
}

void gen_free(gen_t *g)
{
	free(g->cdf);
	g->cdf = NULL;
}

/* The value of option argv[*i] (--opt=V or the next word) for one of names;
 * NULL if argv[*i] is none of them.  Sets *missing when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *const *names, int *missing)
{
	const char *a = argv[*i];
	for (; *names; names++) {
		size_t n = strlen(*names);
		if (strncmp(a, *names, n))
			continue;
		if (a[n] == '=' && a[1] == '-')
			return a + n + 1;
		if (a[n])
			continue;
		if (*i + 1 < argc)
			return argv[++*i];
		*missing = 1;
		return NULL;
	}
	return NULL;
}

/* A number option; prints the error and returns CLI_EXIT_USAGE if bad. */
static int gen_num(const char *opt, const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	if (num_parse_u64(v, out, 0) || *out < min || *out > max) {
		fprintf(stderr, "vmlab gen: %s: '%s' is not a number from %llu to %llu\n", opt, v,
			(unsigned long long)min, (unsigned long long)max);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int cmd_gen(int argc, char **argv)
{
	gen_t g = { .pattern = GEN_UNIFORM, .pages = 10 };
	uint64_t n = 10, page_size = 4096;
	int text = 0;
	char err[256];
	static const char *const o_pat[] = { "--pattern", NULL }, *const o_n[] = { "-n", NULL },
		*const o_pages[] = { "--pages", "-m", NULL }, *const o_seed[] = { "--seed", "-s", NULL },
		*const o_wr[] = { "--write-ratio", NULL }, *const o_fmt[] = { "--format", NULL },
		*const o_ps[] = { "--page-size", NULL };
	for (int i = 1; i < argc; i++) {
		int missing = 0, rc = CLI_EXIT_OK;
		const char *v, *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			puts(gen_usage);
			return CLI_EXIT_OK;
		}
		if ((v = opt_value(argc, argv, &i, o_pat, &missing))) {
			if (gen_parse_pattern(&g, v, err, sizeof err)) {
				fprintf(stderr, "vmlab gen: --pattern: %s\n", err);
				return CLI_EXIT_USAGE;
			}
		} else if (!missing && (v = opt_value(argc, argv, &i, o_n, &missing))) {
			rc = gen_num("-n", v, 0, UINT64_MAX, &n);
		} else if (!missing && (v = opt_value(argc, argv, &i, o_pages, &missing))) {
			rc = gen_num("--pages", v, 1, 1ull << 52, &g.pages);
		} else if (!missing && (v = opt_value(argc, argv, &i, o_seed, &missing))) {
			rc = gen_num("--seed", v, 0, UINT64_MAX, &g.seed);
		} else if (!missing && (v = opt_value(argc, argv, &i, o_ps, &missing))) {
			rc = gen_num("--page-size", v, 1, 1ull << 30, &page_size);
		} else if (!missing && (v = opt_value(argc, argv, &i, o_wr, &missing))) {
			char *end;
			g.write_ratio = strtod(v, &end);
			if (end == v || *end || !(g.write_ratio >= 0 && g.write_ratio <= 1)) {
				fprintf(stderr, "vmlab gen: --write-ratio: '%s' is not a number from 0 to 1\n", v);
				return CLI_EXIT_USAGE;
			}
		} else if (!missing && (v = opt_value(argc, argv, &i, o_fmt, &missing))) {
			if (strcmp(v, "pages") && strcmp(v, "text")) {
				fprintf(stderr, "vmlab gen: --format: '%s': expected pages or text\n", v);
				return CLI_EXIT_USAGE;
			}
			text = !strcmp(v, "text");
		} else if (missing) {
			fprintf(stderr, "vmlab gen: %s needs a value\n", a);
			return CLI_EXIT_USAGE;
		} else {
			fprintf(stderr, "vmlab gen: unknown option or argument '%s' (try vmlab gen --help)\n", a);
			return CLI_EXIT_USAGE;
		}
		if (rc)
			return rc;
	}
	int rc = gen_start(&g);
	if (rc) {
		fprintf(stderr, "vmlab gen: %s\n", rc == VM_ERANGE ?
			"zipf takes at most 4194304 pages" : "out of memory");
		return CLI_EXIT_USAGE;
	}
	uint64_t top = g.pattern == GEN_SEQ ? n : g.pages; /* pages are below top */
	if (text && top > UINT64_MAX / page_size) {
		fprintf(stderr, "vmlab gen: page %llu times --page-size %llu is beyond 64-bit addresses\n",
			(unsigned long long)top, (unsigned long long)page_size);
		gen_free(&g);
		return CLI_EXIT_USAGE;
	}
	for (uint64_t i = 0; i < n; i++) {
		int w;
		uint64_t p = gen_next(&g, &w);
		if (text)
			printf("%c 0x%llx\n", w ? 'W' : 'R', (unsigned long long)(p * page_size));
		else
			printf("%llu%s%s", (unsigned long long)p, w ? "w" : "",
			       i + 1 == n ? "\n" : (i + 1) % 20 ? "," : ",\n");
	}
	gen_free(&g);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "vmlab gen: write error on stdout\n");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
