/* stripe_objects.c - reading subscriptions, invoices, checkout sessions,
 * charges and payment intents, in both API shapes. */
#include "stripe_objects.h"

#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "util.h"

void stripe_ref(json_object *v, char *out)
{
	const char *s = NULL;

	if (json_object_is_type(v, json_type_string))
		s = json_object_get_string(v);
	else if (json_object_is_type(v, json_type_object))
		s = json_str_member(v, "id", NULL);
	out[0] = '\0';
	if (stripe_id_valid(s))
		memcpy(out, s, strlen(s) + 1);
}

/* A string member into out (size bytes, cut, control characters as
 * spaces); "" when absent. */
static void str_into(json_object *o, const char *key, char *out, size_t size)
{
	const char *s = json_str_member(o, key, NULL);
	size_t i;

	snprintf(out, size, "%s", s ? s : "");
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

/* An integer member, or def when absent, null or of another type. */
static int64_t int_of(json_object *o, const char *key, int64_t def)
{
	json_object *v = json_member(o, key);

	return json_object_is_type(v, json_type_int) ?
	    json_object_get_int64(v) : def;
}

/* Refuse o: not an object of type what, or no valid id. */
static int bad(struct pm_fail *f, const char *what)
{
	pm_refuse(f, PM_INVALID, "stripe.bad_object", NULL);
	pm_fail_arg(f, "object", "%s", what);
	return PM_INVALID;
}

/* Whether o is an object whose "object" is type (or says nothing) with
 * a valid id, copied into id. */
static int is_object(json_object *o, const char *type, char *id)
{
	const char *t = json_str_member(o, "object", NULL);

	if (!json_object_is_type(o, json_type_object) ||
	    (t != NULL && strcmp(t, type) != 0))
		return 0;
	stripe_ref(json_member(o, "id"), id);
	return id[0] != '\0';
}

/* The first element of the list member key of o ({"data": [...]}). */
static json_object *first_of(json_object *o, const char *key)
{
	json_object *data = json_member(json_member(o, key), "data");

	if (!json_object_is_type(data, json_type_array) ||
	    json_object_array_length(data) == 0)
		return NULL;
	return json_object_array_get_idx(data, 0);
}

int stripe_status_entitled(const char *status)
{
	return strcmp(status, "active") == 0 || strcmp(status, "trialing") == 0 ||
	    strcmp(status, "past_due") == 0;
}

/* metadata.user_id as a positive number, or 0. */
static int64_t user_id_of(json_object *o)
{
	const char *s = json_str_member(json_member(o, "metadata"), "user_id",
	    NULL);
	int64_t v;

	return s != NULL && parse_i64(s, 1, INT64_MAX, &v) == 0 ? v : 0;
}

int stripe_sub_parse(json_object *o, struct stripe_sub *out, struct pm_fail *f)
{
	json_object *item, *price, *rec;

	memset(out, 0, sizeof(*out));
	if (!is_object(o, "subscription", out->id))
		return bad(f, "subscription");
	stripe_ref(json_member(o, "customer"), out->customer);
	str_into(o, "status", out->status, sizeof(out->status));
	if (out->customer[0] == '\0' || out->status[0] == '\0')
		return bad(f, "subscription");
	stripe_ref(json_member(o, "latest_invoice"), out->latest_invoice);
	out->cancel_at_period_end = json_object_get_boolean(json_member(o,
	    "cancel_at_period_end"));
	out->cancel_at = int_of(o, "cancel_at", 0);
	out->canceled_at = int_of(o, "canceled_at", 0);
	out->ended_at = int_of(o, "ended_at", 0);
	out->trial_end = int_of(o, "trial_end", 0);
	out->created = int_of(o, "created", 0);
	out->user_id = user_id_of(o);
	/* Older versions: the period at the top level. */
	out->period_start = int_of(o, "current_period_start", 0);
	out->period_end = int_of(o, "current_period_end", 0);
	out->quantity = int_of(o, "quantity", 1);
	out->unit_amount = -1;
	if ((item = first_of(o, "items")) != NULL) {
		stripe_ref(json_member(item, "id"), out->item_id);
		out->quantity = int_of(item, "quantity", out->quantity);
		/* 2025-03-31 and later: on the item. */
		out->period_start = int_of(item, "current_period_start",
		    out->period_start);
		out->period_end = int_of(item, "current_period_end",
		    out->period_end);
		price = json_member(item, "price");
		if (price == NULL)
			price = json_member(item, "plan");
		stripe_ref(json_member(price, "id"), out->price_id);
		str_into(price, "lookup_key", out->lookup_key,
		    sizeof(out->lookup_key));
		str_into(price, "currency", out->currency, sizeof(out->currency));
		out->unit_amount = int_of(price, "unit_amount",
		    int_of(price, "amount", -1));
		rec = json_member(price, "recurring");
		str_into(rec ? rec : price, "interval", out->interval,
		    sizeof(out->interval));
	}
	if (out->quantity < 1)
		out->quantity = 1;
	return 0;
}

/* The subscription an invoice is for, in either shape. */
static void invoice_subscription(json_object *o, char *out)
{
	json_object *det = json_member(json_member(o, "parent"),
	    "subscription_details");

	stripe_ref(json_member(det, "subscription"), out);
	if (out[0] == '\0')
		stripe_ref(json_member(o, "subscription"), out);
}

/* The payment of an invoice: its paid invoice_payment when the list was
 * expanded, else the older top-level references. */
static void invoice_payment(json_object *o, struct stripe_invoice *out)
{
	json_object *data = json_member(json_member(o, "payments"), "data");
	size_t i, n = json_object_is_type(data, json_type_array) ?
	    json_object_array_length(data) : 0;

	for (i = 0; i < n; i++) {
		json_object *ip = json_object_array_get_idx(data, i);
		json_object *pay = json_member(ip, "payment");
		const char *st = json_str_member(ip, "status", NULL);

		if (st != NULL && strcmp(st, "paid") != 0 && i + 1 < n)
			continue;
		stripe_ref(json_member(pay, "payment_intent"), out->payment_intent);
		stripe_ref(json_member(pay, "charge"), out->charge);
		if (out->payment_intent[0] || out->charge[0])
			return;
	}
	stripe_ref(json_member(o, "payment_intent"), out->payment_intent);
	stripe_ref(json_member(o, "charge"), out->charge);
}

int stripe_invoice_parse(json_object *o, struct stripe_invoice *out,
    struct pm_fail *f)
{
	json_object *lines, *period;
	size_t i, n;
	int64_t best;

	memset(out, 0, sizeof(*out));
	if (!is_object(o, "invoice", out->id))
		return bad(f, "invoice");
	stripe_ref(json_member(o, "customer"), out->customer);
	str_into(o, "status", out->status, sizeof(out->status));
	if (out->customer[0] == '\0')
		return bad(f, "invoice");
	if (out->status[0] == '\0')
		snprintf(out->status, sizeof(out->status), "draft");
	invoice_subscription(o, out->subscription);
	invoice_payment(o, out);
	str_into(o, "currency", out->currency, sizeof(out->currency));
	str_into(o, "hosted_invoice_url", out->hosted_url, sizeof(out->hosted_url));
	str_into(o, "invoice_pdf", out->pdf_url, sizeof(out->pdf_url));
	out->amount_due = int_of(o, "amount_due", 0);
	out->amount_paid = int_of(o, "amount_paid", 0);
	out->created = int_of(o, "created", 0);
	out->period_start = int_of(o, "period_start", 0);
	out->period_end = int_of(o, "period_end", 0);
	/* The period paid for: of the line that ends last (a proration
	 * invoice also holds the credit for the unused old period). */
	lines = json_member(json_member(o, "lines"), "data");
	n = json_object_is_type(lines, json_type_array) ?
	    json_object_array_length(lines) : 0;
	for (i = 0, best = -1; i < n; i++) {
		period = json_member(json_object_array_get_idx(lines, i), "period");
		if (int_of(period, "end", -1) > best) {
			best = int_of(period, "end", -1);
			out->period_start = int_of(period, "start", out->period_start);
			out->period_end = best;
		}
	}
	return 0;
}

int stripe_session_parse(json_object *o, struct stripe_session *out,
    struct pm_fail *f)
{
	const char *ref;
	int64_t v;

	memset(out, 0, sizeof(*out));
	if (!is_object(o, "checkout.session", out->id))
		return bad(f, "checkout.session");
	stripe_ref(json_member(o, "customer"), out->customer);
	stripe_ref(json_member(o, "subscription"), out->subscription);
	str_into(o, "status", out->status, sizeof(out->status));
	str_into(o, "payment_status", out->payment_status,
	    sizeof(out->payment_status));
	str_into(o, "url", out->url, sizeof(out->url));
	ref = json_str_member(o, "client_reference_id", NULL);
	if (ref != NULL && parse_i64(ref, 1, INT64_MAX, &v) == 0)
		out->client_reference_id = v;
	return 0;
}

int stripe_payment_parse(json_object *o, struct stripe_payment *out,
    struct pm_fail *f)
{
	const char *t = json_str_member(o, "object", NULL);
	json_object *err;

	memset(out, 0, sizeof(*out));
	if (t == NULL || (strcmp(t, "charge") != 0 &&
	    strcmp(t, "payment_intent") != 0) ||
	    !is_object(o, t, out->id))
		return bad(f, "charge");
	stripe_ref(json_member(o, "customer"), out->customer);
	stripe_ref(json_member(o, "payment_intent"), out->payment_intent);
	stripe_ref(json_member(o, "invoice"), out->invoice);
	out->amount = int_of(o, "amount", 0);
	out->amount_refunded = int_of(o, "amount_refunded", 0);
	str_into(o, "failure_code", out->failure_code, sizeof(out->failure_code));
	str_into(o, "failure_message", out->failure_message,
	    sizeof(out->failure_message));
	if ((err = json_member(o, "last_payment_error")) != NULL &&
	    !json_object_is_type(err, json_type_null)) {
		str_into(err, "code", out->failure_code, sizeof(out->failure_code));
		str_into(err, "decline_code", out->decline_code,
		    sizeof(out->decline_code));
		str_into(err, "message", out->failure_message,
		    sizeof(out->failure_message));
	}
	return 0;
}
