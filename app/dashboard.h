/* dashboard.h - what the dashboard shows of an account: its plan and what
 * is left of it today and this month (with the reset times), the recent
 * prompts and executions, and the first steps of a new account. Only the
 * owner's rows. Same error convention as prompts.h. */
#ifndef PM_DASHBOARD_H
#define PM_DASHBOARD_H

#include <json-c/json.h>
#include <stdint.h>

struct db;
struct plan_ref;

#define DASHBOARD_RECENT	5	/* prompts and executions shown */

/* The dashboard of ref->user_id at now:
 *   "plan": {"code","name","is_default"} (absent when no plan catalog is
 *     loaded),
 *   "today", "month": {"executions","cost_micros"} (every run of the
 *     period) and, for each limit of the plan that applies, "runs":
 *     {"limit","used","left"} and "spend": {"limit_micros","used_micros",
 *     "left_micros"}, "limited" when there is one, "reset" (epoch seconds
 *     of the next UTC day or month),
 *   "prompts": the newest DASHBOARD_RECENT by update (prompt_list items),
 *   "executions": the newest DASHBOARD_RECENT (exec_list items),
 *   "steps": {"created","ran","promoted","done","all_done","slug"}: a
 *     prompt exists, a run succeeded, a version is in production, how many
 *     of the three, and the newest prompt's slug (for the links).
 * Returns 0 with *out (caller puts) or a db_err. */
int dashboard_get(struct db *db, const struct plan_ref *ref, int64_t now,
    struct json_object **out);

#endif
