/* elfimg.c - reading an untrusted ELF executable's program headers with
 * libelf: see elfimg.h for the contract. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script/elfimg.h"
#include "util/vmerr.h"
#include "vmlab_sys.h"

/* A reading in progress: the file, libelf's handle, what is known so far. */
typedef struct elfimg_rd {
	int fd;
	Elf *e;
	uint64_t size;             /* bytes of the file */
	elfimg_t *img;
	char *err;
	size_t errlen;
} elfimg_rd_t;

/* The reason into err; returns rc. */
static int elfimg_bad(elfimg_rd_t *r, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* Whether [off, off+len) lies inside the file (no wrap). */
static int elfimg_in_file(const elfimg_rd_t *r, uint64_t off, uint64_t len)
{
	return off <= r->size && len <= r->size - off;
}

/* The PT_INTERP string of program header i: NUL-terminated, no NUL before
 * its end, not empty, shorter than PATH_MAX. */
static int elfimg_interp(elfimg_rd_t *r, unsigned i, const GElf_Phdr *ph)
{
	if (r->img->interp)
		return elfimg_bad(r, VM_EINVAL, "program header %u: a second PT_INTERP", i);
	if (!elfimg_in_file(r, ph->p_offset, ph->p_filesz))
		return elfimg_bad(r, VM_EINVAL, "program header %u: PT_INTERP (offset 0x%llx, 0x%llx bytes) lies past the end of the file (0x%llx bytes)",
				  i, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
				  (unsigned long long)r->size);
	if (ph->p_filesz < 2 || ph->p_filesz > PATH_MAX)
		return elfimg_bad(r, VM_EINVAL, "program header %u: PT_INTERP of 0x%llx bytes is no path",
				  i, (unsigned long long)ph->p_filesz);
	Elf_Data *d = elf_getdata_rawchunk(r->e, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_BYTE);
	if (!d || d->d_size != ph->p_filesz)
		return elfimg_bad(r, VM_EINVAL, "program header %u: cannot read PT_INTERP: %s", i,
				  elf_errmsg(-1));
	const char *s = d->d_buf;
	if (s[ph->p_filesz - 1] || strlen(s) != ph->p_filesz - 1)
		return elfimg_bad(r, VM_EINVAL, "program header %u: PT_INTERP is not one NUL-terminated path", i);
	r->img->interp = strdup(s);
	return r->img->interp ? VM_OK : elfimg_bad(r, VM_ENOMEM, "out of memory");
}

/* Check PT_LOAD header i by itself and against the one before it, then keep it. */
static int elfimg_load(elfimg_rd_t *r, unsigned i, const GElf_Phdr *ph)
{
	elfimg_t *img = r->img;
	unsigned long long va = ph->p_vaddr, ms = ph->p_memsz, off = ph->p_offset, fs = ph->p_filesz;
	if (fs > ms)
		return elfimg_bad(r, VM_EINVAL, "segment %u: p_filesz 0x%llx is more than p_memsz 0x%llx", i, fs, ms);
	if (!elfimg_in_file(r, off, fs))
		return elfimg_bad(r, VM_EINVAL, "segment %u: its file bytes (offset 0x%llx, 0x%llx bytes) lie past the end of the file (0x%llx bytes)",
				  i, off, fs, (unsigned long long)r->size);
	if (va >= ELFIMG_USER_TOP || ms > ELFIMG_USER_TOP - va)
		return elfimg_bad(r, VM_EINVAL, "segment %u: 0x%llx bytes at 0x%llx end past the user address space (0x%llx)",
				  i, ms, va, (unsigned long long)ELFIMG_USER_TOP);
	uint64_t al = ph->p_align;
	if (al > 1 && (al & (al - 1)))
		return elfimg_bad(r, VM_EINVAL, "segment %u: p_align 0x%llx is not a power of two", i,
				  (unsigned long long)al);
	if (al > 1 && (va & (al - 1)) != (off & (al - 1)))
		return elfimg_bad(r, VM_EINVAL, "segment %u: p_vaddr 0x%llx and p_offset 0x%llx differ modulo p_align 0x%llx",
				  i, va, off, (unsigned long long)al);
	if (!ms)
		return VM_OK; /* maps nothing (Linux skips it too) */
	if (img->nsegs) {
		const elfimg_seg_t *prev = &img->segs[img->nsegs - 1];
		if (va < prev->vaddr)
			return elfimg_bad(r, VM_EINVAL, "segment %u: p_vaddr 0x%llx comes before segment %u's 0x%llx (PT_LOADs go in ascending order)",
					  i, va, prev->index, (unsigned long long)prev->vaddr);
		if (va < prev->vaddr + prev->memsz)
			return elfimg_bad(r, VM_EINVAL, "segments %u and %u overlap (0x%llx is below 0x%llx, where %u ends)",
					  prev->index, i, va, (unsigned long long)(prev->vaddr + prev->memsz), prev->index);
	}
	img->segs[img->nsegs++] = (elfimg_seg_t){
		.vaddr = va, .memsz = ms, .offset = off, .filesz = fs, .index = i,
		.prot = (ph->p_flags & PF_R ? VM_PROT_R : 0) | (ph->p_flags & PF_W ? VM_PROT_W : 0) |
			(ph->p_flags & PF_X ? VM_PROT_X : 0) };
	return VM_OK;
}

/* The ELF header: a 64-bit executable with a sane number of program headers. */
static int elfimg_header(elfimg_rd_t *r, size_t *phnum)
{
	GElf_Ehdr eh;
	if (elf_kind(r->e) != ELF_K_ELF && r->size < sizeof(Elf64_Ehdr))
		return elfimg_bad(r, VM_EINVAL, "not an ELF file (truncated: %llu bytes, less than an ELF header's %zu)",
				  (unsigned long long)r->size, sizeof(Elf64_Ehdr));
	if (elf_kind(r->e) != ELF_K_ELF)
		return elfimg_bad(r, VM_EINVAL, "not an ELF file (no \\x7fELF at its start)");
	if (gelf_getclass(r->e) != ELFCLASS64)
		return elfimg_bad(r, VM_EINVAL, "not a 64-bit ELF file");
	if (!gelf_getehdr(r->e, &eh))
		return elfimg_bad(r, VM_EINVAL, "bad ELF header: %s", elf_errmsg(-1));
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return elfimg_bad(r, VM_EINVAL, "not an executable (e_type %u)", (unsigned)eh.e_type);
	/* before libelf's count, which shrinks to what the file holds */
	if (eh.e_phnum != PN_XNUM && !elfimg_in_file(r, eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr)))
		return elfimg_bad(r, VM_EINVAL, "the program headers (offset 0x%llx, %u of them) lie past the end of the file (0x%llx bytes)",
				  (unsigned long long)eh.e_phoff, (unsigned)eh.e_phnum, (unsigned long long)r->size);
	if (elf_getphdrnum(r->e, phnum))
		return elfimg_bad(r, VM_EINVAL, "bad program header count: %s", elf_errmsg(-1));
	if (*phnum == 0 || *phnum > ELFIMG_MAX_PHNUM)
		return elfimg_bad(r, VM_EINVAL, "%zu program headers (1 to %u)", *phnum, ELFIMG_MAX_PHNUM);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return elfimg_bad(r, VM_EINVAL, "e_phentsize %u (a 64-bit program header is %zu bytes)",
				  (unsigned)eh.e_phentsize, sizeof(Elf64_Phdr));
	if (!elfimg_in_file(r, eh.e_phoff, (uint64_t)*phnum * sizeof(Elf64_Phdr)))
		return elfimg_bad(r, VM_EINVAL, "the program headers (offset 0x%llx, %zu of them) lie past the end of the file (0x%llx bytes)",
				  (unsigned long long)eh.e_phoff, *phnum, (unsigned long long)r->size);
	r->img->dyn = eh.e_type == ET_DYN;
	r->img->entry = eh.e_entry;
	r->img->phoff = eh.e_phoff;
	r->img->phnum = (unsigned)*phnum;
	return VM_OK;
}

/* Every program header, once the file is open in r. */
static int elfimg_parse(elfimg_rd_t *r)
{
	size_t phnum;
	int rc = elfimg_header(r, &phnum);
	if (rc)
		return rc;
	if (!(r->img->segs = calloc(phnum, sizeof *r->img->segs)))
		return elfimg_bad(r, VM_ENOMEM, "out of memory");
	for (unsigned i = 0; i < phnum && !rc; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(r->e, (int)i, &ph))
			return elfimg_bad(r, VM_EINVAL, "program header %u: %s", i, elf_errmsg(-1));
		if (ph.p_type == PT_LOAD)
			rc = elfimg_load(r, i, &ph);
		else if (ph.p_type == PT_INTERP)
			rc = elfimg_interp(r, i, &ph);
	}
	if (!rc && !r->img->nsegs)
		rc = elfimg_bad(r, VM_EINVAL, "no PT_LOAD segment with bytes in memory");
	return rc;
}

int elfimg_read(const char *path, elfimg_t *img, char *err, size_t errlen)
{
	*img = (elfimg_t){ 0 };
	elfimg_rd_t r = { .img = img, .err = err, .errlen = errlen, .fd = -1 };
	struct stat st;
	int rc = VM_OK;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return elfimg_bad(&r, VM_EIO, "libelf: %s", elf_errmsg(-1));
	r.fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO must not block */
	if (r.fd < 0)
		return elfimg_bad(&r, errno == ENOENT ? VM_ENOENT : VM_EIO, "%s", strerror(errno));
	if (fstat(r.fd, &st) || !S_ISREG(st.st_mode))
		rc = elfimg_bad(&r, VM_EINVAL, "not a regular file");
	r.size = rc ? 0 : (uint64_t)st.st_size;
	if (!rc && !(r.e = elf_begin(r.fd, ELF_C_READ, NULL)))
		rc = elfimg_bad(&r, VM_EINVAL, "not an ELF file: %s", elf_errmsg(-1));
	if (!rc)
		rc = elfimg_parse(&r);
	if (r.e)
		elf_end(r.e);
	close(r.fd);
	if (rc)
		elfimg_free(img);
	return rc;
}

void elfimg_free(elfimg_t *img)
{
	free(img->segs);
	free(img->interp);
	*img = (elfimg_t){ 0 };
}

int elfimg_check_pages(const elfimg_t *img, uint64_t page, char *err, size_t errlen)
{
	uint64_t mask = page - 1;
	for (size_t i = 0; i < img->nsegs; i++) {
		const elfimg_seg_t *s = &img->segs[i];
		if ((s->vaddr & mask) != (s->offset & mask)) {
			snprintf(err, errlen, "segment %u: p_vaddr 0x%llx and p_offset 0x%llx differ modulo the page size 0x%llx",
				 s->index, (unsigned long long)s->vaddr, (unsigned long long)s->offset,
				 (unsigned long long)page);
			return VM_EINVAL;
		}
		const elfimg_seg_t *prev = i ? &img->segs[i - 1] : NULL;
		if (prev && ((prev->vaddr + prev->memsz + mask) & ~mask) > (s->vaddr & ~mask)) {
			snprintf(err, errlen, "segments %u and %u share the page at 0x%llx (page size 0x%llx)",
				 prev->index, s->index, (unsigned long long)(s->vaddr & ~mask),
				 (unsigned long long)page);
			return VM_EINVAL;
		}
	}
	return VM_OK;
}

void elfimg_span(const elfimg_t *img, uint64_t page, uint64_t *lo, uint64_t *hi)
{
	const elfimg_seg_t *last = &img->segs[img->nsegs - 1];
	*lo = img->segs[0].vaddr & ~(page - 1);
	*hi = (last->vaddr + last->memsz + page - 1) & ~(page - 1);
}
