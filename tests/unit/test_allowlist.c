/*
 * test_allowlist.c: the allowlist text format, exact matching, errors that
 * name file and line, and the built-in lists.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "testlib.h"

static bool has(const struct pg_allowlist *al, const char *m, const char *n)
{
	return pg_allowlist_contains(al, m, strlen(m), n, strlen(n));
}

static int parse(struct pg_allowlist *al, const char *text, char *err)
{
	return pg_allowlist_parse(al, text, strlen(text), "t.allow", err, 256);
}

static void test_entries_and_comments(void **state)
{
	struct pg_allowlist *al = pg_allowlist_new();
	char err[256];

	assert_int_equal(parse(al,
			       "# header\n"
			       "\n"
			       "collections.OrderedDict   # why\n"
			       "  torch._utils._rebuild_tensor_v2\t#tab\n"
			       "collections:OrderedDict.fromkeys\n"
			       "last.entry",
			       err),
			 0);
	assert_int_equal(pg_allowlist_size(al), 4);
	assert_true(has(al, "collections", "OrderedDict"));
	assert_true(has(al, "torch._utils", "_rebuild_tensor_v2"));
	assert_true(has(al, "collections", "OrderedDict.fromkeys"));
	assert_true(has(al, "last", "entry"));
	pg_allowlist_free(al);
}

static void test_exact_match_only(void **state)
{
	struct pg_allowlist *al = pg_allowlist_new();
	char err[256];

	assert_int_equal(parse(al, "collections.OrderedDict\n", err), 0);
	/* no prefixes, suffixes, other splits or case folding */
	assert_false(has(al, "collections", "OrderedDic"));
	assert_false(has(al, "collections", "OrderedDictX"));
	assert_false(has(al, "collections.abc", "OrderedDict"));
	assert_false(has(al, "collection", "OrderedDict"));
	assert_false(has(al, "collections.OrderedDict", ""));
	assert_false(has(al, "", "collections.OrderedDict"));
	assert_false(has(al, "Collections", "OrderedDict"));
	/* a NUL inside a name never matches */
	assert_false(pg_allowlist_contains(al, "collections", 11, "OrderedDict\0x", 13));
	pg_allowlist_free(al);
}

static void test_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "ok.entry\nnodot\n", "t.allow:2: 'nodot': expected module.name" },
		{ "a.b c.d\n", "t.allow:1: one entry per line" },
		{ "\n\n1os.system\n", "t.allow:3: '1os.system': module is not" },
		{ "a..b\n", "t.allow:1: 'a..b': module is not" },
		{ "os.sys-tem\n", "t.allow:1: 'os.sys-tem': name is not" },
		{ "os.\n", "t.allow:1: 'os.': name is not" },
		{ ":x\n", "t.allow:1: ':x': module is not" },
		{ "os:a:b\n", "t.allow:1: 'os:a:b': name is not" },
		{ "caf\xc3\xa9.x\n", "t.allow:1: 'caf\xc3\xa9.x': module is not" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pg_allowlist *al = pg_allowlist_new();
		char err[256] = "";

		assert_int_equal(parse(al, bad[i].text, err), -EINVAL);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu: got '%s', want prefix '%s'", i, err, bad[i].msg);
		/* a bad text adds nothing, not even its good lines */
		assert_int_equal(pg_allowlist_size(al), 0);
		pg_allowlist_free(al);
	}
}

static void test_add_spec(void **state)
{
	struct pg_allowlist *al = pg_allowlist_new();
	char err[256];

	assert_int_equal(pg_allowlist_add_spec(al, "sklearn.tree._tree.Tree", err, 256), 0);
	assert_true(has(al, "sklearn.tree._tree", "Tree"));
	assert_int_equal(pg_allowlist_add_spec(al, "mod:A.b", err, 256), 0);
	assert_true(has(al, "mod", "A.b"));
	assert_int_equal(pg_allowlist_add_spec(al, "nodot", err, 256), -EINVAL);
	assert_string_equal(err, "nodot: expected module.name (no dot found)");
	assert_int_equal(pg_allowlist_add_spec(al, "a.b c", err, 256), -EINVAL);
	pg_allowlist_free(al);
}

static void test_builtin_lists(void **state)
{
	struct pg_allowlist *al = pg_allowlist_new();
	char err[256];
	size_t n;
	const struct pg_policy_text *t = pg_policy_list(&n);

	assert_true(n >= 1);
	assert_string_equal(t[0].name, "default");
	assert_int_equal(pg_policy_add(al, "all", err, sizeof(err)), 0);
	assert_true(pg_allowlist_size(al) > 100);
	assert_true(has(al, "torch._utils", "_rebuild_tensor_v2"));
	assert_true(has(al, "numpy.core.multiarray", "_reconstruct"));
	assert_true(has(al, "collections", "OrderedDict"));
	/* nothing that runs code, imports or reaches attributes */
	assert_false(has(al, "builtins", "eval"));
	assert_false(has(al, "builtins", "getattr"));
	assert_false(has(al, "builtins", "__import__"));
	assert_false(has(al, "os", "system"));
	assert_false(has(al, "pickle", "loads"));
	assert_false(has(al, "functools", "partial"));
	assert_int_equal(pg_policy_add(al, "no-such-profile", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown profile 'no-such-profile' (known: all, default"));
	pg_allowlist_free(al);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_and_comments),
		cmocka_unit_test(test_exact_match_only),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_add_spec),
		cmocka_unit_test(test_builtin_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
