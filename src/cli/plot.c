/* plot.c - see plot.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot.h"
#include "util/vmerr.h"

static const char plot_no_gnuplot[] = "gnuplot not found: install gnuplot-nox (the Makefile does)";

/* The gnuplot terminal for file's extension, or NULL. */
static const char *plot_terminal(const char *file)
{
	const char *slash = strrchr(file, '/'), *dot = strrchr(file, '.');
	if (!dot || (slash && dot < slash))
		return NULL;
	if (!strcasecmp(dot, ".png"))
		return "pngcairo size 800,500 noenhanced font 'sans,10'";
	if (!strcasecmp(dot, ".svg"))
		return "svg size 800,500 noenhanced font 'sans,10'";
	return NULL;
}

/* The path of gnuplot on $PATH into buf, or 0 when there is none. */
static int plot_find_gnuplot(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n && (size_t)snprintf(buf, len, "%.*s/gnuplot", (int)n, path) < len &&
		    access(buf, X_OK) == 0)
			return 1;
		path += n + (path[n] == ':');
	}
	return 0;
}

int plot_check(const char *file, char *err, size_t errlen)
{
	char gp[4096];
	if (!plot_terminal(file)) {
		snprintf(err, errlen, "%s: a plot is .png or .svg", file);
		return VM_EINVAL;
	}
	if (!plot_find_gnuplot(gp, sizeof gp)) {
		snprintf(err, errlen, "%s", plot_no_gnuplot);
		return VM_ENOENT;
	}
	return VM_OK;
}

/* s as a gnuplot single-quoted string ('' is a quote; no new lines). */
static void plot_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputs("''", f);
		else
			fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
	fputc('\'', f);
}

/* The script: settings, one datablock per series, the plot command. */
static void plot_script(FILE *f, const char *terminal, const char *out, const plot_t *p)
{
	fprintf(f, "set encoding utf8\nset terminal %s\nset output ", terminal);
	plot_quote(f, out);
	fprintf(f, "\nset title ");
	plot_quote(f, p->title);
	fprintf(f, "\nset xlabel ");
	plot_quote(f, p->xlabel);
	fprintf(f, "\nset ylabel ");
	plot_quote(f, p->ylabel);
	/* One line: its key inside; several: outside, clear of the data. */
	fprintf(f, "\nset grid\nset yrange [0:*]\n%s\n",
		p->nseries > 1 ? "set key outside right top" : "set key left top\nset rmargin 6");
	if (p->logx)
		fprintf(f, "set logscale x\nset format x '%%.0s%%c'\n");
	for (size_t s = 0; s < p->nseries; s++) {
		fprintf(f, "$d%zu << EOD\n", s);
		for (size_t i = 0; i < p->series[s].n; i++)
			fprintf(f, "%.17g %.17g\n", p->series[s].x[i], p->series[s].y[i]);
		fprintf(f, "EOD\n");
	}
	if (p->mark) {
		fprintf(f, "set label 1 ");
		plot_quote(f, p->mark->label);
		fprintf(f, " at %.17g,%.17g point pointtype 7 pointsize 1.5 offset 1,-1\n",
			p->mark->x, p->mark->y);
	}
	fprintf(f, "plot ");
	for (size_t s = 0; s < p->nseries; s++) {
		/* Points mark each datum until they would crowd into a line. */
		fprintf(f, "%s$d%zu using 1:2 with %s title ", s ? ", " : "", s,
			p->series[s].n > 60 ? "lines" : "linespoints pointtype 7 pointsize 0.6");
		plot_quote(f, p->series[s].name);
	}
	fprintf(f, "\nset output\n");
}

/* Data gnuplot cannot draw: no point at all, or x <= 0 on a log axis. */
static int plot_validate(const plot_t *p, char *err, size_t errlen)
{
	size_t points = 0;
	for (size_t s = 0; s < p->nseries; s++) {
		points += p->series[s].n;
		for (size_t i = 0; p->logx && i < p->series[s].n; i++)
			if (!(p->series[s].x[i] > 0)) {
				snprintf(err, errlen, "x = %g cannot go on a log scale", p->series[s].x[i]);
				return VM_EINVAL;
			}
	}
	if (points == 0) {
		snprintf(err, errlen, "nothing to plot (no data points)");
		return VM_EINVAL;
	}
	return VM_OK;
}

/* Run gnuplot on the script for p, drawing into out; 0 when it exited 0. */
static int plot_run(const char *gp, const char *terminal, const char *out, const plot_t *p,
		    char *err, size_t errlen)
{
	int fd[2];
	if (pipe(fd)) {
		snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
		return VM_EIO;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
		return VM_EIO;
	}
	if (pid == 0) {
		/* gnuplot writes the picture to stdout when it cannot open the
		 * output: that must never reach ours. */
		int null = open("/dev/null", O_WRONLY);
		dup2(fd[0], 0);
		if (null >= 0)
			dup2(null, 1);
		close(fd[0]);
		close(fd[1]);
		execl(gp, "gnuplot", (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	/* gnuplot stops reading at its first error: a write then must not kill us. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	FILE *f = fdopen(fd[1], "w");
	if (f) {
		plot_script(f, terminal, out, p);
		fclose(f);
	} else {
		close(fd[1]);
	}
	sigaction(SIGPIPE, &old, NULL);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for gnuplot: %s", strerror(errno));
			return VM_EIO;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (WIFEXITED(st))
			snprintf(err, errlen, "gnuplot failed (exit status %d)", WEXITSTATUS(st));
		else
			snprintf(err, errlen, "gnuplot was killed by signal %d", WTERMSIG(st));
		return VM_EIO;
	}
	return VM_OK;
}

int plot_write(const char *file, const plot_t *p, char *err, size_t errlen)
{
	char gp[4096];
	const char *terminal = plot_terminal(file);
	int rc = plot_check(file, err, errlen);
	if (rc)
		return rc;
	rc = plot_validate(p, err, errlen);
	if (rc)
		return rc;
	plot_find_gnuplot(gp, sizeof gp);
	size_t len = strlen(file);
	char *tmp = malloc(len + 8);
	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return VM_ENOMEM;
	}
	memcpy(tmp, file, len);
	memcpy(tmp + len, ".XXXXXX", 8);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", file, strerror(errno));
		free(tmp);
		return VM_EIO;
	}
	/* mkstemp makes it 0600; a picture is as readable as any new file. */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	close(fd);
	rc = plot_run(gp, terminal, tmp, p, err, errlen);
	if (rc == VM_OK && rename(tmp, file)) {
		snprintf(err, errlen, "%s: cannot write: %s", file, strerror(errno));
		rc = VM_EIO;
	}
	if (rc) {
		/* Prefix the file, so the user knows which plot failed. */
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		if (strncmp(why, file, strlen(file)))
			snprintf(err, errlen, "%s: %s", file, why);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}
