/* log.c: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static int to_stderr = 1;
static int debug;
static const char *name = "pickleguardd";

void log_init(const char *ident, int foreground, int verbose)
{
	name = ident;
	to_stderr = foreground;
	debug = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_stderr)
		fprintf(stderr, "%s: %s%s%s\n", name, msg, err ? ": " : "", err ? err : "");
	else
		syslog(pri, "%s%s%s", msg, err ? ": " : "", err ? err : "");
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
