/* users.h - user accounts: validation rules and their queries. */
#ifndef PM_USERS_H
#define PM_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct db;

#define EMAIL_MAX 254
#define PASSWORD_MIN 10
#define PASSWORD_MAX 128

struct user_row {
	int64_t	 id;
	char	 email[EMAIL_MAX + 1];
	char	 password_hash[192];
	int	 is_admin;
};

/* Check that email is a plausible address (one @, a dotted domain, no
 * spaces or control characters, at most EMAIL_MAX bytes) and write its
 * normalised form (trimmed, ASCII lower case) to out (EMAIL_MAX + 1 bytes).
 * Returns 0, or PM_INVALID with the catalog key in f (field "email"). */
int email_check(const char *email, char *out, struct pm_fail *f);
/* Check a new password against the policy (length PASSWORD_MIN to
 * PASSWORD_MAX characters, not a common password, not the email, enough
 * distinct characters). Returns 0 when acceptable, or PM_INVALID with the
 * catalog key in f (field "password"). */
int password_check(const char *pw, const char *email, struct pm_fail *f);
/* Create a user; password is hashed here. Returns the new id, DB_DUP when
 * the normalised email exists, or another negative enum db_err. */
int64_t user_create(struct db *db, const char *email, const char *email_norm,
    const char *password, int is_admin, int64_t now);
/* Find a user by normalised email. Returns 1 and fills out, 0 when there
 * is none, or a negative enum db_err. */
int user_find_by_email(struct db *db, const char *email_norm,
    struct user_row *out);
/* Find a user by id. Same returns as user_find_by_email. */
int user_find_by_id(struct db *db, int64_t id, struct user_row *out);
/* Replace a user's password (hashed here). Returns 0 or a negative enum
 * db_err. */
int user_set_password(struct db *db, int64_t id, const char *password,
    int64_t now);
/* Make an existing user an admin. Returns 0 or a negative enum db_err. */
int user_make_admin(struct db *db, int64_t id, int64_t now);

/* Log-in throttling. Count the failures recorded for the normalised email
 * and for the client address since `since`. Returns 0 or a negative enum
 * db_err. */
int login_failures_count(struct db *db, const char *email_norm,
    const char *addr, int64_t since, int64_t *by_email, int64_t *by_addr,
    int64_t *oldest_email, int64_t *oldest_addr);
/* Record one failed log-in. Returns 0 or a negative enum db_err. */
int login_failure_add(struct db *db, const char *email_norm, const char *addr,
    int64_t now);
/* Forget the failures of an account after a successful log-in. */
int login_failures_clear(struct db *db, const char *email_norm);
/* Delete what can no longer matter at time now: sessions past their idle
 * or absolute expiry, log-in failures older than the throttling window
 * (given in seconds). Counts go to *sessions and *failures. Returns 0 or
 * a negative enum db_err. */
int accounts_purge(struct db *db, int64_t now, int64_t idle,
    int64_t absolute, int64_t window, int64_t *sessions, int64_t *failures);

#endif
