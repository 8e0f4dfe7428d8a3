/*
 * cursor.h: buffered, forward reading of a pg_reader for the emulator.
 * Owns the read buffer.  Large
 * operands (BINBYTES payloads) are skipped without being read; lines of any
 * length can be stepped over, and are handed back whole when they fit.
 */
#ifndef PG_CURSOR_H
#define PG_CURSOR_H

#include <stdint.h>

#include "pg_scan.h"

struct pg_cursor {
	const struct pg_reader *rd;
	uint8_t *buf;
	size_t cap;
	uint64_t base; /* reader offset of buf[0] */
	size_t len;    /* valid bytes in buf */
	size_t pos;    /* next byte to hand out */
	int err;       /* first read error, negative errno */
};

int pg_cursor_init(struct pg_cursor *c, const struct pg_reader *rd, size_t cap,
		   uint64_t start);
void pg_cursor_free(struct pg_cursor *c);

static inline uint64_t pg_cursor_off(const struct pg_cursor *c)
{
	return c->base + c->pos;
}

static inline bool pg_cursor_at_end(const struct pg_cursor *c)
{
	return c->pos == c->len && c->base + c->len >= c->rd->size;
}

const uint8_t *pg_cursor_take_slow(struct pg_cursor *c, size_t n);

/* n bytes (n <= cap) at the cursor, stepped over; NULL at the end of the
 * data or on a read error (then c->err is set). */
static inline const uint8_t *pg_cursor_take(struct pg_cursor *c, size_t n)
{
	if (c->len - c->pos >= n) {
		const uint8_t *p = c->buf + c->pos;

		c->pos += n;
		return p;
	}
	return pg_cursor_take_slow(c, n);
}

/* Step over n bytes; -1 when fewer remain (the cursor is then at the end). */
int pg_cursor_skip(struct pg_cursor *c, uint64_t n);

/*
 * Step over a line through its '\n'.  *off and *len give its place
 * (newline included); *data points at it when it is no longer than the
 * buffer, else NULL.  Returns 0; 1 when the data ends before a newline
 * (the rest of the data is then the line, possibly empty: pickle.py reads
 * such a line, _pickle.c does not); -1 on a read error.
 */
int pg_cursor_line(struct pg_cursor *c, const uint8_t **data, uint64_t *off,
		   uint64_t *len);

/* Read exactly len bytes at off, outside the buffer.  0 or -1. */
int pg_cursor_pread(struct pg_cursor *c, void *buf, size_t len, uint64_t off);

#endif
