/*
 * test_report_text.c: reports as JSON and as a one-line summary: valid
 * JSON for any bytes, every field present, the summary format the CLI
 * documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "report_text.h"
#include "strbuf.h"
#include "testlib.h"

static void expect_json(const char *in, size_t len, const char *out)
{
	struct pg_strbuf sb = { 0 };

	pg_sb_json_bytes(&sb, in, len);
	assert_false(sb.oom);
	assert_string_equal(sb.ptr, out);
	pg_sb_free(&sb);
}

static void test_json_bytes(void **state)
{
	expect_json("plain", 5, "\"plain\"");
	expect_json("q\"b\\", 4, "\"q\\\"b\\\\\"");
	expect_json("\n\t\x01\x7f", 4, "\"\\u000a\\u0009\\u0001\\u007f\"");
	expect_json("\xc3\xa9", 2, "\"\xc3\xa9\"");           /* valid UTF-8 kept */
	expect_json("a\xffz", 3, "\"a\\udcffz\"");              /* surrogateescape */
	expect_json("\xed\xa0\x80", 3, "\"\\udced\\udca0\\udc80\""); /* no surrogates */
	expect_json("\xc0\xaf", 2, "\"\\udcc0\\udcaf\"");        /* no overlongs */
	expect_json("a\0b", 3, "\"a\\u0000b\"");
}

static void test_text_bytes(void **state)
{
	struct pg_strbuf sb = { 0 };

	pg_sb_text_bytes(&sb, "a\nb\\\xff\xc3\xa9", 7);
	assert_string_equal(sb.ptr, "a\\x0ab\\x5c\\xff\xc3\xa9");
	pg_sb_free(&sb);
}

static void test_report_json_and_summary(void **state)
{
	struct pg_strbuf sb = { 0 };
	struct pg_report rep;

	TL_SCAN("\x80\x02" "cos\nsystem\n(S'x'\ntR.", &rep);
	pg_report_json(&sb, &rep);
	assert_false(sb.oom);
	assert_non_null(strstr(sb.ptr, "\"verdict\":\"unsafe\",\"format\":\"pickle\""));
	assert_non_null(strstr(sb.ptr, "{\"kind\":\"import\",\"module\":\"os\",\"name\":\"system\","
					"\"offset\":2,\"member\":null,\"detail\":"));
	assert_non_null(strstr(sb.ptr, "\"imports\":[\"os.system\"]"));
	assert_non_null(strstr(sb.ptr, "\"bytes_read\":22"));
	pg_sb_reset(&sb);
	pg_report_summary(&sb, &rep);
	assert_string_equal(sb.ptr, "unsafe (pickle @ 0x2: import os.system)");
	pg_report_free(&rep);

	pg_sb_reset(&sb);
	TL_SCAN("\x80\x02\x95", &rep);
	pg_report_summary(&sb, &rep);
	assert_string_equal(sb.ptr, "unsafe (pickle @ 0x2: truncated: FRAME: the data ends "
				    "inside its length)");
	pg_report_free(&rep);

	pg_sb_reset(&sb);
	TL_SCAN("hello", &rep);
	pg_report_summary(&sb, &rep);
	assert_string_equal(sb.ptr, "not-pickle (unknown)");
	pg_report_free(&rep);
	pg_sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_bytes),
		cmocka_unit_test(test_text_bytes),
		cmocka_unit_test(test_report_json_and_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
