/* umalloc.c - CS:APP §9.9's implicit-list allocator in a simulated process
 * (the layout is drawn in umalloc.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/umalloc.h"
#include "util/vmerr.h"

#define UM_ALLOC 1ull    /* tag bit: the block is allocated */
#define UM_MAPPED 2ull   /* tag bit: a block with a mapping of its own */
#define UM_PROLOGUE (16ull | UM_ALLOC)
#define UM_EPILOGUE (0ull | UM_ALLOC)

typedef struct um_block {
	uint64_t addr;   /* its header */
	uint64_t size;   /* header to footer included */
	int alloc;
} um_block_t;

typedef struct um_map {
	uint64_t addr;   /* the mapping (payload at addr + 16) */
	uint64_t len;
} um_map_t;

struct um_heap {
	int init;             /* the heap exists (first heap request served) */
	int broken;           /* a vm_ call failed half way: tags and state may differ */
	uint64_t start, end;  /* [start, end): pad, prologue, blocks, epilogue; end = the break */
	um_block_t *blk;      /* every block between prologue and epilogue, in address order */
	size_t n, cap;
	um_map_t *map;        /* mapped blocks, in address order */
	size_t nmap, mapcap;
};

/* A message into why; returns VM_EINVAL. */
static int um_bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int um_bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return VM_EINVAL;
}

static uint64_t um_round(uint64_t v, uint64_t unit)
{
	return (v + unit - 1) / unit * unit;
}

static uint64_t um_tag(const um_block_t *b)
{
	return b->size | (b->alloc ? UM_ALLOC : 0);
}

/* Write tag v at addr in pid's memory (one reference). */
static int um_put(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return vm_write(vm, pid, addr, b, sizeof b);
}

/* Read the tag at addr (one reference); it must be want, what the allocator
 * wrote there, else the heap was overwritten: VM_EINVAL with why. */
static int um_get(vm_machine_t *vm, uint32_t pid, uint64_t addr, uint64_t want, char *why,
		  size_t len)
{
	unsigned char b[8];
	int rc = vm_read(vm, pid, addr, b, sizeof b);
	if (rc)
		return rc;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	if (v != want)
		return um_bad(why, len, "heap corrupted: the tag at 0x%llx reads 0x%llx, malloc wrote 0x%llx there",
			      (unsigned long long)addr, (unsigned long long)v, (unsigned long long)want);
	return VM_OK;
}

/* Header and footer of block b written. */
static int um_put_block(vm_machine_t *vm, uint32_t pid, const um_block_t *b)
{
	int rc = um_put(vm, pid, b->addr, um_tag(b));
	return rc ? rc : um_put(vm, pid, b->addr + b->size - 8, um_tag(b));
}

/* Room for one more element of size sz in *v (capacity *cap, count n). */
static int um_room(void **v, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return VM_OK;
	size_t c = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, c * sz);
	if (!p)
		return VM_ENOMEM;
	*v = p;
	*cap = c;
	return VM_OK;
}

/* Insert b as block i (the ones from i move up). */
static int um_insert(um_heap_t *h, size_t i, um_block_t b)
{
	if (um_room((void **)&h->blk, &h->cap, h->n, sizeof *h->blk))
		return VM_ENOMEM;
	memmove(&h->blk[i + 1], &h->blk[i], (h->n - i) * sizeof *h->blk);
	h->blk[i] = b;
	h->n++;
	return VM_OK;
}

static void um_remove(um_heap_t *h, size_t i)
{
	memmove(&h->blk[i], &h->blk[i + 1], (h->n - i - 1) * sizeof *h->blk);
	h->n--;
}

/* The tag just before block i's header (the previous footer, or the
 * prologue's) and the one at its end (the next header, or the epilogue). */
static uint64_t um_prev_tag(const um_heap_t *h, size_t i)
{
	return i ? um_tag(&h->blk[i - 1]) : UM_PROLOGUE;
}

static uint64_t um_next_tag(const um_heap_t *h, size_t i)
{
	return i + 1 < h->n ? um_tag(&h->blk[i + 1]) : UM_EPILOGUE;
}

/* Merge free block i with free neighbours, as CS:APP's coalesce: read the
 * previous footer and the next header, write the merged block's tags.
 * *at gets the merged block's index. */
static int um_coalesce(um_heap_t *h, vm_machine_t *vm, uint32_t pid, size_t i, size_t *at,
		       char *why, size_t len)
{
	um_block_t *b = &h->blk[i];
	int rc = um_get(vm, pid, b->addr - 8, um_prev_tag(h, i), why, len);
	if (!rc)
		rc = um_get(vm, pid, b->addr + b->size, um_next_tag(h, i), why, len);
	if (rc)
		return rc;
	int prev_free = i && !h->blk[i - 1].alloc, next_free = i + 1 < h->n && !h->blk[i + 1].alloc;
	if (next_free) {
		b->size += h->blk[i + 1].size;
		um_remove(h, i + 1);
	}
	if (prev_free) {
		h->blk[i - 1].size += h->blk[i].size;
		um_remove(h, i);
		i--;
	}
	*at = i;
	return prev_free || next_free ? um_put_block(vm, pid, &h->blk[i]) : VM_OK;
}

/* The first heap request: the heap at the break rounded up to 16, with its
 * padding word, prologue and epilogue (CS:APP's mm_init, with no chunk:
 * um_extend grows it).  *none is set when the kernel refuses the break. */
static int um_init(um_heap_t *h, vm_machine_t *vm, uint32_t pid, int *none)
{
	vm_proc_info_t pi;
	vm_proc_info(vm, pid, &pi);
	if (pi.state != VM_PROC_ALIVE)
		return VM_ESRCH;
	uint64_t start = um_round(pi.brk, UM_ALIGN);
	if (start < pi.brk || start > UINT64_MAX - 4 * UM_ALIGN)
		return *none = 1, VM_OK;
	int rc = vm_brk(vm, pid, start + 32);
	if (rc == VM_ENOMEM || rc == VM_EINVAL)
		return *none = 1, VM_OK;
	if (rc)
		return rc;
	h->init = 1;
	h->start = start;
	h->end = start + 32;
	rc = um_put(vm, pid, start + 8, UM_PROLOGUE);
	if (!rc)
		rc = um_put(vm, pid, start + 16, UM_PROLOGUE);
	return rc ? rc : um_put(vm, pid, start + 24, UM_EPILOGUE);
}

/* Grow the heap so that a block of asize fits at its end: the break moves
 * by what the last free block lacks plus UM_TOP_PAD, up to a page boundary
 * (glibc's sysmalloc); the new space becomes a free block where the
 * epilogue was, a new epilogue after it, coalesced with a free last block
 * (CS:APP's extend_heap).  *at gets the free block's index, or *none is set
 * when the kernel refuses. */
static int um_extend(um_heap_t *h, vm_machine_t *vm, uint32_t pid, uint64_t asize, uint64_t page,
		     size_t *at, int *none, char *why, size_t len)
{
	uint64_t have = h->n && !h->blk[h->n - 1].alloc ? h->blk[h->n - 1].size : 0;
	uint64_t need = asize - have;
	if (h->end > UINT64_MAX - need - UM_TOP_PAD - page)
		return *none = 1, VM_OK;
	uint64_t end = um_round(h->end + need + UM_TOP_PAD, page);
	int rc = vm_brk(vm, pid, end);
	if (rc == VM_ENOMEM || rc == VM_EINVAL)
		return *none = 1, VM_OK;
	if (rc)
		return rc;
	um_block_t b = { .addr = h->end - 8, .size = end - h->end, .alloc = 0 };
	h->end = end;
	if (um_insert(h, h->n, b))
		return VM_ENOMEM;
	rc = um_put_block(vm, pid, &b);
	if (!rc)
		rc = um_put(vm, pid, end - 8, UM_EPILOGUE);
	return rc ? rc : um_coalesce(h, vm, pid, h->n - 1, at, why, len);
}

/* CS:APP's find_fit: walk the implicit list from the prologue, reading each
 * header, to the first free block of at least asize (*at), or the epilogue
 * (*at = SIZE_MAX). */
static int um_find_fit(const um_heap_t *h, vm_machine_t *vm, uint32_t pid, uint64_t asize,
		       size_t *at, char *why, size_t len)
{
	int rc = um_get(vm, pid, h->start + 8, UM_PROLOGUE, why, len);
	for (size_t i = 0; !rc && i < h->n; i++) {
		rc = um_get(vm, pid, h->blk[i].addr, um_tag(&h->blk[i]), why, len);
		if (!rc && !h->blk[i].alloc && h->blk[i].size >= asize) {
			*at = i;
			return VM_OK;
		}
	}
	*at = SIZE_MAX;
	return rc ? rc : um_get(vm, pid, h->end - 8, UM_EPILOGUE, why, len);
}

/* CS:APP's place: allocate asize of free block i, splitting off the rest
 * when it makes a block of at least UM_MIN_BLOCK. */
static int um_place(um_heap_t *h, vm_machine_t *vm, uint32_t pid, size_t i, uint64_t asize)
{
	um_block_t *b = &h->blk[i];
	uint64_t rest = b->size - asize;
	b->alloc = 1;
	if (rest < UM_MIN_BLOCK)
		return um_put_block(vm, pid, b);
	b->size = asize;
	um_block_t r = { .addr = b->addr + asize, .size = rest, .alloc = 0 };
	if (um_insert(h, i + 1, r))
		return VM_ENOMEM;
	int rc = um_put_block(vm, pid, &h->blk[i]);
	return rc ? rc : um_put_block(vm, pid, &r);
}

/* A request of UM_MMAP_THRESHOLD or more: its own mapping, one tag
 * written (so one page touched however large). */
static int um_malloc_mapped(um_heap_t *h, vm_machine_t *vm, uint32_t pid, uint64_t n,
			    uint64_t page, uint64_t *out)
{
	*out = 0;
	if (n > UINT64_MAX - 16 - page)
		return VM_OK;
	uint64_t len = um_round(n + 16, page), m = 0;
	int rc = vm_mmap(vm, pid, 0, len, VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0,
			 VM_KIND_MAPPING, &m);
	if (rc == VM_ENOMEM || rc == VM_EINVAL)
		return VM_OK;
	if (rc)
		return rc;
	if (um_room((void **)&h->map, &h->mapcap, h->nmap, sizeof *h->map))
		return VM_ENOMEM;
	size_t i = h->nmap;
	while (i && h->map[i - 1].addr > m)
		i--;
	memmove(&h->map[i + 1], &h->map[i], (h->nmap - i) * sizeof *h->map);
	h->map[i] = (um_map_t){ m, len };
	h->nmap++;
	rc = um_put(vm, pid, m + 8, len | UM_MAPPED);
	if (!rc)
		*out = m + 16;
	return rc;
}

/* A request served from the heap: first fit, else grow; then place. */
static int um_malloc_heap(um_heap_t *h, vm_machine_t *vm, uint32_t pid, uint64_t n,
			  uint64_t page, uint64_t *out, char *why, size_t len)
{
	uint64_t asize = n <= UM_ALIGN ? UM_MIN_BLOCK : um_round(n + 16, UM_ALIGN);
	int none = 0, rc = VM_OK;
	size_t at;
	*out = 0;
	if (!h->init) {
		rc = um_init(h, vm, pid, &none);
		if (rc || none)
			return rc;
	} else {
		vm_proc_info_t pi;
		vm_proc_info(vm, pid, &pi);
		if (pi.state != VM_PROC_ALIVE)
			return VM_ESRCH;
		if (pi.brk != h->end)
			return um_bad(why, len, "the break moved under malloc (it is 0x%llx; malloc's heap ends at 0x%llx): brk and malloc do not mix",
				      (unsigned long long)pi.brk, (unsigned long long)h->end);
	}
	rc = um_find_fit(h, vm, pid, asize, &at, why, len);
	if (!rc && at == SIZE_MAX)
		rc = um_extend(h, vm, pid, asize, page, &at, &none, why, len);
	if (rc || none)
		return rc;
	rc = um_place(h, vm, pid, at, asize);
	if (!rc)
		*out = h->blk[at].addr + 8;
	return rc;
}

/* After a failed call: the heap is unusable, unless the process is gone
 * (its state no longer matters) or nothing was changed (VM_EINVAL is
 * refused before writing, or a corrupted tag: the state stays the truth). */
static int um_after(um_heap_t *h, vm_machine_t *vm, uint32_t pid, int rc)
{
	if (rc && rc != VM_EINVAL && rc != VM_EFAULT && rc != VM_EKILLED && rc != VM_ESRCH)
		h->broken = 1;
	return rc;
}

/* *h, created if it is not there yet. */
static int um_get_heap(um_heap_t **h)
{
	if (!*h && !(*h = calloc(1, sizeof **h)))
		return VM_ENOMEM;
	return VM_OK;
}

int um_malloc(um_heap_t **hp, vm_machine_t *vm, uint32_t pid, uint64_t n, uint64_t *out,
	      char *why, size_t whylen)
{
	*out = 0;
	if (um_get_heap(hp))
		return VM_ENOMEM;
	um_heap_t *h = *hp;
	if (h->broken)
		return um_bad(why, whylen, "the heap was left half-written by an earlier failed malloc or free");
	uint64_t page = vm_config(vm)->page_size;
	int rc = n >= UM_MMAP_THRESHOLD ? um_malloc_mapped(h, vm, pid, n, page, out)
					: um_malloc_heap(h, vm, pid, n, page, out, why, whylen);
	return um_after(h, vm, pid, rc);
}

/* The index of the block with header addr, or of the block containing addr
 * (*exact says which); SIZE_MAX when addr is outside every block. */
static size_t um_find(const um_heap_t *h, uint64_t addr, int *exact)
{
	size_t lo = 0, hi = h->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->blk[mid].addr + h->blk[mid].size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == h->n || h->blk[lo].addr > addr)
		return SIZE_MAX;
	*exact = h->blk[lo].addr == addr;
	return lo;
}

/* free of a mapped block i: its tag read back, the mapping unmapped. */
static int um_free_mapped(um_heap_t *h, vm_machine_t *vm, uint32_t pid, size_t i, char *why,
			  size_t len)
{
	um_map_t m = h->map[i];
	int rc = um_get(vm, pid, m.addr + 8, m.len | UM_MAPPED, why, len);
	if (!rc)
		rc = vm_munmap(vm, pid, m.addr, m.len);
	if (rc)
		return rc;
	memmove(&h->map[i], &h->map[i + 1], (h->nmap - i - 1) * sizeof *h->map);
	h->nmap--;
	return VM_OK;
}

/* Why addr is no allocated block's payload, into why (VM_EINVAL). */
static int um_not_block(const um_heap_t *h, uint64_t addr, char *why, size_t len)
{
	int exact = 0;
	size_t i = addr >= 8 ? um_find(h, addr - 8, &exact) : SIZE_MAX;
	for (size_t k = 0; i == SIZE_MAX && k < h->nmap; k++)
		if (addr >= h->map[k].addr && addr - h->map[k].addr < h->map[k].len)
			return um_bad(why, len, "not an allocated block (0x%llx is inside the mapped block at 0x%llx)",
				      (unsigned long long)addr, (unsigned long long)h->map[k].addr + 16);
	int outside = !h->init || addr < h->start || addr >= h->end;
	if (i == SIZE_MAX)
		return um_bad(why, len, "not an allocated block (0x%llx is not an address malloc returned%s)",
			      (unsigned long long)addr, outside ? ", or its mapping was freed already" : "");
	if (exact && !h->blk[i].alloc)
		return um_bad(why, len, "not an allocated block (the block at 0x%llx is free: a double free, or an address malloc never returned)",
			      (unsigned long long)addr);
	if (exact || !h->blk[i].alloc)
		return um_bad(why, len, "not an allocated block (0x%llx is inside a free block)",
			      (unsigned long long)addr);
	return um_bad(why, len, "not an allocated block (0x%llx is inside the block at 0x%llx)",
		      (unsigned long long)addr, (unsigned long long)h->blk[i].addr + 8);
}

int um_free(um_heap_t **hp, vm_machine_t *vm, uint32_t pid, uint64_t addr, char *why,
	    size_t whylen)
{
	if (um_get_heap(hp))
		return VM_ENOMEM;
	um_heap_t *h = *hp;
	if (h->broken)
		return um_bad(why, whylen, "the heap was left half-written by an earlier failed malloc or free");
	vm_proc_info_t pi;
	vm_proc_info(vm, pid, &pi);
	if (pi.state != VM_PROC_ALIVE)
		return VM_ESRCH;
	for (size_t k = 0; k < h->nmap; k++)
		if (h->map[k].addr + 16 == addr)
			return um_after(h, vm, pid, um_free_mapped(h, vm, pid, k, why, whylen));
	int exact = 0;
	size_t i = addr >= 8 ? um_find(h, addr - 8, &exact) : SIZE_MAX;
	if (i == SIZE_MAX || !exact || !h->blk[i].alloc)
		return um_not_block(h, addr, why, whylen);
	int rc = um_get(vm, pid, h->blk[i].addr, um_tag(&h->blk[i]), why, whylen);
	if (rc)
		return um_after(h, vm, pid, rc);
	h->blk[i].alloc = 0;
	rc = um_put_block(vm, pid, &h->blk[i]);
	size_t at;
	return um_after(h, vm, pid, rc ? rc : um_coalesce(h, vm, pid, i, &at, why, whylen));
}

int um_fork(um_heap_t **child, const um_heap_t *parent)
{
	um_drop(child);
	if (!parent)
		return VM_OK;
	um_heap_t *c = malloc(sizeof *c);
	if (!c)
		return VM_ENOMEM;
	*c = *parent;
	c->cap = parent->n;
	c->mapcap = parent->nmap;
	c->blk = c->cap ? malloc(c->cap * sizeof *c->blk) : NULL;
	c->map = c->mapcap ? malloc(c->mapcap * sizeof *c->map) : NULL;
	if ((c->cap && !c->blk) || (c->mapcap && !c->map)) {
		free(c->blk);
		free(c->map);
		free(c);
		return VM_ENOMEM;
	}
	if (c->cap)
		memcpy(c->blk, parent->blk, c->cap * sizeof *c->blk);
	if (c->mapcap)
		memcpy(c->map, parent->map, c->mapcap * sizeof *c->map);
	*child = c;
	return VM_OK;
}

void um_drop(um_heap_t **h)
{
	if (!*h)
		return;
	free((*h)->blk);
	free((*h)->map);
	free(*h);
	*h = NULL;
}

void um_info(const um_heap_t *h, um_info_t *out)
{
	*out = (um_info_t){ 0 };
	if (!h)
		return;
	if (h->init) {
		out->start = h->start;
		out->end = h->end;
	}
	out->blocks = h->n;
	for (size_t i = 0; i < h->n; i++)
		if (!h->blk[i].alloc) {
			out->free_blocks++;
			out->free_bytes += h->blk[i].size;
		}
	out->mapped = h->nmap;
}
