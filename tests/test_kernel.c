/* test_kernel.c - kernel-side behaviours with exact, hand-worked outcomes:
 * region splitting, brk, and the real swap file read back directly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmlab.h"
#include "vmlab_sys.h"
#include "util/vmerr.h"

#define PS 4096u

static vm_machine_t *script_machine(uint32_t frames, const char *swap_file)
{
	vm_config_t c;
	vm_config_default(&c);
	c.bytes = 1;
	c.check = 1;
	c.frames = frames;
	c.policy = "fifo";
	c.swap_slots = 64;
	c.swap_file = swap_file;
	vm_machine_t *vm;
	char err[256];
	cr_assert_eq(vm_create(&vm, &c, NULL, err, sizeof err), 0, "%s", err);
	return vm;
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

Test(kernel, munmap_of_the_middle_leaves_two_regions)
{
	vm_machine_t *vm = script_machine(8, NULL);
	uint64_t at;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, 0x100000, 3 * PS, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0,
			     VM_KIND_DATA, &at), 0);
	cr_assert_eq(vm_write(vm, 1, 0x100000, "abc", 3), 0);
	cr_assert_eq(vm_write(vm, 1, 0x102000, "xyz", 3), 0);
	cr_assert_eq(vm_munmap(vm, 1, 0x101000, PS), 0);
	char *maps = maps_of(vm, 1);
	cr_assert_str_eq(maps,
			 "000000100000-000000101000 rw-p 00000000 data                     resident 1 swapped 0\n"
			 "000000102000-000000103000 rw-p 00000000 data                     resident 1 swapped 0\n");
	free(maps);
	char got[3];
	cr_assert_eq(vm_read(vm, 1, 0x102000, got, 3), 0);
	cr_assert_eq(memcmp(got, "xyz", 3), 0);
	cr_assert_eq(vm_read(vm, 1, 0x101000, got, 1), VM_EFAULT);
	vm_proc_info_t info;
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.state, VM_PROC_SEGV);
	cr_assert_eq(info.fault_addr, 0x101000);
	cr_assert_str_eq(info.reason, "no region");
	cr_assert_eq(vm_sys_stats(vm)->segfaults, 1);
	cr_assert_eq(vm_read(vm, 1, 0x100000, got, 1), VM_ESRCH);
	vm_destroy(vm);
}

Test(kernel, brk_grows_lazily_and_shrinks)
{
	vm_machine_t *vm = script_machine(8, NULL);
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_brk(vm, 1, VM_HEAP_BASE - 1), VM_EINVAL);
	cr_assert_eq(vm_brk(vm, 1, VM_HEAP_BASE + 10000), 0); /* 3 pages of heap */
	vm_proc_info_t info;
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.brk, VM_HEAP_BASE + 10000);
	cr_assert_eq(info.resident, 0, "memory is given only when touched");
	cr_assert_eq(vm_write(vm, 1, VM_HEAP_BASE + 9999, "z", 1), 0);
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.resident, 1);
	cr_assert_eq(vm_stats(vm)->minor_faults, 1);
	char *maps = maps_of(vm, 1);
	cr_assert_str_eq(maps, "000010000000-000010003000 rw-p 00000000 heap                     resident 1 swapped 0\n");
	free(maps);
	cr_assert_eq(vm_brk(vm, 1, VM_HEAP_BASE + PS), 0); /* back to one page: page 2 goes */
	vm_proc_info(vm, 1, &info);
	cr_assert_eq(info.resident, 0);
	cr_assert_eq(vm_write(vm, 1, VM_HEAP_BASE + PS, "z", 1), VM_EFAULT);
	vm_destroy(vm);
}

Test(kernel, swap_is_a_real_file_holding_exactly_the_pages)
{
	char path[] = "/tmp/vmlab-swap-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	vm_machine_t *vm = script_machine(1, path);
	uint64_t at;
	static uint8_t a[PS], b[PS], got[PS];
	memset(a, 0x41, PS);
	memset(b, 0x42, PS);
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, 0x200000, 2 * PS, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0,
			     VM_KIND_MAPPING, &at), 0);
	cr_assert_eq(vm_write(vm, 1, 0x200000, a, PS), 0);
	cr_assert_eq(vm_write(vm, 1, 0x201000, b, PS), 0); /* evicts page 0 to slot 0 */
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(got, 1, PS, f), PS);
	cr_assert_eq(memcmp(got, a, PS), 0, "slot 0 holds page 0's bytes");
	cr_assert_eq(vm_read(vm, 1, 0x200000, got, PS), 0); /* page 1 to slot 1, page 0 back */
	cr_assert_eq(memcmp(got, a, PS), 0);
	cr_assert_eq(vm_read(vm, 1, 0x201000, got, PS), 0); /* page 0 clean: no write */
	cr_assert_eq(memcmp(got, b, PS), 0);
	fseek(f, PS, SEEK_SET);
	cr_assert_eq(fread(got, 1, PS, f), PS);
	cr_assert_eq(memcmp(got, b, PS), 0, "slot 1 holds page 1's bytes");
	fclose(f);
	const vm_stats_t *s = vm_stats(vm);
	cr_assert_eq(s->swap_outs, 2);
	cr_assert_eq(s->swap_ins, 2);
	cr_assert_eq(s->major_faults, 2);
	cr_assert_eq(s->evictions, 3);
	vm_destroy(vm);
	unlink(path);
}
