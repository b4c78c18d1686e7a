/* run_pages.c - running a prompt: the run page (version, model, typed
 * variables), the run itself answered as a stream of Server-Sent Events
 * for the page's script or as a result page without script, and the JSON
 * API's execute endpoint. All go through execute_run(). */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "clock.h"
#include "escape.h"
#include "execute.h"
#include "handlers.h"
#include "http.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"

/* Streaming state of one run. */
struct run_stream {
	struct req	*r;
	int		 started;
	int64_t		 last_write_us;
};

static int sse_send(struct run_stream *s, const char *event, json_object *data)
{
	struct buf b = { 0 };
	int rc;

	buf_printf(&b, "event: %s\ndata: %s\n\n", event,
	    json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = resp_stream_write(s->r, b.data, b.len);
	buf_free(&b);
	s->last_write_us = clock_mono_us();
	return rc;
}

static int stream_delta(void *arg, const char *text, size_t len)
{
	struct run_stream *s = arg;
	json_object *o;
	int rc;

	if (!s->started) {
		s->started = 1;
		if (resp_stream_begin(s->r, 200, "text/event-stream; charset=utf-8"))
			return 1;
		s->last_write_us = clock_mono_us();
	}
	if (text == NULL)
		return 0;
	o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_string_len(text, (int)len));
	rc = sse_send(s, "delta", o);
	json_object_put(o);
	return rc != 0;
}

/* While the model thinks, a comment every second: it keeps proxies from
 * timing out and tells us when the browser has gone (the write fails). */
static int stream_cancel(void *arg)
{
	struct run_stream *s = arg;

	if (!s->started || s->r->client_gone)
		return s->r->client_gone;
	if (clock_mono_us() - s->last_write_us < 1000000)
		return 0;
	s->last_write_us = clock_mono_us();
	return resp_stream_write(s->r, ": keep-alive\n\n", 14) != 0;
}

/* End a started stream: a "done" event with the result, or an "error"
 * event with the message of the failure. Takes result and f->details. */
static void stream_end(struct run_stream *s, int rc, json_object *result,
    int64_t id, struct pm_fail *f)
{
	struct buf m = { 0 };
	json_object *o;

	if (rc == 0)
		sse_send(s, "done", result);
	else {
		o = json_object_new_object();
		pm_fail_text(rc, f, &m);
		json_object_object_add(o, "id", json_object_new_int64(id));
		json_object_object_add(o, "message",
		    json_object_new_string(buf_cstr(&m)));
		sse_send(s, "error", o);
		json_object_put(o);
		json_object_put(f->details);
		f->details = NULL;
		buf_free(&m);
	}
	json_object_put(result);
	s->r->done = 1;
}

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
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0)
		return rc;
	if ((rc = version_list(r->db, r->user.id, slug, &versions)) != 0 ||
	    (rc = version_get_content(r->db, r->user.id, slug, version, &v)) != 0) {
		json_object_put(p);
		return rc;
	}
	if ((rc = execute_context(r->db, r->user.id, r->now, &ctx)) != 0) {
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
	const char *slug = page_slug(r);
	const char *vs = req_query(r, "version");
	json_object *d;
	int64_t n = 0;
	int rc;

	if (slug == NULL || (vs != NULL && *vs && parse_i64(vs, 1, 1000000000, &n))) {
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
	const char *slug = page_slug(r), *model = req_form(r, "model");
	const char *accept = req_env(r, "HTTP_ACCEPT");
	int stream = accept != NULL && strstr(accept, "text/event-stream") != NULL;
	struct run_stream rs = { r, 0, 0 };
	struct exec_input in = { 0 };
	struct pm_fail f = { 0 };
	json_object *values = NULL, *result = NULL, *d;
	int64_t id = 0;
	int version = form_version(r), rc;

	if (slug == NULL) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	/* The page's script reads errors before the stream as JSON. */
	if (stream)
		r->is_api = 1;
	if ((rc = form_variables(r, slug, version, &values, &f)) != 0)
		goto refused;
	in.user_id = r->user.id;
	in.slug = slug;
	in.version = version;
	in.model = model;
	in.variables = values;
	in.max_tokens = -1;
	in.channel = "UI";
	in.stream = stream;
	in.on_delta = stream ? stream_delta : NULL;
	in.should_cancel = stream ? stream_cancel : NULL;
	in.arg = &rs;
	in.now = r->now;
	rc = execute_run(r->db, &in, &result, &id, &f);
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

/* POST /api/v1/prompts/:slug/execute {"variables", "version"?, "model"?,
 * "max_tokens"?, "stream"?} */
void h_api_execute(struct req *r)
{
	const char *slug = page_slug(r);
	struct run_stream rs = { r, 0, 0 };
	struct exec_input in = { 0 };
	struct pm_fail f = { 0 };
	json_object *body = r->json, *v, *result = NULL;
	int64_t id = 0;
	int rc;

	if (slug == NULL) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		answer_fail(r, pm_refuse(&f, PM_INVALID, "prompts.body_object", NULL), &f);
		return;
	}
	in.max_tokens = -1;
	json_object_object_foreach(body, key, val) {
		int ok = 1;
		if (strcmp(key, "variables") == 0)
			ok = val == NULL || json_object_is_type(val, json_type_object);
		else if (strcmp(key, "version") == 0) {
			ok = json_object_is_type(val, json_type_int) &&
			    json_object_get_int64(val) >= 1;
			in.version = ok ? json_object_get_int(val) : 0;
		} else if (strcmp(key, "model") == 0) {
			ok = json_object_is_type(val, json_type_string);
			in.model = ok ? json_object_get_string(val) : NULL;
		} else if (strcmp(key, "max_tokens") == 0) {
			ok = json_object_is_type(val, json_type_int) &&
			    json_object_get_int64(val) >= 1 &&
			    json_object_get_int64(val) <= 1000000;
			in.max_tokens = ok ? json_object_get_int64(val) : -1;
		} else if (strcmp(key, "stream") == 0) {
			ok = json_object_is_type(val, json_type_boolean);
			in.stream = ok && json_object_get_boolean(val);
		} else
			ok = 0;
		if (!ok) {
			answer_fail(r, pm_refuse(&f, PM_INVALID, "exec.body_fields",
			    key), &f);
			return;
		}
	}
	v = json_object_object_get(body, "variables");
	in.user_id = r->user.id;
	in.slug = slug;
	in.variables = v;
	in.channel = "API";
	in.on_delta = in.stream ? stream_delta : NULL;
	in.should_cancel = in.stream ? stream_cancel : NULL;
	in.arg = &rs;
	in.now = r->now;
	rc = execute_run(r->db, &in, &result, &id, &f);
	if (in.stream && rs.started) {
		stream_end(&rs, rc, result, id, &f);
		return;
	}
	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		resp_json(r, 200, result);
}
