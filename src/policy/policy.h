/* policy.h - the replacement-policy plug-in interface (prefix policy_).
 *
 * Mechanism vs policy: the machine owns frames, page tables, dirty state, swap
 * slots and the reverse map.  A policy only orders the resident frames and
 * picks a victim.  It learns about frames through the callbacks below and may
 * ask its host for the hardware's accessed and dirty bits through
 * policy_young() and friends; it never touches page tables or the TLB itself.
 *
 * Frames are user frame numbers 0 .. nframes-1.  The machine hands out free
 * frames lowest first.  A frame is "resident" from on_fill until on_evict.
 *
 * Call order for one reference that faults:
 *   pick_victim(incoming) (only if no frame is free) -> on_evict(victim, RECLAIM)
 *   -> on_fill(frame, page) -> [the access is retried and completes]
 *   -> on_access(frame, seq) with seq == page->seq
 * and for one that does not fault: on_access(frame, seq) only.  The
 * on_access that follows an on_fill with the same seq is the faulting
 * reference's retry, not a hit: a policy that counts hits (SIEVE's visited
 * flag, ARC's T1 -> T2 promotion) must not count it.  seq numbers page
 * references from 0 in the order the machine performs them.
 *
 * Version 2 (POLICY_VERSION) gives policies pages, not only frames: a page
 * key that survives eviction (so ghost lists and refault distance can be
 * kept), the reason a page leaves (reclaimed, or released by unmap/exit), a
 * shadow cookie the machine keeps with a page that left and hands back when
 * it returns (Linux's mm/workingset.c), and the page being faulted in when a
 * victim is chosen (ARC adapts before REPLACE).
 */
#ifndef VMLAB_POLICY_H
#define VMLAB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t frame_id_t;
#define FRAME_NONE UINT32_MAX

/* The interface version policy_ops_t.version must hold. */
#define POLICY_VERSION 2

/* The identity of a page, unchanged by its eviction: (address space, VPN)
 * for anonymous memory, (object, page offset) for page-cache pages; built
 * by policy_key.  PAGE_KEY_NONE: no page (reclaim ahead of any fault). */
typedef uint64_t page_key_t;
#define PAGE_KEY_NONE UINT64_MAX

/* A policy's note about a page that left (an eviction counter, say), kept by
 * the machine with the non-resident page and given back on its return; 0
 * means none. */
typedef uint64_t policy_shadow_t;

/* Why a page leaves its frame. */
typedef enum policy_why {
	POLICY_RECLAIM,   /* evicted: the page lives on (swap, file, or refault) */
	POLICY_RELEASE,   /* released: unmapped or its process ended; keep no ghost */
} policy_why_t;

/* A page entering a frame (on_fill), or about to (pick_victim). */
typedef struct policy_page {
	page_key_t key;          /* PAGE_KEY_NONE: reclaim not for a fault (page daemon) */
	uint64_t seq;            /* the reference that faulted it in (read-ahead: the
				    reference whose fault read it) */
	policy_shadow_t shadow;  /* what on_evict returned when it last left; 0 if none */
	uint8_t file;            /* a page-cache page (file or shared memory), not anonymous */
} policy_page_t;

/* The key of page `page` of address space or object `space` (file: a
 * page-cache page).  Exact while space < 2^23 and page < 2^40, else a
 * 63-bit hash of the pair (collisions then possible, never equal to
 * PAGE_KEY_NONE). */
static inline page_key_t policy_key(int file, uint64_t space, uint64_t page)
{
	uint64_t k;
	if (space < (1ull << 23) && page < (1ull << 40)) {
		k = space << 40 | page;
	} else {
		k = (space * 0x9e3779b97f4a7c15ull) ^ (page + 0x632be59bd9b4e019ull);
		k ^= k >> 31;
		k *= 0xbf58476d1ce4e5b9ull;
		k ^= k >> 29;
		k = (k & ((1ull << 62) - 1)) | (1ull << 62); /* apart from exact keys */
	}
	return (uint64_t)!!file << 63 | k;
}

/* A next-use value meaning "never referenced again". */
#define NEXT_USE_NEVER UINT64_MAX

/* What information a policy needs; reports print it. */
typedef enum policy_needs {
	POLICY_NEEDS_HW_BITS,  /* only what hardware gives: accessed/dirty bits */
	POLICY_NEEDS_EVERY_REF,/* sees every reference (hardware does not tell) */
	POLICY_NEEDS_FUTURE,   /* reads the references still to come */
} policy_needs_t;


/* The hardware bits of resident frames, as the host running the policy
 * reads them: the simulated machine through every PTE that maps the frame
 * (its reverse map, src/kern/frame.c), or the real pager, which emulates
 * them.  A policy asks through policy_young() and friends, never the host
 * directly, so one policy runs on either host. */
typedef struct policy_hw_ops {
	/* true if any mapping of frame f has its accessed bit set. */
	bool (*young)(void *host, frame_id_t f);
	/* Like young, and clears the accessed bits it found, dropping those
	 * mappings' TLB entries (as Linux's ptep_clear_flush_young) so that
	 * the next reference walks the table and sets the bit again. */
	bool (*test_and_clear_young)(void *host, frame_id_t f);
	/* true if the page must be written back before its frame is reused. */
	bool (*dirty)(void *host, frame_id_t f);
} policy_hw_ops_t;

/* A host's hardware bits: its table of functions and itself.  ops is NULL
 * where a policy runs with no host (unit tests of pure policies): every
 * bit then reads 0. */
typedef struct policy_hw {
	const policy_hw_ops_t *ops;
	void *host;
} policy_hw_t;

static inline bool policy_young(policy_hw_t hw, frame_id_t f)
{
	return hw.ops && hw.ops->young(hw.host, f);
}

static inline bool policy_test_and_clear_young(policy_hw_t hw, frame_id_t f)
{
	return hw.ops && hw.ops->test_and_clear_young(hw.host, f);
}

static inline bool policy_dirty(policy_hw_t hw, frame_id_t f)
{
	return hw.ops && hw.ops->dirty(hw.host, f);
}

/* What the machine gives a policy when it is created. */
typedef struct policy_env {
	uint32_t nframes;          /* user frames */
	uint64_t seed;             /* for randomized policies */
	void *frame_priv;          /* nframes * ops->frame_priv_size zeroed bytes,
				      owned by the machine; NULL if size is 0 */
	const uint64_t *next_use;  /* next_use[seq]: seq of the next reference to
				      the same page, NEXT_USE_NEVER if none;
				      NULL when the future is unknown */
	policy_hw_t hw;            /* the host's accessed and dirty bits */
	uint64_t tick;             /* on_tick every tick references; 0: never */
	uint64_t tau;              /* working-set window in references (wsclock) */
	unsigned swappiness;       /* 0..200: anonymous vs file scanning (linux) */
} policy_env_t;

typedef struct policy_ops {
	unsigned version;          /* POLICY_VERSION */
	const char *name;          /* as given to --policy */
	const char *summary;       /* one line for --help and reports */
	const char *paper;         /* the definition followed (paper, section); "" if textbook */
	policy_needs_t needs;
	size_t frame_priv_size;    /* bytes of per-frame state the machine keeps */
	/* Returns the policy's state, or NULL if it cannot run (no memory, or a
	 * future it needs is missing: env->next_use NULL). */
	void *(*create)(const policy_env_t *env);
	void (*destroy)(void *state);
	/* Frame f now holds page pg (pg->seq: the reference that loaded it). */
	void (*on_fill)(void *state, frame_id_t f, const policy_page_t *pg);
	/* Reference seq to the page in frame f completed.  May be NULL; the
	 * machine calls it only if non-NULL (policies of POLICY_NEEDS_HW_BITS
	 * should leave it NULL: hardware does not report references). */
	void (*on_access)(void *state, frame_id_t f, uint64_t seq);
	/* Frame f no longer holds its page, for reason why.  Returns the shadow
	 * the machine keeps with the page (0: none; ignored for a release). */
	policy_shadow_t (*on_evict)(void *state, frame_id_t f, policy_why_t why);
	/* Choose a resident frame to evict, for incoming (key PAGE_KEY_NONE when
	 * reclaim runs ahead of a fault).  Called only when at least one frame
	 * is resident; must return one of them. */
	frame_id_t (*pick_victim)(void *state, const policy_page_t *incoming);
	/* Optional (NULL): the page's identity died (its process ended, its
	 * mapping went): forget its history, so that ghosts stay bounded.
	 * Called only for a page that is not resident (a resident one leaves
	 * by on_evict(POLICY_RELEASE)), and possibly for a key the policy never
	 * saw: for anonymous pages, every non-resident page of an unmapped
	 * range; for file pages, those of a dying object that still had a
	 * shadow entry (the kernel does not remember the others).  Never in
	 * trace mode, where identities never die.  The kernel's shadow entry of
	 * the page goes at the same time. */
	void (*on_forget)(void *state, page_key_t key);
	/* Optional: env->tick more references have completed (seq: the last). */
	void (*on_tick)(void *state, uint64_t seq);
	/* Optional: the name of the list the victim pick_victim last returned
	 * came from ("inactive anon"), for --events; called right after
	 * pick_victim, before on_evict.  The string must outlive the state. */
	const char *(*victim_list)(void *state);
	/* Optional: the policy's own counters, as (name, value) pairs: up to
	 * max into names[] and values[]; returns how many were written.  The
	 * same names in the same order every call (run --json prints them
	 * after the machine's keys). */
	size_t (*counters)(void *state, const char **names, uint64_t *values, size_t max);
	/* Optional, for showing the state (`run --steps`, --html), never for
	 * deciding anything: the resident frames in the policy's own order, the
	 * end it evicts from first at out[0], at most max into out; returns how
	 * many are resident.  NULL: the machine lists frames by number. */
	size_t (*order)(void *state, frame_id_t *out, size_t max);
	/* Optional: a few words about resident frame f ("a=1", "count=3", the
	 * hand) into buf; returns 0, or non-zero for nothing to say.  Must
	 * change nothing (policy_young, not test_and_clear). */
	int (*note)(void *state, frame_id_t f, char *buf, size_t len);
	/* Names of the two ends of order ("FirstIn", "LastIn"); NULL: "Left",
	 * "Right". */
	const char *order_first, *order_last;
} policy_ops_t;

/* The registry: every policy, listed once (registry.c). */
extern const policy_ops_t *const policy_registry[];
extern const size_t policy_count;

/* The policy named name, or NULL. */
const policy_ops_t *policy_find(const char *name);

/* "hardware bits", "every reference" or "future". */
const char *policy_needs_name(policy_needs_t needs);

#endif
