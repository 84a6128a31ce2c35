/* explain.h - `vmlab explain` for the other subcommands (quiz's answers). */
#ifndef VMLAB_CLI_EXPLAIN_H
#define VMLAB_CLI_EXPLAIN_H

/* `vmlab explain ARGV...` (argv[0] is "explain") as the command line runs
 * it, except that when state_text is not NULL it is the state file's
 * contents, --state's word only naming it in messages.  Returns the exit
 * status. */
int explain_main(int argc, char **argv, const char *state_text);

#endif
