/* models.c - the model catalog: sync from OpenRouter, lookups, costs. */
#include "models.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_cache.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "jsonx.h"
#include "money.h"
#include "msg.h"
#include "prompts.h"
#include "upstream.h"
#include "util.h"

/* Largest models file read by models_sync(). */
#define MODELS_FILE_MAX	(64 * 1024 * 1024)

void model_free(struct model *m)
{
	if (m == NULL)
		return;
	free(m->name);
	memset(m, 0, sizeof(*m));
}

int64_t model_cost_micros(const struct model *m, int64_t prompt_tokens,
    int64_t completion_tokens)
{
	int64_t nanos;

	if (prompt_tokens < 0)
		prompt_tokens = 0;
	if (completion_tokens < 0)
		completion_tokens = 0;
	nanos = money_sat_add(money_sat_mul(prompt_tokens, m->price_prompt_nanos),
	    money_sat_mul(completion_tokens, m->price_completion_nanos));
	return money_nanos_to_micros(nanos);
}

int64_t model_max_cost_micros(const struct model *m,
    int64_t prompt_tokens_estimate, int64_t max_completion_tokens)
{
	if (prompt_tokens_estimate < 0)
		prompt_tokens_estimate = 0;
	if (max_completion_tokens < 0) {
		if (m->context_length > 0)
			max_completion_tokens = m->context_length >
			    prompt_tokens_estimate ? m->context_length -
			    prompt_tokens_estimate : 0;
		else
			max_completion_tokens = MODEL_FALLBACK_COMPLETION;
	}
	return model_cost_micros(m, prompt_tokens_estimate,
	    max_completion_tokens);
}
/* ------------------------------------------------------------------ */
/* Sync */

/* One usable entry of a /models document. */
struct entry {
	const char	*id;
	char		 provider[MODEL_PROVIDER_MAX + 1];
	char		*name;		/* owned */
	int64_t		 context_length;
	int64_t		 pp, pc;
	int		 is_free;
};

struct sync {
	struct entry	*e;
	size_t		 n, skipped;
	int64_t		 now;
	size_t		 added, updated, deactivated;
};

static int id_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > MODEL_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The display name: valid UTF-8 cut to MODEL_NAME_MAX characters, or the
 * id when there is none. Caller frees. */
static char *clean_name(const char *name, size_t n, const char *id)
{
	size_t i = 0, chars = 0;

	if (name == NULL || n == 0 || !utf8_valid(name, n))
		return xstrdup(id);
	while (i < n && chars < MODEL_NAME_MAX) {
		i++;
		while (i < n && ((unsigned char)name[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	return xstrndup(name, i);
}

/* Read entry i of data into e. Returns 0, or -1 when it is unusable. */
static int read_entry(json_object *m, struct entry *e)
{
	json_object *v, *pricing;
	const char *id, *slash;
	size_t idlen, plen;

	memset(e, 0, sizeof(*e));
	v = json_member(m, "id");
	if (!json_object_is_type(v, json_type_string))
		return -1;
	id = json_object_get_string(v);
	idlen = (size_t)json_object_get_string_len(v);
	if (strlen(id) != idlen || !id_valid(id, idlen))
		return -1;
	pricing = json_member(m, "pricing");
	if (dec_json_units(json_member(pricing, "prompt"), 9, &e->pp) != 0 ||
	    dec_json_units(json_member(pricing, "completion"), 9, &e->pc) != 0)
		return -1;
	e->id = id;
	slash = strchr(id, '/');
	plen = slash ? (size_t)(slash - id) : 0;
	if (plen > MODEL_PROVIDER_MAX)
		plen = MODEL_PROVIDER_MAX;
	memcpy(e->provider, id, plen);
	e->provider[plen] = '\0';
	v = json_member(m, "context_length");
	e->context_length = -1;
	if (json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) > 0 &&
	    json_object_get_int64(v) <= UINT32_MAX)
		e->context_length = json_object_get_int64(v);
	e->is_free = (idlen >= 5 && strcmp(id + idlen - 5, ":free") == 0) ||
	    (e->pp == 0 && e->pc == 0);
	v = json_member(m, "name");
	e->name = json_object_is_type(v, json_type_string) ?
	    clean_name(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), id) : xstrdup(id);
	return 0;
}

static const char SQL_SYNC_ROWS[] =
	"SELECT id, name, context_length, price_prompt_nanos,"
	" price_completion_nanos, is_free, active, provider"
	" FROM models FOR UPDATE";
static const char SQL_SYNC_INSERT[] =
	"INSERT INTO models (id, name, provider, context_length,"
	" price_prompt_nanos, price_completion_nanos, is_free, free_tier,"
	" active, created_at, updated_at)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)";
static const char SQL_SYNC_UPDATE[] =
	"UPDATE models SET name = ?, provider = ?, context_length = ?,"
	" price_prompt_nanos = ?, price_completion_nanos = ?, is_free = ?,"
	" active = 1, updated_at = ? WHERE id = ?";
static const char SQL_SYNC_DEACTIVATE[] =
	"UPDATE models SET active = 0, updated_at = ? WHERE id = ?";

static struct dbv ctx_len(const struct entry *e)
{
	return e->context_length >= 0 ? db_i(e->context_length) : db_null();
}

/* Whether row r of res (SQL_SYNC_ROWS) differs from e or is inactive. */
static int row_differs(const struct db_res *res, size_t r,
    const struct entry *e)
{
	const char *cl = db_str(res, r, 2);

	return strcmp(db_str(res, r, 1), e->name) != 0 ||
	    (cl == NULL ? e->context_length != -1 :
	    db_int(res, r, 2) != e->context_length) ||
	    db_int(res, r, 3) != e->pp || db_int(res, r, 4) != e->pc ||
	    (db_int(res, r, 5) != 0) != e->is_free ||
	    db_int(res, r, 6) == 0 ||
	    strcmp(db_str(res, r, 7), e->provider) != 0;
}

/* The transaction: runs again from scratch on a deadlock, so it only
 * keeps counters it resets first. */
static int sync_tx(struct db *db, void *arg)
{
	struct sync *s = arg;
	struct db_res res = { 0 };
	json_object *index = NULL, *v;
	unsigned char *seen = NULL;
	size_t i, r;
	int64_t rc;

	s->added = s->updated = s->deactivated = 0;
	if ((rc = db_query(db, SQL_SYNC_ROWS, DB_NOARGS, &res)) < 0)
		goto out;
	index = json_object_new_object();
	for (r = 0; r < res.nrows; r++)
		json_object_object_add(index, db_str(&res, r, 0),
		    json_object_new_int64((int64_t)r));
	seen = xcalloc(res.nrows + 1, 1);
	rc = 0;
	for (i = 0; i < s->n && rc >= 0; i++) {
		const struct entry *e = &s->e[i];

		if (!json_object_object_get_ex(index, e->id, &v)) {
			rc = db_exec(db, SQL_SYNC_INSERT, DB_ARGS(db_s(e->id),
			    db_s(e->name), db_s(e->provider), ctx_len(e),
			    db_i(e->pp), db_i(e->pc), db_i(e->is_free),
			    db_i(e->is_free), db_i(s->now), db_i(s->now)));
			s->added++;
			continue;
		}
		r = (size_t)json_object_get_int64(v);
		seen[r] = 1;
		if (!row_differs(&res, r, e))
			continue;
		rc = db_exec(db, SQL_SYNC_UPDATE, DB_ARGS(db_s(e->name),
		    db_s(e->provider), ctx_len(e), db_i(e->pp), db_i(e->pc),
		    db_i(e->is_free), db_i(s->now), db_s(e->id)));
		s->updated++;
	}
	for (r = 0; r < res.nrows && rc >= 0; r++) {
		if (seen[r] || db_int(&res, r, 6) == 0)
			continue;
		rc = db_exec(db, SQL_SYNC_DEACTIVATE, DB_ARGS(db_i(s->now),
		    db_s(db_str(&res, r, 0))));
		s->deactivated++;
	}
out:
	free(seen);
	json_object_put(index);
	db_res_free(&res);
	return rc < 0 ? (int)rc : 0;
}

int models_sync_json(struct db *db, json_object *doc, int64_t now,
    struct buf *report, struct pm_fail *f)
{
	struct sync s = { 0 };
	json_object *data = json_member(doc, "data"), *ids;
	size_t i, n;
	int rc;

	if (!json_object_is_type(data, json_type_array)) {
		return pm_refuse(f, PM_INVALID, "models.no_data", NULL);
	}
	n = json_object_array_length(data);
	s.e = xcalloc(n + 1, sizeof(*s.e));
	s.now = now;
	ids = json_object_new_object();
	for (i = 0; i < n; i++) {
		struct entry *e = &s.e[s.n];

		if (read_entry(json_object_array_get_idx(data, i), e) != 0 ||
		    json_object_object_get_ex(ids, e->id, NULL)) {
			free(e->name);
			memset(e, 0, sizeof(*e));
			s.skipped++;
			continue;
		}
		json_object_object_add(ids, e->id, NULL);
		s.n++;
	}
	if (s.n == 0) {
		rc = pm_refuse(f, PM_INVALID, "models.none_usable", NULL);
		pm_fail_arg(f, "entries", "%zu", n);
	} else if ((rc = db_tx(db, sync_tx, &s)) == 0) {
		char n1[24], n2[24], n3[24], n4[24], n5[24];

		snprintf(n1, sizeof(n1), "%zu", s.n);
		snprintf(n2, sizeof(n2), "%zu", s.added);
		snprintf(n3, sizeof(n3), "%zu", s.updated);
		snprintf(n4, sizeof(n4), "%zu", s.deactivated);
		snprintf(n5, sizeof(n5), "%zu", s.skipped);
		msg_fmt(report, s.skipped > 0 ? "models.report_skipped" :
		    "models.report", "models", n1, "added", n2, "updated", n3,
		    "deactivated", n4, "skipped", n5, NULL);
	}
	for (i = 0; i < s.n; i++)
		free(s.e[i].name);
	free(s.e);
	json_object_put(ids);
	return rc;
}

/* Parse the JSON file at path. Returns the document (caller frees) or
 * NULL with the refusal in f. */
static json_object *read_json_file(const char *path, struct pm_fail *f)
{
	struct buf text = { 0 };
	struct json_error e;
	json_object *doc = NULL;

	if (buf_read_file(&text, path, MODELS_FILE_MAX) != 0) {
		if (errno == EFBIG) {
			pm_refuse(f, PM_INVALID, "models.file_too_large", NULL);
			pm_fail_arg(f, "max", "%d", MODELS_FILE_MAX);
		} else {
			pm_refuse(f, PM_INVALID, "models.file_unreadable", NULL);
			pm_fail_arg(f, "detail", "%s", strerror(errno));
		}
		pm_fail_arg(f, "path", "%s", path);
	} else if ((doc = json_parse_strict(text.data ? text.data : "",
	    text.len, &e)) == NULL) {
		pm_refuse(f, PM_INVALID, "models.file_invalid", NULL);
		pm_fail_arg(f, "path", "%s", path);
		pm_fail_arg(f, "detail", "%s", e.detail);
		pm_fail_arg(f, "offset", "%zu", e.offset);
	}
	buf_free(&text);
	return doc;
}

int models_sync(struct db *db, const char *path, int64_t now,
    struct buf *report, struct pm_fail *f)
{
	json_object *doc = NULL;
	struct buf err = { 0 };
	char *key = NULL;
	int rc;

	if (path != NULL) {
		if ((doc = read_json_file(path, f)) == NULL)
			return PM_INVALID;
	} else {
		const char *kf = cfg_str(CFG_OPENROUTER_KEY_FILE);

		if (kf[0] != '\0' && (key = config_read_secret(kf, &err)) == NULL) {
			pm_refuse(f, PM_INVALID, "models.no_key", NULL);
			pm_fail_arg(f, "detail", "%s", buf_cstr(&err));
			buf_free(&err);
			return PM_INVALID;
		}
		rc = upstream_get_json(cfg_str(CFG_OPENROUTER_BASE_URL),
		    "/models", key, (long)cfg_int(CFG_UPSTREAM_TIMEOUT_MS),
		    &doc, f);
		if (key != NULL) {
			explicit_bzero(key, strlen(key));
			free(key);
		}
		if (rc != 0)
			return rc;
	}
	rc = models_sync_json(db, doc, now, report, f);
	json_object_put(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Lookups */

#define MODEL_COLS "id, name, provider, context_length, price_prompt_nanos," \
	" price_completion_nanos, is_free, free_tier, active, created_at," \
	" updated_at"

static const char SQL_MODEL_GET[] =
	"SELECT " MODEL_COLS " FROM models WHERE id = ?";
static const char SQL_MODELS_LIST[] =
	"SELECT " MODEL_COLS " FROM models WHERE active = 1"
	" ORDER BY provider, name, id";
static const char SQL_MODEL_FREE_TIER[] =
	"UPDATE models SET free_tier = ? WHERE id = ?";

static void row_to_model(const struct db_res *res, size_t r, struct model *m)
{
	snprintf(m->id, sizeof(m->id), "%s", db_str(res, r, 0));
	m->name = xstrdup(db_str(res, r, 1));
	snprintf(m->provider, sizeof(m->provider), "%s", db_str(res, r, 2));
	m->context_length = db_str(res, r, 3) ? db_int(res, r, 3) : -1;
	m->price_prompt_nanos = db_int(res, r, 4);
	m->price_completion_nanos = db_int(res, r, 5);
	m->is_free = db_int(res, r, 6) != 0;
	m->free_tier = db_int(res, r, 7) != 0;
	m->active = db_int(res, r, 8) != 0;
	m->created_at = db_int(res, r, 9);
	m->updated_at = db_int(res, r, 10);
}

int model_get(struct db *db, const char *id, struct model *out)
{
	struct db_res res = { 0 };
	int64_t rc;

	memset(out, 0, sizeof(*out));
	if (id == NULL || !id_valid(id, strlen(id)))
		return 0;
	rc = db_query(db, SQL_MODEL_GET, DB_ARGS(db_s(id)), &res);
	if (rc > 0)
		row_to_model(&res, 0, out);
	db_res_free(&res);
	return rc < 0 ? (int)rc : rc > 0;
}

/* Every model, by id, and the generation they are of. */
static struct catalog_cache models_cache = CATALOG_CACHE_INIT(
	"SELECT m.id, m.name, m.provider, m.context_length,"
	" m.price_prompt_nanos, m.price_completion_nanos, m.is_free,"
	" m.free_tier, m.active, m.created_at, m.updated_at, g.generation"
	" FROM catalog_state g LEFT JOIN models m ON TRUE WHERE g.id = 1"
	" ORDER BY m.id");

int model_get_at(struct db *db, int64_t gen, const char *id,
    struct model *out)
{
	struct cache_snap *s;
	size_t lo, hi, mid;
	int rc, c;

	if (gen <= 0)
		return model_get(db, id, out);
	memset(out, 0, sizeof(*out));
	if (id == NULL || !id_valid(id, strlen(id)))
		return 0;
	if ((rc = catalog_cache_get(&models_cache, db, gen, &s)) != 0)
		return rc;
	/* Rows sorted by id in the column's binary collation: strcmp order
	 * (no models: one row of NULLs, which sorts first). */
	lo = 0;
	hi = s->res.nrows;
	rc = 0;
	while (lo < hi) {
		const char *v;

		mid = lo + (hi - lo) / 2;
		v = db_str(&s->res, mid, 0);
		c = v == NULL ? 1 : strcmp(id, v);
		if (c == 0) {
			row_to_model(&s->res, mid, out);
			rc = 1;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	catalog_cache_put(s);
	return rc;
}

int models_list(struct db *db, json_object **out)
{
	struct db_res res = { 0 };
	json_object *list, *o;
	struct model m;
	char usd[32];
	int64_t rc;
	size_t r;

	*out = NULL;
	if ((rc = db_query(db, SQL_MODELS_LIST, DB_NOARGS, &res)) < 0) {
		db_res_free(&res);
		return (int)rc;
	}
	list = json_object_new_array_ext((int)res.nrows);
	for (r = 0; r < res.nrows; r++) {
		memset(&m, 0, sizeof(m));
		row_to_model(&res, r, &m);
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(m.id));
		json_object_object_add(o, "name", json_object_new_string(m.name));
		json_object_object_add(o, "provider",
		    json_object_new_string(m.provider));
		json_object_object_add(o, "is_free",
		    json_object_new_boolean(m.is_free));
		json_object_object_add(o, "free_tier",
		    json_object_new_boolean(m.free_tier));
		json_object_object_add(o, "price_prompt_nanos",
		    json_object_new_int64(m.price_prompt_nanos));
		json_object_object_add(o, "price_completion_nanos",
		    json_object_new_int64(m.price_completion_nanos));
		json_object_object_add(o, "prompt_usd_per_m",
		    json_object_new_string(money_usd_per_m(
		    m.price_prompt_nanos, usd, sizeof(usd))));
		json_object_object_add(o, "completion_usd_per_m",
		    json_object_new_string(money_usd_per_m(
		    m.price_completion_nanos, usd, sizeof(usd))));
		json_object_object_add(o, "context_length",
		    m.context_length >= 0 ?
		    json_object_new_int64(m.context_length) : NULL);
		json_object_object_add(o, "created",
		    json_object_new_int64(m.created_at));
		json_object_array_add(list, o);
		model_free(&m);
	}
	db_res_free(&res);
	*out = list;
	return 0;
}

int model_check_chosen(struct db *db, json_object *in, struct pm_fail *f)
{
	json_object *v = json_member(in, "model");
	struct model m;
	int rc;

	/* Not a string, or not even shaped like an id: version_content()
	 * says what is wrong with it. */
	if (!json_object_is_type(v, json_type_string) ||
	    !id_valid(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)))
		return 0;
	if ((rc = model_get(db, json_object_get_string(v), &m)) < 0)
		return rc;
	rc = rc == 1 && m.active;
	model_free(&m);
	if (rc)
		return 0;
	pm_refuse(f, PM_INVALID, "models.not_in_catalog", "model");
	pm_fail_arg(f, "model", "%s", json_object_get_string(v));
	return PM_INVALID;
}

int model_set_free_tier(struct db *db, const char *id, int on)
{
	int64_t rc;

	if (id == NULL || !id_valid(id, strlen(id)))
		return PM_NOTFOUND;
	rc = db_exec(db, SQL_MODEL_FREE_TIER, DB_ARGS(db_i(on ? 1 : 0),
	    db_s(id)));
	if (rc < 0)
		return (int)rc;
	return rc == 0 ? PM_NOTFOUND : 0;
}

/* ------------------------------------------------------------------ */
/* pm-admin */
