/*
 * scan_ctx.h: what the format handlers (zip, torch, npy, joblib, tar,
 * compression) share with the scan driver (scan.c): the report, the
 * emulators, and the entry points to scan data of any format, one pickle
 * stream, or every stream to the end of the data.
 */
#ifndef PG_SCAN_CTX_H
#define PG_SCAN_CTX_H

#include "pg_scan.h"
#include "sniff.h"
#include "vm.h"

/* Streams can run inside streams (a joblib object array is a pickle.load
 * in the middle of another): one emulator per level. */
#define PG_VM_LEVELS 8

struct pg_scan_ctx {
	const struct pg_scan_config *cfg;
	struct pg_report *rep;
	struct pg_vm_env env;
	struct pg_vm *vms[PG_VM_LEVELS];
	unsigned level;
	bool read_error;
};

int pg_ctx_reason(struct pg_scan_ctx *ctx, enum pg_reason_kind kind,
		  uint64_t offset, const char *member, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Scan data of any format found by content: containers are opened, each
 * pickle inside scanned.  depth counts containers and nested pickles
 * (max_depth).  *format gets the outermost format's name.
 */
int pg_scan_any(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth, const char **format);

/*
 * Scan one pickle stream at off, read the way `ld` reads it.  Its nested
 * pickles are scanned after it.  *res is the emulator's account (its
 * nested list is not for the caller).  A stream that is no pickle at all
 * (res->halted) leaves no reasons behind.
 */
int pg_scan_stream(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		   const struct pg_loader *ld, uint64_t off, unsigned depth,
		   struct pg_stream_result *res);

/*
 * Every pickle stream from off to the end of the data, one after another,
 * as repeated pickle.load calls read them; bytes after the last STOP that
 * are not a pickle are "trailing" (unless the caller stops at `limit`, the
 * start of something else, like the zip behind a pickle prefix).
 * *is_pickle: the first stream was a pickle.
 */
int pg_scan_pickles(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		    const struct pg_loader *ld, uint64_t off, uint64_t limit,
		    unsigned depth, bool *is_pickle);

/* Could n bytes be the start of a pickle?  The emulator runs over them
 * (with a report of its own, so nothing is recorded): no unless it fails
 * the way non-pickles fail before the bytes run out.  only_effects: as
 * pg_loader.only_effects (bytes found by content inside an archive);
 * false for a whole file, as scan_raw reads it. */
bool pg_pickle_plausible(struct pg_scan_ctx *ctx, const uint8_t *head,
			 size_t n, bool only_effects);

/* "parent/name", or a copy of name; NULL on ENOMEM. */
char *pg_member_join(const char *parent, const char *name);

/* A window [off, off + size) of another reader. */
struct pg_window {
	const struct pg_reader *parent;
	uint64_t off;
};
void pg_window_reader(struct pg_reader *rd, struct pg_window *w,
		      const struct pg_reader *parent, uint64_t off,
		      uint64_t size);

/* Read exactly len bytes at off; 0, or -1 (short or failed: ctx notes a
 * read error when the reader failed). */
int pg_ctx_pread(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		 void *buf, size_t len, uint64_t off);

/* The format handlers. */
int pg_scan_zip(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth, const char **format);
int pg_scan_tar(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth, const char **format);
int pg_scan_npy(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth);
int pg_scan_torch_legacy(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
			 const char *member, unsigned depth);
/* Could this be a legacy torch file: a pickle holding the magic number
 * somewhere in its first bytes?  Then is the magic what ends its first
 * pickle: the LONG1 and STOP in the PG_TORCH_MAGIC_LEN bytes before the
 * first stream's end? */
#define PG_TORCH_MAGIC_LEN 13
bool pg_torch_legacy_magic(const uint8_t *head, size_t n);
bool pg_torch_magic_at_end(const uint8_t *tail);
/* The loader torch.load uses for a zip checkpoint's pickles. */
struct pg_torch_zip;
int pg_torch_zip_begin(struct pg_scan_ctx *ctx, bool torchscript,
		       struct pg_torch_zip **tz, struct pg_loader *ld);
void pg_torch_zip_end(struct pg_torch_zip *tz);

/* joblib's NumpyUnpickler: raw pickles are read by it too. */
struct pg_joblib;
struct pg_joblib *pg_joblib_new(struct pg_scan_ctx *ctx,
				const struct pg_reader *rd, unsigned depth);
void pg_joblib_free(struct pg_joblib *jb);
void pg_joblib_loader(struct pg_joblib *jb, struct pg_loader *ld);
bool pg_joblib_seen(const struct pg_joblib *jb);

#endif
