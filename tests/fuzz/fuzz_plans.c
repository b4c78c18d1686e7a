/* fuzz_plans.c - libFuzzer harness for plan catalogs (the JSON files of
 * conf/plans): plans_parse() on any bytes.
 *
 * Properties: a refusal returns PM_INVALID with a sentence and leaves the
 * catalog zeroed; an accepted catalog has 1 to PLANS_MAX plans with
 * distinct codes and exactly one default, and the catalog rebuilt from
 * plan_to_json() of each plan parses again to the same plans (the
 * contract of plan_to_json). plan_seat_limit() and plan_model_allowed()
 * run on every plan with extreme arguments. */
#include "fuzz.h"

#include "buf.h"
#include "msg.h"
#include "plans.h"

#ifndef FUZZ_TEMPLATES_DIR
#define FUZZ_TEMPLATES_DIR "templates"
#endif

/* The parser's sentences come from the message catalog. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = { 0 };

	(void)argc;
	(void)argv;
	if (msg_load(FUZZ_TEMPLATES_DIR, "en", &err) != 0) {
		fprintf(stderr, "fuzz_plans: %s\n", buf_cstr(&err));
		exit(1);
	}
	return 0;
}

static const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

static int zeroed(const struct plan_catalog *c)
{
	return c->name[0] == '\0' && c->description == NULL &&
	    c->notes == NULL && c->plans == NULL && c->nplans == 0;
}

/* The catalog c as a catalog document (caller puts). */
static struct json_object *catalog_json(const struct plan_catalog *c)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();
	size_t i;

	json_object_object_add(o, "catalog", json_object_new_string(c->name));
	json_object_object_add(o, "description",
	    json_object_new_string(c->description));
	json_object_object_add(o, "notes", json_object_new_string(c->notes));
	for (i = 0; i < c->nplans; i++)
		json_object_array_add(a, plan_to_json(&c->plans[i]));
	json_object_object_add(o, "plans", a);
	return o;
}

static void check_helpers(const struct plan *p)
{
	static const int64_t seats[] = {
		INT64_MIN, -1, 0, 1, 2, 3, 1000, INT64_MAX / 2, INT64_MAX
	};
	int64_t limits[3], v;
	size_t i, j;

	limits[0] = p->executions_per_day;
	limits[1] = p->executions_per_month;
	limits[2] = p->soft_cap_per_month;
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		for (j = 0; j < sizeof(seats) / sizeof(seats[0]); j++) {
			v = plan_seat_limit(p, limits[i], seats[j]);
			if (limits[i] < 0)
				FUZZ_ASSERT(v == -1);
			else
				FUZZ_ASSERT(v >= limits[i]);
		}
	FUZZ_ASSERT(plan_model_allowed(p, "", 1) == 0);
	(void)plan_model_allowed(p, "openai/gpt-4o-mini", 0);
	if (json_object_array_length(p->model_list) > 0) {
		const char *id = json_object_get_string(
		    json_object_array_get_idx(p->model_list, 0));

		FUZZ_ASSERT(plan_model_allowed(p, id, 1) ==
		    (p->models == PLAN_MODELS_WHITELIST));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_catalog c, c2;
	struct pm_fail f = { 0 }, f2 = { 0 };
	struct buf err = { 0 }, err2 = { 0 };
	struct json_object *doc;
	const char *s;
	size_t i, j, ndef = 0, len;
	char *text;
	int rc;

	memset(&c, 0xa5, sizeof(c));
	rc = plans_parse((const char *)data, size, &c, &f);
	if (rc != 0) {
		FUZZ_ASSERT(rc == PM_INVALID);
		FUZZ_ASSERT(f.key != NULL);
		pm_fail_text(rc, &f, &err);
		FUZZ_ASSERT(err.len > 0);
		FUZZ_ASSERT(zeroed(&c));
		buf_free(&err);
		return 0;
	}
	FUZZ_ASSERT(f.key == NULL);
	FUZZ_ASSERT(c.nplans >= 1 && c.nplans <= PLANS_MAX);
	for (i = 0; i < c.nplans; i++) {
		ndef += c.plans[i].is_default != 0;
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(c.plans[i].code, c.plans[j].code) != 0);
		FUZZ_ASSERT(strcmp(c.plans[i].catalog, c.name) == 0);
		check_helpers(&c.plans[i]);
	}
	FUZZ_ASSERT(ndef == 1);

	doc = catalog_json(&c);
	s = json_object_to_json_string_length(doc, flags, &len);
	text = fuzz_strndup(s, len);
	rc = plans_parse(text, len, &c2, &f2);
	if (rc != 0) {
		pm_fail_text(rc, &f2, &err2);
		fprintf(stderr, "reparse: %s\n", buf_cstr(&err2));
	}
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(c2.nplans == c.nplans);
	FUZZ_ASSERT(strcmp(c2.description, c.description) == 0);
	FUZZ_ASSERT(strcmp(c2.notes, c.notes) == 0);
	for (i = 0; i < c.nplans; i++) {
		struct json_object *a = plan_to_json(&c.plans[i]);
		struct json_object *b = plan_to_json(&c2.plans[i]);

		FUZZ_ASSERT(json_object_equal(a, b));
		json_object_put(a);
		json_object_put(b);
	}
	free(text);
	json_object_put(doc);
	plan_catalog_free(&c2);
	plan_catalog_free(&c);
	FUZZ_ASSERT(zeroed(&c));
	buf_free(&err2);
	buf_free(&err);
	return 0;
}
