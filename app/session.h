/* session.h - browser sessions stored in MariaDB.
 *
 * The cookie pm_session holds a 256-bit random token; only its SHA-256 is
 * stored. A session ends after session_idle_seconds without use or
 * session_absolute_seconds after log-in, whichever comes first. Each session
 * has its own CSRF token.
 */
#ifndef PM_SESSION_H
#define PM_SESSION_H

#include <stdint.h>

struct req;

/* Look up the session named by the request's cookie and fill r->user. An
 * unknown, forged or expired cookie leaves the request anonymous (and
 * clears the cookie). Returns 0, or DB_DOWN when the database is
 * unreachable. */
int session_load(struct req *r);
/* Start a new session for the user user_id (with that email and role),
 * ending the request's current one so a log-in always gets a fresh token;
 * set the cookie and fill r->user. Returns 0 or a negative enum db_err. */
int session_create(struct req *r, int64_t user_id, const char *email,
    int is_admin);
/* End the request's session and clear the cookie. Returns 0 or a negative
 * enum db_err. */
int session_destroy(struct req *r);
/* End every session of user_id except keep_id (0: all). Returns the number
 * ended or a negative enum db_err. */
int64_t session_destroy_others(struct req *r, int64_t user_id, int64_t keep_id);

#endif
