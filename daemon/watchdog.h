/*
 * watchdog.h: systemd's watchdog (WatchdogSec), pinged from a thread of
 * its own every PGD_BEATS_PER_WATCHDOG-th of the period while the event
 * loop turns (its heartbeat moves), with a STATUS line.  Neither a full
 * notify socket can stall the loop, nor a slow control request delay a
 * ping; a loop stuck in one place stops the pings, and systemd restarts
 * the daemon.
 */
#ifndef PGD_WATCHDOG_H
#define PGD_WATCHDOG_H

struct pgd_daemon;

/* Nothing to do (0) without a watchdog; -1 with errno if the thread
 * cannot start. */
int pgd_watchdog_start(struct pgd_daemon *d);
void pgd_watchdog_stop(struct pgd_daemon *d);

#endif
