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
 * table.  So a guarded device is known by one of its mounts, with the
 * 64-bit mount ID that is never reused (STATX_MNT_ID_UNIQUE, Linux 6.8+);
 * a device whose mount is new to us is marked again (marking twice is
 * harmless).  Without unique IDs every wanted device is marked again at
 * every read.  Marks go through the mount point opened O_PATH and checked
 * to be the mount the table named (by its mount ID: btrfs subvolumes have
 * device numbers no mount has), so that a mount point that went away in
 * between never marks the filesystem beneath it.  Guard paths find their
 * mount by mount ID too, without triggering automounts.
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
	uint64_t *keys; /* unique mount IDs settling each device at the last read, sorted */
	size_t n_keys;
};

/* A line of the table: a mount, as far as a read needs it. */
struct mount_line {
	unsigned id; /* the table's (reusable) mount ID */
	dev_t dev;
	char point[4096];
};

/* What one read of the table gathers. */
struct reading {
	dev_t *seen, *keep, *settled;
	size_t n_seen, n_keep, n_settled;
	uint64_t *keys;
	size_t n_keys;
	struct mount_line *unwanted; /* one mount of each guarded device no longer wanted */
	size_t n_unwanted;
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

/* The mount a line names, opened O_PATH, if its point still is that
 * mount; *key: its unique mount ID, 0 if the kernel has none.  -1 if not. */
static int open_mount(const struct mount_line *ml, uint64_t *key)
{
	struct statx stx;
	int fd = open(ml->point, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* before Linux 5.8 there is no mount ID to check: taken as is */
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) && (stx.stx_mask & STATX_MNT_ID) &&
	    stx.stx_mnt_id != ml->id) {
		close(fd);
		return -1;
	}
	*key = 0;
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &stx) &&
	    (stx.stx_mask & STATX_MNT_ID_UNIQUE))
		*key = stx.stx_mnt_id;
	return fd;
}

/* Keep the guarded filesystems the read wants (gone ones took their marks
 * with them; the others are unmarked first). */
static void retain(struct pgd_mounts *m, const struct reading *r,
		   const struct pgd_mount_ops *ops, void *ctx)
{
	size_t out = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (contains(r->keep, r->n_keep, m->devs[i])) {
			m->points[out] = m->points[i];
			m->devs[out++] = m->devs[i];
			continue;
		}
		for (size_t j = 0; j < r->n_unwanted; j++) {
			uint64_t key;
			int fd;

			if (r->unwanted[j].dev != m->devs[i] ||
			    (fd = open_mount(&r->unwanted[j], &key)) < 0)
				continue;
			ops->unmark(ctx, fd, r->unwanted[j].point);
			close(fd);
		}
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

	if (statx(AT_FDCWD, path, AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return (unsigned)stx.stx_mnt_id;
}

/* type: 256 bytes */
static bool parse_line(char *line, struct mount_line *ml, char *type)
{
	char *dash = strstr(line, " - ");
	unsigned maj, min;

	if (!dash || sscanf(line, "%u %*u %u:%u %*s %4095s", &ml->id, &maj, &min, ml->point) != 4 ||
	    sscanf(dash + 3, "%255s", type) != 1)
		return false;
	unescape(ml->point);
	ml->dev = makedev(maj, min);
	return true;
}

/* A wanted mount: its device marked unless this read or a known mount of
 * it settled it already.  A mount that cannot be marked now is tried again
 * at the next read.  -1: out of memory. */
static int settle(struct pgd_mounts *m, struct reading *r, const struct mount_line *ml,
		  const struct pgd_mount_ops *ops, void *ctx)
{
	uint64_t key;
	bool known;
	int fd;

	if (add_dev(&r->keep, &r->n_keep, ml->dev))
		return -1;
	/* within one read a device number is one filesystem */
	if (contains(r->settled, r->n_settled, ml->dev) || (fd = open_mount(ml, &key)) < 0)
		return 0;
	known = marked(m, ml->dev) && key && m->n_keys &&
		bsearch(&key, m->keys, m->n_keys, sizeof(key), cmp_key);
	if (!known && (ops->mark(ctx, fd, ml->point, marked(m, ml->dev)) ||
		       remember(m, ml->dev, ml->point))) {
		close(fd);
		return 0;
	}
	close(fd);
	if (add_dev(&r->settled, &r->n_settled, ml->dev) ||
	    (key && add_key(&r->keys, &r->n_keys, key)))
		return -1;
	return 0;
}

static int note_unwanted(const struct pgd_mounts *m, struct reading *r,
			 const struct mount_line *ml)
{
	struct mount_line *grown;

	if (!marked(m, ml->dev))
		return 0;
	for (size_t i = 0; i < r->n_unwanted; i++)
		if (r->unwanted[i].dev == ml->dev)
			return 0;
	if (!(grown = realloc(r->unwanted, (r->n_unwanted + 1) * sizeof(*grown))))
		return -1;
	r->unwanted = grown;
	r->unwanted[r->n_unwanted++] = *ml;
	return 0;
}

int pgd_mounts_scan(struct pgd_mounts *m, const struct pgd_strv *guards,
		    const struct pgd_mount_ops *ops, void *ctx)
{
	struct reading r = { 0 };
	struct mount_line *ml = malloc(sizeof(*ml));
	char *line = NULL, type[256];
	size_t cap = 0;
	unsigned *gmnt = calloc(guards->n ? guards->n : 1, sizeof(*gmnt));
	FILE *f = NULL;
	int fd, rc = -1;

	if (!gmnt || !ml)
		goto out;
	for (size_t i = 0; i < guards->n; i++)
		gmnt[i] = mount_id_of(guards->v[i]);
	/* read through a dup (same offset, rewound) so that fclose leaves
	 * the polled fd open */
	fd = dup(m->fd);
	if (fd < 0 || lseek(m->fd, 0, SEEK_SET) < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	rc = 0;
	while (!rc && getline(&line, &cap, f) > 0) {
		if (!parse_line(line, ml, type))
			continue;
		if (add_dev(&r.seen, &r.n_seen, ml->dev))
			rc = -1;
		else if (real_type(type) && wanted(ml->point, ml->id, guards, gmnt))
			rc = settle(m, &r, ml, ops, ctx);
		else
			rc = note_unwanted(m, &r, ml);
	}
	/* a table read only in part says nothing of what is gone */
	if (!rc) {
		retain(m, &r, ops, ctx);
		qsort(r.keys, r.n_keys, sizeof(*r.keys), cmp_key);
		free(m->keys);
		m->keys = r.keys;
		m->n_keys = r.n_keys;
		r.keys = NULL;
	}
out:
	free(r.keys);
	free(r.settled);
	free(r.seen);
	free(r.keep);
	free(r.unwanted);
	free(gmnt);
	free(ml);
	free(line);
	if (f)
		fclose(f);
	return rc;
}

size_t pgd_mounts_list(const struct pgd_mounts *m, const char *const **points)
{
	*points = (const char *const *)m->points;
	return m->n;
}
