/* api_prompts.c - the JSON API of prompts: list, create, read, change,
 * delete, render, export and import (/api/v1/prompts...). Bodies were
 * checked against their field tables (routes.c) before these run; every
 * handler works on the signed-in user's rows only and answers refusals
 * through answer_fail(). */
#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "pages.h"
#include "prompts.h"

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
	struct pm_fail f = { 0 };
	struct json_object *in = r->json ? r->json : json_object_new_object();
	char slug[SLUG_MAX + 1];
	int rc = prompt_create(r->db, r->user.id, in, r->now, slug, &f);

	if (in != r->json)
		json_object_put(in);
	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		send_prompt(r, 201, slug);
}

void h_api_prompt_get(struct req *r)
{
	send_prompt(r, 200, req_arg(r, "slug"));
}

void h_api_prompt_update(struct req *r)
{
	struct pm_fail f = { 0 };
	struct json_object *in = r->json ? r->json : json_object_new_object();
	char nslug[SLUG_MAX + 1];
	int rc = prompt_update(r->db, r->user.id, req_arg(r, "slug"), in, r->now,
	    nslug, &f);

	if (in != r->json)
		json_object_put(in);
	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		send_prompt(r, 200, nslug);
}

void h_api_prompt_delete(struct req *r)
{
	int rc = prompt_delete(r->db, r->user.id, req_arg(r, "slug"), r->now);

	if (rc != 0)
		answer_fail(r, rc, NULL);
	else
		resp_send(r, 204, NULL, "", 0);
}

/* {"version"?, "variables"?}: the version's messages rendered. */
void h_api_prompt_render(struct req *r)
{
	struct json_object *v = json_member(r->json, "version");
	struct pm_fail f = { 0 };
	struct json_object *out;
	int rc;

	rc = version_render(r->db, r->user.id, req_arg(r, "slug"),
	    v ? json_object_get_int(v) : 0, json_member(r->json, "variables"),
	    &out, &f);
	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		resp_json(r, 200, out);
}

void h_api_prompt_export(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *doc;
	int rc;

	if ((rc = prompt_export(r->db, r->user.id, slug, &doc)) != 0)
		answer_fail(r, rc, NULL);
	else {
		resp_header(r, "Content-Disposition",
		    "attachment; filename=\"%s.prompt.json\"", slug);
		resp_json(r, 200, doc);
	}
}

/* The body is an export document; ?slug= imports it under another slug. */
void h_api_prompts_import(struct req *r)
{
	const char *slug = req_query(r, "slug");
	struct pm_fail f = { 0 };
	char out[SLUG_MAX + 1];
	int rc;

	if (slug != NULL && *slug == '\0')
		slug = NULL;
	if ((rc = prompt_import(r->db, r->user.id, r->json, slug, r->now, out, &f)))
		answer_fail(r, rc, &f);
	else
		send_prompt(r, 201, out);
}
