/* classify.c: see classify.h. */
#include "classify.h"

#include <errno.h>
#include <string.h>

/* Up to len bytes at off; fewer only at end of file (the file shrank). */
static ssize_t read_upto(pgd_read_fn read, void *ctx, uint8_t *buf, size_t len,
			 uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(ctx, buf + got, len - got, off + got);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int pgd_classify(struct pg_classifier *c, struct pgd_sniff_buf *b,
		 uint64_t size, pgd_read_fn read, void *ctx, bool *candidate)
{
	ssize_t head, tail;

	*candidate = false;
	if (size <= sizeof(b->tail)) {
		/* small: one read gives head and tail */
		tail = read_upto(read, ctx, b->tail, (size_t)size, 0);
		if (tail < 0)
			return (int)tail;
		head = tail < (ssize_t)sizeof(b->head) ? tail : (ssize_t)sizeof(b->head);
		memcpy(b->head, b->tail, (size_t)head);
		*candidate = pg_classifier_candidate(c, b->head, (size_t)head, size,
						     b->tail, (size_t)tail);
		return 0;
	}
	head = read_upto(read, ctx, b->head, sizeof(b->head), 0);
	if (head < 0)
		return (int)head;
	if (pg_classifier_candidate(c, b->head, (size_t)head, size, NULL, 0)) {
		*candidate = true;
		return 0;
	}
	tail = read_upto(read, ctx, b->tail, sizeof(b->tail), size - sizeof(b->tail));
	if (tail < 0)
		return (int)tail;
	*candidate = pg_classifier_candidate(c, b->head, (size_t)head, size, b->tail,
					     (size_t)tail);
	return 0;
}
