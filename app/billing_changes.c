/* billing_changes.c - what a subscriber changes from the billing page:
 * another price (monthly <-> annual, the BYOK price, another plan) with
 * Stripe's proration, cancelling at the period's end and undoing it,
 * cancelling now with the prorated refund, the Billing Portal. Each
 * change is applied from Stripe's answer at once, so the plan changes as
 * soon as Stripe confirms it; the webhooks that follow converge on the
 * same state. */
#include "billing.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "escape.h"
#include "jsonx.h"
#include "log.h"
#include "msg.h"
#include "stripe_objects.h"
#include "util.h"

/* A nullable id parameter: "" is NULL. */
static struct dbv id_null(const char *s)
{
	return s[0] ? db_s(s) : db_null();
}

/* The user's subscription that may be changed: 1 with s, or PM_NOTFOUND
 * (none giving a plan) / a db_err. */
static int changeable(struct db *db, int64_t user_id, struct billing_sub *s,
    struct pm_fail *f)
{
	int rc = billing_sub_of_user(db, user_id, s);

	if (rc < 0)
		return rc;
	if (rc == 0 || !stripe_status_entitled(s->status) ||
	    !stripe_id_valid(s->id))
		return pm_refuse(f, PM_NOTFOUND, "billing.no_subscription", NULL);
	return 1;
}

/* "/v1/subscriptions/<id>" into path. */
static void sub_path(const struct billing_sub *s, struct buf *path)
{
	buf_puts(path, "/v1/subscriptions/");
	esc_url(path, s->id, strlen(s->id));
}

/* Send params to the subscription (POST, or DELETE when del) under the
 * meaning "what|sub|detail|changes", apply Stripe's answer and count the
 * change. Returns 0, a refusal or a db_err. */
static int send_change(struct db *db, const struct billing_sub *s, int del,
    json_object *params, const char *what, const char *detail, int64_t now,
    struct pm_fail *f)
{
	struct buf path = { 0 }, meaning = { 0 };
	json_object *got = NULL;
	int rc;

	sub_path(s, &path);
	buf_printf(&meaning, "%s|%s|%s|%lld", what, s->id, detail,
	    (long long)s->changes);
	rc = stripe_call(del ? "DELETE" : "POST", buf_cstr(&path), params,
	    buf_cstr(&meaning), NULL, &got, NULL, f);
	if (rc == 0) {
		rc = billing_sub_apply(db, got, billing_read_us(), now, NULL, f);
		if (rc == BILLING_FLAGGED) {
			pm_fail_clear(f);
			rc = 0;
		}
	}
	json_object_put(got);
	buf_free(&path);
	buf_free(&meaning);
	if (rc == 0 && db_exec(db, "UPDATE billing_subscriptions SET changes ="
	    " changes + 1 WHERE subscription_id = ?", DB_ARGS(db_s(s->id))) < 0)
		log_warn("billing: cannot count a change of %s", s->id);
	if (rc == 0)
		log_info("billing: user %lld %s %s (%s)", (long long)s->user_id, what,
		    s->id, detail);
	return rc;
}

int billing_change(struct db *db, int64_t user_id, const char *plan_code,
    int year, int byok, int64_t seats, int64_t now, struct pm_fail *f)
{
	struct billing_sub s;
	struct billing_price pr;
	struct plan p;
	json_object *params, *items, *item;
	struct db_res res;
	char detail[400];
	int64_t qty, n;
	int rc;

	if ((rc = changeable(db, user_id, &s, f)) < 0)
		return rc;
	if ((rc = billing_public_plan(db, s.plan_id, plan_code, &p)) < 0)
		return rc;
	if (rc == 0) {
		pm_refuse(f, PM_INVALID, "billing.no_such_plan", "plan");
		pm_fail_arg(f, "plan", "%.32s", plan_code ? plan_code : "?");
		return PM_INVALID;
	}
	year = year < 0 ? s.year : year;
	byok = byok < 0 ? s.byok : byok;
	qty = seats > 0 && p.price_per_seat ? seats : p.price_per_seat ?
	    s.quantity : 1;
	if (byok && !s.byok) {
		n = db_query(db, "SELECT COUNT(*) FROM byok_keys WHERE user_id = ?",
		    DB_ARGS(db_i(user_id)), &res);
		rc = n > 0 && db_int(&res, 0, 0) > 0;
		db_res_free(&res);
		if (n < 0)
			return (int)n;
		if (!rc)
			return pm_refuse(f, PM_INVALID, "billing.byok_needs_key", "byok");
	}
	if (billing_plan_amount(&p, year, byok) < 0) {
		pm_refuse(f, PM_INVALID, byok ? "billing.no_byok_price" : year ?
		    "billing.no_annual_price" : "billing.free_plan", NULL);
		pm_fail_arg(f, "plan", "%s", p.name);
		return PM_INVALID;
	}
	if ((rc = billing_price_find(db, p.id, year, byok, &pr)) < 0)
		return rc;
	if (rc == 0)
		return pm_refuse(f, PM_UNAVAILABLE, "billing.prices_missing", NULL);
	if (strcmp(pr.price_id, s.price_id) == 0 && qty == s.quantity)
		return pm_refuse(f, PM_INVALID, "billing.nothing_to_change", NULL);
	params = json_object_new_object();
	items = json_object_new_array();
	item = json_object_new_object();
	json_object_object_add(item, "id", json_object_new_string(s.item_id));
	json_object_object_add(item, "price", json_object_new_string(pr.price_id));
	json_object_object_add(item, "quantity", json_object_new_int64(qty));
	json_object_array_add(items, item);
	json_object_object_add(params, "items", items);
	json_object_object_add(params, "proration_behavior",
	    json_object_new_string("create_prorations"));
	snprintf(detail, sizeof(detail), "%s|%lld", pr.price_id, (long long)qty);
	rc = send_change(db, &s, 0, params, "price", detail, now, f);
	json_object_put(params);
	return rc;
}

int billing_cancel_at_end(struct db *db, int64_t user_id, int on, int64_t now,
    struct pm_fail *f)
{
	struct billing_sub s;
	json_object *params;
	int rc;

	if ((rc = changeable(db, user_id, &s, f)) < 0)
		return rc;
	if (s.cancel_at_period_end == (on != 0))
		return 0;		/* already so: a second click */
	params = json_object_new_object();
	json_object_object_add(params, "cancel_at_period_end",
	    json_object_new_boolean(on != 0));
	rc = send_change(db, &s, 0, params, "cancel_at_period_end",
	    on ? "true" : "false", now, f);
	json_object_put(params);
	return rc;
}

/* ------------------------------------------------------------ refunds */

/* The last paid invoice of subscription id as stored: 1 with its
 * amount, period, payment and id, 0 when there is none, or a db_err. */
static int last_paid(struct db *db, const char *sub_id, int64_t *paid,
    int64_t *refunded, int64_t *start, int64_t *end, char *pi, char *charge,
    char *invoice)
{
	static const char sql[] = "SELECT amount_paid, amount_refunded,"
	    " COALESCE(period_start, 0), COALESCE(period_end, 0),"
	    " COALESCE(payment_intent, ''), COALESCE(charge_id, ''), invoice_id"
	    " FROM billing_invoices WHERE subscription_id = ? AND status = 'paid'"
	    " AND amount_paid > 0 ORDER BY created DESC, period_end DESC, read_us DESC"
	    " LIMIT 1";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_s(sub_id)), &res);

	if (n > 0) {
		*paid = db_int(&res, 0, 0);
		*refunded = db_int(&res, 0, 1);
		*start = db_int(&res, 0, 2);
		*end = db_int(&res, 0, 3);
		snprintf(pi, STRIPE_ID_MAX + 1, "%s", db_str(&res, 0, 4));
		snprintf(charge, STRIPE_ID_MAX + 1, "%s", db_str(&res, 0, 5));
		snprintf(invoice, STRIPE_ID_MAX + 1, "%s", db_str(&res, 0, 6));
	}
	db_res_free(&res);
	return n < 0 ? (int)n : n > 0;
}

/* The refund of subscription id at now from what is stored: 1 with c,
 * 0 without a paid invoice (c: nothing to refund), or a db_err. */
static int compute(struct db *db, const struct billing_sub *s, int64_t now,
    struct refund_calc *c, char *pi, char *charge, char *invoice)
{
	int64_t paid = 0, refunded = 0, start = 0, end = 0;
	int rc = last_paid(db, s->id, &paid, &refunded, &start, &end, pi, charge,
	    invoice);

	if (rc <= 0) {
		billing_refund_compute(0, s->period_start, s->period_end, now, c);
		return rc;
	}
	if (start == 0 || end <= start) {	/* no period on the invoice */
		start = s->period_start;
		end = s->period_end;
	}
	billing_refund_compute(paid, start, end, now, c);
	if (c->amount > paid - refunded)	/* never more than is left */
		c->amount = paid - refunded > 0 ? paid - refunded : 0;
	return 1;
}

int billing_refund_preview(struct db *db, int64_t user_id, int64_t now,
    struct refund_calc *c, char *invoice)
{
	struct billing_sub s;
	char pi[STRIPE_ID_MAX + 1], charge[STRIPE_ID_MAX + 1];
	char inv[STRIPE_ID_MAX + 1] = "";
	int rc = billing_sub_of_user(db, user_id, &s);

	memset(c, 0, sizeof(*c));
	if (rc <= 0 || !stripe_status_entitled(s.status))
		return rc < 0 ? rc : 0;
	if ((rc = compute(db, &s, now, c, pi, charge, inv)) < 0)
		return rc;
	if (invoice != NULL)
		snprintf(invoice, STRIPE_ID_MAX + 1, "%s", inv);
	return 1;
}

/* Read the subscription's last paid invoice again from Stripe (its
 * payments expanded) and store it. Returns 0 or a refusal. */
static int reread_last_paid(struct db *db, const struct billing_sub *s,
    int64_t now, struct pm_fail *f)
{
	json_object *params = json_object_new_object(), *got = NULL, *data;
	size_t i;
	int rc;

	json_object_object_add(params, "subscription", json_object_new_string(s->id));
	json_object_object_add(params, "status", json_object_new_string("paid"));
	json_object_object_add(params, "limit", json_object_new_int(3));
	json_object_object_add(params, "expand", json_object_new_array());
	json_object_array_add(json_member(params, "expand"),
	    json_object_new_string("data.payments"));
	rc = stripe_call("GET", "/v1/invoices", params, NULL, NULL, &got, NULL, f);
	json_object_put(params);
	data = json_member(got, "data");
	for (i = 0; rc == 0 && json_object_is_type(data, json_type_array) &&
	    i < json_object_array_length(data); i++) {
		rc = billing_invoice_apply(db, json_object_array_get_idx(data, i),
		    billing_read_us(), now, NULL, f);
		if (rc == BILLING_FLAGGED) {
			pm_fail_clear(f);
			rc = 0;
		}
	}
	json_object_put(got);
	return rc;
}

static const char sql_refund_add[] = "INSERT IGNORE INTO billing_refunds"
    " (user_id, subscription_id, invoice_id, payment_intent, charge_id,"
    " currency, amount_paid, period_start, period_end, cancelled_at, amount,"
    " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?)";

/* Send one recorded refund (its row of billing_refunds) to Stripe and
 * record the outcome. Returns 0 (made), a refusal (recorded as failed)
 * or a db_err. */
static int send_refund(struct db *db, const char *sub_id, const char *pi,
    const char *charge, const char *invoice, int64_t amount, int64_t now,
    struct pm_fail *f)
{
	json_object *params = json_object_new_object(), *meta, *got = NULL;
	struct buf meaning = { 0 }, why = { 0 };
	char rid[STRIPE_ID_MAX + 1] = "";
	int rc;

	if (pi[0])
		json_object_object_add(params, "payment_intent", json_object_new_string(pi));
	else
		json_object_object_add(params, "charge", json_object_new_string(charge));
	json_object_object_add(params, "amount", json_object_new_int64(amount));
	json_object_object_add(params, "reason",
	    json_object_new_string("requested_by_customer"));
	meta = json_object_new_object();
	json_object_object_add(meta, "subscription", json_object_new_string(sub_id));
	json_object_object_add(meta, "invoice", json_object_new_string(invoice));
	json_object_object_add(params, "metadata", meta);
	/* One refund per cancelled subscription, whatever the retries. */
	buf_printf(&meaning, "refund|%s|%s|%lld", sub_id, invoice, (long long)amount);
	rc = stripe_call("POST", "/v1/refunds", params, buf_cstr(&meaning), NULL,
	    &got, NULL, f);
	json_object_put(params);
	buf_free(&meaning);
	if (rc == 0)
		stripe_ref(json_member(got, "id"), rid);
	json_object_put(got);
	if (rc == 0) {
		rc = (int)db_exec(db, "UPDATE billing_refunds SET status ="
		    " 'succeeded', refund_id = ?, error = NULL, updated_at = ?"
		    " WHERE subscription_id = ?", DB_ARGS(db_s(rid), db_i(now),
		    db_s(sub_id)));
		return rc < 0 ? rc : 0;
	}
	pm_fail_text(rc, f, &why);
	if (db_exec(db, "UPDATE billing_refunds SET status = 'failed', error = ?,"
	    " updated_at = ? WHERE subscription_id = ? AND status <> 'succeeded'",
	    DB_ARGS(billing_text(why.data, why.len, 1000), db_i(now),
	    db_s(sub_id))) < 0)
		log_error("billing: cannot record the failed refund of %s", sub_id);
	log_warn("billing: refund of %s failed: %s", sub_id, buf_cstr(&why));
	buf_free(&why);
	return rc;
}

int billing_cancel_now(struct db *db, int64_t user_id, int64_t now,
    struct refund_calc *c, struct pm_fail *f)
{
	char pi[STRIPE_ID_MAX + 1] = "", charge[STRIPE_ID_MAX + 1] = "";
	char invoice[STRIPE_ID_MAX + 1] = "";
	struct billing_sub s;
	struct pm_fail rf = { 0 };
	json_object *params;
	int64_t n;
	int rc, paid;

	memset(c, 0, sizeof(*c));
	if ((rc = changeable(db, user_id, &s, f)) < 0)
		return rc;
	/* What was actually paid last, as Stripe has it now. */
	if ((rc = reread_last_paid(db, &s, now, f)) != 0)
		return rc;
	if ((paid = compute(db, &s, now, c, pi, charge, invoice)) < 0)
		return paid;
	if (c->amount > 0 && !pi[0] && !charge[0])
		return pm_refuse(f, PM_UPSTREAM, "billing.no_payment", NULL);
	/* Recorded first: a second click finds it and refunds no more. */
	n = db_exec(db, sql_refund_add, DB_ARGS(db_i(user_id), db_s(s.id),
	    id_null(invoice), id_null(pi), id_null(charge),
	    db_s(s.currency[0] ? s.currency : "usd"), db_i(c->paid),
	    db_i(c->start), db_i(c->end), db_i(now), db_i(c->amount),
	    db_s(c->amount > 0 ? "pending" : "none"), db_i(now), db_i(now)));
	if (n < 0)
		return (int)n;
	params = json_object_new_object();
	json_object_object_add(params, "prorate", json_object_new_boolean(0));
	json_object_object_add(params, "invoice_now", json_object_new_boolean(0));
	rc = send_change(db, &s, 1, params, "cancel", "now", now, f);
	json_object_put(params);
	if (rc != 0) {
		/* Nothing happened: forget the refund it would have made. */
		if (db_exec(db, "DELETE FROM billing_refunds WHERE subscription_id = ?"
		    " AND status IN ('pending', 'none')", DB_ARGS(db_s(s.id))) < 0)
			log_error("billing: cannot forget the refund of %s", s.id);
		return rc;
	}
	if (c->amount > 0 && send_refund(db, s.id, pi, charge, invoice, c->amount,
	    now, &rf) != 0)
		log_warn("billing: user %lld cancelled; refund pending",
		    (long long)user_id);
	pm_fail_clear(&rf);
	return 0;
}

int billing_refund_retry(struct db *db, int64_t user_id, int64_t now,
    struct buf *report, struct pm_fail *f)
{
	static const char sql[] = "SELECT subscription_id,"
	    " COALESCE(payment_intent, ''), COALESCE(charge_id, ''),"
	    " COALESCE(invoice_id, ''), amount FROM billing_refunds"
	    " WHERE status IN ('pending', 'failed') AND (? = 0 OR user_id = ?)"
	    " ORDER BY id LIMIT 100";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(user_id), db_i(user_id)), &res);
	char shown[32];
	size_t i;
	int made = 0, rc;

	for (i = 0; n > 0 && i < res.nrows; i++) {
		pm_fail_clear(f);
		rc = send_refund(db, db_str(&res, i, 0), db_str(&res, i, 1),
		    db_str(&res, i, 2), db_str(&res, i, 3), db_int(&res, i, 4), now, f);
		if (rc == 0) {
			made++;
			billing_cents(db_int(&res, i, 4), shown, sizeof(shown));
			if (report != NULL) {
				if (report->len)
					buf_putc(report, '\n');
				msg_fmt(report, "billing.report_refund", "sub",
				    db_str(&res, i, 0), "amount", shown, NULL);
			}
		} else if (err_is_db(rc)) {
			n = rc;
			break;
		}
	}
	db_res_free(&res);
	return n < 0 ? (int)n : made;
}

int billing_portal(struct db *db, int64_t user_id, const char *return_url,
    char *url, size_t size, struct pm_fail *f)
{
	char customer[STRIPE_ID_MAX + 1], meaning[STRIPE_ID_MAX + 48];
	json_object *params, *got = NULL;
	const char *u;
	int rc = billing_customer_of(db, user_id, customer);

	if (rc <= 0)
		return rc < 0 ? rc : pm_refuse(f, PM_NOTFOUND, "billing.no_customer",
		    NULL);
	params = json_object_new_object();
	json_object_object_add(params, "customer", json_object_new_string(customer));
	json_object_object_add(params, "return_url", json_object_new_string(return_url));
	/* A portal session lives minutes: a new one each second, one for a
	 * double click. */
	snprintf(meaning, sizeof(meaning), "portal|%s|%lld", customer,
	    (long long)billing_read_us() / 1000000);
	rc = stripe_call("POST", "/v1/billing_portal/sessions", params, meaning,
	    NULL, &got, NULL, f);
	json_object_put(params);
	if (rc == 0) {
		u = json_str_member(got, "url", NULL);
		if (u == NULL || strncmp(u, "http", 4) != 0)
			rc = pm_refuse(f, PM_UPSTREAM, "stripe.bad_answer", NULL);
		else
			snprintf(url, size, "%s", u);
	}
	json_object_put(got);
	return rc;
}
