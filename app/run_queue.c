/* run_queue.c - the queue of golden run items (see run_queue.h). */
#include "run_queue.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "plans.h"
#include "users.h"
#include "util.h"

void run_job_free(struct run_job *j)
{
	if (j == NULL)
		return;
	free(j->kind);
	free(j->channel);
	free(j->slug);
	free(j->draft);
	free(j->model);
	free(j->variables);
	free(j->expected);
	free(j->checks);
	free(j->judge_model);
	memset(j, 0, sizeof(*j));
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct claim_tx {
	const char	*me;
	int64_t		 now, lease;
	struct run_job	*j;
};

/* Whether user uid may have one more item running: its plan's cap of
 * runs at once against its items running now. The account's row is
 * locked first, so that claims of one account run one after the other
 * and each counts what the one before claimed. Returns 1, 0 or a db_err. */
static int under_cap(struct db *db, int64_t uid)
{
	struct db_res res = { 0 };
	struct plan plan = { 0 };
	int64_t n, running;
	int rc;

	if ((rc = user_lock(db, uid)) != 0)
		return rc == PM_NOTFOUND ? 0 : rc;
	n = db_query(db, "SELECT COUNT(*) FROM golden_run_items"
	    " WHERE user_id = ? AND status = 'running' LOCK IN SHARE MODE",
	    DB_ARGS(db_i(uid)), &res);
	running = n == 1 ? db_int(&res, 0, 0) : 0;
	db_res_free(&res);
	if (n < 0)
		return (int)n;
	if ((rc = plan_for_user(db, uid, &plan)) != 0)
		return rc == PM_NOCATALOG ? 0 : rc;
	rc = plan.max_concurrent_executions < 0 ||
	    running < plan.max_concurrent_executions;
	plan_free(&plan);
	return rc;
}

/* The columns of a job, from golden_run_items i, golden_runs r, prompts p
 * and api_keys k. */
static const char job_q[] =
    "SELECT i.id, i.run_id, r.user_id, r.prompt_id, r.api_key_id,"
    " k.monthly_spend_cap_micros, i.attempts, r.kind, r.channel, p.live_slug,"
    " r.version_number, r.draft, i.model, i.variables, i.expected, i.checks,"
    " i.threshold, i.judge_model"
    " FROM golden_run_items i JOIN golden_runs r ON r.id = i.run_id"
    " JOIN prompts p ON p.id = r.prompt_id"
    " LEFT JOIN api_keys k ON k.id = r.api_key_id WHERE i.id = ?";

static int read_job(struct db *db, int64_t id, struct run_job *j)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, job_q, DB_ARGS(db_i(id)), &res);

	if (n == 1) {
		j->item_id = db_int(&res, 0, 0);
		j->run_id = db_int(&res, 0, 1);
		j->user_id = db_int(&res, 0, 2);
		j->prompt_id = db_int(&res, 0, 3);
		j->api_key_id = db_int(&res, 0, 4);
		j->key_cap_micros = db_str(&res, 0, 5) ? db_int(&res, 0, 5) : -1;
		j->attempts = (int)db_int(&res, 0, 6);
		j->kind = xstrdup(db_str(&res, 0, 7));
		j->channel = xstrdup(db_str(&res, 0, 8));
		j->slug = dup_or_null(db_str(&res, 0, 9));
		j->version = (int)db_int(&res, 0, 10);
		j->draft = dup_or_null(db_str(&res, 0, 11));
		j->model = xstrdup(db_str(&res, 0, 12));
		j->variables = xstrdup(db_str(&res, 0, 13));
		j->expected = dup_or_null(db_str(&res, 0, 14));
		j->checks = xstrdup(db_str(&res, 0, 15));
		j->has_threshold = db_str(&res, 0, 16) != NULL;
		j->threshold = j->has_threshold ? strtod(db_str(&res, 0, 16), NULL) : 0;
		j->judge_model = dup_or_null(db_str(&res, 0, 17));
	}
	db_res_free(&res);
	return n < 0 ? (int)n : n == 1;
}

static int claim_fn(struct db *db, void *arg)
{
	struct claim_tx *t = arg;
	struct db_res res = { 0 };
	int64_t n, i, id = 0, run = 0, skip_user = 0;
	int rc = 0;

	/* Ten items are looked at: the first whose account is under its cap
	 * is taken. Claimers running at once skip each other's. */
	n = db_query(db, "SELECT id, run_id, user_id FROM golden_run_items"
	    " WHERE status = 'queued' AND not_before <= ?"
	    " ORDER BY run_id, position LIMIT 10"
	    " FOR UPDATE SKIP LOCKED", DB_ARGS(db_i(t->now)), &res);
	for (i = 0; i < n && id == 0; i++) {
		int64_t uid = db_int(&res, (size_t)i, 2);

		if (uid == skip_user)
			continue;
		if ((rc = under_cap(db, uid)) < 0)
			break;
		if (rc == 1) {
			id = db_int(&res, (size_t)i, 0);
			run = db_int(&res, (size_t)i, 1);
		} else
			skip_user = uid;
	}
	db_res_free(&res);
	if (n < 0)
		return (int)n;
	if (rc < 0)
		return rc;
	if (id == 0)
		return 0;
	n = db_exec(db, "UPDATE golden_run_items SET status = 'running',"
	    " claimed_by = ?, lease_until = ?, attempts = attempts + 1"
	    " WHERE id = ?", DB_ARGS(db_s(t->me), db_i(t->now + t->lease),
	    db_i(id)));
	if (n >= 0)
		n = db_exec(db, "UPDATE golden_runs SET status = 'running',"
		    " started_at = ? WHERE id = ? AND status = 'queued'",
		    DB_ARGS(db_i(t->now), db_i(run)));
	if (n < 0)
		return (int)n;
	run_job_free(t->j);
	return read_job(db, id, t->j) < 0 ? DB_ERROR : 0;
}

int run_claim(struct db *db, const char *me, int64_t now,
    int64_t lease_seconds, struct run_job *j)
{
	struct claim_tx t = { me, now, lease_seconds, j };
	int rc;

	memset(j, 0, sizeof(*j));
	if ((rc = db_tx(db, claim_fn, &t)) != 0) {
		run_job_free(j);
		return rc;
	}
	return j->item_id > 0;
}

/* Add one item of status to run's counters with its totals; the run
 * completes with its last item. */
static int count_item(struct db *db, int64_t run, const char *status,
    const struct item_outcome *o, int64_t now)
{
	/* The assignments run left to right: status and finished_at read
	 * items_done before it is incremented. */
	static const char q[] =
	    "UPDATE golden_runs SET"
	    " status = IF(items_done + 1 >= items_total"
	    "   AND status IN ('queued','running'), 'completed', status),"
	    " finished_at = IF(items_done + 1 >= items_total, ?, finished_at),"
	    " items_done = items_done + 1,"
	    " passed = passed + (? = 'passed'), failed = failed + (? = 'failed'),"
	    " errors = errors + (? = 'error'),"
	    " interrupted = interrupted + (? = 'interrupted'),"
	    " skipped = skipped + (? = 'skipped'),"
	    " score_sum = score_sum + ?, input_tokens = input_tokens + ?,"
	    " output_tokens = output_tokens + ?, cost_micros = cost_micros + ?,"
	    " judge_cost_micros = judge_cost_micros + ?,"
	    " latency_ms = latency_ms + ? WHERE id = ?";
	int64_t n;

	n = db_exec(db, q, DB_ARGS(db_i(now), db_s(status), db_s(status),
	    db_s(status), db_s(status), db_s(status),
	    db_d(o && o->score > 0 ? o->score : 0),
	    db_i(o && o->input_tokens > 0 ? o->input_tokens : 0),
	    db_i(o && o->output_tokens > 0 ? o->output_tokens : 0),
	    db_i(o ? o->cost_micros : 0), db_i(o ? o->judge_cost_micros : 0),
	    db_i(o && o->latency_ms > 0 ? o->latency_ms : 0), db_i(run)));
	return n < 0 ? (int)n : 0;
}

static struct dbv opt_i(int64_t v)
{
	return v >= 0 ? db_i(v) : db_null();
}

struct finish_tx {
	const struct run_job		*j;
	const char			*me;
	const struct item_outcome	*o;
	int64_t				 now;
	int				 done;
};

static int finish_fn(struct db *db, void *arg)
{
	static const char q[] =
	    "UPDATE golden_run_items SET status = ?, execution_id = ?,"
	    " output = ?, finish_reason = ?, results = ?, score = ?, error = ?,"
	    " input_tokens = ?, output_tokens = ?, cost_micros = ?,"
	    " judge_cost_micros = ?, latency_ms = ?, ttft_ms = ?,"
	    " finished_at = ?, claimed_by = NULL, lease_until = NULL"
	    " WHERE id = ? AND status = 'running' AND claimed_by = ?";
	struct finish_tx *t = arg;
	const struct item_outcome *o = t->o;
	int64_t n;

	n = db_exec(db, q, DB_ARGS(db_s(o->status),
	    o->execution_id > 0 ? db_i(o->execution_id) : db_null(),
	    o->output ? db_sn(o->output, o->output_len) : db_null(),
	    db_s(o->finish_reason && *o->finish_reason ? o->finish_reason : NULL),
	    db_s(o->results), o->score >= 0 ? db_d(o->score) : db_null(),
	    db_s(o->error), opt_i(o->input_tokens), opt_i(o->output_tokens),
	    db_i(o->cost_micros), db_i(o->judge_cost_micros),
	    opt_i(o->latency_ms), opt_i(o->ttft_ms), db_i(t->now),
	    db_i(t->j->item_id), db_s(t->me)));
	if (n <= 0) {
		t->done = 0;
		return (int)n;
	}
	t->done = 1;
	return count_item(db, t->j->run_id, o->status, o, t->now);
}

int run_finish(struct db *db, const struct run_job *j, const char *me,
    const struct item_outcome *o, int64_t now)
{
	struct finish_tx t = { j, me, o, now, 0 };
	int rc = db_tx(db, finish_fn, &t);

	return rc < 0 ? rc : t.done;
}

int run_requeue(struct db *db, const struct run_job *j, const char *me,
    int64_t not_before)
{
	int64_t n = db_exec(db, "UPDATE golden_run_items SET status = 'queued',"
	    " claimed_by = NULL, lease_until = NULL, not_before = ?,"
	    " attempts = GREATEST(attempts, 1) - 1"
	    " WHERE id = ? AND status = 'running' AND claimed_by = ?",
	    DB_ARGS(db_i(not_before), db_i(j->item_id), db_s(me)));

	return n < 0 ? (int)n : n > 0;
}

/* Locks are taken items first, then their run, in every transaction
 * here (claim, finish, release, stop): two of them never wait on each
 * other in a cycle. */

/* Mark every item of run still queued skipped (finished, not run). Returns
 * how many, or a db_err. The run's counters are the caller's to add, after
 * (count_skipped()). */
static int64_t skip_queued(struct db *db, int64_t run, int64_t now)
{
	return db_exec(db, "UPDATE golden_run_items SET status = 'skipped',"
	    " finished_at = ? WHERE run_id = ? AND status = 'queued'",
	    DB_ARGS(db_i(now), db_i(run)));
}

/* Count n skipped items as done in run's counters. */
static int count_skipped(struct db *db, int64_t run, int64_t n, int64_t now)
{
	if (n > 0)
		n = db_exec(db, "UPDATE golden_runs SET"
		    " finished_at = IF(items_done + ? >= items_total, ?,"
		    "   finished_at),"
		    " items_done = items_done + ?, skipped = skipped + ?"
		    " WHERE id = ?", DB_ARGS(db_i(n), db_i(now), db_i(n),
		    db_i(n), db_i(run)));
	return n < 0 ? (int)n : 0;
}

struct stop_tx {
	const struct run_job	*j;
	const char		*me, *message;
	int64_t			 now;
};

static int stop_fn(struct db *db, void *arg)
{
	struct stop_tx *t = arg;
	struct item_outcome none = { 0 };
	int64_t mine, queued, n;
	int rc;

	mine = db_exec(db, "UPDATE golden_run_items SET status = 'skipped',"
	    " claimed_by = NULL, lease_until = NULL, finished_at = ?, error = ?"
	    " WHERE id = ? AND status = 'running' AND claimed_by = ?",
	    DB_ARGS(db_i(t->now), db_s(t->message), db_i(t->j->item_id),
	    db_s(t->me)));
	if (mine < 0)
		return (int)mine;
	if ((queued = skip_queued(db, t->j->run_id, t->now)) < 0)
		return (int)queued;
	n = db_exec(db, "UPDATE golden_runs SET status = 'stopped_limit',"
	    " message = ? WHERE id = ? AND status IN ('queued','running')",
	    DB_ARGS(db_s(t->message), db_i(t->j->run_id)));
	if (n < 0)
		return (int)n;
	if (mine == 1 && (rc = count_item(db, t->j->run_id, "skipped", &none,
	    t->now)) != 0)
		return rc;
	return count_skipped(db, t->j->run_id, queued, t->now);
}

int run_stop_limit(struct db *db, const struct run_job *j, const char *me,
    const char *message, int64_t now)
{
	struct stop_tx t = { j, me, message, now };

	return db_tx(db, stop_fn, &t);
}

struct cancel_tx {
	int64_t	 uid, run, now;
	int	 stopped;
};

/* Not stopped after all (the run ended between the look and the update):
 * what was skipped is rolled back. */
#define NOT_STOPPED	1

static int cancel_fn(struct db *db, void *arg)
{
	struct cancel_tx *t = arg;
	struct db_res res = { 0 };
	int64_t n, queued;

	t->stopped = 0;
	/* A plain read: the run's row is locked after its items. */
	n = db_query(db, "SELECT 1 FROM golden_runs WHERE id = ? AND"
	    " user_id = ? AND status IN ('queued','running')",
	    DB_ARGS(db_i(t->run), db_i(t->uid)), &res);
	db_res_free(&res);
	if (n <= 0)
		return (int)n;
	if ((queued = skip_queued(db, t->run, t->now)) < 0)
		return (int)queued;
	n = db_exec(db, "UPDATE golden_runs SET status = 'stopped'"
	    " WHERE id = ? AND user_id = ? AND status IN ('queued','running')",
	    DB_ARGS(db_i(t->run), db_i(t->uid)));
	if (n < 0)
		return (int)n;
	if (n == 0)
		return NOT_STOPPED;
	t->stopped = 1;
	return count_skipped(db, t->run, queued, t->now);
}

int run_stop(struct db *db, int64_t uid, int64_t run, int64_t now)
{
	struct cancel_tx t = { uid, run, now, 0 };
	int rc = db_tx(db, cancel_fn, &t);

	if (rc == NOT_STOPPED)
		return 0;
	return rc < 0 ? rc : t.stopped;
}

struct release_tx {
	int64_t	 now;
	int	 (*is_gone)(const char *);
	int	 n;
};

static int release_fn(struct db *db, void *arg)
{
	struct release_tx *t = arg;
	struct db_res res = { 0 };
	struct item_outcome none = { 0 };
	int64_t n, i;
	int rc = 0;

	t->n = 0;
	n = db_query(db, "SELECT id, run_id, claimed_by, lease_until < ?,"
	    " attempts FROM golden_run_items WHERE status = 'running'"
	    " ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED",
	    DB_ARGS(db_i(t->now)), &res);
	for (i = 0; i < n && rc == 0; i++) {
		const char *who = db_str(&res, (size_t)i, 2);
		int64_t id = db_int(&res, (size_t)i, 0), m;
		int last = db_int(&res, (size_t)i, 4) >= RUN_ATTEMPTS;

		if (!db_int(&res, (size_t)i, 3) && (t->is_gone == NULL ||
		    who == NULL || !t->is_gone(who)))
			continue;
		m = db_exec(db, last ?
		    "UPDATE golden_run_items SET status = 'interrupted',"
		    " claimed_by = NULL, lease_until = NULL, finished_at = ?"
		    " WHERE id = ?" :
		    "UPDATE golden_run_items SET status = 'queued',"
		    " claimed_by = NULL, lease_until = NULL, not_before = ?"
		    " WHERE id = ?", DB_ARGS(db_i(t->now), db_i(id)));
		if (m < 0)
			rc = (int)m;
		else if (last)
			rc = count_item(db, db_int(&res, (size_t)i, 1),
			    "interrupted", &none, t->now);
		t->n++;
	}
	db_res_free(&res);
	return n < 0 ? (int)n : rc;
}

int run_release(struct db *db, int64_t now, int (*is_gone)(const char *))
{
	struct release_tx t = { now, is_gone, 0 };
	int rc = db_tx(db, release_fn, &t);

	return rc < 0 ? rc : t.n;
}

int run_lease(struct db *db, const struct run_job *j, const char *me,
    int64_t until)
{
	int64_t n = db_exec(db, "UPDATE golden_run_items SET lease_until = ?"
	    " WHERE id = ? AND status = 'running' AND claimed_by = ?",
	    DB_ARGS(db_i(until), db_i(j->item_id), db_s(me)));

	return n < 0 ? (int)n : n > 0;
}

int run_job_calls(const struct run_job *j)
{
	json_object *a = json_tokener_parse(j->checks);
	size_t i, n = json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
	int calls = 1;

	for (i = 0; i < n; i++) {
		const char *t = json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(a, i), "type"));

		calls += t != NULL && strcmp(t, "rubric") == 0;
	}
	json_object_put(a);
	return calls;
}
