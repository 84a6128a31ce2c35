/* plot.h - line plots drawn by gnuplot, to PNG or SVG (prefix plot_).
 *
 * The data go to gnuplot inline (datablocks on its standard input), so no
 * temporary data file is left behind; the picture is written to a temporary
 * file beside FILE and renamed over it once gnuplot has succeeded, so a
 * failed plot never leaves half a file. */
#ifndef VMLAB_CLI_PLOT_H
#define VMLAB_CLI_PLOT_H

#include <stddef.h>

typedef struct plot_series {
	const char *name;        /* the key's entry */
	size_t n;                /* points */
	const double *x, *y;
} plot_series_t;

typedef struct plot_mark {      /* one point to call out, e.g. a knee */
	double x, y;
	const char *label;
} plot_mark_t;

typedef struct plot {
	const char *title;
	const char *xlabel, *ylabel;  /* with units, e.g. "frames (pages)" */
	int logx;                     /* x on a log scale (every x must be > 0) */
	const plot_series_t *series;
	size_t nseries;
	const plot_mark_t *mark;      /* NULL: none */
} plot_t;

/* Whether file names a picture plot_write can make (.png or .svg, any case)
 * and gnuplot is installed, so a command can refuse before its work.  0,
 * VM_EINVAL (bad name: exit 2) or VM_ENOENT (no gnuplot: exit 1), reason in
 * err. */
int plot_check(const char *file, char *err, size_t errlen);

/* Draw p into file, PNG or SVG by its extension.  Returns 0, or a negative
 * vm_err_t with the reason in err: VM_EINVAL (bad name, nothing to plot, an
 * x <= 0 on a log axis), VM_ENOENT (gnuplot is not installed), VM_EIO
 * (gnuplot failed or the file could not be written). */
int plot_write(const char *file, const plot_t *p, char *err, size_t errlen);

#endif
