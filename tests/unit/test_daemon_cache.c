/*
 * test_daemon_cache.c: the daemon's verdict cache (daemon/cache.c): a hit
 * only for the very same (dev, ino, size, mtime, ctime, btime), least
 * recently used out first, bounded by entries and by bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"

static struct pgd_result *result(enum pg_verdict v, size_t json_len)
{
	struct pgd_result *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	atomic_init(&r->refs, 1);
	r->verdict = v;
	r->json = malloc(json_len + 1);
	r->summary = strdup("summary");
	assert_non_null(r->json);
	memset(r->json, 'x', json_len);
	r->json[json_len] = '\0';
	return r;
}

static struct pgd_key key(uint64_t ino)
{
	return (struct pgd_key){ .dev = 42, .ino = ino, .size = 100, .mtime_ns = 1000,
				 .ctime_ns = 2000, .btime_ns = 500 };
}

static void test_exact_key(void **state)
{
	struct pgd_cache *c = pgd_cache_new(16, 1 << 20);
	struct pgd_result *r = result(PG_VERDICT_SAFE, 10);
	struct pgd_key k = key(1), other;

	assert_non_null(c);
	assert_int_equal(pgd_cache_put(c, &k, r), 0);
	assert_ptr_equal(pgd_cache_get(c, &k), r);
	/* every field is part of the identity of the content */
	other = k, other.dev++;
	assert_null(pgd_cache_get(c, &other));
	other = k, other.ino++;
	assert_null(pgd_cache_get(c, &other));
	other = k, other.size++;
	assert_null(pgd_cache_get(c, &other));
	other = k, other.mtime_ns++;
	assert_null(pgd_cache_get(c, &other));
	other = k, other.ctime_ns++; /* utimes() put mtime back; ctime moved */
	assert_null(pgd_cache_get(c, &other));
	other = k, other.btime_ns++; /* a new file on a reused inode number */
	assert_null(pgd_cache_get(c, &other));
	pgd_result_put(r);
	pgd_cache_free(c);
}

static void test_lru_by_entries(void **state)
{
	struct pgd_cache *c = pgd_cache_new(3, 1 << 20);
	struct pgd_result *r = result(PG_VERDICT_UNSAFE, 10);

	for (uint64_t i = 1; i <= 3; i++) {
		struct pgd_key k = key(i);

		assert_int_equal(pgd_cache_put(c, &k, r), 0);
	}
	{
		struct pgd_key k1 = key(1), k2 = key(2), k4 = key(4);

		assert_non_null(pgd_cache_get(c, &k1)); /* 1 is now the newest */
		assert_int_equal(pgd_cache_put(c, &k4, r), 0);
		assert_null(pgd_cache_get(c, &k2)); /* 2 was the oldest */
		assert_non_null(pgd_cache_get(c, &k1));
		assert_non_null(pgd_cache_get(c, &k4));
	}
	assert_int_equal(pgd_cache_size(c), 3);
	/* the cache holds references of its own */
	assert_int_equal(atomic_load(&r->refs), 4);
	pgd_cache_clear(c);
	assert_int_equal(pgd_cache_size(c), 0);
	assert_int_equal(atomic_load(&r->refs), 1);
	pgd_result_put(r);
	pgd_cache_free(c);
}

static void test_bounded_by_bytes(void **state)
{
	struct pgd_cache *c = pgd_cache_new(1000, 4096);
	struct pgd_result *small = result(PG_VERDICT_SAFE, 100);
	struct pgd_result *huge = result(PG_VERDICT_UNSAFE, 8192);
	struct pgd_key k;

	for (uint64_t i = 0; i < 100; i++) {
		k = key(i);
		assert_int_equal(pgd_cache_put(c, &k, small), 0);
	}
	assert_true(pgd_cache_size(c) < 100); /* bytes, not entries, bound it */
	assert_true(pgd_cache_size(c) > 5);
	k = key(1000);
	assert_int_equal(pgd_cache_put(c, &k, huge), 0); /* too big to keep */
	assert_null(pgd_cache_get(c, &k));
	pgd_result_put(small);
	pgd_result_put(huge);
	pgd_cache_free(c);
}

static void test_replace_and_disabled(void **state)
{
	struct pgd_cache *c = pgd_cache_new(4, 1 << 20), *off = pgd_cache_new(0, 1 << 20);
	struct pgd_result *a = result(PG_VERDICT_SAFE, 1), *b = result(PG_VERDICT_UNSAFE, 1);
	struct pgd_key k = key(7);

	assert_int_equal(pgd_cache_put(c, &k, a), 0);
	assert_int_equal(pgd_cache_put(c, &k, b), 0);
	assert_ptr_equal(pgd_cache_get(c, &k), b);
	assert_int_equal(pgd_cache_size(c), 1);
	assert_int_equal(pgd_cache_put(off, &k, a), 0);
	assert_null(pgd_cache_get(off, &k));
	pgd_result_put(a);
	pgd_result_put(b);
	pgd_cache_free(c);
	pgd_cache_free(off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_key),
		cmocka_unit_test(test_lru_by_entries),
		cmocka_unit_test(test_bounded_by_bytes),
		cmocka_unit_test(test_replace_and_disabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
