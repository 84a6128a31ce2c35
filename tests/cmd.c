/* cmd.c - see cmd.h. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"

const char *vmlab(void)
{
	const char *v = getenv("VMLAB");
	return v ? v : "build/vmlab";
}

/* Run a shell command line and collect its stdout, stderr and exit status. */
void run(cmd_out_t *r, const char *fmt, ...)
{
	char line[4096], full[4600], errpath[] = "/tmp/vmlab-test-XXXXXX";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	int fd = mkstemp(errpath);
	cr_assert(fd >= 0);
	close(fd);
	snprintf(full, sizeof full, "%s 2>%s", line, errpath);
	FILE *p = popen(full, "r");
	cr_assert_not_null(p);
	size_t n = fread(r->out, 1, sizeof r->out - 1, p);
	r->out[n] = 0;
	int st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	FILE *e = fopen(errpath, "r");
	n = e ? fread(r->err, 1, sizeof r->err - 1, e) : 0;
	r->err[n] = 0;
	if (e)
		fclose(e);
	unlink(errpath);
}

/* A number from a JSON object by key. */
unsigned long long json_u(const char *out, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\": ", key);
	const char *p = strstr(out, pat);
	cr_assert_not_null(p, "no key %s in:\n%s", key, out);
	return strtoull(p + strlen(pat), NULL, 10);
}
