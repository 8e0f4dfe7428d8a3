/*
 * vm.h: the pickle emulator.  A symbolic copy of CPython's unpickler
 * (Modules/_pickle.c): the same object stack with its fence at the top
 * MARK, the same mark stack, the same memo (MEMOIZE stores at the count of
 * distinct keys, as CPython does), FRAME boundaries tracked byte-exactly.
 * It never executes anything: values are kinds plus just enough content
 * (string places, small ints, tuple items, dict keys) to judge the calls,
 * builds and imports a real load would make.  One run covers one pickle
 * stream, from its first opcode through STOP.
 *
 * The emulator owns the opcode semantics and the reasons they raise.  It
 * does not own what a file is (scan.c decides whether a failed stream was a
 * pickle at all) nor the allowlist's content.
 */
#ifndef PG_VM_H
#define PG_VM_H

#include "cursor.h"
#include "pg_scan.h"
#include "strdecode.h"

struct pg_callable;

struct pg_vm;

/* A pickle handed to a loader callable, to be scanned after this stream. */
struct pg_nested {
	uint64_t call_offset;	/* where the call was made */
	uint64_t offset;	/* where the bytes (or the str they encode) start */
	uint64_t len;
	enum pg_str_enc enc;	/* PG_ENC_RAW: the bytes themselves; else the
				 * latin-1 encoding of a str stored that way */
	bool torch;		/* torch.load rather than pickle.loads */
};

/* What the scan driver shares with the emulator for one file. */
struct pg_vm_env {
	const struct pg_scan_config *cfg;
	struct pg_report *rep;
	const char *member;	/* reasons' member field, NULL at top level */
	/* per report import: its calling rules (callables.h), or NULL */
	const struct pg_callable **roles;
	size_t roles_cap;
};

struct pg_stream_result {
	bool stopped;		   /* reached STOP */
	bool completed;		   /* reached STOP with no error at all */
	bool proto_start;	   /* first opcode is PROTO 0..5 */
	bool effects;		   /* an import or persistent load was attempted */
	bool had_error;		   /* some error: CPython's, or our refusal */
	bool halted;		   /* stopped early: no pickle, nothing ran */
	uint64_t start, end;	   /* stream's first byte, byte after STOP */
	struct pg_nested *nested;  /* owned by the vm until the next run */
	size_t n_nested;
};

int pg_vm_new(struct pg_vm **vmp);
void pg_vm_free(struct pg_vm *vm);

/*
 * Emulate one stream from the cursor's position.  Reasons go to env->rep;
 * returns 0, or -ENOMEM.  A stream that is plainly not a pickle (a definite
 * error before anything could have run) halts at once with res->halted set;
 * the caller then discards the reasons it added.
 */
int pg_vm_run(struct pg_vm *vm, struct pg_vm_env *env, struct pg_cursor *cur,
	      struct pg_stream_result *res);

#endif
