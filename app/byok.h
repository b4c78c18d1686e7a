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
 * Routing (byok_pick): a model whose provider has a key of the user goes
 * to that provider with it; else, when the user has an OpenRouter key,
 * every model goes through OpenRouter with it; else the platform key is
 * used (not BYOK). A key marked failing (a 401, 402 or 429 from the
 * provider) is still used: the next success clears the mark.
 */
#ifndef PM_BYOK_H
#define PM_BYOK_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct pm_fail;
struct vault;

#define BYOK_PROVIDER_MAX 32

/* How a request with a BYOK key is made: where, with what key, which
 * model name. key is the plaintext: wipe it (byok_choice_wipe) after the
 * call. */
struct byok_choice {
	char		 provider[BYOK_PROVIDER_MAX + 1];
	char		 base_url[512];
	char		 model[256];	/* the model's name at that provider */
	char		*key;		/* owned; NULL when not BYOK */
};

/* The key user_id keeps for the provider of catalog model model_id (see
 * above). Returns 1 with c filled (BYOK), 0 when the platform key is to be
 * used (c zeroed), VAULT-level failure as PM_UNAVAILABLE with the sentence
 * in f (byok.unreadable: a tampered ciphertext or a missing master key;
 * the execution fails clearly, nothing is sent), or a db_err. */
int byok_pick(struct db *db, const struct vault *v, int64_t user_id,
    const char *model_id, struct byok_choice *c, struct pm_fail *f);
/* Wipe and free what c holds. Accepts a zeroed c. */
void byok_choice_wipe(struct byok_choice *c);
/* After a call with c: http_status 401, 402 or 429 marks the key failing
 * with reason (no secret in it); a success (2xx) clears the mark. Other
 * statuses change nothing. Returns 0 or a db_err. */
int byok_health(struct db *db, int64_t user_id, const char *provider,
    long http_status, const char *reason, int64_t now);

#endif
