/* progress.c - see progress.h. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

#define PROGRESS_AFTER 1.0      /* seconds before the first line */
#define PROGRESS_EVERY 0.25     /* seconds between redraws */

static double progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_start(progress_t *p, const char *cmd, const trace_reader_t *tr, int quiet)
{
	*p = (progress_t){ .cmd = cmd, .fd = -1 };
	p->on = !quiet && isatty(STDERR_FILENO);
	if (!p->on)
		return;
	struct stat st;
	p->fd = tr ? trace_fd(tr) : -1;
	if (p->fd >= 0 && !fstat(p->fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0)
		p->size = (uint64_t)st.st_size;
	const char *after = getenv("VMLAB_PROGRESS_AFTER");
	p->start = progress_now();
	p->next = p->start + (after ? atof(after) / 1000.0 : PROGRESS_AFTER);
}

/* n in a few digits with k, M or G. */
static void progress_si(char *buf, size_t len, double n)
{
	const char *unit = "";
	if (n >= 1e9) {
		n /= 1e9;
		unit = " G";
	} else if (n >= 1e6) {
		n /= 1e6;
		unit = " M";
	} else if (n >= 1e3) {
		n /= 1e3;
		unit = " k";
	}
	snprintf(buf, len, "%.*f%s", *unit ? 1 : 0, n, unit);
}

void progress_update(progress_t *p, uint64_t refs)
{
	if (!p->on)
		return;
	double now = progress_now();
	if (now < p->next)
		return;
	p->next = now + PROGRESS_EVERY;
	char share[32] = "", count[32], rate[32];
	off_t at = p->size ? lseek(p->fd, 0, SEEK_CUR) : -1;
	if (at >= 0)
		snprintf(share, sizeof share, "%3.0f%% read, ",
			 100.0 * (double)((uint64_t)at < p->size ? (uint64_t)at : p->size) / (double)p->size);
	progress_si(count, sizeof count, (double)refs);
	progress_si(rate, sizeof rate, now > p->start ? (double)refs / (now - p->start) : 0);
	/* \r and erase-to-end redraw in place; one write, so it never interleaves */
	fprintf(stderr, "\r\033[Kvmlab %s: %s%s references, %s/s", p->cmd, share, count, rate);
	fflush(stderr);
	p->drawn = 1;
}

void progress_end(progress_t *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = 0;
}
