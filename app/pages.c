/* pages.c - helpers shared by the HTML page handlers: page data with a
 * title, category pickers, redirects with a notice, the prompt list's
 * query, and the prompt and version forms (fields in, values out). */
#include "pages.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "executions.h"
#include "http.h"
#include "jsonx.h"
#include "model_picker.h"
#include "msg.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"


struct json_object *page_with_title(struct req *r, const char *section,
    const char *title_key)
{
	struct json_object *d = page_data(r, section);
	char key[64];

	snprintf(key, sizeof(key), "title.%s", title_key);
	json_object_object_add(d, "title", json_object_new_string(msg_get(key)));
	return d;
}

int category_options(struct req *r, int64_t selected, struct json_object **out)
{
	size_t i;
	int rc;

	if ((rc = category_names(r->db, r->user.id, out)) != 0) {
		*out = json_object_new_array();
		return rc;
	}
	for (i = 0; i < json_object_array_length(*out); i++) {
		struct json_object *c = json_object_array_get_idx(*out, i);
		if (json_object_get_int64(json_object_object_get(c, "id")) == selected)
			json_object_object_add(c, "selected", json_object_new_boolean(1));
	}
	return 0;
}

void redirect_flash(struct req *r, const char *path, const char *flash)
{
	flash_set(r, flash);
	resp_redirect(r, path);
}
int prompt_query_parse(struct req *r, struct prompt_query *pq,
    struct pm_fail *f)
{
	const char *cat = req_query(r, "category"), *lim = req_query(r, "limit");
	int64_t v;

	memset(pq, 0, sizeof(*pq));
	pq->q = req_query(r, "q");
	pq->status = req_query(r, "status");
	pq->sort = req_query(r, "sort");
	pq->cursor = req_query(r, "cursor");
	pq->category = -1;
	if (cat != NULL && *cat) {
		if (strcmp(cat, "none") == 0)
			pq->category = 0;
		else if (parse_i64(cat, 1, INT64_MAX, &v) == 0)
			pq->category = v;
		else
			return pm_refuse(f, PM_INVALID, "prompts.category_invalid",
			    "category");
	}
	if (lim != NULL && *lim) {
		if (parse_i64(lim, 1, LIST_LIMIT_MAX, &v) != 0)
			return pm_refuse(f, PM_INVALID, "prompts.bad_limit", "limit");
		pq->limit = (int)v;
	}
	return 0;
}

/* Prompt fields from a settings or creation form, as the data layer takes
 * them. */
struct json_object *prompt_form_fields(struct req *r)
{
	struct json_object *in = json_object_new_object();
	const char *name = req_form(r, "name"), *slug = req_form(r, "slug");
	const char *desc = req_form(r, "description"), *cat = req_form(r, "category_id");
	int64_t cid;

	json_object_object_add(in, "name", json_object_new_string(name ? name : ""));
	if (slug != NULL && *slug)
		json_object_object_add(in, "slug", json_object_new_string(slug));
	json_object_object_add(in, "description",
	    json_object_new_string(desc ? desc : ""));
	if (cat != NULL && *cat && parse_i64(cat, 1, INT64_MAX, &cid) == 0)
		json_object_object_add(in, "category_id", json_object_new_int64(cid));
	else
		json_object_object_add(in, "category_id", json_object_new_int64(0));
	return in;
}


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
	if (json_object_object_get_ex(d, "default", &x) &&
	    json_object_is_type(x, json_type_boolean))
		flag(d, json_object_get_boolean(x) ? "default_true" :
		    "default_false", 1);
	if (json_object_object_get_ex(d, "choices", &x) &&
	    json_object_is_type(x, json_type_array)) {
		struct json_object *opts = json_object_new_array(), *dv;
		const char *def = json_object_object_get_ex(d, "default", &dv) &&
		    json_object_is_type(dv, json_type_string) ?
		    json_object_get_string(dv) : NULL;
		struct buf b = { 0 };
		size_t j;

		for (j = 0; j < json_object_array_length(x); j++) {
			const char *c = json_object_get_string(
			    json_object_array_get_idx(x, j));
			struct json_object *o = json_object_new_object();

			buf_printf(&b, "%s%s", j ? ", " : "", c);
			json_object_object_add(o, "value", json_object_new_string(c));
			flag(o, "selected", def != NULL && strcmp(c, def) == 0);
			json_object_array_add(opts, o);
		}
		json_object_object_add(d, "choices_text",
		    json_object_new_string(buf_cstr(&b)));
		json_object_object_add(d, "choice_options", opts);
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
		json_object_object_add(params, key, json_new_double(d));
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
		/* The choices field is only shown for "one of a list": what it
		 * held for another type is not part of the declaration. */
		if (!json_object_object_get_ex(d, "type", &t) ||
		    strcmp(json_object_get_string(t), "enum") != 0)
			json_object_object_del(d, "choices");
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
struct json_object *version_form_fields(struct req *r)
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
struct json_object *version_form_values(struct json_object *v)
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
struct json_object *version_form_request_values(struct req *r,
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

void variable_errors_to_fields(struct json_object *d, struct json_object *vars,
    const char *key)
{
	struct json_object *errs = json_object_object_get(d, "variable_errors");
	size_t i, j;

	if (errs == NULL || vars == NULL)
		return;
	for (i = 0; i < json_object_array_length(errs); i++) {
		struct json_object *e = json_object_array_get_idx(errs, i);
		const char *name = json_str_member(e, "variable", NULL);

		for (j = 0; name != NULL && j < json_object_array_length(vars); j++) {
			struct json_object *v = json_object_array_get_idx(vars, j);

			if (strcmp(json_str_member(v, "name", NULL), name) == 0 &&
			    !json_object_object_get_ex(v, key, NULL))
				json_object_object_add(v, key, json_object_get(
				    json_object_object_get(e, "message")));
		}
	}
}

/* Render the new-prompt or new-version form. */
void version_form(struct req *r, int status, struct json_object *d,
    struct json_object *values, const char *tmpl)
{
	struct json_object *vars = json_object_object_get(values, "variables");
	struct json_object *picker, *m, *tv;
	size_t i;

	for (i = 0; vars && i < json_object_array_length(vars); i++)
		version_decorate_var(json_object_array_get_idx(vars, i));
	variable_errors_to_fields(d, vars, "decl_error");
	json_object_object_add(values, "has_variables", json_object_new_boolean(
	    vars != NULL && json_object_array_length(vars) > 0));
	/* No model yet (a new prompt): the one the plan's default is. */
	picker = model_picker(r, json_object_object_get_ex(values, "model", &m) ?
	    json_object_get_string(m) : NULL);
	if (m == NULL)
		json_object_object_add(values, "model", json_object_get(
		    json_object_object_get(picker, "chosen")));
	json_object_object_add(picker, "has_runnable", json_object_new_boolean(
	    json_object_array_length(json_object_object_get(picker, "runnable")) > 0));
	json_object_object_add(picker, "has_upgrade", json_object_new_boolean(
	    json_object_array_length(json_object_object_get(picker, "upgrade")) > 0));
	json_object_object_add(d, "models", picker);
	/* What the script clones for a variable typed in a message. */
	tv = json_object_new_object();
	json_object_object_add(tv, "name", json_object_new_string("__VAR__"));
	json_object_object_add(tv, "required", json_object_new_boolean(1));
	version_decorate_var(tv);
	json_object_object_add(d, "var_template", tv);
	json_object_object_add(d, "form", values);
	resp_page(r, status, tmpl, d);
}

void exec_query_of(struct req *r, struct exec_query *q)
{
	memset(q, 0, sizeof(*q));
	q->prompt = req_query(r, "prompt");
	q->model = req_query(r, "model");
	q->status = req_query(r, "status");
	q->billing = req_query(r, "billing");
	q->from = req_query(r, "from");
	q->to = req_query(r, "to");
	q->cursor = req_query(r, "cursor");
}
