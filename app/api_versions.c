/* api_versions.c - the JSON API of a prompt's immutable versions: list,
 * create, read, promote and archive (/api/v1/prompts/:slug/versions...).
 *
 * POST .../versions answers 201 with the new version and its Location.
 * A body that changes nothing of the latest version (messages, model,
 * params, variables; a commit message alone is no change) creates
 * nothing and answers 409 {"error": {"type": "conflict_error", "message": "No
 * change: nothing saved. vN already has this content."}}: an error, so
 * that a client never takes an unchanged save for a new version, and 409
 * because the body is valid but conflicts with the prompt's state. */
#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "prompts.h"

void h_api_versions_list(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct json_object *a, *p = NULL, *o;
	int rc;

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

/* Answer 200/201 with version n of the prompt slug. */
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
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	struct json_object *in = r->json ? r->json : json_object_new_object();
	int n = version_create(r->db, r->user.id, slug, in, r->now, &f);

	if (in != r->json)
		json_object_put(in);
	if (n < 0)
		answer_fail(r, n, &f);
	else
		send_version(r, 201, slug, n);
}

void h_api_version_get(struct req *r)
{
	send_version(r, 200, req_arg(r, "slug"), (int)req_num(r, "n"));
}

static void status_change(struct req *r, int promote)
{
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	int n = (int)req_num(r, "n"), rc;

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
