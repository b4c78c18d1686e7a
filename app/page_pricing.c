/* page_pricing.c - the pricing page, drawn from the active plan catalog:
 * every price and limit comes from the plans table, in words from the
 * message catalog; a monthly/annual switch (?interval=year), the BYOK
 * price where a plan has one, the limits side by side, and for a
 * signed-in user the one-click Upgrade (or Switch) of each plan. Also
 * GET /upgrade, the one upgrade address for sentences and links. */
#include <stdio.h>
#include <string.h>

#include "billing.h"
#include "billing_offer.h"
#include "buf.h"
#include "handlers.h"
#include "http.h"
#include "money.h"
#include "msg.h"
#include "plans.h"
#include "stripe_objects.h"

struct pricing {
	int		 year;		/* the annual prices are shown */
	int		 any_annual;	/* some plan has one */
	int64_t		 current;	/* the user's plan id, 0 anonymous */
	int		 subscribed;	/* the user has a subscription */
	int		 billing;	/* Stripe is configured */
	int		 signed_in;
	json_object	*plans;
};

static void add_money(json_object *o, const char *key, int64_t cents)
{
	char s[32];

	money_cents(cents, s, sizeof(s));
	json_object_object_add(o, key, json_object_new_string(s));
}

/* Add p, with its prices for the interval shown, its lines in words and
 * what the user may do, to the walk's array. */
static int add_plan(const struct plan *p, void *arg)
{
	struct pricing *c = arg;
	json_object *o = plan_to_json(p);
	int64_t std = billing_plan_amount(p, c->year, 0);
	int64_t byok = billing_plan_amount(p, c->year, 1);
	int64_t monthly = billing_plan_amount(p, 0, 0);
	int64_t annual = billing_plan_amount(p, 1, 0);
	const char *action = NULL;

	if (annual > 0)
		c->any_annual = 1;
	if (p->price_custom)
		json_object_object_add(o, "price_custom_text",
		    json_object_new_string(msg_get("pricing.custom")));
	else if (std > 0)
		add_money(o, "price", std);
	else if (c->year && monthly > 0) {
		add_money(o, "price", monthly);
		json_object_object_add(o, "monthly_only", json_object_new_boolean(1));
	} else if (p->price_monthly_cents == 0)
		add_money(o, "price", 0);
	if (annual > 0 && monthly > 0 && annual < monthly * 12) {
		struct buf b = { 0 };
		char save[32], months[24];

		money_cents(monthly * 12 - annual, save, sizeof(save));
		snprintf(months, sizeof(months), "%lld",
		    (long long)((monthly * 12 - annual) / monthly));
		msg_fmt(&b, (monthly * 12 - annual) % monthly == 0 ?
		    "billing.save_months" : "billing.save", "amount", save,
		    "months", months, NULL);
		json_object_object_add(o, "saving", json_object_new_string(buf_cstr(&b)));
		buf_free(&b);
	}
	if (!c->year && annual > 0)
		add_money(o, "annual_price", annual);
	if (byok > 0)
		add_money(o, "byok_price", byok);
	json_object_object_add(o, "lines", billing_plan_lines(p));
	if (p->id == c->current)
		action = "current";
	else if (p->price_custom)
		action = "contact";
	else if (monthly <= 0 && annual <= 0)
		action = c->signed_in ? NULL : "signup";
	else if (!c->signed_in)
		action = "signup";
	else if (c->billing && (std > 0 || (c->year && monthly > 0)))
		action = c->subscribed ? "change" : "checkout";
	if (action != NULL)
		json_object_object_add(o, action, json_object_new_boolean(1));
	json_object_object_add(o, "form_interval", json_object_new_string(
	    c->year && annual > 0 ? "year" : "month"));
	if (p->price_per_seat) {
		json_object_object_add(o, "seats_min", json_object_new_int64(
		    p->seats_included > 1 ? p->seats_included : 1));
		if (p->seats_max > 0)
			json_object_object_add(o, "seats_max",
			    json_object_new_int64(p->seats_max));
	}
	json_object_array_add(c->plans, o);
	return 0;
}

void h_pricing(struct req *r)
{
	const char *iv = req_query(r, "interval");
	json_object *d = page_data(r, "pricing"), *table;
	struct pricing c;
	struct billing_sub s;
	struct plan p;

	memset(&c, 0, sizeof(c));
	c.year = iv != NULL && strcmp(iv, "year") == 0;
	c.plans = json_object_new_array();
	c.billing = stripe_configured();
	c.signed_in = r->user.id != 0;
	if (c.signed_in && billing_user_plan(r, &p) == 0) {
		c.current = p.id;
		plan_free(&p);
	}
	if (c.signed_in && billing_sub_of_user(r->db, r->user.id, &s) > 0)
		c.subscribed = stripe_status_entitled(s.status);
	if (plans_each_public(r->db, NULL, add_plan, &c) == 0) {
		json_object *cat = json_object_new_object();

		json_object_object_add(cat, "plans", c.plans);
		json_object_object_add(d, "catalog", cat);
		if ((table = billing_plan_table(r)) != NULL)
			json_object_object_add(d, "table", table);
	} else
		json_object_put(c.plans);
	json_object_object_add(d, "annual", json_object_new_boolean(c.year));
	json_object_object_add(d, "any_annual", json_object_new_boolean(c.any_annual));
	json_object_object_add(d, "billing_off", json_object_new_boolean(!c.billing));
	resp_page(r, 200, "pricing", d);
}

/* GET /upgrade: the next plan up and its one button (or the plans). */
void h_upgrade(struct req *r)
{
	json_object *d = page_data(r, "upgrade");

	billing_offer(r, d);
	if (json_object_object_get(d, "upgrade") == NULL) {
		json_object_put(d);
		resp_redirect(r, "/pricing");
		return;
	}
	resp_page(r, 200, "billing_upgrade", d);
}
