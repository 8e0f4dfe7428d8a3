/*
 * classify.h: is an opened file a model that needs a scan?  Reads the
 * bytes pg_classifier_candidate needs (the head, and the tail where
 * zipfile looks for an end record) with the caller's read function: the
 * event loop's never blocks (it gives up with -EAGAIN), a worker's waits.
 */
#ifndef PGD_CLASSIFY_H
#define PGD_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pg_scan.h"

struct pgd_sniff_buf {
	uint8_t head[PG_CLASSIFY_HEAD];
	uint8_t tail[PG_CLASSIFY_TAIL];
};

/* pread-like: bytes read (0 at end of file) or -errno. */
typedef ssize_t (*pgd_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

/* 0 with *candidate set, or -errno of a read (-EAGAIN: would block). */
int pgd_classify(struct pg_classifier *c, struct pgd_sniff_buf *b,
		 uint64_t size, pgd_read_fn read, void *ctx, bool *candidate);

#endif
