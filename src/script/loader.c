/* loader.c - exec of a real ELF program: see loader.h for the contract. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/elfimg.h"
#include "script/loader.h"
#include "script/path.h"
#include "util/vmerr.h"

/* Linux's stack_guard_gap and the least gap it keeps below the stack. */
#define LOAD_GUARD_PAGES 256u
#define LOAD_GAP_MIN (128ull << 20)
/* Linux's vm.mmap_min_addr: nothing is mapped below. */
#define LOAD_MIN_ADDR 0x10000ull

/* The small environment every program gets (deterministic). */
static const char *const load_env[] = { "HOME=/", "PATH=/usr/bin:/bin" };

struct load_prog {
	char *path;                /* as written, for messages and argv[0] */
	char *file;                /* resolved */
	elfimg_t exe;
	char *interp_file;         /* resolved PT_INTERP, or NULL */
	elfimg_t interp;
};

/* "exec: PATH: what" into err; returns rc. */
static int load_bad(char *err, size_t errlen, int rc, const char *path, const char *fmt, ...)
{
	int at = snprintf(err, errlen, "exec: %s: ", path);
	if (at >= 0 && (size_t)at < errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + at, errlen - (size_t)at, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Resolve path by the read rule and read its headers into img, *file the
 * resolved path; what (e.g. "interpreter X: ") prefixes a reason. */
static int load_read(const script_paths_t *paths, const char *shown, const char *path,
		     const char *what, char **file, elfimg_t *img, char *err, size_t errlen)
{
	char real[PATH_MAX], why[PATH_MAX + 256];
	int rc = path_resolve_read(paths->root, paths->allow_read, paths->nallow_read,
				   paths->allow_any, path, real, sizeof real, why, sizeof why);
	if (rc)
		return load_bad(err, errlen, rc, shown, "%s%s", what, why);
	if (!(*file = strdup(real)))
		return load_bad(err, errlen, VM_ENOMEM, shown, "out of memory");
	rc = elfimg_read(real, img, why, sizeof why);
	return rc ? load_bad(err, errlen, rc, shown, "%s%s", what, why) : VM_OK;
}

int load_prepare(const script_paths_t *paths, const char *path, struct load_prog **out,
		 char *err, size_t errlen)
{
	struct load_prog *g = calloc(1, sizeof *g);
	*out = g;
	if (!g || !(g->path = strdup(path)))
		return load_bad(err, errlen, VM_ENOMEM, path, "out of memory");
	int rc = load_read(paths, path, path, "", &g->file, &g->exe, err, errlen);
	if (rc || !g->exe.interp)
		return rc;
	char what[PATH_MAX + 32];
	snprintf(what, sizeof what, "interpreter %s: ", g->exe.interp);
	rc = load_read(paths, path, g->exe.interp, what, &g->interp_file, &g->interp, err, errlen);
	if (!rc && !g->interp.dyn)
		rc = load_bad(err, errlen, VM_EINVAL, path, "%snot a shared object (ET_DYN)", what);
	if (!rc && g->interp.interp)
		rc = load_bad(err, errlen, VM_EINVAL, path, "%sit names an interpreter of its own (%s)",
			      what, g->interp.interp);
	return rc;
}

const char *load_path(const struct load_prog *g)
{
	return g->path;
}

void load_free(struct load_prog *g)
{
	if (!g)
		return;
	elfimg_free(&g->exe);
	elfimg_free(&g->interp);
	free(g->path);
	free(g->file);
	free(g->interp_file);
	free(g);
}

/* Where everything goes, decided before anything changes. */
typedef struct load_plan {
	uint64_t page;
	uint64_t bias, lo, hi;     /* executable: load bias, its span with it */
	uint64_t ibias, ilo, ihi;  /* interpreter (ilo == ihi: none) */
	uint64_t top;              /* the stack's end: LOAD_STACK_TOP, page aligned down */
	uint64_t stack_lo, floor;  /* initial stack start, lowest it may grow to */
	uint64_t sp;
	unsigned char *stack;      /* the bytes of [sp & ~(page-1), LOAD_STACK_TOP) */
	size_t nstack;
} load_plan_t;

/* Page-dependent checks and the placement of both images and the stack. */
static int load_place(const struct load_prog *g, const vm_config_t *cfg, uint64_t limit,
		      load_plan_t *pl, char *err, size_t errlen)
{
	char why[256];
	uint64_t page = pl->page = cfg->page_size;
	if (cfg->va_bits < 64 && LOAD_STACK_TOP > (1ull << cfg->va_bits))
		return load_bad(err, errlen, VM_EINVAL, g->path, "the stack below 0x%llx needs at least 47 virtual address bits (this machine has %u; --va-bits 48)",
				(unsigned long long)LOAD_STACK_TOP, cfg->va_bits);
	if (elfimg_check_pages(&g->exe, page, why, sizeof why))
		return load_bad(err, errlen, VM_EINVAL, g->path, "%s", why);
	if (g->interp_file && elfimg_check_pages(&g->interp, page, why, sizeof why))
		return load_bad(err, errlen, VM_EINVAL, g->path, "interpreter %s: %s", g->exe.interp, why);
	pl->top = LOAD_STACK_TOP & ~(page - 1);
	if (limit < page || limit > LOAD_STACK_TOP / 2)
		return load_bad(err, errlen, VM_EINVAL, g->path, "--stack-limit %llu is not between a page (%llu) and 0x%llx",
				(unsigned long long)limit, (unsigned long long)page,
				(unsigned long long)(LOAD_STACK_TOP / 2));
	pl->floor = pl->top - (limit & ~(page - 1));
	uint64_t gap = limit + LOAD_GUARD_PAGES * page;  /* Linux's mmap_base */
	uint64_t top = pl->top - (gap > LOAD_GAP_MIN ? gap : LOAD_GAP_MIN);
	top &= ~(page - 1);
	elfimg_span(&g->exe, page, &pl->lo, &pl->hi);
	pl->bias = g->exe.dyn ? (LOAD_PIE_BASE & ~(page - 1)) - pl->lo : 0;
	pl->lo += pl->bias;
	pl->hi += pl->bias;
	pl->ilo = pl->ihi = top;
	if (g->interp_file) {
		uint64_t lo, hi;
		elfimg_span(&g->interp, page, &lo, &hi);
		if (hi - lo > top - LOAD_MIN_ADDR)
			return load_bad(err, errlen, VM_EINVAL, g->path, "interpreter %s: its segments span 0x%llx bytes, more than fit below 0x%llx",
					g->exe.interp, (unsigned long long)(hi - lo), (unsigned long long)top);
		pl->ilo = top - (hi - lo);
		pl->ibias = pl->ilo - lo;
	}
	if (pl->lo < LOAD_MIN_ADDR)
		return load_bad(err, errlen, VM_EINVAL, g->path, "segment %u at 0x%llx lies below 0x%llx (Linux's vm.mmap_min_addr)",
				g->exe.segs[0].index, (unsigned long long)pl->lo,
				(unsigned long long)LOAD_MIN_ADDR);
	if (pl->hi > pl->ilo)
		return load_bad(err, errlen, VM_EINVAL, g->path, "its segments (0x%llx-0x%llx) run into the %s at 0x%llx",
				(unsigned long long)pl->lo, (unsigned long long)pl->hi,
				g->interp_file ? "interpreter" : "area kept below the stack",
				(unsigned long long)pl->ilo);
	uint64_t init = (LOAD_STACK_INIT + page - 1) & ~(page - 1);
	if (init > pl->top - pl->floor)
		init = pl->top - pl->floor;
	pl->stack_lo = pl->top - init;
	return VM_OK;
}

/* 8 bytes little-endian at b. */
static void load_put64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

/* Where AT_PHDR points: the program headers inside the PT_LOAD holding
 * them, 0 if none does. */
static uint64_t load_phdr(const elfimg_t *img, uint64_t bias)
{
	for (size_t i = 0; i < img->nsegs; i++) {
		const elfimg_seg_t *s = &img->segs[i];
		if (img->phoff >= s->offset && img->phoff - s->offset < s->filesz)
			return s->vaddr + (img->phoff - s->offset) + bias;
	}
	return 0;
}

/* The initial stack as Linux's create_elf_tables lays it out, from the top:
 * 8 zero bytes, AT_EXECFN's string, the argv then envp strings, the
 * platform string, AT_RANDOM's 16 bytes; 16-byte aligned below them argc,
 * argv[], NULL, envp[], NULL, auxv pairs ending in AT_NULL (sp -> argc). */
static int load_stack(const struct load_prog *g, load_plan_t *pl, const char *const *argv,
		      size_t argc, char *err, size_t errlen)
{
	size_t nenv = sizeof load_env / sizeof load_env[0];
	uint64_t strs = 0, room = pl->top - pl->stack_lo;
	for (size_t i = 0; i < argc; i++)
		strs += strlen(argv[i]) + 1;
	for (size_t i = 0; i < nenv; i++)
		strs += strlen(load_env[i]) + 1;
	uint64_t fn = strlen(g->path) + 1, words = 1 + argc + 1 + nenv + 1 + 2 * 12;
	uint64_t need = 8 + fn + strs + 7 + 16 + 16 + words * 8 + 16;
	if (need > room)
		return load_bad(err, errlen, VM_EINVAL, g->path, "the arguments and environment (%llu bytes) do not fit the initial stack (%llu bytes)",
				(unsigned long long)need, (unsigned long long)room);
	unsigned char *b = calloc(1, room);
	if (!b)
		return load_bad(err, errlen, VM_ENOMEM, g->path, "out of memory");
	uint64_t base = pl->stack_lo, p = pl->top - 8;
#define AT(va) (b + ((va) - base))
	uint64_t execfn = p -= fn;
	memcpy(AT(p), g->path, fn);
	uint64_t s = p -= strs, argp = 0, envp = 0;
	argp = s;
	for (size_t i = 0; i < argc; s += strlen(argv[i++]) + 1)
		memcpy(AT(s), argv[i], strlen(argv[i]) + 1);
	envp = s;
	for (size_t i = 0; i < nenv; s += strlen(load_env[i++]) + 1)
		memcpy(AT(s), load_env[i], strlen(load_env[i]) + 1);
	uint64_t platform = p -= 7;
	memcpy(AT(p), "x86_64", 7);
	uint64_t rnd = p -= 16;
	for (int i = 0; i < 16; i++)
		*AT(p + (uint64_t)i) = (unsigned char)(0x10 * i + i); /* fixed: runs repeat */
	p &= ~15ull;
	uint64_t sp = pl->sp = (p - words * 8) & ~15ull, w = sp;
	load_put64(AT(w), argc), w += 8;
	for (size_t i = 0; i < argc; argp += strlen(argv[i++]) + 1, w += 8)
		load_put64(AT(w), argp);
	w += 8;
	for (size_t i = 0; i < nenv; envp += strlen(load_env[i++]) + 1, w += 8)
		load_put64(AT(w), envp);
	w += 8;
	const uint64_t aux[][2] = {
		{ 3, load_phdr(&g->exe, pl->bias) }, { 4, 56 }, { 5, g->exe.phnum }, { 6, pl->page },
		{ 7, g->interp_file ? pl->ibias : 0 }, { 8, 0 }, { 9, g->exe.entry + pl->bias },
		{ 15, platform }, { 23, 0 }, { 25, rnd }, { 31, execfn }, { 0, 0 } };
	for (size_t i = 0; i < sizeof aux / sizeof aux[0]; i++, w += 16) {
		load_put64(AT(w), aux[i][0]);
		load_put64(AT(w + 8), aux[i][1]);
	}
#undef AT
	uint64_t from = sp & ~(pl->page - 1);
	pl->nstack = pl->top - from;
	pl->stack = b;
	memmove(b, b + (from - base), pl->nstack);
	return VM_OK;
}

/* Map the segments of img (file: its resolved path) with load bias bias. */
static int load_map(vm_machine_t *vm, uint32_t pid, const elfimg_t *img, const char *file,
		    uint64_t bias, uint64_t page)
{
	uint64_t mask = page - 1, got;
	int rc = VM_OK;
	for (size_t i = 0; i < img->nsegs && !rc; i++) {
		const elfimg_seg_t *s = &img->segs[i];
		uint64_t va = s->vaddr + bias, start = va & ~mask, fend = va + s->filesz;
		uint64_t fpages = s->filesz ? (fend + mask) & ~mask : start;
		uint64_t mpages = (va + s->memsz + mask) & ~mask;
		vm_region_kind_t kind = s->prot & VM_PROT_X ? VM_KIND_TEXT : VM_KIND_DATA;
		if (s->filesz)
			rc = vm_mmap(vm, pid, start, fpages - start, s->prot, VM_MAP_PRIVATE, file,
				     s->offset & ~mask, kind, &got);
		if (!rc && s->filesz && s->memsz > s->filesz && (fend & mask))
			rc = vm_region_zero_from(vm, pid, start, fend);
		if (!rc && mpages > fpages)
			rc = vm_mmap(vm, pid, fpages, mpages - fpages, s->prot, VM_MAP_PRIVATE, NULL, 0,
				     kind, &got);
	}
	return rc;
}

/* The stack region, growing down to pl->floor, its top page(s) written. */
static int load_map_stack(vm_machine_t *vm, uint32_t pid, const load_plan_t *pl)
{
	uint64_t got;
	int rc = vm_mmap(vm, pid, pl->stack_lo, pl->top - pl->stack_lo,
			 VM_PROT_R | VM_PROT_W, VM_MAP_PRIVATE, NULL, 0, VM_KIND_STACK, &got);
	if (!rc && pl->floor < pl->stack_lo)
		rc = vm_region_grows_down(vm, pid, pl->stack_lo, pl->floor);
	if (!rc)
		rc = vm_preload(vm, pid, pl->top - pl->nstack, pl->stack, pl->nstack);
	return rc;
}

int load_exec(vm_machine_t *vm, const struct load_prog *g, uint32_t pid, const char *label,
	      const char *const *argv, size_t argc, uint64_t stack_limit, FILE *out, char *err,
	      size_t errlen)
{
	load_plan_t pl = { 0 };
	err[0] = 0;
	int rc = load_place(g, vm_config(vm), stack_limit ? stack_limit : LOAD_STACK_LIMIT, &pl,
			    err, errlen);
	if (!rc)
		rc = load_stack(g, &pl, argv, argc, err, errlen);
	if (rc)
		return rc;
	rc = vm_exec_reset(vm, pid, pl.hi); /* from here on only the kernel can refuse */
	if (!rc)
		rc = load_map(vm, pid, &g->exe, g->file, pl.bias, pl.page);
	if (!rc && g->interp_file)
		rc = load_map(vm, pid, &g->interp, g->interp_file, pl.ibias, pl.page);
	if (!rc)
		rc = load_map_stack(vm, pid, &pl);
	free(pl.stack);
	if (rc)
		return rc;
	uint64_t entry = g->interp_file ? g->interp.entry + pl.ibias : g->exe.entry + pl.bias;
	fprintf(out, "exec %s: entry 0x%llx, sp 0x%llx, brk 0x%llx\n", label,
		(unsigned long long)entry, (unsigned long long)pl.sp, (unsigned long long)pl.hi);
	return VM_OK;
}
