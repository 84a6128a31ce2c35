/* reader.c - the trace formats: detection and parsing (lackey, text, pages).
 *
 * Bytes from the input sit in one buffer of BUF_SIZE bytes.  The line formats
 * (lackey, text) parse only complete lines, [pos, limit), where limit is just
 * past the last '\n' in the buffer: every line then ends in '\n', and that
 * '\n' stops every scanning loop, so the hot lackey loop needs no bounds
 * checks.  At the end of input a missing final '\n' is added.  A line that
 * straddles a refill is moved to the front of the buffer with the rest of the
 * unread bytes; that memmove is the only copy.
 *
 * A line longer than BUF_SIZE is refused, unless what the buffer holds of it
 * already ends it for every format: a "==" line, a comment line, or (text)
 * the part before a '#'.  That part is kept with a '\n' added, and the rest
 * of the line is dropped unread (discard), under --format auto as under an
 * explicit format: comments cost no memory and lose nothing.
 *
 * The pages format allows one huge line ("1,2,3,..."), so it works token by
 * token on [pos, end) and stops before a token the buffer cuts in two.
 *
 * Errors stick: accesses parsed before an error are returned first, then
 * every later call returns the error.
 */
#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats.h"
#include "input.h"
#include "trace.h"
#include "../util/clip.h"
#include "../util/vmerr.h"

#define BUF_SIZE ((size_t)1 << 20)      /* bytes read per refill */
#define DETECT_MAX ((size_t)64 << 20)   /* skipped lines auto may look past */
#define SIZE_MAX_ACCESS ((uint64_t)1 << 31) /* largest access size accepted */
#define TOKEN_SHOW 32                   /* bytes of a bad token quoted */

struct trace_reader {
	trace_input_t *in;
	trace_bin_t *bin;       /* the decoder of a binary format, or NULL */
	trace_format_t format;  /* AUTO until detected */
	unsigned page_shift;
	unsigned va_bits;
	uint64_t va_max;        /* last valid address: 2^va_bits - 1 */
	char *buf;              /* cap + 1 bytes: room to add a final '\n' */
	size_t cap;             /* BUF_SIZE; larger only while detecting */
	size_t pos;             /* next unread byte */
	size_t limit;           /* just past the last complete line */
	size_t end;             /* just past the last byte read */
	bool eof;               /* the input is exhausted */
	bool in_comment;        /* pages: inside a '#' comment */
	bool discard;           /* drop input up to the next '\n': the rest of
				   a long comment (see cut_long_line) */
	uint64_t line;          /* line number of buf[pos] */
	int err;                /* sticky error, 0 if none */
	char msg[512];          /* "PATH:LINE: what is wrong" */
	uint64_t nread;         /* accesses handed out */
	bool at_end;            /* trace_read has returned 0 */
};

/* Hex digit values, 0xff for anything else: one lookup per digit. */
#define HX(c) ((c) >= '0' && (c) <= '9' ? (c) - '0' : \
	       (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : \
	       (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : 0xff)
#define HX4(c) HX(c), HX((c) + 1), HX((c) + 2), HX((c) + 3)
#define HX16(c) HX4(c), HX4((c) + 4), HX4((c) + 8), HX4((c) + 12)
static const uint8_t hexval[256] = {
	HX16(0x00), HX16(0x10), HX16(0x20), HX16(0x30),
	HX16(0x40), HX16(0x50), HX16(0x60), HX16(0x70),
	HX16(0x80), HX16(0x90), HX16(0xa0), HX16(0xb0),
	HX16(0xc0), HX16(0xd0), HX16(0xe0), HX16(0xf0),
};

/* ------------------------------------------------------------------ */
/* Errors and small helpers                                            */
/* ------------------------------------------------------------------ */

/* Record "PATH:LINE: message" unless an error is already recorded; returns
 * the error in force. */
static int fail(trace_reader_t *r, int code, uint64_t line, const char *fmt, ...)
{
	if (r->err)
		return r->err;
	char why[sizeof r->msg], at[32];   /* a long PATH is cut, not the message */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(at, sizeof at, ":%" PRIu64 ": ", line);
	clip_join(r->msg, sizeof r->msg, "", trace_input_name(r->in), at, why);
	r->err = code;
	return code;
}

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* A field ends at white space, a comment or the end of the line. */
static bool ends_field(int c)
{
	return is_space(c) || c == '\n' || c == '#';
}

/* Copy the token at s, up to white space, '\n' or a byte in stops, into dst
 * (TOKEN_SHOW + 4 bytes) for an error message: at most TOKEN_SHOW bytes then
 * "...", unprintable bytes as '?'. */
static const char *show_token(char *dst, size_t len, const char *s,
			      const char *stops)
{
	assert(len >= TOKEN_SHOW + 4);
	size_t i = 0;
	for (; !is_space(s[i]) && s[i] != '\n' &&
	       !(s[i] != '\0' && strchr(stops, s[i])); i++) {
		if (i == TOKEN_SHOW) {
			memcpy(dst + i, "...", 3);
			i += 3;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
	return dst;
}

/* Parse hex digits at *pp; advances *pp past them.  Returns the number of
 * digits and sets *ovf when the value needs more than 64 bits. */
static size_t parse_hex(const char **pp, uint64_t *v, bool *ovf)
{
	const unsigned char *p = (const unsigned char *)*pp;
	uint64_t x = 0;
	bool big = false;
	unsigned d;
	while ((d = hexval[*p]) < 16) {
		big |= x >> 60 != 0;
		x = x << 4 | d;
		p++;
	}
	size_t n = (size_t)(p - (const unsigned char *)*pp);
	*pp = (const char *)p;
	*v = x;
	*ovf = big;
	return n;
}

/* Parse decimal digits at *pp like parse_hex. */
static size_t parse_dec(const char **pp, uint64_t *v, bool *ovf)
{
	const char *p = *pp;
	uint64_t x = 0;
	bool big = false;
	unsigned d;
	while ((d = (unsigned)(*p - '0')) < 10) {
		if (x > (UINT64_MAX - d) / 10)
			big = true;
		x = x * 10 + d;
		p++;
	}
	size_t n = (size_t)(p - *pp);
	*pp = p;
	*v = x;
	*ovf = big;
	return n;
}

/* Check that va..va+size-1 lies below 2^va_bits (size >= 1). */
static int check_range(trace_reader_t *r, uint64_t line, uint64_t va,
		       uint64_t size)
{
	if (va <= r->va_max && size - 1 <= r->va_max - va)
		return 0;
	return fail(r, VM_ERANGE, line,
		    "address 0x%" PRIx64 " (size %" PRIu64 ") does not fit in "
		    "a %u-bit virtual address", va, size, r->va_bits);
}

/* Parse a SIZE field at *pp (decimal, 1..2^31) into *size.  Returns 0 or an
 * error; *pp ends past the digits. */
static int parse_size(trace_reader_t *r, uint64_t line, const char **pp,
		      uint32_t *size)
{
	char tok[TOKEN_SHOW + 4];
	const char *s = *pp;
	uint64_t v;
	bool ovf;
	size_t n = parse_dec(pp, &v, &ovf);
	if (n == 0 || !ends_field(**pp))
		return fail(r, VM_EINVAL, line, "bad size \"%s\"",
			    show_token(tok, sizeof tok, s, "#"));
	if (ovf || v > SIZE_MAX_ACCESS)
		return fail(r, VM_ERANGE, line,
			    "size %s is too large (at most %" PRIu64 ")",
			    show_token(tok, sizeof tok, s, "#"), SIZE_MAX_ACCESS);
	if (v == 0)
		return fail(r, VM_EINVAL, line, "size must be at least 1");
	*size = (uint32_t)v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Buffer                                                              */
/* ------------------------------------------------------------------ */

/* Move the unread bytes to the front of the buffer and append what the
 * input has next (the buffer must not be full).  At the end of input a last
 * line without '\n' gets one.  Sets limit past the last complete line.
 * Returns 0 or a negative error. */
static int refill(trace_reader_t *r)
{
	size_t rest = r->end - r->pos;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, rest);
		r->limit -= r->limit > r->pos ? r->pos : r->limit;
		r->pos = 0;
		r->end = rest;
	}
	assert(r->end < r->cap && !r->eof);
	long got;
	char *at = r->buf + r->end;
	for (;;) {
		got = trace_input_read(r->in, at, r->cap - r->end);
		if (got <= 0 || !r->discard)
			break;
		char *nl = memchr(at, '\n', (size_t)got);
		if (!nl)
			continue;   /* all of it belongs to the cut line */
		r->discard = false;
		got = at + got - (nl + 1);
		memmove(at, nl + 1, (size_t)got);
		if (got > 0)
			break;
	}
	if (got < 0)
		return fail(r, (int)got, r->line, "%s", trace_input_error(r->in));
	if (got == 0) {
		r->eof = true;
		if (r->end > 0 && r->buf[r->end - 1] != '\n')
			r->buf[r->end++] = '\n';   /* cap + 1 bytes allocated */
		r->limit = r->end;
		return 0;
	}
	r->end += (size_t)got;
	const char *nl = memrchr(r->buf, '\n', r->end);
	r->limit = nl ? (size_t)(nl - r->buf) + 1 : 0;
	return 0;
}

/* How much of a line that does not fit the buffer to keep: s holds its
 * first len bytes.  A "==" line keeps "==", a comment line its spaces and
 * '#', a text line the part up to its '#' (f TRACE_FMT_AUTO: the format is
 * not known yet, so only what every format skips).  0: the line holds
 * more than a comment, and is refused. */
static size_t long_line_keep(const char *s, size_t len, trace_format_t f)
{
	if (len >= 2 && s[0] == '=' && s[1] == '=')
		return 2;
	if (f == TRACE_FMT_TEXT) {
		const char *h = memchr(s, '#', len);
		return h ? (size_t)(h - s) + 1 : 0;
	}
	size_t i = 0;
	while (i < len && is_space(s[i]))
		i++;
	return i < len && s[i] == '#' ? i + 1 : 0;
}

/* The line at buf[start] has no '\n' in the buffer and BUF_SIZE bytes or
 * more: cut it after what long_line_keep keeps, end it with '\n' and drop
 * the rest of it as it is read.  Returns 0 or the error of a line refused. */
static int cut_long_line(trace_reader_t *r, size_t start, uint64_t line)
{
	size_t keep = long_line_keep(r->buf + start, r->end - start, r->format);
	if (keep == 0)
		return fail(r, VM_EINVAL, line, "line longer than %zu bytes", BUF_SIZE);
	r->buf[start + keep] = '\n';
	r->end = r->limit = start + keep + 1;
	r->discard = true;
	return 0;
}

/* Make sure [pos, limit) holds at least one complete line unless the input
 * is exhausted.  Returns 1 if there is a line, 0 at the end, or an error. */
static int need_line(trace_reader_t *r)
{
	while (r->pos == r->limit) {
		if (r->eof)
			return 0;
		if (r->end - r->pos >= BUF_SIZE) {
			int rc = cut_long_line(r, r->pos, r->line);
			if (rc < 0)
				return rc;
			continue;
		}
		int rc = refill(r);
		if (rc < 0)
			return rc;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Format detection                                                    */
/* ------------------------------------------------------------------ */

typedef enum guess {
	GUESS_MORE,      /* the line so far does not tell */
	GUESS_SKIP,      /* blank, comment or "==" line */
	GUESS_UNKNOWN,
	GUESS_LACKEY,
	GUESS_TEXT,
	GUESS_PAGES,
	GUESS_DIN,
} guess_t;

static bool is_lackey_start(const char *s)
{
	return (s[0] == 'I' && s[1] == ' ' && s[2] == ' ') ||
	       (s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M') &&
		s[2] == ' ');
}

/* Classify the line [s, e); complete says whether e is its '\n' (otherwise
 * more of the line may follow). */
static guess_t classify(const char *s, const char *e, bool complete)
{
	if (!complete && e - s < 3)
		return GUESS_MORE;
	if (e - s >= 3 && is_lackey_start(s))
		return GUESS_LACKEY;
	if (e - s >= 2 && s[0] == '=' && s[1] == '=')
		return complete ? GUESS_SKIP : GUESS_MORE;
	const char *t = s;
	while (t < e && is_space(*t))
		t++;
	if (t == e || *t == '#')
		return complete ? GUESS_SKIP : GUESS_MORE;
	if (*t != '\0' && strchr("RWXrwx", *t)) {
		if (t + 1 == e)
			return complete ? GUESS_UNKNOWN : GUESS_MORE;
		return t[1] == ' ' || t[1] == '\t' ? GUESS_TEXT : GUESS_UNKNOWN;
	}
	if (*t >= '0' && *t <= '9')
		return trace_din_looks(s, e) ? GUESS_DIN : GUESS_PAGES;
	return GUESS_UNKNOWN;
}

/* Give the buffer room to look further while detecting: the lines looked
 * past are not consumed, since the chosen format parses them again. */
static int grow(trace_reader_t *r, uint64_t line)
{
	if (r->cap >= DETECT_MAX)
		return fail(r, VM_EINVAL, line,
			    "no trace line in the first %zu MiB; cannot tell the "
			    "trace format; use --format", DETECT_MAX >> 20);
	char *nb = realloc(r->buf, 2 * r->cap + 1);
	if (!nb)
		return fail(r, VM_ENOMEM, line, "out of memory");
	r->buf = nb;
	r->cap *= 2;
	return 0;
}

/* Do the n bytes at s start like vmt's magic?  1 yes, 0 no, -1 too few
 * bytes to tell (and more may come). */
static int is_vmt_start(const char *s, size_t n, bool eof)
{
	size_t k = n < 4 ? n : 4;
	if (memcmp(s, VMT_MAGIC, k) != 0)
		return 0;
	return k == 4 ? 1 : eof ? 0 : -1;
}

/* Hand the input, and the bytes buffered but not parsed, to the binary
 * decoder of fmt.  Returns 0 or an error. */
static int start_bin(trace_reader_t *r, trace_format_t fmt)
{
	r->format = fmt;
	if (trace_bin_open(&r->bin, r->in, fmt, r->page_shift, r->va_bits,
			   r->buf + r->pos, r->end - r->pos) < 0)
		return fail(r, VM_ENOMEM, r->line, "out of memory");
	r->pos = r->limit = r->end;
	return 0;
}

/* Decide the format from the first line that is not blank, a comment or a
 * "==" line, without consuming anything.  An empty trace leaves the format
 * AUTO with eof set.  Returns 0 or an error. */
static int detect(trace_reader_t *r)
{
	size_t off = 0;          /* from pos: start of the line looked at */
	uint64_t line = r->line;
	for (;;) {
		const char *s = r->buf + r->pos + off;
		const char *e = r->buf + r->end;
		int vmt = off == 0 ? is_vmt_start(s, (size_t)(e - s), r->eof) : 0;
		if (vmt > 0)
			return start_bin(r, TRACE_FMT_VMT);
		if (vmt < 0)
			goto more;
		const char *nl = memchr(s, '\n', (size_t)(e - s));
		guess_t g = classify(s, nl ? nl : e, nl != NULL);
		switch (g) {
		case GUESS_SKIP:
			off = (size_t)(nl - (r->buf + r->pos)) + 1;
			line++;
			continue;
		case GUESS_MORE:
			break;
		case GUESS_UNKNOWN:
			return fail(r, VM_EINVAL, line, "cannot tell the trace "
				    "format from this line; use --format");
		case GUESS_LACKEY:
			r->format = TRACE_FMT_LACKEY;
			return 0;
		case GUESS_TEXT:
			r->format = TRACE_FMT_TEXT;
			return 0;
		case GUESS_PAGES:
			r->format = TRACE_FMT_PAGES;
			return 0;
		case GUESS_DIN:
			r->format = TRACE_FMT_DIN;
			return 0;
		}
	more:
		if (r->eof) {
			/* only skipped lines: an empty trace */
			r->pos = r->limit = r->end;
			r->line = line;
			return 0;
		}
		if ((size_t)(e - s) >= BUF_SIZE) {
			int rc = cut_long_line(r, (size_t)(s - r->buf), line);
			if (rc < 0)
				return rc;
			continue;
		}
		if (r->end - r->pos == r->cap) {
			int rc = grow(r, line);
			if (rc < 0)
				return rc;
		}
		int rc = refill(r);
		if (rc < 0)
			return rc;
	}
}

/* ------------------------------------------------------------------ */
/* lackey                                                              */
/* ------------------------------------------------------------------ */

/* Access kind after ' ' at the start of a lackey line, 0 if none. */
static const uint8_t lackey_kind[256] = {
	['L'] = TRACE_READ, ['S'] = TRACE_WRITE, ['M'] = TRACE_MODIFY,
};

/* The common case, "I  0400d7d4,8\n" or " L 1fff000708,8\n" with nothing
 * odd: parse it into *a and advance *pp past its '\n'.  Returns false,
 * touching nothing, for anything else; the careful parser then decides. */
static inline bool lackey_fast(const unsigned char **pp, uint64_t va_max,
			       trace_access_t *a)
{
	const unsigned char *p = *pp;
	unsigned kind;
	if (p[0] == 'I') {
		if (p[1] != ' ' || p[2] != ' ')
			return false;
		kind = TRACE_IFETCH;
	} else if (p[0] == ' ') {
		kind = lackey_kind[p[1]];
		if (!kind || p[2] != ' ')
			return false;
	} else {
		return false;
	}
	p += 3;

	const unsigned char *h = p;
	uint64_t va = 0;
	unsigned d;
	while ((d = hexval[*p]) < 16) {
		va = va << 4 | d;
		p++;
	}
	if ((size_t)(p - h) - 1 >= 16 || *p != ',')
		return false;   /* no digits, maybe too many, or no ',' */
	p++;

	h = p;
	uint64_t size = 0;
	while ((d = (unsigned)(*p - '0')) < 10) {
		size = size * 10 + d;
		p++;
	}
	if ((size_t)(p - h) - 1 >= 10 || *p != '\n')
		return false;
	if (size - 1 >= SIZE_MAX_ACCESS || va > va_max ||
	    size - 1 > va_max - va)
		return false;

	a->va = va;
	a->size = (uint32_t)size;
	a->pid = 0;
	a->kind = (uint8_t)kind;
	*pp = p + 1;
	return true;
}

/* Parse the lackey line at s (ending in '\n') with every check.  Returns 1
 * with *a set, 0 for a skipped line or a negative error; *next gets the
 * start of the following line. */
static int lackey_line(trace_reader_t *r, const char *s, uint64_t line,
		       trace_access_t *a, const char **next)
{
	char tok[TOKEN_SHOW + 4];
	const char *nl = rawmemchr(s, '\n');
	*next = nl + 1;
	if (s[0] == '=' && s[1] == '=')
		return 0;
	const char *p = s;
	while (is_space(*p))
		p++;
	if (p == nl)
		return 0;   /* blank */
	if (!is_lackey_start(s))
		return fail(r, VM_EINVAL, line, "expected 'I', ' L', ' S' or "
			    "' M' at start of line");
	uint8_t kind = s[0] == 'I' ? TRACE_IFETCH : lackey_kind[(unsigned char)s[1]];

	p = s + 3;
	uint64_t va;
	bool ovf;
	size_t n = parse_hex(&p, &va, &ovf);
	if (n == 0 && (ends_field(*p) || *p == ','))
		return fail(r, VM_EINVAL, line, "missing address");
	if (n == 0 || !(ends_field(*p) || *p == ','))
		return fail(r, VM_EINVAL, line, "bad hex address \"%s\"",
			    show_token(tok, sizeof tok, s + 3, ","));
	if (ovf)
		return fail(r, VM_ERANGE, line,
			    "address \"%s\" does not fit in 64 bits",
			    show_token(tok, sizeof tok, s + 3, ","));
	if (*p != ',')
		return fail(r, VM_EINVAL, line, "missing ',SIZE'");
	p++;
	if (ends_field(*p))
		return fail(r, VM_EINVAL, line, "missing size after ','");
	uint32_t size;
	int rc = parse_size(r, line, &p, &size);
	if (rc < 0)
		return rc;
	while (is_space(*p))
		p++;
	if (p != nl)
		return fail(r, VM_EINVAL, line, "trailing characters \"%s\"",
			    show_token(tok, sizeof tok, p, ""));
	rc = check_range(r, line, va, size);
	if (rc < 0)
		return rc;
	a->va = va;
	a->size = size;
	a->pid = 0;
	a->kind = kind;
	return 1;
}

/* Parse lackey lines in [pos, limit) into out.  Returns how many accesses;
 * stops early at an error (recorded in r). */
static size_t parse_lackey(trace_reader_t *r, trace_access_t *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)r->buf + r->pos;
	const unsigned char *lim = (const unsigned char *)r->buf + r->limit;
	const uint64_t va_max = r->va_max;
	uint64_t line = r->line;
	size_t n = 0;

	while (n < cap && p < lim) {
		if (lackey_fast(&p, va_max, &out[n])) {
			n++;
			line++;
			continue;
		}
		const char *next;
		int rc = lackey_line(r, (const char *)p, line, &out[n], &next);
		if (rc < 0)
			break;
		n += (size_t)rc;
		line++;
		p = (const unsigned char *)next;
	}
	r->pos = (size_t)(p - (const unsigned char *)r->buf);
	r->line = line;
	return n;
}

/* ------------------------------------------------------------------ */
/* text                                                                */
/* ------------------------------------------------------------------ */

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* Parse the text line at s (ending in '\n'): "KIND ADDR [SIZE [PID]]" with
 * an optional '#' comment.  Returns 1 with *a set, 0 for a skipped line or
 * a negative error; *next gets the start of the following line. */
static int text_line(trace_reader_t *r, const char *s, uint64_t line,
		     trace_access_t *a, const char **next)
{
	char tok[TOKEN_SHOW + 4];
	*next = (const char *)rawmemchr(s, '\n') + 1;
	const char *p = skip_space(s);
	if (*p == '\n' || *p == '#')
		return 0;

	uint8_t kind;
	int kmode = (*p == 'K' || *p == 'k') && p[1] && !ends_field(p[1]); /* KR KW KX */
	switch (p[kmode]) {
	case 'R': case 'r': kind = kmode ? TRACE_KREAD : TRACE_READ; break;
	case 'W': case 'w': kind = kmode ? TRACE_KWRITE : TRACE_WRITE; break;
	case 'X': case 'x': kind = kmode ? TRACE_KIFETCH : TRACE_IFETCH; break;
	default: kind = 0; break;
	}
	p += kmode;
	if (!kind || !ends_field(p[1]))
		return fail(r, VM_EINVAL, line,
			    "expected R, W or X at start of line");
	p = skip_space(p + 1);
	if (*p == '\n' || *p == '#')
		return fail(r, VM_EINVAL, line, "missing address");

	const char *t = p;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	uint64_t va;
	bool ovf;
	if (parse_hex(&p, &va, &ovf) == 0 || !ends_field(*p))
		return fail(r, VM_EINVAL, line, "bad hex address \"%s\"",
			    show_token(tok, sizeof tok, t, "#"));
	if (ovf)
		return fail(r, VM_ERANGE, line,
			    "address \"%s\" does not fit in 64 bits",
			    show_token(tok, sizeof tok, t, "#"));

	uint32_t size = 1;
	uint64_t pid = 0;
	p = skip_space(p);
	if (*p != '\n' && *p != '#') {
		int rc = parse_size(r, line, &p, &size);
		if (rc < 0)
			return rc;
		p = skip_space(p);
	}
	if (*p != '\n' && *p != '#') {
		t = p;
		size_t n = parse_dec(&p, &pid, &ovf);
		if (n == 0 || !ends_field(*p))
			return fail(r, VM_EINVAL, line, "bad pid \"%s\"",
				    show_token(tok, sizeof tok, t, "#"));
		if (ovf || pid > UINT32_MAX)
			return fail(r, VM_ERANGE, line,
				    "pid %s does not fit in 32 bits",
				    show_token(tok, sizeof tok, t, "#"));
		p = skip_space(p);
	}
	if (*p != '\n' && *p != '#')
		return fail(r, VM_EINVAL, line, "trailing characters \"%s\"",
			    show_token(tok, sizeof tok, p, "#"));
	/* (a kernel-mode address may be sign-extended; run takes it so) */
	int rc = check_range(r, line, kmode ? trace_kernel_va(va, r->va_bits) : va, size);
	if (rc < 0)
		return rc;
	a->va = va;
	a->size = size;
	a->pid = (uint32_t)pid;
	a->kind = kind;
	return 1;
}

/* Parse text lines in [pos, limit) into out, like parse_lackey. */
static size_t parse_text(trace_reader_t *r, trace_access_t *out, size_t cap)
{
	const char *p = r->buf + r->pos;
	const char *lim = r->buf + r->limit;
	size_t n = 0;
	while (n < cap && p < lim) {
		const char *next;
		int rc = text_line(r, p, r->line, &out[n], &next);
		if (rc < 0)
			break;
		n += (size_t)rc;
		r->line++;
		p = next;
	}
	r->pos = (size_t)(p - r->buf);
	return n;
}

/* ------------------------------------------------------------------ */
/* pages                                                               */
/* ------------------------------------------------------------------ */

static bool is_page_sep(int c)
{
	return c == ',' || c == '\n' || c == '#' || is_space(c);
}

/* Turn the page token [s, e) ("N", "Nw" or "NW") into *a.  Returns 0 or an
 * error. */
static int page_token(trace_reader_t *r, const char *s, const char *e,
		      trace_access_t *a)
{
	char tok[TOKEN_SHOW + 4];
	const char *p = s;
	uint64_t page;
	bool ovf;
	size_t n = parse_dec(&p, &page, &ovf);
	uint8_t kind = TRACE_READ;
	if (p < e && (*p == 'w' || *p == 'W')) {
		kind = TRACE_WRITE;
		p++;
	}
	if (n == 0 || p != e)
		return fail(r, VM_EINVAL, r->line, "bad page number \"%s\"",
			    show_token(tok, sizeof tok, s, ",#"));
	if (ovf)
		return fail(r, VM_ERANGE, r->line,
			    "page number \"%s\" does not fit in 64 bits",
			    show_token(tok, sizeof tok, s, ",#"));
	if (page > UINT64_MAX >> r->page_shift)
		return fail(r, VM_ERANGE, r->line, "page %" PRIu64 " does not "
			    "fit in a %u-bit virtual address", page, r->va_bits);
	uint64_t va = page << r->page_shift;
	int rc = check_range(r, r->line, va, 1);
	if (rc < 0)
		return rc;
	a->va = va;
	a->size = 1;
	a->pid = 0;
	a->kind = kind;
	return 0;
}

/* Parse page tokens in [pos, end) into out; stops before a token that may
 * continue past end, at an error (recorded in r) or when out is full. */
static size_t parse_pages(trace_reader_t *r, trace_access_t *out, size_t cap)
{
	const char *p = r->buf + r->pos;
	const char *e = r->buf + r->end;
	size_t n = 0;
	while (n < cap) {
		while (p < e) {
			if (*p == '\n') {
				r->line++;
				r->in_comment = false;
			} else if (*p == '#') {
				r->in_comment = true;
			} else if (!r->in_comment && !is_page_sep(*p)) {
				break;
			}
			p++;
		}
		const char *t = p;
		while (t < e && !is_page_sep(*t))
			t++;
		if (t == e)
			break;   /* nothing left, or a token cut by the buffer */
		if (page_token(r, p, t, &out[n]) < 0)
			break;
		n++;
		p = t;
	}
	r->pos = (size_t)(p - r->buf);
	return n;
}

/* Fill out from the pages format, refilling the buffer as needed. */
static size_t read_pages(trace_reader_t *r, trace_access_t *out, size_t cap)
{
	size_t n = 0;
	for (;;) {
		n += parse_pages(r, out + n, cap - n);
		if (n == cap || r->err || r->eof)
			return n;
		if (r->end - r->pos == r->cap) {
			char tok[TOKEN_SHOW + 4];
			fail(r, VM_EINVAL, r->line, "bad page number \"%s\"",
			     show_token(tok, sizeof tok, r->buf + r->pos, ",#"));
			return n;
		}
		if (refill(r) < 0)
			return n;
	}
}

/* Parse din lines in [pos, limit) into out, like parse_lackey. */
static size_t parse_din(trace_reader_t *r, trace_access_t *out, size_t cap)
{
	const char *p = r->buf + r->pos;
	const char *lim = r->buf + r->limit;
	size_t n = 0;
	char why[160];
	while (n < cap && p < lim) {
		const char *next;
		int rc = trace_din_line(p, r->va_max, &out[n], &next, why, sizeof why);
		if (rc < 0) {
			fail(r, rc, r->line, "%s", why);
			break;
		}
		n += (size_t)rc;
		r->line++;
		p = next;
	}
	r->pos = (size_t)(p - r->buf);
	return n;
}

/* Fill out from a line format, refilling the buffer as needed. */
static size_t read_lines(trace_reader_t *r, trace_access_t *out, size_t cap)
{
	size_t n = 0;
	while (n < cap && need_line(r) > 0) {
		if (r->format == TRACE_FMT_LACKEY)
			n += parse_lackey(r, out + n, cap - n);
		else if (r->format == TRACE_FMT_DIN)
			n += parse_din(r, out + n, cap - n);
		else
			n += parse_text(r, out + n, cap - n);
		if (r->err)
			break;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Public interface                                                    */
/* ------------------------------------------------------------------ */

static bool is_oracle_name(const char *path);
static int reader_start(trace_reader_t **out, trace_input_t *in, trace_format_t fmt,
			const trace_opts_t *opts, char *err, size_t errlen);
static long read_bin(trace_reader_t *r, trace_access_t *buf, size_t cap);

int trace_open(trace_reader_t **out, const char *path, const trace_opts_t *opts,
	       char *err, size_t errlen)
{
	assert(out && opts);
	*out = NULL;
	const char *name = path && strcmp(path, "-") != 0 ? path : "<stdin>";
	if (opts->va_bits < 1 || opts->va_bits > 64) {
		snprintf(err, errlen, "%s: va_bits %u is not in 1..64", name,
			 opts->va_bits);
		return VM_EINVAL;
	}
	if (opts->page_shift >= 64) {
		snprintf(err, errlen, "%s: page_shift %u is not below 64", name,
			 opts->page_shift);
		return VM_EINVAL;
	}
	if ((unsigned)opts->format > TRACE_FMT_DIN) {
		snprintf(err, errlen, "%s: unknown trace format %d", name,
			 (int)opts->format);
		return VM_EINVAL;
	}

	trace_input_t *in;
	int rc = trace_input_open(&in, path, err, errlen);
	if (rc < 0)
		return rc;
	trace_format_t fmt = opts->format;
	if (fmt == TRACE_FMT_AUTO && is_oracle_name(path))
		fmt = TRACE_FMT_ORACLE;
	return reader_start(out, in, fmt, opts, err, errlen);
}

int trace_open_fd(trace_reader_t **out, int fd, const char *name,
		  const trace_opts_t *opts, char *err, size_t errlen)
{
	assert(out && opts && name);
	*out = NULL;
	if (opts->va_bits < 1 || opts->va_bits > 64 || opts->page_shift >= 64 ||
	    (unsigned)opts->format > TRACE_FMT_DIN) {
		close(fd);
		snprintf(err, errlen, "%s: bad trace options", name);
		return VM_EINVAL;
	}
	trace_input_t *in;
	int rc = trace_input_open_fd(&in, fd, name, err, errlen);
	if (rc < 0)
		return rc;
	return reader_start(out, in, opts->format, opts, err, errlen);
}

/* Does the file name say oracleGeneral (libCacheSim's names, as
 * "x.oracleGeneral.bin.zst", ".oracleGeneral.sample10")? */
static bool is_oracle_name(const char *path)
{
	if (!path)
		return false;
	const char *base = strrchr(path, '/');
	return strcasestr(base ? base + 1 : path, ".oracleGeneral") != NULL;
}

/* Build the reader around an open input; a binary format given by name
 * gets its decoder now.  Closes in on failure. */
static int reader_start(trace_reader_t **out, trace_input_t *in, trace_format_t fmt,
			const trace_opts_t *opts, char *err, size_t errlen)
{
	trace_reader_t *r = calloc(1, sizeof *r);
	char *buf = malloc(BUF_SIZE + 1);
	if (!r || !buf) {
		free(r);
		free(buf);
		snprintf(err, errlen, "%s: out of memory", trace_input_name(in));
		trace_input_close(in);
		return VM_ENOMEM;
	}
	r->in = in;
	r->format = fmt;
	r->page_shift = opts->page_shift;
	r->va_bits = opts->va_bits;
	r->va_max = opts->va_bits == 64 ? UINT64_MAX
					: ((uint64_t)1 << opts->va_bits) - 1;
	r->buf = buf;
	r->cap = BUF_SIZE;
	r->line = 1;
	if ((fmt == TRACE_FMT_VMT || fmt == TRACE_FMT_ORACLE) && start_bin(r, fmt) < 0) {
		snprintf(err, errlen, "%s: out of memory", trace_input_name(in));
		trace_close(r);
		return VM_ENOMEM;
	}
	*out = r;
	return 0;
}

static long read_any(trace_reader_t *r, trace_access_t *buf, size_t cap);

long trace_read(trace_reader_t *r, trace_access_t *buf, size_t cap)
{
	long n = read_any(r, buf, cap);
	if (n > 0)
		r->nread += (uint64_t)n;
	else if (n == 0)
		r->at_end = true;
	return n;
}

bool trace_empty(const trace_reader_t *r)
{
	return r->at_end && r->nread == 0;
}

/* trace_read's work: detect the format first, then the format's reader. */
static long read_any(trace_reader_t *r, trace_access_t *buf, size_t cap)
{
	assert(r && buf && cap > 0);
	if (r->err)
		return r->err;
	if (r->format == TRACE_FMT_AUTO) {
		if (detect(r) < 0)
			return r->err;
		if (r->format == TRACE_FMT_AUTO)
			return 0;   /* empty trace */
	}
	if (r->bin)
		return read_bin(r, buf, cap);
	if (cap > LONG_MAX)
		cap = LONG_MAX;
	size_t n = r->format == TRACE_FMT_PAGES ? read_pages(r, buf, cap)
						: read_lines(r, buf, cap);
	if (n == 0 && r->err)
		return r->err;
	return (long)n;
}

/* A binary format: its decoder's accesses, and its error made ours. */
static long read_bin(trace_reader_t *r, trace_access_t *buf, size_t cap)
{
	long n = trace_bin_read(r->bin, buf, cap);
	if (n < 0) {
		snprintf(r->msg, sizeof r->msg, "%s", trace_bin_error(r->bin));
		r->err = (int)n;
	}
	return n;
}

const char *trace_error(const trace_reader_t *r)
{
	return r->err ? r->msg : "";
}

trace_format_t trace_format(const trace_reader_t *r)
{
	return r->format;
}

const char *trace_name(const trace_reader_t *r)
{
	return trace_input_name(r->in);
}

int trace_fd(const trace_reader_t *r)
{
	return r->in ? trace_input_fd(r->in) : -1;
}

void trace_close(trace_reader_t *r)
{
	if (!r)
		return;
	trace_bin_close(r->bin);
	trace_input_close(r->in);
	free(r->buf);
	free(r);
}

const char *trace_format_name(trace_format_t f)
{
	switch (f) {
	case TRACE_FMT_AUTO: return "auto";
	case TRACE_FMT_LACKEY: return "lackey";
	case TRACE_FMT_TEXT: return "text";
	case TRACE_FMT_PAGES: return "pages";
	case TRACE_FMT_VMT: return "vmt";
	case TRACE_FMT_ORACLE: return "oracleGeneral";
	case TRACE_FMT_DIN: return "din";
	}
	return "?";
}

int trace_format_parse(const char *name, trace_format_t *out)
{
	static const trace_format_t all[] = {
		TRACE_FMT_AUTO, TRACE_FMT_LACKEY, TRACE_FMT_TEXT, TRACE_FMT_PAGES,
		TRACE_FMT_VMT, TRACE_FMT_ORACLE, TRACE_FMT_DIN,
	};
	if (strcmp(name, "oracle") == 0) {
		*out = TRACE_FMT_ORACLE;
		return 0;
	}
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(name, trace_format_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return VM_ENOENT;
}
