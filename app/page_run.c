/* page_run.c - running a prompt from the site: the run page (version,
 * model, typed variables) and the run itself, answered as a stream of
 * Server-Sent Events for the page's script or as a result page without
 * script. The pipeline is execute_run(). */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "clock.h"
#include "escape.h"
#include "event_stream.h"
#include "execute.h"
#include "handlers.h"
#include "http.h"
#include "pages.h"
#include "plans.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"
/* Typed variable values from the form's var.<name> fields, coerced by the
 * version's declarations. Returns 0, or PM_INVALID with details. */
static int form_variables(struct req *r, const char *slug, int version,
    json_object **values, struct pm_fail *f)
{
	json_object *v, *form = json_object_new_object();
	struct vars_errors ve = { 0 };
	size_t i;
	int rc;

	if ((rc = version_get_content(r->db, r->user.id, slug, version, &v)) != 0) {
		json_object_put(form);
		return rc;
	}
	for (i = 0; i < r->form.n; i++)
		if (strncmp(r->form.v[i].key, "var.", 4) == 0)
			json_object_object_add(form, r->form.v[i].key + 4,
			    json_object_new_string(r->form.v[i].val));
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

/* The run page data: prompt, versions, the chosen version's variables,
 * models with what the plan allows, today's usage. */
static int run_page_data(struct req *r, const char *slug, int version,
    json_object **out)
{
	json_object *d, *p, *versions, *v, *ctx;
	struct plan_ref ref;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0)
		return rc;
	if ((rc = version_list(r->db, r->user.id, slug, &versions)) != 0 ||
	    (rc = version_get_content(r->db, r->user.id, slug, version, &v)) != 0) {
		json_object_put(p);
		return rc;
	}
	ref.user_id = r->user.id;
	ref.plan_id = r->user.plan_id;
	ref.source = r->user.plan_source;
	ref.gen = r->user.catalog_gen;
	if ((rc = execute_context(r->db, &ref, r->now, &ctx)) != 0) {
		json_object_put(p);
		json_object_put(versions);
		json_object_put(v);
		return rc;
	}
	version_decorate(v);
	d = page_with_title(r, "prompts", "run");
	{
		size_t i;
		int chosen = json_object_get_int(json_object_object_get(v, "number"));
		const char *dm = json_object_get_string(json_object_object_get(v, "model"));
		json_object *models = json_object_object_get(ctx, "models");

		for (i = 0; i < json_object_array_length(versions); i++) {
			json_object *e = json_object_array_get_idx(versions, i);
			if (json_object_get_int(json_object_object_get(e, "number")) == chosen)
				json_object_object_add(e, "selected", json_object_new_boolean(1));
		}
		for (i = 0; i < json_object_array_length(models); i++) {
			json_object *m = json_object_array_get_idx(models, i);
			if (strcmp(json_object_get_string(json_object_object_get(m, "id")),
			    dm) == 0)
				json_object_object_add(m, "selected", json_object_new_boolean(1));
		}
	}
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
	if ((rc = run_page_data(r, slug, (int)n, &d)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	resp_page(r, 200, "prompts/run", d);
}

void h_run(struct req *r)
{
	const char *slug = req_arg(r, "slug"), *model = req_form(r, "model");
	const char *accept = req_env(r, "HTTP_ACCEPT");
	int stream = accept != NULL && strstr(accept, "text/event-stream") != NULL;
	struct run_stream rs = { r, 0, 0 };
	struct exec_input in = { 0 };
	struct pm_fail f = { 0 };
	json_object *values = NULL, *result = NULL, *d;
	int64_t id = 0;
	int version = form_version(r), rc;

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
	if ((rc = run_page_data(r, slug, version, &d)) != 0) {
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
	if (run_page_data(r, slug, version, &d) != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	if (f.retry_after > 0)
		resp_header(r, "Retry-After", "%lld", (long long)f.retry_after);
	rc = form_fail(d, rc, &f);
	resp_page(r, rc == 422 ? 400 : rc, "prompts/run", d);
}

