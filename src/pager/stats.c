/* stats.c - handler times and the counters as JSON (prefix pg_, vp_). */
#include <stdio.h>
#include <time.h>

#include "pager/pager.h"

uint64_t pg_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Bucket of ns: 8 an octave, so a bucket's width is under 9% of its value. */
static unsigned hist_bucket(uint64_t ns)
{
	if (ns < 8)
		return (unsigned)ns;
	unsigned oct = 63u - (unsigned)__builtin_clzll(ns);     /* >= 3 */
	unsigned sub = (unsigned)(ns >> (oct - 3)) & 7u;
	unsigned b = (oct - 2) * 8 + sub;
	return b < PG_HIST ? b : PG_HIST - 1;
}

/* The smallest ns in bucket b. */
static uint64_t hist_low(unsigned b)
{
	if (b < 8)
		return b;
	unsigned oct = b / 8 + 2, sub = b % 8;
	return (8ull | sub) << (oct - 3);
}

void pg_hist_add(pg_hist_t *h, uint64_t ns)
{
	h->n++;
	h->sum += ns;
	h->b[hist_bucket(ns)]++;
}

/* The pct-th percentile (the low end of its bucket); 0 with no sample. */
uint64_t pg_hist_pct(const pg_hist_t *h, unsigned pct)
{
	if (!h->n)
		return 0;
	uint64_t want = (h->n * pct + 99) / 100, seen = 0;
	for (unsigned b = 0; b < PG_HIST; b++) {
		seen += h->b[b];
		if (seen >= want && h->b[b])
			return hist_low(b);
	}
	return hist_low(PG_HIST - 1);
}

/* A string as a JSON string (the names here hold no quotes, but a message
 * may). */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

int vp_stats_json(vp_pager_t *p, FILE *out)
{
	vp_stats_t s;
	vp_stats(p, &s);
	const char *msg;
	int err = vp_error(p, &msg);
	const struct { const char *k; uint64_t v; } kv[] = {
		{ "budget_pages", s.budget_pages }, { "page_faults", s.page_faults },
		{ "minor_faults", s.minor_faults }, { "major_faults", s.major_faults },
		{ "soft_faults", s.soft_faults }, { "wp_faults", s.wp_faults },
		{ "evictions", s.evictions }, { "dirty_writebacks", s.dirty_writebacks },
		{ "swap_ins", s.swap_ins }, { "swap_outs", s.swap_outs },
		{ "readahead_pages", s.readahead_pages }, { "daemon_reclaims", s.daemon_reclaims },
		{ "resident_pages", s.resident_pages }, { "resident_pages_peak", s.resident_pages_peak },
		{ "free_slots", s.free_slots }, { "swap_slots_used", s.swap_slots_used },
		{ "faults_timed", s.faults_timed }, { "handler_ns", s.handler_ns },
		{ "fault_ns_mean", s.fault_ns_mean }, { "fault_ns_p50", s.fault_ns_p50 },
		{ "fault_ns_p99", s.fault_ns_p99 },
	};
	fputs("{\"backend\": ", out);
	json_str(out, vp_backend(p));
	fputs(", \"policy\": ", out);
	json_str(out, p->pol->name);
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		fprintf(out, ", \"%s\": %llu", kv[i].k, (unsigned long long)kv[i].v);
	fputs(", \"error\": ", out);
	if (err)
		json_str(out, msg);
	else
		fputs("null", out);
	fputs("}\n", out);
	return fflush(out) || ferror(out) ? VM_EIO : VM_OK;
}
