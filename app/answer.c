/* answer.c - data-layer refusals as HTTP answers and form errors. */
#include "answer.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "http.h"
#include "msg.h"
#include "prompts.h"

int fail_status(int rc)
{
	switch (rc) {
	case PM_NOTFOUND: return 404;
	case PM_CONFLICT: return 409;
	case PM_INVALID: return 400;
	case PM_TOOBIG: return 413;
	case PM_FORBIDDEN: return 403;
	case PM_QUOTA: return 429;
	case PM_UPSTREAM: return 502;
	case PM_TIMEOUT: return 504;
	case PM_RATELIMIT: return 429;
	case PM_UNAVAILABLE: return 503;
	case DB_DOWN: return 503;
	default: return 500;
	}
}

static const char *fail_type(int rc)
{
	switch (rc) {
	case PM_NOTFOUND: return "not_found_error";
	case PM_CONFLICT: return "conflict_error";
	case PM_INVALID: return "invalid_request_error";
	case PM_TOOBIG: return "request_too_large";
	case PM_FORBIDDEN: return "plan_limit_error";
	case PM_QUOTA: return "quota_exceeded";
	case PM_UPSTREAM: return "upstream_error";
	case PM_TIMEOUT: return "upstream_timeout";
	case PM_RATELIMIT: return "rate_limit_error";
	case PM_UNAVAILABLE: return "service_unavailable";
	case DB_DOWN: return "service_unavailable";
	default: return "api_error";
	}
}

/* The sentence for one variable error object of vars_errors_json(). */
static void var_error_text(struct json_object *e, struct buf *out)
{
	struct json_object *v;
	const char *code = json_object_get_string(json_object_object_get(e, "code"));
	const char *name = "";
	char msgno[16], line[16], col[16];

	if (json_object_object_get_ex(e, "variable", &v))
		name = json_object_get_string(v);
	if (json_object_object_get_ex(e, "line", &v) && v != NULL) {
		snprintf(msgno, sizeof(msgno), "%d", json_object_get_int(
		    json_object_object_get(e, "message_index")) + 1);
		snprintf(line, sizeof(line), "%d", json_object_get_int(v));
		snprintf(col, sizeof(col), "%d", json_object_get_int(
		    json_object_object_get(e, "column")));
		msg_fmt(out, "vars.at", "message", msgno, "line", line,
		    "column", col, NULL);
		buf_puts(out, " ");
	}
	msg_fmt(out, code, "variable", name, NULL);
}

/* Give each detail its sentence. */
static void annotate(struct json_object *details)
{
	size_t i;

	for (i = 0; i < json_object_array_length(details); i++) {
		struct json_object *e = json_object_array_get_idx(details, i);
		struct buf b = { 0 };

		var_error_text(e, &b);
		json_object_object_add(e, "message",
		    json_object_new_string(buf_cstr(&b)));
		buf_free(&b);
	}
}

void fail_text(int rc, const struct pm_fail *f, struct buf *out)
{
	if (rc == DB_DOWN)
		msg_fmt(out, "error.db_down", NULL);
	else if (f == NULL || f->key == NULL)
		msg_fmt(out, rc == PM_NOTFOUND ? "error.not_found" :
		    "error.internal", NULL);
	else if (f->details != NULL &&
	    json_object_array_length(f->details) > 0) {
		size_t n = json_object_array_length(f->details);
		char more[24];

		var_error_text(json_object_array_get_idx(f->details, 0), out);
		if (n > 1) {
			snprintf(more, sizeof(more), "%zu", n - 1);
			buf_puts(out, " ");
			msg_fmt(out, "vars.more", "count", more, NULL);
		}
	} else if (f->arg_name != NULL && f->arg2_name != NULL)
		msg_fmt(out, f->key, f->arg_name, f->arg_val, f->arg2_name,
		    f->arg2_val, NULL);
	else if (f->arg_name != NULL)
		msg_fmt(out, f->key, f->arg_name, f->arg_val, NULL);
	else
		msg_fmt(out, f->key, NULL);
}

void answer_fail(struct req *r, int rc, struct pm_fail *f)
{
	struct json_object *o, *e;
	struct buf m = { 0 };
	int status = fail_status(rc);

	if (rc == DB_DOWN) {
		resp_db_down(r);
		goto out;
	}
	if (f != NULL && f->retry_after > 0)
		resp_header(r, "Retry-After", "%lld", (long long)f->retry_after);
	fail_text(rc, f, &m);
	if (!r->is_api || r->done) {
		resp_error_text(r, status, fail_type(rc), buf_cstr(&m));
		goto out;
	}
	if (status >= 500 && status != 502 && status != 503 && status != 504)
		resp_error_text(r, status, fail_type(rc), buf_cstr(&m));
	else {
		o = json_object_new_object();
		e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string(fail_type(rc)));
		json_object_object_add(e, "message", json_object_new_string(buf_cstr(&m)));
		if (f != NULL && f->field != NULL)
			json_object_object_add(e, "field",
			    json_object_new_string(f->field));
		if (f != NULL && f->details != NULL) {
			annotate(f->details);
			json_object_object_add(e, "details", f->details);
			f->details = NULL;
		}
		json_object_object_add(o, "error", e);
		resp_json(r, status, o);
	}
out:
	buf_free(&m);
	if (f != NULL) {
		json_object_put(f->details);
		f->details = NULL;
	}
}

int form_fail(struct json_object *d, int rc, struct pm_fail *f)
{
	struct buf m = { 0 };
	struct json_object *errs;
	size_t i;

	if (f != NULL && f->details != NULL) {
		annotate(f->details);
		for (i = 0; i < json_object_array_length(f->details); i++)
			form_error_text(d, json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(f->details, i), "message")));
		json_object_object_add(d, "variable_errors", f->details);
		f->details = NULL;
		return fail_status(rc) == 400 ? 422 : fail_status(rc);
	}
	fail_text(rc, f, &m);
	if (f != NULL && f->field != NULL) {
		if (!json_object_object_get_ex(d, "errors", &errs)) {
			errs = json_object_new_object();
			json_object_object_add(d, "errors", errs);
		}
		json_object_object_add(errs, f->field,
		    json_object_new_string(buf_cstr(&m)));
	}
	form_error_text(d, buf_cstr(&m));
	buf_free(&m);
	rc = fail_status(rc);
	return rc == 400 ? 422 : rc;
}
