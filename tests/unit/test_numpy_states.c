/*
 * test_numpy_states.c: numpy and joblib states the scanner must refuse
 * however the object was made, and files it must not call unsafe
 * (tests/fixtures/states/README says where each comes from).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

static const char *const joblib_allow[] = { "joblib.numpy_pickle.NumpyArrayWrapper", NULL };

static const struct {
	const char *file;
	enum pg_reason_kind kind; /* a reason of this kind is expected */
	const char *const *extra;
} refused[] = {
	/* an object array's short list reaching ndarray.__setstate__ */
	{ "p1a.pkl", PG_REASON_BUILD, NULL },		  /* copyreg._reconstructor(ndarray) */
	{ "p1b.pkl", PG_REASON_BUILD, NULL },		  /* numpy.ndarray((n,)) */
	{ "c_ndarray_ctor.pkl", PG_REASON_BUILD, NULL },
	{ "d_reconstructor.pkl", PG_REASON_BUILD, NULL },
	{ "b_v2.pkl", PG_REASON_BUILD, NULL },		  /* _rebuild_from_type_v2 state */
	{ "f_v2_tensor.pkl", PG_REASON_BUILD, NULL },	  /* ... new_type Tensor */
	/* dtypes with an object field, or flags that are not the type's */
	{ "e_v2_dtype.pkl", PG_REASON_BUILD, NULL },
	{ "e2_reconstructor_dtype.pkl", PG_REASON_BUILD, NULL },
	{ "o8_flags0.pkl", PG_REASON_BUILD, NULL },
	{ "lp_v2.pkl", PG_REASON_BUILD, NULL },
	{ "lp_v3.pkl", PG_REASON_BUILD, NULL },
	/* fields shared 16 ways, 7 deep: bounded, not 16^7 walks */
	{ "dos7.pkl", PG_REASON_BUILD, NULL },
	/* joblib: version 2 flags (object array after all), __init__ args */
	{ "j_v2flags.pkl", PG_REASON_BUILD, joblib_allow },
	{ "j_init.pkl", PG_REASON_MALFORMED, joblib_allow },
};

static void scan_state_file(const char *file, const char *const *extra, struct pg_report *rep)
{
	char path[256];
	uint8_t *data;
	size_t len;

	snprintf(path, sizeof(path), "fixtures/states/%s", file);
	data = tl_read_file(tl_data_path(path), &len);
	tl_scan(data, len, extra, NULL, rep);
	free(data);
}

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct pg_report rep;

		scan_state_file(refused[i].file, refused[i].extra, &rep);
		if (rep.verdict != PG_VERDICT_UNSAFE || !tl_count(&rep, refused[i].kind, NULL))
			fail_msg("%s: %s, expected unsafe with a %s reason", refused[i].file,
				 pg_verdict_name(rep.verdict), pg_reason_kind_name(refused[i].kind));
		pg_report_free(&rep);
	}
}

static void test_not_refused(void **state)
{
	static const char *const files[] = {
		"st_0280.safetensors", /* header length 0x280: PROTO 2, then no pickle */
		"text_cpu.txt",	       /* "cpu-0\n...": no module has that name */
		"text_c3po.txt",       /* "c3po\n...": nor that one */
		"j_ctrl.pkl",	       /* a joblib wrapper as joblib writes it */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct pg_report rep;

		scan_state_file(files[i], joblib_allow, &rep);
		if (rep.verdict == PG_VERDICT_UNSAFE || rep.verdict == PG_VERDICT_ERROR)
			fail_msg("%s: %s (first reason: %s)", files[i], pg_verdict_name(rep.verdict),
				 rep.n_reasons ? rep.reasons[0].detail : "-");
		pg_report_free(&rep);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_not_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
