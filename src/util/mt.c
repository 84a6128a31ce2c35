/* mt.c - MT19937 as mt19937ar.c defines it, seeded as CPython seeds it. */
#include "mt.h"

/* init_genrand: the linear recurrence that fills the state from one word. */
static void mt_init(mt_t *m, uint32_t s)
{
	m->s[0] = s;
	for (int i = 1; i < 624; i++)
		m->s[i] = 1812433253u * (m->s[i - 1] ^ (m->s[i - 1] >> 30)) + (uint32_t)i;
	m->i = 624;
}

/* init_by_array(key, len), len >= 1. */
static void mt_init_array(mt_t *m, const uint32_t *key, int len)
{
	mt_init(m, 19650218u);
	int i = 1, j = 0;
	for (int k = 624 > len ? 624 : len; k; k--) {
		m->s[i] = (m->s[i] ^ ((m->s[i - 1] ^ (m->s[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
		i++;
		j++;
		if (i >= 624) {
			m->s[0] = m->s[623];
			i = 1;
		}
		if (j >= len)
			j = 0;
	}
	for (int k = 623; k; k--) {
		m->s[i] = (m->s[i] ^ ((m->s[i - 1] ^ (m->s[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
		i++;
		if (i >= 624) {
			m->s[0] = m->s[623];
			i = 1;
		}
	}
	m->s[0] = 0x80000000u; /* MSB 1: the state is never all zero */
}

void mt_seed_python(mt_t *m, uint64_t seed)
{
	uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
	mt_init_array(m, key, key[1] ? 2 : 1);
}

/* Regenerate all 624 words (the twist). */
static void mt_twist(mt_t *m)
{
	for (int k = 0; k < 624; k++) {
		uint32_t y = (m->s[k] & 0x80000000u) | (m->s[(k + 1) % 624] & 0x7fffffffu);
		m->s[k] = m->s[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) ? 0x9908b0dfu : 0);
	}
	m->i = 0;
}

uint32_t mt_next32(mt_t *m)
{
	if (m->i >= 624)
		mt_twist(m);
	uint32_t y = m->s[m->i++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	return y ^ (y >> 18);
}

double mt_random(mt_t *m)
{
	uint32_t a = mt_next32(m) >> 5, b = mt_next32(m) >> 6;
	return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}
