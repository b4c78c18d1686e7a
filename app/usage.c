/* usage.c - an account's usage of its limits (see usage.h). */
#include "usage.h"

#include "admission.h"
#include "db.h"
#include "error.h"
#include "jsonx.h"
#include "plans.h"

/* One entry of "limits": limit < 0 is unlimited; reset_at 0: none. */
static void add_limit(json_object *a, const char *name, const char *unit,
    int64_t limit, int64_t used, int64_t reset_at)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "unit", json_object_new_string(unit));
	json_object_object_add(o, "limit", limit >= 0 ?
	    json_object_new_int64(limit) : NULL);
	json_object_object_add(o, "used", json_object_new_int64(used));
	json_object_object_add(o, "remaining", limit >= 0 ?
	    json_object_new_int64(limit > used ? limit - used : 0) : NULL);
	json_object_object_add(o, "reset_at", reset_at ?
	    json_object_new_int64(reset_at) : NULL);
	json_object_array_add(a, o);
}

/* The member of period p of the counters c. */
static int64_t counter(json_object *c, const char *p, const char *what)
{
	return json_object_get_int64(json_member(json_member(c, p), what));
}

/* The key's spend this month: its counter when it has a cap, else what
 * its executions cost. */
static int key_spend(struct db *db, int64_t key_id, int64_t cap, int64_t now,
    int64_t *spent)
{
	int64_t day, month, minute, n;
	struct db_res res;

	period_keys(now, &day, &month, &minute);
	if (cap >= 0)
		n = db_query(db, "SELECT spend_micros FROM api_key_usage"
		    " WHERE key_id = ? AND month_key = ?",
		    DB_ARGS(db_i(key_id), db_i(month)), &res);
	else
		n = db_query(db, "SELECT COALESCE(SUM(cost_micros), 0) FROM"
		    " executions WHERE api_key_id = ? AND month_key = ?",
		    DB_ARGS(db_i(key_id), db_i(month)), &res);
	*spent = db_int(&res, 0, 0);
	db_res_free(&res);
	return n < 0 ? (int)n : 0;
}

int usage_get(struct db *db, const struct plan_ref *ref, int64_t key_id,
    int64_t key_cap_micros, int64_t now, json_object **out)
{
	json_object *o, *a, *c = NULL, *p, *k;
	struct plan plan;
	struct db_res res;
	int64_t running, spent, n, day, month;
	int rc;

	if ((rc = plan_of(db, ref, &plan)) != 0)
		return rc;
	if ((rc = admission_usage(db, ref->user_id, now, &c)) != 0 ||
	    (n = db_query(db, "SELECT running FROM users WHERE id = ?",
	    DB_ARGS(db_i(ref->user_id)), &res)) < 0) {
		plan_free(&plan);
		json_object_put(c);
		return rc != 0 ? rc : (int)n;
	}
	running = db_int(&res, 0, 0);
	db_res_free(&res);
	day = next_utc_day(now);
	month = next_utc_month(now);
	o = json_object_new_object();
	p = json_object_new_object();
	json_object_object_add(p, "code", json_object_new_string(plan.code));
	json_object_object_add(p, "name", json_object_new_string(plan.name));
	json_object_object_add(o, "plan", p);
	a = json_object_new_array();
	add_limit(a, "executions_per_day", "executions", plan.executions_per_day,
	    counter(c, "day", "executions"), day);
	add_limit(a, "executions_per_month", "executions",
	    plan.executions_per_month, counter(c, "month", "executions"), month);
	add_limit(a, "burst_per_minute", "executions", plan.burst_per_minute,
	    counter(c, "minute", "executions"), (now / 60 + 1) * 60);
	add_limit(a, "burst_per_day", "executions", plan.burst_per_day,
	    counter(c, "day", "executions"), day);
	add_limit(a, "daily_spend_cap", "micro_dollars",
	    plan.daily_spend_cap_micros, counter(c, "day", "spend_micros"), day);
	add_limit(a, "monthly_budget", "micro_dollars", plan.monthly_budget_micros,
	    counter(c, "month", "spend_micros"), month);
	add_limit(a, "concurrent_executions", "executions",
	    plan.max_concurrent_executions, running, 0);
	json_object_object_add(o, "limits", a);
	json_object_put(c);
	plan_free(&plan);
	if (key_id > 0) {
		if ((rc = key_spend(db, key_id, key_cap_micros, now, &spent)) != 0) {
			json_object_put(o);
			return rc;
		}
		k = json_object_new_object();
		json_object_object_add(k, "id", json_object_new_int64(key_id));
		json_object_object_add(k, "monthly_spend_micros",
		    json_object_new_int64(spent));
		json_object_object_add(k, "monthly_spend_cap_micros",
		    key_cap_micros >= 0 ? json_object_new_int64(key_cap_micros) :
		    NULL);
		json_object_object_add(k, "remaining_micros", key_cap_micros >= 0 ?
		    json_object_new_int64(key_cap_micros > spent ?
		    key_cap_micros - spent : 0) : NULL);
		json_object_object_add(k, "reset_at", json_object_new_int64(month));
		json_object_object_add(o, "api_key", k);
	}
	*out = o;
	return 0;
}
