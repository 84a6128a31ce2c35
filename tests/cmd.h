/* cmd.h - running the built `vmlab` binary from a test, as a user would.
 * The binary is $VMLAB (make test sets it; default build/vmlab), run from
 * the repository root. */
#ifndef VMLAB_TEST_CMD_H
#define VMLAB_TEST_CMD_H

typedef struct cmd_out {
	char out[1 << 16];   /* stdout */
	char err[1 << 14];   /* stderr */
	int status;          /* exit status, -1 if killed by a signal */
} cmd_out_t;

/* The vmlab binary to run. */
const char *vmlab(void);

/* Run a shell command line (printf-style) and collect its stdout, stderr and
 * exit status into *r. */
void run(cmd_out_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The number after "key": in a JSON object; fails the test if absent. */
unsigned long long json_u(const char *out, const char *key);

#endif
