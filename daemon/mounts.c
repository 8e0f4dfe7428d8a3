/*
 * mounts.c: which filesystems to guard, from /proc/self/mountinfo.  Every
 * local filesystem of a real kind by default, never pseudo or network ones;
 * with guard paths, only the filesystems of those paths and of mounts that
 * appear under them.  The mount table is re-read when the kernel flags it
 * changed (POLLPRI on the open mountinfo file): no timer.
 *
 * A device number names a filesystem only while it is mounted: unmount a
 * tmpfs, mount another, and the new one gets the old number, and the old
 * mount ID too (both are reused lowest first), between two reads of the
 * table.  So each guarded device is known by a mount of it, identified by
 * the mount ID statx gives for its mount point: the 64-bit one that is
 * never reused (STATX_MNT_ID_UNIQUE, Linux 6.8+), else the reusable one
 * (a mount swapped within one read of the table can then go unseen).  A
 * device whose mount is new to us is marked again (marking twice is
 * harmless), through the mount point opened O_PATH and checked to be on
 * that device, so that a mount point that went away in between never
 * marks the filesystem beneath it.  Guard paths match the mount they are
 * on by mount ID, which also holds inside btrfs subvolumes, whose device
 * numbers are no mount's.
 */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

/* Filesystems that hold files a loader could open.  Network and FUSE
 * filesystems are left out: a permission event there can wait on a
 * remote server or a userspace daemon. */
static const char *const real_fs[] = {
	"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "tmpfs", "ramfs",
	"overlay", "zfs", "vfat", "exfat", "ntfs", "ntfs3", "jfs", "reiserfs",
	"nilfs2", "bcachefs", "squashfs", "erofs", "udf", "iso9660", "hfsplus",
};

struct pgd_mounts {
	int fd;
	char **points; /* guarded mount points, for status */
	dev_t *devs;   /* their filesystems, one entry each */
	size_t n;
	uint64_t *keys; /* mount_key() of each guarded device at the last read, sorted */
	size_t n_keys;
};

static bool real_type(const char *type)
{
	for (size_t i = 0; i < sizeof(real_fs) / sizeof(real_fs[0]); i++)
		if (!strcmp(type, real_fs[i]))
			return true;
	return false;
}

int pgd_mounts_open(struct pgd_mounts **mp)
{
	struct pgd_mounts *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	m->fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (m->fd < 0) {
		free(m);
		return -1;
	}
	*mp = m;
	return 0;
}

void pgd_mounts_free(struct pgd_mounts *m)
{
	if (!m)
		return;
	close(m->fd);
	for (size_t i = 0; i < m->n; i++)
		free(m->points[i]);
	free(m->points);
	free(m->devs);
	free(m->keys);
	free(m);
}

int pgd_mounts_fd(const struct pgd_mounts *m)
{
	return m->fd;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* Is path at or under dir? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return true;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static bool contains(const dev_t *v, size_t n, dev_t dev)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == dev)
			return true;
	return false;
}

static bool marked(const struct pgd_mounts *m, dev_t dev)
{
	return contains(m->devs, m->n, dev);
}

/* A device guarded now, under the mount point it was marked through. */
static int remember(struct pgd_mounts *m, dev_t dev, const char *point)
{
	char *copy = strdup(point), **p;
	dev_t *d;

	if (!copy)
		return -1;
	for (size_t i = 0; i < m->n; i++)
		if (m->devs[i] == dev) {
			free(m->points[i]);
			m->points[i] = copy;
			return 0;
		}
	if (!(p = realloc(m->points, (m->n + 1) * sizeof(*p)))) {
		free(copy);
		return -1;
	}
	m->points = p;
	if (!(d = realloc(m->devs, (m->n + 1) * sizeof(*d)))) {
		free(copy);
		return -1;
	}
	m->devs = d;
	m->points[m->n] = copy;
	m->devs[m->n++] = dev;
	return 0;
}

/* op on the filesystem at point, if it is still the one on dev. */
static int at_mount(const char *point, dev_t dev, int (*op)(void *ctx, int fd, const char *point),
		    void *ctx)
{
	struct stat st;
	int fd = open(point, O_PATH | O_CLOEXEC), rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_dev == dev)
		rc = op(ctx, fd, point);
	close(fd);
	return rc;
}

/* Keep the guarded filesystems in keep[] (gone ones took their marks with
 * them; the others are unmarked first). */
static void retain(struct pgd_mounts *m, const dev_t *keep, size_t n_keep,
		   const dev_t *seen, size_t n_seen, const struct pgd_mount_ops *ops,
		   void *ctx)
{
	size_t out = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (contains(keep, n_keep, m->devs[i])) {
			m->points[out] = m->points[i];
			m->devs[out++] = m->devs[i];
			continue;
		}
		if (contains(seen, n_seen, m->devs[i]))
			at_mount(m->points[i], m->devs[i], ops->unmark, ctx);
		free(m->points[i]);
	}
	m->n = out;
}

static int add_dev(dev_t **v, size_t *n, dev_t dev)
{
	dev_t *grown;

	if (contains(*v, *n, dev))
		return 0;
	grown = realloc(*v, (*n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	*v = grown;
	(*v)[(*n)++] = dev;
	return 0;
}

static int add_key(uint64_t **v, size_t *n, uint64_t key)
{
	uint64_t *grown = realloc(*v, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	*v = grown;
	(*v)[(*n)++] = key;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool known_key(const struct pgd_mounts *m, uint64_t key)
{
	return m->n_keys && bsearch(&key, m->keys, m->n_keys, sizeof(key), cmp_key);
}

/* The mount at point, if it is on dev: its unique mount ID where the
 * kernel has one, else its reusable one; 0 when point is not on dev (gone,
 * or mounted over). */
static uint64_t mount_key(const char *point, dev_t dev, unsigned table_id)
{
	struct statx stx;

	if (statx(AT_FDCWD, point, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
		  STATX_MNT_ID | STATX_MNT_ID_UNIQUE, &stx) ||
	    makedev(stx.stx_dev_major, stx.stx_dev_minor) != dev)
		return 0;
	if (stx.stx_mask & (STATX_MNT_ID_UNIQUE | STATX_MNT_ID))
		return stx.stx_mnt_id;
	return (uint64_t)table_id | 1ull << 63; /* before Linux 5.8 */
}

/* gmnt[i]: the mount guards->v[i] is on (0 if it cannot be seen) */
static bool wanted(const char *point, unsigned mnt_id, const struct pgd_strv *guards,
		   const unsigned *gmnt)
{
	if (!guards->n)
		return true;
	for (size_t i = 0; i < guards->n; i++)
		/* the mount a guard path is on, or one mounted under it */
		if (under(point, guards->v[i]) || (gmnt[i] && gmnt[i] == mnt_id))
			return true;
	return false;
}

static unsigned mount_id_of(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) || !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return (unsigned)stx.stx_mnt_id;
}

int pgd_mounts_scan(struct pgd_mounts *m, const struct pgd_strv *guards,
		    const struct pgd_mount_ops *ops, void *ctx)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, n_seen = 0, n_keep = 0, n_settled = 0, n_keys = 0;
	dev_t *seen = NULL, *keep = NULL, *settled = NULL;
	uint64_t *keys = NULL;
	unsigned *gmnt;
	int fd, rc = 0;

	gmnt = calloc(guards->n ? guards->n : 1, sizeof(*gmnt));
	if (!gmnt)
		return -1;
	for (size_t i = 0; i < guards->n; i++)
		gmnt[i] = mount_id_of(guards->v[i]);
	fd = dup(m->fd);
	/* read through a dup (same offset, rewound) so that fclose leaves
	 * the polled fd open */
	if (fd < 0 || lseek(m->fd, 0, SEEK_SET) < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		free(gmnt);
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		char point[4096], type[256];
		unsigned mnt_id, maj, min;
		char *dash = strstr(line, " - ");
		uint64_t key;
		dev_t dev;

		if (!dash ||
		    sscanf(line, "%u %*u %u:%u %*s %4095s", &mnt_id, &maj, &min, point) != 4 ||
		    sscanf(dash + 3, "%255s", type) != 1)
			continue;
		unescape(point);
		dev = makedev(maj, min);
		if (add_dev(&seen, &n_seen, dev)) {
			rc = -1;
			break;
		}
		if (!real_type(type) || !wanted(point, mnt_id, guards, gmnt))
			continue;
		if (add_dev(&keep, &n_keep, dev)) {
			rc = -1;
			break;
		}
		/* within one read a device number is one filesystem: one of its
		 * mounts settles it */
		if (contains(settled, n_settled, dev) || !(key = mount_key(point, dev, mnt_id)))
			continue;
		/* a mount new to us: marked; one that could not be is tried
		 * again at the next read */
		if (!(known_key(m, key) && marked(m, dev)) &&
		    (at_mount(point, dev, ops->mark, ctx) || remember(m, dev, point)))
			continue;
		if (add_dev(&settled, &n_settled, dev) || add_key(&keys, &n_keys, key)) {
			rc = -1;
			break;
		}
	}
	/* a table read only in part says nothing of what is gone */
	if (!rc) {
		retain(m, keep, n_keep, seen, n_seen, ops, ctx);
		qsort(keys, n_keys, sizeof(*keys), cmp_key);
		free(m->keys);
		m->keys = keys;
		m->n_keys = n_keys;
		keys = NULL;
	}
	free(keys);
	free(settled);
	free(seen);
	free(keep);
	free(gmnt);
	free(line);
	fclose(f);
	return rc;
}

size_t pgd_mounts_list(const struct pgd_mounts *m, const char *const **points)
{
	*points = (const char *const *)m->points;
	return m->n;
}
