/* clip.h - user text quoted in a message, shortened so that the reason
 * after it always fits the message's buffer.
 *
 * A script line, a state-file word or a path can be longer than the buffer
 * an error is written into; quoted whole it would push the reason (the part
 * the user needs) off the end.  These cut the quote instead, with "...". */
#ifndef VMLAB_CLIP_H
#define VMLAB_CLIP_H

#include <stddef.h>

#define CLIP_WORD 64   /* bytes a quoted word keeps, its "..." included */

typedef struct clip {
	char s[CLIP_WORD + 1];   /* the word as shown, NUL ended */
} clip_t;

/* The len bytes at s, as they are when they fit in CLIP_WORD bytes, else
 * their start and "..." (never cutting a UTF-8 character): NUL ended in q;
 * returns q->s. */
const char *clip_word(clip_t *q, const char *s, size_t len);

/* clip_word into a clip_t that lives until the end of the enclosing block,
 * for a printf argument: printf("bad PROT '%s' (...)", CLIP(w.s, w.len)). */
#define CLIP(s, len) clip_word(&(clip_t){ { 0 } }, (s), (len))

/* "HEAD TEXT SEP REASON" (no spaces added) into out, len > 0 bytes, NUL
 * ended: TEXT cut short with "..." as far as REASON needs to fit whole;
 * REASON is cut only when HEAD, "...", SEP and REASON alone overflow. */
void clip_join(char *out, size_t len, const char *head, const char *text, const char *sep,
	       const char *reason);

#endif
