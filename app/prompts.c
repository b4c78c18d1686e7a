/* prompts.c - prompts: validation, slugs and their queries. */
#include "prompts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "jsonx.h"
#include "models.h"
#include "users.h"
#include "util.h"

/* Words a slug may not be: the literal path segments beside :slug in the
 * routes table ("new" in /prompts/new), registered once at start-up. */
#define RESERVED_MAX	16
static char reserved[RESERVED_MAX][SLUG_MAX + 1];
static size_t nreserved;

void slug_reserve(const char *word)
{
	if (slug_reserved(word) || nreserved == RESERVED_MAX ||
	    strlen(word) > SLUG_MAX)
		return;
	memcpy(reserved[nreserved++], word, strlen(word) + 1);
}

int slug_reserved(const char *s)
{
	size_t i;

	for (i = 0; i < nreserved; i++)
		if (strcmp(reserved[i], s) == 0)
			return 1;
	return 0;
}

int slug_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > SLUG_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

void slugify(const char *name, char *out)
{
	size_t n = 0;
	int dash = 0;

	for (; *name && n < SLUG_MAX; name++) {
		char c = *name;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && n > 0 && n < SLUG_MAX - 1)
				out[n++] = '-';
			dash = 0;
			out[n++] = c;
		} else
			dash = 1;
	}
	out[n] = '\0';
	if (n == 0)
		strcpy(out, "prompt");
}

int text_field_check(const char *s, size_t max, int required,
    struct pm_fail *f, const char *field, const char *k_req,
    const char *k_long)
{
	if (s == NULL || *s == '\0' || strspn(s, " \t\r\n") == strlen(s))
		return required ? pm_refuse(f, PM_INVALID, k_req, field) : 0;
	if (utf8_len(s, strlen(s)) > max)
		return pm_refuse(f, PM_INVALID, k_long, field);
	return 0;
}

/* Columns of a prompt row, in the order prompt_json() reads them. */
#define PROMPT_COLS "p.id, p.slug, p.name, p.description, p.category_id, " \
	"c.name, p.latest_version, p.production_version, p.created_at, " \
	"p.updated_at"

static struct json_object *prompt_json(const struct db_res *res, size_t i)
{
	struct json_object *o = json_object_new_object(), *c = NULL;

	json_object_object_add(o, "id", json_object_new_int64(db_int(res, i, 0)));
	json_object_object_add(o, "slug", json_object_new_string(db_str(res, i, 1)));
	json_object_object_add(o, "name", json_object_new_string(db_str(res, i, 2)));
	json_object_object_add(o, "description",
	    json_object_new_string(db_str(res, i, 3)));
	if (db_str(res, i, 4) != NULL) {
		c = json_object_new_object();
		json_object_object_add(c, "id",
		    json_object_new_int64(db_int(res, i, 4)));
		json_object_object_add(c, "name",
		    json_object_new_string(db_str(res, i, 5)));
	}
	json_object_object_add(o, "category", c);
	json_object_object_add(o, "latest_version",
	    json_object_new_int64(db_int(res, i, 6)));
	json_object_object_add(o, "production_version", db_str(res, i, 7) ?
	    json_object_new_int64(db_int(res, i, 7)) : NULL);
	json_add_time(o, "created_at", db_int(res, i, 8));
	json_add_time(o, "updated_at", db_int(res, i, 9));
	return o;
}

/* Listing: one statement per sort order (statements are cached by their
 * SQL's address). Filters that are off pass a neutral value. Keyset
 * pagination: the cursor is "<hex of the sort value>.<id>". */
#define LIST_WHERE \
	" FROM prompts p LEFT JOIN categories c ON c.id = p.category_id" \
	" WHERE p.user_id = ? AND p.deleted_at IS NULL" \
	" AND (? = '' OR p.search_text LIKE ?)" \
	" AND (? = -1 OR (? = 0 AND p.category_id IS NULL) OR p.category_id = ?)" \
	" AND (? = '' OR (? = 'production' AND p.production_version IS NOT NULL)" \
	"      OR (? = 'draft' AND p.production_version IS NULL))"

static const char sql_list_updated[] = "SELECT " PROMPT_COLS LIST_WHERE
	" AND (? = 0 OR p.updated_at < ? OR (p.updated_at = ? AND p.id < ?))"
	" ORDER BY p.updated_at DESC, p.id DESC LIMIT ?";
static const char sql_list_created[] = "SELECT " PROMPT_COLS LIST_WHERE
	" AND (? = 0 OR p.created_at < ? OR (p.created_at = ? AND p.id < ?))"
	" ORDER BY p.created_at DESC, p.id DESC LIMIT ?";
/* The first page of the default order without filters, the most common
 * listing: a plain statement the optimizer plans in no time. */
static const char sql_list_plain[] = "SELECT " PROMPT_COLS
	" FROM prompts p LEFT JOIN categories c ON c.id = p.category_id"
	" WHERE p.user_id = ? AND p.deleted_at IS NULL"
	" ORDER BY p.updated_at DESC, p.id DESC LIMIT ?";
static const char sql_list_name[] = "SELECT " PROMPT_COLS LIST_WHERE
	" AND (? = 0 OR p.name > ? OR (p.name = ? AND p.id > ?))"
	" ORDER BY p.name ASC, p.id ASC LIMIT ?";

/* Escape LIKE wildcards and wrap in %...%. */
static void like_pattern(const char *q, struct buf *out)
{
	buf_putc(out, '%');
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *q);
	}
	buf_putc(out, '%');
}

static int cursor_parse(const char *cur, struct buf *val, int64_t *id)
{
	const char *dot = strrchr(cur, '.');
	size_t i, n;

	if (dot == NULL || (n = (size_t)(dot - cur)) % 2 != 0 || n > 2 * 4 * PROMPT_NAME_MAX ||
	    parse_i64(dot + 1, 1, INT64_MAX, id) != 0)
		return -1;
	for (i = 0; i < n; i += 2) {
		unsigned v;
		char hx[3] = { cur[i], cur[i + 1], 0 };

		if (strspn(hx, "0123456789abcdef") != 2 || sscanf(hx, "%2x", &v) != 1)
			return -1;
		buf_putc(val, (int)v);
	}
	if (!utf8_valid(val->data ? val->data : "", val->len))
		return -1;
	return 0;
}

static char *cursor_make(const char *val, int64_t id)
{
	size_t n = strlen(val);
	char *hex = xmalloc(n * 2 + 32);

	hex_encode((const unsigned char *)val, n, hex);
	snprintf(hex + n * 2, 32, ".%lld", (long long)id);
	return hex;
}

int prompt_list(struct db *db, int64_t uid, const struct prompt_query *pq,
    struct json_object **out, struct pm_fail *f)
{
	const char *sort = pq->sort && *pq->sort ? pq->sort : "updated";
	const char *status = pq->status ? pq->status : "", *q = pq->q ? pq->q : "";
	const char *sql;
	struct buf like = { 0 }, cval = { 0 };
	struct db_res res = { 0 };
	int64_t cid = 0, n, i, cnum = 0;
	int limit = pq->limit > 0 && pq->limit <= LIST_LIMIT_MAX ? pq->limit :
	    LIST_LIMIT_DEFAULT, sort_col;
	struct json_object *items, *o;

	if (strcmp(sort, "updated") == 0) {
		sql = sql_list_updated;
		sort_col = 9;
	} else if (strcmp(sort, "created") == 0) {
		sql = sql_list_created;
		sort_col = 8;
	} else if (strcmp(sort, "name") == 0) {
		sql = sql_list_name;
		sort_col = 2;
	} else
		return pm_refuse(f, PM_INVALID, "prompts.bad_sort", "sort");
	if (*status && strcmp(status, "production") != 0 &&
	    strcmp(status, "draft") != 0)
		return pm_refuse(f, PM_INVALID, "prompts.bad_status", "status");
	if (pq->cursor && *pq->cursor) {
		if (cursor_parse(pq->cursor, &cval, &cid) != 0) {
			buf_free(&cval);
			return pm_refuse(f, PM_INVALID, "prompts.bad_cursor", "cursor");
		}
		if (sort_col != 2 && parse_i64(buf_cstr(&cval), 0, INT64_MAX,
		    &cnum) != 0) {
			buf_free(&cval);
			return pm_refuse(f, PM_INVALID, "prompts.bad_cursor", "cursor");
		}
	}
	like_pattern(q, &like);
	if (sql == sql_list_updated && *q == '\0' && pq->category == -1 &&
	    *status == '\0' && cid == 0)
		n = db_query(db, sql_list_plain, DB_ARGS(db_i(uid), db_i(limit + 1)),
		    &res);
	else {
		const struct dbv after = sort_col == 2 ? db_s(buf_cstr(&cval)) :
		    db_i(cnum);
		n = db_query(db, sql, DB_ARGS(db_i(uid), db_s(q), db_s(buf_cstr(&like)),
		    db_i(pq->category), db_i(pq->category), db_i(pq->category),
		    db_s(status), db_s(status), db_s(status),
		    db_i(cid), after, after, db_i(cid), db_i(limit + 1)), &res);
	}
	buf_free(&like);
	buf_free(&cval);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	items = json_object_new_array();
	for (i = 0; i < n && i < limit; i++)
		json_object_array_add(items, prompt_json(&res, (size_t)i));
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	if (n > limit) {
		char *c = cursor_make(db_str(&res, (size_t)limit - 1, (size_t)sort_col),
		    db_int(&res, (size_t)limit - 1, 0));
		json_object_object_add(o, "next_cursor", json_object_new_string(c));
		free(c);
	} else
		json_object_object_add(o, "next_cursor", NULL);
	db_res_free(&res);
	*out = o;
	return 0;
}

int prompt_get(struct db *db, int64_t uid, const char *slug,
    struct json_object **out)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT " PROMPT_COLS
	    " FROM prompts p LEFT JOIN categories c ON c.id = p.category_id"
	    " WHERE p.user_id = ? AND p.live_slug = ?",
	    DB_ARGS(db_i(uid), db_s(slug)), &res);

	if (n == 1)
		*out = prompt_json(&res, 0);
	db_res_free(&res);
	return n < 0 ? (int)n : n == 0 ? PM_NOTFOUND : 0;
}

int prompt_fields(struct db *db, int64_t uid, struct json_object *in,
    int creating, struct pm_fail *f)
{
	struct json_object *v;
	const char *name, *slug, *desc;
	int bad = 0, rc;

	if (in == NULL || !json_object_is_type(in, json_type_object))
		return pm_refuse(f, PM_INVALID, "prompts.body_object", NULL);
	name = json_str_member(in, "name", &bad);
	if (bad)
		return pm_refuse(f, PM_INVALID, "prompts.name_type", "name");
	if ((creating || json_object_object_get_ex(in, "name", NULL)) &&
	    (rc = text_field_check(name, PROMPT_NAME_MAX, 1, f, "name",
	    "prompts.name_required", "prompts.name_too_long")) != 0)
		return rc;
	slug = json_str_member(in, "slug", &bad);
	if (bad || (slug != NULL && !slug_valid(slug)))
		return pm_refuse(f, PM_INVALID, "prompts.slug_invalid", "slug");
	desc = json_str_member(in, "description", &bad);
	if (bad)
		return pm_refuse(f, PM_INVALID, "prompts.description_type",
		    "description");
	if ((rc = text_field_check(desc, PROMPT_DESC_MAX, 0, f, "description", NULL,
	    "prompts.description_too_long")) != 0)
		return rc;
	if (json_object_object_get_ex(in, "category_id", &v) && v != NULL) {
		int64_t cid;

		if (!json_object_is_type(v, json_type_int) ||
		    (cid = json_object_get_int64(v)) < 0)
			return pm_refuse(f, PM_INVALID, "prompts.category_invalid",
			    "category_id");
		if (cid != 0 && (rc = category_owned(db, uid, cid)) != 1)
			return rc < 0 ? rc : pm_refuse(f, PM_INVALID,
			    "prompts.category_invalid", "category_id");
	}
	return 0;
}

static int64_t category_of(struct json_object *in)
{
	struct json_object *v;

	if (json_object_object_get_ex(in, "category_id", &v) && v != NULL)
		return json_object_get_int64(v);
	return 0;
}

static const char *str_or(struct json_object *in, const char *key,
    const char *def)
{
	int bad = 0;
	const char *s = json_str_member(in, key, &bad);

	return s ? s : def;
}

/* The text searched by the list: name, description and the latest
 * version's messages. */
static void search_text(const char *name, const char *desc,
    struct json_object *content, struct buf *out)
{
	struct json_object *msgs;
	size_t i;

	buf_puts(out, name);
	buf_putc(out, '\n');
	buf_puts(out, desc);
	if (content && json_object_object_get_ex(content, "messages", &msgs))
		for (i = 0; i < json_object_array_length(msgs); i++) {
			struct json_object *m = json_object_array_get_idx(msgs, i), *c;

			if (json_object_object_get_ex(m, "content", &c)) {
				buf_putc(out, '\n');
				buf_puts(out, json_object_get_string(c));
			}
		}
}

/* Refuse slug, a reserved word. */
static int reserved_refusal(struct pm_fail *f, const char *slug)
{
	pm_refuse(f, PM_CONFLICT, "prompts.slug_reserved", "slug");
	pm_fail_arg(f, "slug", "%s", slug);
	return PM_CONFLICT;
}

int prompt_insert(struct db *db, int64_t uid, struct json_object *in,
    struct json_object *content, const char *slug, int auto_slug,
    int64_t now, char *slug_out, int64_t *pid_out, struct pm_fail *f)
{
	const char *name = str_or(in, "name", "");
	const char *desc = str_or(in, "description", "");
	int64_t cid = category_of(in), rc, pid;
	struct buf st = { 0 };
	char cur[SLUG_MAX + 1];
	int attempt;

	search_text(name, desc, content, &st);
	snprintf(cur, sizeof(cur), "%s", slug);
	if (slug_reserved(cur) && !auto_slug) {
		buf_free(&st);
		return reserved_refusal(f, cur);
	}
	for (attempt = 1; ; attempt++) {
		/* A reserved word is taken like a clash: the next suffix. */
		rc = slug_reserved(cur) ? DB_DUP : db_exec(db,
		    "INSERT INTO prompts (user_id, slug, name, description,"
		    " category_id, latest_version, search_text, created_at,"
		    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    DB_ARGS(db_i(uid), db_s(cur), db_s(name), db_s(desc),
		    cid ? db_i(cid) : db_null(), db_i(content ? 1 : 0),
		    db_s(buf_cstr(&st)), db_i(now), db_i(now)));
		if (rc != DB_DUP || !auto_slug || attempt >= 50)
			break;
		/* base (at most 60 bytes) + "-" + up to 2 digits fits */
		if ((size_t)snprintf(cur, sizeof(cur), "%.*s-%d", SLUG_MAX - 4,
		    slug, attempt + 1) >= sizeof(cur))
			break;
	}
	buf_free(&st);
	if (rc == DB_DUP)
		return pm_refuse(f, PM_CONFLICT, "prompts.slug_taken", "slug");
	if (rc < 0)
		return (int)rc;
	pid = db_insert_id(db);
	if (content != NULL && (rc = version_insert(db, pid, 1, "DRAFT",
	    content, uid, now)) < 0)
		return (int)rc;
	memcpy(slug_out, cur, SLUG_MAX + 1);
	if (pid_out != NULL)
		*pid_out = pid;
	return 0;
}

struct create_tx {
	int64_t			 uid, now;
	struct json_object	*in, *content;
	int			 auto_slug;
	char			 slug[SLUG_MAX + 1], out[SLUG_MAX + 1];
	struct pm_fail		*f;
};

static int create_fn(struct db *db, void *arg)
{
	struct create_tx *t = arg;

	return prompt_insert(db, t->uid, t->in, t->content, t->slug,
	    t->auto_slug, t->now, t->out, NULL, t->f);
}

/* Whether in carries any version content field. */
static int has_content(struct json_object *in)
{
	static const char *const keys[] = { "messages", "system",
	    "user_template", "model" };
	size_t i;

	for (i = 0; i < NELEM(keys); i++)
		if (json_object_object_get_ex(in, keys[i], NULL))
			return 1;
	return 0;
}

int prompt_create(struct db *db, int64_t uid, struct json_object *in,
    int64_t now, char *slug_out, struct pm_fail *f)
{
	struct create_tx t = { uid, now, in, NULL, 0, "", "", f };
	const char *slug;
	int rc, bad = 0;

	if ((rc = prompt_fields(db, uid, in, 1, f)) != 0)
		return rc;
	if (has_content(in) && ((rc = version_content(in, NULL, &t.content,
	    f)) != 0 || (rc = model_check_chosen(db, in, f)) != 0)) {
		json_object_put(t.content);
		return rc;
	}
	slug = json_str_member(in, "slug", &bad);
	if (slug != NULL)
		snprintf(t.slug, sizeof(t.slug), "%s", slug);
	else {
		slugify(str_or(in, "name", ""), t.slug);
		t.auto_slug = 1;
	}
	rc = db_tx(db, create_fn, &t);
	json_object_put(t.content);
	if (rc == 0)
		memcpy(slug_out, t.out, SLUG_MAX + 1);
	return rc;
}

int prompt_update(struct db *db, int64_t uid, const char *slug,
    struct json_object *in, int64_t now, char *slug_out, struct pm_fail *f)
{
	struct json_object *cur, *v;
	const char *name, *desc, *nslug;
	int64_t cid, rc;
	int has_cat;

	if ((rc = prompt_fields(db, uid, in, 0, f)) != 0)
		return (int)rc;
	if ((rc = prompt_get(db, uid, slug, &cur)) != 0)
		return (int)rc;
	name = str_or(in, "name", json_object_get_string(
	    json_object_object_get(cur, "name")));
	desc = str_or(in, "description", json_object_get_string(
	    json_object_object_get(cur, "description")));
	nslug = str_or(in, "slug", slug);
	if (strcmp(nslug, slug) != 0 && slug_reserved(nslug)) {
		json_object_put(cur);
		return reserved_refusal(f, nslug);
	}
	has_cat = json_object_object_get_ex(in, "category_id", &v);
	if (has_cat)
		cid = category_of(in);
	else {
		v = json_object_object_get(cur, "category");
		cid = v ? json_object_get_int64(json_object_object_get(v, "id")) : 0;
	}
	/* search_text keeps the version text after the old name/description
	 * line pair: rebuild the head only. */
	/* Assignments run left to right: search_text first, while name and
	 * description still hold the old values. */
	rc = db_exec(db, "UPDATE prompts SET search_text = CONCAT(?, '\\n', ?,"
	    " SUBSTRING(search_text, CHAR_LENGTH(name) + CHAR_LENGTH(description) + 2)),"
	    " name = ?, slug = ?, description = ?, category_id = ?,"
	    " updated_at = ? WHERE user_id = ? AND live_slug = ?",
	    DB_ARGS(db_s(name), db_s(desc), db_s(name), db_s(nslug), db_s(desc),
	    cid ? db_i(cid) : db_null(), db_i(now), db_i(uid), db_s(slug)));
	json_object_put(cur);
	if (rc == DB_DUP)
		return pm_refuse(f, PM_CONFLICT, "prompts.slug_taken", "slug");
	if (rc < 0)
		return (int)rc;
	if (rc == 0)
		return PM_NOTFOUND;
	snprintf(slug_out, SLUG_MAX + 1, "%s", nslug);
	return 0;
}

struct delete_tx {
	int64_t		 uid, now;
	const char	*slug;
};

/* The deletion, with the user's row locked first: an execution being
 * admitted locks it before the prompt's row (its INSERT's trigger, then
 * the foreign key), and the prompt counts' trigger of this UPDATE takes
 * them the other way round, which could deadlock. */
static int delete_tx(struct db *db, void *arg)
{
	struct delete_tx *t = arg;
	int64_t rc = user_lock(db, t->uid);

	if (rc != 0)
		return (int)rc;
	rc = db_exec(db, "UPDATE prompts SET deleted_at = ?, updated_at = ?"
	    " WHERE user_id = ? AND live_slug = ?",
	    DB_ARGS(db_i(t->now), db_i(t->now), db_i(t->uid), db_s(t->slug)));
	return rc < 0 ? (int)rc : rc == 0 ? PM_NOTFOUND : 0;
}

int prompt_delete(struct db *db, int64_t uid, const char *slug, int64_t now)
{
	struct delete_tx t = { uid, now, slug };

	return db_tx(db, delete_tx, &t);
}

int64_t prompt_id_by_slug(struct db *db, int64_t uid, const char *slug)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT id FROM prompts WHERE user_id = ?"
	    " AND live_slug = ?", DB_ARGS(db_i(uid), db_s(slug)), &res), id;

	id = n == 1 ? db_int(&res, 0, 0) : 0;
	db_res_free(&res);
	return n < 0 ? n : n == 1 ? id : PM_NOTFOUND;
}
