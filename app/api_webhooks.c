/* api_webhooks.c - POST /webhooks/stripe: what Stripe calls. Billing is
 * not available yet: the endpoint answers 501. */
#include "answer.h"
#include "handlers.h"
#include "http.h"


void h_stripe_webhook(struct req *r)
{
	answer_error(r, PM_NOT_IMPLEMENTED, "error.billing_unavailable", NULL);
}

