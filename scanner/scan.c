/*
 * scan.c: pg_scan(), the scanner's entry point, and the driver the format
 * handlers share (scan_ctx.h).  Decides what the bytes are (sniff.c), opens
 * containers through their handlers, and runs the emulator over every
 * pickle a loader could read: all concatenated streams to the end of the
 * data, and every nested pickle a loader callable would unpickle.  Owns the
 * final verdict.
 *
 * Whether a failed stream was a pickle at all: the emulator halts a stream
 * that fails where CPython fails too before anything could have run (a
 * text file, an image).  Such bytes at the start are "not-pickle"; after a
 * STOP they are trailing data, and unsafe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callables.h"
#include "cursor.h"
#include "decompress.h"
#include "report.h"
#include "scan_ctx.h"
#include "strdecode.h"
#include "util.h"

/* Bytes of the end of the data searched for a zip's end record. */
#define ZIP_TAIL PG_CLASSIFY_TAIL

int pg_ctx_reason(struct pg_scan_ctx *ctx, enum pg_reason_kind kind,
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

char *pg_member_join(const char *parent, const char *name)
{
	return parent ? pg_asprintf("%s/%s", parent, name) : strdup(name);
}

static ssize_t window_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct pg_window *w = ctx;

	return w->parent->pread(w->parent->ctx, buf, len, w->off + off);
}

void pg_window_reader(struct pg_reader *rd, struct pg_window *w,
		      const struct pg_reader *parent, uint64_t off,
		      uint64_t size)
{
	w->parent = parent;
	w->off = off;
	rd->pread = window_pread;
	rd->ctx = w;
	rd->size = size;
}

int pg_ctx_pread(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		 void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	if (off > rd->size || len > rd->size - off)
		return -1;
	if (pg_cancelled(ctx->cfg)) {
		ctx->read_error = true;
		return -1;
	}
	while (len) {
		ssize_t got = rd->pread(rd->ctx, p, len, off);

		if (got <= 0) {
			ctx->read_error = true;
			return -1;
		}
		p += got;
		off += (uint64_t)got;
		len -= (size_t)got;
	}
	return 0;
}

/* The file itself: every byte read from it is counted. */
struct counting {
	const struct pg_reader *rd;
	uint64_t *count;
};

static ssize_t counting_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct counting *c = ctx;
	ssize_t n = c->rd->pread(c->rd->ctx, buf, len, off);

	if (n > 0)
		*c->count += (uint64_t)n;
	return n;
}

/* What a stream read from the middle of another can tell: only whether
 * something would run. */
static bool is_finding(enum pg_reason_kind k)
{
	switch (k) {
	case PG_REASON_IMPORT:
	case PG_REASON_IMPORT_DOTTED:
	case PG_REASON_IMPORT_DUNDER:
	case PG_REASON_EXT:
	case PG_REASON_GLOBAL_OPERAND:
	case PG_REASON_CALL:
	case PG_REASON_BUILD:
	case PG_REASON_MUTATE:
	case PG_REASON_NESTED:
		return true;
	default:
		return false;
	}
}

static void keep_findings(struct pg_report *rep, size_t from)
{
	size_t out = from;

	for (size_t i = from; i < rep->n_reasons; i++) {
		struct pg_reason *r = &rep->reasons[i];

		if (is_finding(r->kind)) {
			rep->reasons[out++] = *r;
			continue;
		}
		free(r->module.ptr);
		free(r->name.ptr);
		free(r->member);
		free(r->detail);
	}
	rep->n_reasons = out;
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

static int vm_at(struct pg_scan_ctx *ctx, struct pg_vm **vm)
{
	if (ctx->level >= PG_VM_LEVELS)
		return -E2BIG;
	if (!ctx->vms[ctx->level] && pg_vm_new(&ctx->vms[ctx->level]))
		return -ENOMEM;
	*vm = ctx->vms[ctx->level];
	return 0;
}

static int scan_nested(struct pg_scan_ctx *ctx, const struct pg_reader *parent,
		       const struct pg_nested *n, const char *member,
		       unsigned depth);

/* One stream with an open cursor; nested pickles are scanned after it. */
static int run_stream(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		      const struct pg_loader *ld, struct pg_cursor *cur,
		      unsigned depth, struct pg_stream_result *res)
{
	struct pg_report *rep = ctx->rep;
	size_t n_before = rep->n_reasons, dropped = rep->reasons_dropped;
	struct pg_nested *nested = NULL;
	struct pg_vm *vm;
	int rc = vm_at(ctx, &vm);

	if (rc == -E2BIG)
		return pg_ctx_reason(ctx, PG_REASON_LIMIT, pg_cursor_off(cur),
				     ld->member, "pickles nested %u deep inside pickles",
				     PG_VM_LEVELS);
	if (rc)
		return rc;
	ctx->level++;
	rc = pg_vm_run(vm, &ctx->env, ld, cur, res);
	ctx->level--;
	if (rc)
		return rc;
	if (cur->err)
		ctx->read_error = true;
	if (ld->seed_unknowns)
		keep_findings(rep, n_before);
	/* a shadow that found nothing to report may still hand a constant to
	 * a loader callable: its nested pickle is scanned all the same */
	if (res->halted || (ld->only_effects && !res->effects) ||
	    (ld->seed_unknowns && rep->n_reasons == n_before && !res->n_nested)) {
		forget_reasons(rep, n_before, dropped);
		return 0;
	}
	rep->streams++;
	if (!res->n_nested)
		return 0;
	/* the emulator's list is reused by the nested scans */
	nested = malloc(res->n_nested * sizeof(*nested));
	if (!nested)
		return -ENOMEM;
	memcpy(nested, res->nested, res->n_nested * sizeof(*nested));
	for (size_t i = 0; i < res->n_nested && !rc; i++)
		rc = scan_nested(ctx, rd, &nested[i], ld->member, depth);
	free(nested);
	res->nested = NULL;
	res->n_nested = 0;
	return rc;
}

static size_t cursor_cap(const struct pg_limits *lim)
{
	return lim->read_chunk > lim->max_line ? lim->read_chunk
					       : (size_t)lim->max_line + 1;
}

int pg_scan_stream(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		   const struct pg_loader *ld, uint64_t off, unsigned depth,
		   struct pg_stream_result *res)
{
	struct pg_cursor cur;
	int rc = pg_cursor_init(&cur, rd, cursor_cap(&ctx->cfg->limits), off);

	if (rc)
		return rc;
	rc = run_stream(ctx, rd, ld, &cur, depth, res);
	pg_cursor_free(&cur);
	return rc;
}

int pg_scan_pickles(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		    const struct pg_loader *ld, uint64_t off, uint64_t limit,
		    unsigned depth, bool *is_pickle)
{
	const struct pg_limits *lim = &ctx->cfg->limits;
	struct pg_stream_result res;
	struct pg_cursor cur;
	uint32_t streams = 0;
	int rc;

	*is_pickle = false;
	if (off >= rd->size)
		return 0;
	rc = pg_cursor_init(&cur, rd, cursor_cap(lim), off);
	if (rc)
		return rc;
	while (!pg_cursor_at_end(&cur) && pg_cursor_off(&cur) < limit) {
		if (streams >= lim->max_streams) {
			rc = pg_ctx_reason(ctx, PG_REASON_LIMIT, pg_cursor_off(&cur),
					   ld->member,
					   "more than max_streams (%u) pickles",
					   lim->max_streams);
			break;
		}
		rc = run_stream(ctx, rd, ld, &cur, depth, &res);
		if (rc)
			break;
		if (res.halted) {
			if (streams && limit == UINT64_MAX)
				rc = pg_ctx_reason(ctx, PG_REASON_TRAILING, res.start,
						   ld->member,
						   "%" PRIu64 " bytes after the last STOP are not a pickle",
						   rd->size - res.start);
			break;
		}
		streams++;
		*is_pickle = true;
		if (!res.stopped)
			break;
	}
	pg_cursor_free(&cur);
	return rc;
}

/*
 * The bytes a loader callable gets, as a reader: a window of the stream
 * for constant bytes, decoded into *buf for a str that _codecs.encode or
 * an 8-bit string turns into bytes.  NULL on success, else why not.
 */
static const char *nested_source(struct pg_scan_ctx *ctx,
				 const struct pg_reader *parent,
				 const struct pg_nested *n, struct pg_window *win,
				 struct pg_mem_source *mem, uint8_t **buf,
				 struct pg_reader *out)
{
	ssize_t got;

	if (n->enc == PG_ENC_RAW) {
		pg_window_reader(out, win, parent, n->offset, n->len);
		return NULL;
	}
	if (n->len > ctx->cfg->limits.max_nested_bytes)
		return "longer than max_nested_bytes";
	*buf = malloc(n->len ? (size_t)n->len : 1);
	if (!*buf)
		return "out of memory";
	if (pg_ctx_pread(ctx, parent, *buf, (size_t)n->len, n->offset))
		return "could not be read";
	got = pg_str_latin1(n->enc, *buf, (size_t)n->len, *buf);
	if (got < 0)
		return "does not encode to bytes (code point above 0xFF)";
	pg_reader_from_memory(out, mem, *buf, (size_t)got);
	return NULL;
}

static int scan_nested(struct pg_scan_ctx *ctx, const struct pg_reader *parent,
		       const struct pg_nested *n, const char *member,
		       unsigned depth)
{
	static const struct pg_loader plain;
	uint32_t streams_before = ctx->rep->streams;
	struct pg_mem_source mem;
	struct pg_window win;
	struct pg_reader rd;
	struct pg_loader ld = plain;
	const char *why, *format;
	uint8_t *buf = NULL;
	char *where;
	bool is_pickle;
	int rc;

	if (depth + 1 > ctx->cfg->limits.max_depth)
		return pg_ctx_reason(ctx, PG_REASON_LIMIT, n->call_offset, member,
				     "nested pickles deeper than max_depth (%u)",
				     ctx->cfg->limits.max_depth);
	where = member ? pg_asprintf("%s/nested@0x%" PRIx64, member, n->offset)
		       : pg_asprintf("nested@0x%" PRIx64, n->offset);
	if (!where)
		return -ENOMEM;
	why = nested_source(ctx, parent, n, &win, &mem, &buf, &rd);
	if (why) {
		rc = pg_ctx_reason(ctx, PG_REASON_NESTED, n->call_offset, member,
				   "argument of a loader callable %s", why);
	} else if (n->torch) {
		/* torch.load: a zip checkpoint or a legacy file */
		rc = pg_scan_any(ctx, &rd, where, depth + 1, &format);
	} else {
		ld.member = where;
		rc = pg_scan_pickles(ctx, &rd, &ld, 0, UINT64_MAX, depth + 1,
				     &is_pickle);
	}
	if (!rc && !why && ctx->rep->streams == streams_before)
		/* the loader would fail on it; we cannot vouch for what a
		 * loader makes of bytes we do not recognise */
		rc = pg_ctx_reason(ctx, PG_REASON_NESTED, n->call_offset, member,
				   "a loader callable gets %" PRIu64
				   " bytes that are not a pickle",
				   n->len);
	free(buf);
	free(where);
	return rc;
}

/*
 * Emulate one stream from off into a report of its own: nothing found is
 * recorded.  For questions about the bytes before the real scan.
 */
static int dry_run(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		   uint64_t off, size_t cap, bool only_effects,
		   struct pg_stream_result *res)
{
	struct pg_loader ld = { .only_effects = only_effects };
	struct pg_report scratch = { 0 };
	struct pg_vm_env env = { .cfg = ctx->cfg, .rep = &scratch };
	struct pg_cursor cur;
	struct pg_vm *vm;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = vm_at(ctx, &vm)) || (rc = pg_cursor_init(&cur, rd, cap, off)))
		return rc;
	rc = pg_vm_run(vm, &env, &ld, &cur, res);
	res->nested = NULL;
	res->n_nested = 0;
	pg_cursor_free(&cur);
	free(env.roles);
	pg_report_free(&scratch);
	return rc;
}

bool pg_pickle_plausible(struct pg_scan_ctx *ctx, const uint8_t *head,
			 size_t n, bool only_effects)
{
	struct pg_stream_result res;
	struct pg_mem_source mem;
	struct pg_reader rd;

	pg_reader_from_memory(&rd, &mem, head, n);
	if (dry_run(ctx, &rd, 0, 64, only_effects, &res))
		return true; /* cannot tell: look closer */
	return !res.halted || res.ran_out;
}

/* A legacy torch file: its first pickle ends with the magic number. */
static bool torch_legacy(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
			 const uint8_t *head, size_t n)
{
	struct pg_stream_result res;
	uint8_t tail[PG_TORCH_MAGIC_LEN];

	if (!pg_torch_legacy_magic(head, n) ||
	    dry_run(ctx, rd, 0, cursor_cap(&ctx->cfg->limits), false, &res) ||
	    !res.stopped || res.end < sizeof(tail) ||
	    pg_ctx_pread(ctx, rd, tail, sizeof(tail), res.end - sizeof(tail)))
		return false;
	return pg_torch_magic_at_end(tail);
}

static enum pg_codec codec_of(enum pg_format f)
{
	switch (f) {
	case PG_FMT_GZIP: return PG_CODEC_GZIP;
	case PG_FMT_BZ2: return PG_CODEC_BZ2;
	case PG_FMT_XZ:
	case PG_FMT_LZMA: return PG_CODEC_XZ;
	case PG_FMT_LZ4: return PG_CODEC_LZ4;
	case PG_FMT_ZSTD: return PG_CODEC_ZSTD;
	default: return PG_CODEC_ZLIB;
	}
}

/*
 * A compression wrapper: what it decodes to is scanned like a file of its
 * own.  -ENOENT when it decodes to nothing at all (then it is not this
 * format: the caller goes on sniffing).
 */
static int scan_compressed(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
			   enum pg_format f, const char *member, unsigned depth)
{
	uint32_t streams_before = ctx->rep->streams;
	struct pg_inflated *inf;
	struct pg_reader inner;
	const char *why, *fmt;
	uint64_t start = 0;
	char *where;
	int rc;

	if (f == PG_FMT_JOBLIB_ZF) {
		/* "ZF" + the length in hex (0x...), padded to 18, maybe a space */
		uint8_t c;

		start = 2 + 18;
		if (!pg_ctx_pread(ctx, rd, &c, 1, start) && c == ' ')
			start++;
	}
	rc = pg_decompress(codec_of(f), rd, start, &ctx->cfg->limits, &inf, &why);
	if (rc)
		return rc;
	if (why && !pg_inflated_size(inf) && strncmp(why, "max_", 4)) {
		pg_inflated_free(inf);
		return -ENOENT;
	}
	ctx->rep->members_scanned++;
	where = pg_asprintf("%s(%s)", member ? member : "", pg_format_name(f));
	if (!where) {
		pg_inflated_free(inf);
		return -ENOMEM;
	}
	pg_inflated_reader(inf, &inner);
	rc = pg_scan_any(ctx, &inner, where, depth + 1, &fmt);
	if (!rc && why && !strncmp(why, "max_", 4))
		rc = pg_ctx_reason(ctx, PG_REASON_LIMIT, 0, where, "%s", why);
	else if (!rc && why && ctx->rep->streams != streams_before)
		/* the pickle loaders read it streaming: what decoded, ran */
		rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, 0, where,
				   "%s after %" PRIu64 " bytes", why,
				   pg_inflated_size(inf));
	free(where);
	pg_inflated_free(inf);
	return rc;
}

/* zipfile takes the last end-record signature in these bytes */
static bool has_end_record(const uint8_t *tail, size_t n)
{
	for (size_t i = n >= 22 ? n - 22 + 1 : 0; i-- > 0;)
		if (!memcmp(tail + i, "PK\x05\x06", 4))
			return true;
	return false;
}

/* Is there a zip end record in the last ZIP_TAIL bytes? */
static bool zip_behind(struct pg_scan_ctx *ctx, const struct pg_reader *rd)
{
	uint64_t n = rd->size < ZIP_TAIL ? rd->size : ZIP_TAIL;
	uint8_t *tail;
	bool found;

	if (n < 22 || !(tail = malloc((size_t)n)))
		return false;
	found = !pg_ctx_pread(ctx, rd, tail, (size_t)n, rd->size - n) &&
		has_end_record(tail, (size_t)n);
	free(tail);
	return found;
}

/* only_effects: for bytes under another format's magic, which are a
 * pickle only if they could run something (a safetensors header length of
 * 0x280 reads as PROTO 2, then fails). */
static int scan_raw(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		    const char *member, unsigned depth, bool only_effects, const char **format)
{
	struct pg_joblib *jb = pg_joblib_new(ctx, rd, depth);
	struct pg_loader ld = { .member = member };
	bool is_pickle;
	int rc;

	if (!jb)
		return -ENOMEM;
	/* joblib.load reads any raw pickle, and treats NumpyArrayWrapper
	 * specially; for everything else it is pickle.load */
	pg_joblib_loader(jb, &ld);
	ld.only_effects = only_effects;
	rc = pg_scan_pickles(ctx, rd, &ld, 0, UINT64_MAX, depth, &is_pickle);
	if (is_pickle)
		*format = pg_joblib_seen(jb) ? "joblib" : "pickle";
	pg_joblib_free(jb);
	return rc;
}

/* No known format at the head: a zip behind it, legacy torch, or a pickle. */
static int scan_unknown(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
			const uint8_t *head, size_t n, const char *member,
			unsigned depth, const char **format)
{
	if (zip_behind(ctx, rd))
		return pg_scan_zip(ctx, rd, member, depth, format);
	if (torch_legacy(ctx, rd, head, n)) {
		*format = "torch-legacy";
		return pg_scan_torch_legacy(ctx, rd, member, depth);
	}
	return scan_raw(ctx, rd, member, depth, false, format);
}

/* Data whose first bytes say format f (never tar).  A magic number is no
 * proof: pickle.load and torch.load read the same bytes as opcodes, so
 * formats with no pickle of their own, and compressed data, are also
 * scanned raw (a stream that is no pickle costs a few bytes). */
static int scan_format(struct pg_scan_ctx *ctx, const struct pg_reader *rd, enum pg_format f,
		       const uint8_t *head, size_t n, const char *member, unsigned depth,
		       const char **format)
{
	const char *raw_format;
	int rc;

	*format = pg_format_name(f);
	switch (f) {
	case PG_FMT_ZIP:
		return pg_scan_zip(ctx, rd, member, depth, format);
	case PG_FMT_NPY:
		rc = pg_scan_npy(ctx, rd, member, depth);
		break;
	case PG_FMT_7Z:
		rc = pg_ctx_reason(ctx, PG_REASON_UNSUPPORTED, 0, member,
				   "7z archive: not opened by the scanner (nor by torch.load)");
		break;
	case PG_FMT_SAFETENSORS:
	case PG_FMT_GGUF:
	case PG_FMT_HDF5:
		rc = scan_raw(ctx, rd, member, depth, true, &raw_format);
		break;
	case PG_FMT_GZIP:
	case PG_FMT_BZ2:
	case PG_FMT_XZ:
	case PG_FMT_LZMA:
	case PG_FMT_ZLIB:
	case PG_FMT_JOBLIB_ZF:
	case PG_FMT_LZ4:
	case PG_FMT_ZSTD:
		rc = scan_compressed(ctx, rd, f, member, depth);
		if (rc >= 0)
			rc = scan_raw(ctx, rd, member, depth, true, &raw_format);
		if (rc != -ENOENT)
			break;
		*format = "unknown";
		return scan_unknown(ctx, rd, head, n, member, depth, format);
	default:
		return scan_unknown(ctx, rd, head, n, member, depth, format);
	}
	/* zipfile finds an end record in the tail whatever the head is */
	if (rc >= 0 && zip_behind(ctx, rd)) {
		const char *zip_format;

		rc = pg_scan_zip(ctx, rd, member, depth, &zip_format);
	}
	return rc;
}

int pg_scan_any(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth, const char **format)
{
	uint8_t head[PG_SNIFF_HEAD];
	size_t n = rd->size < sizeof(head) ? (size_t)rd->size : sizeof(head);
	const char *other;
	enum pg_format f;
	int rc;

	*format = "unknown";
	if (depth > ctx->cfg->limits.max_depth)
		return pg_ctx_reason(ctx, PG_REASON_LIMIT, 0, member,
				     "containers nested deeper than max_depth (%u)",
				     ctx->cfg->limits.max_depth);
	if (!rd->size)
		return 0;
	if (pg_ctx_pread(ctx, rd, head, n, 0))
		return 0;
	if ((f = pg_sniff(head, n, rd->size)) != PG_FMT_TAR)
		return scan_format(ctx, rd, f, head, n, member, depth, format);
	/* tarfile reads a tar; every other reader reads what the header's
	 * first bytes (a member name) look like to it */
	rc = pg_scan_tar(ctx, rd, member, depth, format);
	if (rc < 0)
		return rc;
	return scan_format(ctx, rd, pg_sniff_magic(head, n, rd->size), head, n, member, depth,
			   &other);
}

struct pg_classifier {
	struct pg_scan_config cfg;
	struct pg_report rep;
	struct pg_scan_ctx ctx;
};

struct pg_classifier *pg_classifier_new(const struct pg_scan_config *cfg)
{
	struct pg_classifier *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg = *cfg;
	c->ctx.cfg = &c->cfg;
	c->ctx.rep = &c->rep;
	c->ctx.env.cfg = &c->cfg;
	c->ctx.env.rep = &c->rep;
	return c;
}

void pg_classifier_free(struct pg_classifier *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < PG_VM_LEVELS; i++)
		pg_vm_free(c->ctx.vms[i]);
	free(c->ctx.env.roles);
	pg_report_free(&c->rep);
	free(c);
}

bool pg_classifier_candidate(struct pg_classifier *c, const uint8_t *head,
			     size_t n, uint64_t size, const uint8_t *tail,
			     size_t tail_n)
{
	enum pg_format f;

	if (!n)
		return false;
	f = pg_sniff(head, n, size);
	if (f == PG_FMT_ZLIB && !pg_zlib_head_decodes(head, n))
		f = PG_FMT_UNKNOWN; /* two bytes of magic; the scan reads it as unknown too */
	switch (f) {
	case PG_FMT_SAFETENSORS:
	case PG_FMT_GGUF:
	case PG_FMT_HDF5:
	case PG_FMT_UNKNOWN:
		break;
	default:
		return true; /* a container or compressed data */
	}
	if (tail && has_end_record(tail, tail_n))
		return true; /* a zip behind, whatever the head is */
	/* a magic number is no proof: the scan reads these raw too */
	return pg_pickle_plausible(&c->ctx, head, n, false);
}

/*
 * A read failed somewhere.  What was found before it still stands: unsafe
 * wins; otherwise the verdict is an error, never safe or not-pickle.
 */
static int read_failed(struct pg_scan_ctx *ctx)
{
	struct pg_report *rep = ctx->rep;
	bool found = rep->reasons_dropped > 0, said = false;

	for (size_t i = 0; i < rep->n_reasons; i++) {
		if (rep->reasons[i].kind == PG_REASON_READ)
			said = true;
		else
			found = true;
	}
	if (!said && pg_ctx_reason(ctx, PG_REASON_READ, 0, NULL,
				   "the data could not be read"))
		return -ENOMEM;
	rep->verdict = found ? PG_VERDICT_UNSAFE : PG_VERDICT_ERROR;
	rep->error = -EIO;
	return 0;
}

int pg_scan(const struct pg_reader *rd, const struct pg_scan_config *cfg,
	    struct pg_report *rep)
{
	struct pg_scan_ctx ctx = { .cfg = cfg, .rep = rep };
	struct counting cnt = { rd, &rep->bytes_read };
	struct pg_reader file = { counting_pread, &cnt, rd->size };
	struct pg_mem_source mem;
	uint8_t *whole = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->format = "unknown";
	ctx.env.cfg = cfg;
	ctx.env.rep = rep;
	/* small files are read once: the sniffer, the zip end search and
	 * the emulator then share the bytes */
	if (rd->size <= cfg->limits.read_chunk && rd->size &&
	    (whole = malloc((size_t)rd->size)) &&
	    !pg_ctx_pread(&ctx, &file, whole, (size_t)rd->size, 0))
		pg_reader_from_memory(&file, &mem, whole, (size_t)rd->size);
	rc = pg_scan_any(&ctx, &file, NULL, 0, &rep->format);
	free(whole);
	for (unsigned i = 0; i < PG_VM_LEVELS; i++)
		pg_vm_free(ctx.vms[i]);
	free(ctx.env.roles);
	if (rc) {
		rep->verdict = PG_VERDICT_ERROR;
		rep->error = rc;
		return rc;
	}
	if (ctx.read_error)
		return read_failed(&ctx);
	if (rep->n_reasons || rep->reasons_dropped)
		rep->verdict = PG_VERDICT_UNSAFE;
	else if (rep->streams)
		rep->verdict = PG_VERDICT_SAFE;
	else
		rep->verdict = PG_VERDICT_NOT_PICKLE;
	return 0;
}
