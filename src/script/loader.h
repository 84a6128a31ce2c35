/* loader.h - the script command `exec P PATH [ARGS...]`: a real ELF program
 * loaded as Linux's load_elf_binary does with address-space randomisation
 * off (prefix load_).
 *
 * Parse time (load_prepare): PATH and the interpreter its PT_INTERP names
 * are resolved by the read rule of path.h (the script's folder, the
 * command line's --allow-read folders) and their headers read and checked
 * (elfimg.h), so a hostile file is refused before anything runs.
 * Run time (load_exec): what depends on the machine (page size, address
 * bits) is checked, then the address space is replaced:
 *
 *   executable  ET_EXEC at its addresses; ET_DYN (PIE) at LOAD_PIE_BASE
 *   segments    each PT_LOAD mapped private from the file with its rwx,
 *               the last file page's tail past p_filesz zeroed when first
 *               faulted in, the rest of .bss anonymous
 *   brk         the first page past the executable's last segment
 *   interpreter PT_INTERP's program (ET_DYN) placed so that it ends at
 *               LOAD_INTERP_TOP (Linux's mmap_base with an 8 MiB stack
 *               limit and no randomisation)
 *   stack       [LOAD_STACK_TOP - 132 KiB, LOAD_STACK_TOP) (as a fresh
 *               Linux process's), growing down on faults to
 *               LOAD_STACK_TOP - stack_limit; its top page(s) hold argc,
 *               argv, envp (LOAD_ENV), auxv and their strings, written
 *               without a fault
 *
 * Nothing is referenced and no counter moves but resident pages (the
 * stack's).  `exec P: entry 0x..., sp 0x..., brk 0x...` is printed. */
#ifndef VMLAB_SCRIPT_LOADER_H
#define VMLAB_SCRIPT_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "script/script.h"

#define LOAD_PIE_BASE 0x555555554000ull    /* Linux's ELF_ET_DYN_BASE, no ASLR */
#define LOAD_INTERP_TOP 0x7ffff7fff000ull  /* Linux's mmap_base, no ASLR */
#define LOAD_STACK_TOP 0x7ffffffff000ull   /* x86-64 TASK_SIZE */
#define LOAD_STACK_INIT 0x21000ull          /* 128 KiB + the argument page */
#define LOAD_STACK_LIMIT (8ull << 20)      /* --stack-limit's default */

/* Read the program at path as written (resolved by paths' read rule) and
 * its interpreter.  *out gets the result (load_free it); on failure err
 * holds "exec: PATH: what is wrong" and the code is VM_EINVAL (bad ELF),
 * VM_EPERM (outside the allowed folders), VM_ENOENT, VM_EIO or VM_ENOMEM. */
int load_prepare(const script_paths_t *paths, const char *path, struct load_prog **out,
		 char *err, size_t errlen);
void load_free(struct load_prog *prog);
/* The path as the script wrote it. */
const char *load_path(const struct load_prog *prog);

/* exec of prog on pid with argv[0..argc) (argv[0]: the path as written);
 * label names the process in the printed line.  0, or a negative vm_err_t:
 * with err set ("exec: PATH: what") when the program cannot be loaded on
 * this machine, with err empty when the kernel refused (the caller says
 * why). */
int load_exec(vm_machine_t *vm, const struct load_prog *prog, uint32_t pid, const char *label,
	      const char *const *argv, size_t argc, uint64_t stack_limit, FILE *out, char *err,
	      size_t errlen);

#endif
