/* prompt_api.c - the JSON API of prompts, versions and categories
 * (/api/v1/...). Every handler works on the signed-in user's rows only;
 * refusals go through answer_fail(). */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"

static void not_found(struct req *r)
{
	answer_fail(r, PM_NOTFOUND, NULL);
}

/* The JSON body as an object, answering 400 when it is something else. */
static struct json_object *body_object(struct req *r)
{
	struct pm_fail f = { 0 };

	if (r->json != NULL && json_object_is_type(r->json, json_type_object))
		return r->json;
	answer_fail(r, pm_refuse(&f, PM_INVALID, "prompts.body_object", NULL), &f);
	return NULL;
}

void h_api_prompts_list(struct req *r)
{
	struct prompt_query pq;
	struct json_object *out;
	struct pm_fail f = { 0 };
	int rc;

	if ((rc = prompt_query_parse(r, &pq, &f)) != 0 ||
	    (rc = prompt_list(r->db, r->user.id, &pq, &out, &f)) != 0)
		answer_fail(r, rc, &f);
	else
		resp_json(r, 200, out);
}

/* Answer 200/201 with the prompt and its version list. */
static void send_prompt(struct req *r, int status, const char *slug)
{
	struct json_object *p, *versions;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if ((rc = version_list(r->db, r->user.id, slug, &versions)) != 0) {
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	json_object_object_add(p, "versions", versions);
	if (status == 201)
		resp_header(r, "Location", "/api/v1/prompts/%s", slug);
	resp_json(r, status, p);
}

void h_api_prompts_create(struct req *r)
{
	struct json_object *in = body_object(r);
	struct pm_fail f = { 0 };
	char slug[SLUG_MAX + 1];
	int rc;

	if (in == NULL)
		return;
	if ((rc = prompt_create(r->db, r->user.id, in, r->now, slug, &f)) != 0)
		answer_fail(r, rc, &f);
	else
		send_prompt(r, 201, slug);
}

void h_api_prompt_get(struct req *r)
{
	const char *slug = page_slug(r);

	if (slug == NULL)
		not_found(r);
	else
		send_prompt(r, 200, slug);
}

void h_api_prompt_update(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *in;
	struct pm_fail f = { 0 };
	char nslug[SLUG_MAX + 1];
	int rc;

	if (slug == NULL) {
		not_found(r);
		return;
	}
	if ((in = body_object(r)) == NULL)
		return;
	if ((rc = prompt_update(r->db, r->user.id, slug, in, r->now, nslug, &f)))
		answer_fail(r, rc, &f);
	else
		send_prompt(r, 200, nslug);
}

void h_api_prompt_delete(struct req *r)
{
	const char *slug = page_slug(r);
	int rc;

	if (slug == NULL)
		not_found(r);
	else if ((rc = prompt_delete(r->db, r->user.id, slug, r->now)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_send(r, 204, NULL, "", 0);
}

void h_api_versions_list(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *a, *p = NULL, *o;
	int rc;

	if (slug == NULL) {
		not_found(r);
		return;
	}
	/* A prompt without versions has an empty list; a prompt that is not
	 * the user's is 404. */
	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0 ||
	    (rc = version_list(r->db, r->user.id, slug, &a)) != 0) {
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	json_object_put(p);
	o = json_object_new_object();
	json_object_object_add(o, "items", a);
	resp_json(r, 200, o);
}

static void send_version(struct req *r, int status, const char *slug, int n)
{
	struct json_object *v;
	int rc;

	if ((rc = version_get(r->db, r->user.id, slug, n, &v)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if (status == 201)
		resp_header(r, "Location", "/api/v1/prompts/%s/versions/%d", slug, n);
	resp_json(r, status, v);
}

void h_api_versions_create(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *in;
	struct pm_fail f = { 0 };
	int n;

	if (slug == NULL) {
		not_found(r);
		return;
	}
	if ((in = body_object(r)) == NULL)
		return;
	if ((n = version_create(r->db, r->user.id, slug, in, r->now, &f)) < 0)
		answer_fail(r, n, &f);
	else
		send_version(r, 201, slug, n);
}

void h_api_version_get(struct req *r)
{
	const char *slug = page_slug(r);
	int n = page_number(r);

	if (slug == NULL || n == 0)
		not_found(r);
	else
		send_version(r, 200, slug, n);
}

static void status_change(struct req *r, int promote)
{
	const char *slug = page_slug(r);
	struct pm_fail f = { 0 };
	int n = page_number(r), rc;

	if (slug == NULL || n == 0) {
		not_found(r);
		return;
	}
	rc = promote ? version_promote(r->db, r->user.id, slug, n, r->now, &f) :
	    version_archive(r->db, r->user.id, slug, n, r->now, &f);
	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		send_version(r, 200, slug, n);
}

void h_api_version_promote(struct req *r)
{
	status_change(r, 1);
}

void h_api_version_archive(struct req *r)
{
	status_change(r, 0);
}

void h_api_prompt_render(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *in, *v, *values = NULL, *out;
	struct pm_fail f = { 0 };
	int n = 0, rc;

	if (slug == NULL) {
		not_found(r);
		return;
	}
	if ((in = body_object(r)) == NULL)
		return;
	if (json_object_object_get_ex(in, "version", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 1 || json_object_get_int64(v) > 1000000000) {
			answer_fail(r, pm_refuse(&f, PM_INVALID,
			    "versions.number_invalid", "version"), &f);
			return;
		}
		n = json_object_get_int(v);
	}
	json_object_object_get_ex(in, "variables", &values);
	json_object_object_foreach(in, key, val) {
		(void)val;
		if (strcmp(key, "version") != 0 && strcmp(key, "variables") != 0) {
			answer_fail(r, pm_refuse(&f, PM_INVALID,
			    "versions.render_unknown_field", NULL), &f);
			return;
		}
	}
	if ((rc = version_render(r->db, r->user.id, slug, n, values, &out, &f)))
		answer_fail(r, rc, &f);
	else
		resp_json(r, 200, out);
}

void h_api_prompt_export(struct req *r)
{
	const char *slug = page_slug(r);
	struct json_object *doc;
	int rc;

	if (slug == NULL)
		not_found(r);
	else if ((rc = prompt_export(r->db, r->user.id, slug, &doc)) != 0)
		answer_fail(r, rc, NULL);
	else {
		resp_header(r, "Content-Disposition",
		    "attachment; filename=\"%s.prompt.json\"", slug);
		resp_json(r, 200, doc);
	}
}

void h_api_prompts_import(struct req *r)
{
	const char *slug = req_query(r, "slug");
	struct pm_fail f = { 0 };
	char out[SLUG_MAX + 1];
	int rc;

	if (r->json == NULL) {
		answer_fail(r, pm_refuse(&f, PM_INVALID, "prompts.body_object", NULL), &f);
		return;
	}
	if (slug != NULL && *slug == '\0')
		slug = NULL;
	if ((rc = prompt_import(r->db, r->user.id, r->json, slug, r->now, out, &f)))
		answer_fail(r, rc, &f);
	else
		send_prompt(r, 201, out);
}

void h_api_categories_list(struct req *r)
{
	struct json_object *a, *o;
	int64_t uncat;
	int rc;

	if ((rc = category_list(r->db, r->user.id, &a, &uncat)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "items", a);
	json_object_object_add(o, "uncategorised", json_object_new_int64(uncat));
	resp_json(r, 200, o);
}

static const char *name_member(struct json_object *in)
{
	struct json_object *v;

	if (json_object_object_get_ex(in, "name", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static void send_category(struct req *r, int status, int64_t id)
{
	struct json_object *o;
	int rc;

	if ((rc = category_get(r->db, r->user.id, id, &o)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_json(r, status, o);
}

void h_api_categories_create(struct req *r)
{
	struct json_object *in = body_object(r);
	struct pm_fail f = { 0 };
	int64_t id;

	if (in == NULL)
		return;
	if ((id = category_create(r->db, r->user.id, name_member(in), r->now, &f)) < 0)
		answer_fail(r, (int)id, &f);
	else
		send_category(r, 201, id);
}

void h_api_category_update(struct req *r)
{
	struct json_object *in;
	struct pm_fail f = { 0 };
	int64_t id = page_id(r);
	int rc;

	if (id == 0) {
		not_found(r);
		return;
	}
	if ((in = body_object(r)) == NULL)
		return;
	if ((rc = category_rename(r->db, r->user.id, id, name_member(in), r->now, &f)))
		answer_fail(r, rc, &f);
	else
		send_category(r, 200, id);
}

void h_api_category_delete(struct req *r)
{
	int64_t id = page_id(r);
	int rc;

	if (id == 0)
		not_found(r);
	else if ((rc = category_delete(r->db, r->user.id, id)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_send(r, 204, NULL, "", 0);
}
