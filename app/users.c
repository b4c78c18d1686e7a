/* users.c - user accounts: validation rules and their queries. */
#include "users.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "db.h"
#include "mail_outbox.h"
#include "util.h"

int email_check(const char *email, char *out, struct pm_fail *f)
{
	const char *s = email, *at, *dot;
	size_t n, i;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return pm_refuse(f, PM_INVALID, "form.email_required", "email");
	if (n > EMAIL_MAX)
		return pm_refuse(f, PM_INVALID, "form.email_too_long", "email");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* Any printable character is kept as typed (and escaped
		 * wherever it is shown); only blanks and controls are out. */
		if (c <= 0x20 || c == 0x7f)
			return pm_refuse(f, PM_INVALID, "form.email_invalid", "email");
		out[i] = (char)tolower(c);
	}
	out[n] = '\0';
	at = strchr(out, '@');
	if (at == NULL || at == out || strchr(at + 1, '@') != NULL ||
	    at - out > 64)
		return pm_refuse(f, PM_INVALID, "form.email_invalid", "email");
	dot = strrchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0' ||
	    strstr(at + 1, "..") != NULL)
		return pm_refuse(f, PM_INVALID, "form.email_invalid", "email");
	if (!utf8_valid(out, n))
		return pm_refuse(f, PM_INVALID, "form.email_invalid", "email");
	return 0;
}

static const char *const common_passwords[] = {
	"1234567890", "12345678910", "123456789a", "0123456789", "1q2w3e4r5t",
	"abcdefghij", "abcd123456", "password12", "password123", "password1234",
	"passw0rd123", "qwertyuiop", "qwerty1234", "qwerty12345", "qwerty123456",
	"iloveyou12", "letmein123", "welcome123", "sunshine12", "football12",
	"monkey1234", "dragon1234", "baseball12", "1111111111", "0000000000",
	"asdfghjkl1", "asdfghjkl;", "zxcvbnm123", "admin12345", "administrator",
	"changeme123", "trustno1234",
};

int password_check(const char *pw, const char *email, struct pm_fail *f)
{
	size_t n = strlen(pw), chars, i, distinct = 0;
	unsigned char seen[256] = { 0 };
	char lower[PASSWORD_MAX * 4 + 1], local[EMAIL_MAX + 1];

	if (!utf8_valid(pw, n))
		return pm_refuse(f, PM_INVALID, "form.password_invalid", "password");
	chars = utf8_len(pw, n);
	if (chars < PASSWORD_MIN)
		return pm_refuse(f, PM_INVALID, "form.password_too_short", "password");
	if (chars > PASSWORD_MAX)
		return pm_refuse(f, PM_INVALID, "form.password_too_long", "password");
	for (i = 0; i < n; i++) {
		lower[i] = (char)tolower((unsigned char)pw[i]);
		if (!seen[(unsigned char)lower[i]]++)
			distinct++;
	}
	lower[n] = '\0';
	if (distinct < 4)
		return pm_refuse(f, PM_INVALID, "form.password_weak", "password");
	for (i = 0; i < NELEM(common_passwords); i++)
		if (strcmp(lower, common_passwords[i]) == 0)
			return pm_refuse(f, PM_INVALID, "form.password_common", "password");
	if (email != NULL && *email != '\0') {
		const char *at;
		snprintf(local, sizeof(local), "%s", email);
		for (i = 0; local[i]; i++)
			local[i] = (char)tolower((unsigned char)local[i]);
		if (strcmp(lower, local) == 0)
			return pm_refuse(f, PM_INVALID, "form.password_is_email", "password");
		if ((at = strchr(local, '@')) != NULL) {
			local[at - local] = '\0';
			if (strlen(local) >= 4 && strstr(lower, local) != NULL)
				return pm_refuse(f, PM_INVALID, "form.password_is_email", "password");
		}
	}
	return 0;
}

int64_t user_create(struct db *db, const char *email, const char *email_norm,
    const char *password, int is_admin, int64_t now)
{
	static const char q[] =
	    "INSERT INTO users (email, email_norm, password_hash, role,"
	    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)";
	struct buf hash = { 0 };
	int64_t rc;

	if (password_hash(password, &hash) != 0)
		return DB_ERROR;
	rc = db_exec(db, q, DB_ARGS(db_s(email), db_s(email_norm),
	    db_s(hash.data), db_s(is_admin ? "admin" : "user"), db_i(now),
	    db_i(now)));
	buf_free(&hash);
	return rc < 0 ? rc : db_insert_id(db);
}

static int fill_user(struct db_res *res, int64_t n, struct user_row *out)
{
	if (n <= 0) {
		db_res_free(res);
		return (int)n;
	}
	out->id = db_int(res, 0, 0);
	snprintf(out->email, sizeof(out->email), "%s", db_str(res, 0, 1));
	snprintf(out->password_hash, sizeof(out->password_hash), "%s",
	    db_str(res, 0, 2));
	out->is_admin = strcmp(db_str(res, 0, 3), "admin") == 0;
	db_res_free(res);
	return 1;
}

int user_find_by_email(struct db *db, const char *email_norm,
    struct user_row *out)
{
	static const char q[] = "SELECT id, email, password_hash, role"
	    " FROM users WHERE email_norm = ?";
	struct db_res res;

	return fill_user(&res, db_query(db, q, DB_ARGS(db_s(email_norm)), &res),
	    out);
}

int user_lock(struct db *db, int64_t id)
{
	struct db_res res = { 0 };
	int64_t n = db_query(db, "SELECT id FROM users WHERE id = ? FOR UPDATE",
	    DB_ARGS(db_i(id)), &res);

	db_res_free(&res);
	return n < 0 ? (int)n : n == 0 ? PM_NOTFOUND : 0;
}

int user_find_by_id(struct db *db, int64_t id, struct user_row *out)
{
	static const char q[] = "SELECT id, email, password_hash, role"
	    " FROM users WHERE id = ?";
	struct db_res res;

	return fill_user(&res, db_query(db, q, DB_ARGS(db_i(id)), &res), out);
}

int user_set_password(struct db *db, int64_t id, const char *password,
    int64_t now)
{
	static const char q[] = "UPDATE users SET password_hash = ?,"
	    " updated_at = ? WHERE id = ?";
	struct buf hash = { 0 };
	int64_t rc;

	if (password_hash(password, &hash) != 0)
		return DB_ERROR;
	rc = db_exec(db, q, DB_ARGS(db_s(hash.data), db_i(now), db_i(id)));
	buf_free(&hash);
	return rc < 0 ? (int)rc : 0;
}

int user_make_admin(struct db *db, int64_t id, int64_t now)
{
	int64_t rc = db_exec(db, "UPDATE users SET role = 'admin', updated_at = ?"
	    " WHERE id = ?", DB_ARGS(db_i(now), db_i(id)));

	return rc < 0 ? (int)rc : 0;
}

int account_summary(struct db *db, int64_t user_id, struct account_summary *s)
{
	static const char q[] =
	    "SELECT (SELECT COUNT(*) FROM prompts WHERE user_id = ?"
	    "   AND deleted_at IS NULL),"
	    " (SELECT COUNT(*) FROM prompt_versions v JOIN prompts p"
	    "   ON p.id = v.prompt_id WHERE p.user_id = ? AND p.deleted_at IS NULL),"
	    " (SELECT COUNT(*) FROM executions WHERE user_id = ?),"
	    " (SELECT COUNT(*) FROM categories WHERE user_id = ?)";
	struct db_res res = { 0 };
	int64_t rc = db_query(db, q, DB_ARGS(db_i(user_id), db_i(user_id),
	    db_i(user_id), db_i(user_id)), &res);

	if (rc > 0) {
		s->prompts = db_int(&res, 0, 0);
		s->versions = db_int(&res, 0, 1);
		s->executions = db_int(&res, 0, 2);
		s->categories = db_int(&res, 0, 3);
	}
	db_res_free(&res);
	return rc < 0 ? (int)rc : 0;
}

/* Every row of an account, child tables first: executions refer to
 * prompts and versions without cascading; the foreign keys would cascade
 * the rest, deleting it by name says what goes. Each takes the user's id. */
static const char *const account_rows[] = {
	"DELETE FROM executions WHERE user_id = ?",
	"DELETE FROM version_status_changes WHERE user_id = ?",
	("DELETE v FROM prompt_versions v JOIN prompts p ON p.id = v.prompt_id"
	 " WHERE p.user_id = ?"),
	"DELETE FROM prompt_versions WHERE author_id = ?",
	"DELETE FROM prompts WHERE user_id = ?",
	"DELETE FROM categories WHERE user_id = ?",
	"DELETE FROM usage_counters WHERE user_id = ?",
	"DELETE FROM user_plans WHERE user_id = ?",
	"DELETE FROM sessions WHERE user_id = ?",
	"DELETE FROM login_devices WHERE user_id = ?",
	"DELETE FROM mail_outbox WHERE user_id = ?",
	"DELETE FROM mail_tokens WHERE user_id = ?",
	"DELETE FROM users WHERE id = ?",
};
/* The rows kept by address, not by account. Each takes the address. */
static const char *const address_rows[] = {
	"DELETE FROM login_failures WHERE email_norm = ?",
	"DELETE FROM mail_requests WHERE email_norm = ?",
};

struct delete_arg {
	int64_t	 user_id, now;
};

static int user_delete_tx(struct db *db, void *arg)
{
	static const char lock[] = "SELECT email, email_norm FROM users"
	    " WHERE id = ? FOR UPDATE";
	struct delete_arg *a = arg;
	struct buf subject = { 0 }, body = { 0 };
	const char *names[] = { "email" }, *values[1];
	char email[EMAIL_MAX + 1], norm[EMAIL_MAX + 1];
	struct db_res res = { 0 };
	int64_t rc;
	size_t i;

	rc = db_query(db, lock, DB_ARGS(db_i(a->user_id)), &res);
	if (rc > 0) {
		snprintf(email, sizeof(email), "%s", db_str(&res, 0, 0));
		snprintf(norm, sizeof(norm), "%s", db_str(&res, 0, 1));
	}
	db_res_free(&res);
	if (rc <= 0)
		return rc < 0 ? (int)rc : PM_NOTFOUND;
	for (i = 0; i < NELEM(account_rows); i++)
		if ((rc = db_exec(db, account_rows[i],
		    DB_ARGS(db_i(a->user_id)))) < 0)
			return (int)rc;
	for (i = 0; i < NELEM(address_rows); i++)
		if ((rc = db_exec(db, address_rows[i], DB_ARGS(db_s(norm)))) < 0)
			return (int)rc;
	values[0] = email;
	mail_compose("account_deleted", names, values, 1, &subject, &body);
	rc = mail_queue(db, 0, "account_deleted", email, subject.data,
	    body.data, a->now);
	buf_free(&subject);
	buf_free(&body);
	return rc < 0 ? (int)rc : 0;
}

int user_delete(struct db *db, int64_t user_id, int64_t now)
{
	struct delete_arg a = { user_id, now };

	return db_tx(db, user_delete_tx, &a);
}

int64_t login_device_find(struct db *db, const char *token, int64_t *user_id)
{
	char hash[SHA256_HEX_LEN + 1];
	struct db_res res;
	int64_t n, id = 0;

	*user_id = 0;
	if (token == NULL || !token_valid(token))
		return 0;
	token_hash(token, hash);
	n = db_query(db, "SELECT id, user_id FROM login_devices WHERE token_hash = ?",
	    DB_ARGS(db_s(hash)), &res);
	if (n > 0) {
		id = db_int(&res, 0, 0);
		*user_id = db_int(&res, 0, 1);
	}
	db_res_free(&res);
	return n < 0 ? n : id;
}

int64_t login_device_add(struct db *db, int64_t user_id, const char *token,
    int64_t now)
{
	char hash[SHA256_HEX_LEN + 1];
	int64_t rc;

	token_hash(token, hash);
	rc = db_exec(db, "INSERT INTO login_devices (user_id, token_hash,"
	    " created_at, last_used_at) VALUES (?, ?, ?, ?)",
	    DB_ARGS(db_i(user_id), db_s(hash), db_i(now), db_i(now)));
	return rc < 0 ? rc : db_insert_id(db);
}

int login_device_touch(struct db *db, const char *token, int64_t now)
{
	char hash[SHA256_HEX_LEN + 1];
	int64_t rc;

	token_hash(token, hash);
	rc = db_exec(db, "UPDATE login_devices SET last_used_at = ?"
	    " WHERE token_hash = ?", DB_ARGS(db_i(now), db_s(hash)));
	return rc < 0 ? (int)rc : 0;
}

int login_count_read(struct db *db, const char *q, const struct dbv *args,
    size_t nargs, struct login_count *c)
{
	struct db_res res = { 0 };
	int64_t rc = db_query(db, q, args, nargs, &res);

	if (rc >= 0) {
		c->by_account = db_int(&res, 0, 0);
		c->oldest_account = db_int(&res, 0, 1);
		c->by_addr = db_int(&res, 0, 2);
		c->oldest_addr = db_int(&res, 0, 3);
	}
	db_res_free(&res);
	return rc < 0 ? (int)rc : 0;
}

int login_failures_count(struct db *db, const char *email_norm,
    const char *addr, int64_t device, int64_t since, struct login_count *c)
{
	/* A known device counts its own failures; an unknown client counts
	 * those of every unknown client for the account, and of its address. */
	static const char q_device[] =
	    "SELECT COUNT(*), COALESCE(MIN(at), 0), 0, 0 FROM login_failures"
	    " WHERE device_id = ? AND at >= ?";
	static const char q_unknown[] =
	    "SELECT (SELECT COUNT(*) FROM login_failures"
	    "   WHERE email_norm = ? AND device_id IS NULL AND at >= ?),"
	    " (SELECT COALESCE(MIN(at), 0) FROM login_failures"
	    "   WHERE email_norm = ? AND device_id IS NULL AND at >= ?),"
	    " (SELECT COUNT(*) FROM login_failures WHERE addr = ? AND at >= ?),"
	    " (SELECT COALESCE(MIN(at), 0) FROM login_failures"
	    "   WHERE addr = ? AND at >= ?)";

	if (device > 0)
		return login_count_read(db, q_device, DB_ARGS(db_i(device),
		    db_i(since)), c);
	return login_count_read(db, q_unknown, DB_ARGS(db_s(email_norm),
	    db_i(since), db_s(email_norm), db_i(since), db_s(addr),
	    db_i(since), db_s(addr), db_i(since)), c);
}

int login_failure_add(struct db *db, const char *email_norm, const char *addr,
    int64_t device, int64_t now)
{
	int64_t rc = db_exec(db, "INSERT INTO login_failures (email_norm, addr,"
	    " device_id, at) VALUES (?, ?, ?, ?)", DB_ARGS(db_s(email_norm),
	    db_s(addr), device > 0 ? db_i(device) : db_null(), db_i(now)));

	return rc < 0 ? (int)rc : 0;
}

int login_failures_clear(struct db *db, const char *email_norm,
    int64_t device)
{
	int64_t rc;

	if (device > 0)
		rc = db_exec(db, "DELETE FROM login_failures WHERE device_id = ?",
		    DB_ARGS(db_i(device)));
	else
		rc = db_exec(db, "DELETE FROM login_failures WHERE email_norm = ?"
		    " AND device_id IS NULL", DB_ARGS(db_s(email_norm)));
	return rc < 0 ? (int)rc : 0;
}

void signup_network(const char *addr, char *out, size_t size)
{
	const char *colon = strchr(addr, ':'), *dot;
	size_t n;
	int groups = 0;

	if (colon == NULL) {
		/* IPv4: the first three octets */
		dot = strrchr(addr, '.');
		n = dot ? (size_t)(dot - addr) : strlen(addr);
		snprintf(out, size, "%.*s.0/24", (int)n, addr);
		return;
	}
	/* IPv6: the first four groups as written ("::" shortens the rest) */
	for (n = 0; addr[n] != '\0' && groups < 4; n++)
		if (addr[n] == ':' && ++groups == 4)
			break;
	snprintf(out, size, "%.*s::/64", (int)n, addr);
}

int signup_attempts_count(struct db *db, const char *addr,
    const char *network, int64_t since, struct login_count *c)
{
	/* by_account counts the network */
	static const char q[] =
	    "SELECT (SELECT COUNT(*) FROM signup_attempts"
	    "   WHERE network = ? AND at >= ?),"
	    " (SELECT COALESCE(MIN(at), 0) FROM signup_attempts"
	    "   WHERE network = ? AND at >= ?),"
	    " (SELECT COUNT(*) FROM signup_attempts"
	    "   WHERE addr = ? AND at >= ?),"
	    " (SELECT COALESCE(MIN(at), 0) FROM signup_attempts"
	    "   WHERE addr = ? AND at >= ?)";

	return login_count_read(db, q, DB_ARGS(db_s(network), db_i(since),
	    db_s(network), db_i(since), db_s(addr), db_i(since), db_s(addr),
	    db_i(since)), c);
}

int signup_attempt_add(struct db *db, const char *addr, const char *network,
    int64_t now)
{
	int64_t rc = db_exec(db, "INSERT INTO signup_attempts (addr, network, at)"
	    " VALUES (?, ?, ?)", DB_ARGS(db_s(addr), db_s(network), db_i(now)));

	return rc < 0 ? (int)rc : 0;
}

int accounts_purge(struct db *db, int64_t now, const struct purge_ages *a,
    struct purge_counts *n)
{
	int64_t rc;

	rc = db_exec(db, "DELETE FROM sessions WHERE last_seen_at < ?"
	    " OR created_at < ?", DB_ARGS(db_i(now - a->session_idle),
	    db_i(now - a->session_absolute)));
	if (rc < 0)
		return (int)rc;
	n->sessions = rc;
	rc = db_exec(db, "DELETE FROM login_failures WHERE at < ?",
	    DB_ARGS(db_i(now - a->login_window)));
	if (rc < 0)
		return (int)rc;
	n->failures = rc;
	rc = db_exec(db, "DELETE FROM signup_attempts WHERE at < ?",
	    DB_ARGS(db_i(now - a->signup_window)));
	if (rc < 0)
		return (int)rc;
	n->signups = rc;
	rc = db_exec(db, "DELETE FROM login_devices WHERE last_used_at < ?",
	    DB_ARGS(db_i(now - a->device_unused)));
	if (rc < 0)
		return (int)rc;
	n->devices = rc;
	return 0;
}
