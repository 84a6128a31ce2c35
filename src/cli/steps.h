/* steps.h - `vmlab run --steps [N]` and `--html FILE` (prefix steps_): the
 * first N page references one at a time, each printed as a line in OSTEP's
 * paging-policy.py -c manner with vmlab's columns, and recorded for the
 * HTML view.  References past N go the ordinary way; the counts are the
 * same either way. */
#ifndef VMLAB_CLI_STEPS_H
#define VMLAB_CLI_STEPS_H

#include "cli.h"

typedef struct steps steps_t;

/* The stepper o asks for (--steps, --html), or *out NULL when neither is
 * given.  Returns 0, or an exit status after a message. */
int steps_new(steps_t **out, const cli_opts_t *o);
/* One access (split into page references as vm_access splits it) and one
 * page reference through vm: vm_access's and vm_ref's results.  s may be
 * NULL: then they are vm_access and vm_ref. */
int steps_access(steps_t *s, vm_machine_t *vm, uint32_t pid, uint64_t va, uint32_t size, int kind);
int steps_ref(steps_t *s, vm_machine_t *vm, uint32_t pid, uint64_t vpn, int kind);
/* After a successful run: the HTML page (title names the run), then the
 * step lines on stdout and a blank line before the summary.  Returns the
 * exit status. */
int steps_finish(steps_t *s, vm_machine_t *vm, const char *title);
void steps_free(steps_t *s);

#endif
