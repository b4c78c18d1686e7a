/* test_plans.c - plan catalogs: the shipped files, every invalid catalog,
 * model rules, per-seat limits and the JSON form of a plan. Run from the
 * repository root (reads conf/plans). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "msg.h"
#include "plans.h"

/* The text of a file (caller frees the buffer). */
static void read_text(const char *path, struct buf *out)
{
	if (buf_read_file(out, path, 0) != 0)
		fail_msg("cannot read %s (run from the repository root)", path);
}

/* Parse a shipped catalog, which must be valid. */
static void load(const char *name, struct plan_catalog *cat)
{
	struct buf text = { 0 }, err = { 0 };
	struct pm_fail f = { 0 };
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "conf/plans/%s.json", name);
	read_text(path, &text);
	rc = plans_parse(text.data, text.len, cat, &f);
	if (rc != 0) {
		pm_fail_text(rc, &f, &err);
		fail_msg("%s: %s", path, buf_cstr(&err));
	}
	assert_string_equal(cat->name, name);
	buf_free(&text);
	buf_free(&err);
}

/* The "plans" array of a shipped catalog file as written (caller puts). */
static struct json_object *file_plans(const char *name)
{
	struct buf text = { 0 };
	struct json_object *doc, *plans;
	char path[256];

	snprintf(path, sizeof(path), "conf/plans/%s.json", name);
	read_text(path, &text);
	doc = json_tokener_parse(buf_cstr(&text));
	buf_free(&text);
	assert_non_null(doc);
	plans = json_object_get(json_object_object_get(doc, "plans"));
	json_object_put(doc);
	return plans;
}

static const struct plan *find(const struct plan_catalog *cat,
    const char *code)
{
	size_t i;

	for (i = 0; i < cat->nplans; i++)
		if (strcmp(cat->plans[i].code, code) == 0)
			return &cat->plans[i];
	fail_msg("no plan %s in %s", code, cat->name);
	return NULL;
}

static int feature_bool(const struct plan *p, const char *key)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(p->features, key, &v));
	assert_true(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

static void test_prompt_manager(void **state)
{
	struct plan_catalog cat;
	const struct plan *f, *p;

	(void)state;
	load("prompt-manager", &cat);
	assert_int_equal(cat.nplans, 2);
	f = find(&cat, "FREE");
	p = find(&cat, "PRO");
	assert_string_equal(f->catalog, "prompt-manager");
	assert_string_equal(f->name, "Free");
	/* FREE: 3 executions a day, UI only, free models, no API, no BYOK */
	assert_true(f->is_default);
	assert_true(f->is_public);
	assert_int_equal(f->price_monthly_cents, 0);
	assert_int_equal(f->price_annual_cents, 0);
	assert_int_equal(f->price_byok_monthly_cents, -1);
	assert_int_equal(f->executions_per_day, 3);
	assert_int_equal(f->executions_per_month, -1);
	assert_int_equal(f->allowed_channels, PLAN_CH_UI);
	assert_int_equal(f->counted_channels, PLAN_CH_UI);
	assert_int_equal(f->models, PLAN_MODELS_FREE);
	assert_int_equal(json_object_array_length(f->model_list), 0);
	assert_false(f->api_access);
	assert_int_equal(f->api_keys, 0);
	assert_false(f->byok_allowed);
	assert_int_equal(f->byok_models, PLAN_BYOK_NONE);
	assert_int_equal(f->soft_cap_per_month, -1);
	assert_int_equal(f->burst_per_minute, -1);
	assert_false(f->limits_per_seat);
	assert_true(feature_bool(f, "golden_samples"));
	assert_true(feature_bool(f, "analytics"));
	assert_false(feature_bool(f, "priority_support"));
	/* PRO: $7/month, 10x annually, unlimited UI and API, every model */
	assert_false(p->is_default);
	assert_int_equal(p->price_monthly_cents, 700);
	assert_int_equal(p->price_annual_cents, 7000);
	assert_false(p->price_per_seat);
	assert_false(p->price_custom);
	assert_int_equal(p->executions_per_day, -1);
	assert_int_equal(p->executions_per_month, -1);
	assert_int_equal(p->allowed_channels, PLAN_CH_UI | PLAN_CH_API);
	assert_true(p->api_access);
	assert_int_equal(p->api_keys, -1);
	assert_int_equal(p->models, PLAN_MODELS_ALL);
	assert_true(p->byok_allowed);
	assert_int_equal(p->byok_models, PLAN_BYOK_ALL);
	assert_true(feature_bool(p, "priority_support"));
	assert_true(plan_model_allowed(p, "anthropic/claude-3-opus", 0));
	assert_false(plan_model_allowed(f, "anthropic/claude-3-opus", 0));
	assert_true(plan_model_allowed(f, "meta-llama/llama-3-8b:free", 1));
	assert_true(f->position < p->position);
	plan_catalog_free(&cat);
}

static void test_gateway(void **state)
{
	struct plan_catalog cat;
	const struct plan *f, *p, *s;

	(void)state;
	load("gateway", &cat);
	assert_int_equal(cat.nplans, 3);
	f = find(&cat, "FREE");
	p = find(&cat, "PRO");
	s = find(&cat, "SCALE");
	assert_true(f->is_default);
	assert_int_equal(f->executions_per_month, 10000);
	assert_int_equal(p->executions_per_month, 50000);
	assert_int_equal(s->executions_per_month, 500000);
	assert_int_equal(f->burst_per_minute, 10);
	assert_int_equal(p->burst_per_minute, 100);
	assert_int_equal(s->burst_per_minute, 1000);
	assert_int_equal(f->burst_per_day, 500);
	assert_int_equal(p->burst_per_day, 5000);
	assert_int_equal(s->burst_per_day, 50000);
	assert_int_equal(f->models, PLAN_MODELS_WHITELIST);
	assert_int_equal(json_object_array_length(f->model_list), 1);
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(f->model_list, 0)), "openai/gpt-4o-mini");
	assert_true(plan_model_allowed(f, "openai/gpt-4o-mini", 0));
	assert_false(plan_model_allowed(f, "openai/gpt-4o", 1));
	assert_false(plan_model_allowed(s, "anthropic/claude-opus-4", 0));
	assert_false(f->byok_allowed);
	assert_int_equal(f->byok_models, PLAN_BYOK_NONE);
	assert_true(p->byok_allowed);
	assert_int_equal(s->byok_models, PLAN_BYOK_ALL);
	assert_int_equal(f->api_keys, 1);
	assert_int_equal(p->api_keys, 5);
	assert_int_equal(s->api_keys, -1);
	assert_int_equal(f->log_retention_days, 7);
	assert_int_equal(s->log_retention_days, 90);
	assert_int_equal(f->cache_ttl_hours, 24);
	assert_int_equal(p->cache_ttl_hours, 72);
	assert_int_equal(s->cache_ttl_hours, 168);
	assert_int_equal(f->allowed_channels, PLAN_CH_API);
	assert_int_equal(p->price_monthly_cents, -1);
	assert_int_equal(s->price_annual_cents, -1);
	/* placeholders, documented in conf/plans/README.md */
	assert_int_equal(f->monthly_budget_micros, 10000000);
	assert_int_equal(s->monthly_budget_micros, 500000000);
	assert_false(feature_bool(p, "webhook_alerts"));
	assert_true(feature_bool(s, "webhook_alerts"));
	plan_catalog_free(&cat);
}

static void test_agents_platform(void **state)
{
	struct plan_catalog cat;
	const struct plan *f, *p, *t, *e;

	(void)state;
	load("agents-platform", &cat);
	assert_int_equal(cat.nplans, 4);
	f = find(&cat, "FREE");
	p = find(&cat, "PRO");
	t = find(&cat, "TEAM");
	e = find(&cat, "ENTERPRISE");
	assert_true(f->is_default);
	assert_int_equal(f->executions_per_month, 100);
	assert_int_equal(f->soft_cap_per_month, -1);
	/* Pro: 5,000 a month, throttled to 1 a minute after 3,000 */
	assert_int_equal(p->price_monthly_cents, 900);
	assert_int_equal(p->price_byok_monthly_cents, 500);
	assert_int_equal(p->price_annual_cents, -1);
	assert_int_equal(p->executions_per_month, 5000);
	assert_int_equal(p->soft_cap_per_month, 3000);
	assert_int_equal(p->throttle_per_minute, 1);
	assert_int_equal(plan_seat_limit(p, p->executions_per_month, 5), 5000);
	/* Team: per seat */
	assert_true(t->price_per_seat);
	assert_true(t->limits_per_seat);
	assert_int_equal(t->price_monthly_cents, 2900);
	assert_int_equal(t->price_byok_monthly_cents, 1900);
	assert_int_equal(t->executions_per_month, 25000);
	assert_int_equal(t->soft_cap_per_month, 15000);
	assert_int_equal(t->throttle_per_minute, 1);
	assert_int_equal(t->seats_included, 1);
	assert_int_equal(plan_seat_limit(t, t->executions_per_month, 3), 75000);
	assert_int_equal(plan_seat_limit(t, t->soft_cap_per_month, 3), 45000);
	assert_int_equal(plan_seat_limit(t, t->executions_per_month, 0), 25000);
	assert_int_equal(plan_seat_limit(t, -1, 3), -1);
	assert_int_equal(plan_seat_limit(t, 1000, INT64_MAX), INT64_MAX);
	/* Enterprise: custom price, unlimited */
	assert_true(e->price_custom);
	assert_int_equal(e->price_monthly_cents, -1);
	assert_int_equal(e->executions_per_month, -1);
	assert_int_equal(e->sandbox_tries_per_day, -1);
	/* the columns of the plan matrix */
	assert_int_equal(f->sandbox_tries_per_day, 5);
	assert_int_equal(p->sandbox_tries_per_day, 50);
	assert_int_equal(t->sandbox_tries_per_day, 200);
	assert_int_equal(f->log_retention_days, 1);
	assert_int_equal(p->log_retention_days, 30);
	assert_int_equal(t->log_retention_days, 90);
	assert_int_equal(e->log_retention_days, 365);
	assert_int_equal(f->daily_spend_cap_micros, 1000000);
	assert_int_equal(p->daily_spend_cap_micros, 5000000);
	assert_int_equal(t->daily_spend_cap_micros, 20000000);
	assert_int_equal(f->max_tokens_per_execution, 50000);
	assert_int_equal(e->max_tokens_per_execution, 50000);
	/* Free cannot use Opus or GPT-4o on the platform's keys */
	assert_int_equal(f->models, PLAN_MODELS_BLACKLIST);
	assert_false(plan_model_allowed(f, "anthropic/claude-3-opus", 0));
	assert_false(plan_model_allowed(f, "anthropic/claude-opus-4", 0));
	assert_false(plan_model_allowed(f, "openai/gpt-4o", 0));
	assert_true(plan_model_allowed(f, "openai/gpt-4o-mini", 0));
	assert_true(plan_model_allowed(f, "anthropic/claude-3.5-haiku", 0));
	assert_true(plan_model_allowed(p, "anthropic/claude-3-opus", 0));
	plan_catalog_free(&cat);
}

/* A plan with the given model rule, for plan_model_allowed(). */
static void model_plan(struct plan *p, enum plan_models mode,
    const char *list_json)
{
	memset(p, 0, sizeof(*p));
	p->models = mode;
	p->model_list = json_tokener_parse(list_json);
	assert_non_null(p->model_list);
}

static void test_model_allowed(void **state)
{
	struct plan p;

	(void)state;
	model_plan(&p, PLAN_MODELS_FREE, "[]");
	assert_int_equal(plan_model_allowed(&p, "a/free:free", 1), 1);
	assert_int_equal(plan_model_allowed(&p, "a/paid", 0), 0);
	plan_free(&p);
	model_plan(&p, PLAN_MODELS_ALL, "[]");
	assert_int_equal(plan_model_allowed(&p, "a/paid", 0), 1);
	assert_int_equal(plan_model_allowed(&p, "a/free", 1), 1);
	assert_int_equal(plan_model_allowed(&p, "", 1), 0);
	assert_int_equal(plan_model_allowed(&p, NULL, 1), 0);
	plan_free(&p);
	model_plan(&p, PLAN_MODELS_WHITELIST, "[\"a/one\", \"b/two\"]");
	assert_int_equal(plan_model_allowed(&p, "a/one", 0), 1);
	assert_int_equal(plan_model_allowed(&p, "b/two", 1), 1);
	assert_int_equal(plan_model_allowed(&p, "a/one-mini", 1), 0);
	assert_int_equal(plan_model_allowed(&p, "a/on", 0), 0);
	assert_int_equal(plan_model_allowed(&p, "A/ONE", 0), 0);
	plan_free(&p);
	model_plan(&p, PLAN_MODELS_BLACKLIST, "[\"a/one\", \"b/two\"]");
	assert_int_equal(plan_model_allowed(&p, "a/one", 1), 0);
	assert_int_equal(plan_model_allowed(&p, "b/two", 0), 0);
	assert_int_equal(plan_model_allowed(&p, "a/one-mini", 0), 1);
	assert_int_equal(plan_model_allowed(&p, "c/three", 1), 1);
	plan_free(&p);
	plan_free(NULL);
	plan_catalog_free(NULL);
}

/* plan_to_json() gives back a catalog plan with the same values. */
static void test_round_trip(void **state)
{
	static const char *const names[] = {
		"prompt-manager", "agents-platform", "gateway"
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct plan_catalog cat, again;
		struct json_object *doc = json_object_new_object();
		struct json_object *arr = json_object_new_array();
		struct json_object *file;
		struct pm_fail pf = { 0 };
		const char *text;

		load(names[i], &cat);
		json_object_object_add(doc, "catalog",
		    json_object_new_string(cat.name));
		json_object_object_add(doc, "description",
		    json_object_new_string(cat.description));
		json_object_object_add(doc, "notes",
		    json_object_new_string(cat.notes));
		for (j = 0; j < cat.nplans; j++)
			json_object_array_add(arr, plan_to_json(&cat.plans[j]));
		json_object_object_add(doc, "plans", arr);
		text = json_object_to_json_string(doc);
		assert_int_equal(plans_parse(text, strlen(text), &again, &pf), 0);
		assert_int_equal(again.nplans, cat.nplans);
		file = file_plans(names[i]);
		for (j = 0; j < cat.nplans; j++) {
			struct json_object *a = plan_to_json(&cat.plans[j]);
			struct json_object *b = plan_to_json(&again.plans[j]);

			/* nothing lost on the way in (the file's own plan), nor
			 * on the way out and back */
			if (!json_object_equal(a, json_object_array_get_idx(file, j)))
				fail_msg("%s plan %zu: %s != %s", names[i], j,
				    json_object_to_json_string(a),
				    json_object_to_json_string(
				    json_object_array_get_idx(file, j)));
			assert_true(json_object_equal(a, b));
			json_object_put(a);
			json_object_put(b);
		}
		json_object_put(file);
		/* null for unlimited, [] channels as arrays */
		if (i == 0) {
			struct json_object *o = plan_to_json(&cat.plans[1]), *v;

			assert_true(json_object_object_get_ex(o,
			    "executions_per_day", &v));
			assert_null(v);
			assert_true(json_object_object_get_ex(o,
			    "allowed_channels", &v));
			assert_string_equal(json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN), "[\"ui\",\"api\"]");
			json_object_put(o);
		}
		json_object_put(doc);
		plan_catalog_free(&cat);
		plan_catalog_free(&again);
	}
}

/* Parse text and return the error message ("OK" when valid). */
static const char *parse_error(const char *text, size_t len)
{
	static char msg[512];
	struct plan_catalog cat;
	struct buf err = { 0 };
	struct pm_fail f = { 0 };
	int rc = plans_parse(text, len, &cat, &f);

	if (rc == 0) {
		plan_catalog_free(&cat);
		snprintf(msg, sizeof(msg), "OK");
	} else {
		assert_int_equal(rc, PM_INVALID);
		pm_fail_text(rc, &f, &err);
		assert_int_equal(cat.nplans, 0);
		assert_null(cat.plans);
		assert_null(cat.description);
		snprintf(msg, sizeof(msg), "%s", buf_cstr(&err));
	}
	buf_free(&err);
	return msg;
}

/* Apply mutations to the prompt-manager catalog and parse it. muts is a
 * JSON object: "catalog" holds top-level keys, "0", "1" keys of those
 * plans; the value "DELETE" removes a key. */
static const char *mutated(const char *muts)
{
	struct buf text = { 0 };
	struct json_object *doc, *m, *plans;
	struct json_object_iter it, kv;
	const char *out;

	read_text("conf/plans/prompt-manager.json", &text);
	doc = json_tokener_parse(text.data);
	m = json_tokener_parse(muts);
	assert_non_null(doc);
	if (m == NULL)
		fail_msg("bad mutation %s", muts);
	json_object_object_get_ex(doc, "plans", &plans);
	json_object_object_foreachC(m, it) {
		struct json_object *target = strcmp(it.key, "catalog") == 0 ?
		    doc : json_object_array_get_idx(plans, (size_t)atoi(it.key));

		json_object_object_foreachC(it.val, kv) {
			if (kv.val != NULL &&
			    json_object_is_type(kv.val, json_type_string) &&
			    strcmp(json_object_get_string(kv.val), "DELETE") == 0)
				json_object_object_del(target, kv.key);
			else
				json_object_object_add(target, kv.key,
				    json_object_get(kv.val));
		}
	}
	out = json_object_to_json_string(doc);
	out = parse_error(out, strlen(out));
	json_object_put(doc);
	json_object_put(m);
	buf_free(&text);
	return out;
}

struct bad_case {
	const char	*muts;
	const char	*msg;
};

static const struct bad_case bad_cases[] = {
	{ "{}", "OK" },
	/* the catalog */
	{ "{\"catalog\":{\"extra\":1}}", "catalog: unknown key extra" },
	{ "{\"catalog\":{\"notes\":\"DELETE\"}}", "catalog: notes is missing" },
	{ "{\"catalog\":{\"plans\":\"DELETE\"}}", "catalog: plans is missing" },
	{ "{\"catalog\":{\"catalog\":\"Prompt Manager\"}}",
	  "catalog: catalog must be 1-64 characters of a-z, 0-9 and -" },
	{ "{\"catalog\":{\"catalog\":\"\"}}",
	  "catalog: catalog must be 1-64 characters of a-z, 0-9 and -" },
	{ "{\"catalog\":{\"description\":5}}",
	  "catalog: description must be a string" },
	{ "{\"catalog\":{\"notes\":null}}", "catalog: notes must be a string" },
	{ "{\"catalog\":{\"plans\":[]}}",
	  "catalog: plans must be an array of 1 to 50 plans" },
	{ "{\"catalog\":{\"plans\":{}}}",
	  "catalog: plans must be an array of 1 to 50 plans" },
	{ "{\"catalog\":{\"plans\":[5]}}", "plan #1: must be an object" },
	/* codes */
	{ "{\"1\":{\"code\":\"DELETE\"}}", "plan #2: code is missing" },
	{ "{\"1\":{\"code\":\"pro\"}}",
	  "plan #2: code must be 1-32 characters of A-Z, 0-9 and _" },
	{ "{\"1\":{\"code\":\"PRO-1\"}}",
	  "plan #2: code must be 1-32 characters of A-Z, 0-9 and _" },
	{ "{\"1\":{\"code\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"}}",
	  "plan #2: code must be 1-32 characters of A-Z, 0-9 and _" },
	{ "{\"1\":{\"code\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345\"}}", "OK" },
	{ "{\"1\":{\"code\":\"FREE\"}}", "plan FREE: duplicate code" },
	/* keys */
	{ "{\"1\":{\"executions_per_week\":3}}",
	  "plan PRO: unknown key executions_per_week" },
	{ "{\"1\":{\"executions_per_day\":\"DELETE\"}}",
	  "plan PRO: executions_per_day is missing" },
	{ "{\"1\":{\"features\":\"DELETE\"}}", "plan PRO: features is missing" },
	{ "{\"1\":{\"executions_per_day\":-1}}",
	  "plan PRO: executions_per_day must be a non-negative integer or null" },
	{ "{\"1\":{\"executions_per_day\":1.5}}",
	  "plan PRO: executions_per_day must be a non-negative integer or null" },
	{ "{\"1\":{\"executions_per_day\":\"3\"}}",
	  "plan PRO: executions_per_day must be a non-negative integer or null" },
	{ "{\"1\":{\"executions_per_day\":true}}",
	  "plan PRO: executions_per_day must be a non-negative integer or null" },
	{ "{\"1\":{\"executions_per_day\":10000000000000000}}",
	  "plan PRO: executions_per_day must be at most 1000000000000000" },
	{ "{\"1\":{\"price_monthly_cents\":18446744073709551615}}",
	  "plan PRO: price_monthly_cents must be at most 1000000000000000" },
	{ "{\"1\":{\"executions_per_day\":0}}", "OK" },
	{ "{\"1\":{\"position\":null}}",
	  "plan PRO: position must be a non-negative integer" },
	{ "{\"1\":{\"position\":1000001}}",
	  "plan PRO: position must be at most 1000000" },
	{ "{\"1\":{\"default\":\"no\"}}", "plan PRO: default must be true or false" },
	{ "{\"1\":{\"public\":0}}", "plan PRO: public must be true or false" },
	{ "{\"1\":{\"price_custom\":null}}",
	  "plan PRO: price_custom must be true or false" },
	{ "{\"1\":{\"name\":\"\"}}",
	  "plan PRO: name must be a non-blank string of at most 100 bytes" },
	{ "{\"1\":{\"name\":\"   \"}}",
	  "plan PRO: name must be a non-blank string of at most 100 bytes" },
	{ "{\"1\":{\"name\":null}}",
	  "plan PRO: name must be a non-blank string of at most 100 bytes" },
	{ "{\"1\":{\"name\":\"Pro\\nplan\"}}",
	  "plan PRO: name must not contain control characters" },
	{ "{\"1\":{\"allowed_channels\":[\"ui\",\"ui\"]}}",
	  "plan PRO: allowed_channels must be an array of distinct channels "
	  "among \"ui\" and \"api\"" },
	{ "{\"1\":{\"allowed_channels\":[\"web\"]}}",
	  "plan PRO: allowed_channels must be an array of distinct channels "
	  "among \"ui\" and \"api\"" },
	{ "{\"1\":{\"counted_channels\":\"ui\"}}",
	  "plan PRO: counted_channels must be an array of distinct channels "
	  "among \"ui\" and \"api\"" },
	{ "{\"1\":{\"models\":\"premium\"}}",
	  "plan PRO: models must be one of \"free\", \"whitelist\", "
	  "\"blacklist\" and \"all\"" },
	{ "{\"1\":{\"models\":null}}",
	  "plan PRO: models must be one of \"free\", \"whitelist\", "
	  "\"blacklist\" and \"all\"" },
	{ "{\"1\":{\"model_list\":null}}",
	  "plan PRO: model_list must be an array of distinct model ids "
	  "(1-200 bytes, no spaces)" },
	{ "{\"1\":{\"models\":\"whitelist\",\"model_list\":[\"a/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]}}", "OK" },
	{ "{\"1\":{\"model_list\":[1]}}",
	  "plan PRO: model_list must be an array of distinct model ids "
	  "(1-200 bytes, no spaces)" },
	{ "{\"1\":{\"model_list\":[\"a b\"]}}",
	  "plan PRO: model_list must be an array of distinct model ids "
	  "(1-200 bytes, no spaces)" },
	{ "{\"1\":{\"models\":\"blacklist\",\"model_list\":[\"a/b\",\"a/b\"]}}",
	  "plan PRO: model_list must be an array of distinct model ids "
	  "(1-200 bytes, no spaces)" },
	{ "{\"1\":{\"byok_models\":\"some\"}}",
	  "plan PRO: byok_models must be \"none\" or \"all\"" },
	{ "{\"1\":{\"features\":[]}}", "plan PRO: features must be an object" },
	{ "{\"catalog\":{\"catalog\":5}}", "catalog: catalog must be 1-64 characters of a-z, 0-9 and -" },
	{ "{\"1\":{\"features\":{\"sla\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}}", "plan PRO: features.sla must be a string of at most 500 bytes, "
	  "a boolean or an integer" },
	{ "{\"1\":{\"models\":\"whitelist\",\"model_list\":[\"a/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"]}}",
	  "plan PRO: model_list must be an array of distinct model ids "
	  "(1-200 bytes, no spaces)" },
	{ "{\"1\":{\"features\":{\"Priority Support\":true}}}",
	  "plan PRO: features keys must be 1-64 characters of a-z, 0-9 and _" },
	{ "{\"1\":{\"features\":{\"sla\":null}}}",
	  "plan PRO: features.sla must be a string of at most 500 bytes, a "
	  "boolean or an integer" },
	{ "{\"1\":{\"features\":{\"sla\":99.5}}}",
	  "plan PRO: features.sla must be a string of at most 500 bytes, a "
	  "boolean or an integer" },
	{ "{\"1\":{\"features\":{\"sla\":{}}}}",
	  "plan PRO: features.sla must be a string of at most 500 bytes, a "
	  "boolean or an integer" },
	{ "{\"1\":{\"features\":{}}}", "OK" },
	/* rules between keys */
	{ "{\"1\":{\"models\":\"whitelist\"}}",
	  "plan PRO: model_list must not be empty when models is \"whitelist\"" },
	{ "{\"1\":{\"models\":\"blacklist\"}}",
	  "plan PRO: model_list must not be empty when models is \"blacklist\"" },
	{ "{\"1\":{\"models\":\"whitelist\",\"model_list\":[\"a/b\"]}}", "OK" },
	{ "{\"0\":{\"model_list\":[\"a/b\"]}}",
	  "plan FREE: model_list must be [] when models is \"free\"" },
	{ "{\"0\":{\"counted_channels\":[\"ui\",\"api\"]}}",
	  "plan FREE: counted_channels must be a subset of allowed_channels" },
	{ "{\"0\":{\"counted_channels\":[]}}", "OK" },
	{ "{\"0\":{\"api_keys\":1}}",
	  "plan FREE: api_keys must be 0 when api_access is false" },
	{ "{\"0\":{\"api_keys\":null}}",
	  "plan FREE: api_keys must be 0 when api_access is false" },
	{ "{\"0\":{\"allowed_channels\":[\"api\",\"ui\"]}}",
	  "plan FREE: allowed_channels must not contain \"api\" when "
	  "api_access is false" },
	{ "{\"0\":{\"byok_models\":\"all\"}}",
	  "plan FREE: byok_models must be \"none\" when byok_allowed is false" },
	{ "{\"1\":{\"byok_models\":\"none\"}}",
	  "plan PRO: byok_models must not be \"none\" when byok_allowed is true" },
	{ "{\"0\":{\"price_byok_monthly_cents\":0}}",
	  "plan FREE: price_byok_monthly_cents must be null when byok_allowed "
	  "is false" },
	{ "{\"0\":{\"price_byok_annual_cents\":0}}",
	  "plan FREE: price_byok_annual_cents must be null when byok_allowed "
	  "is false" },
	{ "{\"1\":{\"soft_cap_per_month\":100}}",
	  "plan PRO: soft_cap_per_month and throttle_per_minute must both be "
	  "null or both be set" },
	{ "{\"1\":{\"throttle_per_minute\":1}}",
	  "plan PRO: soft_cap_per_month and throttle_per_minute must both be "
	  "null or both be set" },
	{ "{\"1\":{\"soft_cap_per_month\":100,\"throttle_per_minute\":1}}", "OK" },
	{ "{\"1\":{\"soft_cap_per_month\":101,\"throttle_per_minute\":1,"
	  "\"executions_per_month\":100}}",
	  "plan PRO: soft_cap_per_month must not exceed executions_per_month" },
	{ "{\"1\":{\"seats_included\":3,\"seats_max\":2}}",
	  "plan PRO: seats_included must not exceed seats_max" },
	{ "{\"1\":{\"seats_included\":3,\"seats_max\":3}}", "OK" },
	/* the default plan */
	{ "{\"1\":{\"default\":true}}",
	  "catalog: plans FREE and PRO are both the default (exactly one must "
	  "be)" },
	{ "{\"0\":{\"default\":false}}",
	  "catalog: no plan is the default (exactly one must be)" },
	{ "{\"0\":{\"default\":false},\"1\":{\"default\":true}}", "OK" },
	/* annual and monthly prices are not checked against each other */
	{ "{\"1\":{\"price_annual_cents\":1}}", "OK" },
};

static void test_invalid(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const char *got = mutated(bad_cases[i].muts);

		if (strcmp(got, bad_cases[i].msg) != 0)
			fail_msg("%s:\n  want %s\n  got  %s", bad_cases[i].muts,
			    bad_cases[i].msg, got);
	}
}

/* Documents that are not catalogs at all. */
static void test_not_a_catalog(void **state)
{
	struct buf big = { 0 }, many = { 0 };
	size_t i;

	(void)state;
	assert_string_equal(parse_error("", 0),
	    "invalid JSON at byte 0: unexpected end of data");
	assert_string_equal(parse_error("{", 1),
	    "invalid JSON at byte 1: unexpected end of data");
	assert_string_equal(parse_error("{\"a\":1,}", 8),
	    "invalid JSON at byte 7: unexpected character");
	assert_string_equal(parse_error("{} x", 4),
	    "invalid JSON at byte 3: unexpected character");
	assert_string_equal(parse_error("{\"a\":\"\xff\"}", 9),
	    "the value at \"a\" is not valid text (invalid UTF-8 or a control"
	    " character)");
	assert_string_equal(parse_error("{}\0\0", 4),
	    "invalid JSON at byte 2: unexpected character");
	assert_string_equal(parse_error("{\"a\":\"\\u0000\"}", 14),
	    "invalid JSON at byte 6: NUL character in a string");
	assert_string_equal(parse_error("[]", 2), "catalog must be a JSON object");
	assert_string_equal(parse_error("null", 4),
	    "catalog must be a JSON object");
	assert_string_equal(parse_error("{}\n", 3), "catalog: catalog is missing");
	buf_grow(&big, PLAN_FILE_MAX + 1);
	memset(big.data, ' ', PLAN_FILE_MAX + 1);
	assert_string_equal(parse_error(big.data, PLAN_FILE_MAX + 1),
	    "catalog is larger than 1048576 bytes");
	/* 51 plans */
	buf_puts(&many, "{\"catalog\":\"x\",\"description\":\"\",\"notes\":\"\","
	    "\"plans\":[");
	for (i = 0; i < PLANS_MAX + 1; i++)
		buf_printf(&many, "%s{}", i ? "," : "");
	buf_puts(&many, "]}");
	assert_string_equal(parse_error(many.data, many.len),
	    "catalog: plans must be an array of 1 to 50 plans");
	buf_free(&big);
	buf_free(&many);
}

int main(void)
{
	struct buf err = { 0 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prompt_manager),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_agents_platform),
		cmocka_unit_test(test_model_allowed),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_not_a_catalog),
	};

	/* The parser's sentences come from the catalog. */
	if (msg_load("templates", "en", &err) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n", buf_cstr(&err));
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
