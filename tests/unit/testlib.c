/* testlib.c: see testlib.h. */
#include "testlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

void tl_scan(const void *data, size_t len, const char *const *extra,
	     const struct pg_limits *limits, struct pg_report *rep)
{
	struct pg_allowlist *al = pg_allowlist_new();
	struct pg_scan_config cfg = { 0 };
	struct pg_mem_source src;
	struct pg_reader rd;
	char err[256];

	assert_non_null(al);
	assert_int_equal(pg_policy_add(al, "default", err, sizeof(err)), 0);
	for (; extra && *extra; extra++)
		assert_int_equal(pg_allowlist_add_spec(al, *extra, err, sizeof(err)), 0);
	if (limits)
		cfg.limits = *limits;
	else
		pg_limits_default(&cfg.limits);
	cfg.allow = al;
	pg_reader_from_memory(&rd, &src, data, len);
	assert_int_equal(pg_scan(&rd, &cfg, rep), 0);
	pg_allowlist_free(al);
}

static bool dotted_equal(const struct pg_bytes *m, const struct pg_bytes *n,
			 const char *dotted)
{
	size_t dl = strlen(dotted);

	return dl == m->len + 1 + n->len && !memcmp(dotted, m->ptr, m->len) &&
	       dotted[m->len] == '.' && !memcmp(dotted + m->len + 1, n->ptr, n->len);
}

size_t tl_count(const struct pg_report *rep, enum pg_reason_kind kind,
		const char *dotted)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->n_reasons; i++) {
		const struct pg_reason *r = &rep->reasons[i];

		if (r->kind == kind &&
		    (!dotted || dotted_equal(&r->module, &r->name, dotted)))
			n++;
	}
	return n;
}

bool tl_has_import(const struct pg_report *rep, const char *dotted)
{
	for (size_t i = 0; i < rep->n_imports; i++)
		if (dotted_equal(&rep->imports[i].module, &rep->imports[i].name,
				 dotted))
			return true;
	return false;
}

uint8_t *tl_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

const char *tl_data_path(const char *rel)
{
	static char path[4096];
	const char *base = getenv("PG_TEST_DATA");

	snprintf(path, sizeof(path), "%s/%s", base ? base : "tests", rel);
	return path;
}
