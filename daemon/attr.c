/*
 * attr.c: see attr.h.  Lineage follows the parent recorded at fork (the
 * BPF map keeps it when the parent exits and the child is reparented),
 * from entry to entry, up to PGD_ANCESTORS or pid 1.
 */
#include "attr.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attr_bpf.h"
#include "log.h"

struct pgd_attr {
	struct pgd_bpf *bpf; /* NULL: /proc */
	char boot_id[40];
	char cg2[4096];	     /* cgroup2 mount point, "" if none */
	int cg2_fd;
	uint64_t tick_ns;
};

struct pgd_attr *pgd_attr_open(bool want_bpf, char *why, size_t whylen)
{
	struct pgd_attr *a = calloc(1, sizeof(*a));
	int fd;
	ssize_t n;

	if (!a)
		return NULL;
	why[0] = '\0';
	a->cg2_fd = -1;
	a->tick_ns = pgd_proc_tick_ns();
	if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, a->boot_id, sizeof(a->boot_id) - 1);
		a->boot_id[n > 0 ? n : 0] = '\0';
		a->boot_id[strcspn(a->boot_id, "\n")] = '\0';
		close(fd);
	}
	if (pgd_cgroup2_find(a->cg2, sizeof(a->cg2)))
		a->cg2_fd = open(a->cg2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (want_bpf)
		a->bpf = pgd_bpf_open(why, whylen);
	else
		snprintf(why, whylen, "BPF not wanted (--no-bpf or bpf = no)");
	return a;
}

void pgd_attr_close(struct pgd_attr *a)
{
	if (!a)
		return;
	pgd_bpf_close(a->bpf);
	if (a->cg2_fd >= 0)
		close(a->cg2_fd);
	free(a);
}

const char *pgd_attr_source(const struct pgd_attr *a)
{
	return a->bpf ? "bpf" : "proc";
}

bool pgd_attr_wants_pidfd(const struct pgd_attr *a)
{
	return !a->bpf;
}

/* From /proc, if the process there started no later than `before`: a
 * start in the same clock tick as `before` cannot be told from a later
 * one. */
static bool proc_if_older(struct pgd_attr *a, pid_t pid, uint64_t before,
			  struct pgd_proc *p)
{
	return pgd_proc_read(pid, p) == 0 && p->start_ns + a->tick_ns <= before;
}

static bool lookup(struct pgd_attr *a, pid_t pid, struct pgd_proc *p)
{
	return a->bpf ? pgd_bpf_lookup(a->bpf, pid, p) : pgd_proc_read(pid, p) == 0;
}

static void forget(struct pgd_who *who, const char *why)
{
	pid_t pid = who->self.pid;

	memset(&who->self, 0, sizeof(who->self));
	who->self.pid = pid;
	who->known = false;
	who->verified = false;
	who->unverified = why;
}

static void describe_bpf(struct pgd_attr *a, pid_t pid, uint64_t event_ns, struct pgd_who *who)
{
	if (!pgd_bpf_lookup(a->bpf, pid, &who->self)) {
		/* evicted from the map, or started while it was being filled */
		if (proc_if_older(a, pid, event_ns, &who->self)) {
			who->known = who->verified = true;
			return;
		}
		forget(who, "not in the process map, and /proc cannot tell it from a newer process");
		return;
	}
	who->known = true;
	if (who->self.start_ns > event_ns) {
		forget(who, "the pid was reused after the open");
	} else if (who->self.exec_ns > event_ns) {
		who->unverified = "the opener ran exec after the open: exe and argv are its new program's";
	} else {
		who->verified = true;
	}
}

static void describe_proc(struct pgd_attr *a, pid_t pid, int pidfd, uint64_t event_ns,
			  struct pgd_who *who)
{
	if (pidfd == PGD_PIDFD_EXITED) {
		forget(who, "the opener had exited when the event was read");
		return;
	}
	if (pgd_proc_read(pid, &who->self)) {
		forget(who, "the opener exited before its details were read");
		return;
	}
	who->known = true;
	if (pidfd >= 0) {
		/* a live pidfd after the reads: the pid was the opener's throughout.
		 * EPERM (no CAP_KILL under the unit's bounding set) is alive too:
		 * only ESRCH says the process is gone */
		if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0 || errno == EPERM)
			who->verified = true;
		else
			forget(who, "the opener exited before its details were read");
	} else if (who->self.start_ns + a->tick_ns <= event_ns) {
		who->verified = true;
	} else {
		forget(who, "started in the clock tick of the open: cannot tell it from a newer process");
	}
}

/* The cgroup: the map's, kept up to date by the cgroup_attach_task probe
 * (the process may be gone); from /proc otherwise. */
static void describe_cgroup(struct pgd_attr *a, struct pgd_who *who)
{
	struct pgd_proc *p = &who->self;

	if (p->cgroup_id)
		pgd_cgroup_path(a->cg2_fd, a->cg2, p->cgroup_id, p->cgroup, sizeof(p->cgroup));
	pgd_cgroup_parse(p->cgroup, &who->cg);
}

static void describe_lineage(struct pgd_attr *a, struct pgd_who *who)
{
	const struct pgd_proc *child = &who->self;

	while (who->n_ancestors < PGD_ANCESTORS) {
		struct pgd_proc *parent = &who->ancestors[who->n_ancestors];

		if (child->ppid <= 0)
			return; /* pid 1, or a kernel thread's child */
		if (!lookup(a, child->ppid, parent)) {
			if (!a->bpf || !proc_if_older(a, child->ppid, child->start_ns + 1, parent)) {
				who->lineage_end = a->bpf ? "the parent is no longer in the process map"
							  : "the parent has exited (/proc keeps no lineage)";
				return;
			}
		}
		if (parent->start_ns > child->start_ns) {
			who->lineage_end = "the parent's pid was reused";
			return;
		}
		who->n_ancestors++;
		child = parent;
	}
}

void pgd_attr_describe(struct pgd_attr *a, pid_t pid, int pidfd, uint64_t event_ns,
		       struct pgd_who *who)
{
	who->source = pgd_attr_source(a);
	who->verified = who->known = false;
	who->unverified = NULL;
	who->n_ancestors = 0;
	who->lineage_end = NULL;
	memset(&who->cg, 0, sizeof(who->cg));
	memset(&who->self, 0, sizeof(who->self));
	who->self.pid = pid;
	if (a->bpf)
		describe_bpf(a, pid, event_ns, who);
	else
		describe_proc(a, pid, pidfd, event_ns, who);
	if (!who->known)
		return;
	describe_cgroup(a, who);
	describe_lineage(a, who);
}

static void json_argv(struct pg_strbuf *sb, const struct pgd_proc *p)
{
	size_t i = 0;
	bool first = true;

	pg_sb_puts(sb, "[");
	while (i < p->args_len) {
		const char *s = p->args + i;
		size_t n = strnlen(s, p->args_len - i);

		if (!first)
			pg_sb_puts(sb, ",");
		pg_sb_json_bytes(sb, s, n);
		first = false;
		i += n + 1;
	}
	pg_sb_printf(sb, "],\"argv_truncated\":%s", p->args_truncated ? "true" : "false");
}

static void json_str_or_null(struct pg_strbuf *sb, const char *s)
{
	if (s && s[0])
		pg_sb_json_bytes(sb, s, strlen(s));
	else
		pg_sb_puts(sb, "null");
}

static void json_proc(const struct pgd_attr *a, const struct pgd_proc *p, struct pg_strbuf *sb)
{
	pg_sb_printf(sb, "\"pid\":%d,\"exec_id\":\"%s:%" PRIu64 ":%d\",\"comm\":", (int)p->pid,
		     a->boot_id, p->start_ns, (int)p->pid);
	pg_sb_json_bytes(sb, p->comm, strlen(p->comm));
	pg_sb_puts(sb, ",\"exe\":");
	pg_sb_json_bytes(sb, p->exe, strlen(p->exe));
	pg_sb_puts(sb, ",\"argv\":");
	json_argv(sb, p);
	pg_sb_printf(sb, ",\"exited\":%s,\"origin\":\"%s\"", p->exited ? "true" : "false",
		     p->origin ? p->origin : "proc");
}

void pgd_who_json(const struct pgd_attr *a, const struct pgd_who *who, struct pg_strbuf *sb)
{
	const struct pgd_proc *p = &who->self;

	pg_sb_printf(sb, "\"process\":{\"source\":\"%s\",\"verified\":%s", who->source,
		     who->verified ? "true" : "false");
	if (who->unverified) {
		pg_sb_puts(sb, ",\"unverified\":");
		pg_sb_json_str(sb, who->unverified);
	}
	if (!who->known) {
		pg_sb_printf(sb, ",\"pid\":%d}", (int)p->pid);
		return;
	}
	pg_sb_puts(sb, ",");
	json_proc(a, p, sb);
	pg_sb_printf(sb, ",\"uid\":%ld,\"gid\":%ld,\"loginuid\":%ld,\"start_ns\":%" PRIu64
		     ",\"exec_ns\":%" PRIu64 ",\"cgroup\":",
		     p->uid, p->gid, p->loginuid, p->start_ns, p->exec_ns);
	json_str_or_null(sb, p->cgroup);
	pg_sb_puts(sb, ",\"unit\":");
	json_str_or_null(sb, who->cg.unit);
	pg_sb_puts(sb, ",\"container_id\":");
	json_str_or_null(sb, who->cg.container_id);
	pg_sb_puts(sb, ",\"pod_uid\":");
	json_str_or_null(sb, who->cg.pod_uid);
	pg_sb_puts(sb, ",\"ancestors\":[");
	for (size_t i = 0; i < who->n_ancestors; i++) {
		pg_sb_puts(sb, i ? ",{" : "{");
		json_proc(a, &who->ancestors[i], sb);
		pg_sb_puts(sb, "}");
	}
	pg_sb_puts(sb, "]");
	if (who->lineage_end) {
		pg_sb_puts(sb, ",\"lineage_end\":");
		pg_sb_json_str(sb, who->lineage_end);
	}
	pg_sb_puts(sb, "}");
}
