/* router.h - the routes table: method + path pattern -> handler + auth.
 *
 * The whole site is listed in one table in routes.c. Patterns are literal
 * segments and ":name" segments, which match one non-empty path segment and
 * are available to the handler through req_arg(r, "name").
 */
#ifndef PM_ROUTER_H
#define PM_ROUTER_H

#include "http.h"

enum auth_level {
	AUTH_NONE,	/* anyone */
	AUTH_USER,	/* a signed-in user */
	AUTH_ADMIN	/* a signed-in admin */
};

enum route_flags {
	RF_NO_SESSION = 1 << 0,	/* do not look up the session (no DB) */
	RF_NO_CSRF = 1 << 1,	/* state-changing but not from our forms */
	RF_TEST = 1 << 2	/* exists only when test_mode is on */
};

typedef void (*handler_fn)(struct req *r);

struct route {
	enum http_method method;
	const char	*pattern;
	handler_fn	 fn;
	enum auth_level	 auth;
	unsigned	 flags;
};

/* Match path against pattern, adding :params to args (in r's arena).
 * Returns 1 on a match, 0 otherwise (args then unchanged in count). */
int route_match(struct req *r, const char *pattern, const char *path,
    struct params *args);

#endif
