/*
 * test_real.c: files written by the real libraries (tests/fixtures/real,
 * made by gen_real.py) come out with the verdict their MANIFEST.tsv gives,
 * and the scanner reports exactly the imports the real loader resolved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

static bool import_listed(const char *list, const struct pg_import *imp)
{
	char want[1024];

	snprintf(want, sizeof(want), " %s.%s ", imp->module.ptr, imp->name.ptr);
	return strstr(list, want) != NULL;
}

static void test_manifest(void **state)
{
	size_t len, files = 0;
	char *manifest = (char *)tl_read_file(tl_data_path("fixtures/real/MANIFEST.tsv"), &len);
	char *save = NULL;

	for (char *line = strtok_r(manifest, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *file, *verdict, *imports, padded[4096], rel[512];
		struct pg_report rep;
		size_t dlen, n_listed = 0;
		uint8_t *data;

		if (*line == '#')
			continue;
		file = strtok(line, "\t");
		verdict = strtok(NULL, "\t");
		imports = strtok(NULL, "\t");
		assert_non_null(file);
		assert_non_null(verdict);
		snprintf(padded, sizeof(padded), " %s ", imports ? imports : "");
		snprintf(rel, sizeof(rel), "fixtures/real/%s", file);
		data = tl_read_file(tl_data_path(rel), &dlen);
		tl_scan(data, dlen, NULL, NULL, &rep);
		if (strcmp(pg_verdict_name(rep.verdict), verdict))
			fail_msg("%s: verdict %s, expected %s (first reason: %s)", file,
				 pg_verdict_name(rep.verdict), verdict,
				 rep.n_reasons ? rep.reasons[0].detail : "-");
		for (size_t i = 0; i < rep.n_imports; i++)
			if (!import_listed(padded, &rep.imports[i]))
				fail_msg("%s: reports %s.%s, which the loader does not import",
					 file, rep.imports[i].module.ptr, rep.imports[i].name.ptr);
		for (char *tok = strtok(imports, " "); tok; tok = strtok(NULL, " "))
			n_listed++;
		if (n_listed != rep.n_imports)
			fail_msg("%s: %zu imports reported, the loader resolves %zu", file,
				 rep.n_imports, n_listed);
		pg_report_free(&rep);
		free(data);
		files++;
	}
	assert_true(files >= 40);
	free(manifest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
