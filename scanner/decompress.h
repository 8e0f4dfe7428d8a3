/*
 * decompress.h: compression wrappers decoded into memory, bounded by
 * max_decompressed and max_ratio (see decompress.c).
 */
#ifndef PG_DECOMPRESS_H
#define PG_DECOMPRESS_H

#include "pg_scan.h"

enum pg_codec {
	PG_CODEC_GZIP,
	PG_CODEC_ZLIB,
	PG_CODEC_BZ2,
	PG_CODEC_XZ, /* .xz and legacy .lzma */
	PG_CODEC_LZ4,
	PG_CODEC_ZSTD,
};

struct pg_inflated;

/* Output below this is never a bomb, whatever the ratio. */
#define PG_RATIO_FLOOR (16u << 20)

/*
 * Decode everything from `start` to the end of rd.  Returns -ENOMEM, or 0
 * with *res set (free it) and *why NULL, or a reason the data could not be
 * fully decoded (a limit, corrupt or truncated data, trailing bytes).
 */
int pg_decompress(enum pg_codec codec, const struct pg_reader *rd,
		  uint64_t start, const struct pg_limits *lim,
		  struct pg_inflated **res, const char **why);
/* Do these first bytes of a zlib stream decode to something before they
 * fail?  False exactly when pg_decompress would fail with nothing decoded
 * on a stream that starts with them (it is not zlib then). */
bool pg_zlib_head_decodes(const uint8_t *head, size_t n);
void pg_inflated_reader(struct pg_inflated *inf, struct pg_reader *rd);
uint64_t pg_inflated_size(const struct pg_inflated *inf);
void pg_inflated_free(struct pg_inflated *inf);

#endif
