/* page_versions.c - HTML pages of versions: the new-version form, the
 * version page, promote / roll back / archive with confirmations that say
 * what will happen, and the comparison of two versions (the messages side
 * by side with the changed words marked, the settings and variables as a
 * table of changes). */
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
#include "msg.h"
#include "page_runs.h"
#include "page_versions.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"
void h_version_new_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *p, *v = NULL, *d, *values;
	int rc, latest;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
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
		values = version_form_values(v);
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
	const char *slug = req_arg(r, "slug");
	struct json_object *in, *p, *d;
	struct pm_fail f = { 0 };
	char path[SLUG_MAX + 40];
	int rc, n;

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
	version_form(r, rc, d, version_form_request_values(r, in), "prompts/edit");
	json_object_put(in);
}

/* The production and latest version numbers of prompt p (0: none). */
static void prompt_numbers(struct json_object *p, int *prod, int *latest)
{
	*prod = json_object_get_int(json_object_object_get(p, "production_version"));
	*latest = json_object_get_int(json_object_object_get(p, "latest_version"));
}

/* The pair compared by default: the production version against the
 * latest, or the two newest when there is no production version or it is
 * the latest (one version: itself twice). */
static void diff_defaults(int prod, int latest, int *a, int *b)
{
	*b = latest;
	*a = prod > 0 && prod != latest ? prod : latest > 1 ? latest - 1 : latest;
}

/* Add the catalog sentence key, with {n} and {production}, to o as name. */
static void add_sentence(struct json_object *o, const char *name,
    const char *key, int n, int prod)
{
	struct buf b = { 0 };
	char sn[16], sp[16];

	snprintf(sn, sizeof(sn), "%d", n);
	snprintf(sp, sizeof(sp), "%d", prod);
	msg_fmt(&b, key, "n", sn, "production", sp, NULL);
	json_object_object_add(o, name, json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
}

/* Add to version v (of a prompt whose production version is prod, 0 for
 * none) its status flags and what its buttons say: one of "promote_first"
 * (nothing in production yet), "promote_newer" (newer than production) or
 * "rollback" (older than production), with "confirm_promote", the
 * sentence of the confirmation saying what will happen; and for a draft
 * "confirm_archive". */
static void version_actions(struct json_object *v, int prod)
{
	int n = json_object_get_int(json_object_object_get(v, "number"));
	const char *flag, *key;

	version_status_flags(v);
	if (n != prod) {
		if (prod == 0) {
			flag = "promote_first";
			key = "versions.confirm_first";
		} else if (n > prod) {
			flag = "promote_newer";
			key = "versions.confirm_promote";
		} else {
			flag = "rollback";
			key = "versions.confirm_rollback";
		}
		json_object_object_add(v, flag, json_object_new_boolean(1));
		add_sentence(v, "confirm_promote", key, n, prod);
	}
	if (json_object_object_get(v, "is_draft") != NULL)
		add_sentence(v, "confirm_archive", "versions.confirm_archive", n, prod);
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
		json_object_object_add(o, "selected",
		    json_object_new_boolean(n == chosen));
		json_object_array_add(a, o);
	}
	return a;
}

/* The compare form's two lists of version numbers, a and b selected. */
static void diff_choices(struct json_object *d, struct json_object *list,
    int a, int b)
{
	json_object_object_add(d, "diff_choices_a", choices(list, a));
	json_object_object_add(d, "diff_choices_b", choices(list, b));
}

void versions_table_data(struct json_object *d, struct json_object *p,
    struct json_object *versions)
{
	int prod, latest, a, b;
	size_t i;

	prompt_numbers(p, &prod, &latest);
	for (i = 0; i < json_object_array_length(versions); i++)
		version_actions(json_object_array_get_idx(versions, i), prod);
	diff_defaults(prod, latest, &a, &b);
	diff_choices(d, versions, a, b);
}

void h_version_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *p, *v, *d;
	int n = (int)req_num(r, "n"), rc, prod, latest;
	char title[64];

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if ((rc = version_get(r->db, r->user.id, slug, n, &v)) != 0) {
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	prompt_numbers(p, &prod, &latest);
	version_decorate(v);
	version_actions(v, prod);
	d = page_with_title(r, "prompts", "version");
	snprintf(title, sizeof(title), "v%d", n);
	json_object_object_add(d, "title", json_object_new_string(title));
	if (n > 1)
		json_object_object_add(d, "previous", json_object_new_int(n - 1));
	/* Production is offered for comparison when it is another version
	 * than the previous one. */
	if (prod > 0 && prod != n && prod != n - 1)
		json_object_object_add(d, "production", json_object_new_int(prod));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "version", v);
	run_last_to_page(r, d, p, n);
	resp_page(r, 200, "prompts/version", d);
}

static void status_change(struct req *r, int promote)
{
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	int n = (int)req_num(r, "n"), rc;
	char path[SLUG_MAX + 16];

	rc = promote ? version_promote(r->db, r->user.id, slug, n, r->now, &f) :
	    version_archive(r->db, r->user.id, slug, n, r->now, &f);
	if (rc != 0) {
		if (!gate_refused_page(r, slug, n, rc, &f))
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

/* All of a version's messages as one text, for the line diff: each
 * message under a "## role" line. */
static void version_text(struct json_object *v, struct buf *out)
{
	struct json_object *m = json_object_object_get(v, "messages");
	size_t i;

	for (i = 0; i < json_object_array_length(m); i++) {
		struct json_object *e = json_object_array_get_idx(m, i);
		buf_printf(out, "## %s\n", json_object_get_string(
		    json_object_object_get(e, "role")));
		buf_puts(out, json_object_get_string(json_object_object_get(e, "content")));
		buf_putc(out, '\n');
	}
}

/* A value as a person reads it: a string as it is, anything else but a
 * list as its JSON text, a list as its items so made, joined by ", "; with
 * quoted, the items of a list are quoted (stop sequences, where blanks
 * matter). */
static void value_text(struct json_object *x, int quoted, struct buf *out)
{
	size_t i;

	if (json_object_is_type(x, json_type_array)) {
		for (i = 0; i < json_object_array_length(x); i++) {
			if (i > 0)
				buf_puts(out, ", ");
			value_text(json_object_array_get_idx(x, i), quoted, out);
		}
	} else if (json_object_is_type(x, json_type_string) && !quoted)
		buf_puts(out, json_object_get_string(x));
	else
		buf_puts(out, json_object_to_json_string_ext(x,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Add value_text(x, quoted) to o as name. */
static void add_text(struct json_object *o, const char *name,
    struct json_object *x, int quoted)
{
	struct buf b = { 0 };

	value_text(x, quoted, &b);
	json_object_object_add(o, name, json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
}

/* Version v's model and parameters as {label: text}. Caller puts. */
static struct json_object *settings_of(struct json_object *v)
{
	struct json_object *o = json_object_new_object();
	struct json_object *params = json_object_object_get(v, "params");

	add_text(o, msg_get("versions.setting_model"),
	    json_object_object_get(v, "model"), 0);
	if (json_object_is_type(params, json_type_object)) {
		json_object_object_foreach(params, k, x)
			if (x != NULL)
				add_text(o, k, x, 1);
	}
	return o;
}

/* A variable declaration as {label: text} of its fields. Caller puts. */
static struct json_object *declaration_of(struct json_object *decl)
{
	static const char *const fields[] = { "type", "required", "default",
	    "choices", "description" };
	struct json_object *o = json_object_new_object(), *x;
	char key[64];
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!json_object_object_get_ex(decl, fields[i], &x) || x == NULL)
			continue;
		snprintf(key, sizeof(key), "versions.field_%s", fields[i]);
		if (strcmp(fields[i], "type") == 0) {
			char tk[64];
			snprintf(tk, sizeof(tk), "versions.type_%s",
			    json_object_get_string(x));
			json_object_object_add(o, msg_get(key),
			    json_object_new_string(msg_get(tk)));
		} else if (strcmp(fields[i], "required") == 0) {
			json_object_object_add(o, msg_get(key), json_object_new_string(
			    msg_get(json_object_get_boolean(x) ? "versions.yes" :
			    "versions.no")));
		} else
			add_text(o, msg_get(key), x, 0);
	}
	return o;
}

/* Add to change c (a diff_fields() entry or a variable's row) the words
 * of its "change" as "change_text". */
static void label_change(struct json_object *c)
{
	char key[64];

	snprintf(key, sizeof(key), "versions.change_%s",
	    json_object_get_string(json_object_object_get(c, "change")));
	json_object_object_add(c, "change_text",
	    json_object_new_string(msg_get(key)));
}

/* label_change() each entry of changes; returns changes. */
static struct json_object *labelled(struct json_object *changes)
{
	size_t i;

	for (i = 0; i < json_object_array_length(changes); i++)
		label_change(json_object_array_get_idx(changes, i));
	return changes;
}

/* The declaration named name in the array decls, or NULL. */
static struct json_object *declaration_named(struct json_object *decls,
    const char *name)
{
	size_t i;

	for (i = 0; i < json_object_array_length(decls); i++) {
		struct json_object *d = json_object_array_get_idx(decls, i);
		if (strcmp(json_object_get_string(json_object_object_get(d, "name")),
		    name) == 0)
			return d;
	}
	return NULL;
}

/* One row of the variables' table of changes if the declarations x (old)
 * and y (new) of variable name differ (either may be NULL). */
static void variable_change(struct json_object *rows, const char *name,
    struct json_object *x, struct json_object *y)
{
	struct json_object *fx = x ? declaration_of(x) : NULL;
	struct json_object *fy = y ? declaration_of(y) : NULL;
	struct json_object *changes = diff_fields(fx, fy), *row;

	json_object_put(fx);
	json_object_put(fy);
	if (json_object_array_length(changes) == 0) {
		json_object_put(changes);
		return;
	}
	/* The row's change is the variable's: added, removed or changed. */
	row = json_object_new_object();
	json_object_object_add(row, "name", json_object_new_string(name));
	json_object_object_add(row, "change", json_object_new_string(
	    x == NULL ? "added" : y == NULL ? "removed" : "changed"));
	label_change(row);
	json_object_object_add(row, "fields", labelled(changes));
	json_object_array_add(rows, row);
}

/* The variables' table of changes from version va to vb: the variables of
 * va in order (removed or changed), then those only in vb. */
static struct json_object *variable_changes(struct json_object *va,
    struct json_object *vb)
{
	struct json_object *da = json_object_object_get(va, "variables");
	struct json_object *db = json_object_object_get(vb, "variables");
	struct json_object *rows = json_object_new_array();
	size_t i;

	for (i = 0; i < json_object_array_length(da); i++) {
		struct json_object *x = json_object_array_get_idx(da, i);
		const char *name = json_object_get_string(
		    json_object_object_get(x, "name"));
		variable_change(rows, name, x, declaration_named(db, name));
	}
	for (i = 0; i < json_object_array_length(db); i++) {
		struct json_object *y = json_object_array_get_idx(db, i);
		const char *name = json_object_get_string(
		    json_object_object_get(y, "name"));
		if (declaration_named(da, name) == NULL)
			variable_change(rows, name, NULL, y);
	}
	return rows;
}

/* Add to d the comparison of va (left) and vb (right): the messages'
 * rows and counts, the settings' and the variables' tables of changes,
 * and whether the two are the same. */
static void comparison(struct json_object *d, struct json_object *va,
    struct json_object *vb)
{
	struct buf ta = { 0 }, tb = { 0 };
	struct diff_row *rows = NULL;
	struct json_object *sa = settings_of(va), *sb = settings_of(vb);
	struct json_object *settings = labelled(diff_fields(sa, sb));
	struct json_object *vars = variable_changes(va, vb);
	size_t nrows = 0, added, removed;
	int same;

	json_object_put(sa);
	json_object_put(sb);
	version_text(va, &ta);
	version_text(vb, &tb);
	diff_lines(ta.data, ta.len, tb.data, tb.len, &rows, &nrows);
	diff_counts(rows, nrows, &added, &removed);
	json_object_object_add(d, "rows", diff_to_json(rows, nrows));
	diff_free(rows, nrows);
	buf_free(&ta);
	buf_free(&tb);
	json_object_object_add(d, "added", json_object_new_int64((int64_t)added));
	json_object_object_add(d, "removed", json_object_new_int64((int64_t)removed));
	json_object_object_add(d, "messages_same", json_object_new_boolean(
	    added == 0 && removed == 0));
	same = added == 0 && removed == 0 &&
	    json_object_array_length(settings) == 0 &&
	    json_object_array_length(vars) == 0;
	json_object_object_add(d, "identical", json_object_new_boolean(same));
	json_object_object_add(d, "has_setting_changes", json_object_new_boolean(
	    json_object_array_length(settings) > 0));
	json_object_object_add(d, "has_variable_changes", json_object_new_boolean(
	    json_object_array_length(vars) > 0));
	json_object_object_add(d, "setting_changes", settings);
	json_object_object_add(d, "variable_changes", vars);
}

/* Version number from query parameter name, or dflt when it is absent or
 * empty. Returns 0 for a value that is not a version number. */
static int query_version(struct req *r, const char *name, int dflt)
{
	const char *s = req_query(r, name);
	int64_t n;

	if (s == NULL || *s == '\0')
		return dflt;
	return parse_i64(s, 1, 1000000000, &n) == 0 ? (int)n : 0;
}

void h_diff_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *p, *va = NULL, *vb = NULL, *d, *list;
	int rc, prod, latest, a, b;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	prompt_numbers(p, &prod, &latest);
	d = page_with_title(r, "prompts", "diff");
	if (latest == 0) {
		json_object_object_add(d, "prompt", p);
		json_object_object_add(d, "no_versions", json_object_new_boolean(1));
		resp_page(r, 200, "prompts/diff", d);
		return;
	}
	diff_defaults(prod, latest, &a, &b);
	a = query_version(r, "a", a);
	b = query_version(r, "b", b);
	if (a == 0 || b == 0 ||
	    (rc = version_get_content(r->db, r->user.id, slug, a, &va)) != 0 ||
	    (rc = version_get_content(r->db, r->user.id, slug, b, &vb)) != 0) {
		json_object_put(p);
		json_object_put(va);
		json_object_put(d);
		answer_fail(r, rc < 0 ? rc : PM_NOTFOUND, NULL);
		return;
	}
	comparison(d, va, vb);
	version_status_flags(va);
	version_status_flags(vb);
	json_object_object_add(d, "a", va);
	json_object_object_add(d, "b", vb);
	if (version_list(r->db, r->user.id, slug, &list) == 0) {
		diff_choices(d, list, a, b);
		json_object_put(list);
	}
	json_object_object_add(d, "prompt", p);
	resp_page(r, 200, "prompts/diff", d);
}
