/* models.h - the model catalog: OpenRouter's models with their prices,
 * synchronised from GET /models (or a JSON file), and the cost arithmetic.
 *
 * Prices are kept per token in nano-dollars (1e-9 USD) and costs in
 * micro-dollars (1e-6 USD), both as integers parsed exactly from the
 * decimal text OpenRouter sends ("0.00000015" USD per token is 150 nanos)
 * and always rounded up, so the platform never undercharges.
 *
 * Error convention: error.h (refusals PM_NOTFOUND, PM_INVALID with their
 * sentence in a struct pm_fail).
 */
#ifndef PM_MODELS_H
#define PM_MODELS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct db;

#ifndef MODEL_ID_MAX
#define MODEL_ID_MAX		200	/* as in prompts.h */
#endif
#define MODEL_NAME_MAX		200	/* characters */
#define MODEL_PROVIDER_MAX	100

/* One catalog row. name is owned: release with model_free(). */
struct model {
	char	 id[MODEL_ID_MAX + 1];		/* "openai/gpt-4o-mini" */
	char	 provider[MODEL_PROVIDER_MAX + 1];	/* "openai" */
	char	*name;				/* "OpenAI: GPT-4o-mini" */
	int64_t	 context_length;		/* tokens, -1 when unknown */
	int64_t	 price_prompt_nanos;		/* USD 1e-9 per input token */
	int64_t	 price_completion_nanos;	/* USD 1e-9 per output token */
	int	 is_free;	/* ":free" model or both prices 0 */
	int	 free_tier;	/* the admin allows it on the FREE plan */
	int	 active;	/* present in the last sync */
	int64_t	 created_at, updated_at;
};

/* Release what m holds (its name) and zero it. Accepts a zeroed m. */
void model_free(struct model *m);

/* Upsert every model of an OpenRouter GET /models document ({"data":
 * [{"id","name","context_length","pricing":{"prompt","completion"}}]})
 * in one transaction: new ones are added with free_tier = is_free,
 * changed ones updated (the admin's free_tier is kept), models missing
 * from the document marked inactive. Entries with an invalid id or price
 * (e.g. the router's "-1") are skipped. Appends "N models (A added, U
 * updated, D deactivated)" (", S skipped" when some were) to report.
 * Returns 0, PM_INVALID (not such a document, or no usable model: the
 * catalog is left alone; the reason is in f) or a db_err. */
int models_sync_json(struct db *db, json_object *models_response,
    int64_t now, struct buf *report, struct pm_fail *f);
/* models_sync_json() on the JSON file at path, or, when path is NULL, on
 * GET {openrouter_base_url}/models (with the configured key when there
 * is one). Returns 0 with the report, or a failure with its sentence in
 * f (PM_INVALID: unreadable file, bad document or key file; PM_UPSTREAM
 * or PM_TIMEOUT: the upstream failed; a db_err: the database failed). */
int models_sync(struct db *db, const char *path, int64_t now,
    struct buf *report, struct pm_fail *f);

/* The catalog row of id (active or not) in *out (release with
 * model_free). Returns 1 found, 0 not found, or a db_err. */
int model_get(struct db *db, const char *id, struct model *out);
/* model_get() from the process's copy of the models table when it is at
 * least as new as the catalog generation gen (read with the session;
 * gen <= 0: unknown, read the row). Same results. */
int model_get_at(struct db *db, int64_t gen, const char *id,
    struct model *out);
/* The active models for a picker, by provider then name: [{"id","name",
 * "provider","is_free","free_tier","price_prompt_nanos",
 * "price_completion_nanos","prompt_usd_per_m","completion_usd_per_m"
 * (exact decimal strings, USD per million tokens),"context_length"
 * (null when unknown)}]. Returns 0 with *out (caller frees) or a db_err. */
int models_list(struct db *db, json_object **out);
/* Whether the model a prompt or version is being saved with is in the
 * catalog: when in (the request's content) holds a "model" string, it
 * must be an active catalog model; a missing, non-string or malformed
 * "model" is left to version_content(). Returns 0, PM_INVALID naming the model
 * ("models.not_in_catalog", field "model"; nothing is saved) or a db_err. */
int model_check_chosen(struct db *db, json_object *in, struct pm_fail *f);
/* Allow (on = 1) or refuse (0) the model on the FREE plan. Returns 0,
 * PM_NOTFOUND or a db_err. */
int model_set_free_tier(struct db *db, const char *id, int on);

/* The cost of a call in micro-dollars, rounded up; negative token counts
 * (unknown) count as 0. Saturates at INT64_MAX. */
int64_t model_cost_micros(const struct model *m, int64_t prompt_tokens,
    int64_t completion_tokens);
/* The most a call can cost, for reservations: model_cost_micros() with
 * max_completion_tokens output tokens. When max_completion_tokens < 0
 * (not set), the model's context length minus the prompt estimate is
 * used, or MODEL_FALLBACK_COMPLETION when the context length is unknown. */
int64_t model_max_cost_micros(const struct model *m,
    int64_t prompt_tokens_estimate, int64_t max_completion_tokens);
#define MODEL_FALLBACK_COMPLETION	16384

#endif
