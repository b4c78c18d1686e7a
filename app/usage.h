/* usage.h - what an account has used of its plan's limits now, and of its
 * API key's cap (GET /api/v1/usage). Only the owner's rows. */
#ifndef PM_USAGE_H
#define PM_USAGE_H

#include <json-c/json.h>
#include <stdint.h>

struct db;
struct plan_ref;

/* {"plan": {"code","name"}, "limits": [{"name", "unit" ("executions" or
 * "micro_dollars"), "limit" (null: unlimited), "used", "remaining" (null:
 * unlimited), "reset_at" (epoch seconds, null for runs at once)}] for
 * executions_per_day, executions_per_month, burst_per_minute,
 * burst_per_day, daily_spend_cap, monthly_budget and concurrent_executions,
 * and with an API key (key_id > 0) "api_key": {"id",
 * "monthly_spend_micros", "monthly_spend_cap_micros" (null: none),
 * "remaining_micros" (null: none), "reset_at"}. Returns 0 with *out
 * (caller puts) or a failure. */
int usage_get(struct db *db, const struct plan_ref *ref, int64_t key_id,
    int64_t key_cap_micros, int64_t now, json_object **out);

#endif
