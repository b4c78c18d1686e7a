/* billing.h - billing with Stripe: prices from the plan catalog, the
 * upgrade (a Customer and a Checkout Session), what Stripe says of each
 * subscription, plan changes, cancellation with a prorated refund, and
 * the webhook events.
 *
 * Stripe is the truth; the billing_* tables (db/migrations/013) are what
 * was last read from it. A user's plan stays decided in one place,
 * user_plans (plans.h): billing sets an assignment of source 'stripe'
 * while a subscription of the user is active, trialing, or past_due for
 * less than billing_grace_days, to the plan its price belongs to (the
 * highest of several), and removes its own assignment otherwise. It
 * replaces any assignment when it gives a plan (a payment is the latest
 * decision) and never removes one it did not make. A downgrade deletes
 * nothing: prompts, versions, history and stored keys stay.
 *
 * Converging regardless of order: every event about a subscription,
 * an invoice or a charge is applied by reading that object again from
 * Stripe and storing what it says now, unless a newer read was stored
 * already (read_us). So events that arrive late, out of order or more
 * than once all end in the state Stripe has.
 *
 * Files: billing_prices.c (sync-prices, the price of a plan),
 * billing.c (customers, subscriptions, invoices, the plan assignment,
 * the page's state), billing_checkout.c (Upgrade), billing_changes.c
 * (interval, BYOK price, plan, cancel, refund, portal),
 * billing_events.c (webhook events and their log), billing_sync.c
 * (pm-admin stripe sync), billing_refund.c (the arithmetic).
 *
 * Error convention: error.h; Stripe's failures come as stripe.h says.
 * Sentences: templates/messages/<lang>/billing.txt.
 */
#ifndef PM_BILLING_H
#define PM_BILLING_H

#include <json-c/json.h>
#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "error.h"
#include "plans.h"
#include "billing_refund.h"
#include "stripe.h"

struct db;

/* A subscription applied but not giving a plan the way it should: its
 * customer or its price is not one of ours. The event is acknowledged and
 * flagged. */
#define BILLING_FLAGGED	1

/* ------------------------------------------------------------ prices */

/* A Price of billing_prices. */
struct billing_price {
	char	 price_id[STRIPE_ID_MAX + 1];
	int64_t	 plan_id;
	int	 year;		/* 1: annual, 0: monthly */
	int	 byok;
	int64_t	 unit_amount;
	char	 currency[4];
};

/* What plan p costs per interval (year 1: annual) and variant (byok 1:
 * the BYOK price), in cents; -1 when it is not offered: a custom or free
 * price, null in the catalog, or a BYOK price equal to the standard one
 * (no variant then). */
int64_t billing_plan_amount(const struct plan *p, int year, int byok);
/* The lookup_key of that price: "pm_<catalog>_<CODE>_<month|year>[_byok]"
 * into out (size bytes). */
void billing_lookup_key(const struct plan *p, int year, int byok, char *out,
    size_t size);
/* Make every price of the active catalog's public plans exist in Stripe,
 * found by lookup_key (a product "pm_<catalog>_<CODE>" per plan): one
 * that exists with the same amount is kept, another amount gets a new
 * price that takes over the key (the old one stays for its subscribers);
 * record them in billing_prices. Idempotent: a second run creates
 * nothing. A line per price in report (created, replaced, unchanged).
 * Returns 0, PM_NOCATALOG, a Stripe refusal or a db_err. */
int billing_sync_prices(struct db *db, int64_t now, struct buf *report,
    struct pm_fail *f);
/* The public plan of the active catalog with code (any letter case), or
 * with id when code is NULL: 1 with a copy in out (without its JSON
 * members: do not plan_free it), 0 when there is none, PM_NOCATALOG or a
 * db_err. */
int billing_public_plan(struct db *db, int64_t id, const char *code,
    struct plan *out);
/* The current price of plan_id for the interval and variant: 1 with out,
 * 0 when there is none, or a db_err. */
int billing_price_find(struct db *db, int64_t plan_id, int year, int byok,
    struct billing_price *out);
/* The price price_id (current or not): 1 with out, 0 when it is not one
 * of ours, or a db_err. */
int billing_price_of(struct db *db, const char *price_id,
    struct billing_price *out);

/* ------------------------------------------------------------ subscriptions */

/* A subscription as stored. */
struct billing_sub {
	char	 id[STRIPE_ID_MAX + 1];
	char	 customer[STRIPE_ID_MAX + 1];
	char	 status[32];
	char	 item_id[STRIPE_ID_MAX + 1];
	char	 price_id[STRIPE_ID_MAX + 1];
	char	 currency[4];
	int64_t	 user_id, plan_id;	/* 0 when unknown */
	int	 year, byok, cancel_at_period_end;
	int64_t	 quantity, unit_amount;
	int64_t	 period_start, period_end, cancel_at, canceled_at, ended_at;
	int64_t	 trial_end, past_due_since, created;
	int64_t	 changes;
};

/* The customer id of user_id into out: 1, 0 when the user has none, or a
 * db_err. */
int billing_customer_of(struct db *db, int64_t user_id,
    char out[STRIPE_ID_MAX + 1]);
/* The user of a customer id: the id, 0 when it is not one of ours, or a
 * db_err. */
int64_t billing_user_of(struct db *db, const char *customer_id);
/* Store the subscription object sub (as Stripe answered it at read_us,
 * the real time in microseconds) unless a newer read is stored, and set
 * its user's plan from all of the user's subscriptions. A line per change
 * (status, plan) in report (may be NULL). Returns 0, BILLING_FLAGGED
 * (stored; an unknown customer or price, named in f), PM_INVALID (not a
 * subscription) or a db_err. */
int billing_sub_apply(struct db *db, json_object *sub, int64_t read_us,
    int64_t now, struct buf *report, struct pm_fail *f);
/* Read the subscription id from Stripe and apply it. Same returns, and
 * Stripe's refusals. */
int billing_sub_refresh(struct db *db, const char *id,
    const struct stripe_opts *o, int64_t now, struct buf *report,
    struct pm_fail *f);
/* The user's subscription that matters: the one giving a plan, else the
 * latest. Returns 1 with out, 0 when the user has none, or a db_err. */
int billing_sub_of_user(struct db *db, int64_t user_id, struct billing_sub *out);
/* Set user_id's plan from the stored subscriptions at now (the grace
 * period counted). Returns 1 when the assignment changed, 0, or a
 * db_err. */
int billing_user_recompute(struct db *db, int64_t user_id, int64_t now,
    struct buf *report);
/* Downgrade the users whose subscription has been past_due for longer
 * than the grace period. Returns how many, or a db_err. */
int billing_sweep(struct db *db, int64_t now, struct buf *report);
/* When the grace period of a past_due subscription of the user ends: 1
 * with *until, 0 when none is past_due, or a db_err. */
int billing_past_due(struct db *db, int64_t user_id, int64_t now,
    int64_t *until);
/* Seconds of the grace period (billing_grace_days). */
int64_t billing_grace_seconds(void);

/* Store the invoice object inv read at read_us (unless newer is stored).
 * Returns 0, BILLING_FLAGGED (unknown customer), PM_INVALID or a db_err;
 * sub_out (STRIPE_ID_MAX + 1 bytes, may be NULL) receives its
 * subscription. */
int billing_invoice_apply(struct db *db, json_object *inv, int64_t read_us,
    int64_t now, char *sub_out, struct pm_fail *f);
/* Read the invoice id from Stripe (its payments expanded), apply it, and
 * refresh its subscription. Same returns. */
int billing_invoice_refresh(struct db *db, const char *id,
    const struct stripe_opts *o, int64_t now, struct buf *report,
    struct pm_fail *f);
/* Record what a charge (object) says was refunded. Returns 0 or a
 * db_err. */
int billing_charge_apply(struct db *db, json_object *charge, int64_t now,
    struct pm_fail *f);
/* A text parameter of at most max bytes of the len bytes at s, cut
 * before a UTF-8 sequence that would not fit (for the columns that keep
 * a sentence). */
struct dbv billing_text(const char *s, size_t len, size_t max);
/* The real time in microseconds, the order of reads from Stripe. */
int64_t billing_read_us(void);

/* Everything the billing page shows of user_id at now: {subscription?,
 * invoices[], refund?, checkout?, byok_key}. Returns 0 with *out (caller
 * puts) or a db_err. */
int billing_state(struct db *db, int64_t user_id, int64_t now,
    json_object **out);

/* ------------------------------------------------------------ checkout */

struct checkout_req {
	int64_t		 user_id;
	const char	*email;
	const char	*plan_code;
	int		 year, byok;
	int64_t		 seats;		/* per-seat plans; 0: the plan's least */
	const char	*success_url;	/* holds {CHECKOUT_SESSION_ID} */
	const char	*cancel_url;
	int64_t		 now;
};

/* Start the upgrade of q->user_id to q->plan_code: reuse the open Checkout
 * Session made for the same price and seats within the last 23 hours, or
 * create (or reuse) the user's Customer and a Checkout Session in mode
 * subscription for the plan's price (quantity: the seats), with
 * client_reference_id the user, under idempotency keys that make a
 * double click one session. Nothing is stored unless Stripe made the
 * session. Returns 0 with its URL in url (size bytes); PM_INVALID (no
 * such plan, no price for that interval, seats out of range, a BYOK price
 * without a key), PM_CONFLICT (already subscribed), PM_UNAVAILABLE
 * (billing off, prices not made), a Stripe refusal or a db_err. */
int billing_checkout(struct db *db, const struct checkout_req *q, char *url,
    size_t size, struct pm_fail *f);
/* What became of the Checkout Session id of user_id: {state: "active"
 * (the user is on its plan), "pending", "declined" (with "message"),
 * "expired"; plan_id}. Returns 0 with *out (caller puts), PM_NOTFOUND
 * (not the user's) or a db_err. */
int billing_checkout_status(struct db *db, int64_t user_id, const char *id,
    int64_t now, json_object **out);

/* ------------------------------------------------------------ changes */

/* Move the user's subscription to another price, with Stripe's proration:
 * plan_code NULL keeps the plan, year and byok < 0 keep theirs, seats 0
 * keeps the quantity. The answer is applied at once. Returns 0, PM_INVALID
 * (no such price, nothing to change, BYOK without a key), PM_NOTFOUND (no
 * subscription), a Stripe refusal or a db_err. */
int billing_change(struct db *db, int64_t user_id, const char *plan_code,
    int year, int byok, int64_t seats, int64_t now, struct pm_fail *f);
/* Cancel at the end of the period (on 1) or undo it (on 0). Same
 * returns. */
int billing_cancel_at_end(struct db *db, int64_t user_id, int on,
    int64_t now, struct pm_fail *f);
/* The refund "cancel now" would make at now, from the stored last paid
 * invoice: 1 with c (and the invoice's id in invoice, STRIPE_ID_MAX + 1
 * bytes, may be NULL), 0 when the user has no subscription, or a
 * db_err. */
int billing_refund_preview(struct db *db, int64_t user_id, int64_t now,
    struct refund_calc *c, char *invoice);
/* Cancel the subscription now and refund the unused share of the last
 * payment against that payment (the invoice read again from Stripe first).
 * The refund is recorded before Stripe is asked, so that one that fails
 * after the cancellation is retried (billing_refund_retry, sync), never
 * lost nor made twice. Returns 0 with c, PM_NOTFOUND (no subscription),
 * a Stripe refusal (nothing changed) or a db_err; a refund that failed
 * after the cancellation returns 0 and stays pending. */
int billing_cancel_now(struct db *db, int64_t user_id, int64_t now,
    struct refund_calc *c, struct pm_fail *f);
/* Send the pending refunds again (of user_id, or of everyone with 0).
 * Returns how many were made, or a db_err; the last Stripe refusal in f. */
int billing_refund_retry(struct db *db, int64_t user_id, int64_t now,
    struct buf *report, struct pm_fail *f);
/* A Billing Portal session of the user's customer returning to
 * return_url: 0 with its URL in url (size bytes), PM_NOTFOUND (no
 * customer), a Stripe refusal or a db_err. */
int billing_portal(struct db *db, int64_t user_id, const char *return_url,
    char *url, size_t size, struct pm_fail *f);

/* ------------------------------------------------------------ events */

enum billing_outcome {
	BO_APPLIED,	/* done */
	BO_DUPLICATE,	/* received before and done: nothing was done */
	BO_IGNORED,	/* a type billing has no use for: stored */
	BO_FLAGGED,	/* stored, acknowledged, not applied: see its error */
	BO_FAILED,	/* could not be applied now: answer 500, Stripe retries */
	BO__MAX
};

/* Receive the verified event ev whose raw body is raw (len bytes): store
 * it under its id, apply it unless it was applied before, and record
 * the outcome. Each Stripe call of a webhook has short limits (the
 * answer within a second). An event without a type is stored and
 * ignored, a known type without data.object flagged. Returns 0 with
 * *outcome, PM_INVALID (no id: nothing stored) or a db_err. */
int billing_event_receive(struct db *db, const char *raw, size_t len,
    json_object *ev, int64_t now, int *outcome, struct pm_fail *f);
/* Apply the stored event id again (the admin's "re-apply"), whatever its
 * status. Returns 0 with *outcome, PM_NOTFOUND or a db_err. */
int billing_event_reapply(struct db *db, const char *id, int64_t now,
    int *outcome, struct pm_fail *f);
/* The event log, newest first: [{id, type, object_id, status, error,
 * attempts, received_at, applied_at}], at most limit, of status (NULL:
 * all). Returns 0 with *out or a db_err. */
int billing_events_list(struct db *db, const char *status, int limit,
    json_object **out);
/* The name of an outcome ("applied", "duplicate", ...). */
const char *billing_outcome_name(int outcome);

/* ------------------------------------------------------------ sync */

/* Read every customer's subscriptions and invoices again from Stripe and
 * apply them (repairing missed webhooks), send pending refunds, and
 * downgrade past grace. A line per change in report. Returns how many
 * changes, or a db_err; Stripe's refusals are reported per customer and
 * counted in *failed (may be NULL). */
int billing_sync(struct db *db, int64_t now, struct buf *report, int *failed);

#endif
