/*
 * strbuf.h: a growable text buffer, and JSON string escaping for byte
 * strings that need not be UTF-8.  An allocation failure is sticky
 * (sb->oom) so that callers check once at the end.
 */
#ifndef PG_STRBUF_H
#define PG_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct pg_strbuf {
	char *ptr; /* NUL-terminated when not NULL */
	size_t len, cap;
	bool oom;
};

void pg_sb_free(struct pg_strbuf *sb);
void pg_sb_reset(struct pg_strbuf *sb);
void pg_sb_add(struct pg_strbuf *sb, const void *data, size_t len);
void pg_sb_puts(struct pg_strbuf *sb, const char *s);
void pg_sb_printf(struct pg_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * A JSON string literal for arbitrary bytes: valid UTF-8 passes through,
 * each byte that is not valid UTF-8 becomes \udcXX (Python's
 * surrogateescape: os.fsencode() gives the bytes back).
 */
void pg_sb_json_bytes(struct pg_strbuf *sb, const void *data, size_t len);
void pg_sb_json_str(struct pg_strbuf *sb, const char *s);
/* Bytes for a terminal line: control bytes and invalid UTF-8 as \xHH. */
void pg_sb_text_bytes(struct pg_strbuf *sb, const void *data, size_t len);

#endif
