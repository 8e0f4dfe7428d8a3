/* procinfo.c: see procinfo.h. */
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a small /proc file; bytes read or -1. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
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
static bool read_stat(pid_t pid, pid_t *ppid, uint64_t *start_ns)
{
	char buf[1024], *p;
	unsigned long long start_ticks;
	int pp;

	if (read_proc(pid, "stat", buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
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

bool pgd_proc_cgroup(pid_t pid, char *path, size_t len)
{
	char buf[8192], *save = NULL;

	if (read_proc(pid, "cgroup", buf, sizeof(buf)) < 0)
		return false;
	/* on hybrid hosts the v1 lines come first; v2 is "0::" */
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3)) {
			snprintf(path, len, "%s", line + 3);
			return true;
		}
	return false;
}

static void read_ids(pid_t pid, struct pgd_proc *p)
{
	char buf[4096], *line;

	if (read_proc(pid, "status", buf, sizeof(buf)) < 0)
		return;
	if ((line = strstr(buf, "\nUid:")))
		sscanf(line, "\nUid: %ld %ld", &p->uid, &p->euid);
	if ((line = strstr(buf, "\nGid:")))
		sscanf(line, "\nGid: %ld", &p->gid);
	if (read_proc(pid, "loginuid", buf, sizeof(buf)) > 0) {
		unsigned long v = strtoul(buf, NULL, 10);

		p->loginuid = v == 4294967295UL ? -1 : (long)v;
	}
}

int pgd_proc_read(pid_t pid, struct pgd_proc *p)
{
	char path[64], args[PGD_ARGS_MAX + 2];
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = p->euid = p->gid = p->loginuid = -1;
	p->origin = "proc";
	if (!read_stat(pid, &p->ppid, &p->start_ns))
		return -1;
	if ((n = read_proc(pid, "comm", p->comm, sizeof(p->comm))) > 0 &&
	    p->comm[n - 1] == '\n')
		p->comm[n - 1] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	p->exe[n > 0 ? n : 0] = '\0';
	/* one byte more than kept, to tell a truncation */
	if ((n = read_proc(pid, "cmdline", args, sizeof(args))) > 0) {
		p->args_truncated = n > PGD_ARGS_MAX;
		p->args_len = (size_t)(n > PGD_ARGS_MAX ? PGD_ARGS_MAX : n);
		memcpy(p->args, args, p->args_len);
	}
	read_ids(pid, p);
	pgd_proc_cgroup(pid, p->cgroup, sizeof(p->cgroup));
	return 0;
}
