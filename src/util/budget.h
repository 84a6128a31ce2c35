/* budget.h - an account of host memory against a limit (prefix budget_).
 *
 * Whatever grows with the input (page tables, processes, objects, the
 * reverse map, swap bookkeeping, OPT's future) charges its bytes here before
 * allocating them and releases them when freed; a charge past the limit is
 * refused with VM_ELIMIT and remembered (which kind, how many bytes), so the
 * caller can say what grew.  A NULL account is unlimited. */
#ifndef VMLAB_BUDGET_H
#define VMLAB_BUDGET_H

#include <stdint.h>

/* What holds the bytes. */
typedef enum budget_kind {
	BUDGET_MACHINE,   /* fixed at build: frame table and contents, TLB, policy */
	BUDGET_TABLES,    /* the kernel frame pool holding page tables */
	BUDGET_PROCS,     /* process table, pid index, region arrays */
	BUDGET_OBJECTS,   /* file and shared anonymous objects, their swap slots */
	BUDGET_RMAPS,     /* the reverse map */
	BUDGET_SWAP,      /* per-slot swap counts and swap cache */
	BUDGET_FUTURE,    /* OPT's reference buffer and next-use index */
	BUDGET_SHADOW,    /* shadow entries of reclaimed pages (kern/shadow.h) */
	BUDGET_KINDS
} budget_kind_t;

typedef struct budget {
	uint64_t limit;          /* bytes; 0: unlimited */
	uint64_t used;           /* bytes charged now, = sum of by[] */
	uint64_t by[BUDGET_KINDS];
	int over;                /* kind of the last refused charge, -1 if none */
	uint64_t over_want;      /* what that kind would have held (bytes) */
	/* Optional: gives back memory that can be done without (the kernel's
	 * shadow entries), called when a charge of another kind would pass the
	 * limit, before it is refused; the charge is then tried again. */
	void (*shrink)(void *arg);
	void *shrink_arg;
} budget_t;

void budget_init(budget_t *b, uint64_t limit);

/* Charge bytes to kind: 0, or VM_ELIMIT (nothing charged; over recorded),
 * after shrink (if any) gave back what it could. */
int budget_charge(budget_t *b, int kind, uint64_t bytes);
void budget_release(budget_t *b, int kind, uint64_t bytes);

/* Bytes that may still be charged (UINT64_MAX when unlimited), counting
 * what shrink would give back. */
uint64_t budget_room(const budget_t *b);

/* realloc(p, new_bytes) with the difference charged to (or released from)
 * kind.  NULL with *rc = VM_ELIMIT or VM_ENOMEM on failure (p untouched);
 * else *rc = 0. */
void *budget_realloc(budget_t *b, int kind, void *p, uint64_t old_bytes, uint64_t new_bytes,
		     int *rc);

#endif
