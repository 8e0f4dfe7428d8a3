/* memreader.c: a pg_reader over a memory buffer. */
#include <string.h>

#include "pg_scan.h"

static ssize_t mem_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct pg_mem_source *src = ctx;

	if (off >= src->len)
		return 0;
	if (len > src->len - off)
		len = (size_t)(src->len - off);
	memcpy(buf, src->data + off, len);
	return (ssize_t)len;
}

void pg_reader_from_memory(struct pg_reader *rd, struct pg_mem_source *src,
			   const void *data, size_t len)
{
	src->data = data;
	src->len = len;
	rd->pread = mem_pread;
	rd->ctx = src;
	rd->size = len;
}
