/* procinfo.c: see procinfo.h. */
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A process's /proc directory, open: files read through it are that
 * process's or none (ESRCH), never those of a newer one at its pid. */
static int open_proc_dir(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Read a small /proc file; bytes read or -1. */
static ssize_t read_proc(int dir, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

uint64_t pgd_proc_tick_ns(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return 1000000000u / (uint64_t)(hz > 0 ? hz : 100);
}

/* Fields of /proc/PID/stat after the comm, which may hold spaces and ')'. */
static bool read_stat(int dir, pid_t *ppid, uint64_t *start_ns)
{
	char buf[1024], *p;
	unsigned long long start_ticks;
	int pp;

	if (read_proc(dir, "stat", buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return false;
	/* ") S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 *  utime stime cutime cstime priority nice threads itrealvalue starttime" */
	if (sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d"
			  " %*d %*d %llu", &pp, &start_ticks) != 2)
		return false;
	*ppid = pp;
	*start_ns = start_ticks * pgd_proc_tick_ns();
	return true;
}

static bool read_cgroup(int dir, char *path, size_t len)
{
	char buf[8192], *save = NULL;

	if (read_proc(dir, "cgroup", buf, sizeof(buf)) < 0)
		return false;
	/* on hybrid hosts the v1 lines come first; v2 is "0::" */
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, len, "%s", line + 3);
			return true;
		}
	return false;
}

bool pgd_proc_cgroup(pid_t pid, char *path, size_t len)
{
	int dir = open_proc_dir(pid);
	bool ok;

	if (dir < 0)
		return false;
	ok = read_cgroup(dir, path, len);
	close(dir);
	return ok;
}

static void read_ids(int dir, struct pgd_proc *p)
{
	char buf[4096], *line;

	if (read_proc(dir, "status", buf, sizeof(buf)) < 0)
		return;
	if ((line = strstr(buf, "\nUid:")))
		sscanf(line, "\nUid: %ld %ld", &p->uid, &p->euid);
	if ((line = strstr(buf, "\nGid:")))
		sscanf(line, "\nGid: %ld", &p->gid);
	if (read_proc(dir, "loginuid", buf, sizeof(buf)) > 0) {
		unsigned long v = strtoul(buf, NULL, 10);

		p->loginuid = v == 4294967295UL ? -1 : (long)v;
	}
}

int pgd_proc_read(pid_t pid, struct pgd_proc *p)
{
	char args[PGD_ARGS_MAX + 2];
	ssize_t n;
	int dir;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = p->euid = p->gid = p->loginuid = -1;
	p->origin = "proc";
	if ((dir = open_proc_dir(pid)) < 0)
		return -1;
	if (!read_stat(dir, &p->ppid, &p->start_ns)) {
		close(dir);
		return -1;
	}
	if ((n = read_proc(dir, "comm", p->comm, sizeof(p->comm))) > 0 &&
	    p->comm[n - 1] == '\n')
		p->comm[n - 1] = '\0';
	n = readlinkat(dir, "exe", p->exe, sizeof(p->exe) - 1);
	p->exe[n > 0 ? n : 0] = '\0';
	/* one byte more than kept, to tell a truncation */
	if ((n = read_proc(dir, "cmdline", args, sizeof(args))) > 0) {
		p->args_truncated = n > PGD_ARGS_MAX;
		p->args_len = (size_t)(n > PGD_ARGS_MAX ? PGD_ARGS_MAX : n);
		memcpy(p->args, args, p->args_len);
	}
	read_ids(dir, p);
	read_cgroup(dir, p->cgroup, sizeof(p->cgroup));
	close(dir);
	return 0;
}
