/* key_auth.h - requests of the public API made with an API key.
 *
 * Under /api, "Authorization: Bearer pm_live_..." authenticates instead of
 * the session cookie (the session is then not read, and no CSRF token is
 * needed: browsers never send the header by themselves). A key's scope
 * must cover the route: GET, HEAD and RF_READS routes need read, a route
 * flagged RF_EXECUTE needs execute, every other method write; RF_SESSION_ONLY routes refuse
 * keys. The key's owner must be on a plan with API access. A key in the
 * query string is refused whatever the route: it would be in logs.
 */
#ifndef PM_KEY_AUTH_H
#define PM_KEY_AUTH_H

#include "router.h"

/* Whether the request carries an Authorization header. */
int key_auth_present(const struct req *r);
/* Whether the query string holds something shaped like an API key. */
int key_auth_in_query(const struct req *r);
/* Authenticate r with its Authorization header for route rt, filling
 * r->user. Returns 0, or answers the request (401 one message for every
 * bad key, 403 for a scope, a plan or a session-only route, 503 when the
 * database is down) and returns -1. */
int key_auth(struct req *r, const struct route *rt);

#endif
