/* router.c - path matching and the dispatcher: routing, 404/405, session,
 * authentication level and CSRF checks before any handler runs. */
#include "answer.h"
#include "router.h"

#include <string.h>

#include "app.h"
#include "config.h"
#include "db.h"
#include "escape.h"
#include "log.h"
#include "session.h"
#include "util.h"

extern const struct route routes[];
extern const size_t nroutes;

int route_match(struct req *r, const char *pattern, const char *path,
    struct params *args)
{
	size_t start = args->n;

	while (*pattern == '/' && *path == '/') {
		const char *pe = strchr(pattern + 1, '/');
		const char *se = strchr(path + 1, '/');
		size_t pl = pe ? (size_t)(pe - pattern - 1) : strlen(pattern + 1);
		size_t sl = se ? (size_t)(se - path - 1) : strlen(path + 1);

		if (pattern[1] == ':') {
			if (sl == 0)
				goto fail;
			params_add(r, args, req_strndup(r, pattern + 2, pl - 1),
			    req_strndup(r, path + 1, sl), sl);
		} else if (pl != sl || memcmp(pattern + 1, path + 1, pl) != 0)
			goto fail;
		pattern += 1 + pl;
		path += 1 + sl;
	}
	if (*pattern == '\0' && *path == '\0')
		return 1;
fail:
	args->n = start;
	return 0;
}

static int csrf_ok(struct req *r)
{
	const char *sent, *want;

	if (r->is_api) {
		/* Only a browser session needs the header; API keys (later)
		 * are not sent automatically by browsers. */
		if (r->user.id == 0)
			return 1;
		sent = req_env(r, "HTTP_X_CSRF_TOKEN");
		want = r->user.csrf;
	} else {
		/* From the body only: a token in the URL would be written to
		 * the web server's access log. */
		sent = req_form(r, "_csrf");
		want = r->user.id != 0 ? r->user.csrf : req_cookie(r, "pm_csrf");
	}
	return sent != NULL && want != NULL && *want != '\0' &&
	    ct_equal(sent, strlen(sent), want, strlen(want));
}

static void answer_405(struct req *r, unsigned allow)
{
	struct buf b = { 0 };
	int m;

	if (allow & (1u << M_GET))
		allow |= 1u << M_HEAD;
	allow |= 1u << M_OPTIONS;
	for (m = 0; m < M__MAX; m++)
		if (allow & (1u << m))
			buf_printf(&b, "%s%s", b.len ? ", " : "", http_method_names[m]);
	resp_header(r, "Allow", "%s", b.data);
	if (r->method == M_OPTIONS)
		resp_send(r, 204, NULL, "", 0);
	else
		answer_error(r, PM_METHOD,
		    "error.method_not_allowed", "method",
		    r->method < M__MAX ? http_method_names[r->method] : "?",
		    "allow", b.data, NULL);
	buf_free(&b);
}

void app_dispatch(struct req *r)
{
	const struct route *rt = NULL;
	unsigned allow = 0;
	size_t i;
	int rc;

	for (i = 0; i < nroutes; i++) {
		const struct route *c = &routes[i];

		if ((c->flags & RF_TEST) && !cfg_int(CFG_TEST_MODE))
			continue;
		if (!route_match(r, c->pattern, r->path, &r->args))
			continue;
		if (c->method == r->method ||
		    (r->method == M_HEAD && c->method == M_GET)) {
			rt = c;
			break;
		}
		allow |= 1u << c->method;
		r->args.n = 0;
	}
	if (rt == NULL) {
		if (allow != 0)
			answer_405(r, allow);
		else
			answer_error(r, PM_NOTFOUND, "error.not_found",
			    NULL);
		return;
	}
	if (!(rt->flags & RF_NO_SESSION) &&
	    (rc = session_load(r)) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	if (rt->auth != AUTH_NONE && r->user.id == 0) {
		if (r->is_api) {
			answer_error(r, PM_UNAUTHENTICATED,
			    "error.unauthenticated", NULL);
		} else if (r->method == M_GET || r->method == M_HEAD) {
			struct buf b = { 0 };
			buf_puts(&b, "/login?next=");
			esc_url(&b, r->path, strlen(r->path));
			resp_redirect(r, b.data);
			buf_free(&b);
		} else
			resp_redirect(r, "/login");
		return;
	}
	if (rt->auth == AUTH_ADMIN && !r->user.is_admin) {
		answer_error(r, PM_PERMISSION, "error.admin_only", NULL);
		return;
	}
	if (r->method != M_GET && r->method != M_HEAD &&
	    r->method != M_OPTIONS && !(rt->flags & RF_NO_CSRF) &&
	    !csrf_ok(r)) {
		log_warn("csrf check failed for %s", r->path);
		answer_error(r, PM_PERMISSION, "error.csrf", NULL);
		return;
	}
	rt->fn(r);
}
