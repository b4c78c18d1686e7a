/* pricing.c - the pricing page, drawn from the active plan catalog: every
 * price and limit shown comes from the plans table, in words from the
 * message catalog (pricing.*). */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "handlers.h"
#include "http.h"
#include "msg.h"
#include "plans.h"

static int64_t num(json_object *p, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(p, key, &v) && v != NULL ?
	    json_object_get_int64(v) : -1;
}

static int flag(json_object *p, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(p, key, &v) && json_object_get_boolean(v);
}

/* "$7" or "$7.50" from cents. */
static void dollars(int64_t cents, char *out, size_t len)
{
	if (cents % 100 == 0)
		snprintf(out, len, "$%lld", (long long)(cents / 100));
	else
		snprintf(out, len, "$%lld.%02lld", (long long)(cents / 100),
		    (long long)(cents % 100));
}

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

static json_object *plan_lines(json_object *p)
{
	json_object *l = json_object_new_array(), *ch;
	const char *models = json_object_get_string(json_object_object_get(p, "models"));
	int ui_only;

	ch = json_object_object_get(p, "allowed_channels");
	ui_only = json_object_array_length(ch) == 1 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(ch, 0)), "ui") == 0;
	if (num(p, "executions_per_day") >= 0)
		line(l, ui_only ? "pricing.per_day_ui" : "pricing.per_day",
		    num(p, "executions_per_day"));
	if (num(p, "executions_per_month") >= 0)
		line(l, flag(p, "limits_per_seat") ? "pricing.per_month_seat" :
		    "pricing.per_month", num(p, "executions_per_month"));
	if (num(p, "executions_per_day") < 0 && num(p, "executions_per_month") < 0)
		line(l, "pricing.unlimited", 0);
	if (num(p, "burst_per_minute") >= 0)
		line(l, "pricing.burst_minute", num(p, "burst_per_minute"));
	if (num(p, "soft_cap_per_month") >= 0)
		line(l, "pricing.soft_cap", num(p, "soft_cap_per_month"));
	if (models != NULL)
		line(l, strcmp(models, "all") == 0 ? "pricing.models_all" :
		    strcmp(models, "free") == 0 ? "pricing.models_free" :
		    strcmp(models, "whitelist") == 0 ? "pricing.models_whitelist" :
		    "pricing.models_blacklist", 0);
	if (flag(p, "api_access"))
		line(l, num(p, "api_keys") < 0 ? "pricing.api_keys_unlimited" :
		    "pricing.api_keys", num(p, "api_keys"));
	else
		line(l, "pricing.no_api", 0);
	line(l, flag(p, "byok_allowed") ? "pricing.byok" : "pricing.no_byok", 0);
	if (num(p, "log_retention_days") >= 0)
		line(l, "pricing.retention", num(p, "log_retention_days"));
	if (num(p, "daily_spend_cap_micros") >= 0)
		line(l, "pricing.spend_cap", num(p, "daily_spend_cap_micros") / 1000000);
	return l;
}

void h_pricing(struct req *r)
{
	json_object *d = page_data(r, "pricing"), *cat, *plans;
	size_t i;

	if (plans_list_public(r->db, &cat) == 0) {
		plans = json_object_object_get(cat, "plans");
		for (i = 0; i < json_object_array_length(plans); i++) {
			json_object *p = json_object_array_get_idx(plans, i);
			int64_t m = num(p, "price_monthly_cents");
			int64_t a = num(p, "price_annual_cents");
			char s[32];

			if (flag(p, "price_custom"))
				json_object_object_add(p, "price_custom_text",
				    json_object_new_string(msg_get("pricing.custom")));
			else if (m >= 0) {
				dollars(m, s, sizeof(s));
				json_object_object_add(p, "price", json_object_new_string(s));
			}
			if (a > 0) {
				dollars(a, s, sizeof(s));
				json_object_object_add(p, "annual", json_object_new_string(s));
			}
			json_object_object_add(p, "lines", plan_lines(p));
		}
		json_object_object_add(d, "catalog", cat);
	}
	resp_page(r, 200, "pricing", d);
}
