/*
 * uring_reader.h: a scanner reader (pg_reader) over a file descriptor,
 * each read submitted to the calling thread's own io_uring and waited for.
 * Reads stop with -ECANCELED once the cancel flag is set, so a scan past
 * its deadline ends at its next read.
 */
#ifndef PGD_URING_READER_H
#define PGD_URING_READER_H

#include <liburing.h>
#include <stdatomic.h>

#include "pg_scan.h"

struct pgd_uring_file {
	struct io_uring *ring;
	int fd;
	const atomic_int *cancel; /* may be NULL */
};

void pgd_reader_from_uring(struct pg_reader *rd, struct pgd_uring_file *f,
			   uint64_t size);
/* One read of up to len bytes at off: bytes read, 0 at end, or -errno. */
ssize_t pgd_uring_pread(struct pgd_uring_file *f, void *buf, size_t len,
			uint64_t off);

#endif
