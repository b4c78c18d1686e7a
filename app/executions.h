/* executions.h - reading the execution history: filtered keyset pages
 * with totals, and one execution in full. Only the owner's rows. Same
 * error convention as prompts.h. */
#ifndef PM_EXECUTIONS_H
#define PM_EXECUTIONS_H

#include <json-c/json.h>
#include <stdint.h>

struct db;
struct pm_fail;

struct exec_query {
	const char	*prompt;	/* slug, or NULL */
	const char	*model;
	const char	*status;	/* RUNNING, SUCCEEDED, FAILED, CANCELLED */
	const char	*billing;	/* SYSTEM, BYOK */
	const char	*from, *to;	/* YYYY-MM-DD (UTC), inclusive */
	const char	*cursor;	/* id of the last row of the previous page */
	int		 limit;
	int		 no_totals;	/* 1: leave "totals" out (one query less) */
};

/* One page, newest first: {"items":[...], "next_cursor", "totals":
 * {"executions","input_tokens","output_tokens","cost_micros"}} where the
 * totals cover every row matching the filters (not with no_totals).
 * Returns 0, PM_INVALID (bad filter, naming it) or a db_err. */
int exec_list(struct db *db, int64_t uid, const struct exec_query *q,
    struct json_object **out, struct pm_fail *f);
/* One execution with its input and output. Returns 0, PM_NOTFOUND or a
 * db_err. */
int exec_get(struct db *db, int64_t uid, int64_t id, struct json_object **out);

#endif
