/*
 * cgroup.c: see cgroup.h.  The layouts recognised (cgroup v2 paths):
 *   systemd unit       .../<name>.service, .../<name>.scope (the last one)
 *   docker             .../docker-<64 hex>.scope, /docker/<64 hex>
 *   containerd (CRI)   .../cri-containerd-<64 hex>.scope, .../kubepods/.../<64 hex>
 *   cri-o              .../crio-<64 hex>.scope (not crio-conmon-)
 *   podman             .../libpod-<64 hex>.scope
 *   Kubernetes pod     kubepods-...-pod<uid, _ for ->.slice, kubepods/.../pod<uid>
 */
#include "cgroup.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* kernfs file handles: the cgroup id is the handle */
#define FILEID_KERNFS 0xfe

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

static bool hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* A container id in one path component, by the runtimes' names. */
static bool component_container(const char *c, size_t n, char id[65])
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-",
						"" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t p = strlen(prefixes[i]);
		size_t tail = n >= p + 64 + 6 && ends_with(c, n, ".scope") ? 6 : 0;

		if (n != p + 64 + tail || memcmp(c, prefixes[i], p) || !hex64(c + p))
			continue;
		if (!p && tail)
			continue; /* a bare id is a cgroupfs-driver directory, no .scope */
		memcpy(id, c + p, 64);
		id[64] = '\0';
		return true;
	}
	return false;
}

/* "pod<uid>" or "kubepods-<qos>-pod<uid_with_underscores>.slice" */
static bool component_pod(const char *c, size_t n, char uid[37])
{
	const char *pod = NULL;

	for (size_t i = 0; i + 3 <= n; i++)
		if (!memcmp(c + i, "pod", 3) && (i == 0 || c[i - 1] == '-'))
			pod = c + i + 3;
	if (!pod || (size_t)(c + n - pod) < 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char ch = pod[i] == '_' ? '-' : pod[i];

		if ((i == 8 || i == 13 || i == 18 || i == 23) ? ch != '-' : !isxdigit((unsigned char)ch))
			return false;
		uid[i] = ch;
	}
	uid[36] = '\0';
	return true;
}

void pgd_cgroup_parse(const char *path, struct pgd_cgroup_info *info)
{
	const char *c = path;

	memset(info, 0, sizeof(*info));
	while (*c) {
		size_t n;

		while (*c == '/')
			c++;
		n = strcspn(c, "/");
		if (!n)
			break;
		if (ends_with(c, n, ".service") || ends_with(c, n, ".scope"))
			snprintf(info->unit, sizeof(info->unit), "%.*s", (int)n, c);
		component_container(c, n, info->container_id);
		component_pod(c, n, info->pod_uid);
		c += n;
	}
}

bool pgd_cgroup2_mount(const char *mountinfo, char *point, size_t len)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *dash = strstr(line, " - ");
		char mp[4096], type[64];

		if (dash && (!end || dash < end) &&
		    sscanf(line, "%*u %*u %*u:%*u %*s %4095s", mp) == 1 &&
		    sscanf(dash + 3, "%63s", type) == 1 && !strcmp(type, "cgroup2")) {
			snprintf(point, len, "%s", mp);
			return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

bool pgd_cgroup2_find(char *point, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *text = NULL;
	size_t cap = 0;
	bool found;

	if (!f)
		return false;
	/* the whole table: getdelim with NUL reads to the end */
	if (getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		fclose(f);
		return false;
	}
	fclose(f);
	found = pgd_cgroup2_mount(text, point, len);
	free(text);
	return found;
}

bool pgd_cgroup_path(int root_fd, const char *mount_point, uint64_t id, char *path,
		     size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS }, .id = id };
	char link[64], target[4096];
	size_t mlen = strlen(mount_point);
	ssize_t n;
	int fd;

	if (root_fd < 0)
		return false;
	fd = open_by_handle_at(root_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (n <= 0)
		return false;
	target[n] = '\0';
	if (strncmp(target, mount_point, mlen))
		return false;
	snprintf(path, len, "%s", target[mlen] ? target + mlen : "/");
	return true;
}
