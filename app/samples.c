/* samples.c - golden samples of a prompt: loading, listing, create,
 * update, delete, export and import (samples.h). The fields are checked
 * by sample_rules.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "jsonx.h"
#include "prompts.h"
#include "sample_rules.h"
#include "samples.h"
#include "text_metrics.h"
#include "util.h"

/* Columns of a sample row, in the order row_load() reads them. */
#define SAMPLE_COLS "s.id, s.prompt_id, s.name, s.variables, " \
	"s.expected_output, s.threshold, s.judge_model, s.checks, " \
	"s.created_from_execution_id, s.created_at, s.updated_at"

static const char sql_load_all[] = "SELECT " SAMPLE_COLS
    " FROM golden_samples s WHERE s.user_id = ? AND s.prompt_id = ?"
    " ORDER BY s.id LIMIT 1000";
static const char sql_load_one[] = "SELECT " SAMPLE_COLS
    " FROM golden_samples s WHERE s.user_id = ? AND s.prompt_id = ?"
    " AND s.id = ?";
static const char sql_page[] = "SELECT " SAMPLE_COLS
    " FROM golden_samples s WHERE s.user_id = ? AND s.prompt_id = ?"
    " AND s.id > ? ORDER BY s.id LIMIT ?";
static const char sql_count[] = "SELECT COUNT(*) FROM golden_samples"
    " WHERE user_id = ? AND prompt_id = ?";
static const char sql_prompt_id[] = "SELECT id FROM prompts"
    " WHERE user_id = ? AND live_slug = ?";
static const char sql_prompt_lock[] = "SELECT id FROM prompts"
    " WHERE user_id = ? AND live_slug = ? FOR UPDATE";
static const char sql_insert[] = "INSERT INTO golden_samples (user_id,"
    " prompt_id, name, variables, expected_output, threshold, judge_model,"
    " checks, created_from_execution_id, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_update[] = "UPDATE golden_samples SET name = ?,"
    " variables = ?, expected_output = ?, threshold = ?, judge_model = ?,"
    " checks = ?, updated_at = ? WHERE id = ? AND user_id = ?"
    " AND prompt_id = ?";
static const char sql_delete[] = "DELETE FROM golden_samples WHERE id = ?"
    " AND user_id = ? AND prompt_id = ?";
static const char sql_exec_of_prompt[] = "SELECT id FROM executions"
    " WHERE id = ? AND user_id = ? AND prompt_id = ?";

void sample_free(struct sample *s)
{
	if (s == NULL)
		return;
	free(s->name);
	json_object_put(s->variables);
	free(s->expected);
	free(s->judge_model);
	checks_free(&s->checks);
	memset(s, 0, sizeof(*s));
}

void sample_list_free(struct sample_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		sample_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Load row i of res into s. Returns 0 or PM_INTERNAL (a stored value that
 * does not read back: not expected, every one was checked when saved). */
static int row_load(const struct db_res *res, size_t i, struct sample *s)
{
	const char *exp = db_str(res, i, 4), *thr = db_str(res, i, 5);
	const char *judge = db_str(res, i, 6), *checks = db_str(res, i, 7);
	struct pm_fail f = { 0 };
	struct json_error e;
	json_object *arr;
	int rc;

	memset(s, 0, sizeof(*s));
	s->id = db_int(res, i, 0);
	s->prompt_id = db_int(res, i, 1);
	s->name = xstrdup(db_str(res, i, 2));
	s->variables = json_parse_strict(db_str(res, i, 3),
	    res->lens[i * res->ncols + 3], &e);
	if (exp != NULL) {
		s->expected = xstrdup(exp);
		s->expected_len = res->lens[i * res->ncols + 4];
	}
	if (thr != NULL) {
		s->has_threshold = 1;
		s->threshold = strtod(thr, NULL);
	}
	if (judge != NULL)
		s->judge_model = xstrdup(judge);
	s->created_from_execution_id = db_int(res, i, 8);
	s->created_at = db_int(res, i, 9);
	s->updated_at = db_int(res, i, 10);
	arr = json_parse_strict(checks, strlen(checks), &e);
	rc = s->variables != NULL && arr != NULL ?
	    checks_parse(arr, s->expected, &s->checks, &f) : PM_INTERNAL;
	json_object_put(arr);
	pm_fail_clear(&f);
	if (rc != 0) {
		sample_free(s);
		return PM_INTERNAL;
	}
	return 0;
}

/* Load every row of res into a new list. */
static int rows_load(const struct db_res *res, struct sample_list *out)
{
	size_t i;
	int rc;

	out->v = xcalloc(res->nrows ? res->nrows : 1, sizeof(*out->v));
	for (i = 0; i < res->nrows; i++) {
		if ((rc = row_load(res, i, &out->v[i])) != 0)
			return rc;
		out->n = i + 1;
	}
	return 0;
}

int samples_load(struct db *db, int64_t uid, int64_t prompt_id,
    struct sample_list *out)
{
	struct db_res res = { 0 };
	int64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	n = db_query(db, sql_load_all, DB_ARGS(db_i(uid), db_i(prompt_id)),
	    &res);
	rc = n < 0 ? (int)n : rows_load(&res, out);
	db_res_free(&res);
	return rc < 0 ? rc : (int)out->n;
}

int sample_load(struct db *db, int64_t uid, int64_t prompt_id, int64_t id,
    struct sample *out)
{
	struct db_res res = { 0 };
	int64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	n = db_query(db, sql_load_one, DB_ARGS(db_i(uid), db_i(prompt_id),
	    db_i(id)), &res);
	rc = n < 0 ? (int)n : n == 0 ? PM_NOTFOUND : row_load(&res, 0, out);
	db_res_free(&res);
	return rc;
}

/* The editable fields of s as an object (the base an update applies to,
 * and an export entry). */
static json_object *fields_json(const struct sample *s)
{
	json_object *o = json_object_new_object(), *vars = NULL;

	json_object_object_add(o, "name", json_object_new_string(s->name));
	if (json_object_deep_copy(s->variables, &vars, NULL) != 0)
		vars = json_object_new_object();
	json_object_object_add(o, "variables", vars);
	json_object_object_add(o, "expected_output", s->expected ?
	    json_object_new_string_len(s->expected, (int)s->expected_len) :
	    NULL);
	json_object_object_add(o, "threshold", s->has_threshold ?
	    json_new_double(s->threshold) : NULL);
	json_object_object_add(o, "judge_model", s->judge_model ?
	    json_object_new_string(s->judge_model) : NULL);
	json_object_object_add(o, "checks", checks_to_json(&s->checks));
	return o;
}

json_object *sample_json(const struct sample *s)
{
	json_object *o = json_object_new_object(), *fields = fields_json(s);

	json_object_object_add(o, "id", json_object_new_int64(s->id));
	json_object_object_foreach(fields, k, v)
		json_object_object_add(o, k, json_object_get(v));
	json_object_put(fields);
	json_object_object_add(o, "created_from_execution_id",
	    s->created_from_execution_id ?
	    json_object_new_int64(s->created_from_execution_id) : NULL);
	json_add_time(o, "created_at", s->created_at);
	json_add_time(o, "updated_at", s->updated_at);
	return o;
}

/* The id of the owner's live prompt slug. Returns it, PM_NOTFOUND or a
 * db_err. */
static int64_t prompt_id_of(struct db *db, int64_t uid, const char *slug,
    int lock)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, lock ? sql_prompt_lock : sql_prompt_id,
	    DB_ARGS(db_i(uid), db_s(slug)), &res), id;

	id = n < 0 ? n : n == 0 ? PM_NOTFOUND : db_int(&res, 0, 0);
	db_res_free(&res);
	return id;
}

int sample_page(struct db *db, int64_t uid, const char *slug,
    const char *cursor, int limit, json_object **out, struct pm_fail *f)
{
	struct db_res res = { 0 }, cnt = { 0 };
	struct sample s;
	json_object *o, *items;
	int64_t pid, after = 0, n;
	size_t i;
	int rc = 0;
	char c[24];

	if (limit == 0)
		limit = LIST_LIMIT_DEFAULT;
	if (limit < 1 || limit > LIST_LIMIT_MAX)
		return pm_refuse(f, PM_INVALID, "prompts.bad_limit", "limit");
	if (cursor != NULL && *cursor &&
	    parse_i64(cursor, 1, INT64_MAX, &after) != 0)
		return pm_refuse(f, PM_INVALID, "prompts.bad_cursor", "cursor");
	if ((pid = prompt_id_of(db, uid, slug, 0)) < 0)
		return (int)pid;
	n = db_query(db, sql_page, DB_ARGS(db_i(uid), db_i(pid), db_i(after),
	    db_i(limit + 1)), &res);
	if (n >= 0 && db_query(db, sql_count, DB_ARGS(db_i(uid), db_i(pid)),
	    &cnt) < 0)
		n = DB_ERROR;
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	items = json_object_new_array();
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	for (i = 0; i < res.nrows && i < (size_t)limit && rc == 0; i++) {
		if ((rc = row_load(&res, i, &s)) == 0)
			json_object_array_add(items, sample_json(&s));
		sample_free(&s);
	}
	if (res.nrows > (size_t)limit) {
		snprintf(c, sizeof(c), "%lld",
		    (long long)db_int(&res, (size_t)limit - 1, 0));
		json_object_object_add(o, "next_cursor",
		    json_object_new_string(c));
	} else {
		json_object_object_add(o, "next_cursor", NULL);
	}
	json_object_object_add(o, "total",
	    json_object_new_int64(db_int(&cnt, 0, 0)));
	if (rc == 0)
		*out = o;
	else
		json_object_put(o);
out:
	db_res_free(&res);
	db_res_free(&cnt);
	return rc;
}

int sample_get(struct db *db, int64_t uid, const char *slug, int64_t id,
    json_object **out)
{
	struct sample s;
	int64_t pid = prompt_id_of(db, uid, slug, 0);
	int rc;

	if (pid < 0)
		return (int)pid;
	if ((rc = sample_load(db, uid, pid, id, &s)) == 0)
		*out = sample_json(&s);
	sample_free(&s);
	return rc;
}

/* Insert checked fields as a sample of prompt pid. Returns the new id,
 * PM_CONFLICT samples.name_taken, or a db_err. */
static int64_t insert(struct db *db, int64_t uid, int64_t pid,
    const struct sample_fields *sf, int64_t exec_id, int64_t now,
    struct pm_fail *f)
{
	int64_t rc = db_exec(db, sql_insert, DB_ARGS(db_i(uid), db_i(pid),
	    db_s(sf->name), db_s(sf->variables), sf->expected ?
	    db_sn(sf->expected, sf->expected_len) : db_null(),
	    sf->has_threshold ? db_d(sf->threshold) : db_null(),
	    db_s(sf->judge_model), db_s(sf->checks), exec_id ? db_i(exec_id) :
	    db_null(), db_i(now), db_i(now)));

	if (rc == DB_DUP) {
		pm_refuse(f, PM_CONFLICT, "samples.name_taken", "name");
		pm_fail_arg(f, "name", "%s", sf->name);
		return PM_CONFLICT;
	}
	return rc < 0 ? rc : db_insert_id(db);
}

/* Whether prompt pid has room for more samples. Returns 0, PM_CONFLICT
 * samples.too_many or a db_err. */
static int room_for(struct db *db, int64_t uid, int64_t pid, size_t more,
    struct pm_fail *f)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, sql_count, DB_ARGS(db_i(uid), db_i(pid)), &res);
	int64_t have = n == 1 ? db_int(&res, 0, 0) : 0;

	db_res_free(&res);
	if (n < 0)
		return (int)n;
	if (have + (int64_t)more > SAMPLES_MAX)
		return pm_refuse(f, PM_CONFLICT, "samples.too_many", NULL);
	return 0;
}

struct create_tx {
	int64_t				 uid, now, exec_id, id;
	const char			*slug;
	const struct sample_fields	*sf;
	struct pm_fail			*f;
};

static int create_fn(struct db *db, void *arg)
{
	struct create_tx *t = arg;
	struct db_res res = { 0 };
	int64_t pid = prompt_id_of(db, t->uid, t->slug, 1), n;
	int rc;

	if (pid < 0)
		return (int)pid;
	if (t->exec_id != 0) {
		n = db_query(db, sql_exec_of_prompt, DB_ARGS(db_i(t->exec_id),
		    db_i(t->uid), db_i(pid)), &res);
		db_res_free(&res);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return pm_refuse(t->f, PM_INVALID,
			    "samples.execution_invalid",
			    "created_from_execution_id");
	}
	if ((rc = room_for(db, t->uid, pid, 1, t->f)) != 0)
		return rc;
	t->id = insert(db, t->uid, pid, t->sf, t->exec_id, t->now, t->f);
	return t->id < 0 ? (int)t->id : 0;
}

/* The execution a sample is saved from: a positive integer or absent. */
static int exec_id_of(json_object *in, int64_t *id, struct pm_fail *f)
{
	json_object *v = json_member(in, "created_from_execution_id");

	*id = 0;
	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    (*id = json_object_get_int64(v)) < 1)
		return pm_refuse(f, PM_INVALID, "samples.execution_invalid",
		    "created_from_execution_id");
	return 0;
}

int64_t sample_create(struct db *db, int64_t uid, const char *slug,
    json_object *in, int64_t now, struct pm_fail *f)
{
	struct sample_fields sf;
	struct create_tx t = { uid, now, 0, 0, slug, &sf, f };
	json_object *fields;
	int64_t rc;

	if (!json_object_is_type(in, json_type_object))
		return pm_refuse(f, PM_INVALID, "samples.body_object", NULL);
	if ((rc = exec_id_of(in, &t.exec_id, f)) != 0)
		return rc;
	/* Checked without the execution id, which is not a field. */
	fields = json_object_new_object();
	json_object_object_foreach(in, k, v) {
		if (strcmp(k, "created_from_execution_id") != 0)
			json_object_object_add(fields, k, json_object_get(v));
	}
	rc = sample_fields_check(db, fields, 0, &sf, f);
	if (rc == 0) {
		rc = db_tx(db, create_fn, &t);
		if (rc == 0)
			rc = t.id;
	}
	sample_fields_free(&sf);
	json_object_put(fields);
	return rc;
}

struct update_tx {
	int64_t		 uid, id, now;
	const char	*slug;
	json_object	*in;
	struct pm_fail	*f;
};

/* Apply the fields of in over the stored sample, check the whole, store
 * it. */
static int update_fn(struct db *db, void *arg)
{
	struct update_tx *t = arg;
	struct sample s;
	struct sample_fields sf;
	json_object *merged;
	int64_t pid = prompt_id_of(db, t->uid, t->slug, 1), n;
	int rc;

	if (pid < 0)
		return (int)pid;
	if ((rc = sample_load(db, t->uid, pid, t->id, &s)) != 0)
		return rc;
	merged = fields_json(&s);
	sample_free(&s);
	json_object_object_foreach(t->in, k, v)
		json_object_object_add(merged, k, json_object_get(v));
	rc = sample_fields_check(db, merged, 0, &sf, t->f);
	if (rc == 0) {
		n = db_exec(db, sql_update, DB_ARGS(db_s(sf.name),
		    db_s(sf.variables), sf.expected ? db_sn(sf.expected,
		    sf.expected_len) : db_null(), sf.has_threshold ?
		    db_d(sf.threshold) : db_null(), db_s(sf.judge_model),
		    db_s(sf.checks), db_i(t->now), db_i(t->id), db_i(t->uid),
		    db_i(pid)));
		if (n == DB_DUP) {
			pm_refuse(t->f, PM_CONFLICT, "samples.name_taken",
			    "name");
			pm_fail_arg(t->f, "name", "%s", sf.name);
			rc = PM_CONFLICT;
		} else if (n < 0) {
			rc = (int)n;
		}
	}
	sample_fields_free(&sf);
	json_object_put(merged);
	return rc;
}

int sample_update(struct db *db, int64_t uid, const char *slug, int64_t id,
    json_object *in, int64_t now, struct pm_fail *f)
{
	struct update_tx t = { uid, id, now, slug, in, f };

	if (!json_object_is_type(in, json_type_object))
		return pm_refuse(f, PM_INVALID, "samples.body_object", NULL);
	return db_tx(db, update_fn, &t);
}

int sample_delete(struct db *db, int64_t uid, const char *slug, int64_t id)
{
	int64_t pid = prompt_id_of(db, uid, slug, 0), n;

	if (pid < 0)
		return (int)pid;
	n = db_exec(db, sql_delete, DB_ARGS(db_i(id), db_i(uid), db_i(pid)));
	return n < 0 ? (int)n : n == 0 ? PM_NOTFOUND : 0;
}

int samples_export(struct db *db, int64_t uid, const char *slug, int64_t now,
    json_object **out)
{
	struct sample_list l;
	json_object *o, *a;
	int64_t pid = prompt_id_of(db, uid, slug, 0);
	size_t i;
	int rc;

	if (pid < 0)
		return (int)pid;
	if ((rc = samples_load(db, uid, pid, &l)) < 0) {
		sample_list_free(&l);
		return rc;
	}
	o = json_object_new_object();
	json_object_object_add(o, "format",
	    json_object_new_string(SAMPLES_EXPORT_FORMAT));
	json_object_object_add(o, "prompt", json_object_new_string(slug));
	json_add_time(o, "exported_at", now);
	a = json_object_new_array();
	for (i = 0; i < l.n; i++)
		json_object_array_add(a, fields_json(&l.v[i]));
	json_object_object_add(o, "samples", a);
	sample_list_free(&l);
	*out = o;
	return 0;
}

/* --- import --- */

struct import_tx {
	int64_t			 uid, now;
	const char		*slug;
	struct sample_fields	*sf;
	size_t			 n;
	struct pm_fail		*f;
};

static int import_fn(struct db *db, void *arg)
{
	struct import_tx *t = arg;
	int64_t pid = prompt_id_of(db, t->uid, t->slug, 1), id;
	size_t i;
	int rc;

	if (pid < 0)
		return (int)pid;
	if ((rc = room_for(db, t->uid, pid, t->n, t->f)) != 0)
		return rc;
	for (i = 0; i < t->n; i++) {
		id = insert(db, t->uid, pid, &t->sf[i], 0, t->now, t->f);
		if (id == PM_CONFLICT) {
			pm_refuse(t->f, PM_CONFLICT, "samples.import_name_taken",
			    "file");
			pm_fail_arg(t->f, "name", "%s", t->sf[i].name);
			return PM_CONFLICT;
		}
		if (id < 0)
			return (int)id;
	}
	return 0;
}

/* The samples array of an import file. Returns it (borrowed) or NULL
 * with the refusal in f and its kind in *rc. */
static json_object *import_array(json_object *file, int *rc,
    struct pm_fail *f)
{
	json_object *a = file, *fmt;

	if (json_object_is_type(file, json_type_object)) {
		fmt = json_member(file, "format");
		if (fmt != NULL && (!json_object_is_type(fmt, json_type_string) ||
		    strcmp(json_object_get_string(fmt),
		    SAMPLES_EXPORT_FORMAT) != 0)) {
			*rc = pm_refuse(f, PM_INVALID, "samples.import_format",
			    "file");
			return NULL;
		}
		a = json_member(file, "samples");
	}
	if (!json_object_is_type(a, json_type_array)) {
		*rc = pm_refuse(f, PM_INVALID, "samples.import_not_samples",
		    "file");
		return NULL;
	}
	if (json_object_array_length(a) == 0) {
		*rc = pm_refuse(f, PM_INVALID, "samples.import_empty", "file");
		return NULL;
	}
	if (json_object_array_length(a) > SAMPLES_MAX) {
		*rc = pm_refuse(f, PM_CONFLICT, "samples.too_many", "file");
		return NULL;
	}
	return a;
}

/* Refuse sample number i + 1 of the file with the sentence of its own
 * refusal. Returns PM_INVALID. */
static int import_bad(size_t i, int rc, struct pm_fail *f)
{
	struct buf why = { 0 };

	pm_fail_text(rc, f, &why);
	pm_fail_clear(f);
	pm_refuse(f, PM_INVALID, "samples.import_bad", "file");
	pm_fail_arg(f, "n", "%zu", i + 1);
	pm_fail_arg(f, "reason", "%s", buf_cstr(&why));
	buf_free(&why);
	return PM_INVALID;
}

/* Refuse a name given twice in the file (in any letter case). Returns
 * 0 or PM_INVALID. */
static int names_distinct(const struct sample_fields *sf, size_t n,
    struct pm_fail *f)
{
	struct buf *folded = xcalloc(n, sizeof(*folded));
	size_t i, j;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		tm_fold_text(sf[i].name, strlen(sf[i].name), &folded[i]);
		for (j = 0; j < i && rc == 0; j++)
			if (strcmp(buf_cstr(&folded[i]),
			    buf_cstr(&folded[j])) == 0) {
				rc = pm_refuse(f, PM_INVALID,
				    "samples.import_name_twice", "file");
				pm_fail_arg(f, "name", "%s", sf[i].name);
			}
	}
	for (i = 0; i < n; i++)
		buf_free(&folded[i]);
	free(folded);
	return rc;
}

int samples_import(struct db *db, int64_t uid, const char *slug,
    json_object *file, int64_t now, struct pm_fail *f)
{
	struct import_tx t = { uid, now, slug, NULL, 0, f };
	json_object *a;
	size_t i, n;
	int64_t pid;
	int rc = 0;

	if ((pid = prompt_id_of(db, uid, slug, 0)) < 0)
		return (int)pid;
	if ((a = import_array(file, &rc, f)) == NULL)
		return rc;
	n = json_object_array_length(a);
	t.sf = xcalloc(n, sizeof(*t.sf));
	for (i = 0; i < n && rc == 0; i++) {
		rc = sample_fields_check(db, json_object_array_get_idx(a, i), 1,
		    &t.sf[i], f);
		if (rc != 0)
			rc = import_bad(i, rc, f);
		else
			t.n = i + 1;
	}
	if (rc == 0)
		rc = names_distinct(t.sf, n, f);
	if (rc == 0)
		rc = db_tx(db, import_fn, &t);
	for (i = 0; i < t.n; i++)
		sample_fields_free(&t.sf[i]);
	free(t.sf);
	return rc == 0 ? (int)n : rc;
}
