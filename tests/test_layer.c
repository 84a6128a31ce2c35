/* test_layer.c - tests/layers.sh, the check behind `make layers`, on small
 * made-up kernels: it must fail on a circle, on a call or an include that
 * goes up, and on a file no layer names, and pass a kernel whose calls all
 * go down.  (The real kernel is checked by `make test` itself.) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

/* A made-up tree in a temporary folder: src/kern/layers with `layers`, and
 * for each file "name:body" a src/kern/name.c, compiled into
 * build/src/kern/name.o; a body may include "kern/x.h" (an empty header
 * made for it).  Returns the folder (static). */
static const char *tree(const char *layers, const char *const *files, size_t n)
{
	static char dir[256];
	snprintf(dir, sizeof dir, "%s/vmlab-layers-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	cmd_out_t r;
	run(&r, "mkdir -p %s/src/kern %s/build/src/kern && printf '%%s\\n' '%s' > %s/src/kern/layers",
	    dir, dir, layers, dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (size_t i = 0; i < n; i++) { /* every header first: any body may include it */
		const char *colon = strchr(files[i], ':');
		int len = (int)(colon - files[i]);
		run(&r, "cd %s && printf '%%s\\n' '%s' > src/kern/%.*s.c && touch src/kern/%.*s.h",
		    dir, colon + 1, len, files[i], len, files[i]);
		cr_assert_eq(r.status, 0, "%s: %s", files[i], r.err);
	}
	for (size_t i = 0; i < n; i++) {
		int len = (int)(strchr(files[i], ':') - files[i]);
		run(&r, "cd %s && cc -c -Isrc -o build/src/kern/%.*s.o src/kern/%.*s.c", dir, len,
		    files[i], len, files[i]);
		cr_assert_eq(r.status, 0, "%s: %s", files[i], r.err);
	}
	return dir;
}

/* Run the check in dir into *r, and remove the tree. */
static void check(cmd_out_t *r, const char *dir)
{
	char here[4096];
	cr_assert_not_null(getcwd(here, sizeof here));
	run(r, "cd %s && sh %s/tests/layers.sh build", dir, here);
	cmd_out_t rm;
	run(&rm, "rm -rf %s", dir);
}

Test(layers, calls_going_down_pass)
{
	const char *files[] = { "a:int a(void) { return 1; }",
				"b:int a(void); int b(void) { return a(); }",
				"c:#include \"kern/b.h\"\nint a(void), b(void); int c(void) { return a() + b(); }" };
	cmd_out_t r;
	check(&r, tree("0 low a.c a.h\n1 mid b.c b.h\n2 top c.c c.h", files, 3));
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "layers: 6 files in 3 layers, 3 file-to-file calls, all downward, no circle\n");
}

Test(layers, a_circle_in_one_layer_fails)
{
	const char *files[] = { "a:int b(void); int a(void) { return b(); }",
				"b:int a(void); int b(void) { return a(); }" };
	cmd_out_t r;
	check(&r, tree("0 low a.c a.h b.c b.h", files, 2));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert(strstr(r.out, "layers: the calls among the files of src/kern go round in a circle:"), "%s", r.out);
	cr_assert(strstr(r.out, "a.c") && strstr(r.out, "b.c"), "%s", r.out);
}

Test(layers, a_call_up_fails)
{
	const char *files[] = { "a:int b(void); int a(void) { return b(); }",
				"b:int b(void) { return 2; }" };
	cmd_out_t r;
	check(&r, tree("0 low a.c a.h\n1 high b.c b.h", files, 2));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "layers: src/kern/a.c (layer 0) calls b of src/kern/b.c (layer 1) above it\n");
}

Test(layers, an_include_up_fails)
{
	const char *files[] = { "a:#include \"kern/b.h\"\nint a(void) { return 1; }",
				"b:int b(void) { return 2; }" };
	cmd_out_t r;
	check(&r, tree("0 low a.c a.h\n1 high b.c b.h", files, 2));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "layers: src/kern/a.c (layer 0) includes b.h of layer 1 above it\n");
}

Test(layers, a_file_in_no_layer_fails)
{
	const char *files[] = { "a:int a(void) { return 1; }", "b:int b(void) { return 2; }" };
	cmd_out_t r;
	check(&r, tree("0 low a.c a.h b.h", files, 2));
	cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
	cr_assert_str_eq(r.out, "layers: src/kern/b.c is in 0 layers of src/kern/layers (must be 1)\n");
}
