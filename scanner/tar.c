/*
 * tar.c: tar archives (ustar, GNU long names, pax size/path records), as
 * Python's tarfile reads them: pandas reads a .tar's single member as a
 * pickle.  Every regular member is scanned by content.  The torch v0.1
 * checkpoint layout (members sys_info, pickle, storages, tensors) is a
 * container of raw storages and pickles we do not take apart: unsafe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_ctx.h"
#include "util.h"

#define BLOCK 512

/* A numeric header field: octal text, or GNU base-256 (high bit set). */
static bool tar_number(const uint8_t *f, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return false;
		for (i = 1; i < n; i++) {
			if (x >> 56)
				return false;
			x = x << 8 | f[i];
		}
		*out = x;
		return true;
	}
	while (i < n && (f[i] == ' ' || f[i] == 0))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (x >> 60)
			return false;
		x = x * 8 + (uint64_t)(f[i] - '0');
	}
	while (i < n && (f[i] == ' ' || f[i] == 0))
		i++;
	*out = x;
	return i == n;
}

static bool zero_block(const uint8_t *b)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

static bool checksum_ok(const uint8_t *b)
{
	uint64_t stored;
	unsigned sum = 0;

	for (size_t i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	return tar_number(b + 148, 8, &stored) && stored == sum;
}

/* pax extended header records "LEN key=value\n": size and path matter. */
static void pax_records(const char *p, size_t len, uint64_t *size,
			char **path)
{
	const char *end = p + len;

	while (p < end) {
		char *rest;
		unsigned long n = strtoul(p, &rest, 10);
		const char *rec_end, *kv, *eq;

		if (rest == p || n == 0 || n > (size_t)(end - p) || *rest != ' ')
			return;
		rec_end = p + n;
		kv = rest + 1;
		eq = memchr(kv, '=', (size_t)(rec_end - kv));
		if (eq && rec_end[-1] == '\n') {
			size_t klen = (size_t)(eq - kv), vlen = (size_t)(rec_end - 1 - eq - 1);

			if (klen == 4 && !memcmp(kv, "size", 4))
				*size = strtoull(eq + 1, NULL, 10);
			else if (klen == 4 && !memcmp(kv, "path", 4)) {
				free(*path);
				*path = pg_memdup0(eq + 1, vlen);
			}
		}
		p = rec_end;
	}
}

static bool torch_member(const char *name)
{
	return !strcmp(name, "storages") || !strcmp(name, "tensors") ||
	       !strcmp(name, "sys_info") || !strcmp(name, "pickle");
}

int pg_scan_tar(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth, const char **format)
{
	uint8_t b[BLOCK];
	uint64_t off = 0, pax_size = UINT64_MAX;
	char *long_name = NULL, *pax_path = NULL;
	char **names = NULL;
	size_t n_names = 0, cap = 0;
	int rc = 0;

	*format = "tar";
	while (!rc && off + BLOCK <= rd->size) {
		uint64_t size, data = off + BLOCK;
		char name[256 + 2];
		char *full = NULL, *where;
		const char *fmt;
		char type;

		if (pg_ctx_pread(ctx, rd, b, BLOCK, off))
			break;
		if (zero_block(b))
			break; /* end of archive */
		if (!checksum_ok(b) || !tar_number(b + 124, 12, &size)) {
			rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
					   "tar: bad header at 0x%" PRIx64, off);
			break;
		}
		if (pax_size != UINT64_MAX)
			size = pax_size;
		type = (char)b[156];
		if (size > rd->size - data) {
			rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
					   "tar: member of %" PRIu64 " bytes runs past the end",
					   size);
			break;
		}
		if (type == 'L' || type == 'x') {
			/* metadata for the next member */
			char *text = malloc(size + 1);

			if (!text) {
				rc = -ENOMEM;
				break;
			}
			if (size > 65536 || pg_ctx_pread(ctx, rd, text, (size_t)size, data)) {
				free(text);
				rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
						   "tar: unreadable extended header");
				break;
			}
			text[size] = '\0';
			if (type == 'L') {
				free(long_name);
				long_name = pg_memdup0(text, strnlen(text, (size_t)size));
			} else {
				pax_records(text, (size_t)size, &pax_size, &pax_path);
			}
			free(text);
			off = data + (size + BLOCK - 1) / BLOCK * BLOCK;
			continue;
		}
		/* ustar: prefix "/" name */
		if (b[345] && !memcmp(b + 257, "ustar\0", 6))
			snprintf(name, sizeof(name), "%.155s/%.100s", (char *)b + 345,
				 (char *)b + 0);
		else
			snprintf(name, sizeof(name), "%.100s", (char *)b);
		full = strdup(pax_path ? pax_path : long_name ? long_name : name);
		free(long_name);
		free(pax_path);
		long_name = pax_path = NULL;
		pax_size = UINT64_MAX;
		if (!full) {
			rc = -ENOMEM;
			break;
		}
		if (type == '0' || type == '\0' || type == '7') {
			for (size_t i = 0; i < n_names && !rc; i++)
				if (!strcmp(names[i], full))
					rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
							   "tar: duplicate member %s", full);
			if (torch_member(full)) {
				*format = "torch-tar";
				rc = rc ? rc : pg_ctx_reason(ctx, PG_REASON_UNSUPPORTED, off, member,
						    "torch v0.1 tar checkpoint: storages and pickles "
						    "the scanner does not take apart");
				free(full);
				break;
			}
			if (!rc && (ctx->rep->members_scanned++, true) &&
			    (where = pg_member_join(member, full))) {
				struct pg_window win;
				struct pg_reader mrd;

				pg_window_reader(&mrd, &win, rd, data, size);
				rc = pg_scan_any(ctx, &mrd, where, depth + 1, &fmt);
				free(where);
			} else if (!rc) {
				rc = -ENOMEM;
			}
			if (pg_grow((void **)&names, &cap, n_names + 1, sizeof(*names))) {
				free(full);
				rc = -ENOMEM;
				break;
			}
			names[n_names++] = full;
			full = NULL;
			if (n_names > ctx->cfg->limits.max_members) {
				rc = pg_ctx_reason(ctx, PG_REASON_LIMIT, off, member,
						   "tar: more than max_members entries");
				break;
			}
		}
		free(full);
		off = data + (size + BLOCK - 1) / BLOCK * BLOCK;
	}
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	free(long_name);
	free(pax_path);
	return rc;
}
