/* model_picker.c - the model catalog in words for the forms and the run
 * page (see model_picker.h). */
#include "model_picker.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "byok.h"
#include "error.h"
#include "execute.h"
#include "http.h"
#include "jsonx.h"
#include "msg.h"
#include "plans.h"

void user_plan_ref(struct req *r, struct plan_ref *ref)
{
	ref->user_id = r->user.id;
	ref->plan_id = r->user.plan_id;
	ref->source = r->user.plan_source;
	ref->gen = r->user.catalog_gen;
}

/* A context length in words: "128K context", "1M context". */
static void context_text(struct json_object *cl, struct buf *out)
{
	int64_t n = cl ? json_object_get_int64(cl) : -1;
	char num[32];

	if (n <= 0) {
		buf_puts(out, msg_get("models.context_unknown"));
		return;
	}
	if (n >= 1000000)
		snprintf(num, sizeof(num), "%lldM", (long long)((n + 500000) / 1000000));
	else if (n >= 1000)
		snprintf(num, sizeof(num), "%lldK", (long long)((n + 500) / 1000));
	else
		snprintf(num, sizeof(num), "%lld", (long long)n);
	msg_fmt(out, "models.context", "tokens", num, NULL);
}

/* A price per million tokens as people write it: "0.6" -> "0.60". */
static const char *cents(const char *usd, char *out, size_t size)
{
	const char *dot = usd ? strchr(usd, '.') : NULL;

	snprintf(out, size, "%s%s", usd ? usd : "0",
	    dot != NULL && strlen(dot) == 2 ? "0" : "");
	return out;
}

void model_decorate(struct json_object *m)
{
	struct buf price = { 0 }, ctx = { 0 }, label = { 0 };
	char in[40], out[40];

	if (json_object_get_boolean(json_object_object_get(m, "is_free")))
		buf_puts(&price, msg_get("models.price_free"));
	else
		msg_fmt(&price, "models.price", "prompt", cents(json_str_member(m,
		    "prompt_usd_per_m", NULL), in, sizeof(in)), "completion",
		    cents(json_str_member(m, "completion_usd_per_m", NULL), out,
		    sizeof(out)), NULL);
	context_text(json_object_object_get(m, "context_length"), &ctx);
	msg_fmt(&label, "models.label", "name", json_str_member(m, "name", NULL),
	    "price", buf_cstr(&price), "context", buf_cstr(&ctx), NULL);
	json_object_object_add(m, "price_text",
	    json_object_new_string(buf_cstr(&price)));
	json_object_object_add(m, "context_text",
	    json_object_new_string(buf_cstr(&ctx)));
	json_object_object_add(m, "label", json_object_new_string(buf_cstr(&label)));
	buf_free(&price);
	buf_free(&ctx);
	buf_free(&label);
}

static int allowed(struct json_object *m)
{
	return json_object_get_boolean(json_object_object_get(m, "allowed")) ||
	    json_object_get_boolean(json_object_object_get(m, "byok"));
}

const char *model_default(struct json_object *models)
{
	const char *first = NULL, *runnable = NULL;
	size_t i;

	for (i = 0; models != NULL && i < json_object_array_length(models); i++) {
		struct json_object *m = json_object_array_get_idx(models, i);
		const char *id = json_str_member(m, "id", NULL);

		if (first == NULL)
			first = id;
		if (!allowed(m))
			continue;
		if (strcmp(id, MODEL_PREFERRED_DEFAULT) == 0)
			return id;
		if (runnable == NULL)
			runnable = id;
	}
	return runnable ? runnable : first;
}

int model_byok_mark(struct req *r, const struct plan_ref *ref,
    struct json_object *models)
{
	struct plan plan = { 0 };
	json_object *keys = NULL;
	const char *names[16];
	size_t i, n = 0;
	int rc, on;

	if ((rc = plan_of(r->db, ref, &plan)) != 0 && rc != PM_NOCATALOG)
		return rc;
	on = rc == 0 && plan.byok_allowed && plan.byok_models == PLAN_BYOK_ALL;
	plan_free(&plan);
	if (on && (rc = byok_list(r->db, r->user.id, &keys)) != 0)
		return rc;
	for (i = 0; keys != NULL && i < json_object_array_length(keys) &&
	    n < sizeof(names) / sizeof(names[0]); i++)
		names[n++] = json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(keys, i), "provider"));
	for (i = 0; i < json_object_array_length(models); i++) {
		struct json_object *m = json_object_array_get_idx(models, i);

		json_object_object_add(m, "byok", json_object_new_boolean(n > 0 &&
		    byok_route(names, n, NULL, json_object_get_string(
		    json_object_object_get(m, "id"))) >= 0));
	}
	json_object_put(keys);
	return 0;
}

struct json_object *model_picker(struct req *r, const char *selected)
{
	struct json_object *o = json_object_new_object(), *ctx = NULL, *models;
	struct json_object *runnable = json_object_new_array();
	struct json_object *upgrade = json_object_new_array();
	struct plan_ref ref;
	int found = 0;
	size_t i;

	user_plan_ref(r, &ref);
	if (execute_models(r->db, &ref, &ctx) != 0)
		ctx = NULL;
	if ((models = json_object_object_get(ctx, "models")) == NULL ||
	    model_byok_mark(r, &ref, models) != 0) {
		json_object_put(ctx);
		ctx = json_object_new_object();
		models = json_object_new_array();
		json_object_object_add(ctx, "models", models);
	}
	if (selected == NULL)
		selected = model_default(models);
	json_object_object_add(o, "plan", json_object_get(json_object_object_get(
	    json_object_object_get(ctx, "plan"), "name")));
	for (i = 0; i < json_object_array_length(models); i++) {
		struct json_object *m = json_object_array_get_idx(models, i);

		model_decorate(m);
		if (selected != NULL && strcmp(json_str_member(m, "id", NULL),
		    selected) == 0) {
			json_object_object_add(m, "selected",
			    json_object_new_boolean(1));
			json_object_object_add(o, "selected", json_object_get(m));
			found = 1;
		}
		json_object_array_add(allowed(m) ? runnable : upgrade,
		    json_object_get(m));
	}
	if (selected != NULL && *selected && !found)
		json_object_object_add(o, "unknown", json_object_new_string(selected));
	json_object_object_add(o, "chosen",
	    json_object_new_string(selected ? selected : ""));
	json_object_object_add(o, "empty", json_object_new_boolean(
	    json_object_array_length(models) == 0));
	json_object_object_add(o, "runnable", runnable);
	json_object_object_add(o, "upgrade", upgrade);
	json_object_put(ctx);
	return o;
}
