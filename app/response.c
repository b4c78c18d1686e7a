/* response.c - writing responses: headers, cookies, pages, errors, streams. */
#include "http.h"

#include <fcgiapp.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "billing_offer.h"
#include "clock.h"
#include "jsonx.h"
#include "log.h"
#include "msg.h"
#include "tmpl.h"
#include "util.h"

static const struct {
	int		 code;
	const char	*reason;
} reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 303, "See Other" }, { 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 402, "Payment Required" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 408, "Request Timeout" }, { 409, "Conflict" },
	{ 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
	{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
};

const char *http_reason(int status)
{
	size_t i;

	for (i = 0; i < NELEM(reasons); i++)
		if (reasons[i].code == status)
			return reasons[i].reason;
	return "Unknown";
}

static const char security_headers[] =
	"Content-Security-Policy: default-src 'self'; script-src 'self'; "
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; "
	"font-src 'self'; object-src 'none'; base-uri 'none'; "
	"form-action 'self'; frame-ancestors 'none'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"X-Frame-Options: DENY\r\n"
	"Referrer-Policy: same-origin\r\n"
	"Cross-Origin-Opener-Policy: same-origin\r\n";

void resp_header(struct req *r, const char *name, const char *fmt, ...)
{
	size_t start;
	va_list ap;

	buf_printf(&r->headers, "%s: ", name);
	start = r->headers.len;
	va_start(ap, fmt);
	buf_vprintf(&r->headers, fmt, ap);
	va_end(ap);
	/* Header injection guard: no line breaks in values. */
	for (; start < r->headers.len; start++)
		if (r->headers.data[start] == '\r' ||
		    r->headers.data[start] == '\n')
			r->headers.data[start] = ' ';
	buf_puts(&r->headers, "\r\n");
}

void resp_cookie(struct req *r, const char *name, const char *value,
    int64_t max_age)
{
	struct buf b = { 0 };

	buf_printf(&b, "%s=%s; Path=/; HttpOnly; SameSite=Lax", name, value);
	if (max_age >= 0)
		buf_printf(&b, "; Max-Age=%lld", (long long)max_age);
	if (r->https)
		buf_puts(&b, "; Secure");
	resp_header(r, "Set-Cookie", "%s", b.data);
	buf_free(&b);
}

static int put(struct req *r, const char *p, size_t n)
{
	if (r->fcgi == NULL || r->client_gone || n == 0)
		return r->client_gone ? -1 : 0;
	if (FCGX_PutStr(p, (int)n, r->fcgi->out) != (int)n) {
		r->client_gone = 1;
		return -1;
	}
	return 0;
}

/* Write the status line and headers; len < 0 means unknown length. */
static int send_head(struct req *r, int status, const char *ctype,
    long long len)
{
	struct buf h = { 0 };
	int rc;

	if (r->set_anon_csrf) {
		resp_cookie(r, "pm_csrf", r->anon_csrf, -1);
		r->set_anon_csrf = 0;
	}
	r->status = status;
	buf_printf(&h, "Status: %d %s\r\n", status, http_reason(status));
	if (ctype != NULL)
		buf_printf(&h, "Content-Type: %s\r\n", ctype);
	if (len >= 0)
		buf_printf(&h, "Content-Length: %lld\r\n", len);
	buf_puts(&h, security_headers);
	if (r->https)
		buf_puts(&h, "Strict-Transport-Security: max-age=31536000\r\n");
	buf_printf(&h, "Cache-Control: no-store\r\nX-Request-Id: %s\r\n", r->rid);
	buf_append(&h, r->headers.data, r->headers.len);
	buf_puts(&h, "\r\n");
	rc = put(r, h.data, h.len);
	buf_free(&h);
	r->headers_sent = 1;
	return rc;
}

static void log_access(struct req *r)
{
	log_info("%s %s %d %lldus",
	    r->method < M__MAX ? http_method_names[r->method] : "?",
	    r->path ? r->path : "?", r->status,
	    (long long)(clock_mono_us() - r->start_us));
}

void resp_send(struct req *r, int status, const char *ctype,
    const char *body, size_t len)
{
	if (r->done || r->headers_sent) {
		log_error("response already sent for %s", r->path);
		return;
	}
	send_head(r, status, ctype, (long long)len);
	if (!r->head)
		put(r, body, len);
	r->done = 1;
	log_access(r);
}

void resp_json(struct req *r, int status, struct json_object *obj)
{
	size_t len;
	const char *s = json_to_text(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	resp_send(r, status, "application/json", s, len);
	json_object_put(obj);
}

void resp_page(struct req *r, int status, const char *name,
    struct json_object *data)
{
	struct buf body = { 0 }, page = { 0 };
	const char *failed = NULL;

	if (app_templates == NULL ||
	    tmpl_render(app_templates, name, data, &body) != 0)
		failed = name;
	else {
		json_object_object_add(data, "body", json_object_new_string_len(
		    body.data ? body.data : "", (int)body.len));
		if (tmpl_render(app_templates, "layout", data, &page) != 0)
			failed = "layout";
	}
	if (failed == NULL && json_object_object_get_ex(data, "flash", NULL))
		resp_cookie(r, "pm_flash", "", 0);	/* shown once */
	json_object_put(data);
	buf_free(&body);
	if (failed != NULL) {
		log_error("cannot render template %s", failed);
		resp_send(r, 500, "text/plain; charset=utf-8",
		    "Internal Server Error\n", 22);
	} else
		resp_send(r, status, "text/html; charset=utf-8",
		    page.data ? page.data : "", page.len);
	buf_free(&page);
}

int local_path(const char *p)
{
	const unsigned char *s = (const unsigned char *)p;

	/* "//host" and "/\\host" leave the site, and browsers drop tabs and
	 * line breaks before parsing ("/\t/host" is "//host"): no control
	 * character and no backslash anywhere. */
	if (s == NULL || s[0] != '/' || s[1] == '/')
		return 0;
	for (; *s; s++)
		if (*s < 0x20 || *s == 0x7f || *s == '\\')
			return 0;
	return 1;
}

void resp_redirect(struct req *r, const char *location)
{
	if (!local_path(location))
		location = "/";
	resp_header(r, "Location", "%s", location);
	resp_send(r, 303, "text/plain; charset=utf-8", "", 0);
}

int resp_stream_begin(struct req *r, int status, const char *ctype)
{
	int rc;

	resp_header(r, "X-Accel-Buffering", "no");
	rc = send_head(r, status, ctype, -1);
	if (rc == 0 && r->fcgi != NULL && FCGX_FFlush(r->fcgi->out) != 0) {
		r->client_gone = 1;
		rc = -1;
	}
	return rc;
}

int resp_stream_write(struct req *r, const char *p, size_t n)
{
	if (r->head)
		return 0;
	if (put(r, p, n) != 0)
		return -1;
	if (r->fcgi != NULL && FCGX_FFlush(r->fcgi->out) != 0) {
		r->client_gone = 1;
		return -1;
	}
	return 0;
}

int req_client_gone(struct req *r)
{
	struct pollfd p;
	char c;

	if (r->client_gone)
		return 1;
	if (r->fcgi == NULL || r->fcgi->ipcFd < 0)
		return 0;
	p.fd = r->fcgi->ipcFd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0)
		return 0;
	/* The web server closes the FastCGI connection when its client
	 * leaves; anything else readable (the end of the body's records)
	 * is not an end. */
	if ((p.revents & (POLLHUP | POLLERR)) ||
	    ((p.revents & POLLIN) &&
	    recv(p.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)) {
		r->client_gone = 1;
		return 1;
	}
	return 0;
}

const char *csrf_token(struct req *r)
{
	const char *c;

	if (r->user.id != 0 && r->user.csrf != NULL)
		return r->user.csrf;
	if (r->anon_csrf[0] != '\0')
		return r->anon_csrf;
	c = req_cookie(r, "pm_csrf");
	if (token_valid(c)) {
		memcpy(r->anon_csrf, c, TOKEN_LEN + 1);
		return r->anon_csrf;
	}
	token_new(r->anon_csrf);
	r->set_anon_csrf = 1;
	return r->anon_csrf;
}

void flash_set(struct req *r, const char *key)
{
	resp_cookie(r, "pm_flash", key, 60);
}

struct json_object *page_data(struct req *r, const char *section)
{
	struct json_object *d = json_object_new_object();
	const char *flash = req_cookie(r, "pm_flash");

	if (r->user.id != 0) {
		struct json_object *u = json_object_new_object();
		json_object_object_add(u, "email",
		    json_object_new_string(r->user.email));
		json_object_object_add(u, "is_admin",
		    json_object_new_boolean(r->user.is_admin));
		json_object_object_add(d, "user", u);
	}
	json_object_object_add(d, "csrf", json_object_new_string(csrf_token(r)));
	json_object_object_add(d, "section", json_object_new_string(section));
	{
		char key[64];
		snprintf(key, sizeof(key), "title.%s", section);
		json_object_object_add(d, "title",
		    json_object_new_string(msg_get(key)));
	}
	{
		char nav[64];
		snprintf(nav, sizeof(nav), "nav_%s", section);
		json_object_object_add(d, nav, json_object_new_boolean(1));
	}
	if (flash != NULL && strspn(flash, "abcdefghijklmnopqrstuvwxyz_") ==
	    strlen(flash) && *flash != '\0' && !r->is_api) {
		char key[80];
		snprintf(key, sizeof(key), "flash.%s", flash);
		json_object_object_add(d, "flash",
		    json_object_new_string(msg_get(key)));	/* shown, and
		 * cleared, by resp_page() */
	}
	/* A failed payment is told on every page (billing_offer.h). */
	if (r->user.id != 0 && !r->is_api && strcmp(section, "error") != 0)
		billing_notice(r, d);
	return d;
}

/* Add a message to the form's error summary. */
void form_error_text(struct json_object *d, const char *text)
{
	struct json_object *list;

	if (!json_object_object_get_ex(d, "error_list", &list)) {
		list = json_object_new_array();
		json_object_object_add(d, "error_list", list);
		json_object_object_add(d, "has_errors", json_object_new_boolean(1));
	}
	json_object_array_add(list, json_object_new_string(text));
}

/* Add a field error (catalog key) to the form data: shown next to the
 * field and in the summary. */
void form_error(struct json_object *d, const char *field,
    const char *key)
{
	struct json_object *errs;

	if (!json_object_object_get_ex(d, "errors", &errs)) {
		errs = json_object_new_object();
		json_object_object_add(d, "errors", errs);
	}
	if (!json_object_object_get_ex(errs, field, NULL))
		json_object_object_add(errs, field,
		    json_object_new_string(msg_get(key)));
	form_error_text(d, msg_get(key));
}
