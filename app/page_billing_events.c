/* page_billing_events.c - the admin's log of Stripe events (id, type,
 * received, status, error) with "re-apply". */
#include <string.h>

#include "answer.h"
#include "billing.h"
#include "clock.h"
#include "handlers.h"
#include "http.h"
#include "pages.h"

#define EVENTS_SHOWN	200

void h_admin_billing_events(struct req *r)
{
	static const char *const statuses[] = { "received", "applying", "applied",
	    "ignored", "flagged", "failed" };
	const char *status = req_query(r, "status");
	json_object *d, *list;
	size_t i;
	int rc, known = status == NULL || *status == '\0';

	for (i = 0; !known && i < sizeof(statuses) / sizeof(statuses[0]); i++)
		known = strcmp(status, statuses[i]) == 0;
	if (!known) {
		struct pm_fail f = { 0 };

		answer_fail(r, pm_refuse(&f, PM_INVALID, "billing.bad_event_status",
		    "status"), &f);
		return;
	}
	if ((rc = billing_events_list(r->db, status && *status ? status : NULL,
	    EVENTS_SHOWN, &list)) != 0) {
		json_object_put(list);
		answer_fail(r, rc, NULL);
		return;
	}
	for (i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i);
		char t[32];
		const char *st = json_object_get_string(json_object_object_get(e,
		    "status"));

		clock_fmt(json_object_get_int64(json_object_object_get(e,
		    "received_at")), t, sizeof(t));
		json_object_object_add(e, "received", json_object_new_string(t));
		json_object_object_add(e, strcmp(st, "applied") == 0 ||
		    strcmp(st, "ignored") == 0 ? "is_ok" : "is_problem",
		    json_object_new_boolean(1));
	}
	d = page_with_title(r, "admin", "admin_billing_events");
	json_object_object_add(d, "has_events", json_object_new_boolean(
	    json_object_array_length(list) > 0));
	json_object_object_add(d, "events", list);
	if (status && *status)
		json_object_object_add(d, "filter", json_object_new_string(status));
	resp_page(r, 200, "admin_events", d);
}

void h_admin_billing_reapply(struct req *r)
{
	struct pm_fail f = { 0 };
	const char *id = req_form(r, "event");
	int outcome, rc = billing_event_reapply(r->db, id, r->now, &outcome, &f);

	if (rc != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	pm_fail_clear(&f);
	redirect_flash(r, "/admin/billing/events", outcome == BO_APPLIED ?
	    "event_reapplied" : outcome == BO_FAILED ? "event_reapply_failed" :
	    "event_reapplied_other");
}
