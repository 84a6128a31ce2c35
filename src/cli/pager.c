/* pager.c - `vmlab pager [OPTIONS] -- PROGRAM [ARGS...]`: an unmodified
 * program with its heap under libvmpager.  The options are checked here
 * (a pager is opened and closed with them, so its errors are the
 * library's own), then vmlab execs PROGRAM with libvmlab_pager.so in
 * LD_PRELOAD and the settings in VMLAB_PAGER_* (src/preload/preload.c).
 * PROGRAM's output and exit status are its own: vmlab is gone by then. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/num.h"
#include "vmlab_pager.h"

#if defined(__x86_64__)
#define PAGER_EM EM_X86_64   /* the machine the preload library is built for */
#elif defined(__aarch64__)
#define PAGER_EM EM_AARCH64
#else
#define PAGER_EM EM_NONE
#endif
#define PAGER_MIN_REGION ((uint64_t)64 << 20)   /* one mimalloc arena block */

static const char pager_usage[] =
	"usage: vmlab pager [--budget SIZE] [--policy P] [--swap-file F] [--stats FILE]\n"
	"                   [--region SIZE] [--tick N] -- PROGRAM [ARGS...]\n"
	"\n"
	"Run a dynamically linked PROGRAM with its heap in real demand-paged memory:\n"
	"an LD_PRELOAD library (libvmlab_pager.so) reserves a region of address space\n"
	"and gives it to mimalloc as its only arena, so malloc, calloc, realloc, free,\n"
	"posix_memalign and C++ new land in pages that libvmpager owns.  At most SIZE\n"
	"bytes of them are resident; the rest go to a swap file and come back on\n"
	"their next touch, the victims chosen by policy P.  At exit the pager's\n"
	"counters (JSON: page_faults, swap_outs, ...) go to FILE or stderr.  The\n"
	"program's output and exit status are its own; its children run without\n"
	"the pager.  Static executables cannot be run this way (no LD_PRELOAD).\n"
	"\n"
	"Options:\n"
	"  --budget SIZE     resident bytes (K, M, G suffixes; rounded up to pages);\n"
	"                    default 64M\n"
	"  --policy P        a policy that needs hardware bits only (vmlab policies);\n"
	"                    default clock\n"
	"  --swap-file F     the swap file (created if missing, kept); default a\n"
	"                    temporary file, removed\n"
	"  --stats FILE      where the counters go (default stderr)\n"
	"  --region SIZE     address space of the heap (default 64G, at least 64M)\n"
	"  --tick N          aging and nru: age or clear the emulated accessed bits\n"
	"                    every N faults (default: the budget in pages; 0: never)\n"
	"  --help            this text";

typedef struct pager_args {
	const char *budget, *policy, *swap, *stats, *region, *tick;
	int prog;                /* index of PROGRAM in argv */
} pager_args_t;

/* The value of option a at argv[*i] ("--x V" or "--x=V") in *out; 1 if a
 * is not this option, 0 if taken, an exit status if its value is missing. */
static int pager_opt(int argc, char **argv, int *i, const char *name, const char **out)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n))
		return 1;
	if (a[n] == '=') {
		*out = a + n + 1;
	} else if (a[n] == 0) {
		if (*i + 1 >= argc || !strcmp(argv[*i + 1], "--")) {
			fprintf(stderr, "vmlab pager: %s needs a value\n", name);
			return CLI_EXIT_USAGE;
		}
		*out = argv[++*i];
	} else {
		return 1;
	}
	if (!**out) {
		fprintf(stderr, "vmlab pager: %s needs a value\n", name);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* argv after "pager".  Returns -1 for --help, else an exit status. */
static int pager_parse(int argc, char **argv, pager_args_t *a)
{
	static const char *const names[] = { "--budget", "--policy", "--swap-file", "--stats", "--region",
					     "--tick" };
	const char **slots[] = { &a->budget, &a->policy, &a->swap, &a->stats, &a->region, &a->tick };
	int i = 1;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("%s\n", pager_usage);
			return -1;
		}
		if (argv[i][0] != '-')
			break;   /* PROGRAM without `--` */
		int rc = 1;
		for (size_t k = 0; k < sizeof names / sizeof names[0] && rc == 1; k++)
			rc = pager_opt(argc, argv, &i, names[k], slots[k]);
		if (rc == 1) {
			fprintf(stderr, "vmlab pager: unknown option '%s' (try vmlab pager --help)\n", argv[i]);
			return CLI_EXIT_USAGE;
		}
		if (rc)
			return rc;
	}
	if (i >= argc) {
		fprintf(stderr, "vmlab pager: needs -- PROGRAM [ARGS...]\n");
		return CLI_EXIT_USAGE;
	}
	a->prog = i;
	return CLI_EXIT_OK;
}

/* A size option's value in bytes; an exit status if it is not a size. */
static int pager_size(const char *opt, const char *s, uint64_t *out)
{
	int rc = num_parse_u64(s, out, 1);
	if (rc) {
		fprintf(stderr, "vmlab pager: %s %s: %s\n", opt, s,
			rc == VM_ERANGE ? "too large" : "not a size (a number, with K, M or G)");
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* Open and close a pager as the options say: its refusal (budget 0, an
 * unknown or refused policy, a swap file that cannot be made) is the
 * error, in the library's words. */
static int pager_check(const pager_args_t *a, uint64_t budget)
{
	char err[512] = "";
	vp_config_t c = { .budget = (size_t)budget, .policy = a->policy, .swap_file = a->swap,
			  .errbuf = err, .errlen = sizeof err };
	vp_pager_t *p;
	int rc = vp_open(&c, &p);
	if (rc) {
		fprintf(stderr, "vmlab pager: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	vp_close(p);
	return CLI_EXIT_OK;
}

/* PROGRAM as execvp would find it, in buf; false if it is nowhere. */
static bool pager_which(const char *prog, char *buf, size_t len)
{
	if (strchr(prog, '/'))
		return snprintf(buf, len, "%s", prog) < (int)len && access(buf, F_OK) == 0;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *s = path; *s;) {
		size_t n = strcspn(s, ":");
		if (snprintf(buf, len, "%.*s%s%s", (int)n, s, n ? "/" : "", prog) < (int)len &&
		    access(buf, X_OK) == 0)
			return true;
		s += n;
		if (*s == ':')
			s++;
	}
	return false;
}

/* Why path cannot take an LD_PRELOAD library, or NULL if it can (a 64-bit
 * ELF program with an interpreter, or a script). */
static const char *pager_unfit(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;   /* exec says why */
	Elf64_Ehdr eh;
	const char *why = NULL;
	ssize_t n = pread(fd, &eh, sizeof eh, 0);
	if (n < 4 || memcmp(eh.e_ident, ELFMAG, SELFMAG))
		goto out;      /* a script (its interpreter is run), or exec says why */
	if (n < (ssize_t)sizeof eh || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != PAGER_EM ||
	    eh.e_phentsize != sizeof(Elf64_Phdr)) {
		why = "not a 64-bit program of this machine: the pager's library cannot be loaded into it";
		goto out;
	}
	why = "a static executable: it loads no shared library, so its malloc cannot be "
	      "replaced (vmlab pager runs dynamically linked programs only)";
	for (unsigned k = 0; k < eh.e_phnum; k++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)k * sizeof ph)) != sizeof ph)
			break;
		if (ph.p_type == PT_INTERP) {
			why = NULL;
			break;
		}
	}
out:
	close(fd);
	return why;
}

/* libvmlab_pager.so: $VMLAB_PAGER_LIB, else beside the vmlab binary (the
 * build folder), else in ../lib (installed). */
static bool pager_lib(char *buf, size_t len)
{
	const char *env = getenv("VMLAB_PAGER_LIB");
	if (env && *env)
		return realpath(env, buf) != NULL;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	*slash = 0;
	static const char *const rel[] = { "/libvmlab_pager.so", "/../lib/libvmlab_pager.so" };
	char cand[PATH_MAX + 32];
	for (size_t k = 0; k < 2; k++) {
		snprintf(cand, sizeof cand, "%s%s", exe, rel[k]);
		if (realpath(cand, buf) && access(buf, R_OK) == 0)
			return true;
	}
	(void)len;
	return false;
}

/* The environment the preload library reads; an exit status. */
static int pager_env(const pager_args_t *a, const char *lib, uint64_t budget, uint64_t region)
{
	char num[32], *pre = NULL;
	const char *old = getenv("LD_PRELOAD");
	if (old && *old) {
		if (asprintf(&pre, "%s:%s", lib, old) < 0)
			return CLI_EXIT_FAIL;
	}
	int bad = setenv("LD_PRELOAD", pre ? pre : lib, 1);
	free(pre);
	bad |= setenv("VMLAB_PAGER_LIB", lib, 1);
	snprintf(num, sizeof num, "%llu", (unsigned long long)budget);
	bad |= setenv("VMLAB_PAGER_BUDGET", num, 1);
	snprintf(num, sizeof num, "%llu", (unsigned long long)region);
	bad |= setenv("VMLAB_PAGER_REGION", num, 1);
	bad |= setenv("VMLAB_PAGER_POLICY", a->policy ? a->policy : "clock", 1);
	bad |= a->swap ? setenv("VMLAB_PAGER_SWAP", a->swap, 1) : unsetenv("VMLAB_PAGER_SWAP");
	bad |= a->stats ? setenv("VMLAB_PAGER_STATS", a->stats, 1) : unsetenv("VMLAB_PAGER_STATS");
	bad |= a->tick ? setenv("VMLAB_PAGER_TICK", a->tick, 1) : unsetenv("VMLAB_PAGER_TICK");
	if (bad) {
		fprintf(stderr, "vmlab pager: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int cmd_pager(int argc, char **argv)
{
	pager_args_t a = { 0 };
	int st = pager_parse(argc, argv, &a);
	if (st)
		return st < 0 ? CLI_EXIT_OK : st;
	uint64_t budget = (uint64_t)64 << 20, region = (uint64_t)64 << 30;
	if ((a.budget && (st = pager_size("--budget", a.budget, &budget))) ||
	    (a.region && (st = pager_size("--region", a.region, &region))))
		return st;
	uint64_t tick;
	if (a.tick && num_parse_u64(a.tick, &tick, 0)) {
		fprintf(stderr, "vmlab pager: --tick %s: not a number of faults\n", a.tick);
		return CLI_EXIT_USAGE;
	}
	if (region < PAGER_MIN_REGION) {
		fprintf(stderr, "vmlab pager: --region %s: need at least 64M (one mimalloc arena block)\n",
			a.region);
		return CLI_EXIT_USAGE;
	}
	if (budget > SIZE_MAX) {
		fprintf(stderr, "vmlab pager: --budget %s: too large\n", a.budget);
		return CLI_EXIT_USAGE;
	}
	if ((st = pager_check(&a, budget)))
		return st;
	const char *prog = argv[a.prog];
	char path[PATH_MAX], lib[PATH_MAX];
	if (!pager_which(prog, path, sizeof path)) {
		fprintf(stderr, "vmlab pager: %s: no such program\n", prog);
		return 127;
	}
	const char *why = pager_unfit(path);
	if (why) {
		fprintf(stderr, "vmlab pager: %s: %s\n", prog, why);
		return CLI_EXIT_USAGE;
	}
	if (!pager_lib(lib, sizeof lib)) {
		fprintf(stderr, "vmlab pager: libvmlab_pager.so not found beside vmlab or in ../lib "
				"(set VMLAB_PAGER_LIB)\n");
		return CLI_EXIT_FAIL;
	}
	if ((st = pager_env(&a, lib, budget, region)))
		return st;
	fflush(NULL);
	execv(path, argv + a.prog);
	int e = errno;
	fprintf(stderr, "vmlab pager: %s: %s\n", prog, strerror(e));
	return e == ENOENT ? 127 : 126;
}
