/* html.h - the interactive HTML view of `run --steps` and `explain --html`
 * (prefix html_): one self-contained page, its data as inline JSON, its
 * stepping in inline JavaScript, no network.  The page shows the state
 * after the step its URL fragment names (FILE#step=5), so a headless
 * browser's --dump-dom shows any step without clicking. */
#ifndef VMLAB_CLI_HTML_H
#define VMLAB_CLI_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"
#include "hw/mmu.h"

/* A growing string (html_buf_*); a failed allocation sets oom and drops
 * what follows, so callers check once at the end. */
typedef struct html_buf {
	char *s;
	size_t n, cap;
	int oom;
} html_buf_t;

void html_buf_printf(html_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string, quotes included, with <, > and & escaped so that it
 * cannot end the inline script. */
void html_buf_json(html_buf_t *b, const char *s);
void html_buf_free(html_buf_t *b);

/* The most steps a page holds, and the most cells (resident pages plus TLB
 * entries, summed over steps): a larger run shows its first steps only. */
#define HTML_MAX_STEPS 10000
#define HTML_MAX_CELLS 2000000

typedef struct html_run html_run_t;

/* A view of a run on machine vm, of at most max_steps steps (bounded by the
 * limits above).  NULL when out of memory. */
html_run_t *html_run_new(vm_machine_t *vm, uint64_t max_steps);
/* Whether the view takes another step. */
int html_run_wants(const html_run_t *h);
/* Record one step: its text line, what it did, the counts after it, and
 * the machine's state after it (read from vm). */
void html_run_step(html_run_t *h, vm_machine_t *vm, const char *line, const vm_step_t *s,
		   uint64_t hits, uint64_t misses);
/* Write the page to path; title names the run, total is its page
 * references.  Returns 0, or the exit status after a message on stderr. */
int html_run_write(html_run_t *h, const char *path, const char *title, uint64_t total);
void html_run_free(html_run_t *h);

typedef struct html_explain html_explain_t;

html_explain_t *html_explain_new(void);
/* Record one translation as explain printed it; mode is explain's --mode
 * ('k' kernel, 'u' user; 0 when not given: no mode and half lines). */
void html_explain_add(html_explain_t *h, vm_machine_t *vm, uint64_t va, int access, int mode,
		      const mmu_result_t *r, const mmu_log_t *log);
int html_explain_write(html_explain_t *h, const char *path, const char *title);
void html_explain_free(html_explain_t *h);

#endif
