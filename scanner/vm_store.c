/* vm_store.c: see vm_store.h. */
#include "vm_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void vm_store_init(struct vm_store *st, const struct pg_limits *limits)
{
	memset(st, 0, sizeof(*st));
	st->limits = limits;
}

void vm_store_reset(struct vm_store *st)
{
	st->sp = st->nmarks = st->fence = 0;
	if (st->dense_hi)
		memset(st->dense, 0, st->dense_hi * sizeof(*st->dense));
	if (st->memo_used)
		memset(st->memo, 0, st->memo_cap * sizeof(*st->memo));
	st->dense_hi = st->memo_used = st->memo_count = 0;
	st->ntuples = st->nitems = st->nconts = st->ncells = st->nobjs = 0;
}

void vm_store_free(struct vm_store *st)
{
	free(st->stack);
	free(st->marks);
	free(st->dense);
	free(st->memo);
	free(st->tuples);
	free(st->items);
	free(st->conts);
	free(st->cells);
	free(st->objs);
	memset(st, 0, sizeof(*st));
}

/*
 * Grow one of the store's arrays to hold `need` elements, counting the
 * bytes against max_alloc and the element count against `max`.
 */
static int store_grow(struct vm_store *st, void **arr, size_t *cap,
		      size_t need, size_t elem, uint64_t max,
		      const char *max_name, const char **limit)
{
	size_t old = *cap;
	uint64_t more;

	if (need > max) {
		*limit = max_name;
		return -E2BIG;
	}
	if (need <= old)
		return 0;
	more = (uint64_t)(old ? old : 16) * elem;
	if (st->bytes + more > st->limits->max_alloc) {
		*limit = "max_alloc";
		return -E2BIG;
	}
	if (pg_grow(arr, cap, need, elem))
		return -ENOMEM;
	st->bytes += (uint64_t)(*cap - old) * elem;
	return 0;
}

int vm_stack_grow(struct vm_store *st, const char **limit)
{
	int rc = store_grow(st, (void **)&st->stack, &st->stack_cap, st->sp + 1,
			    sizeof(*st->stack), st->limits->max_stack,
			    "max_stack", limit);

	st->stack_room = st->stack_cap < st->limits->max_stack
				 ? st->stack_cap
				 : st->limits->max_stack;
	return rc;
}

int vm_mark(struct vm_store *st, const char **limit)
{
	int rc = store_grow(st, (void **)&st->marks, &st->marks_cap,
			    st->nmarks + 1, sizeof(*st->marks),
			    st->limits->max_marks, "max_marks", limit);

	if (rc)
		return rc;
	st->marks[st->nmarks++] = st->fence = st->sp;
	return 0;
}

long vm_pop_mark(struct vm_store *st)
{
	long at;

	if (!st->nmarks)
		return -1;
	at = (long)st->marks[--st->nmarks];
	st->fence = st->nmarks ? st->marks[st->nmarks - 1] : 0;
	return at;
}

static struct memo_slot *memo_find(struct memo_slot *tab, size_t cap,
				   uint64_t key)
{
	size_t i = pg_hash_u64(key) & (cap - 1);

	while (tab[i].key1 && tab[i].key1 != key + 1)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int memo_rehash(struct vm_store *st, size_t ncap, const char **limit)
{
	uint64_t more = (uint64_t)(ncap - st->memo_cap) * sizeof(*st->memo);
	struct memo_slot *tab;

	if (st->bytes + more > st->limits->max_alloc) {
		*limit = "max_alloc";
		return -E2BIG;
	}
	tab = calloc(ncap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < st->memo_cap; i++)
		if (st->memo[i].key1)
			*memo_find(tab, ncap, st->memo[i].key1 - 1) = st->memo[i];
	free(st->memo);
	st->memo = tab;
	st->memo_cap = ncap;
	st->bytes += more;
	return 0;
}

/* Keys up to this grow the dense table (when not too sparse). */
#define DENSE_MAX (1u << 24)

static int memo_count_one(struct vm_store *st, const char **limit)
{
	if (st->memo_count >= st->limits->max_memo) {
		*limit = "max_memo";
		return -E2BIG;
	}
	st->memo_count++;
	return 0;
}

int vm_memo_put_slow(struct vm_store *st, uint64_t key, struct pv v,
		     const char **limit)
{
	struct memo_slot *s;
	int rc;

	v.in_memo = 1;
	if (key >= st->dense_cap && key < DENSE_MAX &&
	    key <= 2 * st->memo_count + 1024) {
		size_t old = st->dense_cap;

		rc = store_grow(st, (void **)&st->dense, &st->dense_cap, key + 1,
				sizeof(*st->dense), DENSE_MAX, "max_memo", limit);
		if (rc)
			return rc;
		memset(st->dense + old, 0, (st->dense_cap - old) * sizeof(*st->dense));
	}
	if (key < st->dense_cap) {
		if (!st->dense[key].in_memo && (rc = memo_count_one(st, limit)))
			return rc;
		st->dense[key] = v;
		if (key >= st->dense_hi)
			st->dense_hi = key + 1;
		return 0;
	}
	if (key == UINT64_MAX) {
		*limit = "max_memo";
		return -E2BIG;
	}
	if ((st->memo_used + 1) * 2 > st->memo_cap) {
		rc = memo_rehash(st, st->memo_cap ? st->memo_cap * 2 : 64,
				 limit);
		if (rc)
			return rc;
	}
	s = memo_find(st->memo, st->memo_cap, key);
	if (!s->key1) {
		if ((rc = memo_count_one(st, limit)))
			return rc;
		s->key1 = key + 1;
		st->memo_used++;
	}
	s->v = v;
	return 0;
}

const struct pv *vm_memo_get_slow(const struct vm_store *st, uint64_t key)
{
	const struct memo_slot *s;

	if (!st->memo_cap || key == UINT64_MAX)
		return NULL;
	s = memo_find(st->memo, st->memo_cap, key);
	return s->key1 ? &s->v : NULL;
}

static int check_index(size_t n, const char **limit)
{
	if (n >= UINT32_MAX) {
		*limit = "max_alloc";
		return -E2BIG;
	}
	return 0;
}

uint64_t vm_weigh(const struct vm_store *st, const struct pv *vals, size_t n)
{
	uint64_t w = 1;

	for (size_t i = 0; i < n; i++)
		w = vm_weight_add(w, vm_weight(st, &vals[i]));
	return w;
}

int vm_tuple_new(struct vm_store *st, const struct pv *vals, size_t n,
		 struct pv *out, const char **limit)
{
	size_t keep = n < TUPLE_KEEP ? n : TUPLE_KEEP;
	int rc;

	if ((rc = check_index(st->ntuples, limit)) ||
	    (rc = check_index(st->nitems + keep, limit)) ||
	    (rc = store_grow(st, (void **)&st->tuples, &st->tuples_cap,
			     st->ntuples + 1, sizeof(*st->tuples), UINT32_MAX,
			     "max_alloc", limit)) ||
	    (rc = store_grow(st, (void **)&st->items, &st->items_cap,
			     st->nitems + keep, sizeof(*st->items), UINT32_MAX,
			     "max_alloc", limit)))
		return rc;
	if (keep)
		memcpy(&st->items[st->nitems], vals, keep * sizeof(*vals));
	st->tuples[st->ntuples] = (struct tuple_rec){
		.len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n,
		.first = (uint32_t)st->nitems,
		.weight = vm_weigh(st, vals, n),
	};
	st->nitems += keep;
	*out = (struct pv){ .kind = PV_TUPLE, .ref = (uint32_t)st->ntuples++ };
	return 0;
}

const struct pv *vm_tuple_item(const struct vm_store *st, struct pv t,
			       size_t i)
{
	const struct tuple_rec *r = &st->tuples[t.ref];

	if (i >= r->len || i >= TUPLE_KEEP)
		return NULL;
	return &st->items[r->first + i];
}

size_t vm_tuple_len(const struct vm_store *st, struct pv t)
{
	return st->tuples[t.ref].len;
}

int vm_cont_new(struct vm_store *st, enum pv_kind kind, struct pv *out,
		const char **limit)
{
	int rc;

	if ((rc = check_index(st->nconts, limit)) ||
	    (rc = store_grow(st, (void **)&st->conts, &st->conts_cap,
			     st->nconts + 1, sizeof(*st->conts), UINT32_MAX,
			     "max_alloc", limit)))
		return rc;
	st->conts[st->nconts] = (struct cont_rec){
		.weight = 1,
		.first_cell = UINT32_MAX,
		.last_cell = UINT32_MAX,
	};
	*out = (struct pv){ .kind = (uint8_t)kind, .ref = (uint32_t)st->nconts++ };
	return 0;
}

int vm_dict_note(struct vm_store *st, struct pv dict, struct pv key,
		 struct pv val, const char **limit)
{
	struct cont_rec *c = &st->conts[dict.ref];
	int rc;

	if (PV_MAY_BE_DUNDER(key))
		c->flags |= CF_DUNDER_KEY;
	if (c->count++ >= DICT_KEEP)
		return 0;
	if ((rc = check_index(st->ncells, limit)) ||
	    (rc = store_grow(st, (void **)&st->cells, &st->cells_cap,
			     st->ncells + 1, sizeof(*st->cells), UINT32_MAX,
			     "max_alloc", limit)))
		return rc;
	st->cells[st->ncells] = (struct cell){ key, val, UINT32_MAX };
	if (c->last_cell == UINT32_MAX)
		c->first_cell = (uint32_t)st->ncells;
	else
		st->cells[c->last_cell].next = (uint32_t)st->ncells;
	c->last_cell = (uint32_t)st->ncells++;
	return 0;
}

const struct cell *vm_dict_first(const struct vm_store *st, struct pv dict)
{
	uint32_t i = st->conts[dict.ref].first_cell;

	return i == UINT32_MAX ? NULL : &st->cells[i];
}

int vm_obj_new(struct vm_store *st, uint32_t import, struct pv args,
	       struct pv *out, const char **limit)
{
	int rc;

	if ((rc = check_index(st->nobjs, limit)) ||
	    (rc = store_grow(st, (void **)&st->objs, &st->objs_cap,
			     st->nobjs + 1, sizeof(*st->objs), UINT32_MAX,
			     "max_alloc", limit)))
		return rc;
	st->objs[st->nobjs] = (struct obj_rec){
		.weight = vm_weight_add(1, vm_weight(st, &args)),
		.import = import,
		.args = args,
		.state = PV_OF(PV_UNKNOWN),
	};
	*out = (struct pv){ .kind = PV_OBJECT, .ref = (uint32_t)st->nobjs++ };
	return 0;
}
