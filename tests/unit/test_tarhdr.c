/*
 * test_tarhdr.c: tar headers read as CPython's tarfile reads them
 * (scanner/tarhdr.c).  Every expected value here is what Python 3.11
 * gives for the same input (int(s, 8), tarfile.nti, calc_chksums,
 * _proc_pax), so a header the two read differently shows up here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tarhdr.h"

static void int8(const char *s, bool ok, int64_t want)
{
	int64_t got = -999;

	if (pg_py_int(s, strlen(s), 8, &got) != ok || (ok && got != want))
		fail_msg("int(%s, 8): ok %d got %lld, Python: ok %d %lld", s, !ok, (long long)got,
			 ok, (long long)want);
}

static void test_python_int(void **state)
{
	/* python3 -c "int(s, 8)" */
	int8("0", true, 0);
	int8("17", true, 15);
	int8("  17  ", true, 15);
	int8("\t17\n", true, 15);
	int8("\v17\f", true, 15);
	int8("0o17", true, 15);
	int8("0O17", true, 15);
	int8("0o_17", true, 15);
	int8("1_7", true, 15);
	int8("+17", true, 15);
	int8("-17", true, -15);
	int8("1__7", false, 0);
	int8("_17", false, 0);
	int8("17_", false, 0);
	int8("0o", false, 0);
	int8("", false, 0);
	int8("8", false, 0);
	int8("0x1", false, 0);
	int8("1 7", false, 0);
	int8("\x1c" "17", false, 0); /* int() does not strip these, str.strip() does */
}

static void nti(const char *field, size_t len, bool ok, int64_t want)
{
	int64_t got = -999;

	if (pg_tar_nti((const uint8_t *)field, len, &got) != ok || (ok && got != want))
		fail_msg("nti(%.*s): ok %d got %lld, tarfile: ok %d %lld", (int)len, field, !ok,
			 (long long)got, ok, (long long)want);
}

static void test_nti(void **state)
{
	/* tarfile.nti(bytes) */
	nti("0000644\0", 8, true, 0644);
	nti("   644 \0", 8, true, 0644);
	nti("\x1c" "644" "\x1f\0\0\0", 8, true, 0644); /* s.strip() first */
	nti("644\0" "999", 8, true, 0644);	       /* cut at the NUL */
	nti("\0\0\0\0\0\0\0\0", 8, true, 0);	       /* int("" or "0") */
	nti("0o_644\0\0", 8, true, 0644);
	nti("64 4\0\0\0\0", 8, false, 0);
	nti("6\xe9" "4\0\0\0\0\0", 8, false, 0); /* not ASCII */
	nti("\x80\0\0\0\0\0\x01\x02", 8, true, 0x102);
	nti("\xff\xff\xff\xff\xff\xff\xff\xfe", 8, true, -2);
	nti("\x80\0\0\0\0\0\0\0\0\0\x10\0", 12, true, 0x1000);
	nti("\x80\x01\0\0\0\0\0\0\0\0\0\0", 12, false, 0); /* past 64 bits: refused */
}

/* the checksum field as tarfile writes it, or with Python's int() syntax */
static void header(uint8_t *b, const char *name, int signed_sum, bool python_syntax)
{
	long sum = 256;
	char field[16];

	memset(b, 0, PG_TAR_BLOCK);
	memcpy(b, name, strlen(name));
	memcpy(b + 124, "00000000000", 11);
	b[156] = '0';
	for (int i = 0; i < PG_TAR_BLOCK; i++)
		if (i < 148 || i >= 156)
			sum += signed_sum ? (int8_t)b[i] : b[i];
	if (python_syntax)
		snprintf(field, sizeof(field), " 0o_%lo", sum);
	else
		snprintf(field, sizeof(field), "%06lo", sum);
	memcpy(b + 148, field, 8);
}

static void test_checksums(void **state)
{
	uint8_t b[PG_TAR_BLOCK];

	header(b, "model.pkl", 0, false);
	assert_true(pg_tar_header_ok(b)); /* V7: no magic needed */
	header(b, "m\xc3\xa9.pkl", 1, false);
	assert_true(pg_tar_header_ok(b)); /* the signed sum is accepted too */
	header(b, "m\xc3\xa9.pkl", 0, true);
	assert_true(pg_tar_header_ok(b));
	header(b, "model.pkl", 0, false);
	b[0] = 'n'; /* one byte off */
	assert_false(pg_tar_header_ok(b));
	memset(b, 0, sizeof(b));
	assert_false(pg_tar_header_ok(b)); /* the end-of-archive block */
}

static void test_pax(void **state)
{
	/* tarfile._proc_pax + _apply_pax_info */
	static const char recs[] = "20 path=dir/m.pkl//\n12 size=42\n";
	static const char bad_size[] = "14 size=4_2x\n";
	static const char no_newline[] = "11 size=77X";
	static const char sparse[] = "30 GNU.sparse.realsize=1024\n";
	struct pg_pax pax = { 0 };

	assert_true(pg_pax_parse((const uint8_t *)recs, sizeof(recs) - 1, &pax));
	assert_true(pax.has_size && pax.size == 42);
	assert_true(pax.has_path);
	assert_string_equal(pax.path, "dir/m.pkl"); /* rstrip("/") */
	pg_pax_clear(&pax);
	assert_true(pg_pax_parse((const uint8_t *)bad_size, sizeof(bad_size) - 1, &pax));
	assert_true(pax.has_size && pax.size == 0); /* int() raised: 0 */
	pg_pax_clear(&pax);
	/* the last byte of a record is dropped whatever it is */
	assert_true(pg_pax_parse((const uint8_t *)no_newline, sizeof(no_newline) - 1, &pax));
	assert_true(pax.has_size && pax.size == 77);
	pg_pax_clear(&pax);
	assert_true(pg_pax_parse((const uint8_t *)sparse, sizeof(sparse) - 1, &pax));
	assert_true(pax.sparse);
	pg_pax_clear(&pax);
	assert_false(pg_pax_parse((const uint8_t *)"x size=1\n", 9, &pax));
	assert_false(pg_pax_parse((const uint8_t *)"0 size=1\n", 9, &pax));
	assert_false(pg_pax_parse((const uint8_t *)"9 size\n", 7, &pax));
	pg_pax_clear(&pax);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_int),
		cmocka_unit_test(test_nti),
		cmocka_unit_test(test_checksums),
		cmocka_unit_test(test_pax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
