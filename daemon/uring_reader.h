/*
 * uring_reader.h: a scanner reader (pg_reader) over a file descriptor,
 * each read submitted to the calling thread's own io_uring and waited for.
 * Reads stop with -ECANCELED once the cancel flag is set, so a scan past
 * its deadline ends at its next read.  A ring that fails is given up for
 * plain pread, never left with a read in flight that a later call would
 * mistake for its own.
 */
#ifndef PGD_URING_READER_H
#define PGD_URING_READER_H

#include <liburing.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "pg_scan.h"

struct pgd_uring_file {
	struct io_uring *ring;	  /* NULL: pread */
	int fd;
	const atomic_int *cancel; /* may be NULL */
	bool ring_failed;	  /* set here: the ring must not be used again */
};

void pgd_reader_from_uring(struct pg_reader *rd, struct pgd_uring_file *f,
			   uint64_t size);
/* One read of up to len bytes at off: bytes read, 0 at end, or -errno. */
ssize_t pgd_uring_pread(struct pgd_uring_file *f, void *buf, size_t len,
			uint64_t off);

#endif
