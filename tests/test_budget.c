/* test_budget.c - the host-memory budget (--max-memory): what grows with the
 * input is refused past it with a message naming what grew (exit 1), shared
 * anonymous memory costs per page swapped rather than per page mapped, OPT's
 * future spills to a temporary file with the same counts, and the default
 * budget is half the machine's memory. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "kern/kern.h"
#include "vmlab.h"
#include "vmlab_sys.h"
#include "util/vmerr.h"

/* A pages trace of 65,536 pages 2 MiB apart: each needs a leaf table of its
 * own (4 KiB), 256 MiB in all; 16M runs out after about 4,090 references. */
Test(budget, sparse_pages_grow_page_tables_past_the_budget)
{
	cmd_out_t r;
	run(&r, "seq 0 512 33554431 | zstd -q -c | %s run --format pages --max-memory 16M -", vmlab());
	cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_empty(r.out);
	cr_expect(strstr(r.err, "vmlab run: stopped after ") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "page tables need more than --max-memory 16M (") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "; raise --max-memory\n") != NULL, "%s", r.err);
}

/* The same trace fits in 512M: the budget refuses only what goes past it. */
Test(budget, sparse_pages_within_the_budget)
{
	cmd_out_t r;
	run(&r, "seq 0 512 33554431 | %s run --format pages --max-memory 512M --json -", vmlab());
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_eq(json_u(r.out, "references"), 65536);
	/* 65,536 leaves + 128 third-level tables + the root and one second level */
	cr_expect_eq(json_u(r.out, "page_table_pages"), 65536 + 128 + 2);
}

/* Distinct processes each get their own four tables (16 KiB at 4 KiB
 * pages): 5,000 of them do not fit in 16M. */
Test(budget, many_processes_past_the_budget)
{
	cmd_out_t r;
	run(&r, "seq 1 5000 | awk '{print \"R 0x1000 1 \" $1}' | %s run --format text --max-memory 16M -",
	    vmlab());
	cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "page tables need more than --max-memory 16M (") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, " processes, 16384 bytes a page") != NULL, "%s", r.err);
}

/* One lackey line of 2 GiB at 16-byte pages is 2^27 references (141 s and
 * 1 GB of tables before): refused at once, whatever the budget. */
Test(budget, one_huge_access_at_tiny_pages)
{
	static const char *const budgets[] = { "", "--max-memory 64M" };
	for (int i = 0; i < 2; i++) {
		cmd_out_t r;
		run(&r, "printf ' L 1000,2147483648\\n' | timeout 60 %s run --page-size 16 --levels 5 %s -",
		    vmlab(), budgets[i]);
		cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
		cr_expect_str_empty(r.out);
		cr_expect_str_eq(r.err, "vmlab run: an access of 2147483648 bytes at 0x1000 spans 134217728 pages of 16 bytes, more than the 1048576 one access may make; use a larger --page-size\n");
	}
	/* OPT buffers the future first: the same check, before any buffering */
	cmd_out_t r;
	run(&r, "printf ' L 1000,2147483648\\n' | timeout 60 %s run --page-size 16 --levels 5 --policy opt -",
	    vmlab());
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "spans 134217728 pages of 16 bytes") != NULL, "%s", r.err);
}

/* The largest access a line may give at 4 KiB pages (2 GiB at an unaligned
 * address: 2^19 + 1 pages) is still taken. */
Test(budget, largest_access_at_4k_pages_is_taken)
{
	cmd_out_t r;
	run(&r, "printf ' L 1001,2147483648\\n' | %s run --json -", vmlab());
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_eq(json_u(r.out, "references"), (1u << 19) + 1);
}

/* A script's message names its line and command. */
Test(budget, script_page_tables_past_the_budget)
{
	cmd_out_t r;
	run(&r, "printf 'spawn 1\\nmmap 1 0x400000 64G r private anon\\ntouch 1 0x400000 64G r 2M\\n' | %s script --max-memory 16M -",
	    vmlab());
	cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "<stdin>:3: touch 1 0x400000 64G r 2M: page tables need more than --max-memory 16M (") != NULL,
		  "%s", r.err);
	cr_expect(strstr(r.err, "; raise --max-memory\n") != NULL, "%s", r.err);
}

/* mmap of 1 TiB of shared anonymous memory costs nothing per page mapped
 * (8 bytes a page before: 2 GiB); pages written out far apart in it come
 * back intact through its slot table. */
Test(budget, shared_anon_terabyte_is_sparse)
{
	cmd_out_t r;
	run(&r, "printf '%s' | %s script --frames 4 --watermarks 0,0,0 --max-memory 64M -",
	    "spawn 1\\nmmap 1 0x1000 1024G rw shared anon\\n"
	    "write 1 0x1000 \"first\"\\nwrite 1 0x8000001000 \"far\"\\n"
	    "touch 1 0x2000 32K w\\n"
	    "read 1 0x1000 5 expect \"first\"\\nread 1 0x8000001000 3 expect \"far\"\\n"
	    "expect stat swap_ins 2\\n",
	    vmlab());
	cr_assert_eq(r.status, 0, "status %d, stderr: %s", r.status, r.err);
}

/* The same through the library, reading the budget's own account: the
 * object costs its table entry and a 16-entry slot table, nothing more. */
Test(budget, shared_anon_costs_per_page_swapped)
{
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.frames = 4;
	c.policy = "fifo";
	c.swap_slots = 64;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	cr_assert_eq(vm_spawn(vm, 1), 0);
	uint64_t at;
	cr_assert_eq(vm_mmap(vm, 1, 0x1000, 1ull << 40, VM_PROT_R | VM_PROT_W, VM_MAP_SHARED, NULL, 0,
			     VM_KIND_MAPPING, &at), 0);
	cr_expect_eq(vm->budget.by[BUDGET_OBJECTS], 8 * sizeof(vobj_t));
	/* 8 pages written, 4 frames, FIFO: pages 0..3 written out; reading 0 and 1
	 * back evicts pages 2^20 and 2^27: 6 slots */
	static const uint64_t pages[8] = { 0, 1, 2, 3, 1ull << 20, 1ull << 27, (1ull << 28) - 2, 5 };
	for (int i = 0; i < 8; i++)
		cr_assert_eq(vm_write(vm, 1, 0x1000 + (pages[i] << 12), &pages[i], 8), 0);
	for (int i = 0; i < 2; i++) {
		uint64_t got = 99;
		cr_assert_eq(vm_read(vm, 1, 0x1000 + (pages[i] << 12), &got, 8), 0);
		cr_expect_eq(got, pages[i]);
	}
	cr_expect_eq(vm_stats(vm)->swap_outs, 6);
	cr_expect_eq(vm->objs[0].slots_used, 6);
	cr_expect_eq(vm->budget.by[BUDGET_OBJECTS], 8 * sizeof(vobj_t) + 16 * sizeof(obj_slot_t));
	cr_expect_eq(vm_munmap(vm, 1, 0x1000, 1ull << 40), 0);
	cr_expect_eq(vm->budget.by[BUDGET_OBJECTS], 8 * sizeof(vobj_t));
	cr_expect_eq(vm_stats(vm)->swap_slots_used, 0);
	vm_destroy(vm);
}

/* OPT's future in a temporary file gives exactly the counts it gives in
 * memory (the ls trace: 2,371,409 references, 57 MB of future; 1M keeps
 * none of it in memory). */
Test(budget, opt_spilled_equals_opt_in_memory)
{
	static cmd_out_t mem, file;
	run(&mem, "%s run --policy opt --json - < examples/ls.lackey.zst", vmlab());
	cr_assert_eq(mem.status, 0, "stderr: %s", mem.err);
	cr_expect_str_empty(mem.err);
	run(&file, "%s run --policy opt --json --max-memory 1M - < examples/ls.lackey.zst", vmlab());
	cr_assert_eq(file.status, 0, "stderr: %s", file.err);
	cr_expect_str_eq(file.err, "vmlab run: note: OPT's future (2371409 references) is larger than half of --max-memory; it is kept in a temporary file\n");
	cr_expect_str_eq(file.out, mem.out);
	cr_expect_eq(json_u(file.out, "references"), 2371409);
	cr_expect_eq(json_u(file.out, "page_faults"), 1741);
}

/* A temporary file that cannot grow (here a file-size limit; a full disk
 * alike) is an error of the run, never a silent loss or a crash. */
Test(budget, opt_spill_write_failure_is_an_error)
{
	cmd_out_t r;
	run(&r, "trap '' XFSZ; ulimit -f 256; %s run --policy opt --max-memory 1M examples/ls.lackey.zst",
	    vmlab());
	cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect_str_empty(r.out);
	cr_expect(strstr(r.err, "vmlab run: buffering the trace for --policy opt: cannot grow the temporary file in ") != NULL,
		  "%s", r.err);
	cr_expect(strstr(r.err, ": File too large\n") != NULL, "%s", r.err);
}

/* Without --max-memory the budget is half the physical memory: a machine
 * whose frames alone (2^32 - 2 of 64 KiB, 256 TiB) exceed any such budget
 * says so, naming the default in bytes with a K/M/G/T suffix when exact. */
Test(budget, default_is_half_of_physical_memory)
{
	uint64_t half = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	char want[64];
	static const char suffix[] = "KMGT";
	int i = -1;
	uint64_t v = half;
	while (i < 3 && v && v % 1024 == 0) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(want, sizeof want, "more than --max-memory %llu;", (unsigned long long)v);
	else
		snprintf(want, sizeof want, "more than --max-memory %llu%c;", (unsigned long long)v, suffix[i]);
	cmd_out_t r;
	run(&r, "printf 'spawn 1\\n' | %s script --frames 4294967294 --page-size 64K -", vmlab());
	cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "vmlab script: the simulated machine needs ") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, want) != NULL, "want '%s' in: %s", want, r.err);
	cr_expect(strstr(r.err, "lower --frames or raise --max-memory\n") != NULL, "%s", r.err);
	run(&r, "%s run --frames 4294967294 examples/ls.lackey.zst", vmlab());
	cr_assert_eq(r.status, 1, "status %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, want) != NULL, "want '%s' in: %s", want, r.err);
}
