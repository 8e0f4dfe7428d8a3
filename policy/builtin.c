/*
 * builtin.c: the allowlist files embedded with .incbin.  POLICY_DIR comes
 * from the Makefile (an absolute path), which also makes this object
 * depend on the files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

#define PG_EMBED(sym, file)                                                    \
	__asm__(".section .rodata\n"                                           \
		".globl " #sym "\n" #sym ":\n"                                 \
		".incbin \"" POLICY_DIR "/" file "\"\n"                        \
		".globl " #sym "_end\n" #sym "_end:\n"                         \
		".previous\n");                                                \
	extern const char sym[], sym##_end[];

/* X(symbol, file, name, doc) */
#define PG_POLICY_FILES(X)                                                     \
	X(pg_allow_default, "default.allow", "default",                        \
	  "PyTorch and NumPy checkpoints: tensors, storages, arrays, dtypes, builtin containers") \
	X(pg_allow_python, "python.allow", "python",                           \
	  "standard-library values: datetime, decimal, fractions, uuid, pathlib, argparse.Namespace") \
	X(pg_allow_joblib, "joblib.allow", "joblib",                           \
	  "joblib.dump array records (NumpyArrayWrapper)")                     \
	X(pg_allow_sklearn, "sklearn.allow", "sklearn",                        \
	  "scikit-learn estimators and their helper types (pickle and joblib)") \
	X(pg_allow_pandas, "pandas.allow", "pandas",                           \
	  "pandas DataFrame, Series, Index, arrays and scalars (to_pickle)")   \
	X(pg_allow_torch_modules, "torch-modules.allow", "torch-modules",     \
	  "whole torch.nn modules and torchvision models (torch.save(model))") \
	X(pg_allow_torchscript, "torchscript.allow", "torchscript",            \
	  "TorchScript archives (torch.jit.save), whose code/ torch.jit.load runs") \
	X(pg_allow_xgboost, "xgboost.allow", "xgboost",                        \
	  "xgboost Booster and sklearn wrappers")                              \
	X(pg_allow_gensim, "gensim.allow", "gensim",                           \
	  "gensim models and dictionaries (.save())")

#define PG_POLICY_EMBED(sym, file, name, doc) PG_EMBED(sym, file)
PG_POLICY_FILES(PG_POLICY_EMBED)
PG_EMBED(pg_default_config, "../pickleguard.conf")

const char *pg_policy_default_config(size_t *len)
{
	*len = (size_t)(pg_default_config_end - pg_default_config);
	return pg_default_config;
}

static struct pg_policy_text texts[] = {
#define PG_POLICY_ROW(sym, file, name, doc) { name, doc, sym, 0 },
	PG_POLICY_FILES(PG_POLICY_ROW)
};

static const char *const ends[] = {
#define PG_POLICY_END(sym, file, name, doc) sym##_end,
	PG_POLICY_FILES(PG_POLICY_END)
};

#define N_TEXTS (sizeof(texts) / sizeof(texts[0]))

const struct pg_policy_text *pg_policy_list(size_t *count)
{
	for (size_t i = 0; i < N_TEXTS; i++)
		texts[i].len = (size_t)(ends[i] - texts[i].text);
	*count = N_TEXTS;
	return texts;
}

const struct pg_policy_text *pg_policy_find(const char *name)
{
	size_t n;
	const struct pg_policy_text *t = pg_policy_list(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

int pg_policy_add(struct pg_allowlist *al, const char *name, char *err,
		  size_t errlen)
{
	size_t n, used = 0;
	const struct pg_policy_text *t = pg_policy_list(&n);
	char origin[64];
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(name, "all") && strcmp(name, t[i].name))
			continue;
		snprintf(origin, sizeof(origin), "built-in:%s", t[i].name);
		rc = pg_allowlist_parse(al, t[i].text, t[i].len, origin, err,
					errlen);
		if (rc)
			return rc;
		used++;
	}
	if (used)
		return 0;
	used = (size_t)snprintf(err, errlen, "unknown profile '%s' (known: all", name);
	for (size_t i = 0; i < n && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, ", %s", t[i].name);
	if (used < errlen)
		snprintf(err + used, errlen - used, ")");
	return -ENOENT;
}
