/*
 * zip.c: zip archives, read so that every zip reader would read them the
 * same way, or not at all.
 *
 * Two parsers must agree: libzip, opened with ZIP_CHECKCONS (local headers
 * checked against the central directory, no duplicate names), and our own
 * walk of the central directory, which adds what libzip does not check and
 * what loaders disagree on: encryption or patch flags in either header,
 * flags differing between them, compression methods other than stored and
 * deflate (torch's miniz reads only those), overlapping or out-of-bounds
 * entries, a second end record, offsets that only fit once shifted.
 * Bytes before the first local header are scanned as pickles: pickle.load
 * runs them even though a zip sits behind.
 *
 * Members: every name ending in .pkl/.pickle (and torch's data.pkl and
 * constants.pkl) is a pickle; .npy is NumPy; anything else is scanned by
 * its content, through the format dispatcher (nested archives, compressed
 * data, pickles with innocent names) after a 64-byte look.  A PyTorch
 * checkpoint (<dir>/data.pkl) is read with torch's persistent ids; a
 * TorchScript archive (<dir>/constants.pkl) resolves __torch__ classes
 * against its code/, accepted only with the torchscript profile.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

#include "decompress.h"
#include "scan_ctx.h"
#include "util.h"

#define EOCD_MIN 22
#define TAIL (65535 + EOCD_MIN)
#define SNIFF 64
/* Pickle members up to this size are read once into memory (checked
 * against their CRC as they are). */
#define PICKLE_IN_MEMORY (64u << 20)

/* general purpose flags */
#define GPF_ENCRYPTED 0x0001
#define GPF_DESCRIPTOR 0x0008
#define GPF_PATCHED 0x0020
#define GPF_STRONG 0x0040
#define GPF_UTF8 0x0800
#define GPF_MASKED 0x2000

struct entry {
	char *name;
	size_t name_len;
	uint16_t flags, method;
	uint32_t crc;
	uint64_t csize, usize;
	uint64_t lh;	  /* local header offset, shifted */
	uint64_t data;	  /* first data byte */
	uint64_t end;	  /* one past the data (and descriptor) */
	bool bad;	  /* unreadable: encrypted, unknown method, bad header */
};

struct archive {
	struct pg_scan_ctx *ctx;
	const struct pg_reader *rd;
	const char *member;
	unsigned depth;	      /* of this archive: its members are one deeper */
	struct entry *e;
	size_t n;
	uint64_t cd, cd_size; /* central directory, where it really is */
	uint64_t shift;	      /* bytes the offsets are off by */
	int rc;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void __attribute__((format(printf, 3, 4)))
bad(struct archive *a, uint64_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!a->rc)
		a->rc = pg_ctx_reason(a->ctx, PG_REASON_CONTAINER, off, a->member,
				      "zip: %s", msg);
}

/*
 * The end record: the last "PK\5\6" whose comment runs exactly to the end
 * of the data, as zipfile and miniz take it; zip64 records when its fields
 * say so.  Another candidate end record means readers may disagree.
 */
static bool find_end(struct archive *a, uint64_t *count)
{
	uint64_t n = a->rd->size < TAIL ? a->rd->size : TAIL, base, eocd = 0;
	uint8_t *t = malloc(n ? (size_t)n : 1), loc[20], z64[56];
	bool found = false;
	size_t i;

	if (!t) {
		a->rc = -ENOMEM;
		return false;
	}
	base = a->rd->size - n;
	if (n < EOCD_MIN || pg_ctx_pread(a->ctx, a->rd, t, (size_t)n, base)) {
		free(t);
		return false;
	}
	for (i = (size_t)n - EOCD_MIN + 1; i-- > 0;) {
		if (memcmp(t + i, "PK\x05\x06", 4))
			continue;
		if (!found && i + EOCD_MIN + le16(t + i + 20) == n) {
			found = true;
			eocd = base + i;
			*count = le16(t + i + 10);
			a->cd_size = le32(t + i + 12);
			a->cd = le32(t + i + 16);
			if (le16(t + i + 4) || le16(t + i + 6) ||
			    le16(t + i + 8) != le16(t + i + 10))
				bad(a, base + i, "multi-disk archive");
		} else {
			bad(a, base + i, "more than one end-of-central-directory record");
		}
	}
	free(t);
	if (!found)
		return false;
	/* a zip64 locator right before the end record (torch always writes
	 * one): its record's values win, as in zipfile and miniz */
	if (eocd >= 20 && !pg_ctx_pread(a->ctx, a->rd, loc, 20, eocd - 20) &&
	    !memcmp(loc, "PK\x06\x07", 4)) {
		uint64_t z = le64(loc + 8) + (eocd - 20 - 56 - le64(loc + 8));

		/* the record sits right before the locator; its stated offset
		 * may be short by prepended bytes like every other offset */
		if (eocd < 20 + 56 || pg_ctx_pread(a->ctx, a->rd, z64, 56, z) ||
		    memcmp(z64, "PK\x06\x06", 4)) {
			bad(a, eocd, "broken zip64 end record");
			return false;
		}
		/* miniz and libzip go where the locator says, zipfile right
		 * before it: one record for all, of the plain size */
		if (le64(loc + 8) != z)
			bad(a, eocd, "zip64 locator names a record at 0x%" PRIx64
				     ", zipfile reads the one at 0x%" PRIx64, le64(loc + 8), z);
		if (le64(z64 + 4) != 44)
			bad(a, eocd, "zip64 end record of %" PRIu64 " bytes, not 44 "
				     "(extensible data that can hide another)", le64(z64 + 4));
		*count = le64(z64 + 32);
		a->cd_size = le64(z64 + 40);
		a->cd = le64(z64 + 48);
		eocd = z;
	} else if (*count == 0xffff || a->cd == 0xffffffff ||
		   a->cd_size == 0xffffffff) {
		bad(a, eocd, "zip64 values without a zip64 end record");
		return false;
	}
	if (a->cd > eocd || a->cd_size > eocd - a->cd) {
		bad(a, eocd, "central directory out of bounds");
		return false;
	}
	/* zipfile shifts every offset when data was prepended; miniz does not */
	a->shift = eocd - a->cd - a->cd_size;
	if (a->shift)
		bad(a, eocd, "offsets are %" PRIu64 " bytes short of where the entries are "
			     "(data prepended without fixing them)", a->shift);
	a->cd += a->shift;
	return true;
}

/* zip64 extended information: the fields that were 0xffffffff */
static void zip64_extra(const uint8_t *x, size_t len, struct entry *e,
			bool usize, bool csize, bool off)
{
	while (len >= 4) {
		uint16_t id = le16(x), n = le16(x + 2);
		const uint8_t *p = x + 4, *end;

		if ((size_t)n + 4 > len)
			return;
		end = p + n;
		if (id == 1) {
			if (usize && p + 8 <= end)
				e->usize = le64(p), p += 8;
			if (csize && p + 8 <= end)
				e->csize = le64(p), p += 8;
			if (off && p + 8 <= end)
				e->lh = le64(p);
			return;
		}
		x += 4 + n;
		len -= 4 + (size_t)n;
	}
}

static bool read_central(struct archive *a, uint64_t count)
{
	uint8_t *cd, *p, *end;

	if (count > a->ctx->cfg->limits.max_members) {
		a->rc = pg_ctx_reason(a->ctx, PG_REASON_LIMIT, a->cd, a->member,
				      "zip: more than max_members entries");
		return false;
	}
	if (a->cd_size > (64u << 20) || !(cd = malloc(a->cd_size ? (size_t)a->cd_size : 1))) {
		a->rc = a->cd_size > (64u << 20) ? pg_ctx_reason(a->ctx, PG_REASON_LIMIT,
								   a->cd, a->member,
								   "zip: central directory over 64 MiB")
						 : -ENOMEM;
		return false;
	}
	if (pg_ctx_pread(a->ctx, a->rd, cd, (size_t)a->cd_size, a->cd)) {
		free(cd);
		return false;
	}
	a->e = calloc(count ? (size_t)count : 1, sizeof(*a->e));
	if (!a->e) {
		free(cd);
		a->rc = -ENOMEM;
		return false;
	}
	for (p = cd, end = cd + a->cd_size; a->n < count; a->n++) {
		struct entry *e = &a->e[a->n];
		uint16_t nl, xl, cl;

		if (end - p < 46 || memcmp(p, "PK\x01\x02", 4)) {
			bad(a, a->cd + (uint64_t)(p - cd), "central directory entry %zu is broken",
			    a->n);
			break;
		}
		nl = le16(p + 28);
		xl = le16(p + 30);
		cl = le16(p + 32);
		if ((size_t)(end - p) < 46u + nl + xl + cl) {
			bad(a, a->cd + (uint64_t)(p - cd), "central directory entry %zu overruns",
			    a->n);
			break;
		}
		e->flags = le16(p + 8);
		e->method = le16(p + 10);
		e->crc = le32(p + 16);
		e->csize = le32(p + 20);
		e->usize = le32(p + 24);
		e->lh = le32(p + 42);
		zip64_extra(p + 46 + nl, xl, e, e->usize == 0xffffffff,
			    e->csize == 0xffffffff, e->lh == 0xffffffff);
		e->lh += a->shift;
		e->name_len = nl;
		if (!(e->name = pg_memdup0(p + 46, nl))) {
			a->rc = -ENOMEM;
			break;
		}
		p += 46u + nl + xl + cl;
	}
	if (!a->rc && a->n == count && p != end)
		bad(a, a->cd, "central directory holds more than its %" PRIu64 " entries", count);
	free(cd);
	return !a->rc && a->n == count;
}

/* Local header: its name and flags must be the central directory's. */
static void check_local(struct archive *a, struct entry *e)
{
	uint8_t h[30];
	uint16_t nl, xl, lflags;
	char *lname;

	if (e->lh > a->cd || a->cd - e->lh < 30 ||
	    pg_ctx_pread(a->ctx, a->rd, h, 30, e->lh) || memcmp(h, "PK\x03\x04", 4)) {
		bad(a, e->lh, "%s: no local header where the central directory says", e->name);
		e->bad = true;
		return;
	}
	lflags = le16(h + 6);
	nl = le16(h + 26);
	xl = le16(h + 28);
	e->data = e->lh + 30 + nl + xl;
	if ((lflags & ~GPF_DESCRIPTOR) != (e->flags & ~GPF_DESCRIPTOR))
		bad(a, e->lh, "%s: local header flags 0x%x, central directory 0x%x",
		    e->name, lflags, e->flags);
	if (le16(h + 8) != e->method)
		bad(a, e->lh, "%s: local and central compression methods differ", e->name);
	if (!(lflags & GPF_DESCRIPTOR) &&
	    (le32(h + 14) != e->crc ||
	     (le32(h + 18) != e->csize && le32(h + 18) != 0xffffffff) ||
	     (le32(h + 22) != e->usize && le32(h + 22) != 0xffffffff)))
		bad(a, e->lh, "%s: local and central CRC or sizes differ", e->name);
	lname = malloc(nl ? nl : 1);
	if (!lname) {
		a->rc = -ENOMEM;
		return;
	}
	if (nl != e->name_len || pg_ctx_pread(a->ctx, a->rd, lname, nl, e->lh + 30) ||
	    memcmp(lname, e->name, nl))
		bad(a, e->lh, "local header names '%.*s', the central directory '%s'",
		    (int)nl, lname, e->name);
	free(lname);
	if (e->data > a->cd || e->csize > a->cd - e->data) {
		bad(a, e->lh, "%s: data runs past the central directory", e->name);
		e->bad = true;
		return;
	}
	e->end = e->data + e->csize;
}

static int by_offset(const void *x, const void *y)
{
	const struct entry *a = *(const struct entry *const *)x;
	const struct entry *b = *(const struct entry *const *)y;

	return a->lh < b->lh ? -1 : a->lh > b->lh;
}

static void check_entries(struct archive *a)
{
	struct entry **order = calloc(a->n ? a->n : 1, sizeof(*order));

	if (!order) {
		a->rc = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < a->n; i++) {
		struct entry *e = &a->e[i];

		order[i] = e;
		if (e->flags & (GPF_ENCRYPTED | GPF_STRONG | GPF_MASKED)) {
			bad(a, e->lh, "%s: encrypted member", e->name);
			e->bad = true;
		}
		if (e->flags & GPF_PATCHED) {
			bad(a, e->lh, "%s: compressed patched data", e->name);
			e->bad = true;
		}
		if (e->method != 0 && e->method != 8) {
			bad(a, e->lh, "%s: compression method %u (torch reads only stored "
				      "and deflate)", e->name, e->method);
			e->bad = true;
		}
		for (size_t j = 0; j < i; j++)
			if (a->e[j].name_len == e->name_len &&
			    !memcmp(a->e[j].name, e->name, e->name_len))
				bad(a, e->lh, "duplicate member name '%s' (torch reads the first, "
					      "zipfile the last)", e->name);
		check_local(a, e);
	}
	qsort(order, a->n, sizeof(*order), by_offset);
	for (size_t i = 1; i < a->n; i++)
		if (!order[i - 1]->bad && order[i - 1]->end > order[i]->lh)
			bad(a, order[i]->lh, "members '%s' and '%s' overlap",
			    order[i - 1]->name, order[i]->name);
	free(order);
}

/* ---- libzip, through our reader ---- */

struct zsrc {
	const struct pg_reader *rd;
	uint64_t pos;
	zip_error_t err;
};

static zip_int64_t zsrc_cb(void *ud, void *data, zip_uint64_t len,
			   zip_source_cmd_t cmd)
{
	struct zsrc *z = ud;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		z->pos = 0;
		return 0;
	case ZIP_SOURCE_READ: {
		ssize_t got;

		if (z->pos >= z->rd->size)
			return 0;
		if (len > z->rd->size - z->pos)
			len = z->rd->size - z->pos;
		got = z->rd->pread(z->rd->ctx, data, (size_t)len, z->pos);
		if (got < 0) {
			zip_error_set(&z->err, ZIP_ER_READ, (int)-got);
			return -1;
		}
		z->pos += (uint64_t)got;
		return got;
	}
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;

		if (len < sizeof(*st))
			return -1;
		zip_stat_init(st);
		st->size = z->rd->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&z->err, data, len);
	case ZIP_SOURCE_SEEK: {
		zip_int64_t at = zip_source_seek_compute_offset(z->pos, z->rd->size,
								data, len, &z->err);

		if (at < 0)
			return -1;
		z->pos = (uint64_t)at;
		return 0;
	}
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)z->pos;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(
			ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
			ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
			ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL, ZIP_SOURCE_SUPPORTS, -1);
	case ZIP_SOURCE_FREE:
		zip_error_fini(&z->err);
		return 0;
	default:
		zip_error_set(&z->err, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static zip_t *libzip_open(struct archive *a, struct zsrc *z)
{
	zip_error_t err;
	zip_source_t *src;
	zip_t *za;

	zip_error_init(&err);
	zip_error_init(&z->err);
	z->rd = a->rd;
	src = zip_source_function_create(zsrc_cb, z, &err);
	if (!src) {
		a->rc = -ENOMEM;
		zip_error_fini(&err);
		return NULL;
	}
	za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
	if (!za) {
		if (zip_error_code_zip(&err) == ZIP_ER_MEMORY)
			a->rc = -ENOMEM;
		else
			bad(a, 0, "libzip refuses it: %s", zip_error_strerror(&err));
		zip_source_free(src);
	} else if ((uint64_t)zip_get_num_entries(za, 0) != a->n) {
		bad(a, 0, "libzip sees %" PRId64 " members, the central directory %zu",
		    (int64_t)zip_get_num_entries(za, 0), a->n);
	}
	zip_error_fini(&err);
	return za;
}

/* A deflated member decoded by libzip, bounded; CRC checked at its end. */
static uint8_t *read_deflated(struct archive *a, zip_t *za, size_t i,
			      const struct entry *e, uint64_t max, uint64_t *len)
{
	zip_file_t *zf = za ? zip_fopen_index(za, i, 0) : NULL;
	uint64_t cap = e->usize < max ? e->usize : max;
	uint8_t *buf;
	zip_int64_t got;

	*len = 0;
	if (!zf) {
		bad(a, e->lh, "%s: libzip cannot open it", e->name);
		return NULL;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		a->rc = -ENOMEM;
		zip_fclose(zf);
		return NULL;
	}
	while (*len < cap && (got = zip_fread(zf, buf + *len, cap - *len)) > 0)
		*len += (uint64_t)got;
	if (*len < cap) {
		bad(a, e->lh, "%s: %s", e->name, zip_error_strerror(zip_file_get_error(zf)));
	} else if (cap == e->usize) {
		/* zip_fread checks the CRC once it reaches the end, and does not
		 * stop at the declared size: torch reads that many bytes, zipfile
		 * fails on the CRC */
		uint8_t more;

		if ((got = zip_fread(zf, &more, 1)) < 0)
			bad(a, e->lh, "%s: %s", e->name,
			    zip_error_strerror(zip_file_get_error(zf)));
		else if (got > 0)
			bad(a, e->lh, "%s: decodes to more than the %" PRIu64
				      " bytes its headers declare", e->name, e->usize);
	}
	zip_fclose(zf);
	return buf;
}

/* ---- members ---- */

static bool ends_with(const struct entry *e, const char *suffix)
{
	size_t n = strlen(suffix);

	return e->name_len >= n && !memcmp(e->name + e->name_len - n, suffix, n);
}

struct torch_layout {
	char dir[256];	  /* the archive's top directory, torch's archive_name */
	bool checkpoint;  /* <dir>/data.pkl */
	bool torchscript; /* <dir>/constants.pkl */
	bool code;	  /* <dir>/code/ entries */
};

static void torch_layout(const struct archive *a, struct torch_layout *t)
{
	const char *slash;
	char want[300];

	memset(t, 0, sizeof(*t));
	if (!a->n || !(slash = memchr(a->e[0].name, '/', a->e[0].name_len)) ||
	    slash - a->e[0].name >= (long)sizeof(t->dir))
		return;
	memcpy(t->dir, a->e[0].name, (size_t)(slash - a->e[0].name));
	for (size_t i = 0; i < a->n; i++) {
		snprintf(want, sizeof(want), "%s/data.pkl", t->dir);
		if (!strcmp(a->e[i].name, want))
			t->checkpoint = true;
		snprintf(want, sizeof(want), "%s/constants.pkl", t->dir);
		if (!strcmp(a->e[i].name, want))
			t->torchscript = true;
		snprintf(want, sizeof(want), "%s/code/", t->dir);
		if (!strncmp(a->e[i].name, want, strlen(want)))
			t->code = true;
	}
}

/* A reader over a member's data: a window when stored, else decoded. */
struct member_data {
	struct pg_window win;
	struct pg_mem_source mem;
	uint8_t *buf;
	struct pg_reader rd;
};

/* whole: the member's bytes are all needed (a pickle): stored ones are
 * then read into memory once and checked against their CRC.  Otherwise
 * stored members are read in place, and only SNIFF bytes of compressed
 * ones are decoded when sniff is set. */
static bool open_member(struct archive *a, zip_t *za, size_t i, bool whole,
			bool sniff, struct member_data *md)
{
	const struct entry *e = &a->e[i];
	const struct pg_limits *lim = &a->ctx->cfg->limits;
	uint64_t len;

	md->buf = NULL;
	if (e->method == 0) {
		if (e->csize != e->usize)
			bad(a, e->lh, "%s: stored member with two sizes", e->name);
		if (whole && e->csize <= PICKLE_IN_MEMORY) {
			/* read once, checked against the CRC zipfile checks */
			md->buf = malloc(e->csize ? (size_t)e->csize : 1);
			if (!md->buf) {
				a->rc = -ENOMEM;
				return false;
			}
			if (pg_ctx_pread(a->ctx, a->rd, md->buf, (size_t)e->csize, e->data)) {
				free(md->buf);
				md->buf = NULL;
				return false;
			}
			if (crc32(0, md->buf, (uInt)e->csize) != e->crc)
				bad(a, e->lh, "%s: CRC-32 mismatch (torch ignores it, "
					      "zipfile raises)", e->name);
			pg_reader_from_memory(&md->rd, &md->mem, md->buf, (size_t)e->csize);
			return true;
		}
		pg_window_reader(&md->rd, &md->win, a->rd, e->data, e->csize);
		return true;
	}
	if (e->usize > lim->max_decompressed) {
		a->rc = pg_ctx_reason(a->ctx, PG_REASON_LIMIT, e->lh, a->member,
				      "zip: %s decodes to more than max_decompressed",
				      e->name);
		return false;
	}
	if (e->usize > PG_RATIO_FLOOR && e->usize / lim->max_ratio > e->csize) {
		a->rc = pg_ctx_reason(a->ctx, PG_REASON_LIMIT, e->lh, a->member,
				      "zip: %s: max_ratio exceeded (a decompression bomb)",
				      e->name);
		return false;
	}
	md->buf = read_deflated(a, za, i, e, sniff ? SNIFF : e->usize, &len);
	if (!md->buf)
		return false;
	pg_reader_from_memory(&md->rd, &md->mem, md->buf, (size_t)len);
	return true;
}

/* What a member with no telling name holds, from its first bytes:
 * a container or known format, a possible pickle, or nothing to scan. */
enum content { NOTHING, CONTAINER, MAYBE_PICKLE };

static enum content sniff_member(struct archive *a, zip_t *za, size_t i)
{
	struct member_data md;
	uint8_t head[SNIFF];
	enum content c = NOTHING;
	size_t n;

	if (!open_member(a, za, i, false, true, &md))
		return NOTHING;
	n = md.rd.size < SNIFF ? (size_t)md.rd.size : SNIFF;
	if (n && !pg_ctx_pread(a->ctx, &md.rd, head, n, 0)) {
		if (pg_sniff(head, n, a->e[i].usize) != PG_FMT_UNKNOWN)
			c = CONTAINER;
		else if (pg_pickle_plausible(a->ctx, head, n, true))
			c = MAYBE_PICKLE;
	}
	free(md.buf);
	return c;
}

static int scan_member(struct archive *a, zip_t *za, size_t i,
		       const struct torch_layout *t)
{
	struct entry *e = &a->e[i];
	struct pg_loader ld = { 0 };
	struct pg_torch_zip *tz = NULL;
	struct member_data md;
	const char *fmt;
	char *where;
	bool pickle = ends_with(e, ".pkl") || ends_with(e, ".pickle");
	bool npy = ends_with(e, ".npy");
	enum content content = NOTHING;
	bool is_pickle;
	int rc = 0;

	if (e->bad || (e->name_len && e->name[e->name_len - 1] == '/'))
		return 0;
	if (!pickle && !npy && (content = sniff_member(a, za, i)) == NOTHING)
		return a->rc;
	if (!open_member(a, za, i, pickle, false, &md))
		return a->rc;
	a->ctx->rep->members_scanned++;
	where = pg_member_join(a->member, e->name);
	if (!where) {
		free(md.buf);
		return -ENOMEM;
	}
	ld.member = where;
	if (pickle && t->checkpoint) {
		/* torch.load(pickle_file=...) reads any of them this way */
		rc = pg_torch_zip_begin(a->ctx, t->torchscript, &tz, &ld);
		ld.member = where;
		if (!rc)
			rc = pg_scan_pickles(a->ctx, &md.rd, &ld, 0, UINT64_MAX, a->depth + 1,
					     &is_pickle);
		pg_torch_zip_end(tz);
	} else if (pickle) {
		rc = pg_scan_pickles(a->ctx, &md.rd, &ld, 0, UINT64_MAX, a->depth + 1, &is_pickle);
	} else if (npy) {
		rc = pg_scan_npy(a->ctx, &md.rd, where, a->depth + 1);
	} else if (content == CONTAINER) {
		rc = pg_scan_any(a->ctx, &md.rd, where, a->depth + 1, &fmt);
	} else {
		/* a pickle under another name, if it can run anything */
		ld.only_effects = ld.limit_is_evidence = true;
		rc = pg_scan_pickles(a->ctx, &md.rd, &ld, 0, UINT64_MAX, a->depth + 1, &is_pickle);
	}
	free(where);
	free(md.buf);
	return rc;
}

static const char *archive_format(const struct archive *a,
				  const struct torch_layout *t)
{
	bool npz = a->n > 0;

	if (t->torchscript)
		return "torchscript";
	if (t->checkpoint)
		return "torch-zip";
	for (size_t i = 0; i < a->n; i++)
		npz &= ends_with(&a->e[i], ".npy");
	return npz ? "npz" : "zip";
}

int pg_scan_zip(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth, const char **format)
{
	struct archive a = { .ctx = ctx, .rd = rd, .member = member, .depth = depth };
	struct torch_layout t = { 0 };
	struct zsrc z;
	zip_t *za = NULL;
	uint64_t count, first = UINT64_MAX;
	bool is_pickle;

	*format = "zip";
	if (depth > ctx->cfg->limits.max_depth)
		return pg_ctx_reason(ctx, PG_REASON_LIMIT, 0, member,
				     "containers nested deeper than max_depth (%u)",
				     ctx->cfg->limits.max_depth);
	if (!find_end(&a, &count)) {
		if (!a.rc)
			a.rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, 0, member,
					     "zip: no end-of-central-directory record");
		return a.rc;
	}
	if (read_central(&a, count) && !a.rc) {
		check_entries(&a);
		torch_layout(&a, &t);
		*format = archive_format(&a, &t);
		if (t.torchscript && t.code &&
		    !pg_allowlist_has_capability(ctx->cfg->allow, PG_CAP_TORCHSCRIPT_CODE) &&
		    !a.rc)
			a.rc = pg_ctx_reason(ctx, PG_REASON_TORCHSCRIPT, 0, member,
					     "TorchScript archive: torch.jit.load runs its code/ "
					     "(accepted with the torchscript profile)");
	}
	if (a.rc >= 0 && a.n)
		za = libzip_open(&a, &z);
	for (size_t i = 0; i < a.n; i++)
		if (a.e[i].lh < first)
			first = a.e[i].lh;
	if (first == UINT64_MAX)
		first = a.cd;
	/* pickle.load of the file reads whatever is before the zip */
	if (a.rc >= 0 && first > 0)
		a.rc = pg_scan_pickles(ctx, rd, &(struct pg_loader){ .member = member },
				       0, first, depth, &is_pickle);
	for (size_t i = 0; i < a.n && a.rc >= 0; i++) {
		int rc = scan_member(&a, za, i, &t);

		if (rc < 0)
			a.rc = rc;
	}
	if (za)
		zip_discard(za);
	for (size_t i = 0; i < a.n; i++)
		free(a.e[i].name);
	free(a.e);
	return a.rc < 0 ? a.rc : 0;
}
