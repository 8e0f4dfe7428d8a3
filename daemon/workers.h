/*
 * workers.h: the scan pool.  The event loop hands over a job (an open
 * event fd and the configuration to judge it by); a worker thread reads
 * the file through that fd with its own io_uring, scans it, and puts the
 * job on the done list, signalling an eventfd the loop polls.  A file the
 * loop could not sniff without waiting for the disk goes first to a thread
 * of its own that only tells models from other files, so that such a file
 * never waits behind a scan and the loop never reads from a disk.  The loop
 * never waits for a worker: at a deadline it answers the kernel itself and
 * sets the job's cancel flag, which ends the scan at its next read or
 * within a few thousand opcodes.  The job, and its fd, stay the loop's to
 * free when the job comes back.
 */
#ifndef PGD_WORKERS_H
#define PGD_WORKERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "result.h"

struct pgd_job {
	/* set by the loop */
	int fd;
	uint64_t size;
	bool classify;		/* the loop could not sniff it without blocking */
	struct pgd_config *cfg; /* a reference of the job's own */
	atomic_int cancel;
	void *owner;
	/* set by the worker */
	bool candidate;		/* classify: a model (else not scanned) */
	struct pgd_result *res; /* NULL when err is set */
	int err;		/* negative errno: no memory, or stopped */
	struct pgd_job *next;
};

struct pgd_workers;

/* Start n scan threads and the classify thread; NULL with errno set. */
struct pgd_workers *pgd_workers_start(unsigned n);
/* Readable (an eventfd counter) when jobs are done. */
int pgd_workers_fd(const struct pgd_workers *w);
/* Scans and classify jobs queue in order, each kind on its own threads: n
 * scan threads, and one that classifies and hands models on to them. */
void pgd_workers_submit(struct pgd_workers *w, struct pgd_job *job);
/* Classify jobs not yet classified: the rest of the backlog is scans. */
unsigned pgd_workers_classifying(struct pgd_workers *w);
/* Every job done since the last call, oldest first; NULL if none. */
struct pgd_job *pgd_workers_done(struct pgd_workers *w);
/* Cancel everything, join the threads; jobs that never ran come back from
 * pgd_workers_done with err -ECANCELED.  Then free with pgd_workers_free. */
void pgd_workers_stop(struct pgd_workers *w);
void pgd_workers_free(struct pgd_workers *w);

#endif
