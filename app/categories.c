/* categories.c - the owner's categories of prompts: list with counts,
 * pickers, create, rename, delete; names unique in any letter case. */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "prompts.h"
#include "util.h"

/* Order rows of a category_list() result like category_names(): by
 * name_key (column 3), then id. */
static int category_row_cmp(const void *pa, const void *pb, void *arg)
{
	const struct db_res *res = arg;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	int c = strcmp(db_str(res, ia, 3), db_str(res, ib, 3));

	if (c != 0)
		return c;
	return db_int(res, ia, 0) < db_int(res, ib, 0) ? -1 : 1;
}


int category_list(struct db *db, int64_t uid, struct json_object **out,
    int64_t *uncat)
{
	struct db_res res = { 0 };
	struct json_object *a;
	size_t *order, j, k;
	int64_t n, i;

	/* One round trip without a temporary table: each category with an
	 * index-only count of its live prompts, and a row with id NULL for
	 * the uncategorised count. Sorted here, in the order of
	 * category_names(). */
	n = db_query(db, "SELECT c.id, c.name, (SELECT COUNT(*) FROM prompts p"
	    " WHERE p.user_id = c.user_id AND p.deleted_at IS NULL"
	    " AND p.category_id = c.id), c.name_key FROM categories c"
	    " WHERE c.user_id = ? UNION ALL SELECT NULL, NULL, COUNT(*), NULL"
	    " FROM prompts WHERE user_id = ? AND deleted_at IS NULL"
	    " AND category_id IS NULL", DB_ARGS(db_i(uid), db_i(uid)), &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	if (uncat != NULL)
		*uncat = 0;
	order = xcalloc((size_t)n + 1, sizeof(*order));
	for (i = 0, k = 0; i < n; i++) {
		if (db_str(&res, i, 0) != NULL)
			order[k++] = (size_t)i;
		else if (uncat != NULL)
			*uncat = db_int(&res, i, 2);
	}
	qsort_r(order, k, sizeof(*order), category_row_cmp, &res);
	a = json_object_new_array();
	for (j = 0; j < k; j++) {
		struct json_object *o;

		i = (int64_t)order[j];
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(db_int(&res, i, 0)));
		json_object_object_add(o, "name", json_object_new_string(db_str(&res, i, 1)));
		json_object_object_add(o, "prompts",
		    json_object_new_int64(db_int(&res, i, 2)));
		json_object_array_add(a, o);
	}
	free(order);
	db_res_free(&res);
	*out = a;
	return 0;
}

int category_get(struct db *db, int64_t uid, int64_t id,
    struct json_object **out)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT c.name, (SELECT COUNT(*) FROM prompts p"
	    " WHERE p.user_id = c.user_id AND p.deleted_at IS NULL"
	    " AND p.category_id = c.id) FROM categories c"
	    " WHERE c.id = ? AND c.user_id = ?", DB_ARGS(db_i(id), db_i(uid)),
	    &res);

	if (n == 1) {
		*out = json_object_new_object();
		json_object_object_add(*out, "id", json_object_new_int64(id));
		json_object_object_add(*out, "name",
		    json_object_new_string(db_str(&res, 0, 0)));
		json_object_object_add(*out, "prompts",
		    json_object_new_int64(db_int(&res, 0, 1)));
	}
	db_res_free(&res);
	return n < 0 ? (int)n : n == 1 ? 0 : PM_NOTFOUND;
}

int category_names(struct db *db, int64_t uid, struct json_object **out)
{
	struct db_res res = { 0 };
	struct json_object *a;
	int64_t n, i;

	n = db_query(db, "SELECT id, name FROM categories WHERE user_id = ?"
	    " ORDER BY name_key, id", DB_ARGS(db_i(uid)), &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(db_int(&res, i, 0)));
		json_object_object_add(o, "name", json_object_new_string(db_str(&res, i, 1)));
		json_object_array_add(a, o);
	}
	db_res_free(&res);
	*out = a;
	return 0;
}

static int category_name_check(const char *name, struct pm_fail *f)
{
	return text_field_check(name, CATEGORY_NAME_MAX, 1, f, "name",
	    "categories.name_required", "categories.name_too_long");
}

int64_t category_create(struct db *db, int64_t uid, const char *name,
    int64_t now, struct pm_fail *f)
{
	int64_t rc;

	if ((rc = category_name_check(name, f)) != 0)
		return rc;
	rc = db_exec(db, "INSERT INTO categories (user_id, name, created_at,"
	    " updated_at) VALUES (?, ?, ?, ?)",
	    DB_ARGS(db_i(uid), db_s(name), db_i(now), db_i(now)));
	if (rc == DB_DUP)
		return pm_refuse(f, PM_CONFLICT, "categories.name_taken", "name");
	return rc < 0 ? rc : db_insert_id(db);
}

int category_rename(struct db *db, int64_t uid, int64_t id, const char *name,
    int64_t now, struct pm_fail *f)
{
	int64_t rc;

	if ((rc = category_name_check(name, f)) != 0)
		return (int)rc;
	rc = db_exec(db, "UPDATE categories SET name = ?, updated_at = ?"
	    " WHERE id = ? AND user_id = ?",
	    DB_ARGS(db_s(name), db_i(now), db_i(id), db_i(uid)));
	if (rc == DB_DUP)
		return pm_refuse(f, PM_CONFLICT, "categories.name_taken", "name");
	return rc < 0 ? (int)rc : rc == 0 ? PM_NOTFOUND : 0;
}

int category_delete(struct db *db, int64_t uid, int64_t id)
{
	int64_t rc = db_exec(db, "DELETE FROM categories WHERE id = ? AND user_id = ?",
	    DB_ARGS(db_i(id), db_i(uid)));

	return rc < 0 ? (int)rc : rc == 0 ? PM_NOTFOUND : 0;
}

int category_owned(struct db *db, int64_t uid, int64_t id)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT 1 FROM categories WHERE id = ? AND user_id = ?",
	    DB_ARGS(db_i(id), db_i(uid)), &res);

	db_res_free(&res);
	return n < 0 ? (int)n : n > 0;
}

int64_t category_ensure(struct db *db, int64_t uid, const char *name,
    int64_t now, struct pm_fail *f)
{
	struct db_res res = { 0 };
	int64_t n, id;

	if ((n = category_name_check(name, f)) != 0)
		return n;
	n = db_query(db, "SELECT id FROM categories WHERE user_id = ?"
	    " AND name_key = LOWER(?)", DB_ARGS(db_i(uid), db_s(name)), &res);
	id = n == 1 ? db_int(&res, 0, 0) : 0;
	db_res_free(&res);
	if (n < 0)
		return n;
	if (id > 0)
		return id;
	return category_create(db, uid, name, now, f);
}
