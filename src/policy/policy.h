/* policy.h - the replacement-policy plug-in interface (prefix policy_).
 *
 * Mechanism vs policy: the machine owns frames, page tables, dirty state, swap
 * slots and the reverse map.  A policy only orders the resident frames and
 * picks a victim.  It learns about frames through the callbacks below and may
 * ask the machine for the hardware's accessed and dirty bits through the
 * vm_frame_* helpers; it never touches page tables or the TLB itself.
 *
 * Frames are user frame numbers 0 .. nframes-1.  The machine hands out free
 * frames lowest first.  A frame is "resident" from on_fill until on_evict.
 *
 * Call order for one reference that faults:
 *   pick_victim (only if no frame is free) -> on_evict(victim)
 *   -> on_fill(frame, seq) -> [the access is retried and completes]
 *   -> on_access(frame, seq)
 * and for one that does not fault: on_access(frame, seq) only.
 * seq numbers page references from 0 in the order the machine performs them.
 */
#ifndef VMLAB_POLICY_H
#define VMLAB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t frame_id_t;
#define FRAME_NONE UINT32_MAX

/* A next-use value meaning "never referenced again". */
#define NEXT_USE_NEVER UINT64_MAX

/* What information a policy needs; reports print it. */
typedef enum policy_needs {
	POLICY_NEEDS_HW_BITS,  /* only what hardware gives: accessed/dirty bits */
	POLICY_NEEDS_EVERY_REF,/* sees every reference (hardware does not tell) */
	POLICY_NEEDS_FUTURE,   /* reads the references still to come */
} policy_needs_t;

struct vm_machine;

/* What the machine gives a policy when it is created. */
typedef struct policy_env {
	uint32_t nframes;          /* user frames */
	uint64_t seed;             /* for randomized policies */
	void *frame_priv;          /* nframes * ops->frame_priv_size zeroed bytes,
				      owned by the machine; NULL if size is 0 */
	const uint64_t *next_use;  /* next_use[seq]: seq of the next reference to
				      the same page, NEXT_USE_NEVER if none;
				      NULL when the future is unknown */
	struct vm_machine *vm;     /* for the vm_frame_* helpers */
} policy_env_t;

typedef struct policy_ops {
	const char *name;          /* as given to --policy */
	const char *summary;       /* one line for --help and reports */
	policy_needs_t needs;
	size_t frame_priv_size;    /* bytes of per-frame state the machine keeps */
	/* Returns the policy's state, or NULL if it cannot run (no memory, or a
	 * future it needs is missing: env->next_use NULL). */
	void *(*create)(const policy_env_t *env);
	void (*destroy)(void *state);
	/* Frame f now holds a page, loaded by reference seq. */
	void (*on_fill)(void *state, frame_id_t f, uint64_t seq);
	/* Reference seq to the page in frame f completed.  May be NULL; the
	 * machine calls it only if non-NULL (policies of POLICY_NEEDS_HW_BITS
	 * should leave it NULL: hardware does not report references). */
	void (*on_access)(void *state, frame_id_t f, uint64_t seq);
	/* Frame f no longer holds its page (evicted or released). */
	void (*on_evict)(void *state, frame_id_t f);
	/* Choose a resident frame to evict.  Called only when at least one frame
	 * is resident; must return one of them. */
	frame_id_t (*pick_victim)(void *state);
} policy_ops_t;

/* Hardware bits of the page in frame f, through every PTE that maps it (the
 * reverse map).  Provided by the machine (src/kern). */
/* true if any mapping has its accessed bit set. */
bool vm_frame_young(struct vm_machine *vm, frame_id_t f);
/* Like vm_frame_young, and clears the accessed bits it found, dropping those
 * mappings' TLB entries (as Linux's ptep_clear_flush_young) so that the next
 * reference walks the table and sets the bit again. */
bool vm_frame_test_and_clear_young(struct vm_machine *vm, frame_id_t f);
/* true if the page must be written back before its frame is reused. */
bool vm_frame_dirty(struct vm_machine *vm, frame_id_t f);

/* The registry: every policy, listed once (registry.c). */
extern const policy_ops_t *const policy_registry[];
extern const size_t policy_count;

/* The policy named name, or NULL. */
const policy_ops_t *policy_find(const char *name);

/* "hardware bits", "every reference" or "future". */
const char *policy_needs_name(policy_needs_t needs);

#endif
