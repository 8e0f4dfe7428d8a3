/*
 * tar.c: tar archives (V7, ustar, GNU long names, pax size/path records),
 * walked as Python's tarfile walks them (headers: tarhdr.c): pandas reads a
 * .tar's single member as a pickle.  Every member tarfile would extract as
 * a file (regular ones, and types it does not know) is scanned by content;
 * sparse members and global pax headers that move sizes are unsafe.  The torch v0.1
 * checkpoint layout (members sys_info, pickle, storages, tensors) is a
 * container of raw storages and pickles we do not take apart: unsafe.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_ctx.h"
#include "tarhdr.h"
#include "util.h"

#define BLOCK PG_TAR_BLOCK

static bool zero_block(const uint8_t *b)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (b[i])
			return false;
	return true;
}

/* tarfile's SUPPORTED_TYPES; any other type is extracted as a regular file */
static bool supported_type(char t)
{
	return t && strchr("01234567LKSxgX", t);
}

/* Members whose data blocks follow the header (tarfile skips size bytes
 * only for these): regular files, and types tarfile does not know. */
static bool has_data(char t)
{
	return t == '0' || t == '\0' || t == '7' || !supported_type(t);
}

static bool torch_member(const char *name)
{
	return !strcmp(name, "storages") || !strcmp(name, "tensors") ||
	       !strcmp(name, "sys_info") || !strcmp(name, "pickle");
}

/* A metadata member (GNU long name 'L' or link 'K', pax 'x', 'X', 'g'):
 * its data read; returns 0, or a reason or -ENOMEM. */
static int tar_meta(struct pg_scan_ctx *ctx, const struct pg_reader *rd, const char *member,
		    uint64_t off, char type, uint64_t size, char **long_name, struct pg_pax *pax)
{
	uint8_t *text;
	int rc = 0;

	if (size > 65536)
		return pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
				     "tar: extended header of %" PRIu64 " bytes", size);
	if (!(text = malloc(size + 1)))
		return -ENOMEM;
	if (pg_ctx_pread(ctx, rd, text, (size_t)size, off + BLOCK)) {
		free(text);
		return pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
				     "tar: unreadable extended header");
	}
	text[size] = '\0';
	if (type == 'L') {
		free(*long_name);
		*long_name = pg_memdup0(text, strnlen((char *)text, (size_t)size));
		if (!*long_name)
			rc = -ENOMEM;
	} else if (type == 'x' || type == 'X') {
		if (!pg_pax_parse(text, (size_t)size, pax))
			rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
					   "tar: pax header tarfile refuses");
	} else if (type == 'g') {
		struct pg_pax global = { 0 };

		/* tarfile merges global records into the next local header's */
		if (!pg_pax_parse(text, (size_t)size, &global) || global.has_size ||
		    global.has_path || global.sparse)
			rc = pg_ctx_reason(ctx, PG_REASON_UNSUPPORTED, off, member,
					   "tar: global pax header that sets size or path");
		pg_pax_clear(&global);
	}
	free(text);
	return rc;
}

int pg_scan_tar(struct pg_scan_ctx *ctx, const struct pg_reader *rd,
		const char *member, unsigned depth, const char **format)
{
	uint8_t b[BLOCK];
	uint64_t off = 0;
	struct pg_pax pax = { 0 };
	char *long_name = NULL;
	char **names = NULL;
	size_t n_names = 0, cap = 0;
	int rc = 0;

	*format = "tar";
	while (!rc && off + BLOCK <= rd->size) {
		uint64_t size, data = off + BLOCK;
		int64_t field;
		char name[256 + 2];
		char *full = NULL, *where;
		const char *fmt;
		char type;

		if (pg_ctx_pread(ctx, rd, b, BLOCK, off) || zero_block(b))
			break; /* end of archive */
		if (!pg_tar_header_ok(b) || !pg_tar_nti(b + 124, 12, &field) || field < 0) {
			rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
					   "tar: bad header at 0x%" PRIx64, off);
			break;
		}
		size = (uint64_t)field;
		type = (char)b[156];
		if (type == 'S' || pax.sparse) {
			rc = pg_ctx_reason(ctx, PG_REASON_UNSUPPORTED, off, member,
					   "tar: sparse member (not taken apart)");
			break;
		}
		if (strchr("LKxXg", type) && type) {
			if (size > rd->size - data) {
				rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
						   "tar: header data runs past the end");
				break;
			}
			rc = tar_meta(ctx, rd, member, off, type, size, &long_name, &pax);
			off = data + (size + BLOCK - 1) / BLOCK * BLOCK;
			continue;
		}
		if (pax.has_size)
			size = pax.size < 0 ? 0 : (uint64_t)pax.size;
		if (!has_data(type))
			size = 0; /* tarfile reads the next header right after this one */
		if (size > rd->size - data) {
			rc = pg_ctx_reason(ctx, PG_REASON_CONTAINER, off, member,
					   "tar: member of %" PRIu64 " bytes runs past the end",
					   size);
			break;
		}
		/* ustar: prefix "/" name */
		if (b[345] && !memcmp(b + 257, "ustar\0", 6))
			snprintf(name, sizeof(name), "%.155s/%.100s", (char *)b + 345,
				 (char *)b + 0);
		else
			snprintf(name, sizeof(name), "%.100s", (char *)b);
		full = strdup(pax.has_path ? pax.path : long_name ? long_name : name);
		free(long_name);
		long_name = NULL;
		pg_pax_clear(&pax);
		if (!full) {
			rc = -ENOMEM;
			break;
		}
		if (has_data(type)) {
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
	pg_pax_clear(&pax);
	return rc;
}
