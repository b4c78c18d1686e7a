/* test_stripe.c - the pure parts of billing: Stripe's form encoding, the
 * webhook signature (the three vectors of shared/fixtures/stripe/README.md
 * and every way to get it wrong), idempotency keys, Stripe's errors in
 * words, both API shapes of its objects (tests/fakes/stripe_fixtures.json,
 * Stripe's own fixtures) and the prorated refund's arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "billing_refund.h"
#include "buf.h"
#include "error.h"
#include "jsonx.h"
#include "msg.h"
#include "stripe.h"
#include "stripe_form.h"
#include "stripe_objects.h"
#include "stripe_sig.h"

/* ------------------------------------------------------------------ */
/* Form encoding */

static char *encode(const char *json)
{
	json_object *o = json_tokener_parse(json);
	struct buf b = { 0 };
	char *s;

	assert_non_null(o);
	stripe_form_encode(o, &b);
	json_object_put(o);
	s = buf_detach(&b);
	return s ? s : strdup("");
}

static void check_encode(const char *json, const char *want)
{
	char *got = encode(json);

	assert_string_equal(got, want);
	free(got);
}

static void test_form(void **state)
{
	(void)state;
	check_encode("{}", "");
	check_encode("{\"email\":\"a b+c@example.com\"}",
	    "email=a%20b%2Bc%40example.com");
	check_encode("{\"mode\":\"subscription\",\"line_items\":[{\"price\":"
	    "\"price_1\",\"quantity\":3}],\"metadata\":{\"user_id\":\"42\"},"
	    "\"cancel_at_period_end\":true,\"x\":false,\"unset\":null}",
	    "mode=subscription&line_items[0][price]=price_1&"
	    "line_items[0][quantity]=3&metadata[user_id]=42&"
	    "cancel_at_period_end=true&x=false&unset=");
	check_encode("{\"expand\":[\"data.payments\",\"latest_invoice\"]}",
	    "expand[0]=data.payments&expand[1]=latest_invoice");
	/* Nesting to any depth, keys escaped, empty containers dropped. */
	check_encode("{\"a\":{\"b\":[{\"c d\":\"{x}\"}],\"e\":{}},\"f\":[]}",
	    "a[b][0][c%20d]=%7Bx%7D");
	check_encode("{\"success_url\":\"http://h/billing/success?session_id="
	    "{CHECKOUT_SESSION_ID}\"}",
	    "success_url=http%3A%2F%2Fh%2Fbilling%2Fsuccess%3Fsession_id%3D"
	    "%7BCHECKOUT_SESSION_ID%7D");
	check_encode("{\"n\":-7,\"u\":\"\xc3\xa9\"}", "n=-7&u=%C3%A9");
}

/* ------------------------------------------------------------------ */
/* Signatures */

static const char body1[] = "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}";
static const char body2[] =
    "{\n  \"id\": \"evt_test_webhook\",\n  \"object\": \"event\"\n}";
static const char *const secret1[] = { "whsec_test_secret" };

static int verify(const char *header, const char *body, int64_t now)
{
	return stripe_sig_verify(header, body, strlen(body), secret1, 1, now,
	    STRIPE_SIG_TOLERANCE, NULL);
}

static void test_vectors(void **state)
{
	char v[65];

	(void)state;
	/* The README's three vectors, computed and verified. */
	assert_int_equal(stripe_sig_compute("whsec_test_secret", 1700000000,
	    body1, strlen(body1), v), 0);
	assert_string_equal(v,
	    "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990");
	assert_int_equal(stripe_sig_compute("whsec_test_secret", 1492774577,
	    body2, strlen(body2), v), 0);
	assert_string_equal(v,
	    "c2f890decbc5ede7c5060bb9a6d31e0626a4342bacb9aeae2adb1bcea72f9812");
	assert_int_equal(stripe_sig_compute("whsec_test_secret", 12345,
	    body2, strlen(body2), v), 0);
	assert_string_equal(v,
	    "2672d138c9a412830f3bfe2ecc5bfb3277cf6f5b49d0119d77dd6cb64da1257e");

	assert_int_equal(verify("t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac"
	    "25abca5382460e0d988c2b2a5b71b990", body1, 1700000000), SIG_OK);
	assert_int_equal(verify("t=1492774577,v1=c2f890decbc5ede7c5060bb9a6d31e06"
	    "26a4342bacb9aeae2adb1bcea72f9812", body2, 1492774577 + 300), SIG_OK);
	assert_int_equal(verify("t=12345,v1=2672d138c9a412830f3bfe2ecc5bfb3277cf6"
	    "f5b49d0119d77dd6cb64da1257e", body2, 12345 - 300), SIG_OK);
}

static void test_signature_faults(void **state)
{
	const char *good = "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
	const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
	const char *const two[] = { "whsec_old", "whsec_test_secret" };
	char h[400];
	int64_t t = 0;

	(void)state;
	assert_int_equal(verify(NULL, body1, 1700000000), SIG_MISSING);
	assert_int_equal(verify("", body1, 1700000000), SIG_MISSING);
	/* Malformed: no t, t not a number, no v1 (v0 only), v1 of the wrong
	 * length. */
	snprintf(h, sizeof(h), "v1=%s", good);
	assert_int_equal(verify(h, body1, 1700000000), SIG_MALFORMED);
	snprintf(h, sizeof(h), "t=17e8,v1=%s", good);
	assert_int_equal(verify(h, body1, 1700000000), SIG_MALFORMED);
	snprintf(h, sizeof(h), "t=-1700000000,v1=%s", good);
	assert_int_equal(verify(h, body1, 1700000000), SIG_MALFORMED);
	snprintf(h, sizeof(h), "t=1700000000,v0=%s", good);
	assert_int_equal(verify(h, body1, 1700000000), SIG_MALFORMED);
	assert_int_equal(verify("t=1700000000,v1=d95c", body1, 1700000000),
	    SIG_MALFORMED);
	assert_int_equal(verify("garbage", body1, 1700000000), SIG_MALFORMED);
	/* Any v1 may match, in any position; v0 and unknown items ignored;
	 * blanks around items allowed. */
	snprintf(h, sizeof(h), "t=1700000000, v1=%s ,v0=%s,v1=%s,x=y", other,
	    other, good);
	assert_int_equal(verify(h, body1, 1700000000), SIG_OK);
	/* Expired and future, beyond the tolerance of 300 s either way. */
	snprintf(h, sizeof(h), "t=1700000000,v1=%s", good);
	assert_int_equal(stripe_sig_verify(h, body1, strlen(body1), secret1, 1,
	    1700000301, STRIPE_SIG_TOLERANCE, &t), SIG_TOO_OLD);
	assert_int_equal(t, 1700000000);
	assert_int_equal(verify(h, body1, 1700000300), SIG_OK);
	assert_int_equal(verify(h, body1, 1699999700), SIG_OK);
	assert_int_equal(verify(h, body1, 1699999699), SIG_TOO_NEW);
	/* The wrong secret; a replay of the header with another body (one
	 * byte added); a forged signature that is also old says mismatch. */
	{
		const char *const wrong[] = { "whsec_other" };
		const char *const no_prefix[] = { "test_secret" };

		assert_int_equal(stripe_sig_verify(h, body1, strlen(body1), wrong,
		    1, 1700000000, STRIPE_SIG_TOLERANCE, NULL), SIG_MISMATCH);
		assert_int_equal(stripe_sig_verify(h, body1, strlen(body1),
		    no_prefix, 1, 1700000000, STRIPE_SIG_TOLERANCE, NULL),
		    SIG_MISMATCH);
	}
	assert_int_equal(verify(h, "{\"id\":\"evt_test_webhook\",\"object\":\"event\"} ",
	    1700000000), SIG_MISMATCH);
	snprintf(h, sizeof(h), "t=1600000000,v1=%s", good);
	assert_int_equal(verify(h, body1, 1700000000), SIG_MISMATCH);
	/* Several secrets (a rotation): the second one matches. */
	snprintf(h, sizeof(h), "t=1700000000,v1=%s", good);
	assert_int_equal(stripe_sig_verify(h, body1, strlen(body1), two, 2,
	    1700000000, STRIPE_SIG_TOLERANCE, NULL), SIG_OK);
	assert_int_equal(stripe_sig_verify(h, body1, strlen(body1), two, 0,
	    1700000000, STRIPE_SIG_TOLERANCE, NULL), SIG_NO_SECRET);
	assert_string_equal(stripe_sig_key(SIG_TOO_OLD), "webhook.sig_too_old");
}

static void test_secrets_file(void **state)
{
	char text[] = "# rotation: new one first\n  whsec_new \r\n\n"
	    "whsec_old\n#whsec_gone\n";
	const char *s[STRIPE_SIG_MAX_SECRETS];
	size_t n;

	(void)state;
	n = stripe_sig_secrets(text, s, STRIPE_SIG_MAX_SECRETS);
	assert_int_equal(n, 2);
	assert_string_equal(s[0], "whsec_new");
	assert_string_equal(s[1], "whsec_old");
	{
		char one[] = "whsec_only";

		assert_int_equal(stripe_sig_secrets(one, s, 1), 1);
		assert_string_equal(s[0], "whsec_only");
	}
}

/* ------------------------------------------------------------------ */
/* Idempotency keys and errors */

static void test_idempotency_key(void **state)
{
	char a[68], b[68], c[68];

	(void)state;
	stripe_idempotency_key("checkout|cus_1|price_1|1|0", a);
	stripe_idempotency_key("checkout|cus_1|price_1|1|0", b);
	stripe_idempotency_key("checkout|cus_1|price_1|1|1", c);
	assert_int_equal(strlen(a), 67);
	assert_memory_equal(a, "pm_", 3);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_true(stripe_id_valid("cus_QXg1o8vcGmoR32"));
	assert_false(stripe_id_valid(""));
	assert_false(stripe_id_valid("cus_1/../x"));
	assert_false(stripe_id_valid("cus 1"));
}

static void fail_text(long status, const char *error_json, int want_rc,
    const char *want)
{
	json_object *e = error_json ? json_tokener_parse(error_json) : NULL;
	struct stripe_error se;
	struct pm_fail f = { 0 };
	struct buf b = { 0 };
	int rc = stripe_error_fail(status, e, &se, &f);

	assert_int_equal(rc, want_rc);
	pm_fail_text(rc, &f, &b);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
	pm_fail_clear(&f);
	json_object_put(e);
}

static void test_errors(void **state)
{
	(void)state;
	fail_text(402, "{\"type\":\"card_error\",\"code\":\"card_declined\","
	    "\"decline_code\":\"insufficient_funds\",\"message\":\"Your card has"
	    " insufficient funds.\"}", PM_INVALID,
	    "Your card was declined: insufficient funds. Nothing was charged;"
	    " try another card.");
	fail_text(402, "{\"type\":\"card_error\",\"code\":\"card_declined\","
	    "\"decline_code\":\"generic_decline\",\"message\":\"Your card was"
	    " declined.\"}", PM_INVALID,
	    "Your card was declined. Nothing was charged; try another card.");
	fail_text(400, "{\"type\":\"invalid_request_error\",\"code\":"
	    "\"parameter_missing\",\"param\":\"line_items[0][price]\","
	    "\"message\":\"Missing required param: line_items[0][price].\"}",
	    PM_UPSTREAM, "Stripe refused the request: Missing required param:"
	    " line_items[0][price]. (parameter line_items[0][price]).");
	fail_text(404, "{\"type\":\"invalid_request_error\",\"code\":"
	    "\"resource_missing\",\"message\":\"No such price: 'x'\"}",
	    PM_NOTFOUND, "Stripe has no such object: No such price: 'x'");
	fail_text(401, "{\"type\":\"invalid_request_error\",\"message\":"
	    "\"Invalid API Key provided: sk_test_****\"}", PM_UNAVAILABLE,
	    "Billing is unavailable: Stripe refused this site's key. The"
	    " administrator has been told; please try again later.");
	fail_text(429, "{\"type\":\"rate_limit_error\"}", PM_BUSY,
	    "Stripe is busy right now. Please try again in a minute.");
	fail_text(500, "{\"type\":\"api_error\",\"message\":\"boom\"}",
	    PM_UNAVAILABLE, "Stripe is unavailable right now (HTTP 500)."
	    " Nothing was changed or charged; please try again in a few"
	    " minutes.");
	fail_text(503, NULL, PM_UNAVAILABLE, "Stripe is unavailable right now"
	    " (HTTP 503). Nothing was changed or charged; please try again in a"
	    " few minutes.");
	fail_text(400, "{\"type\":\"idempotency_error\",\"message\":\"Keys for"
	    " idempotent requests can only be used with the same parameters\"}",
	    PM_CONFLICT, "Stripe refused a repeated request that differs from"
	    " the first. Please reload the page and try again.");
}

/* ------------------------------------------------------------------ */
/* Objects, in both API shapes */

static json_object *fixtures;

static json_object *fixture(const char *name)
{
	json_object *o = json_member(json_member(fixtures, "resources"), name);

	assert_non_null(o);
	/* a deep copy the test may change */
	return json_tokener_parse(json_object_to_json_string(o));
}

static void test_subscription(void **state)
{
	json_object *o = fixture("subscription"), *item;
	struct stripe_sub s;
	struct pm_fail f = { 0 };

	(void)state;
	/* The current shape: the period on the item. */
	assert_int_equal(stripe_sub_parse(o, &s, &f), 0);
	assert_string_equal(s.id, "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw");
	assert_string_equal(s.customer, "cus_QXg1o8vcGmoR32");
	assert_string_equal(s.status, "active");
	assert_string_equal(s.item_id, "si_QXhVnC2h0Jczwc");
	assert_string_equal(s.price_id, "price_1PgafmB7WZ01zgkW6dKueIc5");
	assert_string_equal(s.interval, "month");
	assert_string_equal(s.currency, "usd");
	assert_int_equal(s.unit_amount, 2000);
	assert_int_equal(s.quantity, 1);
	assert_int_equal(s.period_start, 1896570518);
	assert_int_equal(s.period_end, 976287773);
	assert_int_equal(s.cancel_at_period_end, 1);
	assert_int_equal(s.created, 1234567890);
	assert_string_equal(s.latest_invoice, "");
	/* The older shape: the period at the top level only. */
	item = json_object_array_get_idx(json_member(json_member(o, "items"),
	    "data"), 0);
	json_object_object_del(item, "current_period_start");
	json_object_object_del(item, "current_period_end");
	json_object_object_add(o, "current_period_start",
	    json_object_new_int64(1700000000));
	json_object_object_add(o, "current_period_end",
	    json_object_new_int64(1702592000));
	json_object_object_add(o, "latest_invoice",
	    json_object_new_string("in_123"));
	assert_int_equal(stripe_sub_parse(o, &s, &f), 0);
	assert_int_equal(s.period_start, 1700000000);
	assert_int_equal(s.period_end, 1702592000);
	assert_string_equal(s.latest_invoice, "in_123");
	/* An expanded customer reads as its id. */
	json_object_object_add(o, "customer",
	    json_tokener_parse("{\"id\":\"cus_X\",\"object\":\"customer\"}"));
	assert_int_equal(stripe_sub_parse(o, &s, &f), 0);
	assert_string_equal(s.customer, "cus_X");
	/* Not a subscription. */
	json_object_put(o);
	o = fixture("invoice");
	assert_int_equal(stripe_sub_parse(o, &s, &f), PM_INVALID);
	json_object_put(o);
	pm_fail_clear(&f);
}

static void test_invoice(void **state)
{
	json_object *o = fixture("invoice"), *pays;
	struct stripe_invoice in;
	struct pm_fail f = { 0 };

	(void)state;
	assert_int_equal(stripe_invoice_parse(o, &in, &f), 0);
	assert_string_equal(in.id, "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
	assert_string_equal(in.customer, "cus_QXg1o8vcGmoR32");
	assert_string_equal(in.status, "draft");
	assert_int_equal(in.amount_due, 1000);
	assert_int_equal(in.amount_paid, 0);
	/* parent.subscription_details.subscription: "subscription" is not
	 * an id of Stripe's shape but the fixture's placeholder. */
	assert_string_equal(in.subscription, "subscription");
	assert_int_equal(in.period_start, 1721954054);
	/* The older shape: subscription, payment_intent, charge at the top. */
	json_object_object_del(o, "parent");
	json_object_object_add(o, "subscription", json_object_new_string("sub_9"));
	json_object_object_add(o, "payment_intent", json_object_new_string("pi_9"));
	json_object_object_add(o, "charge", json_object_new_string("ch_9"));
	assert_int_equal(stripe_invoice_parse(o, &in, &f), 0);
	assert_string_equal(in.subscription, "sub_9");
	assert_string_equal(in.payment_intent, "pi_9");
	assert_string_equal(in.charge, "ch_9");
	/* The current shape: the paid invoice_payment of the expanded list
	 * wins over anything at the top. */
	pays = json_tokener_parse("{\"object\":\"list\",\"data\":[{\"object\":"
	    "\"invoice_payment\",\"status\":\"canceled\",\"payment\":{\"type\":"
	    "\"payment_intent\",\"payment_intent\":\"pi_old\"}},{\"object\":"
	    "\"invoice_payment\",\"status\":\"paid\",\"payment\":{\"type\":"
	    "\"payment_intent\",\"payment_intent\":\"pi_new\"}}]}");
	json_object_object_add(o, "payments", pays);
	assert_int_equal(stripe_invoice_parse(o, &in, &f), 0);
	assert_string_equal(in.payment_intent, "pi_new");
	json_object_put(o);
	pm_fail_clear(&f);
}

static void test_session_and_payment(void **state)
{
	json_object *o = fixture("checkout.session");
	struct stripe_session s;
	struct stripe_payment p;
	struct pm_fail f = { 0 };

	(void)state;
	json_object_object_add(o, "client_reference_id", json_object_new_string("42"));
	json_object_object_add(o, "subscription", json_object_new_string("sub_1"));
	assert_int_equal(stripe_session_parse(o, &s, &f), 0);
	assert_string_equal(s.id, "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY");
	assert_int_equal(s.client_reference_id, 42);
	assert_string_equal(s.subscription, "sub_1");
	assert_string_equal(s.status, "open");
	json_object_put(o);

	o = fixture("payment_intent");
	json_object_object_add(o, "last_payment_error", json_tokener_parse(
	    "{\"type\":\"card_error\",\"code\":\"card_declined\",\"decline_code\":"
	    "\"generic_decline\",\"message\":\"Your card was declined.\"}"));
	json_object_object_add(o, "customer", json_object_new_string("cus_1"));
	assert_int_equal(stripe_payment_parse(o, &p, &f), 0);
	assert_string_equal(p.customer, "cus_1");
	assert_string_equal(p.failure_code, "card_declined");
	assert_string_equal(p.decline_code, "generic_decline");
	assert_string_equal(p.failure_message, "Your card was declined.");
	json_object_put(o);

	o = fixture("charge");
	json_object_object_add(o, "amount_refunded", json_object_new_int(40));
	assert_int_equal(stripe_payment_parse(o, &p, &f), 0);
	assert_string_equal(p.id, "ch_1PgafuB7WZ01zgkWXYmPNZs8");
	assert_int_equal(p.amount_refunded, 40);
	json_object_put(o);
	pm_fail_clear(&f);
}

/* ------------------------------------------------------------------ */
/* The prorated refund */

#define DAY	86400

static int64_t refund(int64_t paid, int64_t start, int64_t end, int64_t at)
{
	struct refund_calc c;

	assert_int_equal(billing_refund_compute(paid, start, end, at, &c), 0);
	assert_true(c.amount >= 0 && c.amount <= (paid > 0 ? paid : 0));
	return c.amount;
}

static void test_refund_arithmetic(void **state)
{
	const int64_t t0 = 1772323200;	/* 2026-03-01 00:00:00 UTC */
	const int64_t march = 31 * DAY, year = 365 * DAY;
	struct refund_calc c;
	struct buf b = { 0 };

	(void)state;
	/* Monthly, $7.00 for March (31 days). */
	assert_int_equal(refund(700, t0, t0 + march, t0), 700);	/* first day, first second */
	assert_int_equal(refund(700, t0, t0 + march, t0 + 1), 699);	/* 699.9997 */
	assert_int_equal(refund(700, t0, t0 + march, t0 + DAY), 677);	/* 30/31: 677.4 */
	assert_int_equal(refund(700, t0, t0 + march, t0 + 10 * DAY), 474); /* 21/31: 474.19 */
	assert_int_equal(refund(700, t0, t0 + march, t0 + 15 * DAY + 12 * 3600),
	    350);	/* mid-period exactly: 15.5/31 */
	assert_int_equal(refund(700, t0, t0 + march, t0 + 30 * DAY), 22); /* last day: 22.58 */
	assert_int_equal(refund(700, t0, t0 + march, t0 + march - 1), 0); /* last second */
	assert_int_equal(refund(700, t0, t0 + march, t0 + march), 0);	/* at the end */
	assert_int_equal(refund(700, t0, t0 + march, t0 + march + DAY), 0); /* after */
	assert_int_equal(refund(700, t0, t0 + march, t0 - DAY), 700);	/* before */
	/* Annual, $70.00 for 365 days. */
	assert_int_equal(refund(7000, t0, t0 + year, t0), 7000);
	assert_int_equal(refund(7000, t0, t0 + year, t0 + DAY), 6980);	/* 6980.82 */
	assert_int_equal(refund(7000, t0, t0 + year, t0 + 182 * DAY), 3509); /* 3509.58 */
	assert_int_equal(refund(7000, t0, t0 + year, t0 + 364 * DAY), 19); /* 19.17 */
	/* What was actually paid counts, not the price: a prorated invoice
	 * of $3.27 over its period. */
	assert_int_equal(refund(327, t0, t0 + march, t0 + 20 * DAY), 116); /* 116.03 */
	/* Nothing paid, an empty or inverted period. */
	assert_int_equal(refund(0, t0, t0 + march, t0), 0);
	assert_int_equal(refund(700, t0, t0, t0), 0);
	assert_int_equal(billing_refund_compute(700, t0 + 1, t0, t0, &c), -1);
	/* Large amounts do not overflow. */
	assert_int_equal(refund(INT64_MAX / 4, t0, t0 + year, t0 + year / 2),
	    INT64_MAX / 8);
	/* The arithmetic in words. */
	assert_int_equal(billing_refund_compute(700, t0, t0 + 30 * DAY,
	    t0 + 10 * DAY, &c), 0);
	assert_int_equal(c.unused, 20 * DAY);
	assert_int_equal(c.period, 30 * DAY);
	assert_int_equal(c.hundredths, 46666);
	assert_int_equal(c.amount, 466);
	billing_refund_text(&c, &b);
	assert_string_equal(buf_cstr(&b), "$7.00 paid \xc3\x97 1,728,000 s unused"
	    " \xc3\xb7 2,592,000 s in the period = 466.66 cents, rounded down to"
	    " $4.66");
	buf_free(&b);
}

int main(void)
{
	struct buf err = { 0 }, text = { 0 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_signature_faults),
		cmocka_unit_test(test_secrets_file),
		cmocka_unit_test(test_idempotency_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_subscription),
		cmocka_unit_test(test_invoice),
		cmocka_unit_test(test_session_and_payment),
		cmocka_unit_test(test_refund_arithmetic),
	};
	int rc;

	if (msg_load("templates", "en", &err) != 0 ||
	    buf_read_file(&text, "tests/fakes/stripe_fixtures.json",
	    4 * 1024 * 1024) != 0) {
		fprintf(stderr, "%s (run from the repository root)\n",
		    err.len ? buf_cstr(&err) : "tests/fakes/stripe_fixtures.json");
		return 1;
	}
	fixtures = json_tokener_parse(buf_cstr(&text));
	buf_free(&text);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	json_object_put(fixtures);
	msg_free();
	return rc;
}
