/* api_gate.c - a prompt's promotion gate and history in the JSON API:
 * GET and PATCH /api/v1/prompts/:slug/gate ({"required", "min_score",
 * "max_cost_micros"}; a member left out keeps its value, null removes a
 * limit), GET /api/v1/prompts/:slug/history. */
#include "answer.h"
#include "gate.h"
#include "handlers.h"
#include "history.h"
#include "http.h"
#include "jsonx.h"

static void send_gate(struct req *r, const char *slug)
{
	struct gate g;
	int rc;

	if ((rc = gate_get(r->db, r->user.id, slug, &g)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_json(r, 200, gate_json(&g));
}

void h_api_gate_get(struct req *r)
{
	send_gate(r, req_arg(r, "slug"));
}

void h_api_gate_update(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	struct pm_fail f = { 0 };
	struct gate g;
	json_object *v;
	int rc;

	if ((rc = gate_get(r->db, r->user.id, slug, &g)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if (json_object_object_get_ex(r->json, "required", &v))
		g.required = json_object_get_boolean(v);
	if (json_object_object_get_ex(r->json, "min_score", &v)) {
		g.has_min_score = v != NULL;
		g.min_score = v ? json_object_get_double(v) : 0;
	}
	if (json_object_object_get_ex(r->json, "max_cost_micros", &v))
		g.max_cost_micros = v ? json_object_get_int64(v) : -1;
	if ((rc = gate_set(r->db, r->user.id, slug, &g, r->now, &f)) != 0)
		answer_fail(r, rc, &f);
	else
		send_gate(r, slug);
}

void h_api_history(struct req *r)
{
	json_object *h, *o;
	int rc;

	if ((rc = prompt_history(r->db, r->user.id, req_arg(r, "slug"), &h)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "items", h);
	resp_json(r, 200, o);
}
