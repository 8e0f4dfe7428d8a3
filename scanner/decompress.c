/*
 * decompress.c: the compression wrappers loaders unwrap before unpickling
 * (gzip, bz2, xz and lzma-alone, zlib, lz4 frames, zstd; each possibly a
 * run of concatenated streams, as Python's readers accept), decoded into
 * memory chunks behind a pg_reader.  Output is bounded by max_decompressed
 * and, past 16 MiB, by max_ratio: a bomb is a limit, not a hang.
 */
#include "decompress.h"

#include <bzlib.h>
#include <errno.h>
#include <lz4frame.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "util.h"

#define CHUNK (1u << 20)
#define IN_CHUNK (64u << 10)

struct pg_inflated {
	uint8_t **chunks;
	size_t nchunks, cap;
	uint64_t size;
};

/* The compressed input, read forward in IN_CHUNK pieces. */
struct input {
	const struct pg_reader *rd;
	uint64_t off;
	uint8_t buf[IN_CHUNK];
	size_t len, pos;
	int err;
};

static size_t input_fill(struct input *in)
{
	ssize_t got;
	size_t want;

	if (in->pos < in->len)
		return in->len - in->pos;
	in->pos = in->len = 0;
	if (in->off >= in->rd->size)
		return 0;
	want = IN_CHUNK;
	if (want > in->rd->size - in->off)
		want = (size_t)(in->rd->size - in->off);
	got = in->rd->pread(in->rd->ctx, in->buf, want, in->off);
	if (got <= 0) {
		in->err = got < 0 ? (int)got : -EIO;
		return 0;
	}
	in->len = (size_t)got;
	in->off += (uint64_t)got;
	return in->len;
}

static uint64_t input_consumed(const struct input *in)
{
	return in->off - (in->len - in->pos);
}

/* The output side: where the next bytes go, with the limits applied. */
struct output {
	struct pg_inflated *inf;
	const struct pg_limits *lim;
	const struct input *in;
	const char *why;
};

/* Room for at least one byte at the end of the output; NULL on failure
 * (out->why says which). */
static uint8_t *output_room(struct output *out, size_t *room)
{
	struct pg_inflated *inf = out->inf;
	size_t used = (size_t)(inf->size % CHUNK);

	if (inf->size >= out->lim->max_decompressed) {
		out->why = "max_decompressed exceeded";
		return NULL;
	}
	if (inf->size > PG_RATIO_FLOOR &&
	    inf->size / out->lim->max_ratio > input_consumed(out->in)) {
		out->why = "max_ratio exceeded (a decompression bomb)";
		return NULL;
	}
	if (!used && inf->size == (uint64_t)inf->nchunks * CHUNK) {
		if (pg_grow((void **)&inf->chunks, &inf->cap, inf->nchunks + 1,
			    sizeof(*inf->chunks)) ||
		    !(inf->chunks[inf->nchunks] = malloc(CHUNK))) {
			out->why = "out of memory";
			return NULL;
		}
		inf->nchunks++;
	}
	*room = CHUNK - used;
	if (*room > out->lim->max_decompressed - inf->size)
		*room = (size_t)(out->lim->max_decompressed - inf->size);
	return inf->chunks[inf->size / CHUNK] + used;
}

static const char *gzip_like(struct input *in, struct output *out, bool gzip)
{
	z_stream z;
	const char *why = NULL;
	int rc = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
		return "out of memory";
	for (;;) {
		size_t avail = input_fill(in), room;
		uint8_t *dst;

		if (!avail) {
			if (rc != Z_STREAM_END)
				why = in->err ? "read error" : "compressed stream is truncated";
			break;
		}
		if (rc == Z_STREAM_END) {
			/* another concatenated stream must follow, else junk */
			if (gzip && (avail < 2 || in->buf[in->pos] != 0x1f ||
				     in->buf[in->pos + 1] != 0x8b)) {
				why = "bytes after the compressed stream";
				break;
			}
			inflateReset(&z);
		}
		if (!(dst = output_room(out, &room))) {
			why = out->why;
			break;
		}
		z.next_in = in->buf + in->pos;
		z.avail_in = (uInt)avail;
		z.next_out = dst;
		z.avail_out = (uInt)room;
		rc = inflate(&z, Z_NO_FLUSH);
		in->pos += avail - z.avail_in;
		out->inf->size += room - z.avail_out;
		if ((rc != Z_OK && rc != Z_STREAM_END) ||
		    (z.avail_in == avail && z.avail_out == room)) {
			why = "corrupt compressed data";
			break;
		}
	}
	inflateEnd(&z);
	return why;
}

static const char *bzip2(struct input *in, struct output *out)
{
	bz_stream bz;
	const char *why = NULL;
	int rc = BZ_OK;

	memset(&bz, 0, sizeof(bz));
	if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
		return "out of memory";
	for (;;) {
		size_t avail = input_fill(in), room;
		uint8_t *dst;

		if (!avail) {
			if (rc != BZ_STREAM_END)
				why = in->err ? "read error" : "compressed stream is truncated";
			break;
		}
		if (rc == BZ_STREAM_END) {
			BZ2_bzDecompressEnd(&bz);
			memset(&bz, 0, sizeof(bz));
			if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
				return "out of memory";
		}
		if (!(dst = output_room(out, &room))) {
			why = out->why;
			break;
		}
		bz.next_in = (char *)in->buf + in->pos;
		bz.avail_in = (unsigned)avail;
		bz.next_out = (char *)dst;
		bz.avail_out = (unsigned)room;
		rc = BZ2_bzDecompress(&bz);
		in->pos += avail - bz.avail_in;
		out->inf->size += room - bz.avail_out;
		if ((rc != BZ_OK && rc != BZ_STREAM_END) ||
		    (bz.avail_in == avail && bz.avail_out == room)) {
			why = "corrupt compressed data";
			break;
		}
	}
	BZ2_bzDecompressEnd(&bz);
	return why;
}

static const char *xz(struct input *in, struct output *out)
{
	lzma_stream s = LZMA_STREAM_INIT;
	const char *why = NULL;
	lzma_ret rc = LZMA_OK;

	/* auto: .xz (concatenated streams) or legacy .lzma (alone) */
	if (lzma_auto_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
		return "out of memory";
	for (;;) {
		size_t avail = input_fill(in), room;
		lzma_action action = avail ? LZMA_RUN : LZMA_FINISH;
		uint8_t *dst;

		if (!(dst = output_room(out, &room))) {
			why = out->why;
			break;
		}
		s.next_in = in->buf + in->pos;
		s.avail_in = avail;
		s.next_out = dst;
		s.avail_out = room;
		rc = lzma_code(&s, action);
		in->pos += avail - s.avail_in;
		out->inf->size += room - s.avail_out;
		if (rc == LZMA_STREAM_END)
			break;
		if (rc != LZMA_OK) {
			why = rc == LZMA_BUF_ERROR ? "compressed stream is truncated"
						   : "corrupt compressed data";
			break;
		}
		if (!avail && s.avail_out) {
			why = in->err ? "read error" : "compressed stream is truncated";
			break;
		}
	}
	if (!why && input_fill(in))
		why = "bytes after the compressed stream";
	lzma_end(&s);
	return why;
}

static const char *lz4(struct input *in, struct output *out)
{
	LZ4F_dctx *d;
	const char *why = NULL;
	size_t hint = 1;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
		return "out of memory";
	for (;;) {
		size_t avail = input_fill(in), room, src_len;
		uint8_t *dst;

		if (!avail) {
			if (hint)
				why = in->err ? "read error" : "compressed stream is truncated";
			break;
		}
		if (!(dst = output_room(out, &room))) {
			why = out->why;
			break;
		}
		src_len = avail;
		hint = LZ4F_decompress(d, dst, &room, in->buf + in->pos, &src_len, NULL);
		in->pos += src_len;
		out->inf->size += room;
		if (LZ4F_isError(hint) || (!src_len && !room)) {
			why = "corrupt compressed data";
			break;
		}
	}
	LZ4F_freeDecompressionContext(d);
	return why;
}

static const char *zstd(struct input *in, struct output *out)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	const char *why = NULL;
	size_t hint = 1;

	if (!d)
		return "out of memory";
	for (;;) {
		size_t avail = input_fill(in), room;
		ZSTD_inBuffer ib;
		ZSTD_outBuffer ob;
		uint8_t *dst;

		if (!avail) {
			if (hint)
				why = in->err ? "read error" : "compressed stream is truncated";
			break;
		}
		if (!(dst = output_room(out, &room))) {
			why = out->why;
			break;
		}
		ib = (ZSTD_inBuffer){ in->buf + in->pos, avail, 0 };
		ob = (ZSTD_outBuffer){ dst, room, 0 };
		hint = ZSTD_decompressStream(d, &ob, &ib);
		in->pos += ib.pos;
		out->inf->size += ob.pos;
		if (ZSTD_isError(hint) || (!ib.pos && !ob.pos)) {
			why = "corrupt compressed data";
			break;
		}
	}
	ZSTD_freeDStream(d);
	return why;
}

int pg_decompress(enum pg_codec codec, const struct pg_reader *rd,
		  uint64_t start, const struct pg_limits *lim,
		  struct pg_inflated **res, const char **why)
{
	struct input *in = calloc(1, sizeof(*in));
	struct pg_inflated *inf = calloc(1, sizeof(*inf));
	struct output out = { .inf = inf, .lim = lim };

	*why = NULL;
	*res = NULL;
	if (!in || !inf) {
		free(in);
		free(inf);
		return -ENOMEM;
	}
	in->rd = rd;
	in->off = start;
	out.in = in;
	switch (codec) {
	case PG_CODEC_GZIP: *why = gzip_like(in, &out, true); break;
	case PG_CODEC_ZLIB: *why = gzip_like(in, &out, false); break;
	case PG_CODEC_BZ2: *why = bzip2(in, &out); break;
	case PG_CODEC_XZ: *why = xz(in, &out); break;
	case PG_CODEC_LZ4: *why = lz4(in, &out); break;
	case PG_CODEC_ZSTD: *why = zstd(in, &out); break;
	}
	if (in->err && !*why)
		*why = "read error";
	free(in);
	*res = inf;
	return *why && !strcmp(*why, "out of memory") ? -ENOMEM : 0;
}

static ssize_t inflated_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct pg_inflated *inf = ctx;
	uint8_t *dst = buf;
	size_t done = 0;

	if (off >= inf->size)
		return 0;
	if (len > inf->size - off)
		len = (size_t)(inf->size - off);
	while (done < len) {
		size_t in_chunk = (size_t)((off + done) % CHUNK);
		size_t n = CHUNK - in_chunk;

		if (n > len - done)
			n = len - done;
		memcpy(dst + done, inf->chunks[(off + done) / CHUNK] + in_chunk, n);
		done += n;
	}
	return (ssize_t)len;
}

void pg_inflated_reader(struct pg_inflated *inf, struct pg_reader *rd)
{
	rd->pread = inflated_pread;
	rd->ctx = inf;
	rd->size = inf->size;
}

uint64_t pg_inflated_size(const struct pg_inflated *inf)
{
	return inf->size;
}

void pg_inflated_free(struct pg_inflated *inf)
{
	if (!inf)
		return;
	for (size_t i = 0; i < inf->nchunks; i++)
		free(inf->chunks[i]);
	free(inf->chunks);
	free(inf);
}

bool pg_zlib_head_decodes(const uint8_t *head, size_t n)
{
	z_stream z = { 0 };
	uint8_t out[4096];
	int rc = Z_OK;

	if (inflateInit2(&z, MAX_WBITS) != Z_OK)
		return true; /* cannot tell: look closer */
	z.next_in = (Bytef *)head;
	z.avail_in = (uInt)n;
	while (rc == Z_OK && z.avail_in && !z.total_out) {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = inflate(&z, Z_NO_FLUSH);
	}
	inflateEnd(&z);
	return z.total_out || rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR;
}
