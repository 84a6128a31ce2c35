/* clip.c - quoting user text in messages without losing the reason. */
#include <string.h>

#include "clip.h"

/* How many of the first want bytes of s to keep so as not to end inside a
 * UTF-8 character (s has more than want bytes). */
static size_t clip_boundary(const char *s, size_t want)
{
	while (want > 0 && ((unsigned char)s[want] & 0xc0) == 0x80)
		want--;
	return want;
}

const char *clip_word(clip_t *q, const char *s, size_t len)
{
	if (len <= CLIP_WORD) {
		memcpy(q->s, s, len);
		q->s[len] = 0;
		return q->s;
	}
	size_t keep = clip_boundary(s, CLIP_WORD - 3);
	memcpy(q->s, s, keep);
	memcpy(q->s + keep, "...", 4);
	return q->s;
}

/* Append the n bytes at s to out at *at, as far as room (len - 1) allows. */
static void clip_put(char *out, size_t len, size_t *at, const char *s, size_t n)
{
	size_t room = len - 1 - *at;
	if (n > room)
		n = room;
	memcpy(out + *at, s, n);
	*at += n;
}

void clip_join(char *out, size_t len, const char *head, const char *text, const char *sep,
	       const char *reason)
{
	size_t h = strlen(head), t = strlen(text), s = strlen(sep), r = strlen(reason);
	size_t room = len - 1, fixed = h + s + r, keep = t;
	int cut = 0;
	if (t > room || fixed > room - t) {   /* TEXT whole does not fit */
		cut = 1;
		keep = fixed + 3 <= room ? clip_boundary(text, room - fixed - 3) : 0;
	}
	size_t at = 0;
	clip_put(out, len, &at, head, h);
	clip_put(out, len, &at, text, keep);
	if (cut)
		clip_put(out, len, &at, "...", 3);
	clip_put(out, len, &at, sep, s);
	clip_put(out, len, &at, reason, r);
	out[at] = 0;
}
