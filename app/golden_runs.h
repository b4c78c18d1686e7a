/* golden_runs.h - regression runs, trials and model benchmarks of a
 * prompt's golden samples: starting one (the run and an item per sample,
 * per model for a benchmark, in one transaction; the runners of
 * run_worker.h do the rest), reading one back with its results and its
 * baseline, listing them.
 *
 * Kinds: a regression runs a saved version on one model against every
 * golden sample of its prompt; a trial runs the unsaved editor content
 * (a draft, creating no version) the same way; a benchmark runs one
 * version on several models, against every sample or one set of
 * variable values. Every function takes the owner's user id: another
 * user's prompt or run is PM_NOTFOUND.
 *
 * Error convention (error.h): >= 0 on success, a db_err, or a refusal
 * with its catalog key (templates/messages/en/runs.txt) in f.
 */
#ifndef PM_GOLDEN_RUNS_H
#define PM_GOLDEN_RUNS_H

#include <json-c/json.h>
#include <stdint.h>

struct db;
struct pm_fail;
struct plan_ref;

#define BENCH_MODELS_MAX	8	/* models of one benchmark */
#define RUNS_PAGE		50	/* runs per page of a list */

struct run_start {
	const struct plan_ref	*ref;	/* the account's plan, for the models */
	const char	*kind;		/* "regression", "trial", "benchmark" */
	const char	*slug;
	int		 version;	/* regression, benchmark: 1.. */
	json_object	*draft;		/* trial: the content (borrowed) */
	json_object	*models;	/* array of ids; NULL or []: the
					 * version's (the draft's) model */
	json_object	*variables;	/* benchmark: one set of values
					 * instead of the samples; NULL */
	const char	*channel;	/* "UI" or "API" */
	int64_t		 api_key_id;	/* 0: none */
	int64_t		 now;
};

/* Start a run. Refusals: PM_NOTFOUND (prompt, version), PM_CONFLICT
 * runs.no_samples (the prompt has no golden samples), PM_INVALID
 * runs.unknown_model / runs.models_count / runs.model_twice (field
 * "model(s)"), PM_FORBIDDEN runs.model_not_allowed (naming the model and
 * the plan). Returns the new run's id. */
int64_t golden_run_start(struct db *db, int64_t uid, const struct run_start *rs,
    struct pm_fail *f);

/* Run id of the owner as JSON (kind NULL: any, else that kind, where
 * "regression" takes in trials; a run of another kind is PM_NOTFOUND): {"id","kind","status","ended","result"
 * ("passed"|"failed"|null until it ended),"message","prompt",
 * "prompt_name","version","models","channel","total","done","passed",
 * "failed","errors","interrupted","skipped","percent","score",
 * "usage":{"input_tokens","output_tokens"},"cost_micros","cost",
 * "judge_cost_micros","judge_cost","time_ms","created_at","started_at",
 * "finished_at","items":[{"position","sample_id","sample","model",
 * "status","output","finish_reason","checks":[{"type","not","weight",
 * "state","pass","reason","measure"?,"diff"?}],"score","error",
 * "input_tokens","output_tokens","cost_micros","judge_cost_micros",
 * "latency_ms","ttft_ms","execution_id","attempts"}],"baseline"}, items
 * by position. "baseline" (regressions and trials; null when there is
 * none): the last completed regression of the PRODUCTION version on the
 * same prompt (another run): {"id","version","score","cost_micros",
 * "latency_ms" (mean per sample),"newly_failing":[names],
 * "newly_passing":[names],"score_delta","cost_delta_micros",
 * "latency_delta_ms"}. Returns 0 with *out (caller puts), or an error. */
int golden_run_get(struct db *db, int64_t uid, int64_t id, const char *kind,
    json_object **out);

/* The runs of kind of the owner's prompt slug, newest first, before run
 * id before (0: from the newest), RUNS_PAGE at most: {"items":[run
 * without items and baseline],"next_before":id|null}. Returns 0 or an
 * error. */
int golden_run_list(struct db *db, int64_t uid, const char *slug,
    const char *kind, int64_t before, json_object **out);

/* Whether run id of the owner ended (every item done): 1, 0, PM_NOTFOUND
 * or a db_err. */
int golden_run_ended(struct db *db, int64_t uid, int64_t id);

/* The last regression run of version number of prompt pid: 1 with *out
 * (caller puts, as golden_run_get without items but with "failing":
 * [names of the samples that failed or could not be run], not those
 * skipped), 0 when the version has
 * none, or a db_err. */
int golden_run_last(struct db *db, int64_t pid, int number, json_object **out);

#endif
