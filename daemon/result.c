/* result.c: see result.h. */
#include "result.h"

#include <stdlib.h>

#include "report_text.h"
#include "strbuf.h"

struct pgd_result *pgd_result_from_report(const struct pg_report *rep,
					  uint64_t scan_us)
{
	struct pgd_result *r = calloc(1, sizeof(*r));
	struct pg_strbuf json = { 0 }, summary = { 0 };

	if (!r)
		return NULL;
	pg_report_json(&json, rep);
	pg_report_summary(&summary, rep);
	if (json.oom || summary.oom || !json.ptr || !summary.ptr) {
		pg_sb_free(&json);
		pg_sb_free(&summary);
		free(r);
		return NULL;
	}
	atomic_init(&r->refs, 1);
	r->verdict = rep->verdict;
	r->json = json.ptr;
	r->summary = summary.ptr;
	r->scan_us = scan_us;
	return r;
}

struct pgd_result *pgd_result_get(struct pgd_result *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void pgd_result_put(struct pgd_result *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	free(r->json);
	free(r->summary);
	free(r);
}
