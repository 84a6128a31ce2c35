/* fuzz_script_parse.c - libFuzzer harness: any text as a scenario script,
 * through script_parse, with its paths resolved inside a fresh folder.
 *
 * A script that parses must hold what the executor relies on: repeat and
 * end paired through their jumps, set lines first, every path inside the
 * root, every process named listed once.  An error must be "NAME:LINE: ...".
 * The text stops at a NUL byte, as `vmlab script` refuses such a file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "script/path.h"
#include "script/script.h"

static char root[256];

/* Check what the executor assumes of a parsed script; abort on a breach. */
static void check_script(const script_t *s)
{
	int depth = 0, sets_done = 0;
	for (size_t i = 0; i < s->n; i++) {
		const script_cmd_t *c = &s->cmds[i];
		if (c->op == SCRIPT_SET ? sets_done : 0)
			abort();   /* a set after another command */
		if (c->op != SCRIPT_SET)
			sets_done = 1;
		if (c->op == SCRIPT_REPEAT) {
			if (++depth > SCRIPT_MAX_DEPTH || c->jump <= i || c->jump >= s->n ||
			    s->cmds[c->jump].op != SCRIPT_END || s->cmds[c->jump].jump != i)
				abort();
		} else if (c->op == SCRIPT_END) {
			if (--depth < 0 || c->jump >= i || s->cmds[c->jump].op != SCRIPT_REPEAT)
				abort();
		}
		if (c->path && !path_inside(root, c->path))
			abort();
		if (c->has_data && !c->data && c->ndata)
			abort();
	}
	if (depth)
		abort();
	for (size_t i = 0; i < s->npids; i++)
		for (size_t j = 0; j < i; j++)
			if (s->pids[i] == s->pids[j])
				abort();
}

static void remove_root(void)
{
	rmdir(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(root, sizeof root, "%s/vmlab-fuzz-parse-XXXXXX", t && strlen(t) < 200 ? t : "/tmp");
		if (!mkdtemp(root))
			abort();
		atexit(remove_root);
	}
	char *text = malloc(size + 1), err[1024];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	script_t s = { 0 };
	script_paths_t paths = { .root = root, .allow_any = 0 };
	int rc = script_parse(&s, "fuzz.vms", text, &paths, err, sizeof err);
	if (rc == 0)
		check_script(&s);
	else if (strncmp(err, "fuzz.vms:", 9) || s.n != 0)
		abort();   /* an error names FILE:LINE and leaves s empty */
	script_free(&s);
	free(text);
	return 0;
}
