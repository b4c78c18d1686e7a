/* page_prompts.c - HTML pages of prompts: list with search, filters and
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
#include "page_byok.h"
#include "page_versions.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"
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

void h_prompt_new_page(struct req *r)
{
	struct json_object *d = page_with_title(r, "prompts", "prompt_new");
	struct json_object *opts, *v;

	(void)category_options(r, 0, &opts);		/* none on failure */
	json_object_object_add(d, "categories", opts);
	json_object_object_add(d, "detect_button", json_object_new_boolean(1));
	v = json_object_new_object();		/* the model: the plan's default */
	version_form(r, 200, d, v, "prompts/new");
}

/* The new-prompt form again with what was typed (in: the prompt fields,
 * content: the version's), the variables detected in it, the status. */
static void new_prompt_form_again(struct req *r, int status,
    struct json_object *d, struct json_object *in, struct json_object *content)
{
	struct json_object *cat = json_object_object_get(in, "category_id");
	struct json_object *opts, *v;

	(void)category_options(r, json_object_get_int64(cat), &opts);
	json_object_object_add(d, "categories", opts);
	json_object_object_add(d, "detect_button", json_object_new_boolean(1));
	v = version_form_request_values(r, content);
	json_object_object_foreach(in, k, val)
		if (strcmp(k, "name") == 0 || strcmp(k, "slug") == 0 ||
		    strcmp(k, "description") == 0)
			json_object_object_add(v, k, json_object_get(val));
	version_form(r, status, d, v, "prompts/new");
}

void h_prompt_create(struct req *r)
{
	struct json_object *in = prompt_form_fields(r), *content, *d;
	struct pm_fail f = { 0 };
	char slug[SLUG_MAX + 1], path[SLUG_MAX + 16];
	int rc;

	content = version_form_fields(r);
	if (req_form(r, "detect") != NULL) {
		/* Without script: "Detect variables" shows the form again
		 * with a declaration for each placeholder; nothing is saved. */
		new_prompt_form_again(r, 200, page_with_title(r, "prompts",
		    "prompt_new"), in, content);
		json_object_put(in);
		json_object_put(content);
		return;
	}
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
	new_prompt_form_again(r, rc, d, in, content);
	json_object_put(in);
	json_object_put(content);
}

void h_prompt_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *d, *p = NULL, *versions, *prod = NULL;
	int rc;

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
	versions_table_data(d, p, versions);
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
	byok_pin_form_data(r, p, d);
	json_object_object_add(d, "prompt", p);
	resp_page(r, status, "prompts/settings", d);
}

void h_prompt_settings_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *p;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	settings_form(r, 200, p, category_id_of(p),
	    page_with_title(r, "prompts", "prompt_settings"));
}

void h_prompt_settings(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *in, *p, *d, *v;
	struct pm_fail f = { 0 };
	char nslug[SLUG_MAX + 1], path[SLUG_MAX + 16];
	int64_t cat;
	int rc, got;

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
	const char *slug = req_arg(r, "slug");
	struct json_object *p, *d;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "prompts", "prompt_delete");
	json_object_object_add(d, "prompt", p);
	resp_page(r, 200, "prompts/delete", d);
}

void h_prompt_delete(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	int rc;

	if ((rc = prompt_delete(r->db, r->user.id, slug, r->now)))
		answer_fail(r, rc, NULL);
	else
		redirect_flash(r, "/prompts", "prompt_deleted");
}

void h_prompt_export_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *doc;
	const char *s;
	size_t len;
	int rc;

	if ((rc = prompt_export(r->db, r->user.id, slug, &doc))) {
		answer_fail(r, rc, NULL);
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
	if (o == NULL && e.kind == JSON_ERR_TEXT) {
		/* The same rule as for a JSON body sent to the API. */
		pm_refuse(&f, PM_INVALID, "error.json_text", "document");
		pm_fail_arg(&f, "field", "%s", e.where);
		resp_page(r, form_fail(d, PM_INVALID, &f), "prompts/import", d);
		return;
	}
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
