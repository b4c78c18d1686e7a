/* golden_runs.c - starting, reading and listing golden runs (see
 * golden_runs.h). */
#include "golden_runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byok.h"
#include "clock.h"
#include "db.h"
#include "error.h"
#include "jsonx.h"
#include "models.h"
#include "money.h"
#include "msg.h"
#include "plans.h"
#include "prompts.h"
#include "util.h"

static const char *text_of(json_object *o)
{
	return json_to_text(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, NULL);
}

/* ------------------------------------------------------------- starting */

struct start_ctx {
	int64_t		 uid, pid, vid;
	int		 number;
	const struct run_start *rs;
	json_object	*models;	/* the checked ids */
	struct pm_fail	*f;
	int64_t		 id, total;
};

/* The prompt (and the version, unless a trial) of the run. */
static int resolve(struct db *db, struct start_ctx *c, char *model,
    size_t size)
{
	struct db_res res = { 0 };
	const struct run_start *rs = c->rs;
	const char *m;
	int64_t n;

	if (rs->draft != NULL) {
		if ((n = prompt_id_by_slug(db, c->uid, rs->slug)) < 0)
			return (int)n;
		c->pid = n;
		m = json_str_member(rs->draft, "model", NULL);
		snprintf(model, size, "%s", m ? m : "");
		return 0;
	} else {
		n = db_query(db, "SELECT p.id, v.id, v.number, v.model FROM prompts p"
		    " JOIN prompt_versions v ON v.prompt_id = p.id"
		    " WHERE p.user_id = ? AND p.live_slug = ? AND v.number = ?",
		    DB_ARGS(db_i(c->uid), db_s(rs->slug), db_i(rs->version)),
		    &res);
		if (n == 1) {
			c->pid = db_int(&res, 0, 0);
			c->vid = db_int(&res, 0, 1);
			c->number = (int)db_int(&res, 0, 2);
			snprintf(model, size, "%s", db_str(&res, 0, 3));
		}
	}
	db_res_free(&res);
	return n < 0 ? (int)n : n == 1 ? 0 : PM_NOTFOUND;
}

/* Whether the user runs model id on a key of their own (BYOK, when the
 * plan allows it): then the plan's list of models does not apply, as in
 * execute.c. Returns 1, 0 or a failure. */
static int on_own_key(struct db *db, const struct plan *plan, int64_t uid,
    int64_t pid, const char *id, struct pm_fail *f)
{
	struct byok_choice c;
	int rc;

	if (!plan->byok_allowed)
		return 0;
	memset(&c, 0, sizeof(c));
	rc = byok_pick(db, byok_vault, uid, pid, id, &c, f);
	byok_choice_wipe(&c);
	return rc;
}

/* Check one model: in the catalog, active, allowed by the plan or on the
 * user's own key. */
static int check_model(struct db *db, const struct plan *plan, int64_t uid,
    int64_t pid, const char *id, struct pm_fail *f)
{
	struct model m = { 0 };
	int rc = model_get_at(db, 0, id, &m);

	if (rc < 0)
		return rc;
	if (rc == 0 || !m.active) {
		model_free(&m);
		pm_refuse(f, PM_INVALID, "runs.unknown_model", "models");
		pm_fail_arg(f, "model", "%s", id);
		return PM_INVALID;
	}
	rc = plan_model_allowed(plan, m.id, m.free_tier);
	model_free(&m);
	if (!rc && (rc = on_own_key(db, plan, uid, pid, id, f)) < 0)
		return rc;
	if (!rc) {
		pm_refuse(f, PM_FORBIDDEN, "runs.model_not_allowed", "models");
		pm_fail_arg(f, "model", "%s", id);
		pm_fail_arg(f, "plan", "%s", plan->name);
		return PM_FORBIDDEN;
	}
	return 0;
}

/* The run's models: those asked for (or the default), each checked. */
static int check_models(struct db *db, struct start_ctx *c,
    const char *fallback, struct pm_fail *f)
{
	const struct run_start *rs = c->rs;
	struct plan plan = { 0 };
	size_t n = rs->models ? json_object_array_length(rs->models) : 0, i, k;
	int bench = strcmp(rs->kind, "benchmark") == 0, rc;

	if (bench ? n < 1 || n > BENCH_MODELS_MAX : n > 1) {
		pm_refuse(f, PM_INVALID, "runs.models_count", "models");
		pm_fail_arg(f, "max", "%d", bench ? BENCH_MODELS_MAX : 1);
		return PM_INVALID;
	}
	c->models = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(rs->models, i);
		const char *id = json_object_get_string(e);

		if (!json_object_is_type(e, json_type_string) || *id == '\0') {
			pm_refuse(f, PM_INVALID, "runs.model_not_text", "models");
			return PM_INVALID;
		}
		for (k = 0; k < i; k++)
			if (strcmp(id, json_object_get_string(
			    json_object_array_get_idx(rs->models, k))) == 0) {
				pm_refuse(f, PM_INVALID, "runs.model_twice",
				    "models");
				pm_fail_arg(f, "model", "%s", id);
				return PM_INVALID;
			}
		json_object_array_add(c->models, json_object_new_string(id));
	}
	if (n == 0)
		json_object_array_add(c->models, json_object_new_string(fallback));
	if ((rc = plan_of(db, rs->ref, &plan)) != 0)
		return rc;
	/* Every sample would be refused: refuse the run. */
	if (strcmp(rs->channel, "API") == 0 ? !(plan.allowed_channels &
	    PLAN_CH_API) || !plan.api_access : !(plan.allowed_channels &
	    PLAN_CH_UI)) {
		rc = pm_refuse(f, PM_FORBIDDEN, strcmp(rs->channel, "API") == 0 ?
		    "runs.api_not_allowed" : "runs.ui_not_allowed", NULL);
		pm_fail_arg(f, "plan", "%s", plan.name);
	}
	for (i = 0; i < json_object_array_length(c->models) && rc == 0; i++)
		rc = check_model(db, &plan, c->uid, c->pid, json_object_get_string(
		    json_object_array_get_idx(c->models, i)), f);
	plan_free(&plan);
	return rc;
}

/* The items of the run: a copy of every golden sample of the prompt (in
 * the samples' order, by id) for each model, made by the database in one
 * statement per model; or one set of values without checks. */
static int insert_items(struct db *db, struct start_ctx *c)
{
	static const char q_samples[] =
	    "INSERT INTO golden_run_items (run_id, user_id, position, sample_id,"
	    " sample_name, variables, expected, checks, threshold, judge_model,"
	    " model) SELECT ?, ?, (ROW_NUMBER() OVER (ORDER BY s.id) - 1) * ? + ?,"
	    " s.id, s.name, s.variables, s.expected_output, s.checks, s.threshold,"
	    " s.judge_model, ? FROM golden_samples s"
	    " WHERE s.user_id = ? AND s.prompt_id = ?";
	static const char q_values[] =
	    "INSERT INTO golden_run_items (run_id, user_id, position, sample_name,"
	    " variables, checks, model) VALUES (?, ?, ?, ?, ?, '[]', ?)";
	size_t nm = json_object_array_length(c->models), k;
	int64_t rc = 0;

	for (k = 0; k < nm && rc >= 0; k++) {
		const char *model = json_object_get_string(
		    json_object_array_get_idx(c->models, k));

		rc = c->rs->variables != NULL ?
		    db_exec(db, q_values, DB_ARGS(db_i(c->id), db_i(c->uid),
		    db_i((int64_t)k), db_s(msg_get("runs.values_sample")),
		    db_s(text_of(c->rs->variables)), db_s(model))) :
		    db_exec(db, q_samples, DB_ARGS(db_i(c->id), db_i(c->uid),
		    db_i((int64_t)nm), db_i((int64_t)k), db_s(model),
		    db_i(c->uid), db_i(c->pid)));
	}
	if (rc >= 0)
		rc = db_exec(db, "UPDATE golden_runs SET items_total = (SELECT"
		    " COUNT(*) FROM golden_run_items WHERE run_id = ?) WHERE id = ?",
		    DB_ARGS(db_i(c->id), db_i(c->id)));
	return rc < 0 ? (int)rc : 0;
}

static int start_fn(struct db *db, void *arg)
{
	struct start_ctx *c = arg;
	const struct run_start *rs = c->rs;
	struct db_res res = { 0 };
	int64_t rc;

	rc = db_exec(db, "INSERT INTO golden_runs (user_id, prompt_id, kind,"
	    " version_id, version_number, draft, models, channel, api_key_id,"
	    " items_total, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
	    DB_ARGS(db_i(c->uid), db_i(c->pid), db_s(rs->kind),
	    c->vid ? db_i(c->vid) : db_null(),
	    c->number ? db_i(c->number) : db_null(),
	    db_s(rs->draft ? text_of(rs->draft) : NULL),
	    db_s(text_of(c->models)), db_s(rs->channel),
	    rs->api_key_id ? db_i(rs->api_key_id) : db_null(), db_i(rs->now)));
	if (rc < 0)
		return (int)rc;
	c->id = db_insert_id(db);
	if ((rc = insert_items(db, c)) != 0)
		return (int)rc;
	rc = db_query(db, "SELECT items_total FROM golden_runs WHERE id = ?",
	    DB_ARGS(db_i(c->id)), &res);
	c->total = rc == 1 ? db_int(&res, 0, 0) : 0;
	db_res_free(&res);
	if (rc < 0)
		return (int)rc;
	/* No sample: nothing is kept. */
	return c->total == 0 ? pm_refuse(c->f, PM_CONFLICT, "runs.no_samples",
	    NULL) : 0;
}

int64_t golden_run_start(struct db *db, int64_t uid, const struct run_start *rs,
    struct pm_fail *f)
{
	struct start_ctx c;
	char model[MODEL_ID_MAX + 1];
	int rc;

	memset(&c, 0, sizeof(c));
	c.uid = uid;
	c.rs = rs;
	if ((rc = resolve(db, &c, model, sizeof(model))) != 0 ||
	    (rc = check_models(db, &c, model, f)) != 0)
		goto out;
	c.f = f;
	if ((rc = db_tx(db, start_fn, &c)) != 0)
		goto out;
out:
	json_object_put(c.models);
	return rc != 0 ? rc : c.id;
}

/* -------------------------------------------------------------- reading */

#define RUN_COLS "r.id, r.kind, r.status, r.message, p.slug, p.name," \
	" r.version_number, r.models, r.channel, r.items_total, r.items_done," \
	" r.passed, r.failed, r.errors, r.interrupted, r.skipped, r.score_sum," \
	" r.input_tokens, r.output_tokens, r.cost_micros, r.judge_cost_micros," \
	" r.latency_ms, r.created_at, r.started_at, r.finished_at, r.prompt_id"

static void add_money(json_object *o, const char *key, int64_t micros)
{
	char m[40];

	money_micros(micros, m, sizeof(m));
	json_object_object_add(o, key, json_object_new_string(m));
}

static void add_time(json_object *o, const char *key, const char *t)
{
	if (t != NULL)
		json_add_time(o, key, strtoll(t, NULL, 10));
	else
		json_object_object_add(o, key, NULL);
}

/* Row i of res (RUN_COLS) as a run object. */
static json_object *run_json(const struct db_res *res, size_t i)
{
	json_object *o = json_object_new_object(), *u;
	int64_t total = db_int(res, i, 9), done = db_int(res, i, 10);
	int64_t passed = db_int(res, i, 11), scored, ran;
	int ended = total > 0 && done >= total;
	const char *status = db_str(res, i, 2);

	json_object_object_add(o, "id", json_object_new_int64(db_int(res, i, 0)));
	json_object_object_add(o, "kind", json_object_new_string(db_str(res, i, 1)));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "ended", json_object_new_boolean(ended));
	json_object_object_add(o, "result", !ended ? NULL :
	    json_object_new_string(strcmp(status, "completed") == 0 &&
	    passed == total ? "passed" : "failed"));
	json_object_object_add(o, "message", db_str(res, i, 3) ?
	    json_object_new_string(db_str(res, i, 3)) : NULL);
	json_object_object_add(o, "prompt", json_object_new_string(db_str(res, i, 4)));
	json_object_object_add(o, "prompt_name",
	    json_object_new_string(db_str(res, i, 5)));
	json_object_object_add(o, "version", db_str(res, i, 6) ?
	    json_object_new_int64(db_int(res, i, 6)) : NULL);
	json_object_object_add(o, "models", json_tokener_parse(db_str(res, i, 7)));
	json_object_object_add(o, "channel", json_object_new_string(db_str(res, i, 8)));
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "done", json_object_new_int64(done));
	json_object_object_add(o, "passed", json_object_new_int64(passed));
	json_object_object_add(o, "failed", json_object_new_int64(db_int(res, i, 12)));
	json_object_object_add(o, "errors", json_object_new_int64(db_int(res, i, 13)));
	json_object_object_add(o, "interrupted",
	    json_object_new_int64(db_int(res, i, 14)));
	json_object_object_add(o, "skipped", json_object_new_int64(db_int(res, i, 15)));
	json_object_object_add(o, "percent",
	    json_object_new_int64(total ? done * 100 / total : 0));
	/* The score is the mean of the samples that were judged. */
	scored = passed + db_int(res, i, 12);
	json_object_object_add(o, "score", scored ? json_new_double(
	    (double)(int64_t)(strtod(db_str(res, i, 16), NULL) / (double)scored *
	    10000 + 0.5) / 10000) : NULL);
	u = json_object_new_object();
	json_object_object_add(u, "input_tokens",
	    json_object_new_int64(db_int(res, i, 17)));
	json_object_object_add(u, "output_tokens",
	    json_object_new_int64(db_int(res, i, 18)));
	json_object_object_add(o, "usage", u);
	json_object_object_add(o, "cost_micros",
	    json_object_new_int64(db_int(res, i, 19)));
	add_money(o, "cost", db_int(res, i, 19));
	json_object_object_add(o, "judge_cost_micros",
	    json_object_new_int64(db_int(res, i, 20)));
	add_money(o, "judge_cost", db_int(res, i, 20));
	ran = done - db_int(res, i, 15) - db_int(res, i, 14);
	json_object_object_add(o, "latency_ms", ran > 0 ?
	    json_object_new_int64(db_int(res, i, 21) / ran) : NULL);
	/* From the first sample taken to the last done (or to now). */
	json_object_object_add(o, "time_ms", db_str(res, i, 23) ?
	    json_object_new_int64(((ended && db_str(res, i, 24) ?
	    db_int(res, i, 24) : clock_now()) - db_int(res, i, 23)) *
	    1000) : NULL);
	add_time(o, "created_at", db_str(res, i, 22));
	add_time(o, "started_at", db_str(res, i, 23));
	add_time(o, "finished_at", ended ? db_str(res, i, 24) : NULL);
	return o;
}

static json_object *opt_int(const struct db_res *res, size_t i, size_t col)
{
	return db_str(res, i, col) ? json_object_new_int64(db_int(res, i, col)) :
	    NULL;
}

static const char item_q[] =
    "SELECT position, sample_id, sample_name, model, status, output,"
    " finish_reason, results, score, error, input_tokens, output_tokens,"
    " cost_micros, judge_cost_micros, latency_ms, ttft_ms, execution_id,"
    " attempts FROM golden_run_items WHERE run_id = ? ORDER BY position";

static json_object *items_json(const struct db_res *res)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < res->nrows; i++) {
		json_object *o = json_object_new_object();
		const char *s;

		json_object_object_add(o, "position", json_object_new_int64(
		    db_int(res, i, 0)));
		json_object_object_add(o, "sample_id", opt_int(res, i, 1));
		json_object_object_add(o, "sample",
		    json_object_new_string(db_str(res, i, 2)));
		json_object_object_add(o, "model",
		    json_object_new_string(db_str(res, i, 3)));
		json_object_object_add(o, "status",
		    json_object_new_string(db_str(res, i, 4)));
		s = db_str(res, i, 5);
		json_object_object_add(o, "output", s ? json_object_new_string_len(
		    s, (int)db_len(res, i, 5)) : NULL);
		s = db_str(res, i, 6);
		json_object_object_add(o, "finish_reason",
		    s ? json_object_new_string(s) : NULL);
		s = db_str(res, i, 7);
		json_object_object_add(o, "checks", s ? json_tokener_parse(s) :
		    json_object_new_array());
		s = db_str(res, i, 8);
		json_object_object_add(o, "score", s ? json_new_double(
		    strtod(s, NULL)) : NULL);
		s = db_str(res, i, 9);
		json_object_object_add(o, "error", s ? json_object_new_string(s) :
		    NULL);
		json_object_object_add(o, "input_tokens", opt_int(res, i, 10));
		json_object_object_add(o, "output_tokens", opt_int(res, i, 11));
		json_object_object_add(o, "cost_micros", opt_int(res, i, 12));
		json_object_object_add(o, "judge_cost_micros", opt_int(res, i, 13));
		json_object_object_add(o, "latency_ms", opt_int(res, i, 14));
		json_object_object_add(o, "ttft_ms", opt_int(res, i, 15));
		json_object_object_add(o, "execution_id", opt_int(res, i, 16));
		json_object_object_add(o, "attempts", json_object_new_int64(
		    db_int(res, i, 17)));
		json_object_array_add(a, o);
	}
	return a;
}

/* The samples by id of run id that passed (status passed: 1) or not, in
 * *statuses (caller puts) {"<sample_id>": [name, passed]}. */
static int statuses_of(struct db *db, int64_t run, json_object **out)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT sample_id, sample_name, status"
	    " FROM golden_run_items WHERE run_id = ? AND sample_id IS NOT NULL"
	    " ORDER BY position", DB_ARGS(db_i(run)), &res), i;

	*out = json_object_new_object();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_new_array();

		json_object_array_add(e, json_object_new_string(db_str(&res,
		    (size_t)i, 1)));
		json_object_array_add(e, json_object_new_boolean(strcmp(
		    db_str(&res, (size_t)i, 2), "passed") == 0));
		json_object_object_add(*out, db_str(&res, (size_t)i, 0), e);
	}
	db_res_free(&res);
	return n < 0 ? (int)n : 0;
}

static int64_t int_member(json_object *o, const char *k)
{
	return json_object_get_int64(json_object_object_get(o, k));
}

/* The comparison of run with the baseline run base (both run objects). */
static int compare(struct db *db, json_object *run, json_object *base,
    json_object **out)
{
	json_object *now_s, *then_s, *o, *nf, *np, *v;
	int rc;

	if ((rc = statuses_of(db, int_member(run, "id"), &now_s)) != 0)
		return rc;
	if ((rc = statuses_of(db, int_member(base, "id"), &then_s)) != 0) {
		json_object_put(now_s);
		return rc;
	}
	o = json_object_new_object();
	nf = json_object_new_array();
	np = json_object_new_array();
	json_object_object_foreach(now_s, sid, e) {
		json_object *t = json_object_object_get(then_s, sid);
		int pass_now = json_object_get_boolean(json_object_array_get_idx(e, 1));

		if (t == NULL)
			continue;
		if (pass_now != json_object_get_boolean(
		    json_object_array_get_idx(t, 1)))
			json_object_array_add(pass_now ? np : nf, json_object_get(
			    json_object_array_get_idx(e, 0)));
	}
	json_object_object_add(o, "id", json_object_new_int64(int_member(base, "id")));
	json_object_object_add(o, "version", json_object_get(
	    json_object_object_get(base, "version")));
	json_object_object_add(o, "score", json_object_get(
	    json_object_object_get(base, "score")));
	json_object_object_add(o, "cost_micros", json_object_new_int64(
	    int_member(base, "cost_micros")));
	json_object_object_add(o, "latency_ms", json_object_get(
	    json_object_object_get(base, "latency_ms")));
	json_object_object_add(o, "newly_failing", nf);
	json_object_object_add(o, "newly_passing", np);
	v = json_object_object_get(run, "score");
	json_object_object_add(o, "score_delta", v && json_object_object_get(base,
	    "score") ? json_new_double((double)(int64_t)((json_object_get_double(v) -
	    json_object_get_double(json_object_object_get(base, "score"))) *
	    10000 + (json_object_get_double(v) >= json_object_get_double(
	    json_object_object_get(base, "score")) ? 0.5 : -0.5)) / 10000) : NULL);
	json_object_object_add(o, "cost_delta_micros", json_object_new_int64(
	    int_member(run, "cost_micros") - int_member(base, "cost_micros")));
	json_object_object_add(o, "latency_delta_ms",
	    json_object_object_get(run, "latency_ms") &&
	    json_object_object_get(base, "latency_ms") ? json_object_new_int64(
	    int_member(run, "latency_ms") - int_member(base, "latency_ms")) : NULL);
	json_object_put(now_s);
	json_object_put(then_s);
	*out = o;
	return 0;
}

/* The baseline of run (of prompt pid): the last completed regression of
 * the PRODUCTION version, other than run itself. */
static int baseline(struct db *db, int64_t pid, json_object *run,
    json_object **out)
{
	struct db_res res = { 0 };
	json_object *base;
	int64_t n;
	int rc;

	*out = NULL;
	n = db_query(db, "SELECT " RUN_COLS " FROM golden_runs r"
	    " JOIN prompts p ON p.id = r.prompt_id"
	    " JOIN prompt_versions v ON v.id = r.version_id"
	    " WHERE r.prompt_id = ? AND v.status = 'PRODUCTION'"
	    " AND r.kind = 'regression' AND r.status = 'completed'"
	    " AND r.items_done >= r.items_total AND r.id <> ?"
	    " ORDER BY r.id DESC LIMIT 1",
	    DB_ARGS(db_i(pid), db_i(int_member(run, "id"))), &res);
	if (n != 1) {
		db_res_free(&res);
		return n < 0 ? (int)n : 0;
	}
	base = run_json(&res, 0);
	db_res_free(&res);
	rc = compare(db, run, base, out);
	json_object_put(base);
	return rc;
}

int golden_run_get(struct db *db, int64_t uid, int64_t id, const char *kind,
    json_object **out)
{
	struct db_res res = { 0 };
	json_object *o, *b = NULL;
	int64_t n, pid;
	int rc;

	n = db_query(db, "SELECT " RUN_COLS " FROM golden_runs r"
	    " JOIN prompts p ON p.id = r.prompt_id"
	    " WHERE r.id = ? AND r.user_id = ? AND (? IS NULL OR r.kind = ?"
	    "   OR (? = 'regression' AND r.kind = 'trial'))",
	    DB_ARGS(db_i(id), db_i(uid), db_s(kind), db_s(kind), db_s(kind)),
	    &res);
	if (n != 1) {
		db_res_free(&res);
		return n < 0 ? (int)n : PM_NOTFOUND;
	}
	o = run_json(&res, 0);
	pid = db_int(&res, 0, 25);
	db_res_free(&res);
	if ((n = db_query(db, item_q, DB_ARGS(db_i(id)), &res)) < 0) {
		db_res_free(&res);
		json_object_put(o);
		return (int)n;
	}
	json_object_object_add(o, "items", items_json(&res));
	db_res_free(&res);
	if (strcmp(json_str_member(o, "kind", NULL), "benchmark") != 0 &&
	    (rc = baseline(db, pid, o, &b)) != 0) {
		json_object_put(o);
		return rc;
	}
	json_object_object_add(o, "baseline", b);
	*out = o;
	return 0;
}

int golden_run_list(struct db *db, int64_t uid, const char *slug,
    const char *kind, int64_t before, json_object **out)
{
	struct db_res res = { 0 };
	json_object *a, *o;
	int64_t n, i;

	if ((n = prompt_id_by_slug(db, uid, slug)) < 0)
		return (int)n;
	n = db_query(db, "SELECT " RUN_COLS " FROM golden_runs r"
	    " JOIN prompts p ON p.id = r.prompt_id"
	    " WHERE r.prompt_id = ? AND r.kind = ?"
	    " AND (? = 0 OR r.id < ?) ORDER BY r.id DESC LIMIT ?",
	    DB_ARGS(db_i(n), db_s(kind), db_i(before), db_i(before),
	    db_i(RUNS_PAGE + 1)), &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	a = json_object_new_array();
	for (i = 0; i < n && i < RUNS_PAGE; i++)
		json_object_array_add(a, run_json(&res, (size_t)i));
	o = json_object_new_object();
	json_object_object_add(o, "items", a);
	json_object_object_add(o, "next_before", n > RUNS_PAGE ?
	    json_object_new_int64(db_int(&res, RUNS_PAGE - 1, 0)) : NULL);
	db_res_free(&res);
	*out = o;
	return 0;
}

int golden_run_last(struct db *db, int64_t pid, int number, json_object **out)
{
	struct db_res res = { 0 };
	json_object *o, *failing;
	int64_t n, i;

	n = db_query(db, "SELECT " RUN_COLS " FROM golden_runs r"
	    " JOIN prompts p ON p.id = r.prompt_id"
	    " WHERE r.prompt_id = ? AND r.kind = 'regression'"
	    " AND r.version_number = ? ORDER BY r.id DESC LIMIT 1",
	    DB_ARGS(db_i(pid), db_i(number)), &res);
	if (n != 1) {
		db_res_free(&res);
		return n < 0 ? (int)n : 0;
	}
	o = run_json(&res, 0);
	db_res_free(&res);
	n = db_query(db, "SELECT sample_name FROM golden_run_items"
	    " WHERE run_id = ? AND status NOT IN ('passed', 'skipped')"
	    " ORDER BY position",
	    DB_ARGS(db_i(int_member(o, "id"))), &res);
	failing = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(failing, json_object_new_string(
		    db_str(&res, (size_t)i, 0)));
	db_res_free(&res);
	json_object_object_add(o, "failing", failing);
	if (n < 0) {
		json_object_put(o);
		return (int)n;
	}
	*out = o;
	return 1;
}

int golden_run_ended(struct db *db, int64_t uid, int64_t id)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT items_done >= items_total FROM golden_runs"
	    " WHERE id = ? AND user_id = ?", DB_ARGS(db_i(id), db_i(uid)), &res);
	int ended = n == 1 && db_int(&res, 0, 0) != 0;

	db_res_free(&res);
	return n < 0 ? (int)n : n == 0 ? PM_NOTFOUND : ended;
}
