/* test_speed2.c - vm_access_batch, run's path through the reference engine:
 * the same counters, policy counters and timeline lines as one vm_access a
 * record, for every policy of the registry, on a stream with several
 * processes, page-crossing and modify accesses, repeats of a page with
 * another access, and ticks; it stops at the first failing record as
 * vm_access fails on it; and a short stream worked out by hand, where the
 * repeat shortcut must not hide a write's dirty bit. */
#include <criterion/criterion.h>
#include <string.h>

#include "vmlab.h"
#include "policy/policy.h"

/* The timeline lines a machine printed: the references at each. */
typedef struct lines {
	uint64_t at[512];
	uint64_t faults[512];
	size_t n;
} lines_t;

static void on_line(void *arg, const vm_stats_t *s, uint64_t free_frames)
{
	lines_t *l = arg;
	cr_assert_lt(l->n, 512);
	l->at[l->n] = s->references;
	l->faults[l->n++] = s->page_faults + 1000000 * free_frames;
}

static vm_machine_t *machine(const char *policy, uint32_t frames, lines_t *l, uint64_t tick)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = frames;
	c.tlb_entries = 16;
	c.tlb_ways = 4;
	c.policy = policy;
	c.tick = tick;
	if (l) {
		c.timeline_every = 97;
		c.timeline_fn = on_line;
		c.timeline_arg = l;
	}
	char err[256];
	vm_machine_t *vm = NULL;
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s: %s", policy, err);
	return vm;
}

/* A deterministic stream: runs of one of three processes; pages of a
 * small hot set and a wider cold one; repeats of the last page with the
 * same or another kind; some accesses crossing a page boundary, some
 * modifies. */
static size_t stream(vm_access_rec_t *a, size_t n)
{
	uint64_t s = 88172645463325252ull;
	uint32_t pid = 1;
	uint64_t va = 0x10000;
	static const uint8_t kinds[] = { VM_READ, VM_WRITE, VM_IFETCH, VM_MODIFY };
	for (size_t i = 0; i < n; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		if (s % 23 == 0)
			pid = 1 + (uint32_t)(s >> 8) % 3;
		unsigned r = (unsigned)(s >> 16) % 16;
		if (r >= 6) /* a repeat of the last page, at another offset */
			va = (va & ~0xfffull) | ((s >> 24) & 0xff8);
		else if (r >= 2)
			va = 0x10000 + ((s >> 28) % 12) * 0x1000 + ((s >> 40) & 0xff0);
		else
			va = 0x400000 + ((s >> 28) % 40) * 0x1000 + ((s >> 40) & 0xff0);
		uint32_t size = (s >> 50) % 9 == 0 ? 16 : 1 + (uint32_t)(s >> 56) % 8;
		if ((s >> 45) % 11 == 0)
			va |= 0xffc; /* with size 16 or > 4: crosses into the next page */
		a[i] = (vm_access_rec_t){ .va = va, .size = size, .pid = pid,
					  .kind = kinds[(s >> 33) % 7 < 4 ? (s >> 33) % 7 % 3 : (s >> 33) % 4] };
	}
	return n;
}

static void same_machines(vm_machine_t *one, vm_machine_t *batch, const char *policy)
{
	const vm_stats_t *s1 = vm_stats(one), *s2 = vm_stats(batch);
	cr_assert_eq(memcmp(s1, s2, sizeof *s1), 0,
		     "%s: references %llu/%llu faults %llu/%llu tlb hits %llu/%llu", policy,
		     (unsigned long long)s1->references, (unsigned long long)s2->references,
		     (unsigned long long)s1->page_faults, (unsigned long long)s2->page_faults,
		     (unsigned long long)s1->tlb_hits, (unsigned long long)s2->tlb_hits);
	const char *n1[64], *n2[64];
	uint64_t v1[64], v2[64];
	size_t c1 = vm_policy_counters(one, n1, v1, 64), c2 = vm_policy_counters(batch, n2, v2, 64);
	cr_assert_eq(c1, c2, "%s", policy);
	for (size_t k = 0; k < c1; k++)
		cr_assert_eq(v1[k], v2[k], "%s: %s", policy, n1[k]);
}

#define NREC 20000

/* Every policy that needs no future: 20,000 accesses one vm_access each
 * and in batches of 1 to 1,000 records (cut at no particular place) give
 * byte-identical vm_stats, policy counters and timeline lines (every 97
 * references, ticks every 5).  8 frames for some 50 pages, so that the
 * stream faults and evicts throughout. */
Test(speed2, batch_counts_as_one_access_at_a_time)
{
	static vm_access_rec_t a[NREC];
	stream(a, NREC);
	size_t policies = 0;
	for (size_t k = 0; k < policy_count; k++) {
		const policy_ops_t *ops = policy_registry[k];
		if (ops->needs == POLICY_NEEDS_FUTURE)
			continue; /* needs next_use: tested through run below */
		policies++;
		static lines_t l1, l2;
		memset(&l1, 0, sizeof l1);
		memset(&l2, 0, sizeof l2);
		vm_machine_t *one = machine(ops->name, 8, &l1, 5);
		vm_machine_t *batch = machine(ops->name, 8, &l2, 5);
		for (size_t i = 0; i < NREC; i++)
			cr_assert_eq(vm_access(one, a[i].pid, a[i].va, a[i].size, a[i].kind), 0,
				     "%s: %zu", ops->name, i);
		for (size_t i = 0, len = 1; i < NREC; i += len, len = len * 7 % 1001 + 1) {
			size_t m = len < NREC - i ? len : NREC - i, done = 99;
			cr_assert_eq(vm_access_batch(batch, a + i, m, &done), 0, "%s", ops->name);
			cr_assert_eq(done, m);
		}
		same_machines(one, batch, ops->name);
		cr_assert_gt(vm_stats(one)->page_faults, 1000, "%s", ops->name);
		cr_assert_gt(vm_stats(one)->processes, 2);
		cr_assert_eq(l1.n, l2.n, "%s", ops->name);
		cr_assert_gt(l1.n, 200);
		cr_assert_eq(memcmp(l1.at, l2.at, l1.n * sizeof l1.at[0]), 0, "%s", ops->name);
		cr_assert_eq(memcmp(l1.faults, l2.faults, l1.n * sizeof l1.faults[0]), 0, "%s",
			     ops->name);
		cr_assert_eq(l1.at[0], 97);
		vm_destroy(one);
		vm_destroy(batch);
	}
	cr_assert_gt(policies, 15);
}

/* The batch stops at the first record vm_access refuses, which it counts
 * as vm_access does (nothing of it: the checks come first): a size of 0
 * (VM_EINVAL), a kind that is none (VM_EINVAL), an address past the 48-bit
 * VA (VM_ERANGE).  *done is the index of the failed record; the records
 * after it are not performed. */
Test(speed2, batch_stops_at_the_first_failure)
{
	static const struct { vm_access_rec_t bad; int rc; } cases[] = {
		{ { .va = 0x3000, .size = 0, .pid = 0, .kind = VM_READ }, VM_EINVAL },
		{ { .va = 0x3000, .size = 4, .pid = 0, .kind = 'Q' }, VM_EINVAL },
		{ { .va = 1ull << 48, .size = 1, .pid = 0, .kind = VM_READ }, VM_ERANGE },
		{ { .va = (1ull << 48) - 2, .size = 4, .pid = 0, .kind = VM_WRITE }, VM_ERANGE },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		vm_access_rec_t a[5] = {
			{ .va = 0x1000, .size = 4, .pid = 0, .kind = VM_READ },
			{ .va = 0x1004, .size = 4, .pid = 0, .kind = VM_READ },
			{ .va = 0x2ffe, .size = 4, .pid = 0, .kind = VM_WRITE }, /* 2 pages */
			cases[c].bad,
			{ .va = 0x5000, .size = 4, .pid = 0, .kind = VM_READ },
		};
		vm_machine_t *vm = machine("clock", 64, NULL, 1000);
		size_t done = 99;
		cr_assert_eq(vm_access_batch(vm, a, 5, &done), cases[c].rc, "case %zu", c);
		cr_assert_eq(done, 3, "case %zu", c);
		const vm_stats_t *s = vm_stats(vm);
		cr_assert_eq(s->references, 4);  /* 0x1000 twice, 0x2000, 0x3000 */
		cr_assert_eq(s->reads, 2);
		cr_assert_eq(s->writes, 2);
		cr_assert_eq(s->page_faults, 3); /* pages 1, 2, 3 */
		cr_assert_eq(s->distinct_pages, 3);
		vm_destroy(vm);
	}
	vm_machine_t *vm = machine("clock", 64, NULL, 1000);
	size_t done = 99;
	cr_assert_eq(vm_access_batch(vm, NULL, 0, &done), 0);
	cr_assert_eq(done, 0);
	cr_assert_eq(vm_stats(vm)->references, 0);
	vm_destroy(vm);
}

/* By hand, one process, page 1 (4 KiB pages), 64 frames:
 *   R 0x1000  TLB miss, fault (minor), the retry misses again and its
 *             walk fills the TLB (two misses a fault)
 *   R 0x1004  a repeat of page 1 and of the read: a hit, no lookup
 *   W 0x1008  the same page, another access: the entry lacks the dirty
 *             bit, so it must not be a repeat; the MMU sets D in the PTE
 *             (a hit on the entry: no walk)
 *   W 0x100c  a repeat of the write: a hit
 *   R 0x1010  a read after the write: a hit
 *   X 0x2000  page 2: miss, fault
 *   R 0x1000  page 1 again: a hit
 * So 2 faults, 4 misses, 5 hits.  With 1 frame, page 2's fault evicts page
 * 1 and writes it back (dirty: the write reached the PTE), and page 1's
 * return is a major fault evicting page 2 (clean): 3 faults, 6 misses, 4
 * hits.  A repeat taken for the write would leave page 1 clean: no
 * write-back. */
Test(speed2, repeats_by_hand)
{
	const vm_access_rec_t a[] = {
		{ .va = 0x1000, .size = 4, .pid = 0, .kind = VM_READ },
		{ .va = 0x1004, .size = 4, .pid = 0, .kind = VM_READ },
		{ .va = 0x1008, .size = 4, .pid = 0, .kind = VM_WRITE },
		{ .va = 0x100c, .size = 4, .pid = 0, .kind = VM_WRITE },
		{ .va = 0x1010, .size = 4, .pid = 0, .kind = VM_READ },
		{ .va = 0x2000, .size = 4, .pid = 0, .kind = VM_IFETCH },
		{ .va = 0x1000, .size = 4, .pid = 0, .kind = VM_READ },
	};
	vm_machine_t *vm = machine("fifo", 64, NULL, 1000);
	size_t done = 0;
	cr_assert_eq(vm_access_batch(vm, a, 7, &done), 0);
	cr_assert_eq(done, 7);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->references, 7);
	cr_assert_eq(s->reads, 4);
	cr_assert_eq(s->writes, 2);
	cr_assert_eq(s->ifetches, 1);
	cr_assert_eq(s->page_faults, 2);
	cr_assert_eq(s->tlb_misses, 4);
	cr_assert_eq(s->tlb_hits, 5);
	vm_destroy(vm);

	vm = machine("fifo", 1, NULL, 1000);
	cr_assert_eq(vm_access_batch(vm, a, 7, &done), 0);
	s = vm_stats(vm);
	cr_assert_eq(s->page_faults, 3);
	cr_assert_eq(s->major_faults, 1);
	cr_assert_eq(s->dirty_writebacks, 1);
	cr_assert_eq(s->evictions, 2);
	cr_assert_eq(s->tlb_misses, 6);
	cr_assert_eq(s->tlb_hits, 4);
	vm_destroy(vm);
}
