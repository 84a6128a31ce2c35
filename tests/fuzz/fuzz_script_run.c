/* fuzz_script_run.c - libFuzzer harness: any text as a scenario script, run
 * by `vmlab script` (src/cli/script_cmd.c, linked in with the rest of the
 * command line but main.c) in a fresh folder of its own.
 *
 * Each input is written to RUN/s.vms, RUN a new folder made by mkdtemp in a
 * parent folder made once, next to copies of the data files the examples
 * map (data.bin, script-readahead.bin), and run as
 *   vmlab script --check --max-memory 64M --max-steps 100000 RUN/s.vms
 * Nothing is skipped: `set frames`, `set page-size`, `set swap`, large
 * repeats and touches all run, bounded by the budgets (steps and host
 * memory) as a user's script is.  Then, with the script's machine still
 * there (script_run is wrapped with ld's --wrap), abort if
 *   - the invariant checker fails, after every command (--check) or at the
 *     end, after an error too (a failed call must leave no broken state);
 *   - a live process has an inverted or empty region (its `maps`);
 * and after the run, if anything but RUN appeared in the parent folder or
 * in the current one: the path sandbox let a script write outside its root.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "script/script.h"
#include "vmlab_sys.h"

#define MAX_STEPS "100000"
#define MAX_MEMORY "64M"

static char parent[256];
static char *cwd_names;   /* the current folder's entries before any run */

/* The data files the example scripts map, read once from the tree. */
static struct { const char *from, *name; char *data; size_t len; } seeds[] = {
	{ "examples/data.bin", "data.bin", NULL, 0 },
	{ "tests/data/script-readahead.bin", "script-readahead.bin", NULL, 0 },
};

/* The entries of folder dir, sorted, one a line, in malloc'd memory. */
static char *listing(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		abort();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	for (int i = 0; i < n; i++) {
		if (f && strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			fprintf(f, "%s\n", ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	if (!f || fclose(f))
		abort();
	return buf;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len) || close(fd))
		abort();
}

static void remove_parent(void)
{
	rmdir(parent);
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(parent, sizeof parent, "%s/vmlab-fuzz-run-XXXXXX", t && strlen(t) < 200 ? t : "/tmp");
	if (!mkdtemp(parent))
		abort();
	atexit(remove_parent);
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		FILE *f = fopen(seeds[i].from, "rb");
		if (!f)
			continue;   /* run from elsewhere than the tree: no data files */
		seeds[i].data = malloc(1 << 20);
		seeds[i].len = seeds[i].data ? fread(seeds[i].data, 1, 1 << 20, f) : 0;
		fclose(f);
	}
	cwd_names = listing(".");
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Abort unless every region of every process the script named is
 * start < end (`maps` prints START-END ...). */
static void check_regions(vm_machine_t *vm, const script_t *s)
{
	for (size_t i = 0; i < s->npids; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			abort();
		int rc = vm_maps(vm, s->pids[i], f);
		fclose(f);
		char *save = NULL;
		for (char *line = buf ? strtok_r(buf, "\n", &save) : NULL; rc == 0 && line;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned long long a, b;
			if (sscanf(line, "%llx-%llx", &a, &b) == 2 && a >= b) {
				fprintf(stderr, "P %u: inverted region: %.80s\n", s->pids[i], line);
				abort();
			}
		}
		free(buf);
	}
}

int __real_script_run(vm_machine_t *vm, const script_t *s, const script_env_t *env, char *err,
		      size_t errlen);

/* script_run as `vmlab script` calls it, with the step budget set (until
 * the command line passes --max-steps on) and the machine checked after. */
int __wrap_script_run(vm_machine_t *vm, const script_t *s, const script_env_t *env, char *err,
		      size_t errlen)
{
	script_env_t e = *env;
	if (!e.max_steps)
		e.max_steps = strtoull(MAX_STEPS, NULL, 10);
	int rc = __real_script_run(vm, s, &e, err, errlen);
	if (rc && strstr(err, "invariant broken")) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	char msg[512];
	if (vm_check(vm, msg, sizeof msg)) {
		fprintf(stderr, "invariant broken at the end (%s): %s\n", rc ? err : "no error", msg);
		abort();
	}
	check_regions(vm, s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!parent[0])
		setup();
	char run[300], path[320];
	snprintf(run, sizeof run, "%s/run-XXXXXX", parent);
	if (!mkdtemp(run))
		abort();
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
		if (seeds[i].data)
			write_file(run, seeds[i].name, seeds[i].data, seeds[i].len);
	write_file(run, "s.vms", data, size);
	snprintf(path, sizeof path, "%s/s.vms", run);

	char *argv[] = { "script", "--check", "--max-memory", MAX_MEMORY, "--max-steps", MAX_STEPS,
			 path, NULL };
	int status = cmd_script((int)(sizeof argv / sizeof argv[0]) - 1, argv);
	if (status != CLI_EXIT_OK && status != CLI_EXIT_FAIL && status != CLI_EXIT_USAGE)
		abort();
	fflush(stdout);
	clearerr(stdout);

	/* nothing but RUN in the parent, nothing new here */
	char *names = listing(parent), want[300];
	snprintf(want, sizeof want, "%s\n", strrchr(run, '/') + 1);
	if (strcmp(names, want)) {
		fprintf(stderr, "outside its folder %s:\n%s", run, names);
		abort();
	}
	free(names);
	names = listing(".");
	if (strcmp(names, cwd_names)) {
		fprintf(stderr, "the current folder changed:\n%s", names);
		abort();
	}
	free(names);
	if (nftw(run, rm_one, 8, FTW_DEPTH | FTW_PHYS))
		abort();
	return 0;
}
