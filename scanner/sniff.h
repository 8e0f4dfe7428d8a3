/*
 * sniff.h: telling formats apart by content (see sniff.c).
 */
#ifndef PG_SNIFF_H
#define PG_SNIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pg_format {
	PG_FMT_UNKNOWN,
	PG_FMT_PICKLE,
	PG_FMT_ZIP,
	PG_FMT_NPY,
	PG_FMT_GZIP,
	PG_FMT_BZ2,
	PG_FMT_XZ,
	PG_FMT_LZMA,
	PG_FMT_ZLIB,
	PG_FMT_JOBLIB_ZF,
	PG_FMT_LZ4,
	PG_FMT_ZSTD,
	PG_FMT_7Z,
	PG_FMT_TAR,
	PG_FMT_SAFETENSORS,
	PG_FMT_GGUF,
	PG_FMT_HDF5,
};

/* Bytes the sniffer wants to see (fewer is fine for short data). */
#define PG_SNIFF_HEAD 512

/* The format of data whose first n bytes are h and whose size is size;
 * PG_FMT_UNKNOWN when no container or known format matches (the pickle
 * emulator decides next). */
enum pg_format pg_sniff(const uint8_t *h, size_t n, uint64_t size);
/* The same without tar: what a reader that does not look for a tar header
 * (pickle.load, gzip, joblib...) would take the same bytes for. */
enum pg_format pg_sniff_magic(const uint8_t *h, size_t n, uint64_t size);
const char *pg_format_name(enum pg_format f);

#endif
