/* execute.c - the execution pipeline (see execute.h). */
#include "execute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission.h"
#include "buf.h"
#include "byok.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "executions.h"
#include "money.h"
#include "jsonx.h"
#include "log.h"
#include "models.h"
#include "plans.h"
#include "runner.h"
#include "prompts.h"
#include "upstream.h"
#include "util.h"

/* Default completion budget used to estimate the maximum cost when the
 * version and the plan set no max_tokens. */
#define DEFAULT_MAX_COMPLETION	4096

/* What a plan must allow: a channel (model NULL) or a model. */
struct wanted {
	unsigned	 channel;
	const char	*model;
	int		 free_tier;
	char		*name;		/* the first plan that allows it */
};

static int channel_allowed(const struct plan *p, unsigned ch)
{
	return (p->allowed_channels & ch) &&
	    (ch != PLAN_CH_API || p->api_access);
}

static int allows(const struct plan *p, void *arg)
{
	struct wanted *w = arg;

	if (w->model != NULL ? !plan_model_allowed(p, w->model, w->free_tier) :
	    !channel_allowed(p, w->channel))
		return 0;
	w->name = xstrdup(p->name);
	return 1;
}

/* The name (caller frees) of the first public plan, by position, that
 * allows w's channel or model; NULL if none does. */
static char *plan_that_allows(struct db *db, struct wanted *w)
{
	w->name = NULL;
	(void)plans_each_public(db, NULL, allows, w);
	return w->name;
}

/* 403 for a model the plan does not allow, naming a plan that does. */
static int refuse_model(struct db *db, struct pm_fail *f,
    const struct plan *p, const char *model, int free_tier, int from_default)
{
	struct wanted w = { 0, model, free_tier, NULL };
	char *other = plan_that_allows(db, &w);
	char what[300];

	snprintf(what, sizeof(what), "%.200s (%.80s plan)", model, p->name);
	pm_refuse(f, PM_FORBIDDEN, other == NULL ? "plan.model_not_allowed_any" :
	    from_default ? "plan.default_model_not_allowed" :
	    "plan.model_not_allowed", "model");
	pm_fail_arg(f, "model", "%s", what);
	pm_fail_arg(f, "allowed", "%s", other ? other : "");
	free(other);
	return PM_FORBIDDEN;
}

/* A rough upper bound of the prompt's tokens: one per 3 bytes plus the
 * per-message overhead. Only used to reserve a maximum cost. */
static int64_t estimate_prompt_tokens(json_object *messages)
{
	int64_t n = 0;
	size_t i;

	for (i = 0; i < json_object_array_length(messages); i++) {
		json_object *c = json_object_object_get(
		    json_object_array_get_idx(messages, i), "content");
		n += json_object_get_string_len(c) / 3 + 8;
	}
	return n;
}

static void limits_of(const struct plan *p, struct admit_limits *l)
{
	l->per_day = plan_seat_limit(p, p->executions_per_day, p->seats_included);
	l->per_month = plan_seat_limit(p, p->executions_per_month, p->seats_included);
	l->burst_minute = p->burst_per_minute;
	l->burst_day = p->burst_per_day;
	l->soft_cap_month = plan_seat_limit(p, p->soft_cap_per_month,
	    p->seats_included);
	l->throttle_minute = p->throttle_per_minute;
	l->daily_spend_micros = p->daily_spend_cap_micros;
	l->monthly_budget_micros = p->monthly_budget_micros;
	l->concurrent = p->max_concurrent_executions;
}

/* Whether any admission limit applies. */
static int limited(const struct admit_limits *l)
{
	return l->per_day >= 0 || l->per_month >= 0 || l->burst_minute >= 0 ||
	    l->burst_day >= 0 || (l->soft_cap_month >= 0 && l->throttle_minute >= 0) ||
	    l->daily_spend_micros >= 0 || l->monthly_budget_micros >= 0;
}

struct stream_ctx {
	const struct exec_input	*in;
	int			 gone;
	int64_t			 deltas;	/* content chunks received */
};

static int relay_delta(void *arg, const char *text, size_t len)
{
	struct stream_ctx *s = arg;

	s->deltas++;
	if (s->in->on_delta != NULL && s->in->on_delta(s->in->arg, text, len) != 0)
		s->gone = 1;
	return s->gone;
}

static int relay_chunk(void *arg, json_object *chunk)
{
	struct stream_ctx *s = arg;

	if (s->in->on_chunk(s->in->arg, chunk) != 0)
		s->gone = 1;
	return s->gone;
}

static int relay_cancel(void *arg)
{
	struct stream_ctx *s = arg;

	if (!s->gone && s->in->should_cancel != NULL &&
	    s->in->should_cancel(s->in->arg) != 0)
		s->gone = 1;
	return s->gone;
}

/* One run as it goes through the steps of execute_run(). */
struct run {
	const struct exec_input	*in;
	struct pm_fail		*f;
	unsigned		 channel;	/* PLAN_CH_* */
	json_object		*rendered;	/* the version, rendered */
	json_object		*msgs, *params;	/* borrowed from rendered */
	int64_t			 prompt_id, version_id;
	int			 number;
	struct model		 model;
	struct plan		 plan;
	int64_t			 max_tokens;	/* -1: none */
	char			*key;		/* the platform key, wiped */
	struct admit_ticket	 ticket;
	struct stream_ctx	 sc;
	struct upstream_res	 rs;
	int64_t			 cost;
	struct settle_info	 si;
	struct byok_choice	 byok;		/* the user's own key, wiped */
	int			 is_byok;	/* the run is on it */
};

/* Wipe and free the key, which lives only for the upstream call. */
static void forget_key(struct run *x)
{
	if (x->key != NULL) {
		explicit_bzero(x->key, strlen(x->key));
		free(x->key);
		x->key = NULL;
	}
}

/* 1. The version, rendered strictly, and its model (or the one asked
 * for), which must be in the active catalog. */
static int step_resolve(struct db *db, struct run *x)
{
	const struct exec_input *in = x->in;
	const char *model_id;
	size_t i;
	int rc, from_default;

	if (in->slug == NULL) {
		/* A model called directly: the caller's messages only. */
		x->rendered = json_object_new_object();
		json_object_object_add(x->rendered, "messages",
		    json_object_get(in->messages));
		json_object_object_add(x->rendered, "params",
		    json_object_new_object());
	} else if (in->draft != NULL) {
		if ((rc = version_render_draft(db, in->user_id, in->slug,
		    in->draft, in->variables, &x->rendered, &x->prompt_id,
		    x->f)) != 0)
			return rc;
	} else if ((rc = version_render_ids(db, in->user_id, in->slug,
	    in->version, in->variables, &x->rendered, &x->prompt_id,
	    &x->version_id, x->f)) != 0)
		return rc;
	x->number = json_object_get_int(json_object_object_get(x->rendered,
	    "version"));
	x->msgs = json_object_object_get(x->rendered, "messages");
	x->params = json_object_object_get(x->rendered, "params");
	/* A managed prompt called with messages: they follow the rendered
	 * ones; parameters of the call override the version's. */
	for (i = 0; in->slug != NULL && in->messages != NULL &&
	    i < json_object_array_length(in->messages); i++)
		json_object_array_add(x->msgs, json_object_get(
		    json_object_array_get_idx(in->messages, i)));
	if (in->extra != NULL) {
		json_object_object_foreach(in->extra, k, v)
			json_object_object_add(x->params, k, json_object_get(v));
	}
	from_default = in->model == NULL || *in->model == '\0';
	model_id = from_default ? json_str_member(x->rendered, "model", NULL) :
	    in->model;
	if ((rc = model_get_at(db, in->catalog_gen, model_id, &x->model)) < 0)
		return rc;
	if (rc == 0 || !x->model.active) {
		pm_refuse(x->f, PM_INVALID, "exec.unknown_model", "model");
		pm_fail_arg(x->f, "model", "%s", model_id);
		return PM_INVALID;
	}
	return 0;
}

/* 2. What the plan allows, before anything is reserved or sent: the
 * channel, the model, the output tokens; then the platform key. */
static int step_plan_checks(struct db *db, struct run *x)
{
	const struct exec_input *in = x->in;
	struct plan_ref ref = { in->user_id, in->plan_id, in->plan_source,
	    in->catalog_gen };
	json_object *o;
	struct buf err = { 0 };
	int rc;

	if ((rc = plan_of(db, &ref, &x->plan)) != 0)
		return rc;
	if (!channel_allowed(&x->plan, x->channel)) {
		struct wanted w = { x->channel, NULL, 0, NULL };
		char *other = plan_that_allows(db, &w);

		rc = pm_refuse(x->f, PM_FORBIDDEN, x->channel == PLAN_CH_API ?
		    (other ? "plan.api_not_allowed" : "plan.api_not_allowed_any") :
		    (other ? "plan.ui_not_allowed" : "plan.ui_not_allowed_any"),
		    NULL);
		pm_fail_arg(x->f, "plan", "%s", x->plan.name);
		pm_fail_arg(x->f, "allowed", "%s", other ? other : "");
		free(other);
		return rc;
	}
	/* The user's own key, when the plan allows BYOK and one applies:
	 * then the plan's model whitelist does not. */
	if (x->plan.byok_allowed) {
		if ((rc = byok_pick(db, byok_vault, in->user_id, x->prompt_id,
		    x->model.id, &x->byok, x->f)) < 0)
			return rc;
		x->is_byok = rc == 1;
	}
	if (!x->is_byok &&
	    !plan_model_allowed(&x->plan, x->model.id, x->model.free_tier))
		return refuse_model(db, x->f, &x->plan, x->model.id,
		    x->model.free_tier, in->model == NULL || *in->model == '\0');
	x->max_tokens = in->max_tokens;
	if (x->max_tokens < 0 &&
	    json_object_object_get_ex(x->params, "max_tokens", &o))
		x->max_tokens = json_object_get_int64(o);
	if (x->max_tokens >= 0 && x->plan.max_tokens_per_execution >= 0 &&
	    x->max_tokens > x->plan.max_tokens_per_execution) {
		rc = pm_refuse(x->f, PM_FORBIDDEN, "plan.max_tokens", "max_tokens");
		pm_fail_arg(x->f, "requested", "%lld", (long long)x->max_tokens);
		pm_fail_arg(x->f, "limit", "%lld",
		    (long long)x->plan.max_tokens_per_execution);
		return rc;
	}
	if (x->max_tokens < 0 && x->plan.max_tokens_per_execution >= 0)
		x->max_tokens = x->plan.max_tokens_per_execution;
	if (x->max_tokens >= 0)
		json_object_object_add(x->params, "max_tokens",
		    json_object_new_int64(x->max_tokens));
	/* The platform key, read per call: never kept in memory longer. */
	if (!x->is_byok && *cfg_str(CFG_OPENROUTER_KEY_FILE) != '\0' &&
	    (x->key = config_read_secret(cfg_str(CFG_OPENROUTER_KEY_FILE),
	    &err)) == NULL) {
		log_error("platform OpenRouter key: %s", buf_cstr(&err));
		buf_free(&err);
		return pm_refuse(x->f, PM_UNAVAILABLE, "exec.no_upstream_key", NULL);
	}
	return 0;
}

/* 3. Admission: reserve against every counter in one transaction and
 * record the execution as RUNNING. Returns its id or a refusal. */
static int64_t step_admit(struct db *db, struct run *x)
{
	const struct exec_input *in = x->in;
	struct admit_limits lim;
	struct admit_req ar = { 0 };
	int64_t id;

	limits_of(&x->plan, &lim);
	ar.user_id = in->user_id;
	ar.prompt_id = x->prompt_id;
	ar.version_id = x->version_id;
	ar.version_number = x->number;
	ar.model = x->model.id;
	ar.channel = in->channel;
	ar.api_key_id = in->api_key_id;
	ar.key_cap_micros = in->api_key_id ? in->key_cap_micros : -1;
	ar.billing = "SYSTEM";
	/* Counters exist to enforce limits: a plan without any has nothing
	 * to reserve against, and its executions skip the user lock. */
	ar.counted = (x->plan.counted_channels & x->channel) != 0 &&
	    limited(&lim);
	ar.streamed = in->stream;
	if (x->is_byok) {
		/* Seed 002: no platform quota, spend cap or budget; the bursts
		 * protect the service and still apply. */
		ar.billing = "BYOK";
		ar.byok = 1;
		lim.per_day = lim.per_month = lim.soft_cap_month = -1;
		lim.throttle_minute = lim.daily_spend_micros = -1;
		lim.monthly_budget_micros = -1;
		ar.counted = (x->plan.counted_channels & x->channel) != 0 &&
		    (lim.burst_minute >= 0 || lim.burst_day >= 0);
	}
	ar.reserve_micros = model_max_cost_micros(&x->model,
	    estimate_prompt_tokens(x->msgs),
	    x->max_tokens >= 0 ? x->max_tokens : DEFAULT_MAX_COMPLETION);
	ar.input = json_object_to_json_string_ext(x->msgs, JSON_C_TO_STRING_PLAIN);
	ar.variables = in->variables ? json_object_to_json_string_ext(
	    in->variables, JSON_C_TO_STRING_PLAIN) : "{}";
	ar.params = json_object_to_json_string_ext(x->params,
	    JSON_C_TO_STRING_PLAIN);
	ar.runner = runner_self();
	ar.now = in->now;
	id = admission_admit(db, &lim, &ar, &x->ticket, x->f);
	if (id > 0 && in->rate_out != NULL) {
		in->rate_out->limit = x->ticket.rl_limit;
		in->rate_out->remaining = x->ticket.rl_remaining;
		in->rate_out->reset = x->ticket.rl_reset;
	}
	return id;
}

/* 4. The upstream call, streaming or not; the client may leave at any
 * moment, which cancels it. */
static void step_call(struct run *x)
{
	const struct exec_input *in = x->in;
	struct upstream_req uq = { 0 };

	x->sc.in = in;
	if (in->model_out != NULL)
		snprintf(in->model_out, MODEL_ID_MAX + 1, "%s", x->model.id);
	if (in->on_delta != NULL && in->on_delta(in->arg, NULL, 0) != 0)
		x->sc.gone = 1;
	uq.base_url = cfg_str(CFG_OPENROUTER_BASE_URL);
	uq.api_key = x->key;
	uq.model = x->model.id;
	if (x->is_byok) {
		uq.base_url = x->byok.base_url;
		uq.api_key = x->byok.key;
		uq.model = x->byok.model;
		uq.plain_openai = !x->byok.openrouter;
	}
	uq.messages = x->msgs;
	uq.params = x->params;
	uq.stream = in->stream;
	uq.connect_timeout_ms = cfg_int(CFG_UPSTREAM_CONNECT_TIMEOUT_MS);
	uq.timeout_ms = cfg_int(CFG_UPSTREAM_TIMEOUT_MS);
	uq.on_delta = in->stream ? relay_delta : NULL;
	uq.should_cancel = relay_cancel;
	uq.arg = &x->sc;
	uq.extra = in->extra;
	uq.on_chunk = in->on_chunk != NULL ? relay_chunk : NULL;
	uq.keep_doc = in->keep_doc;
	if (!x->sc.gone)
		upstream_chat(&uq, &x->rs, NULL);
	else {
		/* The client left before anything was sent upstream. */
		x->rs.status = UP_CANCELLED;
		x->rs.prompt_tokens = x->rs.completion_tokens = -1;
		x->rs.ttft_us = x->rs.latency_us = -1;
	}
	forget_key(x);
	if (x->byok.key != NULL) {
		/* a provider may quote the key it refused */
		byok_scrub(x->rs.error_message, x->byok.key);
		explicit_bzero(x->byok.key, strlen(x->byok.key));
	}
}

/* After a call on the user's own key: a 401, 402 or 429 marks it failing,
 * a success clears the mark (byok_health). */
static void step_key_health(struct db *db, struct run *x)
{
	if (x->is_byok && byok_health(db, x->in->user_id, x->byok.provider,
	    x->byok.failing, x->rs.status == UP_OK ? 200 : x->rs.http_status,
	    x->rs.error_message, clock_now()) < 0)
		log_warn("user %lld: the health of the %s key could not be"
		    " recorded", (long long)x->in->user_id, x->byok.provider);
}

/* What the call cost and how that is known: the provider's figure, else
 * the price table on the tokens reported (or, for a stream the client
 * left, on the chunks received and the prompt estimate). */
static void run_cost(struct run *x)
{
	struct upstream_res *rs = &x->rs;

	/* On the user's own key OpenRouter's cost is only its fee: the
	 * provider's charge is the user's cost. */
	if (x->is_byok && rs->has_upstream_cost) {
		x->cost = rs->upstream_cost_micros;
		x->si.cost_source = "provider";
	} else if (rs->has_cost) {
		x->cost = rs->cost_micros;
		x->si.cost_source = "provider";
	} else if (rs->status == UP_CANCELLED && rs->prompt_tokens < 0 &&
	    rs->completion_tokens < 0 && x->sc.deltas > 0) {
		rs->prompt_tokens = estimate_prompt_tokens(x->msgs);
		rs->completion_tokens = x->sc.deltas;
		x->cost = model_cost_micros(&x->model, rs->prompt_tokens,
		    rs->completion_tokens);
		x->si.cost_source = "price_table";
	} else if (rs->prompt_tokens >= 0 || rs->completion_tokens >= 0) {
		x->cost = model_cost_micros(&x->model, rs->prompt_tokens > 0 ?
		    rs->prompt_tokens : 0, rs->completion_tokens > 0 ?
		    rs->completion_tokens : 0);
		x->si.cost_source = "price_table";
	} else {
		x->cost = 0;
		x->si.cost_source = "none";
	}
}

/* Record the outcome, retrying with a growing pause while the database
 * is away (a restart), for up to settle_retry_seconds: a finished run must
 * give back what it reserved. Settling twice is refused by the database,
 * so a retry after a lost COMMIT counts nothing twice. */
static void settle_until_done(struct db *db, struct run *x, int64_t id)
{
	int64_t until = clock_mono_us() + cfg_int(CFG_SETTLE_RETRY_SECONDS) *
	    1000000;
	useconds_t pause = 100000;
	int rc;

	while (((rc = admission_settle(db, &x->ticket, &x->si)) == DB_DOWN ||
	    rc == DB_RETRY) && clock_mono_us() < until) {
		db_release(db);
		usleep(pause);
		if (pause < 2000000)
			pause *= 2;
	}
	if (rc < 0)
		log_error("execution %lld could not be settled (%s): the sweep"
		    " will", (long long)id, db_strerror(rc));
}

/* 5./6. Settle: the actual tokens and cost replace the reservation; a
 * failure releases it (a run the client stopped after output began keeps
 * what it used). Returns 0 or the refusal of the failed call. */
static int step_settle(struct db *db, struct run *x, int64_t id)
{
	struct upstream_res *rs = &x->rs;
	struct settle_info *si = &x->si;
	int rc = 0;

	run_cost(x);
	si->input_tokens = rs->prompt_tokens;
	si->output_tokens = rs->completion_tokens;
	si->cost_micros = x->cost;
	si->latency_ms = rs->latency_us >= 0 ? rs->latency_us / 1000 : -1;
	si->ttft_ms = rs->ttft_us >= 0 ? rs->ttft_us / 1000 : -1;
	si->output = rs->output.data;
	si->output_len = rs->output.len;
	si->upstream_id = rs->upstream_id[0] ? rs->upstream_id : NULL;
	si->upstream_status = rs->http_status;
	si->now = clock_now();
	if (rs->status == UP_OK)
		si->status = "SUCCEEDED";
	else {
		rc = upstream_fail(rs, cfg_int(CFG_UPSTREAM_TIMEOUT_MS), x->f);
		si->status = rs->status == UP_CANCELLED ? "CANCELLED" : "FAILED";
		/* Nothing used, nothing consumed: only a run cancelled after
		 * output began keeps its quota (its tokens were spent). */
		si->release = rs->status != UP_CANCELLED || x->sc.deltas == 0;
		si->error_type = upstream_error_type(rs);
		si->error_message = rs->error_message[0] ? rs->error_message :
		    upstream_status_name(rs->status);
		log_warn("execution %lld: upstream %s (HTTP %ld)", (long long)id,
		    upstream_status_name(rs->status), rs->http_status);
	}
	settle_until_done(db, x, id);
	return rc;
}

/* The result of a successful run. Returns a new object. */
static json_object *run_result(struct run *x, int64_t id)
{
	struct upstream_res *rs = &x->rs;
	json_object *o = json_object_new_object(), *usage;
	char money[40];

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "status", json_object_new_string(x->si.status));
	json_object_object_add(o, "prompt", x->in->slug ?
	    json_object_new_string(x->in->slug) : NULL);
	json_object_object_add(o, "version", x->number ?
	    json_object_new_int(x->number) : NULL);
	json_object_object_add(o, "model", json_object_new_string(x->model.id));
	json_object_object_add(o, "output", json_object_new_string_len(
	    rs->output.data ? rs->output.data : "", (int)rs->output.len));
	json_object_object_add(o, "finish_reason",
	    json_object_new_string(rs->finish_reason));
	usage = json_object_new_object();
	json_object_object_add(usage, "input_tokens", rs->prompt_tokens >= 0 ?
	    json_object_new_int64(rs->prompt_tokens) : NULL);
	json_object_object_add(usage, "output_tokens", rs->completion_tokens >= 0 ?
	    json_object_new_int64(rs->completion_tokens) : NULL);
	json_object_object_add(o, "usage", usage);
	json_object_object_add(o, "cost_micros", json_object_new_int64(x->cost));
	money_micros(x->cost, money, sizeof(money));
	json_object_object_add(o, "cost", json_object_new_string(money));
	money_human(x->cost, money, sizeof(money));	/* for the page */
	json_object_object_add(o, "cost_display", json_object_new_string(money));
	json_object_object_add(o, "latency_ms",
	    json_object_new_int64(x->si.latency_ms));
	json_object_object_add(o, "ttft_ms", x->si.ttft_ms >= 0 ?
	    json_object_new_int64(x->si.ttft_ms) : NULL);
	if (rs->doc != NULL)
		json_object_object_add(o, "completion", json_object_get(rs->doc));
	return o;
}

int execute_run(struct db *db, const struct exec_input *in,
    json_object **result, int64_t *exec_id, struct pm_fail *f)
{
	struct run x;
	int64_t id;
	int rc;

	memset(&x, 0, sizeof(x));
	x.in = in;
	x.f = f;
	x.channel = strcmp(in->channel, "API") == 0 ? PLAN_CH_API : PLAN_CH_UI;
	x.max_tokens = -1;
	*exec_id = 0;
	*result = NULL;
	if ((rc = step_resolve(db, &x)) != 0 ||
	    (rc = step_plan_checks(db, &x)) != 0)
		goto out;
	if ((id = step_admit(db, &x)) < 0) {
		rc = (int)id;
		goto out;
	}
	*exec_id = id;
	/* A waiting run holds no database connection. */
	db_release(db);
	step_call(&x);
	step_key_health(db, &x);
	if ((rc = step_settle(db, &x, id)) == 0)
		*result = run_result(&x, id);
out:
	forget_key(&x);
	byok_choice_wipe(&x.byok);
	upstream_res_free(&x.rs);
	plan_free(&x.plan);
	model_free(&x.model);
	json_object_put(x.rendered);
	return rc;
}

/* Models of the catalog with what plan allows: {"plan": {code,name},
 * "models": [...] with "allowed"}. */
static json_object *models_of_plan(const struct plan *plan, json_object *models)
{
	json_object *o = json_object_new_object(), *p = json_object_new_object();
	size_t i;

	json_object_object_add(p, "code", json_object_new_string(plan->code));
	json_object_object_add(p, "name", json_object_new_string(plan->name));
	json_object_object_add(o, "plan", p);
	for (i = 0; i < json_object_array_length(models); i++) {
		json_object *m = json_object_array_get_idx(models, i);
		const char *id = json_str_member(m, "id", NULL);
		int ft = json_object_get_boolean(json_object_object_get(m, "free_tier"));

		json_object_object_add(m, "allowed", json_object_new_boolean(
		    plan_model_allowed(plan, id, ft)));
	}
	json_object_object_add(o, "models", models);
	return o;
}

int execute_models(struct db *db, const struct plan_ref *ref, json_object **out)
{
	struct plan plan = { 0 };
	json_object *models;
	int rc;

	if ((rc = plan_of(db, ref, &plan)) != 0)
		return rc;
	if ((rc = models_list(db, &models)) == 0)
		*out = models_of_plan(&plan, models);
	plan_free(&plan);
	return rc;
}

/* Today's executions of the plan's daily limit, or NULL when the plan
 * has none (or the usage cannot be read). */
static json_object *daily_of_plan(struct db *db, const struct plan *plan,
    int64_t user_id, int64_t now)
{
	struct admit_limits lim;
	json_object *usage, *day;
	int64_t used, limit, left;
	char when[32];

	limits_of(plan, &lim);			/* what admission enforces */
	if (lim.per_day < 0 || admission_usage(db, user_id, now, &usage) != 0)
		return NULL;
	used = json_object_get_int64(json_object_object_get(
	    json_object_object_get(usage, "day"), "executions"));
	limit = lim.per_day;
	left = limit - used > 0 ? limit - used : 0;
	json_object_put(usage);
	day = json_object_new_object();
	json_object_object_add(day, "used", json_object_new_int64(used));
	json_object_object_add(day, "limit", json_object_new_int64(limit));
	json_object_object_add(day, "left", json_object_new_int64(left));
	json_object_object_add(day, "exhausted", json_object_new_boolean(left == 0));
	json_object_object_add(day, "reset", json_object_new_string(
	    clock_fmt(next_utc_day(now), when, sizeof(when))));
	json_object_object_add(day, "reset_at", json_object_new_int64(
	    next_utc_day(now)));
	return day;
}

int execute_daily(struct db *db, const struct plan_ref *ref, int64_t now,
    json_object **out)
{
	struct plan plan = { 0 };
	int rc;

	*out = NULL;
	if ((rc = plan_of(db, ref, &plan)) != 0)
		return rc;
	*out = daily_of_plan(db, &plan, ref->user_id, now);
	plan_free(&plan);
	return 0;
}

int execute_context(struct db *db, const struct plan_ref *ref, int64_t now,
    json_object **out)
{
	struct plan plan = { 0 };
	json_object *o, *models, *day;
	int rc;

	if ((rc = plan_of(db, ref, &plan)) != 0)
		return rc;
	if ((rc = models_list(db, &models)) != 0) {
		plan_free(&plan);
		return rc;
	}
	o = models_of_plan(&plan, models);
	json_object_object_add(o, "demo", json_object_new_boolean(
	    *cfg_str(CFG_OPENROUTER_KEY_FILE) == '\0' ||
	    strncmp(cfg_str(CFG_OPENROUTER_BASE_URL), "https://openrouter.ai", 21) != 0));
	if ((day = daily_of_plan(db, &plan, ref->user_id, now)) != NULL)
		json_object_object_add(o, "daily", day);
	plan_free(&plan);
	*out = o;
	return 0;
}
