/* gate.c - the promotion gate of a prompt (see gate.h). */
#include "gate.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "error.h"
#include "golden_runs.h"
#include "jsonx.h"
#include "money.h"

static void read_gate(const struct db_res *res, size_t col, struct gate *g)
{
	g->required = db_int(res, 0, col) != 0;
	g->has_min_score = db_str(res, 0, col + 1) != NULL;
	g->min_score = g->has_min_score ? strtod(db_str(res, 0, col + 1), NULL) : 0;
	g->max_cost_micros = db_str(res, 0, col + 2) ? db_int(res, 0, col + 2) : -1;
}

int gate_get(struct db *db, int64_t uid, const char *slug, struct gate *g)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT gate_required, gate_min_score,"
	    " gate_max_cost_micros FROM prompts WHERE user_id = ?"
	    " AND live_slug = ?", DB_ARGS(db_i(uid), db_s(slug)), &res);

	if (n == 1)
		read_gate(&res, 0, g);
	db_res_free(&res);
	return n < 0 ? (int)n : n == 1 ? 0 : PM_NOTFOUND;
}

json_object *gate_json(const struct gate *g)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "required", json_object_new_boolean(g->required));
	json_object_object_add(o, "min_score", g->has_min_score ?
	    json_new_double(g->min_score) : NULL);
	json_object_object_add(o, "max_cost_micros", g->max_cost_micros >= 0 ?
	    json_object_new_int64(g->max_cost_micros) : NULL);
	return o;
}

int gate_set(struct db *db, int64_t uid, const char *slug,
    const struct gate *g, int64_t now, struct pm_fail *f)
{
	int64_t n;

	if (g->has_min_score && !(g->min_score >= 0 && g->min_score <= 1))
		return pm_refuse(f, PM_INVALID, "gate.min_score", "min_score");
	if (g->max_cost_micros < -1)
		return pm_refuse(f, PM_INVALID, "gate.max_cost", "max_cost_micros");
	n = db_exec(db, "UPDATE prompts SET gate_required = ?, gate_min_score = ?,"
	    " gate_max_cost_micros = ?, updated_at = ? WHERE user_id = ?"
	    " AND live_slug = ?", DB_ARGS(db_i(g->required),
	    g->has_min_score ? db_d(g->min_score) : db_null(),
	    g->max_cost_micros >= 0 ? db_i(g->max_cost_micros) : db_null(),
	    db_i(now), db_i(uid), db_s(slug)));
	return n < 0 ? (int)n : n == 1 ? 0 : PM_NOTFOUND;
}

static int refuse(struct pm_fail *f, const char *key, int number, int64_t run)
{
	pm_refuse(f, PM_CONFLICT, key, NULL);
	pm_fail_arg(f, "version", "%d", number);
	if (run > 0)
		pm_fail_arg(f, "run", "%lld", (long long)run);
	return PM_CONFLICT;
}

int gate_check(struct db *db, int64_t pid, int number, int64_t *run,
    struct pm_fail *f)
{
	struct db_res res = { 0 };
	struct gate g;
	json_object *last = NULL, *failing;
	struct buf names = { 0 };
	int64_t n, id, cost;
	size_t i;
	int rc;

	*run = 0;
	n = db_query(db, "SELECT gate_required, gate_min_score,"
	    " gate_max_cost_micros FROM prompts WHERE id = ?",
	    DB_ARGS(db_i(pid)), &res);
	if (n == 1)
		read_gate(&res, 0, &g);
	db_res_free(&res);
	if (n != 1)
		return n < 0 ? (int)n : PM_NOTFOUND;
	if (!g.required)
		return 0;
	if ((rc = golden_run_last(db, pid, number, &last)) <= 0)
		return rc < 0 ? rc : refuse(f, "gate.no_run", number, 0);
	id = json_object_get_int64(json_object_object_get(last, "id"));
	cost = json_object_get_int64(json_object_object_get(last, "cost_micros")) +
	    json_object_get_int64(json_object_object_get(last, "judge_cost_micros"));
	if (!json_object_get_boolean(json_object_object_get(last, "ended")))
		rc = refuse(f, "gate.running", number, id);
	else if (strcmp(json_str_member(last, "result", NULL), "passed") != 0) {
		failing = json_object_object_get(last, "failing");
		for (i = 0; i < json_object_array_length(failing); i++)
			buf_printf(&names, "%s%s", i ? ", " : "",
			    json_object_get_string(json_object_array_get_idx(
			    failing, i)));
		rc = refuse(f, names.len ? "gate.failed" : "gate.stopped", number,
		    id);
		pm_fail_arg(f, "samples", "%s", buf_cstr(&names));
		buf_free(&names);
	} else if (g.has_min_score && json_object_get_double(
	    json_object_object_get(last, "score")) < g.min_score - 1e-9) {
		rc = refuse(f, "gate.score", number, 0);
		pm_fail_arg(f, "score", "%s", json_object_get_string(
		    json_object_object_get(last, "score")));
		pm_fail_arg(f, "min", "%g", g.min_score);
	} else if (g.max_cost_micros >= 0 && cost > g.max_cost_micros) {
		char a[40], b[40];

		money_micros(cost, a, sizeof(a));
		money_micros(g.max_cost_micros, b, sizeof(b));
		rc = refuse(f, "gate.cost", number, 0);
		pm_fail_arg(f, "cost", "%s", a);
		pm_fail_arg(f, "max", "%s", b);
	} else {
		*run = id;
		rc = 0;
	}
	json_object_put(last);
	return rc;
}
