/* billing.c - what Stripe says, stored: customers, subscriptions and
 * invoices as last read, the plan each user gets from them (user_plans,
 * source 'stripe'), the grace period of a failed payment, and the state
 * the billing page shows. */
#include "billing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "escape.h"
#include "jsonx.h"
#include "log.h"
#include "msg.h"
#include "stripe_objects.h"
#include "users.h"
#include "util.h"

int64_t billing_read_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct dbv billing_text(const char *s, size_t len, size_t max)
{
	if (s == NULL)
		return db_sn("", 0);
	if (len > max) {
		len = max;
		/* back to the start of the sequence the cut falls in */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return db_sn(s, len);
}

int64_t billing_grace_seconds(void)
{
	return cfg_int(CFG_BILLING_GRACE_DAYS) * 86400;
}

/* A nullable id parameter: "" is NULL. */
static struct dbv id_or_null(const char *s)
{
	return s[0] ? db_s(s) : db_null();
}

/* A nullable time parameter: 0 is NULL. */
static struct dbv t_or_null(int64_t t)
{
	return t ? db_i(t) : db_null();
}

int billing_customer_of(struct db *db, int64_t user_id,
    char out[STRIPE_ID_MAX + 1])
{
	struct db_res res;
	int64_t n = db_query(db, "SELECT customer_id FROM billing_customers"
	    " WHERE user_id = ?", DB_ARGS(db_i(user_id)), &res);

	out[0] = '\0';
	if (n > 0)
		snprintf(out, STRIPE_ID_MAX + 1, "%s", db_str(&res, 0, 0));
	db_res_free(&res);
	return n < 0 ? (int)n : n > 0;
}

int64_t billing_user_of(struct db *db, const char *customer_id)
{
	struct db_res res;
	int64_t n = db_query(db, "SELECT user_id FROM billing_customers"
	    " WHERE customer_id = ?", DB_ARGS(db_s(customer_id)), &res);
	int64_t id = n > 0 ? db_int(&res, 0, 0) : 0;

	db_res_free(&res);
	return n < 0 ? n : id;
}

/* The one text column of sql's row for id into out (size bytes): a
 * user's email, a plan's name, for reports; "?" when there is none. */
static void text_of(struct db *db, const char *sql, int64_t id, char *out,
    size_t size)
{
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(id)), &res);

	snprintf(out, size, "%s", n > 0 && db_str(&res, 0, 0) ?
	    db_str(&res, 0, 0) : "?");
	db_res_free(&res);
}

static const char sql_email[] = "SELECT email FROM users WHERE id = ?";
static const char sql_plan_name[] = "SELECT name FROM plans WHERE id = ?";

/* Append a line to report (may be NULL): the catalog sentence key. */
static void report_line(struct buf *report, const char *key, ...)
	__attribute__((sentinel));

static void report_line(struct buf *report, const char *key, ...)
{
	va_list ap;

	if (report == NULL)
		return;
	if (report->len > 0)
		buf_putc(report, '\n');
	va_start(ap, key);
	msg_vfmt(report, key, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ plan */

static const char sql_entitled[] = "SELECT s.plan_id FROM"
    " billing_subscriptions s JOIN plans p ON p.id = s.plan_id"
    " WHERE s.user_id = ? AND (s.status IN ('active', 'trialing') OR"
    " (s.status = 'past_due' AND s.past_due_since > ?))"
    " ORDER BY p.position DESC, s.created DESC LIMIT 1";
static const char sql_assignment[] =
    "SELECT plan_id, source FROM user_plans WHERE user_id = ?";
static const char sql_assign[] = "INSERT INTO user_plans"
    " (user_id, plan_id, source, assigned_at) VALUES (?, ?, 'stripe', ?)"
    " ON DUPLICATE KEY UPDATE plan_id = VALUES(plan_id), source = 'stripe',"
    " assigned_at = VALUES(assigned_at)";
static const char sql_unassign[] =
    "DELETE FROM user_plans WHERE user_id = ? AND source = 'stripe'";

/* The report line key about user_id and plan_id (report may be NULL). */
static void report_plan(struct db *db, struct buf *report, const char *key,
    int64_t user_id, int64_t plan_id)
{
	char email[256], name[PLAN_NAME_MAX + 1];

	if (report == NULL)
		return;
	text_of(db, sql_email, user_id, email, sizeof(email));
	text_of(db, sql_plan_name, plan_id, name, sizeof(name));
	report_line(report, key, "email", email, "plan", name, NULL);
}

/* Set the user's assignment from the stored subscriptions, inside a
 * transaction that holds the user's row. Returns 1 when it changed, 0,
 * or a db_err. */
static int recompute_tx(struct db *db, int64_t user_id, int64_t now,
    struct buf *report)
{
	struct db_res res;
	int64_t n, want = 0, have = 0, rc;
	int stripe_src = 0;

	n = db_query(db, sql_entitled, DB_ARGS(db_i(user_id),
	    db_i(now - billing_grace_seconds())), &res);
	if (n > 0)
		want = db_int(&res, 0, 0);
	db_res_free(&res);
	if (n < 0)
		return (int)n;
	n = db_query(db, sql_assignment, DB_ARGS(db_i(user_id)), &res);
	if (n > 0) {
		have = db_int(&res, 0, 0);
		stripe_src = db_str(&res, 0, 1) != NULL &&
		    strcmp(db_str(&res, 0, 1), "stripe") == 0;
	}
	db_res_free(&res);
	if (n < 0)
		return (int)n;
	if (want != 0 && (want != have || !stripe_src)) {
		if ((rc = db_exec(db, sql_assign, DB_ARGS(db_i(user_id),
		    db_i(want), db_i(now)))) < 0)
			return (int)rc;
		report_plan(db, report, "billing.report_plan", user_id, want);
		return 1;
	}
	if (want == 0 && stripe_src) {
		if ((rc = db_exec(db, sql_unassign, DB_ARGS(db_i(user_id)))) < 0)
			return (int)rc;
		report_plan(db, report, "billing.report_downgrade", user_id, have);
		return 1;
	}
	return 0;
}

/* Take the user's row for the rest of the transaction: the plan of one
 * user is set by one transaction at a time. A user who is gone is not an
 * error here (what follows finds nothing of theirs). */
static int lock_user(struct db *db, int64_t user_id)
{
	int rc = user_lock(db, user_id);

	return rc == PM_NOTFOUND ? 0 : rc;
}

struct recompute_tx {
	int64_t		 user_id, now;
	struct buf	 lines;
	int		 changed;
};

static int recompute_fn(struct db *db, void *arg)
{
	struct recompute_tx *t = arg;
	int rc;

	buf_reset(&t->lines);
	if ((rc = lock_user(db, t->user_id)) != 0)
		return rc;
	if ((rc = recompute_tx(db, t->user_id, t->now, &t->lines)) < 0)
		return rc;
	t->changed = rc;
	return 0;
}

int billing_user_recompute(struct db *db, int64_t user_id, int64_t now,
    struct buf *report)
{
	struct recompute_tx t = { user_id, now, { 0 }, 0 };
	int rc = db_tx(db, recompute_fn, &t);

	if (rc == 0 && report != NULL && t.lines.len > 0)
		report_line(report, "billing.report_text", "text",
		    buf_cstr(&t.lines), NULL);
	buf_free(&t.lines);
	return rc != 0 ? rc : t.changed;
}

int billing_sweep(struct db *db, int64_t now, struct buf *report)
{
	static const char sql[] = "SELECT DISTINCT s.user_id FROM"
	    " billing_subscriptions s JOIN user_plans up ON up.user_id ="
	    " s.user_id AND up.source = 'stripe' WHERE s.status = 'past_due'"
	    " AND s.past_due_since <= ? LIMIT 1000";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(now - billing_grace_seconds())),
	    &res);
	size_t i;
	int rc, count = 0;

	for (i = 0; n > 0 && i < res.nrows; i++) {
		if ((rc = billing_user_recompute(db, db_int(&res, i, 0), now,
		    report)) < 0) {
			n = rc;
			break;
		}
		count += rc;
	}
	db_res_free(&res);
	return n < 0 ? (int)n : count;
}

int billing_past_due(struct db *db, int64_t user_id, int64_t now,
    int64_t *until)
{
	static const char sql[] = "SELECT MIN(past_due_since) FROM"
	    " billing_subscriptions WHERE user_id = ? AND status = 'past_due'"
	    " AND past_due_since IS NOT NULL";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(user_id)), &res);
	int found = n > 0 && db_str(&res, 0, 0) != NULL;

	(void)now;
	if (found)
		*until = db_int(&res, 0, 0) + billing_grace_seconds();
	db_res_free(&res);
	return n < 0 ? (int)n : found;
}

/* ------------------------------------------------------------ subscriptions */

/* The columns sub_from_row() reads. */
#define SUB_COLS "subscription_id, customer_id, status," \
    " COALESCE(item_id, ''), COALESCE(price_id, ''), COALESCE(currency, '')," \
    " COALESCE(user_id, 0), COALESCE(plan_id, 0), billing_interval = 'year'," \
    " byok, cancel_at_period_end, quantity, COALESCE(unit_amount, -1)," \
    " COALESCE(period_start, 0), COALESCE(period_end, 0)," \
    " COALESCE(cancel_at, 0), COALESCE(canceled_at, 0), COALESCE(ended_at, 0)," \
    " COALESCE(trial_end, 0), COALESCE(past_due_since, 0), created, changes"

static void sub_from_row(const struct db_res *res, size_t r,
    struct billing_sub *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", db_str(res, r, 0));
	snprintf(s->customer, sizeof(s->customer), "%s", db_str(res, r, 1));
	snprintf(s->status, sizeof(s->status), "%s", db_str(res, r, 2));
	snprintf(s->item_id, sizeof(s->item_id), "%s", db_str(res, r, 3));
	snprintf(s->price_id, sizeof(s->price_id), "%s", db_str(res, r, 4));
	snprintf(s->currency, sizeof(s->currency), "%s", db_str(res, r, 5));
	s->user_id = db_int(res, r, 6);
	s->plan_id = db_int(res, r, 7);
	s->year = db_int(res, r, 8) != 0;
	s->byok = db_int(res, r, 9) != 0;
	s->cancel_at_period_end = db_int(res, r, 10) != 0;
	s->quantity = db_int(res, r, 11);
	s->unit_amount = db_int(res, r, 12);
	s->period_start = db_int(res, r, 13);
	s->period_end = db_int(res, r, 14);
	s->cancel_at = db_int(res, r, 15);
	s->canceled_at = db_int(res, r, 16);
	s->ended_at = db_int(res, r, 17);
	s->trial_end = db_int(res, r, 18);
	s->past_due_since = db_int(res, r, 19);
	s->created = db_int(res, r, 20);
	s->changes = db_int(res, r, 21);
}

int billing_sub_of_user(struct db *db, int64_t user_id, struct billing_sub *out)
{
	static const char sql[] = "SELECT " SUB_COLS " FROM billing_subscriptions"
	    " WHERE user_id = ? ORDER BY status IN ('active', 'trialing',"
	    " 'past_due') DESC, created DESC, subscription_id DESC LIMIT 1";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(user_id)), &res);

	if (n > 0)
		sub_from_row(&res, 0, out);
	db_res_free(&res);
	return n < 0 ? (int)n : n > 0;
}

static const char sql_sub_old[] = "SELECT status, read_us,"
    " COALESCE(past_due_since, 0) FROM billing_subscriptions"
    " WHERE subscription_id = ? FOR UPDATE";
static const char sql_sub_upsert[] = "INSERT INTO billing_subscriptions"
    " (subscription_id, customer_id, user_id, status, item_id, price_id,"
    " plan_id, billing_interval, byok, quantity, unit_amount, currency,"
    " period_start, period_end, cancel_at_period_end, cancel_at, canceled_at,"
    " ended_at, trial_end, latest_invoice, past_due_since, created, read_us,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
    " ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
    " customer_id = VALUES(customer_id), user_id = VALUES(user_id),"
    " status = VALUES(status), item_id = VALUES(item_id),"
    " price_id = VALUES(price_id), plan_id = VALUES(plan_id),"
    " billing_interval = VALUES(billing_interval), byok = VALUES(byok),"
    " quantity = VALUES(quantity), unit_amount = VALUES(unit_amount),"
    " currency = VALUES(currency), period_start = VALUES(period_start),"
    " period_end = VALUES(period_end),"
    " cancel_at_period_end = VALUES(cancel_at_period_end),"
    " cancel_at = VALUES(cancel_at), canceled_at = VALUES(canceled_at),"
    " ended_at = VALUES(ended_at), trial_end = VALUES(trial_end),"
    " latest_invoice = VALUES(latest_invoice),"
    " past_due_since = VALUES(past_due_since), created = VALUES(created),"
    " read_us = VALUES(read_us), updated_at = VALUES(updated_at)";

struct apply_tx {
	const struct stripe_sub	*s;
	const struct billing_price *pr;	/* NULL: not one of our prices */
	int64_t			 user_id, read_us, now;
	struct buf		 lines;
};

static int apply_fn(struct db *db, void *arg)
{
	struct apply_tx *t = arg;
	const struct stripe_sub *s = t->s;
	struct db_res res;
	int64_t n, since = 0, rc;
	char old[32] = "";
	const char *interval;

	buf_reset(&t->lines);
	if (t->user_id != 0 && (rc = lock_user(db, t->user_id)) != 0)
		return (int)rc;
	n = db_query(db, sql_sub_old, DB_ARGS(db_s(s->id)), &res);
	if (n > 0) {
		snprintf(old, sizeof(old), "%s", db_str(&res, 0, 0));
		if (db_int(&res, 0, 1) > t->read_us) {	/* a newer read won */
			db_res_free(&res);
			return 0;
		}
		since = strcmp(old, "past_due") == 0 ? db_int(&res, 0, 2) : 0;
	}
	db_res_free(&res);
	if (n < 0)
		return (int)n;
	if (strcmp(s->status, "past_due") == 0 && since == 0)
		since = t->now;
	else if (strcmp(s->status, "past_due") != 0)
		since = 0;
	interval = t->pr ? (t->pr->year ? "year" : "month") :
	    strcmp(s->interval, "year") == 0 ? "year" :
	    strcmp(s->interval, "month") == 0 ? "month" : NULL;
	rc = db_exec(db, sql_sub_upsert, DB_ARGS(db_s(s->id), db_s(s->customer),
	    t->user_id ? db_i(t->user_id) : db_null(), db_s(s->status),
	    id_or_null(s->item_id), id_or_null(s->price_id),
	    t->pr ? db_i(t->pr->plan_id) : db_null(), db_s(interval),
	    db_i(t->pr ? t->pr->byok : 0), db_i(s->quantity),
	    s->unit_amount >= 0 ? db_i(s->unit_amount) : db_null(),
	    s->currency[0] ? db_s(s->currency) : db_null(),
	    t_or_null(s->period_start), t_or_null(s->period_end),
	    db_i(s->cancel_at_period_end), t_or_null(s->cancel_at),
	    t_or_null(s->canceled_at), t_or_null(s->ended_at),
	    t_or_null(s->trial_end), id_or_null(s->latest_invoice),
	    t_or_null(since), db_i(s->created), db_i(t->read_us), db_i(t->now)));
	if (rc < 0)
		return (int)rc;
	if (strcmp(old, s->status) != 0)
		report_line(&t->lines, "billing.report_status", "sub", s->id,
		    "from", old[0] ? old : "-", "to", s->status, NULL);
	if (t->user_id != 0 && (rc = recompute_tx(db, t->user_id, t->now,
	    &t->lines)) < 0)
		return (int)rc;
	return 0;
}

int billing_sub_apply(struct db *db, json_object *sub, int64_t read_us,
    int64_t now, struct buf *report, struct pm_fail *f)
{
	struct stripe_sub s;
	struct billing_price pr;
	struct apply_tx t;
	int64_t uid;
	int rc, have_price = 0;

	if ((rc = stripe_sub_parse(sub, &s, f)) != 0)
		return rc;
	if ((uid = billing_user_of(db, s.customer)) < 0)
		return (int)uid;
	if (s.price_id[0] && (have_price = billing_price_of(db, s.price_id,
	    &pr)) < 0)
		return have_price;
	memset(&t, 0, sizeof(t));
	t.s = &s;
	t.pr = have_price ? &pr : NULL;
	t.user_id = uid;
	t.read_us = read_us;
	t.now = now;
	rc = db_tx(db, apply_fn, &t);
	if (rc == 0 && report != NULL && t.lines.len > 0)
		report_line(report, "billing.report_text", "text",
		    buf_cstr(&t.lines), NULL);
	buf_free(&t.lines);
	if (rc != 0)
		return rc;
	if (uid == 0) {
		pm_refuse(f, BILLING_FLAGGED, "billing.unknown_customer", NULL);
		pm_fail_arg(f, "customer", "%s", s.customer);
		return BILLING_FLAGGED;
	}
	if (!have_price) {
		pm_refuse(f, BILLING_FLAGGED, "billing.unknown_price", NULL);
		pm_fail_arg(f, "price", "%s", s.price_id[0] ? s.price_id : "-");
		return BILLING_FLAGGED;
	}
	return 0;
}

/* GET /v1/kind/id (id checked and escaped here) with params. */
static int fetch(const char *kind, const char *id, json_object *params,
    const struct stripe_opts *o, json_object **out, struct pm_fail *f)
{
	struct buf path = { 0 };
	int rc;

	if (!stripe_id_valid(id)) {
		pm_refuse(f, PM_INVALID, "stripe.bad_object", NULL);
		pm_fail_arg(f, "object", "%s", kind);
		return PM_INVALID;
	}
	buf_printf(&path, "/v1/%s/", kind);
	esc_url(&path, id, strlen(id));
	rc = stripe_call("GET", buf_cstr(&path), params, NULL, o, out, NULL, f);
	buf_free(&path);
	return rc;
}

int billing_sub_refresh(struct db *db, const char *id,
    const struct stripe_opts *o, int64_t now, struct buf *report,
    struct pm_fail *f)
{
	json_object *sub = NULL;
	int rc = fetch("subscriptions", id, NULL, o, &sub, f);

	if (rc == 0)
		rc = billing_sub_apply(db, sub, billing_read_us(), now, report, f);
	json_object_put(sub);
	return rc;
}

/* ------------------------------------------------------------ invoices */

static const char sql_inv_old[] =
    "SELECT read_us FROM billing_invoices WHERE invoice_id = ? FOR UPDATE";
static const char sql_inv_upsert[] = "INSERT INTO billing_invoices"
    " (invoice_id, customer_id, user_id, subscription_id, status, currency,"
    " amount_due, amount_paid, created, period_start, period_end,"
    " payment_intent, charge_id, hosted_url, pdf_url, read_us, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id),"
    " user_id = VALUES(user_id), subscription_id = VALUES(subscription_id),"
    " status = VALUES(status), currency = VALUES(currency),"
    " amount_due = VALUES(amount_due), amount_paid = VALUES(amount_paid),"
    " created = VALUES(created), period_start = VALUES(period_start),"
    " period_end = VALUES(period_end),"
    " payment_intent = COALESCE(VALUES(payment_intent), payment_intent),"
    " charge_id = COALESCE(VALUES(charge_id), charge_id),"
    " hosted_url = VALUES(hosted_url), pdf_url = VALUES(pdf_url),"
    " read_us = VALUES(read_us), updated_at = VALUES(updated_at)";

struct inv_tx {
	const struct stripe_invoice *in;
	int64_t		 user_id, read_us, now;
};

static int inv_fn(struct db *db, void *arg)
{
	struct inv_tx *t = arg;
	const struct stripe_invoice *in = t->in;
	struct db_res res;
	int64_t n = db_query(db, sql_inv_old, DB_ARGS(db_s(in->id)), &res);
	int newer = n > 0 && db_int(&res, 0, 0) > t->read_us;

	db_res_free(&res);
	if (n < 0)
		return (int)n;
	if (newer)
		return 0;
	n = db_exec(db, sql_inv_upsert, DB_ARGS(db_s(in->id), db_s(in->customer),
	    t->user_id ? db_i(t->user_id) : db_null(), id_or_null(in->subscription),
	    db_s(in->status), db_s(in->currency[0] ? in->currency : "usd"),
	    db_i(in->amount_due), db_i(in->amount_paid), db_i(in->created),
	    t_or_null(in->period_start), t_or_null(in->period_end),
	    id_or_null(in->payment_intent), id_or_null(in->charge),
	    in->hosted_url[0] ? db_s(in->hosted_url) : db_null(),
	    in->pdf_url[0] ? db_s(in->pdf_url) : db_null(), db_i(t->read_us),
	    db_i(t->now)));
	return n < 0 ? (int)n : 0;
}

int billing_invoice_apply(struct db *db, json_object *inv, int64_t read_us,
    int64_t now, char *sub_out, struct pm_fail *f)
{
	struct stripe_invoice in;
	struct inv_tx t;
	int64_t uid;
	int rc;

	if ((rc = stripe_invoice_parse(inv, &in, f)) != 0)
		return rc;
	if (sub_out != NULL)
		snprintf(sub_out, STRIPE_ID_MAX + 1, "%s", in.subscription);
	if ((uid = billing_user_of(db, in.customer)) < 0)
		return (int)uid;
	t.in = &in;
	t.user_id = uid;
	t.read_us = read_us;
	t.now = now;
	if ((rc = db_tx(db, inv_fn, &t)) != 0)
		return rc;
	if (uid == 0) {
		pm_refuse(f, BILLING_FLAGGED, "billing.unknown_customer", NULL);
		pm_fail_arg(f, "customer", "%s", in.customer);
		return BILLING_FLAGGED;
	}
	return 0;
}

int billing_invoice_refresh(struct db *db, const char *id,
    const struct stripe_opts *o, int64_t now, struct buf *report,
    struct pm_fail *f)
{
	json_object *inv = NULL, *params = json_object_new_object();
	char sub[STRIPE_ID_MAX + 1] = "";
	int rc;

	json_object_object_add(params, "expand", json_object_new_array());
	json_object_array_add(json_member(params, "expand"),
	    json_object_new_string("payments"));
	rc = fetch("invoices", id, params, o, &inv, f);
	json_object_put(params);
	if (rc == 0)
		rc = billing_invoice_apply(db, inv, billing_read_us(), now, sub, f);
	json_object_put(inv);
	if (rc == 0 && stripe_id_valid(sub))
		rc = billing_sub_refresh(db, sub, o, now, report, f);
	return rc;
}

int billing_charge_apply(struct db *db, json_object *charge, int64_t now,
    struct pm_fail *f)
{
	static const char sql_inv[] = "UPDATE billing_invoices SET"
	    " amount_refunded = GREATEST(amount_refunded, ?), updated_at = ?"
	    " WHERE charge_id = ? OR payment_intent = ?";
	static const char sql_refund[] = "UPDATE billing_refunds SET"
	    " status = 'succeeded', refund_id = ?, error = NULL, updated_at = ?"
	    " WHERE subscription_id = ? AND status <> 'succeeded'";
	struct stripe_payment p;
	json_object *data;
	size_t i, n;
	int64_t rc;

	if ((rc = stripe_payment_parse(charge, &p, f)) != 0)
		return (int)rc;
	if ((rc = db_exec(db, sql_inv, DB_ARGS(db_i(p.amount_refunded), db_i(now),
	    db_s(p.id), db_s(p.payment_intent[0] ? p.payment_intent : p.id)))) < 0)
		return (int)rc;
	/* A refund that Stripe made although its answer was lost. */
	data = json_member(json_member(charge, "refunds"), "data");
	n = json_object_is_type(data, json_type_array) ?
	    json_object_array_length(data) : 0;
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(data, i);
		char rid[STRIPE_ID_MAX + 1], sub[STRIPE_ID_MAX + 1];

		stripe_ref(json_member(r, "id"), rid);
		stripe_ref(json_member(json_member(r, "metadata"), "subscription"), sub);
		if (rid[0] && sub[0] && (rc = db_exec(db, sql_refund,
		    DB_ARGS(db_s(rid), db_i(now), db_s(sub)))) < 0)
			return (int)rc;
	}
	return 0;
}

/* ------------------------------------------------------------ the page */

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* The subscription s for the page. */
static json_object *sub_json(struct db *db, const struct billing_sub *s,
    int64_t now)
{
	json_object *o = json_object_new_object();
	char name[PLAN_NAME_MAX + 1] = "";

	add_str(o, "id", s->id);
	add_str(o, "status", s->status);
	json_object_object_add(o, "entitled", json_object_new_boolean(
	    stripe_status_entitled(s->status)));
	json_object_object_add(o, "is_past_due", json_object_new_boolean(
	    strcmp(s->status, "past_due") == 0));
	json_object_object_add(o, "is_trialing", json_object_new_boolean(
	    strcmp(s->status, "trialing") == 0));
	if (s->plan_id)
		text_of(db, sql_plan_name, s->plan_id, name, sizeof(name));
	add_str(o, "plan_name", name);
	add_int(o, "plan_id", s->plan_id);
	add_str(o, "interval", s->year ? "year" : "month");
	json_object_object_add(o, "annual", json_object_new_boolean(s->year));
	json_object_object_add(o, "byok", json_object_new_boolean(s->byok));
	add_int(o, "quantity", s->quantity);
	add_int(o, "unit_amount", s->unit_amount);
	add_int(o, "amount", s->unit_amount >= 0 ? s->unit_amount * s->quantity : -1);
	add_int(o, "period_start", s->period_start);
	add_int(o, "period_end", s->period_end);
	json_object_object_add(o, "cancel_at_period_end",
	    json_object_new_boolean(s->cancel_at_period_end));
	add_int(o, "ended_at", s->ended_at);
	add_int(o, "trial_end", s->trial_end);
	if (s->past_due_since)
		add_int(o, "grace_until", s->past_due_since + billing_grace_seconds());
	(void)now;
	return o;
}

static json_object *invoices_json(struct db *db, int64_t user_id)
{
	static const char sql[] = "SELECT invoice_id, created, amount_paid,"
	    " amount_due, amount_refunded, status, COALESCE(pdf_url, ''),"
	    " COALESCE(hosted_url, ''), currency FROM billing_invoices"
	    " WHERE user_id = ? AND status <> 'draft'"
	    " ORDER BY created DESC, invoice_id DESC LIMIT 24";
	json_object *a = json_object_new_array();
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(user_id)), &res);
	size_t i;

	for (i = 0; n > 0 && i < res.nrows; i++) {
		json_object *o = json_object_new_object();

		add_str(o, "id", db_str(&res, i, 0));
		add_int(o, "created", db_int(&res, i, 1));
		add_int(o, "amount_paid", db_int(&res, i, 2));
		add_int(o, "amount_due", db_int(&res, i, 3));
		add_int(o, "amount_refunded", db_int(&res, i, 4));
		add_str(o, "status", db_str(&res, i, 5));
		add_str(o, "pdf_url", db_str(&res, i, 6));
		add_str(o, "hosted_url", db_str(&res, i, 7));
		add_str(o, "currency", db_str(&res, i, 8));
		json_object_array_add(a, o);
	}
	db_res_free(&res);
	return a;
}

static json_object *refund_json(struct db *db, int64_t user_id)
{
	static const char sql[] = "SELECT amount_paid, period_start, period_end,"
	    " cancelled_at, amount, status, COALESCE(refund_id, ''),"
	    " COALESCE(error, ''), subscription_id FROM billing_refunds"
	    " WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT 1";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(user_id)), &res);
	json_object *o = NULL;
	struct refund_calc c;
	struct buf text = { 0 };

	if (n > 0) {
		billing_refund_compute(db_int(&res, 0, 0), db_int(&res, 0, 1),
		    db_int(&res, 0, 2), db_int(&res, 0, 3), &c);
		c.amount = db_int(&res, 0, 4);	/* as made */
		billing_refund_text(&c, &text);
		o = json_object_new_object();
		add_int(o, "amount", c.amount);
		add_int(o, "paid", c.paid);
		add_int(o, "cancelled_at", c.at);
		add_str(o, "status", db_str(&res, 0, 5));
		add_str(o, "refund_id", db_str(&res, 0, 6));
		add_str(o, "error", db_str(&res, 0, 7));
		add_str(o, "arithmetic", buf_cstr(&text));
		json_object_object_add(o, "nothing", json_object_new_boolean(
		    c.amount == 0));
		json_object_object_add(o, "pending", json_object_new_boolean(
		    strcmp(db_str(&res, 0, 5), "pending") == 0 ||
		    strcmp(db_str(&res, 0, 5), "failed") == 0));
	}
	db_res_free(&res);
	buf_free(&text);
	return o;
}

static json_object *checkout_json(struct db *db, int64_t user_id)
{
	static const char sql[] = "SELECT session_id, status,"
	    " COALESCE(failure, ''), created_at FROM billing_checkouts"
	    " WHERE user_id = ? ORDER BY created_at DESC, updated_at DESC LIMIT 1";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(user_id)), &res);
	json_object *o = NULL;

	if (n > 0) {
		o = json_object_new_object();
		add_str(o, "id", db_str(&res, 0, 0));
		add_str(o, "status", db_str(&res, 0, 1));
		add_str(o, "failure", db_str(&res, 0, 2));
		add_int(o, "created_at", db_int(&res, 0, 3));
	}
	db_res_free(&res);
	return o;
}

int billing_state(struct db *db, int64_t user_id, int64_t now,
    json_object **out)
{
	struct billing_sub s;
	struct db_res res;
	json_object *o = json_object_new_object(), *x;
	int64_t n;
	int rc;

	*out = NULL;
	if ((rc = billing_sub_of_user(db, user_id, &s)) < 0) {
		json_object_put(o);
		return rc;
	}
	if (rc > 0)
		json_object_object_add(o, "subscription", sub_json(db, &s, now));
	json_object_object_add(o, "invoices", invoices_json(db, user_id));
	if ((x = refund_json(db, user_id)) != NULL)
		json_object_object_add(o, "refund", x);
	if ((x = checkout_json(db, user_id)) != NULL)
		json_object_object_add(o, "checkout", x);
	n = db_query(db, "SELECT COUNT(*) FROM byok_keys WHERE user_id = ?",
	    DB_ARGS(db_i(user_id)), &res);
	json_object_object_add(o, "byok_key", json_object_new_boolean(n > 0 &&
	    db_int(&res, 0, 0) > 0));
	db_res_free(&res);
	*out = o;
	return 0;
}
