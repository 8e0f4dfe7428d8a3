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

#include "ndarray.h"
#include "scan_ctx.h"
#include "util.h"
#include "vm_store.h"

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

/* pickle.load reading the array bytes as opcodes, in the stream (stack
 * and memo) the wrapper was built in. */
static int shadow(struct pg_joblib *jb, const struct pg_vm *outer, uint64_t off,
		  const char *member)
{
	struct pg_loader ld = {
		.member = member,
		.seed_unknowns = SHADOW_SEED,
		.only_effects = true,
		.outer = outer,
	};
	struct pg_stream_result res;

	return pg_scan_stream(jb->ctx, jb->rd, &ld, off, jb->depth + 1, &res);
}

static void after_build(void *c, struct pg_vm *vm, const struct pv *inst)
{
	struct pg_joblib *jb = c;
	const struct pv *args, *state, *shape, *dtype, *align;
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
	args = pg_vm_obj_args(vm, inst);
	if (!args || args->kind != PV_TUPLE || pg_vm_tuple_len(vm, args)) {
		/* joblib writes NEWOBJ with no arguments: __init__'s would set
		 * attributes (the alignment) the BUILD state does not show */
		pg_vm_refuse(vm, PG_REASON_MALFORMED, true,
			     "NumpyArrayWrapper made with arguments (its __init__ sets what "
			     "joblib reads)");
		return;
	}
	if (pg_vm_obj_rebuilt(vm, inst)) {
		/* its __dict__ keeps the keys of every state: we size from one */
		pg_vm_refuse(vm, PG_REASON_MALFORMED, true,
			     "NumpyArrayWrapper built twice (joblib merges the states)");
		return;
	}
	state = pg_vm_obj_state(vm, inst);
	shape = pg_vm_dict_get(vm, state, "shape");
	dtype = pg_vm_dict_get(vm, state, "dtype");
	align = pg_vm_dict_get(vm, state, "numpy_array_alignment_bytes");
	objects = pg_np_dtype_info(vm, dtype, &itemsize);
	if (objects < 0 || !pg_np_count(vm, shape, &count) ||
	    (!objects && count && itemsize > UINT64_MAX / count)) {
		pg_vm_refuse(vm, PG_REASON_MALFORMED, true,
			     "NumpyArrayWrapper whose array we cannot size (shape, dtype)");
		return;
	}
	off = pg_vm_offset(vm);
	if (shadow(jb, vm, off, pg_vm_member(vm)))
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
