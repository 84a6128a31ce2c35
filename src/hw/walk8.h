/* walk8.h - OSTEP's small two-level machine of vm-smalltables/
 * paging-multilevel-translate.py (prefix walk8_): 32-byte pages, 128 frames
 * (4 KiB of physical memory, 12-bit PA), 15-bit VA split 5/5/5 (directory
 * index, table index, offset), no TLB.  Entries, directory and table alike,
 * are one byte: bit 7 valid, bits 0-6 a PFN.  The page directory is the
 * frame the PDBR names. */
#ifndef VMLAB_HW_WALK8_H
#define VMLAB_HW_WALK8_H

#include <stdint.h>

#define WALK8_PAGE_SHIFT 5
#define WALK8_PAGE_SIZE (1u << WALK8_PAGE_SHIFT)
#define WALK8_FRAMES 128u
#define WALK8_MEM (WALK8_PAGE_SIZE * WALK8_FRAMES)   /* 4096 bytes */
#define WALK8_VA_BITS 15
#define WALK8_PA_BITS 12
#define WALK8_INDEX_BITS 5                          /* per level */
#define WALK8_LEVELS 2
#define PTE8_VALID 0x80u
#define PTE8_PFN 0x7fu

/* One level of the walk: the index taken from the VA, the entry's physical
 * address, the entry, and its two fields. */
typedef struct walk8_step {
	unsigned index, pte_pa, pte, valid, pfn;
} walk8_step_t;

typedef struct walk8_result {
	walk8_step_t steps[WALK8_LEVELS];
	unsigned nsteps;
	unsigned fault_level;   /* 0: translated; 1 or 2: that level's entry was not valid */
	unsigned pa;            /* when translated */
} walk8_result_t;

/* Translate va (below 2^15) with the directory in frame pdbr (below 128)
 * through mem (WALK8_MEM bytes). */
void walk8_translate(const uint8_t *mem, unsigned pdbr, unsigned va, walk8_result_t *r);

#endif
