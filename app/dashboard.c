/* dashboard.c - the dashboard's data: plan and usage, recent prompts and
 * executions, first steps. */
#include "dashboard.h"

#include <stdio.h>
#include <string.h>

#include "admission.h"
#include "clock.h"
#include "db.h"
#include "executions.h"
#include "plans.h"
#include "prompts.h"

/* Add to period p a limit of the plan as {"limit","used","left"} under
 * key (count: "limit", "used", "left"; money: the same names ending in
 * "_micros"), and "limited". Nothing when limit is -1 (unlimited). */
static void add_limit(struct json_object *p, const char *key, int64_t limit,
    int64_t used, int money)
{
	struct json_object *o;
	int64_t left = limit - used;

	if (limit < 0)
		return;
	o = json_object_new_object();
	json_object_object_add(o, money ? "limit_micros" : "limit",
	    json_object_new_int64(limit));
	json_object_object_add(o, money ? "used_micros" : "used",
	    json_object_new_int64(used));
	json_object_object_add(o, money ? "left_micros" : "left",
	    json_object_new_int64(left > 0 ? left : 0));
	json_object_object_add(o, "none_left", json_object_new_boolean(left <= 0));
	json_object_object_add(p, key, o);
	json_object_object_add(p, "limited", json_object_new_boolean(1));
}

/* The period ("day" or "month" of usage) as the dashboard shows it: every
 * run since from (exec_list's totals), the plan's limits on it, and when
 * it resets. Returns 0 with *out, or a db_err. */
static int period(struct db *db, int64_t uid, const struct plan *plan,
    struct json_object *usage, const char *name, const char *from,
    int64_t reset, struct json_object **out)
{
	struct exec_query q = { 0 };
	struct json_object *list, *t, *u = json_object_object_get(usage, name);
	struct json_object *p;
	int day = strcmp(name, "day") == 0, rc;

	q.from = from;
	q.limit = 1;
	if ((rc = exec_list(db, uid, &q, &list, NULL)) != 0)
		return rc;
	t = json_object_object_get(list, "totals");
	p = json_object_new_object();
	json_object_object_add(p, "executions",
	    json_object_get(json_object_object_get(t, "executions")));
	json_object_object_add(p, "cost_micros",
	    json_object_get(json_object_object_get(t, "cost_micros")));
	json_object_object_add(p, "reset", json_object_new_int64(reset));
	json_object_put(list);
	if (plan != NULL && u != NULL) {
		int64_t runs = json_object_get_int64(json_object_object_get(u,
		    "executions"));
		int64_t spend = json_object_get_int64(json_object_object_get(u,
		    "spend_micros"));

		add_limit(p, "runs", plan_seat_limit(plan, day ?
		    plan->executions_per_day : plan->executions_per_month,
		    plan->seats_included), runs, 0);
		add_limit(p, "spend", day ? plan->daily_spend_cap_micros :
		    plan->monthly_budget_micros, spend, 1);
	}
	*out = p;
	return 0;
}

/* The first steps: a prompt, a run that succeeded, a version in
 * production. Adds "steps" to o. Returns 0 or a db_err. */
static int steps(struct db *db, int64_t uid, struct json_object *prompts,
    struct json_object *o)
{
	struct db_res res = { 0 };
	struct json_object *s, *first = json_object_array_get_idx(prompts, 0);
	int64_t n = db_query(db, "SELECT"
	    " EXISTS(SELECT 1 FROM prompts WHERE user_id = ? AND deleted_at IS NULL),"
	    " EXISTS(SELECT 1 FROM executions WHERE user_id = ? AND status = 'SUCCEEDED'),"
	    " EXISTS(SELECT 1 FROM prompts WHERE user_id = ? AND deleted_at IS NULL"
	    "   AND production_version IS NOT NULL)",
	    DB_ARGS(db_i(uid), db_i(uid), db_i(uid)), &res);
	int created, ran, promoted;

	if (n != 1) {
		db_res_free(&res);
		return n < 0 ? (int)n : DB_ERROR;
	}
	created = db_int(&res, 0, 0) != 0;
	ran = db_int(&res, 0, 1) != 0;
	promoted = db_int(&res, 0, 2) != 0;
	db_res_free(&res);
	s = json_object_new_object();
	json_object_object_add(s, "created", json_object_new_boolean(created));
	json_object_object_add(s, "ran", json_object_new_boolean(ran));
	json_object_object_add(s, "promoted", json_object_new_boolean(promoted));
	json_object_object_add(s, "done", json_object_new_int(created + ran + promoted));
	json_object_object_add(s, "all_done", json_object_new_boolean(
	    created && ran && promoted));
	if (first != NULL)
		json_object_object_add(s, "slug",
		    json_object_get(json_object_object_get(first, "slug")));
	json_object_object_add(o, "steps", s);
	return 0;
}

/* Add the items of the list (prompt_list, exec_list) under key, and
 * has_<key>; takes list. */
static void add_items(struct json_object *o, const char *key,
    struct json_object *list)
{
	struct json_object *items = json_object_object_get(list, "items");
	char has[32];

	snprintf(has, sizeof(has), "has_%s", key);
	json_object_object_add(o, has, json_object_new_boolean(
	    json_object_array_length(items) > 0));
	json_object_object_add(o, key, json_object_get(items));
	json_object_put(list);
}

int dashboard_get(struct db *db, const struct plan_ref *ref, int64_t now,
    struct json_object **out)
{
	struct plan plan = { 0 };
	struct prompt_query pq = { 0 };
	struct exec_query eq = { 0 };
	struct json_object *o, *usage = NULL, *list, *p, *prompts;
	char day[16], month[16];
	int64_t uid = ref->user_id;
	int rc, have_plan;

	rc = plan_of(db, ref, &plan);
	if (rc != 0 && rc != PM_NOCATALOG)
		return rc;
	have_plan = rc == 0;
	if ((rc = admission_usage(db, uid, now, &usage)) != 0) {
		plan_free(&plan);
		return rc;
	}
	o = json_object_new_object();
	if (have_plan) {
		p = json_object_new_object();
		json_object_object_add(p, "code", json_object_new_string(plan.code));
		json_object_object_add(p, "name", json_object_new_string(plan.name));
		json_object_object_add(p, "is_default",
		    json_object_new_boolean(plan.is_default));
		json_object_object_add(o, "plan", p);
	}
	clock_fmt(now, day, sizeof(day));		/* "YYYY-MM-DD" first */
	day[10] = '\0';
	snprintf(month, sizeof(month), "%.8s01", day);
	if ((rc = period(db, uid, have_plan ? &plan : NULL, usage, "day", day,
	    next_utc_day(now), &p)) == 0) {
		json_object_object_add(o, "today", p);
		rc = period(db, uid, have_plan ? &plan : NULL, usage, "month", month,
		    next_utc_month(now), &p);
		if (rc == 0)
			json_object_object_add(o, "month", p);
	}
	plan_free(&plan);
	json_object_put(usage);
	pq.category = -1;
	pq.limit = DASHBOARD_RECENT;
	if (rc == 0 && (rc = prompt_list(db, uid, &pq, &list, NULL)) == 0) {
		prompts = json_object_get(json_object_object_get(list, "items"));
		add_items(o, "prompts", list);
		rc = steps(db, uid, prompts, o);
		json_object_put(prompts);
	}
	eq.limit = DASHBOARD_RECENT;
	eq.no_totals = 1;
	if (rc == 0 && (rc = exec_list(db, uid, &eq, &list, NULL)) == 0)
		add_items(o, "executions", list);
	if (rc != 0) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}
