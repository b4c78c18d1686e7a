/* byok.c - the keys users bring, stored sealed (see byok.h): Test and
 * Save, delete, the list, a prompt's pin, the re-sealing of a rotation. */
#include "byok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "error.h"
#include "jsonx.h"
#include "money.h"
#include "upstream.h"
#include "util.h"
#include "vault.h"

/* ------------------------------------------------------------ Test */

/* The HTTP status a failed GET named (its {status} argument), 0: none. */
static long fail_status(const struct pm_fail *f)
{
	int i;

	for (i = 0; i < f->nargs; i++)
		if (f->arg[i].name != NULL && strcmp(f->arg[i].name, "status") == 0)
			return atol(f->arg[i].val);
	return 0;
}

/* The provider's words of a failed GET (its {detail} argument) into out,
 * without the key it may quote (byok_scrub). */
static void fail_detail(const struct pm_fail *f, const char *key, char *out,
    size_t n)
{
	int j;

	*out = '\0';
	for (j = 0; j < f->nargs; j++)
		if (f->arg[j].name != NULL && strcmp(f->arg[j].name, "detail") == 0)
			snprintf(out, n, "%s", f->arg[j].val);
	byok_scrub(out, key);
}

/* The refusal of a Test the provider did not pass. */
static int test_refusal(int rc, const struct pm_fail *uf,
    const struct byok_provider *p, const char *key, struct pm_fail *f)
{
	long status = fail_status(uf);
	char detail[256];

	fail_detail(uf, key, detail, sizeof(detail));
	if (rc == PM_TIMEOUT)
		rc = pm_refuse(f, PM_TIMEOUT, "byok.test_timeout", "key");
	else if (status == 401 || status == 403)
		rc = pm_refuse(f, PM_INVALID, "byok.test_refused", "key");
	else if (status == 0)
		rc = pm_refuse(f, PM_UPSTREAM, "byok.test_unreachable", "key");
	else
		rc = pm_refuse(f, PM_UPSTREAM, "byok.test_failed", "key");
	pm_fail_arg(f, "provider", "%s", p->label);
	if (status != 0)
		pm_fail_arg(f, "status", "%ld", status);
	pm_fail_arg(f, "detail", "%s", *detail ? detail : "-");
	explicit_bzero(detail, sizeof(detail));
	return rc;
}

/* A USD amount of OpenRouter's answer as micro-dollars, or JSON null. */
static json_object *micros_of(json_object *v)
{
	int64_t m;

	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    dec_json_units(v, 6, &m) != 0)
		return NULL;
	return json_object_new_int64(m);
}

/* OpenRouter's label of the key: a name its owner gave it, or the key
 * masked ("sk-or-v1-0e6...c9b"), which shows more of it than its last 4
 * characters: such a label is shown as the tag and the last 4 instead,
 * and any other is shown without what it may quote of the key
 * (byok_scrub). */
static json_object *safe_label(const struct byok_provider *p, json_object *v,
    const char *key)
{
	const char *label = json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : "";
	size_t tag = strlen(p->tag), n = strlen(key);
	char out[256];

	if (tag > 0 && strncmp(label, p->tag, tag) == 0) {
		snprintf(out, sizeof(out), "%s…%s", p->tag, n >= 12 ?
		    key + n - 4 : "");
		return json_object_new_string(out);
	}
	snprintf(out, sizeof(out), "%s", label);
	byok_scrub(out, key);
	return json_object_new_string(out);
}

/* What the provider said of key, for the page. */
static json_object *test_info(const struct byok_provider *p, json_object *doc,
    const char *key)
{
	static const char *const amounts[] = { "limit", "limit_remaining",
	    "usage", "usage_daily", "usage_monthly" };
	json_object *o = json_object_new_object(), *d;
	size_t i;

	if (strcmp(p->check_path, "/key") != 0) {
		d = json_member(doc, "data");
		json_object_object_add(o, "models", json_object_new_int64(
		    json_object_is_type(d, json_type_array) ?
		    (int64_t)json_object_array_length(d) : 0));
		return o;
	}
	d = json_member(doc, "data");
	json_object_object_add(o, "label",
	    safe_label(p, json_member(d, "label"), key));
	for (i = 0; i < NELEM(amounts); i++)
		json_object_object_add(o, amounts[i],
		    micros_of(json_member(d, amounts[i])));
	json_object_object_add(o, "has_limit", json_object_new_boolean(
	    json_member(o, "limit") != NULL));
	json_object_object_add(o, "has_remaining", json_object_new_boolean(
	    json_member(o, "limit_remaining") != NULL));
	json_object_object_add(o, "is_free_tier", json_object_new_boolean(
	    json_object_get_boolean(json_member(d, "is_free_tier"))));
	return o;
}

/* The last 4 characters of key, shown to identify it; none when the key
 * is so short that they would tell too much of it. */
static void last4_of(const char *key, char out[5])
{
	size_t n = strlen(key);

	if (n >= 12)
		memcpy(out, key + n - 4, 5);
	else
		*out = '\0';
}

int byok_test(struct db *db, const struct vault *v, int64_t user_id,
    const char *provider, const char *key, const char *user_url,
    int allow_private, long timeout_ms, int64_t now, json_object **info,
    struct pm_fail *f)
{
	const struct byok_provider *p = byok_provider(provider);
	struct pm_fail uf = { 0 };
	struct buf sealed = { 0 };
	char kid[VAULT_KEY_ID_LEN + 1], last4[5], base[BYOK_URL_MAX + 64];
	json_object *doc = NULL;
	int64_t n;
	int rc;

	*info = NULL;
	if (p == NULL)
		return pm_refuse(f, PM_INVALID, "byok.provider_unknown", "provider");
	if ((rc = byok_key_check(p, key, f)) != 0)
		return rc;
	if (p->needs_url && (rc = byok_url_check(user_url, allow_private, f)) != 0)
		return rc;
	if (v == NULL)
		return pm_refuse(f, PM_UNAVAILABLE, "byok.no_vault", NULL);
	rc = upstream_get_json(byok_base_url(p, user_url, base, sizeof(base)),
	    p->check_path, key, timeout_ms, &doc, &uf);
	if (rc != 0) {
		rc = test_refusal(rc, &uf, p, key, f);
		pm_fail_clear(&uf);
		return rc;
	}
	/* Tested keys nobody saved in time are forgotten. */
	if ((n = db_exec(db, "DELETE FROM byok_pending WHERE tested_at < ?",
	    DB_ARGS(db_i(now - BYOK_PENDING_SECONDS)))) < 0) {
		json_object_put(doc);
		return (int)n;
	}
	vault_seal(v, user_id, p->name, key, strlen(key), &sealed, kid);
	last4_of(key, last4);
	n = db_exec(db, "INSERT INTO byok_pending (user_id, provider, sealed,"
	    " vault_key_id, last4, base_url, tested_at) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?) ON DUPLICATE KEY UPDATE provider = VALUES(provider),"
	    " sealed = VALUES(sealed), vault_key_id = VALUES(vault_key_id),"
	    " last4 = VALUES(last4), base_url = VALUES(base_url),"
	    " tested_at = VALUES(tested_at)",
	    DB_ARGS(db_i(user_id), db_s(p->name), db_s(buf_cstr(&sealed)),
	    db_s(kid), db_s(last4), db_s(p->needs_url ? user_url : NULL),
	    db_i(now)));
	buf_free(&sealed);
	if (n < 0) {
		json_object_put(doc);
		return (int)n;
	}
	*info = test_info(p, doc, key);
	json_object_put(doc);
	return 0;
}

/* ------------------------------------------------------------ Save, delete */

struct save_tx {
	int64_t		 user_id, now;
	const char	*provider;
};

static int save_fn(struct db *db, void *arg)
{
	struct save_tx *t = arg;
	struct db_res res = { 0 };
	int64_t n;

	n = db_query(db, "SELECT provider FROM byok_pending WHERE user_id = ?"
	    " AND provider = ? AND tested_at >= ? FOR UPDATE",
	    DB_ARGS(db_i(t->user_id), db_s(t->provider),
	    db_i(t->now - BYOK_PENDING_SECONDS)), &res);
	db_res_free(&res);
	if (n <= 0)
		return n < 0 ? (int)n : PM_CONFLICT;
	if ((n = db_exec(db, "INSERT INTO byok_keys (user_id, provider, sealed,"
	    " vault_key_id, last4, base_url, created_at, updated_at) SELECT"
	    " user_id, provider, sealed, vault_key_id, last4, base_url, ?, ?"
	    " FROM byok_pending WHERE user_id = ? ON DUPLICATE KEY UPDATE"
	    " sealed = VALUES(sealed), vault_key_id = VALUES(vault_key_id),"
	    " last4 = VALUES(last4), base_url = VALUES(base_url),"
	    " updated_at = VALUES(updated_at), failing_reason = NULL,"
	    " failing_status = NULL, failing_since = NULL",
	    DB_ARGS(db_i(t->now), db_i(t->now), db_i(t->user_id)))) < 0)
		return (int)n;
	n = db_exec(db, "DELETE FROM byok_pending WHERE user_id = ?",
	    DB_ARGS(db_i(t->user_id)));
	return n < 0 ? (int)n : 0;
}

int byok_save(struct db *db, int64_t user_id, const char *provider,
    int64_t now, struct pm_fail *f)
{
	struct save_tx t = { user_id, now, provider };
	int rc;

	if (byok_provider(provider) == NULL)
		return pm_refuse(f, PM_INVALID, "byok.provider_unknown", "provider");
	if ((rc = db_tx(db, save_fn, &t)) == PM_CONFLICT)
		pm_refuse(f, PM_CONFLICT, "byok.test_first", "key");
	return rc;
}

struct delete_tx {
	int64_t		 user_id;
	const char	*provider;
};

static int delete_fn(struct db *db, void *arg)
{
	struct delete_tx *t = arg;
	int64_t n;

	n = db_exec(db, "DELETE FROM byok_keys WHERE user_id = ? AND"
	    " provider = ?", DB_ARGS(db_i(t->user_id), db_s(t->provider)));
	if (n <= 0)
		return n < 0 ? (int)n : PM_NOTFOUND;
	if ((n = db_exec(db, "DELETE FROM byok_pending WHERE user_id = ? AND"
	    " provider = ?", DB_ARGS(db_i(t->user_id), db_s(t->provider)))) < 0)
		return (int)n;
	n = db_exec(db, "UPDATE prompts SET byok_pin = NULL WHERE user_id = ?"
	    " AND byok_pin = ?", DB_ARGS(db_i(t->user_id), db_s(t->provider)));
	return n < 0 ? (int)n : 0;
}

int byok_delete(struct db *db, int64_t user_id, const char *provider)
{
	struct delete_tx t = { user_id, provider };

	if (byok_provider(provider) == NULL)
		return PM_NOTFOUND;
	return db_tx(db, delete_fn, &t);
}

/* ------------------------------------------------------------ reading */

json_object *byok_failing_json(const struct db_res *res, size_t i, size_t col)
{
	json_object *o;

	if (db_str(res, i, col + 2) == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "status",
	    json_object_new_int64(db_int(res, i, col)));
	json_object_object_add(o, "reason", json_object_new_string(
	    db_str(res, i, col + 1) ? db_str(res, i, col + 1) : ""));
	json_object_object_add(o, "since",
	    json_object_new_int64(db_int(res, i, col + 2)));
	return o;
}

int byok_list(struct db *db, int64_t user_id, json_object **out)
{
	struct db_res res = { 0 };
	json_object *arr;
	int64_t n;
	size_t k, i;

	n = db_query(db, "SELECT provider, last4, base_url, created_at,"
	    " updated_at, failing_status, failing_reason, failing_since"
	    " FROM byok_keys WHERE user_id = ?", DB_ARGS(db_i(user_id)), &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	arr = json_object_new_array();
	for (k = 0; k < byok_nproviders; k++)
		for (i = 0; i < (size_t)n; i++) {
			const struct byok_provider *p = &byok_providers[k];
			json_object *o;

			if (strcmp(db_str(&res, i, 0), p->name) != 0)
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "provider",
			    json_object_new_string(p->name));
			json_object_object_add(o, "label",
			    json_object_new_string(p->label));
			json_object_object_add(o, "last4",
			    json_object_new_string(db_str(&res, i, 1)));
			json_object_object_add(o, "base_url", db_str(&res, i, 2) ?
			    json_object_new_string(db_str(&res, i, 2)) : NULL);
			json_object_object_add(o, "created_at",
			    json_object_new_int64(db_int(&res, i, 3)));
			json_object_object_add(o, "updated_at",
			    json_object_new_int64(db_int(&res, i, 4)));
			json_object_object_add(o, "failing", byok_failing_json(&res, i, 5));
			json_object_array_add(arr, o);
		}
	db_res_free(&res);
	*out = arr;
	return 0;
}

int byok_pending_has(struct db *db, int64_t user_id, const char *provider,
    int64_t since)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT 1 FROM byok_pending WHERE user_id = ?"
	    " AND provider = ? AND tested_at >= ?",
	    DB_ARGS(db_i(user_id), db_s(provider), db_i(since)), &res);

	db_res_free(&res);
	return n < 0 ? (int)n : n > 0;
}

/* ------------------------------------------------------------ pins */

int byok_pin_get(struct db *db, int64_t user_id, int64_t prompt_id,
    char *out, size_t n)
{
	struct db_res res = { 0 };
	int64_t rows = db_query(db, "SELECT byok_pin FROM prompts WHERE id = ?"
	    " AND user_id = ? AND deleted_at IS NULL",
	    DB_ARGS(db_i(prompt_id), db_i(user_id)), &res);

	*out = '\0';
	if (rows == 1)
		snprintf(out, n, "%s", db_str(&res, 0, 0) ? db_str(&res, 0, 0) : "");
	db_res_free(&res);
	return rows < 0 ? (int)rows : rows == 0 ? PM_NOTFOUND : 0;
}

int byok_pin_set(struct db *db, int64_t user_id, int64_t prompt_id,
    const char *pin)
{
	struct db_res res = { 0 };
	int64_t n;

	if (pin == NULL)
		pin = "";
	if (*pin && strcmp(pin, BYOK_PIN_SYSTEM) != 0) {
		n = db_query(db, "SELECT 1 FROM byok_keys WHERE user_id = ? AND"
		    " provider = ?", DB_ARGS(db_i(user_id), db_s(pin)), &res);
		db_res_free(&res);
		if (n <= 0)
			return n < 0 ? (int)n : PM_INVALID;
	}
	n = db_exec(db, "UPDATE prompts SET byok_pin = ? WHERE id = ? AND"
	    " user_id = ? AND deleted_at IS NULL",
	    DB_ARGS(*pin ? db_s(pin) : db_null(), db_i(prompt_id),
	    db_i(user_id)));
	return n < 0 ? (int)n : n == 0 ? PM_NOTFOUND : 0;
}

/* ------------------------------------------------------------ rotation */

/* Re-seal one row read by reseal_table (user_id, provider, sealed,
 * vault_key_id at row i of res) with update, the UPDATE of its table
 * (sealed, key id, then user_id, provider, old key id, old sealed). */
static int reseal_row(struct db *db, const struct vault *v,
    const struct db_res *res, size_t i, const char *update,
    struct byok_reseal_report *rep)
{
	struct buf plain = { 0 }, sealed = { 0 };
	char kid[VAULT_KEY_ID_LEN + 1];
	int64_t uid = db_int(res, i, 0), n;
	const char *prov = db_str(res, i, 1), *old = db_str(res, i, 2);
	const char *old_kid = db_str(res, i, 3);

	if (vault_open(v, old_kid, uid, prov, old, &plain) != VAULT_OK) {
		rep->unreadable++;
		return 0;
	}
	vault_seal(v, uid, prov, plain.data, plain.len, &sealed, kid);
	explicit_bzero(plain.data, plain.len);
	buf_free(&plain);
	n = db_exec(db, update, DB_ARGS(db_s(buf_cstr(&sealed)), db_s(kid),
	    db_i(uid), db_s(prov), db_s(old_kid), db_s(old)));
	buf_free(&sealed);
	if (n < 0)
		return (int)n;
	if (n == 0)
		rep->changed++;
	else
		rep->resealed++;
	return 0;
}

/* Re-seal the rows of one table: select (the current key id, the last
 * user id and provider seen) pages through those sealed with another key,
 * 100 at a time. */
static int reseal_table(struct db *db, const struct vault *v,
    const char *select, const char *update, struct byok_reseal_report *rep)
{
	struct db_res res = { 0 };
	char last_prov[BYOK_PROVIDER_MAX + 1] = "";
	int64_t last_uid = 0, n;
	size_t i;
	int rc;

	do {
		n = db_query(db, select, DB_ARGS(db_s(v->cur.id), db_i(last_uid),
		    db_i(last_uid), db_s(last_prov)), &res);
		for (i = 0; n > 0 && i < (size_t)n; i++)
			if ((rc = reseal_row(db, v, &res, i, update, rep)) != 0) {
				db_res_free(&res);
				return rc;
			}
		if (n > 0) {
			last_uid = db_int(&res, (size_t)n - 1, 0);
			snprintf(last_prov, sizeof(last_prov), "%s",
			    db_str(&res, (size_t)n - 1, 1));
		}
		db_res_free(&res);
	} while (n == 100);
	return n < 0 ? (int)n : 0;
}

int byok_reseal(struct db *db, const struct vault *v,
    struct byok_reseal_report *rep)
{
	struct db_res res = { 0 };
	int64_t n;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = reseal_table(db, v, "SELECT user_id, provider, sealed,"
	    " vault_key_id FROM byok_keys WHERE vault_key_id <> ? AND"
	    " (user_id > ? OR (user_id = ? AND provider > ?))"
	    " ORDER BY user_id, provider LIMIT 100",
	    "UPDATE byok_keys SET sealed = ?, vault_key_id = ? WHERE user_id = ?"
	    " AND provider = ? AND vault_key_id = ? AND sealed = ?", rep)) != 0)
		return rc;
	if ((rc = reseal_table(db, v, "SELECT user_id, provider, sealed,"
	    " vault_key_id FROM byok_pending WHERE vault_key_id <> ? AND"
	    " (user_id > ? OR (user_id = ? AND provider > ?))"
	    " ORDER BY user_id, provider LIMIT 100",
	    "UPDATE byok_pending SET sealed = ?, vault_key_id = ? WHERE"
	    " user_id = ? AND provider = ? AND vault_key_id = ? AND sealed = ?",
	    rep)) != 0)
		return rc;
	n = db_query(db, "SELECT (SELECT COUNT(*) FROM byok_keys WHERE"
	    " vault_key_id = ?) + (SELECT COUNT(*) FROM byok_pending WHERE"
	    " vault_key_id = ?)", DB_ARGS(db_s(v->cur.id), db_s(v->cur.id)), &res);
	rep->current = db_int(&res, 0, 0) - rep->resealed;
	db_res_free(&res);
	return n < 0 ? (int)n : 0;
}
