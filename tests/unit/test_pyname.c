/*
 * test_pyname.c: find_class's Python 2 name mapping, for protocols below 3
 * only (expected values from CPython 3.11's _compat_pickle).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

#include "pyname.h"

static void expect_map(int proto, const char *m, const char *n,
		       const char *wm, const char *wn)
{
	struct pg_span module = { m, strlen(m) }, name = { n, strlen(n) };

	pg_pyname_resolve(proto, &module, &name);
	if (module.len != strlen(wm) || memcmp(module.ptr, wm, module.len) ||
	    name.len != strlen(wn) || memcmp(name.ptr, wn, name.len))
		fail_msg("proto %d %s.%s -> %.*s.%.*s, expected %s.%s", proto, m, n,
			 (int)module.len, module.ptr, (int)name.len, name.ptr, wm, wn);
}

static void test_mapping(void **state)
{
	/* IMPORT_MAPPING */
	expect_map(0, "__builtin__", "set", "builtins", "set");
	expect_map(2, "copy_reg", "_reconstructor", "copyreg", "_reconstructor");
	/* NAME_MAPPING wins over the module mapping */
	expect_map(0, "__builtin__", "xrange", "builtins", "range");
	expect_map(1, "__builtin__", "unicode", "builtins", "str");
	expect_map(2, "UserDict", "UserDict", "collections", "UserDict");
	expect_map(0, "exceptions", "StandardError", "builtins", "Exception");
	/* unknown names pass through */
	expect_map(0, "os", "system", "os", "system");
	expect_map(0, "__builtin__x", "set", "__builtin__x", "set");
	/* protocol 3 and later: never mapped */
	expect_map(3, "__builtin__", "set", "__builtin__", "set");
	expect_map(5, "copy_reg", "_reconstructor", "copy_reg", "_reconstructor");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
