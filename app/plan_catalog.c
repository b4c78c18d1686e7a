/* plan_catalog.c - plan catalogs as data: the key table, the parser of
 * catalog files (conf/plans/README.md) and what a plan allows. Pure: no
 * database. */
#include "plan_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"
#include "msg.h"
#include "util.h"

#define F(m)		offsetof(struct plan, m)
#define BIG		1000000000000000LL	/* 10^15 */

/* Every key of a catalog plan, in the order of the messages of
 * plans_parse(), with its column in the plans table (the same name except
 * "default" and "public"). */
const struct plan_key plan_keys[] = {
	{ "code", "code", PK_CODE, F(code), 0 },
	{ "name", "name", PK_NAME, F(name), 0 },
	{ "position", "position", PK_COUNT, F(position), 1000000 },
	{ "default", "is_default", PK_BOOL, F(is_default), 0 },
	{ "public", "is_public", PK_BOOL, F(is_public), 0 },
	{ "price_monthly_cents", "price_monthly_cents", PK_LIMIT, F(price_monthly_cents), BIG },
	{ "price_annual_cents", "price_annual_cents", PK_LIMIT, F(price_annual_cents), BIG },
	{ "price_byok_monthly_cents", "price_byok_monthly_cents", PK_LIMIT, F(price_byok_monthly_cents), BIG },
	{ "price_byok_annual_cents", "price_byok_annual_cents", PK_LIMIT, F(price_byok_annual_cents), BIG },
	{ "price_per_seat", "price_per_seat", PK_BOOL, F(price_per_seat), 0 },
	{ "price_custom", "price_custom", PK_BOOL, F(price_custom), 0 },
	{ "executions_per_day", "executions_per_day", PK_LIMIT, F(executions_per_day), BIG },
	{ "executions_per_month", "executions_per_month", PK_LIMIT, F(executions_per_month), BIG },
	{ "limits_per_seat", "limits_per_seat", PK_BOOL, F(limits_per_seat), 0 },
	{ "counted_channels", "counted_channels", PK_CHANNELS, F(counted_channels), 0 },
	{ "allowed_channels", "allowed_channels", PK_CHANNELS, F(allowed_channels), 0 },
	{ "burst_per_minute", "burst_per_minute", PK_LIMIT, F(burst_per_minute), BIG },
	{ "burst_per_day", "burst_per_day", PK_LIMIT, F(burst_per_day), BIG },
	{ "soft_cap_per_month", "soft_cap_per_month", PK_LIMIT, F(soft_cap_per_month), BIG },
	{ "throttle_per_minute", "throttle_per_minute", PK_LIMIT, F(throttle_per_minute), BIG },
	{ "models", "models", PK_MODELS, F(models), 0 },
	{ "model_list", "model_list", PK_MODEL_LIST, F(model_list), 0 },
	{ "byok_models", "byok_models", PK_BYOK_MODELS, F(byok_models), 0 },
	{ "api_access", "api_access", PK_BOOL, F(api_access), 0 },
	{ "api_keys", "api_keys", PK_LIMIT, F(api_keys), BIG },
	{ "byok_allowed", "byok_allowed", PK_BOOL, F(byok_allowed), 0 },
	{ "log_retention_days", "log_retention_days", PK_LIMIT, F(log_retention_days), BIG },
	{ "cache_ttl_hours", "cache_ttl_hours", PK_LIMIT, F(cache_ttl_hours), BIG },
	{ "daily_spend_cap_micros", "daily_spend_cap_micros", PK_LIMIT, F(daily_spend_cap_micros), BIG },
	{ "monthly_budget_micros", "monthly_budget_micros", PK_LIMIT, F(monthly_budget_micros), BIG },
	{ "max_tokens_per_execution", "max_tokens_per_execution", PK_LIMIT, F(max_tokens_per_execution), BIG },
	{ "max_concurrent_executions", "max_concurrent_executions", PK_LIMIT, F(max_concurrent_executions), 1000000 },
	{ "sandbox_tries_per_day", "sandbox_tries_per_day", PK_LIMIT, F(sandbox_tries_per_day), BIG },
	{ "seats_included", "seats_included", PK_LIMIT, F(seats_included), BIG },
	{ "seats_max", "seats_max", PK_LIMIT, F(seats_max), BIG },
	{ "features", "features", PK_FEATURES, F(features), 0 },
};
const size_t nplan_keys = NELEM(plan_keys);
_Static_assert(NELEM(plan_keys) <= PLAN_KEYS_MAX, "raise PLAN_KEYS_MAX");

const char *const plan_model_names[PLAN_MODELS__MAX] = {
	"free", "whitelist", "blacklist", "all"
};
const char *const plan_byok_names[PLAN_BYOK__MAX] = { "none", "all" };
const char *const plan_source_names[PLAN_SOURCE__MAX] = {
	"file", "default", "admin", "stripe"
};
const char *const plan_channel_sets[4] = { "", "ui", "api", "ui,api" };

int plan_name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

const char *plan_source_name(enum plan_source s)
{
	return (unsigned)s < PLAN_SOURCE__MAX ? plan_source_names[s] : "unknown";
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

/* Refuse the catalog with the sentence key about where (a plan or the
 * catalog). Returns PM_INVALID. */
static int fail(struct pm_fail *f, const char *key, const char *where)
{
	pm_refuse(f, PM_INVALID, key, NULL);
	pm_fail_arg(f, "where", "%s", where);
	return PM_INVALID;
}

/* The same, naming the key too. */
static int fail_key(struct pm_fail *f, const char *key, const char *where,
    const char *name)
{
	fail(f, key, where);
	pm_fail_arg(f, "key", "%.64s", name);
	return PM_INVALID;
}

/* The same with a {max}. */
static int fail_max(struct pm_fail *f, const char *key, const char *where,
    long long max)
{
	fail(f, key, where);
	pm_fail_arg(f, "max", "%lld", max);
	return PM_INVALID;
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
    struct pm_fail *f)
{
	struct json_object_iter it;

	if (v == NULL || !json_object_is_type(v, json_type_object))
		return fail(f, "catalog.features_object", where);
	json_object_object_foreachC(v, it) {
		if (!word_valid(it.key, strlen(it.key), FEATURE_KEY_MAX,
		    FEATURE_CHARS))
			return fail_max(f, "catalog.features_keys", where,
			    FEATURE_KEY_MAX);
		if (it.val != NULL &&
		    (json_object_is_type(it.val, json_type_boolean) ||
		    json_object_is_type(it.val, json_type_int)))
			continue;
		if (is_string(it.val) &&
		    json_object_get_string_len(it.val) <= FEATURE_STR_MAX)
			continue;
		fail_key(f, "catalog.feature_value", where, it.key);
		pm_fail_arg(f, "max", "%d", FEATURE_STR_MAX);
		return PM_INVALID;
	}
	return 0;
}

static int parse_int(struct json_object *v, const struct plan_key *k,
    int nullable, const char *where, int64_t *out, struct pm_fail *f)
{
	int64_t n;

	if (v == NULL && nullable) {
		*out = -1;
		return 0;
	}
	if (v == NULL || !json_object_is_type(v, json_type_int) ||
	    (n = json_object_get_int64(v)) < 0)
		return fail_key(f, nullable ? "catalog.int_or_null" :
		    "catalog.int", where, k->name);
	if (n > k->max) {
		fail_key(f, "catalog.int_max", where, k->name);
		pm_fail_arg(f, "max", "%lld", (long long)k->max);
		return PM_INVALID;
	}
	*out = n;
	return 0;
}

/* Check one key of the plan object o and store it in p. */
static int parse_key(struct json_object *o, const struct plan_key *k,
    const char *where, struct plan *p, struct pm_fail *f)
{
	struct json_object *v;
	const char *s;
	size_t n, i;

	if (!json_object_object_get_ex(o, k->name, &v))
		return fail_key(f, "catalog.missing", where, k->name);
	s = is_string(v) ? json_object_get_string(v) : NULL;
	n = s ? (size_t)json_object_get_string_len(v) : 0;
	switch (k->type) {
	case PK_CODE:
		if (s == NULL || !word_valid(s, n, PLAN_CODE_MAX, CODE_CHARS))
			return fail_max(f, "catalog.code", where, PLAN_CODE_MAX);
		memcpy(p->code, s, n + 1);
		return 0;
	case PK_NAME:
		if (s == NULL || n == 0 || n > PLAN_NAME_MAX ||
		    strlen(s) != n || strspn(s, " ") == n)
			return fail_max(f, "catalog.name", where, PLAN_NAME_MAX);
		for (i = 0; i < n; i++)
			if ((unsigned char)s[i] < ' ')
				return fail(f, "catalog.name_control", where);
		memcpy(p->name, s, n + 1);
		return 0;
	case PK_COUNT:
		return parse_int(v, k, 0, where, pk_i64(p, k), f);
	case PK_LIMIT:
		return parse_int(v, k, 1, where, pk_i64(p, k), f);
	case PK_BOOL:
		if (v == NULL || !json_object_is_type(v, json_type_boolean))
			return fail_key(f, "catalog.bool", where, k->name);
		*pk_int(p, k) = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	case PK_CHANNELS:
		if (parse_channels(v, pk_uns(p, k)) != 0)
			return fail_key(f, "catalog.channels", where, k->name);
		return 0;
	case PK_MODELS:
		for (i = 0; i < PLAN_MODELS__MAX; i++)
			if (s != NULL && strcmp(s, plan_model_names[i]) == 0) {
				p->models = (enum plan_models)i;
				return 0;
			}
		return fail(f, "catalog.models", where);
	case PK_MODEL_LIST:
		if (parse_model_list(v) != 0)
			return fail_max(f, "catalog.model_list", where,
			    PLAN_MODEL_ID_MAX);
		if (json_object_deep_copy(v, &p->model_list, NULL) != 0)
			abort();
		return 0;
	case PK_BYOK_MODELS:
		for (i = 0; i < PLAN_BYOK__MAX; i++)
			if (s != NULL && strcmp(s, plan_byok_names[i]) == 0) {
				p->byok_models = (enum plan_byok_models)i;
				return 0;
			}
		return fail(f, "catalog.byok_models", where);
	case PK_FEATURES:
		if (parse_features(v, where, f) != 0)
			return PM_INVALID;
		if (json_object_deep_copy(v, &p->features, NULL) != 0)
			abort();
		return 0;
	}
	abort();	/* every type is handled above */
}

static const struct plan_key *key_find(const char *name)
{
	size_t i;

	for (i = 0; i < nplan_keys; i++)
		if (strcmp(plan_keys[i].name, name) == 0)
			return &plan_keys[i];
	return NULL;
}

/* The same with {models}. */
static int fail_models(struct pm_fail *f, const char *key, const char *where,
    enum plan_models m)
{
	fail(f, key, where);
	pm_fail_arg(f, "models", "%s", plan_model_names[m]);
	return PM_INVALID;
}

/* Rules between keys of one valid plan. */
static int check_plan(const struct plan *p, const char *where,
    struct pm_fail *f)
{
	size_t nlist = json_object_array_length(p->model_list);

	if ((p->models == PLAN_MODELS_WHITELIST ||
	    p->models == PLAN_MODELS_BLACKLIST) && nlist == 0)
		return fail_models(f, "catalog.list_empty", where, p->models);
	if ((p->models == PLAN_MODELS_FREE || p->models == PLAN_MODELS_ALL) &&
	    nlist != 0)
		return fail_models(f, "catalog.list_not_empty", where, p->models);
	if ((p->counted_channels & ~p->allowed_channels) != 0)
		return fail(f, "catalog.counted_subset", where);
	if (!p->api_access && p->api_keys != 0)
		return fail(f, "catalog.api_keys_no_api", where);
	if (!p->api_access && (p->allowed_channels & PLAN_CH_API))
		return fail(f, "catalog.api_channel_no_api", where);
	if (!p->byok_allowed && p->byok_models != PLAN_BYOK_NONE)
		return fail(f, "catalog.byok_models_none", where);
	if (p->byok_allowed && p->byok_models == PLAN_BYOK_NONE)
		return fail(f, "catalog.byok_models_some", where);
	if (!p->byok_allowed && p->price_byok_monthly_cents != -1)
		return fail(f, "catalog.byok_monthly", where);
	if (!p->byok_allowed && p->price_byok_annual_cents != -1)
		return fail(f, "catalog.byok_annual", where);
	if ((p->soft_cap_per_month == -1) != (p->throttle_per_minute == -1))
		return fail(f, "catalog.soft_cap_pair", where);
	if (p->soft_cap_per_month != -1 && p->executions_per_month != -1 &&
	    p->soft_cap_per_month > p->executions_per_month)
		return fail(f, "catalog.soft_cap_max", where);
	if (p->seats_included != -1 && p->seats_max != -1 &&
	    p->seats_included > p->seats_max)
		return fail(f, "catalog.seats", where);
	return 0;
}

/* "plan #N" or "plan CODE" into where (size bytes). */
static void where_plan(char *where, size_t size, size_t idx, const char *code)
{
	struct buf b = { 0 };
	char n[24];

	snprintf(n, sizeof(n), "%zu", idx + 1);
	if (code == NULL)
		msg_fmt(&b, "catalog.where_index", "n", n, NULL);
	else
		msg_fmt(&b, "catalog.where_code", "code", code, NULL);
	snprintf(where, size, "%s", buf_cstr(&b));
	buf_free(&b);
}

/* Check the idx-th plan object o of a catalog into p. */
static int parse_plan(struct json_object *o, size_t idx, struct plan *p,
    struct pm_fail *f)
{
	struct json_object_iter it;
	char where[80];
	size_t i;

	memset(p, 0, sizeof(*p));
	where_plan(where, sizeof(where), idx, NULL);
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return fail(f, "catalog.not_object", where);
	if (parse_key(o, &plan_keys[0], where, p, f) != 0)
		return PM_INVALID;
	where_plan(where, sizeof(where), idx, p->code);
	json_object_object_foreachC(o, it)
		if (key_find(it.key) == NULL)
			return fail_key(f, "catalog.unknown_key", where, it.key);
	for (i = 1; i < nplan_keys; i++)
		if (parse_key(o, &plan_keys[i], where, p, f) != 0)
			return PM_INVALID;
	return check_plan(p, where, f);
}

/* The document as a json-c value (caller puts), or NULL with f filled. */
static struct json_object *parse_json(const char *text, size_t len,
    struct pm_fail *f)
{
	struct json_error e;
	struct json_object *o;

	if (len > PLAN_FILE_MAX) {
		pm_refuse(f, PM_INVALID, "catalog.too_large", NULL);
		pm_fail_arg(f, "max", "%d", PLAN_FILE_MAX);
		return NULL;
	}
	o = json_parse_strict(text, len, &e);
	if (o == NULL && e.kind == JSON_ERR_TEXT) {
		pm_refuse(f, PM_INVALID, "catalog.json_text", NULL);
		pm_fail_arg(f, "where", "%s", e.where);
		return NULL;
	}
	if (o == NULL && e.kind != JSON_ERR_NULL) {
		pm_refuse(f, PM_INVALID, "catalog.bad_json", NULL);
		pm_fail_arg(f, "offset", "%zu", e.offset);
		pm_fail_arg(f, "detail", "%s", e.kind == JSON_ERR_NUL ?
		    msg_get("catalog.json_nul") : e.detail);
		return NULL;
	}
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		pm_refuse(f, PM_INVALID, "catalog.not_json_object", NULL);
		return NULL;
	}
	return o;
}

static int parse_catalog(struct json_object *doc, struct plan_catalog *out,
    struct pm_fail *f)
{
	static const char *const top[] = {
		"catalog", "description", "notes", "plans"
	};
	const char *where = msg_get("catalog.where_top");
	struct json_object_iter it;
	struct json_object *v, *plans;
	const char *s;
	size_t i, j, n, ndef = 0, first = 0;
	char pwhere[80];

	json_object_object_foreachC(doc, it) {
		for (i = 0; i < NELEM(top); i++)
			if (strcmp(it.key, top[i]) == 0)
				break;
		if (i == NELEM(top))
			return fail_key(f, "catalog.unknown_key", where, it.key);
	}
	for (i = 0; i < NELEM(top); i++)
		if (!json_object_object_get_ex(doc, top[i], NULL))
			return fail_key(f, "catalog.missing", where, top[i]);
	json_object_object_get_ex(doc, "catalog", &v);
	s = is_string(v) ? json_object_get_string(v) : NULL;
	if (s == NULL || !word_valid(s, (size_t)json_object_get_string_len(v),
	    PLAN_CATALOG_MAX, CATALOG_CHARS))
		return fail_max(f, "catalog.name_invalid", where, PLAN_CATALOG_MAX);
	memcpy(out->name, s, strlen(s) + 1);
	json_object_object_get_ex(doc, "description", &v);
	if (!is_string(v))
		return fail(f, "catalog.description", where);
	out->description = xstrdup(json_object_get_string(v));
	json_object_object_get_ex(doc, "notes", &v);
	if (!is_string(v))
		return fail(f, "catalog.notes", where);
	out->notes = xstrdup(json_object_get_string(v));
	json_object_object_get_ex(doc, "plans", &plans);
	if (plans == NULL || !json_object_is_type(plans, json_type_array) ||
	    (n = json_object_array_length(plans)) == 0 || n > PLANS_MAX)
		return fail_max(f, "catalog.plans", where, PLANS_MAX);
	out->plans = xcalloc(n, sizeof(*out->plans));
	for (i = 0; i < n; i++) {
		struct plan *p = &out->plans[i];

		if (parse_plan(json_object_array_get_idx(plans, i), i, p,
		    f) != 0) {
			out->nplans = i + 1;
			return PM_INVALID;
		}
		out->nplans = i + 1;
		memcpy(p->catalog, out->name, sizeof(p->catalog));
		for (j = 0; j < i; j++)
			if (strcmp(out->plans[j].code, p->code) == 0) {
				where_plan(pwhere, sizeof(pwhere), i, p->code);
				return fail(f, "catalog.duplicate", pwhere);
			}
		if (p->is_default && ndef++ == 0)
			first = i;
		else if (p->is_default) {
			fail(f, "catalog.two_defaults", where);
			pm_fail_arg(f, "a", "%s", out->plans[first].code);
			pm_fail_arg(f, "b", "%s", p->code);
			return PM_INVALID;
		}
	}
	if (ndef == 0)
		return fail(f, "catalog.no_default", where);
	return 0;
}

int plans_parse(const char *json_text, size_t len, struct plan_catalog *out,
    struct pm_fail *f)
{
	struct json_object *doc;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((doc = parse_json(json_text, len, f)) == NULL)
		return PM_INVALID;
	rc = parse_catalog(doc, out, f);
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

	for (i = 0; i < nplan_keys; i++) {
		const struct plan_key *k = &plan_keys[i];

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			v = json_object_new_string(pk_cstr(p, k));
			break;
		case PK_COUNT:
			v = json_object_new_int64(pk_ci64(p, k));
			break;
		case PK_LIMIT:
			v = pk_ci64(p, k) < 0 ? NULL :
			    json_object_new_int64(pk_ci64(p, k));
			break;
		case PK_BOOL:
			v = json_object_new_boolean(pk_cint(p, k));
			break;
		case PK_CHANNELS:
			v = channels_json(pk_cuns(p, k));
			break;
		case PK_MODELS:
			v = json_object_new_string(plan_model_names[p->models]);
			break;
		case PK_MODEL_LIST:
			v = p->model_list ? json_copy(p->model_list) :
			    json_object_new_array();
			break;
		case PK_BYOK_MODELS:
			v = json_object_new_string(plan_byok_names[p->byok_models]);
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

int plan_equal(const struct plan *a, const struct plan *b)
{
	size_t i;

	for (i = 0; i < nplan_keys; i++) {
		const struct plan_key *k = &plan_keys[i];
		int same = 1;

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			same = strcmp(pk_cstr(a, k), pk_cstr(b, k)) == 0;
			break;
		case PK_COUNT:
		case PK_LIMIT:
			same = pk_ci64(a, k) == pk_ci64(b, k);
			break;
		case PK_BOOL:
			same = pk_cint(a, k) == pk_cint(b, k);
			break;
		case PK_CHANNELS:
			same = pk_cuns(a, k) == pk_cuns(b, k);
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
