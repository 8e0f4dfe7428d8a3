/*
 * fan.h: the fanotify group: its creation, the filesystem marks, the
 * evictable ignore marks on files that need no scan, and the answers.
 * This file is the only writer of answers to the kernel; an answer is
 * written before anything is logged about it.
 */
#ifndef PGD_FAN_H
#define PGD_FAN_H

#include <stdbool.h>
#include <sys/types.h>

/* A group for permission events.  With want_pidfd, events carry a pidfd
 * of the opener when the kernel can (FAN_REPORT_PIDFD, Linux 5.15+; it
 * costs each event a file, so only when attribution needs it); *pidfd
 * says whether they do.  -1 on failure. */
int fan_open(bool want_pidfd, bool *pidfd);
/* Guard the whole filesystem fd is on (FAN_MARK_FILESYSTEM); fd: one of
 * its mount points, opened O_PATH. */
int fan_mark_fs(int fan, int fd);
int fan_unmark_fs(int fan, int fd);
/* The file behind fd needs no more events until it changes. */
int fan_ignore(int fan, int fd);
int fan_unignore(int fan, int fd);
/* Drop every ignore mark (ignore_marks switched off). */
int fan_flush_ignores(int fan);
/* Answer a permission event; 0 or -1. */
int fan_answer(int fan, int fd, bool allow);

#endif
