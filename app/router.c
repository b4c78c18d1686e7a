/* router.c - path matching and the dispatcher: routing, 404/405, session,
 * authentication level and CSRF checks before any handler runs. */
#include "answer.h"
#include "key_auth.h"
#include "router.h"

#include <string.h>

#include "app.h"
#include "config.h"
#include "db.h"
#include "escape.h"
#include "log.h"
#include "prompts.h"
#include "session.h"
#include "util.h"

extern const struct route routes[];
extern const size_t nroutes;

/* The kinds of :name segments. */
static int kind_slug(const char *s, size_t n, int64_t *num)
{
	char buf[SLUG_MAX + 1];

	*num = 0;
	if (n > SLUG_MAX)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return slug_valid(buf);
}

/* Digits only (no sign, no leading zero), as a number from 1 to max. */
static int kind_digits(const char *s, size_t n, int64_t max, int64_t *num)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (INT64_MAX - (s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*num = v;
	return v <= max;
}

static int kind_number(const char *s, size_t n, int64_t *num)
{
	return kind_digits(s, n, 1000000000, num);
}

static int kind_id(const char *s, size_t n, int64_t *num)
{
	return kind_digits(s, n, INT64_MAX, num);
}

static const struct {
	const char	*name;
	int		(*match)(const char *s, size_t n, int64_t *num);
} kinds[] = {
	{ "slug", kind_slug },
	{ "n", kind_number },
	{ "id", kind_id },
};

/* The kind of the :name of len bytes at name, or -1. */
static int kind_of(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NELEM(kinds); i++)
		if (strlen(kinds[i].name) == len &&
		    memcmp(kinds[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

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
			int k = kind_of(pattern + 2, pl - 1);
			int64_t num = 0;

			if (k < 0 || sl == 0 || !kinds[k].match(path + 1, sl, &num))
				goto fail;
			params_add(r, args, kinds[k].name,
			    req_strndup(r, path + 1, sl), sl);
			args->v[args->n - 1].num = num;
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

/* Whether a route takes a JSON body: an API route that changes state. */
static int takes_body(const struct route *rt)
{
	return strncmp(rt->pattern, "/api/", 5) == 0 && rt->method != M_GET &&
	    rt->method != M_HEAD && rt->method != M_OPTIONS;
}

/* Reserve, for every pattern segment ":slug", the literal segments that
 * other patterns with the same prefix hold at that place. */
static void reserve_slugs(void)
{
	size_t i, j;

	for (i = 0; i < nroutes; i++) {
		const char *p = strstr(routes[i].pattern, "/:slug");
		size_t plen;

		if (p == NULL)
			continue;
		plen = (size_t)(p - routes[i].pattern) + 1;	/* with '/' */
		for (j = 0; j < nroutes; j++) {
			const char *q = routes[j].pattern, *e;
			char word[SLUG_MAX + 1];

			if (strncmp(q, routes[i].pattern, plen) != 0 ||
			    q[plen] == ':' || q[plen] == '\0')
				continue;
			e = strchr(q + plen, '/');
			if (e == NULL)
				e = q + strlen(q);
			if ((size_t)(e - q - plen) > SLUG_MAX)
				continue;
			memcpy(word, q + plen, (size_t)(e - q - plen));
			word[e - q - plen] = '\0';
			slug_reserve(word);
		}
	}
}

int router_init(struct buf *err)
{
	size_t i;

	for (i = 0; i < nroutes; i++) {
		const char *p = routes[i].pattern;

		while ((p = strstr(p, "/:")) != NULL) {
			const char *e = strchr(p + 1, '/');
			size_t len = e ? (size_t)(e - p - 2) : strlen(p + 2);

			if (kind_of(p + 2, len) < 0) {
				buf_printf(err, "route %s: unknown parameter kind",
				    routes[i].pattern);
				return -1;
			}
			p += 2;
		}
		if ((routes[i].flags & RF_OPENAI) &&
		    strchr(routes[i].pattern, ':') != NULL) {
			buf_printf(err, "route %s: an OpenAI-shaped route must be"
			    " literal", routes[i].pattern);
			return -1;
		}
		if (takes_body(&routes[i]) && routes[i].body == NULL &&
		    !(routes[i].flags & RF_NO_CSRF)) {
			buf_printf(err, "route %s: no table of body fields",
			    routes[i].pattern);
			return -1;
		}
	}
	reserve_slugs();
	return 0;
}

static int csrf_ok(struct req *r)
{
	const char *sent, *want;

	if (r->is_api) {
		/* Only a browser session needs the header; browsers never
		 * send an API key by themselves. */
		if (r->user.id == 0 || r->user.api_key_id != 0)
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

int router_openai_path(const char *path)
{
	size_t i;

	for (i = 0; i < nroutes; i++)
		if ((routes[i].flags & RF_OPENAI) &&
		    strcmp(routes[i].pattern, path) == 0)
			return 1;
	return 0;
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
		if ((c->flags & RF_DEMO_MAIL) && !cfg_str(CFG_DEMO_MAIL_DIR)[0])
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
	if (rt->flags & RF_OPENAI)
		r->openai_errors = 1;
	if (r->is_api && key_auth_in_query(r)) {
		answer_error(r, PM_INVALID, "keys.in_query", NULL);
		return;
	}
	if (r->is_api && key_auth_present(r)) {
		if (key_auth(r, rt) != 0)
			return;
	} else if (!(rt->flags & RF_NO_SESSION) &&
	    (rc = session_load(r)) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	if (rt->auth != AUTH_NONE && r->user.id == 0) {
		if (r->is_api) {
			/* one answer for no session and no key */
			resp_header(r, "WWW-Authenticate", "Bearer");
			answer_error(r, PM_UNAUTHENTICATED, "keys.invalid", NULL);
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
	if (rt->body != NULL) {
		struct pm_fail f = { 0 };

		/* Forms are for pages; the API takes JSON. */
		if (r->content_type != NULL && r->json == NULL && r->body_len > 0) {
			answer_error(r, PM_UNSUPPORTED, "error.unsupported_type",
			    NULL);
			return;
		}
		if ((rc = fields_check(rt->body, r->json, &f)) != 0) {
			answer_fail(r, rc, &f);
			return;
		}
	}
	rt->fn(r);
}
