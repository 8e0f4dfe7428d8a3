/* report.c: see report.h. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Open-addressing index over rep->imports: slot holds index + 1, 0 = empty. */
struct pg_import_index {
	uint32_t *slots;
	size_t mask;
};

static const char *const verdict_names[] = {
	[PG_VERDICT_SAFE] = "safe",
	[PG_VERDICT_UNSAFE] = "unsafe",
	[PG_VERDICT_NOT_PICKLE] = "not-pickle",
	[PG_VERDICT_ERROR] = "error",
};

const char *pg_verdict_name(enum pg_verdict v)
{
	if ((unsigned)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "error";
	return verdict_names[v];
}

static const char *const kind_names[] = {
#define PG_REASON_NAME(id, name, doc) [PG_REASON_##id] = name,
	PG_REASON_KINDS(PG_REASON_NAME)
#undef PG_REASON_NAME
};

static const char *const kind_docs[] = {
#define PG_REASON_DOC(id, name, doc) [PG_REASON_##id] = doc,
	PG_REASON_KINDS(PG_REASON_DOC)
#undef PG_REASON_DOC
};

const char *pg_reason_kind_name(enum pg_reason_kind k)
{
	return (unsigned)k < PG_REASON__COUNT ? kind_names[k] : "unknown";
}

const char *pg_reason_kind_doc(enum pg_reason_kind k)
{
	return (unsigned)k < PG_REASON__COUNT ? kind_docs[k] : "unknown";
}

static int copy_span(struct pg_bytes *dst, struct pg_span src)
{
	dst->ptr = pg_memdup0(src.ptr ? src.ptr : "", src.len);
	dst->len = src.len;
	return dst->ptr ? 0 : -ENOMEM;
}

int pg_report_vreason(struct pg_report *rep, uint32_t max_reasons,
		      enum pg_reason_kind kind, uint64_t offset,
		      const char *member, struct pg_span module,
		      struct pg_span name, const char *fmt, va_list ap)
{
	struct pg_reason *r;
	size_t cap = rep->n_reasons;
	int n;

	if (rep->n_reasons >= max_reasons) {
		rep->reasons_dropped++;
		return 0;
	}
	/* reasons grows one at a time: it is capped small */
	r = realloc(rep->reasons, (cap + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	rep->reasons = r;
	r = &rep->reasons[rep->n_reasons];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->offset = offset;
	if (copy_span(&r->module, module) || copy_span(&r->name, name))
		goto nomem;
	if (member && !(r->member = strdup(member)))
		goto nomem;
	n = vasprintf(&r->detail, fmt, ap);
	if (n < 0) {
		r->detail = NULL;
		goto nomem;
	}
	rep->n_reasons++;
	return 0;
nomem:
	free(r->module.ptr);
	free(r->name.ptr);
	free(r->member);
	return -ENOMEM;
}

int pg_report_reason(struct pg_report *rep, uint32_t max_reasons,
		     enum pg_reason_kind kind, uint64_t offset,
		     const char *member, struct pg_span module,
		     struct pg_span name, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pg_report_vreason(rep, max_reasons, kind, offset, member, module,
			       name, fmt, ap);
	va_end(ap);
	return rc;
}

static uint64_t import_hash(struct pg_span m, struct pg_span n)
{
	uint64_t h = pg_hash_bytes(0, m.ptr, m.len);

	h = pg_hash_bytes(h ^ 0x2e, n.ptr, n.len);
	return h;
}

static bool import_equal(const struct pg_import *imp, struct pg_span m,
			 struct pg_span n)
{
	return imp->module.len == m.len && imp->name.len == n.len &&
	       !memcmp(imp->module.ptr, m.ptr, m.len) &&
	       !memcmp(imp->name.ptr, n.ptr, n.len);
}

static int index_rehash(struct pg_report *rep, size_t nslots)
{
	struct pg_import_index *ix = rep->import_index;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < rep->n_imports; i++) {
		struct pg_import *imp = &rep->imports[i];
		struct pg_span m = { imp->module.ptr, imp->module.len };
		struct pg_span n = { imp->name.ptr, imp->name.len };
		size_t s = import_hash(m, n) & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(ix->slots);
	ix->slots = slots;
	ix->mask = nslots - 1;
	return 0;
}

long pg_report_import(struct pg_report *rep, struct pg_span module,
		      struct pg_span name, bool allowed, bool *is_new)
{
	struct pg_import_index *ix = rep->import_index;
	struct pg_import *imp;
	size_t s;

	*is_new = false;
	if (!ix) {
		ix = calloc(1, sizeof(*ix));
		if (!ix)
			return -ENOMEM;
		rep->import_index = ix;
		if (index_rehash(rep, 64))
			return -ENOMEM;
	}
	for (s = import_hash(module, name) & ix->mask; ix->slots[s];
	     s = (s + 1) & ix->mask) {
		imp = &rep->imports[ix->slots[s] - 1];
		if (import_equal(imp, module, name))
			return (long)(ix->slots[s] - 1);
	}
	if (rep->n_imports >= UINT32_MAX - 1)
		return -ENOMEM;
	imp = realloc(rep->imports, (rep->n_imports + 1) * sizeof(*imp));
	if (!imp)
		return -ENOMEM;
	rep->imports = imp;
	imp = &rep->imports[rep->n_imports];
	memset(imp, 0, sizeof(*imp));
	if (copy_span(&imp->module, module) || copy_span(&imp->name, name)) {
		free(imp->module.ptr);
		free(imp->name.ptr);
		return -ENOMEM;
	}
	imp->allowed = allowed;
	ix->slots[s] = (uint32_t)rep->n_imports + 1;
	rep->n_imports++;
	*is_new = true;
	if (rep->n_imports * 2 > ix->mask + 1 &&
	    index_rehash(rep, (ix->mask + 1) * 2))
		return -ENOMEM;
	return (long)(rep->n_imports - 1);
}

void pg_report_free(struct pg_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->n_reasons; i++) {
		free(rep->reasons[i].module.ptr);
		free(rep->reasons[i].name.ptr);
		free(rep->reasons[i].member);
		free(rep->reasons[i].detail);
	}
	for (size_t i = 0; i < rep->n_imports; i++) {
		free(rep->imports[i].module.ptr);
		free(rep->imports[i].name.ptr);
	}
	free(rep->reasons);
	free(rep->imports);
	if (rep->import_index)
		free(rep->import_index->slots);
	free(rep->import_index);
	memset(rep, 0, sizeof(*rep));
}
