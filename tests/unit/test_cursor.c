/*
 * test_cursor.c: the emulator's reader: lines longer than its buffer,
 * lines across refills, skips past the end, and the bytes-read count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cursor.h"

struct fixture {
	struct pg_mem_source src;
	struct pg_reader mem, rd; /* rd counts what it reads from mem */
	struct pg_cursor cur;
	uint64_t bytes_read;
};

static ssize_t counting_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct fixture *f = ctx;
	ssize_t n = f->mem.pread(f->mem.ctx, buf, len, off);

	if (n > 0)
		f->bytes_read += (uint64_t)n;
	return n;
}

static void open_cursor(struct fixture *f, const void *data, size_t len,
			size_t cap)
{
	pg_reader_from_memory(&f->mem, &f->src, data, len);
	f->rd = (struct pg_reader){ counting_pread, f, len };
	f->bytes_read = 0;
	assert_int_equal(pg_cursor_init(&f->cur, &f->rd, cap, 0), 0);
}

static void test_lines(void **state)
{
	struct fixture f;
	const uint8_t *data;
	uint64_t off, len;
	char text[300];

	/* a 100-byte line through a 64-byte buffer, then a short one */
	memset(text, 'x', 100);
	text[100] = '\n';
	memcpy(text + 101, "ab\ncd", 5);
	open_cursor(&f, text, 106, 64);
	assert_int_equal(pg_cursor_line(&f.cur, &data, &off, &len), 0);
	assert_int_equal(off, 0);
	assert_int_equal(len, 101);
	assert_null(data); /* longer than the buffer: stepped over */
	assert_int_equal(pg_cursor_line(&f.cur, &data, &off, &len), 0);
	assert_int_equal(off, 101);
	assert_int_equal(len, 3);
	assert_non_null(data);
	assert_memory_equal(data, "ab\n", 3);
	/* no newline before the end: the rest comes back as the line */
	assert_int_equal(pg_cursor_line(&f.cur, &data, &off, &len), 1);
	assert_int_equal(off, 104);
	assert_int_equal(len, 2);
	assert_memory_equal(data, "cd", 2);
	assert_true(pg_cursor_at_end(&f.cur));
	/* and at the very end, an empty one */
	assert_int_equal(pg_cursor_line(&f.cur, &data, &off, &len), 1);
	assert_int_equal(len, 0);
	pg_cursor_free(&f.cur);

	/* a line that fits but straddles a refill comes back whole */
	memset(text, 'y', 300);
	text[60] = '\n';
	text[100] = '\n';
	open_cursor(&f, text, 300, 64);
	assert_int_equal(pg_cursor_line(&f.cur, &data, &off, &len), 0);
	assert_int_equal(len, 61);
	assert_int_equal(pg_cursor_line(&f.cur, &data, &off, &len), 0);
	assert_int_equal(off, 61);
	assert_int_equal(len, 40);
	assert_non_null(data);
	assert_int_equal(data[39], '\n');
	pg_cursor_free(&f.cur);
}

static void test_take_and_skip(void **state)
{
	struct fixture f;
	uint8_t big[4096];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	open_cursor(&f, big, sizeof(big), 64);
	assert_int_equal(*pg_cursor_take(&f.cur, 1), 0);
	assert_int_equal(pg_cursor_skip(&f.cur, 3000), 0);
	assert_int_equal(pg_cursor_off(&f.cur), 3001);
	assert_int_equal(*pg_cursor_take(&f.cur, 2), (uint8_t)3001);
	/* skipped bytes were never read */
	assert_true(f.bytes_read < 200);
	assert_int_equal(pg_cursor_skip(&f.cur, 2000), -1);
	assert_true(pg_cursor_at_end(&f.cur));
	assert_null(pg_cursor_take(&f.cur, 1));
	pg_cursor_free(&f.cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_take_and_skip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
