/* page_run.c - running a prompt from the site: the run page (version,
 * model, typed variables with their defaults, what the plan allows and
 * how many runs are left), the run itself, answered as a stream of
 * Server-Sent Events for the page's script or as a result page without
 * script, and the saved result of a run (what the page shows after Stop).
 * The pipeline is execute_run(). */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "billing_offer.h"
#include "buf.h"
#include "clock.h"
#include "escape.h"
#include "event_stream.h"
#include "execute.h"
#include "executions.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "model_picker.h"
#include "page_byok.h"
#include "pages.h"
#include "plans.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"

/* The form's var.<name> fields as an object of strings (caller puts). */
static json_object *form_values(struct req *r)
{
	json_object *form = json_object_new_object();
	size_t i;

	for (i = 0; i < r->form.n; i++)
		if (strncmp(r->form.v[i].key, "var.", 4) == 0)
			json_object_object_add(form, r->form.v[i].key + 4,
			    json_object_new_string(r->form.v[i].val));
	return form;
}

/* Typed variable values from the form's var.<name> fields, coerced by the
 * version's declarations. Returns 0, or PM_INVALID with details. */
static int form_variables(struct req *r, const char *slug, int version,
    json_object **values, struct pm_fail *f)
{
	json_object *v, *form;
	struct vars_errors ve = { 0 };
	int rc;

	if ((rc = version_get_content(r->db, r->user.id, slug, version, &v)) != 0)
		return rc;
	form = form_values(r);
	rc = vars_coerce(json_object_object_get(v, "variables"), form, values, &ve);
	json_object_put(form);
	json_object_put(v);
	if (rc != 0)
		return vars_fail(&ve, f, "variables");
	return 0;
}

static int form_version(struct req *r)
{
	int64_t n;
	const char *s = req_form(r, "version");

	return s != NULL && parse_i64(s, 1, 1000000000, &n) == 0 ? (int)n : 0;
}

/* Give each variable of vars the value its field shows: what was typed
 * (typed: the form's values, NULL before a run), else its default; with
 * the option of a select marked. */
static void fill_values(json_object *vars, json_object *typed)
{
	size_t i, j;

	for (i = 0; vars != NULL && i < json_object_array_length(vars); i++) {
		json_object *d = json_object_array_get_idx(vars, i), *x;
		const char *name = json_str_member(d, "name", NULL);
		const char *val = json_object_object_get_ex(typed, name, &x) ?
		    json_object_get_string(x) :
		    json_str_member(d, "default_text", NULL);
		json_object *opts = json_object_object_get(d, "choice_options");

		if (val == NULL)
			val = "";
		json_object_object_add(d, "value", json_object_new_string(val));
		if (strcmp(val, "true") == 0)
			json_object_object_add(d, "value_true", json_object_new_boolean(1));
		else if (strcmp(val, "false") == 0)
			json_object_object_add(d, "value_false", json_object_new_boolean(1));
		for (j = 0; opts != NULL && j < json_object_array_length(opts); j++) {
			json_object *o = json_object_array_get_idx(opts, j);

			json_object_object_add(o, "selected", json_object_new_boolean(
			    strcmp(json_str_member(o, "value", NULL), val) == 0));
		}
	}
}

static int allowed(json_object *m)
{
	return m != NULL &&
	    json_object_get_boolean(json_object_object_get(m, "allowed"));
}

/* The entry of models with that id, or NULL. */
static json_object *model_entry(json_object *models, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < json_object_array_length(models); i++) {
		json_object *m = json_object_array_get_idx(models, i);
		if (strcmp(json_str_member(m, "id", NULL), id) == 0)
			return m;
	}
	return NULL;
}

/* Mark the model the form starts with in ctx's models: wanted (the one
 * the user chose, NULL before a run) when the plan can run it, else the
 * version's default when it can, else the plan's default; when the plan
 * cannot run the version's default, say so in ctx "model_notice"
 * {"model","plan","instead","unknown" (not in the catalog)}. ctx
 * "has_runnable": the plan can run some model. */
static void choose_model(json_object *ctx, const char *version_model,
    const char *wanted)
{
	json_object *models = json_object_object_get(ctx, "models"), *m, *notice;
	json_object *vm = model_entry(models, version_model);
	size_t i;

	for (i = 0; i < json_object_array_length(models); i++)
		model_decorate(json_object_array_get_idx(models, i));
	if (!allowed(m = model_entry(models, wanted)) && !allowed(m = vm))
		m = model_entry(models, model_default(models));
	if (allowed(m))
		json_object_object_add(m, "selected", json_object_new_boolean(1));
	json_object_object_add(ctx, "has_runnable",
	    json_object_new_boolean(allowed(m)));
	if (allowed(vm))
		return;
	notice = json_object_new_object();
	json_object_object_add(notice, "model", json_object_new_string(version_model));
	json_object_object_add(notice, "plan", json_object_get(json_object_object_get(
	    json_object_object_get(ctx, "plan"), "name")));
	json_object_object_add(notice, "unknown", json_object_new_boolean(vm == NULL));
	if (allowed(m))
		json_object_object_add(notice, "instead",
		    json_object_get(json_object_object_get(m, "id")));
	json_object_object_add(ctx, "model_notice", notice);
}

/* The run page data: prompt, versions, the chosen version's variables
 * with the values their fields show, models with what the plan allows,
 * today's usage. After a run (posted: 1) the form keeps what was chosen
 * and typed. */
static int run_page_data(struct req *r, const char *slug, int version,
    int posted, json_object **out)
{
	json_object *d, *p, *versions, *v, *ctx, *typed = NULL;
	struct plan_ref ref;
	size_t i;
	int rc, chosen;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0)
		return rc;
	if ((rc = version_list(r->db, r->user.id, slug, &versions)) != 0 ||
	    (rc = version_get_content(r->db, r->user.id, slug, version, &v)) != 0) {
		json_object_put(p);
		return rc;
	}
	user_plan_ref(r, &ref);
	if ((rc = execute_context(r->db, &ref, r->now, &ctx)) != 0) {
		json_object_put(p);
		json_object_put(versions);
		json_object_put(v);
		return rc;
	}
	version_decorate(v);
	d = page_with_title(r, "prompts", "run");
	chosen = json_object_get_int(json_object_object_get(v, "number"));
	for (i = 0; i < json_object_array_length(versions); i++) {
		json_object *e = json_object_array_get_idx(versions, i);
		if (json_object_get_int(json_object_object_get(e, "number")) == chosen)
			json_object_object_add(e, "selected", json_object_new_boolean(1));
	}
	choose_model(ctx, json_str_member(v, "model", NULL),
	    posted ? req_form(r, "model") : NULL);
	if (posted)
		typed = form_values(r);
	fill_values(json_object_object_get(v, "variables"), typed);
	json_object_put(typed);
	byok_run_notice(r, p, json_str_member(v, "model", NULL), d);
	billing_offer(r, d);
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "versions", versions);
	json_object_object_add(d, "version", v);
	json_object_object_add(d, "run", ctx);
	*out = d;
	return 0;
}

void h_run_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	const char *vs = req_query(r, "version");
	json_object *d;
	int64_t n = 0;
	int rc;

	if (vs != NULL && *vs && parse_i64(vs, 1, 1000000000, &n)) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	if ((rc = run_page_data(r, slug, (int)n, 0, &d)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	resp_page(r, 200, "prompts/run", d);
}

/* What a run's answer says of the quota after it: {"daily": ...} when
 * the plan has a daily limit (else an empty object). */
static json_object *usage_after(struct req *r)
{
	json_object *o = json_object_new_object(), *day = NULL;
	struct plan_ref ref;

	user_plan_ref(r, &ref);
	if (execute_daily(r->db, &ref, clock_now(), &day) == 0 && day != NULL)
		json_object_object_add(o, "daily", day);
	return o;
}

void h_run(struct req *r)
{
	const char *slug = req_arg(r, "slug"), *model = req_form(r, "model");
	const char *accept = req_env(r, "HTTP_ACCEPT");
	int stream = accept != NULL && strstr(accept, "text/event-stream") != NULL;
	struct run_stream rs = { 0 };
	struct exec_input in = { 0 };
	struct pm_fail f = { 0 };
	json_object *values = NULL, *result = NULL, *d;
	int64_t id = 0;
	int version = form_version(r), rc;

	rs.r = r;
	rs.exec_id = &id;
	/* The page's script reads errors before the stream as JSON. */
	if (stream)
		r->is_api = 1;
	if ((rc = form_variables(r, slug, version, &values, &f)) != 0)
		goto refused;
	in.user_id = r->user.id;
	in.plan_id = r->user.plan_id;
	in.plan_source = r->user.plan_source;
	in.catalog_gen = r->user.catalog_gen;
	in.slug = slug;
	in.version = version;
	in.model = model;
	in.variables = values;
	in.max_tokens = -1;
	in.channel = "UI";
	in.stream = stream;
	in.on_delta = stream ? stream_delta : NULL;
	in.should_cancel = stream_cancel;
	in.arg = &rs;
	in.now = r->now;
	rc = run_execute(r, &in, &result, &id, &f);
	json_object_put(values);
	if (stream && rs.started) {
		/* The end event says how many runs are left now. */
		rs.end_extra = usage_after(r);
		stream_end(&rs, rc, result, id, &f);
		return;
	}
	if (rc != 0)
		goto refused;
	if (stream) {		/* cannot happen: the stream starts on admission */
		resp_json(r, 200, result);
		return;
	}
	/* Without script: the run page again, with the result. */
	if ((rc = run_page_data(r, slug, version, 1, &d)) != 0) {
		json_object_put(result);
		answer_fail(r, rc, NULL);
		return;
	}
	json_object_object_add(d, "result", result);
	resp_page(r, 200, "prompts/run", d);
	return;
refused:
	if (stream || rc == PM_NOTFOUND || err_is_db(rc)) {
		answer_fail(r, rc, &f);
		return;
	}
	if (run_page_data(r, slug, version, 1, &d) != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	if (f.retry_after > 0)
		resp_header(r, "Retry-After", "%lld", (long long)f.retry_after);
	rc = form_fail(d, rc, &f);
	/* Each variable's error next to its field. */
	variable_errors_to_fields(d, json_object_object_get(
	    json_object_object_get(d, "version"), "variables"), "error");
	resp_page(r, rc == 422 ? 400 : rc, "prompts/run", d);
}

void h_run_result(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *e, *o, *extra;
	int64_t id = req_num(r, "id");
	int rc;

	r->is_api = 1;
	if ((rc = exec_get(r->db, r->user.id, id, &e)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if (strcmp(json_str_member(e, "prompt", NULL), slug) != 0) {
		json_object_put(e);
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_foreach(e, k, v)
		if (strcmp(k, "id") == 0 || strcmp(k, "status") == 0 ||
		    strcmp(k, "output") == 0 || strcmp(k, "input_tokens") == 0 ||
		    strcmp(k, "output_tokens") == 0 || strcmp(k, "cost") == 0 ||
		    strcmp(k, "cost_micros") == 0 || strcmp(k, "latency_ms") == 0)
			json_object_object_add(o, k, json_object_get(v));
	json_object_put(e);
	extra = usage_after(r);
	json_object_object_foreach(extra, k2, v2)
		json_object_object_add(o, k2, json_object_get(v2));
	json_object_put(extra);
	resp_json(r, 200, o);
}
