/*
 * test_vm.c: the emulator's mechanics on hand-assembled streams: what is a
 * pickle at all, every limit, offsets and counts in reports, skipping
 * large operands unread, frames at their exact boundary, reading errors.
 * The attack cases proven against CPython live in tests/pickles/cases.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

static void expect_verdict(const struct pg_report *rep, enum pg_verdict v)
{
	if (rep->verdict != v)
		fail_msg("verdict %s, expected %s (first reason: %s)",
			 pg_verdict_name(rep->verdict), pg_verdict_name(v),
			 rep->n_reasons ? rep->reasons[0].detail : "-");
}

static void test_not_pickle(void **state)
{
	static const struct {
		const char *data;
		size_t len;
	} inputs[] = {
		{ "", 0 },
		{ "# Model card\n\nSome text.\n", 25 },
		{ "{\"lr\": 0.001}\n", 14 },
		{ "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16 },
		{ "\x7f" "ELF\x02\x01\x01\0", 8 },
		{ "background\nperson\n", 18 },
		{ "[PAD]\n[UNK]\n", 12 },
		{ "GIF89a\x01\0\x01\0", 10 },
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct pg_report rep;

		tl_scan(inputs[i].data, inputs[i].len, NULL, NULL, &rep);
		if (rep.verdict != PG_VERDICT_NOT_PICKLE || rep.n_reasons)
			fail_msg("input %zu: %s with %zu reasons", i,
				 pg_verdict_name(rep.verdict), rep.n_reasons);
		assert_string_equal(rep.format, "unknown");
		pg_report_free(&rep);
	}
}

static void test_minimal_pickles(void **state)
{
	struct pg_report rep;

	TL_SCAN("N.", &rep);
	expect_verdict(&rep, PG_VERDICT_SAFE);
	assert_string_equal(rep.format, "pickle");
	assert_int_equal(rep.streams, 1);
	assert_int_equal(rep.opcodes, 2);
	assert_int_equal(rep.n_imports, 0);
	pg_report_free(&rep);

	/* a valid PROTO header makes bytes a pickle: failing after it is
	 * unsafe, not "not-pickle" */
	TL_SCAN("\x80\x04\xff", &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	assert_int_equal(tl_count(&rep, PG_REASON_OPCODE, NULL), 1);
	assert_int_equal(rep.reasons[0].offset, 2);
	pg_report_free(&rep);
}

static void test_reason_offsets_and_dedup(void **state)
{
	struct pg_report rep;

	/* two different bad imports, one of them twice: every reason is
	 * listed once, at the first opcode that made it */
	TL_SCAN("cos\nsystem\n0cposix\nsystem\n0cos\nsystem\n0N.", &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	assert_int_equal(rep.n_reasons, 2);
	assert_int_equal(tl_count(&rep, PG_REASON_IMPORT, "os.system"), 1);
	assert_int_equal(tl_count(&rep, PG_REASON_IMPORT, "posix.system"), 1);
	assert_int_equal(rep.reasons[0].offset, 0);
	assert_int_equal(rep.reasons[1].offset, 12);
	assert_int_equal(rep.n_imports, 2);
	assert_false(rep.imports[0].allowed);
	pg_report_free(&rep);
}

static void test_allowed_import_is_reported(void **state)
{
	struct pg_report rep;

	/* a safe file's imports list every global it resolves */
	TL_SCAN("\x80\x02" "ccollections\nOrderedDict\n)R.", &rep);
	expect_verdict(&rep, PG_VERDICT_SAFE);
	assert_int_equal(rep.n_imports, 1);
	assert_true(tl_has_import(&rep, "collections.OrderedDict"));
	assert_true(rep.imports[0].allowed);
	pg_report_free(&rep);
}

static void test_extra_allow(void **state)
{
	static const char *const extra[] = { "os.system", NULL };
	static const char data[] = "cos\nsystem\n(S'x'\ntR.";
	struct pg_report rep;

	tl_scan(data, sizeof(data) - 1, extra, NULL, &rep);
	expect_verdict(&rep, PG_VERDICT_SAFE);
	pg_report_free(&rep);
}

static struct pg_limits small(void)
{
	struct pg_limits l;

	pg_limits_default(&l);
	return l;
}

static void expect_limit(const char *data, size_t len,
			 const struct pg_limits *l, const char *name)
{
	struct pg_report rep;

	tl_scan(data, len, NULL, l, &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	if (tl_count(&rep, PG_REASON_LIMIT, NULL) != 1 ||
	    !strstr(rep.reasons[rep.n_reasons - 1].detail, name))
		fail_msg("expected a %s limit reason, got %s", name,
			 rep.n_reasons ? rep.reasons[rep.n_reasons - 1].detail : "none");
	pg_report_free(&rep);
}

static void test_limits(void **state)
{
	struct pg_limits l;

	l = small();
	l.max_stack = 3;
	expect_limit("NNNN.", 5, &l, "max_stack");
	l = small();
	l.max_marks = 2;
	expect_limit("(((N.", 5, &l, "max_marks");
	l = small();
	l.max_memo = 2;
	expect_limit("Nq\x00q\x01q\x02.", 8, &l, "max_memo");
	l = small();
	l.max_opcodes = 4;
	expect_limit("NNNNN.", 6, &l, "max_opcodes");
	l = small();
	l.max_line = 8;
	expect_limit("cverylongmodule\nx\n.", 19, &l, "max_line");
	l = small();
	l.max_streams = 2;
	expect_limit("N.N.N.", 6, &l, "max_streams");
	l = small();
	l.max_alloc = 4096;
	{
		/* 400 MARK-less NONEs need more than 4 KiB of stack */
		char buf[402];

		memset(buf, 'N', 400);
		buf[400] = '.';
		expect_limit(buf, 401, &l, "max_alloc");
	}
	l = small();
	l.max_expansion = 100;
	{
		/* a list of 10 refs to a list of 10 refs to a list: 111 values */
		static const char laughs[] =
			"]\x94(h\x00h\x00h\x00h\x00h\x00h\x00h\x00h\x00h\x00h\x00l\x94"
			"(h\x01h\x01h\x01h\x01h\x01h\x01h\x01h\x01h\x01h\x01l.";

		expect_limit(laughs, sizeof(laughs) - 1, &l, "max_expansion");
	}
}

static void test_reason_cap(void **state)
{
	struct pg_limits l = small();
	struct pg_report rep;
	static const char data[] = "ca\nb\n0cc\nd\n0ce\nf\n0cg\nh\n0N.";

	l.max_reasons = 2;
	tl_scan(data, sizeof(data) - 1, NULL, &l, &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	assert_int_equal(rep.n_reasons, 2);
	assert_int_equal(rep.reasons_dropped, 2);
	/* imports are all still listed */
	assert_int_equal(rep.n_imports, 4);
	pg_report_free(&rep);
}

/* A reader of a huge virtual file: head, then zeros, then tail. */
struct virtual_file {
	const uint8_t *head, *tail;
	size_t head_len, tail_len;
	uint64_t size;
	uint64_t fail_at; /* reads at or past this offset fail (EIO) */
};

static ssize_t virtual_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct virtual_file *v = ctx;
	uint8_t *out = buf;

	if (off >= v->fail_at)
		return -EIO;
	if (off >= v->size)
		return 0;
	if (len > v->size - off)
		len = (size_t)(v->size - off);
	for (size_t i = 0; i < len; i++) {
		uint64_t at = off + i;

		if (at < v->head_len)
			out[i] = v->head[at];
		else if (at >= v->size - v->tail_len)
			out[i] = v->tail[at - (v->size - v->tail_len)];
		else
			out[i] = 0;
	}
	return (ssize_t)len;
}

static void scan_virtual(struct virtual_file *v, struct pg_report *rep)
{
	struct pg_allowlist *al = pg_allowlist_new();
	struct pg_scan_config cfg = { .allow = al };
	struct pg_reader rd = { virtual_pread, v, v->size };

	pg_limits_default(&cfg.limits);
	assert_int_equal(pg_scan(&rd, &cfg, rep), 0);
	pg_allowlist_free(al);
}

static void test_large_binary_skipped(void **state)
{
	/* BINBYTES8 of 4 GiB: the scanner steps over it without reading */
	static const uint8_t head[] = { 0x80, 0x04, 0x8e, 0, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t tail[] = { '.' };
	struct virtual_file v = { head, tail, sizeof(head), 1, 0, UINT64_MAX };
	struct pg_report rep;

	v.size = sizeof(head) + (4ULL << 30) + 1;
	scan_virtual(&v, &rep);
	expect_verdict(&rep, PG_VERDICT_SAFE);
	assert_true(rep.bytes_read < 1 << 20);
	assert_int_equal(rep.opcodes, 3);
	pg_report_free(&rep);
}

static void test_read_error(void **state)
{
	/* an import, then BINBYTES of 512 KiB stepped over unread */
	static const uint8_t head[] = "cos\nsystem\nB\x00\x00\x08\x00";
	static const uint8_t tail[] = ".";
	struct virtual_file v = { head, tail, sizeof(head) - 1, 1, 0, 0 };
	struct pg_report rep;

	/* nothing readable: error, never safe or not-pickle */
	v.size = 1 << 20;
	v.fail_at = 0;
	scan_virtual(&v, &rep);
	expect_verdict(&rep, PG_VERDICT_ERROR);
	assert_int_equal(tl_count(&rep, PG_REASON_READ, NULL), 1);
	pg_report_free(&rep);

	/* a finding before the failure stands: unsafe wins */
	v.size = 2 << 20;
	v.fail_at = 300 << 10;
	scan_virtual(&v, &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	assert_int_equal(tl_count(&rep, PG_REASON_IMPORT, "os.system"), 1);
	assert_int_equal(tl_count(&rep, PG_REASON_READ, NULL), 1);
	pg_report_free(&rep);
}

static void test_frame_boundaries(void **state)
{
	struct pg_report rep;

	/* FRAME of 2 holding exactly "N.": ends on an opcode boundary */
	TL_SCAN("\x80\x04\x95\x02\0\0\0\0\0\0\0N.", &rep);
	expect_verdict(&rep, PG_VERDICT_SAFE);
	pg_report_free(&rep);

	/* two frames back to back */
	TL_SCAN("\x80\x04\x95\x01\0\0\0\0\0\0\0N\x95\x01\0\0\0\0\0\0\0.", &rep);
	expect_verdict(&rep, PG_VERDICT_SAFE);
	pg_report_free(&rep);

	/* BININT1 split by the frame end: one byte over */
	TL_SCAN("\x80\x04\x95\x01\0\0\0\0\0\0\0K\x05.", &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	assert_int_equal(tl_count(&rep, PG_REASON_FRAME, NULL), 1);
	assert_non_null(strstr(rep.reasons[0].detail, "BININT1 crosses the end of its frame by 1"));
	pg_report_free(&rep);
}

static void test_nested_member(void **state)
{
	static const char *const extra[] = { "pickle.loads", NULL };
	/* pickle.loads(b"cos\nsystem\n(S'x'\ntR.") at protocol 3 */
	static const char data[] =
		"\x80\x03" "cpickle\nloads\n"
		"C\x14" "cos\nsystem\n(S'x'\ntR." "\x85R.";
	struct pg_report rep;

	tl_scan(data, sizeof(data) - 1, extra, NULL, &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	assert_int_equal(rep.n_reasons, 1);
	assert_int_equal(tl_count(&rep, PG_REASON_IMPORT, "os.system"), 1);
	assert_string_equal(rep.reasons[0].member, "nested@0x12");
	assert_int_equal(rep.reasons[0].offset, 0);
	assert_int_equal(rep.streams, 2);
	pg_report_free(&rep);
}

static void test_dunder_key_via_escapes(void **state)
{
	/* BUILD state key spelled with escapes still is "__setstate__" */
	static const char data[] =
		"\x80\x02" "ccollections\nOrderedDict\n)R"
		"}S'\\x5f_setstate__'\nK\x01sb.";
	struct pg_report rep;

	TL_SCAN(data, &rep);
	expect_verdict(&rep, PG_VERDICT_UNSAFE);
	assert_int_equal(tl_count(&rep, PG_REASON_BUILD, NULL), 1);
	pg_report_free(&rep);
}

static void test_underflow_and_mark_differ(void **state)
{
	struct pg_report rep;

	TL_SCAN("\x80\x02" "0N.", &rep);
	assert_int_equal(tl_count(&rep, PG_REASON_UNDERFLOW, NULL), 1);
	assert_int_equal(tl_count(&rep, PG_REASON_MARK, NULL), 0);
	pg_report_free(&rep);
	TL_SCAN("\x80\x02" "Nt.", &rep);
	assert_int_equal(tl_count(&rep, PG_REASON_MARK, NULL), 1);
	assert_int_equal(tl_count(&rep, PG_REASON_UNDERFLOW, NULL), 0);
	pg_report_free(&rep);
	/* POP removes a MARK that is on top: no error at all */
	TL_SCAN("\x80\x02(0N.", &rep);
	expect_verdict(&rep, PG_VERDICT_SAFE);
	pg_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_pickle),
		cmocka_unit_test(test_minimal_pickles),
		cmocka_unit_test(test_reason_offsets_and_dedup),
		cmocka_unit_test(test_allowed_import_is_reported),
		cmocka_unit_test(test_extra_allow),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reason_cap),
		cmocka_unit_test(test_large_binary_skipped),
		cmocka_unit_test(test_read_error),
		cmocka_unit_test(test_frame_boundaries),
		cmocka_unit_test(test_nested_member),
		cmocka_unit_test(test_dunder_key_via_escapes),
		cmocka_unit_test(test_underflow_and_mark_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
