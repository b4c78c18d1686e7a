/* page_versions.c - HTML pages of versions: the new-prompt and
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

void h_version_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *p, *v, *d;
	int n = (int)req_num(r, "n"), rc;
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
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	int n = (int)req_num(r, "n"), rc;
	char path[SLUG_MAX + 16];

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
	const char *slug = req_arg(r, "slug");
	struct json_object *p, *va = NULL, *vb = NULL, *d, *list;
	struct buf ta = { 0 }, tb = { 0 };
	struct diff_row *rows = NULL;
	size_t nrows = 0, added, removed;
	int64_t a = 0, b = 0;
	int rc;

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
