/*
 * sniff.c: what a file is, from its first bytes (and, for zips, its last):
 * the rules loaders themselves use to decide how to read it.  Names never
 * decide; bytes that match no container or known format are handed to the
 * pickle emulator, which decides whether they are a pickle at all.
 */
#include "sniff.h"
#include "tarhdr.h"

#include <string.h>

static const char *const names[] = {
	[PG_FMT_UNKNOWN] = "unknown",
	[PG_FMT_PICKLE] = "pickle",
	[PG_FMT_ZIP] = "zip",
	[PG_FMT_NPY] = "npy",
	[PG_FMT_GZIP] = "gzip",
	[PG_FMT_BZ2] = "bz2",
	[PG_FMT_XZ] = "xz",
	[PG_FMT_LZMA] = "lzma",
	[PG_FMT_ZLIB] = "zlib",
	[PG_FMT_JOBLIB_ZF] = "joblib-zfile",
	[PG_FMT_LZ4] = "lz4",
	[PG_FMT_ZSTD] = "zstd",
	[PG_FMT_7Z] = "7z",
	[PG_FMT_TAR] = "tar",
	[PG_FMT_SAFETENSORS] = "safetensors",
	[PG_FMT_GGUF] = "gguf",
	[PG_FMT_HDF5] = "hdf5",
};

const char *pg_format_name(enum pg_format f)
{
	return (unsigned)f < sizeof(names) / sizeof(names[0]) && names[f]
		       ? names[f]
		       : "unknown";
}

static bool starts(const uint8_t *h, size_t n, const char *magic, size_t m)
{
	return n >= m && !memcmp(h, magic, m);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t x = 0;

	for (int i = 7; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

/*
 * safetensors: 8-byte little-endian header length, then a JSON object of
 * that length (padded with spaces).  Checked enough that no pickle passes:
 * the header opens with '{' and closes with '}', inside the file.
 */
static bool safetensors(const uint8_t *h, size_t n, uint64_t size)
{
	uint64_t len;

	if (n < 10 || size < 10)
		return false;
	len = le64(h);
	if (len < 2 || len > size - 8 || len > (100u << 20) || h[8] != '{')
		return false;
	if (8 + len <= n) {
		size_t end = (size_t)(8 + len);

		while (end > 9 && h[end - 1] == ' ')
			end--;
		return h[end - 1] == '}';
	}
	return true; /* header longer than the sniffed head: '{' must do */
}

/* ustar / GNU tar: the magic at offset 257 and a valid header checksum. */
/* zlib header: CM=8, window <= 32K, FCHECK makes it a multiple of 31.
 * joblib takes any file starting with 'x' as zlib; we want the real ones. */
static bool zlib_header(const uint8_t *h, size_t n)
{
	return n >= 2 && (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 &&
	       ((unsigned)h[0] << 8 | h[1]) % 31 == 0;
}

enum pg_format pg_sniff(const uint8_t *h, size_t n, uint64_t size)
{
	/* first: a tar header starts with a free-form name, which may look
	 * like any of the magics below */
	if (n >= PG_TAR_BLOCK && pg_tar_header_ok(h))
		return PG_FMT_TAR;
	return pg_sniff_magic(h, n, size);
}

enum pg_format pg_sniff_magic(const uint8_t *h, size_t n, uint64_t size)
{
	if (starts(h, n, "PK\x03\x04", 4) || starts(h, n, "PK\x05\x06", 4))
		return PG_FMT_ZIP;
	if (starts(h, n, "\x93NUMPY", 6))
		return PG_FMT_NPY;
	if (starts(h, n, "\x1f\x8b", 2))
		return PG_FMT_GZIP;
	if (starts(h, n, "BZh", 3) && n >= 4 && h[3] >= '1' && h[3] <= '9')
		return PG_FMT_BZ2;
	if (starts(h, n, "\xfd" "7zXZ\0", 6))
		return PG_FMT_XZ;
	/* lzma-alone as joblib writes it: default properties byte 0x5d */
	if (starts(h, n, "\x5d\x00\x00", 3) && n >= 13)
		return PG_FMT_LZMA;
	if (starts(h, n, "\x04\x22\x4d\x18", 4))
		return PG_FMT_LZ4;
	if (starts(h, n, "\x28\xb5\x2f\xfd", 4))
		return PG_FMT_ZSTD;
	if (starts(h, n, "7z\xbc\xaf\x27\x1c", 6))
		return PG_FMT_7Z;
	if (starts(h, n, "\x89HDF\r\n\x1a\n", 8))
		return PG_FMT_HDF5;
	if (starts(h, n, "GGUF", 4) && n >= 8 && h[5] == 0 && h[6] == 0 &&
	    h[7] == 0 && h[4] >= 1 && h[4] <= 3)
		return PG_FMT_GGUF;
	/* joblib < 0.9.3: "ZF" + hex length + zlib data */
	if (starts(h, n, "ZF0x", 4))
		return PG_FMT_JOBLIB_ZF;
	if (zlib_header(h, n))
		return PG_FMT_ZLIB;
	if (safetensors(h, n, size))
		return PG_FMT_SAFETENSORS;
	return PG_FMT_UNKNOWN;
}
