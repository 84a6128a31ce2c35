/* spill.c - see spill.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spill.h"
#include "vmerr.h"

void spill_init(spill_t *s, budget_t *budget)
{
	*s = (spill_t){ .fd = -1, .budget = budget };
}

static const char *spill_dir(void)
{
	const char *dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

/* Reserve the file's blocks up to cap bytes (so that stores into the mapping
 * cannot fail for want of space).  Returns 0 or VM_EIO with err set. */
static int spill_allocate(spill_t *s, uint64_t from, uint64_t cap, char *err, size_t errlen)
{
	int e;
	do
		e = posix_fallocate(s->fd, (off_t)from, (off_t)(cap - from));
	while (e == EINTR);
	if (!e)
		return VM_OK;
	snprintf(err, errlen, "cannot grow the temporary file in %s to %llu bytes: %s",
		 spill_dir(), (unsigned long long)cap, strerror(e));
	return VM_EIO;
}

/* Move the in-memory contents into a new temporary file of cap bytes. */
static int spill_to_file(spill_t *s, uint64_t cap, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/vmlab-opt-XXXXXX", spill_dir());
	s->fd = mkostemp(path, O_CLOEXEC);
	if (s->fd < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s: %s", spill_dir(),
			 strerror(errno));
		return VM_EIO;
	}
	unlink(path); /* gone when closed, even on a crash */
	int rc = spill_allocate(s, 0, cap, err, errlen);
	void *p = rc ? MAP_FAILED : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (p == MAP_FAILED) {
		if (!rc)
			snprintf(err, errlen, "cannot map the temporary file in %s: %s", spill_dir(),
				 strerror(errno));
		close(s->fd);
		s->fd = -1;
		return VM_EIO;
	}
	if (s->cap)
		memcpy(p, s->p, s->cap);
	budget_release(s->budget, BUDGET_FUTURE, s->cap);
	free(s->p);
	s->p = p;
	s->cap = cap;
	return VM_OK;
}

int spill_reserve(spill_t *s, uint64_t need, char *err, size_t errlen)
{
	if (need <= s->cap)
		return VM_OK;
	uint64_t cap = s->cap + s->cap / 2;
	if (cap < need)
		cap = need;
	if (cap < 4096)
		cap = 4096;
	if (cap != (size_t)cap || cap > (uint64_t)INT64_MAX) {
		snprintf(err, errlen, "%llu bytes do not fit in this machine's address space",
			 (unsigned long long)cap);
		return VM_ENOMEM;
	}
	if (spill_in_file(s)) {
		int rc = spill_allocate(s, s->cap, cap, err, errlen);
		if (rc)
			return rc;
		void *p = mremap(s->p, s->cap, cap, MREMAP_MAYMOVE);
		if (p == MAP_FAILED) {
			snprintf(err, errlen, "cannot map the temporary file in %s: %s", spill_dir(),
				 strerror(errno));
			return VM_EIO;
		}
		s->p = p;
		s->cap = cap;
		return VM_OK;
	}
	int rc;
	uint8_t *p = budget_realloc(s->budget, BUDGET_FUTURE, s->p, s->cap, cap, &rc);
	if (rc == VM_ELIMIT)
		return spill_to_file(s, cap, err, errlen);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	memset(p + s->cap, 0, cap - s->cap);
	s->p = p;
	s->cap = cap;
	return VM_OK;
}

void spill_free(spill_t *s)
{
	if (spill_in_file(s)) {
		munmap(s->p, s->cap);
		close(s->fd);
	} else {
		budget_release(s->budget, BUDGET_FUTURE, s->cap);
		free(s->p);
	}
	spill_init(s, s->budget);
}
