/* tracetask.c - a trace read a buffer at a time for the scheduler
 * (tracetask.h). */
#include <stdlib.h>

#include "script/tracetask.h"
#include "util/vmerr.h"
#include "vmlab_sys.h"

int tt_spawn(vm_machine_t *vm, uint32_t pid)
{
	const vm_config_t *cfg = vm_config(vm);
	uint64_t page = cfg->page_size, top = cfg->va_bits >= 64 ? ~(page - 1) : 1ull << cfg->va_bits;
	int rc = vm_spawn(vm, pid);
	if (!rc)
		rc = vm_mmap(vm, pid, page, top - page, VM_PROT_R | VM_PROT_W | VM_PROT_X,
			     VM_MAP_PRIVATE, NULL, 0, VM_KIND_MAPPING, &(uint64_t){ 0 });
	return rc;
}

unsigned tt_page_shift(const vm_config_t *cfg)
{
	unsigned shift = 0;
	while ((2u << shift) <= cfg->page_size)
		shift++;
	return shift;
}

int tt_open(tt_task_t **out, const char *path, trace_format_t format, unsigned page_shift,
	    unsigned va_bits, char *err, size_t errlen)
{
	tt_task_t *t = calloc(1, sizeof *t);
	if (!t)
		return VM_ENOMEM;
	trace_opts_t o = { .format = format, .page_shift = page_shift, .va_bits = va_bits };
	int rc = trace_open(&t->r, path, &o, err, errlen);
	if (rc) {
		free(t);
		return rc;
	}
	*out = t;
	return VM_OK;
}

int tt_next(void *arg, uint64_t *va, uint32_t *size, int *kind)
{
	tt_task_t *t = arg;
	if (t->pos == t->len) {
		t->len = trace_read(t->r, t->buf, sizeof t->buf / sizeof t->buf[0]);
		t->pos = 0;
		if (t->len <= 0) {
			int rc = (int)t->len;
			t->len = 0;
			return rc;
		}
	}
	const trace_access_t *a = &t->buf[t->pos++];
	*va = a->va;
	*size = a->size;
	*kind = a->kind;
	return 1;
}

const char *tt_error(const tt_task_t *t)
{
	return trace_error(t->r);
}

void tt_close(tt_task_t *t)
{
	if (!t)
		return;
	trace_close(t->r);
	free(t);
}
