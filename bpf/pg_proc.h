/*
 * pg_proc.h: the process map shared by the BPF programs
 * (pickleguard.bpf.c) and the daemon (daemon/attr_bpf.c).
 *
 * One entry per process, keyed by tgid, written at fork (a copy of the
 * parent's, since the child runs the same program), overwritten at exec,
 * stamped at exit and then left in place: an exited parent's entry is what
 * gives its children their lineage.  The map is an LRU hash of
 * PG_PROC_ENTRIES entries, preallocated (16384 x 608 bytes, about 10 MiB):
 * when it is full the least recently used entry goes, exited or not, so
 * memory stays bounded and lineage is kept for the processes seen most
 * recently.
 */
#ifndef PG_PROC_H
#define PG_PROC_H

#define PG_PROC_ENTRIES 16384
#define PG_COMM_LEN 16
#define PG_EXE_LEN 256
#define PG_ARGS_LEN 256

enum pg_proc_source {
	PG_SRC_EXEC = 1, /* written at exec: exe and argv as exec'd */
	PG_SRC_FORK = 2, /* forked, no exec seen since: the parent's program */
	PG_SRC_PROC = 3, /* backfilled from /proc at start: argv as it reads now */
};

struct pg_proc {
	__u64 start_ns;	 /* the task's start, CLOCK_BOOTTIME */
	__u64 exec_ns;	 /* its last exec, CLOCK_BOOTTIME; 0 if none was seen */
	__u64 exit_ns;	 /* 0 while it runs */
	__u64 cgroup_id; /* cgroup v2 id, from fork, exec and every move */
	__u32 ppid;	 /* parent tgid at fork (kept when the parent exits) */
	__u32 uid, gid, loginuid;
	__u16 exe_len;	 /* bytes of exe */
	__u16 args_len;	 /* bytes of args: argv strings, each NUL-terminated */
	__u8 source;	 /* enum pg_proc_source */
	__u8 args_truncated;
	__u8 pad[2];
	char comm[PG_COMM_LEN];
	char exe[PG_EXE_LEN];	/* the path given to execve */
	char args[PG_ARGS_LEN]; /* the head of argv, from the new mm */
};

#endif
