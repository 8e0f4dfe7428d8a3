/* fdreader.h: a pg_reader over an open file, with pread(2). */
#ifndef PG_FDREADER_H
#define PG_FDREADER_H

#include "pg_scan.h"

struct pg_fd_source {
	int fd;
};

void pg_reader_from_fd(struct pg_reader *rd, struct pg_fd_source *src, int fd,
		       uint64_t size);

#endif
