/*
 * report_text.h: a report as text: JSON fields for machines (the CLI's
 * --json lines, the daemon's audit records) and a one-line summary for
 * people.  Both list every reason kept, in the order found.
 */
#ifndef PG_REPORT_TEXT_H
#define PG_REPORT_TEXT_H

#include "pg_scan.h"
#include "strbuf.h"

/* "verdict":..,"format":..,"reasons":[..],"imports":[..],"bytes_read":..,
 * "opcodes":..,"streams":.. (no braces, so callers add their own fields) */
void pg_report_json(struct pg_strbuf *sb, const struct pg_report *rep);

/* "unsafe (pickle @ 0x1f: import os.system; ...)", "safe", "not-pickle
 * (unknown)" */
void pg_report_summary(struct pg_strbuf *sb, const struct pg_report *rep);

#endif
