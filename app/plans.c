/* plans.c - plan catalogs: validation, loading, the plan of a user. */
#include "plans.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "jsonx.h"
#include "users.h"
#include "util.h"

/* ------------------------------------------------------------ key table */

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
	enum pk_type	 type;
	size_t		 off;		/* field in struct plan */
	int64_t		 max;		/* PK_COUNT, PK_LIMIT: largest value */
};

#define F(m)		offsetof(struct plan, m)
#define BIG		1000000000000000LL	/* 10^15 */

/* Every key of a catalog plan, in the order of the plans table's columns
 * in PLAN_COLS and of the messages of plans_parse(). The database columns
 * have the same names except "default" (is_default) and "public"
 * (is_public). */
static const struct plan_key plan_keys[] = {
	{ "code", PK_CODE, F(code), 0 },
	{ "name", PK_NAME, F(name), 0 },
	{ "position", PK_COUNT, F(position), 1000000 },
	{ "default", PK_BOOL, F(is_default), 0 },
	{ "public", PK_BOOL, F(is_public), 0 },
	{ "price_monthly_cents", PK_LIMIT, F(price_monthly_cents), BIG },
	{ "price_annual_cents", PK_LIMIT, F(price_annual_cents), BIG },
	{ "price_byok_monthly_cents", PK_LIMIT, F(price_byok_monthly_cents), BIG },
	{ "price_byok_annual_cents", PK_LIMIT, F(price_byok_annual_cents), BIG },
	{ "price_per_seat", PK_BOOL, F(price_per_seat), 0 },
	{ "price_custom", PK_BOOL, F(price_custom), 0 },
	{ "executions_per_day", PK_LIMIT, F(executions_per_day), BIG },
	{ "executions_per_month", PK_LIMIT, F(executions_per_month), BIG },
	{ "limits_per_seat", PK_BOOL, F(limits_per_seat), 0 },
	{ "counted_channels", PK_CHANNELS, F(counted_channels), 0 },
	{ "allowed_channels", PK_CHANNELS, F(allowed_channels), 0 },
	{ "burst_per_minute", PK_LIMIT, F(burst_per_minute), BIG },
	{ "burst_per_day", PK_LIMIT, F(burst_per_day), BIG },
	{ "soft_cap_per_month", PK_LIMIT, F(soft_cap_per_month), BIG },
	{ "throttle_per_minute", PK_LIMIT, F(throttle_per_minute), BIG },
	{ "models", PK_MODELS, F(models), 0 },
	{ "model_list", PK_MODEL_LIST, F(model_list), 0 },
	{ "byok_models", PK_BYOK_MODELS, F(byok_models), 0 },
	{ "api_access", PK_BOOL, F(api_access), 0 },
	{ "api_keys", PK_LIMIT, F(api_keys), BIG },
	{ "byok_allowed", PK_BOOL, F(byok_allowed), 0 },
	{ "log_retention_days", PK_LIMIT, F(log_retention_days), BIG },
	{ "cache_ttl_hours", PK_LIMIT, F(cache_ttl_hours), BIG },
	{ "daily_spend_cap_micros", PK_LIMIT, F(daily_spend_cap_micros), BIG },
	{ "monthly_budget_micros", PK_LIMIT, F(monthly_budget_micros), BIG },
	{ "max_tokens_per_execution", PK_LIMIT, F(max_tokens_per_execution), BIG },
	{ "sandbox_tries_per_day", PK_LIMIT, F(sandbox_tries_per_day), BIG },
	{ "seats_included", PK_LIMIT, F(seats_included), BIG },
	{ "seats_max", PK_LIMIT, F(seats_max), BIG },
	{ "features", PK_FEATURES, F(features), 0 },
};
#define NKEYS NELEM(plan_keys)

/* The plans table's columns for plan_keys[], in the same order. */
#define PLAN_COLS "code, name, position, is_default, is_public," \
	" price_monthly_cents, price_annual_cents, price_byok_monthly_cents," \
	" price_byok_annual_cents, price_per_seat, price_custom," \
	" executions_per_day, executions_per_month, limits_per_seat," \
	" counted_channels, allowed_channels, burst_per_minute, burst_per_day," \
	" soft_cap_per_month, throttle_per_minute, models, model_list," \
	" byok_models, api_access, api_keys, byok_allowed, log_retention_days," \
	" cache_ttl_hours, daily_spend_cap_micros, monthly_budget_micros," \
	" max_tokens_per_execution, sandbox_tries_per_day, seats_included," \
	" seats_max, features"
/* Leading columns before PLAN_COLS in every SELECT read by plan_from_row. */
#define PLAN_SELECT "SELECT id, catalog, " PLAN_COLS

static const char *const model_names[PLAN_MODELS__MAX] = {
	"free", "whitelist", "blacklist", "all"
};
static const char *const byok_names[PLAN_BYOK__MAX] = { "none", "all" };
static const char *const source_names[PLAN_SOURCE__MAX] = {
	"file", "default", "admin", "stripe"
};
/* SET('ui','api') values by bit mask. */
static const char *const channel_sets[4] = { "", "ui", "api", "ui,api" };

static int64_t *f_i64(struct plan *p, const struct plan_key *k)
{
	return (int64_t *)(void *)((char *)p + k->off);
}

static int64_t c_i64(const struct plan *p, const struct plan_key *k)
{
	return *(const int64_t *)(const void *)((const char *)p + k->off);
}

static int *f_int(struct plan *p, const struct plan_key *k)
{
	return (int *)(void *)((char *)p + k->off);
}

static int c_int(const struct plan *p, const struct plan_key *k)
{
	return *(const int *)(const void *)((const char *)p + k->off);
}

static unsigned *f_uns(struct plan *p, const struct plan_key *k)
{
	return (unsigned *)(void *)((char *)p + k->off);
}

static unsigned c_uns(const struct plan *p, const struct plan_key *k)
{
	return *(const unsigned *)(const void *)((const char *)p + k->off);
}

static const char *c_str(const struct plan *p, const struct plan_key *k)
{
	return (const char *)p + k->off;
}

const char *plan_source_name(enum plan_source s)
{
	return (unsigned)s < PLAN_SOURCE__MAX ? source_names[s] : "unknown";
}

void plan_free(struct plan *p)
{
	if (p == NULL)
		return;
	json_object_put(p->model_list);
	json_object_put(p->features);
	memset(p, 0, sizeof(*p));
}

void plan_catalog_free(struct plan_catalog *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nplans; i++)
		plan_free(&c->plans[i]);
	free(c->plans);
	free(c->description);
	free(c->notes);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------ parsing */

static int fail(struct buf *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append a message to err; returns PLAN_INVALID. */
static int fail(struct buf *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
	return PLAN_INVALID;
}

/* Whether the n bytes at s are all in the set of characters chars and n
 * is 1 to max. */
static int word_valid(const char *s, size_t n, size_t max, const char *chars)
{
	size_t i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(chars, s[i]) == NULL)
			return 0;
	return 1;
}

#define CODE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
#define CATALOG_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-"
#define FEATURE_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"
#define FEATURE_KEY_MAX 64
#define FEATURE_STR_MAX 500

static int is_string(struct json_object *v)
{
	return v != NULL && json_object_is_type(v, json_type_string);
}

/* Whether a model id is 1 to PLAN_MODEL_ID_MAX printable bytes without
 * spaces. */
static int model_id_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PLAN_MODEL_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

static int parse_channels(struct json_object *v, unsigned *out)
{
	size_t i, n;

	*out = 0;
	if (v == NULL || !json_object_is_type(v, json_type_array))
		return -1;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s = is_string(e) ? json_object_get_string(e) : "";
		unsigned bit = strcmp(s, "ui") == 0 ? PLAN_CH_UI :
		    strcmp(s, "api") == 0 ? PLAN_CH_API : 0;

		if (bit == 0 || (*out & bit))
			return -1;
		*out |= bit;
	}
	return 0;
}

static int parse_model_list(struct json_object *v)
{
	size_t i, j, n;

	if (v == NULL || !json_object_is_type(v, json_type_array))
		return -1;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!is_string(e) || !model_id_valid(json_object_get_string(e),
		    (size_t)json_object_get_string_len(e)))
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(json_object_get_string(e), json_object_get_string(
			    json_object_array_get_idx(v, j))) == 0)
				return -1;
	}
	return 0;
}

static int parse_features(struct json_object *v, const char *where,
    struct buf *err)
{
	struct json_object_iter it;

	if (v == NULL || !json_object_is_type(v, json_type_object))
		return fail(err, "%s: features must be an object", where);
	json_object_object_foreachC(v, it) {
		if (!word_valid(it.key, strlen(it.key), FEATURE_KEY_MAX,
		    FEATURE_CHARS))
			return fail(err, "%s: features keys must be 1-%d "
			    "characters of a-z, 0-9 and _", where,
			    FEATURE_KEY_MAX);
		if (it.val != NULL &&
		    (json_object_is_type(it.val, json_type_boolean) ||
		    json_object_is_type(it.val, json_type_int)))
			continue;
		if (is_string(it.val) &&
		    json_object_get_string_len(it.val) <= FEATURE_STR_MAX)
			continue;
		return fail(err, "%s: features.%s must be a string of at most "
		    "%d bytes, a boolean or an integer", where, it.key,
		    FEATURE_STR_MAX);
	}
	return 0;
}

static int parse_int(struct json_object *v, const struct plan_key *k,
    int nullable, const char *where, int64_t *out, struct buf *err)
{
	int64_t n;

	if (v == NULL && nullable) {
		*out = -1;
		return 0;
	}
	if (v == NULL || !json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < 0)
		return fail(err, "%s: %s must be a non-negative integer%s", where,
		    k->name, nullable ? " or null" : "");
	if (n > k->max)
		return fail(err, "%s: %s must be at most %lld", where, k->name,
		    (long long)k->max);
	*out = n;
	return 0;
}

/* Check one key of the plan object o and store it in p. */
static int parse_key(struct json_object *o, const struct plan_key *k,
    const char *where, struct plan *p, struct buf *err)
{
	struct json_object *v;
	const char *s;
	size_t n, i;

	if (!json_object_object_get_ex(o, k->name, &v))
		return fail(err, "%s: %s is missing", where, k->name);
	s = is_string(v) ? json_object_get_string(v) : NULL;
	n = s ? (size_t)json_object_get_string_len(v) : 0;
	switch (k->type) {
	case PK_CODE:
		if (s == NULL || !word_valid(s, n, PLAN_CODE_MAX, CODE_CHARS))
			return fail(err, "%s: code must be 1-%d characters of "
			    "A-Z, 0-9 and _", where, PLAN_CODE_MAX);
		memcpy(p->code, s, n + 1);
		return 0;
	case PK_NAME:
		if (s == NULL || n == 0 || n > PLAN_NAME_MAX ||
		    strlen(s) != n || strspn(s, " ") == n)
			return fail(err, "%s: name must be a non-blank string of "
			    "at most %d bytes", where, PLAN_NAME_MAX);
		for (i = 0; i < n; i++)
			if ((unsigned char)s[i] < ' ')
				return fail(err, "%s: name must not contain "
				    "control characters", where);
		memcpy(p->name, s, n + 1);
		return 0;
	case PK_COUNT:
		return parse_int(v, k, 0, where, f_i64(p, k), err);
	case PK_LIMIT:
		return parse_int(v, k, 1, where, f_i64(p, k), err);
	case PK_BOOL:
		if (v == NULL || !json_object_is_type(v, json_type_boolean))
			return fail(err, "%s: %s must be true or false", where,
			    k->name);
		*f_int(p, k) = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	case PK_CHANNELS:
		if (parse_channels(v, f_uns(p, k)) != 0)
			return fail(err, "%s: %s must be an array of distinct "
			    "channels among \"ui\" and \"api\"", where, k->name);
		return 0;
	case PK_MODELS:
		for (i = 0; i < PLAN_MODELS__MAX; i++)
			if (s != NULL && strcmp(s, model_names[i]) == 0) {
				p->models = (enum plan_models)i;
				return 0;
			}
		return fail(err, "%s: models must be one of \"free\", "
		    "\"whitelist\", \"blacklist\" and \"all\"", where);
	case PK_MODEL_LIST:
		if (parse_model_list(v) != 0)
			return fail(err, "%s: model_list must be an array of "
			    "distinct model ids (1-%d bytes, no spaces)", where,
			    PLAN_MODEL_ID_MAX);
		if (json_object_deep_copy(v, &p->model_list, NULL) != 0)
			abort();
		return 0;
	case PK_BYOK_MODELS:
		for (i = 0; i < PLAN_BYOK__MAX; i++)
			if (s != NULL && strcmp(s, byok_names[i]) == 0) {
				p->byok_models = (enum plan_byok_models)i;
				return 0;
			}
		return fail(err, "%s: byok_models must be \"none\" or \"all\"",
		    where);
	case PK_FEATURES:
		if (parse_features(v, where, err) != 0)
			return PLAN_INVALID;
		if (json_object_deep_copy(v, &p->features, NULL) != 0)
			abort();
		return 0;
	}
	return fail(err, "%s: %s: unknown key type", where, k->name);
}

static const struct plan_key *key_find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(plan_keys[i].name, name) == 0)
			return &plan_keys[i];
	return NULL;
}

/* Rules between keys of one valid plan. */
static int check_plan(const struct plan *p, const char *where,
    struct buf *err)
{
	size_t nlist = json_object_array_length(p->model_list);

	if ((p->models == PLAN_MODELS_WHITELIST ||
	    p->models == PLAN_MODELS_BLACKLIST) && nlist == 0)
		return fail(err, "%s: model_list must not be empty when models "
		    "is \"%s\"", where, model_names[p->models]);
	if ((p->models == PLAN_MODELS_FREE || p->models == PLAN_MODELS_ALL) &&
	    nlist != 0)
		return fail(err, "%s: model_list must be [] when models is "
		    "\"%s\"", where, model_names[p->models]);
	if ((p->counted_channels & ~p->allowed_channels) != 0)
		return fail(err, "%s: counted_channels must be a subset of "
		    "allowed_channels", where);
	if (!p->api_access && p->api_keys != 0)
		return fail(err, "%s: api_keys must be 0 when api_access is "
		    "false", where);
	if (!p->api_access && (p->allowed_channels & PLAN_CH_API))
		return fail(err, "%s: allowed_channels must not contain "
		    "\"api\" when api_access is false", where);
	if (!p->byok_allowed && p->byok_models != PLAN_BYOK_NONE)
		return fail(err, "%s: byok_models must be \"none\" when "
		    "byok_allowed is false", where);
	if (p->byok_allowed && p->byok_models == PLAN_BYOK_NONE)
		return fail(err, "%s: byok_models must not be \"none\" when "
		    "byok_allowed is true", where);
	if (!p->byok_allowed && p->price_byok_monthly_cents != -1)
		return fail(err, "%s: price_byok_monthly_cents must be null "
		    "when byok_allowed is false", where);
	if (!p->byok_allowed && p->price_byok_annual_cents != -1)
		return fail(err, "%s: price_byok_annual_cents must be null "
		    "when byok_allowed is false", where);
	if ((p->soft_cap_per_month == -1) != (p->throttle_per_minute == -1))
		return fail(err, "%s: soft_cap_per_month and "
		    "throttle_per_minute must both be null or both be set",
		    where);
	if (p->soft_cap_per_month != -1 && p->executions_per_month != -1 &&
	    p->soft_cap_per_month > p->executions_per_month)
		return fail(err, "%s: soft_cap_per_month must not exceed "
		    "executions_per_month", where);
	if (p->seats_included != -1 && p->seats_max != -1 &&
	    p->seats_included > p->seats_max)
		return fail(err, "%s: seats_included must not exceed seats_max",
		    where);
	return 0;
}

/* Check the idx-th plan object o of a catalog into p. */
static int parse_plan(struct json_object *o, size_t idx, struct plan *p,
    struct buf *err)
{
	struct json_object_iter it;
	char where[64];
	size_t i;

	memset(p, 0, sizeof(*p));
	snprintf(where, sizeof(where), "plan #%zu", idx + 1);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return fail(err, "%s: must be an object", where);
	if (parse_key(o, &plan_keys[0], where, p, err) != 0)
		return PLAN_INVALID;
	snprintf(where, sizeof(where), "plan %s", p->code);
	json_object_object_foreachC(o, it)
		if (key_find(it.key) == NULL)
			return fail(err, "%s: unknown key %.64s", where, it.key);
	for (i = 1; i < NKEYS; i++)
		if (parse_key(o, &plan_keys[i], where, p, err) != 0)
			return PLAN_INVALID;
	return check_plan(p, where, err);
}

/* The document as a json-c value (caller puts), or NULL with a message. */
static struct json_object *parse_json(const char *text, size_t len,
    struct buf *err)
{
	struct json_error e;
	struct json_object *o;

	if (len > PLAN_FILE_MAX) {
		fail(err, "catalog is larger than %d bytes", PLAN_FILE_MAX);
		return NULL;
	}
	o = json_parse_strict(text, len, &e);
	if (o == NULL && e.kind != JSON_ERR_NULL) {
		fail(err, "invalid JSON at byte %zu: %s", e.offset,
		    e.kind == JSON_ERR_NUL ? "NUL character in a string" :
		    e.detail);
		return NULL;
	}
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		fail(err, "catalog must be a JSON object");
		return NULL;
	}
	return o;
}

static int parse_catalog(struct json_object *doc, struct plan_catalog *out,
    struct buf *err)
{
	static const char *const top[] = {
		"catalog", "description", "notes", "plans"
	};
	struct json_object_iter it;
	struct json_object *v, *plans;
	const char *s;
	size_t i, j, n, ndef = 0, first = 0;

	json_object_object_foreachC(doc, it) {
		for (i = 0; i < NELEM(top); i++)
			if (strcmp(it.key, top[i]) == 0)
				break;
		if (i == NELEM(top))
			return fail(err, "catalog: unknown key %.64s", it.key);
	}
	for (i = 0; i < NELEM(top); i++)
		if (!json_object_object_get_ex(doc, top[i], NULL))
			return fail(err, "catalog: %s is missing", top[i]);
	json_object_object_get_ex(doc, "catalog", &v);
	s = is_string(v) ? json_object_get_string(v) : NULL;
	if (s == NULL || !word_valid(s, (size_t)json_object_get_string_len(v),
	    PLAN_CATALOG_MAX, CATALOG_CHARS))
		return fail(err, "catalog: catalog must be 1-%d characters of "
		    "a-z, 0-9 and -", PLAN_CATALOG_MAX);
	memcpy(out->name, s, strlen(s) + 1);
	json_object_object_get_ex(doc, "description", &v);
	if (!is_string(v))
		return fail(err, "catalog: description must be a string");
	out->description = xstrdup(json_object_get_string(v));
	json_object_object_get_ex(doc, "notes", &v);
	if (!is_string(v))
		return fail(err, "catalog: notes must be a string");
	out->notes = xstrdup(json_object_get_string(v));
	json_object_object_get_ex(doc, "plans", &plans);
	if (plans == NULL || !json_object_is_type(plans, json_type_array) ||
	    (n = json_object_array_length(plans)) == 0 || n > PLANS_MAX)
		return fail(err, "catalog: plans must be an array of 1 to %d "
		    "plans", PLANS_MAX);
	out->plans = xcalloc(n, sizeof(*out->plans));
	for (i = 0; i < n; i++) {
		struct plan *p = &out->plans[i];

		if (parse_plan(json_object_array_get_idx(plans, i), i, p,
		    err) != 0) {
			out->nplans = i + 1;
			return PLAN_INVALID;
		}
		out->nplans = i + 1;
		memcpy(p->catalog, out->name, sizeof(p->catalog));
		for (j = 0; j < i; j++)
			if (strcmp(out->plans[j].code, p->code) == 0)
				return fail(err, "plan %s: duplicate code",
				    p->code);
		if (p->is_default && ndef++ == 0)
			first = i;
		else if (p->is_default)
			return fail(err, "catalog: plans %s and %s are both the "
			    "default (exactly one must be)",
			    out->plans[first].code, p->code);
	}
	if (ndef == 0)
		return fail(err, "catalog: no plan is the default (exactly one "
		    "must be)");
	return 0;
}

int plans_parse(const char *json_text, size_t len, struct plan_catalog *out,
    struct buf *err)
{
	struct json_object *doc;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((doc = parse_json(json_text, len, err)) == NULL)
		return PLAN_INVALID;
	rc = parse_catalog(doc, out, err);
	json_object_put(doc);
	if (rc != 0)
		plan_catalog_free(out);
	return rc;
}

/* ------------------------------------------------------------ pure helpers */

int plan_model_allowed(const struct plan *p, const char *model_id,
    int model_is_free_tier)
{
	size_t i, n;
	int listed = 0;

	if (p == NULL || model_id == NULL || model_id[0] == '\0')
		return 0;
	switch (p->models) {
	case PLAN_MODELS_FREE:
		return model_is_free_tier ? 1 : 0;
	case PLAN_MODELS_ALL:
		return 1;
	case PLAN_MODELS_WHITELIST:
	case PLAN_MODELS_BLACKLIST:
		n = p->model_list ? json_object_array_length(p->model_list) : 0;
		for (i = 0; i < n && !listed; i++)
			listed = strcmp(model_id, json_object_get_string(
			    json_object_array_get_idx(p->model_list, i))) == 0;
		return p->models == PLAN_MODELS_WHITELIST ? listed : !listed;
	case PLAN_MODELS__MAX:
		break;
	}
	return 0;
}

int64_t plan_seat_limit(const struct plan *p, int64_t limit, int64_t seats)
{
	if (limit < 0)
		return -1;
	if (!p->limits_per_seat || seats <= 1)
		return limit;
	if (limit > INT64_MAX / seats)
		return INT64_MAX;
	return limit * seats;
}

static struct json_object *json_copy(struct json_object *v)
{
	struct json_object *c = NULL;

	if (v != NULL && json_object_deep_copy(v, &c, NULL) != 0)
		abort();
	return c;
}

static struct json_object *channels_json(unsigned bits)
{
	struct json_object *a = json_object_new_array();

	if (bits & PLAN_CH_UI)
		json_object_array_add(a, json_object_new_string("ui"));
	if (bits & PLAN_CH_API)
		json_object_array_add(a, json_object_new_string("api"));
	return a;
}

struct json_object *plan_to_json(const struct plan *p)
{
	struct json_object *o = json_object_new_object(), *v = NULL;
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct plan_key *k = &plan_keys[i];

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			v = json_object_new_string(c_str(p, k));
			break;
		case PK_COUNT:
			v = json_object_new_int64(c_i64(p, k));
			break;
		case PK_LIMIT:
			v = c_i64(p, k) < 0 ? NULL :
			    json_object_new_int64(c_i64(p, k));
			break;
		case PK_BOOL:
			v = json_object_new_boolean(c_int(p, k));
			break;
		case PK_CHANNELS:
			v = channels_json(c_uns(p, k));
			break;
		case PK_MODELS:
			v = json_object_new_string(model_names[p->models]);
			break;
		case PK_MODEL_LIST:
			v = p->model_list ? json_copy(p->model_list) :
			    json_object_new_array();
			break;
		case PK_BYOK_MODELS:
			v = json_object_new_string(byok_names[p->byok_models]);
			break;
		case PK_FEATURES:
			v = p->features ? json_copy(p->features) :
			    json_object_new_object();
			break;
		}
		json_object_object_add(o, k->name, v);
	}
	return o;
}

/* Whether a and b have the same value for every catalog key. */
static int plan_equal(const struct plan *a, const struct plan *b)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct plan_key *k = &plan_keys[i];
		int same = 1;

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			same = strcmp(c_str(a, k), c_str(b, k)) == 0;
			break;
		case PK_COUNT:
		case PK_LIMIT:
			same = c_i64(a, k) == c_i64(b, k);
			break;
		case PK_BOOL:
			same = c_int(a, k) == c_int(b, k);
			break;
		case PK_CHANNELS:
			same = c_uns(a, k) == c_uns(b, k);
			break;
		case PK_MODELS:
			same = a->models == b->models;
			break;
		case PK_BYOK_MODELS:
			same = a->byok_models == b->byok_models;
			break;
		case PK_MODEL_LIST:
			same = json_object_equal(a->model_list, b->model_list);
			break;
		case PK_FEATURES:
			same = json_object_equal(a->features, b->features);
			break;
		}
		if (!same)
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------ rows */

/* Fill args with p's values for PLAN_COLS; returns how many (NKEYS). The
 * JSON texts point into p's objects and live as long as they do. */
static size_t plan_bind(const struct plan *p, struct dbv *args)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		const struct plan_key *k = &plan_keys[i];

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			args[i] = db_s(c_str(p, k));
			break;
		case PK_COUNT:
			args[i] = db_i(c_i64(p, k));
			break;
		case PK_LIMIT:
			args[i] = c_i64(p, k) < 0 ? db_null() : db_i(c_i64(p, k));
			break;
		case PK_BOOL:
			args[i] = db_i(c_int(p, k));
			break;
		case PK_CHANNELS:
			args[i] = db_s(channel_sets[c_uns(p, k) & 3]);
			break;
		case PK_MODELS:
			args[i] = db_s(model_names[p->models]);
			break;
		case PK_BYOK_MODELS:
			args[i] = db_s(byok_names[p->byok_models]);
			break;
		case PK_MODEL_LIST:
			args[i] = db_s(json_object_to_json_string_ext(
			    p->model_list, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			break;
		case PK_FEATURES:
			args[i] = db_s(json_object_to_json_string_ext(
			    p->features, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			break;
		}
	}
	return NKEYS;
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* Read row of res (columns: id, catalog, PLAN_COLS) into p. Returns 0, or
 * DB_ERROR when a stored value is malformed (p then freed). */
static int plan_from_row(const struct db_res *res, size_t row, struct plan *p)
{
	const char *cat = db_str(res, row, 1);
	size_t i;
	int e;

	memset(p, 0, sizeof(*p));
	p->id = db_int(res, row, 0);
	if (cat == NULL || strlen(cat) > PLAN_CATALOG_MAX)
		return DB_ERROR;
	memcpy(p->catalog, cat, strlen(cat) + 1);
	for (i = 0; i < NKEYS; i++) {
		const struct plan_key *k = &plan_keys[i];
		const char *s = db_str(res, row, i + 2);

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			if (s == NULL || strlen(s) >= (k->type == PK_CODE ?
			    sizeof(p->code) : sizeof(p->name)))
				goto bad;
			memcpy((char *)p + k->off, s, strlen(s) + 1);
			break;
		case PK_COUNT:
			*f_i64(p, k) = db_int(res, row, i + 2);
			break;
		case PK_LIMIT:
			*f_i64(p, k) = s ? db_int(res, row, i + 2) : -1;
			break;
		case PK_BOOL:
			*f_int(p, k) = db_int(res, row, i + 2) != 0;
			break;
		case PK_CHANNELS:
			if ((e = lookup(channel_sets, NELEM(channel_sets), s)) < 0)
				goto bad;
			*f_uns(p, k) = (unsigned)e;
			break;
		case PK_MODELS:
			if ((e = lookup(model_names, PLAN_MODELS__MAX, s)) < 0)
				goto bad;
			p->models = (enum plan_models)e;
			break;
		case PK_BYOK_MODELS:
			if ((e = lookup(byok_names, PLAN_BYOK__MAX, s)) < 0)
				goto bad;
			p->byok_models = (enum plan_byok_models)e;
			break;
		case PK_MODEL_LIST:
			if (s == NULL || (p->model_list = json_tokener_parse(s))
			    == NULL || !json_object_is_type(p->model_list,
			    json_type_array))
				goto bad;
			break;
		case PK_FEATURES:
			if (s == NULL || (p->features = json_tokener_parse(s))
			    == NULL || !json_object_is_type(p->features,
			    json_type_object))
				goto bad;
			break;
		}
	}
	return 0;
bad:
	plan_free(p);
	return DB_ERROR;
}

/* ------------------------------------------------------------ queries */

static const char sql_active[] =
    "SELECT value FROM app_settings WHERE name = 'plans.catalog'";
static const char sql_active_lock[] =
    "SELECT value FROM app_settings WHERE name = 'plans.catalog' FOR UPDATE";
static const char sql_set_active[] =
    "INSERT INTO app_settings (name, value) VALUES ('plans.catalog', ?)"
    " ON DUPLICATE KEY UPDATE value = VALUES(value)";
static const char sql_snapshot[] = PLAN_SELECT
    " FROM plans WHERE catalog = ? ORDER BY id FOR UPDATE";
static const char sql_insert[] = "INSERT INTO plans (catalog, " PLAN_COLS
    ", created_at, updated_at) VALUES (?, "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_update[] = "UPDATE plans SET code = ?, name = ?,"
    " position = ?, is_default = ?, is_public = ?, price_monthly_cents = ?,"
    " price_annual_cents = ?, price_byok_monthly_cents = ?,"
    " price_byok_annual_cents = ?, price_per_seat = ?, price_custom = ?,"
    " executions_per_day = ?, executions_per_month = ?, limits_per_seat = ?,"
    " counted_channels = ?, allowed_channels = ?, burst_per_minute = ?,"
    " burst_per_day = ?, soft_cap_per_month = ?, throttle_per_minute = ?,"
    " models = ?, model_list = ?, byok_models = ?, api_access = ?,"
    " api_keys = ?, byok_allowed = ?, log_retention_days = ?,"
    " cache_ttl_hours = ?, daily_spend_cap_micros = ?,"
    " monthly_budget_micros = ?, max_tokens_per_execution = ?,"
    " sandbox_tries_per_day = ?, seats_included = ?, seats_max = ?,"
    " features = ?, updated_at = ? WHERE id = ?";
static const char sql_clear_default[] = "UPDATE plans SET is_default = 0,"
    " updated_at = ? WHERE catalog = ? AND is_default = 1 AND code <> ?";
static const char sql_retire[] = "UPDATE plans SET is_public = 0,"
    " is_default = 0, updated_at = ? WHERE id = ?";
/* The assigned plan when it is in the active catalog, else the default. */
static const char sql_for_user[] = PLAN_SELECT ", (SELECT up.source FROM"
    " user_plans up WHERE up.user_id = ? AND up.plan_id = plans.id)"
    " FROM plans WHERE catalog = (SELECT value FROM app_settings"
    " WHERE name = 'plans.catalog') AND (is_default = 1 OR id ="
    " (SELECT plan_id FROM user_plans WHERE user_id = ?))"
    " ORDER BY is_default ASC LIMIT 1";
static const char sql_public[] = PLAN_SELECT
    " FROM plans WHERE catalog = ? AND is_public = 1 ORDER BY position, code";
static const char sql_plan_id[] =
    "SELECT id FROM plans WHERE catalog = ? AND code = ?";
static const char sql_codes[] =
    "SELECT code FROM plans WHERE catalog = ? ORDER BY position, code";
static const char sql_assign[] = "INSERT INTO user_plans"
    " (user_id, plan_id, source, assigned_at) VALUES (?, ?, 'admin', ?)"
    " ON DUPLICATE KEY UPDATE plan_id = VALUES(plan_id),"
    " source = VALUES(source), assigned_at = VALUES(assigned_at)";

/* The active catalog's name into out (PLAN_CATALOG_MAX + 1 bytes). Returns
 * 1, 0 when none is set, or a db_err. */
static int active_catalog(struct db *db, const char *sql, char *out)
{
	struct db_res res;
	int64_t n = db_query(db, sql, DB_NOARGS, &res);
	const char *v = db_str(&res, 0, 0);

	out[0] = '\0';
	if (n > 0 && v != NULL && strlen(v) <= PLAN_CATALOG_MAX)
		memcpy(out, v, strlen(v) + 1);
	db_res_free(&res);
	return n < 0 ? (int)n : out[0] != '\0';
}

struct load_ctx {
	const struct plan_catalog *cat;
	int64_t		 now;
	struct buf	 lines;		/* one line per changed plan */
	int		 added, updated, retired;
	char		 was[PLAN_CATALOG_MAX + 1];	/* previous active */
};

static const struct plan *find_code(const struct plan *plans, size_t n,
    const char *code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(plans[i].code, code) == 0)
			return &plans[i];
	return NULL;
}

/* The body of plans_load()'s transaction; starts from scratch when
 * db_tx() runs it again. */
static int load_tx(struct db *db, void *arg)
{
	struct load_ctx *c = arg;
	const struct plan_catalog *cat = c->cat;
	const struct plan *def = NULL, *old;
	struct dbv args[NKEYS + 3];
	struct plan *snap = NULL;
	struct db_res res;
	size_t nsnap = 0, i, n;
	int64_t rc;

	buf_reset(&c->lines);
	c->added = c->updated = c->retired = 0;
	if ((rc = active_catalog(db, sql_active_lock, c->was)) < 0)
		return (int)rc;
	rc = db_query(db, sql_snapshot, DB_ARGS(db_s(cat->name)), &res);
	if (rc > 0) {
		snap = xcalloc((size_t)rc, sizeof(*snap));
		for (nsnap = 0; nsnap < res.nrows && rc >= 0; nsnap++)
			if (plan_from_row(&res, nsnap, &snap[nsnap]) != 0)
				rc = DB_ERROR;
	}
	db_res_free(&res);
	if (rc < 0)
		goto out;
	for (i = 0; i < cat->nplans; i++)
		if (cat->plans[i].is_default)
			def = &cat->plans[i];
	/* The unique default key allows one default: clear the old one
	 * before another plan becomes it. */
	if ((rc = db_exec(db, sql_clear_default, DB_ARGS(db_i(c->now),
	    db_s(cat->name), db_s(def->code)))) < 0)
		goto out;
	for (i = 0; i < cat->nplans; i++) {
		const struct plan *p = &cat->plans[i];

		n = plan_bind(p, args);
		if ((old = find_code(snap, nsnap, p->code)) == NULL) {
			memmove(args + 1, args, n * sizeof(*args));
			args[0] = db_s(cat->name);
			args[n + 1] = db_i(c->now);
			args[n + 2] = db_i(c->now);
			if ((rc = db_exec(db, sql_insert, args, n + 3)) < 0)
				goto out;
			c->added++;
			buf_printf(&c->lines, "\n  added   %s (%s)", p->code,
			    p->name);
		} else if (!plan_equal(old, p)) {
			args[n] = db_i(c->now);
			args[n + 1] = db_i(old->id);
			if ((rc = db_exec(db, sql_update, args, n + 2)) < 0)
				goto out;
			c->updated++;
			buf_printf(&c->lines, "\n  updated %s (%s)", p->code,
			    p->name);
		}
	}
	for (i = 0; i < nsnap; i++) {
		old = &snap[i];
		if (find_code(cat->plans, cat->nplans, old->code) != NULL ||
		    (!old->is_public && !old->is_default))
			continue;
		if ((rc = db_exec(db, sql_retire, DB_ARGS(db_i(c->now),
		    db_i(old->id)))) < 0)
			goto out;
		c->retired++;
		buf_printf(&c->lines, "\n  retired %s (%s): not in the file, "
		    "kept for its users, no longer public", old->code,
		    old->name);
	}
	if (strcmp(c->was, cat->name) != 0 &&
	    (rc = db_exec(db, sql_set_active, DB_ARGS(db_s(cat->name)))) < 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < nsnap; i++)
		plan_free(&snap[i]);
	free(snap);
	return (int)rc;
}

int plans_load(struct db *db, const char *path, int64_t now,
    struct buf *report, struct buf *err)
{
	struct plan_catalog cat;
	struct buf text = { 0 }, perr = { 0 };
	struct load_ctx c;
	int rc, changed;

	memset(&cat, 0, sizeof(cat));
	if (buf_read_file(&text, path, PLAN_FILE_MAX) != 0) {
		rc = errno == EFBIG ? fail(err, "%s: catalog is larger than %d"
		    " bytes", path, PLAN_FILE_MAX) :
		    fail(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = plans_parse(text.data ? text.data : "", text.len, &cat,
	    &perr)) != 0) {
		fail(err, "%s: %s", path, buf_cstr(&perr));
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.cat = &cat;
	c.now = now;
	if ((rc = db_tx(db, load_tx, &c)) != 0) {
		fail(err, "cannot load %s: %s", path, db_strerror(rc));
		buf_free(&c.lines);
		goto out;
	}
	changed = c.added + c.updated + c.retired;
	buf_printf(report, "catalog %s (%s): %zu plan%s, %d changed (%d added, "
	    "%d updated, %d retired); active catalog: %s", cat.name, path,
	    cat.nplans, cat.nplans == 1 ? "" : "s", changed, c.added,
	    c.updated, c.retired, cat.name);
	if (strcmp(c.was, cat.name) == 0)
		buf_puts(report, " (unchanged)");
	else
		buf_printf(report, " (was %s)", c.was[0] ? c.was : "none");
	buf_append(report, c.lines.data ? c.lines.data : "", c.lines.len);
	buf_free(&c.lines);
out:
	plan_catalog_free(&cat);
	buf_free(&text);
	buf_free(&perr);
	return rc;
}

int plan_for_user(struct db *db, int64_t user_id, struct plan *out)
{
	struct db_res res;
	const char *src;
	int64_t n;
	int rc, s;

	memset(out, 0, sizeof(*out));
	n = db_query(db, sql_for_user, DB_ARGS(db_i(user_id), db_i(user_id)),
	    &res);
	if (n <= 0) {
		db_res_free(&res);
		return n < 0 ? (int)n : PLAN_NOCATALOG;
	}
	if ((rc = plan_from_row(&res, 0, out)) == 0) {
		src = db_str(&res, 0, NKEYS + 2);
		s = lookup(source_names, PLAN_SOURCE__MAX, src);
		out->source = s > 0 ? (enum plan_source)s : PLAN_SOURCE_DEFAULT;
	}
	db_res_free(&res);
	return rc;
}

int plans_each_public(struct db *db, char *catalog,
    int (*fn)(const struct plan *, void *), void *arg)
{
	char cat[PLAN_CATALOG_MAX + 1];
	struct db_res res;
	struct plan p;
	int64_t n;
	size_t i;
	int rc;

	if ((rc = active_catalog(db, sql_active, cat)) <= 0)
		return rc < 0 ? rc : PLAN_NOCATALOG;
	if (catalog != NULL)
		memcpy(catalog, cat, sizeof(cat));
	if ((n = db_query(db, sql_public, DB_ARGS(db_s(cat)), &res)) < 0) {
		db_res_free(&res);
		return (int)n;
	}
	for (rc = 0, i = 0; rc == 0 && i < res.nrows; i++) {
		if (plan_from_row(&res, i, &p) != 0) {
			rc = DB_ERROR;
			break;
		}
		rc = fn(&p, arg);
		plan_free(&p);
	}
	db_res_free(&res);
	return rc < 0 ? rc : 0;
}

static int add_json(const struct plan *p, void *arr)
{
	json_object_array_add(arr, plan_to_json(p));
	return 0;
}

int plans_list_public(struct db *db, struct json_object **out)
{
	char cat[PLAN_CATALOG_MAX + 1];
	struct json_object *arr = json_object_new_array();
	int rc;

	*out = NULL;
	if ((rc = plans_each_public(db, cat, add_json, arr)) != 0) {
		json_object_put(arr);
		return rc;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "catalog", json_object_new_string(cat));
	json_object_object_add(*out, "plans", arr);
	return 0;
}

/* Copy code upper-cased into out (PLAN_CODE_MAX + 1 bytes). Returns 0, or
 * -1 when code is longer than PLAN_CODE_MAX. */
static int code_upper(const char *code, char *out)
{
	size_t i;

	for (i = 0; code[i] != '\0' && i < PLAN_CODE_MAX; i++)
		out[i] = (code[i] >= 'a' && code[i] <= 'z') ?
		    (char)(code[i] - 'a' + 'A') : code[i];
	out[i] = '\0';
	return code[i] == '\0' ? 0 : -1;
}

/* The id of the plan code of catalog cat, 0 when there is none, or a
 * db_err. */
static int64_t plan_id_of(struct db *db, const char *cat, const char *code)
{
	struct db_res res;
	int64_t n = db_query(db, sql_plan_id, DB_ARGS(db_s(cat), db_s(code)),
	    &res);
	int64_t id = n > 0 ? db_int(&res, 0, 0) : 0;

	db_res_free(&res);
	return n < 0 ? n : id;
}

struct assign_tx {
	int64_t	 user_id, now;
	char	 code[PLAN_CODE_MAX + 1];	/* "" when too long */
	char	 cat[PLAN_CATALOG_MAX + 1];
};

/* Assign in one transaction that holds the active-catalog row, so a
 * catalog switch (plans_load takes the same lock) cannot come between
 * choosing the plan and assigning it. */
static int assign_fn(struct db *db, void *arg)
{
	struct assign_tx *t = arg;
	int64_t rc, plan_id = 0;

	if ((rc = active_catalog(db, sql_active_lock, t->cat)) <= 0)
		return rc < 0 ? (int)rc : PLAN_NOCATALOG;
	if (t->code[0] != '\0' && (plan_id = plan_id_of(db, t->cat, t->code)) < 0)
		return (int)plan_id;
	if (plan_id == 0)
		return PLAN_NOTFOUND;
	rc = db_exec(db, sql_assign, DB_ARGS(db_i(t->user_id), db_i(plan_id),
	    db_i(t->now)));
	return rc < 0 ? (int)rc : 0;
}

int plan_set_for_user(struct db *db, const char *email, const char *code,
    int64_t now, struct buf *err)
{
	char norm[EMAIL_MAX + 1];
	struct assign_tx t = { 0 };
	struct user_row u;
	struct db_res res;
	int64_t rc;
	size_t i;

	if (email_check(email, norm) != NULL) {
		buf_printf(err, "invalid email address \"%.254s\"", email);
		return PLAN_NOTFOUND;
	}
	if ((rc = user_find_by_email(db, norm, &u)) <= 0) {
		if (rc == 0) {
			buf_printf(err, "no user with email %s", norm);
			return PLAN_NOTFOUND;
		}
		goto dberr;
	}
	t.user_id = u.id;
	t.now = now;
	if (code_upper(code, t.code) != 0)
		t.code[0] = '\0';
	rc = db_tx(db, assign_fn, &t);
	if (rc == PLAN_NOCATALOG) {
		buf_puts(err, "no plan catalog is loaded (pm-admin plans load FILE)");
		return PLAN_NOCATALOG;
	}
	if (rc == PLAN_NOTFOUND) {
		buf_printf(err, "unknown plan \"%.64s\" in catalog %s (valid "
		    "plans:", code, t.cat);
		rc = db_query(db, sql_codes, DB_ARGS(db_s(t.cat)), &res);
		for (i = 0; i < res.nrows; i++)
			buf_printf(err, "%s %s", i ? "," : "", db_str(&res, i, 0));
		buf_puts(err, ")");
		db_res_free(&res);
		return rc < 0 ? (int)rc : PLAN_NOTFOUND;
	}
	if (rc == 0)
		return 0;
dberr:
	buf_printf(err, "database error: %s", db_strerror((int)rc));
	return (int)rc;
}

/* ------------------------------------------------------------ pm-admin */

int admin_plans_load(struct db *db, char **argv)
{
	struct buf report = { 0 }, err = { 0 };
	const char *path = argv[0];
	char alt[1024];
	size_t len = strlen(path);
	int rc;

	/* A bare name that is not a file here: look in plans_dir. */
	if (strchr(path, '/') == NULL && access(path, F_OK) != 0 &&
	    cfg != NULL && cfg_str(CFG_PLANS_DIR)[0] != '\0') {
		snprintf(alt, sizeof(alt), "%s/%s%s", cfg_str(CFG_PLANS_DIR),
		    path, len > 5 && strcmp(path + len - 5, ".json") == 0 ?
		    "" : ".json");
		if (access(alt, F_OK) == 0)
			path = alt;
	}
	rc = plans_load(db, path, clock_now(), &report, &err);
	if (rc == 0)
		printf("%s\n", buf_cstr(&report));
	else
		fprintf(stderr, "pm-admin: %s\n", buf_cstr(&err));
	buf_free(&report);
	buf_free(&err);
	return rc == 0 ? 0 : 1;
}

int admin_set_plan(struct db *db, char **argv)
{
	struct buf err = { 0 };
	char code[PLAN_CODE_MAX + 1];
	int rc = plan_set_for_user(db, argv[0], argv[1], clock_now(), &err);

	if (rc == 0) {
		code_upper(argv[1], code);
		printf("plan %s assigned to %s\n", code, argv[0]);
	} else
		fprintf(stderr, "pm-admin: %s\n", buf_cstr(&err));
	buf_free(&err);
	return rc == 0 ? 0 : 1;
}
