/*
 * joblib.c: how joblib.load (joblib/numpy_pickle.py, NumpyUnpickler) reads
 * a pickle.  After every BUILD, an instance of NumpyArrayWrapper is
 * replaced by an array read straight from the file: for an object dtype,
 * a pickle.load at that point (a nested stream, scanned); otherwise an
 * optional padding-length byte and padding, then shape x itemsize raw
 * bytes, stepped over unread.  The stream then goes on after them.
 *
 * pickle.load reads the same file differently: the array bytes are
 * opcodes to it.  Those bytes are emulated too ("shadow", from a stack of
 * unknowns), and anything they would import makes the file unsafe.
 *
 * Sizing an array needs the wrapper's state (shape, dtype) and the dtype's
 * own state (element size, object flag, fields): what we cannot size is
 * unsafe, never guessed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_ctx.h"
#include "util.h"
#include "vm_store.h"

#define NPY_ITEM_REFCOUNT 0x01 /* dtype flag: it holds Python objects */
#define SHADOW_SEED 64	       /* unknown values under the shadow's stack */

struct pg_joblib {
	struct pg_scan_ctx *ctx;
	const struct pg_reader *rd;
	unsigned depth;
	bool seen;
};

struct pg_joblib *pg_joblib_new(struct pg_scan_ctx *ctx,
				const struct pg_reader *rd, unsigned depth)
{
	struct pg_joblib *jb = calloc(1, sizeof(*jb));

	if (jb) {
		jb->ctx = ctx;
		jb->rd = rd;
		jb->depth = depth;
	}
	return jb;
}

void pg_joblib_free(struct pg_joblib *jb)
{
	free(jb);
}

bool pg_joblib_seen(const struct pg_joblib *jb)
{
	return jb->seen;
}

/*
 * numpy.dtype as pickled: dtype('f8', False, True), then BUILD with
 * (version, byteorder, subarray, names, fields, elsize, alignment, flags
 * [, metadata]).  Fills the element size; 1 when it holds objects, 0 when
 * not, -1 when we cannot tell.
 */
static int dtype_info(struct pg_vm *vm, const struct pv *dt, int depth,
		      uint64_t *itemsize)
{
	const struct pv *args, *state, *type, *sub, *fields;
	struct pg_span text;
	int64_t flags, elsize;
	size_t digits;
	uint64_t size = 0;
	bool objects;

	if (!dt || depth > 8 || !pg_vm_import_is(vm, dt, "numpy", "dtype"))
		return -1;
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
	state = pg_vm_obj_state(vm, dt);
	if (state) {
		if (pg_vm_tuple_len(vm, state) < 8 ||
		    !pg_vm_int(pg_vm_tuple_item(vm, state, 5), &elsize) ||
		    !pg_vm_int(pg_vm_tuple_item(vm, state, 7), &flags))
			return -1;
		if (elsize > 0)
			size = (uint64_t)elsize; /* flexible types: bytes */
		objects |= flags & NPY_ITEM_REFCOUNT;
		sub = pg_vm_tuple_item(vm, state, 2);
		if (sub->kind == PV_TUPLE) {
			uint64_t ignored;
			int r = dtype_info(vm, pg_vm_tuple_item(vm, sub, 0), depth + 1,
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
					       depth + 1, &ignored);
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

/* product of the shape tuple; false when it is not a tuple of ints or
 * overflows */
static bool element_count(struct pg_vm *vm, const struct pv *shape,
			  uint64_t *count)
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

/* pickle.load reading the array bytes as opcodes. */
static int shadow(struct pg_joblib *jb, uint64_t off, const char *member)
{
	struct pg_loader ld = {
		.member = member,
		.seed_unknowns = SHADOW_SEED,
		.only_effects = true,
	};
	struct pg_stream_result res;

	return pg_scan_stream(jb->ctx, jb->rd, &ld, off, jb->depth + 1, &res);
}

static void after_build(void *c, struct pg_vm *vm, const struct pv *inst)
{
	struct pg_joblib *jb = c;
	const struct pv *state, *shape, *dtype, *align;
	uint64_t count, itemsize, off, nbytes;
	int objects;

	if (!pg_vm_import_is(vm, inst, "joblib.numpy_pickle", "NumpyArrayWrapper"))
		return;
	jb->seen = true;
	if (pg_vm_frame_left(vm)) {
		/* joblib reads the array after the frame the unpickler has
		 * already taken in; the stream goes on inside the frame */
		pg_vm_refuse(vm, PG_REASON_FRAME, true,
			     "NumpyArrayWrapper built with %" PRIu64
			     " bytes of its frame left (joblib reads the array after them)",
			     pg_vm_frame_left(vm));
		return;
	}
	state = pg_vm_obj_state(vm, inst);
	shape = pg_vm_dict_get(vm, state, "shape");
	dtype = pg_vm_dict_get(vm, state, "dtype");
	align = pg_vm_dict_get(vm, state, "numpy_array_alignment_bytes");
	objects = dtype_info(vm, dtype, 0, &itemsize);
	if (objects < 0 || !element_count(vm, shape, &count) ||
	    (!objects && count && itemsize > UINT64_MAX / count)) {
		pg_vm_refuse(vm, PG_REASON_MALFORMED, true,
			     "NumpyArrayWrapper whose array we cannot size (shape, dtype)");
		return;
	}
	off = pg_vm_offset(vm);
	if (shadow(jb, off, pg_vm_member(vm)))
		return; /* out of memory: the scan ends with it */
	if (objects) {
		/* read_array: pickle.load(file_handle) right here */
		struct pg_loader plain = { .member = pg_vm_member(vm) };
		struct pg_stream_result res;

		if (pg_scan_stream(jb->ctx, jb->rd, &plain, off, jb->depth + 1, &res))
			return;
		if (!res.stopped) {
			pg_vm_refuse(vm, PG_REASON_MALFORMED, true,
				     "joblib object array at 0x%" PRIx64 " is not a whole pickle",
				     off);
			return;
		}
		pg_vm_skip(vm, res.end - off);
		return;
	}
	if (align && align->kind != PV_NONE) {
		const uint8_t *pad = pg_vm_take(vm, 1);

		if (!pad || !pg_vm_skip(vm, *pad))
			return;
	}
	nbytes = count * itemsize;
	pg_vm_skip(vm, nbytes);
}

void pg_joblib_loader(struct pg_joblib *jb, struct pg_loader *ld)
{
	ld->after_build = after_build;
	ld->ctx = jb;
}
