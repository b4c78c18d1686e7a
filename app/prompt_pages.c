/* prompt_pages.c - HTML pages of prompts: list with search, filters and
 * pagination; the prompt page; settings; delete with confirmation; export
 * and import. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "db.h"
#include "escape.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "msg.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"

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

const char *page_slug(struct req *r)
{
	const char *s = req_arg(r, "slug");

	return s != NULL && slug_valid(s) ? s : NULL;
}

int page_number(struct req *r)
{
	int64_t n;

	return parse_i64(req_arg(r, "n"), 1, 1000000000, &n) == 0 ? (int)n : 0;
}

int64_t page_id(struct req *r)
{
	int64_t id;

	return parse_i64(req_arg(r, "id"), 1, INT64_MAX, &id) == 0 ? id : 0;
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

void h_prompts_page(struct req *r)
{
	struct prompt_query pq;
	struct json_object *d, *list, *cats, *filters;
	struct pm_fail f = { 0 };
	const char *cat = req_query(r, "category");
	struct buf next = { 0 };
	int rc;

	if ((rc = prompt_query_parse(r, &pq, &f)) != 0 ||
	    (rc = prompt_list(r->db, r->user.id, &pq, &list, &f)) != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	if ((rc = category_options(r, pq.category, &cats)) != 0) {
		json_object_put(cats);
		json_object_put(list);
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_data(r, "prompts");
	json_object_object_add(d, "prompts", json_object_get(
	    json_object_object_get(list, "items")));
	json_object_object_add(d, "has_prompts", json_object_new_boolean(
	    json_object_array_length(json_object_object_get(list, "items")) > 0));
	filters = json_object_new_object();
	json_object_object_add(filters, "q", json_object_new_string(pq.q ? pq.q : ""));
	json_object_object_add(filters, "any", json_object_new_boolean(
	    (pq.q && *pq.q) || pq.category != -1 || (pq.status && *pq.status)));
	json_object_object_add(filters, "status_production", json_object_new_boolean(
	    pq.status && strcmp(pq.status, "production") == 0));
	json_object_object_add(filters, "status_draft", json_object_new_boolean(
	    pq.status && strcmp(pq.status, "draft") == 0));
	json_object_object_add(filters, "sort_name", json_object_new_boolean(
	    pq.sort && strcmp(pq.sort, "name") == 0));
	json_object_object_add(filters, "sort_created", json_object_new_boolean(
	    pq.sort && strcmp(pq.sort, "created") == 0));
	json_object_object_add(filters, "category_none",
	    json_object_new_boolean(pq.category == 0));
	json_object_object_add(d, "filters", filters);
	json_object_object_add(d, "categories", cats);
	if (json_object_object_get(list, "next_cursor") != NULL) {
		url_param(&next, "q", pq.q);
		url_param(&next, "category", cat);
		url_param(&next, "status", pq.status);
		url_param(&next, "sort", pq.sort);
		url_param(&next, "cursor", json_object_get_string(
		    json_object_object_get(list, "next_cursor")));
		json_object_object_add(d, "next_page",
		    json_object_new_string(buf_cstr(&next)));
		buf_free(&next);
	}
	if (pq.cursor && *pq.cursor)
		json_object_object_add(d, "not_first_page", json_object_new_boolean(1));
	json_object_put(list);
	resp_page(r, 200, "prompts/list", d);
}

void h_prompt_page(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *d, *p = NULL, *versions, *prod = NULL;
	size_t i;
	int rc;

	if (slug == NULL) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0 ||
	    (rc = version_list(r->db, r->user.id, slug, &versions)) != 0) {
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "prompts", "prompt");
	json_object_object_add(d, "title", json_object_get(
	    json_object_object_get(p, "name")));
	/* number 0: the PRODUCTION version, else the latest */
	if (json_object_array_length(versions) > 0 &&
	    version_get_content(r->db, r->user.id, slug, 0, &prod) == 0) {
		version_decorate(prod);
		json_object_object_add(d, json_object_object_get(p,
		    "production_version") != NULL ? "production" : "latest", prod);
	}
	for (i = 0; i < json_object_array_length(versions); i++)
		version_status_flags(json_object_array_get_idx(versions, i));
	json_object_object_add(d, "diff_choices", json_object_get(versions));
	json_object_object_add(d, "has_versions", json_object_new_boolean(
	    json_object_array_length(versions) > 0));
	json_object_object_add(d, "can_diff", json_object_new_boolean(
	    json_object_array_length(versions) > 1));
	json_object_object_add(d, "versions", versions);
	json_object_object_add(d, "prompt", p);
	resp_page(r, 200, "prompts/show", d);
}

/* The id of the category of prompt p (0 for none). */
static int64_t category_id_of(struct json_object *p)
{
	struct json_object *c = json_object_object_get(p, "category");

	return c ? json_object_get_int64(json_object_object_get(c, "id")) : 0;
}

/* The settings form of prompt p with category selected (0: none). */
static void settings_form(struct req *r, int status, struct json_object *p,
    int64_t category, struct json_object *d)
{
	struct json_object *opts;

	(void)category_options(r, category, &opts);	/* none on failure */
	json_object_object_add(d, "categories", opts);
	json_object_object_add(d, "prompt", p);
	resp_page(r, status, "prompts/settings", d);
}

void h_prompt_settings_page(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *p;
	int rc;

	if (slug == NULL || (rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, slug ? rc : PM_NOTFOUND, NULL);
		return;
	}
	settings_form(r, 200, p, category_id_of(p),
	    page_with_title(r, "prompts", "prompt_settings"));
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

void h_prompt_settings(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *in, *p, *d, *v;
	struct pm_fail f = { 0 };
	char nslug[SLUG_MAX + 1], path[SLUG_MAX + 16];
	int64_t cat;
	int rc, got;

	if (slug == NULL) {
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	in = prompt_form_fields(r);
	if (!json_object_object_get_ex(in, "slug", NULL))
		json_object_object_add(in, "slug", json_object_new_string(slug));
	rc = prompt_update(r->db, r->user.id, slug, in, r->now, nslug, &f);
	if (rc == 0) {
		json_object_put(in);
		snprintf(path, sizeof(path), "/prompts/%s", nslug);
		redirect_flash(r, path, "prompt_saved");
		return;
	}
	if (rc == PM_NOTFOUND || err_is_db(rc)) {
		json_object_put(in);
		answer_fail(r, rc, &f);
		return;
	}
	/* Refused: the prompt is read only to show the form again. */
	if ((got = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		json_object_put(in);
		json_object_put(f.details);
		answer_fail(r, got, NULL);
		return;
	}
	/* Show the form again with what was typed, the category included. */
	d = page_with_title(r, "prompts", "prompt_settings");
	rc = form_fail(d, rc, &f);
	cat = json_object_object_get_ex(in, "category_id", &v) ?
	    json_object_get_int64(v) : category_id_of(p);
	json_object_object_foreach(in, k, val) {
		if (strcmp(k, "category_id") != 0)
			json_object_object_add(p, k, json_object_get(val));
	}
	json_object_put(in);
	settings_form(r, rc, p, cat, d);
}

void h_prompt_delete_page(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *p, *d;
	int rc;

	if (slug == NULL || (rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, slug ? rc : PM_NOTFOUND, NULL);
		return;
	}
	d = page_with_title(r, "prompts", "prompt_delete");
	json_object_object_add(d, "prompt", p);
	resp_page(r, 200, "prompts/delete", d);
}

void h_prompt_delete(struct req *r)
{
	const char *slug = page_slug(r);
	int rc;

	if (slug == NULL || (rc = prompt_delete(r->db, r->user.id, slug, r->now)))
		answer_fail(r, slug ? rc : PM_NOTFOUND, NULL);
	else
		redirect_flash(r, "/prompts", "prompt_deleted");
}

void h_prompt_export_page(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *doc;
	const char *s;
	size_t len;
	int rc;

	if (slug == NULL || (rc = prompt_export(r->db, r->user.id, slug, &doc))) {
		answer_fail(r, slug ? rc : PM_NOTFOUND, NULL);
		return;
	}
	s = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	resp_header(r, "Content-Disposition",
	    "attachment; filename=\"%s.prompt.json\"", slug);
	resp_send(r, 200, "application/json", s, len);
	json_object_put(doc);
}

void h_import_page(struct req *r)
{
	resp_page(r, 200, "prompts/import", page_with_title(r, "prompts", "import"));
}

void h_import(struct req *r)
{
	const char *doc = req_form(r, "document"), *slug = req_form(r, "slug");
	struct json_object *d, *o;
	struct json_error e;
	struct pm_fail f = { 0 };
	char out[SLUG_MAX + 1];
	int rc;

	d = page_with_title(r, "prompts", "import");
	json_object_object_add(d, "document", json_object_new_string(doc ? doc : ""));
	json_object_object_add(d, "slug", json_object_new_string(slug ? slug : ""));
	o = doc ? json_parse_strict(doc, strlen(doc), &e) : NULL;
	if (o == NULL) {
		pm_refuse(&f, PM_INVALID, "import.invalid", "document");
		pm_fail_arg(&f, "what", "%s", msg_get("import.not_json"));
		resp_page(r, form_fail(d, PM_INVALID, &f), "prompts/import", d);
		return;
	}
	rc = prompt_import(r->db, r->user.id, o, slug && *slug ? slug : NULL,
	    r->now, out, &f);
	json_object_put(o);
	if (err_is_db(rc)) {
		json_object_put(d);
		answer_fail(r, rc, &f);
		return;
	}
	if (rc != 0) {
		resp_page(r, form_fail(d, rc, &f), "prompts/import", d);
		return;
	}
	json_object_put(d);
	{
		char path[SLUG_MAX + 16];
		snprintf(path, sizeof(path), "/prompts/%s", out);
		redirect_flash(r, path, "prompt_imported");
	}
}
