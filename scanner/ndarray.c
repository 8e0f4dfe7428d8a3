/*
 * ndarray.c: NumPy objects inside pickles, as numpy rebuilds them.  A
 * dtype is numpy.dtype('f8', False, True) then BUILD with its state; an
 * array is _reconstruct(ndarray, (0,), b'b') then BUILD with (version,
 * shape, dtype, is_fortran, data).  joblib sizes its raw arrays from these,
 * and ndarray.__setstate__ must not be handed an object list shorter than
 * its shape: numpy reads the list without checking its length
 * (_setlist_pkl uses PyList_GET_ITEM), past its end into whatever memory
 * follows.
 */
#include <string.h>

#include "ndarray.h"
#include "vm_store.h"

#define NPY_ITEM_REFCOUNT 0x01 /* dtype flag: it holds Python objects */

/*
 * numpy.dtype as pickled: dtype('f8', False, True), then BUILD with
 * (version, byteorder, subarray, names, fields, elsize, alignment, flags
 * [, metadata]).  Fills the element size; 1 when it holds objects, 0 when
 * not, -1 when we cannot tell.
 */
/* Dtypes looked at for one answer: fields shared through the memo would
 * otherwise be walked once per path, 16^8 times at depth 8. */
#define DTYPE_VISITS 256

static int dtype_info(struct pg_vm *vm, const struct pv *dt, int depth, unsigned *visits,
		      uint64_t *itemsize)
{
	const struct pv *args, *state, *type, *sub, *fields;
	struct pg_span text;
	int64_t flags, elsize;
	size_t digits;
	uint64_t size = 0;
	bool objects, flexible;

	if (!dt || depth > 8 || !*visits || !pg_vm_import_is(vm, dt, "numpy", "dtype"))
		return -1;
	--*visits;
	args = pg_vm_obj_args(vm, dt);
	type = args ? pg_vm_tuple_item(vm, args, 0) : NULL;
	if (!type || !pg_vm_text(vm, type, 0, &text) || text.len < 1)
		return -1;
	objects = memchr(text.ptr, 'O', text.len) != NULL;
	for (digits = 1; digits < text.len && text.ptr[digits] >= '0' &&
			 text.ptr[digits] <= '9' && size < (1u << 30);
	     digits++)
		size = size * 10 + (uint64_t)(text.ptr[digits] - '0');
	if (digits != text.len)
		return -1; /* "f8", "O8", "V44", "U5": kind letter, size */
	flexible = memchr("VSaU", text.ptr[0], 4) != NULL;
	if (text.ptr[0] == 'U')
		size *= 4; /* "U5": 5 UCS-4 characters */
	state = pg_vm_obj_state(vm, dt);
	if (state) {
		if (pg_vm_tuple_len(vm, state) < 8 ||
		    !pg_vm_int(pg_vm_tuple_item(vm, state, 5), &elsize) ||
		    !pg_vm_int(pg_vm_tuple_item(vm, state, 7), &flags))
			return -1;
		/* numpy takes the state's element size for flexible types
		 * only (in bytes: "U5" says 20); "f8" stays 8 whatever it says */
		if (elsize > 0 && flexible)
			size = (uint64_t)elsize;
		objects |= flags & NPY_ITEM_REFCOUNT;
		sub = pg_vm_tuple_item(vm, state, 2);
		if (sub->kind == PV_TUPLE) {
			uint64_t ignored;
			int r = dtype_info(vm, pg_vm_tuple_item(vm, sub, 0), depth + 1, visits,
					   &ignored);

			if (r < 0)
				return -1;
			objects |= r;
		} else if (sub->kind != PV_NONE) {
			return -1;
		}
		fields = pg_vm_tuple_item(vm, state, 4);
		if (fields->kind == PV_DICT) {
			size_t n = pg_vm_dict_len(vm, fields);

			for (size_t i = 0; i < n; i++) {
				const struct pv *key, *val;
				uint64_t ignored;
				int r;

				/* (dtype, offset[, title]), kept only while few */
				if (!pg_vm_dict_item(vm, fields, i, &key, &val))
					return -1;
				r = dtype_info(vm, pg_vm_tuple_item(vm, val, 0),
					       depth + 1, visits, &ignored);
				if (r < 0)
					return -1;
				objects |= r;
			}
		} else if (fields->kind != PV_NONE) {
			return -1;
		}
	}
	if (!size && !objects)
		return -1;
	*itemsize = size ? size : 8;
	return objects;
}

int pg_np_dtype_info(struct pg_vm *vm, const struct pv *dt, uint64_t *itemsize)
{
	unsigned visits = DTYPE_VISITS;

	return dtype_info(vm, dt, 0, &visits, itemsize);
}

/* product of the shape tuple; false when it is not a tuple of ints or
 * overflows */
bool pg_np_count(struct pg_vm *vm, const struct pv *shape, uint64_t *count)
{
	size_t n;

	if (!shape || shape->kind != PV_TUPLE)
		return false;
	n = pg_vm_tuple_len(vm, shape);
	*count = 1;
	for (size_t i = 0; i < n; i++) {
		const struct pv *d = pg_vm_tuple_item(vm, shape, i);
		int64_t v;

		if (!d || !pg_vm_int(d, &v) || v < 0)
			return false;
		if (v && *count > UINT64_MAX / (uint64_t)v)
			return false;
		*count *= (uint64_t)v;
	}
	return true;
}

const char *pg_np_check_array_state(struct pg_vm *vm, const struct pv *state)
{
	size_t n = pg_vm_tuple_len(vm, state), at = n == 5 ? 1 : 0;
	const struct pv *shape, *dtype, *data;
	uint64_t count, itemsize;
	int objects;

	if (n != 4 && n != 5)
		return NULL; /* numpy raises on any other shape of state */
	shape = pg_vm_tuple_item(vm, state, at);
	dtype = pg_vm_tuple_item(vm, state, at + 1);
	data = pg_vm_tuple_item(vm, state, at + 3);
	if (!dtype || dtype->kind != PV_OBJECT || !pg_vm_import_is(vm, dtype, "numpy", "dtype"))
		return NULL; /* not a dtype: numpy raises */
	objects = pg_np_dtype_info(vm, dtype, &itemsize);
	if (objects == 0)
		return NULL; /* raw bytes: numpy checks their length */
	if (objects < 0)
		return "an array state whose dtype we cannot read";
	if (!pg_np_count(vm, shape, &count))
		return "an object array state whose shape we cannot read";
	if (data && (data->kind == PV_OBJECT || data->kind == PV_UNKNOWN ||
		     data->kind == PV_GLOBAL || data->kind == PV_PERSISTENT))
		return "an object array state whose list (made by a call) we cannot measure";
	if (!data || data->kind != PV_LIST)
		return NULL; /* numpy wants a list for object arrays */
	if (pg_vm_list_len(vm, data) != count)
		return "an object array state whose list is not as long as its shape "
		       "(numpy reads past the list)";
	return NULL;
}

/*
 * numpy's dtype __setstate__ takes the state's flags, and a structured
 * dtype's fields, offsets and item size, as given: an object field at an
 * offset of bytes the pickle supplies is a pointer it chose, and so are
 * flags that say objects (or no objects) against the type, or that ask for
 * a list (LIST_PICKLE) numpy then reads past.  A plain type must carry the
 * flags numpy writes for it (O: 63, U: 8, others 0); a structured one no
 * object, list or pointer flag.  Structured dtypes of plain numbers
 * (sklearn's tree nodes) pass.
 */
#define NPY_LIST_PICKLE 0x02
#define NPY_ITEM_IS_POINTER 0x04

const char *pg_np_check_dtype_state(struct pg_vm *vm, const struct pv *inst)
{
	static const char *unreadable = "a dtype state we cannot read (numpy trusts its fields "
					"and flags)";
	const struct pv *state = pg_vm_obj_state(vm, inst), *fields, *sub, *args, *type;
	struct pg_span text;
	int64_t version, flags, expect;
	uint64_t size;
	int objects;

	if (!state || state->kind == PV_UNKNOWN || state->kind == PV_OBJECT ||
	    state->kind == PV_GLOBAL || state->kind == PV_PERSISTENT)
		return unreadable;
	if (state->kind != PV_TUPLE)
		return NULL; /* numpy raises */
	objects = pg_np_dtype_info(vm, inst, &size);
	args = pg_vm_obj_args(vm, inst);
	type = args ? pg_vm_tuple_item(vm, args, 0) : NULL;
	if (objects < 0 || !pg_vm_int(pg_vm_tuple_item(vm, state, 0), &version) ||
	    !pg_vm_int(pg_vm_tuple_item(vm, state, 7), &flags) || !type ||
	    !pg_vm_text(vm, type, 0, &text) || !text.len)
		return unreadable;
	if (version < 3 && flags)
		return "a dtype state of version < 3 with flags (numpy sets them all)";
	fields = pg_vm_tuple_item(vm, state, 4);
	sub = pg_vm_tuple_item(vm, state, 2);
	if ((fields && fields->kind != PV_NONE) || (sub && sub->kind != PV_NONE)) {
		if (objects)
			return "a structured dtype state with objects (numpy trusts its field "
			       "offsets and flags)";
		if (flags & (NPY_ITEM_REFCOUNT | NPY_LIST_PICKLE | NPY_ITEM_IS_POINTER))
			return "a structured dtype state whose flags say objects, lists or pointers";
		return NULL;
	}
	expect = text.ptr[0] == 'O' ? 63 : text.ptr[0] == 'U' ? 8 : 0;
	if (flags != expect)
		return "a dtype state whose flags are not its type's";
	return NULL;
}
