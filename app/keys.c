/* keys.c - the keys of the public API (see keys.h). */
#include "keys.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "error.h"
#include "plans.h"
#include "users.h"
#include "util.h"

static unsigned char secret[64];
static size_t secret_len;

static const char *const scope_names[SCOPE__MAX] = {
	"read", "execute", "write"
};

int api_keys_secret(const void *s, size_t n)
{
	if (n < 32)
		return -1;
	if (n > sizeof(secret))
		n = sizeof(secret);
	memcpy(secret, s, n);
	secret_len = n;
	return 0;
}

int api_scope_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < SCOPE__MAX; i++)
		if (strcmp(s, scope_names[i]) == 0)
			return i;
	return -1;
}

const char *api_scope_name(enum api_scope s)
{
	return s < SCOPE__MAX ? scope_names[s] : "read";
}

static int base62(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

int api_key_shaped(const char *t)
{
	size_t i, tag = sizeof(API_KEY_TAG) - 1;

	if (t == NULL || strlen(t) != API_KEY_LEN ||
	    strncmp(t, API_KEY_TAG, tag) != 0)
		return 0;
	for (i = tag; i < API_KEY_LEN; i++)
		if (!base62((unsigned char)t[i]))
			return 0;
	return 1;
}

/* A new key into out: the tag and API_KEY_RANDOM base62 characters drawn
 * without bias (bytes of 248 and above are drawn again). */
static void key_new(char out[API_KEY_LEN + 1])
{
	static const char digits[] =
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned char r[64];
	size_t n = sizeof(API_KEY_TAG) - 1, i;

	memcpy(out, API_KEY_TAG, n);
	while (n < API_KEY_LEN) {
		rand_bytes(r, sizeof(r));
		for (i = 0; i < sizeof(r) && n < API_KEY_LEN; i++)
			if (r[i] < 248)
				out[n++] = digits[r[i] % 62];
	}
	out[n] = '\0';
	explicit_bzero(r, sizeof(r));
}

/* The hex HMAC-SHA-256 of the key under the server's secret. */
static void key_hash(const char *key, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	size_t len = 0;

	if (secret_len == 0 || EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
	    secret, secret_len, (const unsigned char *)key, strlen(key), md,
	    sizeof(md), &len) == NULL || len != sizeof(md)) {
		/* no secret or no HMAC: match nothing */
		memset(out, '-', SHA256_HEX_LEN);
		out[SHA256_HEX_LEN] = '\0';
		return;
	}
	hex_encode(md, sizeof(md), out);
}

int64_t api_key_count(struct db *db, int64_t user_id, int64_t now)
{
	struct db_res res;
	int64_t n = db_query(db, "SELECT COUNT(*) FROM api_keys WHERE user_id = ?"
	    " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
	    DB_ARGS(db_i(user_id), db_i(now)), &res);
	int64_t c = db_int(&res, 0, 0);

	db_res_free(&res);
	return n < 0 ? n : c;
}

/* Check what a new key asks for. Returns 0 or PM_INVALID. */
static int create_check(const char *name, int64_t expires_at, int64_t cap,
    int64_t now, struct pm_fail *f)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || !text_valid(name, n) || utf8_len(name, n) > 100)
		return pm_refuse(f, PM_INVALID, "keys.name_invalid", "name");
	if (expires_at != 0 && expires_at <= now)
		return pm_refuse(f, PM_INVALID, "keys.expiry_past", "expires_at");
	if (cap < -1)
		return pm_refuse(f, PM_INVALID, "keys.cap_invalid",
		    "monthly_spend_cap_micros");
	return 0;
}

struct create_tx {
	int64_t		 user_id, expires_at, cap, max_keys, now;
	const char	*name;
	enum api_scope	 scope;
	char		*key;
	struct pm_fail	*f;
	int64_t		 id;
};

/* Lock the user's row, count, insert: two concurrent creations cannot
 * both take the last key the plan allows. */
static int create_fn(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	char hash[SHA256_HEX_LEN + 1], prefix[API_KEY_PREFIX + 1];
	int64_t n, rc;
	int tries;

	if ((rc = user_lock(db, t->user_id)) != 0)
		return (int)rc;
	if (t->max_keys >= 0) {
		if ((n = api_key_count(db, t->user_id, t->now)) < 0)
			return (int)n;
		if (n >= t->max_keys) {
			pm_refuse(t->f, PM_FORBIDDEN, t->max_keys == 0 ?
			    "keys.plan_none" : "keys.plan_limit", NULL);
			pm_fail_arg(t->f, "limit", "%lld", (long long)t->max_keys);
			return PM_FORBIDDEN;
		}
	}
	for (tries = 0; tries < 3; tries++) {
		key_new(t->key);
		memcpy(prefix, t->key, API_KEY_PREFIX);
		prefix[API_KEY_PREFIX] = '\0';
		key_hash(t->key, hash);
		rc = db_exec(db, "INSERT INTO api_keys (user_id, name, prefix, hash,"
		    " scope, expires_at, monthly_spend_cap_micros, created_at)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		    DB_ARGS(db_i(t->user_id), db_s(t->name), db_s(prefix),
		    db_s(hash), db_s(scope_names[t->scope]),
		    t->expires_at ? db_i(t->expires_at) : db_null(),
		    t->cap >= 0 ? db_i(t->cap) : db_null(), db_i(t->now)));
		if (rc != DB_DUP)
			break;		/* a prefix taken: draw again */
	}
	if (rc < 0)
		return (int)rc;
	t->id = db_insert_id(db);
	return 0;
}

int64_t api_key_create(struct db *db, int64_t user_id, const char *name,
    enum api_scope scope, int64_t expires_at, int64_t cap, int64_t max_keys,
    int64_t now, char key_out[API_KEY_LEN + 1], struct pm_fail *f)
{
	struct create_tx t = { user_id, expires_at, cap, max_keys, now, name,
	    scope, key_out, f, 0 };
	int rc;

	if ((rc = create_check(name, expires_at, cap, now, f)) != 0)
		return rc;
	if (scope >= SCOPE__MAX)
		return pm_refuse(f, PM_INVALID, "keys.scope_invalid", "scope");
	if ((rc = db_tx(db, create_fn, &t)) != 0) {
		explicit_bzero(key_out, API_KEY_LEN + 1);
		return rc;
	}
	return t.id;
}

int api_key_list(struct db *db, int64_t user_id, int64_t now,
    json_object **out)
{
	struct db_res res;
	int64_t n, i;
	json_object *arr;

	n = db_query(db, "SELECT id, name, prefix, scope, created_at,"
	    " last_used_at, expires_at, monthly_spend_cap_micros, revoked_at"
	    " FROM api_keys WHERE user_id = ? ORDER BY id DESC",
	    DB_ARGS(db_i(user_id)), &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		const char *state = "active";
		static const char *const ints[] = { "created_at", "last_used_at",
		    "expires_at", "monthly_spend_cap_micros", "revoked_at" };
		size_t c;

		json_object_object_add(o, "id",
		    json_object_new_int64(db_int(&res, i, 0)));
		json_object_object_add(o, "name",
		    json_object_new_string(db_str(&res, i, 1)));
		json_object_object_add(o, "prefix",
		    json_object_new_string(db_str(&res, i, 2)));
		json_object_object_add(o, "scope",
		    json_object_new_string(db_str(&res, i, 3)));
		for (c = 0; c < NELEM(ints); c++)
			json_object_object_add(o, ints[c],
			    db_str(&res, i, 4 + c) ? json_object_new_int64(
			    db_int(&res, i, 4 + c)) : NULL);
		if (db_str(&res, i, 8) != NULL)
			state = "revoked";
		else if (db_str(&res, i, 6) != NULL && db_int(&res, i, 6) <= now)
			state = "expired";
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_array_add(arr, o);
	}
	db_res_free(&res);
	*out = arr;
	return 0;
}

int api_key_revoke(struct db *db, int64_t user_id, int64_t id, int64_t now)
{
	int64_t n = db_exec(db, "UPDATE api_keys SET revoked_at = ? WHERE id = ?"
	    " AND user_id = ? AND revoked_at IS NULL",
	    DB_ARGS(db_i(now), db_i(id), db_i(user_id)));

	return n < 0 ? (int)n : n == 0 ? PM_NOTFOUND : 0;
}

int api_key_lookup(struct db *db, const char *text, int64_t now,
    struct api_key_auth *out)
{
	char prefix[API_KEY_PREFIX + 1], hash[SHA256_HEX_LEN + 1];
	const char *stored, *email;
	struct db_res res;
	int64_t n;
	int ok;

	memset(out, 0, sizeof(*out));
	if (!api_key_shaped(text))
		return 0;
	memcpy(prefix, text, API_KEY_PREFIX);
	prefix[API_KEY_PREFIX] = '\0';
	key_hash(text, hash);
	n = db_query(db, "SELECT k.id, k.user_id, k.hash, k.scope,"
	    " k.expires_at, k.revoked_at, k.monthly_spend_cap_micros,"
	    " k.last_used_at, u.email, u.role, up.plan_id, up.source,"
	    " (SELECT generation FROM catalog_state WHERE id = 1)"
	    " FROM api_keys k JOIN users u ON u.id = k.user_id"
	    " LEFT JOIN user_plans up ON up.user_id = k.user_id"
	    " WHERE k.prefix = ?", DB_ARGS(db_s(prefix)), &res);
	if (n <= 0) {
		db_res_free(&res);
		return n < 0 ? (int)n : 0;
	}
	stored = db_str(&res, 0, 2);
	ok = stored != NULL && ct_equal(stored, strlen(stored), hash,
	    strlen(hash)) && db_str(&res, 0, 5) == NULL &&
	    (db_str(&res, 0, 4) == NULL || db_int(&res, 0, 4) > now);
	if (ok) {
		out->key_id = db_int(&res, 0, 0);
		out->user_id = db_int(&res, 0, 1);
		out->scope = (enum api_scope)api_scope_parse(db_str(&res, 0, 3));
		out->monthly_cap_micros = db_str(&res, 0, 6) ?
		    db_int(&res, 0, 6) : -1;
		email = db_str(&res, 0, 8);
		snprintf(out->email, sizeof(out->email), "%s", email ? email : "");
		out->is_admin = db_str(&res, 0, 9) != NULL &&
		    strcmp(db_str(&res, 0, 9), "admin") == 0;
		out->plan_id = db_int(&res, 0, 10);
		out->plan_source = plan_source_of(db_str(&res, 0, 11));
		out->catalog_gen = db_int(&res, 0, 12);
		/* last used, at most once a minute */
		if ((db_str(&res, 0, 7) == NULL || now - db_int(&res, 0, 7) >= 60) &&
		    (n = db_exec(db, "UPDATE api_keys SET last_used_at = ?"
		    " WHERE id = ?", DB_ARGS(db_i(now), db_i(out->key_id)))) < 0) {
			db_res_free(&res);
			return (int)n;
		}
	}
	db_res_free(&res);
	return ok;
}
