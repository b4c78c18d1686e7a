/* api_webhooks.c - POST /webhooks/stripe: what Stripe calls. The
 * signature is checked on the raw body first (every v1 against every
 * secret of stripe_webhook_secret_file, 300 s either way): a failure is
 * 400 and nothing is stored. A verified event is stored under its id and
 * applied once; a duplicate is 200 and does nothing; an event that could
 * not be applied is 500, so that Stripe sends it again. */
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "billing.h"
#include "config.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "stripe_sig.h"

/* Check the request's signature. Returns 0, or the refusal answered. */
static int verified(struct req *r)
{
	const char *path = cfg_str(CFG_STRIPE_WEBHOOK_SECRET_FILE);
	const char *secrets[STRIPE_SIG_MAX_SECRETS];
	struct buf why = { 0 };
	size_t n = 0;
	char *text = NULL;
	int rc;

	if (*path == '\0' || (text = config_read_secret(path, &why)) == NULL) {
		if (why.len)
			log_error("stripe webhook: %s", buf_cstr(&why));
		buf_free(&why);
		answer_error(r, PM_UNAVAILABLE, "webhook.sig_no_secret", NULL);
		return -1;
	}
	n = stripe_sig_secrets(text, secrets, STRIPE_SIG_MAX_SECRETS);
	rc = stripe_sig_verify(req_env(r, "HTTP_STRIPE_SIGNATURE"),
	    r->body ? r->body : "", r->body_len, secrets, n, r->now,
	    STRIPE_SIG_TOLERANCE, NULL);
	explicit_bzero(text, strlen(text));
	free(text);
	if (rc == SIG_NO_SECRET) {
		answer_error(r, PM_UNAVAILABLE, stripe_sig_key(rc), NULL);
		return -1;
	}
	if (rc != SIG_OK) {
		log_warn("stripe webhook refused: %s", stripe_sig_key(rc));
		answer_error(r, PM_INVALID, stripe_sig_key(rc), NULL);
		return -1;
	}
	return 0;
}

void h_stripe_webhook(struct req *r)
{
	struct pm_fail f = { 0 };
	struct json_error e;
	json_object *ev, *o;
	int outcome, rc;

	if (verified(r) != 0)
		return;
	/* Parsed at the edge when it came as application/json. */
	ev = r->json ? json_object_get(r->json) :
	    json_parse_strict(r->body ? r->body : "", r->body_len, &e);
	if (!json_object_is_type(ev, json_type_object)) {
		json_object_put(ev);
		answer_error(r, PM_INVALID, "webhook.not_an_event", NULL);
		return;
	}
	rc = billing_event_receive(r->db, r->body, r->body_len, ev, r->now,
	    &outcome, &f);
	json_object_put(ev);
	if (rc != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	if (outcome == BO_FAILED) {
		/* Stripe sends it again; the retry applies it once. */
		answer_fail(r, PM_INTERNAL, &f);
		return;
	}
	pm_fail_clear(&f);
	o = json_object_new_object();
	json_object_object_add(o, "received", json_object_new_boolean(1));
	json_object_object_add(o, "outcome",
	    json_object_new_string(billing_outcome_name(outcome)));
	resp_json(r, 200, o);
}
