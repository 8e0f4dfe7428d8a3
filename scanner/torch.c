/*
 * torch.c: how torch.load (torch/serialization.py) reads its pickles.
 *
 * Zip checkpoints: data.pkl (and any other pickle in the archive, which
 * torch.load reads given pickle_file=) go through an unpickler whose
 * persistent_load takes ('storage', storage_type, key, location, numel)
 * tuples; the storage bytes live in the zip's data/ members and are never
 * read.  Legacy files (_use_new_zipfile_serialization=False): five pickles
 * one after the other (magic number, protocol version, sys_info, the
 * object, the storage keys), then each storage as an 8-byte element count
 * and the raw elements, in the order of the keys; nothing may follow.
 *
 * persistent_load is torch's code: ids it would not accept (wrong shape,
 * unknown storage type) make the file unsafe rather than being guessed at.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_ctx.h"
#include "util.h"
#include "vm_store.h"

/* torch._utils._element_size by storage class name (torch 1.x and 2.x). */
static const struct {
	const char *name;
	unsigned size;
} storage_types[] = {
	{ "DoubleStorage", 8 }, { "FloatStorage", 4 }, { "HalfStorage", 2 },
	{ "BFloat16Storage", 2 }, { "LongStorage", 8 }, { "IntStorage", 4 },
	{ "ShortStorage", 2 }, { "CharStorage", 1 }, { "ByteStorage", 1 },
	{ "BoolStorage", 1 }, { "ComplexFloatStorage", 8 },
	{ "ComplexDoubleStorage", 16 }, { "QUInt8Storage", 1 },
	{ "QInt8Storage", 1 }, { "QInt32Storage", 4 }, { "QUInt4x2Storage", 1 },
	{ "QUInt2x4Storage", 1 }, { "UntypedStorage", 1 },
};

static unsigned element_size(struct pg_span name)
{
	for (size_t i = 0; i < sizeof(storage_types) / sizeof(storage_types[0]); i++)
		if (strlen(storage_types[i].name) == name.len &&
		    !memcmp(storage_types[i].name, name.ptr, name.len))
			return storage_types[i].size;
	return 0;
}

struct storage {
	char *key;
	unsigned elem;
	uint64_t numel;
};

struct pg_torch_zip {
	bool legacy;
	struct storage *st; /* legacy: the root storages, to size the data */
	size_t n, cap;
};

static bool add_storage(struct pg_torch_zip *tz, struct pg_span key,
			unsigned elem, uint64_t numel)
{
	for (size_t i = 0; i < tz->n; i++)
		if (strlen(tz->st[i].key) == key.len &&
		    !memcmp(tz->st[i].key, key.ptr, key.len))
			return true; /* torch keeps the first */
	if (pg_grow((void **)&tz->st, &tz->cap, tz->n + 1, sizeof(*tz->st)))
		return false;
	tz->st[tz->n].key = pg_memdup0(key.ptr, key.len);
	if (!tz->st[tz->n].key)
		return false;
	tz->st[tz->n].elem = elem;
	tz->st[tz->n].numel = numel;
	tz->n++;
	return true;
}

/* ('storage', storage_type, key, location, numel[, view_metadata]) */
static bool storage_pid(struct pg_torch_zip *tz, struct pg_vm *vm,
			const struct pv *pid, const char **why)
{
	size_t len = pg_vm_tuple_len(vm, pid), want = tz->legacy ? 6 : 5;
	const struct pv *type = pg_vm_tuple_item(vm, pid, 1);
	const struct pv *key = pg_vm_tuple_item(vm, pid, 2);
	const struct pv *loc = pg_vm_tuple_item(vm, pid, 3);
	const struct pv *numel = pg_vm_tuple_item(vm, pid, 4);
	struct pg_span m, n, k;
	int64_t count;
	unsigned elem;

	if (len != want) {
		*why = "a storage id of the wrong length";
		return false;
	}
	if (type->kind != PV_GLOBAL || !pg_vm_import(vm, type, &m, &n)) {
		*why = "a storage type that is not an import";
		return false;
	}
	if (!(elem = element_size(n))) {
		*why = "a storage type torch does not know";
		return false;
	}
	if (key->kind != PV_STR || loc->kind != PV_STR) {
		*why = "a storage key or location that is not a str";
		return false;
	}
	if (!pg_vm_int(numel, &count) || count < 0) {
		*why = "a storage size that is not a non-negative int";
		return false;
	}
	if (tz->legacy) {
		const struct pv *view = pg_vm_tuple_item(vm, pid, 5);

		if (view->kind != PV_NONE && pg_vm_tuple_len(vm, view) != 3) {
			*why = "view metadata that is not None or a 3-tuple";
			return false;
		}
		if (!pg_vm_text(vm, key, 0, &k) ||
		    !add_storage(tz, k, elem, (uint64_t)count)) {
			*why = "a storage key we cannot keep";
			return false;
		}
	}
	return true;
}

static struct pv torch_persid(void *c, struct pg_vm *vm, const struct pv *pid,
			      bool text)
{
	struct pg_torch_zip *tz = c;
	const struct pv *tag = pg_vm_tuple_item(vm, pid, 0);
	const char *why = NULL;

	if (text) {
		why = "a text persistent id (torch's persistent_load asserts a tuple)";
	} else if (pid->kind != PV_TUPLE || !tag) {
		why = "a persistent id that is not a tuple";
	} else if (pg_vm_str_is(vm, tag, "storage")) {
		if (storage_pid(tz, vm, pid, &why))
			return PV_OF(PV_PERSISTENT);
	} else if (tz->legacy && pg_vm_str_is(vm, tag, "module")) {
		/* ('module', class, source_file, source): the class itself */
		const struct pv *cls = pg_vm_tuple_item(vm, pid, 1);

		if (pg_vm_tuple_len(vm, pid) == 4 && cls && cls->kind == PV_GLOBAL)
			return *cls;
		why = "a module id that is not ('module', class, file, source)";
	} else {
		why = "an id whose type torch does not know";
	}
	pg_vm_finding(vm, PG_REASON_PERSID, "torch.load's persistent_load refuses %s",
		      why);
	return PV_OF(PV_UNKNOWN);
}

int pg_torch_zip_begin(struct pg_scan_ctx *ctx, bool torchscript,
		       struct pg_torch_zip **tzp, struct pg_loader *ld)
{
	struct pg_torch_zip *tz = calloc(1, sizeof(*tz));

	(void)ctx;
	*tzp = tz;
	if (!tz)
		return -ENOMEM;
	memset(ld, 0, sizeof(*ld));
	ld->persid = torch_persid;
	ld->ctx = tz;
	ld->torch_names = true;
	ld->torchscript_types = torchscript &&
				pg_allowlist_has_capability(ctx->cfg->allow,
							    PG_CAP_TORCHSCRIPT_CODE);
	return 0;
}

void pg_torch_zip_end(struct pg_torch_zip *tz)
{
	if (!tz)
		return;
	for (size_t i = 0; i < tz->n; i++)
		free(tz->st[i].key);
	free(tz->st);
	free(tz);
}

/* torch.serialization.MAGIC_NUMBER, little-endian, as LONG1 writes it */
static const uint8_t magic[] = { 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
				 0x20, 0x6a, 0xa8, 0x50, 0x19 };

bool pg_torch_magic_at_end(const uint8_t *tail)
{
	return !memcmp(tail, magic, sizeof(magic)) && tail[sizeof(magic)] == '.';
}

bool pg_torch_legacy_magic(const uint8_t *head, size_t n)
{
	/* the first pickle ends with the magic LONG1 and STOP (whatever
	 * comes before it, which the emulator judges) */
	if (n < 2 || head[0] != 0x80)
		return false;
	for (size_t at = 2; at + sizeof(magic) < n; at++)
		if (!memcmp(head + at, magic, sizeof(magic)) &&
		    head[at + sizeof(magic)] == '.')
			return true;
	return false;
}

/* The storages after the keys pickle: count, then elements, per key. */
static int legacy_storages(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
			   struct pg_torch_zip *tz,
			   const struct pg_stream_result *keys, uint64_t off,
			   const char *member)
{
	int rc = 0;

	for (size_t i = 0; i < keys->n_collected && !rc; i++) {
		const struct pg_collected *k = &keys->collected[i];
		const struct storage *s = NULL;
		char kbuf[256];
		uint8_t hdr[8];
		uint64_t count = 0;

		if (k->len >= sizeof(kbuf) ||
		    pg_ctx_pread(ctx, rd, kbuf, (size_t)k->len, k->offset))
			return pg_ctx_reason(ctx, PG_REASON_MALFORMED, k->offset, member,
					     "legacy torch: unreadable storage key");
		kbuf[k->len] = '\0';
		for (size_t j = 0; j < tz->n && !s; j++)
			if (!strcmp(tz->st[j].key, kbuf))
				s = &tz->st[j];
		if (!s || pg_ctx_pread(ctx, rd, hdr, 8, off))
			return pg_ctx_reason(ctx, PG_REASON_MALFORMED, off, member,
					     "legacy torch: storage '%s' %s", kbuf,
					     s ? "runs past the end" : "was never described");
		for (int b = 7; b >= 0; b--)
			count = count << 8 | hdr[b];
		/* torch checks the count against the pickled size */
		if (count != s->numel || count > (rd->size - off - 8) / s->elem)
			return pg_ctx_reason(ctx, PG_REASON_MALFORMED, off, member,
					     "legacy torch: storage '%s' holds %" PRIu64
					     " elements, its pickle says %" PRIu64,
					     kbuf, count, s->numel);
		off += 8 + count * s->elem;
	}
	if (keys->collect_failed)
		return pg_ctx_reason(ctx, PG_REASON_MALFORMED, keys->start, member,
				     "legacy torch: the storage keys pickle is not one list of str");
	if (off != rd->size)
		rc = pg_ctx_reason(ctx, PG_REASON_TRAILING, off, member,
				   "%" PRIu64 " bytes after the last legacy torch storage",
				   rd->size - off);
	return rc;
}

int pg_scan_torch_legacy(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
			 const char *member, unsigned depth)
{
	static const char *const names[] = { "magic number", "protocol version",
					     "sys_info", "object", "storage keys" };
	struct pg_stream_result res;
	struct pg_torch_zip *tz;
	struct pg_loader obj, plain = { .member = member };
	uint64_t off = 0;
	int rc = pg_torch_zip_begin(ctx, false, &tz, &obj);

	if (rc)
		return rc;
	tz->legacy = true;
	obj.member = member;
	for (int i = 0; i < 5 && !rc; i++) {
		plain.collect_strings = i == 4;
		rc = pg_scan_stream(ctx, rd, i == 3 ? &obj : &plain, off, depth, &res);
		if (rc)
			break;
		if (!res.stopped) {
			/* its own reasons say why; nothing after it is read */
			if (res.halted)
				rc = pg_ctx_reason(ctx, PG_REASON_MALFORMED, off, member,
						   "legacy torch: the %s is not a pickle",
						   names[i]);
			break;
		}
		off = res.end;
		if (i == 4)
			rc = legacy_storages(ctx, rd, tz, &res, off, member);
	}
	pg_torch_zip_end(tz);
	return rc;
}
