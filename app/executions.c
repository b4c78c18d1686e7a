/* executions.c - the execution history queries. */
#include "executions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "jsonx.h"
#include "money.h"
#include "prompts.h"
#include "util.h"
/* "YYYY-MM-DD" to the epoch second of its start (UTC); -1 if invalid. */
static int64_t parse_day(const char *s)
{
	struct tm tm = { 0 };
	char *end;

	if (s == NULL || strlen(s) != 10)
		return -1;
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

#define EXEC_WHERE \
	" FROM executions e LEFT JOIN prompts p ON p.id = e.prompt_id" \
	" WHERE e.user_id = ?" \
	" AND (? = '' OR p.slug = ?)" \
	" AND (? = '' OR e.model = ?)" \
	" AND (? = '' OR e.status = ?)" \
	" AND (? = '' OR e.billing = ?)" \
	" AND e.created_at >= ? AND e.created_at < ?"

/* The columns of an execution that exec_row() reads, from executions e
 * joined to prompts p. */
#define EXEC_COLS "e.id, p.slug, p.name, e.version_number, e.model," \
	" e.channel, e.billing, e.status, e.error_type, e.input_tokens," \
	" e.output_tokens, e.cost_micros, e.latency_ms, e.ttft_ms, e.created_at"
#define EXEC_NCOLS 15
static const char sql_exec_page[] = "SELECT " EXEC_COLS EXEC_WHERE
	" AND (? = 0 OR e.id < ?) ORDER BY e.id DESC LIMIT ?";
static const char sql_exec_totals[] = "SELECT COUNT(*),"
	" COALESCE(SUM(e.input_tokens), 0), COALESCE(SUM(e.output_tokens), 0),"
	" COALESCE(SUM(e.cost_micros), 0)" EXEC_WHERE;

static void add_money(struct json_object *o, const char *key, int64_t micros)
{
	char m[40];

	money_micros(micros, m, sizeof(m));
	json_object_object_add(o, key, json_object_new_string(m));
}

static struct json_object *opt_int(const struct db_res *res, size_t i, size_t c)
{
	return db_str(res, i, c) ? json_object_new_int64(db_int(res, i, c)) : NULL;
}

/* Row i of res (EXEC_COLS first) as a list item (caller puts). */
static struct json_object *exec_row(const struct db_res *res, size_t i)
{
	struct json_object *e = json_object_new_object();
	const char *st = db_str(res, i, 7);
	char flag[32];

	json_object_object_add(e, "id", json_object_new_int64(db_int(res, i, 0)));
	/* a model called directly through the API has no prompt */
	json_object_object_add(e, "prompt", db_str(res, i, 1) ?
	    json_object_new_string(db_str(res, i, 1)) : NULL);
	json_object_object_add(e, "prompt_name", db_str(res, i, 2) ?
	    json_object_new_string(db_str(res, i, 2)) : NULL);
	json_object_object_add(e, "version", opt_int(res, i, 3));
	json_object_object_add(e, "model", json_object_new_string(db_str(res, i, 4)));
	json_object_object_add(e, "channel", json_object_new_string(db_str(res, i, 5)));
	json_object_object_add(e, "billing", json_object_new_string(db_str(res, i, 6)));
	json_object_object_add(e, "status", json_object_new_string(st));
	snprintf(flag, sizeof(flag), "is_%s", st);
	json_object_object_add(e, flag, json_object_new_boolean(1));
	json_object_object_add(e, "error_type", db_str(res, i, 8) ?
	    json_object_new_string(db_str(res, i, 8)) : NULL);
	json_object_object_add(e, "input_tokens", opt_int(res, i, 9));
	json_object_object_add(e, "output_tokens", opt_int(res, i, 10));
	json_object_object_add(e, "cost_micros", json_object_new_int64(db_int(res, i, 11)));
	add_money(e, "cost", db_int(res, i, 11));
	json_object_object_add(e, "latency_ms", opt_int(res, i, 12));
	json_object_object_add(e, "ttft_ms", opt_int(res, i, 13));
	json_add_time(e, "created_at", db_int(res, i, 14));
	return e;
}

static int one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

int exec_list(struct db *db, int64_t uid, const struct exec_query *q,
    struct json_object **out, struct pm_fail *f)
{
	static const char *const statuses[] = { "RUNNING", "SUCCEEDED", "FAILED",
	    "CANCELLED", NULL };
	static const char *const billings[] = { "SYSTEM", "BYOK", NULL };
	const char *prompt = q->prompt ? q->prompt : "", *model = q->model ? q->model : "";
	const char *status = q->status ? q->status : "";
	const char *billing = q->billing ? q->billing : "";
	int64_t from = 0, to = INT64_MAX, cur = 0, n, i;
	int limit = q->limit > 0 && q->limit <= LIST_LIMIT_MAX ? q->limit :
	    LIST_LIMIT_DEFAULT;
	struct db_res res = { 0 }, tot = { 0 };
	struct json_object *o, *items, *t;

	if (*status && !one_of(status, statuses))
		return pm_refuse(f, PM_INVALID, "executions.bad_status", "status");
	if (*billing && !one_of(billing, billings))
		return pm_refuse(f, PM_INVALID, "executions.bad_billing", "billing");
	if (q->from && *q->from && (from = parse_day(q->from)) < 0)
		return pm_refuse(f, PM_INVALID, "executions.bad_date", "from");
	if (q->to && *q->to) {
		if ((to = parse_day(q->to)) < 0)
			return pm_refuse(f, PM_INVALID, "executions.bad_date", "to");
		to += 86400;
	}
	if (q->cursor && *q->cursor &&
	    parse_i64(q->cursor, 1, INT64_MAX, &cur) != 0)
		return pm_refuse(f, PM_INVALID, "prompts.bad_cursor", "cursor");
	n = db_query(db, sql_exec_page, DB_ARGS(db_i(uid), db_s(prompt),
	    db_s(prompt), db_s(model), db_s(model), db_s(status), db_s(status),
	    db_s(billing), db_s(billing), db_i(from), db_i(to), db_i(cur),
	    db_i(cur), db_i(limit + 1)), &res);
	if (n >= 0 && !q->no_totals && db_query(db, sql_exec_totals, DB_ARGS(db_i(uid),
	    db_s(prompt), db_s(prompt), db_s(model), db_s(model), db_s(status),
	    db_s(status), db_s(billing), db_s(billing), db_i(from), db_i(to)),
	    &tot) < 0)
		n = DB_ERROR;
	if (n < 0) {
		db_res_free(&res);
		db_res_free(&tot);
		return (int)n;
	}
	items = json_object_new_array();
	for (i = 0; i < n && i < limit; i++)
		json_object_array_add(items, exec_row(&res, (size_t)i));
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	if (n > limit) {
		char c[32];
		snprintf(c, sizeof(c), "%lld", (long long)db_int(&res, (size_t)limit - 1, 0));
		json_object_object_add(o, "next_cursor", json_object_new_string(c));
	} else
		json_object_object_add(o, "next_cursor", NULL);
	if (!q->no_totals) {
		t = json_object_new_object();
		json_object_object_add(t, "executions", json_object_new_int64(db_int(&tot, 0, 0)));
		json_object_object_add(t, "input_tokens", json_object_new_int64(db_int(&tot, 0, 1)));
		json_object_object_add(t, "output_tokens", json_object_new_int64(db_int(&tot, 0, 2)));
		json_object_object_add(t, "cost_micros", json_object_new_int64(db_int(&tot, 0, 3)));
		add_money(t, "cost", db_int(&tot, 0, 3));
		json_object_object_add(o, "totals", t);
	}
	db_res_free(&res);
	db_res_free(&tot);
	*out = o;
	return 0;
}

int exec_get(struct db *db, int64_t uid, int64_t id, struct json_object **out)
{
	struct db_res res = { 0 };
	struct json_object *e;
	int64_t n;

	n = db_query(db, "SELECT " EXEC_COLS ", e.error_message,"
	    " e.upstream_status, e.cost_source, e.input, e.variables, e.params,"
	    " e.output, e.finished_at, e.streamed"
	    " FROM executions e LEFT JOIN prompts p ON p.id = e.prompt_id"
	    " WHERE e.id = ? AND e.user_id = ?", DB_ARGS(db_i(id), db_i(uid)), &res);
	if (n != 1) {
		db_res_free(&res);
		return n < 0 ? (int)n : PM_NOTFOUND;
	}
	e = exec_row(&res, 0);
#define C(k)	(EXEC_NCOLS + (k))
	json_object_object_add(e, "error_message", db_str(&res, 0, C(0)) ?
	    json_object_new_string(db_str(&res, 0, C(0))) : NULL);
	json_object_object_add(e, "upstream_status", opt_int(&res, 0, C(1)));
	if (db_int(&res, 0, C(1)) >= 400)	/* the provider refused */
		json_object_object_add(e, "error_http_status", opt_int(&res, 0, C(1)));
	json_object_object_add(e, "cost_source", json_object_new_string(db_str(&res, 0, C(2))));
	json_object_object_add(e, "input", json_tokener_parse(db_str(&res, 0, C(3))));
	json_object_object_add(e, "variables", json_tokener_parse(db_str(&res, 0, C(4))));
	json_object_object_add(e, "params", json_tokener_parse(db_str(&res, 0, C(5))));
	json_doubles_shortest(e);	/* a long form stored before */
	json_object_object_add(e, "output", json_object_new_string_len(
	    db_str(&res, 0, C(6)), (int)db_len(&res, 0, C(6))));
	if (db_str(&res, 0, C(7)))
		json_add_time(e, "finished_at", db_int(&res, 0, C(7)));
	json_object_object_add(e, "streamed", json_object_new_boolean(db_int(&res, 0, C(8))));
#undef C
	db_res_free(&res);
	*out = e;
	return 0;
}
