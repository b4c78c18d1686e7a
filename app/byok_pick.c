/* byok_pick.c - which key a run uses (see byok.h): the user's own key,
 * opened for the call only, or the platform's; and the key's health
 * after the call. */
#include "byok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "error.h"
#include "log.h"
#include "util.h"
#include "vault.h"

/* The user's keys (one statement with the prompt's pin). Columns:
 * provider, sealed, vault_key_id, base_url, last4, failing_status,
 * failing_reason, failing_since, pin. */
static int64_t keys_of(struct db *db, int64_t user_id, int64_t prompt_id,
    struct db_res *res)
{
	return db_query(db, "SELECT k.provider, k.sealed, k.vault_key_id,"
	    " k.base_url, k.last4, k.failing_status, k.failing_reason,"
	    " k.failing_since, (SELECT p.byok_pin FROM prompts p WHERE p.id = ?"
	    " AND p.user_id = k.user_id) FROM byok_keys k WHERE k.user_id = ?",
	    DB_ARGS(db_i(prompt_id), db_i(user_id)), res);
}

/* The row of res to use for model_id (byok_route). */
static int route_of(const struct db_res *res, size_t n, const char *model_id)
{
	const char *names[16];
	size_t i;

	if (n > NELEM(names))
		n = NELEM(names);
	for (i = 0; i < n; i++)
		names[i] = db_str(res, i, 0);
	return byok_route(names, n, n > 0 ? db_str(res, 0, 8) : NULL, model_id);
}

/* Refuse a pinned provider that cannot run model_id. */
static int pin_mismatch(struct pm_fail *f, const char *provider,
    const char *model_id)
{
	const struct byok_provider *p = byok_provider(provider);

	pm_refuse(f, PM_FORBIDDEN, "byok.pin_mismatch", "model");
	pm_fail_arg(f, "provider", "%s", p ? p->label : provider);
	pm_fail_arg(f, "model", "%s", model_id);
	return PM_FORBIDDEN;
}

int byok_pick(struct db *db, const struct vault *v, int64_t user_id,
    int64_t prompt_id, const char *model_id, struct byok_choice *c,
    struct pm_fail *f)
{
	const struct byok_provider *p;
	struct db_res res = { 0 };
	struct buf plain = { 0 };
	char base[BYOK_URL_MAX + 64];
	int64_t n;
	int i, vr;

	memset(c, 0, sizeof(*c));
	if ((n = keys_of(db, user_id, prompt_id, &res)) <= 0) {
		db_res_free(&res);
		return (int)n;
	}
	if ((i = route_of(&res, (size_t)n, model_id)) < 0) {
		if (i == -2)
			pin_mismatch(f, db_str(&res, 0, 8), model_id);
		db_res_free(&res);
		return i == -2 ? PM_FORBIDDEN : 0;
	}
	p = byok_provider(db_str(&res, (size_t)i, 0));
	/* A custom base URL is checked again: its name may now resolve to
	 * a private address. */
	if (p->needs_url && byok_url_check(db_str(&res, (size_t)i, 3),
	    (int)cfg_int(CFG_BYOK_PRIVATE_BASE_URLS), f) != 0) {
		db_res_free(&res);
		return PM_INVALID;
	}
	vr = v == NULL ? VAULT_NOKEY : vault_open(v, db_str(&res, (size_t)i, 2),
	    user_id, p->name, db_str(&res, (size_t)i, 1), &plain);
	if (vr != VAULT_OK) {
		log_warn("user %lld: the stored %s key cannot be opened (%s)",
		    (long long)user_id, p->name, vr == VAULT_NOKEY ?
		    "sealed with a master key this server lacks" :
		    "altered, or not this user's or provider's");
		pm_refuse(f, PM_UNAVAILABLE, "byok.unreadable", NULL);
		pm_fail_arg(f, "provider", "%s", p->label);
		db_res_free(&res);
		return PM_UNAVAILABLE;
	}
	/* The key is text: a NUL inside would cut it short. */
	c->key = xstrndup(plain.data, plain.len);
	explicit_bzero(plain.data, plain.len);
	buf_free(&plain);
	snprintf(c->provider, sizeof(c->provider), "%s", p->name);
	snprintf(c->base_url, sizeof(c->base_url), "%s", byok_base_url(p,
	    db_str(&res, (size_t)i, 3), base, sizeof(base)));
	(void)byok_model_name(p, model_id, c->model, sizeof(c->model));
	c->failing = db_str(&res, (size_t)i, 7) != NULL;
	c->openrouter = strcmp(p->name, "openrouter") == 0;
	db_res_free(&res);
	return 1;
}

void byok_choice_wipe(struct byok_choice *c)
{
	if (c->key != NULL) {
		explicit_bzero(c->key, strlen(c->key));
		free(c->key);
	}
	memset(c, 0, sizeof(*c));
}

int byok_health(struct db *db, int64_t user_id, const char *provider,
    int was_failing, long http_status, const char *reason, int64_t now)
{
	int64_t n = 0;

	if (http_status == 401 || http_status == 402 || http_status == 429)
		n = db_exec(db, "UPDATE byok_keys SET failing_status = ?,"
		    " failing_reason = ?, failing_since = COALESCE(failing_since, ?)"
		    " WHERE user_id = ? AND provider = ?",
		    DB_ARGS(db_i(http_status), db_sn(reason ? reason : "",
		    reason ? strnlen(reason, 300) : 0), db_i(now), db_i(user_id),
		    db_s(provider)));
	else if (http_status >= 200 && http_status < 300 && was_failing)
		n = db_exec(db, "UPDATE byok_keys SET failing_status = NULL,"
		    " failing_reason = NULL, failing_since = NULL"
		    " WHERE user_id = ? AND provider = ?",
		    DB_ARGS(db_i(user_id), db_s(provider)));
	return n < 0 ? (int)n : 0;
}

int byok_route_info(struct db *db, int64_t user_id, int64_t prompt_id,
    const char *model_id, int allowed, json_object **out)
{
	const struct byok_provider *p;
	struct db_res res = { 0 };
	json_object *o, *fl;
	int64_t n;
	int i;

	*out = NULL;
	if ((n = keys_of(db, user_id, prompt_id, &res)) <= 0) {
		db_res_free(&res);
		return (int)n;
	}
	o = json_object_new_object();
	if (!allowed) {
		json_object_object_add(o, "unused", json_object_new_boolean(1));
		json_object_object_add(o, "count", json_object_new_int64(n));
		db_res_free(&res);
		*out = o;
		return 0;
	}
	if ((i = route_of(&res, (size_t)n, model_id)) == -1) {
		json_object_put(o);
		db_res_free(&res);
		return 0;
	}
	if (i == -2) {
		p = byok_provider(db_str(&res, 0, 8));
		json_object_object_add(o, "pin_mismatch", json_object_new_boolean(1));
		json_object_object_add(o, "label", json_object_new_string(
		    p ? p->label : db_str(&res, 0, 8)));
		json_object_object_add(o, "model", json_object_new_string(model_id));
	} else {
		p = byok_provider(db_str(&res, (size_t)i, 0));
		json_object_object_add(o, "byok", json_object_new_boolean(1));
		json_object_object_add(o, "provider", json_object_new_string(p->name));
		json_object_object_add(o, "label", json_object_new_string(p->label));
		json_object_object_add(o, "last4", json_object_new_string(
		    db_str(&res, (size_t)i, 4)));
		fl = byok_failing_json(&res, (size_t)i, 5);
		json_object_object_add(o, "failing", fl);
	}
	db_res_free(&res);
	*out = o;
	return 0;
}
