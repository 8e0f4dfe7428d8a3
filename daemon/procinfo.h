/*
 * procinfo.h: one process as the audit records describe it, and reading
 * it from /proc.  /proc is the fallback source of attribution (when BPF
 * cannot load), the source of the BPF map's backfill at start, and the
 * current cgroup of a process still running.
 */
#ifndef PGD_PROCINFO_H
#define PGD_PROCINFO_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PGD_ARGS_MAX 256

struct pgd_proc {
	pid_t pid, ppid;
	uint64_t start_ns; /* CLOCK_BOOTTIME (to the clock tick when from /proc) */
	uint64_t exec_ns;  /* its last exec, CLOCK_BOOTTIME; 0 if unknown */
	bool exited;
	long uid, euid, gid, loginuid; /* -1: unknown */
	char comm[64];
	char exe[PATH_MAX];
	char args[PGD_ARGS_MAX]; /* argv strings, each NUL-terminated */
	size_t args_len;
	bool args_truncated;
	uint64_t cgroup_id; /* 0: unknown */
	char cgroup[1024];  /* cgroup v2 path, "" if unknown */
	const char *origin; /* "exec", "fork" (BPF) or "proc" */
};

/* 0, or -1 when the process is gone (fields then unset). */
int pgd_proc_read(pid_t pid, struct pgd_proc *p);
/* Its cgroup v2 path now; false if gone. */
bool pgd_proc_cgroup(pid_t pid, char *path, size_t len);
/* One clock tick in ns: the precision of /proc start times. */
uint64_t pgd_proc_tick_ns(void);

#endif
