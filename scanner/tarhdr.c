/* tarhdr.c: see tarhdr.h. */
#include "tarhdr.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* what int() takes away around a number of ASCII text */
static bool int_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* str.isspace() on ASCII, what str.strip() takes away: also \x1c-\x1f */
static bool str_space(unsigned char c)
{
	return int_space(c) || (c >= 0x1c && c <= 0x1f);
}

bool pg_py_int(const char *s, size_t n, int base, int64_t *out)
{
	size_t i = 0;
	bool neg = false, digit_last = false, any = false;
	uint64_t x = 0;

	while (n && int_space((unsigned char)s[n - 1]))
		n--;
	while (i < n && int_space((unsigned char)s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (base == 8 && i + 1 < n && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
		i += 2;
		digit_last = true; /* PEP 515: an underscore may follow the prefix */
	}
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (s[i] == '_') {
			if (!digit_last)
				return false;
			digit_last = false;
			continue;
		}
		if (d >= (unsigned)base || x > (UINT64_MAX - d) / (unsigned)base)
			return false;
		x = x * (unsigned)base + d;
		digit_last = any = true;
	}
	if (!any || !digit_last || x > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)x : (int64_t)x;
	return true;
}

bool pg_tar_nti(const uint8_t *f, size_t len, int64_t *out)
{
	size_t n;

	if (f[0] == 0200 || f[0] == 0377) {
		/* GNU base-256; 0377 is negative: -(256**(len-1) - n) */
		uint64_t x = 0;

		if (len > 8)
			for (size_t i = 1; i < len - 7; i++)
				if (f[i] != (f[0] == 0377 ? 0xff : 0))
					return false; /* beyond 64 bits */
		for (size_t i = len > 8 ? len - 7 : 1; i < len; i++)
			x = x << 8 | f[i];
		if (f[0] == 0200) {
			*out = (int64_t)x;
		} else {
			/* 256**7 > x; the field is at most 7 significant bytes here */
			*out = -(int64_t)((len > 8 ? (1ULL << 56) : (1ULL << (8 * (len - 1)))) - x);
		}
		return true;
	}
	/* nts: up to the first NUL, ASCII strictly; int(s.strip() or "0", 8) */
	n = strnlen((const char *)f, len);
	for (size_t i = 0; i < n; i++)
		if (f[i] >= 0x80)
			return false;
	{
		size_t a = 0, b = n;

		while (a < b && str_space(f[a]))
			a++;
		while (b > a && str_space(f[b - 1]))
			b--;
		if (a == b) {
			*out = 0;
			return true;
		}
		return pg_py_int((const char *)f + a, b - a, 8, out);
	}
}

bool pg_tar_header_ok(const uint8_t *b)
{
	int64_t stored, unsigned_sum = 256, signed_sum = 256;
	bool zero = true;

	for (size_t i = 0; i < PG_TAR_BLOCK; i++) {
		zero &= !b[i];
		if (i >= 148 && i < 156)
			continue;
		unsigned_sum += b[i];
		signed_sum += (int8_t)b[i];
	}
	return !zero && pg_tar_nti(b + 148, 8, &stored) &&
	       (stored == unsigned_sum || stored == signed_sum);
}

void pg_pax_clear(struct pg_pax *pax)
{
	free(pax->path);
	memset(pax, 0, sizeof(*pax));
}

static bool keyword_is(const uint8_t *k, size_t n, const char *want)
{
	return n == strlen(want) && !memcmp(k, want, n);
}

bool pg_pax_parse(const uint8_t *buf, size_t len, struct pg_pax *pax)
{
	size_t pos = 0;

	while (pos < len && buf[pos] != 0) {
		/* re.match(br"(\d+) ([^=]+)=", buf, pos) */
		size_t d = pos, k, eq, vstart, vend;
		int64_t length;

		while (d < len && buf[d] >= '0' && buf[d] <= '9')
			d++;
		if (d == pos || d >= len || buf[d] != ' ')
			return false;
		k = d + 1;
		for (eq = k; eq < len && buf[eq] != '='; eq++)
			;
		if (eq == k || eq >= len)
			return false;
		if (!pg_py_int((const char *)buf + pos, d - pos, 10, &length) || length == 0)
			return false;
		/* value = buf[match.end(2) + 1 : match.start(1) + length - 1] */
		vstart = eq + 1;
		vend = (uint64_t)length - 1 > len - pos ? len : pos + (size_t)length - 1;
		if (vend < vstart)
			vend = vstart;
		if (keyword_is(buf + k, eq - k, "size")) {
			/* PAX_NUMBER_FIELDS: int(value), 0 when that raises */
			pax->has_size = true;
			if (!pg_py_int((const char *)buf + vstart, vend - vstart, 10, &pax->size))
				pax->size = 0;
		} else if (keyword_is(buf + k, eq - k, "path")) {
			size_t vl = vend - vstart;

			while (vl && buf[vstart + vl - 1] == '/')
				vl--; /* value.rstrip("/") */
			free(pax->path);
			pax->path = pg_memdup0(buf + vstart, vl);
			pax->has_path = true;
		} else if (eq - k >= 11 && !memcmp(buf + k, "GNU.sparse.", 11)) {
			pax->sparse = true;
		}
		if ((uint64_t)length > len - pos)
			break;
		pos += (size_t)length;
	}
	return true;
}
