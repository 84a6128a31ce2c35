/* test_elf.c - `exec P PATH [ARGS...]` of real ELF programs (issue 10, part
 * 1): hand-built executables whose every byte the test chose (maps, the
 * zeroed tail, .bss, the initial stack, the counters), small static and
 * dynamic programs built with gcc checked against `readelf -l`, the stack
 * growing down to --stack-limit and its guard gap, the --allow-read rule,
 * and hostile headers refused with FILE:LINE. */
#include <criterion/criterion.h>
#include <elf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

static void make_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/vmlab-elf-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	char real[PATH_MAX];
	cr_assert_not_null(realpath(dir, real));
	snprintf(dir, len, "%s", real);
}

static void rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void put_text(const char *dir, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* One program header of a hand-built ELF. */
typedef struct seg {
	uint32_t type, flags;
	uint64_t off, va, fs, ms, align;
} seg_t;

/* Write dir/name: an x86-64 ELF of type type with entry entry, the program
 * headers segs[0..n) at offset 64, size bytes in all, bytes from 0x1000 on
 * 0xaa (so a tail that reads as zero was zeroed, not read), and interp (if
 * not NULL) at offset 0x200. */
static void put_elf(const char *dir, const char *name, uint16_t type, uint64_t entry,
		    const seg_t *segs, int n, size_t size, const char *interp)
{
	unsigned char *b = calloc(1, size < 0x1000 ? 0x1000 : size);
	cr_assert_not_null(b);
	if (size > 0x1000)
		memset(b + 0x1000, 0xaa, size - 0x1000);
	Elf64_Ehdr eh = { .e_type = type, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_entry = entry, .e_phoff = 64, .e_ehsize = sizeof eh,
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)n };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(b, &eh, sizeof eh);
	for (int i = 0; i < n; i++) {
		Elf64_Phdr ph = { .p_type = segs[i].type, .p_flags = segs[i].flags,
				  .p_offset = segs[i].off, .p_vaddr = segs[i].va, .p_paddr = segs[i].va,
				  .p_filesz = segs[i].fs, .p_memsz = segs[i].ms, .p_align = segs[i].align };
		memcpy(b + 64 + i * sizeof ph, &ph, sizeof ph);
	}
	if (interp)
		memcpy(b + 0x200, interp, strlen(interp) + 1);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, size, f), size);
	fclose(f);
	free(b);
}

/* The hand-built static program: text r-x at 0x400000 (one page from
 * offset 0), data rw- at 0x401000 with 0x10 file bytes and 0x3000 in
 * memory (its tail and two pages of .bss past them). */
static const seg_t prog_segs[] = {
	{ PT_LOAD, PF_R | PF_X, 0, 0x400000, 0x1000, 0x1000, 0x1000 },
	{ PT_LOAD, PF_R | PF_W, 0x1000, 0x401000, 0x10, 0x3000, 0x1000 },
};

static void put_prog(const char *dir)
{
	put_elf(dir, "prog.elf", ET_EXEC, 0x400100, prog_segs, 2, 0x2000, NULL);
}

Test(elf_exec, hand_built_program_maps_as_its_headers_say_and_exec_counts_nothing)
{
	char dir[PATH_MAX];
	make_dir(dir, sizeof dir);
	put_prog(dir);
	put_text(dir, "t.vms",
		 "spawn 1\n"
		 "exec 1 prog.elf a \"b c\"\n"
		 "expect stat references 0\n"
		 "expect stat page_faults 0\n"
		 "expect stat distinct_pages 0\n"
		 "expect 1 resident 1\n"
		 "maps 1\n"
		 /* the initial stack: argc, argv[0] -> "prog.elf", argv[2] -> "b c" */
		 "read 1 0x7fffffffeea0 8 expect 0x0300000000000000\n"
		 "read 1 0x7fffffffeea8 8 expect 0xc6efffffff7f0000\n"
		 "read 1 0x7fffffffefc6 9 expect \"prog.elf\\0\"\n"
		 "read 1 0x7fffffffefd1 4 expect \"b c\\0\"\n"
		 "read 1 0x7fffffffefd5 7 expect \"HOME=/\\0\"\n"
		 "expect stat page_faults 0\n"
		 "brk 1 0x405000\n"
		 "maps 1\n",
		 dir);
	cmd_out_t r;
	run(&r, "%s script --check %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	char want[4 * PATH_MAX + 512];
	/* (the path is longer than 24 characters: printed whole) */
	char p1[PATH_MAX + 16];
	snprintf(p1, sizeof p1, "%s/prog.elf", dir);
	snprintf(want, sizeof want,
		 "exec 1: entry 0x400100, sp 0x7fffffffeea0, brk 0x404000\n"
		 "000000400000-000000401000 r-xp 00000000 %-24s resident 0 swapped 0\n"
		 "000000401000-000000402000 rw-p 00001000 %-24s resident 0 swapped 0\n"
		 "000000402000-000000404000 rw-p 00000000 %-24s resident 0 swapped 0\n"
		 "7ffffffde000-7ffffffff000 rw-p 00000000 %-24s resident 1 swapped 0\n",
		 p1, p1, "", "[stack]");
	cr_assert(!strncmp(r.out, want, strlen(want)), "got:\n%s\nwant:\n%s", r.out, want);
	char heap[128];
	snprintf(heap, sizeof heap, "000000404000-000000405000 rw-p 00000000 %-24s resident 0 swapped 0\n",
		 "[heap]");
	cr_assert_not_null(strstr(r.out, heap), "%s", r.out);
	rm_tree(dir);
}

Test(elf_exec, tail_zeroed_at_first_fault_bss_zero_filled_text_from_the_file)
{
	char dir[PATH_MAX];
	make_dir(dir, sizeof dir);
	put_prog(dir);
	put_text(dir, "t.vms",
		 "spawn 1\n"
		 "exec 1 prog.elf\n"
		 /* the data page: file bytes, then zeros where the file has 0xaa */
		 "read 1 0x401000 16 expect 0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
		 "expect stat page_faults 1\n"
		 "expect stat major_faults 1\n"
		 "expect stat file_reads 1\n"
		 "read 1 0x40100e 4 expect 0xaaaa0000\n"
		 "read 1 0x401ff8 8 expect 0x0000000000000000\n"
		 "expect stat page_faults 1\n"
		 /* .bss past the file page: zero-filled, minor */
		 "read 1 0x403ff8 8 expect 0x0000000000000000\n"
		 "expect stat minor_faults 1\n"
		 "expect stat file_reads 1\n"
		 /* the first instruction: a file read */
		 "touch 1 0x400100 1 x\n"
		 "expect stat major_faults 2\n"
		 "expect stat file_reads 2\n"
		 /* the data page is private: a write stays in this process */
		 "write 1 0x401000 \"Z\"\n"
		 "expect stat cow_faults 0\n"
		 /* a second process of the same file: the page cache serves it */
		 "spawn 2\n"
		 "exec 2 prog.elf\n"
		 "read 2 0x401000 2 expect 0xaaaa\n"
		 "read 2 0x401010 2 expect 0x0000\n"
		 "touch 2 0x400100 1 x\n"
		 "expect stat major_faults 2\n"
		 "expect stat minor_faults 3\n"
		 "read 1 0x401000 2 expect \"Z\\xaa\"\n"
		 "check\n",
		 dir);
	cmd_out_t r;
	run(&r, "%s script --check %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	rm_tree(dir);
}

Test(elf_exec, stack_grows_down_to_the_limit_and_never_into_the_guard_gap)
{
	char dir[PATH_MAX];
	make_dir(dir, sizeof dir);
	put_prog(dir);
	/* --stack-limit 1M: the floor is 0x7ffffffff000 - 0x100000 */
	put_text(dir, "t.vms",
		 "spawn 1\n"
		 "exec 1 prog.elf\n"
		 "touch 1 0x7ffffffdd000 1 w\n"
		 "expect stat minor_faults 1\n"
		 "touch 1 0x7fffffeff000 1 w\n"
		 "expect 1 alive\n"
		 "maps 1\n"
		 "touch 1 0x7fffffefeff8 8 w\n"
		 "expect 1 segv\n"
		 /* a mapping 0x100 pages below the floor of process 2's stack: the
		  * stack may come to within 256 pages of it, no closer */
		 "spawn 2\n"
		 "exec 2 prog.elf\n"
		 "mmap 2 0x7fffffe00000 0x1000 rw- private\n"
		 "touch 2 0x7ffffff01000 1 r\n"
		 "expect 2 alive\n"
		 "touch 2 0x7ffffff00fff 1 r\n"
		 "expect 2 segv\n",
		 dir);
	cmd_out_t r;
	run(&r, "%s script --check --stack-limit 1M %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "7fffffeff000-7ffffffff000 rw-p 00000000 [stack]                  resident 3 swapped 0\n"),
			   "%s", r.out);
	cr_assert_not_null(strstr(r.out, "P 1: SIGSEGV at 0x7fffffefeff8 (stack growth past --stack-limit)\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "P 2: SIGSEGV at 0x7ffffff00fff (stack growth into the guard gap above the region below)\n"),
			   "%s", r.out);
	/* the default limit is 8 MiB */
	put_text(dir, "u.vms",
		 "spawn 1\nexec 1 prog.elf\n"
		 "touch 1 0x7fffff7ff000 1 w\nexpect 1 alive\n"
		 "touch 1 0x7fffff7fe000 1 w\nexpect 1 segv\n");
	run(&r, "%s script %s/u.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	rm_tree(dir);
}

/* A hostile file refused at parse time: exit 2, the message, nothing run. */
static void refused(const char *dir, const char *want, int status)
{
	put_text(dir, "t.vms", "spawn 1\nexec 1 bad.elf\necho ran\n");
	cmd_out_t r;
	run(&r, "%s script %s/t.vms", vmlab(), dir);
	char msg[1024];
	snprintf(msg, sizeof msg, "%s/t.vms:2: exec: bad.elf: %s\n", dir, want);
	cr_assert_eq(r.status, status, "%s: %s", want, r.err);
	cr_assert_str_eq(r.err, msg);
	cr_assert_null(strstr(r.out, "ran"));
}

Test(elf_exec, hostile_headers_are_refused_with_file_line_and_the_problem)
{
	char dir[PATH_MAX];
	make_dir(dir, sizeof dir);
	seg_t s[3];
	memcpy(s, prog_segs, sizeof prog_segs);

	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 100, NULL); /* cut inside its headers */
	refused(dir, "the program headers (offset 0x40, 2 of them) lie past the end of the file (0x64 bytes)", 2);
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 40, NULL);  /* cut inside the ELF header */
	refused(dir, "not an ELF file (truncated: 40 bytes, less than an ELF header's 64)", 2);
	put_text(dir, "bad.elf", "#!/bin/sh\n# a shell script is no ELF file, however long it is: %s\n", dir);
	refused(dir, "not an ELF file (no \\x7fELF at its start)", 2);
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	{ /* a 32-bit class byte */
		char p[PATH_MAX + 16];
		snprintf(p, sizeof p, "%s/bad.elf", dir);
		FILE *f = fopen(p, "r+b");
		cr_assert_not_null(f);
		fseek(f, EI_CLASS, SEEK_SET);
		fputc(ELFCLASS32, f);
		fclose(f);
	}
	refused(dir, "not a 64-bit ELF file", 2);
	put_elf(dir, "bad.elf", ET_REL, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "not an executable (e_type 1)", 2);

	s[1].va = 0x400800; /* (offset 0x1800 keeps it aligned) */
	s[1].off = 0x1800;
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "segments 0 and 1 overlap (0x400800 is below 0x401000, where 0 ends)", 2);

	memcpy(s, prog_segs, sizeof prog_segs);
	s[1].ms = 0xfffffffffffff000ull;
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "segment 1: 0xfffffffffffff000 bytes at 0x401000 end past the user address space (0x7ffffffff000)", 2);

	memcpy(s, prog_segs, sizeof prog_segs);
	s[1].fs = 0x4000;
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "segment 1: p_filesz 0x4000 is more than p_memsz 0x3000", 2);

	memcpy(s, prog_segs, sizeof prog_segs);
	s[1].off = 0x10000;
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "segment 1: its file bytes (offset 0x10000, 0x10 bytes) lie past the end of the file (0x2000 bytes)", 2);

	memcpy(s, prog_segs, sizeof prog_segs);
	s[1].va = 0x401008;
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "segment 1: p_vaddr 0x401008 and p_offset 0x1000 differ modulo p_align 0x1000", 2);
	s[1].align = 0; /* no p_align to break: the page size does, when it runs */
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "segment 1: p_vaddr 0x401008 and p_offset 0x1000 differ modulo the page size 0x1000", 1);

	memcpy(s, prog_segs, sizeof prog_segs);
	s[0].va = 0x402000; /* descending */
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "segment 1: p_vaddr 0x401000 comes before segment 0's 0x402000 (PT_LOADs go in ascending order)", 2);

	memcpy(s, prog_segs, sizeof prog_segs);
	s[0].type = s[1].type = PT_NOTE;
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	refused(dir, "no PT_LOAD segment with bytes in memory", 2);

	memcpy(s, prog_segs, sizeof prog_segs);
	s[2] = (seg_t){ PT_INTERP, PF_R, 0x200, 0, 4, 4, 1 }; /* "/lib" without its NUL */
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 3, 0x2000, "/lib/ld.so");
	refused(dir, "program header 2: PT_INTERP is not one NUL-terminated path", 2);
	s[2].fs = s[2].ms = 6; /* "ld.so" and its NUL */
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 3, 0x2000, "ld.so");
	refused(dir, "interpreter ld.so: path 'ld.so': No such file or directory", 2);
	put_elf(dir, "ld.so", ET_EXEC, 0, prog_segs, 2, 0x2000, NULL);
	refused(dir, "interpreter ld.so: not a shared object (ET_DYN)", 2);
	{ /* an interpreter too large for the room below its top */
		seg_t huge[2];
		memcpy(huge, prog_segs, sizeof huge);
		huge[0].va = 0;
		huge[1].va = 0x1000;
		huge[1].ms = 0x7ffff7ff0000ull;
		put_elf(dir, "ld.so", ET_DYN, 0, huge, 2, 0x2000, NULL);
		refused(dir, "interpreter ld.so: its segments span 0x7ffff7ff1000 bytes, more than fit below 0x7ffff7fff000", 1);
		put_elf(dir, "ld.so", ET_DYN, 0x100, prog_segs, 2, 0x2000, NULL);
		put_text(dir, "d.vms", "spawn 1\nexec 1 bad.elf\nmaps 1\n");
		cmd_out_t d;
		run(&d, "%s script --check %s/d.vms", vmlab(), dir);
		cr_assert_eq(d.status, 0, "%s", d.err);
		/* ld.so's span 0x4000 ends at 0x7ffff7fff000; execution starts at its entry */
		cr_assert_not_null(strstr(d.out, "exec 1: entry 0x7ffff7bfb100, sp "), "%s", d.out);
	}

	/* fine at 4K pages, not at 16K: sharing a page, then incongruent */
	memcpy(s, prog_segs, sizeof prog_segs);
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	cmd_out_t r;
	run(&r, "%s script --page-size 16K %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:2: exec: bad.elf: segments 0 and 1 share the page at 0x400000 (page size 0x4000)\n"), "%s", r.err);
	s[1].va = 0x405000; /* p_offset 0x1000: congruent modulo 16K too */
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	put_text(dir, "m.vms", "spawn 1\nexec 1 bad.elf\nmaps 1\n");
	run(&r, "%s script --page-size 16K %s/m.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char want[PATH_MAX + 256];
	snprintf(want, sizeof want, "exec 1: entry 0x400100, sp 0x7fffffffbec0, brk 0x408000\n"
		 "000000400000-000000404000 r-xp 00000000 %s/bad.elf", dir);
	cr_assert(!strncmp(r.out, want, strlen(want)), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\n000000404000-000000408000 rw-p 00000000 "), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "\n7ffffffd8000-7fffffffc000 rw-p 00000000 [stack]"), "%s", r.out);
	s[1].va = 0x406000; /* p_offset 0x1000: congruent modulo 4K, not 16K */
	put_elf(dir, "bad.elf", ET_EXEC, 0x400100, s, 2, 0x2000, NULL);
	run(&r, "%s script %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	run(&r, "%s script --page-size 16K %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:2: exec: bad.elf: segment 1: p_vaddr 0x406000 and p_offset 0x1000 differ modulo the page size 0x4000\n"), "%s", r.err);
	run(&r, "%s script --va-bits 39 %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "t.vms:2: exec: bad.elf: the stack below 0x7ffffffff000 needs at least 47 virtual address bits (this machine has 39; --va-bits 48)\n"), "%s", r.err);
	rm_tree(dir);
}

/* The LOAD lines of `readelf -lW file`: offset, vaddr, filesz, memsz, rwx. */
typedef struct rload {
	unsigned long long off, va, fs, ms;
	char prot[4];
} rload_t;

static int readelf_loads(const char *file, rload_t *out, int max, char *interp, size_t ilen)
{
	char cmd[PATH_MAX + 64], line[512];
	snprintf(cmd, sizeof cmd, "readelf -lW '%s'", file);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	int n = 0;
	if (interp)
		interp[0] = 0;
	while (fgets(line, sizeof line, p)) {
		char f1[8] = "", f2[8] = "", f3[8] = "";
		char *req = strstr(line, "[Requesting program interpreter: ");
		if (req && interp) {
			snprintf(interp, ilen, "%s", req + strlen("[Requesting program interpreter: "));
			interp[strcspn(interp, "]")] = 0;
		}
		if (strncmp(line, "  LOAD ", 7) || n == max)
			continue;
		unsigned long long pa, al;
		int k = sscanf(line, " LOAD %llx %llx %llx %llx %llx %7s %7s %7s", &out[n].off,
			       &out[n].va, &pa, &out[n].fs, &out[n].ms, f1, f2, f3);
		cr_assert_geq(k, 7, "%s", line);
		char flags[24];
		snprintf(flags, sizeof flags, "%s%s%s", f1, k >= 8 ? f2 : "", ""); /* "R E" splits */
		(void)al;
		snprintf(out[n].prot, sizeof out[n].prot, "%c%c%c", strchr(flags, 'R') ? 'r' : '-',
			 strchr(flags, 'W') ? 'w' : '-', strchr(flags, 'E') ? 'x' : '-');
		n++;
	}
	pclose(p);
	return n;
}

/* Every maps line the segments of file give with load bias bias, looked
 * for in out; *hi gets the end of the last one. */
static void expect_segments(const char *out, const char *file, const rload_t *l, int n,
			    unsigned long long bias, unsigned long long *hi)
{
	for (int i = 0; i < n; i++) {
		unsigned long long va = l[i].va + bias, start = va & ~0xfffull;
		unsigned long long fend = (va + l[i].fs + 0xfff) & ~0xfffull;
		unsigned long long mend = (va + l[i].ms + 0xfff) & ~0xfffull;
		char want[PATH_MAX + 128];
		if (l[i].fs) {
			snprintf(want, sizeof want, "%012llx-%012llx %sp %08llx %-24s resident", start, fend,
				 l[i].prot, l[i].off & ~0xfffull, file);
			cr_assert_not_null(strstr(out, want), "want %s in\n%s", want, out);
		}
		if (mend > (l[i].fs ? fend : start)) {
			snprintf(want, sizeof want, "%012llx-%012llx %sp %08llx %-24s resident",
				 l[i].fs ? fend : start, mend, l[i].prot, 0ull, "");
			cr_assert_not_null(strstr(out, want), "want %s in\n%s", want, out);
		}
		*hi = mend;
	}
}

/* nm's address of symbol sym in file. */
static unsigned long long nm_addr(const char *file, const char *sym)
{
	char cmd[PATH_MAX + 128], line[256];
	snprintf(cmd, sizeof cmd, "nm '%s' | awk '$3 == \"%s\" { print $1 }'", file, sym);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(line, sizeof line, p), "%s", sym);
	pclose(p);
	return strtoull(line, NULL, 16);
}

static const char prog_c[] =
	"int big[8192];\n"
	"int init = 0x12345678;\n"
	"int main(void) { return big[100] + init; }\n";

/* Build dir/name from prog_c with gcc flags; 0 if gcc cannot (no static libc). */
static int build(const char *dir, const char *name, const char *flags)
{
	put_text(dir, "prog.c", "%s", prog_c);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof cmd, "gcc -O1 %s -o '%s/%s' '%s/prog.c' 2>/dev/null", flags, dir, name, dir);
	return system(cmd) == 0;
}

/* exec of the gcc-built file dir/name: maps against readelf, .data and .bss
 * read through the simulated memory, the first instruction a file read. */
static void check_built(const char *dir, const char *name, int dyn)
{
	char file[PATH_MAX], interp[PATH_MAX], ireal[PATH_MAX];
	snprintf(file, sizeof file, "%s/%s", dir, name);
	rload_t l[16], il[16];
	int n = readelf_loads(file, l, 16, interp, sizeof interp);
	cr_assert_geq(n, 2);
	cr_assert_eq(!!interp[0], dyn);
	unsigned long long bias = dyn ? 0x555555554000ull - (l[0].va & ~0xfffull) : 0, hi = 0;
	unsigned long long entry = 0, big = nm_addr(file, "big") + bias, init = nm_addr(file, "init") + bias;
	{
		char cmd[PATH_MAX + 64], line[256];
		snprintf(cmd, sizeof cmd, "readelf -hW '%s' | awk '/Entry point/ { print $4 }'", file);
		FILE *p = popen(cmd, "r");
		cr_assert_not_null(fgets(line, sizeof line, p));
		pclose(p);
		entry = strtoull(line, NULL, 16) + bias;
	}
	put_text(dir, "t.vms",
		 "spawn 1\nexec 1 %s\nexpect stat references 0\nexpect stat page_faults 0\nmaps 1\n"
		 "touch 1 0x%llx 1 x\n"
		 "expect stat major_faults 1\n"
		 "expect stat file_reads 1\n"
		 "read 1 0x%llx 4 expect 0x78563412\n"
		 "read 1 0x%llx 8 expect 0x0000000000000000\n"
		 "read 1 0x%llx 8 expect 0x0000000000000000\n",
		 name, entry, init, big, big + 8192 * 4 - 8);
	cmd_out_t r;
	run(&r, "%s script --check --allow-read /usr --allow-read /lib64 %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	expect_segments(r.out, file, l, n, bias, &hi);
	char line[128];
	snprintf(line, sizeof line, ", brk 0x%llx\n", hi);
	cr_assert_not_null(strstr(r.out, line), "%s in %s", line, r.out);
	cr_assert_not_null(strstr(r.out, "7ffffffde000-7ffffffff000 rw-p 00000000 [stack]"), "%s", r.out);
	if (!dyn)
		return;
	cr_assert_not_null(realpath(interp, ireal));
	int in = readelf_loads(ireal, il, 16, NULL, 0);
	unsigned long long span = ((il[in - 1].va + il[in - 1].ms + 0xfff) & ~0xfffull) - (il[0].va & ~0xfffull);
	unsigned long long ibias = 0x7ffff7fff000ull - span - (il[0].va & ~0xfffull), ihi;
	expect_segments(r.out, ireal, il, in, ibias, &ihi);
	cr_assert_eq(ihi, 0x7ffff7fff000ull);
}

Test(elf_exec, gcc_static_program_maps_as_readelf_says)
{
	char dir[PATH_MAX];
	make_dir(dir, sizeof dir);
	if (!build(dir, "static", "-static")) {
		rm_tree(dir);
		cr_skip_test("gcc -static cannot link here (no libc.a)");
	}
	check_built(dir, "static", 0);
	rm_tree(dir);
}

Test(elf_exec, gcc_dynamic_pie_and_its_interpreter_map_as_readelf_says)
{
	char dir[PATH_MAX];
	make_dir(dir, sizeof dir);
	cr_assert(build(dir, "dynamic", "-pie -fPIE"));
	check_built(dir, "dynamic", 1);
	rm_tree(dir);
}

Test(elf_exec, allow_read_applies_to_resolved_paths_and_the_interpreter)
{
	char dir[PATH_MAX];
	struct stat st;
	if (stat("/bin/true", &st) || stat("/lib64/ld-linux-x86-64.so.2", &st))
		cr_skip_test("no /bin/true or /lib64/ld-linux-x86-64.so.2 here");
	make_dir(dir, sizeof dir);
	char real[PATH_MAX], ireal[PATH_MAX];
	cr_assert_not_null(realpath("/bin/true", real));
	cr_assert_not_null(realpath("/lib64/ld-linux-x86-64.so.2", ireal));
	put_text(dir, "t.vms", "spawn 1\nexec 1 /bin/true\nmaps 1\n");
	cmd_out_t r;
	run(&r, "%s script %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 2);
	char want[3 * PATH_MAX];
	snprintf(want, sizeof want, "%s/t.vms:2: exec: /bin/true: path '/bin/true' (it is %s) is outside the script's folder and every --allow-read folder; use --allow-read DIR\n",
		 dir, real);
	cr_assert_str_eq(r.err, want);
	/* the program's folder alone: its interpreter is elsewhere */
	char bindir[PATH_MAX];
	snprintf(bindir, sizeof bindir, "%s", real);
	*strrchr(bindir, '/') = 0;
	if (strncmp(ireal, bindir, strlen(bindir))) {
		run(&r, "%s script --allow-read %s %s/t.vms", vmlab(), bindir, dir);
		cr_assert_eq(r.status, 2);
		snprintf(want, sizeof want, "%s/t.vms:2: exec: /bin/true: interpreter /lib64/ld-linux-x86-64.so.2: path '/lib64/ld-linux-x86-64.so.2' (it is %s) is outside the script's folder and every --allow-read folder; use --allow-read DIR\n",
			 dir, ireal);
		cr_assert_str_eq(r.err, want);
	}
	run(&r, "%s script --allow-read /usr %s/t.vms", vmlab(), dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof want, "555555554000-555555556000 r--p 00000000 %s", real);
	cr_assert_not_null(strstr(r.out, want), "%s", r.out);
	run(&r, "%s script --allow-read %s/nowhere %s/t.vms", vmlab(), dir, dir);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "nowhere' is not a folder"), "%s", r.err);
	rm_tree(dir);
}
