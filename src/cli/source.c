/* source.c - the input of the trace commands: a trace file, or a program
 * recorded on the fly under Valgrind lackey, its log on a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util/vmerr.h"

/* While a recorded program runs, ^C and ^\ are its to handle (as system(3)
 * does): vmlab reads on to the end of the trace and ends after it. */
static struct sigaction saved_int, saved_quit;

/* Start `valgrind --tool=lackey --trace-mem=yes --log-fd=N argv...` with N
 * the write end of a pipe; *rfd gets the read end.  Returns the child's
 * pid, or -1 after printing why. */
static pid_t spawn_lackey(const char *cmd, const char *const *argv, int *rfd)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "vmlab %s: pipe: %s\n", cmd, strerror(errno));
		return -1;
	}
	/* the child's end, not close-on-exec so valgrind inherits it */
	int wfd = fcntl(fds[1], F_DUPFD, 3);
	if (wfd < 0) {
		fprintf(stderr, "vmlab %s: %s\n", cmd, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	int n = 0;
	while (argv[n])
		n++;
	char logfd[32];
	snprintf(logfd, sizeof logfd, "--log-fd=%d", wfd);
	const char **vargv = calloc((size_t)n + 6, sizeof *vargv);
	if (!vargv) {
		fprintf(stderr, "vmlab %s: out of memory\n", cmd);
		close(fds[0]);
		close(wfd);
		return -1;
	}
	int k = 0;
	vargv[k++] = "valgrind";
	vargv[k++] = "--tool=lackey";
	vargv[k++] = "--trace-mem=yes";
	vargv[k++] = "-q";
	vargv[k++] = logfd;
	for (int i = 0; i < n; i++)
		vargv[k++] = argv[i];
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		execvp("valgrind", (char *const *)vargv);
		fprintf(stderr, "vmlab %s: cannot run valgrind: %s (Debian: apt-get install valgrind)\n",
			cmd, strerror(errno));
		_exit(127);
	}
	int e = errno;
	free(vargv);
	close(wfd);
	if (pid < 0) {
		fprintf(stderr, "vmlab %s: fork: %s\n", cmd, strerror(e));
		close(fds[0]);
		return -1;
	}
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(SIGINT, &ign, &saved_int);
	sigaction(SIGQUIT, &ign, &saved_quit);
	*rfd = fds[0];
	return pid;
}

int cli_trace_open(cli_trace_t *t, const char *cmd, const cli_opts_t *o,
		   const trace_opts_t *topts)
{
	char err[512];
	*t = (cli_trace_t){ .cmd = cmd };
	if (o->dashdash >= 0) {
		if (o->dashdash > 0) {
			fprintf(stderr, "vmlab %s: a trace ('%s') or `-- PROGRAM`, not both\n", cmd,
				o->args[0]);
			return CLI_EXIT_USAGE;
		}
		if (o->nargs == 0) {
			fprintf(stderr, "vmlab %s: `--` needs a PROGRAM to record\n", cmd);
			return CLI_EXIT_USAGE;
		}
		int fd;
		pid_t pid = spawn_lackey(cmd, o->args, &fd);
		if (pid < 0)
			return CLI_EXIT_FAIL;
		t->pid = (int)pid;
		t->name = o->args[0];
		trace_opts_t lk = *topts;
		lk.format = TRACE_FMT_LACKEY;
		int rc = trace_open_fd(&t->tr, fd, t->name, &lk, err, sizeof err);
		if (rc) {
			fprintf(stderr, "vmlab %s: %s\n", cmd, err);
			cli_trace_close(t);
			return CLI_EXIT_FAIL;
		}
		return CLI_EXIT_OK;
	}
	if (o->nargs > 1) {
		fprintf(stderr, "vmlab %s: one trace at a time ('%s' is extra)\n", cmd, o->args[1]);
		return CLI_EXIT_USAGE;
	}
	if (o->nargs == 0 && isatty(STDIN_FILENO)) {
		/* nothing is piped in: waiting on the terminal would look like a hang */
		fprintf(stderr, "%s\n\nvmlab %s: no TRACE given and stdin is a terminal; give a trace file, "
			"`-` to type one, or `-- PROGRAM` (vmlab %s --help for the options)\n",
			o->usage ? o->usage : "", cmd, cmd);
		return CLI_EXIT_USAGE;
	}
	int rc = trace_open(&t->tr, o->nargs ? o->args[0] : NULL, topts, err, sizeof err);
	if (rc) {
		fprintf(stderr, "vmlab %s: %s\n", cmd, err);
		return CLI_EXIT_USAGE;
	}
	t->name = trace_name(t->tr);
	return CLI_EXIT_OK;
}

int cli_trace_close(cli_trace_t *t)
{
	if (t->tr && trace_empty(t->tr))
		fprintf(stderr, "vmlab %s: %s: the trace is empty: no references\n", t->cmd ? t->cmd : "",
			t->name ? t->name : "<stdin>");
	if (t->tr)
		trace_close(t->tr);   /* first: a writer blocked on the pipe gets EPIPE */
	t->tr = NULL;
	if (t->pid <= 0)
		return 0;
	int st;
	pid_t r;
	do
		r = waitpid((pid_t)t->pid, &st, 0);
	while (r < 0 && errno == EINTR);
	t->pid = 0;
	sigaction(SIGINT, &saved_int, NULL);
	sigaction(SIGQUIT, &saved_quit, NULL);
	if (r < 0)
		return CLI_EXIT_FAIL;
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : CLI_EXIT_FAIL;
}

int cli_trace_finish(cli_trace_t *t, const char *cmd, uint64_t references, int status)
{
	if (t->pid <= 0)
		return status;   /* a file stays open, t->name valid, for cli_trace_close */
	/* the program's own failure is not the command's, unless nothing was
	 * recorded (valgrind missing, no such program) */
	const char *prog = t->name;
	int st = cli_trace_close(t);
	if (st && status == CLI_EXIT_OK && references == 0) {
		fprintf(stderr, "vmlab %s: %s: nothing recorded (exit status %d)\n", cmd, prog, st);
		return CLI_EXIT_FAIL;
	}
	if (st && status == CLI_EXIT_OK)
		fprintf(stderr, "vmlab %s: note: %s exited with status %d\n", cmd, prog, st);
	return status;
}
