/* path.c - the path sandbox of scripts: see path.h for the contract. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "script/path.h"
#include "util/vmerr.h"

int path_inside(const char *root, const char *path)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return !strncmp(path, root, n) && (path[n] == 0 || path[n] == '/');
}

/* dir + "/" + name into out (no doubled slash after "/").  VM_ERANGE if it
 * does not fit. */
static int path_join(char *out, size_t outlen, const char *dir, const char *name, size_t namelen)
{
	size_t d = strlen(dir);
	int slash = !(d && dir[d - 1] == '/');
	if (d + (size_t)slash + namelen + 1 > outlen)
		return VM_ERANGE;
	memmove(out, dir, d);
	if (slash)
		out[d++] = '/';
	memcpy(out + d, name, namelen);
	out[d + namelen] = 0;
	return VM_OK;
}

/* Drop the last component of an absolute path, keeping "/" for the root. */
static void path_pop(char *p)
{
	char *slash = strrchr(p, '/');
	if (slash == p)
		p[1] = 0;
	else if (slash)
		*slash = 0;
}

/* Where a resolution stands: cur is absolute; cur[0 .. missing) exists and is
 * resolved; components after `missing` do not exist yet (missing 0: none). */
typedef struct path_walk {
	char cur[PATH_MAX];
	size_t missing;
	int allow_any;
	const char *path;       /* as given, for messages */
	char *err;
	size_t errlen;
} path_walk_t;

/* Step into component name (namelen bytes, not "." or "") of w->cur. */
static int path_step(path_walk_t *w, const char *name, size_t namelen)
{
	int dotdot = namelen == 2 && !strncmp(name, "..", 2);
	if (w->missing && dotdot) {
		/* the folder does not exist: `..` only undoes the previous name */
		path_pop(w->cur);
		if (strlen(w->cur) <= w->missing)
			w->missing = 0;
		return VM_OK;
	}
	char cand[PATH_MAX], real[PATH_MAX];
	if (path_join(cand, sizeof cand, w->cur, name, namelen))
		goto too_long;
	if (!w->missing && realpath(cand, real)) {
		strcpy(w->cur, real);
		return VM_OK;
	}
	struct stat st;
	if (!w->missing && errno != ENOENT) {
		snprintf(w->err, w->errlen, "path '%s': cannot resolve '%s': %s", w->path, cand,
			 strerror(errno));
		return VM_ENOENT;
	}
	if (!w->missing && !w->allow_any && lstat(cand, &st) == 0) {
		snprintf(w->err, w->errlen,
			 "path '%s': '%s' is a symbolic link to nothing (creating it could write anywhere); use --allow-any-path",
			 w->path, cand);
		return VM_EPERM;
	}
	if (!w->missing)
		w->missing = strlen(w->cur);
	strcpy(w->cur, cand);
	return VM_OK;
too_long:
	snprintf(w->err, w->errlen, "path '%s' is too long", w->path);
	return VM_ERANGE;
}

int path_resolve(const char *root, const char *path, int allow_any, char *out,
		 size_t outlen, char *err, size_t errlen)
{
	char rootreal[PATH_MAX];
	path_walk_t w = { .allow_any = allow_any, .path = path, .err = err, .errlen = errlen };
	if (!path[0]) {
		snprintf(err, errlen, "empty path");
		return VM_EINVAL;
	}
	if (path[0] == '/' && !allow_any) {
		snprintf(err, errlen, "path '%s' leaves the script's folder (it is absolute); use --allow-any-path",
			 path);
		return VM_EPERM;
	}
	if (!realpath(root, rootreal)) {
		snprintf(err, errlen, "folder '%s': %s", root, strerror(errno));
		return VM_ENOENT;
	}
	strcpy(w.cur, path[0] == '/' ? "/" : rootreal);
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n && !(n == 1 && p[0] == '.')) {
			int rc = path_step(&w, p, n);
			if (rc)
				return rc;
		}
		p += n;
		p += *p == '/';
	}
	if (!allow_any && !path_inside(rootreal, w.cur)) {
		snprintf(err, errlen, "path '%s' leaves the script's folder (it is %s); use --allow-any-path",
			 path, w.cur);
		return VM_EPERM;
	}
	if (strlen(w.cur) + 1 > outlen) {
		snprintf(err, errlen, "path '%s' is too long", path);
		return VM_ERANGE;
	}
	strcpy(out, w.cur);
	return VM_OK;
}

int path_resolve_read(const char *root, const char *const *allow, size_t nallow, int allow_any,
		      const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	char rootreal[PATH_MAX], cand[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
	if (!path[0]) {
		snprintf(err, errlen, "empty path");
		return VM_EINVAL;
	}
	if (!realpath(root, rootreal)) {
		snprintf(err, errlen, "folder '%s': %s", root, strerror(errno));
		return VM_ENOENT;
	}
	if (path[0] == '/' ? snprintf(cand, sizeof cand, "%s", path) >= (int)sizeof cand
			   : path_join(cand, sizeof cand, rootreal, path, strlen(path))) {
		snprintf(err, errlen, "path '%s' is too long", path);
		return VM_ERANGE;
	}
	if (!realpath(cand, real)) {
		snprintf(err, errlen, "path '%s': %s", path, strerror(errno));
		return VM_ENOENT;
	}
	int ok = allow_any || path_inside(rootreal, real);
	for (size_t i = 0; !ok && i < nallow; i++)
		ok = realpath(allow[i], dir) && path_inside(dir, real);
	if (!ok) {
		snprintf(err, errlen, "path '%s' (it is %s) is outside the script's folder and every --allow-read folder; use --allow-read DIR",
			 path, real);
		return VM_EPERM;
	}
	if (strlen(real) + 1 > outlen) {
		snprintf(err, errlen, "path '%s' is too long", path);
		return VM_ERANGE;
	}
	strcpy(out, real);
	return VM_OK;
}
