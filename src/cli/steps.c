/* steps.c - `vmlab run --steps [N]` and `--html FILE`: see steps.h.
 *
 * One line a page reference, like OSTEP's paging-policy.py -c
 * (`Access: 8 MISS FirstIn -> [8] <- Lastin Replaced:- [Hits:0 Misses:1]`)
 * with vmlab's columns, in this order:
 *
 *   step 6: page 3 R tlb-miss MISS minor frame 0 Replaced:0 (clean) LRU -> [1, 0, 3] <- MRU [Hits:2 Misses:4]
 *
 * the reference's number (from 1), its page (PID:VPN when the pid is not
 * 0) and kind, the first TLB lookup, HIT or MISS with the fault's kind,
 * the frame holding the page now, the victim (or -) and whether it was
 * written back, the resident pages in the policy's order with its notes
 * (PAGE(note)), and the counts so far: Hits = references - page faults,
 * Misses = page faults, as in the summary.  The lines go to a temporary
 * file first, so that a run that fails prints nothing on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "steps.h"
#include "util/vmerr.h"

struct steps {
	uint64_t print_left;      /* lines still to print */
	FILE *lines;              /* the lines so far; NULL without --steps */
	html_run_t *html;         /* NULL without --html */
	const char *html_path;
	html_buf_t line;
	vm_resident_t *res;       /* one per frame */
	uint32_t res_cap;
	vm_machine_t *vm;         /* the machine the view was made for */
};

int steps_new(steps_t **out, const cli_opts_t *o)
{
	*out = NULL;
	if (!o->steps && !o->html)
		return CLI_EXIT_OK;
	if (o->steps && o->json) {
		fprintf(stderr, "vmlab run: --steps prints lines and --json one object: give one of them\n");
		return CLI_EXIT_USAGE;
	}
	steps_t *s = calloc(1, sizeof *s);
	if (!s)
		return CLI_EXIT_FAIL;
	*out = s;
	s->html_path = o->html;
	if (o->steps) {
		s->print_left = o->steps_n;
		if (!(s->lines = tmpfile())) {
			fprintf(stderr, "vmlab run: --steps: cannot create a temporary file for the lines\n");
			return CLI_EXIT_FAIL;
		}
	}
	return CLI_EXIT_OK;
}

/* Whether the next reference is still taken one at a time. */
static int steps_active(const steps_t *s)
{
	return s && (s->print_left || (s->html && html_run_wants(s->html)));
}

/* The page as lines name it: VPN, or PID:VPN for a pid other than 0. */
static void steps_page(html_buf_t *b, uint32_t pid, uint64_t vpn)
{
	if (pid)
		html_buf_printf(b, "%u:%llu", pid, (unsigned long long)vpn);
	else
		html_buf_printf(b, "%llu", (unsigned long long)vpn);
}

/* The line of one step into s->line (from empty). */
static void steps_format(steps_t *s, vm_machine_t *vm, const vm_step_t *st, size_t nres,
			 uint64_t hits, uint64_t misses)
{
	html_buf_t *b = &s->line;
	const char *first, *last;
	static const char *const result[] = { "HIT", "MISS minor", "MISS major" };
	b->n = 0;
	if (b->s)
		b->s[0] = 0;
	html_buf_printf(b, "step %llu: page ", (unsigned long long)st->seq + 1);
	steps_page(b, st->pid, st->vpn);
	html_buf_printf(b, " %c %s %-10s frame %u Replaced:", st->kind,
			st->tlb_hit ? "tlb-hit" : "tlb-miss", result[st->fault], st->frame);
	if (st->evicted) {
		steps_page(b, st->victim_pid, st->victim_vpn);
		html_buf_printf(b, " (%s)", st->victim_written ? "written back" : "clean");
	} else {
		html_buf_printf(b, "-");
	}
	vm_resident_ends(vm, &first, &last);
	html_buf_printf(b, " %s -> [", first);
	for (size_t i = 0; i < nres; i++) {
		if (i)
			html_buf_printf(b, ", ");
		steps_page(b, s->res[i].pid, s->res[i].vpn);
		if (s->res[i].note[0])
			html_buf_printf(b, "(%s)", s->res[i].note);
	}
	html_buf_printf(b, "] <- %s [Hits:%llu Misses:%llu]\n", last, (unsigned long long)hits,
			(unsigned long long)misses);
}

/* Make the per-frame buffer and the HTML view once the machine exists. */
static int steps_bind(steps_t *s, vm_machine_t *vm)
{
	if (s->vm == vm)
		return VM_OK;
	const vm_config_t *c = vm_config(vm);
	free(s->res);
	s->res = calloc(c->frames, sizeof *s->res);
	s->res_cap = c->frames;
	s->vm = vm;
	if (!s->res)
		return VM_ENOMEM;
	if (s->html_path && !s->html) {
		s->html = html_run_new(vm, s->lines ? s->print_left : UINT64_MAX);
		if (!s->html)
			return VM_ENOMEM;
	}
	return VM_OK;
}

int steps_ref(steps_t *s, vm_machine_t *vm, uint32_t pid, uint64_t vpn, int kind)
{
	if (!s || (s->vm == vm && !steps_active(s)))
		return vm_ref(vm, pid, vpn, kind);
	int rc = steps_bind(s, vm);
	if (rc)
		return rc;
	if (!steps_active(s))
		return vm_ref(vm, pid, vpn, kind);
	vm_step_t st;
	rc = vm_ref_step(vm, pid, vpn, kind, &st);
	if (rc)
		return rc;
	const vm_stats_t *c = vm_stats(vm);
	uint64_t misses = c->page_faults, hits = c->references - misses;
	size_t n = vm_resident(vm, s->res, s->res_cap);
	if (n > s->res_cap)
		n = s->res_cap;
	steps_format(s, vm, &st, n, hits, misses);
	if (s->line.oom)
		return VM_ENOMEM;
	if (s->print_left) {
		fputs(s->line.s, s->lines);
		s->print_left--;
	}
	if (s->html && html_run_wants(s->html))
		html_run_step(s->html, vm, s->line.s, &st, hits, misses);
	return VM_OK;
}

/* Where one access's page references go. */
typedef struct steps_target {
	steps_t *s;
	vm_machine_t *vm;
	uint32_t pid;
} steps_target_t;

static int steps_page_ref(void *arg, uint64_t vpn, int kind)
{
	steps_target_t *t = arg;
	return steps_ref(t->s, t->vm, t->pid, vpn, kind);
}

int steps_access(steps_t *s, vm_machine_t *vm, uint32_t pid, uint64_t va, uint32_t size, int kind)
{
	if (!steps_active(s) && (!s || s->vm == vm))
		return vm_access(vm, pid, va, size, kind);
	const vm_config_t *c = vm_config(vm);
	unsigned shift = 0;
	while ((1u << shift) < c->page_size)
		shift++;
	uint64_t end = va + (size ? size - 1 : 0);
	/* What vm_access refuses it refuses before any reference: let it. */
	if (size == 0 || end < va || (c->va_bits < 64 && (end >> c->va_bits)) ||
	    (kind != VM_READ && kind != VM_WRITE && kind != VM_IFETCH && kind != VM_MODIFY) ||
	    vm_access_pages(shift, va, size) > VM_ACCESS_MAX_PAGES)
		return vm_access(vm, pid, va, size, kind);
	steps_target_t t = { .s = s, .vm = vm, .pid = pid };
	return vm_split_access(shift, va, size, kind, steps_page_ref, &t);
}

int steps_finish(steps_t *s, vm_machine_t *vm, const char *title)
{
	if (!s)
		return CLI_EXIT_OK;
	if (s->html_path) {
		if (steps_bind(s, vm)) {
			fprintf(stderr, "vmlab run: --html: out of memory\n");
			return CLI_EXIT_FAIL;
		}
		int st = html_run_write(s->html, s->html_path, title, vm_stats(vm)->references);
		if (st)
			return st;
	}
	if (s->lines) {
		char buf[65536];
		size_t n;
		rewind(s->lines);
		while ((n = fread(buf, 1, sizeof buf, s->lines)) > 0)
			fwrite(buf, 1, n, stdout);
		if (ferror(s->lines)) {
			fprintf(stderr, "vmlab run: --steps: cannot read back the lines\n");
			return CLI_EXIT_FAIL;
		}
		putchar('\n');
	}
	return CLI_EXIT_OK;
}

void steps_free(steps_t *s)
{
	if (!s)
		return;
	if (s->lines)
		fclose(s->lines);
	html_run_free(s->html);
	html_buf_free(&s->line);
	free(s->res);
	free(s);
}
