/*
 * vm.c: the pickle emulator's opcode semantics (see vm.h).
 *
 * Each handler follows the matching load_* function of CPython 3.11's
 * Modules/_pickle.c step by step, including the order in which it reads
 * operands and checks the stack, so that the point where CPython would fail
 * is the point where we record an error.  Errors come in three classes:
 *
 *   HARD     CPython raises here too, whatever the loader.
 *   SOFT     plain pickle.load raises, but a loader with hooks
 *            (persistent_load, buffers) goes on.
 *   REFUSED  CPython, or one of the loaders, may go on; we will not follow.
 *
 * Security findings (imports, calls, builds) are not errors: the load goes
 * on in CPython, and so does the emulation, so that a report lists every
 * reason.  After an error the emulation also goes on where it can, with
 * PV_UNKNOWN standing in for what CPython would not have made.
 */
#include "vm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callables.h"
#include "ndarray.h"
#include "opcodes.h"
#include "pyname.h"
#include "report.h"
#include "vm_store.h"

#define NO_FRAME UINT64_MAX
#define HIGHEST_PROTOCOL 5
/* Longest text whose "__dunder__" shape we check: longer names are no
 * Python special attribute. */
#define DUNDER_MAX 64

enum err_class { HARD, SOFT, REFUSED };

struct pg_vm {
	struct vm_store st;
	struct pg_vm_env *env;
	const struct pg_loader *ld;
	struct pg_cursor *cur;
	struct pg_stream_result *res;
	const struct pg_limits *lim;
	int proto;
	bool first_op;
	bool evidence;	 /* this stream is a pickle, whatever follows */
	bool odd_put;	 /* a PUT index we could not read */
	bool halt;	 /* stop emulating this stream */
	int fatal;	 /* -ENOMEM */
	uint64_t frame_end;
	uint64_t op_off; /* offset of the opcode being emulated */
	uint8_t op;
	uint8_t *scratch[2]; /* names read back from the stream */
	size_t scratch_cap[2];
	struct pg_nested *nested;
	size_t n_nested, nested_cap;
	struct pg_collected *collected;
	size_t n_collected, collected_cap;
	uint32_t collect_list; /* the list collect_strings follows, +1 */
	unsigned call_depth;   /* calls made by callables (PG_ROLE_CALLS_ARG0) */
};

/* How deep calls made on a pickle's behalf may nest (PG_ROLE_CALLS_ARG0):
 * real checkpoints make one. */
#define MAX_CALL_DEPTH 8

int pg_vm_new(struct pg_vm **vmp)
{
	*vmp = calloc(1, sizeof(**vmp));
	return *vmp ? 0 : -ENOMEM;
}

void pg_vm_free(struct pg_vm *vm)
{
	if (!vm)
		return;
	vm_store_free(&vm->st);
	free(vm->scratch[0]);
	free(vm->scratch[1]);
	free(vm->nested);
	free(vm->collected);
	free(vm);
}

static const char *op_name(uint8_t op)
{
	const char *n = pg_opcode_name(op);

	return n ? n : "?";
}

/* A value's kind as a noun phrase for reasons: "an object", "a str". */
static const char *kind_name(uint8_t kind)
{
	static const char *const names[] = {
		[PV_UNKNOWN] = "an unknown value", [PV_NONE] = "None",
		[PV_BOOL] = "a bool", [PV_INT] = "an int", [PV_FLOAT] = "a float",
		[PV_STR] = "a str", [PV_BYTES] = "bytes",
		[PV_BYTEARRAY] = "a bytearray", [PV_BUFFER] = "a buffer",
		[PV_TUPLE] = "a tuple", [PV_LIST] = "a list", [PV_DICT] = "a dict",
		[PV_SET] = "a set", [PV_FROZENSET] = "a frozenset",
		[PV_GLOBAL] = "an import", [PV_OBJECT] = "an object",
		[PV_PERSISTENT] = "a persistent object",
	};
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

static void oom(struct pg_vm *vm)
{
	vm->fatal = -ENOMEM;
	vm->halt = true;
}

static void vreason(struct pg_vm *vm, enum pg_reason_kind kind,
		    struct pg_span m, struct pg_span n, const char *fmt,
		    va_list ap)
{
	if (pg_report_vreason(vm->env->rep, vm->lim->max_reasons, kind,
			      vm->op_off, vm->ld->member, m, n, fmt, ap))
		oom(vm);
}

/* A security finding: the load would go on. */
static void __attribute__((format(printf, 3, 4)))
finding(struct pg_vm *vm, enum pg_reason_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreason(vm, kind, PG_SPAN_NONE, PG_SPAN_NONE, fmt, ap);
	va_end(ap);
}

static void note_error(struct pg_vm *vm, enum err_class cls)
{
	struct pg_stream_result *res = vm->res;

	res->had_error = true;
	if (cls == REFUSED && !vm->ld->only_effects)
		vm->evidence = true;
	/* Failing where CPython fails too, before anything could run, in
	 * bytes that never looked like a pickle: not a pickle at all.  A
	 * SOFT error (a persistent id) is no evidence either way. */
	if (cls == HARD && !vm->evidence && !res->effects &&
	    (!res->proto_start || vm->ld->only_effects))
		vm->halt = res->halted = true;
}

static void __attribute__((format(printf, 4, 5)))
error(struct pg_vm *vm, enum err_class cls, enum pg_reason_kind kind,
      const char *fmt, ...)
{
	va_list ap;

	if (kind == PG_REASON_LIMIT && vm->ld->limit_is_evidence)
		vm->evidence = vm->res->effects = true;
	note_error(vm, cls);
	if (vm->res->halted)
		return; /* the caller discards this stream's reasons anyway */
	va_start(ap, fmt);
	vreason(vm, kind, PG_SPAN_NONE, PG_SPAN_NONE, fmt, ap);
	va_end(ap);
}

/* A store failure: a limit (refused) or out of memory. */
static void store_failed(struct pg_vm *vm, int rc, const char *limit)
{
	if (rc == -ENOMEM) {
		oom(vm);
		return;
	}
	error(vm, REFUSED, PG_REASON_LIMIT, "%s exceeded at %s", limit,
	      op_name(vm->op));
	vm->halt = true;
}

/* A value grew: stop at max_expansion (see struct tuple_rec). */
static void check_weight(struct pg_vm *vm, uint64_t weight)
{
	if (weight <= vm->lim->max_expansion)
		return;
	error(vm, REFUSED, PG_REASON_LIMIT,
	      "max_expansion exceeded at %s: the result would hold over %" PRIu64
	      " values with its shared references copied",
	      op_name(vm->op), vm->lim->max_expansion);
	vm->halt = true;
}

static void push_slow(struct pg_vm *vm, struct pv v)
{
	const char *limit;
	int rc = vm_push(&vm->st, v, &limit);

	if (rc)
		store_failed(vm, rc, limit);
}

static inline void push(struct pg_vm *vm, struct pv v)
{
	struct vm_store *st = &vm->st;

	if (__builtin_expect(st->sp < st->stack_room, 1))
		st->stack[st->sp++] = v;
	else
		push_slow(vm, v);
}

static void underflow(struct pg_vm *vm)
{
	/* CPython's two messages for the same check (Pdata_stack_underflow) */
	error(vm, HARD, PG_REASON_UNDERFLOW, "%s: %s", op_name(vm->op),
	      vm->st.nmarks ? "unexpected MARK found"
			    : "unpickling stack underflow");
}

static struct pv pop(struct pg_vm *vm)
{
	if (vm->st.sp <= vm->st.fence) {
		underflow(vm);
		return PV_OF(PV_UNKNOWN);
	}
	return vm->st.stack[--vm->st.sp];
}

/* CPython's marker(): pop the top mark, or fail. */
static long marker(struct pg_vm *vm)
{
	long at = vm_pop_mark(&vm->st);

	if (at < 0)
		error(vm, HARD, PG_REASON_MARK, "%s: could not find MARK",
		      op_name(vm->op));
	return at;
}

/* ---- reading operands ---- */

static void truncated(struct pg_vm *vm, const char *what)
{
	if (vm->cur->err) {
		error(vm, HARD, PG_REASON_READ, "read failed at 0x%" PRIx64 ": %s",
		      pg_cursor_off(vm->cur), strerror(-vm->cur->err));
	} else {
		vm->res->ran_out = true;
		if (!what)
			error(vm, HARD, PG_REASON_TRUNCATED, "the data ends before STOP");
		else
			error(vm, HARD, PG_REASON_TRUNCATED,
			      "%s: the data ends inside its %s", op_name(vm->op), what);
	}
	vm->halt = true;
}

/*
 * An operand about to run past the end of its frame.  Said at once, before
 * the data may run out: _pickle.c reads the rest from after the frame, so
 * its reading differs from here on, whatever follows.
 */
static void frame_guard(struct pg_vm *vm, uint64_t end)
{
	if (vm->frame_end == NO_FRAME || end <= vm->frame_end)
		return;
	error(vm, REFUSED, PG_REASON_FRAME,
	      "%s crosses the end of its frame by %" PRIu64 " bytes",
	      op_name(vm->op), end - vm->frame_end);
	vm->frame_end = NO_FRAME;
}

static const uint8_t *take(struct pg_vm *vm, size_t n, const char *what)
{
	const uint8_t *p;

	frame_guard(vm, pg_cursor_off(vm->cur) + n);
	p = pg_cursor_take(vm->cur, n);
	if (!p)
		truncated(vm, what);
	return p;
}

static bool skip(struct pg_vm *vm, uint64_t n, const char *what)
{
	uint64_t at = pg_cursor_off(vm->cur);

	frame_guard(vm, at + n < at ? UINT64_MAX : at + n);
	if (pg_cursor_skip(vm->cur, n)) {
		truncated(vm, what);
		return false;
	}
	return true;
}

struct line {
	const uint8_t *data; /* NULL when longer than the read buffer */
	uint64_t off, len;   /* len counts the newline */
};

static bool read_line(struct pg_vm *vm, struct line *l)
{
	int rc = pg_cursor_line(vm->cur, &l->data, &l->off, &l->len);

	frame_guard(vm, rc ? UINT64_MAX : l->off + l->len);
	if (rc) {
		truncated(vm, "line");
		return false;
	}
	return true;
}

static uint64_t le_uint(const uint8_t *p, int n)
{
	uint64_t x = 0;

	for (int i = n - 1; i >= 0; i--)
		x = x << 8 | p[i];
	return x;
}

/* ---- values ---- */

static bool is_dunder(const uint8_t *s, size_t len)
{
	return len >= 4 && s[0] == '_' && s[1] == '_' && s[len - 2] == '_' &&
	       s[len - 1] == '_';
}

/* A str value for bytes at [off, off+len) stored as enc; text, when the
 * caller has it in hand, decides the dunder flag. */
static struct pv str_value(struct pg_vm *vm, uint64_t off, uint64_t len,
			   enum pg_str_enc enc, const uint8_t *text)
{
	struct pv v = { .kind = PV_STR, .enc = (uint8_t)enc, .a = off, .b = len };
	/* an escape spells one character in up to 10 bytes ("\\U0000005f") */
	bool escapes = enc == PG_ENC_RAW_UNICODE || enc == PG_ENC_ESCAPED;
	uint64_t max_raw = escapes ? 10 * DUNDER_MAX : DUNDER_MAX;
	uint8_t buf[2 * 10 * DUNDER_MAX];

	if (len <= vm->lim->max_line)
		v.flags |= PVF_SHORT;
	if (text && len <= max_raw) {
		ssize_t n = pg_str_text(enc, text, (size_t)len, buf);

		if (n > 0 && is_dunder(buf, (size_t)n))
			v.flags |= PVF_DUNDER;
	}
	return v;
}

/* Read a str/bytes operand of n bytes: short ones pass through the buffer
 * (for the dunder check), long ones are skipped unread. */
static bool counted_operand(struct pg_vm *vm, uint64_t n, const uint8_t **text)
{
	*text = NULL;
	if (n <= DUNDER_MAX)
		return (*text = take(vm, (size_t)n, "data")) != NULL;
	return skip(vm, n, "data");
}

/*
 * The text of a str value (UTF-8, or 8-bit bytes as stored), read back
 * from the stream into vm->scratch[slot].  Returns its length, or -1 when
 * it is longer than max_line (*too_long) or does not decode.
 */
static ssize_t str_text(struct pg_vm *vm, struct pv v, int slot, bool *too_long)
{
	size_t len = (size_t)v.b;
	uint8_t *buf;

	*too_long = !(v.flags & PVF_SHORT);
	if (*too_long)
		return -1;
	if (pg_grow((void **)&vm->scratch[slot], &vm->scratch_cap[slot],
		    3 * len + 1, 1)) {
		oom(vm);
		return -1;
	}
	buf = vm->scratch[slot];
	if (pg_cursor_pread(vm->cur, buf + 2 * len, len, v.a))
		return -1;
	return pg_str_text((enum pg_str_enc)v.enc, buf + 2 * len, len, buf);
}

static bool str_equals(struct pg_vm *vm, struct pv v, const char *s)
{
	bool too_long;
	ssize_t n;

	if (v.kind != PV_STR)
		return false;
	n = str_text(vm, v, 0, &too_long);
	return n >= 0 && (size_t)n == strlen(s) &&
	       !memcmp(vm->scratch[0], s, (size_t)n);
}

/* ---- imports ---- */

static bool span_has(struct pg_span s, char c)
{
	return memchr(s.ptr, c, s.len) != NULL;
}

static bool span_is(struct pg_span s, const char *text)
{
	return s.len == strlen(text) && !memcmp(s.ptr, text, s.len);
}

/*
 * Can a module of this name be imported at all?  The import system takes
 * any file name on sys.path, not only identifiers: Debian's stdlib has
 * _sysconfigdata__x86_64-linux-gnu.  Identifiers pass, and hyphens in a
 * component that starts with '_' (as installed modules' do; "cpu-0" in a
 * text file does not); "" fails at once, and a name with spaces or other
 * punctuation only imports a file planted under that very name.
 * Text files starting with 'c' ("class Foo:\n") are GLOBAL opcodes of
 * such names: they are pickles only if something importable follows.
 */
static bool importable(struct pg_span m)
{
	bool start = true, underscore = false;

	for (size_t i = 0; i < m.len; i++) {
		unsigned char c = (unsigned char)m.ptr[i];

		if (c == '.') {
			if (start)
				return false;
			start = true;
		} else if (c == '_' || c >= 0x80 || (unsigned)((c | 0x20) - 'a') < 26u ||
			   (!start && ((unsigned)(c - '0') < 10u || (c == '-' && underscore)))) {
			if (start)
				underscore = c == '_';
			start = false;
		} else {
			return false;
		}
	}
	return !start;
}

/* TorchScript's unpickler resolves __torch__.* as classes compiled from the
 * archive's code/, never as Python imports. */
static bool torchscript_type(struct pg_span module)
{
	return span_is(module, "__torch__") ||
	       (module.len > 10 && !memcmp(module.ptr, "__torch__.", 10));
}

/*
 * find_class: map Python 2 names below protocol 3, check the allowlist,
 * record the import and return what CPython would push.
 */
static struct pv import_global(struct pg_vm *vm, struct pg_span module,
			       struct pg_span name)
{
	struct pg_vm_env *env = vm->env;
	enum pg_reason_kind kind = PG_REASON_IMPORT;
	const char *what = "not on the allowlist";
	bool mapped, allowed, is_new;
	struct pg_span m = module, n = name;
	long idx;

	pg_pyname_resolve(vm->proto, &m, &n);
	if (!importable(m)) {
		/* the import fails, and a custom find_class could go on: what
		 * follows decides whether these bytes are a pickle at all */
		note_error(vm, SOFT);
		if (pg_report_reason(env->rep, vm->lim->max_reasons,
				     PG_REASON_IMPORT, vm->op_off, vm->ld->member,
				     m, n, "no module can have that name"))
			oom(vm);
		return PV_OF(PV_UNKNOWN);
	}
	vm->res->effects = true;
	mapped = m.ptr != module.ptr || n.ptr != name.ptr;
	if (vm->ld->torch_names && span_is(m, "torch.tensor"))
		m = (struct pg_span){ "torch._tensor", 13 }; /* pytorch#51633 */
	allowed = pg_allowlist_contains(env->cfg->allow, m.ptr, m.len, n.ptr,
					n.len) ||
		  (vm->ld->torchscript_types && torchscript_type(m));
	idx = pg_report_import(env->rep, m, n, allowed, &is_new);
	if (idx < 0) {
		oom(vm);
		return PV_OF(PV_UNKNOWN);
	}
	if (is_new) {
		if (pg_grow((void **)&env->roles, &env->roles_cap,
			    (size_t)idx + 1, sizeof(*env->roles))) {
			oom(vm);
			return PV_OF(PV_UNKNOWN);
		}
		env->roles[idx] = pg_callable_find(m, n);
	}
	if (!allowed && is_new) {
		if (span_has(n, '.')) {
			kind = PG_REASON_IMPORT_DOTTED;
			what = "dotted name, not listed";
		} else if (n.len >= 2 && n.ptr[0] == '_' && n.ptr[1] == '_') {
			kind = PG_REASON_IMPORT_DUNDER;
			what = "dunder name, not listed";
		}
		if (pg_report_reason(env->rep, vm->lim->max_reasons, kind,
				     vm->op_off, vm->ld->member, m, n, "%s%s",
				     what,
				     mapped ? " (mapped from a Python 2 name)"
					    : ""))
			oom(vm);
	}
	return (struct pv){ .kind = PV_GLOBAL, .ref = (uint32_t)idx };
}

static struct pg_span import_span(struct pg_vm *vm, struct pv g, bool name)
{
	const struct pg_import *imp = &vm->env->rep->imports[g.ref];
	const struct pg_bytes *b = name ? &imp->name : &imp->module;

	return (struct pg_span){ b->ptr, b->len };
}

/* A finding about something done to an import: names it in the reason. */
static void __attribute__((format(printf, 4, 5)))
import_finding(struct pg_vm *vm, enum pg_reason_kind kind, struct pv g,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreason(vm, kind, import_span(vm, g, false), import_span(vm, g, true),
		fmt, ap);
	va_end(ap);
}

/* ---- calls ---- */

static void nested_add(struct pg_vm *vm, struct pv b, enum pg_str_enc enc,
		       bool torch)
{
	if (pg_grow((void **)&vm->nested, &vm->nested_cap, vm->n_nested + 1,
		    sizeof(*vm->nested))) {
		oom(vm);
		return;
	}
	vm->nested[vm->n_nested++] = (struct pg_nested){
		.call_offset = vm->op_off,
		.offset = b.a,
		.len = b.b,
		.enc = enc,
		.torch = torch,
	};
}

/* A loader callable's argument must be constant bytes: scan it later. */
static void nested_arg(struct pg_vm *vm, const struct pg_callable *rule,
		       struct pv fn, const struct pv *arg)
{
	bool torch = rule->role == PG_ROLE_NESTED_TORCH;

	if (arg && arg->kind == PV_BYTES && !(arg->flags & PVF_LATIN1)) {
		nested_add(vm, *arg, PG_ENC_RAW, torch);
	} else if (arg && arg->kind == PV_BYTES) {
		nested_add(vm, *arg, (enum pg_str_enc)arg->enc, torch);
	} else if (arg && arg->kind == PV_STR &&
		   (arg->enc == PG_ENC_RAW || arg->enc == PG_ENC_ESCAPED)) {
		/* an 8-bit string is bytes under encoding='bytes' */
		nested_add(vm, *arg, (enum pg_str_enc)arg->enc, torch);
		vm->nested[vm->n_nested - 1].enc =
			arg->enc == PG_ENC_RAW ? PG_ENC_RAW : PG_ENC_ESCAPED;
	} else if (!arg || arg->kind != PV_UNKNOWN) {
		import_finding(vm, PG_REASON_NESTED, fn,
			       "%s gets %s, not constant bytes: %s",
			       op_name(vm->op), arg ? kind_name(arg->kind) : "missing argument",
			       rule->why);
	}
}

static struct pv call(struct pg_vm *vm, struct pv fn, struct pv args);
static bool sets_dunder(const struct vm_store *st, const struct pv *v);

/* The arguments checked as PG_ROLE_GLOBAL_ARGS says. */
static void global_args(struct pg_vm *vm, const struct pg_callable *rule, struct pv fn,
			struct pv args)
{
	for (unsigned i = 0; i < 8; i++) {
		const struct pv *a = vm_tuple_item(&vm->st, args, i);

		if (!(rule->global_args & (1u << i)) || !a || a->kind == PV_GLOBAL ||
		    a->kind == PV_UNKNOWN ||
		    (a->kind == PV_NONE && (rule->none_ok & (1u << i))))
			continue;
		import_finding(vm, PG_REASON_CALL, fn, "argument %u is %s: %s", i,
			       kind_name(a->kind), rule->why);
	}
}

/* torch's _rebuild_from_type(_v2)(func, type, args, state): func(*args) is
 * a call like REDUCE's, with its own rules; state's keys become attributes. */
static void calls_arg0(struct pg_vm *vm, const struct pg_callable *rule, struct pv fn,
		       struct pv args)
{
	const struct pv *func = vm_tuple_item(&vm->st, args, 0);
	const struct pv *fargs = vm_tuple_item(&vm->st, args, 2);
	const struct pv *state = vm_tuple_item(&vm->st, args, 3);
	const struct pg_callable *func_rule;
	const char *why;

	global_args(vm, rule, fn, args);
	if (sets_dunder(&vm->st, state))
		import_finding(vm, PG_REASON_CALL, fn, "state sets a dunder attribute: %s",
			       rule->why);
	if (!func || func->kind != PV_GLOBAL)
		return; /* no call, or global_args said why */
	if (!fargs || (fargs->kind != PV_TUPLE && fargs->kind != PV_UNKNOWN)) {
		import_finding(vm, PG_REASON_CALL, fn, "args is %s, not a tuple: %s",
			       fargs ? kind_name(fargs->kind) : "missing", rule->why);
		return;
	}
	if (vm->call_depth >= MAX_CALL_DEPTH) {
		import_finding(vm, PG_REASON_CALL, fn, "calls nested deeper than %d: %s",
			       MAX_CALL_DEPTH, rule->why);
		return;
	}
	vm->call_depth++;
	call(vm, *func, *fargs);
	vm->call_depth--;
	/* new_type with a __setstate__ of its own (numpy's) gets state there */
	func_rule = vm->env->roles[func->ref];
	if (func_rule && func_rule->build == PG_BUILD_NDARRAY &&
	    (why = pg_np_check_array_state(vm, state)))
		import_finding(vm, PG_REASON_BUILD, *func, "state with %s", why);
}

/*
 * Call (or instantiate) an import with an argument tuple, applying its
 * rules; returns the result CPython would push.
 */
static struct pv call(struct pg_vm *vm, struct pv fn, struct pv args)
{
	const struct pg_callable *rule;
	const char *limit;
	struct pv out;
	int rc;

	if (fn.kind != PV_GLOBAL) {
		if (fn.kind != PV_UNKNOWN)
			finding(vm, PG_REASON_CALL, "%s calls %s, not an import",
				op_name(vm->op), kind_name(fn.kind));
		return PV_OF(PV_UNKNOWN);
	}
	if (args.kind != PV_TUPLE && args.kind != PV_UNKNOWN)
		import_finding(vm, PG_REASON_CALL, fn,
			       "%s arguments are %s, not a tuple",
			       op_name(vm->op), kind_name(args.kind));
	for (unsigned i = 0; args.kind == PV_TUPLE && i < 8; i++) {
		const struct pv *a = vm_tuple_item(&vm->st, args, i);
		const struct pg_callable *class_rule =
			a && a->kind == PV_GLOBAL ? vm->env->roles[a->ref] : NULL;

		/* joblib writes NEWOBJ of the class itself: one made through
		 * another call is an array it would read that we would not */
		if (class_rule && class_rule->build == PG_BUILD_ARRAY_WRAPPER)
			import_finding(vm, PG_REASON_CALL, fn, "argument %u: %s", i,
				       class_rule->why);
	}
	rule = vm->env->roles[fn.ref];
	if (rule && args.kind == PV_TUPLE) {
		const struct pv *a0 = vm_tuple_item(&vm->st, args, 0);
		const struct pv *a1 = vm_tuple_item(&vm->st, args, 1);

		switch (rule->role) {
		case PG_ROLE_PLAIN:
			break;
		case PG_ROLE_GLOBAL_ARGS:
			global_args(vm, rule, fn, args);
			break;
		case PG_ROLE_CALLS_ARG0:
			calls_arg0(vm, rule, fn, args);
			break;
		case PG_ROLE_CODECS_ENCODE:
			if (vm_tuple_len(&vm->st, args) == 2 && a0->kind == PV_STR &&
			    (str_equals(vm, *a1, "latin1") ||
			     str_equals(vm, *a1, "latin-1"))) {
				out = *a0;
				out.kind = PV_BYTES;
				out.flags = PVF_LATIN1;
				return out;
			}
			import_finding(vm, PG_REASON_CALL, fn,
				       "arguments are not (str, 'latin1'): %s",
				       rule->why);
			break;
		case PG_ROLE_NESTED_PICKLE:
		case PG_ROLE_NESTED_TORCH:
			nested_arg(vm, rule, fn, a0);
			break;
		}
	} else if (rule && (rule->role == PG_ROLE_NESTED_PICKLE ||
			    rule->role == PG_ROLE_NESTED_TORCH) &&
		   args.kind != PV_UNKNOWN) {
		nested_arg(vm, rule, fn, NULL);
	}
	rc = vm_obj_new(&vm->st, fn.ref, args, &out, &limit);
	if (rc) {
		store_failed(vm, rc, limit);
		return PV_OF(PV_UNKNOWN);
	}
	if (rule && rule->result_is_arg0 && args.kind == PV_TUPLE) {
		const struct pv *a0 = vm_tuple_item(&vm->st, args, 0);

		/* BUILD on it is BUILD on that class's instance */
		if (a0 && a0->kind == PV_GLOBAL)
			vm->st.objs[out.ref].import = a0->ref;
	}
	check_weight(vm, vm_weight(&vm->st, &out));
	return out;
}

/* Tuple of the stack values from index `from` to the top, popped. */
static struct pv pop_tuple(struct pg_vm *vm, size_t from)
{
	const char *limit;
	struct pv t;
	size_t n = vm->st.sp - from;
	int rc = vm_tuple_new(&vm->st, n ? &vm->st.stack[from] : NULL, n, &t, &limit);

	vm->st.sp = from;
	if (rc) {
		store_failed(vm, rc, limit);
		return PV_OF(PV_UNKNOWN);
	}
	check_weight(vm, vm_weight(&vm->st, &t));
	return t;
}

static struct pv new_container(struct pg_vm *vm, enum pv_kind kind)
{
	const char *limit;
	struct pv c;
	int rc = vm_cont_new(&vm->st, kind, &c, &limit);

	if (rc) {
		store_failed(vm, rc, limit);
		return PV_OF(PV_UNKNOWN);
	}
	return c;
}

/* ---- BUILD and mutation ---- */

static bool sets_dunder(const struct vm_store *st, const struct pv *v)
{
	if (!v)
		return false;
	switch (v->kind) {
	case PV_DICT:
		return st->conts[v->ref].flags & CF_DUNDER_KEY;
	case PV_OBJECT:
		return st->objs[v->ref].flags & CF_DUNDER_KEY;
	case PV_TUPLE: /* (state, slotstate) */
		return vm_tuple_len(st, *v) == 2 &&
		       (sets_dunder(st, vm_tuple_item(st, *v, 0)) ||
			sets_dunder(st, vm_tuple_item(st, *v, 1)));
	default:
		return false;
	}
}

static void op_build(struct pg_vm *vm)
{
	struct pv state, inst;

	if ((long)vm->st.sp - 2 < (long)vm->st.fence) {
		underflow(vm);
		vm->st.sp = vm->st.fence;
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	state = vm->st.stack[--vm->st.sp];
	inst = vm->st.stack[vm->st.sp - 1];
	switch (inst.kind) {
	case PV_GLOBAL:
		/* no __setstate__ on a class or function: setattr on it */
		import_finding(vm, PG_REASON_BUILD, inst,
			       "BUILD sets attributes on an import");
		break;
	case PV_OBJECT: {
		struct obj_rec *o = &vm->st.objs[inst.ref];
		const struct pg_callable *rule = vm->env->roles[o->import];
		const char *why;

		o->state = state;
		o->flags |= o->flags & CF_BUILT ? CF_REBUILT : CF_BUILT;
		o->weight = vm_weight_add(o->weight, vm_weight(&vm->st, &state));
		check_weight(vm, o->weight);
		why = !rule ? NULL
		      : rule->build == PG_BUILD_NDARRAY ? pg_np_check_array_state(vm, &state)
		      : rule->build == PG_BUILD_DTYPE	? pg_np_check_dtype_state(vm, &inst)
							: NULL;
		if (why)
			import_finding(vm, PG_REASON_BUILD,
				       (struct pv){ .kind = PV_GLOBAL, .ref = o->import },
				       "BUILD with %s", why);
	}
		/* fall through */
	case PV_PERSISTENT:
		if (sets_dunder(&vm->st, &state))
			finding(vm, PG_REASON_BUILD,
				"BUILD state sets a __dunder__ attribute");
		break;
	default:
		/* builtins have no __setstate__ and no __dict__: a no-op or
		 * an error, never code */
		break;
	}
	if (inst.kind == PV_OBJECT && vm->ld->after_build && !vm->halt)
		vm->ld->after_build(vm->ld->ctx, vm, &inst);
}

/* collect_strings: the str items of the one list the stream builds. */
static void collect(struct pg_vm *vm, struct pv list, const struct pv *vals,
		    size_t n)
{
	if (vm->collect_list && vm->collect_list != list.ref + 1)
		vm->res->collect_failed = true;
	vm->collect_list = list.ref + 1;
	for (size_t i = 0; i < n; i++) {
		if (vals[i].kind != PV_STR) {
			vm->res->collect_failed = true;
			continue;
		}
		if (pg_grow((void **)&vm->collected, &vm->collected_cap,
			    vm->n_collected + 1, sizeof(*vm->collected))) {
			oom(vm);
			return;
		}
		vm->collected[vm->n_collected++] = (struct pg_collected){
			vals[i].a, vals[i].b, (enum pg_str_enc)vals[i].enc
		};
	}
}

/*
 * APPEND(S), SETITEM(S), ADDITEMS and DICT store n values (key, value
 * pairs when step is 2) into target.
 */
static void mutate(struct pg_vm *vm, struct pv target, const struct pv *vals,
		   size_t n, size_t step)
{
	uint64_t *weight = NULL;
	const char *limit;
	int rc;

	switch (target.kind) {
	case PV_GLOBAL:
		import_finding(vm, PG_REASON_MUTATE, target,
			       "%s on an import calls its methods",
			       op_name(vm->op));
		return;
	case PV_DICT:
		/* only SETITEM(S) stores into a dict; APPENDS or ADDITEMS on
		 * one fails in CPython */
		for (size_t i = 0; step == 2 && i + 1 < n; i += 2) {
			rc = vm_dict_note(&vm->st, target, vals[i], vals[i + 1],
					  &limit);
			if (rc) {
				store_failed(vm, rc, limit);
				return;
			}
		}
		weight = &vm->st.conts[target.ref].weight;
		break;
	case PV_LIST:
		if (vm->ld->collect_strings)
			collect(vm, target, vals, n);
		vm->st.conts[target.ref].count += (uint32_t)n;
		weight = &vm->st.conts[target.ref].weight;
		break;
	case PV_SET:
	case PV_FROZENSET:
		weight = &vm->st.conts[target.ref].weight;
		break;
	case PV_OBJECT:
		for (size_t i = 0; step == 2 && i < n; i += step)
			if (PV_MAY_BE_DUNDER(vals[i]))
				vm->st.objs[target.ref].flags |= CF_DUNDER_KEY;
		weight = &vm->st.objs[target.ref].weight;
		break;
	default:
		return;
	}
	*weight = vm_weight_add(*weight, vm_weigh(&vm->st, vals, n) - 1);
	check_weight(vm, *weight);
}

/* CPython's do_append / do_setitems / load_additems from stack index x. */
static void mutate_from(struct pg_vm *vm, long x, size_t step)
{
	long len = (long)vm->st.sp;

	if (x > len || x <= (long)vm->st.fence) {
		underflow(vm);
		return;
	}
	if (len == x)
		return;
	if (step == 2 && (len - x) % 2) {
		error(vm, HARD, PG_REASON_MALFORMED,
		      "odd number of items for %s", op_name(vm->op));
		vm->st.sp = (size_t)x;
		return;
	}
	mutate(vm, vm->st.stack[x - 1], &vm->st.stack[x], (size_t)(len - x), step);
	vm->st.sp = (size_t)x;
}

/* ---- text operands ---- */

/*
 * A PUT/GET index as PyLong_FromString(s, NULL, 10) reads it: spaces,
 * sign, digits with single underscores, spaces.  0 and *v, 1 for a
 * negative number, -1 for anything we do not read the same way.  The line
 * is a C string there: it ends at its first NUL ("2\0junk" is 2).
 */
static int parse_index(const uint8_t *s, size_t len, uint64_t *v)
{
	const uint8_t *nul = memchr(s, 0, len);
	size_t i = 0;
	bool neg = false, digit = false;
	uint64_t x = 0;

	if (nul)
		len = (size_t)(nul - s);

#define SPACE(c) ((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))
	while (i < len && SPACE(s[i]))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (x > (UINT64_MAX / 2 - 9) / 10)
				return -1;
			x = x * 10 + (uint64_t)(s[i] - '0');
			digit = true;
		} else if (s[i] == '_' && digit && i + 1 < len && s[i + 1] >= '0' &&
			   s[i + 1] <= '9') {
			continue;
		} else {
			break;
		}
	}
	while (i < len && SPACE(s[i]))
		i++;
#undef SPACE
	if (!digit || i != len)
		return -1;
	*v = x;
	return neg && x ? 1 : 0;
}

/* INT's text as CPython reads it, just far enough to know its value. */
static struct pv int_from_text(const uint8_t *s, uint64_t len)
{
	struct pv v = { .kind = PV_INT };
	size_t i = 0, n = (size_t)len - 1;
	bool neg = false;
	uint64_t x = 0;

	if (!s)
		return v;
	if (len == 3 && s[0] == '0' && (s[1] == '0' || s[1] == '1'))
		return (struct pv){ .kind = PV_BOOL, .a = s[1] == '1' };
	if (n && s[0] == '-')
		neg = true, i = 1;
	if (i == n || n - i > 18 || (s[i] == '0' && n - i > 1))
		return v;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return v;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	v.flags = PVF_INT_EXACT;
	v.a = neg ? (uint64_t)-(int64_t)x : x;
	return v;
}

/* ---- opcodes with more than a line of logic ---- */

enum name_status { NAME_OK, NAME_BAD, NAME_UNREAD };

/*
 * A GLOBAL/INST operand line as find_class will see it, copied into
 * scratch[slot].  pickle.py strips the last byte of whatever readline gave
 * and calls find_class even where _pickle.c stops: on an empty line, and
 * on a last line with no newline.  Those are refused, and resolved the way
 * pickle.py resolves them.  NAME_BAD: read, but unusable; NAME_UNREAD: the
 * read failed.
 */
static enum name_status name_line(struct pg_vm *vm, int slot, bool ascii,
				  struct pg_span *out)
{
	struct line l;
	size_t n;
	int rc = pg_cursor_line(vm->cur, &l.data, &l.off, &l.len);

	frame_guard(vm, rc ? UINT64_MAX : l.off + l.len);
	if (rc < 0) {
		truncated(vm, "line");
		return NAME_UNREAD;
	}
	/* SOFT: the lookup that follows is what makes it a pickle */
	if (rc > 0)
		error(vm, SOFT, PG_REASON_TRUNCATED,
		      "%s: the data ends inside a name line (pickle.py still looks the name up)",
		      op_name(vm->op));
	else if (l.len < 2)
		error(vm, SOFT, PG_REASON_MALFORMED,
		      "%s: empty name line (_pickle.c stops, pickle.py looks it up)",
		      op_name(vm->op));
	n = l.len ? (size_t)l.len - 1 : 0;
	if ((!l.data && n) || n > vm->lim->max_line) {
		error(vm, REFUSED, PG_REASON_LIMIT,
		      "%s: name of %zu bytes exceeds max_line", op_name(vm->op), n);
		return NAME_BAD;
	}
	for (size_t i = 0; ascii && i < n; i++)
		if (l.data[i] >= 0x80) {
			error(vm, HARD, PG_REASON_MALFORMED,
			      "%s: name is not ASCII", op_name(vm->op));
			return NAME_BAD;
		}
	if (!ascii && !pg_utf8_valid(l.data, n)) {
		error(vm, HARD, PG_REASON_MALFORMED, "%s: name is not UTF-8",
		      op_name(vm->op));
		return NAME_BAD;
	}
	if (pg_grow((void **)&vm->scratch[slot], &vm->scratch_cap[slot], n + 1,
		    1)) {
		oom(vm);
		return NAME_BAD;
	}
	if (n)
		memcpy(vm->scratch[slot], l.data, n);
	*out = (struct pg_span){ (const char *)vm->scratch[slot], n };
	return NAME_OK;
}

/* The module and name lines of GLOBAL or INST, resolved: always reads both
 * lines when it can, so that the stream stays in step after a bad one. */
static struct pv global_operands(struct pg_vm *vm, bool ascii)
{
	struct pg_span module, name;
	enum name_status ms, ns;

	ms = name_line(vm, 0, ascii, &module);
	if (ms == NAME_UNREAD || vm->halt)
		return PV_OF(PV_UNKNOWN);
	ns = name_line(vm, 1, ascii, &name);
	if (ms != NAME_OK || ns != NAME_OK)
		return PV_OF(PV_UNKNOWN);
	return import_global(vm, module, name);
}

static void op_global(struct pg_vm *vm)
{
	struct pv g = global_operands(vm, false);

	if (!vm->halt)
		push(vm, g);
}

static void op_inst(struct pg_vm *vm)
{
	long mark = vm_pop_mark(&vm->st);
	struct pv cls, args;

	/* _pickle.c needs the MARK first; pickle.py looks the class up
	 * first and only then pops the mark */
	if (mark < 0)
		error(vm, SOFT, PG_REASON_MARK,
		      "INST: could not find MARK (pickle.py imports first)");
	cls = global_operands(vm, true);
	if (vm->halt)
		return;
	args = pop_tuple(vm, mark < 0 ? vm->st.sp : (size_t)mark);
	push(vm, call(vm, cls, args));
}

static void op_stack_global(struct pg_vm *vm)
{
	struct pv name = pop(vm), module = pop(vm);
	struct pv ops[2] = { module, name };
	struct pg_span text[2];

	vm->res->effects = true;
	for (int i = 0; i < 2; i++) {
		const char *which = i ? "name" : "module";
		bool too_long;
		ssize_t n;

		if (ops[i].kind != PV_STR) {
			finding(vm, PG_REASON_GLOBAL_OPERAND,
				"STACK_GLOBAL %s is %s, not a constant str",
				which, kind_name(ops[i].kind));
			push(vm, PV_OF(PV_UNKNOWN));
			return;
		}
		n = str_text(vm, ops[i], i, &too_long);
		if (vm->halt)
			return;
		if (too_long) {
			error(vm, REFUSED, PG_REASON_LIMIT,
			      "STACK_GLOBAL %s of %" PRIu64 " bytes exceeds max_line",
			      which, ops[i].b);
			push(vm, PV_OF(PV_UNKNOWN));
			return;
		}
		if (n < 0) {
			finding(vm, PG_REASON_GLOBAL_OPERAND,
				"STACK_GLOBAL %s does not decode", which);
			push(vm, PV_OF(PV_UNKNOWN));
			return;
		}
		text[i] = (struct pg_span){ (const char *)vm->scratch[i], (size_t)n };
	}
	push(vm, import_global(vm, text[0], text[1]));
}

static void op_obj(struct pg_vm *vm)
{
	long i = marker(vm);
	struct pv args, cls;

	if (i < 0) {
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	if ((long)vm->st.sp - i < 1) {
		underflow(vm);
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	args = pop_tuple(vm, (size_t)i + 1);
	cls = pop(vm);
	push(vm, call(vm, cls, args));
}

static void op_newobj(struct pg_vm *vm, bool ex)
{
	struct pv kwargs = ex ? pop(vm) : PV_OF(PV_NONE);
	struct pv args = pop(vm), cls = pop(vm);

	if (ex && kwargs.kind != PV_DICT && kwargs.kind != PV_UNKNOWN)
		error(vm, HARD, PG_REASON_MALFORMED,
		      "NEWOBJ_EX kwargs argument must be a dict, not %s",
		      kind_name(kwargs.kind));
	push(vm, call(vm, cls, args));
}

static void op_put(struct pg_vm *vm, uint64_t key)
{
	const char *limit;
	int rc;

	if (vm->st.sp <= vm->st.fence) {
		underflow(vm);
		return;
	}
	rc = vm_memo_put(&vm->st, key, vm->st.stack[vm->st.sp - 1], &limit);
	if (rc)
		store_failed(vm, rc, limit);
}

static void op_get(struct pg_vm *vm, uint64_t key)
{
	const struct pv *v = vm_memo_get(&vm->st, key);

	if (!v && vm->ld->outer && (v = vm_memo_get(&vm->ld->outer->st, key))) {
		/* an import taken up again: as good as importing it here */
		if (v->kind == PV_GLOBAL)
			vm->res->effects = true;
		push(vm, v->kind == PV_GLOBAL ? *v : PV_OF(PV_UNKNOWN));
		return;
	}
	if (!v) {
		error(vm, HARD, PG_REASON_MEMO,
		      "%s: memo value not found at index %" PRIu64,
		      op_name(vm->op), key);
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	push(vm, *v);
}

/*
 * A PUT or GET index line.  CPython reads the line, then (PUT only) checks
 * the stack, then parses: `check_stack` runs in between.  False when there
 * is no index to use.
 */
static bool text_index(struct pg_vm *vm, bool check_stack, uint64_t *key)
{
	struct line l;
	int rc;

	if (!read_line(vm, &l))
		return false;
	if (l.len < 2) {
		error(vm, HARD, PG_REASON_TRUNCATED,
		      "%s: empty index line (pickle data was truncated)",
		      op_name(vm->op));
		return false;
	}
	if (check_stack && vm->st.sp <= vm->st.fence) {
		underflow(vm);
		return false;
	}
	if (!l.data) {
		/* CPython reads a line of any length: that it fails is no
		 * sign these bytes are no pickle */
		error(vm, REFUSED, PG_REASON_LIMIT, "%s: index line longer than max_line",
		      op_name(vm->op));
		vm->odd_put |= check_stack;
		return false;
	}
	rc = parse_index(l.data, (size_t)l.len - 1, key);
	if (rc < 0) {
		/* pickle.py keeps keys _pickle.c cannot (huge ones): a GET can
		 * only find such a key after a PUT we could not read either */
		if (check_stack || vm->odd_put)
			error(vm, REFUSED, PG_REASON_MEMO,
			      "%s: index we do not read the way CPython does",
			      op_name(vm->op));
		else
			error(vm, HARD, PG_REASON_MEMO,
			      "%s: index that names no memo entry", op_name(vm->op));
		vm->odd_put |= check_stack;
		return false;
	}
	if (rc > 0) {
		/* PUT: "negative PUT argument"; GET: no such memo entry */
		error(vm, HARD, PG_REASON_MEMO, "%s: negative memo index",
		      op_name(vm->op));
		return false;
	}
	return true;
}

static void op_text_put(struct pg_vm *vm)
{
	uint64_t key;

	if (text_index(vm, true, &key))
		op_put(vm, key);
}

static void op_string(struct pg_vm *vm)
{
	struct line l;
	uint8_t q[2];
	size_t n;

	if (!read_line(vm, &l))
		return;
	n = (size_t)l.len - 1;
	if (n >= 2) {
		if (l.data) {
			q[0] = l.data[0];
			q[1] = l.data[n - 1];
		} else if (pg_cursor_pread(vm->cur, q, 1, l.off) ||
			   pg_cursor_pread(vm->cur, q + 1, 1, l.off + n - 1)) {
			truncated(vm, "line");
			return;
		}
	}
	if (n < 2 || q[0] != q[1] || (q[0] != '\'' && q[0] != '"')) {
		error(vm, HARD, PG_REASON_MALFORMED,
		      "the STRING opcode argument must be quoted");
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	push(vm, str_value(vm, l.off + 1, n - 2, PG_ENC_ESCAPED,
			   l.data ? l.data + 1 : NULL));
}

/* LONG1/LONG4: a little-endian two's complement of n bytes. */
static void op_counted_long(struct pg_vm *vm, int size)
{
	const uint8_t *p = take(vm, (size_t)size, "length");
	struct pv v = { .kind = PV_INT };
	int64_t n;

	if (!p)
		return;
	n = size == 1 ? p[0] : (int32_t)le_uint(p, 4);
	if (n < 0) {
		error(vm, HARD, PG_REASON_MALFORMED,
		      "LONG pickle has negative byte count");
		push(vm, v);
		return;
	}
	if (n <= 8) {
		p = take(vm, (size_t)n, "digits");
		if (!p)
			return;
		v.flags = PVF_INT_EXACT;
		v.a = le_uint(p, (int)n);
		if (n && n < 8 && (p[n - 1] & 0x80))
			v.a |= ~(uint64_t)0 << (8 * n);
	} else if (!skip(vm, (uint64_t)n, "digits")) {
		return;
	}
	push(vm, v);
}

/* A str or bytes operand with a size prefix of `size` bytes. */
static void op_counted(struct pg_vm *vm, int size, enum pv_kind kind,
		       enum pg_str_enc enc)
{
	const uint8_t *p = take(vm, (size_t)size, "length"), *text;
	uint64_t n, off;
	struct pv v;

	if (!p)
		return;
	n = le_uint(p, size);
	if (n > INT64_MAX) {
		/* calc_binsize: larger than PY_SSIZE_T_MAX */
		error(vm, HARD, PG_REASON_MALFORMED,
		      "%s exceeds the maximum size", op_name(vm->op));
		vm->halt = true;
		return;
	}
	off = pg_cursor_off(vm->cur);
	if (!counted_operand(vm, n, &text))
		return;
	if (kind == PV_STR) {
		v = str_value(vm, off, n, enc, text);
	} else {
		v = (struct pv){ .kind = (uint8_t)kind, .enc = PG_ENC_RAW,
				 .a = off, .b = n };
	}
	push(vm, v);
}

static void op_proto(struct pg_vm *vm)
{
	const uint8_t *p = take(vm, 1, "protocol");

	if (!p)
		return;
	if (*p > HIGHEST_PROTOCOL) {
		/* CPython refuses it today, a later one may not: what follows
		 * decides whether this is a pickle */
		error(vm, SOFT, PG_REASON_PROTO, "unsupported pickle protocol: %d",
		      *p);
		vm->proto = *p;
		return;
	}
	if (vm->first_op) {
		vm->res->proto_start = true;
	} else {
		error(vm, SOFT, PG_REASON_PROTO,
		      "PROTO %d is not the stream's first opcode (protocol was %d)",
		      *p, vm->proto);
	}
	vm->proto = *p;
}

static void op_frame(struct pg_vm *vm)
{
	const uint8_t *p = take(vm, 8, "length");
	uint64_t len, at, size = vm->cur->rd->size;

	if (!p)
		return;
	len = le_uint(p, 8);
	at = pg_cursor_off(vm->cur);
	if (len > INT64_MAX) {
		error(vm, HARD, PG_REASON_FRAME,
		      "FRAME length exceeds the maximum size");
		vm->halt = true;
		return;
	}
	/* _pickle.c reads nested and overrunning frames, pickle.py does not,
	 * or reads what is there: both are followed, and what they lead to
	 * decides whether this is a pickle */
	if (vm->frame_end != NO_FRAME)
		error(vm, SOFT, PG_REASON_FRAME,
		      "FRAME inside a frame that has %" PRIu64 " bytes left",
		      vm->frame_end - vm->op_off);
	if (len > size - at) {
		/* _pickle.c fails; pickle.py's Unframer reads what is there */
		error(vm, SOFT, PG_REASON_FRAME,
		      "FRAME of %" PRIu64 " bytes runs past the end of the data",
		      len);
		len = size - at;
	}
	vm->frame_end = at + len;
}

static void op_ext(struct pg_vm *vm, int size)
{
	const uint8_t *p = take(vm, (size_t)size, "code");
	int64_t code;

	if (!p)
		return;
	code = size == 4 ? (int32_t)le_uint(p, 4) : (int64_t)le_uint(p, size);
	if (code <= 0) {
		error(vm, HARD, PG_REASON_EXT, "EXT specifies code <= 0");
	} else if (!vm->res->effects && !vm->evidence) {
		/* a plain process registers no extension codes: CPython fails
		 * here, so bytes that start this way are no pickle; after an
		 * import, the pickle may have registered one itself */
		error(vm, HARD, PG_REASON_EXT,
		      "EXT%d code %" PRId64 " before any import (unregistered)",
		      size == 4 ? 4 : size, code);
	} else {
		vm->res->effects = true;
		finding(vm, PG_REASON_EXT,
			"EXT%d code %" PRId64 ": imports through copyreg's extension registry",
			size == 4 ? 4 : size, code);
	}
	push(vm, PV_OF(PV_UNKNOWN));
}

static void op_persid(struct pg_vm *vm, bool text)
{
	struct pv pid;
	struct line l;

	if (!vm->ld->persid) {
		/* pickle.load has no persistent_load: it fails before reading
		 * the operand; loaders that define one go on, running their
		 * own code */
		error(vm, SOFT, PG_REASON_PERSID,
		      "%s: persistent id, but a plain pickle's loader defines no persistent_load",
		      op_name(vm->op));
		if (text ? read_line(vm, &l) : (pop(vm), true))
			push(vm, PV_OF(PV_PERSISTENT));
		return;
	}
	vm->res->effects = true;
	if (text) {
		if (!read_line(vm, &l))
			return;
		pid = str_value(vm, l.off, l.len - 1, PG_ENC_RAW, l.data);
	} else {
		pid = pop(vm);
	}
	push(vm, vm->ld->persid(vm->ld->ctx, vm, &pid, text));
}

static void op_tuple_n(struct pg_vm *vm, size_t n)
{
	if (vm->st.sp < n || vm->st.sp - n < vm->st.fence) {
		underflow(vm);
		vm->st.sp = vm->st.fence;
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	push(vm, pop_tuple(vm, vm->st.sp - n));
}

/* LIST, DICT, FROZENSET, TUPLE: the items after the top MARK. */
static void op_from_mark(struct pg_vm *vm, enum pv_kind kind)
{
	long i = marker(vm);
	struct pv c;

	if (i < 0) {
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	if (kind == PV_TUPLE) {
		push(vm, pop_tuple(vm, (size_t)i));
		return;
	}
	if (kind == PV_DICT && (vm->st.sp - (size_t)i) % 2) {
		error(vm, HARD, PG_REASON_MALFORMED, "odd number of items for DICT");
		vm->st.sp = (size_t)i;
		push(vm, PV_OF(PV_UNKNOWN));
		return;
	}
	c = new_container(vm, kind);
	if (c.kind == kind && vm->st.sp > (size_t)i)
		mutate(vm, c, &vm->st.stack[i], vm->st.sp - (size_t)i,
		       kind == PV_DICT ? 2 : 1);
	vm->st.sp = (size_t)i;
	push(vm, c);
}

static void op_pop(struct pg_vm *vm)
{
	struct vm_store *st = &vm->st;

	/* the split stacks: a MARK right on top is what POP removes */
	if (st->nmarks && st->marks[st->nmarks - 1] == st->sp)
		vm_pop_mark(st);
	else if (st->sp <= st->fence)
		underflow(vm);
	else
		st->sp--;
}

static void op_stop(struct pg_vm *vm)
{
	uint64_t at = pg_cursor_off(vm->cur);

	pop(vm);
	vm->res->stopped = true;
	if (vm->frame_end != NO_FRAME && at != vm->frame_end)
		/* pickle.load resumes after STOP, pickle.py's Unframer and a
		 * fresh file reader after the frame: they disagree on what
		 * comes next */
		error(vm, REFUSED, PG_REASON_FRAME,
		      "STOP with %" PRIu64 " bytes of its frame left",
		      vm->frame_end - at);
}

/* ---- the loop ---- */

static void step(struct pg_vm *vm, uint8_t op)
{
	struct vm_store *st = &vm->st;
	const uint8_t *p;
	struct line l;
	uint64_t key;
	long i;

	switch (op) {
	case OP_NONE: push(vm, PV_OF(PV_NONE)); break;
	case OP_NEWTRUE:
	case OP_NEWFALSE:
		push(vm, (struct pv){ .kind = PV_BOOL, .a = op == OP_NEWTRUE });
		break;
	case OP_BININT:
	case OP_BININT1:
	case OP_BININT2: {
		int n = op == OP_BININT ? 4 : op == OP_BININT1 ? 1 : 2;

		if ((p = take(vm, (size_t)n, "operand")))
			push(vm, (struct pv){
				.kind = PV_INT, .flags = PVF_INT_EXACT,
				.a = n == 4 ? (uint64_t)(int64_t)(int32_t)le_uint(p, 4)
					    : le_uint(p, n) });
		break;
	}
	case OP_LONG1: op_counted_long(vm, 1); break;
	case OP_LONG4: op_counted_long(vm, 4); break;
	case OP_INT:
		if (read_line(vm, &l))
			push(vm, int_from_text(l.data, l.len));
		break;
	case OP_LONG:
		if (read_line(vm, &l))
			push(vm, PV_OF(PV_INT));
		break;
	case OP_FLOAT:
		if (read_line(vm, &l))
			push(vm, PV_OF(PV_FLOAT));
		break;
	case OP_BINFLOAT:
		if (take(vm, 8, "operand"))
			push(vm, PV_OF(PV_FLOAT));
		break;
	case OP_STRING: op_string(vm); break;
	case OP_BINSTRING: op_counted(vm, 4, PV_STR, PG_ENC_RAW); break;
	case OP_SHORT_BINSTRING: op_counted(vm, 1, PV_STR, PG_ENC_RAW); break;
	case OP_UNICODE:
		if (read_line(vm, &l))
			push(vm, str_value(vm, l.off, l.len - 1, PG_ENC_RAW_UNICODE,
					   l.data));
		break;
	case OP_SHORT_BINUNICODE: op_counted(vm, 1, PV_STR, PG_ENC_UTF8); break;
	case OP_BINUNICODE: op_counted(vm, 4, PV_STR, PG_ENC_UTF8); break;
	case OP_BINUNICODE8: op_counted(vm, 8, PV_STR, PG_ENC_UTF8); break;
	case OP_SHORT_BINBYTES: op_counted(vm, 1, PV_BYTES, PG_ENC_RAW); break;
	case OP_BINBYTES: op_counted(vm, 4, PV_BYTES, PG_ENC_RAW); break;
	case OP_BINBYTES8: op_counted(vm, 8, PV_BYTES, PG_ENC_RAW); break;
	case OP_BYTEARRAY8: op_counted(vm, 8, PV_BYTEARRAY, PG_ENC_RAW); break;
	case OP_NEXT_BUFFER:
		error(vm, SOFT, PG_REASON_BUFFER,
		      "NEXT_BUFFER: out-of-band buffer, but a file's loader passes no buffers");
		push(vm, PV_OF(PV_BUFFER));
		break;
	case OP_READONLY_BUFFER:
		if (st->sp <= st->fence)
			underflow(vm);
		break;
	case OP_EMPTY_TUPLE: op_tuple_n(vm, 0); break;
	case OP_TUPLE1: op_tuple_n(vm, 1); break;
	case OP_TUPLE2: op_tuple_n(vm, 2); break;
	case OP_TUPLE3: op_tuple_n(vm, 3); break;
	case OP_TUPLE: op_from_mark(vm, PV_TUPLE); break;
	case OP_EMPTY_LIST: push(vm, new_container(vm, PV_LIST)); break;
	case OP_EMPTY_DICT: push(vm, new_container(vm, PV_DICT)); break;
	case OP_EMPTY_SET: push(vm, new_container(vm, PV_SET)); break;
	case OP_LIST: op_from_mark(vm, PV_LIST); break;
	case OP_DICT: op_from_mark(vm, PV_DICT); break;
	case OP_FROZENSET: op_from_mark(vm, PV_FROZENSET); break;
	case OP_APPEND:
		if ((long)st->sp - 1 <= (long)st->fence)
			underflow(vm);
		else
			mutate_from(vm, (long)st->sp - 1, 1);
		break;
	case OP_APPENDS:
	case OP_ADDITEMS:
		if ((i = marker(vm)) >= 0)
			mutate_from(vm, i, 1);
		break;
	case OP_SETITEM: mutate_from(vm, (long)st->sp - 2, 2); break;
	case OP_SETITEMS:
		if ((i = marker(vm)) >= 0)
			mutate_from(vm, i, 2);
		break;
	case OP_POP: op_pop(vm); break;
	case OP_POP_MARK:
		if ((i = marker(vm)) >= 0)
			st->sp = (size_t)i;
		break;
	case OP_DUP:
		if (st->sp <= st->fence)
			underflow(vm);
		else
			push(vm, st->stack[st->sp - 1]);
		break;
	case OP_MARK: {
		const char *limit;
		int rc = vm_mark(st, &limit);

		if (rc)
			store_failed(vm, rc, limit);
		break;
	}
	case OP_GET:
		if (text_index(vm, false, &key))
			op_get(vm, key);
		else if (!vm->halt)
			push(vm, PV_OF(PV_UNKNOWN));
		break;
	case OP_BINGET:
		if ((p = take(vm, 1, "index")))
			op_get(vm, p[0]);
		break;
	case OP_LONG_BINGET:
		if ((p = take(vm, 4, "index")))
			op_get(vm, le_uint(p, 4));
		break;
	case OP_PUT: op_text_put(vm); break;
	case OP_BINPUT:
		if ((p = take(vm, 1, "index")))
			op_put(vm, p[0]);
		break;
	case OP_LONG_BINPUT:
		if ((p = take(vm, 4, "index")))
			op_put(vm, le_uint(p, 4));
		break;
	case OP_MEMOIZE:
		op_put(vm, st->memo_count);
		break;
	case OP_EXT1: op_ext(vm, 1); break;
	case OP_EXT2: op_ext(vm, 2); break;
	case OP_EXT4: op_ext(vm, 4); break;
	case OP_GLOBAL: op_global(vm); break;
	case OP_STACK_GLOBAL: op_stack_global(vm); break;
	case OP_INST: op_inst(vm); break;
	case OP_OBJ: op_obj(vm); break;
	case OP_REDUCE: {
		struct pv args = pop(vm), fn = pop(vm);

		push(vm, call(vm, fn, args));
		break;
	}
	case OP_NEWOBJ: op_newobj(vm, false); break;
	case OP_NEWOBJ_EX: op_newobj(vm, true); break;
	case OP_BUILD: op_build(vm); break;
	case OP_PROTO: op_proto(vm); break;
	case OP_FRAME: op_frame(vm); break;
	case OP_PERSID: op_persid(vm, true); break;
	case OP_BINPERSID: op_persid(vm, false); break;
	case OP_STOP: op_stop(vm); break;
	default:
		error(vm, HARD, PG_REASON_OPCODE, "unknown opcode 0x%02x", op);
		vm->halt = true;
		break;
	}
}

int pg_vm_run(struct pg_vm *vm, struct pg_vm_env *env,
	      const struct pg_loader *loader, struct pg_cursor *cur,
	      struct pg_stream_result *res)
{
	struct pg_report *rep = env->rep;
	const struct pg_limits *lim = &env->cfg->limits;

	if (!vm->st.limits)
		vm_store_init(&vm->st, lim);
	vm_store_reset(&vm->st);
	memset(res, 0, sizeof(*res));
	vm->env = env;
	vm->ld = loader;
	vm->cur = cur;
	vm->res = res;
	vm->lim = lim;
	vm->proto = 0;
	vm->first_op = true;
	vm->evidence = vm->halt = vm->odd_put = false;
	vm->fatal = 0;
	vm->frame_end = NO_FRAME;
	vm->n_nested = vm->n_collected = 0;
	vm->collect_list = 0;
	res->start = pg_cursor_off(cur);
	for (unsigned i = 0; i < loader->seed_unknowns; i++)
		push(vm, PV_OF(PV_UNKNOWN));
	vm->first_op = !loader->seed_unknowns;

	while (!vm->halt) {
		const uint8_t *p;

		vm->op_off = pg_cursor_off(cur);
		if (vm->op_off == vm->frame_end)
			vm->frame_end = NO_FRAME;
		if (rep->opcodes >= lim->max_opcodes) {
			error(vm, REFUSED, PG_REASON_LIMIT, "max_opcodes exceeded");
			break;
		}
		if (!(rep->opcodes & 0xfff) && pg_cancelled(env->cfg)) {
			error(vm, REFUSED, PG_REASON_LIMIT, "scan cancelled by its caller");
			break;
		}
		rep->opcodes++;
		vm->op = 0;
		p = pg_cursor_take(cur, 1);
		if (!p) {
			truncated(vm, NULL);
			break;
		}
		vm->op = *p;
		step(vm, vm->op);
		if (vm->halt)
			break;
		frame_guard(vm, pg_cursor_off(cur));
		if (vm->op == OP_STOP)
			break;
		vm->first_op = false;
	}
	res->end = pg_cursor_off(cur);
	res->completed = res->stopped && !res->had_error;
	res->nested = vm->nested;
	res->n_nested = vm->n_nested;
	res->collected = vm->collected;
	res->n_collected = vm->n_collected;
	return vm->fatal;
}

/* ---- what loader hooks see (vm.h) ---- */

size_t pg_vm_tuple_len(struct pg_vm *vm, const struct pv *t)
{
	return t && t->kind == PV_TUPLE ? vm_tuple_len(&vm->st, *t) : 0;
}

const struct pv *pg_vm_tuple_item(struct pg_vm *vm, const struct pv *t,
				  size_t i)
{
	return t && t->kind == PV_TUPLE ? vm_tuple_item(&vm->st, *t, i) : NULL;
}

bool pg_vm_text(struct pg_vm *vm, const struct pv *s, int slot,
		struct pg_span *out)
{
	bool too_long;
	ssize_t n;

	if (!s || s->kind != PV_STR)
		return false;
	n = str_text(vm, *s, slot, &too_long);
	if (n < 0)
		return false;
	*out = (struct pg_span){ (const char *)vm->scratch[slot], (size_t)n };
	return true;
}

bool pg_vm_str_is(struct pg_vm *vm, const struct pv *s, const char *text)
{
	return s && str_equals(vm, *s, text);
}

bool pg_vm_int(const struct pv *v, int64_t *out)
{
	if (!v)
		return false;
	if (v->kind == PV_BOOL) {
		*out = (int64_t)v->a;
		return true;
	}
	if (v->kind != PV_INT || !(v->flags & PVF_INT_EXACT))
		return false;
	*out = (int64_t)v->a;
	return true;
}

bool pg_vm_import(struct pg_vm *vm, const struct pv *v, struct pg_span *module,
		  struct pg_span *name)
{
	struct pv g;

	if (v->kind == PV_OBJECT)
		g = (struct pv){ .kind = PV_GLOBAL, .ref = vm->st.objs[v->ref].import };
	else if (v->kind == PV_GLOBAL)
		g = *v;
	else
		return false;
	*module = import_span(vm, g, false);
	*name = import_span(vm, g, true);
	return true;
}

bool pg_vm_import_is(struct pg_vm *vm, const struct pv *v, const char *module,
		     const char *name)
{
	struct pg_span m, n;

	return v && pg_vm_import(vm, v, &m, &n) && span_is(m, module) &&
	       span_is(n, name);
}

const struct pv *pg_vm_obj_args(struct pg_vm *vm, const struct pv *o)
{
	return o && o->kind == PV_OBJECT ? &vm->st.objs[o->ref].args : NULL;
}

bool pg_vm_obj_rebuilt(struct pg_vm *vm, const struct pv *o)
{
	return o && o->kind == PV_OBJECT && (vm->st.objs[o->ref].flags & CF_REBUILT);
}

const struct pv *pg_vm_obj_state(struct pg_vm *vm, const struct pv *o)
{
	const struct pv *s;

	if (!o || o->kind != PV_OBJECT)
		return NULL;
	s = &vm->st.objs[o->ref].state;
	return s->kind == PV_UNKNOWN ? NULL : s;
}

const struct pv *pg_vm_dict_get(struct pg_vm *vm, const struct pv *d,
				const char *key)
{
	const struct pv *found = NULL;
	const struct cell *c;

	if (!d || d->kind != PV_DICT || vm->st.conts[d->ref].count > DICT_KEEP)
		return NULL; /* items not kept may set it too */
	for (c = vm_dict_first(&vm->st, *d); c;
	     c = c->next == UINT32_MAX ? NULL : &vm->st.cells[c->next]) {
		/* a value of unknown type may be a str equal to the key */
		if (c->key.kind == PV_OBJECT || c->key.kind == PV_UNKNOWN ||
		    c->key.kind == PV_PERSISTENT || c->key.kind == PV_GLOBAL)
			return NULL;
		if (str_equals(vm, c->key, key))
			found = &c->val; /* the last one set wins, as in a dict */
	}
	return found;
}

void pg_vm_set_top(struct pg_vm *vm, struct pv v)
{
	if (vm->st.sp > vm->st.fence)
		vm->st.stack[vm->st.sp - 1] = v;
}

size_t pg_vm_list_len(struct pg_vm *vm, const struct pv *l)
{
	return l && l->kind == PV_LIST ? vm->st.conts[l->ref].count : 0;
}

size_t pg_vm_dict_len(struct pg_vm *vm, const struct pv *d)
{
	return d && d->kind == PV_DICT ? vm->st.conts[d->ref].count : 0;
}

bool pg_vm_dict_item(struct pg_vm *vm, const struct pv *d, size_t i,
		     const struct pv **key, const struct pv **val)
{
	const struct cell *c = d->kind == PV_DICT ? vm_dict_first(&vm->st, *d) : NULL;

	while (c && i--)
		c = c->next == UINT32_MAX ? NULL : &vm->st.cells[c->next];
	if (!c)
		return false;
	*key = &c->key;
	*val = &c->val;
	return true;
}

/* A loader reads the file directly: the frame, if any, is over. */
static void leave_frame(struct pg_vm *vm)
{
	if (vm->frame_end == pg_cursor_off(vm->cur))
		vm->frame_end = NO_FRAME;
}

const uint8_t *pg_vm_take(struct pg_vm *vm, size_t n)
{
	leave_frame(vm);
	return take(vm, n, "array data");
}

bool pg_vm_skip(struct pg_vm *vm, uint64_t n)
{
	leave_frame(vm);
	return skip(vm, n, "array data");
}

uint64_t pg_vm_offset(struct pg_vm *vm)
{
	return pg_cursor_off(vm->cur);
}

uint64_t pg_vm_frame_left(struct pg_vm *vm)
{
	uint64_t at = pg_cursor_off(vm->cur);

	return vm->frame_end == NO_FRAME || at >= vm->frame_end
		       ? 0
		       : vm->frame_end - at;
}

const char *pg_vm_member(struct pg_vm *vm)
{
	return vm->ld->member;
}

void pg_vm_finding(struct pg_vm *vm, enum pg_reason_kind kind, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreason(vm, kind, PG_SPAN_NONE, PG_SPAN_NONE, fmt, ap);
	va_end(ap);
}

void pg_vm_refuse(struct pg_vm *vm, enum pg_reason_kind kind, bool halt,
		  const char *fmt, ...)
{
	va_list ap;

	note_error(vm, REFUSED);
	va_start(ap, fmt);
	vreason(vm, kind, PG_SPAN_NONE, PG_SPAN_NONE, fmt, ap);
	va_end(ap);
	if (halt)
		vm->halt = true;
}
