/* stripe_objects.h - the parts of Stripe's objects billing reads, from
 * their JSON (as the API answers them and as webhook events carry them).
 *
 * Both shapes of the API versions are read (shared/fixtures/stripe): a
 * subscription's current period on its first item (2025-03-31 and later)
 * or at its top level (before); an invoice's subscription under
 * parent.subscription_details.subscription or at its top level; an
 * invoice's payment under payments.data[].payment (when expanded) or as
 * top-level payment_intent and charge. A reference may be an id or the
 * expanded object. Every id is checked (stripe_id_valid); a string that
 * is not one reads as absent.
 *
 * Pure functions; each returns 0, or PM_INVALID with the catalog key
 * (stripe.bad_object) and the missing member in f when the object is not
 * of its type or lacks its id.
 */
#ifndef PM_STRIPE_OBJECTS_H
#define PM_STRIPE_OBJECTS_H

#include <json-c/json.h>
#include <stdint.h>

#include "error.h"
#include "stripe.h"

#define SID	(STRIPE_ID_MAX + 1)

struct stripe_sub {
	char	 id[SID];
	char	 customer[SID];
	char	 status[32];	/* active, past_due, canceled ... */
	char	 item_id[SID];	/* the first item */
	char	 price_id[SID];
	char	 lookup_key[201];
	char	 interval[8];	/* month, year ("" when unknown) */
	char	 currency[4];
	char	 latest_invoice[SID];
	int64_t	 quantity;	/* 1 when absent */
	int64_t	 unit_amount;	/* -1 when absent */
	int64_t	 period_start, period_end;	/* 0 when absent */
	int	 cancel_at_period_end;
	int64_t	 cancel_at, canceled_at, ended_at, trial_end;	/* 0: none */
	int64_t	 created;
	int64_t	 user_id;	/* metadata.user_id, 0 when absent */
};

struct stripe_invoice {
	char	 id[SID];
	char	 customer[SID];
	char	 subscription[SID];
	char	 status[32];	/* draft, open, paid, uncollectible, void */
	char	 currency[4];
	char	 payment_intent[SID];
	char	 charge[SID];
	char	 hosted_url[2001];
	char	 pdf_url[2001];
	int64_t	 amount_due, amount_paid;
	int64_t	 created;
	int64_t	 period_start, period_end;	/* of the line ending last,
						 * else its own; 0 when absent */
};

struct stripe_session {
	char	 id[SID];
	char	 customer[SID];
	char	 subscription[SID];
	char	 status[16];	/* open, complete, expired */
	char	 payment_status[24];
	char	 url[2001];
	int64_t	 client_reference_id;	/* 0 when absent or not a number */
};

/* A charge or a payment intent: who paid, how much was refunded, why it
 * failed. */
struct stripe_payment {
	char	 id[SID];
	char	 customer[SID];
	char	 payment_intent[SID];	/* a charge's */
	char	 invoice[SID];		/* older API versions */
	int64_t	 amount, amount_refunded;
	char	 failure_code[64];
	char	 decline_code[64];
	char	 failure_message[512];
};

int stripe_sub_parse(json_object *o, struct stripe_sub *out, struct pm_fail *f);
int stripe_invoice_parse(json_object *o, struct stripe_invoice *out,
    struct pm_fail *f);
int stripe_session_parse(json_object *o, struct stripe_session *out,
    struct pm_fail *f);
/* A "charge" or a "payment_intent" (its last_payment_error). */
int stripe_payment_parse(json_object *o, struct stripe_payment *out,
    struct pm_fail *f);

/* The id of a reference: the string itself, or the "id" of an expanded
 * object, copied into out (SID bytes) when valid; "" otherwise. */
void stripe_ref(json_object *v, char *out);
/* Whether a subscription in status gives its plan: active, trialing and
 * past_due (the grace period is the caller's). */
int stripe_status_entitled(const char *status);

#endif
