/* report_text.c: see report_text.h. */
#include "report_text.h"

#include <inttypes.h>
#include <string.h>

static void json_reason(struct pg_strbuf *sb, const struct pg_reason *r)
{
	pg_sb_puts(sb, "{\"kind\":");
	pg_sb_json_str(sb, pg_reason_kind_name(r->kind));
	pg_sb_puts(sb, ",\"module\":");
	if (r->module.len || r->name.len)
		pg_sb_json_bytes(sb, r->module.ptr, r->module.len);
	else
		pg_sb_puts(sb, "null");
	pg_sb_puts(sb, ",\"name\":");
	if (r->module.len || r->name.len)
		pg_sb_json_bytes(sb, r->name.ptr, r->name.len);
	else
		pg_sb_puts(sb, "null");
	pg_sb_printf(sb, ",\"offset\":%" PRIu64 ",\"member\":", r->offset);
	pg_sb_json_str(sb, r->member);
	pg_sb_puts(sb, ",\"detail\":");
	pg_sb_json_str(sb, r->detail);
	pg_sb_puts(sb, "}");
}

void pg_report_json(struct pg_strbuf *sb, const struct pg_report *rep)
{
	pg_sb_puts(sb, "\"verdict\":");
	pg_sb_json_str(sb, pg_verdict_name(rep->verdict));
	pg_sb_puts(sb, ",\"format\":");
	pg_sb_json_str(sb, rep->format);
	pg_sb_puts(sb, ",\"reasons\":[");
	for (size_t i = 0; i < rep->n_reasons; i++) {
		if (i)
			pg_sb_puts(sb, ",");
		json_reason(sb, &rep->reasons[i]);
	}
	pg_sb_printf(sb, "],\"reasons_dropped\":%zu,\"imports\":[",
		     rep->reasons_dropped);
	for (size_t i = 0; i < rep->n_imports; i++) {
		const struct pg_import *imp = &rep->imports[i];
		struct pg_strbuf dotted = { 0 };

		pg_sb_add(&dotted, imp->module.ptr, imp->module.len);
		pg_sb_add(&dotted, ".", 1);
		pg_sb_add(&dotted, imp->name.ptr, imp->name.len);
		if (i)
			pg_sb_puts(sb, ",");
		if (dotted.oom)
			sb->oom = true;
		else
			pg_sb_json_bytes(sb, dotted.ptr, dotted.len);
		pg_sb_free(&dotted);
	}
	pg_sb_printf(sb, "],\"bytes_read\":%" PRIu64 ",\"opcodes\":%" PRIu64
		     ",\"streams\":%" PRIu32 ",\"members_scanned\":%" PRIu32,
		     rep->bytes_read, rep->opcodes, rep->streams,
		     rep->members_scanned);
}

static bool names_import(enum pg_reason_kind k)
{
	return k == PG_REASON_IMPORT || k == PG_REASON_IMPORT_DOTTED ||
	       k == PG_REASON_IMPORT_DUNDER;
}

void pg_report_summary(struct pg_strbuf *sb, const struct pg_report *rep)
{
	pg_sb_puts(sb, pg_verdict_name(rep->verdict));
	if (rep->verdict == PG_VERDICT_SAFE)
		return;
	if (rep->verdict == PG_VERDICT_NOT_PICKLE) {
		pg_sb_printf(sb, " (%s)", rep->format);
		return;
	}
	pg_sb_puts(sb, " (");
	for (size_t i = 0; i < rep->n_reasons; i++) {
		const struct pg_reason *r = &rep->reasons[i];

		if (i)
			pg_sb_puts(sb, "; ");
		if (r->member)
			pg_sb_text_bytes(sb, r->member, strlen(r->member));
		else
			pg_sb_puts(sb, rep->format);
		pg_sb_printf(sb, " @ 0x%" PRIx64 ": %s", r->offset,
			     pg_reason_kind_name(r->kind));
		if (r->module.len || r->name.len) {
			pg_sb_puts(sb, " ");
			pg_sb_text_bytes(sb, r->module.ptr, r->module.len);
			pg_sb_puts(sb, ".");
			pg_sb_text_bytes(sb, r->name.ptr, r->name.len);
		}
		if (!names_import(r->kind)) {
			pg_sb_puts(sb, ": ");
			pg_sb_text_bytes(sb, r->detail, strlen(r->detail));
		}
	}
	if (rep->reasons_dropped)
		pg_sb_printf(sb, "; and %zu more", rep->reasons_dropped);
	pg_sb_puts(sb, ")");
}
