/* vmlab_sys.h - the kernel side of a machine: processes with address spaces
 * of regions, system calls, byte-exact memory (prefix vm_).
 *
 * A machine built with cfg.bytes = 1 ("script mode") keeps real contents in
 * its frames, swaps to a real file, maps real files, and runs a page daemon
 * between watermarks.  Processes are named by a number chosen by the caller
 * (the script's P).  Addresses and lengths are bytes; a region is a whole
 * number of pages (addresses must be page aligned, lengths are rounded up).
 *
 * Every call returns 0 (or a count) or a negative vm_err_t:
 *   VM_ESRCH   no such process, or it is no longer alive
 *   VM_EINVAL  bad arguments (unaligned address, zero length, ...)
 *   VM_EEXIST  spawn/fork of a process number already used
 *   VM_ENOMEM  no address range free for mmap(0), or host memory
 *   VM_EIO     a host file could not be read or written (vm_io_error says
 *              which and why); the call changed nothing it could not keep:
 *              a page whose write-back failed stays dirty and mapped
 *   VM_EFAULT  the access killed the process with SIGSEGV (see vm_proc_info)
 *   VM_EKILLED the process was killed by the OOM killer during the call
 */
#ifndef VMLAB_SYS_H
#define VMLAB_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab.h"

/* Region protection bits. */
enum { VM_PROT_NONE = 0, VM_PROT_R = 1, VM_PROT_W = 2, VM_PROT_X = 4 };

/* mmap flags. */
enum {
	VM_MAP_PRIVATE = 0,
	VM_MAP_SHARED = 1,
	VM_MAP_HUGETLB = 0x40000, /* huge pages from the --hugepages pool (private
				     anonymous only; Linux's MAP_HUGETLB) */
};

/* What a region is for (shown by maps). */
typedef enum vm_region_kind {
	VM_KIND_MAPPING = 0,
	VM_KIND_TEXT,
	VM_KIND_DATA,
	VM_KIND_HEAP,
	VM_KIND_STACK,
} vm_region_kind_t;

/* Where the heap of every process begins (brk's base). */
#define VM_HEAP_BASE 0x10000000ull
/* mmap(0, ...) places mappings below this address, top down, first fit. */
#define VM_MMAP_TOP 0x7f0000000000ull

typedef enum vm_proc_state {
	VM_PROC_NONE = 0,     /* never created */
	VM_PROC_ALIVE,
	VM_PROC_EXITED,       /* by exit */
	VM_PROC_SEGV,         /* killed by SIGSEGV */
	VM_PROC_OOM,          /* killed by the out-of-memory killer */
} vm_proc_state_t;

typedef struct vm_proc_info {
	vm_proc_state_t state;
	uint64_t fault_addr;  /* SIGSEGV: the address */
	const char *reason;   /* SIGSEGV: "no region", "write to a read-only region", ... */
	uint64_t resident;    /* pages in frames */
	uint64_t swapped;     /* pages in swap */
	uint64_t brk;         /* current program break */
} vm_proc_info_t;

/* Counters of the kernel side, beyond vm_stats_t. */
typedef struct vm_sys_stats {
	uint64_t cow_faults;       /* write faults on copy-on-write pages */
	uint64_t cow_copies;       /* pages copied by them */
	uint64_t segfaults;        /* processes killed by SIGSEGV */
	uint64_t file_reads;       /* pages read from mapped files */
	uint64_t file_writebacks;  /* pages written back to mapped files */
	uint64_t oom_kills;
	uint64_t daemon_reclaims;  /* pages reclaimed by the page daemon */
	uint64_t direct_reclaims;  /* pages reclaimed by a faulting process */
	uint64_t free_frames;      /* now */
	uint64_t fault_around_pages; /* pages a read fault mapped around itself (--fault-around) */
	uint64_t flusher_writebacks; /* pages the flusher wrote back (--dirty-expire) */
	uint64_t suspensions;      /* processes the scheduler's load control suspended
				      (ws: held back when added, too) */
	uint64_t resumptions;      /* ... and let run again */
} vm_sys_stats_t;

/* Create process pid with an empty address space. */
int vm_spawn(vm_machine_t *vm, uint32_t pid);

/* child becomes a copy-on-write copy of parent. */
int vm_fork(vm_machine_t *vm, uint32_t parent, uint32_t child);

/* Release everything pid holds; dirty shared file pages are written back
 * first, and if one cannot be (VM_EIO) the process stays as it was. */
int vm_exit(vm_machine_t *vm, uint32_t pid);

/* Map len bytes at addr (0: the kernel chooses, deterministically; non-zero:
 * fixed, replacing what was there).  path NULL: anonymous; else a host file
 * path (already resolved and allowed by the caller) mapped from offset (a
 * multiple of the page size).  *out gets the address. */
int vm_mmap(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, unsigned prot,
	    unsigned flags, const char *path, uint64_t offset, vm_region_kind_t kind,
	    uint64_t *out);
/* Like exit, a failed write-back (VM_EIO) leaves the range mapped. */
int vm_munmap(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len);
int vm_mprotect(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, unsigned prot);
/* madvise(MADV_HUGEPAGE / MADV_NOHUGEPAGE) of [addr, addr+len) of pid: its
 * regions (split at the ends, and the huge pages the ends cut) may have
 * transparent huge pages under --thp madvise, or none under --thp always.
 * VM_ESRCH, VM_EINVAL (a bad range or advice, a hugetlb region), VM_ENOMEM
 * (part of the range is not mapped). */
enum { VM_MADV_HUGEPAGE = 14, VM_MADV_NOHUGEPAGE = 15 }; /* Linux's numbers */
int vm_madvise(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, int advice);
/* Set the program break to addr (>= VM_HEAP_BASE); the heap region grows or
 * shrinks to cover [VM_HEAP_BASE, addr) rounded up to pages; memory is given
 * only when touched. */
int vm_brk(vm_machine_t *vm, uint32_t pid, uint64_t addr);
/* Write dirty pages of shared file mappings in the range back to their file. */
int vm_msync(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len);
/* Write every dirty page of every file back, as a kernel's writeback does
 * (a script's end).  Each write-back counts; all pages are tried, the first
 * failure is returned (VM_EIO) and is what vm_io_error describes. */
int vm_sync_all(vm_machine_t *vm);
/* The last host I/O failure, e.g. "cannot write back page 3 of /d/f: No
 * space left on device", or NULL if there was none. */
const char *vm_io_error(const vm_machine_t *vm);

/* Process pid writes / reads len bytes at addr: one reference per page
 * touched, faults handled as the MMU raises them.  VM_EFAULT if the process
 * was killed by SIGSEGV (bytes before the bad page are done). */
int vm_write(vm_machine_t *vm, uint32_t pid, uint64_t addr, const void *data, size_t len);
int vm_read(vm_machine_t *vm, uint32_t pid, uint64_t addr, void *out, size_t len);
/* One access of kind 'R', 'W' or 'X' every stride bytes of [addr, addr+len)
 * (stride 0: one a page).  A 'W' touch writes nothing new: it dirties. */
int vm_touch(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len, int kind,
	     uint64_t stride);

/* A system call by pid: enter the kernel, read each page of kernel memory
 * [addr, addr+len) once (len 0: none; kernel-half addresses, sign-extended
 * or not; kernel pages are demand-zero kernel frames, never reclaimed),
 * return.  Turns the kernel half on.  VM_ESRCH, VM_EINVAL (a byte of the
 * range outside the kernel half), VM_ENOTSUP (one page-table level), or
 * VM_ENOMEM / VM_ELIMIT for kernel frames. */
int vm_syscall(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t len);

void vm_proc_info(vm_machine_t *vm, uint32_t pid, vm_proc_info_t *out);

/* One process's accounting (`stats P`, the JSON's process_stats), named as
 * getrusage(2) and /proc/PID/status name them; pages, not kB.  Faults are
 * those taken by the process's own references (a fault it takes counts
 * even if it kills it); VmHWM is the most pages it ever had resident, a
 * forked child starting from what it shares at the fork.  cpu_ns and
 * blocked_ns are the scheduler's (vmlab_sched.h), 0 unless scheduled. */
typedef struct vm_proc_acct {
	uint32_t pid;
	vm_proc_state_t state;
	uint64_t minflt, majflt;  /* ru_minflt, ru_majflt */
	uint64_t vm_rss;          /* VmRSS: resident pages now */
	uint64_t vm_swap;         /* VmSwap: pages in swap now */
	uint64_t vm_hwm;          /* VmHWM: resident pages at most */
	int scheduled;            /* the scheduler has run it */
	uint64_t cpu_ns, blocked_ns;
} vm_proc_acct_t;

/* Processes the machine has made, alive or not; vm_proc_acct_at's i runs
 * below it, in the order they were made. */
size_t vm_proc_count(const vm_machine_t *vm);
/* The accounting of the i-th process made, or of process pid: 0, or
 * VM_ESRCH (no such process). */
int vm_proc_acct_at(vm_machine_t *vm, size_t i, vm_proc_acct_t *out);
int vm_proc_acct(vm_machine_t *vm, uint32_t pid, vm_proc_acct_t *out);
const vm_sys_stats_t *vm_sys_stats(vm_machine_t *vm);

/* Print pid's regions as /proc/PID/maps does, with resident and swapped page
 * counts per region. */
int vm_maps(vm_machine_t *vm, uint32_t pid, FILE *out);

/* NUMA: pid's home node becomes node (else pid modulo --numa).  VM_ESRCH,
 * or VM_EINVAL without --numa or for a node past the last. */
int vm_numa_home(vm_machine_t *vm, uint32_t pid, uint32_t node);

/* Exec support (src/kern/exec_support.c): what a loader of real programs
 * needs beyond mmap.
 *
 * vm_exec_reset: pid's regions all go (as munmap would; VM_EIO keeps the rest
 * of them), its program break starts at brk_base (page aligned; brk can
 * grow from there and never go below it), and maps names its regions as
 * /proc/PID/maps does: [heap], [stack], nothing for anonymous memory. */
int vm_exec_reset(vm_machine_t *vm, uint32_t pid, uint64_t brk_base);
/* The private file region holding addr reads as zeros from byte zero_from
 * (a VA inside it) on, as the last page of a data segment past its file
 * bytes: the page holding zero_from gets, when first faulted in, a private
 * copy of the file page with its tail zeroed; pages after it are
 * zero-filled.  VM_EINVAL if addr is not in such a region. */
int vm_region_zero_from(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t zero_from);
/* The private anonymous region holding addr grows down on a fault below it
 * (Linux's VM_GROWSDOWN stack), to no lower than floor (page aligned), and
 * never to within 256 pages of the region below it (Linux's stack guard
 * gap); such a fault is a SIGSEGV ("stack ..."). */
int vm_region_grows_down(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t floor);
/* Write len bytes at addr as exec writes the initial stack: each page of
 * the range (in a private anonymous region, not present, not in swap) gets
 * a zeroed frame holding the bytes, resident, with no reference or fault
 * counted.  VM_EINVAL for a page that is not so; VM_ENOMEM without a frame. */
int vm_preload(vm_machine_t *vm, uint32_t pid, uint64_t addr, const void *data, size_t len);

/* Check every invariant (refcounts = reverse-map entries, present PTEs map
 * allocated frames, no frame both free and mapped, swap slot counts).
 * Returns 0, or VM_EINVAL with the first broken one described in err. */
int vm_check(vm_machine_t *vm, char *err, size_t errlen);

#endif
