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
#include "util.h"

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

/* Has the caller asked the scan to stop (pg_scan_config.cancel)? */
static inline bool pg_cancelled(const struct pg_scan_config *cfg)
{
	return cfg->cancel && atomic_load_explicit(cfg->cancel, memory_order_relaxed);
}

/* What the scan driver shares with the emulator for one file. */
struct pg_vm_env {
	const struct pg_scan_config *cfg;
	struct pg_report *rep;
	/* per report import: its calling rules (callables.h), or NULL */
	const struct pg_callable **roles;
	size_t roles_cap;
};

struct pv;

/*
 * How the loader that reads a stream differs from plain pickle.load.  A
 * zeroed struct is pickle.load itself.  The hooks are the loaders' own code
 * (torch's persistent_load, joblib's NumpyUnpickler.load_build), modelled in
 * the format files; the emulator calls them where CPython would.
 */
struct pg_loader {
	const char *member; /* reasons' member field, NULL at top level */
	/* persistent_load; NULL when the loader defines none */
	struct pv (*persid)(void *ctx, struct pg_vm *vm, const struct pv *pid,
			    bool text);
	/* called after every BUILD whose instance is an object (joblib) */
	void (*after_build)(void *ctx, struct pg_vm *vm, const struct pv *inst);
	void *ctx;
	bool torch_names;	/* torch's find_class: torch.tensor -> torch._tensor */
	bool torchscript_types; /* __torch__.* resolve against the archive's code/ */
	bool collect_strings;	/* keep the str items appended to a list */
	/* bytes that are a pickle only if a pickle loader could run
	 * something from them (joblib array data under pickle.load, archive
	 * members found by content): a PROTO header or a refusal is no
	 * evidence; without an import or persistent load the stream is
	 * dropped, reasons and all */
	bool only_effects;
	/* ... but a limit hit is evidence: emulation stops there, and what
	 * followed might have run (archive members found by content, which
	 * have already looked like a pickle; not joblib array data, whose
	 * random bytes may ask for anything) */
	bool limit_is_evidence;
	/* bytes read from the middle of another stream (joblib array data as
	 * pickle.load sees it): start on this many unknown values, and keep
	 * only what would run (findings), not how the bytes fail to parse */
	unsigned seed_unknowns;
	/* ... and the memo of that other stream, for GETs of keys these
	 * bytes never PUT: an import found there is the same import here
	 * (imports are the report's), anything else an unknown */
	const struct pg_vm *outer;
};

/* A str value collected for the loader (collect_strings). */
struct pg_collected {
	uint64_t offset, len;
	enum pg_str_enc enc;
};

struct pg_stream_result {
	bool stopped;		   /* reached STOP */
	bool completed;		   /* reached STOP with no error at all */
	bool proto_start;	   /* first opcode is PROTO 0..5 */
	bool effects;		   /* an import or persistent load was attempted */
	bool had_error;		   /* some error: CPython's, or our refusal */
	bool halted;		   /* stopped early: no pickle, nothing ran */
	bool ran_out;		   /* the data ended inside the stream */
	uint64_t start, end;	   /* stream's first byte, byte after STOP */
	struct pg_nested *nested;  /* owned by the vm until the next run */
	size_t n_nested;
	struct pg_collected *collected; /* collect_strings, in order */
	size_t n_collected;
	bool collect_failed;	   /* something other than strs was appended */
};

int pg_vm_new(struct pg_vm **vmp);
void pg_vm_free(struct pg_vm *vm);

/*
 * Emulate one stream from the cursor's position.  Reasons go to env->rep;
 * returns 0, or -ENOMEM.  A stream that is plainly not a pickle (a definite
 * error before anything could have run) halts at once with res->halted set;
 * the caller then discards the reasons it added.
 */
int pg_vm_run(struct pg_vm *vm, struct pg_vm_env *env,
	      const struct pg_loader *loader, struct pg_cursor *cur,
	      struct pg_stream_result *res);

/*
 * For loader hooks: read-only views of the emulator's values, and the few
 * actions a loader takes on the stream.  Strings come back as their text
 * (UTF-8, or 8-bit bytes as stored) in a buffer valid until the next call
 * with the same slot (0 or 1).
 */
size_t pg_vm_tuple_len(struct pg_vm *vm, const struct pv *t);
const struct pv *pg_vm_tuple_item(struct pg_vm *vm, const struct pv *t,
				  size_t i);
bool pg_vm_text(struct pg_vm *vm, const struct pv *s, int slot,
		struct pg_span *out);
bool pg_vm_str_is(struct pg_vm *vm, const struct pv *s, const char *text);
bool pg_vm_int(const struct pv *v, int64_t *out);
/* The import a global value or an object's callable names. */
bool pg_vm_import(struct pg_vm *vm, const struct pv *v, struct pg_span *module,
		  struct pg_span *name);
bool pg_vm_import_is(struct pg_vm *vm, const struct pv *v, const char *module,
		     const char *name);
/* An object's call arguments and BUILD state (NULL when it has none). */
const struct pv *pg_vm_obj_args(struct pg_vm *vm, const struct pv *o);
const struct pv *pg_vm_obj_state(struct pg_vm *vm, const struct pv *o);
/* Has BUILD given this object a state more than once (states merge)? */
bool pg_vm_obj_rebuilt(struct pg_vm *vm, const struct pv *o);
size_t pg_vm_list_len(struct pg_vm *vm, const struct pv *l);
/* A dict's item count, and its i-th item while kept (the first items). */
size_t pg_vm_dict_len(struct pg_vm *vm, const struct pv *d);
bool pg_vm_dict_item(struct pg_vm *vm, const struct pv *d, size_t i,
		     const struct pv **key, const struct pv **val);
/* The value a small dict holds under a str key (the last one set), or
 * NULL, also when other keys might be that str. */
const struct pv *pg_vm_dict_get(struct pg_vm *vm, const struct pv *d,
				const char *key);
/* Replace the value on top of the stack (a loader returning something else). */
void pg_vm_set_top(struct pg_vm *vm, struct pv v);
/* Bytes left in the current frame (0 outside one, or at its end). */
uint64_t pg_vm_frame_left(struct pg_vm *vm);
/* Read or step over data after the current opcode, outside any frame (a
 * loader reading the file itself).  False at the end of the data (a
 * truncation reason is then recorded and the stream stops). */
const uint8_t *pg_vm_take(struct pg_vm *vm, size_t n);
bool pg_vm_skip(struct pg_vm *vm, uint64_t n);
uint64_t pg_vm_offset(struct pg_vm *vm);
const char *pg_vm_member(struct pg_vm *vm);
/* A reason from a loader hook at the current opcode; refused ones also make
 * the stream a pickle and, with halt, stop it. */
void pg_vm_finding(struct pg_vm *vm, enum pg_reason_kind kind, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
void pg_vm_refuse(struct pg_vm *vm, enum pg_reason_kind kind, bool halt,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
