/*
 * attr.h: attribution: who opened a file, from where, launched by whom.
 * The source is the BPF process map when the programs load, else /proc.
 * Used by the audit writer alone, after the kernel has been answered.
 *
 * Pid reuse: an entry describes the opener only if its process started
 * before the event (exact start times with BPF; to the clock tick, or the
 * event's pidfd, with /proc), an ancestor only if it started before its
 * child.  What cannot be verified is said so and not shown: no record
 * gets another process's details.
 */
#ifndef PGD_ATTR_H
#define PGD_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "procinfo.h"
#include "strbuf.h"

/* pidfd values besides a real fd (the kernel's FAN_NOPIDFD, FAN_EPIDFD) */
#define PGD_PIDFD_NONE (-1)   /* the group reports no pidfds */
#define PGD_PIDFD_EXITED (-2) /* the opener had exited when the event was read */

/* How many ancestors a record lists at most. */
#define PGD_ANCESTORS 8

struct pgd_attr;

/* Who opened a file: filled by pgd_attr_describe. */
struct pgd_who {
	const char *source;	/* "bpf" or "proc" */
	bool verified;
	const char *unverified; /* why not, when !verified */
	bool known;		/* self holds the opener's details */
	struct pgd_proc self;
	struct pgd_cgroup_info cg;
	struct pgd_proc ancestors[PGD_ANCESTORS];
	size_t n_ancestors;
	const char *lineage_end; /* why the chain stops early, or NULL */
};

/* want_bpf false: /proc only.  NULL only without memory; a BPF that
 * cannot load leaves /proc, and why says what stopped it. */
struct pgd_attr *pgd_attr_open(bool want_bpf, char *why, size_t whylen);
void pgd_attr_close(struct pgd_attr *a);
/* "bpf" or "proc" */
const char *pgd_attr_source(const struct pgd_attr *a);
/* Does verification need the event's pidfd (FAN_REPORT_PIDFD)? */
bool pgd_attr_wants_pidfd(const struct pgd_attr *a);
/* The opener of an event read at event_ns (CLOCK_BOOTTIME). */
void pgd_attr_describe(struct pgd_attr *a, pid_t pid, int pidfd, uint64_t event_ns,
		       struct pgd_who *who);
/* "process":{...} */
void pgd_who_json(const struct pgd_attr *a, const struct pgd_who *who, struct pg_strbuf *sb);

#endif
