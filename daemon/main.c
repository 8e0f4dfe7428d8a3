/*
 * main.c: pickleguardd's start and stop.  Everything that opens files
 * (configuration, allow files, audit file, lock, control socket) happens
 * before the first filesystem mark; after it, the only opens are the
 * daemon's own, which the event loop lets through at once.  At stop the
 * fanotify group goes first, so nothing can wait on a daemon that is
 * leaving.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "attr.h"
#include "audit.h"
#include "cache.h"
#include "daemon.h"
#include "fan.h"
#include "log.h"
#include "mounts.h"
#include "policy.h"
#include "watchdog.h"
#include "workers.h"

static const char usage[] =
	"usage: pickleguardd [options]\n"
	"Deny every process the opening of unsafe pickle-based model files.\n"
	"\n"
	"  -c, --config FILE   configuration (default " PGD_DEFAULT_CONFIG
	" if it exists,\n"
	"                      else the built-in one: pickleguardd --print-config)\n"
	"  -m, --mode MODE     enforce (deny unsafe files) or audit (record only)\n"
	"  -g, --guard PATH    guard the filesystem of PATH and those mounted under it\n"
	"                      (repeatable; default: every local filesystem)\n"
	"  -p, --profile NAME  allowlist profile (repeatable; see pickleguard scan --help)\n"
	"  -l, --log FILE      audit records to FILE (JSON Lines)\n"
	"  -s, --socket PATH   control socket (its lock: PATH.lock)\n"
	"      --no-bpf        attribute openers from /proc, without BPF probes\n"
	"  -f, --foreground    stay in the foreground, messages on stderr\n"
	"  -n, --check         check the configuration and exit\n"
	"      --print-config  print the built-in configuration and exit\n"
	"  -v, --verbose       debug messages\n"
	"  -h, --help          this text\n";

static int add_arg(struct pgd_strv *s, char *arg)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (!v)
		return -1;
	s->v = v;
	s->v[s->n++] = arg;
	return 0;
}

struct options {
	const char *config;
	struct pgd_overrides ov;
	bool foreground, check, print_config, verbose;
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "guard", required_argument, NULL, 'g' },
		{ "profile", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "socket", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "no-bpf", no_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:m:g:p:l:s:fnvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'm': o->ov.mode = optarg; break;
		case 'g':
			if (add_arg(&o->ov.guards, optarg))
				return -1;
			break;
		case 'p':
			if (add_arg(&o->ov.profiles, optarg))
				return -1;
			break;
		case 'l': o->ov.log_file = optarg; break;
		case 's': o->ov.control_socket = optarg; break;
		case 'f': o->foreground = true; break;
		case 'n': o->check = true; break;
		case 'P': o->print_config = true; break;
		case 'B': o->ov.no_bpf = true; break;
		case 'v': o->verbose = true; break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pickleguardd: unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	return 0;
}

/* One daemon per lock file; the lock is held until exit. */
static int take_lock(const char *path)
{
	char dir[4096], *slash, pid[32];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			log_warn("%s", dir);
			return -1;
		}
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		log_warnx("another pickleguardd holds %s (pid %s)", path, pid[0] ? pid : "?");
		close(fd);
		return -1;
	}
	return fd;
}

static void write_pid(int lock_fd)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

	if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, pid, (size_t)n, 0) != n)
		log_warn("lock file");
}

/* Every pending event holds an fd, every audit record too. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("RLIMIT_NOFILE");
	}
}

static int check_guards(const struct pgd_config *cfg)
{
	for (size_t i = 0; i < cfg->guards.n; i++) {
		struct stat st;

		if (stat(cfg->guards.v[i], &st) < 0) {
			log_warn("guard path %s", cfg->guards.v[i]);
			return -1;
		}
	}
	return 0;
}

static void print_summary(const struct pgd_config *cfg)
{
	printf("%s: mode %s, %zu allowlist entries, %s, scan timeout %llu ms\n", cfg->source,
	       pgd_mode_name(cfg->mode), pg_allowlist_size(cfg->allow),
	       cfg->guards.n ? "guarding the given paths" : "guarding every local filesystem",
	       (unsigned long long)cfg->scan_timeout_ms);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The parts the threads share, in the order they may be needed. */
static int start(struct pgd_daemon *d)
{
	char err[1024];

	/* the probes first: the group reports pidfds only if they are missing */
	if (!(d->attr = pgd_attr_open(d->cfg->bpf != PGD_NO, d->attr_note,
				      sizeof(d->attr_note)))) {
		log_warnx("out of memory");
		return -1;
	}
	if (strcmp(pgd_attr_source(d->attr), "bpf")) {
		if (d->cfg->bpf == PGD_YES) {
			log_warnx("bpf = yes: %s", d->attr_note);
			return -1;
		}
		log_info("attribution from /proc: %s", d->attr_note);
	}
	if ((d->fan = fan_open(pgd_attr_wants_pidfd(d->attr), &d->pidfd_events)) < 0) {
		log_warn("fanotify_init (pickleguardd needs CAP_SYS_ADMIN)");
		return -1;
	}
	d->reload_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->swap_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->reload_efd < 0 || d->swap_efd < 0) {
		log_warn("eventfd");
		return -1;
	}
	if (!(d->audit = pgd_audit_start(d->cfg, d->attr, &d->stats, err, sizeof(err)))) {
		log_warnx("audit: %s", err);
		return -1;
	}
	if (!(d->workers = pgd_workers_start(d->cfg->workers))) {
		log_warn("scan workers");
		return -1;
	}
	d->cache = pgd_cache_new(d->cfg->cache_entries, PGD_CACHE_BYTES);
	d->classifier = pg_classifier_new(&d->cfg->scan);
	if (!d->cache || !d->classifier || pgd_mounts_open(&d->mounts)) {
		log_warn("startup");
		return -1;
	}
	d->shown_cfg = pgd_config_get(d->cfg); /* status works from the start */
	if (pgd_watchdog_start(d)) {
		log_warn("watchdog thread");
		return -1;
	}
	if (pgd_guard_mark(d)) {
		log_warnx("no filesystem could be guarded");
		return -1;
	}
	/* last: a status from the socket shows the guard in place */
	if (pgd_ctl_start(d, err, sizeof(err))) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct pgd_daemon d = { .fan = -1, .reload_efd = -1, .swap_efd = -1 };
	sigset_t mask;
	char err[1024];
	int lock_fd, rc;

	if (parse_args(argc, argv, &o))
		return 2;
	if (o.print_config) {
		size_t len;
		const char *text = pg_policy_default_config(&len);

		fwrite(text, 1, len, stdout);
		return 0;
	}
	log_init("pickleguardd", o.foreground || o.check, o.verbose);
	if (pgd_config_load(o.config, &o.ov, &d.cfg, err, sizeof(err))) {
		log_warnx("%s", err);
		return 1;
	}
	if (o.check) {
		print_summary(d.cfg);
		pgd_config_put(d.cfg);
		return 0;
	}
	if (check_guards(d.cfg))
		return 1;
	if ((lock_fd = take_lock(d.cfg->lock_file)) < 0)
		return 1;
	if (!o.foreground && daemon(0, 0) < 0)
		fatal("daemon");
	write_pid(lock_fd);
	raise_fd_limit();
	/* signals go to the loop's signalfd; every thread inherits the mask */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.config_path = o.config;
	d.overrides = o.ov;
	d.self = getpid();
	d.started_ns = mono_ns();
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;
	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.applied, NULL);
	rc = start(&d) == 0 ? 0 : 1;
	if (!rc) {
		log_info("%s mode, configuration %s, openers from %s%s", pgd_mode_name(d.cfg->mode),
			 d.cfg->source, pgd_attr_source(d.attr),
			 d.pidfd_events ? " (checked by pidfd)" : "");
		rc = pgd_guard_run(&d) == 0 ? 0 : 1;
	}
	/* the group first: from here the kernel lets every open through */
	if (d.fan >= 0)
		close(d.fan);
	pgd_ctl_stop(&d);
	pgd_watchdog_stop(&d);
	if (d.workers) {
		/* started but the loop never ran: nothing was submitted */
		pgd_workers_stop(d.workers);
		pgd_workers_free(d.workers);
	}
	pgd_audit_stop(d.audit);
	pgd_attr_close(d.attr);
	pgd_mounts_free(d.mounts);
	pgd_cache_free(d.cache);
	pg_classifier_free(d.classifier);
	pthread_mutex_lock(&d.lock);
	pgd_config_put(d.next_cfg);
	pgd_config_put(d.shown_cfg);
	for (size_t i = 0; i < d.n_shown_mounts; i++)
		free(d.shown_mounts[i]);
	free(d.shown_mounts);
	pthread_mutex_unlock(&d.lock);
	pgd_config_put(d.cfg);
	if (d.reload_efd >= 0)
		close(d.reload_efd);
	if (d.swap_efd >= 0)
		close(d.swap_efd);
	free(o.ov.guards.v);
	free(o.ov.profiles.v);
	close(lock_fd);
	log_info("stopped");
	return rc;
}
