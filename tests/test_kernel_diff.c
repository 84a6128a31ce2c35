/* test_kernel_diff.c - the kernel side (vmlab_sys.h) checked byte for byte
 * against an independent flat model (the driver: kdiff.c), for every
 * replacement policy of the registry but those that need the future (opt),
 * plus a few directed tests with hand-checked numbers.
 *
 * Each policy runs on three machines (below), the kernel's invariant checker
 * after every call (cfg.check) and vm_check after every operation.  Set
 * VMLAB_DIFF_LOG=path to get one line per operation in path.POLICY.MACHINE
 * (enough to replay a failure by hand).  test_kernel_diff2.c runs the same
 * driver with NUMA, zRAM and malloc/free on.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdiff.h"
#include "vmlab.h"
#include "vmlab_sys.h"
#include "policy/policy.h"
#include "util/vmerr.h"

#define PS KDIFF_PS
#ifndef DIFF_OPS
#define DIFF_OPS 50000u /* per policy and machine; 20,000 is the floor */
#endif

/* The main machine: 16 frames, the page daemon keeps 2 to 4 of them free. */
static const kdiff_machine_t M_BASE = { "base", 16, 1, 2, 4, 0, 64, 4, DIFF_OPS };
/* Four frames, no page daemon: every frame comes from direct reclaim, and a
 * copy-on-write copy needs half the machine; a large TLB keeps stale
 * translations around for longer. */
static const kdiff_machine_t M_TIGHT = { "tight", 4, 0, 0, 0, 0, 128, 8, 30000 };
/* Swap read-ahead into the swap cache, with the daemon keeping room for it. */
static const kdiff_machine_t M_READAHEAD = { "readahead", 12, 1, 3, 6, 3, 16, 2, 30000 };

/* One run per policy of the registry (all but those that need the future,
 * like opt, which the kernel side cannot give) and machine, so that a new
 * policy is covered without being named here; the timeout turns a livelock
 * in the kernel into a failure.  Each run's operations come from a seed
 * made of the policy's name (FNV-1a) and the machine's salt. */
/* Indices, not pointers: Criterion may run a test in a new process of the
 * same program, where addresses differ. */
typedef struct diff_param {
	size_t policy;        /* index in policy_registry */
	size_t machine;       /* index in diff_machines */
} diff_param_t;

#define DIFF_MAX_POLICIES 64

static const struct {
	const kdiff_machine_t *m;
	uint64_t salt;
} diff_machines[] = { { &M_BASE, 0 }, { &M_TIGHT, 0x1111 }, { &M_READAHEAD, 0x2222 } };

ParameterizedTestParameters(kernel_diff, every_policy)
{
	static diff_param_t params[3 * DIFF_MAX_POLICIES];
	size_t n = 0;
	for (size_t m = 0; m < sizeof diff_machines / sizeof diff_machines[0]; m++)
		for (size_t i = 0; i < policy_count && i < DIFF_MAX_POLICIES; i++)
			if (policy_registry[i]->needs != POLICY_NEEDS_FUTURE)
				params[n++] = (diff_param_t){ i, m };
	return cr_make_param_array(diff_param_t, params, n);
}

ParameterizedTest(diff_param_t *p, kernel_diff, every_policy, .timeout = 300)
{
	const char *name = policy_registry[p->policy]->name;
	kdiff_run(name, diff_machines[p->machine].m, &kdiff_plain,
		  kdiff_name_seed(name, diff_machines[p->machine].salt));
}

/* The registry fits the parameter table, and every policy but those that
 * need the future is run: 19 before mglru, 20 with it. */
Test(kernel_diff, the_registry_is_covered)
{
	cr_assert_leq(policy_count, DIFF_MAX_POLICIES);
	size_t runnable = 0;
	for (size_t i = 0; i < policy_count; i++)
		runnable += policy_registry[i]->needs != POLICY_NEEDS_FUTURE;
	cr_assert_geq(runnable, 20);
	cr_assert_not_null(policy_find("mglru"));
	cr_assert_neq(policy_find("mglru")->needs, POLICY_NEEDS_FUTURE);
}

/* ---- directed tests ---- */

#define A0 0x50000000ull

static vm_machine_t *small_machine(void)
{
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.policy = "lru";
	c.frames = 64; /* nothing is evicted in these tests */
	c.swap_slots = 256;
	c.wmark_min = c.wmark_low = c.wmark_high = 0;
	vm_machine_t *vm = NULL;
	char err[512];
	int rc = vm_create(&vm, &c, NULL, err, sizeof err);
	cr_assert_eq(rc, 0, "vm_create: %s", err);
	return vm;
}

static void ok(int rc, const char *what)
{
	cr_assert_eq(rc, 0, "%s: %d (%s)", what, rc, vm_strerror(rc));
}

static void checked(vm_machine_t *vm)
{
	char err[512] = "";
	cr_assert_eq(vm_check(vm, err, sizeof err), 0, "invariant: %s", err);
}

static void map_rw(vm_machine_t *vm, uint32_t pid, uint64_t addr, unsigned pages)
{
	uint64_t out = 0;
	ok(vm_mmap(vm, pid, addr, (uint64_t)pages * PS, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE,
		   NULL, 0, VM_KIND_MAPPING, &out), "mmap");
	cr_assert_eq(out, addr);
}

static void write_page(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint8_t v)
{
	uint8_t b[PS];
	memset(b, v, PS);
	ok(vm_write(vm, pid, addr, b, PS), "write");
}

static void expect_page(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint8_t v)
{
	uint8_t b[PS];
	ok(vm_read(vm, pid, addr, b, PS), "read");
	for (unsigned i = 0; i < PS; i++)
		cr_assert_eq(b[i], v, "pid %u byte 0x%" PRIx64 " = 0x%02x, want 0x%02x", pid,
			     addr + i, b[i], v);
}

/* (1) After fork, the parent writes 2 of 5 touched pages and the child 1
 * other page: 3 copies, each sees its own bytes. */
Test(kernel_directed, fork_then_three_writes_copy_three_pages)
{
	vm_machine_t *vm = small_machine();
	ok(vm_spawn(vm, 1), "spawn");
	map_rw(vm, 1, A0, 5);
	for (unsigned i = 0; i < 5; i++)
		write_page(vm, 1, A0 + i * PS, (uint8_t)(0x10 + i));
	ok(vm_fork(vm, 1, 2), "fork");
	checked(vm);
	uint64_t faults0 = vm_sys_stats(vm)->cow_faults;
	cr_assert_eq(vm_sys_stats(vm)->cow_copies, 0);
	write_page(vm, 1, A0 + 0 * PS, 0xa0);
	write_page(vm, 1, A0 + 1 * PS, 0xa1);
	write_page(vm, 2, A0 + 3 * PS, 0xb3);
	checked(vm);
	cr_assert_eq(vm_sys_stats(vm)->cow_copies, 3);
	cr_assert_eq(vm_sys_stats(vm)->cow_faults - faults0, 3);
	/* parent */
	expect_page(vm, 1, A0 + 0 * PS, 0xa0);
	expect_page(vm, 1, A0 + 1 * PS, 0xa1);
	expect_page(vm, 1, A0 + 2 * PS, 0x12);
	expect_page(vm, 1, A0 + 3 * PS, 0x13);
	expect_page(vm, 1, A0 + 4 * PS, 0x14);
	/* child */
	expect_page(vm, 2, A0 + 0 * PS, 0x10);
	expect_page(vm, 2, A0 + 1 * PS, 0x11);
	expect_page(vm, 2, A0 + 2 * PS, 0x12);
	expect_page(vm, 2, A0 + 3 * PS, 0xb3);
	expect_page(vm, 2, A0 + 4 * PS, 0x14);
	/* reads copy nothing */
	cr_assert_eq(vm_sys_stats(vm)->cow_copies, 3);
	checked(vm);
	vm_destroy(vm);
}

/* (2) A write to a COW page whose other sharer has exited copies nothing.
 * Assumed (the header does not fix it): exit does not go back and make the
 * survivor's PTE writable, so the survivor's write still takes a
 * copy-on-write fault (cow_faults + 1) which finds the page has one user left
 * and reuses it (cow_copies + 0), as Linux's do_wp_page does.  Tried both
 * ways round: the child exits, then the parent exits. */
Test(kernel_directed, cow_fault_of_the_last_user_copies_nothing)
{
	vm_machine_t *vm = small_machine();
	ok(vm_spawn(vm, 1), "spawn");
	map_rw(vm, 1, A0, 2);
	write_page(vm, 1, A0, 0x11);
	write_page(vm, 1, A0 + PS, 0x22);

	/* the child exits; the parent writes */
	ok(vm_fork(vm, 1, 2), "fork");
	ok(vm_exit(vm, 2), "exit child");
	checked(vm);
	uint64_t f0 = vm_sys_stats(vm)->cow_faults, c0 = vm_sys_stats(vm)->cow_copies;
	uint8_t b = 0x33;
	ok(vm_write(vm, 1, A0 + 5, &b, 1), "parent write");
	cr_assert_eq(vm_sys_stats(vm)->cow_faults, f0 + 1);
	cr_assert_eq(vm_sys_stats(vm)->cow_copies, c0);
	checked(vm);

	/* the parent exits; the child writes */
	ok(vm_fork(vm, 1, 3), "fork");
	ok(vm_exit(vm, 1), "exit parent");
	checked(vm);
	f0 = vm_sys_stats(vm)->cow_faults;
	c0 = vm_sys_stats(vm)->cow_copies;
	b = 0x44;
	ok(vm_write(vm, 3, A0 + PS + 7, &b, 1), "child write");
	cr_assert_eq(vm_sys_stats(vm)->cow_faults, f0 + 1);
	cr_assert_eq(vm_sys_stats(vm)->cow_copies, c0);
	checked(vm);

	uint8_t got[PS];
	ok(vm_read(vm, 3, A0, got, PS), "read");
	for (unsigned i = 0; i < PS; i++)
		cr_assert_eq(got[i], i == 5 ? 0x33 : 0x11, "byte %u", i);
	ok(vm_read(vm, 3, A0 + PS, got, PS), "read");
	for (unsigned i = 0; i < PS; i++)
		cr_assert_eq(got[i], i == 7 ? 0x44 : 0x22, "byte %u", i);
	vm_destroy(vm);
}

/* (3) munmap of the middle page of a 3-page region splits it: the first and
 * last pages still read, the middle is a SIGSEGV; mapped again it is zeros. */
Test(kernel_directed, munmap_middle_page_splits_the_region)
{
	vm_machine_t *vm = small_machine();
	for (uint32_t pid = 1; pid <= 2; pid++) {
		ok(vm_spawn(vm, pid), "spawn");
		map_rw(vm, pid, A0, 3);
		for (unsigned i = 0; i < 3; i++)
			write_page(vm, pid, A0 + i * PS, (uint8_t)(0x61 + i));
		ok(vm_munmap(vm, pid, A0 + PS, PS), "munmap");
		checked(vm);
	}
	expect_page(vm, 1, A0, 0x61);
	expect_page(vm, 1, A0 + 2 * PS, 0x63);
	uint8_t b[PS];
	cr_assert_eq(vm_read(vm, 1, A0 + PS, b, 1), VM_EFAULT);
	vm_proc_info_t info;
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.state, VM_PROC_SEGV);
	cr_assert_eq(info.fault_addr, A0 + PS);
	cr_assert_eq(vm_read(vm, 1, A0, b, 1), VM_ESRCH);
	cr_assert_eq(vm_sys_stats(vm)->segfaults, 1);
	checked(vm);

	/* pid 2: the hole mapped again reads zeros, its neighbours are intact */
	map_rw(vm, 2, A0 + PS, 1);
	expect_page(vm, 2, A0 + PS, 0);
	expect_page(vm, 2, A0, 0x61);
	expect_page(vm, 2, A0 + 2 * PS, 0x63);
	checked(vm);
	vm_destroy(vm);
}

/* (4) mprotect to read-only: reads work, a write is a SIGSEGV at exactly the
 * address written. */
Test(kernel_directed, write_after_mprotect_read_only_is_a_segv_at_the_address)
{
	vm_machine_t *vm = small_machine();
	ok(vm_spawn(vm, 1), "spawn");
	map_rw(vm, 1, A0, 2);
	write_page(vm, 1, A0, 0x77);
	write_page(vm, 1, A0 + PS, 0x78);
	ok(vm_mprotect(vm, 1, A0, PS, VM_PROT_R), "mprotect");
	checked(vm);
	expect_page(vm, 1, A0, 0x77);
	uint8_t b = 1;
	ok(vm_write(vm, 1, A0 + PS + 9, &b, 1), "write to the page still rw");
	cr_assert_eq(vm_write(vm, 1, A0 + 0x123, &b, 1), VM_EFAULT);
	vm_proc_info_t info;
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.state, VM_PROC_SEGV);
	cr_assert_eq(info.fault_addr, A0 + 0x123, "fault_addr 0x%" PRIx64, info.fault_addr);
	cr_assert_not_null(info.reason);
	cr_assert_eq(vm_write(vm, 1, A0 + PS, &b, 1), VM_ESRCH);
	checked(vm);
	vm_destroy(vm);
}

/* (5) A private page that was read-only when the process forked is still
 * shared copy-on-write: making it writable in one process (either one) and
 * writing copies it, and the other keeps the old bytes.  (An earlier kernel
 * shared such pages without copy-on-write, so the write leaked across.) */
Test(kernel_directed, page_read_only_at_fork_is_copied_after_mprotect_rw)
{
	for (uint32_t writer = 1; writer <= 2; writer++) {
		vm_machine_t *vm = small_machine();
		ok(vm_spawn(vm, 1), "spawn");
		map_rw(vm, 1, A0, 2);
		write_page(vm, 1, A0, 0x31);
		ok(vm_mprotect(vm, 1, A0, 2 * PS, VM_PROT_R), "mprotect r");
		/* page 1 was never touched: read it, so a zero page is mapped too */
		expect_page(vm, 1, A0 + PS, 0);
		ok(vm_fork(vm, 1, 2), "fork");
		ok(vm_mprotect(vm, writer, A0, 2 * PS, VM_PROT_R | VM_PROT_W), "mprotect rw");
		checked(vm);
		write_page(vm, writer, A0, 0x32);
		write_page(vm, writer, A0 + PS, 0x33);
		checked(vm);
		uint32_t other = 3 - writer;
		expect_page(vm, writer, A0, 0x32);
		expect_page(vm, writer, A0 + PS, 0x33);
		expect_page(vm, other, A0, 0x31);
		expect_page(vm, other, A0 + PS, 0);
		cr_assert_eq(vm_sys_stats(vm)->cow_copies, 2, "writer %u: %" PRIu64 " copies", writer,
			     vm_sys_stats(vm)->cow_copies);
		vm_destroy(vm);
	}
}

/* (6) With 4 frames and no page daemon, one write over 4 pages where the last
 * is copy-on-write: the first 3 fill the machine, so the copy needs reclaim,
 * and the victim may be the page being copied.  An earlier kernel looped for
 * ever there with eclock (swap the source in, evict it to get a frame for
 * the copy, retry, ...).  Every policy must finish with the right bytes. */
Test(kernel_directed, cow_copy_when_reclaim_may_evict_the_source, .timeout = 30)
{
	static const char *const policies[] = { "fifo", "random", "lru", "lfu", "clock", "eclock", "linux" };
	for (unsigned k = 0; k < sizeof policies / sizeof *policies; k++) {
		vm_config_t c;
		vm_config_default(&c);
		c.bytes = 1;
		c.check = 1;
		c.policy = policies[k];
		c.frames = 4;
		c.swap_slots = 64;
		c.wmark_min = c.wmark_low = c.wmark_high = 0;
		vm_machine_t *vm = NULL;
		char err[512];
		ok(vm_create(&vm, &c, NULL, err, sizeof err), "vm_create");
		ok(vm_spawn(vm, 1), "spawn");
		map_rw(vm, 1, A0, 4);
		write_page(vm, 1, A0 + 3 * PS, 0x5c);
		ok(vm_fork(vm, 1, 2), "fork");
		static uint8_t big[4 * PS];
		memset(big, 0xa7, sizeof big);
		int rc = vm_write(vm, 1, A0, big, sizeof big);
		cr_assert_eq(rc, 0, "%s: write: %d (%s)", policies[k], rc, vm_strerror(rc));
		checked(vm);
		for (unsigned i = 0; i < 4; i++) {
			expect_page(vm, 1, A0 + i * PS, 0xa7);
			expect_page(vm, 2, A0 + i * PS, i == 3 ? 0x5c : 0);
		}
		checked(vm);
		vm_destroy(vm);
	}
}
