/* stripe.h - the Stripe API client (libcurl).
 *
 * Every call sends the secret key of stripe_secret_key_file (read at each
 * call, never logged, wiped after use) as a bearer token, the fixed
 * Stripe-Version STRIPE_API_VERSION, and its parameters in Stripe's form
 * encoding (stripe_form.h): the body of a POST, the query string of a GET
 * or DELETE. Every POST carries an Idempotency-Key derived from what the
 * request means (stripe_idempotency_key): the caller names the meaning
 * ("checkout|cus_1|price_1|1|0"), so that a double click, or a retry,
 * makes one object, and a later request that means something else gets
 * another key.
 *
 * Retries: after a network error, a 409, a 429 or a 5xx the call is sent
 * again (same key) up to max_retries times, after 0.5 s, 1 s, 2 s ...
 * (at least Retry-After, jittered, never past the deadline), unless
 * Stripe answers Stripe-Should-Retry: false; Stripe-Should-Retry: true
 * retries whatever the status.
 *
 * Error convention (error.h): 0 with the answer, or a refusal whose
 * sentence (catalog billing.txt, stripe.*) says in words what Stripe's
 * error object (error.type, code, decline_code, param, message) means:
 * a declined card names why; an invalid request names the parameter;
 * Stripe down or unreachable says that nothing was charged twice. The
 * details are in struct stripe_error for callers that branch on them.
 */
#ifndef PM_STRIPE_H
#define PM_STRIPE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* The API version every request is made with; the objects' shapes follow
 * it (current periods on subscription items, an invoice's subscription
 * under parent.subscription_details). stripe_objects.c reads the older
 * shapes too. */
#define STRIPE_API_VERSION	"2025-03-31.basil"
/* Largest answer read. */
#define STRIPE_MAX_BODY		(4 * 1024 * 1024)
/* Longest Stripe id kept (Stripe's own limit is 255). */
#define STRIPE_ID_MAX		255

/* How one call may spend its time. Zero fields take the configuration
 * (stripe_timeout_ms, stripe_max_retries); max_retries < 0 means none. */
struct stripe_opts {
	long	 timeout_ms;	/* the whole call, retries included */
	int	 max_retries;
};

/* What went wrong, as Stripe said it (empty strings when it said
 * nothing). */
struct stripe_error {
	long	 http_status;	/* 0: no answer (network, timeout) */
	char	 type[48];	/* card_error, invalid_request_error ... */
	char	 code[64];	/* resource_missing, card_declined ... */
	char	 decline_code[64];
	char	 param[128];
	char	 message[512];	/* control characters replaced */
	char	 request_id[64];
	int	 attempts;	/* requests sent */
};

/* Whether billing is on: stripe_secret_key_file is set. */
int stripe_configured(void);

/* Call Stripe: method "GET", "POST" or "DELETE"; path from "/v1/" with
 * every id already escaped (ids are [A-Za-z0-9_]: stripe_id_valid);
 * params a JSON object or NULL; meaning, for a POST, what the request
 * means (its Idempotency-Key; NULL: the method, path and encoded body).
 * o and err may be NULL. Returns 0 with the JSON object answered in *out
 * (caller puts), or with *out NULL: PM_NOTFOUND (404 resource_missing),
 * PM_INVALID (a card error), PM_CONFLICT (idempotency error),
 * PM_UPSTREAM (a request Stripe refused, an answer that is not JSON),
 * PM_BUSY (409, 429 after the retries), PM_TIMEOUT, PM_UNAVAILABLE
 * (Stripe down, unreachable, the key refused, billing not configured),
 * each with its sentence in f. */
int stripe_call(const char *method, const char *path, json_object *params,
    const char *meaning, const struct stripe_opts *o, json_object **out,
    struct stripe_error *err, struct pm_fail *f);

/* The Idempotency-Key for meaning: "pm_" and 64 hex digits of its
 * SHA-256, into out (68 bytes). */
void stripe_idempotency_key(const char *meaning, char out[68]);
/* Turn Stripe's answer (HTTP status, and its error object or NULL) into
 * the refusal stripe_call() returns, filling err's fields from it. */
int stripe_error_fail(long http_status, json_object *error,
    struct stripe_error *err, struct pm_fail *f);
/* Whether s is an id Stripe gives: 1 to STRIPE_ID_MAX characters of
 * [A-Za-z0-9_]. */
int stripe_id_valid(const char *s);

#endif
