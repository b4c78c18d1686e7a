/* plan_keys.h - the table of a plan's keys, shared by the catalog parser
 * (plan_catalog.c) and the plans table's rows (plans.c): one entry per
 * key drives parsing, comparison, JSON output, binding and reading rows.
 * Internal to those two files. */
#ifndef PM_PLAN_KEYS_H
#define PM_PLAN_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "plans.h"

/* How a catalog key is checked, stored and shown. */
enum pk_type {
	PK_CODE,	/* [A-Z0-9_]{1,32} */
	PK_NAME,	/* 1 to PLAN_NAME_MAX bytes, not blank */
	PK_COUNT,	/* non-negative integer (int64_t) */
	PK_LIMIT,	/* non-negative integer or null (int64_t, -1) */
	PK_BOOL,	/* true or false (int) */
	PK_CHANNELS,	/* array of distinct "ui", "api" (unsigned bits) */
	PK_MODELS,	/* enum plan_models, by name */
	PK_MODEL_LIST,	/* array of distinct model ids */
	PK_BYOK_MODELS,	/* enum plan_byok_models, by name */
	PK_FEATURES	/* object of display-only strings, booleans, ints */
};

struct plan_key {
	const char	*name;		/* catalog key */
	const char	*column;	/* column of the plans table */
	enum pk_type	 type;
	size_t		 off;		/* field in struct plan */
	int64_t		 max;		/* PK_COUNT, PK_LIMIT: largest value */
};

/* Every key of a catalog plan, in the order of the messages of
 * plans_parse(); plan_keys[0] is "code". */
extern const struct plan_key plan_keys[];
extern const size_t nplan_keys;
/* At least nplan_keys, for arrays of statement parameters. */
#define PLAN_KEYS_MAX	48

/* Names of the enum values, as in catalogs and in the plans table. */
extern const char *const plan_model_names[PLAN_MODELS__MAX];
extern const char *const plan_byok_names[PLAN_BYOK__MAX];
extern const char *const plan_source_names[PLAN_SOURCE__MAX];
/* SET('ui','api') values by bit mask. */
extern const char *const plan_channel_sets[4];

/* The field of key k in p. */
static inline int64_t *pk_i64(struct plan *p, const struct plan_key *k)
{
	return (int64_t *)(void *)((char *)p + k->off);
}
static inline int64_t pk_ci64(const struct plan *p, const struct plan_key *k)
{
	return *(const int64_t *)(const void *)((const char *)p + k->off);
}
static inline int *pk_int(struct plan *p, const struct plan_key *k)
{
	return (int *)(void *)((char *)p + k->off);
}
static inline int pk_cint(const struct plan *p, const struct plan_key *k)
{
	return *(const int *)(const void *)((const char *)p + k->off);
}
static inline unsigned *pk_uns(struct plan *p, const struct plan_key *k)
{
	return (unsigned *)(void *)((char *)p + k->off);
}
static inline unsigned pk_cuns(const struct plan *p, const struct plan_key *k)
{
	return *(const unsigned *)(const void *)((const char *)p + k->off);
}
static inline const char *pk_cstr(const struct plan *p, const struct plan_key *k)
{
	return (const char *)p + k->off;
}

/* Whether a and b have the same value for every key. */
int plan_equal(const struct plan *a, const struct plan *b);
/* The index of s in names[0..n), or -1. */
int plan_name_index(const char *const *names, size_t n, const char *s);

#endif
