/*
 * mounts.h: which filesystems to guard, and noticing new ones (see
 * mounts.c).
 */
#ifndef PGD_MOUNTS_H
#define PGD_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct pgd_mounts;

int pgd_mounts_open(struct pgd_mounts **m);
void pgd_mounts_free(struct pgd_mounts *m);
/* Readable with POLLPRI when the mount table changed. */
int pgd_mounts_fd(const struct pgd_mounts *m);
/* fd: the mount point, opened O_PATH and checked to be the mount the table
 * names.  again: the device was guarded already (a mount of it is new). */
struct pgd_mount_ops {
	int (*mark)(void *ctx, int fd, const char *point, bool again); /* 0 when guarded */
	int (*unmark)(void *ctx, int fd, const char *point);	       /* 0 when done */
};

/*
 * Read the mount table; call mark() for each filesystem to guard that is
 * not guarded yet (once per filesystem, with one of its mount points), and
 * unmark() for each guarded one the guards no longer cover.  Guards empty:
 * every local filesystem of a real kind.
 */
int pgd_mounts_scan(struct pgd_mounts *m, const struct pgd_strv *guards,
		    const struct pgd_mount_ops *ops, void *ctx);
/* The guarded mount points, for status. */
size_t pgd_mounts_list(const struct pgd_mounts *m, const char *const **points);

#endif
