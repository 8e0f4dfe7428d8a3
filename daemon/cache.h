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

/* How long after a change a file's key is trusted to show the next one.
 * Timestamps are coarse: a clock tick (up to 10 ms) before Linux 6.13, a
 * second on some filesystems, 2 s on FAT; two writes within one tick leave
 * the same size and times.  A verdict or an ignore mark for a file changed
 * more recently than this could outlive its content. */
#define PGD_SETTLE_NS (2 * 1000000000LL)

/* What else the statx of an open file tells, beyond its key. */
struct pgd_file_facts {
	bool regular;
	bool root_writes_only; /* owned by root, no group (nor ACL) or other write */
	bool settled;	       /* last changed over PGD_SETTLE_NS ago */
};

/* The key of an open file; false if statx fails. */
bool pgd_key_from_fd(int fd, struct pgd_key *k, struct pgd_file_facts *f);
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
