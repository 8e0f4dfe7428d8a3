/*
 * run_cases.c: the pickle regression cases, one anomaly per file (libzip's
 * regress/ style).  Each DIR/NAME.pkl is scanned with the default allowlist
 * plus its NAME.expect's "allow:" entries; the verdict, the set of reason
 * kinds (and the imports named with them) and, when listed, the imports
 * must match NAME.expect:
 *
 *   verdict: unsafe
 *   reasons: import:os.system frame      kinds, kind:module.name
 *   imports: collections.OrderedDict     optional: the exact import set
 *   allow: pickle.loads                  optional: extra allowlist entries
 *   cpython: runs                        read by verify_cpython.py only
 *
 * usage: run_cases DIR [NAME]   (NAME runs one case)
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pg_scan.h"
#include "policy.h"

#define MAX_TOKENS 64

struct expect {
	char verdict[32];
	char *reasons[MAX_TOKENS];
	size_t n_reasons;
	char *imports[MAX_TOKENS];
	size_t n_imports;
	bool has_imports;
	char *allow[MAX_TOKENS];
	size_t n_allow;
};

struct test_case {
	char *name;
	char *pkl_path;
	char *expect_path;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static size_t tokens(char *s, char **out, size_t max)
{
	size_t n = 0;

	for (char *t = strtok(s, " \t"); t && n < max; t = strtok(NULL, " \t"))
		out[n++] = t;
	return n;
}

/* Parse NAME.expect; the strings point into text. */
static void parse_expect(char *text, struct expect *e)
{
	memset(e, 0, sizeof(*e));
	for (char *line = strtok(text, "\n"), *next; line; line = next) {
		char *colon, *val;

		next = strtok(NULL, "\n");
		if (*line == '#' || !(colon = strchr(line, ':')))
			continue;
		*colon = '\0';
		val = colon + 1;
		/* strtok is not reentrant: take the value's tokens later */
		if (!strcmp(line, "verdict"))
			sscanf(val, " %31s", e->verdict);
		else if (!strcmp(line, "reasons"))
			e->reasons[0] = val, e->n_reasons = SIZE_MAX;
		else if (!strcmp(line, "imports"))
			e->imports[0] = val, e->has_imports = true;
		else if (!strcmp(line, "allow"))
			e->allow[0] = val, e->n_allow = SIZE_MAX;
	}
	if (e->n_reasons == SIZE_MAX)
		e->n_reasons = tokens(e->reasons[0], e->reasons, MAX_TOKENS);
	if (e->has_imports)
		e->n_imports = tokens(e->imports[0], e->imports, MAX_TOKENS);
	if (e->n_allow == SIZE_MAX)
		e->n_allow = tokens(e->allow[0], e->allow, MAX_TOKENS);
}

static bool dotted_equal(const struct pg_bytes *m, const struct pg_bytes *n,
			 const char *dotted, size_t dl)
{
	return dl == m->len + 1 + n->len && !memcmp(dotted, m->ptr, m->len) &&
	       dotted[m->len] == '.' && !memcmp(dotted + m->len + 1, n->ptr, n->len);
}

static void print_report(const struct pg_report *rep)
{
	print_message("  got verdict %s, %zu reasons:\n",
		      pg_verdict_name(rep->verdict), rep->n_reasons);
	for (size_t i = 0; i < rep->n_reasons; i++) {
		const struct pg_reason *r = &rep->reasons[i];

		print_message("    %s %s.%s @%llu %s: %s\n", pg_reason_kind_name(r->kind),
			      r->module.ptr, r->name.ptr,
			      (unsigned long long)r->offset,
			      r->member ? r->member : "-", r->detail);
	}
	for (size_t i = 0; i < rep->n_imports; i++)
		print_message("    import %s.%s\n", rep->imports[i].module.ptr,
			      rep->imports[i].name.ptr);
}

static void check_reasons(const struct pg_report *rep, const struct expect *e)
{
	bool want[PG_REASON__COUNT] = { false }, got[PG_REASON__COUNT] = { false };

	for (size_t i = 0; i < e->n_reasons; i++) {
		const char *tok = e->reasons[i], *colon = strchr(tok, ':');
		size_t klen = colon ? (size_t)(colon - tok) : strlen(tok);
		int kind = -1;

		for (int k = 0; k < PG_REASON__COUNT; k++)
			if (strlen(pg_reason_kind_name(k)) == klen &&
			    !strncmp(pg_reason_kind_name(k), tok, klen))
				kind = k;
		if (kind < 0)
			fail_msg("unknown reason kind in expect: %s", tok);
		want[kind] = true;
		if (colon) {
			bool found = false;

			for (size_t j = 0; j < rep->n_reasons && !found; j++)
				found = rep->reasons[j].kind == (enum pg_reason_kind)kind &&
					dotted_equal(&rep->reasons[j].module,
						     &rep->reasons[j].name, colon + 1,
						     strlen(colon + 1));
			if (!found) {
				print_report(rep);
				fail_msg("missing reason %s", tok);
			}
		}
	}
	for (size_t j = 0; j < rep->n_reasons; j++)
		got[rep->reasons[j].kind] = true;
	for (int k = 0; k < PG_REASON__COUNT; k++)
		if (want[k] != got[k]) {
			print_report(rep);
			fail_msg("reason kind %s: expected %s, got %s",
				 pg_reason_kind_name(k), want[k] ? "yes" : "no",
				 got[k] ? "yes" : "no");
		}
}

static void check_imports(const struct pg_report *rep, const struct expect *e)
{
	for (size_t i = 0; i < e->n_imports; i++) {
		bool found = false;

		for (size_t j = 0; j < rep->n_imports && !found; j++)
			found = dotted_equal(&rep->imports[j].module,
					     &rep->imports[j].name, e->imports[i],
					     strlen(e->imports[i]));
		if (!found) {
			print_report(rep);
			fail_msg("missing import %s", e->imports[i]);
		}
	}
	if (rep->n_imports != e->n_imports) {
		print_report(rep);
		fail_msg("%zu imports, expected %zu", rep->n_imports, e->n_imports);
	}
}

static void run_case(void **state)
{
	const struct test_case *tc = *state;
	struct pg_allowlist *al = pg_allowlist_new();
	struct pg_scan_config cfg = { 0 };
	struct pg_mem_source src;
	struct pg_reader rd;
	struct pg_report rep;
	struct expect e;
	size_t len, elen;
	char *data = slurp(tc->pkl_path, &len), *etext = slurp(tc->expect_path, &elen);
	char err[256];

	if (!data || !etext)
		fail_msg("cannot read %s or its .expect", tc->pkl_path);
	parse_expect(etext, &e);
	assert_non_null(al);
	assert_int_equal(pg_policy_add(al, "default", err, sizeof(err)), 0);
	for (size_t i = 0; i < e.n_allow; i++)
		assert_int_equal(pg_allowlist_add_spec(al, e.allow[i], err, sizeof(err)), 0);
	pg_limits_default(&cfg.limits);
	cfg.allow = al;
	pg_reader_from_memory(&rd, &src, data, len);
	assert_int_equal(pg_scan(&rd, &cfg, &rep), 0);
	if (strcmp(pg_verdict_name(rep.verdict), e.verdict)) {
		print_report(&rep);
		fail_msg("verdict %s, expected %s", pg_verdict_name(rep.verdict),
			 e.verdict);
	}
	check_reasons(&rep, &e);
	if (e.has_imports)
		check_imports(&rep, &e);
	pg_report_free(&rep);
	pg_allowlist_free(al);
	free(data);
	free(etext);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct test_case *)a)->name,
		      ((const struct test_case *)b)->name);
}

int main(int argc, char **argv)
{
	struct test_case *cases = NULL;
	struct CMUnitTest *tests;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: run_cases DIR [NAME]\n");
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 2;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct test_case *tc;

		if (l < 5 || strcmp(de->d_name + l - 4, ".pkl"))
			continue;
		if (argc > 2 && (strncmp(de->d_name, argv[2], l - 4) ||
				 strlen(argv[2]) != l - 4))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			cases = realloc(cases, cap * sizeof(*cases));
			if (!cases)
				return 2;
		}
		tc = &cases[n++];
		tc->name = strndup(de->d_name, l - 4);
		if (asprintf(&tc->pkl_path, "%s/%s", argv[1], de->d_name) < 0 ||
		    asprintf(&tc->expect_path, "%s/%s.expect", argv[1], tc->name) < 0)
			return 2;
	}
	closedir(d);
	if (!n) {
		fprintf(stderr, "run_cases: no cases in %s\n", argv[1]);
		return 2;
	}
	qsort(cases, n, sizeof(*cases), by_name);
	tests = calloc(n, sizeof(*tests));
	if (!tests)
		return 2;
	for (size_t i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	rc = _cmocka_run_group_tests("pickle cases", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free(cases[i].name);
		free(cases[i].pkl_path);
		free(cases[i].expect_path);
	}
	free(cases);
	free(tests);
	return rc;
}
