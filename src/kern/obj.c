/* obj.c - backing objects (real files, shared anonymous memory) and the page
 * cache that holds their pages, shared by every process that maps them. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kern/obj.h"
#include "util/hostfile.h"
#include "util/vmerr.h"

/* Add an object slot; *out gets its index with one reference. */
static int obj_new(vm_machine_t *vm, const vobj_t *o, uint32_t *out)
{
	if (vm->nobjs == vm->objs_cap) {
		uint32_t cap = vm->objs_cap ? vm->objs_cap * 2 : 8;
		int rc;
		vobj_t *a = budget_realloc(&vm->budget, BUDGET_OBJECTS, vm->objs,
					   (uint64_t)vm->objs_cap * sizeof *a, (uint64_t)cap * sizeof *a, &rc);
		if (!a)
			return rc;
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

/* Shared anonymous memory costs nothing per page until a page is swapped
 * out: its slot table grows with the pages written out, not the mapping. */
int obj_new_anon(vm_machine_t *vm, uint64_t pages, uint32_t *out)
{
	vobj_t o = { .fd = -1, .size = pages << vm->g.page_shift, .npages = pages };
	return obj_new(vm, &o, out);
}

static uint64_t obj_slot_hash(uint64_t pgoff, uint64_t cap)
{
	uint64_t h = (pgoff + 1) * 0x9e3779b97f4a7c15ull;
	return (h ^ h >> 31) & (cap - 1);
}

/* The table entry of pgoff in ob: its own, or the empty one it would take. */
static obj_slot_t *obj_slot_entry(const vobj_t *ob, uint64_t pgoff)
{
	uint64_t h = obj_slot_hash(pgoff, ob->slots_cap);
	while (ob->slots[h].slot != SLOT_NONE && ob->slots[h].pgoff != pgoff)
		h = (h + 1) & (ob->slots_cap - 1);
	return &ob->slots[h];
}

uint64_t obj_slot(const vm_machine_t *vm, uint32_t o, uint64_t pgoff)
{
	const vobj_t *ob = &vm->objs[o];
	return ob->slots_cap ? obj_slot_entry(ob, pgoff)->slot : SLOT_NONE;
}

/* Double the slot table of ob (kept at most half full), re-inserting. */
static int obj_slots_grow(vm_machine_t *vm, vobj_t *ob)
{
	uint64_t cap = ob->slots_cap ? ob->slots_cap * 2 : 16;
	int rc = budget_charge(&vm->budget, BUDGET_OBJECTS, cap * sizeof(obj_slot_t));
	if (rc)
		return rc;
	obj_slot_t *t = malloc(cap * sizeof *t);
	if (!t) {
		budget_release(&vm->budget, BUDGET_OBJECTS, cap * sizeof(obj_slot_t));
		return VM_ENOMEM;
	}
	for (uint64_t i = 0; i < cap; i++)
		t[i].slot = SLOT_NONE;
	vobj_t grown = *ob;
	grown.slots = t;
	grown.slots_cap = cap;
	for (uint64_t i = 0; i < ob->slots_cap; i++)
		if (ob->slots[i].slot != SLOT_NONE)
			*obj_slot_entry(&grown, ob->slots[i].pgoff) = ob->slots[i];
	budget_release(&vm->budget, BUDGET_OBJECTS, ob->slots_cap * sizeof(obj_slot_t));
	free(ob->slots);
	ob->slots = t;
	ob->slots_cap = cap;
	return VM_OK;
}

int obj_slot_set(vm_machine_t *vm, uint32_t o, uint64_t pgoff, uint64_t slot)
{
	vobj_t *ob = &vm->objs[o];
	assert(slot != SLOT_NONE && obj_slot(vm, o, pgoff) == SLOT_NONE);
	if ((ob->slots_used + 1) * 2 > ob->slots_cap) {
		int rc = obj_slots_grow(vm, ob);
		if (rc)
			return rc;
	}
	*obj_slot_entry(ob, pgoff) = (obj_slot_t){ .pgoff = pgoff, .slot = slot };
	ob->slots_used++;
	return VM_OK;
}

void obj_each_slot(const vm_machine_t *vm, uint32_t o, void (*fn)(void *arg, uint64_t slot),
		   void *arg)
{
	const vobj_t *ob = &vm->objs[o];
	for (uint64_t i = 0; i < ob->slots_cap; i++)
		if (ob->slots[i].slot != SLOT_NONE)
			fn(arg, ob->slots[i].slot);
}

/* Give back one slot reference of a dying object (an obj_each_slot callback). */
static void obj_put_slot(void *arg, uint64_t slot)
{
	swap_put(arg, slot);
}

/* Free the slot table of ob, its slots given back. */
static void obj_free_slots(vm_machine_t *vm, uint32_t o)
{
	vobj_t *ob = &vm->objs[o];
	obj_each_slot(vm, o, obj_put_slot, vm);
	budget_release(&vm->budget, BUDGET_OBJECTS, ob->slots_cap * sizeof(obj_slot_t));
	free(ob->slots);
	ob->slots = NULL;
	ob->slots_cap = ob->slots_used = 0;
}

void obj_get(vm_machine_t *vm, uint32_t o)
{
	assert(o < vm->nobjs && vm->objs[o].refs > 0);
	vm->objs[o].refs++;
}

int pcache_init(vm_machine_t *vm)
{
	uint32_t n = 1;
	while (n < vm->cfg.frames && n < (1u << 30))
		n *= 2;
	vm->pcache = malloc(n * sizeof *vm->pcache);
	if (!vm->pcache)
		return VM_ENOMEM;
	memset(vm->pcache, 0xff, n * sizeof *vm->pcache);
	vm->pcache_mask = n - 1;
	return VM_OK;
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
	assert(pgoff < ob->npages);
	uint64_t slot = obj_slot(vm, o, pgoff);
	vm->frames[f].swap_slot = slot;
	if (slot == SLOT_NONE)
		return VM_OK; /* never written out: zeros */
	swap_count_in(vm, slot);
	return swap_read(vm, slot, page);
}

/* Shared anonymous memory: frame f to its object's swap slot (taken now if
 * it has none, and given back if the write fails). */
static int obj_write_anon(vm_machine_t *vm, uint32_t f)
{
	frame_t *fr = &vm->frames[f];
	uint64_t slot = obj_slot(vm, fr->obj, fr->pgoff);
	int fresh = slot == SLOT_NONE;
	if (fresh) {
		int rc = swap_alloc(vm, &slot);
		if (rc)
			return rc;
	}
	int rc = swap_write(vm, slot, phys_user_page(&vm->phys, f));
	if (!rc && fresh)
		rc = obj_slot_set(vm, fr->obj, fr->pgoff, slot);
	if (rc) {
		if (fresh) /* no copy was recorded: nothing may believe there is one */
			swap_put(vm, slot);
		return rc;
	}
	fr->swap_slot = slot;
	if (swap_on_file(vm, slot)) { /* (zRAM's store is not a swap-out) */
		vm->st.swap_outs++;
		vm->st.dirty_writebacks++;
	}
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
	shadow_forget_obj(vm, o); /* its pages' identities die with it */
	obj_free_slots(vm, o);
	free(ob->path);
	if (ob->fd >= 0)
		close(ob->fd);
	*ob = (vobj_t){ .fd = -1 };
	return rc;
}
