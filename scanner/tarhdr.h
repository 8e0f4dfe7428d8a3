/*
 * tarhdr.h: tar headers read exactly as CPython's tarfile reads them
 * (Lib/tarfile.py: nti, calc_chksums, _proc_pax, _apply_pax_info), since
 * pandas reads a .tar's member through tarfile and any byte the two of us
 * read differently is a way past the scanner: numbers through Python's
 * int() rules, checksums signed or unsigned, no magic required (V7), pax
 * records by tarfile's regular expression.
 */
#ifndef PG_TARHDR_H
#define PG_TARHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PG_TAR_BLOCK 512

/* tarfile.nti: a numeric field; false where tarfile raises. */
bool pg_tar_nti(const uint8_t *field, size_t len, int64_t *out);
/* A header block tarfile accepts (not all zero, checksum right). */
bool pg_tar_header_ok(const uint8_t *block);
/* Python's int(text, base) for base 8 or 10 on ASCII bytes. */
bool pg_py_int(const char *text, size_t len, int base, int64_t *out);

/* What a pax extended header sets for the member after it. */
struct pg_pax {
	bool has_size, has_path, sparse;
	int64_t size;
	char *path; /* owned */
};

/* Parse records as _proc_pax and _apply_pax_info do; false where tarfile
 * raises (the archive then ends there for it). */
bool pg_pax_parse(const uint8_t *buf, size_t len, struct pg_pax *pax);
void pg_pax_clear(struct pg_pax *pax);

#endif
