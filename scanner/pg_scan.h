/*
 * pg_scan.h: the scanner library's public interface.
 *
 * The scanner is a pure library: bytes in (through a pread-like reader), a
 * report out.  It keeps no global state, does no I/O of its own choosing and
 * has no policy beyond the allowlist and limits the caller passes in.  Every
 * limit is explicit in struct pg_limits; pg_limits_default() documents the
 * defaults.  Nothing here ever aborts: errors come back as a negative errno
 * from pg_scan() or as reasons in the report.
 */
#ifndef PG_SCAN_H
#define PG_SCAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Where the bytes come from.  pread fills buf with up to len bytes from
 * offset off and returns the count (0 only at or past the end) or a negative
 * errno.  size is the total length of the data.
 */
struct pg_reader {
	ssize_t (*pread)(void *ctx, void *buf, size_t len, uint64_t off);
	void *ctx;
	uint64_t size;
};

/* A reader over a memory buffer (tests, fuzzers, decompressed data). */
struct pg_mem_source {
	const uint8_t *data;
	size_t len;
};
void pg_reader_from_memory(struct pg_reader *rd, struct pg_mem_source *src,
			   const void *data, size_t len);

/*
 * Limits.  Exceeding any of them makes the file unsafe with a "limit"
 * reason naming the limit: the scanner never guesses past one.
 */
struct pg_limits {
	uint64_t max_opcodes;	   /* opcodes emulated per file, all streams */
	uint64_t max_alloc;	   /* bytes of emulator memory (stack, memo, values) */
	uint64_t max_nested_bytes; /* a nested pickle decoded into memory */
	uint64_t max_expansion;	   /* values the result would hold with shared
				    * references copied (billion laughs) */
	uint64_t max_decompressed; /* bytes one compressed stream or archive
				    * member may decode to */
	uint32_t max_ratio;	   /* decoded/compressed, once past 16 MiB */
	uint32_t max_members;	   /* entries in one archive */
	uint32_t max_stack;	   /* values on the unpickler stack */
	uint32_t max_memo;	   /* distinct memo entries */
	uint32_t max_marks;	   /* open MARKs (container nesting depth) */
	uint32_t max_depth;	   /* pickles or containers nested inside others */
	uint32_t max_streams;	   /* concatenated pickles in one file */
	uint32_t max_reasons;	   /* reasons kept in a report (the rest counted) */
	uint32_t max_line;	   /* longest text operand (protocol 0 line) */
	uint32_t read_chunk;	   /* bytes asked of the reader at a time */
};
void pg_limits_default(struct pg_limits *limits);

enum pg_verdict {
	PG_VERDICT_SAFE,
	PG_VERDICT_UNSAFE,
	PG_VERDICT_NOT_PICKLE,
	PG_VERDICT_ERROR,
};
const char *pg_verdict_name(enum pg_verdict v);

/*
 * Why a file is unsafe.  Each kind has a short stable name used in JSON
 * (pg_reason_kind_name) and a one-line description (pg_reason_kind_doc).
 */
#define PG_REASON_KINDS(X)                                                     \
	X(IMPORT, "import", "imports a global that is not on the allowlist")  \
	X(IMPORT_DOTTED, "import-dotted",                                     \
	  "imports a dotted attribute path that is not explicitly listed")     \
	X(IMPORT_DUNDER, "import-dunder",                                     \
	  "imports a __private or __special__ name that is not listed")        \
	X(EXT, "ext", "imports through the copyreg extension registry (EXT1/2/4)") \
	X(GLOBAL_OPERAND, "global-operand",                                   \
	  "STACK_GLOBAL operand is not a constant string")                     \
	X(CALL, "call",                                                       \
	  "calls something that is not an allowed import, or with arguments its rules refuse") \
	X(BUILD, "build", "BUILD on an import or a constant, or sets a __dunder__ attribute") \
	X(MUTATE, "mutate", "APPEND/SETITEM/ADDITEMS on an imported object")  \
	X(NESTED, "nested",                                                   \
	  "a loader callable gets data that is not a constant pickle, or nested pickle is unsafe") \
	X(PERSID, "persid",                                                   \
	  "persistent id where the loader defines none, or one it would not accept") \
	X(FRAME, "frame", "an opcode crosses a FRAME end, or frames nest or overrun") \
	X(PROTO, "proto", "PROTO misplaced, repeated or unsupported")         \
	X(OPCODE, "opcode", "unknown opcode")                                 \
	X(TRUNCATED, "truncated", "the stream ends inside an opcode or before STOP") \
	X(UNDERFLOW, "underflow", "pops more values than the stack holds")    \
	X(MARK, "mark", "needs a MARK and there is none")                     \
	X(MEMO, "memo", "GET of a memo key that was never PUT, or a bad memo index") \
	X(MALFORMED, "malformed", "an operand or stack shape CPython rejects or we cannot follow") \
	X(BUFFER, "buffer", "out-of-band buffer (NEXT_BUFFER) with no buffers given") \
	X(TRAILING, "trailing", "bytes after the last STOP that are not a pickle") \
	X(CONTAINER, "container",                                            \
	  "an archive a loader could read differently: duplicate names, headers that disagree, encryption, CRC, overlap") \
	X(UNSUPPORTED, "unsupported", "a container the scanner cannot open (7z, torch tar, ...)") \
	X(TORCHSCRIPT, "torchscript",                                         \
	  "TorchScript code that torch.jit.load runs, without the torchscript profile") \
	X(LIMIT, "limit", "a scanner limit was exceeded")                     \
	X(READ, "read", "the data could not be read")

enum pg_reason_kind {
#define PG_REASON_ENUM(id, name, doc) PG_REASON_##id,
	PG_REASON_KINDS(PG_REASON_ENUM)
#undef PG_REASON_ENUM
	PG_REASON__COUNT
};
const char *pg_reason_kind_name(enum pg_reason_kind k);
const char *pg_reason_kind_doc(enum pg_reason_kind k);

/* Byte strings from the file: not NUL-free, but always NUL-terminated. */
struct pg_bytes {
	char *ptr;
	size_t len;
};

struct pg_reason {
	enum pg_reason_kind kind;
	uint64_t offset;	 /* within the stream's own bytes (member, nested data) */
	struct pg_bytes module; /* empty when the reason names no import */
	struct pg_bytes name;
	char *member;		 /* where the stream lives ("nested@0x1f"), or NULL */
	char *detail;		 /* human explanation, never NULL */
};

struct pg_import {
	struct pg_bytes module; /* as resolved: after the Python 2 name mapping */
	struct pg_bytes name;
	bool allowed;
};

struct pg_import_index;

struct pg_report {
	enum pg_verdict verdict;
	const char *format;	/* "pickle", "unknown", ... (static string) */
	struct pg_reason *reasons;
	size_t n_reasons;
	size_t reasons_dropped; /* beyond limits.max_reasons */
	struct pg_import *imports;
	size_t n_imports;
	uint64_t bytes_read;	/* bytes actually read from the reader */
	uint64_t opcodes;	/* opcodes emulated */
	uint32_t streams;	/* pickles found (concatenated and nested) */
	uint32_t members_scanned; /* archive members and decompressed streams */
	int error;		/* negative errno when verdict is PG_VERDICT_ERROR */
	struct pg_import_index *import_index; /* private: dedup of imports */
};
void pg_report_free(struct pg_report *rep);

/* The allowlist: exact (module, name) pairs. */
struct pg_allowlist;
struct pg_allowlist *pg_allowlist_new(void);
void pg_allowlist_free(struct pg_allowlist *al);
/*
 * Add the entries of an allowlist text (one "module.name" or "module:name"
 * per line, '#' comments).  On a bad line returns -EINVAL and writes
 * "ORIGIN:LINE: message" to err; nothing from that text is kept.
 */
int pg_allowlist_parse(struct pg_allowlist *al, const char *text, size_t len,
		       const char *origin, char *err, size_t errlen);
/* Add one "module.name" or "module:name" entry (the CLI's --allow-import). */
int pg_allowlist_add_spec(struct pg_allowlist *al, const char *spec,
			  char *err, size_t errlen);
bool pg_allowlist_contains(const struct pg_allowlist *al, const char *module,
			   size_t module_len, const char *name, size_t name_len);
size_t pg_allowlist_size(const struct pg_allowlist *al);

/* What an allowlist grants beyond imports ("%allow NAME" lines). */
enum pg_capability {
	PG_CAP_TORCHSCRIPT_CODE = 1, /* TorchScript archives and their code/ */
};
bool pg_allowlist_has_capability(const struct pg_allowlist *al,
				 enum pg_capability cap);

struct pg_scan_config {
	const struct pg_allowlist *allow;
	struct pg_limits limits;
	/* When set and nonzero, the scan stops soon with a "limit" reason:
	 * a caller's deadline, polled between reads and every few thousand
	 * opcodes.  The verdict of a cancelled scan means nothing. */
	const atomic_int *cancel;
};

/*
 * Scan everything the reader holds.  Returns 0 with the report filled in
 * (whatever the verdict), or a negative errno when the scan itself could not
 * run (out of memory); the report is then still safe to free.  A read error
 * is not a failure of pg_scan: it gives PG_VERDICT_ERROR with a "read"
 * reason.
 */
int pg_scan(const struct pg_reader *rd, const struct pg_scan_config *cfg,
	    struct pg_report *rep);

/*
 * Cheap classification for a guard deciding which files need a scan: from
 * the first PG_CLASSIFY_HEAD bytes (or the whole file when smaller) and the
 * last PG_CLASSIFY_TAIL ones (where zipfile looks for an end record), could
 * a loader read a pickle from this file?  False only for known formats that
 * carry none and for bytes that fail, as CPython fails, before anything
 * could run: exactly the files pg_scan calls not-pickle from these bytes.
 * A classifier keeps its emulator between calls; it is not thread-safe.
 */
#define PG_CLASSIFY_HEAD 512
#define PG_CLASSIFY_TAIL (65535 + 22)
struct pg_classifier;
struct pg_classifier *pg_classifier_new(const struct pg_scan_config *cfg);
void pg_classifier_free(struct pg_classifier *c);
bool pg_classifier_candidate(struct pg_classifier *c, const uint8_t *head,
			     size_t n, uint64_t size, const uint8_t *tail,
			     size_t tail_n);

#endif
