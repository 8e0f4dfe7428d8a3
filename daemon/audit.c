/*
 * audit.c: see audit.h.  The queue is a linked list under a mutex, bounded
 * by a count; the writer takes the whole list at once, so the loop holds
 * the lock for a pointer swap only.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"
#include "attr.h"
#include "strbuf.h"

/* each record holds its event fd until written: bounded well below the
 * descriptor limit */
#define AUDIT_QUEUE_MAX 8192

struct sinks {
	char *path;
	bool journal;
};

struct pgd_audit {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct pgd_audit_rec *head, *tail;
	size_t queued;
	bool stopping;
	struct sinks want; /* set by reopen, taken by the writer */
	bool reopen;
	pthread_t thread;
	struct pgd_stats *stats;
	/* writer's own */
	struct pgd_attr *attr;
	struct pgd_who *who;
	int fd;
	struct sinks have;
	bool warned;
};

static const char *const decision_names[] = { "allow", "deny", "would-deny" };
static const char *const cause_names[] = { "scan", "cache", "timeout", "backlog",
					   "error", "not-model", "shutdown" };

const char *pgd_decision_name(enum pgd_decision d)
{
	return decision_names[d];
}

static bool journal_wanted(const struct pgd_config *cfg)
{
	if (cfg->journal == PGD_AUTO)
		return access("/run/systemd/journal/socket", F_OK) == 0;
	return cfg->journal == PGD_YES;
}

static int set_sinks(struct sinks *s, const struct pgd_config *cfg)
{
	char *path = strdup(cfg->audit_file);

	if (!path)
		return -1;
	free(s->path);
	s->path = path;
	s->journal = journal_wanted(cfg);
	return 0;
}

/* The audit file, its directory made if missing; -1 with err set. */
static int open_file(const char *path, char *err, size_t errlen)
{
	char dir[4096], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return fd;
}

static void format_time(struct pg_strbuf *sb, const struct timespec *ts)
{
	struct tm tm;
	char buf[32];

	/* UTC: localtime would read /etc/localtime, maybe on a guarded fs */
	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	pg_sb_printf(sb, "\"time\":\"%s.%06ldZ\"", buf, ts->tv_nsec / 1000);
}

static void event_path(int fd, char *path, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = fd >= 0 ? readlink(link, path, len - 1) : -1;
	path[n > 0 ? n : 0] = '\0';
}

static void format_record(struct pgd_audit *a, struct pg_strbuf *sb,
			  const struct pgd_audit_rec *r, const char *path)
{
	pg_sb_puts(sb, "{");
	format_time(sb, &r->when);
	pg_sb_printf(sb, ",\"decision\":\"%s\",\"mode\":\"%s\",\"cause\":\"%s\",\"path\":",
		     pgd_decision_name(r->decision), pgd_mode_name(r->mode),
		     cause_names[r->cause]);
	pg_sb_json_bytes(sb, path, strlen(path));
	pg_sb_printf(sb, ",\"dev\":\"%u:%u\",\"ino\":%" PRIu64 ",\"size\":%" PRIu64
		     ",\"cache\":\"%s\",\"latency_us\":%" PRIu64 ",",
		     major(r->key.dev), minor(r->key.dev), r->key.ino, r->key.size,
		     r->cause == PGD_CAUSE_CACHE ? "hit" : "miss", r->latency_us);
	if (r->res)
		pg_sb_printf(sb, "\"scan_us\":%" PRIu64 ",%s,", r->res->scan_us, r->res->json);
	else
		pg_sb_puts(sb, "\"scan_us\":null,\"verdict\":null,\"format\":null,\"reasons\":[],");
	pgd_who_json(a->attr, a->who, sb);
	pg_sb_puts(sb, "}\n");
}

static void to_journal(const struct pgd_audit_rec *r, const char *path,
		       const struct pgd_who *who, const struct pg_strbuf *line)
{
	const struct pgd_proc *proc = &who->self;
	const char *verdict = r->res ? pg_verdict_name(r->res->verdict) : cause_names[r->cause];
	int rc = sd_journal_send(
		"MESSAGE=%s %s: %s (pid %d %s)", pgd_decision_name(r->decision), path,
		r->res ? r->res->summary : cause_names[r->cause], (int)proc->pid, proc->comm,
		"PRIORITY=%d", r->decision == PGD_ALLOW ? LOG_INFO : LOG_WARNING,
		"SYSLOG_IDENTIFIER=pickleguardd", "PICKLEGUARD_DECISION=%s",
		pgd_decision_name(r->decision), "PICKLEGUARD_MODE=%s", pgd_mode_name(r->mode),
		"PICKLEGUARD_CAUSE=%s", cause_names[r->cause], "PICKLEGUARD_VERDICT=%s", verdict,
		"PICKLEGUARD_PATH=%s", path, "PICKLEGUARD_PID=%d", (int)proc->pid,
		"PICKLEGUARD_EXE=%s", proc->exe, "PICKLEGUARD_UID=%ld", proc->uid,
		"PICKLEGUARD_CGROUP=%s", proc->cgroup, "PICKLEGUARD_UNIT=%s", who->cg.unit,
		"PICKLEGUARD_CONTAINER_ID=%s", who->cg.container_id, "PICKLEGUARD_RECORD=%.*s",
		(int)(line->len ? line->len - 1 : 0), line->ptr ? line->ptr : "", NULL);

	if (rc < 0)
		errno = -rc;
}

static void write_record(struct pgd_audit *a, struct pgd_audit_rec *r,
			 struct pg_strbuf *line)
{
	char path[4096];
	bool failed = false;

	event_path(r->fd, path, sizeof(path));
	pgd_attr_describe(a->attr, r->pid, r->pidfd, r->event_ns, a->who);
	pg_sb_reset(line);
	format_record(a, line, r, path);
	if (line->oom) {
		failed = true;
	} else {
		if (a->fd >= 0 && write(a->fd, line->ptr, line->len) != (ssize_t)line->len)
			failed = true;
		if (a->have.journal) {
			errno = 0;
			to_journal(r, path, a->who, line);
			failed |= errno != 0;
		}
	}
	if (failed) {
		pgd_count(&a->stats->audit_failed);
		if (!a->warned)
			log_warn("audit: a record could not be written (counted in "
				 "audit_failed; this is said once)");
		a->warned = true;
	} else {
		pgd_count(&a->stats->audit_records);
	}
}

static void free_record(struct pgd_audit_rec *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	pgd_result_put(r->res);
	free(r);
}

static void apply_sinks(struct pgd_audit *a, struct sinks *want)
{
	char err[512];
	int fd = -1;

	if (want->path[0] && (fd = open_file(want->path, err, sizeof(err))) < 0)
		log_warnx("audit: %s; keeping the file open before", err);
	if (!want->path[0] || fd >= 0) {
		if (a->fd >= 0)
			close(a->fd);
		a->fd = fd;
	}
	free(a->have.path);
	a->have = *want;
	*want = (struct sinks){ 0 };
}

static void *writer_main(void *arg)
{
	struct pgd_audit *a = arg;
	struct pg_strbuf line = { 0 };

	for (;;) {
		struct pgd_audit_rec *batch;
		struct sinks want = { 0 };
		bool stop, reopen;

		pthread_mutex_lock(&a->lock);
		while (!a->head && !a->stopping && !a->reopen)
			pthread_cond_wait(&a->wake, &a->lock);
		batch = a->head;
		a->head = a->tail = NULL;
		a->queued = 0;
		stop = a->stopping;
		reopen = a->reopen;
		if (reopen) {
			want = a->want;
			a->want = (struct sinks){ 0 };
			a->reopen = false;
		}
		pthread_mutex_unlock(&a->lock);
		if (reopen && want.path)
			apply_sinks(a, &want);
		while (batch) {
			struct pgd_audit_rec *next = batch->next;

			write_record(a, batch, &line);
			free_record(batch);
			batch = next;
		}
		if (stop)
			break;
	}
	pg_sb_free(&line);
	return NULL;
}

struct pgd_audit *pgd_audit_start(const struct pgd_config *cfg, struct pgd_attr *attr,
				  struct pgd_stats *stats, char *err, size_t errlen)
{
	struct pgd_audit *a = calloc(1, sizeof(*a));
	int rc;

	if (!a || !(a->who = malloc(sizeof(*a->who))) || set_sinks(&a->have, cfg)) {
		snprintf(err, errlen, "out of memory");
		if (a)
			free(a->who);
		free(a);
		return NULL;
	}
	a->attr = attr;
	a->stats = stats;
	a->fd = -1;
	/* opened here, before any filesystem is guarded: a bad path is an
	 * error at start, not a warning later */
	if (cfg->audit_file[0] && (a->fd = open_file(cfg->audit_file, err, errlen)) < 0) {
		free(a->have.path);
		free(a->who);
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	rc = pthread_create(&a->thread, NULL, writer_main, a);
	if (rc) {
		snprintf(err, errlen, "audit thread: %s", strerror(rc));
		if (a->fd >= 0)
			close(a->fd);
		free(a->have.path);
		free(a->who);
		free(a);
		return NULL;
	}
	return a;
}

void pgd_audit_submit(struct pgd_audit *a, struct pgd_audit_rec *rec)
{
	bool full;

	rec->next = NULL;
	pthread_mutex_lock(&a->lock);
	full = a->queued >= AUDIT_QUEUE_MAX;
	if (!full) {
		if (a->tail)
			a->tail->next = rec;
		else
			a->head = rec;
		a->tail = rec;
		a->queued++;
		pthread_cond_signal(&a->wake);
	}
	pthread_mutex_unlock(&a->lock);
	if (full) {
		pgd_count(&a->stats->audit_dropped);
		free_record(rec);
	}
}

void pgd_audit_reopen(struct pgd_audit *a, const struct pgd_config *cfg)
{
	struct sinks want = { 0 };

	if (set_sinks(&want, cfg)) {
		log_warnx("audit: out of memory; keeping the sinks as they are");
		return;
	}
	pthread_mutex_lock(&a->lock);
	free(a->want.path);
	a->want = want;
	a->reopen = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

void pgd_audit_stop(struct pgd_audit *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	if (a->fd >= 0)
		close(a->fd);
	free(a->have.path);
	free(a->want.path);
	free(a->who);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	free(a);
}
