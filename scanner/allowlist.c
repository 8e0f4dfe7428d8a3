/*
 * allowlist.c: the set of (module, name) pairs a pickle may import, and the
 * parser of allowlist texts.  Matching is exact on both parts: no prefixes,
 * no wildcards, no dotted-name walking.  Entry syntax:
 *
 *   collections.OrderedDict         module "collections", name "OrderedDict"
 *   torch._utils._rebuild_tensor_v2 split at the last dot
 *   collections:OrderedDict.fromkeys a ':' splits explicitly (dotted names)
 *
 * Anything after '#' is a comment.  Both parts must be ASCII identifiers
 * joined by dots; anything else is an error naming the origin and line.
 * A line "%allow CAPABILITY" grants what is not an import: only
 * "torchscript-code" (accept TorchScript archives, whose __torch__ classes
 * resolve against their own code/).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_scan.h"
#include "util.h"

struct entry {
	char *key; /* module '\0' name '\0' */
	size_t module_len;
	size_t name_len;
	uint64_t hash;
};

struct pg_allowlist {
	struct entry *slots;
	size_t nslots; /* power of two */
	size_t count;
	unsigned caps; /* PG_CAP_* granted by %allow lines */
};

static const struct {
	const char *name;
	enum pg_capability cap;
} capabilities[] = {
	{ "torchscript-code", PG_CAP_TORCHSCRIPT_CODE },
};

bool pg_allowlist_has_capability(const struct pg_allowlist *al,
				 enum pg_capability cap)
{
	return al->caps & cap;
}

/* "%allow NAME": a capability, not an import.  0 and *cap, or -1. */
static int parse_capability(const char *b, const char *e, unsigned *cap)
{
	static const char kw[] = "%allow";
	size_t kl = sizeof(kw) - 1;

	if ((size_t)(e - b) <= kl || memcmp(b, kw, kl) || !isspace((unsigned char)b[kl]))
		return -1;
	for (b += kl; b < e && isspace((unsigned char)*b); b++)
		;
	for (size_t i = 0; i < sizeof(capabilities) / sizeof(capabilities[0]); i++)
		if ((size_t)(e - b) == strlen(capabilities[i].name) &&
		    !memcmp(b, capabilities[i].name, (size_t)(e - b))) {
			*cap |= capabilities[i].cap;
			return 0;
		}
	return -1;
}

static uint64_t pair_hash(const char *m, size_t ml, const char *n, size_t nl)
{
	return pg_hash_bytes(pg_hash_bytes(0, m, ml) ^ 0x3a, n, nl);
}

struct pg_allowlist *pg_allowlist_new(void)
{
	struct pg_allowlist *al = calloc(1, sizeof(*al));

	if (!al)
		return NULL;
	al->nslots = 256;
	al->slots = calloc(al->nslots, sizeof(*al->slots));
	if (!al->slots) {
		free(al);
		return NULL;
	}
	return al;
}

void pg_allowlist_free(struct pg_allowlist *al)
{
	if (!al)
		return;
	for (size_t i = 0; i < al->nslots; i++)
		free(al->slots[i].key);
	free(al->slots);
	free(al);
}

size_t pg_allowlist_size(const struct pg_allowlist *al)
{
	return al->count;
}

static struct entry *find_slot(struct entry *slots, size_t nslots,
			       uint64_t h, const char *m, size_t ml,
			       const char *n, size_t nl)
{
	size_t i = h & (nslots - 1);

	for (;; i = (i + 1) & (nslots - 1)) {
		struct entry *e = &slots[i];

		if (!e->key)
			return e;
		if (e->hash == h && e->module_len == ml && e->name_len == nl &&
		    !memcmp(e->key, m, ml) && !memcmp(e->key + ml + 1, n, nl))
			return e;
	}
}

bool pg_allowlist_contains(const struct pg_allowlist *al, const char *module,
			   size_t module_len, const char *name, size_t name_len)
{
	uint64_t h = pair_hash(module, module_len, name, name_len);

	return find_slot(al->slots, al->nslots, h, module, module_len, name,
			 name_len)->key != NULL;
}

static int grow(struct pg_allowlist *al)
{
	size_t nslots = al->nslots * 2;
	struct entry *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < al->nslots; i++) {
		struct entry *e = &al->slots[i];

		if (e->key)
			*find_slot(slots, nslots, e->hash, e->key,
				   e->module_len, e->key + e->module_len + 1,
				   e->name_len) = *e;
	}
	free(al->slots);
	al->slots = slots;
	al->nslots = nslots;
	return 0;
}

static int add_pair(struct pg_allowlist *al, const char *m, size_t ml,
		    const char *n, size_t nl)
{
	uint64_t h = pair_hash(m, ml, n, nl);
	struct entry *e;

	if ((al->count + 1) * 2 > al->nslots && grow(al))
		return -ENOMEM;
	e = find_slot(al->slots, al->nslots, h, m, ml, n, nl);
	if (e->key)
		return 0;
	e->key = malloc(ml + nl + 2);
	if (!e->key)
		return -ENOMEM;
	memcpy(e->key, m, ml);
	e->key[ml] = '\0';
	memcpy(e->key + ml + 1, n, nl);
	e->key[ml + 1 + nl] = '\0';
	e->module_len = ml;
	e->name_len = nl;
	e->hash = h;
	al->count++;
	return 0;
}

/* Dotted ASCII identifiers: "a", "a.b_c", never "a..b", ".a", "1a". */
static bool dotted_identifier(const char *s, size_t len)
{
	bool at_start = true;

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (at_start)
				return false;
			at_start = true;
		} else if (isalpha(c) || c == '_' || (!at_start && isdigit(c))) {
			at_start = false;
		} else {
			return false;
		}
	}
	return !at_start;
}

/* Split an entry into module and name; NULL on success or an error text. */
static const char *split_entry(const char *s, size_t len, struct pg_span *m,
			       struct pg_span *n)
{
	const char *colon = memchr(s, ':', len);
	const char *cut = colon;

	if (!cut) {
		for (size_t i = len; i-- > 0;)
			if (s[i] == '.') {
				cut = s + i;
				break;
			}
		if (!cut)
			return "expected module.name (no dot found)";
	}
	m->ptr = s;
	m->len = (size_t)(cut - s);
	n->ptr = cut + 1;
	n->len = len - m->len - 1;
	if (!dotted_identifier(m->ptr, m->len))
		return "module is not a dotted Python identifier";
	if (!dotted_identifier(n->ptr, n->len))
		return "name is not a Python identifier";
	if (!colon && memchr(n->ptr, '.', n->len))
		return "internal error: dotted name without ':'";
	return NULL;
}

int pg_allowlist_add_spec(struct pg_allowlist *al, const char *spec,
			  char *err, size_t errlen)
{
	struct pg_span m, n;
	const char *why = split_entry(spec, strlen(spec), &m, &n);

	if (why) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -EINVAL;
	}
	return add_pair(al, m.ptr, m.len, n.ptr, n.len);
}

int pg_allowlist_parse(struct pg_allowlist *al, const char *text, size_t len,
		       const char *origin, char *err, size_t errlen)
{
	struct pg_span *pairs = NULL;
	size_t npairs = 0, cap = 0, lineno = 0;
	const char *p = text, *end = text + len;
	unsigned caps = 0;
	int rc = 0;

	/* Validate the whole text first so that a bad line adds nothing. */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol ? eol : end;
		const char *hash = memchr(p, '#', (size_t)(lend - p));
		const char *b = p, *e = hash ? hash : lend;
		const char *why;
		struct pg_span m, n;

		lineno++;
		p = eol ? eol + 1 : end;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (b == e)
			continue;
		if (*b == '%') {
			if (parse_capability(b, e, &caps)) {
				snprintf(err, errlen,
					 "%s:%zu: unknown directive '%.*s' (known: %%allow torchscript-code)",
					 origin, lineno, (int)(e - b), b);
				rc = -EINVAL;
				goto out;
			}
			continue;
		}
		for (const char *q = b; q < e; q++)
			if (isspace((unsigned char)*q) || !*q) {
				snprintf(err, errlen,
					 "%s:%zu: one entry per line, found '%.*s'",
					 origin, lineno, (int)(e - b), b);
				rc = -EINVAL;
				goto out;
			}
		why = split_entry(b, (size_t)(e - b), &m, &n);
		if (why) {
			snprintf(err, errlen, "%s:%zu: '%.*s': %s", origin,
				 lineno, (int)(e - b), b, why);
			rc = -EINVAL;
			goto out;
		}
		if (pg_grow((void **)&pairs, &cap, npairs + 2, sizeof(*pairs))) {
			rc = -ENOMEM;
			goto out;
		}
		pairs[npairs++] = m;
		pairs[npairs++] = n;
	}
	for (size_t i = 0; i < npairs && !rc; i += 2)
		rc = add_pair(al, pairs[i].ptr, pairs[i].len, pairs[i + 1].ptr,
			      pairs[i + 1].len);
	if (!rc)
		al->caps |= caps;
	if (rc)
		snprintf(err, errlen, "%s: out of memory", origin);
out:
	free(pairs);
	return rc;
}
