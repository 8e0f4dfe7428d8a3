/* fdreader.c: see fdreader.h. */
#include "fdreader.h"

#include <errno.h>
#include <unistd.h>

static ssize_t fd_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct pg_fd_source *src = ctx;
	ssize_t n;

	do
		n = pread(src->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

void pg_reader_from_fd(struct pg_reader *rd, struct pg_fd_source *src, int fd,
		       uint64_t size)
{
	src->fd = fd;
	rd->pread = fd_pread;
	rd->ctx = src;
	rd->size = size;
}
