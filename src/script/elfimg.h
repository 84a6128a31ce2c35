/* elfimg.h - what a loader needs of an ELF executable, read with elfutils'
 * libelf (prefix elfimg_).
 *
 * Contract: elfimg_read takes a host file that nobody vouches for.  Whatever
 * its bytes, it either fills an elfimg_t whose every segment is sane in
 * itself (below) or returns VM_EINVAL with what is wrong in err ("segment 2:
 * p_filesz 0x2000 is more than p_memsz 0x1000"); it never crashes and reads
 * only the headers (and the PT_INTERP string), however large the file.
 *
 * Sane: a 64-bit ELF executable (ET_EXEC or ET_DYN) with 1..ELFIMG_MAX_PHNUM
 * program headers and at least one non-empty PT_LOAD; each PT_LOAD has
 * p_filesz <= p_memsz, its file bytes inside the file, its addresses inside
 * the user address space (below ELFIMG_USER_TOP), p_vaddr and p_offset
 * congruent modulo p_align (a power of two or 0/1); PT_LOADs are in
 * ascending p_vaddr order and do not overlap; at most one PT_INTERP, a
 * NUL-terminated path inside the file.  What depends on the machine (its
 * page size: elfimg_check_pages) is checked when the program is loaded. */
#ifndef VMLAB_SCRIPT_ELFIMG_H
#define VMLAB_SCRIPT_ELFIMG_H

#include <stddef.h>
#include <stdint.h>

/* Linux's limit: 64 KiB of program headers. */
#define ELFIMG_MAX_PHNUM (65536u / 56u)
/* x86-64 Linux's TASK_SIZE: the user address space ends here. */
#define ELFIMG_USER_TOP 0x7ffffffff000ull

typedef struct elfimg_seg {
	uint64_t vaddr, memsz;     /* where it goes (before any load bias) */
	uint64_t offset, filesz;   /* what of the file it holds */
	unsigned prot;             /* VM_PROT_* from p_flags */
	unsigned index;            /* its program header, for messages */
} elfimg_seg_t;

typedef struct elfimg {
	int dyn;                   /* ET_DYN: placed where the loader chooses */
	uint64_t entry;            /* e_entry */
	uint64_t phoff;            /* e_phoff, for AT_PHDR */
	unsigned phnum;
	elfimg_seg_t *segs;        /* the non-empty PT_LOADs, ascending */
	size_t nsegs;
	char *interp;              /* PT_INTERP's path as written, or NULL */
} elfimg_t;

/* Read the program headers of the file at path (opened read-only).  0, or
 * VM_EINVAL (a bad ELF), VM_ENOENT / VM_EIO (cannot open or read it),
 * VM_ENOMEM, with the reason in err. */
int elfimg_read(const char *path, elfimg_t *img, char *err, size_t errlen);
void elfimg_free(elfimg_t *img);

/* Whether img can be mapped with pages of page bytes: p_vaddr and p_offset
 * congruent modulo the page, and no two segments sharing a page.  0 or
 * VM_EINVAL with the reason in err. */
int elfimg_check_pages(const elfimg_t *img, uint64_t page, char *err, size_t errlen);

/* [*lo, *hi): the pages img's segments span, page_size-rounded. */
void elfimg_span(const elfimg_t *img, uint64_t page, uint64_t *lo, uint64_t *hi);

#endif
