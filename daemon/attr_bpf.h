/*
 * attr_bpf.h: the BPF side of attribution: load and attach the programs
 * of bpf/pickleguard.bpf.c, fill the process map from /proc for the
 * processes already running, and read entries back.
 */
#ifndef PGD_ATTR_BPF_H
#define PGD_ATTR_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "procinfo.h"

struct pgd_bpf;

/* NULL with the reason in why (no privilege, no BTF, ...). */
struct pgd_bpf *pgd_bpf_open(char *why, size_t whylen);
void pgd_bpf_close(struct pgd_bpf *b);
/* Entries added from /proc. */
size_t pgd_bpf_backfilled(const struct pgd_bpf *b);
/* The map's entry for tgid, as a pgd_proc (cgroup path not resolved). */
bool pgd_bpf_lookup(struct pgd_bpf *b, pid_t tgid, struct pgd_proc *p);

#endif
