/* page_billing.c - the billing page and its forms: Upgrade (a Checkout
 * Session), the success page that waits for Stripe's confirmation, the
 * plan, status, interval, renewal, what is included and used; switching
 * monthly <-> annual, the BYOK price and the plan; cancelling at the
 * period's end (and undoing it); cancelling now with the prorated refund
 * shown with its arithmetic; the Billing Portal; the invoices. Every
 * refusal is shown on the billing page, with its status. */
#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "answer.h"
#include "billing.h"
#include "billing_offer.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "handlers.h"
#include "http.h"
#include "keys.h"
#include "log.h"
#include "money.h"
#include "msg.h"
#include "pages.h"
#include "plans.h"
#include "stripe_objects.h"
#include "util.h"

#define SEATS_FORM_MAX	10000

/* ------------------------------------------------------------ helpers */

/* "YYYY-MM-DD" of t into out (11 bytes at least). */
static const char *date_of(int64_t t, char *out, size_t size)
{
	char full[32];

	clock_fmt(t, full, sizeof(full));
	snprintf(out, size, "%.10s", full);
	return out;
}

static void add_date(json_object *o, const char *key, int64_t t)
{
	char d[16];

	if (t > 0)
		json_object_object_add(o, key, json_object_new_string(
		    date_of(t, d, sizeof(d))));
}

static void add_cents(json_object *o, const char *key, int64_t cents)
{
	char s[32];

	billing_cents(cents, s, sizeof(s));
	json_object_object_add(o, key, json_object_new_string(s));
}

/* The site's address for Stripe's return pages: public_base_url, else the
 * scheme and Host of the request. */
static const char *site_url(struct req *r)
{
	const char *host = req_env(r, "HTTP_HOST"), *pub = cfg_str(CFG_PUBLIC_BASE_URL);

	if (*pub != '\0')		/* checked at start: no trailing slash */
		return pub;
	if (host == NULL || *host == '\0' || strlen(host) > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != strlen(host))
		host = "localhost";
	return req_printf(r, "%s://%s", r->https ? "https" : "http", host);
}

/* Form field interval: "month" 0, "year" 1, absent def; -2 otherwise. */
static int form_interval(struct req *r, int def)
{
	const char *v = req_form(r, "interval");

	if (v == NULL || *v == '\0')
		return def;
	if (strcmp(v, "month") == 0)
		return 0;
	if (strcmp(v, "year") == 0)
		return 1;
	return -2;
}

/* Form field name as 0 or 1, absent def; -2 otherwise. */
static int form_flag(struct req *r, const char *name, int def)
{
	const char *v = req_form(r, name);

	if (v == NULL || *v == '\0')
		return def;
	if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)
		return v[0] - '0';
	return -2;
}

/* Form field seats: 0 when absent, -1 when not a number in range. */
static int64_t form_seats(struct req *r)
{
	const char *v = req_form(r, "seats");
	int64_t n;

	if (v == NULL || *v == '\0')
		return 0;
	return parse_i64(v, 1, SEATS_FORM_MAX, &n) == 0 ? n : -1;
}

/* The refusal of a form field, named. */
static int bad_field(struct pm_fail *f, const char *key, const char *field)
{
	return pm_refuse(f, PM_INVALID, key, field);
}

/* ------------------------------------------------------------ the page */

/* One "used of limit" row: key_of with {used} and {limit} when limit is
 * not -1, else key with {used}. */
static void usage_row(json_object *rows, int64_t used, int64_t limit,
    const char *key_of, const char *key)
{
	struct buf v = { 0 }, u = { 0 }, l = { 0 };

	billing_digits(used, &u);
	if (limit >= 0) {
		billing_digits(limit, &l);
		msg_fmt(&v, key_of, "used", buf_cstr(&u), "limit", buf_cstr(&l), NULL);
	} else
		msg_fmt(&v, key, "used", buf_cstr(&u), NULL);
	json_object_array_add(rows, json_object_new_string(buf_cstr(&v)));
	buf_free(&v);
	buf_free(&u);
	buf_free(&l);
}

/* What the plan includes and how much of it is used. */
static void usage_rows(struct req *r, const struct plan *p, json_object *d)
{
	json_object *rows = json_object_new_array(), *u = NULL;
	int64_t keys;

	if (admission_usage(r->db, r->user.id, r->now, &u) == 0) {
		usage_row(rows, json_object_get_int64(json_object_object_get(
		    json_object_object_get(u, "day"), "executions")),
		    p->executions_per_day, "billing.used_of", "billing.used_unlimited");
		usage_row(rows, json_object_get_int64(json_object_object_get(
		    json_object_object_get(u, "month"), "executions")),
		    p->executions_per_month, "billing.used_month_of",
		    "billing.used_month");
		json_object_put(u);
	}
	if (p->api_access && (keys = api_key_count(r->db, r->user.id, r->now)) >= 0)
		usage_row(rows, keys, p->api_keys, "billing.used_keys_of",
		    "billing.used_keys");
	json_object_object_add(d, "usage", rows);
}

/* What the subscription s of plan p may be switched to. */
static void options(struct req *r, const struct plan *p, json_object *sub,
    json_object *d)
{
	int year = json_object_get_boolean(json_object_object_get(sub, "annual"));
	int byok = json_object_get_boolean(json_object_object_get(sub, "byok"));
	int64_t other = billing_plan_amount(p, !year, byok);
	int64_t bp = billing_plan_amount(p, year, 1);
	int64_t sp = billing_plan_amount(p, year, 0);

	if (other > 0) {
		add_cents(d, year ? "to_monthly" : "to_annual", other);
		if (!year && sp > 0 && other < sp * 12)
			add_cents(d, "annual_saving", sp * 12 - other);
	}
	if (bp > 0 && sp > 0) {
		add_cents(d, byok ? "byok_off_price" : "byok_on_price",
		    byok ? sp : bp);
	}
}

static void decorate_sub(json_object *sub, json_object *d)
{
	static const char *const dates[][2] = {
		{ "period_end", "period_end_date" },
		{ "period_start", "period_start_date" },
		{ "grace_until", "grace_until_date" },
		{ "ended_at", "ended_date" },
		{ "trial_end", "trial_end_date" },
	};
	int64_t amount = json_object_get_int64(json_object_object_get(sub, "amount"));
	size_t i;

	if (amount >= 0)
		add_cents(sub, "amount_text", amount);
	if (json_object_get_int64(json_object_object_get(sub, "quantity")) > 1)
		json_object_object_add(sub, "seats", json_object_get(
		    json_object_object_get(sub, "quantity")));
	for (i = 0; i < NELEM(dates); i++)
		add_date(sub, dates[i][1], json_object_get_int64(
		    json_object_object_get(sub, dates[i][0])));
	json_object_object_add(d, "subscription", json_object_get(sub));
}

static void decorate_invoices(json_object *list)
{
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++) {
		json_object *o = json_object_array_get_idx(list, i);
		const char *st = json_object_get_string(json_object_object_get(o,
		    "status"));
		int64_t paid = json_object_get_int64(json_object_object_get(o,
		    "amount_paid"));
		int64_t due = json_object_get_int64(json_object_object_get(o,
		    "amount_due"));
		int64_t refunded = json_object_get_int64(json_object_object_get(o,
		    "amount_refunded"));

		add_date(o, "date", json_object_get_int64(json_object_object_get(o,
		    "created")));
		add_cents(o, "amount", strcmp(st, "paid") == 0 ? paid : due);
		if (refunded > 0)
			add_cents(o, "refunded", refunded);
		json_object_object_add(o, strcmp(st, "paid") == 0 ? "is_paid" :
		    "is_unpaid", json_object_new_boolean(1));
	}
}

/* Render the billing page of the request's user into d (taken), with
 * status. */
static void billing_page(struct req *r, int status, json_object *d)
{
	json_object *st = NULL, *sub, *x;
	struct plan p;
	struct refund_calc c;
	int rc;
	const char *checkout = req_query(r, "checkout");

	if ((rc = billing_state(r->db, r->user.id, r->now, &st)) != 0 ||
	    (rc = billing_user_plan(r, &p)) != 0) {
		json_object_put(st);
		json_object_put(d);
		answer_fail(r, rc, NULL);
		return;
	}
	json_object_object_add(d, "plan_name", json_object_new_string(p.name));
	json_object_object_add(d, "plan_lines", billing_plan_lines(&p));
	json_object_object_add(d, "plan_source", json_object_new_string(
	    plan_source_name(p.source)));
	usage_rows(r, &p, d);
	sub = json_object_object_get(st, "subscription");
	if (sub != NULL && json_object_get_boolean(json_object_object_get(sub,
	    "entitled"))) {
		json_object_object_add(d, "subscribed", json_object_new_boolean(1));
		options(r, &p, sub, d);
		if (billing_refund_preview(r->db, r->user.id, r->now, &c, NULL) > 0)
			add_cents(d, "cancel_now_refund", c.amount);
	} else
		billing_offer(r, d);
	if (sub != NULL)
		decorate_sub(sub, d);
	x = json_object_object_get(st, "invoices");
	decorate_invoices(x);
	json_object_object_add(d, "invoices", json_object_get(x));
	json_object_object_add(d, "has_invoices", json_object_new_boolean(
	    json_object_array_length(x) > 0));
	if ((x = json_object_object_get(st, "refund")) != NULL) {
		add_cents(x, "amount_text", json_object_get_int64(
		    json_object_object_get(x, "amount")));
		add_date(x, "date", json_object_get_int64(json_object_object_get(x,
		    "cancelled_at")));
		json_object_object_add(d, "refund", json_object_get(x));
	}
	if (checkout != NULL && strcmp(checkout, "cancelled") == 0) {
		json_object *last = json_object_object_get(st, "checkout");
		const char *why = json_object_get_string(json_object_object_get(last,
		    "failure"));
		struct buf b = { 0 };

		msg_fmt(&b, why && *why ? "billing.checkout_declined" :
		    "billing.checkout_cancelled", "reason", why ? why : "",
		    "plan", p.name, NULL);
		json_object_object_add(d, "checkout_notice",
		    json_object_new_string(buf_cstr(&b)));
		buf_free(&b);
	}
	json_object_object_add(d, "byok_key", json_object_get(
	    json_object_object_get(st, "byok_key")));
	json_object_object_add(d, "billing_off", json_object_new_boolean(
	    !stripe_configured()));
	json_object_object_add(d, "upgrade_url",
	    json_object_new_string(BILLING_UPGRADE_URL));
	plan_free(&p);
	json_object_put(st);
	resp_page(r, status, "billing", d);
}

void h_billing(struct req *r)
{
	billing_page(r, 200, page_data(r, "billing"));
}

/* The billing page again with the refusal rc (database failures answer
 * themselves). */
static void refused(struct req *r, int rc, struct pm_fail *f)
{
	json_object *d;

	if (err_is_db(rc)) {
		answer_fail(r, rc, f);
		return;
	}
	if (f != NULL && f->retry_after > 0)
		resp_header(r, "Retry-After", "%lld", (long long)f->retry_after);
	d = page_data(r, "billing");
	rc = form_fail(d, rc, f);
	billing_page(r, rc, d);
}

/* A page that sends the browser on to Stripe (a redirect after a form
 * would be stopped by the form-action rule of the site's CSP). */
static void go_to_stripe(struct req *r, const char *url, const char *title)
{
	json_object *d = page_with_title(r, "billing", title);

	resp_header(r, "Refresh", "0; url=%s", url);
	json_object_object_add(d, "url", json_object_new_string(url));
	resp_page(r, 200, "billing_redirect", d);
}

/* ------------------------------------------------------------ forms */

void h_billing_checkout(struct req *r)
{
	struct checkout_req q;
	struct pm_fail f = { 0 };
	char url[2048];
	const char *base = site_url(r);
	int rc;

	memset(&q, 0, sizeof(q));
	q.user_id = r->user.id;
	q.email = r->user.email;
	q.plan_code = req_form(r, "plan");
	q.year = form_interval(r, 0);
	q.byok = form_flag(r, "byok", 0);
	q.seats = form_seats(r);
	q.now = r->now;
	q.success_url = req_printf(r, "%s/billing/success?session_id="
	    "{CHECKOUT_SESSION_ID}", base);
	q.cancel_url = req_printf(r, "%s/billing?checkout=cancelled", base);
	if (q.plan_code == NULL || *q.plan_code == '\0')
		rc = bad_field(&f, "billing.choose_plan", "plan");
	else if (q.year < 0)
		rc = bad_field(&f, "billing.bad_interval", "interval");
	else if (q.byok < 0)
		rc = bad_field(&f, "billing.bad_byok", "byok");
	else if (q.seats < 0)
		rc = bad_field(&f, "billing.bad_seats", "seats");
	else
		rc = billing_checkout(r->db, &q, url, sizeof(url), &f);
	if (rc == PM_CONFLICT) {	/* subscribed already: change it there */
		pm_fail_clear(&f);
		redirect_flash(r, "/billing", "billing_already");
		return;
	}
	if (rc != 0) {
		refused(r, rc, &f);
		return;
	}
	go_to_stripe(r, url, "billing_checkout");
}

void h_billing_success(struct req *r)
{
	const char *id = req_query(r, "session_id");
	json_object *d, *st = NULL;
	struct plan p;
	int rc;

	if (!stripe_id_valid(id)) {
		struct pm_fail f = { 0 };

		answer_fail(r, bad_field(&f, "billing.bad_session", "session_id"), &f);
		return;
	}
	if ((rc = billing_checkout_status(r->db, r->user.id, id, r->now, &st)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "billing", "billing_success");
	json_object_object_add(d, "session_id", json_object_new_string(id));
	json_object_object_add(d, "status_url", json_object_new_string(req_printf(r,
	    "/api/v1/billing/status?session_id=%s", id)));
	json_object_object_add(d, req_printf(r, "is_%s", json_object_get_string(
	    json_object_object_get(st, "state"))), json_object_new_boolean(1));
	json_object_object_add(d, "message", json_object_get(
	    json_object_object_get(st, "message")));
	/* Read now, not as the request began: the webhook that made the
	 * session active may have landed since. */
	if (plan_for_user(r->db, r->user.id, &p) == 0) {
		json_object_object_add(d, "plan_name", json_object_new_string(p.name));
		json_object_object_add(d, "plan_lines", billing_plan_lines(&p));
		plan_free(&p);
	}
	json_object_put(st);
	resp_page(r, 200, "billing_success", d);
}

void h_billing_change(struct req *r)
{
	struct pm_fail f = { 0 };
	const char *plan = req_form(r, "plan");
	int year = form_interval(r, -1), byok = form_flag(r, "byok", -1), rc;
	int64_t seats = form_seats(r);

	if (year == -2)
		rc = bad_field(&f, "billing.bad_interval", "interval");
	else if (byok == -2)
		rc = bad_field(&f, "billing.bad_byok", "byok");
	else if (seats < 0)
		rc = bad_field(&f, "billing.bad_seats", "seats");
	else
		rc = billing_change(r->db, r->user.id, plan && *plan ? plan : NULL,
		    year, byok, seats, r->now, &f);
	if (rc != 0) {
		refused(r, rc, &f);
		return;
	}
	redirect_flash(r, "/billing", "billing_changed");
}

static void cancel_at_end(struct req *r, int on)
{
	struct pm_fail f = { 0 };
	int rc = billing_cancel_at_end(r->db, r->user.id, on, r->now, &f);

	if (rc != 0) {
		refused(r, rc, &f);
		return;
	}
	redirect_flash(r, "/billing", on ? "billing_cancel_scheduled" :
	    "billing_resumed");
}

void h_billing_cancel(struct req *r)
{
	cancel_at_end(r, 1);
}

void h_billing_resume(struct req *r)
{
	cancel_at_end(r, 0);
}

/* The arithmetic of a refund for a page. */
static void add_calc(json_object *d, const struct refund_calc *c)
{
	struct buf b = { 0 };
	char s[16], e[16];

	billing_refund_text(c, &b);
	json_object_object_add(d, "arithmetic", json_object_new_string(buf_cstr(&b)));
	add_cents(d, "refund", c->amount);
	add_cents(d, "paid", c->paid);
	json_object_object_add(d, "period_start", json_object_new_string(
	    date_of(c->start, s, sizeof(s))));
	json_object_object_add(d, "period_end", json_object_new_string(
	    date_of(c->end, e, sizeof(e))));
	buf_free(&b);
}

void h_billing_cancel_now_page(struct req *r)
{
	struct refund_calc c;
	json_object *d;
	int rc = billing_refund_preview(r->db, r->user.id, r->now, &c, NULL);

	if (rc <= 0) {
		struct pm_fail f = { 0 };

		if (rc == 0)
			rc = pm_refuse(&f, PM_NOTFOUND, "billing.no_subscription", NULL);
		answer_fail(r, rc, &f);
		return;
	}
	d = page_with_title(r, "billing", "billing_cancel_now");
	add_calc(d, &c);
	json_object_object_add(d, "has_payment", json_object_new_boolean(c.paid > 0));
	resp_page(r, 200, "billing_cancel_now", d);
}

void h_billing_cancel_now(struct req *r)
{
	struct pm_fail f = { 0 };
	struct refund_calc c;
	int rc;

	if (form_flag(r, "confirm", 0) != 1) {
		refused(r, bad_field(&f, "billing.confirm_cancel", "confirm"), &f);
		return;
	}
	if ((rc = billing_cancel_now(r->db, r->user.id, r->now, &c, &f)) != 0) {
		refused(r, rc, &f);
		return;
	}
	redirect_flash(r, "/billing", c.amount > 0 ? "billing_cancelled_refund" :
	    "billing_cancelled");
}

void h_billing_portal(struct req *r)
{
	struct pm_fail f = { 0 };
	char url[2048];
	int rc = billing_portal(r->db, r->user.id, req_printf(r, "%s/billing",
	    site_url(r)), url, sizeof(url), &f);

	if (rc != 0) {
		refused(r, rc, &f);
		return;
	}
	go_to_stripe(r, url, "billing_portal");
}

void h_billing_refund_retry(struct req *r)
{
	struct pm_fail f = { 0 };
	int rc = billing_refund_retry(r->db, r->user.id, r->now, NULL, &f);

	if (rc < 0 || (rc == 0 && f.key != NULL)) {
		refused(r, rc < 0 ? rc : PM_UNAVAILABLE, &f);
		return;
	}
	pm_fail_clear(&f);
	redirect_flash(r, "/billing", "billing_refund_made");
}
