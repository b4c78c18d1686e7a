/* answer.c - failures as HTTP answers and form errors. */
#include "answer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "msg.h"

/* Give each variable error of details its sentence ("message"). */
static void annotate(struct json_object *details)
{
	size_t i;

	for (i = 0; i < json_object_array_length(details); i++) {
		struct json_object *e = json_object_array_get_idx(details, i);
		struct buf b = { 0 };

		pm_detail_text(e, &b);
		json_object_object_add(e, "message",
		    json_object_new_string(buf_cstr(&b)));
		buf_free(&b);
	}
}

/* The JSON error of the OpenAI-compatible API: {"error": {"message",
 * "type", "param", "code"}} with the field as param and the sentence's
 * catalog key as code. */
static struct json_object *openai_error(const char *type, const char *message,
    const char *param, const char *code)
{
	struct json_object *o = json_object_new_object(), *e;

	e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "param", param ? json_object_new_string(param) :
	    NULL);
	json_object_object_add(e, "code", code ? json_object_new_string(code) :
	    NULL);
	json_object_object_add(o, "error", e);
	return o;
}

/* The error page or JSON body with status, type and message; for a JSON
 * answer the field and details of f (taken) when there are some; key is
 * the sentence's catalog key (the code of an OpenAI-shaped error). */
static void send_error(struct req *r, int status, const char *type,
    const char *message, struct pm_fail *f, const char *key_used)
{
	struct json_object *o, *e;
	char key[32];

	if (r->done || r->headers_sent) {
		log_warn("error %d after the response began: %s", status, message);
		return;
	}
	if (status >= 500)
		log_warn("answering %d %s: %s", status, type, message);
	if (r->openai_errors) {
		resp_json(r, status, openai_error(type, message,
		    f != NULL && status < 500 ? f->field : NULL,
		    status < 500 ? key_used : NULL));
		return;
	}
	if (r->is_api || app_templates == NULL) {
		o = json_object_new_object();
		e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string(type));
		json_object_object_add(e, "message",
		    json_object_new_string(message));
		/* Details help a client fix its input; a server failure
		 * tells nothing more than its sentence. */
		if (f != NULL && status != 500 && status != 501 &&
		    f->field != NULL)
			json_object_object_add(e, "field",
			    json_object_new_string(f->field));
		if (f != NULL && status != 500 && status != 501 &&
		    f->details != NULL) {
			annotate(f->details);
			json_object_object_add(e, "details", f->details);
			f->details = NULL;
		}
		json_object_object_add(o, "error", e);
		resp_json(r, status, o);
		return;
	}
	o = page_data(r, "error");
	snprintf(key, sizeof(key), "http.%d", status);
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "title", json_object_new_string(msg_get(key)));
	json_object_object_add(o, "message", json_object_new_string(message));
	resp_page(r, status, "error", o);
}

void answer_fail(struct req *r, int rc, struct pm_fail *f)
{
	const struct err_info *k = err_info(rc);
	struct buf m = { 0 };

	if (rc == PM_DB_DOWN)
		resp_header(r, "Retry-After", "5");
	else if (f != NULL && f->retry_after > 0)
		resp_header(r, "Retry-After", "%lld", (long long)f->retry_after);
	if (f != NULL && f->rate_limit > 0) {
		/* a count of executions at its limit */
		resp_header(r, "X-RateLimit-Limit", "%lld", (long long)f->rate_limit);
		resp_header(r, "X-RateLimit-Remaining", "0");
		resp_header(r, "X-RateLimit-Reset", "%lld",
		    (long long)(r->now + f->retry_after));
	}
	pm_fail_text(rc, f, &m);
	send_error(r, k->status, k->type, buf_cstr(&m), f,
	    f != NULL && f->key != NULL ? f->key : k->key);
	buf_free(&m);
	pm_fail_clear(f);
}

void answer_error(struct req *r, int rc, const char *msg_key, ...)
{
	const struct err_info *k = err_info(rc);
	struct buf m = { 0 };
	va_list ap;

	va_start(ap, msg_key);
	msg_vfmt(&m, msg_key, ap);
	va_end(ap);
	if (rc == PM_DB_DOWN)
		resp_header(r, "Retry-After", "5");
	send_error(r, k->status, k->type, buf_cstr(&m), NULL,
	    msg_key != NULL ? msg_key : k->key);
	buf_free(&m);
}

int form_fail(struct json_object *d, int rc, struct pm_fail *f)
{
	struct buf m = { 0 };
	struct json_object *errs;
	size_t i;
	int status = err_info(rc)->status;

	if (f != NULL && f->details != NULL) {
		annotate(f->details);
		for (i = 0; i < json_object_array_length(f->details); i++)
			form_error_text(d, json_object_get_string(json_object_object_get(
			    json_object_array_get_idx(f->details, i), "message")));
		json_object_object_add(d, "variable_errors", f->details);
		f->details = NULL;
	} else {
		pm_fail_text(rc, f, &m);
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
	}
	pm_fail_clear(f);
	return status == 400 ? 422 : status;
}
