/*
 * cgroup.h: what a cgroup v2 path says about a process: its systemd unit,
 * its container and Kubernetes pod, and the path of a cgroup id (from the
 * BPF map) once the process is gone.  Works with cgroup2 at /sys/fs/cgroup
 * (unified hosts) or elsewhere (hybrid hosts: /sys/fs/cgroup/unified),
 * found in the mount table.
 */
#ifndef PGD_CGROUP_H
#define PGD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pgd_cgroup_info {
	char unit[256];	       /* last *.service or *.scope component, or "" */
	char container_id[65]; /* docker, containerd, cri-o, podman; or "" */
	char pod_uid[37];      /* Kubernetes pod uid; or "" */
};

/* Parse a cgroup path ("/system.slice/docker-<id>.scope", ...). */
void pgd_cgroup_parse(const char *path, struct pgd_cgroup_info *info);

/* The cgroup2 mount point from mountinfo text; false if there is none. */
bool pgd_cgroup2_mount(const char *mountinfo, char *point, size_t len);
/* The same from /proc/self/mountinfo. */
bool pgd_cgroup2_find(char *point, size_t len);

/*
 * The path (relative to the cgroup2 root, "/..." ) of cgroup id `id`,
 * found through a file handle on the cgroup2 mount (root_fd: an O_PATH or
 * directory fd of it).  False when it is gone.
 */
bool pgd_cgroup_path(int root_fd, const char *mount_point, uint64_t id, char *path,
		     size_t len);

#endif
