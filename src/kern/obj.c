/* obj.c - backing objects (real files, shared anonymous memory) and the page
 * cache that holds their pages, shared by every process that maps them. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kern.h"
#include "util/hostfile.h"
#include "util/vmerr.h"

/* Add an object slot; *out gets its index with one reference. */
static int obj_new(vm_machine_t *vm, const vobj_t *o, uint32_t *out)
{
	if (vm->nobjs == vm->objs_cap) {
		uint32_t cap = vm->objs_cap ? vm->objs_cap * 2 : 8;
		vobj_t *a = realloc(vm->objs, cap * sizeof *a);
		if (!a)
			return VM_ENOMEM;
		vm->objs = a;
		vm->objs_cap = cap;
	}
	vm->objs[vm->nobjs] = *o;
	vm->objs[vm->nobjs].refs = 1;
	*out = vm->nobjs++;
	return VM_OK;
}

int obj_open_file(vm_machine_t *vm, const char *path, uint32_t *out)
{
	char why[128];
	struct stat st;
	int fd = hostfile_open(path, O_RDWR, 0, why, sizeof why);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == ETXTBSY))
		fd = hostfile_open(path, O_RDONLY, 0, why, sizeof why);
	if (fd < 0)
		return errno == ENOENT ? VM_ENOENT : errno == ENODEV ? VM_ENOTSUP : VM_EIO;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return VM_EIO;
	}
	for (uint32_t i = 0; i < vm->nobjs; i++) {
		vobj_t *o = &vm->objs[i];
		if (o->refs && o->fd >= 0 && o->dev == (uint64_t)st.st_dev && o->ino == (uint64_t)st.st_ino) {
			close(fd);
			o->refs++;
			*out = i;
			return VM_OK;
		}
	}
	vobj_t o = { .path = strdup(path), .fd = fd, .dev = (uint64_t)st.st_dev,
		     .ino = (uint64_t)st.st_ino, .size = (uint64_t)st.st_size };
	int rc = o.path ? obj_new(vm, &o, out) : VM_ENOMEM;
	if (rc) {
		free(o.path);
		close(fd);
	}
	return rc;
}

int obj_new_anon(vm_machine_t *vm, uint64_t pages, uint32_t *out)
{
	vobj_t o = { .fd = -1, .size = pages << vm->g.page_shift, .nslots = pages };
	o.slots = malloc((pages ? pages : 1) * sizeof *o.slots);
	if (!o.slots)
		return VM_ENOMEM;
	for (uint64_t i = 0; i < pages; i++)
		o.slots[i] = SLOT_NONE;
	int rc = obj_new(vm, &o, out);
	if (rc)
		free(o.slots);
	return rc;
}

void obj_get(vm_machine_t *vm, uint32_t o)
{
	assert(o < vm->nobjs && vm->objs[o].refs > 0);
	vm->objs[o].refs++;
}

static uint32_t pcache_bucket(const vm_machine_t *vm, uint32_t o, uint64_t pgoff)
{
	uint64_t h = (pgoff + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)o << 32);
	h ^= h >> 29;
	return (uint32_t)(h & vm->pcache_mask);
}

uint32_t pcache_find(vm_machine_t *vm, uint32_t o, uint64_t pgoff)
{
	for (uint32_t f = vm->pcache[pcache_bucket(vm, o, pgoff)]; f != FRAME_NIL; f = vm->frames[f].hnext)
		if (vm->frames[f].obj == o && vm->frames[f].pgoff == pgoff)
			return f;
	return FRAME_NIL;
}

void pcache_add(vm_machine_t *vm, uint32_t f, uint32_t o, uint64_t pgoff)
{
	assert(pcache_find(vm, o, pgoff) == FRAME_NIL);
	uint32_t *head = &vm->pcache[pcache_bucket(vm, o, pgoff)];
	vm->frames[f].obj = o;
	vm->frames[f].pgoff = pgoff;
	vm->frames[f].hnext = *head;
	*head = f;
}

void pcache_del(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	uint32_t *link = &vm->pcache[pcache_bucket(vm, fr->obj, fr->pgoff)];
	while (*link != f) {
		assert(*link != FRAME_NIL);
		link = &vm->frames[*link].hnext;
	}
	*link = fr->hnext;
	fr->obj = OBJ_NONE;
	fr->hnext = FRAME_NIL;
}

int obj_read_page(vm_machine_t *vm, uint32_t o, uint64_t pgoff, uint32_t f)
{
	vobj_t *ob = &vm->objs[o];
	uint8_t *page = phys_user_page(&vm->phys, f);
	size_t len = geom_page_size(&vm->g);
	memset(page, 0, len);
	if (ob->fd >= 0) {
		uint64_t at = pgoff << vm->g.page_shift;
		if (at < ob->size) {
			size_t want = ob->size - at < len ? (size_t)(ob->size - at) : len;
			if (pread(ob->fd, page, want, (off_t)at) != (ssize_t)want)
				return VM_EIO;
		}
		vm->sys.file_reads++;
		return VM_OK;
	}
	assert(pgoff < ob->nslots);
	vm->frames[f].swap_slot = ob->slots[pgoff];
	if (ob->slots[pgoff] == SLOT_NONE)
		return VM_OK; /* never written out: zeros */
	vm->st.swap_ins++;
	return swap_read(vm, ob->slots[pgoff], page);
}

int obj_write_page(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	vobj_t *ob = &vm->objs[fr->obj];
	const uint8_t *page = phys_user_page(&vm->phys, f);
	size_t len = geom_page_size(&vm->g);
	if (ob->fd >= 0) {
		uint64_t at = fr->pgoff << vm->g.page_shift;
		if (at < ob->size) { /* bytes past the end of the file are not kept, as in Linux */
			size_t want = ob->size - at < len ? (size_t)(ob->size - at) : len;
			if (pwrite(ob->fd, page, want, (off_t)at) != (ssize_t)want)
				return VM_EIO;
		}
		vm->sys.file_writebacks++;
		vm->st.dirty_writebacks++;
		return VM_OK;
	}
	if (ob->slots[fr->pgoff] == SLOT_NONE) {
		int rc = swap_alloc(vm, &ob->slots[fr->pgoff]);
		if (rc)
			return rc;
	}
	fr->swap_slot = ob->slots[fr->pgoff];
	vm->st.swap_outs++;
	vm->st.dirty_writebacks++;
	return swap_write(vm, ob->slots[fr->pgoff], page);
}

int obj_put(vm_machine_t *vm, uint32_t o)
{
	vobj_t *ob = &vm->objs[o];
	assert(ob->refs > 0);
	if (--ob->refs)
		return VM_OK;
	int rc = VM_OK;
	for (uint32_t f = 0; f < vm->cfg.frames; f++) {
		frame_t *fr = &vm->frames[f];
		if (!fr->used || fr->obj != o)
			continue;
		assert(fr->refs == 0);
		if (fr->dirty && ob->fd >= 0 && obj_write_page(vm, f))
			rc = VM_EIO;
		pcache_del(vm, f);
		frame_release(vm, f);
	}
	for (uint64_t i = 0; i < ob->nslots; i++)
		if (ob->slots[i] != SLOT_NONE)
			swap_put(vm, ob->slots[i]);
	free(ob->slots);
	free(ob->path);
	if (ob->fd >= 0)
		close(ob->fd);
	*ob = (vobj_t){ .fd = -1 };
	return rc;
}
