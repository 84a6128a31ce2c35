/* test_class_docs.c - docs/script.md's examples run as written: the shell
 * lines of its first block (with the exit status its comments promise), the
 * example script that follows it, and the message its Limits section shows.
 * Catches a doc edited away from the program, or the program from the doc. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static char doc[1 << 17];

/* docs/script.md into doc. */
static void read_doc(void)
{
	FILE *f = fopen("docs/script.md", "r");
	cr_assert_not_null(f);
	size_t n = fread(doc, 1, sizeof doc - 1, f);
	doc[n] = 0;
	fclose(f);
}

/* The text of the fenced block that opens with the line fence (e.g.
 * "```sh") and whose text starts with start, without its fences (static). */
static const char *block(const char *fence, const char *start)
{
	static char body[8192];
	char open[128];
	snprintf(open, sizeof open, "\n%s\n%s", fence, start);
	const char *p = strstr(doc, open);
	cr_assert_not_null(p, "no block %s starting '%s'", fence, start);
	p += strlen(fence) + 2;
	const char *end = strstr(p, "```\n");
	cr_assert_not_null(end);
	snprintf(body, sizeof body, "%.*s", (int)(end - p), p);
	return body;
}

/* Each line of the first ```sh block: the status its comment names
 * (`exit 1`), else 0. */
Test(class_docs, script_md_shell_lines_run_as_written)
{
	read_doc();
	char lines[8192];
	snprintf(lines, sizeof lines, "%s", block("```sh", "build/vmlab script examples/cow-fork.vms"));
	int ran = 0;
	for (char *save = NULL, *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		cr_assert_eq(strncmp(l, "build/vmlab ", 12), 0, "%s", l);
		char *hash = strstr(l, "  #");
		int want = hash && strstr(hash, "exit 1") ? 1 : 0;
		if (hash)
			*hash = 0;
		cmd_out_t r;
		run(&r, "%s %s", vmlab(), l + 12);
		cr_assert_eq(r.status, want, "%s: %d, %s", l, r.status, r.err);
		ran++;
	}
	cr_assert_eq(ran, 3);
}

/* The example script (the block after the shell lines) holds: exit 0, names kept. */
Test(class_docs, script_md_example_script_holds)
{
	read_doc();
	const char *script = block("```", "# a process writes to a private page");
	cr_assert(strstr(script, "fork parent child"), "%s", script);
	char path[] = "/tmp/vmlab-docs-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	fputs(script, f);
	fclose(f);
	cmd_out_t r;
	run(&r, "%s script --json %s", vmlab(), path);
	remove(path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(json_u(r.out, "cow_copies"), 1);
}

/* The Limits section's script and the message it shows, word for word. */
Test(class_docs, script_md_limits_message)
{
	read_doc();
	const char *want = strstr(doc, "\nt.vms:4: repeat 1000000:");
	cr_assert_not_null(want);
	want++;
	char msg[1024];
	snprintf(msg, sizeof msg, "%.*s", (int)strcspn(want, "\n") + 1, want);
	cmd_out_t r;
	run(&r, "(d=$(mktemp -d) && cd $d && printf 'spawn 1\\nmmap 1 0x400000 16K rw private\\n"
		"touch 1 0x400000 16K w\\nrepeat 1000000\\nrepeat 1000000\\nend\\nend\\n' > t.vms && "
		"%s%s script t.vms; s=$?; rm -r $d; exit $s)",
	    vmlab()[0] == '/' ? "" : "$OLDPWD/", vmlab());
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_str_eq(r.err, msg);
}
