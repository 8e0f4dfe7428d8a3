/* pyname.c: see pyname.h. */
#include "pyname.h"

#include <stdlib.h>
#include <string.h>

struct name_map {
	const char *module, *name, *to_module, *to_name;
};

struct import_map {
	const char *module, *to_module;
};

#include "compat_pickle.inc"

/* Byte order, shorter first on a common prefix: the order Python sorted by. */
static int span_cmp(struct pg_span a, const char *b)
{
	size_t blen = strlen(b);
	int c = memcmp(a.ptr, b, a.len < blen ? a.len : blen);

	if (c)
		return c;
	return a.len < blen ? -1 : a.len > blen;
}

static struct pg_span span_of(const char *s)
{
	return (struct pg_span){ s, strlen(s) };
}

void pg_pyname_resolve(int proto, struct pg_span *module, struct pg_span *name)
{
	size_t lo, hi;

	if (proto >= 3)
		return;
	lo = 0;
	hi = sizeof(name_mapping) / sizeof(name_mapping[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct name_map *e = &name_mapping[mid];
		int c = span_cmp(*module, e->module);

		if (!c)
			c = span_cmp(*name, e->name);
		if (!c) {
			*module = span_of(e->to_module);
			*name = span_of(e->to_name);
			return;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	lo = 0;
	hi = sizeof(import_mapping) / sizeof(import_mapping[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = span_cmp(*module, import_mapping[mid].module);

		if (!c) {
			*module = span_of(import_mapping[mid].to_module);
			return;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
}
