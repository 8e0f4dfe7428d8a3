/*
 * strdecode.h: the text encodings of pickle string operands, decoded the
 * way CPython decodes them, so that names built from them compare exactly:
 * STRING's backslash escapes (PyBytes_DecodeEscape), UNICODE's
 * raw-unicode-escape, and latin-1 encoding of a str (what
 * _codecs.encode(s, 'latin1') produces).
 */
#ifndef PG_STRDECODE_H
#define PG_STRDECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How the bytes of a string operand are stored in the stream. */
enum pg_str_enc {
	PG_ENC_UTF8,	    /* BINUNICODE family: UTF-8, surrogates allowed */
	PG_ENC_RAW,	    /* BINSTRING family and bytes: 8-bit, as is */
	PG_ENC_ESCAPED,	    /* STRING: quoted, backslash escapes */
	PG_ENC_RAW_UNICODE, /* UNICODE: raw-unicode-escape */
};

/* STRING escapes; out holds len bytes.  Decoded length, or -1 where CPython
 * raises (bad \x escape, trailing backslash). */
ssize_t pg_unescape(const uint8_t *s, size_t len, uint8_t *out);

/* raw-unicode-escape to UTF-8; out holds 2 * len bytes.  -1 on a bad or
 * out-of-range \u/\U escape. */
ssize_t pg_raw_unicode_to_utf8(const uint8_t *s, size_t len, uint8_t *out);

/* Decode a string operand into its text as UTF-8 (8-bit strings as is);
 * out holds 2 * len bytes.  -1 where CPython would fail. */
ssize_t pg_str_text(enum pg_str_enc enc, const uint8_t *s, size_t len,
		    uint8_t *out);

/* The latin-1 encoding of a string operand's text; out holds len bytes.
 * -1 when a code point is above 0xFF or the text is invalid. */
ssize_t pg_str_latin1(enum pg_str_enc enc, const uint8_t *s, size_t len,
		      uint8_t *out);

/* Strict UTF-8 as CPython's "strict" decoder takes it (no surrogates). */
bool pg_utf8_valid(const uint8_t *s, size_t len);

#endif
