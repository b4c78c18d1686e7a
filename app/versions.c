/* versions.c - immutable prompt versions: creation, promotion and
 * archiving (each one transaction), history, rendering. What a version
 * may hold is version_rules.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "db.h"
#include "gate.h"
#include "jsonx.h"
#include "models.h"
#include "prompts.h"
#include "util.h"
#include "vars.h"

static const char *json_text(struct json_object *o)
{
	return json_to_text(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, NULL);
}

int64_t version_insert(struct db *db, int64_t prompt_id, int number,
    const char *status, struct json_object *content, int64_t uid,
    int64_t now)
{
	int64_t rc, vid;

	rc = db_exec(db, "INSERT INTO prompt_versions (prompt_id, number, status,"
	    " messages, model, params, variables, commit_message, author_id,"
	    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_ARGS(db_i(prompt_id), db_i(number), db_s(status),
	    db_s(json_text(json_object_object_get(content, "messages"))),
	    db_s(json_object_get_string(json_object_object_get(content, "model"))),
	    db_s(json_text(json_object_object_get(content, "params"))),
	    db_s(json_text(json_object_object_get(content, "variables"))),
	    db_s(json_object_get_string(json_object_object_get(content,
	    "commit_message"))), db_i(uid), db_i(now)));
	if (rc < 0)
		return rc;
	vid = db_insert_id(db);
	rc = db_exec(db, "INSERT INTO version_status_changes (version_id,"
	    " from_status, to_status, user_id, created_at, action)"
	    " VALUES (?, NULL, ?, ?, ?, 'create')",
	    DB_ARGS(db_i(vid), db_s(status), db_i(uid), db_i(now)));
	if (rc >= 0 && strcmp(status, "PRODUCTION") == 0)
		rc = db_exec(db, "UPDATE prompts SET production_version = ?"
		    " WHERE id = ?", DB_ARGS(db_i(number), db_i(prompt_id)));
	return rc < 0 ? rc : vid;
}

/* Lock the owner's live prompt row: returns its id, PM_NOTFOUND or a
 * db_err; *latest gets latest_version. */
static int64_t lock_prompt(struct db *db, int64_t uid, const char *slug,
    int *latest)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT id, latest_version"
	    " FROM prompts WHERE user_id = ? AND live_slug = ?"
	    " FOR UPDATE", DB_ARGS(db_i(uid), db_s(slug)), &res), id;

	id = n == 1 ? db_int(&res, 0, 0) : 0;
	if (latest != NULL && n == 1)
		*latest = (int)db_int(&res, 0, 1);
	db_res_free(&res);
	return n < 0 ? n : n == 0 ? PM_NOTFOUND : id;
}

struct vcreate_tx {
	int64_t			 uid, now;
	const char		*slug;
	struct json_object	*in;
	int			 number;
	struct pm_fail		*f;
};

/* Content of the latest version of prompt pid (the base of an edit). */
static int latest_content(struct db *db, int64_t pid, int number,
    struct json_object **out)
{
	struct db_res res = { 0 };
	struct json_object *o;
	int64_t n = db_query(db, "SELECT messages, model, params, variables"
	    " FROM prompt_versions WHERE prompt_id = ? AND number = ?",
	    DB_ARGS(db_i(pid), db_i(number)), &res);

	if (n != 1) {
		db_res_free(&res);
		return n < 0 ? (int)n : PM_NOTFOUND;
	}
	o = json_object_new_object();
	json_object_object_add(o, "messages", json_tokener_parse(db_str(&res, 0, 0)));
	json_object_object_add(o, "model", json_object_new_string(db_str(&res, 0, 1)));
	json_object_object_add(o, "params", json_tokener_parse(db_str(&res, 0, 2)));
	json_object_object_add(o, "variables", json_tokener_parse(db_str(&res, 0, 3)));
	json_doubles_shortest(o);	/* a long form stored before */
	db_res_free(&res);
	*out = o;
	return 0;
}

/* Whether the texts x and y (xn and yn bytes) are the same but for line
 * ends: a browser sends a textarea's lines ended by CRLF, the API may not. */
static int text_same(const char *x, size_t xn, const char *y, size_t yn)
{
	size_t i = 0, j = 0;

	for (;;) {
		if (i + 1 < xn && x[i] == '\r' && x[i + 1] == '\n')
			i++;
		if (j + 1 < yn && y[j] == '\r' && y[j + 1] == '\n')
			j++;
		if (i == xn || j == yn)
			return i == xn && j == yn;
		if (x[i++] != y[j++])
			return 0;
	}
}

/* Whether the JSON values x and y are the same: numbers by value (1 and
 * 1.0 alike), objects whatever their key order, strings by text_same(). */
static int json_same(struct json_object *x, struct json_object *y)
{
	enum json_type tx = json_object_get_type(x), ty = json_object_get_type(y);
	size_t i;

	if ((tx == json_type_int || tx == json_type_double) &&
	    (ty == json_type_int || ty == json_type_double))
		return tx == json_type_int && ty == json_type_int ?
		    json_object_get_int64(x) == json_object_get_int64(y) :
		    json_object_get_double(x) == json_object_get_double(y);
	if (tx != ty)
		return 0;
	switch (tx) {
	case json_type_object:
		if (json_object_object_length(x) != json_object_object_length(y))
			return 0;
		json_object_object_foreach(x, k, v) {
			struct json_object *w;
			if (!json_object_object_get_ex(y, k, &w) || !json_same(v, w))
				return 0;
		}
		return 1;
	case json_type_array:
		if (json_object_array_length(x) != json_object_array_length(y))
			return 0;
		for (i = 0; i < json_object_array_length(x); i++)
			if (!json_same(json_object_array_get_idx(x, i),
			    json_object_array_get_idx(y, i)))
				return 0;
		return 1;
	case json_type_string:
		return text_same(json_object_get_string(x),
		    (size_t)json_object_get_string_len(x), json_object_get_string(y),
		    (size_t)json_object_get_string_len(y));
	case json_type_boolean:
		return json_object_get_boolean(x) == json_object_get_boolean(y);
	default:
		return 1;	/* both null */
	}
}

/* Whether content (from version_content) holds what base (the latest
 * version) holds: messages, model, parameters and variable declarations.
 * The commit message is not content. */
static int same_content(struct json_object *base, struct json_object *content)
{
	static const char *const keys[] = { "messages", "model", "params",
	    "variables" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_same(json_object_object_get(base, keys[i]),
		    json_object_object_get(content, keys[i])))
			return 0;
	return 1;
}

static int vcreate_fn(struct db *db, void *arg)
{
	struct vcreate_tx *t = arg;
	struct json_object *base = NULL, *content = NULL;
	int latest = 0;
	int64_t pid = lock_prompt(db, t->uid, t->slug, &latest), rc;

	if (pid < 0)
		return (int)pid;
	if (latest > 0 && (rc = latest_content(db, pid, latest, &base)) != 0)
		return (int)rc;
	rc = version_content(t->in, base, &content, t->f);
	if (rc == 0 && base != NULL && same_content(base, content)) {
		/* Nothing is written: the transaction only read. */
		json_object_put(content);
		rc = pm_refuse(t->f, PM_CONFLICT, "versions.unchanged", NULL);
		pm_fail_arg(t->f, "version", "%d", latest);
	}
	json_object_put(base);
	if (rc != 0)
		return (int)rc;
	t->number = latest + 1;
	rc = version_insert(db, pid, t->number, "DRAFT", content, t->uid, t->now);
	if (rc >= 0)
		rc = version_set_latest(db, pid, t->number, content, t->now);
	json_object_put(content);
	return rc < 0 ? (int)rc : 0;
}

int version_set_latest(struct db *db, int64_t prompt_id, int number,
    struct json_object *content, int64_t now)
{
	struct json_object *msgs = json_object_object_get(content, "messages");
	struct buf st = { 0 };
	size_t i;
	int64_t rc;

	/* search text: the name/description head, then this text */
	for (i = 0; i < json_object_array_length(msgs); i++) {
		buf_putc(&st, '\n');
		buf_puts(&st, json_object_get_string(json_object_object_get(
		    json_object_array_get_idx(msgs, i), "content")));
	}
	rc = db_exec(db, "UPDATE prompts SET latest_version = ?,"
	    " search_text = CONCAT(name, '\\n', description, ?),"
	    " updated_at = ? WHERE id = ?",
	    DB_ARGS(db_i(number), db_s(buf_cstr(&st)), db_i(now),
	    db_i(prompt_id)));
	buf_free(&st);
	return rc < 0 ? (int)rc : 0;
}

int version_create(struct db *db, int64_t uid, const char *slug,
    struct json_object *in, int64_t now, struct pm_fail *f)
{
	struct vcreate_tx t = { uid, now, slug, in, 0, f };
	int rc = model_check_chosen(db, in, f);

	if (rc == 0)
		rc = db_tx(db, vcreate_fn, &t);

	return rc != 0 ? rc : t.number;
}

int version_list(struct db *db, int64_t uid, const char *slug,
    struct json_object **out)
{
	struct db_res res = { 0 };
	struct json_object *a;
	int64_t n, i;

	n = db_query(db, "SELECT v.number, v.status, v.model, v.commit_message,"
	    " u.email, v.created_at FROM prompts p"
	    " JOIN prompt_versions v ON v.prompt_id = p.id"
	    " JOIN users u ON u.id = v.author_id"
	    " WHERE p.user_id = ? AND p.live_slug = ?"
	    " ORDER BY v.number DESC", DB_ARGS(db_i(uid), db_s(slug)), &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		const char *st = db_str(&res, i, 1);

		json_object_object_add(o, "number", json_object_new_int64(db_int(&res, i, 0)));
		json_object_object_add(o, "status", json_object_new_string(st));
		json_object_object_add(o, "model", json_object_new_string(db_str(&res, i, 2)));
		json_object_object_add(o, "commit_message",
		    json_object_new_string(db_str(&res, i, 3)));
		json_object_object_add(o, "author", json_object_new_string(db_str(&res, i, 4)));
		json_add_time(o, "created_at", db_int(&res, i, 5));
		json_object_array_add(a, o);
	}
	db_res_free(&res);
	*out = a;
	return 0;
}

static struct json_object *history(struct db *db, int64_t vid, int *rc)
{
	struct db_res res = { 0 };
	struct json_object *a;
	int64_t n, i;

	n = db_query(db, "SELECT h.from_status, h.to_status, u.email, h.created_at"
	    " FROM version_status_changes h JOIN users u ON u.id = h.user_id"
	    " WHERE h.version_id = ? ORDER BY h.id", DB_ARGS(db_i(vid)), &res);
	*rc = n < 0 ? (int)n : 0;
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		const char *from = db_str(&res, i, 0);

		json_object_object_add(o, "from", from ? json_object_new_string(from) : NULL);
		json_object_object_add(o, "to", json_object_new_string(db_str(&res, i, 1)));
		json_object_object_add(o, "by", json_object_new_string(db_str(&res, i, 2)));
		json_add_time(o, "at", db_int(&res, i, 3));
		json_object_array_add(a, o);
	}
	db_res_free(&res);
	return a;
}

/* version_get(), optionally without the history, also giving the ids of
 * the prompt and the version (either may be NULL). */
/* The columns version_json() reads, from prompt_versions v and users u. */
#define VERSION_COLS "v.number, v.status, v.messages, v.model, v.params," \
	" v.variables, v.commit_message, u.email, v.created_at"

/* Row i of res, whose columns from off on are VERSION_COLS, as a version
 * object (caller puts). */
static struct json_object *version_json(struct db_res *res, size_t i,
    size_t off)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "number", json_object_new_int64(db_int(res, i, off)));
	json_object_object_add(o, "status", json_object_new_string(db_str(res, i, off + 1)));
	json_object_object_add(o, "messages", json_tokener_parse(db_str(res, i, off + 2)));
	json_object_object_add(o, "model", json_object_new_string(db_str(res, i, off + 3)));
	json_object_object_add(o, "params", json_tokener_parse(db_str(res, i, off + 4)));
	json_object_object_add(o, "variables", json_tokener_parse(db_str(res, i, off + 5)));
	json_object_object_add(o, "commit_message",
	    json_object_new_string(db_str(res, i, off + 6)));
	json_object_object_add(o, "author", json_object_new_string(db_str(res, i, off + 7)));
	json_add_time(o, "created_at", db_int(res, i, off + 8));
	json_doubles_shortest(o);	/* a long form stored before */
	return o;
}

static int version_fetch(struct db *db, int64_t uid, const char *slug,
    int number, int with_history, struct json_object **out, int64_t *pid,
    int64_t *vid)
{
	struct db_res res = { 0 };
	struct json_object *o;
	int64_t n;
	int rc;

	n = db_query(db, "SELECT v.id, p.id, " VERSION_COLS
	    " FROM prompts p JOIN prompt_versions v ON v.prompt_id = p.id"
	    " JOIN users u ON u.id = v.author_id"
	    " WHERE p.user_id = ? AND p.live_slug = ?"
	    " AND v.number = IF(? > 0, ?, COALESCE(p.production_version,"
	    " p.latest_version))",
	    DB_ARGS(db_i(uid), db_s(slug), db_i(number), db_i(number)), &res);
	if (n != 1) {
		db_res_free(&res);
		return n < 0 ? (int)n : PM_NOTFOUND;
	}
	o = version_json(&res, 0, 2);
	rc = 0;
	if (with_history)
		json_object_object_add(o, "history",
		    history(db, db_int(&res, 0, 0), &rc));
	if (pid != NULL)
		*pid = db_int(&res, 0, 1);
	if (vid != NULL)
		*vid = db_int(&res, 0, 0);
	db_res_free(&res);
	if (rc < 0) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

int version_all(struct db *db, int64_t uid, const char *slug,
    struct json_object **out)
{
	struct db_res res = { 0 };
	int64_t n, i;

	n = db_query(db, "SELECT " VERSION_COLS
	    " FROM prompts p JOIN prompt_versions v ON v.prompt_id = p.id"
	    " JOIN users u ON u.id = v.author_id"
	    " WHERE p.user_id = ? AND p.live_slug = ? ORDER BY v.number",
	    DB_ARGS(db_i(uid), db_s(slug)), &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	*out = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(*out, version_json(&res, (size_t)i, 0));
	db_res_free(&res);
	return 0;
}

int version_get(struct db *db, int64_t uid, const char *slug, int number,
    struct json_object **out)
{
	return version_fetch(db, uid, slug, number, 1, out, NULL, NULL);
}

int version_get_content(struct db *db, int64_t uid, const char *slug,
    int number, struct json_object **out)
{
	return version_fetch(db, uid, slug, number, 0, out, NULL, NULL);
}

struct status_tx {
	int64_t		 uid, now;
	const char	*slug;
	int		 number, promote;
	struct pm_fail	*f;
};

/* What a status change is about, for the prompt's history: the action
 * (promote, rollback, archive, replaced), the version in production
 * before (0: none) and the run that let it through the gate (0: none). */
struct change_why {
	const char	*action;
	int		 from_version;
	int64_t		 gating_run;
};

static int change_status(struct db *db, int64_t vid, const char *from,
    const char *to, int64_t uid, int64_t now, const struct change_why *w)
{
	int64_t rc = db_exec(db, "UPDATE prompt_versions SET status = ? WHERE id = ?",
	    DB_ARGS(db_s(to), db_i(vid)));

	if (rc >= 0)
		rc = db_exec(db, "INSERT INTO version_status_changes (version_id,"
		    " from_status, to_status, user_id, created_at, action,"
		    " from_version, gating_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		    DB_ARGS(db_i(vid), db_s(from), db_s(to), db_i(uid), db_i(now),
		    db_s(w->action), w->from_version ? db_i(w->from_version) :
		    db_null(), w->gating_run ? db_i(w->gating_run) : db_null()));
	return rc < 0 ? (int)rc : 0;
}

/* The promotion and archiving transaction. The prompt row is locked first,
 * so concurrent status changes of one prompt run one after the other; the
 * unique key on production_key would refuse a second PRODUCTION anyway. */
static int status_fn(struct db *db, void *arg)
{
	struct status_tx *t = arg;
	struct db_res res = { 0 };
	struct change_why archive = { "archive", 0, 0 }, replaced = { "replaced",
	    0, 0 }, why = { "promote", 0, 0 };
	int64_t pid = lock_prompt(db, t->uid, t->slug, NULL), n, vid, old = 0;
	char status[16];
	int rc;

	if (pid < 0)
		return (int)pid;
	n = db_query(db, "SELECT id, status FROM prompt_versions"
	    " WHERE prompt_id = ? AND number = ?",
	    DB_ARGS(db_i(pid), db_i(t->number)), &res);
	vid = n == 1 ? db_int(&res, 0, 0) : 0;
	snprintf(status, sizeof(status), "%s", n == 1 ? db_str(&res, 0, 1) : "");
	db_res_free(&res);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return PM_NOTFOUND;
	if (!t->promote) {
		if (strcmp(status, "PRODUCTION") == 0)
			return pm_refuse(t->f, PM_CONFLICT,
			    "versions.archive_production", NULL);
		if (strcmp(status, "ARCHIVED") == 0)
			return pm_refuse(t->f, PM_CONFLICT,
			    "versions.already_archived", NULL);
		return change_status(db, vid, status, "ARCHIVED", t->uid, t->now,
		    &archive);
	}
	if (strcmp(status, "PRODUCTION") == 0)
		return pm_refuse(t->f, PM_CONFLICT, "versions.already_production",
		    NULL);
	/* The gate, in this transaction: no way of promoting passes by it. */
	if ((rc = gate_check(db, pid, t->number, &why.gating_run, t->f)) != 0)
		return rc;
	n = db_query(db, "SELECT id, number FROM prompt_versions WHERE prompt_id = ?"
	    " AND status = 'PRODUCTION'", DB_ARGS(db_i(pid)), &res);
	if (n == 1) {
		old = db_int(&res, 0, 0);
		why.from_version = (int)db_int(&res, 0, 1);
	}
	db_res_free(&res);
	if (n < 0)
		return (int)n;
	why.action = why.from_version > t->number ? "rollback" : "promote";
	replaced.from_version = why.from_version;
	if (old != 0 && (rc = change_status(db, old, "PRODUCTION", "ARCHIVED",
	    t->uid, t->now, &replaced)) != 0)
		return rc;
	if ((rc = change_status(db, vid, status, "PRODUCTION", t->uid, t->now,
	    &why)))
		return rc;
	n = db_exec(db, "UPDATE prompts SET production_version = ?, updated_at = ?"
	    " WHERE id = ?", DB_ARGS(db_i(t->number), db_i(t->now), db_i(pid)));
	return n < 0 ? (int)n : 0;
}

int version_promote(struct db *db, int64_t uid, const char *slug, int number,
    int64_t now, struct pm_fail *f)
{
	struct status_tx t = { uid, now, slug, number, 1, f };

	return db_tx(db, status_fn, &t);
}

int version_archive(struct db *db, int64_t uid, const char *slug, int number,
    int64_t now, struct pm_fail *f)
{
	struct status_tx t = { uid, now, slug, number, 0, f };

	return db_tx(db, status_fn, &t);
}

int version_render(struct db *db, int64_t uid, const char *slug, int number,
    struct json_object *values, struct json_object **out, struct pm_fail *f)
{
	return version_render_ids(db, uid, slug, number, values, out, NULL, NULL, f);
}

/* Render content v ({messages, variables, number, model, params}, taken)
 * of prompt slug with values into *out (see version_render). */
static int render_content(struct json_object *v, const char *slug,
    struct json_object *values, struct json_object **out, struct pm_fail *f)
{
	struct json_object *msgs, *decls, *rendered, *o;
	struct vars_errors ve = { 0 };
	struct buf b = { 0 };
	size_t i;

	msgs = json_object_object_get(v, "messages");
	decls = json_object_object_get(v, "variables");
	rendered = json_object_new_array();
	/* Every message is rendered, so all offenders are reported at once. */
	for (i = 0; i < json_object_array_length(msgs); i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i), *c;
		struct json_object *role = json_object_object_get(m, "role");

		c = json_object_object_get(m, "content");
		buf_reset(&b);
		vars_render(json_object_get_string(c),
		    (size_t)json_object_get_string_len(c), decls, values, (int)i,
		    &b, &ve);
		o = json_object_new_object();
		json_object_object_add(o, "role", json_object_get(role));
		json_object_object_add(o, "content",
		    json_object_new_string_len(buf_cstr(&b), (int)b.len));
		json_object_array_add(rendered, o);
	}
	buf_free(&b);
	if (ve.n > 0) {
		json_object_put(rendered);
		json_object_put(v);
		return vars_fail(&ve, f, "variables");
	}
	o = json_object_new_object();
	json_object_object_add(o, "prompt", json_object_new_string(slug));
	json_object_object_add(o, "version",
	    json_object_get(json_object_object_get(v, "number")));
	json_object_object_add(o, "model",
	    json_object_get(json_object_object_get(v, "model")));
	json_object_object_add(o, "params",
	    json_object_get(json_object_object_get(v, "params")));
	json_object_object_add(o, "messages", rendered);
	json_object_put(v);
	*out = o;
	return 0;
}

int version_render_ids(struct db *db, int64_t uid, const char *slug,
    int number, struct json_object *values, struct json_object **out,
    int64_t *pid, int64_t *vid, struct pm_fail *f)
{
	struct json_object *v;
	int rc;

	if (values != NULL && !json_object_is_type(values, json_type_object))
		return pm_refuse(f, PM_INVALID, "versions.variables_object",
		    "variables");
	if ((rc = version_fetch(db, uid, slug, number, 0, &v, pid, vid)) != 0)
		return rc;
	return render_content(v, slug, values, out, f);
}

int version_render_draft(struct db *db, int64_t uid, const char *slug,
    struct json_object *draft, struct json_object *values,
    struct json_object **out, int64_t *pid, struct pm_fail *f)
{
	struct json_object *v;
	int64_t id;

	if (values != NULL && !json_object_is_type(values, json_type_object))
		return pm_refuse(f, PM_INVALID, "versions.variables_object",
		    "variables");
	if ((id = prompt_id_by_slug(db, uid, slug)) < 0)
		return (int)id;
	if (pid != NULL)
		*pid = id;
	v = json_object_new_object();
	json_object_object_foreach(draft, k, val)
		json_object_object_add(v, k, json_object_get(val));
	json_object_object_add(v, "number", NULL);
	return render_content(v, slug, values, out, f);
}
