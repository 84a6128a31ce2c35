/* path.h - the path sandbox of scripts (prefix path_).
 *
 * Contract: a script names host files (file, mmap ... file, set swap-file)
 * by paths relative to its root folder (the script's own folder, or --root).
 * path_resolve turns such a path into an absolute path with no `.`, `..` or
 * symbolic links in the part that exists, and refuses one that leaves the
 * root, so a script found on the internet cannot overwrite ~/.bashrc:
 *   - an absolute path is refused;
 *   - the existing part of root/path is resolved with realpath, so `..` and
 *     symbolic links pointing outside the root are seen for what they are;
 *   - the part that does not exist yet is normalized by hand (`..` there
 *     drops the previous missing component);
 *   - a dangling symbolic link is refused (creating the file would follow it
 *     to wherever it points).
 * With allow_any nothing is refused: relative paths are still taken from the
 * root, absolute ones as they are. */
#ifndef VMLAB_SCRIPT_PATH_H
#define VMLAB_SCRIPT_PATH_H

#include <stddef.h>

/* Resolve path against root (a folder that must exist) into out.  Returns 0;
 * VM_EPERM if the path leaves root (err says so and names
 * --allow-any-path); VM_ENOENT if root or a folder on the way cannot be
 * resolved; VM_EINVAL for an empty path; VM_ERANGE if out is too small. */
int path_resolve(const char *root, const char *path, int allow_any, char *out,
		 size_t outlen, char *err, size_t errlen);

/* Resolve path (relative to root, or absolute) of an existing file that is
 * only read (exec's executables and interpreters) into out: the rule
 * applies to the resolved path (realpath: every symbolic link followed),
 * which must lie inside root or one of the nallow folders of allow[] (the
 * command line's --allow-read), unless allow_any.  Returns 0; VM_EPERM
 * outside them (err names --allow-read); VM_ENOENT if it cannot be
 * resolved; VM_EINVAL for an empty path; VM_ERANGE if out is too small. */
int path_resolve_read(const char *root, const char *const *allow, size_t nallow, int allow_any,
		      const char *path, char *out, size_t outlen, char *err, size_t errlen);

/* Whether the absolute, normalized path lies inside (or is) the absolute,
 * normalized folder root. */
int path_inside(const char *root, const char *path);

#endif
