/* strdecode.c: see strdecode.h. */
#include "strdecode.h"

#include <stdbool.h>
#include <string.h>

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t pg_unescape(const uint8_t *s, size_t len, uint8_t *out)
{
	const uint8_t *end = s + len;
	uint8_t *o = out;

	while (s < end) {
		uint8_t c = *s++;
		int h1, h2;

		if (c != '\\') {
			*o++ = c;
			continue;
		}
		if (s >= end)
			return -1; /* "Trailing \ in string" */
		c = *s++;
		switch (c) {
		case '\n':
			break;
		case '\\': *o++ = '\\'; break;
		case '\'': *o++ = '\''; break;
		case '"': *o++ = '"'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 't': *o++ = '\t'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 'v': *o++ = '\v'; break;
		case 'a': *o++ = '\a'; break;
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7': {
			unsigned v = c - '0';

			for (int i = 0; i < 2 && s < end && *s >= '0' && *s <= '7'; i++)
				v = v * 8 + (unsigned)(*s++ - '0');
			*o++ = (uint8_t)v; /* CPython keeps the low byte */
			break;
		}
		case 'x':
			if (end - s < 2 || (h1 = hexval(s[0])) < 0 ||
			    (h2 = hexval(s[1])) < 0)
				return -1;
			*o++ = (uint8_t)(h1 * 16 + h2);
			s += 2;
			break;
		default:
			/* unknown escapes stay as written */
			*o++ = '\\';
			*o++ = c;
			break;
		}
	}
	return o - out;
}

static size_t put_utf8(uint32_t cp, uint8_t *o)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | (cp >> 6));
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | (cp >> 18));
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * raw-unicode-escape, one code point at a time.  A backslash before
 * anything but 'u'/'U' is kept together with that next byte (CPython emits
 * both and resumes after them, so a doubled backslash before u0041 is no escape); the
 * second one waits in `pending`.
 */
struct raw_unicode_iter {
	const uint8_t *s, *end;
	long pending;
};

static long raw_unicode_next(struct raw_unicode_iter *it)
{
	uint32_t cp = 0;
	uint8_t c;
	int count;

	if (it->pending >= 0) {
		long p = it->pending;

		it->pending = -1;
		return p;
	}
	c = *it->s++;
	if (c != '\\' || it->s >= it->end)
		return c;
	c = *it->s++;
	if (c != 'u' && c != 'U') {
		it->pending = c;
		return '\\';
	}
	for (count = c == 'u' ? 4 : 8; count; count--, it->s++) {
		int h;

		if (it->s >= it->end || (h = hexval(*it->s)) < 0)
			return -1;
		cp = cp << 4 | (uint32_t)h;
	}
	return cp > 0x10ffff ? -1 : (long)cp;
}

static bool raw_unicode_more(const struct raw_unicode_iter *it)
{
	return it->pending >= 0 || it->s < it->end;
}

ssize_t pg_raw_unicode_to_utf8(const uint8_t *s, size_t len, uint8_t *out)
{
	struct raw_unicode_iter it = { s, s + len, -1 };
	uint8_t *o = out;

	while (raw_unicode_more(&it)) {
		long cp = raw_unicode_next(&it);

		if (cp < 0)
			return -1;
		o += put_utf8((uint32_t)cp, o);
	}
	return o - out;
}

/* One UTF-8 (surrogatepass) code point from *sp; -1 when invalid. */
static long utf8_next(const uint8_t **sp, const uint8_t *end)
{
	const uint8_t *s = *sp;
	uint32_t c = *s++, cp, min;
	int n;

	if (c < 0x80) {
		*sp = s;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1; cp = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2; cp = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3; cp = c & 0x07; min = 0x10000;
	} else {
		return -1;
	}
	if (end - s < n)
		return -1;
	for (int i = 0; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff)
		return -1;
	*sp = s + n;
	return cp;
}

bool pg_utf8_valid(const uint8_t *s, size_t len)
{
	const uint8_t *end = s + len;

	while (s < end) {
		long cp = utf8_next(&s, end);

		if (cp < 0 || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

ssize_t pg_str_text(enum pg_str_enc enc, const uint8_t *s, size_t len,
		    uint8_t *out)
{
	switch (enc) {
	case PG_ENC_UTF8:
	case PG_ENC_RAW:
		memcpy(out, s, len);
		return (ssize_t)len;
	case PG_ENC_ESCAPED:
		return pg_unescape(s, len, out);
	case PG_ENC_RAW_UNICODE:
		return pg_raw_unicode_to_utf8(s, len, out);
	}
	return -1;
}

static bool all_ascii(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 0x80)
			return false;
	return true;
}

ssize_t pg_str_latin1(enum pg_str_enc enc, const uint8_t *s, size_t len,
		      uint8_t *out)
{
	struct raw_unicode_iter it = { s, s + len, -1 };
	const uint8_t *end = s + len;
	uint8_t *o = out;
	ssize_t n;

	switch (enc) {
	case PG_ENC_RAW:
	case PG_ENC_ESCAPED:
		/* 8-bit strings become text through the loader's own encoding
		 * (ASCII for pickle.load, UTF-8 for torch.load): only ASCII
		 * reads the same everywhere */
		n = enc == PG_ENC_RAW ? (memcpy(out, s, len), (ssize_t)len)
				      : pg_unescape(s, len, out);
		return n >= 0 && all_ascii(out, (size_t)n) ? n : -1;
	case PG_ENC_UTF8:
		while (s < end) {
			long cp = utf8_next(&s, end);

			if (cp < 0 || cp > 0xff)
				return -1;
			*o++ = (uint8_t)cp;
		}
		return o - out;
	case PG_ENC_RAW_UNICODE:
		while (raw_unicode_more(&it)) {
			long cp = raw_unicode_next(&it);

			if (cp < 0 || cp > 0xff)
				return -1;
			*o++ = (uint8_t)cp;
		}
		return o - out;
	}
	return -1;
}
