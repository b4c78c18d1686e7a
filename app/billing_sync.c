/* billing_sync.c - pm-admin stripe sync: read every customer's
 * subscriptions and invoices again from Stripe and apply them, so that
 * missed webhooks are repaired; send the refunds still pending; end the
 * plans past their grace period. */
#include "billing.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "jsonx.h"
#include "log.h"
#include "msg.h"
#include "util.h"

/* GET a list of kind ("subscriptions", "invoices") of customer and apply
 * each element. Returns 0 or a refusal / db_err. */
static int sync_list(struct db *db, const char *kind, const char *customer,
    int64_t now, struct buf *report, struct pm_fail *f)
{
	json_object *params = json_object_new_object(), *got = NULL, *data;
	char path[64];
	size_t i;
	int rc;

	json_object_object_add(params, "customer", json_object_new_string(customer));
	json_object_object_add(params, "limit", json_object_new_int(100));
	if (strcmp(kind, "subscriptions") == 0)
		json_object_object_add(params, "status", json_object_new_string("all"));
	else {
		json_object_object_add(params, "expand", json_object_new_array());
		json_object_array_add(json_member(params, "expand"),
		    json_object_new_string("data.payments"));
	}
	snprintf(path, sizeof(path), "/v1/%s", kind);
	rc = stripe_call("GET", path, params, NULL, NULL, &got, NULL, f);
	json_object_put(params);
	data = json_member(got, "data");
	for (i = 0; rc == 0 && json_object_is_type(data, json_type_array) &&
	    i < json_object_array_length(data); i++) {
		json_object *o = json_object_array_get_idx(data, i);

		if (strcmp(kind, "subscriptions") == 0)
			rc = billing_sub_apply(db, o, billing_read_us(), now, report, f);
		else
			rc = billing_invoice_apply(db, o, billing_read_us(), now, NULL, f);
		if (rc == BILLING_FLAGGED) {	/* said in the report */
			if (report->len)
				buf_putc(report, '\n');
			pm_fail_text(rc, f, report);
			pm_fail_clear(f);
			rc = 0;
		}
	}
	json_object_put(got);
	return rc;
}

int billing_sync(struct db *db, int64_t now, struct buf *report, int *failed)
{
	struct db_res res;
	struct pm_fail f = { 0 };
	size_t i, before;
	int64_t n;
	int rc, changes = 0, bad = 0;

	n = db_query(db, "SELECT customer_id, user_id FROM billing_customers"
	    " ORDER BY user_id", DB_NOARGS, &res);
	for (i = 0; n > 0 && i < res.nrows; i++) {
		const char *cus = db_str(&res, i, 0);

		before = report->len;
		if ((rc = sync_list(db, "invoices", cus, now, report, &f)) == 0)
			rc = sync_list(db, "subscriptions", cus, now, report, &f);
		if (rc != 0) {
			if (err_is_db(rc)) {
				n = rc;
				break;
			}
			bad++;
			if (report->len)
				buf_putc(report, '\n');
			msg_fmt(report, "billing.sync_failed", "customer", cus, NULL);
			buf_puts(report, " ");
			pm_fail_text(rc, &f, report);
		}
		pm_fail_clear(&f);
		if (report->len > before)
			changes++;
	}
	db_res_free(&res);
	pm_fail_clear(&f);
	if (n < 0)
		return (int)n;
	if ((rc = billing_refund_retry(db, 0, now, report, &f)) < 0)
		return rc;
	changes += rc;
	pm_fail_clear(&f);
	if ((rc = billing_sweep(db, now, report)) < 0)
		return rc;
	changes += rc;
	if (failed != NULL)
		*failed = bad;
	return changes;
}
