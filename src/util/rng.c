/* rng.c - xoshiro256** seeded by splitmix64; see rng.h. */
#include <assert.h>

#include "rng.h"

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* One splitmix64 step: advances *x by the golden gamma and mixes it. */
static uint64_t splitmix64_next(uint64_t *x)
{
	*x += 0x9e3779b97f4a7c15ull;
	return rng_mix64(*x);
}

void rng_seed(rng_t *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64_next(&x);
	/* splitmix64 is a bijection of its counter, so four successive outputs
	 * are never all zero; xoshiro would be stuck at zero forever. */
	assert(r->s[0] | r->s[1] | r->s[2] | r->s[3]);
}

uint64_t rng_next(rng_t *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Lemire, "Fast Random Integer Generation in an Interval" (2019): the high
 * half of x * n is uniform in [0, n) once the low half's biased band
 * [0, 2^64 mod n) is rejected. */
uint64_t rng_below(rng_t *r, uint64_t n)
{
	assert(n > 0);
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t low = (uint64_t)m;
	if (low < n) {
		const uint64_t threshold = -n % n;   /* 2^64 mod n */
		while (low < threshold) {
			m = (unsigned __int128)rng_next(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}
