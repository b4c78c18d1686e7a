/* page_site.c - public pages and the signed-in shell's sections. */
#include "answer.h"
#include "dashboard.h"
#include "handlers.h"
#include "http.h"
#include "plans.h"

void h_home(struct req *r)
{
	resp_page(r, 200, "home", page_data(r, "home"));
}

/* What the request's session read of the account's plan. */
static void plan_ref_of(struct req *r, struct plan_ref *ref)
{
	ref->user_id = r->user.id;
	ref->plan_id = r->user.plan_id;
	ref->source = r->user.plan_source;
	ref->gen = r->user.catalog_gen;
}

void h_dashboard(struct req *r)
{
	struct plan_ref ref;
	struct json_object *d, *dash;
	int rc;

	plan_ref_of(r, &ref);
	if ((rc = dashboard_get(r->db, &ref, r->now, &dash)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_data(r, "dashboard");
	json_object_object_add(d, "dash", dash);
	resp_page(r, 200, "dashboard", d);
}

void h_analytics(struct req *r)
{
	resp_page(r, 200, "analytics", page_data(r, "analytics"));
}

