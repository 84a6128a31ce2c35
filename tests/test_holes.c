/* test_holes.c - the suite's holes that a mutation test found (issue 6, item
 * 10): each test here fails with one deliberate bug that the rest of the
 * suite let through.  The numbers are worked by hand in the comments; next
 * to each test, the bug it catches. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "vmlab.h"
#include "vmlab_sys.h"
#include "kern/explain.h"
#include "util/vmerr.h"

#define PS 4096u
#define RW (VM_PROT_R | VM_PROT_W)

/* A machine built from cfg (fails the test if it cannot be). */
static vm_machine_t *build(const vm_config_t *c)
{
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, c, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

/* A script-mode machine: frames frames, FIFO, no watermarks (the API's
 * default: 0,0,0), the checker on after every call if check. */
static vm_machine_t *script_machine_c(uint32_t frames, unsigned va_bits, int check)
{
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = check;
	c.frames = frames;
	c.va_bits = va_bits;
	c.policy = "fifo";
	c.swap_slots = 64;
	return build(&c);
}

static vm_machine_t *script_machine(uint32_t frames, unsigned va_bits)
{
	return script_machine_c(frames, va_bits, 1);
}

/* The frame process pid's page at va is in now (it must be present). */
static uint64_t frame_of(vm_machine_t *vm, uint32_t pid, uint64_t va)
{
	mmu_result_t r;
	mmu_log_t log;
	cr_assert_eq(vm_translate_logged(vm, pid, va, MMU_READ, &r, &log), MMU_OK,
		     "va 0x%llx is not mapped", (unsigned long long)va);
	return r.pfn;
}

/* vm_maps of pid into a string (caller frees). */
static char *maps_of(vm_machine_t *vm, uint32_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_eq(vm_maps(vm, pid, f), 0);
	fclose(f);
	return buf;
}

/* The value of "key: value" in block `block` (blocks are separated by a
 * blank line) of explain's output, into buf. */
static void explain_field(const char *out, int block, const char *key, char *buf, size_t len)
{
	const char *p = out;
	for (int b = 0; b < block; b++) {
		p = strstr(p, "\n\n");
		cr_assert_not_null(p, "no block %d in:\n%s", block, out);
		p += 2;
	}
	const char *end = strstr(p, "\n\n");
	size_t klen = strlen(key);
	for (const char *q = p; *q && (!end || q < end); q += strcspn(q, "\n") + 1) {
		if (!strncmp(q, key, klen) && q[klen] == ':' && q[klen + 1] == ' ') {
			q += klen + 2;
			size_t n = strcspn(q, "\n");
			snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), q);
			return;
		}
	}
	cr_assert_fail("no key %s in block %d:\n%s", key, block, out);
}

/* --- 1. explain's TLBI and TLBT come from the set count, not the ways ---- */

/* The CS:APP machine's TLB is 16 entries 4-way: 4 sets and 4 ways, so a bug
 * that divides by the ways instead of the sets goes unseen there.  VPN 0x2e
 * (VA 0xb8f) and VPN 0xf (VA 0x3d4, in the state's TLB) on four shapes:
 *   16:2  8 sets: 0x2e = 0b101110 -> TLBI 0x2e & 7 = 6, TLBT 0x2e >> 3 = 5
 *                 0xf            -> TLBI 7, TLBT 1
 *   16:8  2 sets: 0x2e -> TLBI 0, TLBT 0x17;   0xf -> TLBI 1, TLBT 7
 *   32:4  8 sets (8 = sets != ways = 4): as 16:2
 *   12:4  3 sets (not a power of two: %, /): 46 % 3 = 1, 46 / 3 = 15 = 0xf;
 *                 15 % 3 = 0, 15 / 3 = 5
 * By ways instead: 16:2 would give TLBI 0, TLBT 0x17; 16:8 TLBI 6, TLBT 5;
 * 12:4 TLBI 2, TLBT 0xb.  Hits do not tell: fill and lookup agree either way,
 * so 0x3d4 hits on every shape (its TLB entry is in the state file). */
Test(holes, explain_tlbi_tlbt_use_sets_not_ways)
{
	static const struct {
		const char *tlb, *tlbi_b8f, *tlbt_b8f, *tlbi_3d4, *tlbt_3d4;
	} want[] = {
		{ "16:2", "0x6", "0x5", "0x7", "0x1" },
		{ "16:8", "0x0", "0x17", "0x1", "0x7" },
		{ "32:4", "0x6", "0x5", "0x7", "0x1" },
		{ "12:4", "0x1", "0xf", "0x0", "0x5" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		cmd_out_t r;
		run(&r, "%s explain --page-size 64 --va-bits 14 --pa-bits 12 --levels 1 --tlb %s "
			"--state examples/cscapp.state 0xb8f 0x3d4", vmlab(), want[i].tlb);
		cr_assert_eq(r.status, 0, "--tlb %s: %s", want[i].tlb, r.err);
		char buf[64];
		explain_field(r.out, 0, "TLBI", buf, sizeof buf);
		cr_assert_str_eq(buf, want[i].tlbi_b8f, "--tlb %s: TLBI of 0xb8f", want[i].tlb);
		explain_field(r.out, 0, "TLBT", buf, sizeof buf);
		cr_assert_str_eq(buf, want[i].tlbt_b8f, "--tlb %s: TLBT of 0xb8f", want[i].tlb);
		explain_field(r.out, 1, "TLBI", buf, sizeof buf);
		cr_assert_str_eq(buf, want[i].tlbi_3d4, "--tlb %s: TLBI of 0x3d4", want[i].tlb);
		explain_field(r.out, 1, "TLBT", buf, sizeof buf);
		cr_assert_str_eq(buf, want[i].tlbt_3d4, "--tlb %s: TLBT of 0x3d4", want[i].tlb);
		explain_field(r.out, 1, "TLB", buf, sizeof buf);
		cr_assert_str_eq(buf, "hit", "--tlb %s", want[i].tlb);
		explain_field(r.out, 1, "PA", buf, sizeof buf);
		cr_assert_str_eq(buf, "0x354", "--tlb %s", want[i].tlb);
	}
}

/* --- 2. frame numbers above the first 64 (the allocator's hint) ---------- */

/* 130 frames make three words of the free-frame bitmap (0-63, 64-127,
 * 128-129).  Trace mode, LRU: pages 0..129 fill frames 0..129; every page
 * but 70 is touched again, so page 70 (frame 70, word 1) is the LRU victim
 * of page 130, which must get frame 70.  Then every page but 129 (frame 129,
 * word 2) is touched: page 131 must get frame 129.  A freed frame below the
 * word the allocator last took from must lower its hint: without that, the
 * search starts at word 2 (after the fill), finds bit 2 = frame 130 beyond
 * the limit, and the run fails with "swap full". */
Test(holes, eviction_above_frame_64_reuses_the_freed_frame)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = 130;
	c.policy = "lru";
	vm_machine_t *vm = build(&c);
	for (uint64_t v = 0; v < 130; v++)
		cr_assert_eq(vm_ref(vm, 0, v, VM_READ), 0);
	cr_assert_eq(frame_of(vm, 0, 0), 0);
	cr_assert_eq(frame_of(vm, 0, 70 * PS), 70);
	cr_assert_eq(frame_of(vm, 0, 129 * PS), 129);
	for (uint64_t v = 0; v < 130; v++)
		if (v != 70)
			cr_assert_eq(vm_ref(vm, 0, v, VM_READ), 0);
	cr_assert_eq(vm_ref(vm, 0, 130, VM_WRITE), 0, "evicting frame 70 failed");
	cr_assert_eq(vm_stats(vm)->evictions, 1);
	cr_assert_eq(frame_of(vm, 0, 130 * PS), 70);
	for (uint64_t v = 0; v <= 130; v++)
		if (v != 70 && v != 129)
			cr_assert_eq(vm_ref(vm, 0, v, VM_READ), 0);
	cr_assert_eq(vm_ref(vm, 0, 131, VM_WRITE), 0, "evicting frame 129 failed");
	cr_assert_eq(frame_of(vm, 0, 131 * PS), 129);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->evictions, 2);
	cr_assert_eq(s->minor_faults, 132);
	cr_assert_eq(s->resident_pages, 130);
	vm_destroy(vm);
}

/* Script mode hands free frames out lowest first, across words: 200 frames
 * (words 0-3, the fill ends in word 3), pages in frames 150, 70, 199 and 5
 * are unmapped in that order; the next four new pages get 5, 70, 150, 199. */
Test(holes, freed_frames_are_handed_out_lowest_first_across_words)
{
	vm_machine_t *vm = script_machine(200, 48);
	uint64_t at;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, 0x1000000, 204 * PS, RW, VM_MAP_PRIVATE, NULL, 0,
			     VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(vm_touch(vm, 1, 0x1000000, 200 * PS, 'W', 0), 0);
	static const uint64_t gone[] = { 150, 70, 199, 5 };
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(frame_of(vm, 1, 0x1000000 + gone[i] * PS), gone[i]);
		cr_assert_eq(vm_munmap(vm, 1, 0x1000000 + gone[i] * PS, PS), 0);
	}
	cr_assert_eq(vm_sys_stats(vm)->free_frames, 4);
	static const uint64_t next[] = { 5, 70, 150, 199 };
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(vm_write(vm, 1, 0x1000000 + (200 + i) * PS, "x", 1), 0);
		cr_assert_eq(frame_of(vm, 1, 0x1000000 + (200 + i) * PS), next[i], "new page %d", i);
	}
	cr_assert_eq(vm_stats(vm)->evictions, 0);
	vm_destroy(vm);
}

/* --- 3. page-table boundaries: 2 MiB and 1 GiB with 4 KiB pages ---------- */

/* Trace mode, the default machine: 4 levels of 512 entries, so a leaf table
 * covers 2 MiB and a level-3 table 1 GiB.  One access of 8 KiB at 0x1ff000
 * touches pages 0x1ff (leaf table of 0-2 MiB) and 0x200 (the next one):
 *   page 0x1ff  walk: L1 entry absent: 1 PTE read; fault makes L2, L3, L4;
 *               retry: 4 reads
 *   page 0x200  walk: L1, L2 present, L3 entry 1 absent: 3 reads; fault makes
 *               a second leaf table; retry: 4
 * = 12 PTE reads, tables root + L2 + L3 + 2 leaves = 5 pages.  Then 8 KiB at
 * 0x3ffff000: pages 0x3ffff (L3 entry 511 of the first level-3 table) and
 * 0x40000 (L2 entry 1: the second GiB):
 *   page 0x3ffff  L1, L2 present, L3 entry 511 absent: 3; a third leaf; 4
 *   page 0x40000  L1 present, L2 entry 1 absent: 2; a level-3 table and a
 *                 leaf; 4
 * = 13 more (25), tables 5 + 1 + 2 = 8 pages.  Each lookup misses: 8 misses,
 * 4 minor faults. */
Test(holes, trace_pages_straddling_2mib_and_1gib_tables)
{
	vm_config_t c;
	vm_config_default(&c);
	vm_machine_t *vm = build(&c);
	cr_assert_eq(vm_levels(vm), 4);
	cr_assert_eq(vm_access(vm, 0, 0x1ff000, 2 * PS, VM_READ), 0);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->references, 2);
	cr_assert_eq(s->walk_memory_refs, 12);
	cr_assert_eq(s->page_table_pages, 5);
	cr_assert_eq(vm_access(vm, 0, 0x3ffff000, 2 * PS, VM_WRITE), 0);
	s = vm_stats(vm);
	cr_assert_eq(s->references, 4);
	cr_assert_eq(s->walk_memory_refs, 25);
	cr_assert_eq(s->page_table_pages, 8);
	cr_assert_eq(s->tlb_misses, 8);
	cr_assert_eq(s->tlb_hits, 0);
	cr_assert_eq(s->minor_faults, 4);
	/* a second pass hits the TLB and walks nothing */
	cr_assert_eq(vm_access(vm, 0, 0x1ff000, 2 * PS, VM_READ), 0);
	cr_assert_eq(vm_access(vm, 0, 0x3ffff000, 2 * PS, VM_READ), 0);
	s = vm_stats(vm);
	cr_assert_eq(s->tlb_hits, 4);
	cr_assert_eq(s->walk_memory_refs, 25);
	vm_destroy(vm);
}

/* A region of 4 pages from boundary - 2 pages, of which only the page at
 * boundary + 1 page was ever touched, so that the walk over the region
 * (proc_each_pte: maps, fork, mprotect, munmap) starts in a span whose table
 * entry is absent, at an address that is not the span's start.  It must skip
 * to the boundary exactly ((va | (span - 1)) + 1), not by a whole span from
 * va, nor by a larger span: either would step over the page, and maps would
 * not count it, fork would not copy it, mprotect would leave it writable and
 * munmap would leave it mapped.  For 2 MiB the
 * absent entry is L3's (span 2 MiB), for 1 GiB L2's (span 1 GiB). */
static void walk_across(uint64_t boundary)
{
	/* the checker walks regions the same way: off until the end, so that
	 * each call's own result shows */
	vm_machine_t *vm = script_machine_c(16, 48, 0);
	uint64_t start = boundary - 2 * PS, page = boundary + PS, at;
	char got[2];
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, start, 4 * PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(vm_write(vm, 1, page, "hi", 2), 0);
	char *maps = maps_of(vm, 1), want[200];
	snprintf(want, sizeof want,
		 "%012llx-%012llx rw-p 00000000 mapping                  resident 1 swapped 0\n",
		 (unsigned long long)start, (unsigned long long)(start + 4 * PS));
	cr_assert_str_eq(maps, want, "maps counts the page past the boundary");
	free(maps);
	/* fork copies the page's PTE: the child reads the parent's bytes */
	cr_assert_eq(vm_fork(vm, 1, 2), 0);
	cr_assert_eq(vm_read(vm, 2, page, got, 2), 0);
	cr_assert_eq(memcmp(got, "hi", 2), 0, "the child lost the page past the boundary");
	cr_assert_eq(vm_stats(vm)->minor_faults, 1, "the child's read faulted");
	/* mprotect reaches the PTE: a write now kills the parent */
	cr_assert_eq(vm_mprotect(vm, 1, start, 4 * PS, VM_PROT_R), 0);
	cr_assert_eq(vm_write(vm, 1, page, "x", 1), VM_EFAULT, "the page stayed writable");
	vm_proc_info_t info;
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.state, VM_PROC_SEGV);
	/* munmap of the whole region in the child releases the page */
	vm_proc_info(vm, 2, &info);
	cr_assert_eq(info.resident, 1);
	cr_assert_eq(vm_munmap(vm, 2, start, 4 * PS), 0);
	vm_proc_info(vm, 2, &info);
	cr_assert_eq(info.resident, 0, "munmap left the page past the boundary mapped");
	cr_assert_eq(vm_sys_stats(vm)->free_frames, 16);
	char err[256];
	cr_assert_eq(vm_check(vm, err, sizeof err), 0, "%s", err);
	vm_destroy(vm);
}

Test(holes, region_walk_crosses_a_2mib_table_boundary) { walk_across(0x200000); }
Test(holes, region_walk_crosses_a_1gib_table_boundary) { walk_across(0x40000000); }

/* munmap of a range across each boundary, every page of the region touched:
 * [b - 2P, b + 2P) all written, munmap [b - P, b + P) leaves two one-page
 * regions, each with its page. */
Test(holes, munmap_across_2mib_and_1gib_boundaries)
{
	static const uint64_t bounds[] = { 0x200000, 0x40000000 };
	vm_machine_t *vm = script_machine(16, 48);
	uint64_t at;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	for (int i = 0; i < 2; i++) {
		uint64_t b = bounds[i];
		cr_assert_eq(vm_mmap(vm, 1, b - 2 * PS, 4 * PS, RW, VM_MAP_PRIVATE, NULL, 0,
				     VM_KIND_MAPPING, &at), 0);
		cr_assert_eq(vm_touch(vm, 1, b - 2 * PS, 4 * PS, 'W', 0), 0);
		cr_assert_eq(vm_munmap(vm, 1, b - PS, 2 * PS), 0);
	}
	char *maps = maps_of(vm, 1);
	cr_assert_str_eq(maps,
			 "0000001fe000-0000001ff000 rw-p 00000000 mapping                  resident 1 swapped 0\n"
			 "000000201000-000000202000 rw-p 00000000 mapping                  resident 1 swapped 0\n"
			 "00003fffe000-00003ffff000 rw-p 00000000 mapping                  resident 1 swapped 0\n"
			 "000040001000-000040002000 rw-p 00000000 mapping                  resident 1 swapped 0\n");
	free(maps);
	vm_proc_info_t info;
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.resident, 4);
	cr_assert_eq(vm_sys_stats(vm)->free_frames, 12);
	vm_destroy(vm);
}

/* --- 4. read-ahead stops exactly at the low watermark -------------------- */

/* The arithmetic is in the script's comments: with low 2, read-ahead takes a
 * frame at 3 free (low + 1) and stops at 2 (low). */
Test(holes, readahead_stops_exactly_at_the_low_watermark)
{
	cmd_out_t r;
	run(&r, "%s script --check tests/data/holes-readahead-low.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
}

/* --- 5. the effective access time, worked by hand ------------------------ */

/* Pages trace 0w,1,2,0,2 on 2 frames, FIFO, 30-bit VA (2 levels), TLB 64:4:
 *   0w  miss, walk 1 (root entry absent), minor; retry miss, walk 2
 *   1   miss, walk 2 (leaf entry absent), minor; retry miss, walk 2
 *   2   miss, walk 2, no frame: FIFO evicts page 0, dirty: a write-back;
 *       minor; retry miss, walk 2
 *   0   miss, walk 2 (swap entry), major (evicts page 1, clean); retry miss,
 *       walk 2
 *   2   hit
 * references 5, lookups 1 hit + 8 misses, PTE reads 1+2+2+2+2+2+2+2 = 15,
 * minor 3, major 1, write-backs 1.  With latencies 1, 10, 100, 1000, 10000:
 *   (9*1 + (5 + 15)*10 + 3*100 + 1*1000 + 1*10000) / 5
 *   = (9 + 200 + 300 + 1000 + 10000) / 5 = 11509 / 5 = 2301.8
 * Each term has its own decimal digit, so dropping one, swapping two
 * latencies, or counting references for lookups (5 for 9), page walks for
 * PTE reads (8 for 15) or page faults for minor faults (4 for 3) shows. */
Test(holes, effective_access_time_on_a_hand_worked_run)
{
	vm_config_t c;
	vm_config_default(&c);
	c.frames = 2;
	c.policy = "fifo";
	c.va_bits = 30;
	c.lat = (vm_latency_t){ .tlb_ns = 1, .mem_ns = 10, .minor_ns = 100, .major_ns = 1000,
				.writeback_ns = 10000 };
	vm_machine_t *vm = build(&c);
	cr_assert_eq(vm_levels(vm), 2);
	static const struct {
		uint64_t vpn;
		int kind;
	} refs[] = { { 0, VM_WRITE }, { 1, VM_READ }, { 2, VM_READ }, { 0, VM_READ }, { 2, VM_READ } };
	for (int i = 0; i < 5; i++)
		cr_assert_eq(vm_ref(vm, 0, refs[i].vpn, refs[i].kind), 0);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->references, 5);
	cr_assert_eq(s->tlb_hits, 1);
	cr_assert_eq(s->tlb_misses, 8);
	cr_assert_eq(s->walk_memory_refs, 15);
	cr_assert_eq(s->minor_faults, 3);
	cr_assert_eq(s->major_faults, 1);
	cr_assert_eq(s->dirty_writebacks, 1);
	cr_assert_eq(vm_effective_access_ns(vm), 11509.0 / 5.0, "got %.17g",
		     vm_effective_access_ns(vm));
	vm_destroy(vm);
	/* the same run through the command line */
	cmd_out_t r;
	run(&r, "printf '0w,1,2,0,2\\n' | %s run --format pages --policy fifo --frames 2 --va-bits 30 "
		"--lat-tlb 1 --lat-mem 10 --lat-minor 100 --lat-major 1000 --lat-writeback 10000 --json -",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "\"effective_access_ns\": 2301.8000000000002,\n"), "%s", r.out);
}

/* --- 6. the OOM killer's victim ------------------------------------------ */

/* Worked in the scripts' comments: one where the process with the most
 * resident plus swapped pages is neither the most resident nor the most
 * swapped, one tie (the oldest dies, process numbers running against age). */
Test(holes, oom_victim_counts_swapped_pages)
{
	cmd_out_t r;
	run(&r, "%s script --check tests/data/holes-oom-swapped.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "P 1: killed by the out-of-memory killer"), "%s", r.out);
}

Test(holes, oom_victim_tie_goes_to_the_oldest)
{
	cmd_out_t r;
	run(&r, "%s script --check tests/data/holes-oom-tie.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "P 5: killed by the out-of-memory killer"), "%s", r.out);
}

/* --- 7. mmap 0 into a gap of exactly the requested size ------------------ */

/* T = VM_MMAP_TOP.  A at [T-2P, T), B at [T-5P, T-3P): a one-page gap
 * [T-3P, T-2P) between them.  mmap 0 of 2 pages does not fit there and goes
 * below B: [T-7P, T-5P).  mmap 0 of 1 page fits exactly: T-3P. */
Test(holes, mmap0_fills_a_gap_of_exactly_its_size_and_skips_a_smaller_one)
{
	vm_machine_t *vm = script_machine(8, 48);
	const uint64_t T = VM_MMAP_TOP;
	uint64_t at;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, T - 2 * PS, 2 * PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(vm_mmap(vm, 1, T - 5 * PS, 2 * PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(vm_mmap(vm, 1, 0, 2 * PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(at, T - 7 * PS, "2 pages went to 0x%llx", (unsigned long long)at);
	cr_assert_eq(vm_mmap(vm, 1, 0, PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(at, T - 3 * PS, "1 page went to 0x%llx", (unsigned long long)at);
	vm_destroy(vm);
}

/* The lowest gap, above page 0 (never mapped): a 20-bit VA (1 MiB) with
 * [0x3000, 0x100000) mapped leaves exactly [0x1000, 0x3000), 2 pages.  3
 * pages do not fit (ENOMEM); 2 pages fit exactly at 0x1000; then nothing is
 * left. */
Test(holes, mmap0_fills_the_lowest_gap_exactly)
{
	vm_machine_t *vm = script_machine(8, 20);
	uint64_t at;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, 0x3000, 0x100000 - 0x3000, RW, VM_MAP_PRIVATE, NULL, 0,
			     VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(vm_mmap(vm, 1, 0, 3 * PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at),
		     VM_ENOMEM);
	cr_assert_eq(vm_mmap(vm, 1, 0, 2 * PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(at, 0x1000);
	cr_assert_eq(vm_mmap(vm, 1, 0, PS, RW, VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &at), VM_ENOMEM);
	vm_destroy(vm);
}

/* --- 8. found here: weak spots the mutation test did not name ----------- */

/* Trace mode: a page swapped in keeps its slot, and when written and evicted
 * again it goes back to that slot; it does not take a new one (which would
 * leave the old one used by nobody).  1 frame, FIFO, references
 * 0w 1 0w 1 0w 1:
 *   0w  minor
 *   1   evicts page 0, dirty: slot 0, a swap-out; minor
 *   0w  evicts page 1, clean, no copy: dropped; major (swap-in, keeps slot 0)
 *   1   evicts page 0, dirty, its slot 0: a swap-out to it; minor
 *   0w  major;   1  swap-out to slot 0; minor
 * swap-outs 3, swap-ins 2, minor 4, major 2, evictions 5, 1 slot in use.
 * With a swap of exactly one slot the run must also succeed. */
Test(holes, trace_rewritten_page_goes_back_to_its_own_slot)
{
	for (uint64_t slots = 0; slots <= 1; slots++) {
		vm_config_t c;
		vm_config_default(&c);
		c.frames = 1;
		c.policy = "fifo";
		c.swap_slots = slots; /* 0: unbounded */
		vm_machine_t *vm = build(&c);
		for (int i = 0; i < 3; i++) {
			cr_assert_eq(vm_ref(vm, 0, 0, VM_WRITE), 0);
			cr_assert_eq(vm_ref(vm, 0, 1, VM_READ), 0, "swap of %llu slots, round %d",
				     (unsigned long long)slots, i);
		}
		const vm_stats_t *s = vm_stats(vm);
		cr_assert_eq(s->swap_outs, 3);
		cr_assert_eq(s->swap_ins, 2);
		cr_assert_eq(s->minor_faults, 4);
		cr_assert_eq(s->major_faults, 2);
		cr_assert_eq(s->evictions, 5);
		cr_assert_eq(s->swap_slots_used, 1);
		vm_destroy(vm);
	}
}

/* Worked in the script's comments: with swap full, the fallback victim is
 * the lowest frame that needs no slot (frame 2, not frame 3). */
Test(holes, full_swap_falls_back_to_the_lowest_slotless_frame)
{
	cmd_out_t r;
	run(&r, "%s script --check tests/data/holes-fallback-lowest.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
}

/* Worked in the scripts' comments: read-ahead skips a page it need not read
 * (cached file page, mapped swap page) and reads the rest of its window,
 * rather than stopping there. */
Test(holes, readahead_skips_cached_pages_and_goes_on)
{
	cmd_out_t r;
	run(&r, "%s script --check tests/data/holes-readahead-skip.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "%s script --check tests/data/holes-readahead-swap-skip.vms", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
}
