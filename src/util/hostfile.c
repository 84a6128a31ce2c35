/* hostfile.c - see hostfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/hostfile.h"

const char *hostfile_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "a special file";
}

/* The reason for a file of this mode that is not regular; errno ENODEV. */
static int hostfile_not_regular(mode_t mode, char *why, size_t whylen)
{
	snprintf(why, whylen, "not a regular file (%s)", hostfile_kind(mode));
	errno = ENODEV;
	return -1;
}

int hostfile_open(const char *path, int flags, mode_t mode, char *why, size_t whylen)
{
	struct stat st;
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, mode);
	if (fd < 0) {
		int e = errno;
		/* a FIFO opened write-only with no reader (ENXIO), a directory
		 * opened for writing (EISDIR): say what the file is; the stat
		 * only words the message, the open has already failed */
		if ((e == ENXIO || e == EISDIR) && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return hostfile_not_regular(st.st_mode, why, whylen);
		snprintf(why, whylen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		snprintf(why, whylen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return hostfile_not_regular(st.st_mode, why, whylen);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		close(fd);
		snprintf(why, whylen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	return fd;
}
