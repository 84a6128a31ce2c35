/* test_kmode2.c - issue 9 item 2, the rest: the kernel half in script mode
 * (syscall P [touch ADDR LEN], demand-zero kernel pages, a user access to a
 * kernel address a SIGSEGV), KPTI's two real roots per process (the user
 * root maps only the trampoline), flushes reaching both halves of a PCID
 * pair, explain --mode kernel|user, and vmt's kernel kinds (kind 6). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "policy/policy.h"
#include "kern/kern.h"
#include "vmlab.h"
#include "util/vmerr.h"

/* Run a script given as text (printf-style lines, no set), with options;
 * the JSON summary into r. */
static void script_json(cmd_out_t *r, const char *opts, const char *text)
{
	run(r, "(printf '%s' > /tmp/vmlab-kmode2-$$.vms && %s script --json --check %s "
	    "/tmp/vmlab-kmode2-$$.vms; s=$?; rm -f /tmp/vmlab-kmode2-$$.vms; exit $s)",
	    text, vmlab(), opts);
}

/* --- script mode: a user access to a kernel address --------------------- */

/* With the kernel half, both forms of a kernel address (sign-extended and
 * not) are supervisor pages: SIGSEGV, counted, and said so. */
Test(kmode2_script, user_access_to_a_kernel_address_is_a_sigsegv)
{
	static const char *const addrs[] = { "0xffff800000000000", "0x800000000000",
					     "0xfffffffffffff000" };
	for (int i = 0; i < 3; i++) {
		cmd_out_t r;
		char text[256];
		snprintf(text, sizeof text, "spawn 1\\ntouch 1 %s 1 r\\nexpect 1 segv\\n", addrs[i]);
		script_json(&r, "--kernel-half", text);
		cr_assert_eq(r.status, 0, "%s: %s", addrs[i], r.err);
		cr_expect_eq(json_u(r.out, "segfaults"), 1, "%s", addrs[i]);
		cr_expect_eq(json_u(r.out, "page_faults"), 0, "%s", addrs[i]);
		cr_expect(strstr(r.err, "user access to a kernel address: a supervisor page, U=0"),
			  "%s: %s", addrs[i], r.err);
	}
}

/* Without the kernel half 0x800000000000 is a user address like any (no
 * region there: SIGSEGV for that), and the sign-extended one lies beyond
 * the address space, as before. */
Test(kmode2_script, without_the_kernel_half_addresses_are_as_before)
{
	cmd_out_t r;
	script_json(&r, "", "spawn 1\\ntouch 1 0x800000000000 1 r\\nexpect 1 segv\\n");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "(no region)"), "%s", r.err);
	cr_expect_eq(json_u(r.out, "root_switches"), 0);
	script_json(&r, "", "spawn 1\\ntouch 1 0xffff800000000000 1 r\\nexpect 1 segv\\n");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "beyond the virtual address space"), "%s", r.err);
}

/* --- script mode: kernel accesses ---------------------------------------- */

/* syscall P touch: a kernel read of each page, demand-zero on first touch
 * (a minor fault each, a kernel frame each: kernel_pages, neither resident
 * nor a page table), then a hit.  3 references (2 + 1), 2 faults, 5
 * lookups, 1 hit; the kernel half turned on by the syscall itself. */
Test(kmode2_script, a_kernel_access_succeeds)
{
	cmd_out_t r;
	script_json(&r, "", "spawn 1\\nsyscall 1 touch 0xffff800000000ff8 16\\n"
		    "syscall 1 touch 0x800000001000 1\\nexpect 1 alive\\n");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "references"), 3);
	cr_expect_eq(json_u(r.out, "reads"), 3);
	cr_expect_eq(json_u(r.out, "kernel_references"), 3);
	cr_expect_eq(json_u(r.out, "syscalls"), 2);
	cr_expect_eq(json_u(r.out, "page_faults"), 2);
	cr_expect_eq(json_u(r.out, "minor_faults"), 2);
	cr_expect_eq(json_u(r.out, "distinct_pages"), 2);
	cr_expect_eq(json_u(r.out, "tlb_hits"), 1);
	cr_expect_eq(json_u(r.out, "tlb_misses"), 4);
	cr_expect_eq(json_u(r.out, "kernel_pages"), 2);
	cr_expect_eq(json_u(r.out, "resident_pages"), 0);
	/* tables: the kernel's root, P1's root, and one L2, L3, L4 below
	 * the kernel half's first root entry (shared) */
	cr_expect_eq(json_u(r.out, "page_table_pages"), 5);
	cr_expect_eq(json_u(r.out, "root_switches"), 0); /* one process, no kpti */
}

/* A syscall without touch enters and leaves: a syscall, no reference.
 * Under kpti 3 switches: P1 starts in the kernel (the first process's
 * start is no switch), leaves (1), enters (2), leaves (3). */
Test(kmode2_script, a_bare_syscall_makes_no_reference)
{
	cmd_out_t r;
	script_json(&r, "--kpti", "spawn 1\\nsyscall 1\\nsyscall 1\\n");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "references"), 0);
	cr_expect_eq(json_u(r.out, "syscalls"), 2);
	cr_expect_eq(json_u(r.out, "root_switches"), 3);
	cr_expect_eq(json_u(r.out, "kernel_pages"), 1); /* the trampoline */
}

/* Bad syscall lines: FILE:LINE and exit 2 when they do not parse, exit 1
 * when the kernel refuses (a user address, a range leaving the half). */
Test(kmode2_script, bad_syscall_lines)
{
	static const struct {
		const char *line;
		int status;
		const char *msg;
	} cases[] = {
		{ "syscall 1 touch 0x800000000000", 2, ":2: syscall P touch needs ADDR and LEN" },
		{ "syscall 1 poke 0x800000000000 4", 2, ":2: unexpected 'poke' (syscall P [touch ADDR LEN])" },
		{ "syscall 1 touch 0x800000000000 0", 2, ":2: bad LEN 0" },
		{ "syscall 1 touch 0x1000 4K", 1, "must lie in the kernel half" },
		{ "syscall 1 touch 0xfffffffffffff000 4097", 1, "must lie in the kernel half" },
		{ "syscall 2", 1, "process 2 is not alive" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cmd_out_t r;
		char text[256];
		snprintf(text, sizeof text, "spawn 1\\n%s\\n", cases[i].line);
		script_json(&r, "", text);
		cr_expect_eq(r.status, cases[i].status, "%s: %d %s", cases[i].line, r.status, r.err);
		cr_expect(strstr(r.err, cases[i].msg), "%s: %s", cases[i].line, r.err);
	}
}

/* One level: no table below the root to share, so no kernel half. */
Test(kmode2_script, one_level_has_no_kernel_half)
{
	cmd_out_t r;
	script_json(&r, "--va-bits 20 --levels 1", "spawn 1\\nsyscall 1\\n");
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "at least 2 page-table levels"), "%s", r.err);
}

/* --- global entries, KPTI, --asid off on two processes ------------------- */

#define TWO_PROCS "spawn 1\\nspawn 2\\nmmap 1 0x100000 4K rw private\\n" \
		  "touch 1 0x100000 4K w\\nsyscall 1 touch 0x800000000000 4K\\n" \
		  "syscall 2 touch 0x800000000000 4K\\n"

/* --kernel-half --asid off: the switch to P2 flushes P1's user entry, but
 * the kernel page's entry is global and survives: P2's kernel read hits.
 * 3 references, 2 faults: 5 lookups, 1 hit; 1 switch, 1 entry flushed. */
Test(kmode2_switch, global_entries_survive_a_process_switch)
{
	cmd_out_t r;
	script_json(&r, "--kernel-half --asid off", TWO_PROCS);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "references"), 3);
	cr_expect_eq(json_u(r.out, "page_faults"), 2);
	cr_expect_eq(json_u(r.out, "tlb_hits"), 1);
	cr_expect_eq(json_u(r.out, "root_switches"), 1);
	cr_expect_eq(json_u(r.out, "tlb_flushes"), 1);
	cr_expect_eq(json_u(r.out, "tlb_entries_flushed"), 1);
}

/* --kpti --asid off: the kernel page is not global: P1's entry (switch 1
 * flushes the user entry), exit (2: the kernel entry), P2's entry (3, a
 * process switch and an entry at once: nothing left), exit (4: P2's kernel
 * entry).  No hit; 3 entries flushed. */
Test(kmode2_switch, kpti_without_asids_flushes_the_kernel_entries_too)
{
	cmd_out_t r;
	script_json(&r, "--kpti --asid off", TWO_PROCS);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "tlb_hits"), 0);
	cr_expect_eq(json_u(r.out, "root_switches"), 4);
	cr_expect_eq(json_u(r.out, "tlb_flushes"), 4);
	cr_expect_eq(json_u(r.out, "tlb_entries_flushed"), 3);
	cr_expect_eq(json_u(r.out, "syscalls"), 2);
}

/* The two example scripts hold the hand-worked counts as expect lines. */
Test(kmode2_switch, example_scripts_hold_their_expectations)
{
	cmd_out_t r;
	run(&r, "%s script --check examples/kernel.vms", vmlab());
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "  kernel refs                    2   in 3 syscalls; 2 kernel pages\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "  root switches                  9   0 TLB flushes, 0 entries flushed\n"),
		  "%s", r.out);
	run(&r, "%s script --check examples/kernel-asid-off.vms", vmlab());
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "  root switches                  8   8 TLB flushes, 7 entries flushed\n"),
		  "%s", r.out);
}

/* Scripts without the new options count no switch, as they always did. */
Test(kmode2_switch, scripts_without_the_options_count_no_switch)
{
	cmd_out_t r;
	script_json(&r, "", "spawn 1\\nspawn 2\\nmmap 1 0x100000 4K rw private\\n"
		    "mmap 2 0x100000 4K rw private\\ntouch 1 0x100000 4K w\\ntouch 2 0x100000 4K w\\n");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "root_switches"), 0);
	cr_expect_eq(json_u(r.out, "syscalls"), 0);
	cr_expect_eq(json_u(r.out, "kernel_pages"), 0);
}

/* --- KPTI's two roots, inside the machine -------------------------------- */

static vm_machine_t *kpti_machine(void)
{
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.kpti = 1;
	char err[256];
	vm_machine_t *vm;
	cr_assert_eq(vm_create(&vm, &cfg, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

/* Walk root for va in kernel mode (nothing counted matters here). */
static mmu_status_t walk(vm_machine_t *vm, uint64_t root, uint64_t va, uint64_t *pfn)
{
	mmu_result_t r;
	vm->mmu.kernel_mode = 1;
	mmu_status_t s = mmu_walk(&vm->mmu, 0, root, va, MMU_READ, &r, NULL);
	*pfn = r.pfn;
	return s;
}

/* The user root maps a user page and the trampoline, not the kernel page;
 * the kernel root (the frames after it) maps all three, the same frames. */
Test(kmode2_roots, user_root_maps_only_the_trampoline)
{
	vm_machine_t *vm = kpti_machine();
	cr_assert_eq(vm_access(vm, 1, 0x1000, 4, VM_WRITE), 0);
	cr_assert_eq(vm_access(vm, 1, 0x800000000000, 4, VM_KREAD), 0);
	uint32_t p = proc_lookup(vm, 1);
	uint64_t user = vm->procs[p].root_pfn, kern = proc_kernel_root(vm, p), a, b;
	cr_expect_eq(kern, user + 1);
	cr_expect_eq(proc_tramp_va(vm), 0xfffffffff000ull);
	cr_expect_eq(walk(vm, user, 0x1000, &a), MMU_OK);
	cr_expect_eq(walk(vm, kern, 0x1000, &b), MMU_OK);
	cr_expect_eq(a, b);
	cr_expect_eq(walk(vm, user, 0x800000000000, &a), MMU_FAULT_NOT_PRESENT);
	cr_expect_eq(walk(vm, kern, 0x800000000000, &a), MMU_OK);
	cr_expect_eq(walk(vm, user, 0xfffffffff000, &a), MMU_OK);
	cr_expect_eq(walk(vm, kern, 0xfffffffff000, &b), MMU_OK);
	cr_expect_eq(a, b);
	/* only the trampoline is global: its TLB entry survives a flush */
	tlb_entry_t *e = tlb_lookup(&vm->tlb, 0, 0xfffffffff000ull >> 12);
	cr_expect(e && e->global);
	e = tlb_lookup(&vm->tlb, KASID_BIT, 0x800000000000ull >> 12);
	cr_expect(e && !e->global);
	vm_destroy(vm);
}

/* The trace of test_kmode.c under --kpti: 8 more table pages than with
 * --kernel-half alone (12): a second root for each process (2), the
 * trampoline's own L2-L4 (3), the kernel tables' L2-L4 to it (3); its
 * page is a kernel page, no table. */
Test(kmode2_roots, kpti_tables_counted)
{
	cmd_out_t r;
	const char *trace = "printf 'R 0x1000 4 1\\nKR 0x800000000000 4 1\\nR 0x800000001000 4 1\\n"
			    "R 0x1000 4 2\\nKW 0x800000000000 4 2\\nR 0x1000 4 1\\n'";
	run(&r, "%s | %s run --kernel-half --json -", trace, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_table_pages"), 12);
	cr_expect_eq(json_u(r.out, "kernel_pages"), 0);
	run(&r, "%s | %s run --kpti --json -", trace, vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_table_pages"), 20);
	cr_expect_eq(json_u(r.out, "kernel_pages"), 1);
}

/* A kernel-mode read of a user page fills an entry under the kernel asid;
 * evicting the page must flush it too (both halves of the PCID pair), or
 * the third reference would hit a stale entry.  1 frame: 3 faults. */
Test(kmode2_roots, eviction_flushes_both_halves_of_a_pcid_pair)
{
	cmd_out_t r;
	run(&r, "printf 'KR 0x1000 4 1\\nR 0x2000 4 1\\nKR 0x1000 4 1\\n' | %s run --format text --kpti --frames 1 --json -",
	    vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_faults"), 3);
	cr_expect_eq(json_u(r.out, "evictions"), 2);
	cr_expect_eq(json_u(r.out, "tlb_hits"), 0);
}

/* --- explain --mode ------------------------------------------------------ */

#define KSTATE "printf 'pte 0x800000000 0x5 rw\\npte 0x1 0x3\\n' > /tmp/vmlab-kmode2-$$.state"

/* A user access to a mapped kernel page: the walk reaches the leaf (U=0,
 * G set by the kernel half) and the check says supervisor. */
Test(kmode2_explain, user_mode_explains_the_protection_fault)
{
	cmd_out_t r;
	run(&r, "(" KSTATE " && %s explain --state /tmp/vmlab-kmode2-$$.state --mode user 0xffff800000000000; "
	    "s=$?; rm -f /tmp/vmlab-kmode2-$$.state; exit $s)", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "VA: 0x800000000000\naccess: r\nmode: user\nhalf: kernel\n"
			 "VA_bits: 100000000 000000000 000000000 000000000 000000000000\n"), "%s", r.out);
	cr_expect(strstr(r.out, "L4_pte: 0x8000000000005103\nL4_pte_bits: P W G NX\n"
			 "PPN: -\nPA: -\nresult: protection fault (user access to a supervisor page)\n"),
		  "%s", r.out);
}

/* The same translation in kernel mode succeeds; a user page too. */
Test(kmode2_explain, kernel_mode_translates)
{
	cmd_out_t r;
	run(&r, "(" KSTATE " && %s explain --state /tmp/vmlab-kmode2-$$.state --mode kernel 0x800000000abc 0x1abc; "
	    "s=$?; rm -f /tmp/vmlab-kmode2-$$.state; exit $s)", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "mode: kernel\nhalf: kernel\n"), "%s", r.out);
	cr_expect(strstr(r.out, "PPN: 0x5\nPA: 0x5abc\nresult: ok\n"), "%s", r.out);
	cr_expect(strstr(r.out, "mode: kernel\nhalf: user\n"), "%s", r.out);
	cr_expect(strstr(r.out, "PPN: 0x3\nPA: 0x3abc\nresult: ok\n"), "%s", r.out);
}

/* An unmapped kernel address in user mode: a not-present walk, in the
 * kernel half; a bad --mode is a usage error; without --mode no new line. */
Test(kmode2_explain, unmapped_bad_mode_and_default)
{
	cmd_out_t r;
	run(&r, "%s explain --mode user 0xffff800000000000", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "half: kernel\n"), "%s", r.out);
	cr_expect(strstr(r.out, "result: page fault (L1 entry not present)\n"), "%s", r.out);
	run(&r, "%s explain --mode supervisor 0x1000", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "'supervisor': expected kernel or user"), "%s", r.err);
	run(&r, "%s explain --mode kernel --levels 1 --va-bits 20 0x1", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "--kernel-half needs at least 2 levels"), "%s", r.err);
	run(&r, "%s explain 0x1000", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "mode:") == NULL && strstr(r.out, "half:") == NULL, "%s", r.out);
	run(&r, "%s explain 0xffff800000000000", vmlab()); /* sign-extended only with --mode */
	cr_expect_eq(r.status, 2);
}

/* --- vmt's kernel kinds -------------------------------------------------- */

#define KTEXT "R 0x1000 4 1\\nKR 0x800000000000 4 1\\nKW 0xffff800000001008 8 1\\n" \
	      "X 0x400000 4 1\\nKX 0xffffffffffff0000 4 2\\nR 0x1004 4 2\\nKR 0x800000000010 4096 2\\n"

/* text -> vmt -> text gives the same lines; the vmt holds the worked
 * record of docs/trace-format.md; run counts the same on both. */
Test(kmode2_vmt, round_trip_of_kernel_kinds)
{
	cmd_out_t r;
	run(&r, "(d=$(mktemp -d) && printf '" KTEXT "' > $d/a.txt && "
	    "%s convert --format text $d/a.txt $d/a.vmt && %s convert $d/a.vmt $d/b.txt && "
	    "cmp $d/a.txt $d/b.txt && zstd -dcq $d/a.vmt | od -An -tx1 | tr -d '\\n'; s=$?; rm -rf $d; exit $s)",
	    vmlab(), vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, " 48 01 80 40 46 00 80 c0 ff ff ff ff 3f"), "%s", r.out);
	cmd_out_t a, b;
	run(&a, "printf '" KTEXT "' | %s run --kpti --json -", vmlab());
	run(&b, "(d=$(mktemp -d) && printf '" KTEXT "' > $d/a.txt && %s convert --format text $d/a.txt $d/a.vmt && "
	    "%s run --kpti --json $d/a.vmt; s=$?; rm -rf $d; exit $s)", vmlab(), vmlab());
	cr_assert_eq(a.status, 0, "%s", a.err);
	cr_assert_eq(b.status, 0, "%s", b.err);
	static const char *const keys[] = { "references", "kernel_references", "page_faults", "tlb_hits",
					    "root_switches", "syscalls", "page_table_pages" };
	for (int i = 0; i < 7; i++)
		cr_expect_eq(json_u(a.out, keys[i]), json_u(b.out, keys[i]), "%s", keys[i]);
	cr_expect_eq(json_u(a.out, "kernel_references"), 5);
}

/* Lackey has no kernel kinds: converting one there is refused. */
Test(kmode2_vmt, lackey_refuses_kernel_kinds)
{
	cmd_out_t r;
	run(&r, "(d=$(mktemp -d) && printf 'R 0x1000 4\\nKR 0x800000000000 4\\n' > $d/a.txt && "
	    "%s convert --format text --to lackey $d/a.txt $d/a.out; s=$?; ls $d; rm -rf $d; exit $s)", vmlab());
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "access 2 is made in kernel mode; lackey traces have no kernel kinds"),
		  "%s", r.err);
	cr_expect(strstr(r.out, "a.out") == NULL, "%s", r.out);
}

/* A kind-6 record whose kind byte is not 0, 1 or 2 is an error at its
 * offset; one cut short is too. */
Test(kmode2_vmt, bad_kernel_records)
{
	cmd_out_t r;
	run(&r, "printf '\\211VMT\\r\\n\\032\\n\\002\\106\\003\\000' | %s run --format vmt -", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "at byte 10 of the decompressed stream: bad kernel access kind (0, 1 or 2)"),
		  "%s", r.err);
	run(&r, "printf '\\211VMT\\r\\n\\032\\n\\002\\106' | %s run --format vmt -", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "at byte 10 of the decompressed stream: truncated kernel record at byte 9 (no kind byte)"),
		  "%s", r.err);
	run(&r, "printf '\\211VMT\\r\\n\\032\\n\\002\\106\\001' | %s run --format vmt -", vmlab());
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "at byte 11 of the decompressed stream: truncated varint (the address of the record at byte 9)"),
		  "%s", r.err);
}

/* Huge pages walk through proc_walk too: a kernel-half huge page (--thp
 * always) lands in the shared kernel tables with U=0 and G, so P2's kernel
 * read hits it after the flushing switch; P1's user huge entry is the one
 * flushed.  Hits: KR by P1 of its own page, R, KR by P2: 3, all huge. */
Test(kmode2_roots, a_kernel_huge_page_is_shared_and_global)
{
	cmd_out_t r;
	run(&r, "printf 'W 0x200000 4 1\\nKR 0x200000 4 1\\nR 0x200008 4 1\\nKW 0x800000200000 4 1\\n"
	    "KR 0x800000200000 4 2\\n' | %s run --format text --thp always --frames 1024 "
	    "--kernel-half --asid off --json -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "thp_fault_alloc"), 2);
	cr_expect_eq(json_u(r.out, "page_faults"), 2);
	cr_expect_eq(json_u(r.out, "tlb_hits"), 3);
	cr_expect_eq(json_u(r.out, "huge_tlb_hits"), 3);
	cr_expect_eq(json_u(r.out, "tlb_entries_flushed"), 1);
	/* the kernel's root, L2 and L3 for the kernel page (shared); P1's root,
	 * L2, L3; P2's root */
	cr_expect_eq(json_u(r.out, "page_table_pages"), 7);
}

/* Kernel-mode writes, fetches and reads of the trampoline (a page the
 * kernel made, not a fault's) in trace and script mode: no fault at all. */
Test(kmode2_roots, the_trampoline_takes_every_kernel_access)
{
	cmd_out_t r;
	run(&r, "printf 'KW 0xfffffffffffff000 4 1\\nKX 0xfffffffffffff008 4 1\\nKR 0xfffffffffff0 4 2\\n' | "
	    "%s run --format text --kpti --json -", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_faults"), 0);
	cr_expect_eq(json_u(r.out, "kernel_references"), 3);
	cr_expect_eq(json_u(r.out, "tlb_hits"), 2); /* global: P2 hits it too */
	script_json(&r, "--kpti", "spawn 1\\nsyscall 1 touch 0xfffffffffffff000 4096\\n");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(json_u(r.out, "page_faults"), 0);
	cr_expect_eq(json_u(r.out, "kernel_pages"), 1);
}

/* Kernel memory in script mode lives in kernel frames, which no policy
 * manages: a kernel-mode reference there must tell no policy (it indexed
 * the policy's per-frame data past its end: lru asserted), for every policy
 * of the registry a script may use.  Two syscalls touching 0x...008 + 4K
 * (two pages each): 4 kernel references, the first syscall's 2 faults, 2
 * kernel pages, no user page resident. */
Test(kmode2, kernel_pages_are_no_policys_frames)
{
	cmd_out_t r;
	for (size_t i = 0; i < policy_count; i++) {
		const char *pol = policy_registry[i]->name;
		if (policy_registry[i]->needs == POLICY_NEEDS_FUTURE)
			continue; /* (opt: refused by scripts) */
		run(&r, "printf 'set policy %s\\nspawn 1\\nsyscall 1 touch 0xffff800000000008 4K\\n"
			"syscall 1 touch 0xffff800000000008 4K\\n' | %s script --check --json -",
		    pol, vmlab());
		cr_assert_eq(r.status, 0, "%s: %s", pol, r.err);
		cr_assert_eq(json_u(r.out, "kernel_references"), 4, "%s", pol);
		cr_assert_eq(json_u(r.out, "page_faults"), 2, "%s", pol);
		cr_assert_eq(json_u(r.out, "kernel_pages"), 2, "%s", pol);
		cr_assert_eq(json_u(r.out, "resident_pages"), 0, "%s", pol);
	}
}

/* A `spawn P trace` process maps its whole address space; with the kernel
 * half on (its KR lines turn it on) its teardown walked the kernel's
 * shared tables as its own and unmapped a kernel page (a crash).  R, KR,
 * KR, R: 4 references, 2 faults (its page and the kernel's), 2 kernel
 * references, 1 kernel page, and nothing resident once it is done. */
Test(kmode2, trace_process_exit_leaves_the_kernel_half_alone)
{
	cmd_out_t r;
	run(&r, "(d=$(mktemp -d) && printf 'R 0x1000 8\\nKR 0xffff800000001000 8\\n"
		"KR 0xffff800000001000 8\\nR 0x1000 8\\n' > $d/k.txt && "
		"printf 'set policy lru\\nspawn 1 trace k.txt\\nrun\\n' > $d/k.vms && "
		"%s script --check --json $d/k.vms; s=$?; rm -rf $d; exit $s)", vmlab());
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "references"), 4);
	cr_assert_eq(json_u(r.out, "page_faults"), 2);
	cr_assert_eq(json_u(r.out, "kernel_references"), 2);
	cr_assert_eq(json_u(r.out, "kernel_pages"), 1);
	cr_assert_eq(json_u(r.out, "resident_pages"), 0);
}
