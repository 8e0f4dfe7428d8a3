/*
 * util.h: small helpers shared by the scanner's files: growable arrays,
 * hashing, checked size arithmetic and bounded copies.  No state.
 */
#ifndef PG_UTIL_H
#define PG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed byte string. */
struct pg_span {
	const char *ptr;
	size_t len;
};

#define PG_SPAN_NONE ((struct pg_span){ NULL, 0 })

/*
 * Make room for `need` elements of `elem` bytes in *ptr (capacity *cap),
 * doubling.  Returns 0 or -ENOMEM; on failure *ptr and *cap are unchanged.
 */
int pg_grow(void **ptr, size_t *cap, size_t need, size_t elem);

static inline uint64_t pg_hash_bytes(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* FNV-1a: tables here are small and keys short; no adversarial
	 * flooding matters because every table is bounded by a limit. */
	if (!h)
		h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline uint64_t pg_hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Copy len bytes into a new NUL-terminated buffer; NULL on ENOMEM. */
char *pg_memdup0(const void *data, size_t len);

/* printf into a new buffer; NULL on ENOMEM. */
char *pg_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
