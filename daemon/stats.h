/*
 * stats.h: the daemon's counters, shared by the event loop (which bumps
 * them) and the control socket (which reads them).  Relaxed atomics: each
 * counter is exact, a status snapshot is not a transaction.
 *
 * Every permission event is counted once in `events` and answered once:
 * events = allowed + denied, in either mode (would_deny events are allowed).
 */
#ifndef PGD_STATS_H
#define PGD_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define PGD_COUNTERS(X)                                                        \
	X(events, "permission events read")                                    \
	X(allowed, "events answered allow")                                    \
	X(denied, "events answered deny")                                      \
	X(would_deny, "audit mode: allowed, enforce would have denied")        \
	X(own, "events of the daemon's own opens, allowed at once")            \
	X(not_model, "files found not to be models by their content")          \
	X(ignore_marks, "ignore marks placed on files that are not models")    \
	X(cache_hits, "model opens answered from the verdict cache")           \
	X(scans, "scans finished")                                             \
	X(timeouts, "scans past scan_timeout, answered by on_timeout")         \
	X(backlog_full, "model opens answered by on_timeout: backlog full")    \
	X(errors, "files that could not be read, answered by on_error")        \
	X(queue_overflows, "kernel queue overflows (events lost)")             \
	X(audit_records, "audit records written")                             \
	X(audit_dropped, "audit records dropped: audit queue full")            \
	X(audit_failed, "audit records a sink failed to take")

struct pgd_stats {
#define PGD_COUNTER_FIELD(name, doc) atomic_uint_fast64_t name;
	PGD_COUNTERS(PGD_COUNTER_FIELD)
#undef PGD_COUNTER_FIELD
	atomic_uint_fast64_t backlog;	    /* gauge: events waiting on a scan */
	atomic_uint_fast64_t cache_entries; /* gauge: verdicts cached */
};

static inline void pgd_count(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static inline void pgd_set(atomic_uint_fast64_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

static inline uint64_t pgd_read(atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
