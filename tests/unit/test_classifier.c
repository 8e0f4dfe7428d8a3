/*
 * test_classifier.c: the guard's cheap classifier (pg_classifier_candidate)
 * skips only what the scanner calls not-pickle, and does skip ordinary
 * files.  The fuzz target checks the first half on every input it makes;
 * here it is checked on every committed fixture and case, by walking them.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testlib.h"
#include "policy.h"

struct fixture {
	struct pg_allowlist *al;
	struct pg_scan_config cfg;
	struct pg_classifier *c;
	size_t files, skipped;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	f->al = pg_allowlist_new();
	assert_non_null(f->al);
	assert_int_equal(pg_policy_add(f->al, "default", err, sizeof(err)), 0);
	f->cfg.allow = f->al;
	pg_limits_default(&f->cfg.limits);
	f->c = pg_classifier_new(&f->cfg);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pg_classifier_free(f->c);
	pg_allowlist_free(f->al);
	free(f);
	return 0;
}

static bool classify(struct fixture *f, const uint8_t *data, size_t len)
{
	size_t head = len < PG_CLASSIFY_HEAD ? len : PG_CLASSIFY_HEAD;
	size_t tail = len < PG_CLASSIFY_TAIL ? len : PG_CLASSIFY_TAIL;

	return pg_classifier_candidate(f->c, data, head, len, data + len - tail, tail);
}

static void check_file(struct fixture *f, const char *path)
{
	struct pg_mem_source src;
	struct pg_reader rd;
	struct pg_report rep;
	size_t len;
	uint8_t *data = tl_read_file(path, &len);

	pg_reader_from_memory(&rd, &src, data, len);
	assert_int_equal(pg_scan(&rd, &f->cfg, &rep), 0);
	if (!classify(f, data, len)) {
		f->skipped++;
		if (rep.verdict != PG_VERDICT_NOT_PICKLE)
			fail_msg("%s: the classifier skips it, the scan says %s", path,
				 pg_verdict_name(rep.verdict));
	}
	f->files++;
	pg_report_free(&rep);
	free(data);
}

static void walk(struct fixture *f, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(d))) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode))
			walk(f, path);
		else if (S_ISREG(st.st_mode))
			check_file(f, path);
	}
	closedir(d);
}

static void test_never_skips_what_the_scan_flags(void **state)
{
	struct fixture *f = *state;
	char dirs[][64] = { "pickles/cases", "fixtures/real", "fixtures/containers",
			    "fuzz/corpus", "fuzz/regressions" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		walk(f, tl_data_path(dirs[i]));
	/* the walk saw the committed files, and some of them are skipped */
	assert_true(f->files > 250);
	assert_true(f->skipped > 10);
}

static void test_ordinary_files_are_skipped(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "# a config file\nkey = value\n";
	static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0 };
	static const char json[] = "{\"architectures\": [\"LlamaForCausalLM\"]}\n";
	size_t len;
	uint8_t *st = tl_read_file(tl_data_path("fixtures/containers/safetensors_small.safetensors"),
				   &len);

	assert_false(classify(f, (const uint8_t *)text, sizeof(text) - 1));
	assert_false(classify(f, elf, sizeof(elf)));
	assert_false(classify(f, (const uint8_t *)json, sizeof(json) - 1));
	assert_false(classify(f, st, len));
	assert_false(classify(f, (const uint8_t *)"", 0));
	free(st);
}

static void test_zip_behind_anything_is_a_candidate(void **state)
{
	struct fixture *f = *state;
	size_t len;
	uint8_t *st = tl_read_file(tl_data_path("fixtures/containers/safetensors_zip_tail.safetensors"),
				   &len);
	/* an end record anywhere in the tail window, as zipfile searches */
	uint8_t *text = calloc(1, 70000);

	assert_true(classify(f, st, len));
	assert_non_null(text);
	memset(text, 'a', 70000);
	memcpy(text + 70000 - 60000, "PK\x05\x06", 4);
	assert_true(classify(f, text, 70000));
	memcpy(text + 70000 - 60000, "aaaa", 4);
	memcpy(text + 70000 - 66000, "PK\x05\x06", 4); /* outside the window */
	assert_false(classify(f, text, 70000));
	free(text);
	free(st);
}

static void test_pickles_and_containers_are_candidates(void **state)
{
	struct fixture *f = *state;
	static const uint8_t p0[] = "cos\nsystem\n(S'id'\ntR.";
	static const uint8_t p2[] = { 0x80, 0x02, 'K', 1, '.' };
	static const uint8_t gz[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	static const uint8_t zip[] = "PK\x03\x04";

	assert_true(classify(f, p0, sizeof(p0) - 1));
	assert_true(classify(f, p2, sizeof(p2)));
	assert_true(classify(f, gz, sizeof(gz)));
	assert_true(classify(f, zip, sizeof(zip) - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_skips_what_the_scan_flags),
		cmocka_unit_test(test_ordinary_files_are_skipped),
		cmocka_unit_test(test_zip_behind_anything_is_a_candidate),
		cmocka_unit_test(test_pickles_and_containers_are_candidates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
