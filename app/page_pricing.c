/* page_pricing.c - the pricing page, drawn from the active plan catalog: every
 * price and limit shown comes from the plans table, in words from the
 * message catalog (pricing.*). */
#include <stdio.h>

#include "buf.h"
#include "handlers.h"
#include "http.h"
#include "money.h"
#include "msg.h"
#include "plans.h"

/* One line of the plan's list: the catalog text for key with {n}. */
static void line(json_object *lines, const char *key, int64_t n)
{
	struct buf b = { 0 };
	char s[32];

	snprintf(s, sizeof(s), "%lld", (long long)n);
	msg_fmt(&b, key, "n", s, NULL);
	json_object_array_add(lines, json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
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

static json_object *plan_lines(const struct plan *p)
{
	static const char *const models[PLAN_MODELS__MAX] = {
		[PLAN_MODELS_FREE] = "pricing.models_free",
		[PLAN_MODELS_WHITELIST] = "pricing.models_whitelist",
		[PLAN_MODELS_BLACKLIST] = "pricing.models_blacklist",
		[PLAN_MODELS_ALL] = "pricing.models_all",
	};
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
	if (models[p->models] != NULL)
		line(l, models[p->models], 0);
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

/* Add p, with its prices and lines in words, to the array arg. */
static int add_plan(const struct plan *p, void *arg)
{
	json_object *o = plan_to_json(p);
	char s[32];

	if (p->price_custom)
		json_object_object_add(o, "price_custom_text",
		    json_object_new_string(msg_get("pricing.custom")));
	else if (p->price_monthly_cents >= 0) {
		money_cents(p->price_monthly_cents, s, sizeof(s));
		json_object_object_add(o, "price", json_object_new_string(s));
	}
	if (p->price_annual_cents > 0) {
		money_cents(p->price_annual_cents, s, sizeof(s));
		json_object_object_add(o, "annual", json_object_new_string(s));
	}
	json_object_object_add(o, "lines", plan_lines(p));
	json_object_array_add(arg, o);
	return 0;
}

void h_pricing(struct req *r)
{
	json_object *d = page_data(r, "pricing"), *plans = json_object_new_array();

	if (plans_each_public(r->db, NULL, add_plan, plans) == 0) {
		json_object *cat = json_object_new_object();

		json_object_object_add(cat, "plans", plans);
		json_object_object_add(d, "catalog", cat);
	} else
		json_object_put(plans);
	resp_page(r, 200, "pricing", d);
}
