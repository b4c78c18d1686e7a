/* api_billing.c - GET /api/v1/billing/status: what became of a Checkout
 * Session, for the success page's script (it asks every second until
 * Stripe's webhook has given the user the plan). */
#include "answer.h"
#include "billing.h"
#include "billing_offer.h"
#include "handlers.h"
#include "http.h"
#include "plans.h"
#include "stripe.h"

void h_api_billing_status(struct req *r)
{
	const char *id = req_query(r, "session_id");
	struct pm_fail f = { 0 };
	json_object *o = NULL, *plan;
	struct plan p;
	int rc;

	if (!stripe_id_valid(id)) {
		answer_fail(r, pm_refuse(&f, PM_INVALID, "billing.bad_session",
		    "session_id"), &f);
		return;
	}
	if ((rc = billing_checkout_status(r->db, r->user.id, id, r->now, &o)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	/* The plan as it is now: the webhook that made the session active
	 * may have landed after this request read its user. */
	if (plan_for_user(r->db, r->user.id, &p) == 0) {
		plan = json_object_new_object();
		json_object_object_add(plan, "code", json_object_new_string(p.code));
		json_object_object_add(plan, "name", json_object_new_string(p.name));
		json_object_object_add(plan, "lines", billing_plan_lines(&p));
		json_object_object_add(o, "plan", plan);
		plan_free(&p);
	}
	resp_json(r, 200, o);
}
