/* admission.c - quota admission and settlement in MariaDB transactions. */
#include "admission.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "executions.h"
#include "money.h"
#include "prompts.h"
#include "util.h"

void period_keys(int64_t t, int64_t *day, int64_t *month, int64_t *minute)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	*day = (int64_t)(tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
	*month = (int64_t)(tm.tm_year + 1900) * 100 + (tm.tm_mon + 1);
	*minute = t / 60;
}

int64_t next_utc_day(int64_t t)
{
	return (t / 86400 + 1) * 86400;
}

int64_t next_utc_month(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (++tm.tm_mon == 12) {
		tm.tm_mon = 0;
		tm.tm_year++;
	}
	return (int64_t)timegm(&tm);
}

struct admit_tx {
	const struct admit_limits	*lim;
	const struct admit_req		*rq;
	struct pm_fail			*f;
	struct admit_ticket		*tk;
};

/* Refuse with quota key, naming the limit and when it resets. */
static int over(struct pm_fail *f, const char *key, int64_t limit,
    int64_t reset_at, int64_t now)
{
	char when[32], amount[40];

	pm_refuse(f, PM_QUOTA, key, NULL);
	if (strstr(key, "spend") != NULL || strstr(key, "budget") != NULL) {
		money_human(limit, amount, sizeof(amount));
		pm_fail_arg(f, "limit", "%s", amount);
	} else {
		pm_fail_arg(f, "limit", "%lld", (long long)limit);
		if (f != NULL)
			f->rate_limit = limit;
	}
	pm_fail_arg(f, "reset", "%s UTC",
	    clock_fmt(reset_at, when, sizeof(when)));
	f->retry_after = reset_at > now ? reset_at - now : 1;
	return PM_QUOTA;
}

/* Note in tk the counter of executions with the fewest left (limit -1:
 * none), used counting this run: the X-RateLimit-* of its answer. */
static void rate_note(struct admit_ticket *tk, int64_t limit, int64_t used,
    int64_t reset_at)
{
	if (limit < 0 || (tk->rl_limit >= 0 && limit - used >= tk->rl_remaining))
		return;
	tk->rl_limit = limit;
	tk->rl_remaining = limit - used > 0 ? limit - used : 0;
	tk->rl_reset = reset_at;
}

/* Refuse as over the cap of runs at once, with the number running. */
static int over_cap(struct pm_fail *f, int64_t cap, int64_t running)
{
	pm_refuse(f, PM_QUOTA, "quota.concurrent", NULL);
	pm_fail_arg(f, "limit", "%lld", (long long)cap);
	pm_fail_arg(f, "running", "%lld", (long long)running);
	f->retry_after = 1;
	return PM_QUOTA;
}

/* Whether the execution counts against its API key's own monthly cap. */
static int key_counted(const struct admit_req *rq)
{
	return rq->api_key_id != 0 && rq->key_cap_micros >= 0;
}

/* Insert the execution as RUNNING. The database's trigger counts it in
 * users.running in the same statement, or refuses it (DB_REFUSED) when
 * the user already has concurrent_cap running. */
static int64_t insert_running(struct db *db, const struct admit_limits *l,
    const struct admit_req *rq, int64_t day, int64_t month, int64_t minute)
{
	return db_exec(db, "INSERT INTO executions (user_id, prompt_id,"
	    " version_id, version_number, model, channel, api_key_id, billing,"
	    " status, reserved_micros, counted, key_counted, concurrent_cap,"
	    " day_key, month_key, minute_key, streamed, input, variables, params,"
	    " output, runner, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
	    " 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)",
	    DB_ARGS(db_i(rq->user_id),
	    rq->prompt_id ? db_i(rq->prompt_id) : db_null(),
	    rq->version_id ? db_i(rq->version_id) : db_null(),
	    rq->version_number ? db_i(rq->version_number) : db_null(),
	    db_s(rq->model), db_s(rq->channel),
	    rq->api_key_id ? db_i(rq->api_key_id) : db_null(),
	    db_s(rq->billing), db_i(rq->reserve_micros), db_i(rq->counted),
	    db_i(key_counted(rq)),
	    l->concurrent >= 0 ? db_i(l->concurrent) : db_null(),
	    db_i(day), db_i(month), db_i(minute), db_i(rq->streamed),
	    db_s(rq->input), db_s(rq->variables), db_s(rq->params),
	    db_s(rq->runner), db_i(rq->now)));
}

/* Fill the ticket of the execution just inserted. */
static void ticket_fill(struct db *db, struct admit_tx *t, int64_t day,
    int64_t month, int64_t minute)
{
	t->tk->id = db_insert_id(db);
	t->tk->user_id = t->rq->user_id;
	t->tk->day = day;
	t->tk->month = month;
	t->tk->minute = minute;
	t->tk->reserved = t->rq->reserve_micros;
	t->tk->counted = t->rq->counted;
	t->tk->api_key_id = t->rq->api_key_id;
	t->tk->key_counted = key_counted(t->rq);
	t->tk->byok = t->rq->byok;
}

/* A BYOK run: the bursts only, against every run of the day (day_all)
 * and of the minute; counted in byok_day and the minute, without spend.
 * Returns 0 or a refusal. */
static int reserve_bursts(struct db *db, struct admit_tx *t, int64_t day_all,
    int64_t min_exec, int64_t day, int64_t minute)
{
	const struct admit_limits *l = t->lim;
	const struct admit_req *rq = t->rq;
	int64_t rc;

	if (l->burst_day >= 0 && day_all + 1 > l->burst_day)
		return over(t->f, "quota.burst_day_byok", l->burst_day,
		    next_utc_day(rq->now), rq->now);
	if (l->burst_minute >= 0 && min_exec + 1 > l->burst_minute)
		return over(t->f, "quota.burst_minute", l->burst_minute,
		    (minute + 1) * 60, rq->now);
	rate_note(t->tk, l->burst_day, day_all + 1, next_utc_day(rq->now));
	rate_note(t->tk, l->burst_minute, min_exec + 1, (minute + 1) * 60);
	rc = db_exec(db, "INSERT INTO usage_counters (user_id, period,"
	    " period_key, executions, spend_micros) VALUES"
	    " (?, 'byok_day', ?, 1, 0), (?, 'minute', ?, 1, 0)"
	    " ON DUPLICATE KEY UPDATE executions = executions + 1",
	    DB_ARGS(db_i(rq->user_id), db_i(day), db_i(rq->user_id),
	    db_i(minute)));
	return rc < 0 ? (int)rc : 0;
}

/* Reserve against the user's counters, with the user's row locked: read
 * the runs in progress and the counters of the current periods, check
 * every limit, increment the counters. Returns 0 or a refusal. */
static int reserve_counters(struct db *db, struct admit_tx *t, int64_t day,
    int64_t month, int64_t minute)
{
	const struct admit_limits *l = t->lim;
	const struct admit_req *rq = t->rq;
	struct db_res res = { 0 };
	int64_t n, i, rc, running;
	int64_t d_exec = 0, m_exec = 0, min_exec = 0, d_spend = 0, m_spend = 0;
	int64_t b_exec = 0;

	/* One statement locks the user's row (serialising the admissions of
	 * this user) and reads the counters of the current periods. */
	n = db_query(db, "SELECT u.running, c.period, c.executions,"
	    " c.spend_micros FROM users u LEFT JOIN usage_counters c"
	    " ON c.user_id = u.id AND"
	    " ((c.period IN ('day', 'byok_day') AND c.period_key = ?) OR"
	    " (c.period = 'month' AND c.period_key = ?) OR"
	    " (c.period = 'minute' AND c.period_key = ?))"
	    " WHERE u.id = ? FOR UPDATE",
	    DB_ARGS(db_i(day), db_i(month), db_i(minute), db_i(rq->user_id)),
	    &res);
	if (n <= 0) {
		db_res_free(&res);
		return n < 0 ? (int)n : PM_NOTFOUND;
	}
	running = db_int(&res, 0, 0);
	for (i = 0; i < n; i++) {
		const char *p = db_str(&res, i, 1);

		if (p == NULL)
			continue;
		if (strcmp(p, "day") == 0) {
			d_exec = db_int(&res, i, 2);
			d_spend = db_int(&res, i, 3);
		} else if (strcmp(p, "month") == 0) {
			m_exec = db_int(&res, i, 2);
			m_spend = db_int(&res, i, 3);
		} else if (strcmp(p, "byok_day") == 0)
			b_exec = db_int(&res, i, 2);
		else
			min_exec = db_int(&res, i, 2);
	}
	db_res_free(&res);
	if (l->concurrent >= 0 && running >= l->concurrent)
		return over_cap(t->f, l->concurrent, running);
	if (rq->byok)
		return reserve_bursts(db, t, d_exec + b_exec, min_exec, day, minute);
	if (l->per_day >= 0 && d_exec + 1 > l->per_day)
		return over(t->f, "quota.per_day", l->per_day,
		    next_utc_day(rq->now), rq->now);
	if (l->per_month >= 0 && m_exec + 1 > l->per_month)
		return over(t->f, "quota.per_month", l->per_month,
		    next_utc_month(rq->now), rq->now);
	if (l->burst_day >= 0 && d_exec + b_exec + 1 > l->burst_day)
		return over(t->f, "quota.burst_day", l->burst_day,
		    next_utc_day(rq->now), rq->now);
	if (l->burst_minute >= 0 && min_exec + 1 > l->burst_minute)
		return over(t->f, "quota.burst_minute", l->burst_minute,
		    (minute + 1) * 60, rq->now);
	if (l->soft_cap_month >= 0 && l->throttle_minute >= 0 &&
	    m_exec >= l->soft_cap_month &&
	    min_exec + 1 > l->throttle_minute)
		return over(t->f, "quota.throttled", l->throttle_minute,
		    (minute + 1) * 60, rq->now);
	if (l->daily_spend_micros >= 0 &&
	    rq->reserve_micros > l->daily_spend_micros - d_spend)
		return over(t->f, "quota.daily_spend", l->daily_spend_micros,
		    next_utc_day(rq->now), rq->now);
	if (l->monthly_budget_micros >= 0 &&
	    rq->reserve_micros > l->monthly_budget_micros - m_spend)
		return over(t->f, "quota.monthly_budget",
		    l->monthly_budget_micros, next_utc_month(rq->now), rq->now);
	rate_note(t->tk, l->per_day, d_exec + 1, next_utc_day(rq->now));
	rate_note(t->tk, l->per_month, m_exec + 1, next_utc_month(rq->now));
	rate_note(t->tk, l->burst_day, d_exec + b_exec + 1,
	    next_utc_day(rq->now));
	rate_note(t->tk, l->burst_minute, min_exec + 1, (minute + 1) * 60);
	rc = db_exec(db, "INSERT INTO usage_counters (user_id, period,"
	    " period_key, executions, spend_micros) VALUES"
	    " (?, 'day', ?, 1, ?), (?, 'month', ?, 1, ?), (?, 'minute', ?, 1, 0)"
	    " ON DUPLICATE KEY UPDATE executions = executions + 1,"
	    " spend_micros = spend_micros + VALUES(spend_micros)",
	    DB_ARGS(db_i(rq->user_id), db_i(day), db_i(rq->reserve_micros),
	    db_i(rq->user_id), db_i(month), db_i(rq->reserve_micros),
	    db_i(rq->user_id), db_i(minute)));
	return rc < 0 ? (int)rc : 0;
}

/* Reserve against the API key's own monthly spend cap, with the key's row
 * locked. Returns 0 or a refusal. */
static int reserve_key(struct db *db, struct admit_tx *t, int64_t month)
{
	const struct admit_req *rq = t->rq;
	struct db_res res = { 0 };
	int64_t n, spent, rc;

	n = db_query(db, "SELECT COALESCE(u.spend_micros, 0) FROM api_keys k"
	    " LEFT JOIN api_key_usage u ON u.key_id = k.id AND u.month_key = ?"
	    " WHERE k.id = ? FOR UPDATE",
	    DB_ARGS(db_i(month), db_i(rq->api_key_id)), &res);
	spent = db_int(&res, 0, 0);
	db_res_free(&res);
	if (n <= 0)
		return n < 0 ? (int)n : PM_NOTFOUND;
	if (rq->reserve_micros > rq->key_cap_micros - spent)
		return over(t->f, "keys.monthly_spend_cap", rq->key_cap_micros,
		    next_utc_month(rq->now), rq->now);
	rc = db_exec(db, "INSERT INTO api_key_usage (key_id, month_key,"
	    " spend_micros) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE"
	    " spend_micros = spend_micros + VALUES(spend_micros)",
	    DB_ARGS(db_i(rq->api_key_id), db_i(month), db_i(rq->reserve_micros)));
	return rc < 0 ? (int)rc : 0;
}

/* Record the execution as RUNNING and fill the ticket; at the cap of runs
 * at once (the trigger's refusal) the refusal names the number running.
 * Returns 0 or a refusal. */
static int record(struct db *db, struct admit_tx *t, int64_t day,
    int64_t month, int64_t minute, int tries)
{
	int64_t rc = DB_RETRY, running;
	struct db_res res = { 0 };

	while (tries-- > 0 && rc == DB_RETRY)
		rc = insert_running(db, t->lim, t->rq, day, month, minute);
	if (rc == DB_REFUSED) {
		rc = db_query(db, "SELECT running FROM users WHERE id = ?",
		    DB_ARGS(db_i(t->rq->user_id)), &res);
		running = db_int(&res, 0, 0);
		db_res_free(&res);
		if (rc < 0)
			return (int)rc;
		return over_cap(t->f, t->lim->concurrent, running);
	}
	if (rc < 0)
		return (int)rc;
	ticket_fill(db, t, day, month, minute);
	return 0;
}

/* The admission that reserves, in a transaction: the user's counters
 * (when counted), the key's cap (when it has one), then the row. */
static int admit_fn(struct db *db, void *arg)
{
	struct admit_tx *t = arg;
	int64_t day, month, minute;
	int rc;

	period_keys(t->rq->now, &day, &month, &minute);
	t->tk->rl_limit = -1;		/* (again when the transaction is retried) */
	if (t->rq->counted &&
	    (rc = reserve_counters(db, t, day, month, minute)) != 0)
		return rc;
	if (key_counted(t->rq) && (rc = reserve_key(db, t, month)) != 0)
		return rc;
	/* in a transaction a deadlock is retried whole by db_tx */
	return record(db, t, day, month, minute, 1);
}

/* The admission of an execution that reserves nothing: one INSERT, the
 * cap of runs at once enforced by the trigger. */
static int admit_uncounted(struct db *db, struct admit_tx *t)
{
	int64_t day, month, minute;

	period_keys(t->rq->now, &day, &month, &minute);
	return record(db, t, day, month, minute, 3);
}


int64_t admission_admit(struct db *db, const struct admit_limits *lim,
    const struct admit_req *rq, struct admit_ticket *tk, struct pm_fail *f)
{
	struct admit_tx t = { lim, rq, f, tk };
	int rc;

	tk->rl_limit = -1;
	/* Nothing counted: a single INSERT, no transaction. */
	rc = rq->counted || key_counted(rq) ? db_tx(db, admit_fn, &t) :
	    admit_uncounted(db, &t);

	return rc != 0 ? rc : tk->id;
}

struct settle_tx {
	const struct admit_ticket	*tk;
	const struct settle_info	*s;
};

/* Give a failed BYOK run's bursts back (a success keeps them). */
static int settle_bursts(struct db *db, const struct admit_ticket *tk,
    const struct settle_info *s)
{
	int64_t rc;

	if (!s->release)
		return 0;
	rc = db_exec(db, "UPDATE usage_counters SET executions = executions - 1"
	    " WHERE user_id = ? AND ((period = 'byok_day' AND period_key = ?)"
	    " OR (period = 'minute' AND period_key = ?))",
	    DB_ARGS(db_i(tk->user_id), db_i(tk->day), db_i(tk->minute)));
	return rc < 0 ? (int)rc : 0;
}

static int settle_fn(struct db *db, void *arg)
{
	struct settle_tx *t = arg;
	const struct admit_ticket *tk = t->tk;
	const struct settle_info *s = t->s;
	int64_t rc;

	/* Only a RUNNING execution settles: a second settle matches no row. */
	rc = db_exec(db, "UPDATE executions SET status = ?, error_type = ?,"
	    " error_message = ?, upstream_status = ?, input_tokens = ?,"
	    " output_tokens = ?, cost_micros = ?, cost_source = ?, latency_ms = ?,"
	    " ttft_ms = ?, output = ?, upstream_id = ?, finished_at = ?,"
	    " runner = NULL WHERE id = ? AND status = 'RUNNING'",
	    DB_ARGS(db_s(s->status), db_s(s->error_type), db_s(s->error_message),
	    s->upstream_status ? db_i(s->upstream_status) : db_null(),
	    s->input_tokens >= 0 ? db_i(s->input_tokens) : db_null(),
	    s->output_tokens >= 0 ? db_i(s->output_tokens) : db_null(),
	    db_i(s->cost_micros), db_s(s->cost_source),
	    s->latency_ms >= 0 ? db_i(s->latency_ms) : db_null(),
	    s->ttft_ms >= 0 ? db_i(s->ttft_ms) : db_null(),
	    db_sn(s->output ? s->output : "", s->output ? s->output_len : 0),
	    db_s(s->upstream_id), db_i(s->now), db_i(tk->id)));
	if (rc < 0)
		return (int)rc;
	if (rc == 0)
		return 1;
	if (tk->key_counted && (rc = db_exec(db, "UPDATE api_key_usage SET"
	    " spend_micros = spend_micros + ? WHERE key_id = ? AND month_key = ?",
	    DB_ARGS(db_i(s->release ? -tk->reserved : s->cost_micros -
	    tk->reserved), db_i(tk->api_key_id), db_i(tk->month)))) < 0)
		return (int)rc;
	if (!tk->counted)
		return 0;
	/* A BYOK run counted in the minute and byok_day, without spend. */
	if (tk->byok)
		return settle_bursts(db, tk, s);
	if (s->release)
		rc = db_exec(db, "UPDATE usage_counters SET"
		    " executions = executions - 1,"
		    " spend_micros = spend_micros - IF(period = 'minute', 0, ?)"
		    " WHERE user_id = ? AND ((period = 'day' AND period_key = ?)"
		    " OR (period = 'month' AND period_key = ?)"
		    " OR (period = 'minute' AND period_key = ?))",
		    DB_ARGS(db_i(tk->reserved), db_i(tk->user_id), db_i(tk->day),
		    db_i(tk->month), db_i(tk->minute)));
	else
		rc = db_exec(db, "UPDATE usage_counters SET"
		    " spend_micros = spend_micros + ?"
		    " WHERE user_id = ? AND ((period = 'day' AND period_key = ?)"
		    " OR (period = 'month' AND period_key = ?))",
		    DB_ARGS(db_i(s->cost_micros - tk->reserved), db_i(tk->user_id),
		    db_i(tk->day), db_i(tk->month)));
	return rc < 0 ? (int)rc : 0;
}

int admission_settle(struct db *db, const struct admit_ticket *tk,
    const struct settle_info *s)
{
	struct settle_tx t = { tk, s };

	/* Nothing counted: a single UPDATE, no transaction to open. */
	return tk->counted || tk->key_counted ? db_tx(db, settle_fn, &t) :
	    settle_fn(db, &t);
}

/* Settle as interrupted the executions of the query sql with one
 * parameter v (columns: id, user_id, day_key, month_key, minute_key,
 * reserved_micros, counted, api_key_id, key_counted, billing = 'BYOK').
 * Returns how many were settled or a db_err. */
static int settle_rows(struct db *db, const char *sql, struct dbv v,
    int64_t now)
{
	struct db_res res = { 0 };
	struct settle_info si = { 0 };
	int64_t n, i;
	int done = 0, rc;

	n = db_query(db, sql, &v, 1, &res);
	si.status = "FAILED";
	si.release = 1;
	si.error_type = "interrupted";
	si.error_message = "the server stopped before the run ended";
	si.input_tokens = si.output_tokens = -1;
	si.latency_ms = si.ttft_ms = -1;
	si.cost_source = "none";
	si.now = now;
	for (i = 0; i < n; i++) {
		struct admit_ticket tk;

		tk.id = db_int(&res, i, 0);
		tk.user_id = db_int(&res, i, 1);
		tk.day = db_int(&res, i, 2);
		tk.month = db_int(&res, i, 3);
		tk.minute = db_int(&res, i, 4);
		tk.reserved = db_int(&res, i, 5);
		tk.counted = (int)db_int(&res, i, 6);
		tk.api_key_id = db_int(&res, i, 7);
		tk.key_counted = (int)db_int(&res, i, 8);
		tk.byok = (int)db_int(&res, i, 9);
		if ((rc = admission_settle(db, &tk, &si)) == 0)
			done++;
		else if (rc < 0) {
			db_res_free(&res);
			return rc;
		}
	}
	db_res_free(&res);
	return n < 0 ? (int)n : done;
}

#define SWEEP_COLS "SELECT id, user_id, day_key, month_key, minute_key," \
	" reserved_micros, counted, api_key_id, key_counted," \
	" billing = 'BYOK' FROM executions WHERE status = 'RUNNING'"

int admission_sweep(struct db *db, int64_t now, int (*is_gone)(const char *))
{
	static const char sql_runners[] = "SELECT DISTINCT runner FROM"
	    " executions WHERE status = 'RUNNING' AND runner IS NOT NULL"
	    " LIMIT 200";
	static const char sql_of_runner[] = SWEEP_COLS
	    " AND runner = ? ORDER BY id LIMIT 100";
	static const char sql_old[] = SWEEP_COLS
	    " AND created_at < ? ORDER BY id LIMIT 100";
	struct db_res res = { 0 };
	int64_t timeout = cfg_int(CFG_UPSTREAM_TIMEOUT_MS), older_than, n, i;
	int done = 0, rc;

	/* The runs of processes of this host that are gone, at once. */
	if (is_gone != NULL) {
		n = db_query(db, sql_runners, DB_NOARGS, &res);
		for (i = 0; i < n; i++) {
			const char *who = db_str(&res, i, 0);

			if (!is_gone(who))
				continue;
			if ((rc = settle_rows(db, sql_of_runner, db_s(who), now)) < 0) {
				db_res_free(&res);
				return rc;
			}
			done += rc;
		}
		db_res_free(&res);
		if (n < 0)
			return (int)n;
	}
	/* Any other: a live run ends within the upstream timeout (a day when
	 * there is none); a minute more covers its settlement. */
	older_than = now - (timeout > 0 ? timeout / 1000 : 86400) - 60;
	if ((rc = settle_rows(db, sql_old, db_i(older_than), now)) < 0)
		return rc;
	return done + rc;
}

int admission_usage(struct db *db, int64_t user_id, int64_t now,
    struct json_object **out)
{
	struct db_res res = { 0 };
	struct json_object *o = json_object_new_object();
	int64_t day, month, minute, n, i;
	static const char *const names[] = { "day", "month", "minute",
	    "byok_day" };

	period_keys(now, &day, &month, &minute);
	for (i = 0; i < 4; i++) {
		struct json_object *p = json_object_new_object();
		json_object_object_add(p, "executions", json_object_new_int64(0));
		json_object_object_add(p, "spend_micros", json_object_new_int64(0));
		json_object_object_add(o, names[i], p);
	}
	n = db_query(db, "SELECT period, executions, spend_micros FROM usage_counters"
	    " WHERE user_id = ? AND ((period IN ('day', 'byok_day') AND"
	    " period_key = ?) OR (period = 'month' AND period_key = ?) OR"
	    " (period = 'minute' AND period_key = ?))",
	    DB_ARGS(db_i(user_id), db_i(day), db_i(month), db_i(minute)), &res);
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_object_get(o, db_str(&res, i, 0));
		json_object_object_add(p, "executions",
		    json_object_new_int64(db_int(&res, i, 1)));
		json_object_object_add(p, "spend_micros",
		    json_object_new_int64(db_int(&res, i, 2)));
	}
	db_res_free(&res);
	if (n < 0) {
		json_object_put(o);
		return (int)n;
	}
	*out = o;
	return 0;
}
