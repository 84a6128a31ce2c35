/* rng.h - a small, fast, reproducible random generator (prefix rng_).
 *
 * xoshiro256** 1.0 (Blackman & Vigna, https://prng.di.unimi.it/), its 256-bit
 * state filled with four successive outputs of splitmix64 started at the
 * seed, as the authors recommend.  The same seed gives the same sequence on
 * every host, so randomized runs can be compared with other tools. */
#ifndef VMLAB_RNG_H
#define VMLAB_RNG_H

#include <stdint.h>

typedef struct rng {
	uint64_t s[4];   /* xoshiro256** state; never all zero */
} rng_t;

/* Start *r from seed (any value, 0 included). */
void rng_seed(rng_t *r, uint64_t seed);

/* The next 64 uniformly distributed bits. */
uint64_t rng_next(rng_t *r);

/* A uniform integer in [0, n), n > 0, without modulo bias (Lemire's
 * multiply-shift with rejection; usually one rng_next). */
uint64_t rng_below(rng_t *r, uint64_t n);

/* splitmix64's finalizer: a bijective 64-bit mix whose every output bit
 * depends on every input bit; good for hashing integer keys. */
static inline uint64_t rng_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
