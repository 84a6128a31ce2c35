/* registry.c - every replacement policy, listed once.  The machine finds a
 * policy here by name and never asks which one it is running. */
#include <string.h>

#include "policy.h"

extern const policy_ops_t policy_fifo;
extern const policy_ops_t policy_random;
extern const policy_ops_t policy_lru;
extern const policy_ops_t policy_lfu;
extern const policy_ops_t policy_clock;
extern const policy_ops_t policy_eclock;
extern const policy_ops_t policy_opt;
extern const policy_ops_t policy_sieve;
extern const policy_ops_t policy_sieve_hw;
extern const policy_ops_t policy_s3fifo;
extern const policy_ops_t policy_aging;
extern const policy_ops_t policy_nru;
extern const policy_ops_t policy_wsclock;
extern const policy_ops_t policy_clockpro;
extern const policy_ops_t policy_linux;
extern const policy_ops_t policy_arc;
extern const policy_ops_t policy_car;
extern const policy_ops_t policy_2q;
extern const policy_ops_t policy_lirs;
extern const policy_ops_t policy_lru2;
extern const policy_ops_t policy_mglru;

const policy_ops_t *const policy_registry[] = {
	&policy_fifo, &policy_random, &policy_lru, &policy_lfu,
	&policy_clock, &policy_eclock, &policy_opt,
	&policy_sieve, &policy_sieve_hw, &policy_s3fifo, &policy_aging, &policy_nru,
	&policy_wsclock, &policy_clockpro,
	&policy_linux,
	&policy_arc, &policy_car, &policy_2q, &policy_lirs, &policy_lru2,
	&policy_mglru,
};
const size_t policy_count = sizeof policy_registry / sizeof policy_registry[0];

const policy_ops_t *policy_find(const char *name)
{
	for (size_t i = 0; i < policy_count; i++)
		if (strcmp(policy_registry[i]->name, name) == 0)
			return policy_registry[i];
	return NULL;
}

const char *policy_needs_name(policy_needs_t needs)
{
	switch (needs) {
	case POLICY_NEEDS_HW_BITS: return "hardware bits";
	case POLICY_NEEDS_EVERY_REF: return "every reference";
	case POLICY_NEEDS_FUTURE: return "future";
	}
	return "?";
}
