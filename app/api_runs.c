/* api_runs.c - the JSON API of regression runs and model benchmarks:
 * POST /api/v1/prompts/:slug/regressions and .../benchmarks start one
 * (201 with the run and its Location), GET /api/v1/regressions/:id and
 * /api/v1/benchmarks/:id read one back, GET .../regressions and
 * .../benchmarks of a prompt list them.
 *
 * With "wait": true the answer comes when the run ends, for CI: the
 * request is parked the way a run waiting on its model is (docs/
 * ARCHITECTURE.md, "Runs that wait"): it counts against the process's
 * and the site's caps of runs at once (503 beyond them), holds its thread
 * but no database connection between looks at the run (every
 * WAIT_POLL_MS), and answers 200 with the run once it ended, or 202 with
 * the run as it stands after run_wait_seconds (poll its Location). */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "benchmarks.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "golden_runs.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "model_picker.h"
#include "plans.h"
#include "run_queue.h"
#include "run_worker.h"
#include "server.h"
#include "util.h"

#define WAIT_POLL_MS	500

/* The path of run id of kind ("regressions" or "benchmarks"). */
static void location(struct req *r, const char *what, int64_t id)
{
	resp_header(r, "Location", "/api/v1/%s/%lld", what, (long long)id);
}

/* Wait until run id ended or run_wait_seconds passed. Returns 1 when it
 * ended, 0 when not yet, or a failure (PM_BUSY at the caps). */
static int wait_end(struct req *r, int64_t id)
{
	int64_t until = clock_mono_us() + cfg_int(CFG_RUN_WAIT_SECONDS) * 1000000;
	int rc;

	if (server_run_enter() != 0)
		return PM_BUSY;
	while ((rc = golden_run_ended(r->db, r->user.id, id)) == 0 &&
	    clock_mono_us() < until) {
		db_release(r->db);	/* a parked request holds none */
		usleep(WAIT_POLL_MS * 1000);
	}
	server_run_leave();
	return rc;
}

/* Answer run id: 200 (or status), with the ranking for a benchmark. */
static void send_run(struct req *r, int64_t id, const char *kind, int status)
{
	json_object *o;
	int rc;

	if ((rc = golden_run_get(r->db, r->user.id, id, kind, &o)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if (strcmp(kind, "benchmark") == 0)
		json_object_object_add(o, "ranking", bench_ranking(o));
	resp_json(r, status, o);
}

/* Start a run of kind from the body ({"version", "model"? or "models"?,
 * "variables"?, "wait"?}) and answer it. */
static void start(struct req *r, const char *kind, const char *what)
{
	struct plan_ref ref;
	struct run_start rs = { 0 };
	struct pm_fail f = { 0 };
	json_object *models = NULL, *m;
	int64_t id;
	int rc;

	user_plan_ref(r, &ref);
	rs.ref = &ref;
	rs.kind = kind;
	rs.slug = req_arg(r, "slug");
	rs.version = json_object_get_int(json_member(r->json, "version"));
	if ((m = json_member(r->json, "model")) != NULL) {
		models = json_object_new_array();
		json_object_array_add(models, json_object_get(m));
		rs.models = models;
	} else
		rs.models = json_member(r->json, "models");
	rs.variables = json_member(r->json, "variables");
	rs.channel = "API";
	rs.api_key_id = r->user.api_key_id;
	rs.now = r->now;
	id = golden_run_start(r->db, r->user.id, &rs, &f);
	json_object_put(models);
	if (id < 0) {
		answer_fail(r, (int)id, &f);
		return;
	}
	run_kick();
	location(r, what, id);
	if (!json_object_get_boolean(json_member(r->json, "wait"))) {
		send_run(r, id, kind, 201);
		return;
	}
	if ((rc = wait_end(r, id)) < 0) {
		/* The run goes on: say where to find it. */
		pm_refuse(&f, rc, "runs.wait_busy", NULL);
		f.retry_after = 2;
		answer_fail(r, rc, &f);
		return;
	}
	send_run(r, id, kind, rc == 1 ? 200 : 202);
}

void h_api_regressions_create(struct req *r)
{
	start(r, "regression", "regressions");
}

void h_api_benchmarks_create(struct req *r)
{
	start(r, "benchmark", "benchmarks");
}

void h_api_regression_get(struct req *r)
{
	send_run(r, req_num(r, "id"), "regression", 200);
}

void h_api_benchmark_get(struct req *r)
{
	send_run(r, req_num(r, "id"), "benchmark", 200);
}

static void list(struct req *r, const char *kind)
{
	json_object *o;
	int64_t before = 0;
	const char *b = req_query(r, "before");
	int rc;

	if (b != NULL && *b != '\0' && parse_i64(b, 1, INT64_MAX, &before) != 0) {
		struct pm_fail f = { 0 };

		answer_fail(r, pm_refuse(&f, PM_INVALID, "runs.bad_before",
		    "before"), &f);
		return;
	}
	if ((rc = golden_run_list(r->db, r->user.id, req_arg(r, "slug"), kind,
	    before, &o)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_json(r, 200, o);
}

void h_api_regressions_list(struct req *r)
{
	list(r, "regression");
}

void h_api_benchmarks_list(struct req *r)
{
	list(r, "benchmark");
}

/* Stop run id of kind, then answer it: 200, 404 (not the caller's, of
 * another kind) or 409 (it ended). */
static void stop(struct req *r, const char *kind)
{
	struct pm_fail f = { 0 };
	int64_t id = req_num(r, "id");
	json_object *o;
	int rc;

	if ((rc = golden_run_get(r->db, r->user.id, id, kind, &o)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	json_object_put(o);
	if ((rc = run_stop(r->db, r->user.id, id, r->now)) < 0)
		answer_fail(r, rc, NULL);
	else if (rc == 0)
		answer_fail(r, pm_refuse(&f, PM_CONFLICT, "runs.not_running", NULL),
		    &f);
	else
		send_run(r, id, kind, 200);
}

void h_api_regression_stop(struct req *r)
{
	stop(r, "regression");
}

void h_api_benchmark_stop(struct req *r)
{
	stop(r, "benchmark");
}
