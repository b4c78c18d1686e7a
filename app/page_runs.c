/* page_runs.c - HTML pages of regression runs and trials: start one from
 * a version page (or, as a trial, from the unsaved editor), the run page
 * with its live progress bar and results as they arrive (the page
 * refreshes its live part from itself, static/js/runs.js), its summary
 * and its baseline, the list of a prompt's runs, and the page shown when
 * the promotion gate refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "gate.h"
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
#include "run_queue.h"
#include "run_worker.h"
#include "util.h"

const char *run_text(json_object *o, const char *key)
{
	const char *s = json_str_member(o, key, NULL);

	return s != NULL ? s : "";
}

/* The length of array a; 0 when it is not one (absent). */
static size_t len_of(json_object *a)
{
	return json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
}

int64_t page_before(struct req *r)
{
	const char *b = req_query(r, "before");
	int64_t v;

	return b != NULL && parse_i64(b, 1, INT64_MAX, &v) == 0 ? v : 0;
}

static void flag(json_object *o, const char *name, int on)
{
	if (on)
		json_object_object_add(o, name, json_object_new_boolean(1));
}

/* "has_<name>" on o when its array member name is not empty. */
static void has(json_object *o, const char *name)
{
	char key[48];

	snprintf(key, sizeof(key), "has_%s", name);
	flag(o, key, len_of(json_object_object_get(o, name)) > 0);
}

/* "is_<status>" on o for its "status" member. */
static void status_flag(json_object *o)
{
	const char *st = json_str_member(o, "status", NULL);
	char name[40];

	if (st == NULL)
		return;
	snprintf(name, sizeof(name), "is_%s", st);
	flag(o, name, 1);
}

/* A number with its sign, for deltas: "+0.25", "-3". */
static void add_signed(json_object *o, const char *name, json_object *v)
{
	char t[48];

	if (v == NULL)
		return;
	snprintf(t, sizeof(t), "%s%s", json_object_get_double(v) > 0 ? "+" : "",
	    json_object_get_string(v));
	json_object_object_add(o, name, json_object_new_string(t));
}

void run_decorate(json_object *run)
{
	json_object *items = json_object_object_get(run, "items"), *b, *v;
	size_t i, k;
	char t[48];

	status_flag(run);
	has(run, "failing");
	has(run, "items");
	flag(run, "many_models", json_object_array_length(
	    json_object_object_get(run, "models")) > 1);
	json_object_object_add(run, "model_text", json_object_get(
	    json_object_array_get_idx(json_object_object_get(run, "models"), 0)));
	flag(run, "is_trial", strcmp(run_text(run, "kind"),
	    "trial") == 0);
	flag(run, "result_passed", json_object_object_get(run, "result") &&
	    strcmp(run_text(run, "result"), "passed") == 0);
	if ((v = json_object_object_get(run, "time_ms")) != NULL) {
		snprintf(t, sizeof(t), "%.1f s", json_object_get_int64(v) / 1000.0);
		json_object_object_add(run, "time_text", json_object_new_string(t));
	}
	if ((v = json_object_object_get(run, "score")) != NULL) {
		snprintf(t, sizeof(t), "%.0f%%", json_object_get_double(v) * 100);
		json_object_object_add(run, "score_pct", json_object_new_string(t));
	}
	for (i = 0; i < len_of(items); i++) {
		json_object *it = json_object_array_get_idx(items, i), *cs;

		status_flag(it);
		if ((v = json_object_object_get(it, "score")) != NULL) {
			snprintf(t, sizeof(t), "%.0f%%",
			    json_object_get_double(v) * 100);
			json_object_object_add(it, "score_pct",
			    json_object_new_string(t));
		}
		cs = json_object_object_get(it, "checks");
		for (k = 0; k < len_of(cs); k++) {
			json_object *c = json_object_array_get_idx(cs, k);
			char name[40];

			snprintf(name, sizeof(name), "is_%s",
			    run_text(c, "state"));
			flag(c, name, 1);
			has(c, "diff");
		}
	}
	if ((b = json_object_object_get(run, "baseline")) != NULL) {
		has(b, "newly_failing");
		has(b, "newly_passing");
		add_signed(b, "score_delta_text", json_object_object_get(b,
		    "score_delta"));
		add_signed(b, "latency_delta_text", json_object_object_get(b,
		    "latency_delta_ms"));
		flag(b, "cost_up", json_object_get_int64(json_object_object_get(b,
		    "cost_delta_micros")) > 0);
		flag(b, "cost_down", json_object_get_int64(json_object_object_get(b,
		    "cost_delta_micros")) < 0);
		v = json_object_object_get(b, "cost_delta_micros");
		json_object_object_add(b, "cost_delta_abs", json_object_new_int64(
		    llabs(json_object_get_int64(v))));
		flag(b, "unchanged", json_object_array_length(
		    json_object_object_get(b, "newly_failing")) == 0 &&
		    json_object_array_length(json_object_object_get(b,
		    "newly_passing")) == 0);
	}
}

/* Start a run from a page; answer with the run page, or the refusal. */
static void start_page(struct req *r, struct run_start *rs, const char *what)
{
	struct plan_ref ref;
	struct pm_fail f = { 0 };
	char path[SLUG_MAX + 64];
	int64_t id;

	user_plan_ref(r, &ref);
	rs->ref = &ref;
	rs->slug = req_arg(r, "slug");
	rs->channel = "UI";
	rs->now = r->now;
	if ((id = golden_run_start(r->db, r->user.id, rs, &f)) < 0) {
		answer_fail(r, (int)id, &f);
		return;
	}
	run_kick();
	snprintf(path, sizeof(path), "/prompts/%s/%s/%lld", rs->slug, what,
	    (long long)id);
	redirect_flash(r, path, strcmp(rs->kind, "trial") == 0 ?
	    "trial_started" : "run_started");
}

/* The form's one model, or none (the version's). */
static json_object *form_models(struct req *r, const char *field)
{
	const char *m = req_form(r, field);
	json_object *a;

	if (m == NULL || *m == '\0')
		return NULL;
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string(m));
	return a;
}

/* A regression of version n on the form's model (none: the version's). */
static void regression(struct req *r, int n)
{
	struct run_start rs = { 0 };

	rs.kind = "regression";
	rs.version = n;
	rs.models = form_models(r, "model");
	start_page(r, &rs, "regressions");
	json_object_put(rs.models);
}

void h_regression_start(struct req *r)
{
	regression(r, (int)req_num(r, "n"));
}

void h_regression_start_form(struct req *r)
{
	const char *v = req_form(r, "version");
	struct pm_fail f = { 0 };
	int64_t n;

	if (v == NULL || parse_i64(v, 1, 1000000000, &n) != 0) {
		answer_fail(r, pm_refuse(&f, PM_INVALID, "runs.bench_version",
		    "version"), &f);
		return;
	}
	regression(r, (int)n);
}

void h_trial_start(struct req *r)
{
	struct run_start rs = { 0 };
	struct pm_fail f = { 0 };
	json_object *in = version_form_fields(r), *content = NULL;
	int rc;

	if ((rc = version_content(in, NULL, &content, &f)) != 0) {
		json_object_put(in);
		answer_fail(r, rc, &f);
		return;
	}
	json_object_put(in);
	rs.kind = "trial";
	rs.draft = content;
	start_page(r, &rs, "regressions");
	json_object_put(content);
}

void h_regression_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *run, *p, *d;
	int rc;

	if ((rc = golden_run_get(r->db, r->user.id, req_num(r, "id"), NULL,
	    &run)) != 0 || (rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		if (rc == 0)
			json_object_put(run);
		answer_fail(r, rc, NULL);
		return;
	}
	if (strcmp(run_text(run, "prompt"), slug) != 0 ||
	    strcmp(run_text(run, "kind"), "benchmark") == 0) {
		json_object_put(run);
		json_object_put(p);
		answer_fail(r, PM_NOTFOUND, NULL);
		return;
	}
	run_decorate(run);
	d = page_with_title(r, "prompts", "regression");
	json_object_object_add(d, "confirm_stop", json_object_new_string(
	    msg_get("runs.confirm_stop")));
	json_object_object_add(d, "runs_path", json_object_new_string("regressions"));
	json_object_object_add(d, "slug", json_object_new_string(slug));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "run", run);
	resp_page(r, 200, "runs/show", d);
}

void h_regressions_page(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	json_object *list = NULL, *trials = NULL, *p, *d, *a, *versions;
	size_t i;
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	if ((rc = golden_run_list(r->db, r->user.id, slug, "regression",
	    page_before(r), &list)) != 0 || (rc = golden_run_list(r->db, r->user.id, slug,
	    "trial", 0, &trials)) != 0) {
		json_object_put(list);
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	a = json_object_object_get(list, "items");
	for (i = 0; i < json_object_array_length(a); i++)
		run_decorate(json_object_array_get_idx(a, i));
	a = json_object_object_get(trials, "items");
	for (i = 0; i < json_object_array_length(a); i++)
		run_decorate(json_object_array_get_idx(a, i));
	if ((rc = version_list(r->db, r->user.id, slug, &versions)) != 0) {
		json_object_put(list);
		json_object_put(trials);
		json_object_put(p);
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "prompts", "regressions");
	json_object_object_add(d, "versions", versions);
	json_object_object_add(d, "has_versions", json_object_new_boolean(
	    len_of(versions) > 0));
	json_object_object_add(d, "picker", model_picker(r, NULL));
	json_object_object_add(d, "slug", json_object_new_string(slug));
	has(list, "items");
	has(trials, "items");
	json_object_object_add(d, "has_runs", json_object_get(
	    json_object_object_get(list, "has_items")));
	json_object_object_add(d, "has_trials", json_object_get(
	    json_object_object_get(trials, "has_items")));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "runs", json_object_get(
	    json_object_object_get(list, "items")));
	json_object_object_add(d, "next_before", json_object_get(
	    json_object_object_get(list, "next_before")));
	json_object_object_add(d, "trials", json_object_get(
	    json_object_object_get(trials, "items")));
	json_object_put(list);
	json_object_put(trials);
	resp_page(r, 200, "runs/list", d);
}

int gate_refused_page(struct req *r, const char *slug, int number, int rc,
    struct pm_fail *f)
{
	json_object *d, *p, *last = NULL;
	struct buf m = { 0 };
	int64_t pid;

	if (rc != PM_CONFLICT || f->key == NULL || strncmp(f->key, "gate.", 5) != 0)
		return 0;
	if (prompt_get(r->db, r->user.id, slug, &p) != 0)
		return 0;
	pid = json_object_get_int64(json_object_object_get(p, "id"));
	if (golden_run_last(r->db, pid, number, &last) == 1)
		run_decorate(last);
	pm_fail_text(rc, f, &m);
	d = page_with_title(r, "prompts", "gate_refused");
	json_object_object_add(d, "slug", json_object_new_string(slug));
	json_object_object_add(d, "prompt", p);
	json_object_object_add(d, "number", json_object_new_int(number));
	json_object_object_add(d, "message", json_object_new_string(buf_cstr(&m)));
	json_object_object_add(d, "last", last);
	buf_free(&m);
	resp_page(r, 409, "runs/gate_refused", d);
	return 1;
}

void run_last_to_page(struct req *r, json_object *d, json_object *p,
    int number)
{
	json_object *last = NULL;
	struct gate g;

	if (golden_run_last(r->db, json_object_get_int64(json_object_object_get(p,
	    "id")), number, &last) == 1) {
		run_decorate(last);
		json_object_object_add(d, "last_run", last);
	}
	if (gate_get(r->db, r->user.id, run_text(p, "slug"), &g) == 0 &&
	    g.required)
		json_object_object_add(d, "gate_on", json_object_new_boolean(1));
}

void h_run_stop(struct req *r)
{
	const char *slug = req_arg(r, "slug");
	int bench = strstr(r->path, "/benchmarks/") != NULL;
	int64_t id = req_num(r, "id");
	char path[SLUG_MAX + 64];
	json_object *o;
	int rc;

	if ((rc = golden_run_get(r->db, r->user.id, id, bench ? "benchmark" :
	    "regression", &o)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	rc = strcmp(run_text(o, "prompt"), slug) != 0 ? PM_NOTFOUND : 0;
	json_object_put(o);
	if (rc == 0 && (rc = run_stop(r->db, r->user.id, id, r->now)) >= 0) {
		snprintf(path, sizeof(path), "/prompts/%s/%s/%lld", slug,
		    bench ? "benchmarks" : "regressions", (long long)id);
		redirect_flash(r, path, rc == 1 ? "run_stopped" : "run_ended");
		return;
	}
	answer_fail(r, rc, NULL);
}
