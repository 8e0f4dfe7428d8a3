/*
 * policy.h: the allowlists built into pickleguard, so that the CLI and the
 * daemon run with no files installed.  The texts are the files in policy/allow,
 * embedded at build time; the same files are installed for reading.
 */
#ifndef PG_POLICY_H
#define PG_POLICY_H

#include <stddef.h>

#include "pg_scan.h"

struct pg_policy_text {
	const char *name; /* "default", or a profile name */
	const char *doc;  /* one line: which producers it admits */
	const char *text;
	size_t len;
};

/* All built-in lists, "default" first. */
const struct pg_policy_text *pg_policy_list(size_t *count);
const struct pg_policy_text *pg_policy_find(const char *name);

/*
 * Add a built-in list to al by name; "all" adds every list.  -ENOENT (with
 * err naming the known ones) for an unknown name.
 */
int pg_policy_add(struct pg_allowlist *al, const char *name, char *err,
		  size_t errlen);

/* The daemon's default configuration (policy/pickleguard.conf). */
const char *pg_policy_default_config(size_t *len);

#endif
