// SPDX-License-Identifier: GPL-2.0
/*
 * pickleguard.bpf.c: who runs what, kept for the daemon's audit records.
 * Raw tracepoints (no tracefs, trampolines or LSM needed) keep the process
 * map of pg_proc.h:
 *   sched_process_fork  the child gets a copy of its parent's entry;
 *   sched_process_exec  the entry is rewritten: exe and argv as exec'd,
 *                       read from the new mm before the program can change
 *                       them;
 *   sched_process_exit  the entry is stamped when the last thread goes,
 *                       not removed;
 *   cgroup_attach_task  a process moved to another cgroup v2 (a container
 *                       runtime, systemd-run) has it noted, so that its
 *                       record is right even once it has exited.
 * Threads have no entries: fanotify names the opener by tgid.
 */
#include "pg_vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "pg_proc.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PG_PROC_ENTRIES);
	__type(key, __u32);
	__type(value, struct pg_proc);
} procs SEC(".maps");

/* an entry is larger than the BPF stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pg_proc);
} scratch SEC(".maps");

static struct pg_proc *scratch_entry(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

SEC("raw_tp/sched_process_fork")
int pg_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 tgid = BPF_CORE_READ(child, tgid);
	struct pg_proc *s, *p;

	if (BPF_CORE_READ(child, pid) != tgid)
		return 0; /* a new thread */
	s = scratch_entry();
	if (!s)
		return 0;
	p = bpf_map_lookup_elem(&procs, &ptgid);
	if (p) {
		bpf_probe_read_kernel(s, sizeof(*s), p);
	} else {
		__builtin_memset(s, 0, sizeof(*s));
		BPF_CORE_READ_STR_INTO(&s->comm, parent, comm);
	}
	s->ppid = ptgid;
	s->start_ns = BPF_CORE_READ(child, start_boottime);
	s->exit_ns = 0;
	/* the child's own: clone3(CLONE_INTO_CGROUP) may start it elsewhere */
	s->cgroup_id = BPF_CORE_READ(child, cgroups, dfl_cgrp, kn, id);
	s->source = PG_SRC_FORK;
	bpf_map_update_elem(&procs, &tgid, s, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int pg_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 ids = bpf_get_current_uid_gid();
	struct pg_proc *s = scratch_entry(), *old;
	unsigned long start, end, len;
	long n;

	if (!s)
		return 0;
	s->start_ns = BPF_CORE_READ(task, start_boottime);
	s->exec_ns = bpf_ktime_get_boot_ns();
	s->exit_ns = 0;
	/* the parent at fork, even if it has exited and the child was
	 * reparented since */
	old = bpf_map_lookup_elem(&procs, &tgid);
	if (old && old->start_ns == s->start_ns)
		s->ppid = old->ppid;
	else
		s->ppid = BPF_CORE_READ(task, real_parent, tgid);
	s->uid = (__u32)ids;
	s->gid = (__u32)(ids >> 32);
	s->loginuid = bpf_core_field_exists(task->loginuid) ? BPF_CORE_READ(task, loginuid.val)
							    : (__u32)-1;
	s->cgroup_id = bpf_get_current_cgroup_id();
	s->source = PG_SRC_EXEC;
	bpf_get_current_comm(&s->comm, sizeof(s->comm));
	n = bpf_probe_read_kernel_str(&s->exe, sizeof(s->exe), BPF_CORE_READ(bprm, filename));
	s->exe_len = n > 0 ? (__u16)(n - 1) : 0;
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end > start ? end - start : 0;
	s->args_truncated = len > PG_ARGS_LEN;
	if (len > PG_ARGS_LEN)
		len = PG_ARGS_LEN;
	s->args_len = 0;
	if (len && bpf_probe_read_user(&s->args, len & (2 * PG_ARGS_LEN - 1), (void *)start) == 0)
		s->args_len = (__u16)len;
	bpf_map_update_elem(&procs, &tgid, s, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int pg_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)ctx->args[0];
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct pg_proc *p;

	/* the process ends with its last thread, which need not be the
	 * leader (do_exit counts live down before this tracepoint) */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p)
		p->exit_ns = bpf_ktime_get_boot_ns();
	return 0;
}

SEC("raw_tp/cgroup_attach_task")
int pg_cgroup_attach(struct bpf_raw_tracepoint_args *ctx)
{
	struct cgroup *dst = (struct cgroup *)ctx->args[0];
	struct task_struct *task = (struct task_struct *)ctx->args[2];
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct pg_proc *p;

	/* hierarchy 0 is cgroup v2 (the "0::" line of /proc/PID/cgroup) */
	if (BPF_CORE_READ(task, pid) != tgid || BPF_CORE_READ(dst, root, hierarchy_id) != 0)
		return 0;
	p = bpf_map_lookup_elem(&procs, &tgid);
	if (p)
		p->cgroup_id = BPF_CORE_READ(dst, kn, id);
	return 0;
}
