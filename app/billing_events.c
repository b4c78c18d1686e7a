/* billing_events.c - Stripe's webhook events: stored under their id,
 * applied once, their outcome logged for the admin, applied again on
 * demand. Applying an event means reading its object again from Stripe
 * and storing what Stripe says now (billing.h), so the order and the
 * number of deliveries do not matter. */
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

/* An event of a type billing has no use for. */
#define IGNORED	2
/* A claim older than this is taken over (its process died). */
#define CLAIM_SECONDS	60

/* A webhook answers within a second: each Stripe call gets 450 ms and no
 * retry (Stripe retries the delivery). The admin's re-apply gets the
 * usual limits. */
static const struct stripe_opts webhook_opts = { 450, -1 };

const char *billing_outcome_name(int outcome)
{
	static const char *const names[BO__MAX] = {
		[BO_APPLIED] = "applied",
		[BO_DUPLICATE] = "duplicate",
		[BO_IGNORED] = "ignored",
		[BO_FLAGGED] = "flagged",
		[BO_FAILED] = "failed",
	};

	return outcome >= 0 && outcome < BO__MAX ? names[outcome] : "failed";
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Mark the user's latest open checkout of customer declined, with the
 * reason of the payment intent pi. */
static int declined(struct db *db, json_object *pi, int64_t now,
    struct pm_fail *f)
{
	static const char sql[] = "UPDATE billing_checkouts SET status ="
	    " 'declined', failure = ?, updated_at = ? WHERE customer_id = ? AND"
	    " status = 'open' ORDER BY created_at DESC LIMIT 1";
	struct stripe_payment p;
	struct pm_fail why = { 0 };
	struct buf text = { 0 };
	int64_t uid, n;
	int rc;

	if ((rc = stripe_payment_parse(pi, &p, f)) != 0)
		return rc;
	if ((uid = billing_user_of(db, p.customer)) <= 0) {
		if (uid < 0)
			return (int)uid;
		pm_refuse(f, BILLING_FLAGGED, "billing.unknown_customer", NULL);
		pm_fail_arg(f, "customer", "%s", p.customer[0] ? p.customer : "-");
		return BILLING_FLAGGED;
	}
	/* The reason in the words a declined card gets everywhere. */
	rc = stripe_error_fail(402, json_member(pi, "last_payment_error"), NULL,
	    &why);
	pm_fail_text(rc, &why, &text);
	pm_fail_clear(&why);
	n = db_exec(db, sql, DB_ARGS(billing_text(text.data, text.len, 500),
	    db_i(now), db_s(p.customer)));
	buf_free(&text);
	return n < 0 ? (int)n : 0;
}

/* A checkout session's event: its row, and its subscription. */
static int session_event(struct db *db, const char *type, json_object *obj,
    const struct stripe_opts *o, int64_t now, struct buf *report,
    struct pm_fail *f)
{
	static const char sql_done[] = "UPDATE billing_checkouts SET status ="
	    " 'complete', subscription_id = ?, failure = NULL, updated_at = ?"
	    " WHERE session_id = ?";
	static const char sql_expired[] = "UPDATE billing_checkouts SET status ="
	    " 'expired', updated_at = ? WHERE session_id = ? AND status = 'open'";
	struct stripe_session s;
	int64_t n, uid;
	int rc;

	if ((rc = stripe_session_parse(obj, &s, f)) != 0)
		return rc;
	if (strcmp(type, "checkout.session.expired") == 0) {
		n = db_exec(db, sql_expired, DB_ARGS(db_i(now), db_s(s.id)));
		return n < 0 ? (int)n : 0;
	}
	if (strcmp(type, "checkout.session.async_payment_failed") == 0)
		return IGNORED;
	if ((uid = billing_user_of(db, s.customer)) < 0)
		return (int)uid;
	if (uid == 0) {
		pm_refuse(f, BILLING_FLAGGED, "billing.unknown_customer", NULL);
		pm_fail_arg(f, "customer", "%s", s.customer[0] ? s.customer : "-");
		return BILLING_FLAGGED;
	}
	if (strcmp(s.status, "complete") == 0 && (n = db_exec(db, sql_done,
	    DB_ARGS(s.subscription[0] ? db_s(s.subscription) : db_null(),
	    db_i(now), db_s(s.id)))) < 0)
		return (int)n;
	if (s.subscription[0])
		return billing_sub_refresh(db, s.subscription, o, now, report, f);
	return 0;
}

/* Re-read the charge (its refunds) and record them. */
static int charge_event(struct db *db, json_object *obj,
    const struct stripe_opts *o, int64_t now, struct pm_fail *f)
{
	char id[STRIPE_ID_MAX + 1];
	struct buf path = { 0 };
	json_object *ch = NULL;
	int rc;

	stripe_ref(json_member(obj, "id"), id);
	if (id[0] == '\0')
		return pm_refuse(f, PM_INVALID, "stripe.bad_object", NULL);
	buf_puts(&path, "/v1/charges/");
	esc_url(&path, id, strlen(id));
	rc = stripe_call("GET", buf_cstr(&path), NULL, NULL, o, &ch, NULL, f);
	buf_free(&path);
	if (rc == 0)
		rc = billing_charge_apply(db, ch, now, f);
	json_object_put(ch);
	return rc;
}

/* Apply one event: 0, BILLING_FLAGGED, IGNORED, or a failure. */
static int apply(struct db *db, const char *type, json_object *obj,
    const struct stripe_opts *o, int64_t now, struct buf *report,
    struct pm_fail *f)
{
	char id[STRIPE_ID_MAX + 1];

	if (*type == '\0')
		return IGNORED;
	if (obj == NULL) {	/* a known type without its object */
		pm_refuse(f, BILLING_FLAGGED, "stripe.bad_object", NULL);
		pm_fail_arg(f, "object", "%s", type);
		return BILLING_FLAGGED;
	}
	stripe_ref(json_member(obj, "id"), id);
	if (starts(type, "customer.subscription.")) {
		if (id[0] == '\0')
			return pm_refuse(f, PM_INVALID, "stripe.bad_object", NULL);
		return billing_sub_refresh(db, id, o, now, report, f);
	}
	if (starts(type, "invoice.") && strcmp(type, "invoice.upcoming") != 0) {
		if (id[0] == '\0')
			return pm_refuse(f, PM_INVALID, "stripe.bad_object", NULL);
		return billing_invoice_refresh(db, id, o, now, report, f);
	}
	if (starts(type, "checkout.session."))
		return session_event(db, type, obj, o, now, report, f);
	if (strcmp(type, "payment_intent.payment_failed") == 0)
		return declined(db, obj, now, f);
	if (strcmp(type, "charge.refunded") == 0)
		return charge_event(db, obj, o, now, f);
	return IGNORED;
}

static const char sql_status[] = "UPDATE billing_events SET status = ?,"
    " error = ?, applied_at = ?, claimed_at = NULL WHERE event_id = ?";

/* Apply the event and record its outcome. */
static int run(struct db *db, const char *id, const char *type,
    json_object *obj, const struct stripe_opts *o, int64_t now, int *outcome,
    struct pm_fail *f)
{
	struct buf why = { 0 }, report = { 0 };
	const char *status;
	int rc = apply(db, type, obj, o, now, &report, f);
	int64_t n;

	if (rc == 0) {
		*outcome = BO_APPLIED;
		status = "applied";
	} else if (rc == IGNORED) {
		*outcome = BO_IGNORED;
		status = "ignored";
	} else if (rc == BILLING_FLAGGED) {
		*outcome = BO_FLAGGED;
		status = "flagged";
	} else {
		*outcome = BO_FAILED;
		status = "failed";
	}
	if (rc != 0 && rc != IGNORED)
		pm_fail_text(rc, f, &why);
	n = db_exec(db, sql_status, DB_ARGS(db_s(status), why.len ?
	    billing_text(why.data, why.len, 1000) : db_null(),
	    *outcome == BO_FAILED ? db_null() : db_i(now), db_s(id)));
	log_info("billing: event %s %s: %s%s%s%s%s", id, type, status,
	    why.len ? ": " : "", buf_cstr(&why), report.len ? "; " : "",
	    buf_cstr(&report));
	buf_free(&why);
	buf_free(&report);
	if (n < 0)
		return (int)n;
	/* Whatever the event, past_due subscriptions past grace end now. */
	if (billing_sweep(db, now, NULL) < 0)
		log_warn("billing: the grace sweep failed");
	return 0;
}

/* The event's id (required), type ("" when it has none: stored and
 * ignored) and object (NULL when it has none). */
static int event_parts(json_object *ev, char *id, const char **type,
    json_object **obj, struct pm_fail *f)
{
	const char *t = json_str_member(ev, "type", NULL);

	stripe_ref(json_member(ev, "id"), id);
	*obj = json_member(json_member(ev, "data"), "object");
	if (!json_object_is_type(*obj, json_type_object))
		*obj = NULL;
	if (t == NULL || strlen(t) > 100 ||
	    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(t))
		t = "";
	*type = t;
	if (id[0] == '\0')
		return pm_refuse(f, PM_INVALID, "webhook.not_an_event", NULL);
	return 0;
}

int billing_event_receive(struct db *db, const char *raw, size_t len,
    json_object *ev, int64_t now, int *outcome, struct pm_fail *f)
{
	static const char sql_add[] = "INSERT IGNORE INTO billing_events"
	    " (event_id, type, object_id, livemode, created, received_at, status,"
	    " payload) VALUES (?, ?, ?, ?, ?, ?, 'received', ?)";
	static const char sql_claim[] = "UPDATE billing_events SET status ="
	    " 'applying', attempts = attempts + 1, claimed_at = ? WHERE"
	    " event_id = ? AND (status IN ('received', 'failed') OR"
	    " (status = 'applying' AND claimed_at < ?))";
	char id[STRIPE_ID_MAX + 1], oid[STRIPE_ID_MAX + 1];
	json_object *obj, *created;
	const char *type;
	int64_t n;
	int rc;

	*outcome = BO_FAILED;
	if ((rc = event_parts(ev, id, &type, &obj, f)) != 0)
		return rc;
	stripe_ref(json_member(obj, "id"), oid);
	created = json_member(ev, "created");
	n = db_exec(db, sql_add, DB_ARGS(db_s(id), db_s(type), oid[0] ?
	    db_s(oid) : db_null(), db_i(json_object_get_boolean(json_member(ev,
	    "livemode"))), db_i(json_object_is_type(created, json_type_int) ?
	    json_object_get_int64(created) : 0), db_i(now), db_sn(raw, len)));
	if (n < 0)
		return (int)n;
	n = db_exec(db, sql_claim, DB_ARGS(db_i(now), db_s(id),
	    db_i(now - CLAIM_SECONDS)));
	if (n < 0)
		return (int)n;
	if (n == 0) {
		struct db_res res;
		int64_t m = db_query(db, "SELECT status FROM billing_events WHERE"
		    " event_id = ?", DB_ARGS(db_s(id)), &res);
		int busy = m > 0 && strcmp(db_str(&res, 0, 0), "applying") == 0;

		db_res_free(&res);
		if (m < 0)
			return (int)m;
		if (busy) {	/* another delivery is applying it right now */
			pm_refuse(f, PM_BUSY, "webhook.busy", NULL);
			*outcome = BO_FAILED;
			return 0;
		}
		*outcome = BO_DUPLICATE;
		return 0;
	}
	return run(db, id, type, obj, &webhook_opts, now, outcome, f);
}

int billing_event_reapply(struct db *db, const char *id, int64_t now,
    int *outcome, struct pm_fail *f)
{
	struct db_res res;
	json_object *ev;
	struct json_object *obj;
	char eid[STRIPE_ID_MAX + 1];
	const char *type;
	int64_t n;
	int rc;

	*outcome = BO_FAILED;
	n = db_query(db, "SELECT payload FROM billing_events WHERE event_id = ?",
	    DB_ARGS(db_s(id ? id : "")), &res);
	if (n <= 0) {
		db_res_free(&res);
		if (n < 0)
			return (int)n;
		pm_refuse(f, PM_NOTFOUND, "billing.no_event", NULL);
		pm_fail_arg(f, "event", "%.64s", id ? id : "");
		return PM_NOTFOUND;
	}
	ev = json_tokener_parse(db_str(&res, 0, 0));
	db_res_free(&res);
	if ((rc = event_parts(ev, eid, &type, &obj, f)) == 0) {
		n = db_exec(db, "UPDATE billing_events SET status = 'applying',"
		    " attempts = attempts + 1, claimed_at = ? WHERE event_id = ?",
		    DB_ARGS(db_i(now), db_s(eid)));
		rc = n < 0 ? (int)n : run(db, eid, type, obj, NULL, now, outcome, f);
	}
	json_object_put(ev);
	return rc;
}

int billing_events_list(struct db *db, const char *status, int limit,
    json_object **out)
{
	static const char sql[] = "SELECT event_id, type, COALESCE(object_id, ''),"
	    " status, COALESCE(error, ''), attempts, received_at,"
	    " COALESCE(applied_at, 0), created FROM billing_events"
	    " WHERE (? = '' OR status = ?)"
	    " ORDER BY received_at DESC, created DESC, event_id DESC LIMIT ?";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_s(status ? status : ""),
	    db_s(status ? status : ""), db_i(limit)), &res);
	size_t i;

	*out = json_object_new_array();
	for (i = 0; n > 0 && i < res.nrows; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(db_str(&res, i, 0)));
		json_object_object_add(o, "type", json_object_new_string(db_str(&res, i, 1)));
		json_object_object_add(o, "object_id",
		    json_object_new_string(db_str(&res, i, 2)));
		json_object_object_add(o, "status",
		    json_object_new_string(db_str(&res, i, 3)));
		json_object_object_add(o, "error", json_object_new_string(db_str(&res, i, 4)));
		json_object_object_add(o, "attempts",
		    json_object_new_int64(db_int(&res, i, 5)));
		json_object_object_add(o, "received_at",
		    json_object_new_int64(db_int(&res, i, 6)));
		json_object_object_add(o, "applied_at",
		    json_object_new_int64(db_int(&res, i, 7)));
		json_object_object_add(o, "created",
		    json_object_new_int64(db_int(&res, i, 8)));
		json_object_array_add(*out, o);
	}
	db_res_free(&res);
	return n < 0 ? (int)n : 0;
}
