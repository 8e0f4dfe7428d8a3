/*
 * cache.h: verdicts of model files, keyed by what changes when the file
 * does: device, inode, size, mtime, ctime and birth time (all to the
 * nanosecond).  Putting an mtime back with utimes() moves ctime, and an
 * inode number reused by a new file gets a new birth time (where the
 * filesystem records one; the other fields still differ in practice).
 *
 * Bounded by entries and by bytes (a report can be large), least recently
 * used first out.  Used by the event loop alone: not thread-safe.
 */
#ifndef PGD_CACHE_H
#define PGD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct pgd_key {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns, btime_ns;
};

/* The key of an open file; false if statx fails.  *regular: a regular file. */
bool pgd_key_from_fd(int fd, struct pgd_key *k, bool *regular);
bool pgd_key_equal(const struct pgd_key *a, const struct pgd_key *b);

struct pgd_cache;

/* The bytes bound the daemon uses (reports of unsafe files can be long). */
#define PGD_CACHE_BYTES (64u << 20)

/* max_entries 0: a cache that keeps nothing. */
struct pgd_cache *pgd_cache_new(size_t max_entries, size_t max_bytes);
void pgd_cache_free(struct pgd_cache *c);
/* A borrowed reference, valid until the next put or clear. */
struct pgd_result *pgd_cache_get(struct pgd_cache *c, const struct pgd_key *k);
/* Takes a reference of its own.  -ENOMEM leaves the cache as it was. */
int pgd_cache_put(struct pgd_cache *c, const struct pgd_key *k,
		  struct pgd_result *r);
void pgd_cache_clear(struct pgd_cache *c);
size_t pgd_cache_size(const struct pgd_cache *c);

#endif
