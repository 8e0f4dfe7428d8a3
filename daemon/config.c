/*
 * config.c: see config.h.  The INI text is parsed by inih into a fresh
 * struct; every key is checked as it comes (unknown sections and keys are
 * errors, not ignored), then the allowlist is built from the default list,
 * the profiles and the allow files.  Nothing of a configuration that fails
 * is kept.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "policy.h"

struct parse {
	struct pgd_config *c;
	char msg[256];
};

static void strv_free(struct pgd_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Split on white space and append: inih hands over each continuation
 * line (and each repeat of a key) as another value of the same key. */
static int strv_add(struct pgd_strv *s, const char *value)
{
	char *copy = strdup(value), *save = NULL;

	if (!copy)
		return -1;
	for (char *t = strtok_r(copy, " \t\r\n", &save); t;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		char **grown = realloc(s->v, (s->n + 1) * sizeof(*grown));

		if (!grown) {
			free(copy);
			return -1;
		}
		s->v = grown;
		if (!(s->v[s->n] = strdup(t))) {
			free(copy);
			return -1;
		}
		s->n++;
	}
	free(copy);
	return 0;
}

static int strv_copy(struct pgd_strv *dst, const struct pgd_strv *src)
{
	struct pgd_strv out = { 0 };

	out.v = calloc(src->n ? src->n : 1, sizeof(*out.v));
	if (!out.v)
		return -1;
	for (; out.n < src->n; out.n++)
		if (!(out.v[out.n] = strdup(src->v[out.n]))) {
			strv_free(&out);
			return -1;
		}
	strv_free(dst);
	*dst = out;
	return 0;
}

static int set_str(char **dst, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -1;
	free(*dst);
	*dst = v;
	return 0;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
		 !strcasecmp(v, "off"))
		*out = false;
	else
		return false;
	return true;
}

static bool parse_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || end == v || *end || x < min || x > max || *v == '-')
		return false;
	*out = (unsigned)x;
	return true;
}

/* "10s", "500ms", "2m", or a number of seconds */
static bool parse_duration(const char *v, uint64_t *ms)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno || end == v || x < 0 || x > 86400)
		return false;
	if (!*end || !strcmp(end, "s"))
		x *= 1000;
	else if (!strcmp(end, "m"))
		x *= 60000;
	else if (strcmp(end, "ms"))
		return false;
	*ms = (uint64_t)x;
	return *ms > 0;
}

static bool parse_fallback(const char *v, enum pgd_fallback *out)
{
	if (!strcmp(v, "default"))
		*out = PGD_FALLBACK_DEFAULT;
	else if (!strcmp(v, "allow"))
		*out = PGD_FALLBACK_ALLOW;
	else if (!strcmp(v, "deny"))
		*out = PGD_FALLBACK_DENY;
	else
		return false;
	return true;
}

static bool parse_auto(const char *v, enum pgd_auto *out)
{
	bool b;

	if (!strcmp(v, "auto"))
		*out = PGD_AUTO;
	else if (parse_bool(v, &b))
		*out = b ? PGD_YES : PGD_NO;
	else
		return false;
	return true;
}

static bool parse_mode(const char *v, enum pgd_mode *out)
{
	if (!strcmp(v, "enforce"))
		*out = PGD_ENFORCE;
	else if (!strcmp(v, "audit"))
		*out = PGD_AUDIT;
	else
		return false;
	return true;
}

#define KEY(sec, key) (!strcmp(section, sec) && !strcmp(name, key))
#define BAD(...) (snprintf(p->msg, sizeof(p->msg), __VA_ARGS__), 0)

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	struct pgd_config *c = p->c;
	int oom = 0;

	if (KEY("guard", "mode")) {
		if (!parse_mode(value, &c->mode))
			return BAD("mode must be enforce or audit, not '%s'", value);
	} else if (KEY("guard", "paths")) {
		oom = strv_add(&c->guards, value);
	} else if (KEY("guard", "ignore_marks")) {
		bool on;

		if (!strcmp(value, "all"))
			c->ignore_marks = PGD_IGNORE_ALL;
		else if (parse_bool(value, &on))
			c->ignore_marks = on ? PGD_IGNORE_ROOT_WRITES : PGD_IGNORE_NONE;
		else
			return BAD("ignore_marks must be yes, all or no, not '%s'", value);
	} else if (KEY("scan", "profiles")) {
		oom = strv_add(&c->profiles, value);
	} else if (KEY("scan", "allow_files")) {
		oom = strv_add(&c->allow_files, value);
	} else if (KEY("scan", "allow_imports")) {
		oom = strv_add(&c->allow_imports, value);
	} else if (KEY("scan", "timeout")) {
		if (!parse_duration(value, &c->scan_timeout_ms))
			return BAD("timeout must be a duration like 10s or 500ms, not '%s'", value);
	} else if (KEY("scan", "on_timeout")) {
		if (!parse_fallback(value, &c->on_timeout))
			return BAD("on_timeout must be default, allow or deny, not '%s'", value);
	} else if (KEY("scan", "on_error")) {
		if (!parse_fallback(value, &c->on_error))
			return BAD("on_error must be default, allow or deny, not '%s'", value);
	} else if (KEY("scan", "workers")) {
		if (!parse_uint(value, 1, 64, &c->workers))
			return BAD("workers must be 1 to 64, not '%s'", value);
	} else if (KEY("scan", "backlog")) {
		if (!parse_uint(value, 1, 1u << 20, &c->backlog))
			return BAD("backlog must be 1 to 1048576, not '%s'", value);
	} else if (KEY("scan", "cache_entries")) {
		if (!parse_uint(value, 0, 1u << 24, &c->cache_entries))
			return BAD("cache_entries must be 0 to 16777216, not '%s'", value);
	} else if (KEY("audit", "file")) {
		oom = set_str(&c->audit_file, value);
	} else if (KEY("audit", "journal")) {
		if (!parse_auto(value, &c->journal))
			return BAD("journal must be yes, no or auto, not '%s'", value);
	} else if (KEY("process", "bpf")) {
		if (!parse_auto(value, &c->bpf))
			return BAD("bpf must be yes, no or auto, not '%s'", value);
	} else if (KEY("audit", "log")) {
		if (!strcmp(value, "denied"))
			c->log = PGD_LOG_DENIED;
		else if (!strcmp(value, "model"))
			c->log = PGD_LOG_MODEL;
		else if (!strcmp(value, "all"))
			c->log = PGD_LOG_ALL;
		else
			return BAD("log must be denied, model or all, not '%s'", value);
	} else if (KEY("control", "socket")) {
		oom = set_str(&c->control_socket, value);
	} else if (KEY("control", "lock")) {
		oom = set_str(&c->lock_file, value);
	} else if (!*name) {
		return BAD("empty key");
	} else {
		return BAD("unknown key '%s' in section [%s]", name, section);
	}
	if (oom)
		return BAD("out of memory");
	return 1;
}

static void config_free(struct pgd_config *c)
{
	if (!c)
		return;
	free(c->source);
	strv_free(&c->guards);
	strv_free(&c->profiles);
	strv_free(&c->allow_files);
	strv_free(&c->allow_imports);
	free(c->audit_file);
	free(c->control_socket);
	free(c->lock_file);
	pg_allowlist_free(c->allow);
	free(c);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	for (;;) {
		char *grown;

		if (*len + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 8192;
			if (cap > (64u << 20) || !(grown = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				errno = cap > (64u << 20) ? EFBIG : ENOMEM;
				return NULL;
			}
			buf = grown;
		}
		n = fread(buf + *len, 1, 4096, f);
		*len += n;
		if (n < 4096)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* The allowlist: default, profiles, files, single entries. */
static int build_allowlist(struct pgd_config *c, char *err, size_t errlen)
{
	char msg[512];

	c->allow = pg_allowlist_new();
	if (!c->allow || pg_policy_add(c->allow, "default", msg, sizeof(msg)))
		goto nomem;
	for (size_t i = 0; i < c->profiles.n; i++)
		if (pg_policy_add(c->allow, c->profiles.v[i], msg, sizeof(msg))) {
			snprintf(err, errlen, "%s: profiles: %s", c->source, msg);
			return -1;
		}
	for (size_t i = 0; i < c->allow_files.n; i++) {
		size_t len;
		char *text = slurp(c->allow_files.v[i], &len);

		if (!text) {
			snprintf(err, errlen, "%s: allow_files: %s: %s", c->source,
				 c->allow_files.v[i], strerror(errno));
			return -1;
		}
		if (pg_allowlist_parse(c->allow, text, len, c->allow_files.v[i], msg,
				       sizeof(msg))) {
			free(text);
			snprintf(err, errlen, "%s", msg);
			return -1;
		}
		free(text);
	}
	for (size_t i = 0; i < c->allow_imports.n; i++)
		if (pg_allowlist_add_spec(c->allow, c->allow_imports.v[i], msg, sizeof(msg))) {
			snprintf(err, errlen, "%s: allow_imports: %s", c->source, msg);
			return -1;
		}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int apply_overrides(struct pgd_config *c, const struct pgd_overrides *ov,
			   char *err, size_t errlen)
{
	if (!ov)
		return 0;
	if (ov->mode && !parse_mode(ov->mode, &c->mode)) {
		snprintf(err, errlen, "--mode must be enforce or audit, not '%s'", ov->mode);
		return -1;
	}
	if ((ov->guards.n && strv_copy(&c->guards, &ov->guards)) ||
	    (ov->profiles.n && strv_copy(&c->profiles, &ov->profiles)) ||
	    (ov->log_file && set_str(&c->audit_file, ov->log_file)) ||
	    (ov->control_socket && set_str(&c->control_socket, ov->control_socket))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (ov->no_bpf)
		c->bpf = PGD_NO;
	if (ov->control_socket) {
		char *lock = malloc(strlen(ov->control_socket) + sizeof(".lock"));

		if (!lock) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		strcpy(stpcpy(lock, ov->control_socket), ".lock");
		free(c->lock_file);
		c->lock_file = lock;
	}
	return 0;
}

/* Paths are used after the daemon has left its working directory. */
static int validate(const struct pgd_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->guards.n; i++)
		if (c->guards.v[i][0] != '/') {
			snprintf(err, errlen, "%s: guard path '%s' is not absolute", c->source,
				 c->guards.v[i]);
			return -1;
		}
	if ((c->audit_file[0] && c->audit_file[0] != '/') || c->control_socket[0] != '/' ||
	    c->lock_file[0] != '/') {
		snprintf(err, errlen, "%s: the audit file, control socket and lock must be "
				      "absolute paths", c->source);
		return -1;
	}
	return 0;
}

int pgd_config_load(const char *path, const struct pgd_overrides *ov,
		    struct pgd_config **out, char *err, size_t errlen)
{
	struct pgd_config *c = calloc(1, sizeof(*c));
	struct parse p = { .c = c };
	const char *text;
	char *file_text = NULL;
	size_t len;
	int line;

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	atomic_init(&c->refs, 1);
	c->scan_timeout_ms = 10000;
	c->workers = 2;
	c->backlog = 1024;
	c->cache_entries = 65536;
	c->ignore_marks = PGD_IGNORE_ROOT_WRITES;
	c->log = PGD_LOG_MODEL;
	if (!path && access(PGD_DEFAULT_CONFIG, F_OK) == 0)
		path = PGD_DEFAULT_CONFIG;
	if (path) {
		if (!(file_text = slurp(path, &len))) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		text = file_text;
		c->source = strdup(path);
	} else {
		text = pg_policy_default_config(&len);
		c->source = strdup("built-in");
	}
	if (!c->source || set_str(&c->audit_file, "") ||
	    set_str(&c->control_socket, "/run/pickleguard/ctl.sock") ||
	    set_str(&c->lock_file, "/run/pickleguard/pickleguardd.lock")) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!file_text && !(file_text = strndup(text, len))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (memchr(file_text, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte", c->source);
		goto fail;
	}
	line = ini_parse_string(file_text, handler, &p);
	if (line) {
		snprintf(err, errlen, "%s:%d: %s", c->source, line,
			 p.msg[0] ? p.msg : "not a key = value line or [section]");
		goto fail;
	}
	if (apply_overrides(c, ov, err, errlen) || validate(c, err, errlen) ||
	    build_allowlist(c, err, errlen))
		goto fail;
	pg_limits_default(&c->scan.limits);
	c->scan.allow = c->allow;
	free(file_text);
	*out = c;
	return 0;
fail:
	free(file_text);
	config_free(c);
	return -1;
}

struct pgd_config *pgd_config_get(struct pgd_config *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void pgd_config_put(struct pgd_config *c)
{
	if (c && atomic_fetch_sub(&c->refs, 1) == 1)
		config_free(c);
}

bool pgd_fallback_denies(const struct pgd_config *c, enum pgd_fallback f)
{
	if (f == PGD_FALLBACK_DEFAULT)
		return c->mode == PGD_ENFORCE;
	return f == PGD_FALLBACK_DENY;
}

const char *pgd_mode_name(enum pgd_mode m)
{
	return m == PGD_AUDIT ? "audit" : "enforce";
}

const char *pgd_ignore_name(enum pgd_ignore i)
{
	return i == PGD_IGNORE_ALL ? "all" : i == PGD_IGNORE_ROOT_WRITES ? "yes" : "no";
}
