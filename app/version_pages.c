/* version_pages.c - HTML pages of versions: the new-prompt and
 * new-version forms (with variable declarations), the version page,
 * promote/archive, and the side-by-side diff. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "db.h"
#include "diff.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"

static void flag(struct json_object *o, const char *key, int on)
{
	if (on)
		json_object_object_add(o, key, json_object_new_boolean(1));
}

static void version_decorate_var(struct json_object *d)
{
	struct json_object *x;
	const char *type = json_object_get_string(json_object_object_get(d, "type"));
	char key[32];

	snprintf(key, sizeof(key), "type_%s", type ? type : "string");
	flag(d, key, 1);
	if (json_object_object_get_ex(d, "default", &x) && x != NULL)
		json_object_object_add(d, "default_text", json_object_new_string(
		    json_object_is_type(x, json_type_string) ?
		    json_object_get_string(x) :
		    json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN)));
	if (json_object_object_get_ex(d, "choices", &x) &&
	    json_object_is_type(x, json_type_array)) {
		struct buf b = { 0 };
		size_t j;
		for (j = 0; j < json_object_array_length(x); j++)
			buf_printf(&b, "%s%s", j ? ", " : "", json_object_get_string(
			    json_object_array_get_idx(x, j)));
		json_object_object_add(d, "choices_text",
		    json_object_new_string(buf_cstr(&b)));
		buf_free(&b);
	}
}

void version_status_flags(struct json_object *v)
{
	const char *st = json_object_get_string(json_object_object_get(v, "status"));

	flag(v, "is_production", strcmp(st, "PRODUCTION") == 0);
	flag(v, "is_draft", strcmp(st, "DRAFT") == 0);
	flag(v, "is_archived", strcmp(st, "ARCHIVED") == 0);
}

void version_decorate(struct json_object *v)
{
	struct json_object *params = json_object_object_get(v, "params");
	struct json_object *vars = json_object_object_get(v, "variables");
	struct json_object *rows = json_object_new_array();
	size_t i;

	version_status_flags(v);
	json_object_object_foreach(params, k, val) {
		struct json_object *row = json_object_new_object();
		json_object_object_add(row, "name", json_object_new_string(k));
		json_object_object_add(row, "value", json_object_new_string(
		    json_object_is_type(val, json_type_string) ?
		    json_object_get_string(val) : json_object_to_json_string_ext(val,
		    JSON_C_TO_STRING_PLAIN)));
		json_object_array_add(rows, row);
	}
	json_object_object_add(v, "param_rows", rows);
	json_object_object_add(v, "has_params", json_object_new_boolean(
	    json_object_array_length(rows) > 0));
	json_object_object_add(v, "has_variables", json_object_new_boolean(
	    json_object_array_length(vars) > 0));
	for (i = 0; i < json_object_array_length(vars); i++)
		version_decorate_var(json_object_array_get_idx(vars, i));
}

/* A number field: omitted when empty, a JSON number when it parses, else
 * the text itself (the data layer then names the field). */
static void number_field(struct req *r, struct json_object *params,
    const char *key, int integer)
{
	const char *s = req_form(r, key);
	char *end;
	double d;

	if (s == NULL || *s == '\0')
		return;
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d))
		json_object_object_add(params, key, json_object_new_string(s));
	else if (integer && d == (double)(int64_t)d)
		json_object_object_add(params, key, json_object_new_int64((int64_t)d));
	else
		json_object_object_add(params, key, json_object_new_double(d));
}

/* Declarations from the form's var.<name>.<field> inputs. */
static struct json_object *form_declarations(struct req *r)
{
	struct json_object *by_name = json_object_new_object(), *a;
	size_t i;

	for (i = 0; i < r->form.n; i++) {
		const char *k = r->form.v[i].key, *val = r->form.v[i].val, *dot;
		char name[VARS_NAME_MAX + 1];
		struct json_object *d;

		if (strncmp(k, "var.", 4) != 0 || (dot = strchr(k + 4, '.')) == NULL ||
		    (size_t)(dot - k - 4) > VARS_NAME_MAX)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(dot - k - 4), k + 4);
		if (!json_object_object_get_ex(by_name, name, &d)) {
			d = json_object_new_object();
			json_object_object_add(d, "name", json_object_new_string(name));
			json_object_object_add(d, "required", json_object_new_boolean(0));
			json_object_object_add(by_name, name, d);
		}
		dot++;
		if (strcmp(dot, "type") == 0 || strcmp(dot, "description") == 0)
			json_object_object_add(d, dot, json_object_new_string(val));
		else if (strcmp(dot, "required") == 0)
			json_object_object_add(d, "required", json_object_new_boolean(1));
		else if (strcmp(dot, "default") == 0 && *val)
			json_object_object_add(d, "default", json_object_new_string(val));
		else if (strcmp(dot, "choices") == 0 && *val) {
			struct json_object *c = json_object_new_array();
			const char *p = val;
			while (*p) {
				size_t n = strcspn(p, ",\n");
				const char *s = p, *e = p + n;
				while (s < e && (*s == ' ' || *s == '\r'))
					s++;
				while (e > s && (e[-1] == ' ' || e[-1] == '\r'))
					e--;
				if (e > s)
					json_object_array_add(c,
					    json_object_new_string_len(s, (int)(e - s)));
				p += n;
				if (*p)
					p++;
			}
			json_object_object_add(d, "choices", c);
		}
	}
	a = json_object_new_array();
	json_object_object_foreach(by_name, name, d) {
		struct json_object *t;
		(void)name;
		/* An optional string without a default defaults to "". */
		if (!json_object_get_boolean(json_object_object_get(d, "required")) &&
		    !json_object_object_get_ex(d, "default", NULL) &&
		    (!json_object_object_get_ex(d, "type", &t) ||
		    strcmp(json_object_get_string(t), "string") == 0))
			json_object_object_add(d, "default", json_object_new_string(""));
		json_object_array_add(a, json_object_get(d));
	}
	json_object_put(by_name);
	return a;
}

/* Version content from the form, as version_content() takes it. */
static struct json_object *version_form_fields(struct req *r)
{
	struct json_object *in = json_object_new_object(), *params, *stops;
	const char *sys = req_form(r, "system"), *user = req_form(r, "user_template");
	const char *model = req_form(r, "model"), *stop = req_form(r, "stop");
	const char *commit = req_form(r, "commit_message");

	const char *chat = req_form(r, "messages_json");

	if (chat != NULL && *chat != '\0') {
		/* A chat (several turns) is edited as its JSON list; text that
		 * is not JSON is passed on as such, and refused by
		 * version_content() naming the field. */
		struct json_error e;
		struct json_object *m = json_parse_strict(chat, strlen(chat), &e);

		json_object_object_add(in, "messages",
		    m ? m : json_object_new_string(chat));
	} else {
		json_object_object_add(in, "system",
		    json_object_new_string(sys ? sys : ""));
		json_object_object_add(in, "user_template",
		    json_object_new_string(user ? user : ""));
	}
	json_object_object_add(in, "model", json_object_new_string(model ? model : ""));
	json_object_object_add(in, "commit_message",
	    json_object_new_string(commit ? commit : ""));
	params = json_object_new_object();
	number_field(r, params, "temperature", 0);
	number_field(r, params, "top_p", 0);
	number_field(r, params, "max_tokens", 1);
	if (stop != NULL && *stop) {
		const char *p = stop;
		stops = json_object_new_array();
		while (*p) {
			size_t n = strcspn(p, "\r\n");
			if (n > 0)
				json_object_array_add(stops, json_object_new_string_len(p, (int)n));
			p += n;
			p += strspn(p, "\r\n");
		}
		json_object_object_add(params, "stop", stops);
	}
	json_object_object_add(in, "params", params);
	json_object_object_add(in, "variables", form_declarations(r));
	json_object_object_add(in, "prune_variables", json_object_new_boolean(1));
	return in;
}

/* Whether messages are more than a system message and one user template
 * (then the form edits them as a JSON list, so no turn is lost). */
static int is_chat(struct json_object *m)
{
	size_t n = json_object_array_length(m), i;

	if (n == 0 || n > 2)
		return n > 2;
	for (i = 0; i < n; i++) {
		const char *role = json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(m, i), "role"));
		if (strcmp(role, i + 1 == n ? "user" : "system") != 0)
			return 1;
	}
	return 0;
}

/* The form's initial values from version v: messages, model, params,
 * declarations. */
static struct json_object *form_values(struct json_object *v)
{
	struct json_object *o = json_object_new_object(), *m, *p, *x;
	size_t i;

	m = json_object_object_get(v, "messages");
	if (is_chat(m)) {
		json_object_object_add(o, "chat", json_object_new_boolean(1));
		json_object_object_add(o, "messages_json", json_object_new_string(
		    json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)));
	} else
		for (i = 0; i < json_object_array_length(m); i++) {
			struct json_object *e = json_object_array_get_idx(m, i);
			const char *role = json_object_get_string(
			    json_object_object_get(e, "role"));
			json_object_object_add(o, strcmp(role, "system") == 0 ?
			    "system" : "user_template",
			    json_object_get(json_object_object_get(e, "content")));
		}
	json_object_object_add(o, "model", json_object_get(json_object_object_get(v, "model")));
	p = json_object_object_get(v, "params");
	json_object_object_foreach(p, k, val) {
		if (strcmp(k, "stop") == 0 && json_object_is_type(val, json_type_array)) {
			struct buf b = { 0 };
			for (i = 0; i < json_object_array_length(val); i++)
				buf_printf(&b, "%s%s", i ? "\n" : "", json_object_get_string(
				    json_object_array_get_idx(val, i)));
			json_object_object_add(o, "stop", json_object_new_string(buf_cstr(&b)));
			buf_free(&b);
		} else
			json_object_object_add(o, k, json_object_new_string(
			    json_object_get_string(val)));
	}
	if (json_object_object_get_ex(v, "variables", &x) && x != NULL) {
		json_object_object_add(o, "variables", json_object_get(x));
		json_object_object_add(o, "has_variables", json_object_new_boolean(
		    json_object_array_length(x) > 0));
	}
	return o;
}

/* What the user typed, for redisplay after a refusal, with the variables
 * detected in the typed messages: the declaration typed for each, or a
 * required string for a new one. */
static struct json_object *form_values_from_request(struct req *r,
    struct json_object *content)
{
	static const char *const keys[] = { "system", "user_template", "model",
	    "temperature", "top_p", "max_tokens", "stop", "commit_message",
	    "messages_json" };
	struct json_object *o = json_object_new_object(), *names, *vars, *given;
	struct vars_errors ve = { 0 };
	size_t i, j;

	for (i = 0; i < NELEM(keys); i++) {
		const char *v = req_form(r, keys[i]);
		json_object_object_add(o, keys[i], json_object_new_string(v ? v : ""));
	}
	names = json_object_new_array();
	if (json_object_is_type(json_object_object_get(content, "messages"),
	    json_type_array)) {
		struct json_object *m = json_object_object_get(content, "messages");
		json_object_object_add(o, "chat", json_object_new_boolean(1));
		for (i = 0; i < json_object_array_length(m); i++) {
			const char *t = json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(m, i), "content"));
			if (t != NULL)
				vars_scan(t, strlen(t), (int)i, names, &ve);
		}
	} else if (req_form(r, "messages_json") != NULL &&
	    *req_form(r, "messages_json") != '\0')
		json_object_object_add(o, "chat", json_object_new_boolean(1));
	else
		for (i = 0; i < 2; i++) {
			const char *t = req_form(r, i ? "user_template" : "system");
			if (t != NULL)
				vars_scan(t, strlen(t), (int)i, names, &ve);
		}
	vars_errors_free(&ve);
	given = json_object_object_get(content, "variables");
	vars = json_object_new_array();
	for (i = 0; i < json_object_array_length(names); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(names, i));
		struct json_object *d = NULL;

		for (j = 0; j < json_object_array_length(given); j++) {
			struct json_object *g = json_object_array_get_idx(given, j);
			if (strcmp(json_object_get_string(json_object_object_get(g, "name")),
			    n) == 0)
				d = json_object_get(g);
		}
		if (d == NULL) {
			d = json_object_new_object();
			json_object_object_add(d, "name", json_object_new_string(n));
			json_object_object_add(d, "type", json_object_new_string("string"));
			json_object_object_add(d, "required", json_object_new_boolean(1));
		}
		json_object_array_add(vars, d);
	}
	json_object_put(names);
	json_object_object_add(o, "variables", vars);
	return o;
}

/* Render the new-prompt or new-version form. */
static void version_form(struct req *r, int status, struct json_object *d,
    struct json_object *values, const char *tmpl)
{
	struct json_object *vars = json_object_object_get(values, "variables");
	size_t i;

	for (i = 0; vars && i < json_object_array_length(vars); i++)
		version_decorate_var(json_object_array_get_idx(vars, i));
	json_object_object_add(values, "has_variables", json_object_new_boolean(
	    vars != NULL && json_object_array_length(vars) > 0));
	json_object_object_add(d, "form", values);
	resp_page(r, status, tmpl, d);
}

void h_prompt_new_page(struct req *r)
{
	struct json_object *d = page_with_title(r, "prompts", "prompt_new");
	struct json_object *opts, *v;

	(void)category_options(r, 0, &opts);		/* none on failure */
	json_object_object_add(d, "categories", opts);
	v = json_object_new_object();
	json_object_object_add(v, "model", json_object_new_string("openai/gpt-4o-mini"));
	version_form(r, 200, d, v, "prompts/new");
}

void h_prompt_create(struct req *r)
{
	struct json_object *in = prompt_form_fields(r), *content, *d, *v;
	struct pm_fail f = { 0 };
	char slug[SLUG_MAX + 1], path[SLUG_MAX + 16];
	int rc;

	content = version_form_fields(r);
	json_object_object_foreach(content, k, val)
		json_object_object_add(in, k, json_object_get(val));
	rc = prompt_create(r->db, r->user.id, in, r->now, slug, &f);
	if (rc == 0) {
		json_object_put(in);
		json_object_put(content);
		snprintf(path, sizeof(path), "/prompts/%s", slug);
		redirect_flash(r, path, "prompt_created");
		return;
	}
	if (err_is_db(rc)) {
		json_object_put(in);
		json_object_put(content);
		answer_fail(r, rc, &f);
		return;
	}
	d = page_with_title(r, "prompts", "prompt_new");
	rc = form_fail(d, rc, &f);
	{
		struct json_object *cat = json_object_object_get(in, "category_id");
		struct json_object *opts;

		(void)category_options(r, json_object_get_int64(cat), &opts);
		json_object_object_add(d, "categories", opts);
	}
	v = form_values_from_request(r, content);
	json_object_object_foreach(in, k2, val2)
		if (strcmp(k2, "name") == 0 || strcmp(k2, "slug") == 0 ||
		    strcmp(k2, "description") == 0)
			json_object_object_add(v, k2, json_object_get(val2));
	json_object_put(in);
	json_object_put(content);
	version_form(r, rc, d, v, "prompts/new");
}

void h_version_new_page(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *p, *v = NULL, *d, *values;
	int rc, latest;

	if (slug == NULL || (rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, slug ? rc : PM_NOTFOUND, NULL);
		return;
	}
	latest = json_object_get_int(json_object_object_get(p, "latest_version"));
	if (latest > 0 && (rc = version_get_content(r->db, r->user.id, slug, latest, &v))) {
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "prompts", "prompt_edit");
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "base_version", json_object_new_int(latest));
	if (v != NULL) {
		values = form_values(v);
		json_object_put(v);
	} else {
		values = json_object_new_object();
		json_object_object_add(values, "model",
		    json_object_new_string("openai/gpt-4o-mini"));
	}
	version_form(r, 200, d, values, "prompts/edit");
}

void h_version_create(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *in, *p, *d;
	struct pm_fail f = { 0 };
	char path[SLUG_MAX + 40];
	int rc, n;

	if (slug == NULL) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	in = version_form_fields(r);
	n = version_create(r->db, r->user.id, slug, in, r->now, &f);
	if (n > 0) {
		json_object_put(in);
		snprintf(path, sizeof(path), "/prompts/%s/versions/%d", slug, n);
		redirect_flash(r, path, "version_created");
		return;
	}
	if (n == PM_NOTFOUND || err_is_db(n)) {
		json_object_put(in);
		answer_fail(r, n, &f);
		return;
	}
	/* Refused: the prompt is read only to show the form again. */
	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		json_object_put(in);
		json_object_put(f.details);
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "prompts", "prompt_edit");
	rc = form_fail(d, n, &f);
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "base_version", json_object_get(
	    json_object_object_get(p, "latest_version")));
	version_form(r, rc, d, form_values_from_request(r, in), "prompts/edit");
	json_object_put(in);
}

void h_version_page(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *p, *v, *d;
	int n = page_number(r), rc;
	char title[64];

	if (slug == NULL || n == 0) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if ((rc = version_get(r->db, r->user.id, slug, n, &v)) != 0) {
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	version_decorate(v);
	d = page_with_title(r, "prompts", "version");
	snprintf(title, sizeof(title), "v%d", n);
	json_object_object_add(d, "title", json_object_new_string(title));
	if (n > 1)
		json_object_object_add(d, "previous", json_object_new_int(n - 1));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "version", v);
	resp_page(r, 200, "prompts/version", d);
}

static void status_change(struct req *r, int promote)
{
	const char *slug = page_slug(r);
	struct pm_fail f = { 0 };
	int n = page_number(r), rc;
	char path[SLUG_MAX + 16];

	if (slug == NULL || n == 0) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	rc = promote ? version_promote(r->db, r->user.id, slug, n, r->now, &f) :
	    version_archive(r->db, r->user.id, slug, n, r->now, &f);
	if (rc != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	snprintf(path, sizeof(path), "/prompts/%s", slug);
	redirect_flash(r, path, promote ? "version_promoted" : "version_archived");
}

void h_version_promote(struct req *r)
{
	status_change(r, 1);
}

void h_version_archive(struct req *r)
{
	status_change(r, 0);
}

/* All of a version's messages as one text, for the diff. */
static void version_text(struct json_object *v, struct buf *out)
{
	struct json_object *m = json_object_object_get(v, "messages"), *x;
	size_t i;

	for (i = 0; i < json_object_array_length(m); i++) {
		struct json_object *e = json_object_array_get_idx(m, i);
		buf_printf(out, "## %s\n", json_object_get_string(
		    json_object_object_get(e, "role")));
		buf_puts(out, json_object_get_string(json_object_object_get(e, "content")));
		buf_putc(out, '\n');
	}
	buf_printf(out, "## model\n%s\n", json_object_get_string(
	    json_object_object_get(v, "model")));
	x = json_object_object_get(v, "params");
	buf_printf(out, "## params\n%s\n", json_object_to_json_string_ext(x,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	x = json_object_object_get(v, "variables");
	for (i = 0; i < json_object_array_length(x); i++)
		buf_printf(out, "%s%s\n", i ? "" : "## variables\n",
		    json_object_to_json_string_ext(json_object_array_get_idx(x, i),
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Version numbers for a <select>, with the chosen one marked. */
static struct json_object *choices(struct json_object *list, int64_t chosen)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_new_object();
		int64_t n = json_object_get_int64(json_object_object_get(
		    json_object_array_get_idx(list, i), "number"));

		json_object_object_add(o, "number", json_object_new_int64(n));
		if (n == chosen)
			json_object_object_add(o, "selected", json_object_new_boolean(1));
		json_object_array_add(a, o);
	}
	return a;
}

void h_diff_page(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *p, *va = NULL, *vb = NULL, *d, *list;
	struct buf ta = { 0 }, tb = { 0 };
	struct diff_row *rows = NULL;
	size_t nrows = 0, added, removed;
	int64_t a = 0, b = 0;
	int rc;

	if (slug == NULL) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if (parse_i64(req_query(r, "a") ? req_query(r, "a") : "", 1, 1000000000, &a) ||
	    parse_i64(req_query(r, "b") ? req_query(r, "b") : "", 1, 1000000000, &b) ||
	    (rc = version_get_content(r->db, r->user.id, slug, (int)a, &va)) != 0 ||
	    (rc = version_get_content(r->db, r->user.id, slug, (int)b, &vb)) != 0) {
		json_object_put(p);
		json_object_put(va);
		answer_fail(r, rc < 0 ? rc : PM_NOTFOUND, NULL);
		return;
	}
	version_text(va, &ta);
	version_text(vb, &tb);
	diff_lines(ta.data, ta.len, tb.data, tb.len, &rows, &nrows);
	diff_counts(rows, nrows, &added, &removed);
	d = page_with_title(r, "prompts", "diff");
	json_object_object_add(d, "rows", diff_to_json(rows, nrows));
	json_object_object_add(d, "added", json_object_new_int64((int64_t)added));
	json_object_object_add(d, "removed", json_object_new_int64((int64_t)removed));
	json_object_object_add(d, "identical", json_object_new_boolean(
	    added == 0 && removed == 0));
	diff_free(rows, nrows);
	buf_free(&ta);
	buf_free(&tb);
	version_decorate(va);
	version_decorate(vb);
	json_object_object_add(d, "a", va);
	json_object_object_add(d, "b", vb);
	if (version_list(r->db, r->user.id, slug, &list) == 0) {
		json_object_object_add(d, "choices_a", choices(list, a));
		json_object_object_add(d, "choices_b", choices(list, b));
		json_object_put(list);
	}
	json_object_object_add(d, "prompt", p);
	resp_page(r, 200, "prompts/diff", d);
}
