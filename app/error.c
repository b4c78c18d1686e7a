/* error.c - the table of failure kinds and the sentences of refusals. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "util.h"

/* Indexed by -rc. */
static const struct err_info kinds[-PM_ERR__MIN] = {
	[-PM_OK] = { 500, "api_error", "error.internal", 0 },
	[-PM_DB_DOWN] = { 503, "service_unavailable", "error.db_down", 1 },
	[-PM_DB_DUP] = { 500, "api_error", "error.internal", 1 },
	[-PM_DB_RETRY] = { 500, "api_error", "error.internal", 1 },
	[-PM_DB_CHECK] = { 500, "api_error", "error.internal", 1 },
	[-PM_DB_ERROR] = { 500, "api_error", "error.internal", 1 },
	[-PM_DB_REFUSED] = { 500, "api_error", "error.internal", 1 },
	[-PM_NOTFOUND] = { 404, "not_found_error", "error.not_found", 0 },
	[-PM_CONFLICT] = { 409, "conflict_error", "error.conflict", 0 },
	[-PM_INVALID] = { 400, "invalid_request_error", "error.invalid", 0 },
	[-PM_TOOBIG] = { 413, "request_too_large", "error.too_large_any", 0 },
	[-PM_FORBIDDEN] = { 403, "plan_limit_error", "error.plan_limit", 0 },
	[-PM_QUOTA] = { 429, "quota_exceeded", "error.quota", 0 },
	[-PM_UPSTREAM] = { 502, "upstream_error", "exec.upstream_bad", 0 },
	[-PM_TIMEOUT] = { 504, "upstream_timeout", "error.timeout", 0 },
	[-PM_RATELIMIT] = { 429, "rate_limit_error", "error.rate_limited", 0 },
	[-PM_UNAVAILABLE] = { 503, "service_unavailable", "error.unavailable", 0 },
	[-PM_NOCATALOG] = { 503, "service_unavailable", "plans.no_catalog", 0 },
	[-PM_UNAUTHENTICATED] = { 401, "authentication_error",
	    "error.unauthenticated", 0 },
	[-PM_PERMISSION] = { 403, "permission_error", "error.forbidden", 0 },
	[-PM_METHOD] = { 405, "invalid_request_error",
	    "error.method_not_allowed", 0 },
	[-PM_UNSUPPORTED] = { 415, "invalid_request_error",
	    "error.unsupported_type", 0 },
	[-PM_NOT_IMPLEMENTED] = { 501, "not_implemented",
	    "error.not_implemented", 0 },
	[-PM_BUSY] = { 503, "service_unavailable", "exec.busy", 0 },
	[-PM_INTERNAL] = { 500, "api_error", "error.internal", 0 },
};

const struct err_info *err_info(int rc)
{
	if (rc >= 0 || rc <= PM_ERR__MIN || kinds[-rc].type == NULL)
		return &kinds[-PM_INTERNAL];
	return &kinds[-rc];
}

int err_is_db(int rc)
{
	return rc < 0 && err_info(rc)->is_db;
}

int pm_refuse(struct pm_fail *f, int code, const char *key, const char *field)
{
	if (f != NULL) {
		f->key = key;
		f->field = field;
		f->nargs = 0;
	}
	return code;
}

void pm_fail_arg(struct pm_fail *f, const char *name, const char *fmt, ...)
{
	va_list ap;
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nargs; i++)
		if (strcmp(f->arg[i].name, name) == 0)
			break;
	if (i == PM_FAIL_ARGS)
		return;
	va_start(ap, fmt);
	vsnprintf(f->arg[i].val, sizeof(f->arg[i].val), fmt, ap);
	va_end(ap);
	f->arg[i].name = name;
	if (i == f->nargs)
		f->nargs++;
}

void pm_detail_text(struct json_object *e, struct buf *out)
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
	msg_fmt(out, code ? code : "error.internal", "variable", name, NULL);
}

void pm_fail_text(int rc, const struct pm_fail *f, struct buf *out)
{
	const char *names[PM_FAIL_ARGS], *vals[PM_FAIL_ARGS];
	int i;

	if (f != NULL && f->details != NULL &&
	    json_object_array_length(f->details) > 0) {
		size_t n = json_object_array_length(f->details);
		char more[24];

		pm_detail_text(json_object_array_get_idx(f->details, 0), out);
		if (n > 1) {
			snprintf(more, sizeof(more), "%zu", n - 1);
			buf_puts(out, " ");
			msg_fmt(out, "vars.more", "count", more, NULL);
		}
		return;
	}
	if (f == NULL || f->key == NULL || err_is_db(rc)) {
		msg_fmt(out, err_info(rc)->key, NULL);
		return;
	}
	for (i = 0; i < f->nargs; i++) {
		names[i] = f->arg[i].name;
		vals[i] = f->arg[i].val;
	}
	msg_fmt_pairs(out, f->key, names, vals, (size_t)f->nargs);
}

void pm_fail_clear(struct pm_fail *f)
{
	if (f == NULL)
		return;
	json_object_put(f->details);
	memset(f, 0, sizeof(*f));
}
