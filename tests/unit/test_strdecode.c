/*
 * test_strdecode.c: string operands decode as CPython decodes them
 * (expected values taken from CPython 3.11: codecs.escape_decode and
 * bytes.decode('raw_unicode_escape')).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "strdecode.h"

static void expect_unescape(const char *in, const char *out, ssize_t outlen)
{
	uint8_t buf[256];
	ssize_t n = pg_unescape((const uint8_t *)in, strlen(in), buf);

	assert_int_equal(n, outlen);
	if (n >= 0)
		assert_memory_equal(buf, out, (size_t)n);
}

static void test_unescape(void **state)
{
	expect_unescape("plain", "plain", 5);
	expect_unescape("a\\x41\\n\\101\\q", "aA\nA\\q", 6);
	expect_unescape("\\777", "\xff", 1);  /* octal keeps the low byte */
	expect_unescape("a\\\nb", "ab", 2);   /* line continuation */
	expect_unescape("\\'\\\"\\\\", "'\"\\", 3);
	expect_unescape("pgtest\\x5fmarker", "pgtest_marker", 13);
	expect_unescape("\\x4", NULL, -1);    /* "invalid \x escape" */
	expect_unescape("\\xzz", NULL, -1);
	expect_unescape("end\\", NULL, -1);   /* "Trailing \ in string" */
}

static void expect_raw(const char *in, const char *out, ssize_t outlen)
{
	uint8_t buf[256];
	ssize_t n = pg_raw_unicode_to_utf8((const uint8_t *)in, strlen(in), buf);

	assert_int_equal(n, outlen);
	if (n >= 0)
		assert_memory_equal(buf, out, (size_t)n);
}

static void test_raw_unicode_escape(void **state)
{
	expect_raw("\\u0041", "A", 1);
	expect_raw("pgtest\\u005fmarker", "pgtest_marker", 13);
	expect_raw("\\U0001F600", "\xf0\x9f\x98\x80", 4);
	expect_raw("\xe9", "\xc3\xa9", 2);     /* bytes are latin-1 code points */
	/* a backslash pair is kept with its second byte: no escape follows */
	expect_raw("\\\\u0041", "\\\\u0041", 7);
	expect_raw("a\\b", "a\\b", 3);
	expect_raw("\\u12", NULL, -1);
	expect_raw("\\U00110000", NULL, -1);
}

static void test_latin1(void **state)
{
	uint8_t buf[64];

	assert_int_equal(pg_str_latin1(PG_ENC_UTF8, (const uint8_t *)"a\xc3\xa9", 3, buf), 2);
	assert_memory_equal(buf, "a\xe9", 2);
	/* above U+00FF: latin-1 cannot encode it */
	assert_int_equal(pg_str_latin1(PG_ENC_UTF8, (const uint8_t *)"\xe2\x82\xac", 3, buf), -1);
	assert_int_equal(pg_str_latin1(PG_ENC_RAW_UNICODE, (const uint8_t *)"\\u00ff\\u0041", 12, buf), 2);
	assert_memory_equal(buf, "\xff" "A", 2);
	assert_int_equal(pg_str_latin1(PG_ENC_RAW_UNICODE, (const uint8_t *)"\\u0100", 6, buf), -1);
	/* 8-bit strings read the same under every loader only when ASCII */
	assert_int_equal(pg_str_latin1(PG_ENC_RAW, (const uint8_t *)"abc", 3, buf), 3);
	assert_int_equal(pg_str_latin1(PG_ENC_RAW, (const uint8_t *)"ab\x80", 3, buf), -1);
	assert_int_equal(pg_str_latin1(PG_ENC_ESCAPED, (const uint8_t *)"a\\x41", 5, buf), 2);
}

static void test_utf8_valid(void **state)
{
	assert_true(pg_utf8_valid((const uint8_t *)"os", 2));
	assert_true(pg_utf8_valid((const uint8_t *)"\xc3\xa9\xe6\x97\xa5", 5));
	assert_false(pg_utf8_valid((const uint8_t *)"\xff", 1));
	assert_false(pg_utf8_valid((const uint8_t *)"\xc0\xaf", 2));     /* overlong */
	assert_false(pg_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
	assert_false(pg_utf8_valid((const uint8_t *)"\xe6\x97", 2));     /* truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_raw_unicode_escape),
		cmocka_unit_test(test_latin1),
		cmocka_unit_test(test_utf8_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
