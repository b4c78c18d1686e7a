/* api_samples.c - the JSON API of a prompt's golden samples:
 * GET/POST /api/v1/prompts/:slug/samples, GET/PATCH/DELETE
 * /api/v1/prompts/:slug/samples/:id, and the export and import of them
 * all (GET .../samples/export, POST .../samples/import). A GET needs an
 * API key's "read" scope, a change "write" (key_auth.c). Another user's
 * prompt or sample is 404. */
#include <string.h>

#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "prompts.h"
#include "samples.h"
#include "util.h"

void h_api_samples_list(struct req *r)
{
	const char *lim = req_query(r, "limit");
	struct pm_fail f = { 0 };
	json_object *out;
	int64_t n = 0;
	int rc;

	if (lim != NULL && parse_i64(lim, 1, LIST_LIMIT_MAX, &n) != 0) {
		pm_refuse(&f, PM_INVALID, "prompts.bad_limit", "limit");
		answer_fail(r, PM_INVALID, &f);
		return;
	}
	rc = sample_page(r->db, r->user.id, req_arg(r, "slug"),
	    req_query(r, "cursor"), (int)n, &out, &f);
	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		resp_json(r, 200, out);
}

/* Answer status with sample id of the prompt slug. */
static void send_sample(struct req *r, int status, const char *slug,
    int64_t id)
{
	json_object *s;
	int rc = sample_get(r->db, r->user.id, slug, id, &s);

	if (rc != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if (status == 201)
		resp_header(r, "Location", "/api/v1/prompts/%s/samples/%lld",
		    slug, (long long)id);
	resp_json(r, status, s);
}

void h_api_samples_create(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	json_object *in = r->json ? r->json : json_object_new_object();
	int64_t id = sample_create(r->db, r->user.id, slug, in, r->now, &f);

	if (in != r->json)
		json_object_put(in);
	if (id < 0)
		answer_fail(r, (int)id, &f);
	else
		send_sample(r, 201, slug, id);
}

void h_api_sample_get(struct req *r)
{
	send_sample(r, 200, req_arg(r, "slug"), req_num(r, "id"));
}

void h_api_sample_update(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	json_object *in = r->json ? r->json : json_object_new_object();
	int rc = sample_update(r->db, r->user.id, slug, req_num(r, "id"), in,
	    r->now, &f);

	if (in != r->json)
		json_object_put(in);
	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		send_sample(r, 200, slug, req_num(r, "id"));
}

void h_api_sample_delete(struct req *r)
{
	int rc = sample_delete(r->db, r->user.id, req_arg(r, "slug"),
	    req_num(r, "id"));

	if (rc != 0)
		answer_fail(r, rc, NULL);
	else
		resp_send(r, 204, NULL, "", 0);
}

void h_api_samples_export(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *doc;
	int rc = samples_export(r->db, r->user.id, slug, r->now, &doc);

	if (rc != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	resp_header(r, "Content-Disposition",
	    "attachment; filename=\"%s.samples.json\"", slug);
	resp_json(r, 200, doc);
}

/* The body is an export document (or a list of samples): all are added,
 * or none. Answers 201 {"imported": n}. */
void h_api_samples_import(struct req *r)
{
	struct pm_fail f = { 0 };
	json_object *o;
	int n = samples_import(r->db, r->user.id, req_arg(r, "slug"), r->json,
	    r->now, &f);

	if (n < 0) {
		answer_fail(r, n, &f);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "imported", json_object_new_int(n));
	resp_json(r, 201, o);
}
