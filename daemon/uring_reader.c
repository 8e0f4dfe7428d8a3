/* uring_reader.c: see uring_reader.h. */
#include "uring_reader.h"

#include <errno.h>

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
	sqe = io_uring_get_sqe(f->ring);
	if (!sqe)
		return -EBUSY; /* one read at a time: the ring is never full */
	io_uring_prep_read(sqe, f->fd, buf, (unsigned)len, off);
	do
		rc = io_uring_submit_and_wait(f->ring, 1);
	while (rc == -EINTR);
	if (rc < 0)
		return rc;
	do
		rc = io_uring_wait_cqe(f->ring, &cqe);
	while (rc == -EINTR);
	if (rc < 0)
		return rc;
	rc = cqe->res;
	io_uring_cqe_seen(f->ring, cqe);
	return rc;
}

static ssize_t uring_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct pgd_uring_file *f = ctx;
	ssize_t n;

	do
		n = pgd_uring_pread(f, buf, len, off);
	while (n == -EINTR || n == -EAGAIN);
	return n;
}

void pgd_reader_from_uring(struct pg_reader *rd, struct pgd_uring_file *f,
			   uint64_t size)
{
	rd->pread = uring_pread;
	rd->ctx = f;
	rd->size = size;
}
