/* list.c - lists of values on the command line (prefix list_). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "util/num.h"
#include "util/vmerr.h"

typedef struct list_acc {
	uint64_t *v;
	size_t n, cap;
} list_acc_t;

static int list_push(list_acc_t *a, uint64_t v)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		uint64_t *p = realloc(a->v, cap * sizeof *p);
		if (!p)
			return VM_ENOMEM;
		a->v = p;
		a->cap = cap;
	}
	a->v[a->n++] = v;
	return VM_OK;
}

/* One number of an item: text [p, p + len) must be a number 1..max. */
static int list_number(const char *p, size_t len, uint64_t max, int suffix, const char *list,
		       uint64_t *out, char *err, size_t errlen)
{
	char buf[32];
	if (len == 0 || len >= sizeof buf) {
		snprintf(err, errlen, "'%.*s' in '%s' is not a number", (int)len, p, list);
		return VM_EINVAL;
	}
	memcpy(buf, p, len);
	buf[len] = 0;
	int rc = num_parse_u64(buf, out, suffix);
	if (rc == VM_EINVAL)
		snprintf(err, errlen, "'%s' in '%s' is not a number", buf, list);
	else if (rc == VM_ERANGE || (rc == VM_OK && *out > max)) {
		snprintf(err, errlen, "%s in '%s' is above %llu", buf, list, (unsigned long long)max);
		rc = VM_ERANGE;
	} else if (*out == 0) {
		snprintf(err, errlen, "0 in '%s': every value must be at least 1", list);
		rc = VM_EINVAL;
	}
	return rc;
}

/* N values from a to b spread geometrically: a * (b/a)^(i/(N-1)), rounded;
 * the ends are exact. */
static int list_geometric(list_acc_t *acc, uint64_t a, uint64_t b, uint64_t count)
{
	int rc = VM_OK;
	double ratio = (double)b / (double)a;
	for (uint64_t i = 0; i < count && !rc; i++) {
		uint64_t v = i == 0 ? a : i == count - 1 ? b
			: (uint64_t)llround((double)a * pow(ratio, (double)i / (double)(count - 1)));
		rc = list_push(acc, v);
	}
	return rc;
}

/* One item: N, A..B or A..B/N. */
static int list_item(list_acc_t *acc, const char *p, size_t len, uint64_t max, int suffix,
		     const char *list, char *err, size_t errlen)
{
	const char *dots = NULL;
	for (size_t i = 0; i + 1 < len; i++)
		if (p[i] == '.' && p[i + 1] == '.') {
			dots = p + i;
			break;
		}
	uint64_t a, b, count = 0;
	if (!dots) {
		int rc = list_number(p, len, max, suffix, list, &a, err, errlen);
		return rc ? rc : list_push(acc, a);
	}
	const char *bstart = dots + 2, *end = p + len;
	const char *slash = memchr(bstart, '/', (size_t)(end - bstart));
	int rc = list_number(p, (size_t)(dots - p), max, suffix, list, &a, err, errlen);
	if (!rc)
		rc = list_number(bstart, (size_t)((slash ? slash : end) - bstart), max, suffix, list,
				 &b, err, errlen);
	if (!rc && slash) {
		char buf[32];
		size_t n = (size_t)(end - slash - 1);
		snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), slash + 1);
		if (n == 0 || n >= sizeof buf || num_parse_u64(buf, &count, 0) == VM_EINVAL) {
			snprintf(err, errlen, "'%.*s' in '%s': /N needs a count of values", (int)len, p, list);
			return VM_EINVAL;
		}
		if (count == 0) {
			snprintf(err, errlen, "'%.*s' in '%s': /0 asks for no values", (int)len, p, list);
			return VM_EINVAL;
		}
	}
	if (rc)
		return rc;
	if (a > b) {
		snprintf(err, errlen, "'%.*s' in '%s': the range goes down (%llu > %llu)", (int)len, p,
			 list, (unsigned long long)a, (unsigned long long)b);
		return VM_EINVAL;
	}
	uint64_t values = slash ? count : b - a + 1;
	if (values > LIST_MAX_VALUES) {
		snprintf(err, errlen, "'%.*s' in '%s' makes more than %u values", (int)len, p, list,
			 LIST_MAX_VALUES);
		return VM_ERANGE;
	}
	if (slash)
		return list_geometric(acc, a, b, count);
	for (uint64_t v = a;; v++) {
		if ((rc = list_push(acc, v)) || v == b)
			return rc;
	}
}

static int list_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

int list_parse_u64(const char *s, uint64_t max, int suffix, uint64_t **out, size_t *n,
		   char *err, size_t errlen)
{
	list_acc_t acc = { 0 };
	int rc = VM_OK;
	*out = NULL;
	*n = 0;
	for (const char *p = s;; ) {
		size_t len = strcspn(p, ",");
		if (len == 0) {
			snprintf(err, errlen, "empty item in '%s'", s);
			rc = VM_EINVAL;
		} else {
			rc = list_item(&acc, p, len, max, suffix, s, err, errlen);
		}
		if (!rc && acc.n > LIST_MAX_VALUES) {
			snprintf(err, errlen, "'%s' makes more than %u values", s, LIST_MAX_VALUES);
			rc = VM_ERANGE;
		}
		if (rc || !p[len])
			break;
		p += len + 1;
	}
	if (rc == VM_ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (rc) {
		free(acc.v);
		return rc;
	}
	qsort(acc.v, acc.n, sizeof *acc.v, list_cmp);
	size_t k = 0;
	for (size_t i = 0; i < acc.n; i++)
		if (k == 0 || acc.v[k - 1] != acc.v[i])
			acc.v[k++] = acc.v[i];
	*out = acc.v;
	*n = k;
	return VM_OK;
}

int list_split(const char *s, char ***out, size_t *n, char *err, size_t errlen)
{
	size_t items = 1, len = strlen(s);
	for (const char *p = s; *p; p++)
		items += *p == ',';
	*out = NULL;
	*n = 0;
	char **v = malloc(items * sizeof *v + len + 1);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return VM_ENOMEM;
	}
	char *text = (char *)(v + items);
	memcpy(text, s, len + 1);
	size_t k = 0;
	for (char *p = text;; ) {
		size_t w = strcspn(p, ",");
		int last = !p[w];
		p[w] = 0;
		if (w == 0) {
			snprintf(err, errlen, "empty item in '%s'", s);
			free(v);
			return VM_EINVAL;
		}
		size_t j = 0;
		while (j < k && strcmp(v[j], p))
			j++;
		if (j == k)
			v[k++] = p;
		if (last)
			break;
		p += w + 1;
	}
	*out = v;
	*n = k;
	return VM_OK;
}
