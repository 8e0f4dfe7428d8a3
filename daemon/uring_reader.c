/* uring_reader.c: see uring_reader.h. */
#include "uring_reader.h"

#include <errno.h>
#include <unistd.h>

static ssize_t plain_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* After an error from io_uring_enter nobody can say whether the read was
 * taken: the ring is dropped with it, and its buffer is read by pread. */
static ssize_t give_up_ring(struct pgd_uring_file *f, void *buf, size_t len, uint64_t off)
{
	f->ring = NULL;
	f->ring_failed = true;
	return plain_pread(f->fd, buf, len, off);
}

ssize_t pgd_uring_pread(struct pgd_uring_file *f, void *buf, size_t len,
			uint64_t off)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int rc;

	if (f->cancel && atomic_load_explicit(f->cancel, memory_order_relaxed))
		return -ECANCELED;
	if (len > 1u << 30)
		len = 1u << 30;
	if (!f->ring)
		return plain_pread(f->fd, buf, len, off);
	sqe = io_uring_get_sqe(f->ring);
	if (!sqe) /* one read at a time: only a broken ring is full */
		return give_up_ring(f, buf, len, off);
	io_uring_prep_read(sqe, f->fd, buf, (unsigned)len, off);
	/* an interrupted submit has already handed the entry over: calling
	 * again submits nothing new and goes on to wait */
	do
		rc = io_uring_submit_and_wait(f->ring, 1);
	while (rc == -EINTR);
	if (rc < 0)
		return give_up_ring(f, buf, len, off);
	do
		rc = io_uring_wait_cqe(f->ring, &cqe);
	while (rc == -EINTR);
	if (rc < 0)
		return give_up_ring(f, buf, len, off);
	rc = cqe->res;
	io_uring_cqe_seen(f->ring, cqe);
	if (rc == -EAGAIN) /* a file still O_NONBLOCK: the thread may wait */
		return plain_pread(f->fd, buf, len, off);
	return rc;
}

static ssize_t uring_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct pgd_uring_file *f = ctx;
	ssize_t n;

	do
		n = pgd_uring_pread(f, buf, len, off);
	while (n == -EINTR);
	return n;
}

void pgd_reader_from_uring(struct pg_reader *rd, struct pgd_uring_file *f,
			   uint64_t size)
{
	rd->pread = uring_pread;
	rd->ctx = f;
	rd->size = size;
}
