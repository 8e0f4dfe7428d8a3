/*
 * callables.c: the table of callables with rules.  Each row says why the
 * rule exists; keep it short and exact, like the allowlist.
 */
#include "callables.h"

#include <string.h>

static const struct pg_callable table[] = {
	{ "numpy.core.multiarray", "_reconstruct", PG_ROLE_PLAIN, PG_BUILD_NDARRAY, 0, 0,
	  "numpy reads an object array's list without checking its length", false },
	{ "numpy._core.multiarray", "_reconstruct", PG_ROLE_PLAIN, PG_BUILD_NDARRAY, 0, 0,
	  "numpy reads an object array's list without checking its length", false },
	{ "numpy", "dtype", PG_ROLE_PLAIN, PG_BUILD_DTYPE, 0, 0,
	  "numpy takes a structured dtype's field offsets and object flags from its state", false },
	{ "numpy", "ndarray", PG_ROLE_PLAIN, PG_BUILD_NDARRAY, 0, 0,
	  "numpy reads an object array's list without checking its length", false },
	{ "joblib.numpy_pickle", "NumpyArrayWrapper", PG_ROLE_PLAIN, PG_BUILD_ARRAY_WRAPPER, 0, 0,
	  "joblib reads raw array bytes after BUILD on its instances", false },
	{ "joblib.numpy_pickle", "NDArrayWrapper", PG_ROLE_PLAIN, PG_BUILD_ARRAY_WRAPPER, 0, 0,
	  "joblib reads raw array bytes after BUILD on its instances", false },
	{ "joblib.numpy_pickle", "ZNDArrayWrapper", PG_ROLE_PLAIN, PG_BUILD_ARRAY_WRAPPER, 0, 0,
	  "joblib reads raw array bytes after BUILD on its instances", false },
	{ "copyreg", "_reconstructor", PG_ROLE_GLOBAL_ARGS, 0, 0x3, 0,
	  "builds cls via base.__new__/__init__: both must be imports", true },
	{ "collections", "defaultdict", PG_ROLE_GLOBAL_ARGS, 0, 0x1, 0x1,
	  "stores its factory and calls it later: it must be an import or None", false },
	{ "torch._tensor", "_rebuild_from_type_v2", PG_ROLE_CALLS_ARG0, 0, 0x3, 0,
	  "calls func(*args), converts to new_type and sets state's items as attributes: "
	  "both must be imports, and func(*args) a call that passes", true },
	{ "torch._tensor", "_rebuild_from_type", PG_ROLE_CALLS_ARG0, 0, 0x3, 0,
	  "calls func(*args), converts to type and sets its __dict__: both must be imports, "
	  "and func(*args) a call that passes", true },
	{ "_codecs", "encode", PG_ROLE_CODECS_ENCODE, 0, 0, 0,
	  "pickle writes bytes as _codecs.encode(str, 'latin1') below protocol 3", false },
	{ "torch.storage", "_load_from_bytes", PG_ROLE_NESTED_TORCH, 0, 0, 0,
	  "runs torch.load on its argument", false },
	{ "pickle", "loads", PG_ROLE_NESTED_PICKLE, 0, 0, 0,
	  "unpickles its argument", false },
	{ "_pickle", "loads", PG_ROLE_NESTED_PICKLE, 0, 0, 0,
	  "unpickles its argument", false },
};

const struct pg_callable *pg_callable_find(struct pg_span module,
					   struct pg_span name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct pg_callable *c = &table[i];

		if (strlen(c->module) == module.len &&
		    strlen(c->name) == name.len &&
		    !memcmp(c->module, module.ptr, module.len) &&
		    !memcmp(c->name, name.ptr, name.len))
			return c;
	}
	return NULL;
}
