/*
 * pg_vmlinux.h: the few kernel types the BPF programs read, declared for
 * CO-RE (preserve_access_index): libbpf finds each field by name in the
 * running kernel's BTF and fixes the offsets at load time, so the objects
 * built here run on other kernels, and the build needs no vmlinux.h.  The
 * BPF types themselves come from the UAPI headers.
 */
#ifndef PG_VMLINUX_H
#define PG_VMLINUX_H

#include <linux/types.h>
#include <linux/bpf.h>

typedef __u32 u32;
typedef __u64 u64;
typedef __s32 pid_t;
typedef __u32 uid_t;

typedef struct {
	uid_t val;
} kuid_t;

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
} __attribute__((preserve_access_index));

typedef struct {
	int counter;
} atomic_t;

struct signal_struct {
	atomic_t live; /* threads not yet in do_exit */
} __attribute__((preserve_access_index));

struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup_root {
	int hierarchy_id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
	struct cgroup_root *root;
} __attribute__((preserve_access_index));

struct css_set {
	struct cgroup *dfl_cgrp; /* the task's cgroup v2 */
} __attribute__((preserve_access_index));

struct task_struct {
	pid_t pid;
	pid_t tgid;
	struct task_struct *real_parent;
	__u64 start_boottime;
	kuid_t loginuid;
	struct mm_struct *mm;
	struct signal_struct *signal;
	struct css_set *cgroups;
	char comm[16];
} __attribute__((preserve_access_index));

struct linux_binprm {
	const char *filename;
} __attribute__((preserve_access_index));

#endif
