/* exec.c - running a parsed script on a machine, one command at a time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script/loader.h"
#include "script/script.h"
#include "script/thread.h"
#include "script/tracetask.h"
#include "script/umalloc.h"
#include "util/clip.h"
#include "util/hostfile.h"
#include "util/vmerr.h"
#include "vmlab_sched.h"

/* A run in progress. */
typedef struct script_exec {
	vm_machine_t *vm;
	const script_t *s;
	const script_env_t *env;
	vm_proc_state_t *seen;      /* last state reported, per s->pids[] */
	uint64_t oom_kills;         /* the kernel's count when notices last looked */
	uint64_t *cost;             /* steps of each command (a repeat: its whole block) */
	uint64_t steps;             /* steps run so far (--max-steps) */
	uint64_t *symval;           /* the value of each $NAME (s->syms), set by malloc */
	unsigned char *symset;      /* whether it has been set */
	um_heap_t **heaps;          /* each process's malloc state, per s->pids[] (umalloc.h) */
	th_table_t th;              /* the address space each process number runs in */
	vm_sched_t *sched;          /* the scheduler, made by the first spawn P trace */
	tt_task_t **tasks;          /* the trace each process runs, per s->pids[] */
	char *err;
	size_t errlen;
} script_exec_t;

/* "FILE:LINE: what" into the error; returns rc. */
static int exec_fail(script_exec_t *x, const script_cmd_t *c, int rc, const char *fmt, ...)
{
	int at = snprintf(x->err, x->errlen, "%s:%u: ", x->s->name, c->line);
	if (at >= 0 && (size_t)at < x->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(x->err + at, x->errlen - (size_t)at, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* "FILE:LINE: COMMAND: what" into the error, the command as written (c->text)
 * cut short with "..." rather than the reason when the line is long (a
 * write of 10,000 bytes); returns rc. */
static int exec_fail_cmd(script_exec_t *x, const script_cmd_t *c, int rc, const char *fmt, ...)
{
	char *why = NULL, *head = NULL;
	va_list ap;
	va_start(ap, fmt);
	int ok = vasprintf(&why, fmt, ap) >= 0;
	va_end(ap);
	if (ok && asprintf(&head, "%s:%u: ", x->s->name, c->line) >= 0)
		clip_join(x->err, x->errlen, head, c->text, ": ", why);
	else
		exec_fail(x, c, rc, "out of memory");
	free(head);
	if (ok)
		free(why);
	return rc;
}

/* How a process stands, in words ("alive", "killed by SIGSEGV at 0x...") */
static const char *exec_state_words(const vm_proc_info_t *pi, char *buf, size_t len)
{
	switch (pi->state) {
	case VM_PROC_NONE: return "never created";
	case VM_PROC_ALIVE: return "alive";
	case VM_PROC_EXITED: return "exited";
	case VM_PROC_OOM: return "killed by the out-of-memory killer";
	case VM_PROC_SEGV:
		snprintf(buf, len, "killed by SIGSEGV at 0x%llx (%s)",
			 (unsigned long long)pi->fault_addr, pi->reason ? pi->reason : "?");
		return buf;
	}
	return "in an unknown state";
}

/* How process number pid (index i of s->pids, SIZE_MAX: none) stands: a
 * thread that exited has exited; any other as the address space it runs in
 * (a SIGSEGV kills every thread of it). */
static void exec_info(script_exec_t *x, size_t i, uint32_t pid, vm_proc_info_t *pi)
{
	if (i != SIZE_MAX && x->th.gone[i]) {
		*pi = (vm_proc_info_t){ .state = VM_PROC_EXITED };
		return;
	}
	vm_proc_info(x->vm, i == SIZE_MAX ? pid : x->s->pids[th_space(&x->th, i)], pi);
}

/* The kernel process command c's P runs in (P itself unless a thread). */
static uint32_t exec_kpid(const script_exec_t *x, const script_cmd_t *c)
{
	return c->pidx == SIZE_MAX ? c->pid : x->s->pids[th_space(&x->th, c->pidx)];
}

/* The malloc state of the address space command c's P runs in. */
static um_heap_t **exec_heap(script_exec_t *x, const script_cmd_t *c)
{
	return &x->heaps[th_space(&x->th, c->pidx)];
}

/* What an error code means for this command, with a hint where the code
 * alone would mislead (VM_ENOMEM is rarely the host's memory here). */
static const char *exec_why(const script_exec_t *x, const script_cmd_t *c, int rc)
{
	if (rc == VM_EINVAL && c->op == SCRIPT_MMAP && (c->flags & VM_MAP_HUGETLB))
		return "invalid input (mmap ... huge is private anonymous memory at an ADDR aligned to the huge page)";
	if (rc == VM_EINVAL && (c->op == SCRIPT_MUNMAP || c->op == SCRIPT_MPROTECT) &&
	    vm_config(x->vm)->hugepages)
		return "invalid input (ADDR must be page aligned and the range inside the virtual address space; a hugetlb region only at huge-page boundaries)";
	int ranged = c->op == SCRIPT_MMAP || c->op == SCRIPT_MUNMAP || c->op == SCRIPT_MPROTECT ||
		     c->op == SCRIPT_MADVISE ||
		     c->op == SCRIPT_MSYNC;
	if (rc == VM_EINVAL && ranged)
		return "invalid input (ADDR must be page aligned and the range inside the virtual address space; OFFSET a multiple of the page size)";
	if (rc == VM_EINVAL && c->op == SCRIPT_BRK)
		return "invalid input (the break is at least 0x10000000 and inside the virtual address space)";
	if (rc == VM_EINVAL && c->op == SCRIPT_SYSCALL)
		return "invalid input (touch ADDR LEN must lie in the kernel half: from 2^(va_bits - 1), or sign-extended, to 2^va_bits)";
	if (rc == VM_ENOTSUP && c->op == SCRIPT_SYSCALL)
		return "not supported (the kernel half needs at least 2 page-table levels)";
	if (rc == VM_EINVAL && c->op == SCRIPT_NUMA)
		return "invalid input (NODE must be below --numa's count of nodes)";
	if (rc == VM_ENOENT && c->op == SCRIPT_MMAP)
		return "not found (no such regular file)";
	if (rc != VM_ENOMEM)
		return vm_strerror(rc);
	switch (c->op) {
	case SCRIPT_MMAP: return c->addr ? "out of memory" : "out of memory (no free address range that large)";
	case SCRIPT_BRK: return "out of memory (the heap would run into a mapping)";
	case SCRIPT_MPROTECT: case SCRIPT_MADVISE: return "out of memory (part of the range is not mapped)";
	case SCRIPT_FORK:
		return vm_config(x->vm)->hugepages ? "out of memory (or too few free hugetlb pages for the child's copies)"
						   : vm_strerror(rc);
	case SCRIPT_READ: case SCRIPT_WRITE: case SCRIPT_TOUCH:
		return "out of memory (no frame could be freed: swap is full and no process to kill)";
	default: return vm_strerror(rc);
	}
}

/* The kernel said no: say which command and why (exit 1). */
static int exec_refused(script_exec_t *x, const script_cmd_t *c, int rc)
{
	vm_proc_info_t pi;
	char buf[512];
	char num[16];
	if (rc == VM_ESRCH) {
		exec_info(x, c->pidx, c->pid, &pi);
		return exec_fail_cmd(x, c, rc, "process %s is not alive (%s)",
				     script_pid_label(x->s, c->pid, num),
				     exec_state_words(&pi, buf, sizeof buf));
	}
	if (rc == VM_EEXIST)
		return exec_fail_cmd(x, c, rc, "process %s already exists",
				     script_pid_label(x->s, c->op == SCRIPT_FORK || c->op == SCRIPT_THREAD ? c->pid2 : c->pid, num));
	if (rc == VM_EIO && vm_io_error(x->vm)) /* which file, and the host's reason */
		return exec_fail_cmd(x, c, rc, "%s", vm_io_error(x->vm));
	if (rc == VM_ELIMIT && !vm_limit_message(x->vm, buf, sizeof buf))
		return exec_fail_cmd(x, c, rc, "%s", buf);
	return exec_fail_cmd(x, c, rc, "the kernel refused: %s", exec_why(x, c, rc));
}

/* A process dying in a call is what the script shows, not an error. */
static int exec_died(int rc)
{
	return rc == VM_EFAULT || rc == VM_EKILLED;
}

/* Print data as "text" when every byte is printable, else 0xHEX; at most
 * limit bytes, then "...". */
static void exec_render(FILE *out, const unsigned char *d, size_t n, size_t limit)
{
	size_t shown = n < limit ? n : limit, i = 0;
	while (i < shown && d[i] >= 0x20 && d[i] < 0x7f)
		i++;
	if (i == shown) {
		fputc('"', out);
		for (i = 0; i < shown; i++) {
			if (d[i] == '"' || d[i] == '\\')
				fputc('\\', out);
			fputc(d[i], out);
		}
		fputc('"', out);
	} else {
		fputs("0x", out);
		for (i = 0; i < shown; i++)
			fprintf(out, "%02x", d[i]);
	}
	if (shown < n)
		fprintf(out, "... (%zu bytes)", n);
}

/* exec_render into a string buffer (for error messages). */
static char *exec_render_str(const unsigned char *d, size_t n, size_t limit)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	exec_render(f, d, n, limit);
	fclose(f);
	return buf;
}

/* Say on the script's output whether process s->pids[i] died since the
 * last look. */
static void exec_notice(script_exec_t *x, size_t i)
{
	vm_proc_info_t pi;
	exec_info(x, i, x->s->pids[i], &pi);
	if (pi.state == x->seen[i])
		return;
	x->seen[i] = pi.state;
	char num[16];
	const char *who = script_pid_label(x->s, x->s->pids[i], num);
	if (pi.state == VM_PROC_SEGV)
		fprintf(x->env->out, "P %s: SIGSEGV at 0x%llx (%s)\n", who,
			(unsigned long long)pi.fault_addr, pi.reason ? pi.reason : "?");
	else if (pi.state == VM_PROC_OOM)
		fprintf(x->env->out, "P %s: killed by the out-of-memory killer\n", who);
}

/* Say which processes command c killed: its own (and a fork's child) can
 * die of what it did; any other only by the OOM killer, so every process is
 * looked at only when the kernel's OOM-kill count moved.  A command thus
 * costs the same however many processes the script has made. */
static void exec_notices(script_exec_t *x, const script_cmd_t *c)
{
	uint64_t kills = vm_sys_stats(x->vm)->oom_kills;
	if (kills != x->oom_kills) {
		x->oom_kills = kills;
		if (x->env->notice_scans)
			(*x->env->notice_scans)++;
		for (size_t i = 0; i < x->s->npids; i++)
			exec_notice(x, i);
		return;
	}
	if (c->pidx != SIZE_MAX)
		exec_notice(x, c->pidx);
	if (c->pidx2 != SIZE_MAX)
		exec_notice(x, c->pidx2);
}

static int exec_mmap(script_exec_t *x, const script_cmd_t *c)
{
	uint64_t got = 0;
	int rc = vm_mmap(x->vm, exec_kpid(x, c), c->addr, c->len, c->prot, c->flags, c->path, c->offset,
			 c->kind, &got);
	struct stat st;
	if (rc == VM_ENOTSUP && c->path && stat(c->path, &st) == 0) /* words the message only */
		return exec_fail_cmd(x, c, rc, "the kernel refused: %s is not a regular file (%s)",
				     c->path, hostfile_kind(st.st_mode));
	if (rc && !exec_died(rc))
		return exec_refused(x, c, rc);
	char num[16];
	if (!rc && !c->addr)
		fprintf(x->env->out, "mmap %s: 0x%llx\n", script_pid_label(x->s, c->pid, num),
			(unsigned long long)got);
	return VM_OK;
}

/* exec_file's failure: remove the file if this command created it (nothing
 * stays changed), then "cannot create PATH: why". */
static int exec_file_fail(script_exec_t *x, const script_cmd_t *c, int fd, int created,
			  const char *why)
{
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(c->path);
	return exec_fail(x, c, VM_EIO, "cannot create %s: %s", c->path, why);
}

/* file PATH SIZE: create or truncate a real file to SIZE zero bytes.  Every
 * check comes before the first change: the file must be a regular one
 * (opened without blocking, so a FIFO is refused, not waited on), and the
 * file system must hold SIZE bytes, found by growing the file to SIZE, which
 * loses nothing, before truncating it to 0 and back. */
static int exec_file(script_exec_t *x, const script_cmd_t *c)
{
	char why[160];
	if (c->len > (uint64_t)INT64_MAX) {
		snprintf(why, sizeof why, "%llu bytes is more than a file can hold (at most %lld)",
			 (unsigned long long)c->len, (long long)INT64_MAX);
		return exec_file_fail(x, c, -1, 0, why);
	}
	int created = 1;
	int fd = hostfile_open(c->path, O_WRONLY | O_CREAT | O_EXCL, 0644, why, sizeof why);
	if (fd < 0 && errno == EEXIST) {
		created = 0;
		fd = hostfile_open(c->path, O_WRONLY, 0, why, sizeof why);
	}
	if (fd < 0)
		return exec_file_fail(x, c, -1, 0, why);
	struct stat st;
	if (fstat(fd, &st) || ((uint64_t)st.st_size < c->len && ftruncate(fd, (off_t)c->len)) ||
	    ftruncate(fd, 0) || ftruncate(fd, (off_t)c->len)) {
		snprintf(why, sizeof why, "%s", strerror(errno));
		return exec_file_fail(x, c, fd, created, why);
	}
	close(fd);
	return VM_OK;
}

static int exec_read(script_exec_t *x, const script_cmd_t *c)
{
	unsigned char *buf = malloc(c->len);
	if (!buf)
		return exec_fail(x, c, VM_ENOMEM, "out of memory");
	int rc = vm_read(x->vm, exec_kpid(x, c), c->addr, buf, c->len);
	if (rc && !(exec_died(rc) && !c->has_data)) {
		if (exec_died(rc)) {
			vm_proc_info_t pi;
			char words[160], *want = exec_render_str(c->data, c->ndata, 64);
			exec_info(x, c->pidx, c->pid, &pi);
			char num[16];
			rc = exec_fail(x, c, rc, "expected %s at 0x%llx, found process %s %s",
				       want ? want : "?", (unsigned long long)c->addr,
				       script_pid_label(x->s, c->pid, num),
				       exec_state_words(&pi, words, sizeof words));
			free(want);
		} else {
			rc = exec_refused(x, c, rc);
		}
	} else if (!rc && c->has_data && memcmp(buf, c->data, c->len)) {
		size_t at = 0;
		while (buf[at] == c->data[at])
			at++;
		char *want = exec_render_str(c->data, c->ndata, 64), *got = exec_render_str(buf, c->len, 64);
		rc = exec_fail(x, c, VM_EINVAL, "expected %s at 0x%llx, found %s (first difference at byte %zu)",
			       want ? want : "?", (unsigned long long)c->addr, got ? got : "?", at);
		free(want);
		free(got);
	} else if (!rc && !c->has_data) {
		char num[16];
		fprintf(x->env->out, "read %s 0x%llx: ", script_pid_label(x->s, c->pid, num),
			(unsigned long long)c->addr);
		exec_render(x->env->out, buf, c->len, SIZE_MAX);
		fputc('\n', x->env->out);
	} else {
		rc = VM_OK;
	}
	free(buf);
	return rc;
}

/* The words for an expected state, as a script writes them. */
static const char *exec_want_words(vm_proc_state_t st)
{
	switch (st) {
	case VM_PROC_ALIVE: return "alive";
	case VM_PROC_EXITED: return "exited";
	case VM_PROC_SEGV: return "killed by SIGSEGV (segv)";
	case VM_PROC_OOM: return "killed by the out-of-memory killer (oom)";
	default: return "never created";
	}
}

static int exec_expect_proc(script_exec_t *x, const script_cmd_t *c)
{
	vm_proc_info_t pi;
	char buf[160];
	exec_info(x, c->pidx, c->pid, &pi);
	if (pi.state == c->state)
		return VM_OK;
	char num[16];
	return exec_fail(x, c, VM_EINVAL, "expected process %s %s, found it %s",
			 script_pid_label(x->s, c->pid, num), exec_want_words(c->state),
			 exec_state_words(&pi, buf, sizeof buf));
}

/* expect P resident|swapped N (pages now), or minflt|majflt|hwm N (its
 * accounting, vm_proc_acct: a thread's is its address space's). */
static int exec_expect_pages(script_exec_t *x, const script_cmd_t *c)
{
	vm_proc_info_t pi;
	char num[16];
	exec_info(x, c->pidx, c->pid, &pi);
	if (c->access == 'r' || c->access == 's') {
		uint64_t got = c->access == 'r' ? pi.resident : pi.swapped;
		const char *what = c->access == 'r' ? "resident" : "swapped";
		if (got == c->value)
			return VM_OK;
		return exec_fail(x, c, VM_EINVAL, "expected process %s to have %llu %s pages, found %llu",
				 script_pid_label(x->s, c->pid, num), (unsigned long long)c->value, what,
				 (unsigned long long)got);
	}
	vm_proc_acct_t a = { 0 };
	vm_proc_acct(x->vm, exec_kpid(x, c), &a);
	uint64_t got = c->access == 'n' ? a.minflt : c->access == 'j' ? a.majflt : a.vm_hwm;
	const char *what = c->access == 'n' ? "minflt" : c->access == 'j' ? "majflt" : "hwm";
	if (got == c->value)
		return VM_OK;
	return exec_fail(x, c, VM_EINVAL, "expected process %s's %s to be %llu, found %llu",
			 script_pid_label(x->s, c->pid, num), what, (unsigned long long)c->value,
			 (unsigned long long)got);
}

/* stats P: P's faults (getrusage's names), its pages (/proc/PID/status's:
 * VmRSS, VmSwap, VmHWM, in pages) and, once scheduled, its times. */
static int exec_pstats(script_exec_t *x, const script_cmd_t *c)
{
	vm_proc_acct_t a;
	char num[16];
	int rc = vm_proc_acct(x->vm, exec_kpid(x, c), &a);
	if (rc)
		return exec_refused(x, c, rc);
	fprintf(x->env->out, "stats %s: minflt %llu, majflt %llu, VmRSS %llu, VmSwap %llu, VmHWM %llu pages",
		script_pid_label(x->s, c->pid, num), (unsigned long long)a.minflt,
		(unsigned long long)a.majflt, (unsigned long long)a.vm_rss,
		(unsigned long long)a.vm_swap, (unsigned long long)a.vm_hwm);
	if (a.scheduled)
		fprintf(x->env->out, "; cpu %llu ns, blocked %llu ns", (unsigned long long)a.cpu_ns,
			(unsigned long long)a.blocked_ns);
	fputc('\n', x->env->out);
	return VM_OK;
}

static int exec_expect_stat(script_exec_t *x, const script_cmd_t *c)
{
	uint64_t got = 0;
	script_stat(x->vm, x->env, c->name, &got);
	if (got == c->value)
		return VM_OK;
	return exec_fail(x, c, VM_EINVAL, "expected %s %llu, found %llu", c->name,
			 (unsigned long long)c->value, (unsigned long long)got);
}

/* A system call that returns only 0 or an error. */
static int exec_call(script_exec_t *x, const script_cmd_t *c, int rc)
{
	return rc && !exec_died(rc) ? exec_refused(x, c, rc) : VM_OK;
}

static int exec_check(script_exec_t *x, const script_cmd_t *c, const char *when)
{
	char msg[512];
	if (vm_check(x->vm, msg, sizeof msg))
		return exec_fail(x, c, VM_EINVAL, "invariant broken %s: %s", when, msg);
	return VM_OK;
}

/* exec P PATH [ARGS...] (loader.h): argv is PATH as written, then ARGS. */
static int exec_exec(script_exec_t *x, const script_cmd_t *c)
{
	const char *argv[32];          /* a line has at most 16 words */
	char num[16], msg[PATH_MAX + 512];
	size_t argc = 0;
	if (th_count(&x->th, c->pidx) > 1)
		return exec_fail_cmd(x, c, VM_EINVAL, "process %s has %u threads; exit the others first (vmlab's exec does not end them as Linux's does)",
				     script_pid_label(x->s, c->pid, num), th_count(&x->th, c->pidx));
	argv[argc++] = load_path(c->prog);
	for (size_t at = 0; at < c->ndata; at += strlen((const char *)c->data + at) + 1)
		argv[argc++] = (const char *)c->data + at;
	int rc = load_exec(x->vm, c->prog, exec_kpid(x, c), script_pid_label(x->s, c->pid, num), argv, argc,
			   x->env->stack_limit, x->env->out, msg, sizeof msg);
	if (rc && msg[0])
		return exec_fail(x, c, rc, "%s", msg);
	if (!rc)
		um_drop(exec_heap(x, c)); /* a new address space: an empty heap */
	return exec_call(x, c, rc);
}

/* malloc P SIZE [NAME]: print the address (0x0: malloc returned NULL). */
static int exec_malloc(script_exec_t *x, const script_cmd_t *c)
{
	char why[256], num[16];
	uint64_t got = 0, refs = vm_stats(x->vm)->references;
	int rc = um_malloc(exec_heap(x, c), x->vm, exec_kpid(x, c), c->len, &got, why, sizeof why);
	refs = vm_stats(x->vm)->references - refs; /* the walk: one read a block */
	x->steps = x->steps > UINT64_MAX - refs ? UINT64_MAX : x->steps + refs;
	if (rc == VM_EINVAL)
		return exec_fail_cmd(x, c, rc, "%s", why);
	if (rc)
		return exec_call(x, c, rc);
	if (x->env->max_steps && x->steps > x->env->max_steps)
		return exec_fail_cmd(x, c, VM_ELIMIT, "--max-steps %llu reached: with the %llu references this malloc made walking the heap (one a block) the script has run %llu steps; raise --max-steps",
				     (unsigned long long)x->env->max_steps, (unsigned long long)refs,
				 (unsigned long long)x->steps);
	if (c->sym) {
		x->symval[c->sym - 1] = got;
		x->symset[c->sym - 1] = 1;
	}
	fprintf(x->env->out, "malloc %s: 0x%llx\n", script_pid_label(x->s, c->pid, num),
		(unsigned long long)got);
	return VM_OK;
}

static int exec_free(script_exec_t *x, const script_cmd_t *c)
{
	char why[256];
	int rc = um_free(exec_heap(x, c), x->vm, exec_kpid(x, c), c->addr, why, sizeof why);
	if (rc == VM_EINVAL)
		return exec_fail_cmd(x, c, rc, "%s", why);
	return exec_call(x, c, rc);
}

/* fork, and the child inherits a copy of the parent's malloc state. */
static int exec_fork(script_exec_t *x, const script_cmd_t *c)
{
	if (th_taken(&x->th, c->pidx2))
		return exec_refused(x, c, VM_EEXIST);
	int rc = vm_fork(x->vm, exec_kpid(x, c), c->pid2);
	if (!rc && um_fork(&x->heaps[c->pidx2], *exec_heap(x, c)))
		return exec_fail_cmd(x, c, VM_ENOMEM, "out of memory");
	return exec_call(x, c, rc);
}

/* exit P: a thread leaves its address space (its stack unmapped, as glibc
 * frees a joined thread's); the last one releases the space. */
static int exec_exit(script_exec_t *x, const script_cmd_t *c)
{
	uint32_t kp = exec_kpid(x, c);
	if (th_count(&x->th, c->pidx) > 1) {
		vm_proc_info_t pi;
		vm_proc_info(x->vm, kp, &pi);
		if (pi.state != VM_PROC_ALIVE)
			return exec_refused(x, c, VM_ESRCH);
		int rc = 0;
		if (x->th.stack[c->pidx])
			rc = vm_munmap(x->vm, kp, x->th.stack[c->pidx], x->th.stack_len[c->pidx]);
		if (rc)
			return exec_call(x, c, rc);
		th_leave(&x->th, c->pidx);
		return VM_OK;
	}
	int rc = vm_exit(x->vm, kp);
	if (!rc)
		um_drop(exec_heap(x, c));
	return exec_call(x, c, rc);
}

/* thread P T: T gets a stack of --stack-limit bytes (glibc's default
 * pthread stack size is RLIMIT_STACK) placed as mmap(0) places it, with a
 * PROT_NONE guard page below, as pthread_create maps one. */
static int exec_thread(script_exec_t *x, const script_cmd_t *c)
{
	vm_proc_info_t pi;
	char num[16], num2[16];
	exec_info(x, c->pidx, c->pid, &pi);
	if (pi.state != VM_PROC_ALIVE)
		return exec_refused(x, c, VM_ESRCH);
	vm_proc_info(x->vm, c->pid2, &pi);
	if (th_taken(&x->th, c->pidx2) || pi.state != VM_PROC_NONE)
		return exec_refused(x, c, VM_EEXIST);
	uint32_t kp = exec_kpid(x, c);
	uint64_t page = vm_config(x->vm)->page_size, lo = 0;
	uint64_t size = x->env->stack_limit ? x->env->stack_limit : 8ull << 20;
	size = (size + page - 1) / page * page;
	int rc = vm_mmap(x->vm, kp, 0, size + page, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0,
			 VM_KIND_STACK, &lo);
	if (!rc && (rc = vm_mprotect(x->vm, kp, lo, page, VM_PROT_NONE)))
		vm_munmap(x->vm, kp, lo, size + page);
	if (rc)
		return exec_call(x, c, rc);
	th_add(&x->th, c->pidx, c->pidx2, lo, size + page);
	fprintf(x->env->out, "thread %s %s: stack 0x%llx-0x%llx\n", script_pid_label(x->s, c->pid, num),
		script_pid_label(x->s, c->pid2, num2), (unsigned long long)(lo + page),
		(unsigned long long)(lo + page + size));
	return VM_OK;
}

/* spawn P trace TRACE: P's whole address space (above page 0) one private
 * anonymous rwx region, as trace mode has it, and the trace its task. */
static int exec_spawn_trace(script_exec_t *x, const script_cmd_t *c)
{
	vm_machine_t *vm = x->vm;
	const vm_config_t *cfg = vm_config(vm);
	unsigned shift = tt_page_shift(cfg);
	char why[1024];
	int rc = tt_spawn(vm, c->pid);
	if (rc)
		return exec_call(x, c, rc);
	if (!x->sched && (rc = vm_sched_create(&x->sched, vm, x->env->quantum_ns)))
		return exec_fail_cmd(x, c, rc, "out of memory");
	if ((rc = tt_open(&x->tasks[c->pidx], c->path, TRACE_FMT_AUTO, shift, cfg->va_bits, why,
			  sizeof why)))
		return exec_fail_cmd(x, c, rc, "%s", why);
	rc = vm_sched_add(x->sched, c->pid, tt_next, x->tasks[c->pidx]);
	return rc ? exec_call(x, c, rc) : VM_OK;
}

/* run [for NS]: the scheduler runs the trace processes; then the clock,
 * the utilizations and each trace process's times and faults. */
static int exec_run(script_exec_t *x, const script_cmd_t *c)
{
	if (!x->sched)
		return exec_fail_cmd(x, c, VM_EINVAL, "no process runs a trace (spawn P trace TRACE first)");
	int rc = vm_sched_run(x->sched, c->value);
	if (rc) {
		for (size_t i = 0; i < x->s->npids; i++)
			if (x->tasks[i] && *tt_error(x->tasks[i]))
				return exec_fail_cmd(x, c, rc, "%s", tt_error(x->tasks[i]));
		return exec_call(x, c, rc);
	}
	const vm_sched_stats_t *st = vm_sched_stats(x->sched);
	double el = st->elapsed_ns ? (double)st->elapsed_ns : 1;
	fprintf(x->env->out, "run: elapsed %llu ns, cpu_utilization %.4f, disk_utilization %.4f\n",
		(unsigned long long)st->elapsed_ns, (double)st->cpu_ns / el, (double)st->disk_ns / el);
	char num[16];
	for (size_t i = 0; i < vm_sched_ntasks(x->sched); i++) {
		const vm_task_stats_t *t = vm_sched_task(x->sched, i);
		fprintf(x->env->out, "  P %s: cpu %llu ns, blocked %llu ns, faults %llu (minor %llu, major %llu)%s\n",
			script_pid_label(x->s, t->pid, num), (unsigned long long)t->cpu_ns,
			(unsigned long long)t->blocked_ns, (unsigned long long)(t->minflt + t->majflt),
			(unsigned long long)t->minflt, (unsigned long long)t->majflt,
			t->done ? ", done" : "");
	}
	return VM_OK;
}

/* Run one command (not set, repeat or end). */
static int exec_one(script_exec_t *x, const script_cmd_t *c)
{
	vm_machine_t *vm = x->vm;
	if (c->pidx != SIZE_MAX && x->th.gone[c->pidx] && c->op != SCRIPT_EXPECT_PROC &&
	    c->op != SCRIPT_EXPECT_PAGES)
		return exec_refused(x, c, c->op == SCRIPT_SPAWN ? VM_EEXIST : VM_ESRCH);
	if (c->op == SCRIPT_SPAWN && th_taken(&x->th, c->pidx))
		return exec_refused(x, c, VM_EEXIST);
	uint32_t kp = exec_kpid(x, c);
	switch (c->op) {
	case SCRIPT_SPAWN:
		return c->path ? exec_spawn_trace(x, c) : exec_call(x, c, vm_spawn(vm, c->pid));
	case SCRIPT_RUN: return exec_run(x, c);
	case SCRIPT_THREAD: return exec_thread(x, c);
	case SCRIPT_FORK: return exec_fork(x, c);
	case SCRIPT_EXIT: return exec_exit(x, c);
	case SCRIPT_MALLOC: return exec_malloc(x, c);
	case SCRIPT_FREE: return exec_free(x, c);
	case SCRIPT_MMAP: return exec_mmap(x, c);
	case SCRIPT_MUNMAP: return exec_call(x, c, vm_munmap(vm, kp, c->addr, c->len));
	case SCRIPT_MPROTECT: return exec_call(x, c, vm_mprotect(vm, kp, c->addr, c->len, c->prot));
	case SCRIPT_BRK: return exec_call(x, c, vm_brk(vm, kp, c->addr));
	case SCRIPT_NUMA:
		return exec_call(x, c, c->value >= UINT32_MAX ? VM_EINVAL : vm_numa_home(vm, kp, (uint32_t)c->value));
	case SCRIPT_MSYNC: return exec_call(x, c, vm_msync(vm, kp, c->addr, c->len));
	case SCRIPT_SYSCALL: return exec_call(x, c, vm_syscall(vm, kp, c->addr, c->len));
	case SCRIPT_MADVISE: return exec_call(x, c, vm_madvise(vm, kp, c->addr, c->len, (int)c->value));
	case SCRIPT_FILE: return exec_file(x, c);
	case SCRIPT_WRITE: return exec_call(x, c, vm_write(vm, kp, c->addr, c->data, c->ndata));
	case SCRIPT_READ: return exec_read(x, c);
	case SCRIPT_TOUCH:
		return exec_call(x, c, vm_touch(vm, kp, c->addr, c->len, c->access, c->stride));
	case SCRIPT_EXPECT_PROC: return exec_expect_proc(x, c);
	case SCRIPT_EXPECT_PAGES: return exec_expect_pages(x, c);
	case SCRIPT_EXPECT_STAT: return exec_expect_stat(x, c);
	case SCRIPT_MAPS: return exec_call(x, c, vm_maps(vm, kp, x->env->out));
	case SCRIPT_STATS:
		if (x->env->stats)
			x->env->stats(vm, x->env->stats_arg);
		return VM_OK;
	case SCRIPT_PSTATS: return exec_pstats(x, c);
	case SCRIPT_CHECK: return exec_check(x, c, "at this line");
	case SCRIPT_EXEC: return exec_exec(x, c);
	case SCRIPT_ECHO:
		fprintf(x->env->out, "%s\n", (const char *)c->data);
		return VM_OK;
	default:
		return VM_OK;
	}
}

/* Command c with its $NAME+OFFSET made an address, in *tmp (c itself when
 * it names none); NULL with the error when $NAME has no value yet. */
static const script_cmd_t *exec_resolve(script_exec_t *x, const script_cmd_t *c,
					script_cmd_t *tmp, int *rc)
{
	if (!c->sym || c->op == SCRIPT_MALLOC)
		return c;
	const char *name = x->s->syms[c->sym - 1];
	uint64_t v = x->symval[c->sym - 1];
	if (!x->symset[c->sym - 1])
		*rc = exec_fail_cmd(x, c, VM_EINVAL, "$%s has no value yet (its malloc has not run)",
				    name);
	else if (v > UINT64_MAX - c->addr)
		*rc = exec_fail_cmd(x, c, VM_EINVAL, "$%s+%llu is past the end of the address space",
				    name, (unsigned long long)c->addr);
	else {
		*tmp = *c;
		tmp->addr = v + c->addr;
		return tmp;
	}
	return NULL;
}

/* The end of a script: every dirty file page written back, as a kernel's
 * writeback would before the machine goes away.  Done even after a failed
 * command (the first failure stays the one reported); a failure of its own
 * names the last line.  Returns rc, or the write-back's failure. */
static int exec_final_sync(script_exec_t *x, int rc)
{
	int src = vm_sync_all(x->vm);
	if (rc || !x->s->n)
		return rc;
	const script_cmd_t *last = &x->s->cmds[x->s->n - 1];
	if (src)
		return exec_fail(x, last, src, "end of script: %s",
				 vm_io_error(x->vm) ? vm_io_error(x->vm) : vm_strerror(src));
	return x->env->check ? exec_check(x, last, "after the end-of-script write-back") : VM_OK;
}

/* Step counts saturate: a repeat of repeats can ask for more than 2^64. */
static uint64_t steps_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t steps_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* The page references command c asks for (touch, read, write): one every
 * STRIDE bytes, or one per page the bytes span. */
static uint64_t exec_refs(const script_cmd_t *c, unsigned page_shift)
{
	uint64_t n = c->op == SCRIPT_WRITE ? c->ndata : c->len;
	if (c->op == SCRIPT_TOUCH) {
		uint64_t stride = c->stride ? c->stride : 1ull << page_shift;
		return n ? (n - 1) / stride + 1 : 0;
	}
	if ((c->op != SCRIPT_READ && c->op != SCRIPT_WRITE && c->op != SCRIPT_SYSCALL) || !n)
		return 0;
	if (c->addr + (n - 1) < c->addr) /* wraps: at most a reference a byte */
		return n;
	return ((c->addr + (n - 1)) >> page_shift) - (c->addr >> page_shift) + 1;
}

/* The steps of every command into cost[]: 1 for the command and 1 for each
 * page reference it asks for; a repeat's cost is its whole block, N passes
 * of (1 + the steps of the lines inside).  Known before anything runs, so a
 * command or block the limit cannot afford is refused before it starts. */
static void exec_costs(const script_t *s, unsigned page_shift, uint64_t *cost)
{
	uint64_t inner[SCRIPT_MAX_DEPTH + 1] = { 0 }; /* steps of each open block's lines */
	int depth = 0;
	for (size_t i = 0; i < s->n; i++) {
		const script_cmd_t *c = &s->cmds[i];
		cost[i] = 0;
		if (c->op == SCRIPT_SET)
			continue;
		if (c->op == SCRIPT_REPEAT) {
			inner[++depth] = 0;
			continue;
		}
		if (c->op == SCRIPT_END) {
			size_t r = c->jump;
			cost[r] = steps_mul(s->cmds[r].value, steps_add(1, inner[depth--]));
			inner[depth] = steps_add(inner[depth], cost[r]);
			continue;
		}
		cost[i] = steps_add(1, exec_refs(c, page_shift));
		inner[depth] = steps_add(inner[depth], cost[i]);
	}
}

/* --max-steps would be passed by command c (or its block): say so (exit 1). */
static int exec_limit(script_exec_t *x, const script_cmd_t *c, size_t i)
{
	uint64_t max = x->env->max_steps, need = x->cost[i];
	return exec_fail_cmd(x, c, VM_ELIMIT,
			 "--max-steps %llu reached: the script has run %llu steps and this %s needs %llu%s more (a step is a command run, a pass of a repeat, or a page reference of touch, read or write); raise --max-steps",
			 (unsigned long long)max, (unsigned long long)x->steps,
			 c->op == SCRIPT_REPEAT ? "repeat block" : "command", (unsigned long long)need,
			 need == UINT64_MAX ? " or" : "");
}

int script_run(vm_machine_t *vm, const script_t *s, const script_env_t *env, char *err,
	       size_t errlen)
{
	script_exec_t x = { .vm = vm, .s = s, .env = env, .err = err, .errlen = errlen,
			    .oom_kills = vm_sys_stats(vm)->oom_kills };
	uint64_t left[SCRIPT_MAX_DEPTH]; /* iterations left of each open repeat */
	uint64_t max = env->max_steps;
	int depth = 0, rc = VM_OK;
	x.seen = calloc(s->npids ? s->npids : 1, sizeof *x.seen);
	x.cost = malloc((s->n ? s->n : 1) * sizeof *x.cost);
	x.heaps = calloc(s->npids ? s->npids : 1, sizeof *x.heaps);
	x.symval = calloc(s->nsyms ? s->nsyms : 1, sizeof *x.symval);
	x.symset = calloc(s->nsyms ? s->nsyms : 1, 1);
	int th_rc = th_init(&x.th, s->npids);
	x.tasks = calloc(s->npids ? s->npids : 1, sizeof *x.tasks);
	if (!x.tasks)
		th_rc = VM_ENOMEM;
	if (!x.seen || !x.cost || !x.heaps || !x.symval || !x.symset || th_rc) {
		th_free(&x.th);
		free(x.tasks);
		free(x.seen);
		free(x.cost);
		free(x.heaps);
		free(x.symval);
		free(x.symset);
		snprintf(err, errlen, "%s: out of memory", s->name);
		return VM_ENOMEM;
	}
	unsigned shift = 0;
	while ((2u << shift) <= vm_config(vm)->page_size)
		shift++;
	exec_costs(s, shift, x.cost);
	for (size_t i = 0; i < s->n && !rc; i++) {
		const script_cmd_t *c = &s->cmds[i];
		if (c->op == SCRIPT_SET)
			continue;
		if (c->op == SCRIPT_END) {
			if (--left[depth - 1]) {
				i = c->jump;
				x.steps++; /* the next pass; its block's cost was allowed */
			} else {
				depth--;
			}
			continue;
		}
		if (max && x.cost[i] > max - x.steps) {
			rc = exec_limit(&x, c, i);
			break;
		}
		if (c->op == SCRIPT_REPEAT) {
			if (c->value == 0) {
				i = c->jump;
			} else {
				left[depth++] = c->value;
				x.steps++;
			}
			continue;
		}
		x.steps += x.cost[i];
		script_cmd_t tmp;
		const script_cmd_t *rcmd = exec_resolve(&x, c, &tmp, &rc);
		if (!rcmd)
			break;
		rc = exec_one(&x, rcmd);
		exec_notices(&x, c);
		if (!rc && env->check)
			rc = exec_check(&x, c, "after this command");
	}
	rc = exec_final_sync(&x, rc);
	fflush(env->out);
	for (size_t i = 0; i < s->npids; i++)
		um_drop(&x.heaps[i]);
	free(x.heaps);
	free(x.symval);
	free(x.symset);
	free(x.seen);
	free(x.cost);
	th_free(&x.th);
	for (size_t i = 0; i < s->npids; i++)
		tt_close(x.tasks[i]);
	free(x.tasks);
	vm_sched_destroy(x.sched);
	return rc;
}
