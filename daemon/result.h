/*
 * result.h: what one scan concluded about one file, in the form the guard
 * keeps (verdict cache) and logs (audit records): immutable once made and
 * shared by reference count between the cache and the audit queue.
 */
#ifndef PGD_RESULT_H
#define PGD_RESULT_H

#include <stdatomic.h>
#include <stdint.h>

#include "pg_scan.h"

struct pgd_result {
	atomic_int refs;
	enum pg_verdict verdict;
	char *json;    /* the report's JSON fields (pg_report_json), no braces */
	char *summary; /* one line for people (pg_report_summary) */
	uint64_t scan_us;
};

/* From a finished report; NULL when out of memory. */
struct pgd_result *pgd_result_from_report(const struct pg_report *rep,
					  uint64_t scan_us);
struct pgd_result *pgd_result_get(struct pgd_result *r);
void pgd_result_put(struct pgd_result *r);

#endif
