/* obj.c - backing objects (real files, shared anonymous memory) and the page
 * cache that holds their pages, shared by every process that maps them. */
#include <assert.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kern.h"
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
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return VM_ENOENT;
	for (uint32_t i = 0; i < vm->nobjs; i++) {
		vobj_t *o = &vm->objs[i];
		if (o->refs && o->fd >= 0 && o->dev == (uint64_t)st.st_dev && o->ino == (uint64_t)st.st_ino) {
			o->refs++;
			*out = i;
			return VM_OK;
		}
	}
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return VM_EIO;
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
			int e = kio_pread(ob->fd, page, want, at);
			if (e)
				return kio_fail(vm, e, "cannot read page %llu of %s",
						(unsigned long long)pgoff, ob->path);
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

/* Shared anonymous memory: frame f to its object's swap slot (taken now if
 * it has none, and given back if the write fails). */
static int obj_write_anon(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	uint64_t *slot = &vm->objs[fr->obj].slots[fr->pgoff];
	int fresh = *slot == SLOT_NONE;
	if (fresh) {
		int rc = swap_alloc(vm, slot);
		if (rc)
			return rc;
	}
	int rc = swap_write(vm, *slot, phys_user_page(&vm->phys, f));
	if (rc) {
		if (fresh) { /* no copy was made: nothing may believe there is one */
			swap_put(vm, *slot);
			*slot = SLOT_NONE;
		}
		return rc;
	}
	fr->swap_slot = *slot;
	vm->st.swap_outs++;
	vm->st.dirty_writebacks++;
	return VM_OK;
}

int obj_write_page(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	vobj_t *ob = &vm->objs[fr->obj];
	size_t len = geom_page_size(&vm->g);
	if (ob->fd < 0)
		return obj_write_anon(vm, f);
	uint64_t at = fr->pgoff << vm->g.page_shift;
	if (at < ob->size) { /* bytes past the end of the file are not kept, as in Linux */
		size_t want = ob->size - at < len ? (size_t)(ob->size - at) : len;
		int e = kio_pwrite(ob->fd, phys_user_page(&vm->phys, f), want, at);
		if (e)
			return kio_fail(vm, e, "cannot write back page %llu of %s",
					(unsigned long long)fr->pgoff, ob->path);
	}
	vm->sys.file_writebacks++;
	vm->st.dirty_writebacks++;
	return VM_OK;
}

/* The last reference goes with its pages; a dirty one is written back
 * first (callers that must not lose it wrote it already: a failure here is
 * a page lost, reported as VM_EIO). */
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
		if (fr->dirty && ob->fd >= 0 && obj_write_page(vm, f) && !rc)
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
