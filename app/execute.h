/* execute.h - the execution pipeline, one code path for the run page and
 * the API:
 *   1. resolve the prompt version and render its messages strictly;
 *   2. plan checks before any upstream call (channel, model, max_tokens);
 *   3. admission: reserve against every counter in one transaction;
 *   4. the upstream call (streaming or not);
 *   5. settle: actual tokens and cost replace the reservation;
 *   6. on failure the reservation is released and the error recorded.
 * Refusals use the codes of prompts.h (PM_FORBIDDEN, PM_QUOTA,
 * PM_UPSTREAM, PM_TIMEOUT, PM_RATELIMIT...) with a catalog key in the
 * struct pm_fail; answer_fail() turns them into HTTP answers.
 */
#ifndef PM_EXECUTE_H
#define PM_EXECUTE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct plan_ref;

struct db;
struct pm_fail;

/* The counter of executions an admitted run has the fewest left of: the
 * X-RateLimit-Limit, -Remaining and -Reset (epoch seconds) of its answer;
 * limit -1 when it counts against none. */
struct exec_rate {
	int64_t		 limit, remaining, reset;
};

struct exec_input {
	int64_t		 user_id;
	/* What the session read: the assigned plan (0: none), its enum
	 * plan_source, the catalog generation (0: unknown). */
	int64_t		 plan_id;
	int		 plan_source;
	int64_t		 catalog_gen;
	/* The API key of the call (0: none) and its monthly cap (-1: none). */
	int64_t		 api_key_id;
	int64_t		 key_cap_micros;
	const char	*slug;
	int		 version;	/* 0: the PRODUCTION version, else latest */
	const char	*model;		/* NULL or "": the version's default */
	json_object	*variables;	/* typed values; NULL is none */
	int64_t		 max_tokens;	/* -1: the version's parameter */
	const char	*channel;	/* "UI" or "API" */
	int		 stream;
	/* Streaming: each piece of output as it arrives; return non-zero
	 * when the client is gone (the upstream call is cancelled). Called
	 * once, before the first delta, with text NULL: the run is admitted
	 * and the response may begin. */
	int		(*on_delta)(void *arg, const char *text, size_t len);
	int		(*should_cancel)(void *arg);
	void		*arg;
	int64_t		 now;
	/* The OpenAI-compatible API (NULL/0 otherwise). slug NULL: the model
	 * is called directly with messages alone; with a slug, messages
	 * follow the rendered ones. extra: parameters passed through to the
	 * provider as they are (they override the version's; max_tokens goes
	 * in max_tokens above). on_chunk: every chunk of a stream as it
	 * arrives; keep_doc: the provider's whole answer in the result's
	 * "completion". */
	json_object	*messages;
	json_object	*extra;
	/* When set: the id of the model called, written before the call
	 * (MODEL_ID_MAX + 1 bytes). */
	char		*model_out;
	/* When set: the run's rate limit, written once it is admitted. */
	struct exec_rate *rate_out;
	int		(*on_chunk)(void *arg, json_object *chunk);
	int		 keep_doc;
	/* A trial of golden samples (run_item.c): unsaved content of the
	 * prompt slug to render instead of a version (version_render_draft;
	 * NULL: none). The execution has the prompt and no version. */
	json_object	*draft;
};

/* Run one execution. Returns 0 with *result set to {"id", "status",
 * "prompt", "version", "model", "output", "finish_reason", "usage":
 * {"input_tokens","output_tokens"}, "cost_micros", "cost", "latency_ms",
 * "ttft_ms"} (caller puts), or a refusal / failure code with f filled;
 * *exec_id is the recorded execution's id (0 when refused before
 * admission). */
int execute_run(struct db *db, const struct exec_input *in,
    json_object **result, int64_t *exec_id, struct pm_fail *f);

/* What the run page shows before running: {"plan": {code,name}, "daily":
 * {"used","limit","left","exhausted","reset" (text, UTC),"reset_at"
 * (epoch)} (daily executions, when limited), "models": models_list()
 * entries with "allowed", "demo": bool}. Returns 0 with *out (caller
 * puts) or a failure. */
int execute_context(struct db *db, const struct plan_ref *ref, int64_t now,
    json_object **out);
/* The catalog for a model picker: {"plan": {code,name}, "models":
 * models_list() entries with "allowed" (the plan can run it)}. Returns 0
 * with *out (caller puts) or a failure. */
int execute_models(struct db *db, const struct plan_ref *ref,
    json_object **out);
/* The "daily" object of execute_context() as it is now, in *out (caller
 * puts), NULL when the plan has no daily limit. Returns 0 or a failure. */
int execute_daily(struct db *db, const struct plan_ref *ref, int64_t now,
    json_object **out);

#endif
