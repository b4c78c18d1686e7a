/* keys.h - the keys of the public API.
 *
 * A key is "pm_live_" and 44 random base62 characters (262 bits); it is
 * shown once, when created. The database keeps its first 16 characters,
 * the prefix (unique: how a key is found), and its HMAC-SHA-256 under the
 * server's secret (a file the configuration names), compared in constant
 * time. A key has a name, a scope (read: prompt and execution reads;
 * execute: also runs; write: also creates and changes prompts and
 * versions), an optional expiry and an optional monthly spend cap of its
 * own. A revoked key is kept (its executions name it) but never matches.
 * How many keys a user may have is the plan's api_keys.
 */
#ifndef PM_KEYS_H
#define PM_KEYS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct pm_fail;

#define API_KEY_TAG	"pm_live_"
#define API_KEY_RANDOM	44
#define API_KEY_LEN	(sizeof(API_KEY_TAG) - 1 + API_KEY_RANDOM)
#define API_KEY_PREFIX	16

enum api_scope { SCOPE_READ, SCOPE_EXECUTE, SCOPE_WRITE, SCOPE__MAX };

/* What a valid key says of its caller. */
struct api_key_auth {
	int64_t		 key_id, user_id;
	enum api_scope	 scope;
	int64_t		 monthly_cap_micros;	/* -1: none */
	char		 email[256];
	int		 is_admin;
	int64_t		 plan_id;		/* the user's assigned plan */
	int		 plan_source;
	int64_t		 catalog_gen;
};

/* Set the server's secret (n bytes, copied). Returns 0, or -1 when it is
 * too short (under 32 bytes). */
int api_keys_secret(const void *secret, size_t n);
/* The scope named s ("read", "execute", "write"), or -1. */
int api_scope_parse(const char *s);
const char *api_scope_name(enum api_scope s);
/* Whether text has the shape of a key (not whether it is known). */
int api_key_shaped(const char *text);

/* Create a key for user_id. name: 1 to 100 characters of text; expires_at
 * 0 for none, else in the future; cap -1 for none; max_keys the plan's
 * api_keys (-1 unlimited; counts the keys not revoked). Returns the new
 * id with the key in full in key_out (API_KEY_LEN + 1 bytes: shown once,
 * wipe it after use), or a refusal (PM_INVALID naming the field,
 * PM_FORBIDDEN plan.api_keys_limit) or a db_err. */
int64_t api_key_create(struct db *db, int64_t user_id, const char *name,
    enum api_scope scope, int64_t expires_at, int64_t cap, int64_t max_keys,
    int64_t now, char key_out[API_KEY_LEN + 1], struct pm_fail *f);
/* The user's keys, newest first, revoked ones included: [{id, name,
 * prefix, scope, created_at, last_used_at, expires_at,
 * monthly_spend_cap_micros, revoked_at, state}] with state "active",
 * "expired" or "revoked". Returns 0 or a db_err. */
int api_key_list(struct db *db, int64_t user_id, int64_t now,
    json_object **out);
/* How many of the user's keys are neither revoked nor expired. Returns
 * the count or a db_err. */
int64_t api_key_count(struct db *db, int64_t user_id, int64_t now);
/* Revoke the user's key id. Returns 0, PM_NOTFOUND (not theirs, or already
 * revoked) or a db_err. */
int api_key_revoke(struct db *db, int64_t user_id, int64_t id, int64_t now);
/* Find the key text: 1 with out filled when it is known, not revoked and
 * not expired at now; 0 for any other key (one answer for all); or a
 * db_err. Records the use at most once a minute. */
int api_key_lookup(struct db *db, const char *text, int64_t now,
    struct api_key_auth *out);

#endif
