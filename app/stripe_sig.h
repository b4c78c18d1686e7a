/* stripe_sig.h - the signature of a Stripe webhook.
 *
 * Stripe signs each delivery with every signing secret of the endpoint:
 * Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...][,v0=<hex>], where
 * v1 = hex(HMAC-SHA256(key = the whole "whsec_..." secret as bytes,
 * message = "<t>." + the raw body)). A delivery is accepted when any v1
 * matches any of our secrets (several at once during a rotation; v0 is
 * ignored), compared in constant time, and t is within the tolerance of
 * now either way. Pure functions: the caller reads the secrets and the
 * clock.
 */
#ifndef PM_STRIPE_SIG_H
#define PM_STRIPE_SIG_H

#include <stddef.h>
#include <stdint.h>

/* Stripe's own default: how far t may be from now, in seconds. */
#define STRIPE_SIG_TOLERANCE	300
/* Secrets read from stripe_webhook_secret_file at most. */
#define STRIPE_SIG_MAX_SECRETS	8

enum stripe_sig_result {
	SIG_OK = 0,
	SIG_MISSING,		/* no Stripe-Signature header */
	SIG_MALFORMED,		/* no t=, t not a number, or no v1= */
	SIG_MISMATCH,		/* no v1 matches any secret */
	SIG_TOO_OLD,		/* a match, but t is older than the tolerance */
	SIG_TOO_NEW,		/* a match, but t is in the future beyond it */
	SIG_NO_SECRET,		/* no secret to check with */
	SIG__MAX
};

/* Check the Stripe-Signature header (NULL: missing) of the len bytes of
 * body against nsecrets secrets at now. The signature is checked first,
 * then the timestamp: a forged header is SIG_MISMATCH whatever its t.
 * *t_out (may be NULL) receives t when it parses. Returns an enum
 * stripe_sig_result. */
int stripe_sig_verify(const char *header, const char *body, size_t len,
    const char *const *secrets, size_t nsecrets, int64_t now,
    int64_t tolerance, int64_t *t_out);
/* The signing value v1 of body at t under secret, as 64 lower-case hex
 * digits into out (65 bytes). Returns 0, or -1 when HMAC is unavailable. */
int stripe_sig_compute(const char *secret, int64_t t, const char *body,
    size_t len, char out[65]);
/* Split text (the content of stripe_webhook_secret_file, modified in
 * place) into its secrets: one per line, blanks around it trimmed, empty
 * lines and lines starting with "#" skipped, at most max. Returns how
 * many were stored in out (pointers into text). */
size_t stripe_sig_secrets(char *text, const char **out, size_t max);
/* The catalog key of a result's sentence ("webhook.sig_missing" ...). */
const char *stripe_sig_key(int result);

#endif
