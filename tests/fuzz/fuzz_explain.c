/* fuzz_explain.c - libFuzzer harness: `vmlab explain` as a user runs it, its
 * options, its state file and every translation (src/cli/explain.c, linked
 * in with the rest of the command line but main.c).
 *
 * Input: line 1 the options (words), line 2 the virtual addresses (words),
 * the rest the state file, given as --state.  At most MAX_WORDS words a line;
 * words naming a path ('/') are dropped, on both lines (options may follow
 * the addresses), so that the command reads no file but the state (a
 * --state /dev/stdin would wait for input), and so are --html words, so that
 * it writes none either (an `--html -ss` among the addresses once wrote
 * files into the current folder).
 * What explain prints is thrown away (run with -close_fd_mask=3).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/cli.h"

#define MAX_WORDS 16

static int memfd = -1;
static char state_path[64];

/* Split the line [*p, end) into words (copied into buf, NUL ended) added to
 * argv from *argc; *p moves past the line's '\n'. */
static void split_line(const char **p, const char *end, char **buf, char **argv, int *argc,
		       int max, int no_paths)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	int n = 0;
	while (s < e && n < max) {
		while (s < e && (*s == ' ' || *s == '\t' || *s == '\0'))
			s++;
		const char *w = s;
		while (s < e && *s != ' ' && *s != '\t' && *s != '\0')
			s++;
		if (s == w || (no_paths && (memchr(w, '/', (size_t)(s - w)) ||
					    (s - w >= 6 && !memcmp(w, "--html", 6)))))
			continue;
		memcpy(*buf, w, (size_t)(s - w));
		(*buf)[s - w] = 0;
		argv[(*argc)++] = *buf;
		*buf += s - w + 1;
		n++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz-explain-state", 0);
		if (memfd < 0)
			abort();
		snprintf(state_path, sizeof state_path, "/proc/self/fd/%d", memfd);
	}
	const char *p = (const char *)data, *end = p + size;
	char *words = malloc(size + 2 * MAX_WORDS + 1), *w = words;
	char *argv[2 * MAX_WORDS + 6];
	int argc = 0;
	if (!words)
		return 0;
	argv[argc++] = "explain";
	split_line(&p, end, &w, argv, &argc, MAX_WORDS, 1);
	argv[argc++] = "--state";
	argv[argc++] = state_path;
	split_line(&p, end, &w, argv, &argc, MAX_WORDS, 1);
	/* last, so that it wins over any the input gives: a wide, shallow
	 * geometry's tables are within the budget, not the fuzzer's 2 GB */
	argv[argc++] = "--max-memory";
	argv[argc++] = "256M";
	argv[argc] = NULL;
	size_t left = (size_t)(end - p);
	if (ftruncate(memfd, 0) || (left && pwrite(memfd, p, left, 0) != (ssize_t)left))
		abort();
	int status = cmd_explain(argc, argv);
	if (status != CLI_EXIT_OK && status != CLI_EXIT_FAIL && status != CLI_EXIT_USAGE)
		abort();
	fflush(stdout);
	clearerr(stdout);
	free(words);
	return 0;
}
