/*
 * config.h: the daemon's configuration: an INI file (or the embedded
 * default, policy/pickleguard.conf) with command-line overrides, checked
 * whole before use, and the allowlist built from it.  A configuration is
 * immutable once loaded and shared by reference count: a reload builds a
 * new one and the event loop swaps the pointer, so no decision ever sees a
 * half-made configuration.
 */
#ifndef PGD_CONFIG_H
#define PGD_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_scan.h"

#define PGD_DEFAULT_CONFIG "/etc/pickleguard/pickleguard.conf"

enum pgd_mode { PGD_ENFORCE, PGD_AUDIT };

/* What a deadline, a full backlog or an unreadable file gets. */
enum pgd_fallback { PGD_FALLBACK_DEFAULT, PGD_FALLBACK_ALLOW, PGD_FALLBACK_DENY };

/* journald sink; BPF process probes.  auto: when available. */
enum pgd_auto { PGD_AUTO, PGD_YES, PGD_NO };

/* Which decisions get an audit record. */
enum pgd_log { PGD_LOG_DENIED, PGD_LOG_MODEL, PGD_LOG_ALL };

/* Which files found not to be models get an ignore mark: none; those only
 * root can write ("yes": a write through a shared mapping clears no mark,
 * so a file another user can write keeps being looked at); every one. */
enum pgd_ignore { PGD_IGNORE_NONE, PGD_IGNORE_ROOT_WRITES, PGD_IGNORE_ALL };

struct pgd_strv {
	char **v;
	size_t n;
};

/* Command-line flags: set ones replace what the file says. */
struct pgd_overrides {
	const char *mode;
	struct pgd_strv guards;
	struct pgd_strv profiles;
	const char *log_file;
	const char *control_socket; /* and its lock next to it: "<socket>.lock" */
	bool no_bpf;
};

struct pgd_config {
	atomic_int refs;
	char *source;		/* the file read, or "built-in" */
	enum pgd_mode mode;
	struct pgd_strv guards;	/* empty: every local filesystem */
	enum pgd_ignore ignore_marks;
	struct pgd_strv profiles, allow_files, allow_imports;
	uint64_t scan_timeout_ms;
	enum pgd_fallback on_timeout, on_error;
	unsigned workers, backlog, cache_entries;
	char *audit_file;	/* "" for none */
	enum pgd_auto journal;
	enum pgd_auto bpf;	/* process attribution from BPF probes */
	enum pgd_log log;
	char *control_socket, *lock_file;
	/* built from the above */
	struct pg_allowlist *allow;
	struct pg_scan_config scan;
};

/*
 * Load a configuration: the file at path, or with path NULL the default
 * file when it exists, else the embedded default.  Every error is
 * "FILE:LINE: message" in err; returns 0 or -1.
 */
int pgd_config_load(const char *path, const struct pgd_overrides *ov,
		    struct pgd_config **out, char *err, size_t errlen);
struct pgd_config *pgd_config_get(struct pgd_config *c);
void pgd_config_put(struct pgd_config *c);

/* Should a fallback deny in this mode? */
bool pgd_fallback_denies(const struct pgd_config *c, enum pgd_fallback f);
const char *pgd_mode_name(enum pgd_mode m);
const char *pgd_ignore_name(enum pgd_ignore i);

#endif
