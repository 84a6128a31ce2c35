/* thread.h - the threads of a script's processes (prefix th_).
 *
 * `thread P T` makes T a second thread of P's address space, as
 * clone(CLONE_VM) does: the kernel sees one process (one set of page
 * tables, one address-space id), named by the number of the thread that
 * created it; this table says, for every process number of the script,
 * which kernel process holds its address space and how many threads live
 * in it.  The space goes (vm_exit) when its last thread exits. */
#ifndef VMLAB_SCRIPT_THREAD_H
#define VMLAB_SCRIPT_THREAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct th_table {
	size_t n;              /* entries: the script's process numbers (s->pids) */
	size_t *as;            /* index whose kernel process holds i's address space */
	uint32_t *count;       /* live threads in the space held by i; 0 counts as 1 */
	uint8_t *gone;         /* i exited while other threads keep its space */
	uint8_t *made;         /* i was created by `thread` */
	uint64_t *stack, *stack_len; /* i's own stack mapping, guard page included */
} th_table_t;

/* A table of n entries, each its own address space.  0 or VM_ENOMEM. */
int th_init(th_table_t *t, size_t n);
void th_free(th_table_t *t);
/* The index holding i's address space (i itself unless i is a thread). */
size_t th_space(const th_table_t *t, size_t i);
/* Live threads in the address space i runs in (1 for a plain process). */
uint32_t th_count(const th_table_t *t, size_t i);
/* Whether the number i is taken by a thread (live or exited). */
int th_taken(const th_table_t *t, size_t i);
/* Thread j joins i's address space with its stack mapping [stack, +len). */
void th_add(th_table_t *t, size_t i, size_t j, uint64_t stack, uint64_t len);
/* Thread i exits.  Returns 1 when other threads keep the space (i is
 * marked gone), 0 when i was the last and the caller releases the space. */
int th_leave(th_table_t *t, size_t i);

#endif
