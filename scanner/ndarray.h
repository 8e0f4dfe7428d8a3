/*
 * ndarray.h: NumPy dtypes and array states as found in pickles (see
 * ndarray.c), for joblib's array records and numpy's own __setstate__.
 */
#ifndef PG_NDARRAY_H
#define PG_NDARRAY_H

#include <stdint.h>

#include "vm.h"

/* A numpy.dtype object: *itemsize set; 1 when it holds Python objects, 0
 * when not, -1 when we cannot tell. */
int pg_np_dtype_info(struct pg_vm *vm, const struct pv *dt, uint64_t *itemsize);
/* The product of a shape tuple; false unless a tuple of non-negative ints
 * whose product fits. */
bool pg_np_count(struct pg_vm *vm, const struct pv *shape, uint64_t *count);
/* Why BUILD with this state on a _reconstruct'ed ndarray is unsafe, or
 * NULL when it is not. */
const char *pg_np_check_array_state(struct pg_vm *vm, const struct pv *state);
/* Why the state BUILD just gave this numpy.dtype is unsafe, or NULL. */
const char *pg_np_check_dtype_state(struct pg_vm *vm, const struct pv *inst);

#endif
