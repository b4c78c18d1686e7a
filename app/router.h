/* router.h - the routes table: method + path pattern -> handler, auth,
 * and what the request must carry.
 *
 * The whole site is listed in one table in routes.c. Patterns are literal
 * segments and ":name" segments, which match one non-empty path segment of
 * the kind the name declares, checked before the handler runs:
 *   :slug   a prompt slug (slug_valid)          req_arg(r, "slug")
 *   :n      a version number, 1 to 10^9         req_num(r, "n")
 *   :id     a row id, 1 to 2^63 - 1             req_num(r, "id")
 * A segment of the wrong kind matches nothing (404). A JSON route names
 * the table of its body's fields (fields.h), checked before the handler
 * runs too (400 naming the field).
 */
#ifndef PM_ROUTER_H
#define PM_ROUTER_H

#include "fields.h"
#include "http.h"

enum auth_level {
	AUTH_NONE,	/* anyone */
	AUTH_USER,	/* a signed-in user */
	AUTH_ADMIN	/* a signed-in admin */
};

enum route_flags {
	RF_NO_SESSION = 1 << 0,	/* do not look up the session (no DB) */
	RF_NO_CSRF = 1 << 1,	/* state-changing but not from our forms */
	RF_TEST = 1 << 2,	/* exists only when test_mode is on */
	RF_EXECUTE = 1 << 3,	/* runs a model: an API key needs "execute" */
	RF_SESSION_ONLY = 1 << 4, /* never with an API key (managing keys) */
	RF_READS = 1 << 5,	/* a POST that changes nothing: "read" suffices */
	RF_OPENAI = 1 << 6,	/* errors in OpenAI's shape (answer.c) */
	RF_DEMO_MAIL = 1 << 7	/* exists only when demo_mail_dir is set */
};

typedef void (*handler_fn)(struct req *r);

struct route {
	enum http_method method;
	const char	*pattern;
	handler_fn	 fn;
	enum auth_level	 auth;
	unsigned	 flags;
	const struct field *body;	/* JSON body's fields, or NULL */
};

/* Match path against pattern, adding :params (of their kind) to args (in
 * r's arena). Returns 1 on a match, 0 otherwise (args then unchanged in
 * count). */
int route_match(struct req *r, const char *pattern, const char *path,
    struct params *args);
/* Check the routes table once at start-up: every :name is a known kind,
 * every JSON route of the API names its body's fields. Reserves the
 * literal segments beside :slug (slug_reserve). Returns 0, or -1 with the
 * offending pattern in err. */
int router_init(struct buf *err);
/* Whether path is one of the routes answered in OpenAI's shape
 * (RF_OPENAI; their patterns are literal). */
int router_openai_path(const char *path);

#endif
