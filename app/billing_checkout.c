/* billing_checkout.c - "Upgrade": the user's Stripe Customer and a
 * Checkout Session in mode subscription, one per intent however many
 * clicks; what became of it for the success page. */
#include "billing.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "jsonx.h"
#include "log.h"
#include "msg.h"
#include "stripe_objects.h"
#include "util.h"

/* Most seats a per-seat plan with no seats_max may be bought with. */
#define SEATS_MAX	10000
/* An open session older than this is not reused (Stripe's expire after
 * 24 hours). */
#define REUSE_SECONDS	(23 * 3600)

/* Whether the user stores a provider key of their own (BYOK). */
static int has_byok_key(struct db *db, int64_t user_id)
{
	struct db_res res;
	int64_t n = db_query(db, "SELECT COUNT(*) FROM byok_keys WHERE user_id = ?",
	    DB_ARGS(db_i(user_id)), &res);
	int64_t c = n > 0 ? db_int(&res, 0, 0) : 0;

	db_res_free(&res);
	return n < 0 ? (int)n : c > 0;
}

/* The plan, price and seats a request asks for, checked. Returns 0, a
 * refusal or a db_err. */
static int choose(struct db *db, int64_t user_id, const char *code, int year,
    int byok, int64_t seats, struct plan *p, struct billing_price *pr,
    int64_t *qty, struct pm_fail *f)
{
	int64_t lo, hi;
	int rc;

	if ((rc = billing_public_plan(db, 0, code ? code : "", p)) < 0)
		return rc;
	if (rc == 0) {
		pm_refuse(f, PM_INVALID, "billing.no_such_plan", "plan");
		pm_fail_arg(f, "plan", "%.32s", code ? code : "");
		return PM_INVALID;
	}
	if (p->price_custom) {
		pm_refuse(f, PM_INVALID, "billing.custom_plan", "plan");
		pm_fail_arg(f, "plan", "%s", p->name);
		return PM_INVALID;
	}
	if (billing_plan_amount(p, year, byok) < 0) {
		pm_refuse(f, PM_INVALID, byok ? "billing.no_byok_price" :
		    year ? "billing.no_annual_price" : "billing.free_plan",
		    byok ? "byok" : year ? "interval" : "plan");
		pm_fail_arg(f, "plan", "%s", p->name);
		return PM_INVALID;
	}
	if (byok && (rc = has_byok_key(db, user_id)) <= 0)
		return rc < 0 ? rc : pm_refuse(f, PM_INVALID, "billing.byok_needs_key",
		    "byok");
	*qty = 1;
	if (p->price_per_seat) {
		lo = p->seats_included > 1 ? p->seats_included : 1;
		hi = p->seats_max >= lo ? p->seats_max : SEATS_MAX;
		*qty = seats > 0 ? seats : lo;
		if (*qty < lo || *qty > hi) {
			pm_refuse(f, PM_INVALID, "billing.seats_range", "seats");
			pm_fail_arg(f, "min", "%lld", (long long)lo);
			pm_fail_arg(f, "max", "%lld", (long long)hi);
			return PM_INVALID;
		}
	}
	if ((rc = billing_price_find(db, p->id, year, byok, pr)) < 0)
		return rc;
	if (rc == 0)
		return pm_refuse(f, PM_UNAVAILABLE, "billing.prices_missing", NULL);
	return 0;
}

/* The user's customer id into out, made in Stripe when there is none. */
static int ensure_customer(struct db *db, const struct checkout_req *q,
    char out[STRIPE_ID_MAX + 1], struct pm_fail *f)
{
	json_object *params, *meta, *got = NULL;
	struct buf meaning = { 0 };
	char uid[24];
	int64_t n;
	int rc;

	if ((rc = billing_customer_of(db, q->user_id, out)) != 0)
		return rc < 0 ? rc : 0;
	snprintf(uid, sizeof(uid), "%lld", (long long)q->user_id);
	params = json_object_new_object();
	json_object_object_add(params, "email", json_object_new_string(q->email));
	meta = json_object_new_object();
	json_object_object_add(meta, "user_id", json_object_new_string(uid));
	json_object_object_add(params, "metadata", meta);
	/* One customer per user of this site, however many tries. */
	buf_printf(&meaning, "customer|%s|%s|%s", uid, q->email, q->success_url);
	rc = stripe_call("POST", "/v1/customers", params, buf_cstr(&meaning), NULL,
	    &got, NULL, f);
	json_object_put(params);
	buf_free(&meaning);
	if (rc == 0) {
		stripe_ref(json_member(got, "id"), out);
		if (out[0] == '\0')
			rc = pm_refuse(f, PM_UPSTREAM, "stripe.bad_answer", NULL);
	}
	json_object_put(got);
	if (rc != 0)
		return rc;
	n = db_exec(db, "INSERT IGNORE INTO billing_customers (user_id,"
	    " customer_id, created_at) VALUES (?, ?, ?)", DB_ARGS(db_i(q->user_id),
	    db_s(out), db_i(q->now)));
	if (n < 0)
		return (int)n;
	/* Two first clicks at once: both got the same customer (same key);
	 * whichever row is there is the one. */
	return billing_customer_of(db, q->user_id, out) < 0 ? DB_ERROR : 0;
}

/* An open session for the same price and seats made lately: 1 with its
 * URL, 0, or a db_err. */
static int reusable(struct db *db, int64_t user_id, const char *price,
    int64_t qty, int64_t now, char *url, size_t size)
{
	static const char sql[] = "SELECT url FROM billing_checkouts WHERE"
	    " user_id = ? AND price_id = ? AND quantity = ? AND status = 'open'"
	    " AND created_at > ? ORDER BY created_at DESC LIMIT 1";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(user_id), db_s(price),
	    db_i(qty), db_i(now - REUSE_SECONDS)), &res);

	if (n > 0)
		snprintf(url, size, "%s", db_str(&res, 0, 0));
	db_res_free(&res);
	return n < 0 ? (int)n : n > 0;
}

/* The number of the user's checkouts that are over: part of the next
 * session's idempotency key, so that a new intent gets a new session and
 * a repeated one the same. */
static int64_t finished_checkouts(struct db *db, int64_t user_id)
{
	struct db_res res;
	int64_t n = db_query(db, "SELECT COUNT(*) FROM billing_checkouts WHERE"
	    " user_id = ? AND status <> 'open'", DB_ARGS(db_i(user_id)), &res);
	int64_t c = n > 0 ? db_int(&res, 0, 0) : 0;

	db_res_free(&res);
	return n < 0 ? n : c;
}

static json_object *session_params(const struct checkout_req *q,
    const char *customer, const struct billing_price *pr, int64_t qty)
{
	json_object *p = json_object_new_object(), *items, *item, *meta, *sd;
	char uid[24];

	snprintf(uid, sizeof(uid), "%lld", (long long)q->user_id);
	json_object_object_add(p, "mode", json_object_new_string("subscription"));
	json_object_object_add(p, "customer", json_object_new_string(customer));
	json_object_object_add(p, "client_reference_id", json_object_new_string(uid));
	items = json_object_new_array();
	item = json_object_new_object();
	json_object_object_add(item, "price", json_object_new_string(pr->price_id));
	json_object_object_add(item, "quantity", json_object_new_int64(qty));
	json_object_array_add(items, item);
	json_object_object_add(p, "line_items", items);
	json_object_object_add(p, "success_url", json_object_new_string(q->success_url));
	json_object_object_add(p, "cancel_url", json_object_new_string(q->cancel_url));
	meta = json_object_new_object();
	json_object_object_add(meta, "user_id", json_object_new_string(uid));
	json_object_object_add(p, "metadata", meta);
	sd = json_object_new_object();
	json_object_object_add(sd, "metadata", json_object_get(meta));
	json_object_object_add(p, "subscription_data", sd);
	return p;
}

int billing_checkout(struct db *db, const struct checkout_req *q, char *url,
    size_t size, struct pm_fail *f)
{
	static const char sql_add[] = "INSERT IGNORE INTO billing_checkouts"
	    " (session_id, user_id, customer_id, plan_id, price_id, quantity, url,"
	    " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open',"
	    " ?, ?)";
	char customer[STRIPE_ID_MAX + 1];
	struct billing_price pr;
	struct billing_sub sub;
	struct stripe_session s;
	struct buf meaning = { 0 };
	json_object *params, *got = NULL;
	struct plan p;
	int64_t qty = 1, gen, n;
	int rc;

	if (!stripe_configured())
		return pm_refuse(f, PM_UNAVAILABLE, "stripe.not_configured", NULL);
	if ((rc = choose(db, q->user_id, q->plan_code, q->year, q->byok, q->seats,
	    &p, &pr, &qty, f)) != 0)
		return rc;
	if ((rc = billing_sub_of_user(db, q->user_id, &sub)) < 0)
		return rc;
	if (rc > 0 && stripe_status_entitled(sub.status))
		return pm_refuse(f, PM_CONFLICT, "billing.already_subscribed", NULL);
	if ((rc = reusable(db, q->user_id, pr.price_id, qty, q->now, url, size)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = ensure_customer(db, q, customer, f)) != 0)
		return rc;
	if ((gen = finished_checkouts(db, q->user_id)) < 0)
		return (int)gen;
	params = session_params(q, customer, &pr, qty);
	buf_printf(&meaning, "checkout|%s|%s|%lld|%lld", customer, pr.price_id,
	    (long long)qty, (long long)gen);
	rc = stripe_call("POST", "/v1/checkout/sessions", params,
	    buf_cstr(&meaning), NULL, &got, NULL, f);
	json_object_put(params);
	buf_free(&meaning);
	if (rc == 0 && (rc = stripe_session_parse(got, &s, f)) == 0 &&
	    strncmp(s.url, "http", 4) != 0)
		rc = pm_refuse(f, PM_UPSTREAM, "stripe.bad_answer", NULL);
	json_object_put(got);
	if (rc != 0)
		return rc;
	n = db_exec(db, sql_add, DB_ARGS(db_s(s.id), db_i(q->user_id),
	    db_s(customer), db_i(p.id), db_s(pr.price_id), db_i(qty), db_s(s.url),
	    db_i(q->now), db_i(q->now)));
	if (n < 0)
		return (int)n;
	snprintf(url, size, "%s", s.url);
	log_info("billing: user %lld checkout %s for %s", (long long)q->user_id,
	    s.id, pr.price_id);
	return 0;
}

int billing_checkout_status(struct db *db, int64_t user_id, const char *id,
    int64_t now, json_object **out)
{
	static const char sql[] = "SELECT c.status, COALESCE(c.failure, ''),"
	    " c.plan_id, (SELECT COUNT(*) FROM user_plans up WHERE"
	    " up.user_id = c.user_id AND up.plan_id = c.plan_id AND"
	    " up.source = 'stripe') FROM billing_checkouts c"
	    " WHERE c.session_id = ? AND c.user_id = ?";
	struct db_res res;
	int64_t n;
	const char *state;

	*out = NULL;
	(void)now;
	n = db_query(db, sql, DB_ARGS(db_s(id ? id : ""), db_i(user_id)), &res);
	if (n <= 0) {
		db_res_free(&res);
		return n < 0 ? (int)n : PM_NOTFOUND;
	}
	if (db_int(&res, 0, 3) > 0)
		state = "active";
	else if (strcmp(db_str(&res, 0, 0), "declined") == 0)
		state = "declined";
	else if (strcmp(db_str(&res, 0, 0), "expired") == 0)
		state = "expired";
	else
		state = "pending";
	*out = json_object_new_object();
	json_object_object_add(*out, "state", json_object_new_string(state));
	json_object_object_add(*out, "plan_id",
	    json_object_new_int64(db_int(&res, 0, 2)));
	if (strcmp(state, "declined") == 0)
		json_object_object_add(*out, "message",
		    json_object_new_string(db_str(&res, 0, 1)));
	db_res_free(&res);
	return 0;
}
