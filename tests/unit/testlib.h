/*
 * testlib.h: helpers shared by the cmocka tests: scan a buffer with the
 * default allowlist (plus extra entries), look for reasons and imports,
 * read fixture files.
 */
#ifndef PG_TESTLIB_H
#define PG_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_scan.h"

/* Scan len bytes with the default list plus NULL-terminated extra entries
 * (may be NULL) and the given limits (NULL: defaults).  Fails the test if
 * pg_scan itself fails. */
void tl_scan(const void *data, size_t len, const char *const *extra,
	     const struct pg_limits *limits, struct pg_report *rep);

/* Scan a C string literal's bytes (sizeof - 1). */
#define TL_SCAN(lit, rep) tl_scan((lit), sizeof(lit) - 1, NULL, NULL, (rep))

/* Number of reasons of a kind; with module.name (NULL: any) matching. */
size_t tl_count(const struct pg_report *rep, enum pg_reason_kind kind,
		const char *dotted);
bool tl_has_import(const struct pg_report *rep, const char *dotted);

/* Read a file into memory (NUL-terminated); fails the test on error. */
uint8_t *tl_read_file(const char *path, size_t *len);

/* Path under $PG_TEST_DATA (default "tests"), in a static buffer. */
const char *tl_data_path(const char *rel);

#endif
