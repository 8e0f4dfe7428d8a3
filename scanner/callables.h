/*
 * callables.h: what the emulator must know about particular imports beyond
 * "allowed or not": which arguments must be imports themselves, which ones
 * load a nested pickle, which build bytes.  The allowlist decides whether an
 * import may appear at all; these rules decide how it may be called.  They
 * apply whether the import came from the default list or a user's list.
 */
#ifndef PG_CALLABLES_H
#define PG_CALLABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

enum pg_role {
	PG_ROLE_PLAIN = 0,	/* any arguments; the result is an object */
	PG_ROLE_GLOBAL_ARGS,	/* the arguments in global_args must be imports */
	PG_ROLE_CODECS_ENCODE,	/* _codecs.encode(str, "latin1"): constant bytes */
	PG_ROLE_NESTED_PICKLE,	/* loads its bytes argument as a pickle */
	PG_ROLE_NESTED_TORCH,	/* loads its bytes argument as a torch file */
	PG_ROLE_CALLS_ARG0,	/* global_args checked, then args[0](*args[2]) is
				 * called, and args[3] is set as attributes */
};

/* What BUILD on an object this callable made must be checked for. */
enum pg_build_rule {
	PG_BUILD_ANY = 0,
	PG_BUILD_NDARRAY, /* ndarray.__setstate__: object lists must fill the shape */
	PG_BUILD_DTYPE,	  /* dtype.__setstate__: no structured fields */
	PG_BUILD_ARRAY_WRAPPER, /* joblib reads raw array bytes after it (joblib.c) */
};

struct pg_callable {
	const char *module;
	const char *name;
	enum pg_role role;
	enum pg_build_rule build;
	uint8_t global_args;	/* bit i: argument i must be an import */
	uint8_t none_ok;	/* bit i: ... or None */
	const char *why;	/* shown in reasons */
	bool result_is_arg0;	/* the result is an instance of argument 0 (a
				 * class), or what it returns (a function): its
				 * rules apply to it */
};

/* The rules for an import, or NULL when it has none (PG_ROLE_PLAIN). */
const struct pg_callable *pg_callable_find(struct pg_span module,
					   struct pg_span name);

#endif
