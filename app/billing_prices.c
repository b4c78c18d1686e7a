/* billing_prices.c - the plan catalog's prices in Stripe: one product per
 * plan, one price per interval and variant found again by its
 * lookup_key (pm-admin stripe sync-prices), and the billing_prices rows
 * that map a Stripe price back to its plan. */
#include "billing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "escape.h"
#include "jsonx.h"
#include "log.h"
#include "msg.h"
#include "util.h"

int64_t billing_plan_amount(const struct plan *p, int year, int byok)
{
	int64_t std = year ? p->price_annual_cents : p->price_monthly_cents;
	int64_t b = year ? p->price_byok_annual_cents : p->price_byok_monthly_cents;

	if (p->price_custom)
		return -1;
	if (!byok)
		return std > 0 ? std : -1;
	return b > 0 && b != std ? b : -1;
}

/* The catalog and code as Stripe id characters: "-" becomes "_". */
static void id_part(const char *s, struct buf *out)
{
	for (; *s; s++)
		buf_putc(out, *s == '-' ? '_' : *s);
}

void billing_lookup_key(const struct plan *p, int year, int byok, char *out,
    size_t size)
{
	struct buf b = { 0 };

	buf_puts(&b, "pm_");
	id_part(p->catalog, &b);
	buf_putc(&b, '_');
	id_part(p->code, &b);
	buf_puts(&b, year ? "_year" : "_month");
	if (byok)
		buf_puts(&b, "_byok");
	snprintf(out, size, "%s", buf_cstr(&b));
	buf_free(&b);
}

/* The product id of plan p into b. */
static void product_id(const struct plan *p, struct buf *b)
{
	buf_puts(b, "pm_");
	id_part(p->catalog, b);
	buf_putc(b, '_');
	id_part(p->code, b);
}

static int price_from(struct db_res *res, int64_t n, struct billing_price *out)
{
	memset(out, 0, sizeof(*out));
	if (n <= 0)
		return (int)n;
	snprintf(out->price_id, sizeof(out->price_id), "%s", db_str(res, 0, 0));
	out->plan_id = db_int(res, 0, 1);
	out->year = db_int(res, 0, 2) != 0;
	out->byok = db_int(res, 0, 3) != 0;
	out->unit_amount = db_int(res, 0, 4);
	snprintf(out->currency, sizeof(out->currency), "%s", db_str(res, 0, 5));
	return 1;
}

int billing_price_find(struct db *db, int64_t plan_id, int year, int byok,
    struct billing_price *out)
{
	static const char sql[] = "SELECT price_id, plan_id, billing_interval ="
	    " 'year', byok, unit_amount, currency FROM billing_prices WHERE"
	    " plan_id = ? AND billing_interval = ? AND byok = ? AND is_current = 1"
	    " ORDER BY synced_at DESC LIMIT 1";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_i(plan_id),
	    db_s(year ? "year" : "month"), db_i(byok != 0)), &res);
	int rc = price_from(&res, n, out);

	db_res_free(&res);
	return rc;
}

int billing_price_of(struct db *db, const char *price_id,
    struct billing_price *out)
{
	static const char sql[] = "SELECT price_id, plan_id, billing_interval ="
	    " 'year', byok, unit_amount, currency FROM billing_prices WHERE"
	    " price_id = ?";
	struct db_res res;
	int64_t n = db_query(db, sql, DB_ARGS(db_s(price_id)), &res);
	int rc = price_from(&res, n, out);

	db_res_free(&res);
	return rc;
}

struct find_plan {
	int64_t		 id;
	const char	*code;
	struct plan	 p;
	int		 found;
};

static int find_fn(const struct plan *p, void *arg)
{
	struct find_plan *fp = arg;

	if (fp->code ? strcasecmp(p->code, fp->code) != 0 : p->id != fp->id)
		return 0;
	fp->p = *p;
	fp->p.model_list = NULL;	/* owned by the walk */
	fp->p.features = NULL;
	fp->found = 1;
	return 1;
}

int billing_public_plan(struct db *db, int64_t id, const char *code,
    struct plan *out)
{
	struct find_plan fp;
	int rc;

	memset(&fp, 0, sizeof(fp));
	fp.id = id;
	fp.code = code;
	if ((rc = plans_each_public(db, NULL, find_fn, &fp)) != 0)
		return rc;
	*out = fp.p;
	return fp.found;
}

/* ------------------------------------------------------------ sync */

/* The public plans, copied out of the walk. */
struct plan_list {
	struct plan	*v;
	size_t		 n;
};

static int collect(const struct plan *p, void *arg)
{
	struct plan_list *l = arg;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n] = *p;
	l->v[l->n].model_list = NULL;	/* owned by the walk */
	l->v[l->n].features = NULL;
	l->n++;
	return 0;
}

/* Make sure the product of p exists with p's name. Returns 0 or a
 * refusal. */
static int ensure_product(const struct plan *p, struct pm_fail *f)
{
	struct buf id = { 0 }, path = { 0 }, meaning = { 0 };
	json_object *got = NULL, *params;
	int rc;

	product_id(p, &id);
	buf_puts(&path, "/v1/products/");
	esc_url(&path, id.data, id.len);
	rc = stripe_call("GET", buf_cstr(&path), NULL, NULL, NULL, &got, NULL, f);
	params = json_object_new_object();
	json_object_object_add(params, "name", json_object_new_string(p->name));
	if (rc == PM_NOTFOUND) {
		pm_fail_clear(f);
		json_object_object_add(params, "id", json_object_new_string(buf_cstr(&id)));
		json_object_object_add(params, "metadata", json_object_new_object());
		json_object_object_add(json_member(params, "metadata"), "catalog",
		    json_object_new_string(p->catalog));
		json_object_object_add(json_member(params, "metadata"), "plan",
		    json_object_new_string(p->code));
		buf_printf(&meaning, "product|%s|%s", buf_cstr(&id), p->name);
		json_object_put(got);
		got = NULL;
		rc = stripe_call("POST", "/v1/products", params, buf_cstr(&meaning),
		    NULL, &got, NULL, f);
	} else if (rc == 0) {
		const char *name = json_str_member(got, "name", NULL);

		if (name == NULL || strcmp(name, p->name) != 0) {
			buf_printf(&meaning, "product-name|%s|%s", buf_cstr(&id), p->name);
			json_object_put(got);
			got = NULL;
			rc = stripe_call("POST", buf_cstr(&path), params,
			    buf_cstr(&meaning), NULL, &got, NULL, f);
		}
	}
	json_object_put(params);
	json_object_put(got);
	buf_free(&id);
	buf_free(&path);
	buf_free(&meaning);
	return rc;
}

static const char sql_price_upsert[] = "INSERT INTO billing_prices"
    " (price_id, lookup_key, product_id, plan_id, billing_interval, byok,"
    " unit_amount, currency, is_current, synced_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?) ON DUPLICATE KEY UPDATE"
    " lookup_key = VALUES(lookup_key), plan_id = VALUES(plan_id),"
    " is_current = 1, synced_at = VALUES(synced_at)";
static const char sql_price_retire[] = "UPDATE billing_prices SET"
    " is_current = 0 WHERE lookup_key = ? AND price_id <> ?";

/* Record the price id for key of plan p. Returns 0 or a db_err. */
static int record(struct db *db, const struct plan *p, const char *key,
    const char *price_id, int year, int byok, int64_t amount, int64_t now)
{
	struct buf prod = { 0 };
	int64_t rc;

	product_id(p, &prod);
	rc = db_exec(db, sql_price_upsert, DB_ARGS(db_s(price_id), db_s(key),
	    db_s(buf_cstr(&prod)), db_i(p->id), db_s(year ? "year" : "month"),
	    db_i(byok), db_i(amount), db_s("usd"), db_i(now)));
	buf_free(&prod);
	if (rc >= 0)
		rc = db_exec(db, sql_price_retire, DB_ARGS(db_s(key), db_s(price_id)));
	return rc < 0 ? (int)rc : 0;
}

/* The price of plan p for (year, byok) in Stripe and in billing_prices.
 * Appends its line to report. Returns 0, a refusal or a db_err. */
static int sync_price(struct db *db, const struct plan *p, int year, int byok,
    int64_t amount, int64_t now, struct buf *report, struct pm_fail *f)
{
	char key[201], shown[32];
	struct buf q = { 0 }, meaning = { 0 }, prod = { 0 };
	json_object *list = NULL, *found = NULL, *params, *rec, *meta, *made = NULL;
	const char *id = NULL, *what = "billing.price_unchanged";
	int rc;

	billing_lookup_key(p, year, byok, key, sizeof(key));
	params = json_object_new_object();
	json_object_object_add(params, "lookup_keys", json_object_new_array());
	json_object_array_add(json_member(params, "lookup_keys"),
	    json_object_new_string(key));
	json_object_object_add(params, "active", json_object_new_boolean(1));
	rc = stripe_call("GET", "/v1/prices", params, NULL, NULL, &list, NULL, f);
	json_object_put(params);
	if (rc != 0)
		goto out;
	if (json_object_array_length(json_member(list, "data")) > 0)
		found = json_object_array_get_idx(json_member(list, "data"), 0);
	if (found != NULL) {
		json_object *v = json_member(found, "unit_amount");
		const char *cur = json_str_member(found, "currency", NULL);
		const char *iv = json_str_member(json_member(found, "recurring"),
		    "interval", NULL);

		if (json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) == amount && cur != NULL &&
		    strcmp(cur, "usd") == 0 && iv != NULL &&
		    strcmp(iv, year ? "year" : "month") == 0)
			id = json_str_member(found, "id", NULL);
	}
	if (id == NULL) {
		what = found != NULL ? "billing.price_replaced" : "billing.price_created";
		product_id(p, &prod);
		params = json_object_new_object();
		json_object_object_add(params, "product",
		    json_object_new_string(buf_cstr(&prod)));
		json_object_object_add(params, "currency", json_object_new_string("usd"));
		json_object_object_add(params, "unit_amount", json_object_new_int64(amount));
		rec = json_object_new_object();
		json_object_object_add(rec, "interval",
		    json_object_new_string(year ? "year" : "month"));
		json_object_object_add(params, "recurring", rec);
		json_object_object_add(params, "lookup_key", json_object_new_string(key));
		json_object_object_add(params, "transfer_lookup_key",
		    json_object_new_boolean(1));
		buf_printf(&q, "%s %s%s", p->name, year ? "annual" : "monthly",
		    byok ? " BYOK" : "");
		json_object_object_add(params, "nickname",
		    json_object_new_string(buf_cstr(&q)));
		meta = json_object_new_object();
		json_object_object_add(meta, "catalog", json_object_new_string(p->catalog));
		json_object_object_add(meta, "plan", json_object_new_string(p->code));
		json_object_object_add(meta, "byok", json_object_new_string(byok ? "1" : "0"));
		json_object_object_add(params, "metadata", meta);
		buf_printf(&meaning, "price|%s|%lld|usd", key, (long long)amount);
		rc = stripe_call("POST", "/v1/prices", params, buf_cstr(&meaning),
		    NULL, &made, NULL, f);
		json_object_put(params);
		if (rc != 0)
			goto out;
		id = json_str_member(made, "id", NULL);
	}
	if (!stripe_id_valid(id)) {
		rc = pm_refuse(f, PM_UPSTREAM, "stripe.bad_answer", NULL);
		goto out;
	}
	if ((rc = record(db, p, key, id, year, byok, amount, now)) != 0)
		goto out;
	billing_cents(amount, shown, sizeof(shown));
	buf_puts(report, report->len ? "\n" : "");
	msg_fmt(report, what, "key", key, "amount", shown, "price", id, NULL);
out:
	json_object_put(list);
	json_object_put(made);
	buf_free(&q);
	buf_free(&meaning);
	buf_free(&prod);
	return rc;
}

int billing_sync_prices(struct db *db, int64_t now, struct buf *report,
    struct pm_fail *f)
{
	struct plan_list l = { NULL, 0 };
	size_t i;
	int rc, year, byok;

	if (!stripe_configured())
		return pm_refuse(f, PM_UNAVAILABLE, "stripe.not_configured", NULL);
	if ((rc = plans_each_public(db, NULL, collect, &l)) != 0) {
		free(l.v);
		return rc;
	}
	for (i = 0; rc == 0 && i < l.n; i++) {
		int any = 0;

		for (year = 0; rc == 0 && year <= 1; year++)
			for (byok = 0; rc == 0 && byok <= 1; byok++)
				if (billing_plan_amount(&l.v[i], year, byok) >= 0)
					any = 1;
		if (!any)
			continue;
		if ((rc = ensure_product(&l.v[i], f)) != 0)
			break;
		for (year = 0; rc == 0 && year <= 1; year++)
			for (byok = 0; rc == 0 && byok <= 1; byok++) {
				int64_t amount = billing_plan_amount(&l.v[i], year, byok);

				if (amount >= 0)
					rc = sync_price(db, &l.v[i], year, byok, amount,
					    now, report, f);
			}
	}
	free(l.v);
	return rc;
}
