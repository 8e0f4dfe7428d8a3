/* strbuf.c: see strbuf.h. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void pg_sb_free(struct pg_strbuf *sb)
{
	free(sb->ptr);
	*sb = (struct pg_strbuf){ 0 };
}

void pg_sb_reset(struct pg_strbuf *sb)
{
	sb->len = 0;
	if (sb->ptr)
		sb->ptr[0] = '\0';
}

void pg_sb_add(struct pg_strbuf *sb, const void *data, size_t len)
{
	if (sb->oom)
		return;
	if (len >= SIZE_MAX - sb->len ||
	    pg_grow((void **)&sb->ptr, &sb->cap, sb->len + len + 1, 1)) {
		sb->oom = true;
		return;
	}
	memcpy(sb->ptr + sb->len, data, len);
	sb->len += len;
	sb->ptr[sb->len] = '\0';
}

void pg_sb_puts(struct pg_strbuf *sb, const char *s)
{
	pg_sb_add(sb, s, strlen(s));
}

void pg_sb_printf(struct pg_strbuf *sb, const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		pg_sb_add(sb, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	pg_sb_add(sb, big, (size_t)n);
	free(big);
}

/* Length of the valid UTF-8 sequence at s (strict: no surrogates, no
 * overlongs), or 0. */
static size_t utf8_seq(const uint8_t *s, size_t avail)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void pg_sb_json_bytes(struct pg_strbuf *sb, const void *data, size_t len)
{
	const uint8_t *s = data, *end = s + len;

	pg_sb_add(sb, "\"", 1);
	while (s < end) {
		size_t n = utf8_seq(s, (size_t)(end - s));

		if (!n) {
			pg_sb_printf(sb, "\\udc%02x", *s);
			s++;
		} else if (n > 1) {
			pg_sb_add(sb, s, n);
			s += n;
		} else if (*s == '"' || *s == '\\') {
			pg_sb_add(sb, "\\", 1);
			pg_sb_add(sb, s++, 1);
		} else if (*s < 0x20 || *s == 0x7f) {
			pg_sb_printf(sb, "\\u%04x", *s++);
		} else {
			pg_sb_add(sb, s++, 1);
		}
	}
	pg_sb_add(sb, "\"", 1);
}

void pg_sb_json_str(struct pg_strbuf *sb, const char *s)
{
	if (!s)
		pg_sb_puts(sb, "null");
	else
		pg_sb_json_bytes(sb, s, strlen(s));
}

void pg_sb_text_bytes(struct pg_strbuf *sb, const void *data, size_t len)
{
	const uint8_t *s = data, *end = s + len;

	while (s < end) {
		size_t n = utf8_seq(s, (size_t)(end - s));

		if (!n || (n == 1 && (*s < 0x20 || *s == 0x7f || *s == '\\'))) {
			pg_sb_printf(sb, "\\x%02x", *s++);
		} else {
			pg_sb_add(sb, s, n);
			s += n;
		}
	}
}
