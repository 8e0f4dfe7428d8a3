/*
 * cache.c: see cache.h.  A chained hash table over a doubly linked LRU
 * list; the table has a power-of-two bucket count of at least twice the
 * entry bound, so chains stay short without resizing.
 */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

struct entry {
	struct pgd_key key;
	struct pgd_result *res;
	size_t bytes;
	struct entry *chain;	  /* next in the bucket */
	struct entry *newer, *older; /* LRU list */
};

struct pgd_cache {
	struct entry **buckets;
	size_t mask;
	size_t n, max_entries;
	size_t bytes, max_bytes;
	struct entry *newest, *oldest;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

static size_t bucket(const struct pgd_cache *c, const struct pgd_key *k)
{
	uint64_t h = mix(mix(mix(k->dev, k->ino), k->size), (uint64_t)k->mtime_ns);

	h = mix(mix(h, (uint64_t)k->ctime_ns), (uint64_t)k->btime_ns);
	return (size_t)(h ^ (h >> 29)) & c->mask;
}

bool pgd_key_equal(const struct pgd_key *a, const struct pgd_key *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	       a->btime_ns == b->btime_ns;
}

bool pgd_key_from_fd(int fd, struct pgd_key *k, struct pgd_file_facts *f)
{
	struct statx stx;
	struct timespec now;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
		  STATX_BASIC_STATS | STATX_BTIME, &stx))
		return false;
	*k = (struct pgd_key){
		.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor),
		.ino = stx.stx_ino,
		.size = stx.stx_size,
		.mtime_ns = stx.stx_mtime.tv_sec * 1000000000LL + stx.stx_mtime.tv_nsec,
		.ctime_ns = stx.stx_ctime.tv_sec * 1000000000LL + stx.stx_ctime.tv_nsec,
		.btime_ns = (stx.stx_mask & STATX_BTIME)
				    ? stx.stx_btime.tv_sec * 1000000000LL + stx.stx_btime.tv_nsec
				    : 0,
	};
	clock_gettime(CLOCK_REALTIME, &now);
	f->regular = S_ISREG(stx.stx_mode);
	/* with an ACL, the group bits are its mask: any named writer shows */
	f->root_writes_only = stx.stx_uid == 0 && !(stx.stx_mode & (S_IWGRP | S_IWOTH));
	/* a ctime in the future (the clock set back) is not settled either */
	f->settled = now.tv_sec * 1000000000LL + now.tv_nsec - k->ctime_ns >= PGD_SETTLE_NS;
	return true;
}

struct pgd_cache *pgd_cache_new(size_t max_entries, size_t max_bytes)
{
	struct pgd_cache *c = calloc(1, sizeof(*c));
	size_t nb = 16;

	if (!c)
		return NULL;
	while (nb < 2 * max_entries)
		nb *= 2;
	c->buckets = calloc(nb, sizeof(*c->buckets));
	if (!c->buckets) {
		free(c);
		return NULL;
	}
	c->mask = nb - 1;
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
	return c;
}

static void unlink_lru(struct pgd_cache *c, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void push_newest(struct pgd_cache *c, struct entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (!c->oldest)
		c->oldest = e;
}

static void drop(struct pgd_cache *c, struct entry *e)
{
	struct entry **p = &c->buckets[bucket(c, &e->key)];

	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	unlink_lru(c, e);
	c->n--;
	c->bytes -= e->bytes;
	pgd_result_put(e->res);
	free(e);
}

struct pgd_result *pgd_cache_get(struct pgd_cache *c, const struct pgd_key *k)
{
	for (struct entry *e = c->buckets[bucket(c, k)]; e; e = e->chain)
		if (pgd_key_equal(&e->key, k)) {
			unlink_lru(c, e);
			push_newest(c, e);
			return e->res;
		}
	return NULL;
}

int pgd_cache_put(struct pgd_cache *c, const struct pgd_key *k,
		  struct pgd_result *r)
{
	size_t bytes = sizeof(struct entry) + sizeof(*r) + strlen(r->json) +
		       strlen(r->summary);
	struct entry *e, **head;

	if (!c->max_entries || bytes > c->max_bytes)
		return 0;
	for (e = c->buckets[bucket(c, k)]; e; e = e->chain)
		if (pgd_key_equal(&e->key, k)) {
			drop(c, e);
			break;
		}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	while (c->n && (c->n >= c->max_entries || c->bytes + bytes > c->max_bytes))
		drop(c, c->oldest);
	e->key = *k;
	e->res = pgd_result_get(r);
	e->bytes = bytes;
	head = &c->buckets[bucket(c, k)];
	e->chain = *head;
	*head = e;
	push_newest(c, e);
	c->n++;
	c->bytes += bytes;
	return 0;
}

void pgd_cache_clear(struct pgd_cache *c)
{
	while (c->oldest)
		drop(c, c->oldest);
}

size_t pgd_cache_size(const struct pgd_cache *c)
{
	return c->n;
}

void pgd_cache_free(struct pgd_cache *c)
{
	if (!c)
		return;
	pgd_cache_clear(c);
	free(c->buckets);
	free(c);
}
