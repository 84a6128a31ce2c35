/* quiz.h - the parts of `vmlab quiz` (prefix quiz_): the options as parsed,
 * and one function a question (quiz.c replace, quiz_ostep.c OSTEP's two
 * translation homeworks, quiz_csapp.c CS:APP's small memory system). */
#ifndef VMLAB_CLI_QUIZ_H
#define VMLAB_CLI_QUIZ_H

#include <stdint.h>

/* The options, each by its index in quiz.c's table. */
enum {
	QO_SEED, QO_N, QO_PAGES, QO_FRAMES, QO_A, QO_POLICY, QO_P, QO_ASIZE, QO_PHYSMEM,
	QO_PAGE_SIZE, QO_USED, QO_VERBOSE, QO_SYSTEM, QO_ANSWERS, QO_COUNT
};
#define QO_BIT(i) (1u << (i))

typedef struct quiz_opts {
	const char *val[QO_COUNT];   /* each option's word as given, or NULL */
	unsigned given;              /* QO_BIT(i): option i given */
	uint64_t seed, n;            /* --seed (default 0); -n (default: the question's) */
	int answers;                 /* --answers */
} quiz_opts_t;

/* Parse option i's word as a number from lo to hi into *v (def when not
 * given); returns 0 or CLI_EXIT_USAGE after printing why. */
int quiz_num(const quiz_opts_t *q, int i, uint64_t lo, uint64_t hi, uint64_t def, uint64_t *v);

/* The questions of quiz translate; each returns the exit status. */
int quiz_ostep_multilevel(const quiz_opts_t *q);
int quiz_ostep_linear(const quiz_opts_t *q);
int quiz_csapp(const quiz_opts_t *q);

#endif
