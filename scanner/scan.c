/*
 * scan.c: pg_scan(), the scanner's entry point.  Decides what the bytes
 * are and runs the emulator over every pickle a loader could read from
 * them: all concatenated streams of a raw pickle file to its end, and every
 * nested pickle a loader callable would unpickle.  Owns the final verdict.
 *
 * Whether a failed stream was a pickle at all: the emulator halts a stream
 * that fails where CPython fails too before anything could have run (a
 * text file, an image).  Such bytes at the start of a file make it
 * "not-pickle"; after a STOP they are trailing data, and unsafe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callables.h"
#include "cursor.h"
#include "pg_scan.h"
#include "report.h"
#include "strdecode.h"
#include "util.h"
#include "vm.h"

struct scan_ctx {
	const struct pg_scan_config *cfg;
	struct pg_report *rep;
	struct pg_vm *vm;
	struct pg_vm_env env;
	bool read_error;
};

/* A window [off, off + size) of another reader. */
struct sub_source {
	const struct pg_reader *parent;
	uint64_t off;
};

static ssize_t sub_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct sub_source *s = ctx;

	return s->parent->pread(s->parent->ctx, buf, len, s->off + off);
}

static int scan_streams(struct scan_ctx *ctx, const struct pg_reader *rd,
			const char *member, unsigned depth, bool *is_pickle);

static int reason(struct scan_ctx *ctx, enum pg_reason_kind kind,
		  uint64_t offset, const char *member, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int reason(struct scan_ctx *ctx, enum pg_reason_kind kind,
		  uint64_t offset, const char *member, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = pg_report_vreason(ctx->rep, ctx->cfg->limits.max_reasons, kind,
			       offset, member, PG_SPAN_NONE, PG_SPAN_NONE, fmt,
			       ap);
	va_end(ap);
	return rc;
}

/* Drop the reasons added since a stream began: it was no pickle. */
static void forget_reasons(struct pg_report *rep, size_t n, size_t dropped)
{
	while (rep->n_reasons > n) {
		struct pg_reason *r = &rep->reasons[--rep->n_reasons];

		free(r->module.ptr);
		free(r->name.ptr);
		free(r->member);
		free(r->detail);
	}
	rep->reasons_dropped = dropped;
}

/*
 * The bytes a loader callable gets, as a reader: a window of the stream
 * for constant bytes, decoded into *buf for a str that _codecs.encode or
 * an 8-bit string turns into bytes.  NULL detail on success.
 */
static const char *nested_source(struct scan_ctx *ctx,
				 const struct pg_reader *parent,
				 const struct pg_nested *n,
				 struct sub_source *sub, struct pg_mem_source *mem,
				 uint8_t **buf, struct pg_reader *out)
{
	struct pg_cursor c;
	ssize_t got;
	int rc;

	if (n->enc == PG_ENC_RAW) {
		sub->parent = parent;
		sub->off = n->offset;
		out->pread = sub_pread;
		out->ctx = sub;
		out->size = n->len;
		return NULL;
	}
	if (n->len > ctx->cfg->limits.max_nested_bytes)
		return "longer than max_nested_bytes";
	*buf = malloc(n->len ? (size_t)n->len : 1);
	if (!*buf)
		return "out of memory";
	if ((rc = pg_cursor_init(&c, parent, 64, 0, &ctx->rep->bytes_read)))
		return "out of memory";
	rc = pg_cursor_pread(&c, *buf, (size_t)n->len, n->offset);
	pg_cursor_free(&c);
	if (rc) {
		ctx->read_error = true;
		return "could not be read";
	}
	got = pg_str_latin1(n->enc, *buf, (size_t)n->len, *buf);
	if (got < 0)
		return "does not encode to bytes (code point above 0xFF)";
	pg_reader_from_memory(out, mem, *buf, (size_t)got);
	return NULL;
}

static int scan_nested(struct scan_ctx *ctx, const struct pg_reader *parent,
		       const struct pg_nested *n, const char *member,
		       unsigned depth)
{
	struct pg_mem_source mem;
	struct sub_source sub;
	struct pg_reader rd;
	uint8_t *buf = NULL;
	const char *why;
	char *where;
	bool is_pickle = false;
	int rc = 0;

	if (depth + 1 > ctx->cfg->limits.max_depth)
		return reason(ctx, PG_REASON_LIMIT, n->call_offset, member,
			      "nested pickles deeper than max_depth (%u)",
			      ctx->cfg->limits.max_depth);
	where = member ? pg_asprintf("%s/nested@0x%" PRIx64, member, n->offset)
		       : pg_asprintf("nested@0x%" PRIx64, n->offset);
	if (!where)
		return -ENOMEM;
	why = nested_source(ctx, parent, n, &sub, &mem, &buf, &rd);
	if (why)
		rc = reason(ctx, PG_REASON_NESTED, n->call_offset, member,
			    "argument of a loader callable %s", why);
	else
		rc = scan_streams(ctx, &rd, where, depth + 1, &is_pickle);
	if (!rc && !why && !is_pickle)
		/* the loader would fail on it; we cannot vouch for what a
		 * loader makes of bytes we do not recognise */
		rc = reason(ctx, PG_REASON_NESTED, n->call_offset, member,
			    "a loader callable gets %" PRIu64
			    " bytes that are not a pickle",
			    n->len);
	free(buf);
	free(where);
	return rc;
}

/* Every stream in rd, one after another, and the pickles nested in them. */
static int scan_streams(struct scan_ctx *ctx, const struct pg_reader *rd,
			const char *member, unsigned depth, bool *is_pickle)
{
	const struct pg_limits *lim = &ctx->cfg->limits;
	struct pg_report *rep = ctx->rep;
	struct pg_stream_result res;
	struct pg_nested *nested = NULL;
	struct pg_cursor cur;
	uint32_t streams = 0;
	size_t cap = lim->read_chunk;
	int rc;

	*is_pickle = false;
	if (!rd->size)
		return 0;
	if (cap < (size_t)lim->max_line + 1)
		cap = (size_t)lim->max_line + 1;
	rc = pg_cursor_init(&cur, rd, cap, 0, &rep->bytes_read);
	if (rc)
		return rc;
	while (!pg_cursor_at_end(&cur)) {
		size_t n_before = rep->n_reasons, dropped = rep->reasons_dropped;

		if (streams >= lim->max_streams) {
			rc = reason(ctx, PG_REASON_LIMIT, pg_cursor_off(&cur),
				    member, "more than max_streams (%u) pickles",
				    lim->max_streams);
			break;
		}
		ctx->env.member = member;
		rc = pg_vm_run(ctx->vm, &ctx->env, &cur, &res);
		if (rc)
			break;
		if (cur.err)
			ctx->read_error = true;
		if (res.halted) {
			forget_reasons(rep, n_before, dropped);
			if (streams)
				rc = reason(ctx, PG_REASON_TRAILING, res.start,
					    member,
					    "%" PRIu64 " bytes after the last STOP are not a pickle",
					    rd->size - res.start);
			break;
		}
		streams++;
		rep->streams++;
		*is_pickle = true;
		if (res.n_nested) {
			/* the vm's list is reused by the nested scans */
			free(nested);
			nested = malloc(res.n_nested * sizeof(*nested));
			if (!nested) {
				rc = -ENOMEM;
				break;
			}
			memcpy(nested, res.nested, res.n_nested * sizeof(*nested));
			for (size_t i = 0; i < res.n_nested && !rc; i++)
				rc = scan_nested(ctx, rd, &nested[i], member, depth);
			if (rc)
				break;
		}
		if (!res.stopped)
			break;
	}
	free(nested);
	pg_cursor_free(&cur);
	return rc;
}

/*
 * A read failed somewhere.  What was found before it still stands: unsafe
 * wins; otherwise the verdict is an error, never safe or not-pickle.
 */
static int read_failed(struct scan_ctx *ctx)
{
	struct pg_report *rep = ctx->rep;
	bool found = false, said = false;

	for (size_t i = 0; i < rep->n_reasons; i++) {
		if (rep->reasons[i].kind == PG_REASON_READ)
			said = true;
		else
			found = true;
	}
	if (!said && reason(ctx, PG_REASON_READ, 0, NULL, "the data could not be read"))
		return -ENOMEM;
	rep->verdict = found ? PG_VERDICT_UNSAFE : PG_VERDICT_ERROR;
	rep->error = -EIO;
	return 0;
}

int pg_scan(const struct pg_reader *rd, const struct pg_scan_config *cfg,
	    struct pg_report *rep)
{
	struct scan_ctx ctx = { .cfg = cfg, .rep = rep };
	bool is_pickle;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->format = "unknown";
	ctx.env.cfg = cfg;
	ctx.env.rep = rep;
	rc = pg_vm_new(&ctx.vm);
	if (!rc)
		rc = scan_streams(&ctx, rd, NULL, 0, &is_pickle);
	pg_vm_free(ctx.vm);
	free(ctx.env.roles);
	if (rc) {
		rep->verdict = PG_VERDICT_ERROR;
		rep->error = rc;
		return rc;
	}
	if (is_pickle)
		rep->format = "pickle";
	if (ctx.read_error)
		return read_failed(&ctx);
	if (!is_pickle)
		rep->verdict = PG_VERDICT_NOT_PICKLE;
	else if (rep->n_reasons || rep->reasons_dropped)
		rep->verdict = PG_VERDICT_UNSAFE;
	else
		rep->verdict = PG_VERDICT_SAFE;
	return 0;
}
