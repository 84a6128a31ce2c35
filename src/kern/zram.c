/* zram.c - the zRAM store: compressed copies of swap slots in memory, an
 * age list oldest first (writeback takes the oldest), an index by slot, and
 * the user frames the compressed bytes cost (frames[f].zram, taken from the
 * free set, never seen by the policy). */
#include <assert.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "kern/zram.h"
#include "util/vmerr.h"

int zram_on(const vm_machine_t *vm)
{
	return vm->zram.size != 0;
}

int zram_init(vm_machine_t *vm, char *err, size_t errlen)
{
	zram_t *z = &vm->zram;
	z->size = vm->cfg.zram_size;
	if (!z->size || !vm->cfg.bytes)
		return VM_OK;
	size_t page = geom_page_size(&vm->g);
	size_t lz = (size_t)LZ4_compressBound((int)page), zs = ZSTD_compressBound(page);
	z->cbuf_len = lz > zs ? lz : zs;
	z->cbuf = malloc(z->cbuf_len);
	z->page = malloc(page);
	if (!z->cbuf || !z->page) {
		snprintf(err, errlen, "out of memory");
		return VM_ENOMEM;
	}
	return VM_OK;
}

void zram_fini(vm_machine_t *vm)
{
	zram_t *z = &vm->zram;
	for (uint32_t i = 1; i <= z->hwm; i++)
		free(z->ents[i].data);
	free(z->ents);
	free(z->by_slot);
	free(z->cbuf);
	free(z->page);
}

/* The entry holding slot's copy, 0 if none. */
static uint32_t zram_find(const vm_machine_t *vm, uint64_t slot)
{
	const zram_t *z = &vm->zram;
	return slot < z->slots_cap ? z->by_slot[slot] : 0;
}

int zram_holds(const vm_machine_t *vm, uint64_t slot)
{
	return zram_find(vm, slot) != 0;
}

int zram_compress(vm_machine_t *vm, const void *page, uint32_t *len)
{
	size_t psize = geom_page_size(&vm->g);
	if (!vm->cfg.bytes) {
		double r = vm->cfg.zram_ratio > 0 ? vm->cfg.zram_ratio : 3.0;
		double l = (double)psize / r;
		*len = l >= (double)psize ? (uint32_t)psize : (uint32_t)l + ((double)(uint32_t)l < l);
		if (*len == 0)
			*len = 1;
		return VM_OK;
	}
	zram_t *z = &vm->zram;
	if (vm->cfg.zram_zstd) {
		size_t n = ZSTD_compress(z->cbuf, z->cbuf_len, page, psize, 1);
		if (ZSTD_isError(n))
			return VM_EIO;
		*len = (uint32_t)n;
	} else {
		int n = LZ4_compress_default(page, (char *)z->cbuf, (int)psize, (int)z->cbuf_len);
		if (n <= 0)
			return VM_EIO;
		*len = (uint32_t)n;
	}
	return VM_OK;
}

int zram_worth(const vm_machine_t *vm, uint32_t len)
{
	uint64_t psize = geom_page_size(&vm->g);
	return (uint64_t)len * 4 < psize * 3 && len <= vm->zram.size;
}

int zram_room(const vm_machine_t *vm, uint32_t len)
{
	return vm->zram.st.compressed_bytes + len <= vm->zram.size;
}

uint64_t zram_oldest(const vm_machine_t *vm)
{
	const zram_t *z = &vm->zram;
	return z->oldest ? z->ents[z->oldest].slot : SLOT_NONE;
}

/* Frames the store needs for what it holds now. */
static uint64_t zram_need(const vm_machine_t *vm)
{
	uint64_t page = geom_page_size(&vm->g);
	return (vm->zram.st.compressed_bytes + page - 1) / page;
}

void zram_settle(vm_machine_t *vm)
{
	zram_t *z = &vm->zram;
	while (z->frames < zram_need(vm) && vm->free_frames.used < vm->free_frames.limit) {
		uint64_t id;
		int rc = idset_take(&vm->free_frames, &id);
		assert(rc == VM_OK);
		(void)rc;
		vm->frames[id].zram = 1;
		z->frames++;
	}
	z->st.frames = z->frames;
}

/* Give back the frames beyond what the store needs, lowest first (where
 * zram_settle found them). */
static void zram_shrink(vm_machine_t *vm)
{
	zram_t *z = &vm->zram;
	for (uint32_t f = 0; f < vm->cfg.frames && z->frames > zram_need(vm); f++) {
		if (!vm->frames[f].zram)
			continue;
		vm->frames[f].zram = 0;
		idset_put(&vm->free_frames, f);
		z->frames--;
	}
	z->st.frames = z->frames;
}

/* Make room for one more entry and for slot in the index. */
static int zram_grow(vm_machine_t *vm, uint64_t slot)
{
	zram_t *z = &vm->zram;
	int rc;
	if (!z->free && z->hwm == z->cap) {
		uint32_t cap = z->cap ? z->cap * 2 : 64;
		zram_ent_t *e = budget_realloc(&vm->budget, BUDGET_SWAP, z->ents,
					       z->cap ? (z->cap + 1) * sizeof *e : 0, (cap + 1) * sizeof *e, &rc);
		if (!e)
			return rc;
		z->ents = e;
		z->cap = cap;
	}
	if (slot >= z->slots_cap) {
		uint64_t cap = z->slots_cap ? z->slots_cap : 64;
		while (cap <= slot)
			cap *= 2;
		uint32_t *b = budget_realloc(&vm->budget, BUDGET_SWAP, z->by_slot,
					     z->slots_cap * sizeof *b, cap * sizeof *b, &rc);
		if (!b)
			return rc;
		memset(b + z->slots_cap, 0, (cap - z->slots_cap) * sizeof *b);
		z->by_slot = b;
		z->slots_cap = cap;
	}
	return VM_OK;
}

int zram_insert(vm_machine_t *vm, uint64_t slot, uint32_t len)
{
	zram_t *z = &vm->zram;
	assert(!zram_holds(vm, slot) && zram_room(vm, len));
	int rc = zram_grow(vm, slot);
	if (rc)
		return rc;
	uint8_t *data = NULL;
	if (vm->cfg.bytes) {
		data = malloc(len ? len : 1);
		if (!data)
			return VM_ENOMEM;
		memcpy(data, z->cbuf, len);
	}
	uint32_t i = z->free ? z->free : ++z->hwm;
	if (z->free)
		z->free = z->ents[i].older;
	z->ents[i] = (zram_ent_t){ .slot = slot, .data = data, .len = len, .older = z->newest };
	if (z->newest)
		z->ents[z->newest].newer = i;
	else
		z->oldest = i;
	z->newest = i;
	z->by_slot[slot] = i;
	z->st.stores++;
	z->st.compressed_bytes += len;
	z->st.bytes_stored += geom_page_size(&vm->g);
	zram_settle(vm);
	return VM_OK;
}

int zram_read(vm_machine_t *vm, uint64_t slot, void *page)
{
	const zram_ent_t *e = &vm->zram.ents[zram_find(vm, slot)];
	assert(zram_holds(vm, slot) && e->data);
	size_t psize = geom_page_size(&vm->g);
	if (vm->cfg.zram_zstd) {
		size_t n = ZSTD_decompress(page, psize, e->data, e->len);
		return !ZSTD_isError(n) && n == psize ? VM_OK : VM_EIO;
	}
	int n = LZ4_decompress_safe((const char *)e->data, page, (int)e->len, (int)psize);
	return n == (int)psize ? VM_OK : VM_EIO;
}

void zram_drop(vm_machine_t *vm, uint64_t slot)
{
	zram_t *z = &vm->zram;
	uint32_t i = zram_find(vm, slot);
	assert(i);
	zram_ent_t *e = &z->ents[i];
	if (e->older)
		z->ents[e->older].newer = e->newer;
	else
		z->oldest = e->newer;
	if (e->newer)
		z->ents[e->newer].older = e->older;
	else
		z->newest = e->older;
	z->st.compressed_bytes -= e->len;
	z->st.bytes_stored -= geom_page_size(&vm->g);
	free(e->data);
	*e = (zram_ent_t){ .older = z->free };
	z->free = i;
	z->by_slot[slot] = 0;
	zram_shrink(vm);
}
