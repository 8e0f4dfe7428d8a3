/* fan.c: see fan.h. */
#include "fan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/fanotify.h>
#include <unistd.h>

#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x00000080
#endif
#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE 0x00000200
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif

int fan_open(bool want_pidfd, bool *pidfd)
{
	/* event fds: read-only, no atime updates.  O_NONBLOCK: on kernels that
	 * send permission events for FIFOs and devices, a blocking open of the
	 * event fd would wait for a writer, and the whole loop with it.  The
	 * workers clear it on regular files before io_uring reads them. */
	unsigned event_flags = O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME | O_NONBLOCK;
	unsigned flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK |
			 FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS;
	int fan = want_pidfd ? fanotify_init(flags | FAN_REPORT_PIDFD, event_flags) : -1;

	*pidfd = fan >= 0;
	if (fan < 0 && (!want_pidfd || errno == EINVAL))
		fan = fanotify_init(flags, event_flags);
	return fan;
}

/* fanotify_mark takes no O_PATH fd (and an fd of any other kind would be
 * an open on a guarded filesystem, waiting for our own loop); the fd's
 * magic link in /proc names exactly the mount it was opened on. */
static int mark_fs(int fan, unsigned how, int fd)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return fanotify_mark(fan, how | FAN_MARK_FILESYSTEM, FAN_OPEN_PERM, AT_FDCWD, path);
}

int fan_mark_fs(int fan, int fd)
{
	return mark_fs(fan, FAN_MARK_ADD, fd);
}

int fan_unmark_fs(int fan, int fd)
{
	return mark_fs(fan, FAN_MARK_REMOVE, fd);
}

int fan_ignore(int fan, int fd)
{
	/* cleared by the kernel when the file is modified (no SURV_MODIFY),
	 * dropped when the inode is evicted */
	return fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_EVICTABLE,
			     FAN_OPEN_PERM, fd, NULL);
}

int fan_unignore(int fan, int fd)
{
	return fanotify_mark(fan, FAN_MARK_REMOVE | FAN_MARK_IGNORE, FAN_OPEN_PERM, fd, NULL);
}

int fan_flush_ignores(int fan)
{
	/* inode marks only: the filesystem marks stay */
	return fanotify_mark(fan, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
}

int fan_answer(int fan, int fd, bool allow)
{
	struct fanotify_response r = { .fd = fd, .response = allow ? FAN_ALLOW : FAN_DENY };
	ssize_t n;

	do
		n = write(fan, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	return n == sizeof(r) ? 0 : -1;
}
