/* parse.c - reading a whole script into commands before anything runs. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/loader.h"
#include "script/path.h"
#include "script/script.h"
#include "util/clip.h"
#include "util/num.h"
#include "util/vmerr.h"

#define SCRIPT_MAX_WORDS 16
#define SCRIPT_MAX_READ (1u << 20)  /* bytes one read may print or compare */

/* A word of a line: a slice of the line; quoted words keep their quotes. */
typedef struct script_word {
	const char *s;
	size_t len;
} script_word_t;

/* The parser's state while it reads one script. */
typedef struct script_parser {
	script_t *s;
	const script_paths_t *paths;
	unsigned line;
	int seen_command;           /* a command other than set has been read */
	size_t open[SCRIPT_MAX_DEPTH]; /* indices of repeat commands not ended */
	int depth;
	size_t *pid_slot;           /* open addressing: index into s->pids + 1, 0 empty */
	size_t pid_slots, pids_cap; /* pid_slot entries (a power of two), s->pids room */
	char *err;
	size_t errlen;
} script_parser_t;

/* Write "FILE:LINE: what" into the error; returns VM_EINVAL for return. */
static int script_bad(script_parser_t *p, const char *fmt, ...)
{
	int at = snprintf(p->err, p->errlen, "%s:%u: ", p->s->name, p->line);
	if (at < 0 || (size_t)at >= p->errlen)
		return VM_EINVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + at, p->errlen - (size_t)at, fmt, ap);
	va_end(ap);
	return VM_EINVAL;
}

/* Whether word w is exactly lit. */
static int word_is(script_word_t w, const char *lit)
{
	return strlen(lit) == w.len && !strncmp(w.s, lit, w.len);
}

/* A NUL-terminated copy of a word (words are slices of the line). */
static char *word_dup(script_word_t w)
{
	return strndup(w.s, w.len);
}

/* A number word; what names it in the message (ADDR, LEN, ...). */
static int parse_num(script_parser_t *p, script_word_t w, int suffix, const char *what,
		     uint64_t *out)
{
	char buf[64];
	if (w.len >= sizeof buf)
		return script_bad(p, "bad %s '%s' (too long for a number)", what, CLIP(w.s, w.len));
	memcpy(buf, w.s, w.len);
	buf[w.len] = 0;
	int rc = num_parse_u64(buf, out, suffix);
	if (rc == VM_ERANGE)
		return script_bad(p, "bad %s '%s' (out of range)", what, buf);
	if (rc)
		return script_bad(p, "bad %s '%s' (a number like 4096, 0x1000 or 010%s)", what, buf,
				  suffix ? ", or with K, M or G" : "");
	return VM_OK;
}

/* A $NAME word's name, from its letter on: a letter or _, then letters,
 * digits or _, at most 31; its length, or 0 when it is none. */
static size_t sym_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && i < 32 && (isalpha((unsigned char)s[i]) || s[i] == '_' ||
				  (i && isdigit((unsigned char)s[i]))))
		i++;
	return i < 32 ? i : 0;
}

/* The index of name (len bytes) in s->syms, or s->nsyms. */
static size_t sym_find(const script_t *s, const char *name, size_t len)
{
	size_t i = 0;
	while (i < s->nsyms && !(strlen(s->syms[i]) == len && !strncmp(s->syms[i], name, len)))
		i++;
	return i;
}

/* ADDR: a number, or $NAME[+OFFSET] with NAME defined by an earlier malloc
 * line (c->sym, the offset in c->addr; the value is known when it runs). */
static int parse_addr(script_parser_t *p, script_word_t w, script_cmd_t *c)
{
	if (!w.len || w.s[0] != '$')
		return parse_num(p, w, 0, "ADDR", &c->addr);
	size_t n = sym_len(w.s + 1, w.len - 1);
	if (!n || (1 + n < w.len && w.s[1 + n] != '+'))
		return script_bad(p, "bad ADDR '%s' ($NAME or $NAME+OFFSET, NAME a letter or _ then letters, digits or _)",
				  CLIP(w.s, w.len));
	size_t i = sym_find(p->s, w.s + 1, n);
	if (i == p->s->nsyms)
		return script_bad(p, "unknown name $%s (malloc P SIZE %s defines it, on an earlier line)",
				  CLIP(w.s + 1, n), CLIP(w.s + 1, n));
	c->sym = i + 1;
	if (1 + n == w.len)
		return VM_OK;
	script_word_t off = { w.s + 2 + n, w.len - 2 - n };
	return parse_num(p, off, 1, "OFFSET", &c->addr);
}

/* A length: a size that is not zero. */
static int parse_len(script_parser_t *p, script_word_t w, const char *what, uint64_t *out)
{
	int rc = parse_num(p, w, 1, what, out);
	if (!rc && !*out)
		return script_bad(p, "bad %s 0 (at least one byte)", what);
	return rc;
}

static size_t script_pid_slot(const script_parser_t *p, uint32_t pid);

const char *script_pid_label(const script_t *s, uint32_t pid, char *buf)
{
	if (pid >= SCRIPT_NAMED_PID)
		for (size_t i = 0; i < s->nnames; i++)
			if (s->names[i].pid == pid)
				return s->names[i].name;
	snprintf(buf, 16, "%u", pid);
	return buf;
}

/* A process named by a word (a letter, then letters, digits, _ or -): its
 * number, given at first mention from SCRIPT_NAMED_PID up, past any number
 * the script has used. */
static int parse_pid_name(script_parser_t *p, script_word_t w, uint32_t *out)
{
	script_t *s = p->s;
	for (size_t i = 0; i < w.len; i++)
		if (!(isalnum((unsigned char)w.s[i]) || w.s[i] == '_' || w.s[i] == '-') || w.len > 31)
			return script_bad(p, "bad process '%s' (a number, or a name: a letter, then letters, digits, _ or -, at most 31)",
					  CLIP(w.s, w.len));
	for (size_t i = 0; i < s->nnames; i++)
		if (word_is(w, s->names[i].name)) {
			*out = s->names[i].pid;
			return VM_OK;
		}
	if (s->nnames == SCRIPT_MAX_NAMES)
		return script_bad(p, "more than %d process names", SCRIPT_MAX_NAMES);
	uint32_t pid = s->nnames ? s->names[s->nnames - 1].pid + 1 : SCRIPT_NAMED_PID;
	while (p->pid_slots && p->pid_slot[script_pid_slot(p, pid)])
		pid++;   /* a number the script gave itself */
	struct script_name *v = realloc(s->names, (s->nnames + 1) * sizeof *v);
	if (!v)
		return script_bad(p, "out of memory"), VM_ENOMEM;
	s->names = v;
	if (!(v[s->nnames].name = word_dup(w)))
		return script_bad(p, "out of memory"), VM_ENOMEM;
	v[s->nnames++].pid = pid;
	*out = pid;
	return VM_OK;
}

/* A process: a decimal number that fits in 32 bits, or a name. */
static int parse_pid(script_parser_t *p, script_word_t w, uint32_t *out)
{
	if (w.len && isalpha((unsigned char)w.s[0]))
		return parse_pid_name(p, w, out);
	uint64_t v = 0;
	for (size_t i = 0; i < w.len; i++) {
		if (!isdigit((unsigned char)w.s[i]) || v > UINT32_MAX)
			return script_bad(p, "bad process number '%s' (a decimal number)", CLIP(w.s, w.len));
		v = v * 10 + (uint64_t)(w.s[i] - '0');
	}
	if (v > UINT32_MAX)
		return script_bad(p, "bad process number '%s' (at most %u)", CLIP(w.s, w.len), UINT32_MAX);
	for (size_t i = 0; v >= SCRIPT_NAMED_PID && i < p->s->nnames; i++)
		if (p->s->names[i].pid == v)
			return script_bad(p, "process number %llu is already the number of '%s'; use another",
					  (unsigned long long)v, p->s->names[i].name);
	*out = (uint32_t)v;
	return VM_OK;
}

/* Protection: letters of rwx (each at most once, `-` as a filler, so rw- and
 * r-x read as in maps), or - alone for none. */
static int parse_prot(script_parser_t *p, script_word_t w, unsigned *out)
{
	unsigned prot = 0;
	for (size_t i = 0; i < w.len; i++) {
		unsigned bit = w.s[i] == 'r' ? VM_PROT_R : w.s[i] == 'w' ? VM_PROT_W :
			       w.s[i] == 'x' ? VM_PROT_X : 0;
		if (w.s[i] == '-')
			continue;
		if (!bit || (prot & bit))
			return script_bad(p, "bad PROT '%s' (letters of rwx, or - for none)", CLIP(w.s, w.len));
		prot |= bit;
	}
	*out = prot;
	return VM_OK;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The bytes of a "text" word: escapes \\ \" \n \t \r \0 \xHH. */
static int parse_text(script_parser_t *p, script_word_t w, unsigned char *buf, size_t *n)
{
	*n = 0;
	for (size_t i = 1; i + 1 < w.len; i++) {
		int c = (unsigned char)w.s[i];
		if (c == '\\') {
			c = w.s[++i];
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '0': c = 0; break;
			case '\\': case '"': break;
			case 'x':
				if (i + 3 < w.len && hex_digit(w.s[i + 1]) >= 0 && hex_digit(w.s[i + 2]) >= 0) {
					c = hex_digit(w.s[i + 1]) * 16 + hex_digit(w.s[i + 2]);
					i += 2;
					break;
				}
				/* fall through */
			default:
				return script_bad(p, "bad DATA %s (unknown escape; known: \\\\ \\\" \\n \\t \\r \\0 \\xHH)",
						  CLIP(w.s, w.len));
			}
		}
		buf[(*n)++] = (unsigned char)c;
	}
	return VM_OK;
}

/* DATA: "text" or 0xHEXBYTES (two digits a byte), not empty. */
static int parse_data(script_parser_t *p, script_word_t w, script_cmd_t *c)
{
	c->data = malloc(w.len + 1);
	if (!c->data)
		return script_bad(p, "out of memory"), VM_ENOMEM;
	c->has_data = 1;
	if (w.len >= 2 && w.s[0] == '"') {
		int rc = parse_text(p, w, c->data, &c->ndata);
		if (rc)
			return rc;
	} else if (w.len > 2 && w.s[0] == '0' && (w.s[1] == 'x' || w.s[1] == 'X') && w.len % 2 == 0) {
		for (size_t i = 2; i < w.len; i += 2) {
			int hi = hex_digit(w.s[i]), lo = hex_digit(w.s[i + 1]);
			if (hi < 0 || lo < 0)
				return script_bad(p, "bad DATA '%s' (0x and two hex digits a byte)", CLIP(w.s, w.len));
			c->data[c->ndata++] = (unsigned char)(hi * 16 + lo);
		}
	} else {
		return script_bad(p, "bad DATA '%s' (\"text\" or 0xHEXBYTES, two hex digits a byte)",
				  CLIP(w.s, w.len));
	}
	if (!c->ndata)
		return script_bad(p, "bad DATA %s (empty)", CLIP(w.s, w.len));
	return VM_OK;
}

/* A path of the script, resolved through the sandbox into c->path. */
static int parse_path(script_parser_t *p, script_word_t w, char **out)
{
	char buf[PATH_MAX], msg[PATH_MAX + 256], resolved[PATH_MAX];
	if (w.s[0] == '"') {
		size_t n;
		if (w.len > sizeof buf)
			return script_bad(p, "path too long");
		int rc = parse_text(p, w, (unsigned char *)buf, &n);
		if (rc)
			return rc;
		buf[n] = 0;
		if (strlen(buf) != n)
			return script_bad(p, "bad path %s (a NUL byte)", CLIP(w.s, w.len));
	} else {
		if (w.len >= sizeof buf)
			return script_bad(p, "path too long");
		memcpy(buf, w.s, w.len);
		buf[w.len] = 0;
	}
	int rc = path_resolve(p->paths->root, buf, p->paths->allow_any, resolved, sizeof resolved,
			      msg, sizeof msg);
	if (rc) {
		script_bad(p, "%s", msg);
		return rc;
	}
	*out = strdup(resolved);
	if (!*out)
		return script_bad(p, "out of memory"), VM_ENOMEM;
	return VM_OK;
}

/* One command: its name, its words after the name, what it does. */
typedef struct script_syntax {
	const char *name;
	const char *usage;          /* for "wrong number of words" */
	int min, max;               /* words after the name */
	int (*parse)(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n);
} script_syntax_t;

static int parse_set(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	if (p->seen_command)
		return script_bad(p, "set must come before any other command (machine options are fixed once the machine runs)");
	c->op = SCRIPT_SET;
	c->name = word_dup(w[0]);
	if (!c->name)
		return VM_ENOMEM;
	if (word_is(w[0], "swap-file"))
		return parse_path(p, w[1], &c->setval);
	c->setval = word_dup(w[1]);
	return c->setval ? VM_OK : VM_ENOMEM;
}

static int parse_pid_only(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	return parse_pid(p, w[0], &c->pid);
}

/* spawn P, or spawn P trace TRACE: a process running a trace when `run`. */
static int parse_spawn(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_SPAWN;
	int rc = parse_pid_only(p, c, w, n);
	if (rc || n == 1)
		return rc;
	if (n != 3 || !word_is(w[1], "trace"))
		return script_bad(p, "wrong number of words for spawn (spawn P, or spawn P trace TRACE)");
	return parse_path(p, w[2], &c->path);
}

/* run, run NS or run for NS: the scheduler runs the trace processes. */
static int parse_run(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_RUN;
	if (n == 0)
		return VM_OK;
	if (n == 2 && !word_is(w[0], "for"))
		return script_bad(p, "wrong words for run (run, or run for NS)");
	int rc = parse_num(p, w[n - 1], 0, "NS", &c->value);
	if (!rc && !c->value)
		return script_bad(p, "bad NS '0' (run for at least 1 ns, or run with no NS for all)");
	return rc;
}

static int parse_exit(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_EXIT;
	return parse_pid_only(p, c, w, n);
}

static int parse_maps(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_MAPS;
	return parse_pid_only(p, c, w, n);
}

static int parse_fork(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_FORK;
	int rc = parse_pid(p, w[0], &c->pid);
	return rc ? rc : parse_pid(p, w[1], &c->pid2);
}

/* thread P T: T shares P's address space (clone(CLONE_VM)). */
static int parse_thread(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	int rc = parse_fork(p, c, w, n);
	c->op = SCRIPT_THREAD;
	return rc;
}

/* P ADDR LEN: the start of most memory commands. */
static int parse_range(script_parser_t *p, script_cmd_t *c, const script_word_t *w)
{
	int rc = parse_pid(p, w[0], &c->pid);
	if (!rc)
		rc = parse_addr(p, w[1], c);
	if (!rc)
		rc = parse_len(p, w[2], "LEN", &c->len);
	return rc;
}

static int parse_mmap(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	static const struct {
		const char *name;
		vm_region_kind_t kind;
	} kinds[] = { { "text", VM_KIND_TEXT }, { "data", VM_KIND_DATA }, { "heap", VM_KIND_HEAP },
		      { "stack", VM_KIND_STACK }, { "mapping", VM_KIND_MAPPING } };
	c->op = SCRIPT_MMAP;
	int rc = parse_range(p, c, w);
	if (!rc)
		rc = parse_prot(p, w[3], &c->prot);
	if (rc)
		return rc;
	if (!word_is(w[4], "private") && !word_is(w[4], "shared"))
		return script_bad(p, "bad mapping type '%s' (private or shared)", CLIP(w[4].s, w[4].len));
	c->flags = word_is(w[4], "shared") ? VM_MAP_SHARED : VM_MAP_PRIVATE;
	int i = 5;
	if (i < n && word_is(w[i], "anon")) {
		i++;
	} else if (i < n && word_is(w[i], "file")) {
		if (++i >= n)
			return script_bad(p, "mmap ... file needs a PATH");
		if ((rc = parse_path(p, w[i++], &c->path)))
			return rc;
		if (i < n && !word_is(w[i], "as") &&
		    (rc = parse_num(p, w[i++], 1, "OFFSET", &c->offset)))
			return rc;
	}
	if (i < n && word_is(w[i], "huge")) { /* hugetlbfs-like, from --hugepages */
		c->flags |= VM_MAP_HUGETLB;
		i++;
	}
	if (i < n && word_is(w[i], "as")) {
		if (++i >= n)
			return script_bad(p, "mmap ... as needs a kind: text, data, heap or stack");
		size_t k = 0;
		while (k < sizeof kinds / sizeof kinds[0] && !word_is(w[i], kinds[k].name))
			k++;
		if (k == sizeof kinds / sizeof kinds[0])
			return script_bad(p, "bad kind '%s' (text, data, heap or stack)", CLIP(w[i].s, w[i].len));
		c->kind = kinds[k].kind;
		i++;
	}
	if (i < n)
		return script_bad(p, "unexpected '%s' (mmap P ADDR LEN PROT private|shared [anon | file PATH [OFFSET]] [huge] [as text|data|stack|heap])",
				  CLIP(w[i].s, w[i].len));
	return VM_OK;
}

static int parse_munmap(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_MUNMAP;
	return parse_range(p, c, w);
}

static int parse_msync(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_MSYNC;
	return parse_range(p, c, w);
}

static int parse_mprotect(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_MPROTECT;
	int rc = parse_range(p, c, w);
	return rc ? rc : parse_prot(p, w[3], &c->prot);
}

static int parse_numa(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_NUMA;
	int rc = parse_pid(p, w[0], &c->pid);
	return rc ? rc : parse_num(p, w[1], 0, "NODE", &c->value);
}

/* madvise P ADDR LEN hugepage|nohugepage */
static int parse_madvise(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_MADVISE;
	int rc = parse_range(p, c, w);
	if (rc)
		return rc;
	if (word_is(w[3], "hugepage"))
		c->value = VM_MADV_HUGEPAGE;
	else if (word_is(w[3], "nohugepage"))
		c->value = VM_MADV_NOHUGEPAGE;
	else
		return script_bad(p, "bad advice '%s' (hugepage or nohugepage)", CLIP(w[3].s, w[3].len));
	return VM_OK;
}

static int parse_brk(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_BRK;
	int rc = parse_pid(p, w[0], &c->pid);
	return rc ? rc : parse_addr(p, w[1], c);
}

static int parse_file(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_FILE;
	int rc = parse_path(p, w[0], &c->path);
	return rc ? rc : parse_num(p, w[1], 1, "SIZE", &c->len);
}

static int parse_write(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_WRITE;
	int rc = parse_pid(p, w[0], &c->pid);
	if (!rc)
		rc = parse_addr(p, w[1], c);
	return rc ? rc : parse_data(p, w[2], c);
}

static int parse_read(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_READ;
	int rc = parse_range(p, c, w);
	if (rc)
		return rc;
	if (c->len > SCRIPT_MAX_READ)
		return script_bad(p, "bad LEN %llu (a read is at most %u bytes)",
				  (unsigned long long)c->len, SCRIPT_MAX_READ);
	if (n == 3)
		return VM_OK;
	if (n != 5 || !word_is(w[3], "expect"))
		return script_bad(p, "unexpected '%s' (read P ADDR LEN [expect DATA])", CLIP(w[3].s, w[3].len));
	if ((rc = parse_data(p, w[4], c)))
		return rc;
	if (c->ndata != c->len)
		return script_bad(p, "expect DATA is %zu bytes but LEN is %llu", c->ndata,
				  (unsigned long long)c->len);
	return VM_OK;
}

static int parse_touch(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_TOUCH;
	int rc = parse_range(p, c, w);
	if (rc)
		return rc;
	if (w[3].len != 1 || !strchr("rwx", w[3].s[0]))
		return script_bad(p, "bad access '%s' (r, w or x)", CLIP(w[3].s, w[3].len));
	c->access = toupper((unsigned char)w[3].s[0]);
	return n == 5 ? parse_num(p, w[4], 1, "STRIDE", &c->stride) : VM_OK;
}

/* syscall P [touch ADDR LEN]: ADDR a kernel address (vm_syscall checks). */
static int parse_syscall(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_SYSCALL;
	int rc = parse_pid(p, w[0], &c->pid);
	if (rc || n == 1)
		return rc;
	if (!word_is(w[1], "touch"))
		return script_bad(p, "unexpected '%s' (syscall P [touch ADDR LEN])", CLIP(w[1].s, w[1].len));
	if (n != 4)
		return script_bad(p, "syscall P touch needs ADDR and LEN (syscall P [touch ADDR LEN])");
	rc = parse_addr(p, w[2], c);
	return rc ? rc : parse_len(p, w[3], "LEN", &c->len);
}

/* expect P segv|alive|exited|oom, expect P resident|swapped N, expect stat NAME VALUE */
static int parse_expect(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	static const struct {
		const char *name;
		vm_proc_state_t state;
	} states[] = { { "alive", VM_PROC_ALIVE }, { "exited", VM_PROC_EXITED },
		       { "segv", VM_PROC_SEGV }, { "oom", VM_PROC_OOM } };
	int rc;
	if (word_is(w[0], "stat")) {
		c->op = SCRIPT_EXPECT_STAT;
		if (n != 3)
			return script_bad(p, "wrong number of words (expect stat NAME VALUE)");
		if (!(c->name = word_dup(w[1])))
			return VM_ENOMEM;
		if (script_stat(NULL, NULL, c->name, NULL)) {
			char names[1024];
			script_stat_names(names, sizeof names);
			return script_bad(p, "unknown counter '%s'; known: %s", CLIP(c->name, strlen(c->name)), names);
		}
		return parse_num(p, w[2], 1, "VALUE", &c->value);
	}
	if ((rc = parse_pid(p, w[0], &c->pid)))
		return rc;
	static const struct {
		const char *name;
		int access;
	} counts[] = { { "resident", 'r' }, { "swapped", 's' }, { "minflt", 'n' },
		       { "majflt", 'j' }, { "hwm", 'h' } };
	for (size_t i = 0; n == 3 && i < sizeof counts / sizeof counts[0]; i++)
		if (word_is(w[1], counts[i].name)) {
			c->op = SCRIPT_EXPECT_PAGES;
			c->access = counts[i].access;
			return parse_num(p, w[2], 0, "count", &c->value);
		}
	c->op = SCRIPT_EXPECT_PROC;
	for (size_t i = 0; n == 2 && i < sizeof states / sizeof states[0]; i++)
		if (word_is(w[1], states[i].name)) {
			c->state = states[i].state;
			return VM_OK;
		}
	return script_bad(p, "bad expectation '%s' (expect P alive|exited|segv|oom, expect P resident|swapped|minflt|majflt|hwm N, or expect stat NAME VALUE)",
			  CLIP(w[1].s, (size_t)(w[n - 1].s + w[n - 1].len - w[1].s)));
}

/* malloc P SIZE [NAME]: NAME (without $) defines $NAME. */
static int parse_malloc(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_MALLOC;
	int rc = parse_pid(p, w[0], &c->pid);
	if (!rc)
		rc = parse_num(p, w[1], 1, "SIZE", &c->len);
	if (rc || n == 2)
		return rc;
	if (sym_len(w[2].s, w[2].len) != w[2].len)
		return script_bad(p, "bad NAME '%s' (a letter or _, then letters, digits or _, at most 31; written without $: malloc 1 64 buf defines $buf)",
				  CLIP(w[2].s, w[2].len));
	script_t *s = p->s;
	size_t i = sym_find(s, w[2].s, w[2].len);
	if (i == s->nsyms) {
		if (s->nsyms == SCRIPT_MAX_NAMES)
			return script_bad(p, "more than %d $NAMEs", SCRIPT_MAX_NAMES);
		char **v = realloc(s->syms, (s->nsyms + 1) * sizeof *v);
		if (!v)
			return script_bad(p, "out of memory"), VM_ENOMEM;
		s->syms = v;
		if (!(v[i] = word_dup(w[2])))
			return script_bad(p, "out of memory"), VM_ENOMEM;
		s->nsyms++;
	}
	c->sym = i + 1;
	return VM_OK;
}

static int parse_free(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_FREE;
	int rc = parse_pid(p, w[0], &c->pid);
	return rc ? rc : parse_addr(p, w[1], c);
}

/* stats: the summary now; stats P: P's accounting. */
static int parse_stats(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = n ? SCRIPT_PSTATS : SCRIPT_STATS;
	return n ? parse_pid_only(p, c, w, n) : VM_OK;
}

static int parse_check(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_CHECK;
	return VM_OK;
}

/* echo WORDS: the words joined by one space ("text" words unquoted). */
static int parse_echo(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_ECHO;
	size_t total = 1;
	for (int i = 0; i < n; i++)
		total += w[i].len + 1;
	if (!(c->data = malloc(total)))
		return VM_ENOMEM;
	for (int i = 0; i < n; i++) {
		if (i)
			c->data[c->ndata++] = ' ';
		if (w[i].s[0] == '"') {
			size_t k;
			int rc = parse_text(p, w[i], c->data + c->ndata, &k);
			if (rc)
				return rc;
			c->ndata += k;
		} else {
			memcpy(c->data + c->ndata, w[i].s, w[i].len);
			c->ndata += w[i].len;
		}
	}
	c->data[c->ndata] = 0;
	return VM_OK;
}

static int parse_repeat(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_REPEAT;
	if (p->depth == SCRIPT_MAX_DEPTH)
		return script_bad(p, "repeat blocks nested more than %d deep", SCRIPT_MAX_DEPTH);
	p->open[p->depth++] = p->s->n - 1;
	return parse_num(p, w[0], 0, "count", &c->value);
}

static int parse_end(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	c->op = SCRIPT_END;
	if (!p->depth)
		return script_bad(p, "end without repeat");
	c->jump = p->open[--p->depth];
	p->s->cmds[c->jump].jump = p->s->n - 1;
	return VM_OK;
}

/* exec P PATH [ARGS...]: the program read now (loader.h); ARGS unquoted
 * into data, NUL-separated, their count in value. */
static int parse_exec(script_parser_t *p, script_cmd_t *c, const script_word_t *w, int n)
{
	char path[PATH_MAX], msg[2 * PATH_MAX + 256];
	size_t k = 0;
	c->op = SCRIPT_EXEC;
	int rc = parse_pid(p, w[0], &c->pid);
	if (rc)
		return rc;
	if (w[1].len >= sizeof path)
		return script_bad(p, "path too long");
	if (w[1].s[0] == '"' ? (rc = parse_text(p, w[1], (unsigned char *)path, &k)) : 0)
		return rc;
	if (w[1].s[0] != '"')
		memcpy(path, w[1].s, k = w[1].len);
	path[k] = 0;
	if (strlen(path) != k)
		return script_bad(p, "bad path %s (a NUL byte)", CLIP(w[1].s, w[1].len));
	if ((rc = load_prepare(p->paths, path, &c->prog, msg, sizeof msg))) {
		script_bad(p, "%s", msg);
		return rc == VM_ENOMEM ? VM_ENOMEM : rc == VM_EPERM || rc == VM_ENOENT ? rc : VM_EINVAL;
	}
	size_t total = 0;
	for (int i = 2; i < n; i++)
		total += w[i].len + 1;
	if (!(c->data = malloc(total ? total : 1)))
		return script_bad(p, "out of memory"), VM_ENOMEM;
	for (int i = 2; i < n; i++, c->value++) {
		if (w[i].s[0] == '"') {
			if ((rc = parse_text(p, w[i], c->data + c->ndata, &k)))
				return rc;
			if (memchr(c->data + c->ndata, 0, k))
				return script_bad(p, "bad argument %s (a NUL byte)", CLIP(w[i].s, w[i].len));
		} else {
			memcpy(c->data + c->ndata, w[i].s, k = w[i].len);
		}
		c->ndata += k;
		c->data[c->ndata++] = 0;
	}
	return VM_OK;
}

static const script_syntax_t script_syntax[] = {
	{ "set", "set NAME VALUE", 2, 2, parse_set },
	{ "spawn", "spawn P", 1, 3, parse_spawn },
	{ "mmap", "mmap P ADDR LEN PROT private|shared [anon | file PATH [OFFSET]] [huge] [as KIND]", 5, 11, parse_mmap },
	{ "munmap", "munmap P ADDR LEN", 3, 3, parse_munmap },
	{ "mprotect", "mprotect P ADDR LEN PROT", 4, 4, parse_mprotect },
	{ "brk", "brk P ADDR", 2, 2, parse_brk },
	{ "numa", "numa P NODE", 2, 2, parse_numa },
	{ "madvise", "madvise P ADDR LEN hugepage|nohugepage", 4, 4, parse_madvise },
	{ "fork", "fork P C", 2, 2, parse_fork },
	{ "exit", "exit P", 1, 1, parse_exit },
	{ "file", "file PATH SIZE", 2, 2, parse_file },
	{ "write", "write P ADDR DATA", 3, 3, parse_write },
	{ "read", "read P ADDR LEN [expect DATA]", 3, 5, parse_read },
	{ "touch", "touch P ADDR LEN r|w|x [STRIDE]", 4, 5, parse_touch },
	{ "msync", "msync P ADDR LEN", 3, 3, parse_msync },
	{ "syscall", "syscall P [touch ADDR LEN]", 1, 4, parse_syscall },
	{ "expect", "expect P alive|exited|segv|oom, or expect stat NAME VALUE", 2, 3, parse_expect },
	{ "maps", "maps P", 1, 1, parse_maps },
	{ "stats", "stats [P]", 0, 1, parse_stats },
	{ "check", "check", 0, 0, parse_check },
	{ "echo", "echo TEXT...", 0, SCRIPT_MAX_WORDS - 1, parse_echo },
	{ "malloc", "malloc P SIZE [NAME]", 2, 3, parse_malloc },
	{ "free", "free P ADDR", 2, 2, parse_free },
	{ "repeat", "repeat N", 1, 1, parse_repeat },
	{ "end", "end", 0, 0, parse_end },
	{ "exec", "exec P PATH [ARGS...]", 2, SCRIPT_MAX_WORDS - 1, parse_exec },
	{ "thread", "thread P T", 2, 2, parse_thread },
	{ "run", "run [for NS]", 0, 2, parse_run },
};

/* Split a line into words; a word starting with " runs to the closing
 * quote; # starts a comment where a word could start.  Returns the count or
 * a negative vm_err_t. */
static int script_split(script_parser_t *p, const char *line, script_word_t *w)
{
	int n = 0;
	const char *s = line;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			return n;
		if (n == SCRIPT_MAX_WORDS)
			return script_bad(p, "too many words (at most %d)", SCRIPT_MAX_WORDS);
		const char *start = s;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (*s != '"')
				return script_bad(p, "unterminated string %s", CLIP(start, strlen(start)));
			s++;
			if (*s && *s != ' ' && *s != '\t')
				return script_bad(p, "text after the closing quote of %s", CLIP(start, (size_t)(s - start)));
		} else {
			while (*s && *s != ' ' && *s != '\t')
				s++;
		}
		w[n++] = (script_word_t){ start, (size_t)(s - start) };
	}
}

/* Room for one more command, zeroed. */
static script_cmd_t *script_push(script_t *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		script_cmd_t *v = realloc(s->cmds, cap * sizeof *v);
		if (!v)
			return NULL;
		s->cmds = v;
		s->cap = cap;
	}
	script_cmd_t *c = &s->cmds[s->n];
	memset(c, 0, sizeof *c);
	return c;
}

/* The slot of pid in the parser's pid index: where it is, or the empty slot
 * where it would go. */
static size_t script_pid_slot(const script_parser_t *p, uint32_t pid)
{
	size_t mask = p->pid_slots - 1, h = (size_t)(((uint64_t)pid * 0x9e3779b97f4a7c15ull) >> 32) & mask;
	while (p->pid_slot[h] && p->s->pids[p->pid_slot[h] - 1] != pid)
		h = (h + 1) & mask;
	return h;
}

/* Double the pid index and re-insert every pid. */
static int script_pid_grow(script_parser_t *p)
{
	size_t n = p->pid_slots ? p->pid_slots * 2 : 64;
	size_t *slot = calloc(n, sizeof *slot);
	if (!slot)
		return VM_ENOMEM;
	free(p->pid_slot);
	p->pid_slot = slot;
	p->pid_slots = n;
	for (size_t i = 0; i < p->s->npids; i++)
		slot[script_pid_slot(p, p->s->pids[i])] = i + 1;
	return VM_OK;
}

/* Note a process number the script names (notices of deaths follow them);
 * *idx gets its index in s->pids.  A hash index keeps this constant time:
 * scripts may name 100,000 processes. */
static int script_note_pid(script_parser_t *p, uint32_t pid, size_t *idx)
{
	script_t *s = p->s;
	if ((s->npids + 1) * 2 > p->pid_slots && script_pid_grow(p))
		return VM_ENOMEM;
	size_t h = script_pid_slot(p, pid);
	if (p->pid_slot[h]) {
		*idx = p->pid_slot[h] - 1;
		return VM_OK;
	}
	if (s->npids == p->pids_cap) {
		size_t cap = p->pids_cap ? p->pids_cap * 2 : 16;
		uint32_t *v = realloc(s->pids, cap * sizeof *v);
		if (!v)
			return VM_ENOMEM;
		s->pids = v;
		p->pids_cap = cap;
	}
	s->pids[s->npids] = pid;
	p->pid_slot[h] = ++s->npids;
	*idx = s->npids - 1;
	return VM_OK;
}

/* Whether command c names a process in pid (and pid2 for fork). */
static int script_names_pid(const script_cmd_t *c)
{
	switch (c->op) {
	case SCRIPT_SET: case SCRIPT_FILE: case SCRIPT_EXPECT_STAT: case SCRIPT_STATS:
	case SCRIPT_CHECK: case SCRIPT_ECHO: case SCRIPT_REPEAT: case SCRIPT_END:
	case SCRIPT_RUN:
		return 0;
	default:
		return 1;
	}
}

/* Parse one line (NUL-terminated, no newline) into a command, if any. */
static int script_line(script_parser_t *p, const char *line)
{
	script_word_t w[SCRIPT_MAX_WORDS];
	int n = script_split(p, line, w);
	if (n <= 0)
		return n;
	const script_syntax_t *syn = NULL;
	for (size_t i = 0; i < sizeof script_syntax / sizeof script_syntax[0]; i++)
		if (word_is(w[0], script_syntax[i].name))
			syn = &script_syntax[i];
	if (!syn)
		return script_bad(p, "unknown command '%s'", CLIP(w[0].s, w[0].len));
	if (n - 1 < syn->min || n - 1 > syn->max)
		return script_bad(p, "wrong number of words for %s (%s)", syn->name, syn->usage);
	script_cmd_t *c = script_push(p->s);
	if (!c)
		return script_bad(p, "out of memory"), VM_ENOMEM;
	c->line = p->line;
	const char *end = w[n - 1].s + w[n - 1].len;
	c->text = strndup(w[0].s, (size_t)(end - w[0].s));
	p->s->n++;   /* counted now, so that script_free releases what parse allocates */
	if (!c->text)
		return script_bad(p, "out of memory"), VM_ENOMEM;
	int rc = syn->parse(p, c, w + 1, n - 1);
	if (rc)
		return rc;
	if (c->op != SCRIPT_SET)
		p->seen_command = 1;
	c->pidx = c->pidx2 = SIZE_MAX;
	if (script_names_pid(c) && (script_note_pid(p, c->pid, &c->pidx) ||
				    ((c->op == SCRIPT_FORK || c->op == SCRIPT_THREAD) && script_note_pid(p, c->pid2, &c->pidx2))))
		return script_bad(p, "out of memory"), VM_ENOMEM;
	return VM_OK;
}

int script_parse(script_t *s, const char *name, const char *text, const script_paths_t *paths,
		 char *err, size_t errlen)
{
	*s = (script_t){ 0 };
	script_parser_t p = { .s = s, .paths = paths, .err = err, .errlen = errlen };
	s->name = strdup(name);
	char *copy = strdup(text);
	int rc = !s->name || !copy ? VM_ENOMEM : VM_OK;
	if (rc)
		snprintf(err, errlen, "%s: out of memory", name);
	for (char *line = copy, *next; !rc && line; line = next) {
		p.line++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[len - 1] = 0;
		rc = script_line(&p, line);
	}
	if (!rc && p.depth) {
		p.line = s->cmds[p.open[p.depth - 1]].line;
		rc = script_bad(&p, "repeat without end");
	}
	free(copy);
	free(p.pid_slot);
	if (rc) {
		script_free(s);
		s->name = NULL;
	}
	return rc;
}

void script_free(script_t *s)
{
	for (size_t i = 0; i < s->n; i++) {
		script_cmd_t *c = &s->cmds[i];
		free(c->text);
		free(c->path);
		free(c->data);
		free(c->name);
		free(c->setval);
		load_free(c->prog);
	}
	free(s->cmds);
	free(s->pids);
	for (size_t i = 0; i < s->nnames; i++)
		free(s->names[i].name);
	free(s->names);
	for (size_t i = 0; i < s->nsyms; i++)
		free(s->syms[i]);
	free(s->syms);
	free(s->name);
	*s = (script_t){ 0 };
}
