/*
 * fuzz_scan.c: libFuzzer target for the scanner on memory buffers.  Checks
 * the invariants every report must keep, whatever the input:
 *   - safe means no reason and only allowed imports;
 *   - not-pickle means no reason and no import;
 *   - unsafe means at least one reason;
 *   - every reason has a detail and a known kind;
 *   - the guard's cheap classifier never passes over a file the scan does
 *     not call not-pickle (the daemon trusts it to skip files).
 * The allowlist includes pickle.loads so that nested pickles get fuzzed.
 * Built with libFuzzer by `make fuzz`; replay_main.c runs it over a corpus
 * under ASan/UBSan in `make check`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pg_scan.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pg_allowlist *allowlist(void)
{
	/* built once per process: the harness's, not the library's, state */
	static struct pg_allowlist *al;
	char err[256];

	if (!al) {
		al = pg_allowlist_new();
		if (!al || pg_policy_add(al, "all", err, sizeof(err)) ||
		    pg_allowlist_add_spec(al, "pickle.loads", err, sizeof(err)))
			abort();
	}
	return al;
}

static bool candidate(const struct pg_scan_config *cfg, const uint8_t *data,
		      size_t size)
{
	static struct pg_classifier *c;
	size_t head = size < PG_CLASSIFY_HEAD ? size : PG_CLASSIFY_HEAD;
	size_t tail = size < PG_CLASSIFY_TAIL ? size : PG_CLASSIFY_TAIL;

	if (!c && !(c = pg_classifier_new(cfg)))
		abort();
	return pg_classifier_candidate(c, data, head, size, data + size - tail, tail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_scan_config cfg = { .allow = allowlist() };
	struct pg_mem_source src;
	struct pg_reader rd;
	struct pg_report rep;

	pg_limits_default(&cfg.limits);
	/* keep each run quick and small; the limits themselves are fuzzed
	 * as soon as an input reaches them */
	cfg.limits.max_opcodes = 1u << 20;
	cfg.limits.max_alloc = 64u << 20;
	cfg.limits.read_chunk = 4096;
	pg_reader_from_memory(&rd, &src, data, size);
	if (pg_scan(&rd, &cfg, &rep) == 0) {
		switch (rep.verdict) {
		case PG_VERDICT_SAFE:
			if (rep.n_reasons || rep.reasons_dropped)
				abort();
			for (size_t i = 0; i < rep.n_imports; i++)
				if (!rep.imports[i].allowed)
					abort();
			break;
		case PG_VERDICT_NOT_PICKLE:
			if (rep.n_reasons || rep.n_imports)
				abort();
			break;
		case PG_VERDICT_UNSAFE:
			if (!rep.n_reasons)
				abort();
			break;
		case PG_VERDICT_ERROR:
			abort(); /* memory never fails to read */
		}
		if (rep.verdict != PG_VERDICT_NOT_PICKLE && !candidate(&cfg, data, size))
			abort();
		for (size_t i = 0; i < rep.n_reasons; i++)
			if (!rep.reasons[i].detail ||
			    (unsigned)rep.reasons[i].kind >= PG_REASON__COUNT)
				abort();
	}
	pg_report_free(&rep);
	return 0;
}
