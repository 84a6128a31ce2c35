/* din.c - Dinero's din trace format: "LABEL ADDRESS" a line.
 *
 * Dinero IV reads a label and a hex address from each line and ignores the
 * rest of it; vmlab takes labels 0 (read), 1 (write) and 2 (instruction
 * fetch), each of one byte, and refuses the others (3 escape, 4 flush), which
 * have no meaning for a page simulator. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "formats.h"
#include "../util/vmerr.h"

static bool din_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int din_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool trace_din_looks(const char *s, const char *e)
{
	const char *p = s;
	while (p < e && din_blank(*p))
		p++;
	if (p + 1 >= e || *p < '0' || *p > '9' || !din_blank(p[1]))
		return false;
	p += 2;
	while (p < e && din_blank(*p))
		p++;
	if (p + 1 < e && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return true;
	bool letter = false;
	for (; p < e && !din_blank(*p) && *p != '\n'; p++) {
		int d = din_hex(*p);
		if (d < 0)
			return false;
		letter |= d >= 10;
	}
	return letter;
}

int trace_din_line(const char *s, uint64_t va_max, trace_access_t *a,
		   const char **next, char *msg, size_t msglen)
{
	static const uint8_t kinds[3] = { TRACE_READ, TRACE_WRITE, TRACE_IFETCH };
	const char *nl = rawmemchr(s, '\n');
	*next = nl + 1;
	const char *p = s;
	while (din_blank(*p))
		p++;
	if (p == nl)
		return 0;
	const char *label = p;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == label || !(din_blank(*p) || *p == '\n')) {
		snprintf(msg, msglen, "expected a label 0, 1 or 2 at the start of the line");
		return VM_EINVAL;
	}
	if (p - label != 1 || *label > '2') {
		snprintf(msg, msglen, "label %.*s is not 0 (read), 1 (write) or 2 (instruction "
			 "fetch)", (int)(p - label > 20 ? 20 : p - label), label);
		return VM_EINVAL;
	}
	while (din_blank(*p))
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	const char *h = p;
	uint64_t va = 0;
	int d;
	while ((d = din_hex(*p)) >= 0) {
		if (va >> 60) {
			snprintf(msg, msglen, "address does not fit in 64 bits");
			return VM_ERANGE;
		}
		va = va << 4 | (unsigned)d;
		p++;
	}
	if (p == h || !(din_blank(*p) || *p == '\n')) {
		snprintf(msg, msglen, p == h && (*p == '\n' || din_blank(*p))
			 ? "missing address" : "bad hex address");
		return VM_EINVAL;
	}
	if (va > va_max) {
		snprintf(msg, msglen, "address 0x%" PRIx64 " (size 1) does not fit in the "
			 "virtual address space", va);
		return VM_ERANGE;
	}
	a->va = va;
	a->size = 1;
	a->pid = 0;
	a->kind = kinds[*label - '0'];
	return 1;
}
