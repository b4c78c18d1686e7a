/* run_queue.h - the queue of golden run items in MariaDB
 * (db/migrations/016): claiming an item with a lease, recording its
 * outcome with the counters of its run, stopping a run at a limit, and
 * giving back what a dead or late runner held.
 *
 * An item is claimed by one runner (runner.h) at a time: the claim sets
 * claimed_by and lease_until and counts an attempt, in one transaction
 * that also keeps the account within its plan's cap of runs at once
 * (max_concurrent_executions; items of an account beyond it wait). An
 * outcome is recorded only by the runner that holds the claim, in one
 * transaction with the counters of the run: the counters are exact
 * whatever runs at once, and a runner whose claim was taken from it
 * (lease ended) records nothing.
 *
 * Error convention (error.h): >= 0 on success, a negative db_err.
 */
#ifndef PM_RUN_QUEUE_H
#define PM_RUN_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct db;

/* Attempts of an item before a runner that keeps dying on it gives up
 * (the item is then "interrupted"). */
#define RUN_ATTEMPTS	2

/* A claimed item and what running it needs (owned strings, free with
 * run_job_free). */
struct run_job {
	int64_t		 item_id, run_id, user_id, prompt_id;
	int64_t		 api_key_id, key_cap_micros;	/* 0 / -1: none */
	int		 attempts;	/* with this one */
	char		*kind;		/* regression, trial, benchmark */
	char		*channel;	/* UI or API */
	char		*slug;		/* the prompt's; NULL: deleted */
	int		 version;	/* 0 for a trial */
	char		*draft;		/* trial: the content (JSON text) */
	char		*model;
	char		*variables;	/* JSON text */
	char		*expected;	/* NULL: none */
	char		*checks;	/* JSON text */
	int		 has_threshold;
	double		 threshold;
	char		*judge_model;	/* NULL: none */
};

void run_job_free(struct run_job *j);

/* Claim the next due item (oldest run first, then by position) for
 * runner me, with a lease of lease_seconds, skipping accounts at their cap
 * of runs at once. Marks the run running. Returns 1 with j filled, 0 when
 * nothing is due, or a db_err. */
int run_claim(struct db *db, const char *me, int64_t now,
    int64_t lease_seconds, struct run_job *j);

/* Set the lease of item j claimed by me to end at until (an item that
 * will wait on several models: its judges). Returns 1, 0 when no longer
 * claimed by me, or a db_err. */
int run_lease(struct db *db, const struct run_job *j, const char *me,
    int64_t until);
/* The calls an item of j makes: its execution and one judge per rubric
 * check. */
int run_job_calls(const struct run_job *j);

/* The outcome of an item. */
struct item_outcome {
	const char	*status;	/* passed, failed or error */
	int64_t		 execution_id;	/* 0: none */
	const char	*output;	/* NULL: none */
	size_t		 output_len;
	const char	*finish_reason;
	const char	*results;	/* JSON text of the checks' results */
	double		 score;		/* -1: none */
	const char	*error;		/* the sentence of an error, or NULL */
	int64_t		 input_tokens, output_tokens;	/* -1: unknown */
	int64_t		 cost_micros, judge_cost_micros;
	int64_t		 latency_ms, ttft_ms;	/* -1: unknown */
};

/* Record the outcome of item j claimed by me and add it to its run's
 * counters (the run completes with its last item). Returns 1, 0 when the
 * claim is no longer me's (nothing recorded), or a db_err. */
int run_finish(struct db *db, const struct run_job *j, const char *me,
    const struct item_outcome *o, int64_t now);
/* Put item j back in the queue, due at not_before, without counting the
 * attempt (the account was at its cap of runs at once, or the database
 * was away). Returns 1, 0 when no longer claimed by me, or a db_err. */
int run_requeue(struct db *db, const struct run_job *j, const char *me,
    int64_t not_before);
/* Stop the run of item j at a limit: the run becomes stopped_limit with
 * message, j is recorded as skipped, and every item still queued is
 * skipped (counted as done, not run). Items running elsewhere finish and
 * are counted. Returns 0 or a db_err. */
int run_stop_limit(struct db *db, const struct run_job *j, const char *me,
    const char *message, int64_t now);

/* Stop the owner's run (uid) that has not ended: it becomes stopped, its
 * items still queued are skipped; those running finish and are counted.
 * Returns 1, 0 when the run is not the owner's or no longer runs, or a
 * db_err. */
int run_stop(struct db *db, int64_t uid, int64_t run, int64_t now);

/* Give back the items claimed by runners that are gone (is_gone, may be
 * NULL) or whose lease ended before now: queued again, or interrupted
 * (counted) after RUN_ATTEMPTS. At most 100 per call. Returns how many,
 * or a db_err. */
int run_release(struct db *db, int64_t now, int (*is_gone)(const char *));

#endif
