/* users.h - user accounts: validation rules and their queries. */
#ifndef PM_USERS_H
#define PM_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
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
/* Lock user id's row for the rest of the caller's transaction (SELECT ...
 * FOR UPDATE): what is changed of one account at a time (its plan, its
 * keys, the runs it admits) is serialised on it. Returns 0, PM_NOTFOUND
 * or a db_err. */
int user_lock(struct db *db, int64_t id);
/* Replace a user's password (hashed here). Returns 0 or a negative enum
 * db_err. */
int user_set_password(struct db *db, int64_t id, const char *password,
    int64_t now);
/* Make an existing user an admin. Returns 0 or a negative enum db_err. */
int user_make_admin(struct db *db, int64_t id, int64_t now);

/* What an account holds, for the page that deletes it. */
struct account_summary {
	int64_t	 prompts, versions, executions, categories;
};
/* Count what user_id holds into s. Returns 0 or a db_err. */
int account_summary(struct db *db, int64_t user_id, struct account_summary *s);
/* Delete user_id and every row of theirs, in one transaction: executions,
 * prompts with their versions and history, categories, usage counters,
 * the plan assignment, sessions, devices, links and mail, log-in
 * failures and link requests of the address, then the account; and queue
 * one farewell message to the address (not tied to any account, deleted
 * once delivered). Returns 0, PM_NOTFOUND when there is no such user, or
 * a db_err. */
int user_delete(struct db *db, int64_t user_id, int64_t now);

/* Log-in throttling. A device that logged in as a user holds a cookie
 * (a token_new() token; only its SHA-256 is stored): its failures count on
 * it alone, so failures from elsewhere cannot lock the user out of the
 * devices they use. Every other client is "unknown": its failures count
 * for the account and for its address. */

/* Failures within a window, and the oldest of each (epoch seconds). */
struct login_count {
	int64_t	 by_account;	/* the device's, or the unknown clients' */
	int64_t	 oldest_account;
	int64_t	 by_addr;	/* unknown clients only */
	int64_t	 oldest_addr;
};

/* Run q, whose one row is by_account, oldest_account, by_addr,
 * oldest_addr, into c. Returns 0 or a db_err. */
int login_count_read(struct db *db, const char *q, const struct dbv *args,
    size_t nargs, struct login_count *c);
/* The device whose cookie is token (NULL or malformed: none). Returns its
 * id with the user it logged in as in *user_id, 0 when unknown, or a
 * db_err. */
int64_t login_device_find(struct db *db, const char *token, int64_t *user_id);
/* Remember a device for user_id by its cookie token. Returns the new
 * device's id or a db_err. */
int64_t login_device_add(struct db *db, int64_t user_id, const char *token,
    int64_t now);
/* Mark the device of token used now. Returns 0 or a db_err. */
int login_device_touch(struct db *db, const char *token, int64_t now);
/* Count the failures since `since`: of the device (device > 0), or of
 * unknown clients for the normalised email and for addr (device 0).
 * Returns 0 or a db_err. */
int login_failures_count(struct db *db, const char *email_norm,
    const char *addr, int64_t device, int64_t since, struct login_count *c);
/* Record one failed log-in (device 0: an unknown client). Returns 0 or a
 * db_err. */
int login_failure_add(struct db *db, const char *email_norm, const char *addr,
    int64_t device, int64_t now);
/* After a successful log-in, forget the failures of the device (device >
 * 0), or of the unknown clients of the account (device 0): a success on
 * one device never lifts the throttling of the others. */
int login_failures_clear(struct db *db, const char *email_norm,
    int64_t device);

/* Sign-up limits per client address and per network: the network of an
 * address ("192.0.2.0/24", "2001:db8:1:2::/64") into out. */
void signup_network(const char *addr, char *out, size_t size);
/* Count the sign-up attempts since `since` from addr (by_addr) and its
 * network (by_account), with the oldest of each. Returns 0 or a db_err. */
int signup_attempts_count(struct db *db, const char *addr,
    const char *network, int64_t since, struct login_count *c);
/* Record one sign-up attempt. Returns 0 or a db_err. */
int signup_attempt_add(struct db *db, const char *addr, const char *network,
    int64_t now);

/* How old, in seconds, what accounts_purge() deletes is. */
struct purge_ages {
	int64_t	 session_idle, session_absolute;
	int64_t	 login_window, signup_window;
	int64_t	 device_unused;
};
struct purge_counts {
	int64_t	 sessions, failures, signups, devices;
};
/* Delete what can no longer matter at time now: sessions past their idle
 * or absolute expiry, log-in failures and sign-up attempts older than
 * their windows, devices unused for device_unused. Counts go to n.
 * Returns 0 or a db_err. */
int accounts_purge(struct db *db, int64_t now, const struct purge_ages *a,
    struct purge_counts *n);

#endif
