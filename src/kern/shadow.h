/* shadow.h - layer 2: shadow entries (prefix shadow_): what the replacement
 * policy noted about a page reclaimed from its frame (policy_shadow_t, the
 * value on_evict returned), kept while the page is out and handed back when
 * it is faulted in again, as Linux's mm/workingset.c keeps shadow entries in
 * the page cache and swap cache slots of evicted folios.
 *
 * One table keyed by the page key (policy_key) serves both kinds of page. A
 * not-present PTE has no room for a 64-bit cookie beside the swap slot (and
 * a page shared after fork has several PTEs), and a file page has no PTE at
 * all once its last mapping went; a single table also lets one shrinker drop
 * the oldest entries of every kind, as Linux's shadow-node shrinker
 * (count_shadow_nodes / shadow_lru_isolate) does.
 *
 * An entry goes when its page is faulted in again (shadow_take), when the
 * page's identity dies (shadow_forget, shadow_forget_obj: the policy hears
 * on_forget), or when it is the oldest and room is needed: at most
 * SHADOW_PER_FRAME entries per frame are kept (a page evicted longer ago
 * than that is beyond any refault distance a policy over these frames can
 * use), and the table grows only while it takes at most half of what the
 * host-memory budget (BUDGET_SHADOW) has left.  It never takes memory from
 * the rest of the machine: a charge that would pass the budget first makes
 * the table give all of its memory back (budget_t.shrink), so a run stops
 * for --max-memory exactly where it would without shadows. */
#ifndef VMLAB_KERN_SHADOW_H
#define VMLAB_KERN_SHADOW_H

#include <stdint.h>

/* Entries the table keeps at most, per user frame. */
#define SHADOW_PER_FRAME 2

#include "kern/frame.h"


/* Free the table and give its bytes back to the budget. */
void shadow_fini(struct vm_machine *vm);
/* Keep cookie for the page key that was just reclaimed (obj: its object
 * for a page-cache page, else UINT32_MAX), dropping the oldest entries when
 * the table is full or may not grow.  Never fails: at worst nothing is kept. */
void shadow_store(struct vm_machine *vm, page_key_t key, uint32_t obj, policy_shadow_t cookie);
/* The page key is coming back: 1 and its entry's cookie into *cookie
 * (the entry removed), or 0 and *cookie = 0 when none is known. */
int shadow_take(struct vm_machine *vm, page_key_t key, policy_shadow_t *cookie);
/* The page key's identity died: the policy forgets it (on_forget, when it
 * has one) and its entry goes. */
void shadow_forget(struct vm_machine *vm, page_key_t key);
/* Object o died: every page of it with an entry is forgotten as above. */
void shadow_forget_obj(struct vm_machine *vm, uint32_t o);
/* The entry of key in table t (an index, 0 if none), for the checker. */
uint32_t shadow_find(shadow_table_t *t, page_key_t key);
/* shadow_ent_t.obj of an anonymous page's entry. */
#define SHADOW_NO_OBJ UINT32_MAX

#endif
