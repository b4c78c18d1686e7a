/* page_executions.c - the execution history page (filters, keyset
 * pagination, totals) and one execution's detail page. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "escape.h"
#include "executions.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"

void h_executions_page(struct req *r)
{
	struct exec_query q = { 0 };
	struct json_object *d, *list, *filters;
	struct pm_fail f = { 0 };
	struct buf next = { 0 };
	int rc;

	q.prompt = req_query(r, "prompt");
	q.model = req_query(r, "model");
	q.status = req_query(r, "status");
	q.billing = req_query(r, "billing");
	q.from = req_query(r, "from");
	q.to = req_query(r, "to");
	q.cursor = req_query(r, "cursor");
	if ((rc = exec_list(r->db, r->user.id, &q, &list, &f)) != 0) {
		answer_fail(r, rc, &f);
		return;
	}
	d = page_data(r, "executions");
	filters = json_object_new_object();
	json_object_object_add(filters, "prompt", json_object_new_string(q.prompt ? q.prompt : ""));
	json_object_object_add(filters, "model", json_object_new_string(q.model ? q.model : ""));
	json_object_object_add(filters, "from", json_object_new_string(q.from ? q.from : ""));
	json_object_object_add(filters, "to", json_object_new_string(q.to ? q.to : ""));
	if (q.status && *q.status) {
		char k[40];
		snprintf(k, sizeof(k), "status_%s", q.status);
		json_object_object_add(filters, k, json_object_new_boolean(1));
	}
	if (q.billing && *q.billing) {
		char k[40];
		snprintf(k, sizeof(k), "billing_%s", q.billing);
		json_object_object_add(filters, k, json_object_new_boolean(1));
	}
	json_object_object_add(filters, "any", json_object_new_boolean(
	    (q.prompt && *q.prompt) || (q.model && *q.model) || (q.status && *q.status) ||
	    (q.billing && *q.billing) || (q.from && *q.from) || (q.to && *q.to)));
	json_object_object_add(d, "filters", filters);
	json_object_object_add(d, "executions", json_object_get(
	    json_object_object_get(list, "items")));
	json_object_object_add(d, "has_executions", json_object_new_boolean(
	    json_object_array_length(json_object_object_get(list, "items")) > 0));
	json_object_object_add(d, "totals", json_object_get(
	    json_object_object_get(list, "totals")));
	if (json_object_object_get(list, "next_cursor") != NULL) {
		url_param(&next, "prompt", q.prompt);
		url_param(&next, "model", q.model);
		url_param(&next, "status", q.status);
		url_param(&next, "billing", q.billing);
		url_param(&next, "from", q.from);
		url_param(&next, "to", q.to);
		url_param(&next, "cursor", json_object_get_string(
		    json_object_object_get(list, "next_cursor")));
		json_object_object_add(d, "next_page", json_object_new_string(buf_cstr(&next)));
		buf_free(&next);
	}
	if (q.cursor && *q.cursor)
		json_object_object_add(d, "not_first_page", json_object_new_boolean(1));
	json_object_put(list);
	resp_page(r, 200, "executions/list", d);
}

/* Add the members of e's object key as rows (json_rows) under rows_key,
 * and whether there are any under has_key. */
static void rows(struct json_object *e, const char *key, const char *rows_key,
    const char *has_key)
{
	struct json_object *a = json_rows(json_object_object_get(e, key));

	json_object_object_add(e, has_key, json_object_new_boolean(
	    json_object_array_length(a) > 0));
	json_object_object_add(e, rows_key, a);
}

void h_execution_page(struct req *r)
{
	struct json_object *e, *d;
	int64_t id = req_num(r, "id");
	int rc;

	if ((rc = exec_get(r->db, r->user.id, id, &e)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "executions", "execution");
	rows(e, "variables", "variable_rows", "has_variable_rows");
	rows(e, "params", "param_rows", "has_param_rows");
	json_object_object_add(d, "execution", e);
	resp_page(r, 200, "executions/show", d);
}
