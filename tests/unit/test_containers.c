/*
 * test_containers.c: files made by the real libraries and malicious
 * variants their real loaders execute (tests/fixtures/containers, made and
 * checked against the loaders by gen_containers.py): each must get the
 * verdict and format of its MANIFEST.tsv row, with at least the reasons
 * listed there, scanned with the profiles the row names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "testlib.h"

static bool has_reason(const struct pg_report *rep, const char *tok)
{
	const char *colon = strchr(tok, ':');
	size_t klen = colon ? (size_t)(colon - tok) : strlen(tok);

	for (size_t i = 0; i < rep->n_reasons; i++) {
		const struct pg_reason *r = &rep->reasons[i];
		const char *kind = pg_reason_kind_name(r->kind);
		char dotted[512];

		if (strlen(kind) != klen || strncmp(kind, tok, klen))
			continue;
		if (!colon)
			return true;
		snprintf(dotted, sizeof(dotted), "%s.%s", r->module.ptr, r->name.ptr);
		if (!strcmp(dotted, colon + 1))
			return true;
	}
	return false;
}

static void scan_row(char *file, char *verdict, char *format, char *profiles,
		     char *reasons)
{
	struct pg_allowlist *al = pg_allowlist_new();
	struct pg_scan_config cfg = { .allow = al };
	struct pg_mem_source src;
	struct pg_reader rd;
	struct pg_report rep;
	char path[512], err[256];
	size_t len;
	uint8_t *data;

	snprintf(path, sizeof(path), "fixtures/containers/%s", file);
	data = tl_read_file(tl_data_path(path), &len);
	assert_int_equal(pg_policy_add(al, "default", err, sizeof(err)), 0);
	for (char *p = strtok(profiles, ","); p; p = strtok(NULL, ","))
		if (strcmp(p, "-") && pg_policy_add(al, p, err, sizeof(err)))
			fail_msg("%s: %s", file, err);
	pg_limits_default(&cfg.limits);
	pg_reader_from_memory(&rd, &src, data, len);
	assert_int_equal(pg_scan(&rd, &cfg, &rep), 0);
	if (strcmp(pg_verdict_name(rep.verdict), verdict) || strcmp(rep.format, format))
		fail_msg("%s: %s/%s, expected %s/%s (first reason: %s)", file,
			 pg_verdict_name(rep.verdict), rep.format, verdict, format,
			 rep.n_reasons ? rep.reasons[0].detail : "-");
	for (char *t = strtok(reasons, " "); t; t = strtok(NULL, " "))
		if (strcmp(t, "-") && !has_reason(&rep, t))
			fail_msg("%s: no %s reason (first: %s)", file, t,
				 rep.n_reasons ? rep.reasons[0].detail : "-");
	pg_report_free(&rep);
	pg_allowlist_free(al);
	free(data);
}

static void test_manifest(void **state)
{
	size_t len, rows = 0;
	char *manifest = (char *)tl_read_file(tl_data_path("fixtures/containers/MANIFEST.tsv"), &len);
	char *save = NULL;

	for (char *line = strtok_r(manifest, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[5], *save2 = NULL;
		int n = 0;

		if (*line == '#')
			continue;
		for (char *c = strtok_r(line, "\t", &save2); c && n < 5;
		     c = strtok_r(NULL, "\t", &save2))
			f[n++] = c;
		assert_int_equal(n, 5);
		scan_row(f[0], f[1], f[2], f[3], f[4]);
		rows++;
	}
	assert_true(rows >= 60);
	free(manifest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
