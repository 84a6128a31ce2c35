/* hostfile.h - opening the host files a script works on (prefix hostfile_).
 *
 * Every file a script opens or creates (`file`, `mmap ... file`, the swap
 * file) must be a regular file.  A FIFO would block open(2) until someone
 * opens its other end, and a device or directory cannot hold pages, so the
 * check is made on the descriptor of a non-blocking open (never stat, then
 * open: the file could change in between).  Trace input is not opened
 * here: traces may come from pipes and FIFOs. */
#ifndef VMLAB_HOSTFILE_H
#define VMLAB_HOSTFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Open path with open(2) flags and mode (O_NONBLOCK and O_CLOEXEC are
 * added; O_NONBLOCK is cleared again before returning) and check that it is
 * a regular file.  Returns the descriptor, or -1 with errno set and the
 * reason in why: strerror(errno), or for a file that is not regular
 * "not a regular file (a FIFO)" (errno ENODEV, as mmap(2) says).  flags
 * must not hold O_TRUNC (it would act before the check): ftruncate after. */
int hostfile_open(const char *path, int flags, mode_t mode, char *why, size_t whylen);

/* What kind of file mode says, with its article: "a FIFO", "a directory",
 * "a character device", ... ("a regular file" for one). */
const char *hostfile_kind(mode_t mode);

#endif
