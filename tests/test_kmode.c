/* test_kmode.c - issue 9 items 2 and 3, the kernel's side: 4-byte PTEs
 * (--pte-size 4) with CS:APP's table sizes, page tables numbered right after
 * the user frames, geometries refused where they would not fit, explain of a
 * 32-bit two-level translation; the kernel half of the address space, KPTI
 * and TLBs without ASIDs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "kern/kern.h"
#include "vmlab.h"
#include "util/vmerr.h"

#define G32 "--va-bits 32 --pa-bits 32 --pte-size 4"

/* CS:APP figure 9.17's address space: VPs 0..2047 (code and data, two 4 MB
 * chunks), a gap, and VP 9215 (the stack's top page).  One page of each of
 * the three 4 MB chunks is enough to make its leaf table. */
#define CSAPP_TRACE "printf 'R 0x0 4\\nW 0x400000 4\\nR 0x23ff000 4\\n'"

/* One level: 2^20 entries of 4 bytes, 4 MB, whatever is touched (CS:APP
 * 9.6.3: "a 4 MB page table resident in memory at all times"). */
Test(kmode_pte4, csapp_one_level_table_is_4_mb)
{
	cmd_out_t r;
	run(&r, CSAPP_TRACE " | %s run " G32 " --levels 1 --frames 16 --json -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "levels"), 1);
	cr_expect_eq(json_u(r.out, "page_table_pages"), 1024);
	cr_expect_eq(json_u(r.out, "page_table_bytes"), 4194304);
	cr_expect_eq(json_u(r.out, "walk_memory_refs"), 6); /* 3 faults, retried: 2 walks each */
}

/* The same with 8-byte PTEs: the table the issue called doubled, 8 MB. */
Test(kmode_pte4, eight_byte_ptes_double_the_one_level_table)
{
	cmd_out_t r;
	run(&r, CSAPP_TRACE " | %s run --va-bits 32 --pa-bits 32 --levels 1 --frames 16 --json -",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_table_bytes"), 8388608);
}

/* Two levels: the root (1024 PDEs, one page) and one leaf table for each of
 * the three 4 MB chunks touched: 4 pages, 16 KB.  With 8-byte PTEs the same
 * 10/10 split makes 8 KB tables: 32 KB. */
Test(kmode_pte4, csapp_two_level_tables_are_16_kb)
{
	cmd_out_t r;
	run(&r, CSAPP_TRACE " | %s run " G32 " --levels 2 --frames 16 --json -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_table_pages"), 4);
	cr_expect_eq(json_u(r.out, "page_table_bytes"), 16384);
	cr_expect_eq(json_u(r.out, "walk_memory_refs"), 9); /* fault at L2 (1 read), retry (2) */
	run(&r, CSAPP_TRACE " | %s run --va-bits 32 --pa-bits 32 --levels 2 --frames 16 --json -",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_table_bytes"), 32768);
}

/* The text summary already says the bytes of tables; 4-byte PTEs change
 * only the numbers. */
Test(kmode_pte4, text_summary_gives_the_bytes)
{
	cmd_out_t r;
	run(&r, CSAPP_TRACE " | %s run " G32 " --levels 2 --frames 16 -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "  page-table pages               4   16,384 B of tables\n") != NULL,
		  "%s", r.out);
}

/* With 4-byte PTEs the first table (the root) is frame `frames`, the next
 * frames + 1; with 8-byte PTEs the pool starts at 2^(pa_bits - page_shift). */
Test(kmode_pte4, tables_are_numbered_after_the_user_frames)
{
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.va_bits = 32;
	cfg.pa_bits = 32;
	cfg.levels = 2;
	cfg.frames = 16;
	cfg.pte_size = 4;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &cfg, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(vm_access(vm, 1, 0x400000, 4, VM_WRITE), 0);
	cr_expect_eq(vm->procs[0].root_pfn, 16);
	uint64_t pte_pa;
	cr_assert_eq(proc_walk(vm, 0, 0x400000, 0, &pte_pa), 0);
	/* leaf table frame 17, entry 0, 4 bytes an entry */
	cr_expect_eq(pte_pa, 17ull << 12);
	uint64_t pte = kpte_get(vm, pte_pa);
	cr_expect(pte & PTE_P);
	cr_expect(pte & PTE_D);
	cr_expect_eq(pte_pfn(pte), 0);
	/* the PDE: index 1 of the root at byte 4 (and nothing at byte 8) */
	cr_expect_eq(kpte_get(vm, (16ull << 12) + 4) & ~PTE_A, pte_make(17, PTE_P | PTE_W | PTE_U),
		     "0x%llx", (unsigned long long)kpte_get(vm, (16ull << 12) + 4));
	cr_expect_eq(kpte_get(vm, (16ull << 12) + 8), 0);
	vm_destroy(vm);

	cfg.pte_size = 0; /* 0 is 8 */
	cr_assert_eq(vm_create(&vm, &cfg, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(vm_access(vm, 1, 0x400000, 4, VM_WRITE), 0);
	cr_expect_eq(vm->procs[0].root_pfn, 1ull << 20);
	vm_destroy(vm);
}

/* 2^20 frames a 32-bit PA names; a one-level table takes 1024 of them, so
 * 1,047,552 user frames are the most that leave room for it (exit 0) and
 * one more is refused (exit 2) with the reason. */
Test(kmode_pte4, geometry_refused_where_tables_would_pass_the_pa)
{
	cmd_out_t r;
	run(&r, "printf 'R 0x0 4\\n' | %s run " G32 " --levels 1 --frames 1047552 --json -", vmlab());
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_table_pages"), 1024);
	run(&r, "printf 'R 0x0 4\\n' | %s run " G32 " --levels 1 --frames 1047553 -", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err,
			 "vmlab run: with --pte-size 4 page tables take frames after the 1047553 user "
			 "frames, and one address space's first tables (1024 frames) pass the 1048576 "
			 "frames a 32-bit physical address can name: raise --pa-bits or lower --frames\n");
	run(&r, "printf 'R 0x0 4\\n' | %s run --pte-size 4 -", vmlab()); /* 52-bit PA: 40-bit PFN */
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "a 4-byte PTE holds a 20-bit frame number") != NULL, "%s", r.err);
	run(&r, "printf 'R 0x0 4\\n' | %s run --pte-size 6 -", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "vmlab run: --pte-size: '6': a page-table entry is 4 or 8 bytes\n");
}

/* Two levels with 1,048,574 user frames: the root and one leaf fit (frames
 * 1048574 and 1048575), a second leaf table finds no frame number: the run
 * stops at the second reference, exit 1, saying so. */
Test(kmode_pte4, running_out_of_table_frames_is_said)
{
	cmd_out_t r;
	run(&r, "printf 'R 0x0 4\\nR 0x400000 4\\n' | %s run " G32 " --levels 2 --frames 1048574 -",
	    vmlab());
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.err,
			 "vmlab run: stopped after 2 references: with --pte-size 4 page tables take the "
			 "frames 1048574..1048575 after the user frames, and a new table found none of "
			 "them free: raise --pa-bits or lower --frames\n");
}

/* explain of a 32-bit two-level translation: VA 0x12345678 splits 10/10/12
 * (L1 index 0x48, L2 index 0x345, VPO 0x678); the state names frame 0xabc,
 * so the user frames are 0..0xabc, the root is 0xabd and the leaf table
 * 0xabe; entries 4 bytes: L1 entry at 0xabd000 + 4 * 0x48, L2 entry at
 * 0xabe000 + 4 * 0x345; 32-bit PTEs printed with 8 digits, no NX. */
Test(kmode_pte4, explain_32_bit_two_level)
{
	cmd_out_t r;
	run(&r, "printf 'pte 0x12345 0xabc rwu\\n' > /tmp/kmode_explain.state && %s explain " G32
	    " --levels 2 --state /tmp/kmode_explain.state 0x12345678", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out,
			 "VA: 0x12345678\n"
			 "access: r\n"
			 "VA_bits: 0001001000 1101000101 011001111000\n"
			 "VPN: 0x12345\n"
			 "VPO: 0x678\n"
			 "TLBI: 0x5\n"
			 "TLBT: 0x1234\n"
			 "TLB: miss\n"
			 "L1_index: 0x48\n"
			 "L1_pte_addr: 0xabd120\n"
			 "L1_pte: 0x00abe007\n"
			 "L1_pte_bits: P W U\n"
			 "L2_index: 0x345\n"
			 "L2_pte_addr: 0xabed14\n"
			 "L2_pte: 0x00abc007\n"
			 "L2_pte_bits: P W U\n"
			 "PPN: 0xabc\n"
			 "PA: 0xabc678\n"
			 "result: ok\n");
	/* a PPN a 32-bit PA cannot name is the state file's line */
	run(&r, "printf 'pte 0x12345 0x100000\\n' > /tmp/kmode_explain2.state && %s explain " G32
	    " --levels 2 --state /tmp/kmode_explain2.state 0x12345678", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "/tmp/kmode_explain2.state:1: number out of range (PPN below 2^20)\n");
}

/* Script mode through every kernel PTE path (fork's copy-on-write, mprotect,
 * munmap, swap) with 4-byte entries: the example's expect lines hold except
 * the page-table count, and the invariant checker finds nothing. */
Test(kmode_pte4, cow_fork_example_runs_with_4_byte_ptes)
{
	cmd_out_t r;
	run(&r, "%s script " G32 " --check examples/cow-fork.vms", vmlab());
	cr_expect_eq(r.status, 0, "%s", r.err);
	run(&r, "%s script " G32 " --check examples/thrashing.vms", vmlab());
	cr_expect_eq(r.status, 0, "%s", r.err);
}

/* --- item 2: the kernel half, KPTI, --asid off ------------------------------
 * The two-process trace, by hand (48-bit VA: the kernel half from 2^47):
 *   1 R  0x1000 p1          p1 starts (no switch); user page filled
 *   2 KR kernel p1          entry; kernel page filled, global (U=0, G)
 *   3 R  kernel p1          exit; a user access there: SIGSEGV, skipped
 *   4 R  0x1000 p2          switch p1 -> p2; p2's user page filled
 *   5 KW kernel p2          entry; the global entry hits (not under kpti)
 *   6 R  0x1000 p1          switch p2 -> p1; p1's entry hits if not flushed */
#define KTRACE "printf 'R 0x1000 4 1\\nKR 0x800000000000 4 1\\nR 0x800000001000 4 1\\n" \
	       "R 0x1000 4 2\\nKW 0x800000000000 4 2\\nR 0x1000 4 1\\n'"

static void kexpect(const char *opts, unsigned long long hits, unsigned long long switches,
		    unsigned long long flushes, unsigned long long flushed)
{
	cmd_out_t r;
	run(&r, KTRACE " | %s run --kernel-half %s --json -", vmlab(), opts);
	cr_assert_eq(r.status, 0, "%s: %s", opts, r.err);
	cr_expect_eq(json_u(r.out, "references"), 5, "%s", opts);
	cr_expect_eq(json_u(r.out, "page_faults"), 3, "%s", opts);
	cr_expect_eq(json_u(r.out, "kernel_references"), 2, "%s", opts);
	cr_expect_eq(json_u(r.out, "syscalls"), 2, "%s", opts);
	cr_expect_eq(json_u(r.out, "segfaults"), 1, "%s", opts);
	cr_expect_eq(json_u(r.out, "tlb_hits"), hits, "%s", opts);
	cr_expect_eq(json_u(r.out, "root_switches"), switches, "%s", opts);
	cr_expect_eq(json_u(r.out, "tlb_flushes"), flushes, "%s", opts);
	cr_expect_eq(json_u(r.out, "tlb_entries_flushed"), flushed, "%s", opts);
}

/* ASIDs on: two process switches, nothing flushed; 5 and 6 hit. */
Test(kmode_khalf, user_access_faults_kernel_access_succeeds)
{
	kexpect("", 2, 2, 0, 0);
}

/* --asid off: switches 4 and 6 flush one user entry each; the kernel's
 * global entry survives switch 4, so 5 still hits (1 hit). */
Test(kmode_khalf, global_entries_survive_a_flushing_switch)
{
	kexpect("--asid off", 1, 2, 2, 2);
}

/* --kpti: entry 2, exit 3, switch 4, entry 5, switch 6: 5 root switches;
 * the kernel entry is not global and has p1's kernel asid: 5 misses. */
Test(kmode_khalf, kpti_switches_on_entry_and_exit)
{
	kexpect("--kpti", 1, 5, 0, 0);
}

/* --kpti --asid off: all 5 switches flush: 2 drops p1's user entry, 3 the
 * kernel entry, 4 nothing, 5 p2's user entry, 6 p2's kernel entry: 4. */
Test(kmode_khalf, kpti_without_asids_flushes_every_switch)
{
	kexpect("--kpti --asid off", 0, 5, 5, 4);
}

/* Off by default: the trace without kernel kinds prints what it printed. */
Test(kmode_khalf, off_by_default_changes_nothing)
{
	cmd_out_t r;
	run(&r, "printf 'R 0x800000000000 4 1\\nR 0x1000 4 2\\n' | %s run --json -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_faults"), 2);
	cr_expect_eq(json_u(r.out, "segfaults"), 0);
	cr_expect_eq(json_u(r.out, "root_switches"), 1);
	cr_expect_eq(json_u(r.out, "tlb_flushes"), 0);
	run(&r, "printf 'R 0x1000 4\\n' | %s run -", vmlab());
	cr_expect(strstr(r.out, "root switches") == NULL, "%s", r.out);
}
