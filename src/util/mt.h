/* mt.h - the Mersenne Twister MT19937 exactly as CPython's random module uses
 * it (prefix mt_), so that vmlab can ask the questions OSTEP's homework
 * scripts ask for a seed.
 *
 * Python 3's random.seed(n) for an int n takes |n| as 32-bit words, least
 * significant first (one word 0 for n == 0), and calls init_by_array (Matsumoto
 * and Nishimura's mt19937ar.c, 2002).  random.random() is genrand_res53: two
 * 32-bit outputs a and b, (a >> 5) * 2^26 + (b >> 6), divided by 2^53. */
#ifndef VMLAB_MT_H
#define VMLAB_MT_H

#include <stdint.h>

typedef struct mt {
	uint32_t s[624];
	int i;            /* next word of s to temper; 624: regenerate first */
} mt_t;

/* Python's random.seed(seed) for a non-negative integer seed. */
void mt_seed_python(mt_t *m, uint64_t seed);

/* The next tempered 32-bit output (genrand_int32). */
uint32_t mt_next32(mt_t *m);

/* Python's random.random(): a double in [0, 1) with 53 random bits. */
double mt_random(mt_t *m);

#endif
