/*
 * vm_store.h: the emulator's memory: symbolic values, the object stack, the
 * mark stack, the memo and the records behind tuples, containers and
 * objects.  Everything is bounded by struct pg_limits and counted against
 * max_alloc; a full store returns -E2BIG, which the emulator reports as a
 * "limit" reason.  No opcode semantics here.
 */
#ifndef PG_VM_STORE_H
#define PG_VM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg_scan.h"

enum pv_kind {
	PV_UNKNOWN = 0, /* stand-in after an error, or an opaque result */
	PV_NONE,
	PV_BOOL,
	PV_INT,
	PV_FLOAT,
	PV_STR,
	PV_BYTES,
	PV_BYTEARRAY,
	PV_BUFFER,
	PV_TUPLE,
	PV_LIST,
	PV_DICT,
	PV_SET,
	PV_FROZENSET,
	PV_GLOBAL,     /* what find_class returned: ref = report import index */
	PV_OBJECT,     /* a call's or instantiation's result: ref = object */
	PV_PERSISTENT, /* what a loader's persistent_load returned */
};

/* pv.flags */
#define PVF_INT_EXACT 0x01 /* PV_INT: value in a */
#define PVF_DUNDER 0x02	   /* PV_STR: text is "__...__" */
#define PVF_LATIN1 0x04	   /* PV_BYTES: latin-1 of the str at (a, b, enc) */
#define PVF_SHORT 0x08	   /* PV_STR/BYTES: no longer than max_line */

/*
 * Could this value, as a key BUILD turns into an attribute name, be a
 * "__...__" name?  A str says so itself; a call's result, an import or an
 * unknown may be a str subclass equal to any name (numpy.str_ is one,
 * made by numpy's scalar()), so it may.
 */
#define PV_MAY_BE_DUNDER(k)                                                    \
	((k).kind == PV_STR ? ((k).flags & PVF_DUNDER) != 0                    \
			    : ((k).kind == PV_OBJECT || (k).kind == PV_UNKNOWN ||   \
			       (k).kind == PV_PERSISTENT || (k).kind == PV_GLOBAL))

/*
 * A symbolic value: 24 bytes, copied freely.  Strings and bytes are places
 * in the stream (a = offset, b = length, enc = how stored), never copies.
 * Tuples, containers and objects point at records (ref).
 */
struct pv {
	uint8_t kind;
	uint8_t flags;
	uint8_t enc;
	uint8_t in_memo; /* set in the memo's dense table: the slot is taken */
	uint32_t ref;
	uint64_t a;
	uint64_t b;
};

#define PV_OF(k) ((struct pv){ .kind = (k) })

/* Items a tuple record keeps (shapes, call arguments); longer tuples keep
 * their length and first items only. */
#define TUPLE_KEEP 32
/* Key/value pairs a dict record keeps for BUILD state inspection. */
#define DICT_KEEP 16

/*
 * Every record carries its weight: the number of values the object would
 * hold if shared references were copies (1 + the weights of its items).
 * A billion-laughs pickle is small and cheap to load, but its weight
 * explodes; max_expansion bounds it.
 */
struct tuple_rec {
	uint32_t len;
	uint32_t first; /* index into items */
	uint64_t weight;
};

/* cont_rec.flags and obj_rec.flags */
#define CF_DUNDER_KEY 0x01 /* a key that is or may be "__...__" was stored */
#define CF_BUILT 0x02	   /* objects: BUILD has given it a state */
#define CF_REBUILT 0x04	   /* objects: ... and again (states merge) */

struct cont_rec {
	uint64_t weight;
	uint32_t count;
	uint32_t first_cell; /* dicts: kept pairs, UINT32_MAX when none */
	uint32_t last_cell;
	uint8_t flags;
};

struct cell {
	struct pv key, val;
	uint32_t next;
};

struct obj_rec {
	uint64_t weight;
	uint32_t import; /* report import index of the callable */
	uint8_t flags;
	struct pv args;
	struct pv state; /* after BUILD, else PV_UNKNOWN */
};

struct memo_slot {
	uint64_t key1; /* key + 1; 0 = empty */
	struct pv v;
};

struct vm_store {
	const struct pg_limits *limits;
	uint64_t bytes; /* allocated, counted against max_alloc */

	struct pv *stack;
	size_t sp, stack_cap;
	size_t stack_room; /* min(stack_cap, max_stack): the push fast path */
	size_t *marks;
	size_t nmarks, marks_cap;
	size_t fence; /* stack index of the top mark, 0 without marks */

	/* The memo: keys below dense_cap in a table indexed by key (what real
	 * picklers write: 0, 1, 2, ...), the rest hashed.  memo_count counts
	 * distinct keys in both, as CPython's memo_len does. */
	struct pv *dense;
	size_t dense_cap, dense_hi; /* dense_hi: one past the highest key set */
	struct memo_slot *memo;
	size_t memo_cap, memo_used;
	size_t memo_count;

	struct tuple_rec *tuples;
	size_t ntuples, tuples_cap;
	struct pv *items;
	size_t nitems, items_cap;
	struct cont_rec *conts;
	size_t nconts, conts_cap;
	struct cell *cells;
	size_t ncells, cells_cap;
	struct obj_rec *objs;
	size_t nobjs, objs_cap;
};

void vm_store_init(struct vm_store *st, const struct pg_limits *limits);
void vm_store_reset(struct vm_store *st);
void vm_store_free(struct vm_store *st);

/* -E2BIG when a limit is hit (which one: *limit names it), -ENOMEM. */
int vm_stack_grow(struct vm_store *st, const char **limit);

static inline int vm_push(struct vm_store *st, struct pv v, const char **limit)
{
	if (__builtin_expect(st->sp >= st->stack_room, 0)) {
		int rc = vm_stack_grow(st, limit);

		if (rc)
			return rc;
	}
	st->stack[st->sp++] = v;
	return 0;
}

int vm_mark(struct vm_store *st, const char **limit);
/* Pop the top mark: its stack index, or -1 without one. */
long vm_pop_mark(struct vm_store *st);

int vm_memo_put_slow(struct vm_store *st, uint64_t key, struct pv v,
		     const char **limit);
const struct pv *vm_memo_get_slow(const struct vm_store *st, uint64_t key);

static inline int vm_memo_put(struct vm_store *st, uint64_t key, struct pv v,
			      const char **limit)
{
	if (key < st->dense_cap &&
	    (st->dense[key].in_memo || st->memo_count < st->limits->max_memo)) {
		if (!st->dense[key].in_memo) {
			st->memo_count++;
			if (key >= st->dense_hi)
				st->dense_hi = key + 1;
		}
		v.in_memo = 1;
		st->dense[key] = v;
		return 0;
	}
	return vm_memo_put_slow(st, key, v, limit);
}

static inline const struct pv *vm_memo_get(const struct vm_store *st,
					   uint64_t key)
{
	if (key < st->dense_cap)
		return st->dense[key].in_memo ? &st->dense[key] : NULL;
	return vm_memo_get_slow(st, key);
}

/* Make a tuple of n values (copied from vals, n may exceed TUPLE_KEEP). */
int vm_tuple_new(struct vm_store *st, const struct pv *vals, size_t n,
		 struct pv *out, const char **limit);
/* Item i of a tuple value, or NULL when beyond what the record keeps. */
const struct pv *vm_tuple_item(const struct vm_store *st, struct pv t,
			       size_t i);
size_t vm_tuple_len(const struct vm_store *st, struct pv t);

/* The weight of a value (see struct tuple_rec). */
static inline uint64_t vm_weight(const struct vm_store *st, const struct pv *v)
{
	switch (v->kind) {
	case PV_TUPLE:
		return st->tuples[v->ref].weight;
	case PV_LIST:
	case PV_DICT:
	case PV_SET:
	case PV_FROZENSET:
		return st->conts[v->ref].weight;
	case PV_OBJECT:
		return st->objs[v->ref].weight;
	default:
		return 1;
	}
}

/* 1 + the weights of n values, saturating. */
uint64_t vm_weigh(const struct vm_store *st, const struct pv *vals, size_t n);

static inline uint64_t vm_weight_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int vm_cont_new(struct vm_store *st, enum pv_kind kind, struct pv *out,
		const char **limit);
/* Note a key/value stored into a dict (kept while small). */
int vm_dict_note(struct vm_store *st, struct pv dict, struct pv key,
		 struct pv val, const char **limit);
/* Value stored under a str key equal to `key`, found by the caller's
 * comparison function, or NULL. */
const struct cell *vm_dict_first(const struct vm_store *st, struct pv dict);

int vm_obj_new(struct vm_store *st, uint32_t import, struct pv args,
	       struct pv *out, const char **limit);

#endif
