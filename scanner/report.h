/*
 * report.h: filling in a struct pg_report.  Owns the rules for what a report
 * keeps: reasons up to a cap (the rest counted), each distinct import once,
 * and every string copied so the report outlives the scan's buffers.
 */
#ifndef PG_REPORT_H
#define PG_REPORT_H

#include <stdarg.h>

#include "pg_scan.h"
#include "util.h"

/*
 * Add a reason.  module/name may be PG_SPAN_NONE.  Returns 0, or -ENOMEM.
 * Beyond max_reasons the reason is only counted.
 */
int pg_report_reason(struct pg_report *rep, uint32_t max_reasons,
		     enum pg_reason_kind kind, uint64_t offset,
		     const char *member, struct pg_span module,
		     struct pg_span name, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

int pg_report_vreason(struct pg_report *rep, uint32_t max_reasons,
		      enum pg_reason_kind kind, uint64_t offset,
		      const char *member, struct pg_span module,
		      struct pg_span name, const char *fmt, va_list ap);

/*
 * Record an import.  Returns its index in rep->imports (>= 0) and sets
 * *is_new when this (module, name) was not seen before in this report;
 * -ENOMEM on failure.
 */
long pg_report_import(struct pg_report *rep, struct pg_span module,
		      struct pg_span name, bool allowed, bool *is_new);

#endif
