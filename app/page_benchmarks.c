/* page_benchmarks.c - HTML pages of model benchmarks: the list of a
 * prompt's benchmarks with the form that starts one (a version, the
 * models the plan can run, every golden sample or one set of variable
 * values), and a benchmark's page: the models ranked by pass rate then
 * cost, the chart of cost against latency (SVG drawn here), and every
 * result side by side; live while it runs, like a regression's. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "benchmarks.h"
#include "buf.h"
#include "golden_runs.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "model_picker.h"
#include "msg.h"
#include "page_runs.h"
#include "pages.h"
#include "plans.h"
#include "prompts.h"
#include "run_worker.h"
#include "util.h"

void h_benchmarks_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *p, *d, *list, *versions, *a;
	size_t i;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if ((rc = golden_run_list(r->db, r->user.id, slug, "benchmark",
	    page_before(r), &list)) != 0) {
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	if ((rc = version_list(r->db, r->user.id, slug, &versions)) != 0) {
		json_object_put(p);
		json_object_put(list);
		answer_fail(r, rc, NULL);
		return;
	}
	a = json_object_object_get(list, "items");
	for (i = 0; i < json_object_array_length(a); i++)
		run_decorate(json_object_array_get_idx(a, i));
	d = page_with_title(r, "prompts", "benchmarks");
	json_object_object_add(d, "slug", json_object_new_string(slug));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "runs", json_object_get(a));
	json_object_object_add(d, "next_before", json_object_get(
	    json_object_object_get(list, "next_before")));
	json_object_object_add(d, "has_runs", json_object_new_boolean(
	    json_object_array_length(a) > 0));
	json_object_object_add(d, "versions", versions);
	json_object_object_add(d, "has_versions", json_object_new_boolean(
	    json_object_array_length(versions) > 0));
	json_object_object_add(d, "picker", model_picker(r, NULL));
	json_object_put(list);
	resp_page(r, 200, "benchmarks/list", d);
}

/* The form's chosen models: a checkbox m.<model id> each. */
static json_object *chosen_models(struct req *r)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < r->form.n; i++)
		if (strncmp(r->form.v[i].key, "m.", 2) == 0)
			json_object_array_add(a, json_object_new_string(
			    r->form.v[i].key + 2));
	return a;
}

void h_benchmark_start(struct req *r)
{
	struct plan_ref ref;
	struct run_start rs = { 0 };
	struct pm_fail f = { 0 };
	const char *mode = req_form(r, "mode"), *vars = req_form(r, "variables");
	const char *ver = req_form(r, "version");
	char path[SLUG_MAX + 64];
	json_object *values = NULL;
	struct json_error je;
	int64_t id, n = 0;

	if (ver == NULL || parse_i64(ver, 1, 1000000000, &n) != 0) {
		answer_fail(r, pm_refuse(&f, PM_INVALID, "runs.bench_version",
		    "version"), &f);
		return;
	}
	if (mode != NULL && strcmp(mode, "values") == 0) {
		values = vars ? json_parse_strict(vars, strlen(vars), &je) : NULL;
		if (values == NULL || !json_object_is_type(values,
		    json_type_object)) {
			json_object_put(values);
			answer_fail(r, pm_refuse(&f, PM_INVALID,
			    "runs.bench_variables_json", "variables"), &f);
			return;
		}
	}
	user_plan_ref(r, &ref);
	rs.ref = &ref;
	rs.kind = "benchmark";
	rs.slug = req_arg(r, "slug");
	rs.version = (int)n;
	rs.models = chosen_models(r);
	rs.variables = values;
	rs.channel = "UI";
	rs.now = r->now;
	id = golden_run_start(r->db, r->user.id, &rs, &f);
	json_object_put(rs.models);
	json_object_put(values);
	if (id < 0) {
		answer_fail(r, (int)id, &f);
		return;
	}
	run_kick();
	snprintf(path, sizeof(path), "/prompts/%s/benchmarks/%lld", rs.slug,
	    (long long)id);
	redirect_flash(r, path, "benchmark_started");
}

/* The items of run grouped by sample, each with one cell per model in
 * the run's order: [{"sample", "cells": [item...]}]. */
static json_object *side_by_side(json_object *run)
{
	json_object *items = json_object_object_get(run, "items"), *rows, *row = NULL;
	size_t nm = json_object_array_length(json_object_object_get(run, "models"));
	size_t i;

	rows = json_object_new_array();
	for (i = 0; i < json_object_array_length(items); i++) {
		json_object *it = json_object_array_get_idx(items, i);

		if (nm == 0 || i % nm == 0) {
			row = json_object_new_object();
			json_object_object_add(row, "sample", json_object_get(
			    json_object_object_get(it, "sample")));
			json_object_object_add(row, "cells", json_object_new_array());
			json_object_array_add(rows, row);
		}
		json_object_array_add(json_object_object_get(row, "cells"),
		    json_object_get(it));
	}
	return rows;
}

void h_benchmark_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *run, *p, *d, *ranking;
	struct buf svg = { 0 };
	int rc;

	if ((rc = golden_run_get(r->db, r->user.id, req_num(r, "id"),
	    "benchmark", &run)) != 0 ||
	    (rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		if (rc == 0)
			json_object_put(run);
		answer_fail(r, rc, NULL);
		return;
	}
	if (strcmp(run_text(run, "prompt"), slug) != 0) {
		json_object_put(run);
		json_object_put(p);
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	run_decorate(run);
	ranking = bench_ranking(run);
	bench_chart_svg(ranking, &svg);
	d = page_with_title(r, "prompts", "benchmark");
	json_object_object_add(d, "confirm_stop", json_object_new_string(
	    msg_get("runs.confirm_stop")));
	json_object_object_add(d, "runs_path", json_object_new_string("benchmarks"));
	json_object_object_add(d, "slug", json_object_new_string(slug));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "ranking", ranking);
	json_object_object_add(d, "rows", side_by_side(run));
	json_object_object_add(d, "run", run);
	/* Built here with every label escaped (benchmarks.c). */
	json_object_object_add(d, "chart", json_object_new_string(buf_cstr(&svg)));
	buf_free(&svg);
	resp_page(r, 200, "benchmarks/show", d);
}
