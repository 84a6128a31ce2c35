/* test_malloc.c - malloc and free inside a simulated process (src/script/
 * umalloc.c) and the script commands `malloc P SIZE [NAME]`, `free P ADDR`
 * and $NAME+OFFSET.  Every address and break below is worked by hand from
 * the layout drawn in umalloc.h: 4 KiB pages, the heap at 0x10000000 (B),
 * prologue tags at B+8 and B+16, the first header at B+24, a request of n
 * bytes taking max(32, n + 16 rounded up to 16). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "script/script.h"
#include "script/umalloc.h"
#include "util/vmerr.h"
#include "vmlab.h"
#include "vmlab_sys.h"

#define B VM_HEAP_BASE
#define PS 4096u

static vm_machine_t *machine(uint32_t frames, uint64_t swap_slots)
{
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.frames = frames;
	c.policy = "fifo";
	c.swap_slots = swap_slots;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

/* malloc that must succeed: the address. */
static uint64_t must_malloc(um_heap_t **h, vm_machine_t *vm, uint32_t pid, uint64_t n)
{
	char why[256] = "";
	uint64_t a = 0;
	int rc = um_malloc(h, vm, pid, n, &a, why, sizeof why);
	cr_assert_eq(rc, 0, "malloc(%llu): %d %s", (unsigned long long)n, rc, why);
	cr_assert_neq(a, 0, "malloc(%llu) returned NULL", (unsigned long long)n);
	return a;
}

static void must_free(um_heap_t **h, vm_machine_t *vm, uint32_t pid, uint64_t a)
{
	char why[256] = "";
	int rc = um_free(h, vm, pid, a, why, sizeof why);
	cr_assert_eq(rc, 0, "free(0x%llx): %d %s", (unsigned long long)a, rc, why);
}

/* The 8-byte little-endian tag at addr, read as the process would. */
static uint64_t tag_at(vm_machine_t *vm, uint32_t pid, uint64_t addr)
{
	unsigned char b[8];
	cr_assert_eq(vm_read(vm, pid, addr, b, 8), 0);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static uint64_t brk_of(vm_machine_t *vm, uint32_t pid)
{
	vm_proc_info_t pi;
	vm_proc_info(vm, pid, &pi);
	return pi.brk;
}

static uint64_t resident_of(vm_machine_t *vm, uint32_t pid)
{
	vm_proc_info_t pi;
	vm_proc_info(vm, pid, &pi);
	return pi.resident;
}

Test(umalloc, first_request_builds_the_heap_and_grows_it_by_the_request_plus_top_pad)
{
	vm_machine_t *vm = machine(64, 64);
	um_heap_t *h = NULL;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(brk_of(vm, 1), B);
	vm_stats_t s0 = *vm_stats(vm);
	/* 100 bytes: a 128-byte block; the break goes to B + 32 (pad, prologue,
	 * epilogue) then up by 128 + 128 KiB, rounded to the page: B + 0x21000 */
	cr_assert_eq(must_malloc(&h, vm, 1, 100), B + 0x20);
	cr_assert_eq(brk_of(vm, 1), B + 0x21000);
	const vm_stats_t *s = vm_stats(vm);
	/* writes: prologue hdr, ftr, epilogue; the new free block's hdr, ftr and
	 * the new epilogue; the allocated hdr, ftr and the rest's hdr, ftr.
	 * reads: prologue hdr and epilogue (the walk), prologue ftr and the new
	 * epilogue (coalescing the grown block) */
	cr_assert_eq(s->writes - s0.writes, 10);
	cr_assert_eq(s->reads - s0.reads, 4);
	/* pages touched: B's (tags at its start) and the last (free footer,
	 * epilogue): 2 minor faults, 2 resident of the 33 */
	cr_assert_eq(s->minor_faults - s0.minor_faults, 2);
	cr_assert_eq(resident_of(vm, 1), 2);
	/* the tags are real bytes: prologue, the block (128|1), the rest */
	cr_assert_eq(tag_at(vm, 1, B + 8), 0x11);
	cr_assert_eq(tag_at(vm, 1, B + 16), 0x11);
	cr_assert_eq(tag_at(vm, 1, B + 0x18), 0x81);
	cr_assert_eq(tag_at(vm, 1, B + 0x90), 0x81);
	cr_assert_eq(tag_at(vm, 1, B + 0x98), 0x21000 - 32 - 128);
	cr_assert_eq(tag_at(vm, 1, B + 0x20ff0), 0x21000 - 32 - 128);
	cr_assert_eq(tag_at(vm, 1, B + 0x20ff8), 1);
	um_drop(&h);
	vm_destroy(vm);
}

Test(umalloc, hand_worked_sequence_addresses_splitting_and_heap_growth)
{
	vm_machine_t *vm = machine(64, 256);
	um_heap_t *h = NULL;
	um_info_t in;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(must_malloc(&h, vm, 1, 100), B + 0x20);   /* block 128 at B+0x18 */
	um_info(h, &in);
	cr_assert_eq(in.blocks, 2);                             /* split: 128 used, the rest free */
	cr_assert_eq(in.free_bytes, 0x21000 - 32 - 128);
	cr_assert_eq(must_malloc(&h, vm, 1, 16), B + 0xa0);    /* 32 at B+0x98 */
	cr_assert_eq(must_malloc(&h, vm, 1, 1), B + 0xc0);     /* 32 at B+0xb8 */
	cr_assert_eq(must_malloc(&h, vm, 1, 0), B + 0xe0);     /* malloc(0): a 32-byte block too */
	cr_assert_eq(must_malloc(&h, vm, 1, 17), B + 0x100);   /* 17 + 16 -> 48 at B+0xf8 */
	/* 120 KiB (below the mmap threshold): 122896 bytes, fits the rest
	 * (0x21000 - 32 - 128 - 32 - 32 - 32 - 48 = 134864): no growth */
	cr_assert_eq(must_malloc(&h, vm, 1, 122880), B + 0x130);
	cr_assert_eq(brk_of(vm, 1), B + 0x21000);
	um_info(h, &in);
	cr_assert_eq(in.free_bytes, 134864 - 122896);           /* 11968 left at the top */
	/* 100000: 100016 bytes; the top lacks 88048; the break moves by
	 * 88048 + 128 KiB = 219120, rounded up to 54 pages: 0x36000 */
	uint64_t top = B + 0x128 + 122896;                      /* the free top block's header */
	cr_assert_eq(must_malloc(&h, vm, 1, 100000), top + 8);
	cr_assert_eq(brk_of(vm, 1), B + 0x21000 + 0x36000);
	um_info(h, &in);
	cr_assert_eq(in.free_blocks, 1);
	cr_assert_eq(in.free_bytes, 11968 + 0x36000 - 100016);
	cr_assert_eq(tag_at(vm, 1, top), 100016 | 1);
	cr_assert_eq(tag_at(vm, 1, B + 0x57000 - 8), 1);        /* the epilogue moved to the end */
	cr_assert_eq(tag_at(vm, 1, top + 100016), in.free_bytes);
	um_drop(&h);
	vm_destroy(vm);
}

Test(umalloc, coalescing_with_the_next_the_previous_and_both_neighbours)
{
	vm_machine_t *vm = machine(64, 64);
	um_heap_t *h = NULL;
	um_info_t in;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	uint64_t a = must_malloc(&h, vm, 1, 100), b = must_malloc(&h, vm, 1, 16),
		 c = must_malloc(&h, vm, 1, 1), d = must_malloc(&h, vm, 1, 200);
	cr_assert_eq(d, B + 0xe0);                              /* 224 at B+0xd8 */
	must_free(&h, vm, 1, b);                                /* neighbours allocated: no merge */
	um_info(h, &in);
	cr_assert_eq(in.blocks, 5);
	cr_assert_eq(in.free_blocks, 2);
	cr_assert_eq(tag_at(vm, 1, b - 8), 32);
	must_free(&h, vm, 1, a);                                /* with the next: 128 + 32 */
	um_info(h, &in);
	cr_assert_eq(in.blocks, 4);
	cr_assert_eq(tag_at(vm, 1, a - 8), 160);
	cr_assert_eq(tag_at(vm, 1, a - 8 + 160 - 8), 160);      /* its footer, where b's was */
	must_free(&h, vm, 1, c);                                /* with the previous: 160 + 32 */
	um_info(h, &in);
	cr_assert_eq(in.blocks, 3);
	cr_assert_eq(tag_at(vm, 1, a - 8), 192);
	must_free(&h, vm, 1, d);                                /* with both: the whole heap */
	um_info(h, &in);
	cr_assert_eq(in.blocks, 1);
	cr_assert_eq(in.free_bytes, 0x21000 - 32);
	cr_assert_eq(tag_at(vm, 1, B + 0x18), 0x21000 - 32);
	cr_assert_eq(tag_at(vm, 1, B + 0x21000 - 16), 0x21000 - 32);
	/* and the heap serves again from its start, without growing */
	cr_assert_eq(must_malloc(&h, vm, 1, 8), B + 0x20);
	cr_assert_eq(brk_of(vm, 1), B + 0x21000);
	um_drop(&h);
	vm_destroy(vm);
}

Test(umalloc, first_fit_takes_the_first_hole_that_fits_and_splits_only_past_32)
{
	vm_machine_t *vm = machine(64, 64);
	um_heap_t *h = NULL;
	um_info_t in;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	must_malloc(&h, vm, 1, 100);                            /* 128 at B+0x18 */
	uint64_t p2 = must_malloc(&h, vm, 1, 16);               /* 32 at B+0x98 */
	must_malloc(&h, vm, 1, 1);                              /* 32 at B+0xb8 */
	uint64_t p4 = must_malloc(&h, vm, 1, 200);              /* 224 at B+0xd8 */
	cr_assert_eq(must_malloc(&h, vm, 1, 16), B + 0x1c0);    /* 32 at B+0x1b8: a fence */
	must_free(&h, vm, 1, p2);                               /* hole of 32 at 0xa0 */
	must_free(&h, vm, 1, p4);                               /* hole of 224 at 0xe0 */
	/* 40 -> 64: the 32-byte hole is too small, the 224 one is first */
	cr_assert_eq(must_malloc(&h, vm, 1, 40), B + 0xe0);     /* rest: 160 at B+0x118 */
	cr_assert_eq(must_malloc(&h, vm, 1, 8), B + 0xa0);      /* 32: the first hole, exactly */
	/* 128 -> 144 of the 160 hole: 16 left is no block, no split */
	um_info(h, &in);
	size_t blocks = in.blocks;
	cr_assert_eq(must_malloc(&h, vm, 1, 128), B + 0x120);
	um_info(h, &in);
	cr_assert_eq(in.blocks, blocks);
	cr_assert_eq(tag_at(vm, 1, B + 0x118), 160 | 1);
	/* every payload is 16-byte aligned */
	for (uint64_t n = 1; n < 100; n += 7)
		cr_assert_eq(must_malloc(&h, vm, 1, n) % 16, 0);
	um_drop(&h);
	vm_destroy(vm);
}

Test(umalloc, one_gib_is_a_mapping_of_its_own_touching_one_page_and_free_unmaps_it)
{
	vm_machine_t *vm = machine(64, 64);
	um_heap_t *h = NULL;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	vm_stats_t s0 = *vm_stats(vm);
	/* 1 GiB + 16 rounded to pages: 0x40001000, top down below 0x7f0000000000 */
	uint64_t a = must_malloc(&h, vm, 1, 1ull << 30);
	cr_assert_eq(a, 0x7f0000000000ull - 0x40001000ull + 16);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->page_faults - s0.page_faults, 1);
	cr_assert_eq(s->writes - s0.writes, 1);                 /* the one tag */
	cr_assert_eq(s->reads - s0.reads, 0);
	cr_assert_eq(resident_of(vm, 1), 1);
	cr_assert_eq(brk_of(vm, 1), B);                         /* the heap was not made */
	cr_assert_eq(tag_at(vm, 1, a - 8), 0x40001000ull | 2);
	/* the threshold: 128 KiB - 1 comes from the heap, 128 KiB is mapped */
	cr_assert_eq(must_malloc(&h, vm, 1, (128u << 10) - 1), B + 0x20);
	uint64_t m = must_malloc(&h, vm, 1, 128u << 10);
	cr_assert_eq(m, a - 16 - 0x21000 + 16);                 /* 128K + 16 -> 33 pages, below a's */
	um_info_t in;
	um_info(h, &in);
	cr_assert_eq(in.mapped, 2);
	must_free(&h, vm, 1, a);
	must_free(&h, vm, 1, m);
	um_info(h, &in);
	cr_assert_eq(in.mapped, 0);
	/* the mappings are gone: touching them is SIGSEGV */
	cr_assert_eq(vm_touch(vm, 1, a, 1, 'R', 0), VM_EFAULT);
	um_drop(&h);
	vm_destroy(vm);
}

Test(umalloc, bad_and_double_free_are_refused_and_change_nothing)
{
	vm_machine_t *vm = machine(64, 64);
	um_heap_t *h = NULL;
	char why[256];
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(um_free(&h, vm, 1, B + 0x20, why, sizeof why), VM_EINVAL);
	cr_assert_str_eq(why, "not an allocated block (0x10000020 is not an address malloc returned, or its mapping was freed already)");
	uint64_t a = must_malloc(&h, vm, 1, 100), b = must_malloc(&h, vm, 1, 100);
	uint64_t m = must_malloc(&h, vm, 1, 1u << 20);
	vm_stats_t s0 = *vm_stats(vm);
	cr_assert_eq(um_free(&h, vm, 1, a + 16, why, sizeof why), VM_EINVAL);
	cr_assert_str_eq(why, "not an allocated block (0x10000030 is inside the block at 0x10000020)");
	cr_assert_eq(um_free(&h, vm, 1, m + 16, why, sizeof why), VM_EINVAL);
	cr_assert(strstr(why, "is inside the mapped block at"), "%s", why);
	cr_assert_eq(um_free(&h, vm, 1, 0, why, sizeof why), VM_EINVAL);
	cr_assert_eq(um_free(&h, vm, 1, UINT64_MAX, why, sizeof why), VM_EINVAL);
	cr_assert_eq(vm_stats(vm)->references, s0.references);  /* nothing was read */
	must_free(&h, vm, 1, b);
	cr_assert_eq(um_free(&h, vm, 1, b, why, sizeof why), VM_EINVAL);
	cr_assert_str_eq(why, "not an allocated block (the block at 0x100000a0 is free: a double free, or an address malloc never returned)");
	must_free(&h, vm, 1, m);
	cr_assert_eq(um_free(&h, vm, 1, m, why, sizeof why), VM_EINVAL);
	cr_assert(strstr(why, "or its mapping was freed already"), "%s", why);
	cr_assert_eq(um_free(&h, vm, 1, B + 8, why, sizeof why), VM_EINVAL); /* the prologue */
	cr_assert_str_eq(why, "not an allocated block (0x10000008 is not an address malloc returned)");
	/* a is still allocated and freeable */
	must_free(&h, vm, 1, a);
	um_drop(&h);
	vm_destroy(vm);
}

Test(umalloc, an_overwritten_tag_is_reported_as_heap_corruption)
{
	vm_machine_t *vm = machine(64, 64);
	um_heap_t *h = NULL;
	char why[256];
	uint64_t got;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	uint64_t a = must_malloc(&h, vm, 1, 24);                /* 48 at B+0x18 */
	must_malloc(&h, vm, 1, 24);
	/* a heap overflow: 48 bytes into a's 32-byte payload run over its
	 * footer (B+0x40) and b's header (B+0x48) */
	cr_assert_eq(vm_write(vm, 1, a, "012345678901234567890123456789012345678901234567", 48), 0);
	cr_assert_eq(um_malloc(&h, vm, 1, 8, &got, why, sizeof why), VM_EINVAL);
	cr_assert_str_eq(why, "heap corrupted: the tag at 0x10000048 reads 0x3736353433323130, malloc wrote 0x31 there");
	/* free rewrites a's own tags, then coalescing reads b's header */
	cr_assert_eq(um_free(&h, vm, 1, a, why, sizeof why), VM_EINVAL);
	cr_assert(strstr(why, "heap corrupted: the tag at 0x10000048"), "%s", why);
	um_drop(&h);
	vm_destroy(vm);
}

Test(umalloc, a_forked_child_inherits_a_copy_and_each_goes_its_own_way)
{
	vm_machine_t *vm = machine(64, 64);
	um_heap_t *h1 = NULL, *h2 = NULL;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	uint64_t a = must_malloc(&h1, vm, 1, 100);
	must_malloc(&h1, vm, 1, 100);
	cr_assert_eq(vm_write(vm, 1, a, "parent", 6), 0);
	cr_assert_eq(vm_fork(vm, 1, 2), 0);
	cr_assert_eq(um_fork(&h2, h1), 0);
	must_free(&h2, vm, 2, a);
	cr_assert_eq(must_malloc(&h2, vm, 2, 50), a);          /* the child reuses a's block */
	cr_assert_eq(must_malloc(&h1, vm, 1, 50), B + 0x120);  /* the parent's a is still taken */
	cr_assert_eq(vm_write(vm, 2, a, "child!", 6), 0);
	char buf[6];
	cr_assert_eq(vm_read(vm, 1, a, buf, 6), 0);
	cr_assert_eq(memcmp(buf, "parent", 6), 0);
	must_free(&h1, vm, 1, a);                              /* the parent's own free */
	char why[256];
	cr_assert_eq(um_free(&h2, vm, 2, B + 0x120, why, sizeof why), VM_EINVAL); /* never the child's */
	um_drop(&h1);
	um_drop(&h2);
	cr_assert_null(h2);
	vm_destroy(vm);
}

/* xorshift64*: the same numbers on every run. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/* What the differential test believes of one allocation. */
typedef struct live {
	uint64_t addr, size;
	unsigned char *bytes, *known;   /* what was written; whether it was */
} live_t;

typedef struct model {
	live_t v[48];
	size_t n;
} model_t;

/* The live allocations never overlap and are all aligned. */
static void model_check_layout(const model_t *m)
{
	for (size_t i = 0; i < m->n; i++) {
		cr_assert_eq(m->v[i].addr % 16, 0);
		for (size_t j = i + 1; j < m->n; j++) {
			const live_t *a = &m->v[i], *b = &m->v[j];
			uint64_t ae = a->addr + (a->size ? a->size : 1), be = b->addr + (b->size ? b->size : 1);
			cr_assert(ae <= b->addr || be <= a->addr, "0x%llx+%llu overlaps 0x%llx+%llu",
				  (unsigned long long)a->addr, (unsigned long long)a->size,
				  (unsigned long long)b->addr, (unsigned long long)b->size);
		}
	}
}

/* Every written byte of every live allocation reads back as written. */
static void model_check_bytes(vm_machine_t *vm, uint32_t pid, const model_t *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const live_t *l = &m->v[i];
		uint64_t len = l->size < 8192 ? l->size : 8192;
		unsigned char buf[8192];
		if (!len)
			continue;
		cr_assert_eq(vm_read(vm, pid, l->addr, buf, len), 0);
		for (uint64_t k = 0; k < len; k++)
			if (l->known[k])
				cr_assert_eq(buf[k], l->bytes[k], "pid %u 0x%llx byte %llu", pid,
					     (unsigned long long)l->addr, (unsigned long long)k);
	}
}

/* One random step on pid: malloc (small, or now and then past the mmap
 * threshold), free, or a write into a live allocation. */
static void model_step(vm_machine_t *vm, uint32_t pid, um_heap_t **h, model_t *m, uint64_t *seed)
{
	uint64_t r = rnd(seed), op = r % 8;
	if ((op < 3 && m->n < 48) || !m->n) {
		uint64_t size = r % 97 == 0 ? (128u << 10) + rnd(seed) % 100000 : rnd(seed) % 600;
		live_t *l = &m->v[m->n++];
		l->size = size;
		l->addr = must_malloc(h, vm, pid, size);
		uint64_t keep = size < 8192 ? size : 8192;
		l->bytes = calloc(keep + 1, 1);
		l->known = calloc(keep + 1, 1);
		cr_assert(l->bytes && l->known);
	} else if (op < 5) {
		size_t i = rnd(seed) % m->n;
		must_free(h, vm, pid, m->v[i].addr);
		free(m->v[i].bytes);
		free(m->v[i].known);
		m->v[i] = m->v[--m->n];
	} else {
		live_t *l = &m->v[rnd(seed) % m->n];
		uint64_t keep = l->size < 8192 ? l->size : 8192;
		if (!keep)
			return;
		uint64_t at = rnd(seed) % keep, len = 1 + rnd(seed) % 64;
		if (len > keep - at)
			len = keep - at;
		unsigned char data[64];
		for (uint64_t k = 0; k < len; k++)
			data[k] = (unsigned char)rnd(seed);
		cr_assert_eq(vm_write(vm, pid, l->addr + at, data, len), 0);
		memcpy(l->bytes + at, data, len);
		memset(l->known + at, 1, len);
	}
}

static void model_copy(model_t *to, const model_t *from)
{
	*to = *from;
	for (size_t i = 0; i < from->n; i++) {
		uint64_t keep = from->v[i].size < 8192 ? from->v[i].size : 8192;
		to->v[i].bytes = malloc(keep + 1);
		to->v[i].known = malloc(keep + 1);
		memcpy(to->v[i].bytes, from->v[i].bytes, keep + 1);
		memcpy(to->v[i].known, from->v[i].known, keep + 1);
	}
}

static void model_free(model_t *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].bytes);
		free(m->v[i].known);
	}
	m->n = 0;
}

Test(umalloc, random_malloc_free_write_read_match_a_flat_model_across_fork_and_swap)
{
	/* 12 frames and room to swap: the heap's pages go out and come back */
	vm_machine_t *vm = machine(12, 4096);
	um_heap_t *h1 = NULL, *h2 = NULL;
	model_t m1 = { 0 }, m2;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	for (int i = 0; i < 1500; i++) {
		model_step(vm, 1, &h1, &m1, &seed);
		model_check_layout(&m1);
		if (i % 100 == 99)
			model_check_bytes(vm, 1, &m1);
	}
	cr_assert_eq(vm_fork(vm, 1, 2), 0);
	cr_assert_eq(um_fork(&h2, h1), 0);
	model_copy(&m2, &m1);
	for (int i = 0; i < 1500; i++) {
		model_step(vm, i % 2 ? 2 : 1, i % 2 ? &h2 : &h1, i % 2 ? &m2 : &m1, &seed);
		if (i % 100 == 99) {
			model_check_bytes(vm, 1, &m1);
			model_check_bytes(vm, 2, &m2);
		}
	}
	cr_assert_gt(vm_stats(vm)->swap_outs, 0);
	model_check_bytes(vm, 1, &m1);
	model_check_bytes(vm, 2, &m2);
	/* everything freed: one free block spanning the heap, no mapping left */
	while (m1.n) {
		must_free(&h1, vm, 1, m1.v[m1.n - 1].addr);
		free(m1.v[m1.n - 1].bytes);
		free(m1.v[m1.n - 1].known);
		m1.n--;
	}
	um_info_t in;
	um_info(h1, &in);
	cr_assert_eq(in.blocks, 1);
	cr_assert_eq(in.free_bytes, in.end - in.start - 32);
	cr_assert_eq(in.mapped, 0);
	char err[256];
	cr_assert_eq(vm_check(vm, err, sizeof err), 0, "%s", err);
	model_free(&m2);
	um_drop(&h1);
	um_drop(&h2);
	vm_destroy(vm);
}

/* ---- the script commands ---- */

/* Parse and run text on a 64-frame script machine; its output into out,
 * an error into err.  Returns the parse (2) or run (1) status. */
static int run_text(const char *text, char *out, size_t outlen, char *err, size_t errlen)
{
	script_t s;
	script_paths_t paths = { .root = "/tmp", .allow_any = 0 };
	err[0] = 0;
	if (script_parse(&s, "t.vms", text, &paths, err, errlen))
		return 2;
	vm_machine_t *vm = machine(64, 64);
	FILE *f = fmemopen(out, outlen, "w");
	cr_assert_not_null(f);
	script_env_t env = { .out = f, .check = 1 };
	int rc = script_run(vm, &s, &env, err, errlen);
	fclose(f);
	script_free(&s);
	vm_destroy(vm);
	return rc ? 1 : 0;
}

Test(script_malloc, prints_addresses_and_names_work_with_offsets_in_write_read_touch)
{
	char out[4096] = "", err[512];
	int rc = run_text("spawn 1\n"
			  "malloc 1 100 buf\n"
			  "malloc 1 16\n"
			  "write 1 $buf+16 \"x\"\n"
			  "read 1 $buf+16 1 expect \"x\"\n"
			  "read 1 $buf 1\n"
			  "touch 1 $buf+0x1000 1 w\n"       /* inside the heap, a third page */
			  "expect 1 resident 3\n"
			  "free 1 $buf\n"
			  "malloc 1 1G big\n"
			  "expect 1 resident 4\n"
			  "write 1 $big+1073741823 \"e\"\n"  /* its last byte: one more page */
			  "expect 1 resident 5\n"
			  "free 1 $big\n"
			  "expect 1 resident 3\n",
			  out, sizeof out, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(out, "malloc 1: 0x10000020\n"
			      "malloc 1: 0x100000a0\n"
			      "read 1 0x10000020: 0x00\n"
			      "malloc 1: 0x7effbffff010\n");
}

Test(script_malloc, bad_free_double_free_and_unset_names_are_line_errors)
{
	char out[4096], err[512];
	cr_assert_eq(run_text("spawn 1\nmalloc 1 8 p\nfree 1 $p\nfree 1 $p\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:4: free 1 $p: not an allocated block (the block at 0x10000020 is free: a double free, or an address malloc never returned)");
	cr_assert_eq(run_text("spawn 1\nmalloc 1 8\nfree 1 0x10000028\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:3: free 1 0x10000028: not an allocated block (0x10000028 is inside the block at 0x10000020)");
	cr_assert_eq(run_text("spawn 1\nfree 1 0x600000\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:2: free 1 0x600000: not an allocated block (0x600000 is not an address malloc returned, or its mapping was freed already)");
	cr_assert_eq(run_text("spawn 1\nrepeat 0\nmalloc 1 8 p\nend\nwrite 1 $p \"x\"\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:5: write 1 $p \"x\": $p has no value yet (its malloc has not run)");
	cr_assert_eq(run_text("spawn 1\nmalloc 1 8\nexit 1\nmalloc 1 8\n", out, sizeof out, err, sizeof err), 1);
	cr_assert_str_eq(err, "t.vms:4: malloc 1 8: process 1 is not alive (exited)");
	/* a process killed by SIGSEGV while malloc walks its heap: a line, not an error */
	cr_assert_eq(run_text("spawn 1\nmalloc 1 8\nmunmap 1 0x10000000 4K\nmalloc 1 8\nexpect 1 segv\n",
			      out, sizeof out, err, sizeof err), 0, "%s", err);
	cr_assert(strstr(out, "P 1: SIGSEGV at 0x10000008 (no region)"), "%s", out);
	/* malformed: exit 2 before anything runs */
	cr_assert_eq(run_text("spawn 1\nwrite 1 $nope \"x\"\n", out, sizeof out, err, sizeof err), 2);
	cr_assert_str_eq(err, "t.vms:2: unknown name $nope (malloc P SIZE nope defines it, on an earlier line)");
	cr_assert_eq(run_text("spawn 1\nmalloc 1 8 $p\n", out, sizeof out, err, sizeof err), 2);
	cr_assert(strstr(err, "t.vms:2: bad NAME '$p'"), "%s", err);
	cr_assert_eq(run_text("spawn 1\nmalloc 1 8 p\nfree 1 $p-8\n", out, sizeof out, err, sizeof err), 2);
	cr_assert(strstr(err, "t.vms:3: bad ADDR '$p-8'"), "%s", err);
	cr_assert_eq(run_text("spawn 1\nmalloc 1\n", out, sizeof out, err, sizeof err), 2);
	cr_assert_str_eq(err, "t.vms:2: wrong number of words for malloc (malloc P SIZE [NAME])");
}

Test(script_malloc, the_first_fit_walk_counts_in_max_steps)
{
	/* each malloc reads the prologue, every block, and (no fit) the
	 * epilogue: 100 mallocs of one size make 1 + k + ... references; the
	 * limit stops a quadratic script instead of letting it run for hours */
	script_t s;
	script_paths_t paths = { .root = "/tmp", .allow_any = 0 };
	char err[512], out[8192];
	cr_assert_eq(script_parse(&s, "t.vms", "spawn 1\nrepeat 100\nmalloc 1 16\nend\n", &paths, err, sizeof err), 0);
	vm_machine_t *vm = machine(64, 64);
	FILE *f = fmemopen(out, sizeof out, "w");
	script_env_t env = { .out = f, .max_steps = 2000 };
	cr_assert_eq(script_run(vm, &s, &env, err, sizeof err), VM_ELIMIT);
	fclose(f);
	cr_assert(strstr(err, "t.vms:3: malloc 1 16: --max-steps 2000 reached: with the "), "%s", err);
	script_free(&s);
	vm_destroy(vm);
}

Test(script_malloc, malloc_returns_null_when_the_address_space_is_full)
{
	char out[4096] = "", err[512];
	/* 2^47 bytes cannot be mapped below 0x7f0000000000 with the heap there */
	int rc = run_text("spawn 1\nmalloc 1 0x7f0000000000 huge\nwrite 1 $huge \"x\"\nexpect 1 segv\n",
			  out, sizeof out, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert(strstr(out, "malloc 1: 0x0\nP 1: SIGSEGV at 0x0 (no region)\n"), "%s", out);
}

Test(script_malloc, a_forked_child_keeps_its_own_heap_and_exit_drops_it)
{
	char out[4096] = "", err[512];
	int rc = run_text("spawn 1\n"
			  "malloc 1 100 a\n"
			  "write 1 $a \"parent\"\n"
			  "fork 1 2\n"
			  "free 2 $a\n"
			  "malloc 2 100 b\n"          /* the child gets a's block again */
			  "write 2 $b \"child!\"\n"
			  "read 1 $a 6 expect \"parent\"\n"
			  "malloc 1 100 c\n"          /* the parent's a is still taken */
			  "exit 2\n"
			  "free 1 $a\n"
			  "free 1 $c\n",
			  out, sizeof out, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_str_eq(out, "malloc 1: 0x10000020\nmalloc 2: 0x10000020\nmalloc 1: 0x100000a0\n");
}

Test(script_malloc, the_example_passes_as_written)
{
	cmd_out_t r;
	run(&r, "%s script --check examples/malloc.vms", vmlab());
	cr_assert_eq(r.status, 0, "status %d\n%s", r.status, r.err);
	cr_assert(strstr(r.out, "malloc 1: 0x10000020\n"), "%s", r.out);
}
