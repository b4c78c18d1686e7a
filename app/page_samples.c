/* page_samples.c - the golden samples pages of a prompt: the list (a page
 * at a time), the new and edit forms (the new one prefilled from a past
 * execution with ?from=ID), and delete with a confirmation step. Variables
 * and checks are typed as JSON (docs/GOLDEN.md). Export and import are
 * page_sample_io.c. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "executions.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "model_picker.h"
#include "msg.h"
#include "pages.h"
#include "prompts.h"
#include "samples.h"
#include "util.h"

#define PRETTY	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
	JSON_C_TO_STRING_NOSLASHESCAPE)

/* Page data with the owner's prompt slug under "prompt", or NULL after
 * answering the failure. */
static json_object *with_prompt(struct req *r, const char *title)
{
	json_object *p, *d;
	int rc = prompt_get(r->db, r->user.id, req_arg(r, "slug"), &p);

	if (rc != 0) {
		answer_fail(r, rc, NULL);
		return NULL;
	}
	d = page_with_title(r, "prompts", title);
	json_object_object_add(d, "prompt", p);
	return d;
}

/* The types of the checks of sample s (sample_json) as "equals,
 * contains". */
static json_object *types_text(json_object *s)
{
	json_object *checks = json_member(s, "checks");
	struct buf b = { 0 };
	size_t i, n = checks ? json_object_array_length(checks) : 0;
	json_object *o;

	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", json_object_get_string(
		    json_member(json_object_array_get_idx(checks, i), "type")));
	o = json_object_new_string(buf_cstr(&b));
	buf_free(&b);
	return o;
}

/* The start of the expected output of sample s for the list: at most
 * SNIPPET_MAX bytes, cut on a character, with an ellipsis when cut. */
#define SNIPPET_MAX	120
static json_object *snippet(json_object *s)
{
	json_object *e = json_member(s, "expected_output");
	const char *t;
	size_t n, i = 0, l;
	struct buf b = { 0 };

	if (e == NULL)
		return NULL;
	t = json_object_get_string(e);
	n = (size_t)json_object_get_string_len(e);
	while (i < n && (l = utf8_seq(t + i, n - i)) > 0 && i + l <= SNIPPET_MAX)
		i += l;
	buf_append(&b, t, i);
	if (i < n)
		buf_puts(&b, "\xe2\x80\xa6");
	e = json_object_new_string(buf_cstr(&b));
	buf_free(&b);
	return e;
}

void h_samples_page(struct req *r)
{
	const char *lim = req_query(r, "limit");
	struct pm_fail f = { 0 };
	json_object *d, *page, *items;
	int64_t n = 0;
	size_t i;
	int rc;

	if ((d = with_prompt(r, "samples")) == NULL)
		return;
	if (lim != NULL && *lim && parse_i64(lim, 1, LIST_LIMIT_MAX, &n) != 0) {
		json_object_put(d);
		pm_refuse(&f, PM_INVALID, "prompts.bad_limit", "limit");
		answer_fail(r, PM_INVALID, &f);
		return;
	}
	rc = sample_page(r->db, r->user.id, req_arg(r, "slug"),
	    req_query(r, "cursor"), (int)n, &page, &f);
	if (rc != 0) {
		json_object_put(d);
		answer_fail(r, rc, &f);
		return;
	}
	items = json_member(page, "items");
	for (i = 0; i < json_object_array_length(items); i++) {
		json_object *s = json_object_array_get_idx(items, i);

		json_object_object_add(s, "check_types", types_text(s));
		json_object_object_add(s, "expected_snippet", snippet(s));
		json_object_object_add(s, "check_count", json_object_new_int64(
		    (int64_t)json_object_array_length(json_member(s,
		    "checks"))));
	}
	json_object_object_add(d, "has_samples", json_object_new_boolean(
	    json_object_array_length(items) > 0));
	json_object_object_add(d, "first_page", json_object_new_boolean(
	    req_query(r, "cursor") == NULL || !*req_query(r, "cursor")));
	json_object_object_add(d, "samples", page);
	resp_page(r, 200, "samples/list", d);
}

/* The form's values from sample s (sample_json or a prefill): JSON texts
 * for variables and checks, the threshold as text. */
static json_object *form_values(json_object *s)
{
	json_object *v = json_object_new_object(), *t;
	char num[JSON_DOUBLE_MAX];

	json_object_object_add(v, "name", json_object_get(json_member(s,
	    "name")));
	json_object_object_add(v, "variables", json_object_new_string(
	    json_member(s, "variables") ? json_to_text(json_member(s,
	    "variables"), PRETTY, NULL) : "{}"));
	json_object_object_add(v, "checks", json_object_new_string(
	    json_member(s, "checks") ? json_to_text(json_member(s, "checks"),
	    PRETTY, NULL) : "[]"));
	json_object_object_add(v, "expected_output", json_object_get(
	    json_member(s, "expected_output")));
	if ((t = json_member(s, "threshold")) != NULL) {
		json_double_text(json_object_get_double(t), num, sizeof(num));
		json_object_object_add(v, "threshold",
		    json_object_new_string(num));
	}
	json_object_object_add(v, "created_from_execution_id",
	    json_object_get(json_member(s, "created_from_execution_id")));
	return v;
}

/* Render the sample form with values (taken) for sample id (0: new). */
static void sample_form(struct req *r, int status, json_object *d,
    json_object *values, int64_t id)
{
	json_object *judge = json_member(values, "judge_model");

	json_object_object_add(d, "models", model_picker(r, judge ?
	    json_object_get_string(judge) : ""));
	json_object_object_add(d, "no_judge", json_object_new_boolean(
	    judge == NULL || !*json_object_get_string(judge)));
	json_object_object_add(d, "form", values);
	if (id > 0)
		json_object_object_add(d, "sample_id", json_object_new_int64(id));
	resp_page(r, status, "samples/form", d);
}

/* The prefill of a new sample: empty values with the latest version's
 * variables, or the execution ?from=ID of this prompt (its variables, its
 * output as the expected output). Returns 0 or an error (answered by the
 * caller). */
static int prefill(struct req *r, json_object *prompt, json_object **out)
{
	const char *from = req_query(r, "from");
	json_object *s = json_object_new_object(), *e, *v, *vars, *decls;
	struct buf name = { 0 };
	int64_t id;
	size_t i;
	int rc;

	*out = s;
	json_object_object_add(s, "checks", json_tokener_parse(
	    "[{\"type\": \"equals\"}]"));
	if (from != NULL && *from) {
		if (parse_i64(from, 1, INT64_MAX, &id) != 0)
			return PM_NOTFOUND;
		if ((rc = exec_get(r->db, r->user.id, id, &e)) != 0)
			return rc;
		if (json_member(e, "prompt") == NULL ||
		    strcmp(json_object_get_string(json_member(e, "prompt")),
		    json_object_get_string(json_member(prompt, "slug"))) != 0) {
			json_object_put(e);
			return PM_NOTFOUND;
		}
		msg_fmt(&name, "samples.name_from_execution", "id", from, NULL);
		json_object_object_add(s, "name", json_object_new_string(
		    buf_cstr(&name)));
		json_object_object_add(s, "variables", json_object_get(
		    json_member(e, "variables")));
		json_object_object_add(s, "expected_output", json_object_get(
		    json_member(e, "output")));
		json_object_object_add(s, "created_from_execution_id",
		    json_object_new_int64(id));
		json_object_put(e);
		buf_free(&name);
		return 0;
	}
	vars = json_object_new_object();
	json_object_object_add(s, "variables", vars);
	if (version_get_content(r->db, r->user.id, json_object_get_string(
	    json_member(prompt, "slug")), 0, &v) == 0) {
		decls = json_member(v, "variables");
		for (i = 0; decls && i < json_object_array_length(decls); i++) {
			json_object *dcl = json_object_array_get_idx(decls, i);

			json_object_object_add(vars, json_object_get_string(
			    json_member(dcl, "name")), json_member(dcl,
			    "default") ? json_object_get(json_member(dcl,
			    "default")) : json_object_new_string(""));
		}
		json_object_put(v);
	}
	return 0;
}

void h_sample_new_page(struct req *r)
{
	json_object *d, *s;
	int rc;

	if ((d = with_prompt(r, "sample_new")) == NULL)
		return;
	if ((rc = prefill(r, json_member(d, "prompt"), &s)) != 0) {
		json_object_put(s);
		json_object_put(d);
		answer_fail(r, rc, NULL);
		return;
	}
	sample_form(r, 200, d, form_values(s), 0);
	json_object_put(s);
}

/* The JSON text of form field key parsed into *out (NULL: empty). Returns
 * 0, or PM_INVALID with the refusal bad_key naming key. */
static int json_field(struct req *r, const char *key, const char *bad_key,
    json_object **out, struct pm_fail *f)
{
	const char *s = req_form(r, key);
	struct json_error e;

	*out = NULL;
	if (s == NULL || strspn(s, " \t\r\n") == strlen(s))
		return 0;
	if ((*out = json_parse_strict(s, strlen(s), &e)) == NULL &&
	    e.kind != JSON_ERR_NULL) {
		pm_refuse(f, PM_INVALID, bad_key, key);
		pm_fail_arg(f, "reason", "%s", e.detail);
		return PM_INVALID;
	}
	return 0;
}

/* The sample's fields from the form, as sample_create takes them, in
 * *out. Returns 0 or PM_INVALID naming the field that does not read. */
static int form_fields(struct req *r, json_object **out, struct pm_fail *f)
{
	const char *name = req_form(r, "name"), *exp = req_form(r,
	    "expected_output"), *thr = req_form(r, "threshold");
	const char *judge = req_form(r, "judge_model"), *from = req_form(r,
	    "created_from_execution_id");
	json_object *in = json_object_new_object(), *v;
	char *end;
	double t;
	int64_t id;

	*out = in;
	json_object_object_add(in, "name", json_object_new_string(name ? name :
	    ""));
	if (json_field(r, "variables", "samples.variables_json", &v, f) != 0)
		return PM_INVALID;
	json_object_object_add(in, "variables", v);
	if (json_field(r, "checks", "samples.checks_json", &v, f) != 0)
		return PM_INVALID;
	json_object_object_add(in, "checks", v ? v : json_object_new_array());
	/* Every field is given: an empty one is none (null), also when
	 * changing a sample. */
	json_object_object_add(in, "expected_output", exp != NULL && *exp ?
	    json_object_new_string(exp) : NULL);
	json_object_object_add(in, "threshold", NULL);
	json_object_object_add(in, "judge_model", NULL);
	if (thr != NULL && *thr) {
		t = strtod(thr, &end);
		if (*end != '\0' || end == thr)
			return pm_refuse(f, PM_INVALID, "samples.threshold",
			    "threshold");
		json_object_object_add(in, "threshold", json_new_double(t));
	}
	if (judge != NULL && *judge)
		json_object_object_add(in, "judge_model",
		    json_object_new_string(judge));
	if (from != NULL && *from && parse_i64(from, 1, INT64_MAX, &id) == 0)
		json_object_object_add(in, "created_from_execution_id",
		    json_object_new_int64(id));
	return 0;
}

/* What the user typed, for the form after a refusal. */
static json_object *typed_values(struct req *r)
{
	static const char *const keys[] = { "name", "variables", "checks",
	    "expected_output", "threshold", "judge_model",
	    "created_from_execution_id" };
	json_object *v = json_object_new_object();
	size_t i;

	for (i = 0; i < NELEM(keys); i++) {
		const char *s = req_form(r, keys[i]);

		if (s != NULL && *s)
			json_object_object_add(v, keys[i],
			    json_object_new_string(s));
	}
	return v;
}

/* Create (id 0) or update sample id from the form; redirect to the list,
 * or show the form again with the refusal. */
static void save(struct req *r, int64_t id)
{
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	json_object *d, *in;
	char path[SLUG_MAX + 32];
	int64_t rc;

	if ((d = with_prompt(r, id ? "sample_edit" : "sample_new")) == NULL)
		return;
	rc = form_fields(r, &in, &f);
	if (rc == 0 && id == 0)
		rc = sample_create(r->db, r->user.id, slug, in, r->now, &f);
	else if (rc == 0) {
		json_object_object_del(in, "created_from_execution_id");
		rc = sample_update(r->db, r->user.id, slug, id, in, r->now, &f);
	}
	json_object_put(in);
	if (rc == PM_NOTFOUND || err_is_db((int)rc)) {
		json_object_put(d);
		answer_fail(r, (int)rc, &f);
		return;
	}
	if (rc < 0) {
		sample_form(r, form_fail(d, (int)rc, &f), d, typed_values(r), id);
		return;
	}
	json_object_put(d);
	snprintf(path, sizeof(path), "/prompts/%s/samples", slug);
	redirect_flash(r, path, id ? "sample_updated" : "sample_created");
}

void h_sample_create(struct req *r)
{
	save(r, 0);
}

void h_sample_update(struct req *r)
{
	save(r, req_num(r, "id"));
}

/* Page data with the prompt and sample :id (sample_json under "sample"),
 * or NULL after answering. */
static json_object *with_sample(struct req *r, const char *title)
{
	json_object *d = with_prompt(r, title), *s;
	int rc;

	if (d == NULL)
		return NULL;
	rc = sample_get(r->db, r->user.id, req_arg(r, "slug"),
	    req_num(r, "id"), &s);
	if (rc != 0) {
		json_object_put(d);
		answer_fail(r, rc, NULL);
		return NULL;
	}
	json_object_object_add(d, "sample", s);
	return d;
}

void h_sample_edit_page(struct req *r)
{
	json_object *d = with_sample(r, "sample_edit"), *v;

	if (d == NULL)
		return;
	v = form_values(json_member(d, "sample"));
	if (json_member(json_member(d, "sample"), "judge_model"))
		json_object_object_add(v, "judge_model", json_object_get(
		    json_member(json_member(d, "sample"), "judge_model")));
	sample_form(r, 200, d, v, req_num(r, "id"));
}

void h_sample_delete_page(struct req *r)
{
	json_object *d = with_sample(r, "sample_delete");

	if (d != NULL)
		resp_page(r, 200, "samples/delete", d);
}

void h_sample_delete(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	char path[SLUG_MAX + 32];
	int rc = sample_delete(r->db, r->user.id, slug, req_num(r, "id"));

	if (rc != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	snprintf(path, sizeof(path), "/prompts/%s/samples", slug);
	redirect_flash(r, path, "sample_deleted");
}
