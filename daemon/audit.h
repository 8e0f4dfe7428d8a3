/*
 * audit.h: audit records.  The event loop answers the kernel, then hands a
 * record to the audit queue, which never blocks: a full queue drops the
 * record and counts it.  One writer thread turns records into JSON Lines
 * (a file, appended one whole line per write) and journal entries with
 * structured fields, describing the opener on the way (attr.h).
 */
#ifndef PGD_AUDIT_H
#define PGD_AUDIT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache.h"
#include "config.h"
#include "result.h"
#include "stats.h"

enum pgd_decision { PGD_ALLOW, PGD_DENY, PGD_WOULD_DENY };

/* What decided: a scan, the cache, a policy fallback, or the content. */
enum pgd_cause {
	PGD_CAUSE_SCAN,
	PGD_CAUSE_CACHE,
	PGD_CAUSE_TIMEOUT,
	PGD_CAUSE_BACKLOG,
	PGD_CAUSE_ERROR,
	PGD_CAUSE_NOT_MODEL,
	PGD_CAUSE_SHUTDOWN,
};

struct pgd_audit_rec {
	struct timespec when; /* CLOCK_REALTIME at the answer */
	enum pgd_decision decision;
	enum pgd_mode mode;
	enum pgd_cause cause;
	struct pgd_result *res; /* a reference, or NULL (no verdict) */
	int fd;			/* the event fd, for the path; closed here */
	pid_t pid;
	int pidfd;		/* closed here when >= 0 */
	struct pgd_key key;
	uint64_t event_ns;	/* when the event was read, CLOCK_BOOTTIME */
	uint64_t latency_us;	/* event read to answer */
	struct pgd_audit_rec *next;
};

struct pgd_audit;
struct pgd_attr;

/* NULL with a message in err when the audit file cannot be opened.  The
 * writer describes openers with attr (its own from then on). */
struct pgd_audit *pgd_audit_start(const struct pgd_config *cfg, struct pgd_attr *attr,
				  struct pgd_stats *stats, char *err, size_t errlen);
/* Takes the record (and its fd, pidfd and result reference). */
void pgd_audit_submit(struct pgd_audit *a, struct pgd_audit_rec *rec);
/* Sinks from a new configuration; the file is reopened even when its
 * path is the same (log rotation), by the writer thread, soon. */
void pgd_audit_reopen(struct pgd_audit *a, const struct pgd_config *cfg);
/* Write what is queued, then stop. */
void pgd_audit_stop(struct pgd_audit *a);

const char *pgd_decision_name(enum pgd_decision d);

#endif
