/*
 * mounts.c: which filesystems to guard, from /proc/self/mountinfo.  Every
 * local filesystem of a real kind by default, never pseudo or network ones;
 * with guard paths, only the filesystems of those paths and of mounts that
 * appear under them.  The mount table is re-read when the kernel flags it
 * changed (POLLPRI on the open mountinfo file): no timer.
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
	dev_t *devs;   /* their filesystems, marked once each */
	size_t n;
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

static int remember(struct pgd_mounts *m, dev_t dev, const char *point)
{
	char **p = realloc(m->points, (m->n + 1) * sizeof(*p));
	dev_t *d;

	if (!p)
		return -1;
	m->points = p;
	d = realloc(m->devs, (m->n + 1) * sizeof(*d));
	if (!d)
		return -1;
	m->devs = d;
	if (!(m->points[m->n] = strdup(point)))
		return -1;
	m->devs[m->n++] = dev;
	return 0;
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
			ops->unmark(ctx, m->points[i]);
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

/* gdevs[i]: the filesystem guards->v[i] is on (0 if it cannot be seen) */
static bool wanted(const char *point, dev_t dev, const struct pgd_strv *guards,
		   const dev_t *gdevs)
{
	if (!guards->n)
		return true;
	for (size_t i = 0; i < guards->n; i++)
		/* the filesystem a guard path is on, or one mounted under it */
		if (under(point, guards->v[i]) || (gdevs[i] && gdevs[i] == dev))
			return true;
	return false;
}

int pgd_mounts_scan(struct pgd_mounts *m, const struct pgd_strv *guards,
		    const struct pgd_mount_ops *ops, void *ctx)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0, n_seen = 0, n_keep = 0;
	dev_t *seen = NULL, *keep = NULL, *gdevs;
	int fd, rc = 0;

	gdevs = calloc(guards->n ? guards->n : 1, sizeof(*gdevs));
	if (!gdevs)
		return -1;
	for (size_t i = 0; i < guards->n; i++) {
		struct stat st;

		if (!stat(guards->v[i], &st))
			gdevs[i] = st.st_dev;
	}
	fd = dup(m->fd);
	/* read through a dup (same offset, rewound) so that fclose leaves
	 * the polled fd open */
	if (fd < 0 || lseek(m->fd, 0, SEEK_SET) < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		free(gdevs);
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		char point[4096], type[256];
		unsigned maj, min;
		char *dash = strstr(line, " - ");
		dev_t dev;
		bool want;

		if (!dash || sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, point) != 3 ||
		    sscanf(dash + 3, "%255s", type) != 1)
			continue;
		unescape(point);
		dev = makedev(maj, min);
		want = real_type(type) && wanted(point, dev, guards, gdevs);
		if (add_dev(&seen, &n_seen, dev) || (want && add_dev(&keep, &n_keep, dev))) {
			rc = -1;
			break;
		}
		if (!want || marked(m, dev))
			continue;
		if (ops->mark(ctx, point) == 0 && remember(m, dev, point))
			rc = -1;
	}
	/* a table read only in part says nothing of what is gone */
	if (!rc)
		retain(m, keep, n_keep, seen, n_seen, ops, ctx);
	free(seen);
	free(keep);
	free(gdevs);
	free(line);
	fclose(f);
	return rc;
}

size_t pgd_mounts_list(const struct pgd_mounts *m, const char *const **points)
{
	*points = (const char *const *)m->points;
	return m->n;
}
