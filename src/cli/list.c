/* list.c - see list.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "util/num.h"
#include "util/vmerr.h"

typedef struct list_vec {
	uint64_t *v;
	size_t n, cap;
} list_vec_t;

static int list_push(list_vec_t *l, uint64_t x)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		uint64_t *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return VM_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = x;
	return VM_OK;
}

/* One number of an item, text [s, s+len), checked against 1..max (what
 * names it in messages).  The whole item is quoted for context. */
static int list_number(const char *s, size_t len, uint64_t max, const char *what, uint64_t *out,
		       char *err, size_t errlen)
{
	char buf[64];
	if (len == 0 || len >= sizeof buf) {
		snprintf(err, errlen, "%s '%.*s' is not a number", what, (int)(len < 40 ? len : 40), s);
		return VM_EINVAL;
	}
	memcpy(buf, s, len);
	buf[len] = 0;
	int rc = num_parse_u64(buf, out, 0);
	if (rc == VM_EINVAL) {
		snprintf(err, errlen, "%s '%s' is not a number", what, buf);
		return VM_EINVAL;
	}
	if (rc == VM_ERANGE || *out > max) {
		snprintf(err, errlen, "%s %s is above %llu", what, buf, (unsigned long long)max);
		return VM_ERANGE;
	}
	if (*out == 0) {
		snprintf(err, errlen, "%s 0: values start at 1", what);
		return VM_EINVAL;
	}
	return VM_OK;
}

/* Append the N values spread geometrically from a to b (a <= b, n >= 1);
 * the ends are exact, the rest rounded half away from zero. */
static int list_geometric(list_vec_t *l, uint64_t a, uint64_t b, uint64_t n)
{
	double ratio = log((double)b / (double)a);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = i == 0 ? a : i == n - 1 ? b :
			(uint64_t)llround((double)a * exp(ratio * (double)i / (double)(n - 1)));
		if (v < a)
			v = a;
		if (v > b)
			v = b;
		if (list_push(l, v))
			return VM_ENOMEM;
	}
	return VM_OK;
}

/* One item [s, s+len): A, A..B or A..B/N. */
static int list_item(list_vec_t *l, const char *s, size_t len, uint64_t max, char *err, size_t errlen)
{
	uint64_t a, b, n = 0;
	const char *dots = NULL, *slash = NULL;
	for (size_t i = 0; i + 1 < len && !dots; i++)
		if (s[i] == '.' && s[i + 1] == '.')
			dots = s + i;
	if (!dots) {
		int rc = list_number(s, len, max, "value", &a, err, errlen);
		return rc ? rc : list_push(l, a);
	}
	const char *end = s + len;
	slash = memchr(dots + 2, '/', (size_t)(end - (dots + 2)));
	int rc = list_number(s, (size_t)(dots - s), max, "range start", &a, err, errlen);
	if (!rc)
		rc = list_number(dots + 2, (size_t)((slash ? slash : end) - (dots + 2)), max, "range end", &b, err, errlen);
	if (!rc && slash) {
		char buf[32];
		size_t nl = (size_t)(end - slash - 1);
		if (nl == 0 || nl >= sizeof buf) {
			snprintf(err, errlen, "'%.*s': the count after / is missing or too long", (int)len, s);
			return VM_EINVAL;
		}
		memcpy(buf, slash + 1, nl);
		buf[nl] = 0;
		rc = num_parse_u64(buf, &n, 0);
		if (rc) {
			snprintf(err, errlen, "'%.*s': count '%s' is not a number", (int)len, s, buf);
			return rc;
		}
		if (n == 0) {
			snprintf(err, errlen, "'%.*s': a count of 0 values (/0)", (int)len, s);
			return VM_EINVAL;
		}
	}
	if (rc)
		return rc;
	if (a > b) {
		snprintf(err, errlen, "'%.*s': the range starts above its end", (int)len, s);
		return VM_EINVAL;
	}
	uint64_t count = slash ? n : b - a + 1;
	if (count > LIST_MAX_VALUES || l->n + count > LIST_MAX_VALUES) {
		snprintf(err, errlen, "'%.*s': more than %d values in the list", (int)len, s, LIST_MAX_VALUES);
		return VM_ERANGE;
	}
	if (slash)
		return list_geometric(l, a, b, n);
	for (uint64_t v = a;; v++) {
		if (list_push(l, v))
			return VM_ENOMEM;
		if (v == b)
			break;
	}
	return VM_OK;
}

static int list_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return (a > b) - (a < b);
}

int list_parse(const char *s, uint64_t max, uint64_t **out, size_t *n, char *err, size_t errlen)
{
	list_vec_t l = { 0 };
	*out = NULL;
	*n = 0;
	const char *p = s;
	int rc = VM_OK;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (len == 0) {
			snprintf(err, errlen, "'%s': an empty item", s);
			rc = VM_EINVAL;
			break;
		}
		rc = list_item(&l, p, len, max, err, errlen);
		if (rc || !p[len])
			break;
		p += len + 1;
	}
	if (rc == VM_ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (rc) {
		free(l.v);
		return rc;
	}
	qsort(l.v, l.n, sizeof *l.v, list_cmp);
	size_t k = 0;
	for (size_t i = 0; i < l.n; i++)
		if (k == 0 || l.v[i] != l.v[k - 1])
			l.v[k++] = l.v[i];
	*out = l.v;
	*n = k;
	return VM_OK;
}
