/* byok.h - the provider keys users bring (BYOK), sealed by the vault.
 *
 * A user on a plan with byok_allowed keeps at most one key per provider.
 * The providers are a fixed table (byok_providers): OpenRouter first, then
 * OpenAI, Anthropic, Google, Groq, DeepSeek, Together and a custom
 * OpenAI-compatible base URL (Ollama and the like), each with its
 * OpenAI-compatible base URL, how it authenticates, the prefix of the
 * catalog's model ids it serves ("openai/" for OpenAI: openai/gpt-4o is
 * called there as gpt-4o) and how a key is checked (OpenRouter: GET /key;
 * the others: GET /models). Keys are sealed with AES-256-GCM (vault.h),
 * bound to the user and the provider; only their last 4 characters and
 * the date of the last change are ever shown.
 *
 * A key is saved in two steps: byok_test() checks it with the provider
 * and, when the provider accepts it, keeps it sealed as the user's one
 * pending key (byok_pending, for BYOK_PENDING_SECONDS); byok_save() makes
 * the pending key the user's key for its provider. So the plaintext never
 * travels back to the browser between Test and Save.
 *
 * Routing (byok_pick): a prompt may pin a stored key (its provider) or the
 * platform key ("system"). Unpinned, a model whose provider has a key of
 * the user goes to that provider with it; else, when the user has an
 * OpenRouter key, every model goes through OpenRouter with it; else the
 * platform key is used (not BYOK). Groq, Together and the custom base URL
 * serve no catalog prefix: they are used only when a prompt pins them. A
 * key marked failing (a 401, 402 or 429 from the provider) is still used:
 * the next success clears the mark.
 *
 * Error convention: error.h. Refusals carry their catalog key
 * (templates/messages/en/byok.txt) in a struct pm_fail; database failures
 * pass through as db_err. No function logs, returns or puts in a message
 * any part of a key but its last 4 characters.
 */
#ifndef PM_BYOK_H
#define PM_BYOK_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_res;
struct pm_fail;
struct vault;

#define BYOK_PROVIDER_MAX	32
#define BYOK_KEY_MAX		500	/* longest key accepted, bytes */
#define BYOK_URL_MAX		500	/* longest custom base URL */
#define BYOK_PENDING_SECONDS	900	/* a tested key waits this long */
#define BYOK_PIN_SYSTEM		"system"	/* a prompt pinned to the
						 * platform key */

/* How a provider authenticates: every one of the table takes the key as
 * "Authorization: Bearer KEY" on its OpenAI-compatible API (Anthropic's
 * and Google's compatibility layers included); the custom base URL takes
 * any text (Ollama ignores it). */
enum byok_auth { BYOK_AUTH_BEARER, BYOK_AUTH_BEARER_ANY };

/* The characters of a key after its tag. */
enum byok_charset {
	BYOK_CS_ALNUM,		/* [A-Za-z0-9] */
	BYOK_CS_TOKEN,		/* [A-Za-z0-9_-] */
	BYOK_CS_PRINT		/* printable ASCII but space */
};

struct byok_provider {
	const char	*name;		/* "openrouter": stored, in forms */
	const char	*label;		/* "OpenRouter": shown */
	/* The OpenAI-compatible base URL; NULL: openrouter_base_url
	 * (OpenRouter) or the user's own (custom). */
	const char	*base_url;
	/* Catalog model ids it serves: "" every one (OpenRouter), "openai/"
	 * those of that prefix (called without it), NULL none unless a
	 * prompt pins it (then called with the catalog id as it is). */
	const char	*prefix;
	const char	*check_path;	/* "/key" or "/models" */
	enum byok_auth	 auth;
	/* A key's shape: tag, then min to max characters of charset; a key
	 * starting with not_tag (NULL: none) is another provider's. */
	const char	*tag;
	size_t		 min, max;
	enum byok_charset charset;
	const char	*not_tag;
	const char	*hint;		/* what a key looks like, shown */
	int		 needs_url;	/* the user gives the base URL */
};

extern const struct byok_provider byok_providers[];
extern const size_t byok_nproviders;

/* The vault of this process (the master keys app_load() read), set once
 * before the workers start; NULL: none, and no stored key can be read. */
extern const struct vault *byok_vault;

/* The provider named name, or NULL. */
const struct byok_provider *byok_provider(const char *name);
/* Whether key (NUL-terminated) has p's shape. Returns 0, or PM_INVALID
 * (field "key": byok.key_empty, byok.key_malformed naming the provider and
 * its hint, byok.key_other_provider). Never quotes the key. */
int byok_key_check(const struct byok_provider *p, const char *key,
    struct pm_fail *f);
/* Whether url may be a custom provider's base URL: http or https, a host,
 * no user name or password, no query or fragment, at most BYOK_URL_MAX
 * bytes; https unless allow_private, and then only to a host whose every
 * address is public (not loopback, private, link-local, shared, multicast
 * or unspecified) unless allow_private. Resolves the host name. Returns 0,
 * or PM_INVALID (field "base_url", byok.url_*). */
int byok_url_check(const char *url, int allow_private, struct pm_fail *f);
/* The base URL calls to p go to: base_url_override/NAME when the
 * configuration names one (byok_providers_base_url; not for OpenRouter or
 * the custom URL), else the table's, openrouter_base_url or user_url. */
const char *byok_base_url(const struct byok_provider *p, const char *user_url,
    char *buf, size_t n);
/* The model name to send to p for catalog model_id under its routing
 * (see struct byok_provider), into out. Returns 0, or -1 when p serves
 * another prefix only (a pinned OpenAI key cannot run anthropic/...). */
int byok_model_name(const struct byok_provider *p, const char *model_id,
    char *out, size_t n);
/* Mask with '*' in text (NUL-terminated, changed in place) every run of 6
 * or more characters that is also in key: a provider's message quoting
 * the key it refused ("Incorrect API key provided: sk-abc12***wxyz") keeps
 * at most 5 characters of it in a row. */
void byok_scrub(char *text, const char *key);
/* The routing rule (see above) over the providers names[0..n-1] the user
 * keeps keys of, for a prompt pinned to pin (NULL or "": none) running
 * catalog model model_id. Returns the index of the key to use, -1 for the
 * platform key, or -2 when the pinned provider cannot run the model. */
int byok_route(const char *const names[], size_t n, const char *pin,
    const char *model_id);

/* Check key with the provider (GET check_path with it, within timeout_ms)
 * and, when accepted, keep it sealed as the user's pending key (replacing
 * any). user_url: the custom base URL (checked with byok_url_check), else
 * ignored. *info (caller puts) gets what the provider says: OpenRouter's
 * {"label", "limit", "limit_remaining", "usage", "usage_daily",
 * "usage_monthly", "is_free_tier"} (numbers in micro-dollars, null when
 * none), the others' {"models": count}. Returns 0, PM_INVALID (a malformed
 * key or URL, or the provider refused the key: byok.test_refused, field
 * "key"), PM_UPSTREAM (byok.test_unreachable, byok.test_failed),
 * PM_TIMEOUT (byok.test_timeout), PM_UNAVAILABLE (no vault) or a db_err.
 * Nothing is kept on any failure. The caller wipes key after the call. */
int byok_test(struct db *db, const struct vault *v, int64_t user_id,
    const char *provider, const char *key, const char *user_url,
    int allow_private, long timeout_ms, int64_t now, json_object **info,
    struct pm_fail *f);
/* Make the user's pending key, when tested within BYOK_PENDING_SECONDS
 * before now and of provider, the user's key for it (a new key or an
 * update; the health mark is cleared). Returns 0, PM_CONFLICT
 * (byok.test_first: no such pending key, or too old) or a db_err. */
int byok_save(struct db *db, int64_t user_id, const char *provider,
    int64_t now, struct pm_fail *f);
/* Delete the user's key of provider (and any pending one); prompts pinned
 * to it go back to automatic routing. Returns 0, PM_NOTFOUND or a db_err. */
int byok_delete(struct db *db, int64_t user_id, const char *provider);
/* The user's keys, in the order of the providers table: [{"provider",
 * "label", "last4", "base_url" (custom) or null, "created_at",
 * "updated_at", "failing": {"status", "reason", "since"} or null}] in *out
 * (caller puts). Never the sealed text. Returns 0 or a db_err. */
int byok_list(struct db *db, int64_t user_id, json_object **out);
/* The health mark of row of res, whose columns failing_status,
 * failing_reason and failing_since start at col: {"status", "reason",
 * "since"}, or NULL when the key is not failing. */
json_object *byok_failing_json(const struct db_res *res, size_t row,
    size_t col);
/* Whether the user has a pending key of provider tested at or after
 * since: 1, 0, or a db_err. */
int byok_pending_has(struct db *db, int64_t user_id, const char *provider,
    int64_t since);

/* How a request with a BYOK key is made: where, with what key, which
 * model name. key is the plaintext: wipe it (byok_choice_wipe) after the
 * call. */
struct byok_choice {
	char		 provider[BYOK_PROVIDER_MAX + 1];
	char		 base_url[BYOK_URL_MAX + 1];
	char		 model[256];	/* the model's name at that provider */
	char		*key;		/* owned; NULL when not BYOK */
	int		 failing;	/* the key was marked failing */
	int		 openrouter;	/* the provider is OpenRouter */
};

/* The key user_id keeps for the provider of catalog model model_id, under
 * the pin of prompt prompt_id (0: no prompt, automatic routing; see
 * above). Returns 1 with c filled (BYOK), 0 when the platform key is to be
 * used (c zeroed), PM_FORBIDDEN when the prompt pins a provider that
 * cannot run the model (byok.pin_mismatch), PM_INVALID when a custom base
 * URL no longer passes byok_url_check (byok.url_*), PM_UNAVAILABLE with the
 * sentence in f when the stored key cannot be opened (byok.unreadable: a
 * tampered ciphertext or associated data, or a master key the vault lacks;
 * the execution fails clearly, nothing is sent), or a db_err. */
int byok_pick(struct db *db, const struct vault *v, int64_t user_id,
    int64_t prompt_id, const char *model_id, struct byok_choice *c,
    struct pm_fail *f);
/* Wipe and free what c holds. Accepts a zeroed c. */
void byok_choice_wipe(struct byok_choice *c);
/* After a call with the user's key of provider: http_status 401, 402 or
 * 429 marks the key failing with status and reason (the provider's
 * message; no secret in it) since now; a success (2xx) clears the mark
 * when was_failing. Other statuses change nothing. Returns 0 or a
 * db_err. */
int byok_health(struct db *db, int64_t user_id, const char *provider,
    int was_failing, long http_status, const char *reason, int64_t now);
/* Which key a run of prompt_id (0: none) on model_id would use, without
 * opening it, for the run page: {"byok": bool, "provider", "label",
 * "last4", "failing": {...} or null} when a key of the user applies,
 * {"pin_mismatch": true, ...} when the pin cannot run the model, with
 * allowed 0 (the plan lacks BYOK) {"unused": true, "count": N} when the
 * user keeps keys; NULL in *out when no key is concerned. Returns 0 or a
 * db_err. */
int byok_route_info(struct db *db, int64_t user_id, int64_t prompt_id,
    const char *model_id, int allowed, json_object **out);

/* The pin of prompt prompt_id of user_id into out (n bytes): "" when
 * none. Returns 0, PM_NOTFOUND or a db_err. */
int byok_pin_get(struct db *db, int64_t user_id, int64_t prompt_id,
    char *out, size_t n);
/* Pin prompt prompt_id to pin: "" (automatic), BYOK_PIN_SYSTEM, or a
 * provider the user keeps a key of. Returns 0, PM_INVALID (byok.pin_invalid,
 * field "byok_pin"), PM_NOTFOUND or a db_err. */
int byok_pin_set(struct db *db, int64_t user_id, int64_t prompt_id,
    const char *pin);

/* What a rotation of the master key did. */
struct byok_reseal_report {
	int64_t		 resealed;	/* sealed again with the current key */
	int64_t		 current;	/* already sealed with it */
	int64_t		 changed;	/* changed meanwhile: left for next time */
	int64_t		 unreadable;	/* could not be opened: left as they are */
};

/* Seal again with v's current key every stored and pending key sealed
 * with another one that v opens (the old key of a rotation), one row at a
 * time, each UPDATE applied only when the row still holds what was read
 * (a user changing the key meanwhile wins). Returns 0 with rep filled, or
 * a db_err. */
int byok_reseal(struct db *db, const struct vault *v,
    struct byok_reseal_report *rep);

#endif
