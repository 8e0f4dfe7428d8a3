/* watchdog.c: see watchdog.h. */
#include "watchdog.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

struct pgd_watchdog {
	pthread_t thread;
	int stop_efd;
};

static void ping(struct pgd_daemon *d)
{
	const char *mode;
	size_t mounts;

	pthread_mutex_lock(&d->lock);
	mode = pgd_mode_name(d->shown_cfg->mode);
	mounts = d->n_shown_mounts;
	pthread_mutex_unlock(&d->lock);
	sd_notifyf(0, "WATCHDOG=1\nSTATUS=%s: %zu filesystems guarded, %" PRIu64 " events, "
		      "%" PRIu64 " denied, %" PRIu64 " would deny",
		   mode, mounts, pgd_read(&d->stats.events), pgd_read(&d->stats.denied),
		   pgd_read(&d->stats.would_deny));
}

static void *watchdog_main(void *arg)
{
	struct pgd_daemon *d = arg;
	struct pollfd stop = { .fd = d->watchdog->stop_efd, .events = POLLIN };
	uint64_t every_ms = d->watchdog_usec / 1000u / PGD_BEATS_PER_WATCHDOG;
	uint64_t last = 0;

	if (!every_ms)
		every_ms = 1;
	for (;;) {
		int rc = poll(&stop, 1, (int)every_ms);
		uint64_t beat;

		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR)
			log_warn("watchdog: poll");
		beat = atomic_load_explicit(&d->heartbeat, memory_order_relaxed);
		if (beat != last) {
			last = beat;
			ping(d);
		}
	}
	return NULL;
}

int pgd_watchdog_start(struct pgd_daemon *d)
{
	struct pgd_watchdog *w;
	int rc;

	if (!d->watchdog_usec)
		return 0;
	if (!(w = calloc(1, sizeof(*w))))
		return -1;
	if ((w->stop_efd = eventfd(0, EFD_CLOEXEC)) < 0) {
		free(w);
		return -1;
	}
	d->watchdog = w;
	if ((rc = pthread_create(&w->thread, NULL, watchdog_main, d))) {
		close(w->stop_efd);
		free(w);
		d->watchdog = NULL;
		errno = rc;
		return -1;
	}
	return 0;
}

void pgd_watchdog_stop(struct pgd_daemon *d)
{
	struct pgd_watchdog *w = d->watchdog;
	uint64_t one = 1;

	if (!w)
		return;
	if (write(w->stop_efd, &one, sizeof(one)) < 0)
		log_warn("watchdog: eventfd");
	pthread_join(w->thread, NULL);
	close(w->stop_efd);
	free(w);
	d->watchdog = NULL;
}
