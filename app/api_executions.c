/* api_executions.c - the execution history and usage through the API:
 * GET /api/v1/executions (the history page's filters, keyset pages),
 * GET /api/v1/executions/:id, GET /api/v1/usage. */
#include <string.h>

#include "answer.h"
#include "executions.h"
#include "handlers.h"
#include "http.h"
#include "model_picker.h"
#include "pages.h"
#include "plans.h"
#include "prompts.h"
#include "usage.h"
#include "util.h"

void h_api_executions_list(struct req *r)
{
	const char *lim = req_query(r, "limit");
	struct exec_query q;
	struct pm_fail f = { 0 };
	json_object *out;
	int64_t n = LIST_LIMIT_DEFAULT;
	int rc;

	exec_query_of(r, &q);
	if (lim != NULL && parse_i64(lim, 1, LIST_LIMIT_MAX, &n) != 0) {
		pm_refuse(&f, PM_INVALID, "prompts.bad_limit", "limit");
		answer_fail(r, PM_INVALID, &f);
		return;
	}
	q.limit = (int)n;
	if ((rc = exec_list(r->db, r->user.id, &q, &out, &f)) != 0)
		answer_fail(r, rc, &f);
	else
		resp_json(r, 200, out);
}

void h_api_execution_get(struct req *r)
{
	json_object *out;
	int rc = exec_get(r->db, r->user.id, req_num(r, "id"), &out);

	if (rc != 0)
		answer_fail(r, rc, NULL);
	else
		resp_json(r, 200, out);
}

void h_api_usage(struct req *r)
{
	struct plan_ref ref;
	json_object *out;
	int rc;

	user_plan_ref(r, &ref);
	if ((rc = usage_get(r->db, &ref, r->user.api_key_id,
	    r->user.api_key_id ? r->user.key_cap_micros : -1, r->now, &out)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_json(r, 200, out);
}
