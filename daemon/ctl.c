/*
 * ctl.c: the control socket and configuration reloads.
 *
 * A client connects, writes one line ("status", "status-json" or
 * "reload"), reads the answer until the daemon closes.  The socket is
 * root's alone (mode 0600).  Reloads run here, never in the event loop:
 * reading the configuration and allow files opens files, and an open on a
 * guarded filesystem waits for the loop.  A configuration that fails to
 * load leaves the running one in place and says why, to the client and in
 * the log.  SIGHUP reaches this thread from the loop through reload_efd.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "audit.h"
#include "daemon.h"
#include "log.h"
#include "strbuf.h"

/* How long a reload waits for the loop to take the new configuration. */
#define APPLY_TIMEOUT_S 10

struct pgd_ctl {
	pthread_t thread;
	int listen_fd;
	int stop_efd;
	char *path;
};

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static const struct {
	const char *name, *doc;
	size_t offset;
} counters[] = {
#define PGD_COUNTER_ROW(n, doc) { #n, doc, offsetof(struct pgd_stats, n) },
	PGD_COUNTERS(PGD_COUNTER_ROW)
#undef PGD_COUNTER_ROW
};

static uint64_t counter(struct pgd_daemon *d, size_t i)
{
	return pgd_read((atomic_uint_fast64_t *)((char *)&d->stats + counters[i].offset));
}

static void status_json(struct pgd_daemon *d, struct pg_strbuf *sb)
{
	const struct pgd_config *cfg = d->shown_cfg;

	pg_sb_printf(sb, "{\"pid\":%d,\"mode\":\"%s\",\"config\":", (int)d->self,
		     pgd_mode_name(cfg->mode));
	pg_sb_json_str(sb, cfg->source);
	pg_sb_printf(sb, ",\"reloads\":%" PRIu64 ",\"uptime_s\":%" PRIu64
		     ",\"pidfd\":%s,\"attribution\":\"%s\",\"ignore_marks\":\"%s\""
		     ",\"scan_timeout_ms\":%" PRIu64 ",\"workers\":%u,\"backlog\":%" PRIu64
		     ",\"backlog_max\":%u,\"cache_entries\":%" PRIu64 ",\"cache_max\":%u"
		     ",\"guarded\":[",
		     d->reloads_done, mono_s() - d->started_ns / 1000000000u,
		     d->pidfd_events ? "true" : "false", pgd_attr_source(d->attr),
		     pgd_ignore_name(cfg->ignore_marks),
		     cfg->scan_timeout_ms, cfg->workers, pgd_read(&d->stats.backlog),
		     cfg->backlog, pgd_read(&d->stats.cache_entries), cfg->cache_entries);
	for (size_t i = 0; i < d->n_shown_mounts; i++) {
		if (i)
			pg_sb_puts(sb, ",");
		pg_sb_json_str(sb, d->shown_mounts[i] ? d->shown_mounts[i] : "");
	}
	pg_sb_puts(sb, "],\"counters\":{");
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		pg_sb_printf(sb, "%s\"%s\":%" PRIu64, i ? "," : "", counters[i].name,
			     counter(d, i));
	pg_sb_puts(sb, "}}\n");
}

static void status_text(struct pgd_daemon *d, struct pg_strbuf *sb)
{
	const struct pgd_config *cfg = d->shown_cfg;

	pg_sb_printf(sb, "pickleguardd %d: %s mode, configuration %s\n", (int)d->self,
		     pgd_mode_name(cfg->mode), cfg->source);
	if (!strcmp(pgd_attr_source(d->attr), "bpf"))
		pg_sb_puts(sb, "attribution: bpf (process probes)\n");
	else
		pg_sb_printf(sb, "attribution: /proc%s; %s\n",
			     d->pidfd_events ? " (pids checked with the events' pidfds)" : "",
			     d->attr_note);
	pg_sb_printf(sb, "backlog: %" PRIu64 " of %u; cache: %" PRIu64 " of %u verdicts\n",
		     pgd_read(&d->stats.backlog), cfg->backlog,
		     pgd_read(&d->stats.cache_entries), cfg->cache_entries);
	pg_sb_printf(sb, "guarded filesystems (%zu):\n", d->n_shown_mounts);
	for (size_t i = 0; i < d->n_shown_mounts; i++)
		pg_sb_printf(sb, "  %s\n", d->shown_mounts[i] ? d->shown_mounts[i] : "?");
	pg_sb_puts(sb, "counters:\n");
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		pg_sb_printf(sb, "  %-16s %12" PRIu64 "  %s\n", counters[i].name, counter(d, i),
			     counters[i].doc);
}

/* Load, hand to the loop, wait until it is in use.  reply may be NULL. */
static void reload(struct pgd_daemon *d, struct pg_strbuf *reply)
{
	struct pgd_config *cfg, *superseded, *shown;
	struct timespec until;
	uint64_t seq, one = 1;
	char err[1024];
	bool applied, ok = false;

	if (pgd_config_load(d->config_path, &d->overrides, &cfg, err, sizeof(err))) {
		log_warnx("reload: %s; keeping the configuration in use", err);
		if (reply) {
			pg_sb_puts(reply, "{\"ok\":false,\"error\":");
			pg_sb_json_str(reply, err);
			pg_sb_puts(reply, "}\n");
		}
		/* the audit file is still reopened (log rotation) */
		pthread_mutex_lock(&d->lock);
		shown = pgd_config_get(d->shown_cfg);
		pthread_mutex_unlock(&d->lock);
		pgd_audit_reopen(d->audit, shown);
		pgd_config_put(shown);
		return;
	}
	pthread_mutex_lock(&d->lock);
	superseded = d->next_cfg;
	d->next_cfg = pgd_config_get(cfg); /* ours stays ours: the loop may drop its */
	seq = ++d->reloads_asked;
	pthread_mutex_unlock(&d->lock);
	pgd_config_put(superseded);
	if (write(d->swap_efd, &one, sizeof(one)) < 0)
		log_warn("reload eventfd");
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += APPLY_TIMEOUT_S;
	pthread_mutex_lock(&d->lock);
	while (d->reloads_done < seq &&
	       pthread_cond_timedwait(&d->applied, &d->lock, &until) != ETIMEDOUT)
		;
	applied = d->reloads_done >= seq;
	if (applied)
		ok = d->reload_ok;
	pthread_mutex_unlock(&d->lock);
	if (reply && ok) {
		pg_sb_puts(reply, "{\"ok\":true,\"config\":");
		pg_sb_json_str(reply, cfg->source);
		pg_sb_puts(reply, "}\n");
	} else if (reply) {
		pg_sb_printf(reply, "{\"ok\":false,\"error\":\"%s\"}\n",
			     applied ? "the daemon is out of memory; the configuration in use "
				       "stays"
				     : "the event loop did not take the configuration in time");
	}
	pgd_config_put(cfg);
}

static void serve(struct pgd_daemon *d, int fd)
{
	struct timeval tv = { .tv_sec = 2 };
	struct pg_strbuf out = { 0 };
	char line[64];
	ssize_t n;
	size_t got = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < sizeof(line) - 1 && (n = read(fd, line + got, sizeof(line) - 1 - got)) > 0) {
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	pthread_mutex_lock(&d->lock);
	if (!strcmp(line, "status"))
		status_text(d, &out);
	else if (!strcmp(line, "status-json"))
		status_json(d, &out);
	pthread_mutex_unlock(&d->lock);
	if (!strcmp(line, "reload"))
		reload(d, &out);
	else if (!out.len && !out.oom)
		pg_sb_printf(&out, "{\"ok\":false,\"error\":\"unknown request\"}\n");
	if (!out.oom) {
		size_t done = 0;

		while (done < out.len && (n = write(fd, out.ptr + done, out.len - done)) > 0)
			done += (size_t)n;
	}
	pg_sb_free(&out);
	close(fd);
}

static void *ctl_main(void *arg)
{
	struct pgd_daemon *d = arg;
	struct pgd_ctl *c = d->ctl;
	struct pollfd fds[3] = {
		{ .fd = c->listen_fd, .events = POLLIN },
		{ .fd = d->reload_efd, .events = POLLIN },
		{ .fd = c->stop_efd, .events = POLLIN },
	};
	uint64_t count;

	for (;;) {
		if (poll(fds, 3, -1) < 0) {
			if (errno != EINTR)
				log_warn("control: poll");
			continue;
		}
		if (fds[2].revents)
			break;
		if (fds[1].revents && read(d->reload_efd, &count, sizeof(count)) > 0)
			reload(d, NULL);
		if (fds[0].revents) {
			int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0)
				serve(d, fd);
			else if (errno != EAGAIN && errno != EINTR)
				log_warn("control: accept");
		}
	}
	return NULL;
}

static int listen_at(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	mode_t old_umask;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	/* the single-instance lock is held: a socket left here is stale */
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	/* root's alone from the start: no window before the chmod */
	old_umask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int pgd_ctl_start(struct pgd_daemon *d, char *err, size_t errlen)
{
	struct pgd_ctl *c = calloc(1, sizeof(*c));
	int rc;

	if (!c || !(c->path = strdup(d->cfg->control_socket))) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return -1;
	}
	c->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (c->stop_efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((c->listen_fd = listen_at(c->path, err, errlen)) < 0)
		goto fail;
	d->ctl = c;
	rc = pthread_create(&c->thread, NULL, ctl_main, d);
	if (rc) {
		snprintf(err, errlen, "control thread: %s", strerror(rc));
		close(c->listen_fd);
		unlink(c->path);
		d->ctl = NULL;
		goto fail;
	}
	return 0;
fail:
	if (c->stop_efd >= 0)
		close(c->stop_efd);
	free(c->path);
	free(c);
	return -1;
}

void pgd_ctl_stop(struct pgd_daemon *d)
{
	struct pgd_ctl *c = d->ctl;
	uint64_t one = 1;

	if (!c)
		return;
	if (write(c->stop_efd, &one, sizeof(one)) < 0)
		log_warn("control: eventfd");
	pthread_join(c->thread, NULL);
	close(c->listen_fd);
	close(c->stop_efd);
	unlink(c->path);
	free(c->path);
	free(c);
	d->ctl = NULL;
}
