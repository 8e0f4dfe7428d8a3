/* cursor.c: see cursor.h. */
#include "cursor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pg_cursor_init(struct pg_cursor *c, const struct pg_reader *rd, size_t cap,
		   uint64_t start)
{
	memset(c, 0, sizeof(*c));
	c->rd = rd;
	c->cap = cap < 64 ? 64 : cap;
	c->buf = malloc(c->cap);
	if (!c->buf)
		return -ENOMEM;
	c->base = start;
	return 0;
}

void pg_cursor_free(struct pg_cursor *c)
{
	free(c->buf);
	c->buf = NULL;
}

/* Read into buf[len..] up to the buffer's end or the data's end. */
static void fill(struct pg_cursor *c)
{
	uint64_t at = c->base + c->len;

	while (c->len < c->cap && at < c->rd->size && !c->err) {
		size_t want = c->cap - c->len;
		ssize_t got;

		if (want > c->rd->size - at)
			want = (size_t)(c->rd->size - at);
		got = c->rd->pread(c->rd->ctx, c->buf + c->len, want, at);
		if (got < 0) {
			c->err = (int)got;
			return;
		}
		if (got == 0) {
			c->err = -EIO; /* shorter than its declared size */
			return;
		}
		c->len += (size_t)got;
		at += (uint64_t)got;
	}
}

static void compact(struct pg_cursor *c)
{
	if (!c->pos)
		return;
	memmove(c->buf, c->buf + c->pos, c->len - c->pos);
	c->base += c->pos;
	c->len -= c->pos;
	c->pos = 0;
}

const uint8_t *pg_cursor_take_slow(struct pg_cursor *c, size_t n)
{
	const uint8_t *p;

	if (n > c->cap)
		return NULL;
	compact(c);
	fill(c);
	if (c->len - c->pos < n)
		return NULL;
	p = c->buf + c->pos;
	c->pos += n;
	return p;
}

int pg_cursor_skip(struct pg_cursor *c, uint64_t n)
{
	uint64_t to;

	if (c->len - c->pos >= n) {
		c->pos += (size_t)n;
		return 0;
	}
	to = pg_cursor_off(c) + n;
	if (to < n || to > c->rd->size) {
		c->base = c->rd->size;
		c->len = c->pos = 0;
		return -1;
	}
	c->base = to;
	c->len = c->pos = 0;
	return 0;
}

int pg_cursor_line(struct pg_cursor *c, const uint8_t **data, uint64_t *off,
		   uint64_t *len)
{
	bool kept = true; /* the line's first byte is still at buf[pos] */
	size_t scan_from = c->pos;
	const uint8_t *nl;

	*off = pg_cursor_off(c);
	*data = NULL;
	while (!(nl = memchr(c->buf + scan_from, '\n', c->len - scan_from))) {
		if (c->base + c->len >= c->rd->size || c->err)
			goto end;
		if (kept)
			compact(c);
		if (!kept || c->len == c->cap) {
			/* longer than the buffer: step over it, keep nothing */
			kept = false;
			c->base += c->len;
			c->len = c->pos = 0;
		}
		scan_from = c->len;
		fill(c);
	}
	c->pos = (size_t)(nl - c->buf) + 1;
	*len = c->base + c->pos - *off;
	if (kept)
		*data = c->buf + (*off - c->base);
	return 0;
end:
	/* no newline before the end: hand back what there is */
	if (c->err)
		return -1;
	*len = c->base + c->len - *off;
	if (kept)
		*data = c->buf + (*off - c->base);
	c->pos = c->len;
	return 1;
}

int pg_cursor_pread(struct pg_cursor *c, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	if (off > c->rd->size || len > c->rd->size - off)
		return -1;
	while (len) {
		ssize_t got = c->rd->pread(c->rd->ctx, p, len, off);

		if (got <= 0) {
			if (!c->err)
				c->err = got < 0 ? (int)got : -EIO;
			return -1;
		}
		p += got;
		off += (uint64_t)got;
		len -= (size_t)got;
	}
	return 0;
}
