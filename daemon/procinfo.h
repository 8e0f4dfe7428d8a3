/*
 * procinfo.h: who opened a file, from /proc: pid, comm, exe, uids, cgroup.
 * Read after the kernel has been answered, so the opener may be gone or
 * its pid reused by then; with the event's pidfd (FAN_REPORT_PIDFD) the
 * record says whether what was read still belongs to the opener.
 */
#ifndef PGD_PROCINFO_H
#define PGD_PROCINFO_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "strbuf.h"

/* pidfd values besides a real fd (the kernel's FAN_NOPIDFD, FAN_EPIDFD) */
#define PGD_PIDFD_NONE (-1)   /* the group reports no pidfds */
#define PGD_PIDFD_EXITED (-2) /* the opener had exited when the event was read */

struct pgd_proc {
	pid_t pid;
	char comm[64];
	char exe[PATH_MAX];
	long uid, euid, gid;
	char cgroup[1024];
	bool verified;		/* the pid still named the opener after the reads */
	const char *unverified; /* why not, when !verified */
};

/* Fill p for pid; fields that cannot be read stay empty (-1 for ids). */
void pgd_proc_read(pid_t pid, int pidfd, struct pgd_proc *p);
/* "process":{...} */
void pgd_proc_json(struct pg_strbuf *sb, const struct pgd_proc *p);

#endif
