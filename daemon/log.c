/* log.c: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

static int to_stderr = 1;
static int stderr_socket; /* journald's stream under systemd */
static atomic_uint dropped;
static int debug;
static const char *name = "pickleguardd";

void log_init(const char *ident, int foreground, int verbose)
{
	struct stat st;

	name = ident;
	to_stderr = foreground;
	debug = verbose;
	stderr_socket = fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* The event loop logs too, and journald may itself be waiting on an open
 * the loop has to answer: a line to a full journal socket is dropped, and
 * counted in the next one, rather than waited for. */
static void to_socket(const char *line, size_t len)
{
	char note[64];
	unsigned lost = atomic_exchange(&dropped, 0);

	if (lost) {
		int n = snprintf(note, sizeof(note), "%s: %u messages dropped\n", name, lost);

		if (send(STDERR_FILENO, note, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			atomic_fetch_add(&dropped, lost + 1);
			return;
		}
	}
	if (send(STDERR_FILENO, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		atomic_fetch_add(&dropped, 1);
}

static void vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char msg[1024], line[1200];
	int len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!to_stderr) {
		syslog(pri, "%s%s%s", msg, err ? ": " : "", err ? err : "");
		return;
	}
	len = snprintf(line, sizeof(line), "%s: %s%s%s\n", name, msg, err ? ": " : "",
		       err ? err : "");
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	if (stderr_socket)
		to_socket(line, (size_t)len);
	else
		fputs(line, stderr);
}

#define LOGGER(fn, pri, with_errno)                                            \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		int saved = errno;                                             \
		va_list ap;                                                    \
									       \
		va_start(ap, fmt);                                             \
		vlog(pri, fmt, ap, with_errno ? strerror(saved) : NULL);       \
		va_end(ap);                                                    \
		errno = saved;                                                 \
	}

LOGGER(log_info, LOG_INFO, 0)
LOGGER(log_warn, LOG_WARNING, 1)
LOGGER(log_warnx, LOG_WARNING, 0)

void log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
