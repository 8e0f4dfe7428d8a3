/*
 * pyname.h: what CPython's find_class really imports.  For protocols below 3
 * (and fix_imports, the default of every loader we emulate) Python 2 names
 * are mapped to Python 3 ones: first the (module, name) table, else the
 * module table.  The tables are generated from CPython's _compat_pickle.
 */
#ifndef PG_PYNAME_H
#define PG_PYNAME_H

#include "util.h"

/* Map (module, name) in place when proto < 3; the spans then point at
 * static strings. */
void pg_pyname_resolve(int proto, struct pg_span *module, struct pg_span *name);

#endif
