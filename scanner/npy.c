/*
 * npy.c: NumPy's .npy format, read as numpy/lib/format.py reads it.  The
 * header is a Python dict literal (ast.literal_eval'd by numpy) with
 * 'descr', 'fortran_order' and 'shape'.  When the dtype holds Python
 * objects, the data is a pickle (numpy.load calls pickle.load there);
 * otherwise it is raw array bytes and never read.  A header we cannot
 * follow is unsafe: numpy may read it as an object array.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_ctx.h"

/* A Python literal, as far as npy headers go. */
enum lit_kind { LIT_STR, LIT_INT, LIT_NAME, LIT_TUPLE, LIT_LIST, LIT_DICT };

struct lit {
	enum lit_kind kind;
	const char *text; /* LIT_STR (raw, without quotes), LIT_NAME */
	size_t len;
	struct lit *items; /* containers; dicts: key, value, key, ... */
	size_t n;
};

struct parser {
	const char *p, *end;
	int depth;
};

static void lit_free(struct lit *l)
{
	for (size_t i = 0; i < l->n; i++)
		lit_free(&l->items[i]);
	free(l->items);
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool parse(struct parser *ps, struct lit *out);

static bool parse_seq(struct parser *ps, char close, struct lit *out,
		      bool dict)
{
	size_t cap = 0;

	for (;;) {
		struct lit item;

		skip_space(ps);
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return true;
		}
		for (int part = 0; part < (dict ? 2 : 1); part++) {
			if (part) {
				skip_space(ps);
				if (ps->p >= ps->end || *ps->p++ != ':')
					return false;
			}
			memset(&item, 0, sizeof(item));
			if (!parse(ps, &item)) {
				lit_free(&item);
				return false;
			}
			if (out->n == cap) {
				struct lit *grown;

				cap = cap ? 2 * cap : 8;
				grown = realloc(out->items, cap * sizeof(*grown));
				if (!grown) {
					lit_free(&item);
					return false;
				}
				out->items = grown;
			}
			out->items[out->n++] = item;
		}
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return true;
		}
		return false;
	}
}

static bool parse(struct parser *ps, struct lit *out)
{
	char c;

	skip_space(ps);
	if (ps->p >= ps->end || ++ps->depth > 32)
		return false;
	c = *ps->p;
	if (c == '\'' || c == '"') {
		const char *s = ++ps->p;

		/* an escape ('\\x4f' is 'O' to ast.literal_eval) is refused:
		 * numpy never writes one, and the text would not say the name */
		while (ps->p < ps->end && *ps->p != c) {
			if (*ps->p == '\\')
				return false;
			ps->p++;
		}
		if (ps->p >= ps->end)
			return false;
		out->kind = LIT_STR;
		out->text = s;
		out->len = (size_t)(ps->p++ - s);
	} else if (c == '(' || c == '[' || c == '{') {
		ps->p++;
		out->kind = c == '(' ? LIT_TUPLE : c == '[' ? LIT_LIST : LIT_DICT;
		if (!parse_seq(ps, c == '(' ? ')' : c == '[' ? ']' : '}', out,
			       c == '{'))
			return false;
	} else if ((c >= '0' && c <= '9') || c == '-') {
		const char *s = ps->p++;

		while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') ||
					   *ps->p == 'L' || *ps->p == '_'))
			ps->p++;
		out->kind = LIT_INT;
		out->text = s;
		out->len = (size_t)(ps->p - s);
	} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
		const char *s = ps->p;

		while (ps->p < ps->end && ((*ps->p >= 'A' && *ps->p <= 'Z') ||
					   (*ps->p >= 'a' && *ps->p <= 'z')))
			ps->p++;
		out->kind = LIT_NAME;
		out->text = s;
		out->len = (size_t)(ps->p - s);
		if (!(out->len == 4 && (!memcmp(s, "True", 4) || !memcmp(s, "None", 4))) &&
		    !(out->len == 5 && !memcmp(s, "False", 5)))
			return false;
	} else {
		return false;
	}
	ps->depth--;
	return true;
}

static bool lit_str_is(const struct lit *l, const char *s)
{
	return l->kind == LIT_STR && l->len == strlen(s) && !memcmp(l->text, s, l->len);
}

/*
 * Does a dtype descriptor hold objects?  A type string does when it
 * names the object type in any of numpy's spellings ('O', '|O8', 'object',
 * 'object_', 'O' inside '(2,)O' or 'f4,O'); a tuple (dtype, shape) when
 * its dtype does; a field list when any field's dtype does.  -1: a
 * descriptor numpy would not accept from a header.
 */
static int holds_objects(const struct lit *d, int depth)
{
	if (depth > 16)
		return -1;
	if (d->kind == LIT_STR) {
		for (size_t i = 0; i < d->len; i++)
			if (d->text[i] == 'O' ||
			    (d->len - i >= 6 && !memcmp(d->text + i, "object", 6)))
				return 1;
		return 0;
	}
	if (d->kind == LIT_TUPLE)
		return d->n == 2 ? holds_objects(&d->items[0], depth + 1) : -1;
	if (d->kind == LIT_LIST) {
		int any = 0;

		for (size_t i = 0; i < d->n; i++) {
			const struct lit *f = &d->items[i];
			int r;

			if ((f->kind != LIT_TUPLE && f->kind != LIT_LIST) ||
			    f->n < 2 || f->n > 3)
				return -1;
			r = holds_objects(&f->items[1], depth + 1);
			if (r < 0)
				return -1;
			any |= r;
		}
		return any;
	}
	return -1;
}

int pg_scan_npy(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth)
{
	static const struct pg_loader plain;
	struct pg_loader ld = plain;
	uint8_t pre[12];
	uint64_t hlen, data;
	struct parser ps;
	struct lit dict = { 0 };
	const struct lit *descr = NULL;
	char *header = NULL;
	bool is_pickle;
	int objects = -1, rc = 0;

	if (rd->size < 10 || pg_ctx_pread(ctx, rd, pre, rd->size < 12 ? 10 : 12, 0))
		return pg_ctx_reason(ctx, PG_REASON_MALFORMED, 0, member,
				     "npy: shorter than its header");
	if (pre[6] == 1) {
		hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
		data = 10 + hlen;
	} else if (pre[6] == 2 || pre[6] == 3) {
		hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8 |
		       (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
		data = 12 + hlen;
	} else {
		return pg_ctx_reason(ctx, PG_REASON_MALFORMED, 0, member,
				     "npy: unknown format version %u.%u", pre[6], pre[7]);
	}
	if (data > rd->size || hlen > ctx->cfg->limits.max_line)
		return pg_ctx_reason(ctx, PG_REASON_MALFORMED, 0, member,
				     "npy: header of %" PRIu64 " bytes does not fit", hlen);
	header = malloc((size_t)hlen + 1);
	if (!header)
		return -ENOMEM;
	if (pg_ctx_pread(ctx, rd, header, (size_t)hlen, data - hlen)) {
		free(header);
		return 0;
	}
	ps = (struct parser){ header, header + hlen, 0 };
	if (parse(&ps, &dict) && dict.kind == LIT_DICT) {
		skip_space(&ps);
		for (size_t i = 0; i + 1 < dict.n; i += 2)
			if (lit_str_is(&dict.items[i], "descr"))
				descr = &dict.items[i + 1];
		if (ps.p == ps.end && descr)
			objects = holds_objects(descr, 0);
	}
	if (objects < 0) {
		rc = pg_ctx_reason(ctx, PG_REASON_MALFORMED, 0, member,
				   "npy: header we cannot read the way numpy does: %.*s",
				   (int)(hlen > 200 ? 200 : hlen), header);
	} else if (objects) {
		/* numpy.load: pickle.load(fp) right after the header */
		ld.member = member;
		rc = pg_scan_pickles(ctx, rd, &ld, data, UINT64_MAX, depth + 1,
				     &is_pickle);
	}
	lit_free(&dict);
	free(header);
	return rc;
}
