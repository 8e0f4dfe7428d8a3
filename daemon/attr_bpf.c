/*
 * attr_bpf.c: see attr_bpf.h.  The programs are attached before the
 * backfill, so a process that starts while /proc is read is seen by the
 * probes; backfilled entries never replace what a probe wrote
 * (BPF_NOEXIST).
 */
#include "attr_bpf.h"

#include <dirent.h>
#include <errno.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.h"
#include "log.h"
#include "pg_proc.h"
#include "pickleguard.skel.h"

struct pgd_bpf {
	struct pickleguard_bpf *skel;
	int map_fd;
	size_t backfilled;
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's own chatter: only in debug mode, through our log */
	char msg[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libbpf: %s", msg);
	return 0;
}

static void entry_from_proc(const struct pgd_proc *p, const char *cg2, struct pg_proc *e)
{
	char path[4096];
	struct stat st;

	memset(e, 0, sizeof(*e));
	e->start_ns = p->start_ns;
	e->ppid = (__u32)p->ppid;
	e->uid = (__u32)p->uid;
	e->gid = (__u32)p->gid;
	e->loginuid = (__u32)p->loginuid;
	e->source = PG_SRC_PROC;
	/* truncated as the kernel truncates them */
	memcpy(e->comm, p->comm, strnlen(p->comm, sizeof(e->comm) - 1));
	e->exe_len = (__u16)strnlen(p->exe, sizeof(e->exe) - 1);
	memcpy(e->exe, p->exe, e->exe_len);
	e->args_len = (__u16)(p->args_len < sizeof(e->args) ? p->args_len : sizeof(e->args));
	memcpy(e->args, p->args, e->args_len);
	e->args_truncated = p->args_truncated;
	/* a cgroup v2 id is its directory's inode number */
	if (cg2 && p->cgroup[0]) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", cg2, p->cgroup) < sizeof(path) &&
		    stat(path, &st) == 0)
			e->cgroup_id = st.st_ino;
	}
}

static void backfill(struct pgd_bpf *b, const char *cg2)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d) {
		log_warn("bpf: backfill: /proc");
		return;
	}
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		struct pgd_proc p;
		struct pg_proc e;
		__u32 key;

		if (*end || pid <= 0 || pgd_proc_read((pid_t)pid, &p))
			continue;
		entry_from_proc(&p, cg2, &e);
		key = (__u32)pid;
		if (bpf_map_update_elem(b->map_fd, &key, &e, BPF_NOEXIST) == 0)
			b->backfilled++;
	}
	closedir(d);
}

struct pgd_bpf *pgd_bpf_open(char *why, size_t whylen)
{
	struct pgd_bpf *b = calloc(1, sizeof(*b));
	char cg2[4096];
	int rc;

	if (!b) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	libbpf_set_print(quiet);
	b->skel = pickleguard_bpf__open();
	if (!b->skel) {
		snprintf(why, whylen, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	if ((rc = pickleguard_bpf__load(b->skel))) {
		snprintf(why, whylen, "cannot load the BPF programs: %s%s", strerror(-rc),
			 rc == -EPERM ? " (needs CAP_BPF and CAP_PERFMON)" : "");
		goto fail;
	}
	if ((rc = pickleguard_bpf__attach(b->skel))) {
		snprintf(why, whylen, "cannot attach the BPF programs: %s", strerror(-rc));
		goto fail;
	}
	b->map_fd = bpf_map__fd(b->skel->maps.procs);
	backfill(b, pgd_cgroup2_find(cg2, sizeof(cg2)) ? cg2 : NULL);
	return b;
fail:
	pickleguard_bpf__destroy(b->skel);
	free(b);
	return NULL;
}

void pgd_bpf_close(struct pgd_bpf *b)
{
	if (!b)
		return;
	pickleguard_bpf__destroy(b->skel);
	free(b);
}

size_t pgd_bpf_backfilled(const struct pgd_bpf *b)
{
	return b->backfilled;
}

bool pgd_bpf_lookup(struct pgd_bpf *b, pid_t tgid, struct pgd_proc *p)
{
	struct pg_proc e;
	__u32 key = (__u32)tgid;

	if (bpf_map_lookup_elem(b->map_fd, &key, &e))
		return false;
	memset(p, 0, sizeof(*p));
	p->pid = tgid;
	p->ppid = (pid_t)e.ppid;
	p->start_ns = e.start_ns;
	p->exec_ns = e.exec_ns;
	p->exited = e.exit_ns != 0;
	p->uid = p->euid = e.uid == (__u32)-1 ? -1 : (long)e.uid;
	p->gid = e.gid == (__u32)-1 ? -1 : (long)e.gid;
	p->loginuid = e.loginuid == (__u32)-1 ? -1 : (long)e.loginuid;
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)sizeof(e.comm), e.comm);
	snprintf(p->exe, sizeof(p->exe), "%.*s",
		 (int)(e.exe_len < sizeof(e.exe) ? e.exe_len : sizeof(e.exe)), e.exe);
	p->args_len = e.args_len < sizeof(p->args) ? e.args_len : sizeof(p->args);
	memcpy(p->args, e.args, p->args_len);
	p->args_truncated = e.args_truncated;
	p->cgroup_id = e.cgroup_id;
	p->origin = e.source == PG_SRC_EXEC ? "exec" : e.source == PG_SRC_FORK ? "fork" : "proc";
	return true;
}
