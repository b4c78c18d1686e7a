/* run_item.c - one item of a golden run (see run_item.h). */
#include "run_item.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "clock.h"
#include "db.h"
#include "diff.h"
#include "error.h"
#include "execute.h"
#include "jsonx.h"
#include "judge.h"
#include "msg.h"
#include "util.h"

/* Whether a refusal is the cap of runs at once: the item waits. */
static int at_cap(int rc, const struct pm_fail *f)
{
	return rc == PM_QUOTA && f->key != NULL &&
	    strcmp(f->key, "quota.concurrent") == 0;
}

/* The sentence of a failure, with every variable error of its details
 * (a page shows only the first; an item keeps them all). */
static void fail_text(int rc, const struct pm_fail *f, struct buf *out)
{
	size_t i, n = f->details ? json_object_array_length(f->details) : 0;

	if (n == 0) {
		pm_fail_text(rc, f, out);
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(out, " ");
		pm_detail_text(json_object_array_get_idx(f->details, i), out);
	}
}

/* The exec_input of a background execution of job j: the account's plan
 * read afresh (no session), on the run's channel, never streamed. */
static void input_of(const struct run_job *j, int (*cancel)(void *),
    struct exec_input *in)
{
	memset(in, 0, sizeof(*in));
	in->should_cancel = cancel;
	in->user_id = j->user_id;
	in->api_key_id = j->api_key_id;
	in->key_cap_micros = j->api_key_id ? j->key_cap_micros : -1;
	in->channel = j->channel;
	in->max_tokens = -1;
	in->now = clock_now();
}

/* The judge of one rubric check: the judge model through the pipeline.
 * Returns 0 with r decided, ITEM_LIMIT's refusal (rc PM_QUOTA, not the
 * cap) with f filled, or 1 when r became an error. */
static int judge(struct db *db, const struct run_job *j, int (*cancel)(void *),
    const struct check *c, const struct item_run *ir, struct check_result *r,
    int64_t *cost, struct pm_fail *f)
{
	struct exec_input in;
	struct judge_verdict v;
	json_object *res = NULL, *msgs;
	struct buf why = { 0 };
	const char *answer;
	int64_t id;
	int rc;

	if (j->judge_model == NULL) {
		check_errored(r, "runs.no_judge", NULL);
		return 1;
	}
	input_of(j, cancel, &in);
	msgs = judge_messages(c->text, ir->output.data ? ir->output.data : "",
	    ir->output.len);
	in.messages = msgs;
	in.model = j->judge_model;
	in.max_tokens = JUDGE_MAX_TOKENS;
	rc = execute_run(db, &in, &res, &id, f);
	json_object_put(msgs);
	if (rc == 0)
		*cost += json_object_get_int64(json_object_object_get(res,
		    "cost_micros"));
	if (rc == PM_QUOTA && !at_cap(rc, f)) {
		json_object_put(res);
		return rc;
	}
	if (rc != 0) {
		pm_fail_text(rc, f, &why);
		check_errored(r, "runs.judge_failed", buf_cstr(&why));
		pm_fail_clear(f);
		buf_free(&why);
		return 1;
	}
	answer = json_str_member(res, "output", NULL);
	if (judge_parse(answer ? answer : "", answer ? strlen(answer) : 0, &v,
	    &why) != 0) {
		check_errored(r, "runs.judge_failed", buf_cstr(&why));
		buf_free(&why);
		json_object_put(res);
		return 1;
	}
	check_judged(c, v.pass, v.reason, r);
	json_object_put(res);
	return 0;
}

/* Whether check c compares the output with a text: its result then shows
 * the line and word diff of that text (expected) and the output. */
static const char *compared_text(const struct check *c, const char *expected,
    size_t *len)
{
	switch (c->type) {
	case CHECK_EQUALS:
	case CHECK_LEVENSHTEIN:
	case CHECK_ROUGE_N:
	case CHECK_BLEU:
		if (c->text != NULL) {
			*len = c->text_len;
			return c->text;
		}
		*len = expected ? strlen(expected) : 0;
		return expected;
	default:
		return NULL;
	}
}

static const char *state_name(enum check_state s)
{
	return s == CHECK_PASS ? "pass" : s == CHECK_FAIL ? "fail" : "error";
}

/* The result of check c as stored: {type, not, weight, state, pass,
 * reason, measure?, diff?}. */
static json_object *result_json(const struct check *c,
    const struct check_result *r, const char *expected,
    const struct item_run *ir)
{
	json_object *o = json_object_new_object();
	const char *text;
	size_t len = 0;

	json_object_object_add(o, "type",
	    json_object_new_string(check_type_name(c->type)));
	json_object_object_add(o, "not", json_object_new_boolean(c->negate));
	json_object_object_add(o, "weight", json_new_double(c->weight));
	json_object_object_add(o, "state",
	    json_object_new_string(state_name(r->state)));
	json_object_object_add(o, "pass",
	    json_object_new_boolean(r->state == CHECK_PASS));
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	if (r->has_measure)
		json_object_object_add(o, "measure", json_new_double(r->measure));
	if ((text = compared_text(c, expected, &len)) != NULL) {
		struct diff_row *rows = NULL;
		size_t n = 0;

		diff_lines(text, len, ir->output.data ? ir->output.data : "",
		    ir->output.len, &rows, &n);
		json_object_object_add(o, "diff", diff_to_json(rows, n));
		diff_free(rows, n);
	}
	return o;
}

/* Evaluate every check of j on the execution's outcome; rubric checks
 * call the judge. Returns 0, or PM_QUOTA (a limit reached by a judge)
 * with f filled. */
static int evaluate(struct db *db, const struct run_job *j,
    int (*cancel)(void *), struct item_run *ir, struct pm_fail *f)
{
	struct checks cs = { 0 };
	struct check_result *rs;
	struct check_score sc;
	struct check_outcome oc = { 0 };
	json_object *arr = json_tokener_parse(j->checks), *out;
	size_t i;
	int rc = 0;

	/* A benchmark of one set of values has no checks: a model passes
	 * when it answers. */
	if (json_object_array_length(arr) > 0 &&
	    checks_parse(arr, j->expected, &cs, f) != 0) {
		/* Saved valid; a check that no longer parses is the item's
		 * error, not the run's. */
		pm_fail_text(PM_INVALID, f, &ir->error);
		pm_fail_clear(f);
		json_object_put(arr);
		ir->o.status = "error";
		return 0;
	}
	json_object_put(arr);
	oc.output = ir->output.data ? ir->output.data : "";
	oc.output_len = ir->output.len;
	oc.expected = j->expected;
	oc.expected_len = j->expected ? strlen(j->expected) : 0;
	oc.finish_reason = ir->finish_reason;
	oc.cost_micros = ir->o.cost_micros;
	oc.latency_ms = ir->o.latency_ms;
	rs = xcalloc(cs.n ? cs.n : 1, sizeof(*rs));
	out = json_object_new_array();
	for (i = 0; i < cs.n; i++) {
		check_eval(&cs.v[i], &oc, &rs[i]);
		if (rs[i].state == CHECK_NEEDS_JUDGE && rc == 0)
			rc = judge(db, j, cancel, &cs.v[i], ir, &rs[i],
			    &ir->o.judge_cost_micros, f);
		if (rc < 0 && rs[i].state == CHECK_NEEDS_JUDGE)
			check_errored(&rs[i], "runs.judge_not_run", NULL);
		if (rc > 0)
			rc = 0;
		json_object_array_add(out, result_json(&cs.v[i], &rs[i],
		    j->expected, ir));
	}
	checks_score(&cs, rs, j->has_threshold, j->threshold, &sc);
	ir->o.score = sc.score;
	ir->o.status = sc.pass ? "passed" : "failed";
	buf_puts(&ir->results, json_to_text(out, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, NULL));
	json_object_put(out);
	free(rs);
	checks_free(&cs);
	return rc;
}

/* The execution's figures from its result into ir. */
static void take_result(struct item_run *ir, json_object *res)
{
	json_object *u = json_object_object_get(res, "usage"), *v;
	const char *s = json_str_member(res, "output", NULL);

	buf_puts(&ir->output, s ? s : "");
	snprintf(ir->finish_reason, sizeof(ir->finish_reason), "%s",
	    (s = json_str_member(res, "finish_reason", NULL)) ? s : "");
	ir->o.input_tokens = (v = json_object_object_get(u, "input_tokens")) ?
	    json_object_get_int64(v) : -1;
	ir->o.output_tokens = (v = json_object_object_get(u, "output_tokens")) ?
	    json_object_get_int64(v) : -1;
	ir->o.cost_micros = json_object_get_int64(json_object_object_get(res,
	    "cost_micros"));
	ir->o.latency_ms = json_object_get_int64(json_object_object_get(res,
	    "latency_ms"));
	ir->o.ttft_ms = (v = json_object_object_get(res, "ttft_ms")) ?
	    json_object_get_int64(v) : -1;
}

enum item_verdict run_item(struct db *db, const struct run_job *j,
    int (*cancel)(void *), struct item_run *ir)
{
	struct pm_fail f = { 0 };
	struct exec_input in;
	json_object *vars, *draft = NULL, *res = NULL;
	int64_t id = 0;
	int rc;

	memset(ir, 0, sizeof(*ir));
	ir->o.score = -1;
	ir->o.input_tokens = ir->o.output_tokens = -1;
	ir->o.latency_ms = ir->o.ttft_ms = -1;
	if (j->slug == NULL) {
		buf_puts(&ir->error, msg_get("runs.prompt_gone"));
		goto error;
	}
	input_of(j, cancel, &in);
	vars = json_tokener_parse(j->variables);
	in.slug = j->slug;
	in.version = j->version;
	in.model = j->model;
	in.variables = vars;
	/* A benchmark streams, so that it measures the time to the first
	 * token (no one reads the stream: the output is kept whole). */
	in.stream = strcmp(j->kind, "benchmark") == 0;
	if (j->draft != NULL)
		in.draft = draft = json_tokener_parse(j->draft);
	rc = execute_run(db, &in, &res, &id, &f);
	json_object_put(vars);
	json_object_put(draft);
	ir->o.execution_id = id;
	/* The cap of runs at once, or the database away for a moment: the
	 * sample waits (any other database failure is its error). */
	if (at_cap(rc, &f) || rc == DB_DOWN || rc == DB_RETRY) {
		pm_fail_clear(&f);
		return ITEM_REQUEUE;
	}
	if (rc == PM_QUOTA) {
		pm_fail_text(rc, &f, &ir->message);
		pm_fail_clear(&f);
		return ITEM_LIMIT;
	}
	if (rc != 0) {
		/* A variable mismatch, an upstream failure, a model the plan
		 * no longer allows: this sample's error; the run goes on. */
		fail_text(rc, &f, &ir->error);
		pm_fail_clear(&f);
		goto error;
	}
	take_result(ir, res);
	json_object_put(res);
	if ((rc = evaluate(db, j, cancel, ir, &f)) != 0) {
		pm_fail_text(rc, &f, &ir->message);
		pm_fail_clear(&f);
	}
	ir->o.output = buf_cstr(&ir->output);
	ir->o.output_len = ir->output.len;
	ir->o.finish_reason = ir->finish_reason;
	ir->o.results = ir->results.len ? buf_cstr(&ir->results) : NULL;
	ir->o.error = ir->error.len ? buf_cstr(&ir->error) : NULL;
	/* A judge that met a limit: this item is recorded, the run stops. */
	return ir->message.len ? ITEM_LIMIT : ITEM_DONE;
error:
	ir->o.status = "error";
	ir->o.error = buf_cstr(&ir->error);
	return ITEM_DONE;
}

void item_run_free(struct item_run *r)
{
	if (r == NULL)
		return;
	buf_free(&r->output);
	buf_free(&r->results);
	buf_free(&r->error);
	buf_free(&r->message);
	memset(r, 0, sizeof(*r));
}
