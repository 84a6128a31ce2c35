/* umalloc.h - malloc and free running inside a simulated process (prefix um_).
 *
 * The allocator of CS:APP §9.9: an implicit free list of blocks with 8-byte
 * boundary tags (a header and a footer in every block, free or allocated),
 * first fit, splitting, immediate coalescing, 16-byte alignment.  Its tags are
 * real bytes in the process's pages, written and read with vm_write/vm_read,
 * so malloc and free make the references a real malloc makes (and fault as
 * it would).  The heap grows with vm_brk by the request plus UM_TOP_PAD
 * (glibc's M_TOP_PAD), rounded up to pages; requests of UM_MMAP_THRESHOLD
 * bytes or more get a mapping of their own (vm_mmap) that free unmaps.
 *
 * The heap, from the break at the first request served from it (B, made a
 * multiple of 16), to the break (E, the end of the last page grown):
 *
 *   B      B+8        B+16       B+24                          E-8    E
 *   | pad  | 16|1     | 16|1     | hdr | payload ...  | ftr | ...| 0|1 |
 *          prologue hdr, ftr     first block (payload at B+32)   epilogue
 *
 * A block of size S (a multiple of 16, at least 32) at header address H:
 *
 *   H          H+8                              H+S-8      H+S
 *   | S|a      | payload (16-byte aligned) ...  | S|a      |
 *   header                                      footer
 *
 * a = 1 when allocated.  A tag is one little-endian 64-bit word.  A request
 * of n bytes takes a block of max(32, n + 16 rounded up to 16).
 *
 * A mapped block: a mapping M of n + 16 bytes rounded up to pages; one tag
 * at M+8, (mapping length | 2), glibc's IS_MMAPPED; the payload at M+16.
 *
 * The state of every block is also kept here, on the host side, as the
 * truth: every tag read back must equal what the allocator wrote, so a
 * script that overwrites a tag (a heap overflow) is told "heap corrupted"
 * rather than corrupting anything; a pointer free did not hand out is
 * refused by that state before any byte is read. */
#ifndef VMLAB_UMALLOC_H
#define VMLAB_UMALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab_sys.h"

#define UM_TOP_PAD (128u << 10)         /* heap growth beyond the request */
#define UM_MMAP_THRESHOLD (128u << 10)  /* requests this large get their own mapping */
#define UM_ALIGN 16u                    /* payload alignment, block size unit */
#define UM_MIN_BLOCK 32u                /* header + 16 payload bytes + footer */

typedef struct um_heap um_heap_t;

/* n bytes from process pid's heap (created in *h at the first call): *out
 * gets the payload's address, or 0 when the kernel has no room (brk or mmap
 * refused: malloc returns NULL).  Returns 0; VM_EINVAL with why filled
 * (heap corrupted, break moved under it, heap left half-written by an
 * earlier failure); or the failing vm_ call's code (VM_ESRCH, VM_EFAULT
 * when the process died touching its heap, VM_EKILLED, VM_EIO, ...), after
 * which *h is marked unusable unless the process died. */
int um_malloc(um_heap_t **h, vm_machine_t *vm, uint32_t pid, uint64_t n, uint64_t *out,
	      char *why, size_t whylen);

/* Free the block whose payload is at addr.  VM_EINVAL with why filled when
 * addr is not the payload of an allocated block ("not an allocated block
 * (...)": a double free, an address inside a block, outside the heap:
 * nothing is read or written then), or when a tag read back differs ("heap
 * corrupted: ...": what was written before stays).  Other codes as
 * um_malloc. */
int um_free(um_heap_t **h, vm_machine_t *vm, uint32_t pid, uint64_t addr, char *why,
	    size_t whylen);

/* The allocator state a forked child inherits: a copy of *parent into
 * *child (NULL when the parent never allocated).  VM_ENOMEM on host memory. */
int um_fork(um_heap_t **child, const um_heap_t *parent);

/* Drop the state of a process that exited (*h becomes NULL). */
void um_drop(um_heap_t **h);

/* What the tests and README look at: the heap's bounds [start, end) (0, 0
 * before the first heap request), its block count, and the mapped blocks. */
typedef struct um_info {
	uint64_t start, end;
	size_t blocks, free_blocks;
	uint64_t free_bytes;
	size_t mapped;
} um_info_t;
void um_info(const um_heap_t *h, um_info_t *out);

#endif
