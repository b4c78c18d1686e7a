/* plans.c - the plans table: loading a catalog into it, the plan of a
 * user, the public plans. Rows are read and written through the key table
 * of plan_keys.h. */
#include "plan_keys.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog_cache.h"
#include "db.h"
#include "msg.h"
#include "users.h"
#include "util.h"

/* Fill args with p's values for the key columns, in table order;
 * returns how many (nplan_keys). The
 * JSON texts point into p's objects and live as long as they do. */
static size_t plan_bind(const struct plan *p, struct dbv *args)
{
	size_t i;

	for (i = 0; i < nplan_keys; i++) {
		const struct plan_key *k = &plan_keys[i];

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			args[i] = db_s(pk_cstr(p, k));
			break;
		case PK_COUNT:
			args[i] = db_i(pk_ci64(p, k));
			break;
		case PK_LIMIT:
			args[i] = pk_ci64(p, k) < 0 ? db_null() : db_i(pk_ci64(p, k));
			break;
		case PK_BOOL:
			args[i] = db_i(pk_cint(p, k));
			break;
		case PK_CHANNELS:
			args[i] = db_s(plan_channel_sets[pk_cuns(p, k) & 3]);
			break;
		case PK_MODELS:
			args[i] = db_s(plan_model_names[p->models]);
			break;
		case PK_BYOK_MODELS:
			args[i] = db_s(plan_byok_names[p->byok_models]);
			break;
		case PK_MODEL_LIST:
			args[i] = db_s(json_object_to_json_string_ext(
			    p->model_list, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			break;
		case PK_FEATURES:
			args[i] = db_s(json_object_to_json_string_ext(
			    p->features, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			break;
		}
	}
	return nplan_keys;
}

/* Read row of res (columns: id, catalog, the key columns) into p. Returns 0, or
 * DB_ERROR when a stored value is malformed (p then freed). */
static int plan_from_row(const struct db_res *res, size_t row, struct plan *p)
{
	const char *cat = db_str(res, row, 1);
	size_t i;
	int e;

	memset(p, 0, sizeof(*p));
	p->id = db_int(res, row, 0);
	if (cat == NULL || strlen(cat) > PLAN_CATALOG_MAX)
		return DB_ERROR;
	memcpy(p->catalog, cat, strlen(cat) + 1);
	for (i = 0; i < nplan_keys; i++) {
		const struct plan_key *k = &plan_keys[i];
		const char *s = db_str(res, row, i + 2);

		switch (k->type) {
		case PK_CODE:
		case PK_NAME:
			if (s == NULL || strlen(s) >= (k->type == PK_CODE ?
			    sizeof(p->code) : sizeof(p->name)))
				goto bad;
			memcpy((char *)p + k->off, s, strlen(s) + 1);
			break;
		case PK_COUNT:
			*pk_i64(p, k) = db_int(res, row, i + 2);
			break;
		case PK_LIMIT:
			*pk_i64(p, k) = s ? db_int(res, row, i + 2) : -1;
			break;
		case PK_BOOL:
			*pk_int(p, k) = db_int(res, row, i + 2) != 0;
			break;
		case PK_CHANNELS:
			if ((e = plan_name_index(plan_channel_sets, NELEM(plan_channel_sets), s)) < 0)
				goto bad;
			*pk_uns(p, k) = (unsigned)e;
			break;
		case PK_MODELS:
			if ((e = plan_name_index(plan_model_names, PLAN_MODELS__MAX, s)) < 0)
				goto bad;
			p->models = (enum plan_models)e;
			break;
		case PK_BYOK_MODELS:
			if ((e = plan_name_index(plan_byok_names, PLAN_BYOK__MAX, s)) < 0)
				goto bad;
			p->byok_models = (enum plan_byok_models)e;
			break;
		case PK_MODEL_LIST:
			if (s == NULL || (p->model_list = json_tokener_parse(s))
			    == NULL || !json_object_is_type(p->model_list,
			    json_type_array))
				goto bad;
			break;
		case PK_FEATURES:
			if (s == NULL || (p->features = json_tokener_parse(s))
			    == NULL || !json_object_is_type(p->features,
			    json_type_object))
				goto bad;
			break;
		}
	}
	return 0;
bad:
	plan_free(p);
	return DB_ERROR;
}

/* ------------------------------------------------------------ queries */

static const char sql_active[] =
    "SELECT value FROM app_settings WHERE name = 'plans.catalog'";
static const char sql_active_lock[] =
    "SELECT value FROM app_settings WHERE name = 'plans.catalog' FOR UPDATE";
static const char sql_set_active[] =
    "INSERT INTO app_settings (name, value) VALUES ('plans.catalog', ?)"
    " ON DUPLICATE KEY UPDATE value = VALUES(value)";
/* The statements that name every key column, made from plan_keys[] once
 * per process (stable strings, as db.h's statement cache wants). */
static struct {
	char	*snapshot;	/* a catalog's plans, locked */
	char	*insert;	/* catalog, keys, created_at, updated_at */
	char	*update;	/* keys, updated_at, WHERE id */
	char	*for_user;	/* the assigned plan or the default */
	char	*public_plans;	/* a catalog's public plans */
	char	*cached;	/* the active catalog and the generation */
	size_t	 default_col;	/* is_default's index in plan_keys[] */
} gen_sql;
/* The active catalog's plans, kept per process (plan_of()). */
static struct catalog_cache plans_cache = CATALOG_CACHE_INIT(NULL);
static pthread_once_t sql_once = PTHREAD_ONCE_INIT;

static void sql_build(void)
{
	struct buf cols = { 0 }, sel = { 0 }, b = { 0 };
	size_t i;

	for (i = 0; i < nplan_keys; i++)
		buf_printf(&cols, "%s%s", i ? ", " : "", plan_keys[i].column);
	buf_printf(&sel, "SELECT id, catalog, %s", buf_cstr(&cols));

	buf_printf(&b, "%s FROM plans WHERE catalog = ? ORDER BY id FOR UPDATE",
	    buf_cstr(&sel));
	gen_sql.snapshot = xstrdup(buf_cstr(&b));
	buf_reset(&b);
	buf_printf(&b, "INSERT INTO plans (catalog, %s, created_at, updated_at)"
	    " VALUES (?", buf_cstr(&cols));
	for (i = 0; i < nplan_keys + 2; i++)
		buf_puts(&b, ", ?");
	buf_puts(&b, ")");
	gen_sql.insert = xstrdup(buf_cstr(&b));
	buf_reset(&b);
	buf_puts(&b, "UPDATE plans SET ");
	for (i = 0; i < nplan_keys; i++)
		buf_printf(&b, "%s = ?, ", plan_keys[i].column);
	buf_puts(&b, "updated_at = ? WHERE id = ?");
	gen_sql.update = xstrdup(buf_cstr(&b));
	buf_reset(&b);
	buf_printf(&b, "%s, (SELECT up.source FROM user_plans up"
	    " WHERE up.user_id = ? AND up.plan_id = plans.id)"
	    " FROM plans WHERE catalog = (SELECT value FROM app_settings"
	    " WHERE name = 'plans.catalog') AND (is_default = 1 OR id ="
	    " (SELECT plan_id FROM user_plans WHERE user_id = ?))"
	    " ORDER BY is_default ASC LIMIT 1", buf_cstr(&sel));
	gen_sql.for_user = xstrdup(buf_cstr(&b));
	buf_reset(&b);
	buf_printf(&b, "%s FROM plans WHERE catalog = ? AND is_public = 1"
	    " ORDER BY position, code", buf_cstr(&sel));
	gen_sql.public_plans = xstrdup(buf_cstr(&b));
	buf_reset(&b);
	buf_puts(&b, "SELECT p.id, p.catalog");
	for (i = 0; i < nplan_keys; i++) {
		buf_printf(&b, ", p.%s", plan_keys[i].column);
		if (strcmp(plan_keys[i].column, "is_default") == 0)
			gen_sql.default_col = i;
	}
	buf_puts(&b, ", g.generation FROM catalog_state g LEFT JOIN plans p"
	    " ON p.catalog = (SELECT value FROM app_settings"
	    " WHERE name = 'plans.catalog') WHERE g.id = 1");
	gen_sql.cached = xstrdup(buf_cstr(&b));
	plans_cache.sql = gen_sql.cached;
	buf_free(&b);
	buf_free(&sel);
	buf_free(&cols);
}

/* The generated statements (built on first use). */
static void sql_ready(void)
{
	pthread_once(&sql_once, sql_build);
}

static const char sql_clear_default[] = "UPDATE plans SET is_default = 0,"
    " updated_at = ? WHERE catalog = ? AND is_default = 1 AND code <> ?";
static const char sql_retire[] = "UPDATE plans SET is_public = 0,"
    " is_default = 0, updated_at = ? WHERE id = ?";
static const char sql_plan_id[] =
    "SELECT id FROM plans WHERE catalog = ? AND code = ?";
static const char sql_codes[] =
    "SELECT code FROM plans WHERE catalog = ? ORDER BY position, code";
static const char sql_assign[] = "INSERT INTO user_plans"
    " (user_id, plan_id, source, assigned_at) VALUES (?, ?, 'admin', ?)"
    " ON DUPLICATE KEY UPDATE plan_id = VALUES(plan_id),"
    " source = VALUES(source), assigned_at = VALUES(assigned_at)";

/* The active catalog's name into out (PLAN_CATALOG_MAX + 1 bytes). Returns
 * 1, 0 when none is set, or a db_err. */
static int active_catalog(struct db *db, const char *sql, char *out)
{
	struct db_res res;
	int64_t n = db_query(db, sql, DB_NOARGS, &res);
	const char *v = db_str(&res, 0, 0);

	out[0] = '\0';
	if (n > 0 && v != NULL && strlen(v) <= PLAN_CATALOG_MAX)
		memcpy(out, v, strlen(v) + 1);
	db_res_free(&res);
	return n < 0 ? (int)n : out[0] != '\0';
}

struct load_ctx {
	const struct plan_catalog *cat;
	int64_t		 now;
	struct buf	 lines;		/* one line per changed plan */
	int		 added, updated, retired;
	char		 was[PLAN_CATALOG_MAX + 1];	/* previous active */
};

static const struct plan *find_code(const struct plan *plans, size_t n,
    const char *code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(plans[i].code, code) == 0)
			return &plans[i];
	return NULL;
}

/* Append "\n  " and the report line key about plan p to out. */
static void report_line(struct buf *out, const char *key, const struct plan *p)
{
	buf_puts(out, "\n  ");
	msg_fmt(out, key, "code", p->code, "name", p->name, NULL);
}

/* The body of plans_load()'s transaction; starts from scratch when
 * db_tx() runs it again. */
static int load_tx(struct db *db, void *arg)
{
	struct load_ctx *c = arg;
	const struct plan_catalog *cat = c->cat;
	const struct plan *def = NULL, *old;
	struct dbv args[PLAN_KEYS_MAX + 3];
	struct plan *snap = NULL;
	struct db_res res;
	size_t nsnap = 0, i, n;
	int64_t rc;

	buf_reset(&c->lines);
	c->added = c->updated = c->retired = 0;
	if ((rc = active_catalog(db, sql_active_lock, c->was)) < 0)
		return (int)rc;
	rc = db_query(db, gen_sql.snapshot, DB_ARGS(db_s(cat->name)), &res);
	if (rc > 0) {
		snap = xcalloc((size_t)rc, sizeof(*snap));
		for (nsnap = 0; nsnap < res.nrows && rc >= 0; nsnap++)
			if (plan_from_row(&res, nsnap, &snap[nsnap]) != 0)
				rc = DB_ERROR;
	}
	db_res_free(&res);
	if (rc < 0)
		goto out;
	for (i = 0; i < cat->nplans; i++)
		if (cat->plans[i].is_default)
			def = &cat->plans[i];
	/* The unique default key allows one default: clear the old one
	 * before another plan becomes it. */
	if ((rc = db_exec(db, sql_clear_default, DB_ARGS(db_i(c->now),
	    db_s(cat->name), db_s(def->code)))) < 0)
		goto out;
	for (i = 0; i < cat->nplans; i++) {
		const struct plan *p = &cat->plans[i];

		n = plan_bind(p, args);
		if ((old = find_code(snap, nsnap, p->code)) == NULL) {
			memmove(args + 1, args, n * sizeof(*args));
			args[0] = db_s(cat->name);
			args[n + 1] = db_i(c->now);
			args[n + 2] = db_i(c->now);
			if ((rc = db_exec(db, gen_sql.insert, args, n + 3)) < 0)
				goto out;
			c->added++;
			report_line(&c->lines, "plans.report_added", p);
		} else if (!plan_equal(old, p)) {
			args[n] = db_i(c->now);
			args[n + 1] = db_i(old->id);
			if ((rc = db_exec(db, gen_sql.update, args, n + 2)) < 0)
				goto out;
			c->updated++;
			report_line(&c->lines, "plans.report_updated", p);
		}
	}
	for (i = 0; i < nsnap; i++) {
		old = &snap[i];
		if (find_code(cat->plans, cat->nplans, old->code) != NULL ||
		    (!old->is_public && !old->is_default))
			continue;
		if ((rc = db_exec(db, sql_retire, DB_ARGS(db_i(c->now),
		    db_i(old->id)))) < 0)
			goto out;
		c->retired++;
		report_line(&c->lines, "plans.report_retired", old);
	}
	if (strcmp(c->was, cat->name) != 0 &&
	    (rc = db_exec(db, sql_set_active, DB_ARGS(db_s(cat->name)))) < 0)
		goto out;
	rc = 0;
out:
	for (i = 0; i < nsnap; i++)
		plan_free(&snap[i]);
	free(snap);
	return (int)rc;
}

/* Refuse the load of path with key and {detail}. */
static int load_fail(struct pm_fail *f, int rc, const char *key,
    const char *path, const char *detail)
{
	pm_refuse(f, rc, key, NULL);
	pm_fail_arg(f, "path", "%s", path);
	pm_fail_arg(f, "detail", "%s", detail);
	return rc;
}

int plans_load(struct db *db, const char *path, int64_t now,
    struct buf *report, struct pm_fail *f)
{
	struct plan_catalog cat;
	struct buf text = { 0 }, perr = { 0 };
	struct pm_fail pf = { 0 };
	struct load_ctx c;
	char n[24], ch[24], ad[24], up[24], re[24];
	int rc;

	memset(&cat, 0, sizeof(cat));
	if (buf_read_file(&text, path, PLAN_FILE_MAX) != 0) {
		if (errno == EFBIG) {
			rc = load_fail(f, PM_INVALID, "plans.file_too_large", path, "");
			pm_fail_arg(f, "max", "%d", PLAN_FILE_MAX);
		} else
			rc = load_fail(f, PM_INVALID, "plans.file_unreadable", path,
			    strerror(errno));
		goto out;
	}
	if ((rc = plans_parse(text.data ? text.data : "", text.len, &cat,
	    &pf)) != 0) {
		pm_fail_text(rc, &pf, &perr);
		load_fail(f, rc, "plans.file_invalid", path, buf_cstr(&perr));
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.cat = &cat;
	c.now = now;
	sql_ready();
	if ((rc = db_tx(db, load_tx, &c)) != 0) {
		load_fail(f, rc, "plans.load_failed", path, db_strerror(rc));
		buf_free(&c.lines);
		goto out;
	}
	snprintf(n, sizeof(n), "%zu", cat.nplans);
	msg_count(&perr, "plans.count", (int64_t)cat.nplans);
	snprintf(ch, sizeof(ch), "%d", c.added + c.updated + c.retired);
	snprintf(ad, sizeof(ad), "%d", c.added);
	snprintf(up, sizeof(up), "%d", c.updated);
	snprintf(re, sizeof(re), "%d", c.retired);
	msg_fmt(report, "plans.report", "catalog", cat.name, "path", path,
	    "plans", buf_cstr(&perr), "changed", ch, "added", ad, "updated", up,
	    "retired", re, NULL);
	buf_putc(report, ' ');
	if (strcmp(c.was, cat.name) == 0)
		msg_fmt(report, "plans.report_unchanged", NULL);
	else
		msg_fmt(report, "plans.report_was", "was", c.was[0] ? c.was :
		    msg_get("plans.report_none"), NULL);
	buf_append(report, c.lines.data ? c.lines.data : "", c.lines.len);
	buf_free(&c.lines);
out:
	plan_catalog_free(&cat);
	buf_free(&text);
	buf_free(&perr);
	return rc;
}

int plan_for_user(struct db *db, int64_t user_id, struct plan *out)
{
	struct db_res res;
	const char *src;
	int64_t n;
	int rc, s;

	memset(out, 0, sizeof(*out));
	sql_ready();
	n = db_query(db, gen_sql.for_user, DB_ARGS(db_i(user_id), db_i(user_id)),
	    &res);
	if (n <= 0) {
		db_res_free(&res);
		return n < 0 ? (int)n : PM_NOCATALOG;
	}
	if ((rc = plan_from_row(&res, 0, out)) == 0) {
		src = db_str(&res, 0, nplan_keys + 2);
		s = plan_name_index(plan_source_names, PLAN_SOURCE__MAX, src);
		out->source = s > 0 ? (enum plan_source)s : PLAN_SOURCE_DEFAULT;
	}
	db_res_free(&res);
	return rc;
}

int plan_source_of(const char *name)
{
	int s = name ? plan_name_index(plan_source_names, PLAN_SOURCE__MAX,
	    name) : -1;

	return s > 0 ? s : PLAN_SOURCE_DEFAULT;
}

int plan_of(struct db *db, const struct plan_ref *ref, struct plan *out)
{
	struct cache_snap *s;
	size_t i, pick = SIZE_MAX;
	int rc;

	if (ref->gen <= 0)
		return plan_for_user(db, ref->user_id, out);
	memset(out, 0, sizeof(*out));
	sql_ready();
	if ((rc = catalog_cache_get(&plans_cache, db, ref->gen, &s)) != 0)
		return rc;
	/* The assigned plan when it is of the active catalog, else the
	 * default (no catalog: one row of NULLs, no id). */
	for (i = 0; i < s->res.nrows; i++) {
		if (db_str(&s->res, i, 0) == NULL)
			continue;
		if (ref->plan_id != 0 && db_int(&s->res, i, 0) == ref->plan_id) {
			pick = i;
			break;
		}
		if (pick == SIZE_MAX && db_int(&s->res, i, 2 + gen_sql.default_col))
			pick = i;
	}
	if (pick == SIZE_MAX)
		rc = PM_NOCATALOG;
	else if ((rc = plan_from_row(&s->res, pick, out)) == 0)
		out->source = out->id == ref->plan_id && ref->source >
		    PLAN_SOURCE_DEFAULT && ref->source < PLAN_SOURCE__MAX ?
		    (enum plan_source)ref->source : PLAN_SOURCE_DEFAULT;
	catalog_cache_put(s);
	return rc;
}

int plans_each_public(struct db *db, char *catalog,
    int (*fn)(const struct plan *, void *), void *arg)
{
	char cat[PLAN_CATALOG_MAX + 1];
	struct db_res res;
	struct plan p;
	int64_t n;
	size_t i;
	int rc;

	if ((rc = active_catalog(db, sql_active, cat)) <= 0)
		return rc < 0 ? rc : PM_NOCATALOG;
	if (catalog != NULL)
		memcpy(catalog, cat, sizeof(cat));
	sql_ready();
	if ((n = db_query(db, gen_sql.public_plans, DB_ARGS(db_s(cat)), &res)) < 0) {
		db_res_free(&res);
		return (int)n;
	}
	for (rc = 0, i = 0; rc == 0 && i < res.nrows; i++) {
		if (plan_from_row(&res, i, &p) != 0) {
			rc = DB_ERROR;
			break;
		}
		rc = fn(&p, arg);
		plan_free(&p);
	}
	db_res_free(&res);
	return rc < 0 ? rc : 0;
}

static int add_json(const struct plan *p, void *arr)
{
	json_object_array_add(arr, plan_to_json(p));
	return 0;
}

int plans_list_public(struct db *db, struct json_object **out)
{
	char cat[PLAN_CATALOG_MAX + 1];
	struct json_object *arr = json_object_new_array();
	int rc;

	*out = NULL;
	if ((rc = plans_each_public(db, cat, add_json, arr)) != 0) {
		json_object_put(arr);
		return rc;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "catalog", json_object_new_string(cat));
	json_object_object_add(*out, "plans", arr);
	return 0;
}

/* Copy code upper-cased into out (PLAN_CODE_MAX + 1 bytes). Returns 0, or
 * -1 when code is longer than PLAN_CODE_MAX. */
static int code_upper(const char *code, char *out)
{
	size_t i;

	for (i = 0; code[i] != '\0' && i < PLAN_CODE_MAX; i++)
		out[i] = (code[i] >= 'a' && code[i] <= 'z') ?
		    (char)(code[i] - 'a' + 'A') : code[i];
	out[i] = '\0';
	return code[i] == '\0' ? 0 : -1;
}

/* The id of the plan code of catalog cat, 0 when there is none, or a
 * db_err. */
static int64_t plan_id_of(struct db *db, const char *cat, const char *code)
{
	struct db_res res;
	int64_t n = db_query(db, sql_plan_id, DB_ARGS(db_s(cat), db_s(code)),
	    &res);
	int64_t id = n > 0 ? db_int(&res, 0, 0) : 0;

	db_res_free(&res);
	return n < 0 ? n : id;
}

struct assign_tx {
	int64_t	 user_id, now;
	char	 code[PLAN_CODE_MAX + 1];	/* "" when too long */
	char	 cat[PLAN_CATALOG_MAX + 1];
};

/* Assign in one transaction that holds the active-catalog row, so a
 * catalog switch (plans_load takes the same lock) cannot come between
 * choosing the plan and assigning it. */
static int assign_fn(struct db *db, void *arg)
{
	struct assign_tx *t = arg;
	int64_t rc, plan_id = 0;

	if ((rc = active_catalog(db, sql_active_lock, t->cat)) <= 0)
		return rc < 0 ? (int)rc : PM_NOCATALOG;
	if (t->code[0] != '\0' && (plan_id = plan_id_of(db, t->cat, t->code)) < 0)
		return (int)plan_id;
	if (plan_id == 0)
		return PM_NOTFOUND;
	rc = db_exec(db, sql_assign, DB_ARGS(db_i(t->user_id), db_i(plan_id),
	    db_i(t->now)));
	return rc < 0 ? (int)rc : 0;
}

int plan_set_for_user(struct db *db, const char *email, const char *code,
    int64_t now, struct pm_fail *f)
{
	char norm[EMAIL_MAX + 1];
	struct assign_tx t = { 0 };
	struct user_row u;
	struct db_res res;
	struct buf codes = { 0 };
	int64_t rc;
	size_t i;

	if (email_check(email, norm, NULL) != 0) {
		pm_refuse(f, PM_NOTFOUND, "plans.bad_email", NULL);
		pm_fail_arg(f, "email", "%.254s", email);
		return PM_NOTFOUND;
	}
	if ((rc = user_find_by_email(db, norm, &u)) <= 0) {
		if (rc < 0)
			return (int)rc;
		pm_refuse(f, PM_NOTFOUND, "plans.no_user", NULL);
		pm_fail_arg(f, "email", "%s", norm);
		return PM_NOTFOUND;
	}
	t.user_id = u.id;
	t.now = now;
	if (code_upper(code, t.code) != 0)
		t.code[0] = '\0';
	rc = db_tx(db, assign_fn, &t);
	if (rc == PM_NOTFOUND) {
		rc = db_query(db, sql_codes, DB_ARGS(db_s(t.cat)), &res);
		for (i = 0; i < res.nrows; i++)
			buf_printf(&codes, "%s%s", i ? ", " : "", db_str(&res, i, 0));
		db_res_free(&res);
		if (rc < 0) {
			buf_free(&codes);
			return (int)rc;
		}
		pm_refuse(f, PM_NOTFOUND, "plans.unknown_plan", NULL);
		pm_fail_arg(f, "code", "%.64s", code);
		pm_fail_arg(f, "catalog", "%s", t.cat);
		pm_fail_arg(f, "codes", "%s", buf_cstr(&codes));
		buf_free(&codes);
		return PM_NOTFOUND;
	}
	return (int)rc;
}
