/* admission.h - exact quota admission and settlement of executions.
 *
 * An execution that counts against a quota is admitted in one transaction
 * that locks the user's row, reads the number of the user's runs in
 * progress and the usage counters of the current UTC minute, day and
 * month, checks every limit that applies and, only when all pass,
 * increments the counters and inserts the execution as RUNNING with its
 * reservation. There is no check-then-increment window: concurrent
 * admissions of one user run one after the other, so N attempts with k
 * executions left admit exactly k.
 *
 * A BYOK run (on the user's own key) is admitted the same way against
 * the bursts only: the minute counter and a day counter of its own
 * (byok_day), so the per-day burst counts every run of the day while the
 * plan's daily quota counts only those on the platform's key.
 *
 * The runs in progress are users.running, which the database's triggers
 * keep in the same statement as each execution row that starts or stops
 * RUNNING (db/migrations/010). An execution that counts against nothing
 * is admitted by its INSERT alone: the trigger refuses it when the user
 * already has the plan's cap of runs at once, so a cap of c admits c, in
 * one statement and without a transaction.
 *
 * Settlement replaces the reservation by the actual cost, or releases it
 * entirely when the execution failed (a failed run consumes no quota).
 * Both use the periods recorded at admission, so a run that started
 * before midnight settles into the day it was admitted in.
 */
#ifndef PM_ADMISSION_H
#define PM_ADMISSION_H

#include <json-c/json.h>
#include <stdint.h>

struct db;
struct pm_fail;

/* The plan limits admission enforces; -1 means unlimited. */
struct admit_limits {
	int64_t	per_day;		/* executions per UTC day */
	int64_t	per_month;		/* executions per UTC month */
	int64_t	burst_minute;		/* executions per minute */
	int64_t	burst_day;		/* executions per day (burst) */
	int64_t	soft_cap_month;		/* after this many in the month... */
	int64_t	throttle_minute;	/* ...at most this many per minute */
	int64_t	daily_spend_micros;	/* estimated spend per UTC day */
	int64_t	monthly_budget_micros;	/* spend per UTC month */
	int64_t	concurrent;		/* runs of the user in progress at once */
};

/* What is being admitted. */
struct admit_req {
	int64_t		 user_id, prompt_id, version_id;
	int		 version_number;
	const char	*model;
	const char	*channel;	/* "UI" or "API" */
	const char	*billing;	/* "SYSTEM" or "BYOK" */
	int		 counted;	/* counts against the quotas */
	int64_t		 api_key_id;	/* the API key of the call, 0: none */
	int64_t		 key_cap_micros;	/* its monthly spend cap, -1: none */
	const char	*runner;	/* "host:pid:start" of this process */
	int		 streamed;
	int64_t		 reserve_micros;	/* estimated maximum cost */
	const char	*input, *variables, *params;	/* JSON texts */
	int64_t		 now;
	/* On the user's own key (billing BYOK): only the bursts apply,
	 * counted in the minute and in a day counter of BYOK runs of its
	 * own ('byok_day'); the plan's quotas, spend cap and budget neither
	 * apply nor count it. */
	int		 byok;
};

/* UTC period keys of t: YYYYMMDD, YYYYMM, t / 60. */
void period_keys(int64_t t, int64_t *day, int64_t *month, int64_t *minute);
/* Start of the next UTC day / month after t. */
int64_t next_utc_day(int64_t t);
int64_t next_utc_month(int64_t t);

/* What settlement needs to know of an admitted execution. */
struct admit_ticket {
	int64_t		 id, user_id;
	int64_t		 day, month, minute;	/* the periods it counts in */
	int64_t		 reserved;
	int		 counted;
	int64_t		 api_key_id;
	int		 key_counted;	/* reserved against the key's cap */
	/* The counter of executions with the fewest left after this run
	 * (rl_limit -1: none), for the X-RateLimit-* headers. */
	int64_t		 rl_limit, rl_remaining, rl_reset;
	int		 byok;		/* counted as a BYOK run (bursts only) */
};

/* Admit one execution. Returns the new execution id (tk filled), PM_QUOTA
 * with the catalog key, the limit and Retry-After/reset time in f (for the
 * cap of runs at once: quota.concurrent naming the cap and the runs in
 * progress, Retry-After 1 s), or a db_err. */
int64_t admission_admit(struct db *db, const struct admit_limits *lim,
    const struct admit_req *rq, struct admit_ticket *tk, struct pm_fail *f);

/* The outcome of an execution, for settle. */
struct settle_info {
	const char	*status;	/* SUCCEEDED, FAILED or CANCELLED */
	int		 release;	/* 1: give the quota back (failure) */
	const char	*error_type, *error_message;
	long		 upstream_status;	/* 0 when none */
	int64_t		 input_tokens, output_tokens;	/* -1 unknown */
	int64_t		 cost_micros;
	const char	*cost_source;	/* none, provider, price_table */
	int64_t		 latency_ms, ttft_ms;	/* -1 unknown */
	const char	*output;
	size_t		 output_len;
	const char	*upstream_id;
	int64_t		 now;
};

/* Record the outcome of the admitted execution tk and adjust the counters
 * of its periods: the reservation is replaced by cost_micros, or with
 * release the execution and its reservation are taken off entirely. Runs
 * in one transaction (one statement when nothing was counted); settling an
 * execution twice is refused (returns 1).
 * Returns 0 or a db_err. */
int admission_settle(struct db *db, const struct admit_ticket *tk,
    const struct settle_info *s);

/* Settle as FAILED (quota released) every execution still RUNNING whose
 * process is gone: those whose runner is a process of this host that no
 * longer runs (is_gone(runner) says so), and any that started longer ago
 * than a live run can last (upstream_timeout_ms, or a day without one,
 * plus a minute: a process of another host, a lost database at
 * settlement). At most 100 per call. Returns how many were settled, or a
 * db_err. Safe to run from several processes at once: an execution
 * settles only once. is_gone may be NULL (age only). */
int admission_sweep(struct db *db, int64_t now, int (*is_gone)(const char *));

/* Usage of the user now: {"day":{"executions","spend_micros"},
 * "month":{...}, "minute":{...}, "byok_day":{...}} (byok_day: the BYOK
 * runs of the day, which count in the per-day burst only). */
int admission_usage(struct db *db, int64_t user_id, int64_t now,
    struct json_object **out);

#endif
