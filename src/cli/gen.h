/* gen.h - seeded reference-string generators, for `vmlab gen` and
 * `vmlab quiz` (prefix gen_). */
#ifndef VMLAB_CLI_GEN_H
#define VMLAB_CLI_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/mt.h"
#include "util/rng.h"

typedef enum gen_pattern {
	GEN_UNIFORM, GEN_8020, GEN_LOOP, GEN_SEQ, GEN_ZIPF, GEN_OSTEP,
} gen_pattern_t;

typedef struct gen {
	gen_pattern_t pattern;
	uint64_t pages;          /* pages 0..pages-1 (OSTEP's -m MAXPAGE) */
	uint64_t seed;
	double alpha;            /* zipf:ALPHA */
	double write_ratio;      /* share of writes, 0..1 */
	uint64_t i;              /* references made so far */
	rng_t rng, wrng;         /* pages; writes (apart, so writes change no page) */
	mt_t mt;                 /* ostep: Python's random */
	double *cdf;             /* zipf: cumulative probabilities of ranks 1..pages */
} gen_t;

/* The most pages zipf takes (its table is 8 bytes a page). */
#define GEN_ZIPF_MAX_PAGES (1u << 22)

/* Parse "uniform", "8020", "loop", "seq", "zipf:ALPHA" or "ostep" into
 * g->pattern (and g->alpha).  Returns 0 or VM_EINVAL with a sentence in err. */
int gen_parse_pattern(gen_t *g, const char *s, char *err, size_t errlen);

/* Seed the generators from g->seed and build zipf's table; g->pages >= 1.
 * Returns 0, VM_ENOMEM, or VM_ERANGE (zipf with too many pages). */
int gen_start(gen_t *g);

/* The next page; *write set when it is a write. */
uint64_t gen_next(gen_t *g, int *write);

void gen_free(gen_t *g);

#endif
