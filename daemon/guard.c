/*
 * guard.c: the event loop, where one open() meets its answer.
 *
 *   fanotify event -> own pid? allow at once
 *     -> statx the event fd -> verdict cache (dev, ino, size, times) -> hit: answer
 *     -> sniff head and tail without blocking (RWF_NOWAIT)
 *          not a model: allow, evictable ignore mark (settled files only)
 *          a model: a scan job with a deadline
 *          the read would block: a classify job (a thread of its own)
 *     -> job back from a worker: cache, answer (unless the deadline answered)
 *     -> after every answer: the audit record, queued
 *
 * One io_uring carries the loop's waits: multishot polls on the fanotify
 * group, the signalfd, the workers' eventfd, mountinfo (POLLPRI when the
 * mount table changes) and the control thread's eventfd; its wait timeout
 * is the nearest deadline or heartbeat.  Nothing here opens a file (an
 * open on a guarded filesystem would wait for this very loop) or waits
 * for a disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cache.h"
#include "classify.h"
#include "daemon.h"
#include "fan.h"
#include "log.h"
#include "mounts.h"
#include "attr.h"
#include "workers.h"

#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD 4
struct fanotify_event_info_pidfd {
	struct fanotify_event_info_header hdr;
	__s32 pidfd;
};
#endif

enum tag { TAG_FAN = 1, TAG_SIGNAL, TAG_WORKERS, TAG_MOUNTS, TAG_SWAP };

/* Event reads per wake before the loop looks at its other sources. */
#define FAN_READS_PER_TURN 16

/* One permission event until it is answered and its fd closed. */
struct event {
	int fd;
	pid_t pid;
	int pidfd;
	uint64_t read_ns; /* CLOCK_BOOTTIME */
	struct pgd_key key;
	struct pgd_file_facts facts;
};

/* A model file waiting for a worker. */
struct pgd_pending {
	struct event ev;
	struct pgd_job job; /* job.owner == this */
	uint64_t deadline_ns;
	bool answered;	    /* by the deadline or shutdown, before the job came back */
	struct pgd_pending *prev, *next; /* unanswered ones, by deadline */
};

/* Filesystems without RWF_NOWAIT, remembered by device: tmpfs and ramfs
 * have no disk to wait on and are read directly; others go to a worker. */
#define NOWAIT_DEVS 64

struct nowait_dev {
	uint64_t dev;
	bool memory;
};

struct loop {
	struct pgd_daemon *d;
	struct io_uring ring;
	int sigfd;
	struct pgd_pending *first, *last;
	struct pgd_sniff_buf *sniff;
	uint8_t *evbuf;
	size_t evbuf_len;
	bool fan_more;		/* events may be left unread */
	struct nowait_dev no_nowait[NOWAIT_DEVS];
	size_t n_no_nowait;
	unsigned poll_errors;	/* in a row: many mean a source is gone */
	bool failed;		/* stopped by an error: exit non-zero, be restarted */
	uint64_t beat_every_ns, next_beat_ns;
};

/* Poll failures in a row after which the loop gives up (and systemd
 * restarts it) rather than spin. */
#define POLL_ERRORS_FATAL 1000

/* CLOCK_BOOTTIME: the clock of process start times, so that an event's
 * time tells whether a process at its pid started after it (attr.h). */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- decisions ---- */

static enum pgd_decision deny_in(const struct pgd_config *cfg)
{
	return cfg->mode == PGD_ENFORCE ? PGD_DENY : PGD_WOULD_DENY;
}

static enum pgd_decision by_fallback(const struct pgd_config *cfg, enum pgd_fallback f)
{
	return pgd_fallback_denies(cfg, f) ? deny_in(cfg) : PGD_ALLOW;
}

static bool recorded(const struct pgd_config *cfg, enum pgd_decision dec,
		     enum pgd_cause cause)
{
	if (dec != PGD_ALLOW)
		return true;
	if (cfg->log == PGD_LOG_ALL)
		return true;
	return cfg->log == PGD_LOG_MODEL && cause != PGD_CAUSE_NOT_MODEL;
}

/* Answer the kernel; nothing else comes first but the counters, so that
 * they already count an open when the opener sees its result. */
static void respond(struct loop *l, const struct event *ev, enum pgd_decision dec)
{
	struct pgd_daemon *d = l->d;

	if (dec == PGD_DENY) {
		pgd_count(&d->stats.denied);
	} else {
		pgd_count(&d->stats.allowed);
		if (dec == PGD_WOULD_DENY)
			pgd_count(&d->stats.would_deny);
	}
	if (fan_answer(d->fan, ev->fd, dec != PGD_DENY))
		log_warn("fanotify: answering pid %d", (int)ev->pid);
}

/* After the answer: the record, or just the fds closed.  fd_busy: a
 * worker still reads through ev->fd, so the record gets a copy. */
static void finish(struct loop *l, struct event *ev, enum pgd_decision dec,
		   enum pgd_cause cause, struct pgd_result *res, bool fd_busy)
{
	const struct pgd_config *cfg = l->d->cfg;
	struct pgd_audit_rec *rec = NULL;

	if (recorded(cfg, dec, cause) && (rec = calloc(1, sizeof(*rec)))) {
		clock_gettime(CLOCK_REALTIME, &rec->when);
		rec->decision = dec;
		rec->mode = cfg->mode;
		rec->cause = cause;
		rec->res = pgd_result_get(res);
		rec->fd = fd_busy ? fcntl(ev->fd, F_DUPFD_CLOEXEC, 0) : ev->fd;
		rec->pid = ev->pid;
		rec->pidfd = ev->pidfd;
		rec->key = ev->key;
		rec->event_ns = ev->read_ns;
		rec->latency_us = (now_ns() - ev->read_ns) / 1000u;
		pgd_audit_submit(l->d->audit, rec);
	} else {
		if (recorded(cfg, dec, cause))
			pgd_count(&l->d->stats.audit_dropped); /* no memory */
		if (!fd_busy)
			close(ev->fd);
		if (ev->pidfd >= 0)
			close(ev->pidfd);
	}
	ev->pidfd = -1;
	if (!fd_busy)
		ev->fd = -1;
}

static void answer(struct loop *l, struct event *ev, enum pgd_decision dec,
		   enum pgd_cause cause, struct pgd_result *res, bool fd_busy)
{
	respond(l, ev, dec);
	finish(l, ev, dec, cause, res, fd_busy);
}

static void answer_verdict(struct loop *l, struct event *ev, struct pgd_result *res,
			   enum pgd_cause cause)
{
	const struct pgd_config *cfg = l->d->cfg;

	switch (res->verdict) {
	case PG_VERDICT_UNSAFE:
		answer(l, ev, deny_in(cfg), cause, res, false);
		break;
	case PG_VERDICT_ERROR:
		pgd_count(&l->d->stats.errors);
		answer(l, ev, by_fallback(cfg, cfg->on_error), PGD_CAUSE_ERROR, res, false);
		break;
	default:
		answer(l, ev, PGD_ALLOW, cause, res, false);
	}
}

/* An ignore mark goes only where no change can slip past it: a write
 * through a shared mapping clears no mark, so by default only on files
 * that only root can write; and never on a file changed so recently that
 * a second change could leave its key as it is (PGD_SETTLE_NS). */
static bool may_ignore(const struct pgd_config *cfg, const struct pgd_file_facts *f)
{
	if (!f->settled)
		return false;
	return cfg->ignore_marks == PGD_IGNORE_ALL ||
	       (cfg->ignore_marks == PGD_IGNORE_ROOT_WRITES && f->root_writes_only);
}

/* Not a model: allowed, and where may_ignore says so, never asked about
 * again until it changes.  A change between the sniff and the mark would
 * have cleared a mark that was not there yet, so the file is looked at
 * again after marking and the mark taken back if it moved. */
static void answer_not_model(struct loop *l, struct event *ev)
{
	struct pgd_daemon *d = l->d;
	struct pgd_file_facts facts;
	struct pgd_key now;

	pgd_count(&d->stats.not_model);
	respond(l, ev, PGD_ALLOW);
	if (may_ignore(d->cfg, &ev->facts) && fan_ignore(d->fan, ev->fd) == 0) {
		if (!pgd_key_from_fd(ev->fd, &now, &facts) || !pgd_key_equal(&now, &ev->key))
			fan_unignore(d->fan, ev->fd);
		else
			pgd_count(&d->stats.ignore_marks);
	}
	finish(l, ev, PGD_ALLOW, PGD_CAUSE_NOT_MODEL, NULL, false);
}

/* ---- scan jobs and deadlines ---- */

static void deadline_unlink(struct loop *l, struct pgd_pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		l->first = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		l->last = p->prev;
	p->prev = p->next = NULL;
}

static void deadline_insert(struct loop *l, struct pgd_pending *p)
{
	struct pgd_pending *at = l->last;

	/* deadlines come in order unless a reload changed the timeout */
	while (at && at->deadline_ns > p->deadline_ns)
		at = at->prev;
	p->prev = at;
	p->next = at ? at->next : l->first;
	if (p->next)
		p->next->prev = p;
	else
		l->last = p;
	if (at)
		at->next = p;
	else
		l->first = p;
}

/* A model to scan, or a file to tell from one that the loop could not
 * read without waiting for the disk: a job with a deadline.  Each kind has
 * its own queue and its own bound (backlog). */
static void submit(struct loop *l, struct event *ev, bool classify)
{
	struct pgd_daemon *d = l->d;
	uint64_t classifying = pgd_workers_classifying(d->workers);
	uint64_t waiting = classify ? classifying : pgd_read(&d->stats.backlog) - classifying;
	struct pgd_pending *p;

	if (waiting >= d->cfg->backlog) {
		pgd_count(&d->stats.backlog_full);
		answer(l, ev, by_fallback(d->cfg, d->cfg->on_timeout), PGD_CAUSE_BACKLOG,
		       NULL, false);
		return;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		pgd_count(&d->stats.errors);
		answer(l, ev, by_fallback(d->cfg, d->cfg->on_error), PGD_CAUSE_ERROR, NULL,
		       false);
		return;
	}
	p->ev = *ev;
	p->job.fd = ev->fd;
	p->job.size = ev->key.size;
	p->job.classify = classify;
	p->job.cfg = pgd_config_get(d->cfg);
	p->job.owner = p;
	atomic_init(&p->job.cancel, 0);
	p->deadline_ns = ev->read_ns + d->cfg->scan_timeout_ms * 1000000u;
	deadline_insert(l, p);
	atomic_fetch_add(&d->stats.backlog, 1);
	pgd_workers_submit(d->workers, &p->job);
}

/* Answered before its job came back: the fd stays open for the worker. */
static void answer_early(struct loop *l, struct pgd_pending *p, enum pgd_cause cause)
{
	const struct pgd_config *cfg = l->d->cfg;

	deadline_unlink(l, p);
	p->answered = true;
	atomic_store(&p->job.cancel, 1);
	if (cause == PGD_CAUSE_TIMEOUT)
		pgd_count(&l->d->stats.timeouts);
	answer(l, &p->ev, by_fallback(cfg, cfg->on_timeout), cause, NULL, true);
}

static void expire(struct loop *l, uint64_t now)
{
	while (l->first && l->first->deadline_ns <= now)
		answer_early(l, l->first, PGD_CAUSE_TIMEOUT);
}

static void job_done(struct loop *l, struct pgd_job *job)
{
	struct pgd_daemon *d = l->d;
	struct pgd_pending *p = job->owner;
	bool cancelled = atomic_load(&job->cancel);

	atomic_fetch_sub(&d->stats.backlog, 1);
	if (job->res)
		pgd_count(&d->stats.scans);
	/* a verdict under another allowlist, cut short, or of a file whose
	 * key may not show its next change, is not kept */
	if (job->res && !cancelled && job->cfg == d->cfg && p->ev.facts.settled &&
	    job->res->verdict != PG_VERDICT_ERROR &&
	    pgd_cache_put(d->cache, &p->ev.key, job->res) == 0)
		pgd_set(&d->stats.cache_entries, pgd_cache_size(d->cache));
	if (p->answered) {
		close(p->ev.fd);
	} else {
		deadline_unlink(l, p);
		if (!job->err && !job->candidate) {
			answer_not_model(l, &p->ev);
		} else if (job->err || !job->res) {
			pgd_count(&d->stats.errors);
			answer(l, &p->ev, by_fallback(d->cfg, d->cfg->on_error),
			       PGD_CAUSE_ERROR, NULL, false);
		} else {
			answer_verdict(l, &p->ev, job->res, PGD_CAUSE_SCAN);
		}
	}
	pgd_result_put(job->res);
	pgd_config_put(job->cfg);
	free(p);
}

static void reap_jobs(struct loop *l)
{
	struct pgd_job *job = pgd_workers_done(l->d->workers);

	while (job) {
		struct pgd_job *next = job->next;

		job_done(l, job);
		job = next;
	}
}

/* ---- events ---- */

struct sniff_file {
	struct loop *l;
	int fd;
	uint64_t dev;
};

static const struct nowait_dev *no_nowait(struct loop *l, uint64_t dev)
{
	for (size_t i = 0; i < l->n_no_nowait; i++)
		if (l->no_nowait[i].dev == dev)
			return &l->no_nowait[i];
	return NULL;
}

static bool memory_backed(struct loop *l, int fd, uint64_t dev)
{
	const struct nowait_dev *known = no_nowait(l, dev);
	struct statfs sfs;
	bool memory;

	if (known)
		return known->memory;
	memory = fstatfs(fd, &sfs) == 0 &&
		 (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC);
	if (l->n_no_nowait < NOWAIT_DEVS)
		l->no_nowait[l->n_no_nowait++] = (struct nowait_dev){ dev, memory };
	return memory;
}

/* A read that never waits for a disk: -EAGAIN when it would. */
static ssize_t nowait_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct sniff_file *f = ctx;
	const struct nowait_dev *known = no_nowait(f->l, f->dev);
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	ssize_t n;

	if (!known) {
		do
			n = preadv2(f->fd, &iov, 1, (off_t)off, RWF_NOWAIT);
		while (n < 0 && errno == EINTR);
		if (n >= 0)
			return n;
		if (errno != EOPNOTSUPP)
			return -errno;
	}
	if (!memory_backed(f->l, f->fd, f->dev))
		return -EAGAIN; /* cannot tell whether it would wait: a worker reads it */
	do
		n = pread(f->fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int event_pidfd(const struct fanotify_event_metadata *md)
{
	const char *p = (const char *)md + md->metadata_len;
	const char *end = (const char *)md + md->event_len;

	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;

		if (h->len < sizeof(*h) || p + h->len > end)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_PIDFD &&
		    h->len >= sizeof(struct fanotify_event_info_pidfd))
			return ((const struct fanotify_event_info_pidfd *)p)->pidfd;
		p += h->len;
	}
	return PGD_PIDFD_NONE;
}

static void handle_event(struct loop *l, const struct fanotify_event_metadata *md)
{
	struct pgd_daemon *d = l->d;
	struct event ev = { .fd = md->fd, .pid = md->pid, .pidfd = event_pidfd(md),
			    .read_ns = now_ns() };
	struct pgd_result *cached;
	bool candidate;
	int rc;

	if (md->mask & FAN_Q_OVERFLOW) {
		pgd_count(&d->stats.queue_overflows);
		log_warnx("fanotify: the kernel queue overflowed; events were lost");
		return;
	}
	if (ev.fd < 0) {
		if (ev.pidfd >= 0)
			close(ev.pidfd);
		return;
	}
	pgd_count(&d->stats.events);
	if (ev.pid == d->self) {
		/* our own opens (audit file, configuration) wait for no one */
		pgd_count(&d->stats.own);
		respond(l, &ev, PGD_ALLOW);
		close(ev.fd);
		if (ev.pidfd >= 0)
			close(ev.pidfd);
		return;
	}
	if (!pgd_key_from_fd(ev.fd, &ev.key, &ev.facts)) {
		pgd_count(&d->stats.errors);
		answer(l, &ev, by_fallback(d->cfg, d->cfg->on_error), PGD_CAUSE_ERROR, NULL,
		       false);
		return;
	}
	if (!ev.facts.regular || ev.key.size == 0) {
		answer_not_model(l, &ev);
		return;
	}
	if ((cached = pgd_cache_get(d->cache, &ev.key))) {
		pgd_count(&d->stats.cache_hits);
		answer_verdict(l, &ev, cached, PGD_CAUSE_CACHE);
		return;
	}
	rc = pgd_classify(d->classifier, l->sniff, ev.key.size, nowait_read,
			  &(struct sniff_file){ .l = l, .fd = ev.fd, .dev = ev.key.dev }, &candidate);
	if (rc == -EAGAIN)
		submit(l, &ev, true); /* not in the page cache: a worker reads it */
	else if (rc < 0)
		submit(l, &ev, false); /* the scan meets the error and says so */
	else if (!candidate)
		answer_not_model(l, &ev);
	else
		submit(l, &ev, false);
}

static bool still_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

static void read_events(struct loop *l)
{
	l->fan_more = false;
	for (int i = 0; i < FAN_READS_PER_TURN; i++) {
		ssize_t n = read(l->d->fan, l->evbuf, l->evbuf_len);
		const struct fanotify_event_metadata *md = (const void *)l->evbuf;

		if (n < 0) {
			/* an event whose fd could not be opened without waiting (a
			 * lease to break) was denied and failed the read with
			 * EAGAIN too: the rest may still be queued */
			if (errno == EAGAIN) {
				if (!still_readable(l->d->fan))
					return;
				continue;
			}
			if (errno != EINTR)
				log_warn("fanotify: read");
			if (errno == EMFILE || errno == ENFILE) {
				/* the kernel denied the event it could not give us; the
				 * rest stay queued, and no new wakeup may come for them */
				l->fan_more = true;
				return;
			}
			continue;
		}
		for (; FAN_EVENT_OK(md, n); md = FAN_EVENT_NEXT(md, n)) {
			if (md->vers != FANOTIFY_METADATA_VERSION) {
				log_warnx("fanotify: event version %u, expected %u", md->vers,
					  FANOTIFY_METADATA_VERSION);
				l->failed = l->d->stop = true;
				return;
			}
			handle_event(l, md);
		}
	}
	l->fan_more = true;
}

/* ---- marks, configuration, status ---- */

static int mark_fs(void *ctx, int fd, const char *point, bool again)
{
	struct pgd_daemon *d = ctx;

	if (fan_mark_fs(d->fan, fd)) {
		log_warn("cannot guard %s", point);
		return -1;
	}
	if (!again)
		log_info("guarding the filesystem of %s", point);
	return 0;
}

static int unmark_fs(void *ctx, int fd, const char *point)
{
	struct pgd_daemon *d = ctx;

	if (fan_unmark_fs(d->fan, fd)) {
		log_warn("cannot stop guarding %s", point);
		return -1;
	}
	log_info("no longer guarding the filesystem of %s", point);
	return 0;
}

static const struct pgd_mount_ops mount_ops = { .mark = mark_fs, .unmark = unmark_fs };

/* What status shows: the configuration and the guarded mounts. */
static void publish(struct pgd_daemon *d)
{
	const char *const *points;
	size_t n = pgd_mounts_list(d->mounts, &points);
	char **copy = calloc(n ? n : 1, sizeof(*copy));
	struct pgd_config *old_cfg;
	char **old;
	size_t old_n;

	for (size_t i = 0; copy && i < n; i++)
		copy[i] = strdup(points[i]); /* NULL shows as missing, no harm */
	pthread_mutex_lock(&d->lock);
	old_cfg = d->shown_cfg;
	d->shown_cfg = pgd_config_get(d->cfg);
	old = d->shown_mounts;
	old_n = d->n_shown_mounts;
	if (copy) {
		d->shown_mounts = copy;
		d->n_shown_mounts = n;
	}
	pthread_mutex_unlock(&d->lock);
	pgd_config_put(old_cfg);
	if (copy) {
		for (size_t i = 0; i < old_n; i++)
			free(old[i]);
		free(old);
	}
}

static void rescan_mounts(struct loop *l)
{
	struct pgd_daemon *d = l->d;

	if (pgd_mounts_scan(d->mounts, &d->cfg->guards, &mount_ops, d))
		log_warn("mount table");
	/* a device number may now be another filesystem's */
	l->n_no_nowait = 0;
	publish(d);
}

int pgd_guard_mark(struct pgd_daemon *d)
{
	const char *const *points;

	if (pgd_mounts_scan(d->mounts, &d->cfg->guards, &mount_ops, d))
		return -1;
	publish(d);
	return pgd_mounts_list(d->mounts, &points) ? 0 : -1;
}

/* Takes cfg's reference; false when it could not be put in use. */
static bool apply_config(struct loop *l, struct pgd_config *cfg)
{
	struct pgd_daemon *d = l->d;
	struct pgd_config *old = d->cfg;
	struct pgd_cache *cache = pgd_cache_new(cfg->cache_entries, PGD_CACHE_BYTES);
	struct pg_classifier *classifier = pg_classifier_new(&cfg->scan);

	if (!cache || !classifier) {
		log_warnx("reload: out of memory; keeping the old configuration");
		pgd_cache_free(cache);
		pg_classifier_free(classifier);
		pgd_config_put(cfg);
		return false;
	}
	/* verdicts depend on the allowlist: start over */
	pgd_cache_free(d->cache);
	d->cache = cache;
	pgd_set(&d->stats.cache_entries, 0);
	pg_classifier_free(d->classifier);
	d->classifier = classifier;
	d->cfg = cfg;
	if (cfg->ignore_marks < old->ignore_marks && fan_flush_ignores(d->fan))
		log_warn("fanotify: dropping ignore marks");
	if (old->workers != cfg->workers)
		log_warnx("reload: workers = %u takes effect at the next start", cfg->workers);
	rescan_mounts(l);
	pgd_audit_reopen(d->audit, cfg);
	log_info("configuration from %s: mode %s", cfg->source, pgd_mode_name(cfg->mode));
	pgd_config_put(old);
	return true;
}

static void take_config(struct loop *l)
{
	struct pgd_daemon *d = l->d;
	struct pgd_config *cfg;
	uint64_t asked, one;
	bool ok;

	if (read(d->swap_efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("reload eventfd");
	pthread_mutex_lock(&d->lock);
	cfg = d->next_cfg;
	d->next_cfg = NULL;
	asked = d->reloads_asked;
	pthread_mutex_unlock(&d->lock);
	ok = !cfg || apply_config(l, cfg);
	pthread_mutex_lock(&d->lock);
	d->reload_ok = ok;
	d->reloads_done = asked;
	pthread_cond_broadcast(&d->applied);
	pthread_mutex_unlock(&d->lock);
}

static void handle_signals(struct loop *l)
{
	struct signalfd_siginfo si;
	uint64_t one = 1;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reloading the configuration");
			if (write(l->d->reload_efd, &one, sizeof(one)) < 0)
				log_warn("reload eventfd");
		} else {
			log_info("signal %u: stopping", si.ssi_signo);
			l->d->stop = true;
		}
	}
}

/* The watchdog pings go from a thread of their own (watchdog.c), so that
 * a full notify socket never stalls the loop; the loop only shows that it
 * turns, and wakes often enough for that when idle. */
static void beat(struct loop *l, uint64_t now)
{
	atomic_fetch_add_explicit(&l->d->heartbeat, 1, memory_order_relaxed);
	if (l->beat_every_ns && now >= l->next_beat_ns)
		l->next_beat_ns = now + l->beat_every_ns;
}

/* ---- the ring ---- */

static void arm(struct loop *l, int fd, unsigned events, enum tag tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe) {
		io_uring_submit(&l->ring);
		sqe = io_uring_get_sqe(&l->ring);
	}
	io_uring_prep_poll_multishot(sqe, fd, events);
	io_uring_sqe_set_data64(sqe, tag);
}

static const struct {
	unsigned events;
} tag_events[] = {
	[TAG_FAN] = { POLLIN },	     [TAG_SIGNAL] = { POLLIN },
	[TAG_WORKERS] = { POLLIN },  [TAG_MOUNTS] = { POLLPRI | POLLERR },
	[TAG_SWAP] = { POLLIN },
};

static int tag_fd(const struct loop *l, enum tag tag)
{
	switch (tag) {
	case TAG_FAN: return l->d->fan;
	case TAG_SIGNAL: return l->sigfd;
	case TAG_WORKERS: return pgd_workers_fd(l->d->workers);
	case TAG_MOUNTS: return pgd_mounts_fd(l->d->mounts);
	default: return l->d->swap_efd;
	}
}

static void completion(struct loop *l, const struct io_uring_cqe *cqe)
{
	enum tag tag = (enum tag)io_uring_cqe_get_data64(cqe);

	if (tag < TAG_FAN || tag > TAG_SWAP)
		return;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		arm(l, tag_fd(l, tag), tag_events[tag].events, tag);
	if (cqe->res < 0) {
		log_warnx("poll on source %d: %s", (int)tag, strerror(-cqe->res));
		if (++l->poll_errors >= POLL_ERRORS_FATAL) {
			log_warnx("the event sources keep failing: stopping");
			l->failed = l->d->stop = true;
		}
		return;
	}
	l->poll_errors = 0;
	switch (tag) {
	case TAG_FAN: read_events(l); break;
	case TAG_SIGNAL: handle_signals(l); break;
	case TAG_WORKERS: reap_jobs(l); break;
	case TAG_MOUNTS: rescan_mounts(l); break;
	case TAG_SWAP: take_config(l); break;
	}
}

static uint64_t wait_ns(const struct loop *l, uint64_t now)
{
	uint64_t until = UINT64_MAX;

	if (l->fan_more)
		return 0;
	if (l->first)
		until = l->first->deadline_ns;
	if (l->beat_every_ns && l->next_beat_ns < until)
		until = l->next_beat_ns;
	if (until == UINT64_MAX)
		return UINT64_MAX;
	return until > now ? until - now : 0;
}

static void turn(struct loop *l)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	uint64_t now = now_ns(), wait = wait_ns(l, now);
	unsigned head, seen = 0;
	int rc;

	io_uring_submit(&l->ring);
	if (wait == UINT64_MAX) {
		rc = io_uring_wait_cqe(&l->ring, &cqe);
	} else {
		ts.tv_sec = (long long)(wait / 1000000000u);
		ts.tv_nsec = (long long)(wait % 1000000000u);
		rc = io_uring_wait_cqe_timeout(&l->ring, &cqe, &ts);
	}
	if (rc < 0 && rc != -ETIME && rc != -EINTR)
		log_warnx("io_uring wait: %s", strerror(-rc));
	io_uring_for_each_cqe(&l->ring, head, cqe) {
		completion(l, cqe);
		seen++;
	}
	io_uring_cq_advance(&l->ring, seen);
	if (l->fan_more)
		read_events(l);
	now = now_ns();
	expire(l, now);
	beat(l, now);
}

static int loop_init(struct loop *l, struct pgd_daemon *d)
{
	sigset_t mask;
	int rc;

	memset(l, 0, sizeof(*l));
	l->d = d;
	l->evbuf_len = 64 * 1024;
	l->evbuf = aligned_alloc(8, l->evbuf_len);
	l->sniff = malloc(sizeof(*l->sniff));
	if (!l->evbuf || !l->sniff) {
		log_warnx("out of memory");
		return -1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	l->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0) {
		log_warn("signalfd");
		return -1;
	}
	rc = io_uring_queue_init(64, &l->ring, 0);
	if (rc < 0) {
		errno = -rc;
		log_warn("io_uring");
		close(l->sigfd);
		return -1;
	}
	for (enum tag t = TAG_FAN; t <= TAG_SWAP; t++)
		arm(l, tag_fd(l, t), tag_events[t].events, t);
	l->beat_every_ns = d->watchdog_usec * 1000u / PGD_BEATS_PER_WATCHDOG;
	return 0;
}

/* Stopping: finished scans give their verdicts, whatever still waits gets
 * the timeout policy, then the group goes, so that the kernel lets opens
 * through while the workers wind down; their jobs are collected last. */
static void loop_drain(struct loop *l)
{
	struct pgd_daemon *d = l->d;

	reap_jobs(l);
	while (l->first)
		answer_early(l, l->first, PGD_CAUSE_SHUTDOWN);
	close(d->fan);
	d->fan = -1;
	sd_notify(0, "STOPPING=1");
	pgd_workers_stop(d->workers);
	reap_jobs(l);
	io_uring_queue_exit(&l->ring);
	close(l->sigfd);
	free(l->evbuf);
	free(l->sniff);
}

int pgd_guard_run(struct pgd_daemon *d)
{
	struct loop l;

	if (loop_init(&l, d))
		return -1;
	/* events queued before the polls were armed */
	read_events(&l);
	sd_notifyf(0, "READY=1\nSTATUS=%s", pgd_mode_name(d->cfg->mode));
	while (!d->stop)
		turn(&l);
	loop_drain(&l);
	return l.failed ? -1 : 0;
}
