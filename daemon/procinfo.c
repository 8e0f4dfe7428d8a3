/* procinfo.c: see procinfo.h. */
#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Read a small /proc file; returns bytes read or -1. */
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

static void read_ids(pid_t pid, struct pgd_proc *p)
{
	char buf[4096], *line;

	if (read_proc(pid, "status", buf, sizeof(buf)) < 0)
		return;
	if ((line = strstr(buf, "\nUid:")))
		sscanf(line, "\nUid: %ld %ld", &p->uid, &p->euid);
	if ((line = strstr(buf, "\nGid:")))
		sscanf(line, "\nGid: %ld", &p->gid);
}

/* The cgroup2 path ("0::/..." line); on hybrid hosts the v1 lines precede it. */
static void read_cgroup(pid_t pid, struct pgd_proc *p)
{
	char buf[8192], *save = NULL;

	if (read_proc(pid, "cgroup", buf, sizeof(buf)) < 0)
		return;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "0::", 3)) {
			snprintf(p->cgroup, sizeof(p->cgroup), "%s", line + 3);
			return;
		}
}

static void forget(struct pgd_proc *p, const char *why)
{
	/* what was read may be another process's by now */
	p->comm[0] = p->exe[0] = p->cgroup[0] = '\0';
	p->uid = p->euid = p->gid = -1;
	p->verified = false;
	p->unverified = why;
}

void pgd_proc_read(pid_t pid, int pidfd, struct pgd_proc *p)
{
	char path[64];
	ssize_t n;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = p->euid = p->gid = -1;
	if (pidfd == PGD_PIDFD_EXITED) {
		forget(p, "the opener had exited when the event was read");
		return;
	}
	if ((n = read_proc(pid, "comm", p->comm, sizeof(p->comm))) > 0 &&
	    p->comm[n - 1] == '\n')
		p->comm[n - 1] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	p->exe[n > 0 ? n : 0] = '\0';
	read_ids(pid, p);
	read_cgroup(pid, p);
	if (pidfd < 0) {
		p->unverified = "no pidfd from the kernel: the pid may have been reused";
		return;
	}
	/* a live pidfd after the reads: the pid was the opener's throughout */
	p->verified = syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
	if (!p->verified)
		forget(p, "the opener exited before its details were read");
}

void pgd_proc_json(struct pg_strbuf *sb, const struct pgd_proc *p)
{
	pg_sb_printf(sb, "\"process\":{\"pid\":%d,\"comm\":", (int)p->pid);
	pg_sb_json_bytes(sb, p->comm, strlen(p->comm));
	pg_sb_puts(sb, ",\"exe\":");
	pg_sb_json_bytes(sb, p->exe, strlen(p->exe));
	pg_sb_printf(sb, ",\"uid\":%ld,\"euid\":%ld,\"gid\":%ld,\"cgroup\":", p->uid,
		     p->euid, p->gid);
	pg_sb_json_bytes(sb, p->cgroup, strlen(p->cgroup));
	pg_sb_printf(sb, ",\"source\":\"proc\",\"verified\":%s", p->verified ? "true" : "false");
	if (!p->verified) {
		pg_sb_puts(sb, ",\"unverified\":");
		pg_sb_json_str(sb, p->unverified);
	}
	pg_sb_puts(sb, "}");
}
