/*
 * daemon.h: the state pickleguardd's threads share, and who owns what.
 *
 *   event loop (guard.c, the main thread): the fanotify group, the marks,
 *     the cache, the classifier, the pending events; the only thread that
 *     answers the kernel, and it never blocks on a file, a log or a scan.
 *   scan workers (workers.c): read and scan model files through event fds.
 *   audit writer (audit.c): formats and writes records after the answers.
 *   control (ctl.c): the unix socket; loads configurations on reload and
 *     hands them to the loop, since reading a file can wait on the loop.
 *   watchdog (watchdog.c): pings systemd while the loop's heartbeat moves.
 *
 * What crosses threads is under `lock` or atomic (the counters).
 */
#ifndef PGD_DAEMON_H
#define PGD_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "stats.h"

struct pgd_attr;
struct pgd_audit;
struct pgd_cache;
struct pgd_ctl;
struct pgd_mounts;
struct pgd_watchdog;
struct pgd_workers;
struct pg_classifier;
struct pgd_pending;

struct pgd_daemon {
	/* fixed at start */
	const char *config_path;	/* NULL: the default file or built-in */
	struct pgd_overrides overrides; /* flags, applied again on reload */
	pid_t self;
	uint64_t started_ns;		/* CLOCK_MONOTONIC */
	bool pidfd_events;		/* events carry a pidfd */
	struct pgd_attr *attr;		/* the audit writer's once started */
	char attr_note[256];		/* why BPF is not the source, if not */
	int fan;
	int reload_efd;			/* loop -> control: SIGHUP came */
	int swap_efd;			/* control -> loop: a new config is ready */
	struct pgd_stats stats;
	struct pgd_audit *audit;
	struct pgd_workers *workers;
	struct pgd_ctl *ctl;
	uint64_t watchdog_usec;		/* systemd's WatchdogSec, 0 if none */
	struct pgd_watchdog *watchdog;
	atomic_uint_fast64_t heartbeat; /* loop turns: the watchdog pings on it */

	/* the loop's own */
	struct pgd_config *cfg;
	struct pgd_mounts *mounts;
	struct pgd_cache *cache;
	struct pg_classifier *classifier;
	bool stop;

	/* shared under lock */
	pthread_mutex_t lock;
	pthread_cond_t applied;
	struct pgd_config *next_cfg;	 /* handed over by control */
	uint64_t reloads_asked, reloads_done;
	bool reload_ok;			 /* the last one done was put in use */
	struct pgd_config *shown_cfg;	 /* what status reports (a reference) */
	char **shown_mounts;		 /* guarded mount points, for status */
	size_t n_shown_mounts;
};

/* The loop turns at least this often per watchdog period when idle, and
 * the watchdog thread looks as often, so a live loop never misses a ping. */
#define PGD_BEATS_PER_WATCHDOG 4

/* The event loop, until SIGTERM/SIGINT; 0 or -1 (a fatal error, logged). */
int pgd_guard_run(struct pgd_daemon *d);
/* Place the filesystem marks the configuration asks for (at start). */
int pgd_guard_mark(struct pgd_daemon *d);

/* Control socket: start the thread (-1 with err), stop it. */
int pgd_ctl_start(struct pgd_daemon *d, char *err, size_t errlen);
void pgd_ctl_stop(struct pgd_daemon *d);

#endif
