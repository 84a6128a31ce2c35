/* kdiff.h - the randomized differential test of the kernel side
 * (vmlab_sys.h) against a flat model, shared by test_kernel_diff.c (the
 * plain machines) and test_kernel_diff2.c (NUMA, zRAM, malloc/free, and
 * later THP: each one more row of kdiff_variant_t).
 *
 * The model knows nothing about frames, swap, page tables or sharing: each
 * process is a window of KDIFF_WIN_PAGES pages, each page either unmapped or
 * mapped (private anonymous) with a protection, and a flat byte store; its
 * malloc'ed blocks are a map from pointer to the bytes written there.  See
 * kdiff.c for the operations.
 *
 * The generator is a local xorshift64* (not the project's rng), so the test
 * shares no code with what it checks. */
#ifndef VMLAB_TEST_KDIFF_H
#define VMLAB_TEST_KDIFF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmlab.h"
#include "vmlab_sys.h"

#define KDIFF_PS 4096u
#define KDIFF_WIN_PAGES 32u
#define KDIFF_WIN_BASE 0x40000000ull

/* ---- a generator of our own: xorshift64* ---- */

static inline uint64_t xs_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* 0..n-1 (n > 0) */
static inline uint64_t xs_below(uint64_t *s, uint64_t n)
{
	return xs_next(s) % n;
}

/* true with probability pct/100 */
static inline int xs_pct(uint64_t *s, unsigned pct)
{
	return xs_below(s, 100) < pct;
}

/* n bytes of xorshift output from seed: incompressible. */
static inline void xs_fill(uint64_t seed, uint8_t *p, size_t n)
{
	uint64_t s = seed | 1;
	size_t i = 0;
	while (i < n) {
		uint64_t v = xs_next(&s);
		for (int k = 0; k < 8 && i < n; k++, i++)
			p[i] = (uint8_t)(v >> (8 * k));
	}
}

/* Runs of one byte, 8 to 263 long: pages of them compress well. */
static inline void xs_fill_runs(uint64_t seed, uint8_t *p, size_t n)
{
	uint64_t s = seed | 1;
	for (size_t i = 0; i < n;) {
		uint64_t v = xs_next(&s);
		size_t run = 8 + (size_t)(v >> 56);
		if (run > n - i)
			run = n - i;
		memset(p + i, (int)(v & 0xff), run);
		i += run;
	}
}

/* A quarter of the writes random bytes (a page full of them is rejected by
 * zRAM and goes to the swap file), the rest runs. */
static inline void xs_fill_mixed(uint64_t seed, uint8_t *p, size_t n)
{
	if (seed % 4 == 0)
		xs_fill(seed, p, n);
	else
		xs_fill_runs(seed, p, n);
}

/* A seed made of a name (FNV-1a) and a salt. */
static inline uint64_t kdiff_name_seed(const char *name, uint64_t salt)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	return h ^ salt;
}

/* A machine every policy runs on. */
typedef struct kdiff_machine {
	const char *name;
	uint32_t frames;
	uint32_t wmark_min, wmark_low, wmark_high;
	unsigned readahead;
	uint32_t tlb_entries, tlb_ways;
	unsigned ops;
} kdiff_machine_t;

typedef struct diff kdiff_t;

/* What a variant of the test changes: one row of a table, every hook
 * optional (NULL: the plain test's behaviour). */
typedef struct kdiff_variant {
	const char *name;
	/* turn the feature on in the machine's configuration */
	void (*configure)(vm_config_t *c);
	/* the bytes a write writes (default xs_fill: incompressible) */
	void (*fill)(uint64_t seed, uint8_t *p, size_t n);
	/* an extra operation on pid, taken instead of the usual mix extra_pct
	 * times in 100 */
	void (*extra)(kdiff_t *d, uint32_t pid);
	unsigned extra_pct;
	/* checks after every operation / at the end (the common end checks
	 * always run, but swap_ins > 0 only when no_swap_ins is 0) */
	void (*after_op)(kdiff_t *d);
	void (*at_end)(kdiff_t *d);
	int no_swap_ins;      /* there is no swap file to read from */
} kdiff_variant_t;

/* The plain test. */
extern const kdiff_variant_t kdiff_plain;

/* Run the differential test of policy on machine mc with variant v, its
 * operations from seed; Criterion asserts on the first difference. */
void kdiff_run(const char *policy, const kdiff_machine_t *mc, const kdiff_variant_t *v,
	       uint64_t seed);

/* For variants' hooks: the machine, the generator, the tag for messages
 * ("POLICY/MACHINE/VARIANT"), the operation number, the live processes. */
vm_machine_t *kdiff_vm(kdiff_t *d);
uint64_t *kdiff_rng(kdiff_t *d);
const char *kdiff_tag(const kdiff_t *d);
unsigned kdiff_op(const kdiff_t *d);
uint32_t kdiff_nlive(const kdiff_t *d);
uint32_t kdiff_live(const kdiff_t *d, uint32_t i);

/* For an extra hook: a fixed private mmap of window pages [first, first +
 * n) of pid with prot (the model's pages become zeros); the model's
 * protection of window page `page` of pid (-1: unmapped); a line in the
 * operation log. */
void kdiff_mmap(kdiff_t *d, uint32_t pid, unsigned first, unsigned n, int prot);
int kdiff_prot(const kdiff_t *d, uint32_t pid, unsigned page);
void kdiff_log(kdiff_t *d, const char *what);

/* The malloc/free extra operation (an extra hook): malloc (small blocks
 * from the heap, large ones through their own mapping), free of a live
 * pointer, a write or read inside a block, each checked byte for byte
 * against the model's map from pointer to bytes written. */
void kdiff_heap_op(kdiff_t *d, uint32_t pid);
/* What kdiff_heap_op did so far. */
typedef struct kdiff_heap_counts {
	uint64_t mallocs, mapped, frees, writes, reads, bytes_compared;
} kdiff_heap_counts_t;
void kdiff_heap_counts(const kdiff_t *d, kdiff_heap_counts_t *out);


/* One row of a table of variants: the variant, its machine, its seed's
 * salt. */
typedef struct kdiff_row {
	kdiff_variant_t v;
	const kdiff_machine_t *m;
	uint64_t salt;
} kdiff_row_t;

/* One case of a parameterized test over such a table: indices, not
 * pointers (Criterion may run a test in a new process). */
typedef struct kdiff_param {
	size_t policy; /* index in policy_registry */
	size_t row;    /* index in the table */
} kdiff_param_t;

/* Every pair of a policy from the registry but opt (it needs the future)
 * and a row of a table of nrows, into out (room for cap).  Their number. */
size_t kdiff_params(size_t nrows, kdiff_param_t *out, size_t cap);

/* Run case p of the table rows: its row's variant on its machine, seeded by
 * the policy's name and the row's salt. */
void kdiff_run_row(const kdiff_row_t *rows, const kdiff_param_t *p);

#endif
