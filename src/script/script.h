/* script.h - the scenario language of `vmlab script` (prefix script_).
 *
 * A script is parsed whole first (script_parse), so a malformed line at the
 * end never leaves half-run effects, then run on a machine built with
 * cfg.bytes = 1 (script_run).  The language is described in docs/script.md.
 *
 * Errors are "FILE:LINE: what" sentences:
 *   script_parse  VM_EINVAL malformed line, VM_EPERM path outside the
 *                 script's folder, VM_ENOENT path that cannot be resolved,
 *                 VM_ENOMEM host memory                  (the command: exit 2)
 *   script_run    a failed expectation, a process that is not alive, a
 *                 system call the kernel refused, VM_ELIMIT for a command
 *                 or repeat block past env.max_steps            (exit 1)
 * A process killed by SIGSEGV or the OOM killer is not an error: a line
 * says so and the script goes on. */
#ifndef VMLAB_SCRIPT_H
#define VMLAB_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab.h"
#include "vmlab_sys.h"

/* repeat blocks nest at most this deep */
#define SCRIPT_MAX_DEPTH 16

typedef enum script_op {
	SCRIPT_SET,        /* name, value (machine options, before the rest) */
	SCRIPT_SPAWN,      /* pid [path: the trace it runs, `spawn P trace TRACE`] */
	SCRIPT_MMAP,       /* pid addr len prot flags [path offset] kind */
	SCRIPT_MUNMAP,     /* pid addr len */
	SCRIPT_MPROTECT,   /* pid addr len prot */
	SCRIPT_BRK,        /* pid addr */
	SCRIPT_FORK,       /* pid -> pid2 */
	SCRIPT_EXIT,       /* pid */
	SCRIPT_FILE,       /* path len */
	SCRIPT_WRITE,      /* pid addr data */
	SCRIPT_READ,       /* pid addr len [data: expected] */
	SCRIPT_TOUCH,      /* pid addr len access stride */
	SCRIPT_MSYNC,      /* pid addr len */
	SCRIPT_EXPECT_PROC,/* pid state */
	SCRIPT_EXPECT_PAGES,/* pid (access: 'r' resident, 's' swapped, 'n' minflt,
	                       'j' majflt, 'h' hwm) value */
	SCRIPT_EXPECT_STAT,/* name value */
	SCRIPT_MAPS,       /* pid */
	SCRIPT_STATS,
	SCRIPT_CHECK,      /* the invariant checker, now */
	SCRIPT_ECHO,       /* data: the text */
	SCRIPT_REPEAT,     /* value: count; jump: index of its end */
	SCRIPT_END,        /* jump: index of its repeat */
	SCRIPT_EXEC,       /* pid prog; data: ARGS, value of them, NUL-separated (loader.h) */
	SCRIPT_MALLOC,     /* pid len [sym: the NAME it defines] (umalloc.h) */
	SCRIPT_FREE,       /* pid addr */
	SCRIPT_NUMA,       /* pid value: its home node */
	SCRIPT_THREAD,     /* pid -> pid2: a thread sharing pid's address space */
	SCRIPT_RUN,        /* value: ns to run for, 0: until every trace process is done */
	SCRIPT_PSTATS,     /* pid: its accounting (stats P) */
	SCRIPT_SYSCALL,    /* pid [addr len: kernel memory it touches; len 0: none] */
	SCRIPT_MADVISE,    /* pid addr len value: VM_MADV_* */
} script_op_t;

/* One command, with everything it needs already parsed. */
typedef struct script_cmd {
	script_op_t op;
	unsigned line;
	char *text;                /* the line as written, trimmed */
	uint32_t pid, pid2;
	size_t pidx, pidx2;        /* indices of pid, pid2 in script_t.pids; SIZE_MAX: none */
	uint64_t addr, len, offset, stride, value;
	unsigned prot, flags;
	int access;                /* touch: 'R' 'W' 'X' */
	vm_proc_state_t state;     /* expect P STATE */
	vm_region_kind_t kind;
	char *path;                /* resolved host path, or NULL (anonymous) */
	unsigned char *data;       /* write, read expect, echo */
	size_t ndata;
	int has_data;
	char *name, *setval;       /* set NAME VALUE, expect stat NAME */
	size_t jump;
	struct load_prog *prog;    /* exec: the program, read at parse time */
	size_t sym;                /* 1 + index in script_t.syms: ADDR is $NAME+addr (malloc:
	                              the NAME it defines); 0: none */
} script_cmd_t;

typedef struct script {
	char *name;                /* as given, for FILE:LINE */
	script_cmd_t *cmds;
	size_t n, cap;
	uint32_t *pids;            /* every process number named, first mention first */
	size_t npids;
	struct script_name {       /* processes named by a word (spawn parent) */
		char *name;
		uint32_t pid;      /* the number it stands for, from SCRIPT_NAMED_PID up */
	} *names;
	size_t nnames;
	char **syms;               /* $NAMEs defined by malloc lines, first definition first */
	size_t nsyms;
} script_t;

/* Numbers given to named processes start here (numbers given in the script
 * are kept clear of them). */
#define SCRIPT_NAMED_PID 0xf0000000u
#define SCRIPT_MAX_NAMES 4096

/* How messages call process pid: its name in the script, or its number
 * written into buf (16 bytes). */
const char *script_pid_label(const script_t *s, uint32_t pid, char *buf);

/* Where paths of the script are taken from (path.h). */
typedef struct script_paths {
	const char *root;
	int allow_any;
	const char *const *allow_read; /* folders exec may read from (--allow-read) */
	size_t nallow_read;
} script_paths_t;

/* Parse the whole text of a script called name.  On error s is left empty
 * (script_free is still safe) and err holds "name:LINE: what". */
int script_parse(script_t *s, const char *name, const char *text, const script_paths_t *paths,
		 char *err, size_t errlen);
void script_free(script_t *s);

/* What a run writes where. */
typedef struct script_env {
	FILE *out;                 /* what the script prints (mmap 0, read, maps) */
	int check;                 /* vm_check after every command */
	/* The `stats` command: print the counters now; arg is stats_arg. */
	void (*stats)(vm_machine_t *vm, void *arg);
	void *stats_arg;
	uint64_t swap_bytes;       /* for `expect stat swap_bytes` */
	uint64_t max_steps;        /* commands, repeat passes and references allowed; 0: unlimited */
	uint64_t *notice_scans;    /* if set, counts the looks at every process (after OOM kills) */
	uint64_t stack_limit;      /* exec: bytes a stack may grow to (--stack-limit); 0: 8 MiB */
	uint64_t quantum_ns;       /* run: the scheduler's quantum (--quantum); 0: 1 ms */
} script_env_t;

/* Run the commands of s (set lines are skipped: the caller applied them).
 * Returns 0 when every command did what it should, or a negative vm_err_t
 * with "FILE:LINE: what was expected and what was found" in err. */
int script_run(vm_machine_t *vm, const script_t *s, const script_env_t *env, char *err,
	       size_t errlen);

/* The value of summary counter name (a key of the JSON summary) now.
 * Returns 0, or VM_ENOENT for an unknown name (vm may be NULL to only ask
 * whether the name is known). */
int script_stat(vm_machine_t *vm, const script_env_t *env, const char *name, uint64_t *out);

/* Every counter name script_stat knows, space separated, into buf (cut
 * short at a name that does not fit).  Returns the length written. */
size_t script_stat_names(char *buf, size_t len);


#endif
