/*
 * log.h: the daemon's own messages (not audit records).  stderr while in
 * the foreground (systemd puts it in the journal), syslog once daemonized.
 * errno is preserved across every call.
 */
#ifndef PGD_LOG_H
#define PGD_LOG_H

void log_init(const char *ident, int foreground, int verbose);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* with ": strerror(errno)" appended */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
