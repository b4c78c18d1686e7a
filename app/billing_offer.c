/* billing_offer.c - plans in words (lines and a table side by side), the
 * upgrade offer of any page, and the notice of a failed payment. */
#include "billing_offer.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "billing.h"
#include "buf.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "msg.h"
#include "money.h"
#include "stripe_objects.h"
#include "util.h"

/* One line of the plan's list: the catalog text for key with {n}. */
static void line(json_object *lines, const char *key, int64_t n)
{
	struct buf b = { 0 }, num = { 0 };

	billing_digits(n, &num);
	msg_fmt(&b, key, "n", buf_cstr(&num), NULL);
	json_object_array_add(lines, json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
	buf_free(&num);
}

/* One line with an amount of money ({amount}) given in micro-dollars,
 * shown to the cent. */
static void money_line(json_object *lines, const char *key, int64_t micros)
{
	struct buf b = { 0 };
	char s[32];

	money_cents(money_micros_to_cents(micros), s, sizeof(s));
	msg_fmt(&b, key, "amount", s, NULL);
	json_object_array_add(lines, json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
}

static const char *const model_keys[PLAN_MODELS__MAX] = {
	[PLAN_MODELS_FREE] = "pricing.models_free",
	[PLAN_MODELS_WHITELIST] = "pricing.models_whitelist",
	[PLAN_MODELS_BLACKLIST] = "pricing.models_blacklist",
	[PLAN_MODELS_ALL] = "pricing.models_all",
};

json_object *billing_plan_lines(const struct plan *p)
{
	json_object *l = json_object_new_array();

	if (p->executions_per_day >= 0)
		line(l, p->allowed_channels == PLAN_CH_UI ? "pricing.per_day_ui" :
		    "pricing.per_day", p->executions_per_day);
	if (p->executions_per_month >= 0)
		line(l, p->limits_per_seat ? "pricing.per_month_seat" :
		    "pricing.per_month", p->executions_per_month);
	if (p->executions_per_day < 0 && p->executions_per_month < 0)
		line(l, "pricing.unlimited", 0);
	if (p->burst_per_minute >= 0)
		line(l, "pricing.burst_minute", p->burst_per_minute);
	if (p->soft_cap_per_month >= 0)
		line(l, "pricing.soft_cap", p->soft_cap_per_month);
	if (p->max_concurrent_executions >= 0)
		line(l, p->max_concurrent_executions == 1 ? "pricing.concurrent_one" :
		    "pricing.concurrent", p->max_concurrent_executions);
	if (model_keys[p->models] != NULL)
		line(l, model_keys[p->models], 0);
	if (p->api_access)
		line(l, p->api_keys < 0 ? "pricing.api_keys_unlimited" :
		    "pricing.api_keys", p->api_keys);
	else
		line(l, "pricing.no_api", 0);
	line(l, p->byok_allowed ? "pricing.byok" : "pricing.no_byok", 0);
	if (p->log_retention_days >= 0)
		line(l, "pricing.retention", p->log_retention_days);
	if (p->daily_spend_cap_micros >= 0)
		money_line(l, "pricing.spend_cap", p->daily_spend_cap_micros);
	if (p->monthly_budget_micros >= 0)
		money_line(l, "pricing.monthly_budget", p->monthly_budget_micros);
	return l;
}

/* ------------------------------------------------------------ the table */

enum cell_kind { CK_COUNT, CK_MODELS, CK_API, CK_BOOL, CK_DAYS, CK_MONEY };

/* A row of the table: its label, and the field it shows. */
static const struct row_def {
	const char	*label;
	enum cell_kind	 kind;
	size_t		 off;
} rows[] = {
	{ "billing.row_runs_day", CK_COUNT, offsetof(struct plan, executions_per_day) },
	{ "billing.row_runs_month", CK_COUNT, offsetof(struct plan, executions_per_month) },
	{ "billing.row_concurrent", CK_COUNT,
	  offsetof(struct plan, max_concurrent_executions) },
	{ "billing.row_burst", CK_COUNT, offsetof(struct plan, burst_per_minute) },
	{ "billing.row_models", CK_MODELS, 0 },
	{ "billing.row_api", CK_API, 0 },
	{ "billing.row_byok", CK_BOOL, offsetof(struct plan, byok_allowed) },
	{ "billing.row_retention", CK_DAYS, offsetof(struct plan, log_retention_days) },
	{ "billing.row_sandbox", CK_COUNT, offsetof(struct plan, sandbox_tries_per_day) },
	{ "billing.row_spend_cap", CK_MONEY, offsetof(struct plan, daily_spend_cap_micros) },
	{ "billing.row_budget", CK_MONEY, offsetof(struct plan, monthly_budget_micros) },
};

static int64_t field_i64(const struct plan *p, size_t off)
{
	return *(const int64_t *)(const void *)((const char *)p + off);
}

/* The text of one cell into out. */
static void cell(const struct plan *p, const struct row_def *d, struct buf *out)
{
	struct buf n = { 0 };
	int64_t v;
	char s[32];

	switch (d->kind) {
	case CK_MODELS:
		buf_puts(out, msg_get(model_keys[p->models]));
		break;
	case CK_API:
		if (!p->api_access)
			buf_puts(out, msg_get("billing.cell_no"));
		else if (p->api_keys < 0)
			buf_puts(out, msg_get("billing.cell_api_unlimited"));
		else
			msg_count(out, "billing.cell_api_keys", p->api_keys);
		break;
	case CK_BOOL:
		buf_puts(out, msg_get(*(const int *)(const void *)((const char *)p +
		    d->off) ? "billing.cell_yes" : "billing.cell_no"));
		break;
	default:
		if ((v = field_i64(p, d->off)) < 0) {
			buf_puts(out, msg_get("billing.cell_unlimited"));
			break;
		}
		if (d->kind == CK_MONEY) {
			money_cents(money_micros_to_cents(v), s, sizeof(s));
			buf_puts(out, s);
			break;
		}
		billing_digits(v, &n);
		if (d->kind == CK_DAYS)
			msg_fmt(out, "billing.cell_days", "n", buf_cstr(&n), NULL);
		else if (p->limits_per_seat && d->off ==
		    offsetof(struct plan, executions_per_month))
			msg_fmt(out, "billing.cell_per_seat", "n", buf_cstr(&n), NULL);
		else
			buf_append(out, n.data, n.len);
		buf_free(&n);
		break;
	}
}

static int add_head(const struct plan *p, void *arg)
{
	json_object *t = arg;
	size_t i;

	json_object_array_add(json_object_object_get(t, "head"),
	    json_object_new_string(p->name));
	for (i = 0; i < NELEM(rows); i++) {
		struct buf b = { 0 };
		json_object *r = json_object_array_get_idx(json_object_object_get(t,
		    "rows"), i);

		cell(p, &rows[i], &b);
		json_object_array_add(json_object_object_get(r, "cells"),
		    json_object_new_string(buf_cstr(&b)));
		buf_free(&b);
	}
	return 0;
}

json_object *billing_plan_table(struct req *r)
{
	json_object *t = json_object_new_object(), *rs = json_object_new_array(),
	    *keep = json_object_new_array();
	size_t i, j, n;

	json_object_object_add(t, "head", json_object_new_array());
	json_object_object_add(t, "rows", rs);
	for (i = 0; i < NELEM(rows); i++) {
		json_object *row = json_object_new_object();

		json_object_object_add(row, "label",
		    json_object_new_string(msg_get(rows[i].label)));
		json_object_object_add(row, "cells", json_object_new_array());
		json_object_array_add(rs, row);
	}
	if (plans_each_public(r->db, NULL, add_head, t) != 0) {
		json_object_put(t);
		json_object_put(keep);
		return NULL;
	}
	/* Only the rows where the plans differ. */
	for (i = 0; i < NELEM(rows); i++) {
		json_object *row = json_object_array_get_idx(rs, i);
		json_object *cells = json_object_object_get(row, "cells");
		const char *first;

		n = json_object_array_length(cells);
		first = n ? json_object_get_string(json_object_array_get_idx(cells, 0)) : "";
		for (j = 1; j < n; j++)
			if (strcmp(first, json_object_get_string(
			    json_object_array_get_idx(cells, j))) != 0)
				break;
		if (j < n)
			json_object_array_add(keep, json_object_get(row));
	}
	json_object_object_add(t, "rows", keep);
	return t;
}

/* ------------------------------------------------------------ offer */

int billing_user_plan(struct req *r, struct plan *p)
{
	struct plan_ref ref;

	ref.user_id = r->user.id;
	ref.plan_id = r->user.plan_id;
	ref.source = r->user.plan_source;
	ref.gen = r->user.catalog_gen;
	return plan_of(r->db, &ref, p);
}

struct next_plan {
	int64_t		 above;		/* position of the user's plan */
	json_object	*offer;
};

static int next_fn(const struct plan *p, void *arg)
{
	struct next_plan *n = arg;
	int64_t amount = billing_plan_amount(p, 0, 0);
	char price[32];

	if (p->position <= n->above || amount <= 0)
		return 0;
	n->offer = json_object_new_object();
	json_object_object_add(n->offer, "code", json_object_new_string(p->code));
	json_object_object_add(n->offer, "name", json_object_new_string(p->name));
	money_cents(amount, price, sizeof(price));
	json_object_object_add(n->offer, "price", json_object_new_string(price));
	json_object_object_add(n->offer, "per_seat",
	    json_object_new_boolean(p->price_per_seat));
	json_object_object_add(n->offer, "seats", json_object_new_int64(
	    p->seats_included > 1 ? p->seats_included : 1));
	return 1;
}

void billing_offer(struct req *r, json_object *d)
{
	struct next_plan n = { -1, NULL };
	struct billing_sub s;
	struct plan p;

	if (r->user.id != 0) {
		if (billing_user_plan(r, &p) != 0)
			return;
		n.above = p.position;
		plan_free(&p);
	}
	if (plans_each_public(r->db, NULL, next_fn, &n) != 0 || n.offer == NULL)
		return;
	if (r->user.id == 0)
		json_object_object_add(n.offer, "href", json_object_new_string("/signup"));
	else if (!stripe_configured())
		json_object_object_add(n.offer, "href", json_object_new_string("/pricing"));
	else if (billing_sub_of_user(r->db, r->user.id, &s) > 0 &&
	    stripe_status_entitled(s.status))
		json_object_object_add(n.offer, "change", json_object_new_boolean(1));
	else
		json_object_object_add(n.offer, "checkout", json_object_new_boolean(1));
	json_object_object_add(d, "upgrade", n.offer);
}

void billing_notice(struct req *r, json_object *d)
{
	struct buf b = { 0 };
	int64_t until = 0;
	char when[32];

	if (!stripe_configured() || billing_past_due(r->db, r->user.id, r->now,
	    &until) <= 0)
		return;
	if (until <= r->now) {		/* the grace period is over */
		if (r->user.plan_source == PLAN_SOURCE_STRIPE &&
		    billing_user_recompute(r->db, r->user.id, r->now, NULL) < 0)
			log_warn("billing: cannot end the grace period of user %lld",
			    (long long)r->user.id);
		msg_fmt(&b, "billing.notice_ended", NULL);
	} else {
		clock_fmt(until, when, sizeof(when));
		when[10] = '\0';
		msg_fmt(&b, "billing.notice_past_due", "date", when, NULL);
	}
	json_object_object_add(d, "billing_notice",
	    json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
}
