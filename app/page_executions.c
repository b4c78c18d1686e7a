/* page_executions.c - the execution history page (filters, keyset
 * pagination, totals), its CSV export and one execution's detail page. */
#include <stdio.h>
#include <stdlib.h>
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

/* Rows at most in one CSV export (the newest; narrow the filters for
 * older ones). */
#define EXEC_CSV_MAX	10000

/* The filters of q as a query string (for the next page and the CSV
 * link). */
static void filters_query(const struct exec_query *q, struct buf *out)
{
	url_param(out, "prompt", q->prompt);
	url_param(out, "model", q->model);
	url_param(out, "status", q->status);
	url_param(out, "billing", q->billing);
	url_param(out, "from", q->from);
	url_param(out, "to", q->to);
}

void h_executions_page(struct req *r)
{
	struct exec_query q;
	struct json_object *d, *list, *filters;
	struct pm_fail f = { 0 };
	struct buf next = { 0 }, csv = { 0 };
	int rc;

	exec_query_of(r, &q);
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
	filters_query(&q, &csv);
	json_object_object_add(d, "csv_query", json_object_new_string(buf_cstr(&csv)));
	buf_free(&csv);
	if (json_object_object_get(list, "next_cursor") != NULL) {
		filters_query(&q, &next);
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

/* Append s to out as a CSV field: quoted when it holds a comma, a quote
 * or a line break, and with a leading apostrophe when a spreadsheet would
 * read it as a formula (=, +, -, @). NULL is an empty field. */
static void csv_field(struct buf *out, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL && strchr("=+-@", *s) == NULL) {
		buf_puts(out, s);
		return;
	}
	buf_putc(out, '"');
	if (*s != '\0' && strchr("=+-@", *s) != NULL)
		buf_putc(out, '\'');
	for (; *s; s++) {
		if (*s == '"')
			buf_putc(out, '"');
		buf_putc(out, *s);
	}
	buf_putc(out, '"');
}

/* The columns of the CSV export, keys of an exec_list item. */
static const char *const csv_columns[] = { "id", "created_at", "prompt",
    "version", "model", "channel", "billing", "status", "error_type",
    "input_tokens", "output_tokens", "cost_micros", "latency_ms", "ttft_ms" };

/* Append the items of one page as CSV rows. */
static void csv_rows(struct json_object *items, struct buf *out)
{
	size_t i, j;

	for (i = 0; i < json_object_array_length(items); i++) {
		struct json_object *e = json_object_array_get_idx(items, i), *v;

		for (j = 0; j < NELEM(csv_columns); j++) {
			if (j > 0)
				buf_putc(out, ',');
			v = json_object_object_get(e, csv_columns[j]);
			csv_field(out, v ? json_object_get_string(v) : NULL);
		}
		buf_puts(out, "\r\n");
	}
}

void h_executions_csv(struct req *r)
{
	struct exec_query q;
	struct json_object *list;
	struct pm_fail f = { 0 };
	struct buf out = { 0 };
	const char *next = NULL;
	char *cursor = NULL;
	size_t j, rows = 0;
	int rc;

	exec_query_of(r, &q);
	q.limit = LIST_LIMIT_MAX;
	q.no_totals = 1;
	for (j = 0; j < NELEM(csv_columns); j++)
		buf_printf(&out, "%s%s", j ? "," : "", csv_columns[j]);
	buf_puts(&out, "\r\n");
	do {
		if ((rc = exec_list(r->db, r->user.id, &q, &list, &f)) != 0) {
			free(cursor);
			buf_free(&out);
			answer_fail(r, rc, &f);
			return;
		}
		csv_rows(json_object_object_get(list, "items"), &out);
		rows += json_object_array_length(json_object_object_get(list, "items"));
		next = json_object_get_string(json_object_object_get(list, "next_cursor"));
		free(cursor);
		cursor = next ? xstrdup(next) : NULL;
		q.cursor = cursor;
		json_object_put(list);
	} while (cursor != NULL && rows < EXEC_CSV_MAX);
	free(cursor);
	resp_header(r, "Content-Disposition", "attachment; filename=\"executions.csv\"");
	resp_send(r, 200, "text/csv; charset=utf-8", out.data ? out.data : "", out.len);
	buf_free(&out);
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
