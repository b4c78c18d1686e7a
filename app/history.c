/* history.c - the history of a prompt's versions (see history.h). */
#include "history.h"

#include <string.h>

#include "db.h"
#include "error.h"
#include "jsonx.h"
#include "prompts.h"

/* The action of a change recorded before actions were (migration 016). */
static const char *action_of(const char *action, const char *from,
    const char *to)
{
	if (action != NULL)
		return action;
	if (from == NULL)
		return "create";
	return strcmp(to, "PRODUCTION") == 0 ? "promote" : "archive";
}

static json_object *opt_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

int prompt_history(struct db *db, int64_t uid, const char *slug,
    json_object **out)
{
	struct db_res res = { 0 };
	json_object *a;
	int64_t n, i;

	if ((n = prompt_id_by_slug(db, uid, slug)) < 0)
		return (int)n;
	n = db_query(db, "SELECT v.number, h.action, h.from_status, h.to_status,"
	    " h.from_version, u.email, h.created_at, r.id, r.status, r.passed,"
	    " r.items_total FROM version_status_changes h"
	    " JOIN prompt_versions v ON v.id = h.version_id"
	    " JOIN prompts p ON p.id = v.prompt_id"
	    " JOIN users u ON u.id = h.user_id"
	    " LEFT JOIN golden_runs r ON r.id = h.gating_run_id"
	    " WHERE p.user_id = ? AND p.live_slug = ?"
	    " AND (h.action IS NULL OR h.action <> 'replaced')"
	    " ORDER BY h.id DESC LIMIT 500", DB_ARGS(db_i(uid), db_s(slug)),
	    &res);
	if (n < 0) {
		db_res_free(&res);
		return (int)n;
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		size_t k = (size_t)i;
		json_object *o = json_object_new_object(), *g = NULL;

		json_object_object_add(o, "version",
		    json_object_new_int64(db_int(&res, k, 0)));
		json_object_object_add(o, "action", json_object_new_string(
		    action_of(db_str(&res, k, 1), db_str(&res, k, 2),
		    db_str(&res, k, 3))));
		json_object_object_add(o, "from_status", opt_str(db_str(&res, k, 2)));
		json_object_object_add(o, "to_status", opt_str(db_str(&res, k, 3)));
		json_object_object_add(o, "from_version", db_str(&res, k, 4) ?
		    json_object_new_int64(db_int(&res, k, 4)) : NULL);
		json_object_object_add(o, "by", opt_str(db_str(&res, k, 5)));
		json_add_time(o, "at", db_int(&res, k, 6));
		if (db_str(&res, k, 7) != NULL) {
			g = json_object_new_object();
			json_object_object_add(g, "id",
			    json_object_new_int64(db_int(&res, k, 7)));
			json_object_object_add(g, "status",
			    opt_str(db_str(&res, k, 8)));
			json_object_object_add(g, "passed",
			    json_object_new_int64(db_int(&res, k, 9)));
			json_object_object_add(g, "total",
			    json_object_new_int64(db_int(&res, k, 10)));
		}
		json_object_object_add(o, "gating_run", g);
		json_object_array_add(a, o);
	}
	db_res_free(&res);
	*out = a;
	return 0;
}
