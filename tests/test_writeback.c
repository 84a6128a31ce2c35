/* test_writeback.c - when a disk fills: a write-back or swap-out that fails
 * is an error of its command, naming the file and the host's reason, and
 * loses nothing (the page stays dirty and mapped, every invariant holds);
 * the end of a script writes dirty file pages back; address arithmetic that
 * would wrap is refused; the checker rejects bad regions.
 *
 * A full disk is a real one: as root, a tmpfs of a few KiB mounted in this
 * test's own mount namespace (Criterion runs each test in its own process,
 * so the mount is gone with it) gives ENOSPC; otherwise RLIMIT_FSIZE with
 * SIGXFSZ ignored gives EFBIG at the same byte.  Either way the first write
 * that fails is at byte `bytes` of a file, so page numbers are the same. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "kern/kern.h"
#include "util/vmerr.h"
#include "vmlab_sys.h"

#define PAGE 4096

/* A folder on a disk that holds `bytes`. */
typedef struct disk {
	char dir[64];
	size_t bytes;
	int tmpfs;     /* 1: a tmpfs of that size; 0: RLIMIT_FSIZE once limited */
	int err;       /* the errno a write past it gets */
} disk_t;

/* Make the folder; as root mount the small tmpfs on it now (files made
 * after fill it).  Not root: disk_limit sets the file-size limit later. */
static void disk_open(disk_t *d, size_t bytes)
{
	snprintf(d->dir, sizeof d->dir, "/tmp/vmlab-wb-XXXXXX");
	cr_assert_not_null(mkdtemp(d->dir));
	d->bytes = bytes;
	char opt[32];
	snprintf(opt, sizeof opt, "size=%zu", bytes);
	d->tmpfs = unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		   mount("tmpfs", d->dir, "tmpfs", 0, opt) == 0;
	d->err = d->tmpfs ? ENOSPC : EFBIG;
}

/* From now on writes past d->bytes fail (the tmpfs does that already). */
static void disk_limit(disk_t *d)
{
	if (d->tmpfs)
		return;
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = { .rlim_cur = d->bytes, .rlim_max = RLIM_INFINITY };
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* The disk has room again. */
static void disk_grow(disk_t *d)
{
	if (d->tmpfs) {
		cr_assert_eq(mount("tmpfs", d->dir, "tmpfs", MS_REMOUNT, "size=16m"), 0, "%s", strerror(errno));
		return;
	}
	struct rlimit rl = { .rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY };
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void disk_close(disk_t *d)
{
	char cmd[128];
	if (d->tmpfs)
		umount(d->dir);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->dir);
	cr_assert_eq(system(cmd), 0);
}

/* dir/name, created as `size` zero bytes (sparse: it takes no room yet). */
static void make_file(char *path, size_t len, const char *dir, const char *name, off_t size)
{
	snprintf(path, len, "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(ftruncate(fd, size), 0);
	close(fd);
}

static void put_text(char *path, size_t len, const char *dir, const char *name, const char *text)
{
	snprintf(path, len, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* A script-mode machine of `frames` frames, swapping to swap_file (NULL: a
 * temporary one). */
static vm_machine_t *machine(uint32_t frames, const char *swap_file)
{
	vm_config_t cfg;
	vm_config_default(&cfg);
	cfg.bytes = 1;
	cfg.frames = frames;
	cfg.swap_file = swap_file;
	char err[256];
	vm_machine_t *vm;
	cr_assert_eq(vm_create(&vm, &cfg, NULL, err, sizeof err), 0, "%s", err);
	return vm;
}

static void assert_sound(vm_machine_t *vm)
{
	char msg[512];
	cr_assert_eq(vm_check(vm, msg, sizeof msg), 0, "invariant broken: %s", msg);
}

/* Process pid maps path (32 pages) shared at 0x400000 and writes "page NN"
 * at the start of page NN. */
static void map_and_label(vm_machine_t *vm, uint32_t pid, const char *path)
{
	uint64_t got;
	cr_assert_eq(vm_spawn(vm, pid), 0);
	cr_assert_eq(vm_mmap(vm, pid, 0x400000, 32 * PAGE, VM_PROT_R | VM_PROT_W, VM_MAP_SHARED, path, 0,
			     VM_KIND_MAPPING, &got), 0);
	for (unsigned i = 0; i < 32; i++) {
		char label[16];
		snprintf(label, sizeof label, "page %02u", i);
		cr_assert_eq(vm_write(vm, pid, 0x400000 + i * PAGE, label, 8), 0);
	}
}

/* Every page of the file at path starts with its label. */
static void assert_labels(const char *path, unsigned pages)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	for (unsigned i = 0; i < pages; i++) {
		char got[9] = { 0 }, want[16];
		snprintf(want, sizeof want, "page %02u", i);
		cr_assert_eq(fseek(f, (long)i * PAGE, SEEK_SET), 0);
		cr_assert_eq(fread(got, 1, 8, f), 8);
		cr_assert_str_eq(got, want, "page %u of %s", i, path);
	}
	fclose(f);
}

/* "cannot write back page N of PATH: <strerror>" */
static void assert_io_error(vm_machine_t *vm, const char *what, const disk_t *d)
{
	char want[512];
	snprintf(want, sizeof want, "%s: %s", what, strerror(d->err));
	cr_assert_not_null(vm_io_error(vm));
	cr_assert_str_eq(vm_io_error(vm), want);
}

static uint64_t writebacks(vm_machine_t *vm)
{
	return vm_sys_stats(vm)->file_writebacks;
}

/* The example: 64 KiB of disk hold pages 0-15 of the 32 dirty
 * ones; page 16 fails.  Before the fix exit aborted (obj_put: fr->refs == 0). */
Test(writeback, exit_on_a_full_disk_fails_and_keeps_every_page)
{
	disk_t d;
	char f[PATH_MAX], what[PATH_MAX + 64];
	disk_open(&d, 64 * 1024);
	make_file(f, sizeof f, d.dir, "f", 32 * PAGE);
	vm_machine_t *vm = machine(64, NULL);
	map_and_label(vm, 1, f);
	disk_limit(&d);
	cr_assert_eq(vm_exit(vm, 1), VM_EIO);
	snprintf(what, sizeof what, "cannot write back page 16 of %s", f);
	assert_io_error(vm, what, &d);
	assert_sound(vm);
	vm_proc_info_t pi;
	vm_proc_info(vm, 1, &pi);
	cr_assert_eq(pi.state, VM_PROC_ALIVE);
	cr_assert_eq(pi.resident, 32);
	cr_assert_eq(writebacks(vm), 16);   /* pages 0-15, now clean */
	char got[9] = { 0 };               /* page 20 is still there, still mapped */
	cr_assert_eq(vm_read(vm, 1, 0x400000 + 20 * PAGE, got, 8), 0);
	cr_assert_str_eq(got, "page 20");
	disk_grow(&d);
	cr_assert_eq(vm_exit(vm, 1), 0);
	cr_assert_eq(writebacks(vm), 32);   /* the 16 left, each once */
	assert_sound(vm);
	assert_labels(f, 32);
	vm_destroy(vm);
	disk_close(&d);
}

/* The fork variant: before the fix, sys_kill asserted resident == 0 (the
 * zapping walk stopped at the first failed write-back). */
Test(writeback, exit_after_fork_on_a_full_disk)
{
	disk_t d;
	char f[PATH_MAX], what[PATH_MAX + 64];
	disk_open(&d, 64 * 1024);
	make_file(f, sizeof f, d.dir, "f", 32 * PAGE);
	vm_machine_t *vm = machine(64, NULL);
	map_and_label(vm, 1, f);
	cr_assert_eq(vm_fork(vm, 1, 2), 0);
	disk_limit(&d);
	cr_assert_eq(vm_exit(vm, 1), VM_EIO);
	snprintf(what, sizeof what, "cannot write back page 16 of %s", f);
	assert_io_error(vm, what, &d);
	assert_sound(vm);
	vm_proc_info_t pi;
	vm_proc_info(vm, 1, &pi);
	cr_assert_eq(pi.state, VM_PROC_ALIVE);
	cr_assert_eq(pi.resident, 32);
	/* the child's PTEs are clean (fork copies no D bit): nothing to write */
	cr_assert_eq(vm_exit(vm, 2), 0);
	cr_assert_eq(writebacks(vm), 16);
	assert_sound(vm);
	disk_grow(&d);
	cr_assert_eq(vm_exit(vm, 1), 0);
	cr_assert_eq(writebacks(vm), 32);
	assert_sound(vm);
	assert_labels(f, 32);
	vm_destroy(vm);
	disk_close(&d);
}

/* munmap with a failing write-back leaves the range mapped; msync fails the
 * same way and succeeds once there is room. */
Test(writeback, munmap_and_msync_on_a_full_disk)
{
	disk_t d;
	char f[PATH_MAX], what[PATH_MAX + 64];
	disk_open(&d, 64 * 1024);
	make_file(f, sizeof f, d.dir, "f", 32 * PAGE);
	vm_machine_t *vm = machine(64, NULL);
	map_and_label(vm, 1, f);
	disk_limit(&d);
	cr_assert_eq(vm_munmap(vm, 1, 0x400000, 32 * PAGE), VM_EIO);
	assert_sound(vm);
	char got[9] = { 0 };
	cr_assert_eq(vm_read(vm, 1, 0x400000 + 31 * PAGE, got, 8), 0); /* still mapped */
	cr_assert_str_eq(got, "page 31");
	cr_assert_eq(vm_msync(vm, 1, 0x400000, 32 * PAGE), VM_EIO);
	snprintf(what, sizeof what, "cannot write back page 16 of %s", f);
	assert_io_error(vm, what, &d);
	assert_sound(vm);
	cr_assert_eq(writebacks(vm), 16);
	disk_grow(&d);
	cr_assert_eq(vm_msync(vm, 1, 0x400000, 32 * PAGE), 0);
	cr_assert_eq(writebacks(vm), 32);
	assert_labels(f, 32);
	cr_assert_eq(vm_munmap(vm, 1, 0x400000, 32 * PAGE), 0);
	cr_assert_eq(writebacks(vm), 32);   /* all clean: nothing more to write */
	assert_sound(vm);
	vm_destroy(vm);
	disk_close(&d);
}

/* A swap file on a disk of 4 pages, 4 frames, 16 pages written: pages 0-3
 * go to slots 0-3 while pages 4-7 come in; page 8 needs slot 4, whose write
 * fails.  No frame may keep believing in slot 4 (before the fix it stayed
 * allocated in the swap cache: 5 slots used); every page is still readable
 * once the disk has room. */
Test(writeback, swap_out_to_a_full_disk)
{
	disk_t d;
	char swap[PATH_MAX], what[PATH_MAX + 64];
	disk_open(&d, 4 * PAGE);
	snprintf(swap, sizeof swap, "%s/swap", d.dir);
	vm_machine_t *vm = machine(4, swap);
	disk_limit(&d);
	uint64_t got;
	cr_assert_eq(vm_spawn(vm, 1), 0);
	cr_assert_eq(vm_mmap(vm, 1, 0x400000, 16 * PAGE, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0,
			     VM_KIND_MAPPING, &got), 0);
	unsigned i;
	int rc = 0;
	for (i = 0; i < 16 && !rc; i++) {
		char label[16];
		snprintf(label, sizeof label, "page %02u", i);
		rc = vm_write(vm, 1, 0x400000 + i * PAGE, label, 8);
	}
	cr_assert_eq(rc, VM_EIO);
	cr_assert_eq(i, 9, "the write to page 8 fails");
	snprintf(what, sizeof what, "cannot write swap slot 4 to %s", swap);
	assert_io_error(vm, what, &d);
	assert_sound(vm);
	vm_proc_info_t pi;
	vm_proc_info(vm, 1, &pi);
	cr_assert_eq(pi.state, VM_PROC_ALIVE);
	cr_assert_eq(pi.resident, 4);
	cr_assert_eq(pi.swapped, 4);
	cr_assert_eq(vm_stats(vm)->swap_slots_used, 4);
	cr_assert_eq(vm_stats(vm)->swap_outs, 4);
	disk_grow(&d);
	for (i = 8; i < 16; i++) {
		char label[16];
		snprintf(label, sizeof label, "page %02u", i);
		cr_assert_eq(vm_write(vm, 1, 0x400000 + i * PAGE, label, 8), 0);
	}
	for (i = 0; i < 16; i++) {
		char want[16], back[9] = { 0 };
		snprintf(want, sizeof want, "page %02u", i);
		cr_assert_eq(vm_read(vm, 1, 0x400000 + i * PAGE, back, 8), 0);
		cr_assert_str_eq(back, want);
	}
	assert_sound(vm);
	vm_destroy(vm);
	disk_close(&d);
}

/* The binary: the message is FILE:LINE: COMMAND: what: strerror, exit 1.
 * The script lives outside the small disk (so it takes none of it). */
Test(writeback, script_exit_on_a_full_disk_names_file_and_reason)
{
	disk_t d;
	char script[PATH_MAX], want[PATH_MAX * 2], text[PATH_MAX * 2];
	disk_open(&d, 64 * 1024);
	snprintf(text, sizeof text,
		 "spawn 1\nmmap 1 0x400000 128K rw shared file %s/f\n"
		 "touch 1 0x400000 128K w\nfork 1 2\nexit 1\n", d.dir);
	char sdir[] = "/tmp/vmlab-wbs-XXXXXX";
	cr_assert_not_null(mkdtemp(sdir));
	put_text(script, sizeof script, sdir, "s.vms", text);
	make_file(want, sizeof want, d.dir, "f", 128 * 1024); /* before the limit, for EFBIG */
	disk_limit(&d);
	cmd_out_t r;
	run(&r, "%s script --check --allow-any-path %s", vmlab(), script);
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	snprintf(want, sizeof want, "%s:5: exit 1: cannot write back page 16 of %s/f: %s\n", script, d.dir,
		 strerror(d.err));
	cr_assert_str_eq(r.err, want);
	disk_close(&d);
	snprintf(text, sizeof text, "rm -rf '%s'", sdir);
	cr_assert_eq(system(text), 0);
}

/* The item 2: the script ends with "hello" only in memory. */
Test(writeback, end_of_script_writes_dirty_file_pages_back)
{
	char dir[] = "/tmp/vmlab-wbe-XXXXXX", script[PATH_MAX], f[PATH_MAX];
	cr_assert_not_null(mkdtemp(dir));
	put_text(script, sizeof script, dir, "s.vms",
		 "file f 8K\nspawn 1\nmmap 1 0x400000 8K rw shared file f\nwrite 1 0x400000 \"hello\"\n");
	cmd_out_t r;
	run(&r, "%s script --check --json %s", vmlab(), script);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "file_writebacks"), 1);   /* the one dirty page, counted */
	cr_assert_eq(json_u(r.out, "dirty_writebacks"), 1);
	snprintf(f, sizeof f, "%s/f", dir);
	FILE *in = fopen(f, "r");
	cr_assert_not_null(in);
	char got[8] = { 0 };
	cr_assert_eq(fread(got, 1, 8, in), 8);
	fclose(in);
	cr_assert_eq(memcmp(got, "hello\0\0\0", 8), 0, "f holds %.5s", got);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* ... and when that write-back fails it is an error naming the last line. */
Test(writeback, end_of_script_write_back_failure_is_reported)
{
	disk_t d;
	char script[PATH_MAX], want[PATH_MAX * 2], text[PATH_MAX * 2];
	disk_open(&d, 64 * 1024);
	snprintf(text, sizeof text,
		 "spawn 1\nmmap 1 0x400000 128K rw shared file %s/f\ntouch 1 0x400000 128K w\n", d.dir);
	char sdir[] = "/tmp/vmlab-wbs-XXXXXX";
	cr_assert_not_null(mkdtemp(sdir));
	put_text(script, sizeof script, sdir, "s.vms", text);
	make_file(want, sizeof want, d.dir, "f", 128 * 1024);
	disk_limit(&d);
	cmd_out_t r;
	run(&r, "%s script --allow-any-path %s", vmlab(), script);
	cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
	snprintf(want, sizeof want, "%s:3: end of script: cannot write back page 16 of %s/f: %s\n", script,
		 d.dir, strerror(d.err));
	cr_assert_str_eq(r.err, want);
	disk_close(&d);
	snprintf(text, sizeof text, "rm -rf '%s'", sdir);
	cr_assert_eq(system(text), 0);
}

/* Item 7: with a 64-bit VA and 64 KiB pages each of these wrapped around
 * 2^64 before (an inverted region, an empty heap, a low page touched). */
Test(writeback, address_arithmetic_that_wraps_is_refused)
{
	static const struct {
		const char *cmd, *why;
	} cases[] = {
		{ "mmap 1 0 0xffffffffffff0000 rw private",
		  "the kernel refused: out of memory (no free address range that large)" },
		{ "mmap 1 0 0xfffffffffffffff0 rw private",
		  "the kernel refused: out of memory (no free address range that large)" },
		{ "brk 1 0xffffffffffffffff",
		  "the kernel refused: invalid input (the break is at least 0x10000000 and inside the virtual address space)" },
		{ "munmap 1 0xffffffffffff0000 0x20000",
		  "the kernel refused: invalid input (ADDR must be page aligned and the range inside the virtual address space; OFFSET a multiple of the page size)" },
		{ "mprotect 1 0xfffffffffffe0000 0x30000 r",
		  "the kernel refused: invalid input (ADDR must be page aligned and the range inside the virtual address space; OFFSET a multiple of the page size)" },
		{ "msync 1 0xfffffffffffe0000 0x30000",
		  "the kernel refused: invalid input (ADDR must be page aligned and the range inside the virtual address space; OFFSET a multiple of the page size)" },
	};
	char dir[] = "/tmp/vmlab-wbw-XXXXXX", script[PATH_MAX], text[256], want[PATH_MAX + 512];
	cr_assert_not_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "spawn 1\n%s\nmaps 1\n", cases[i].cmd);
		put_text(script, sizeof script, dir, "s.vms", text);
		cmd_out_t r;
		run(&r, "%s script --check --va-bits 64 --page-size 64K %s", vmlab(), script);
		cr_assert_eq(r.status, 1, "%s: status %d\n%s", cases[i].cmd, r.status, r.out);
		snprintf(want, sizeof want, "%s:2: %s: %s\n", script, cases[i].cmd, cases[i].why);
		cr_assert_str_eq(r.err, want);
	}
	/* a touch whose stride steps over the top lands past the end of the
	 * space (SIGSEGV), not on the mapped page at 0x10000 */
	put_text(script, sizeof script, dir, "s.vms",
		 "spawn 1\nmmap 1 0xfffffffffffe0000 64K rw private\nmmap 1 0x10000 64K rw private\n"
		 "touch 1 0xfffffffffffe0000 0x40000 w 0x30000\nexpect 1 segv\n");
	cmd_out_t r;
	run(&r, "%s script --check --va-bits 64 --page-size 64K %s", vmlab(), script);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "P 1: SIGSEGV at 0xffffffffffffffff (no region)\n"), "%s", r.out);
	snprintf(text, sizeof text, "rm -rf '%s'", dir);
	cr_assert_eq(system(text), 0);
}

/* The checker rejects regions that are inverted, unaligned, beyond the VA
 * or overlapping (it accepted all of them before). */
Test(writeback, checker_rejects_bad_regions)
{
	static const char *const want[] = {
		"pid 1 region 0 [0x500000, 0x400000) is empty or inverted",
		"pid 1 region 0 [0x400800, 0x402000) is not page aligned",
		"pid 1 region 1 [0x600000, 0x1000000000001000) ends beyond the 48-bit address space",
		"pid 1 regions 0 and 1 overlap or are out of order (0x602000 > 0x600000)",
	};
	for (int k = 0; k < 4; k++) {
		vm_machine_t *vm = machine(8, NULL);
		uint64_t got;
		cr_assert_eq(vm_spawn(vm, 1), 0);
		cr_assert_eq(vm_mmap(vm, 1, 0x400000, 2 * PAGE, VM_PROT_R, VM_MAP_PRIVATE, NULL, 0,
				     VM_KIND_MAPPING, &got), 0);
		cr_assert_eq(vm_mmap(vm, 1, 0x600000, 2 * PAGE, VM_PROT_R, VM_MAP_PRIVATE, NULL, 0,
				     VM_KIND_MAPPING, &got), 0);
		assert_sound(vm);
		vma_t *v = vm->procs[proc_lookup(vm, 1)].vmas;
		if (k == 0)
			v[0].start = 0x500000, v[0].end = 0x400000;
		else if (k == 1)
			v[0].start = 0x400800;
		else if (k == 2)
			v[1].end = 0x1000000000001000ull;
		else
			v[0].end = 0x602000;
		char msg[512];
		cr_assert_eq(vm_check(vm, msg, sizeof msg), VM_EINVAL, "case %d accepted", k);
		cr_assert_str_eq(msg, want[k]);
		vm_destroy(vm);
	}
}
