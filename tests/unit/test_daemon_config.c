/*
 * test_daemon_config.c: pickleguardd's configuration (daemon/config.c):
 * the built-in default, every key checked, errors that name file and line,
 * flags over the file, the allowlist built from profiles and files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/pgd-config-test.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Load text as a file; returns the config or NULL with err filled. */
static struct pgd_config *load(const char *text, const struct pgd_overrides *ov, char *err,
			       size_t errlen, char **pathp)
{
	char *path = write_temp(text);
	struct pgd_config *c = NULL;

	pgd_config_load(path, ov, &c, err, errlen);
	if (pathp)
		*pathp = path;
	else {
		unlink(path);
		free(path);
	}
	return c;
}

static void test_builtin_default(void **state)
{
	struct pgd_config *c = NULL;
	char err[512];

	/* no file given: the default file if present, else the built-in text */
	if (access(PGD_DEFAULT_CONFIG, F_OK) == 0)
		skip();
	assert_int_equal(pgd_config_load(NULL, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c->source, "built-in");
	assert_int_equal(c->mode, PGD_ENFORCE);
	assert_int_equal(c->guards.n, 0);
	assert_int_equal(c->ignore_marks, PGD_IGNORE_ROOT_WRITES);
	assert_int_equal(c->scan_timeout_ms, 10000);
	assert_string_equal(c->audit_file, "/var/log/pickleguard/audit.jsonl");
	assert_string_equal(c->control_socket, "/run/pickleguard/ctl.sock");
	assert_true(pgd_fallback_denies(c, c->on_timeout));
	assert_true(pg_allowlist_contains(c->allow, "torch._utils", 12, "_rebuild_tensor_v2", 18));
	assert_false(pg_allowlist_contains(c->allow, "os", 2, "system", 6));
	pgd_config_put(c);
}

static void test_ignore_marks_all(void **state)
{
	char err[512];
	struct pgd_config *c = load("[guard]\nignore_marks = all\n", NULL, err, sizeof(err), NULL);

	assert_non_null(c);
	assert_int_equal(c->ignore_marks, PGD_IGNORE_ALL);
	assert_string_equal(pgd_ignore_name(c->ignore_marks), "all");
	pgd_config_put(c);
}

static void test_values(void **state)
{
	char err[512];
	struct pgd_config *c = load("[guard]\nmode = audit\npaths = /a /b\n   /c\n"
				    "ignore_marks = no\n[scan]\nprofiles = sklearn\n"
				    "allow_imports = mymod.Thing\ntimeout = 250ms\n"
				    "on_timeout = allow\non_error = deny\nworkers = 3\n"
				    "backlog = 7\ncache_entries = 0\n[audit]\nfile =\n"
				    "journal = no\nlog = all\n",
				    NULL, err, sizeof(err), NULL);

	assert_non_null(c);
	assert_int_equal(c->mode, PGD_AUDIT);
	assert_int_equal(c->guards.n, 3);
	assert_string_equal(c->guards.v[2], "/c");
	assert_int_equal(c->ignore_marks, PGD_IGNORE_NONE);
	assert_int_equal(c->scan_timeout_ms, 250);
	/* audit mode: the default fallback allows, an explicit deny denies */
	assert_false(pgd_fallback_denies(c, PGD_FALLBACK_DEFAULT));
	assert_false(pgd_fallback_denies(c, c->on_timeout));
	assert_true(pgd_fallback_denies(c, c->on_error));
	assert_int_equal(c->workers, 3);
	assert_int_equal(c->backlog, 7);
	assert_int_equal(c->cache_entries, 0);
	assert_string_equal(c->audit_file, "");
	assert_int_equal(c->journal, PGD_NO);
	assert_int_equal(c->log, PGD_LOG_ALL);
	assert_true(pg_allowlist_contains(c->allow, "mymod", 5, "Thing", 5));
	assert_true(pg_allowlist_contains(c->allow, "sklearn.tree._classes", 21,
					  "DecisionTreeClassifier", 22));
	pgd_config_put(c);
}

static void expect_error(const char *text, int line, const char *msg)
{
	char err[512], want[600], *path;
	struct pgd_config *c = load(text, NULL, err, sizeof(err), &path);

	assert_null(c);
	if (line)
		snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	else
		snprintf(want, sizeof(want), "%s", msg);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	unlink(path);
	free(path);
}

static void test_errors_name_file_and_line(void **state)
{
	expect_error("[guard]\nmode = sometimes\n", 2, "mode must be enforce or audit");
	expect_error("[guard]\n\nfrobnicate = 1\n", 3, "unknown key 'frobnicate' in section [guard]");
	expect_error("[nosuch]\nmode = audit\n", 2, "unknown key 'mode' in section [nosuch]");
	expect_error("[scan]\nworkers = 0\n", 2, "workers must be 1 to 64");
	expect_error("[scan]\nworkers = 2x\n", 2, "workers must be 1 to 64");
	expect_error("[scan]\ntimeout = soon\n", 2, "timeout must be a duration");
	expect_error("[scan]\ntimeout = 0s\n", 2, "timeout must be a duration");
	expect_error("[scan]\non_timeout = maybe\n", 2, "on_timeout must be default, allow or deny");
	expect_error("[scan]\nbacklog = -1\n", 2, "backlog must be 1 to 1048576");
	expect_error("[audit]\nlog = everything\n", 2, "log must be denied, model or all");
	expect_error("[guard]\nignore_marks = perhaps\n", 2, "ignore_marks must be yes, all or no");
	expect_error("just words\n", 1, "not a key = value line or [section]");
	expect_error("[scan]\nprofiles = nosuchprofile\n", 0, "profiles: ");
	expect_error("[scan]\nallow_imports = notdotted\n", 0, "allow_imports: ");
	expect_error("[scan]\nallow_files = /nonexistent/x.allow\n", 0,
		     "allow_files: /nonexistent/x.allow: No such file or directory");
	expect_error("[guard]\npaths = relative/dir\n", 0, "is not absolute");
}

static void test_missing_file(void **state)
{
	struct pgd_config *c = NULL;
	char err[512];

	assert_int_equal(pgd_config_load("/nonexistent/pickleguard.conf", NULL, &c, err,
					 sizeof(err)), -1);
	assert_null(c);
	assert_string_equal(err, "/nonexistent/pickleguard.conf: No such file or directory");
}

static void test_allow_file_errors_name_line(void **state)
{
	char *allow = write_temp("good.name  # fine\nnot a name\n");
	char text[256], err[512], want[600];
	struct pgd_config *c;

	snprintf(text, sizeof(text), "[scan]\nallow_files = %s\n", allow);
	c = load(text, NULL, err, sizeof(err), NULL);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:2", allow);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
	unlink(allow);
	free(allow);
}

static void test_overrides(void **state)
{
	char *guards[] = { "/x" }, *profiles[] = { "pandas" };
	struct pgd_overrides ov = {
		.mode = "audit",
		.guards = { guards, 1 },
		.profiles = { profiles, 1 },
		.log_file = "/tmp/audit.jsonl",
		.control_socket = "/tmp/pg.sock",
	};
	char err[512];
	struct pgd_config *c = load("[guard]\nmode = enforce\npaths = /a /b\n", &ov, err,
				    sizeof(err), NULL);

	assert_non_null(c);
	assert_int_equal(c->mode, PGD_AUDIT);
	assert_int_equal(c->guards.n, 1);
	assert_string_equal(c->guards.v[0], "/x");
	assert_string_equal(c->audit_file, "/tmp/audit.jsonl");
	assert_string_equal(c->control_socket, "/tmp/pg.sock");
	assert_string_equal(c->lock_file, "/tmp/pg.sock.lock");
	assert_true(pg_allowlist_contains(c->allow, "pandas.core.frame", 17, "DataFrame", 9));
	pgd_config_put(c);
	ov.mode = "lenient";
	assert_null(load("", &ov, err, sizeof(err), NULL));
	assert_string_equal(err, "--mode must be enforce or audit, not 'lenient'");
}

static void test_refcount(void **state)
{
	char err[512];
	struct pgd_config *c = load("", NULL, err, sizeof(err), NULL);

	assert_non_null(c);
	assert_ptr_equal(pgd_config_get(c), c);
	pgd_config_put(c);
	assert_int_equal(atomic_load(&c->refs), 1);
	pgd_config_put(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_default),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_ignore_marks_all),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_allow_file_errors_name_line),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_refcount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
