/* mail_tokens.c - password reset and change-of-e-mail links. */
#include "mail_tokens.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "mail_outbox.h"
#include "util.h"

static const char *const purpose_names[] = {
	[LINK_RESET] = "reset",
	[LINK_EMAIL_CHANGE] = "email_change",
};

/* The state of a row's state column and expiry at now. */
static enum link_state state_of(const char *state, int64_t expires,
    int64_t now)
{
	if (strcmp(state, "used") == 0)
		return LINK_USED;
	if (strcmp(state, "void") == 0)
		return LINK_VOID;
	return expires <= now ? LINK_EXPIRED : LINK_OK;
}

/* The columns read_link() reads, and the statements around them. */
#define LINK_COLUMNS "SELECT t.id, t.user_id, t.state, t.expires_at," \
	" u.email, t.new_email, t.new_email_norm" \
	" FROM mail_tokens t JOIN users u ON u.id = t.user_id" \
	" WHERE t.token_hash = ? AND t.purpose = ?"

/* Read the link of token with the statement q (LINK_COLUMNS, locking or
 * not) into out. Returns 0 or a db_err. */
static int read_link(struct db *db, const char *q, enum link_purpose purpose,
    const char *token, int64_t now, struct link_row *out)
{
	char hash[SHA256_HEX_LEN + 1];
	struct db_res res = { 0 };
	int64_t n;

	memset(out, 0, sizeof(*out));
	out->state = LINK_UNKNOWN;
	if (token == NULL || !token_valid(token))
		return 0;
	token_hash(token, hash);
	n = db_query(db, q, DB_ARGS(db_s(hash), db_s(purpose_names[purpose])),
	    &res);
	if (n > 0) {
		out->id = db_int(&res, 0, 0);
		out->user_id = db_int(&res, 0, 1);
		out->expires_at = db_int(&res, 0, 3);
		out->state = state_of(db_str(&res, 0, 2), out->expires_at, now);
		snprintf(out->email, sizeof(out->email), "%s", db_str(&res, 0, 4));
		snprintf(out->new_email, sizeof(out->new_email), "%s",
		    db_str(&res, 0, 5) ? db_str(&res, 0, 5) : "");
		snprintf(out->new_email_norm, sizeof(out->new_email_norm), "%s",
		    db_str(&res, 0, 6) ? db_str(&res, 0, 6) : "");
	}
	db_res_free(&res);
	return n < 0 ? (int)n : 0;
}

int link_find(struct db *db, enum link_purpose purpose, const char *token,
    int64_t now, struct link_row *out)
{
	static const char q[] = LINK_COLUMNS;

	return read_link(db, q, purpose, token, now, out);
}

int link_requests_count(struct db *db, enum link_purpose purpose,
    const char *email_norm, const char *addr, int64_t since,
    struct login_count *c)
{
	static const char q[] =
	    "SELECT (SELECT COUNT(*) FROM mail_requests"
	    "   WHERE purpose = ? AND email_norm = ? AND at >= ?),"
	    " (SELECT COALESCE(MIN(at), 0) FROM mail_requests"
	    "   WHERE purpose = ? AND email_norm = ? AND at >= ?),"
	    " (SELECT COUNT(*) FROM mail_requests"
	    "   WHERE purpose = ? AND addr = ? AND at >= ?),"
	    " (SELECT COALESCE(MIN(at), 0) FROM mail_requests"
	    "   WHERE purpose = ? AND addr = ? AND at >= ?)";
	const char *p = purpose_names[purpose];

	return login_count_read(db, q, DB_ARGS(db_s(p), db_s(email_norm),
	    db_i(since), db_s(p), db_s(email_norm), db_i(since), db_s(p),
	    db_s(addr), db_i(since), db_s(p), db_s(addr), db_i(since)), c);
}

static int request_add(struct db *db, enum link_purpose purpose,
    const char *email_norm, const char *addr, int64_t now)
{
	int64_t rc = db_exec(db, "INSERT INTO mail_requests (purpose, email_norm,"
	    " addr, at) VALUES (?, ?, ?, ?)", DB_ARGS(db_s(purpose_names[purpose]),
	    db_s(email_norm), db_s(addr), db_i(now)));

	return rc < 0 ? (int)rc : 0;
}

/* A message of kind with its {name} values; owns its subject and body. */
struct composed {
	struct buf	 subject, body;
};

static void composed_free(struct composed *m)
{
	buf_free(&m->subject);
	if (m->body.data != NULL)	/* it may hold a link */
		explicit_bzero(m->body.data, m->body.len);
	buf_free(&m->body);
}

/* ------------------------------------------------------------ reset */

struct reset_req {
	const char	*email_norm, *addr, *hash;
	int64_t		 now, expires;
	struct composed	 mail;
	int		 queued;
};

static int reset_request_tx(struct db *db, void *arg)
{
	static const char ins[] =
	    "INSERT INTO mail_tokens (user_id, purpose, token_hash, created_at,"
	    " expires_at) SELECT id, 'reset', ?, ?, ? FROM users"
	    " WHERE email_norm = ?";
	struct reset_req *q = arg;
	int64_t rc;

	if ((rc = request_add(db, LINK_RESET, q->email_norm, q->addr,
	    q->now)) < 0)
		return (int)rc;
	if ((rc = db_exec(db, ins, DB_ARGS(db_s(q->hash), db_i(q->now),
	    db_i(q->expires), db_s(q->email_norm)))) < 0)
		return (int)rc;
	if ((rc = mail_queue_for_link(db, q->hash, 0, "reset",
	    q->mail.subject.data, q->mail.body.data, q->now)) < 0)
		return (int)rc;
	q->queued = rc > 0;
	return 0;
}

int reset_request(struct db *db, const char *email_norm, const char *addr,
    int64_t now)
{
	int64_t secs = cfg_int(CFG_RESET_TOKEN_SECONDS);
	char tok[TOKEN_LEN + 1], hash[SHA256_HEX_LEN + 1], mins[24];
	struct reset_req q = { email_norm, addr, hash, now, now + secs,
	    { { 0 }, { 0 } }, 0 };
	struct buf link = { 0 }, forgot = { 0 };
	const char *names[] = { "email", "link", "minutes", "forgot_link" };
	const char *values[4];
	int rc;

	token_new(tok);
	token_hash(tok, hash);
	mail_link(&link, "/reset-password", tok);
	mail_link(&forgot, "/forgot-password", NULL);
	snprintf(mins, sizeof(mins), "%lld", (long long)(secs / 60));
	values[0] = email_norm;
	values[1] = link.data;
	values[2] = mins;
	values[3] = forgot.data;
	mail_compose("reset", names, values, NELEM(names), &q.mail.subject,
	    &q.mail.body);
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(link.data, link.len);
	buf_free(&link);
	buf_free(&forgot);
	rc = db_tx(db, reset_request_tx, &q);
	composed_free(&q.mail);
	return rc < 0 ? rc : q.queued;
}

struct reset_use_arg {
	const char	*token, *password_hash;
	int64_t		 now;
	enum link_state	 state;
};

/* What a user is told after a change of their account's security, with
 * the link to ask for a reset when it was not them. */
static void security_notice(const char *kind, const char *email,
    const char *new_email, struct composed *m)
{
	struct buf forgot = { 0 };
	const char *names[] = { "email", "new_email", "forgot_link" };
	const char *values[3];

	mail_link(&forgot, "/forgot-password", NULL);
	values[0] = email;
	values[1] = new_email ? new_email : "";
	values[2] = forgot.data;
	mail_compose(kind, names, values, NELEM(names), &m->subject, &m->body);
	buf_free(&forgot);
}

static int reset_use_tx(struct db *db, void *arg)
{
	static const char lock[] = LINK_COLUMNS " FOR UPDATE";
	static const char set_pw[] = "UPDATE users SET password_hash = ?,"
	    " updated_at = ? WHERE id = ?";
	static const char used[] = "UPDATE mail_tokens SET state = 'used',"
	    " used_at = ? WHERE id = ?";
	static const char sessions[] = "DELETE FROM sessions WHERE user_id = ?";
	static const char unlock[] = "DELETE f FROM login_failures f"
	    " JOIN users u ON u.email_norm = f.email_norm"
	    " WHERE u.id = ? AND f.device_id IS NULL";
	struct reset_use_arg *a = arg;
	struct composed notice = { { 0 }, { 0 } };
	struct link_row l;
	int64_t rc;

	if ((rc = read_link(db, lock, LINK_RESET, a->token, a->now, &l)) < 0)
		return (int)rc;
	if ((a->state = l.state) != LINK_OK)
		return 1;	/* nothing to roll back */
	if ((rc = db_exec(db, set_pw, DB_ARGS(db_s(a->password_hash),
	    db_i(a->now), db_i(l.user_id)))) < 0 ||
	    (rc = db_exec(db, used, DB_ARGS(db_i(a->now), db_i(l.id)))) < 0 ||
	    (rc = mail_links_void(db, l.user_id, "reset")) < 0 ||
	    (rc = db_exec(db, sessions, DB_ARGS(db_i(l.user_id)))) < 0 ||
	    (rc = db_exec(db, unlock, DB_ARGS(db_i(l.user_id)))) < 0)
		return (int)rc;
	security_notice("password_reset", l.email, NULL, &notice);
	rc = mail_queue(db, l.user_id, "password_reset", l.email,
	    notice.subject.data, notice.body.data, a->now);
	composed_free(&notice);
	return rc < 0 ? (int)rc : 0;
}

int reset_use(struct db *db, const char *token, const char *password_hash,
    int64_t now, enum link_state *state)
{
	struct reset_use_arg a = { token, password_hash, now, LINK_UNKNOWN };
	int rc = db_tx(db, reset_use_tx, &a);

	*state = a.state;
	return rc < 0 ? rc : 0;
}

int reset_links_void(struct db *db, int64_t user_id)
{
	return mail_links_void(db, user_id, "reset");
}

/* ------------------------------------------------------------ e-mail change */

struct change_req {
	int64_t		 user_id, now, expires;
	const char	*old_email, *old_norm, *new_email, *new_norm, *addr;
	const char	*hash;
	struct composed	 confirm, notice;
};

static int change_request_tx(struct db *db, void *arg)
{
	static const char ins[] =
	    "INSERT INTO mail_tokens (user_id, purpose, token_hash, new_email,"
	    " new_email_norm, created_at, expires_at)"
	    " VALUES (?, 'email_change', ?, ?, ?, ?, ?)";
	struct change_req *q = arg;
	int64_t rc;

	if ((rc = request_add(db, LINK_EMAIL_CHANGE, q->old_norm, q->addr,
	    q->now)) < 0 ||
	    (rc = mail_links_void(db, q->user_id, "email_change")) < 0 ||
	    (rc = db_exec(db, ins, DB_ARGS(db_i(q->user_id), db_s(q->hash),
	    db_s(q->new_email), db_s(q->new_norm), db_i(q->now),
	    db_i(q->expires)))) < 0 ||
	    (rc = mail_queue_for_link(db, q->hash, 1, "email_change",
	    q->confirm.subject.data, q->confirm.body.data, q->now)) < 0 ||
	    (rc = mail_queue(db, q->user_id, "email_change_notice",
	    q->old_email, q->notice.subject.data, q->notice.body.data,
	    q->now)) < 0)
		return (int)rc;
	return 0;
}

int email_change_request(struct db *db, int64_t user_id,
    const char *old_email, const char *old_norm, const char *new_email,
    const char *new_norm, const char *addr, int64_t now)
{
	int64_t secs = cfg_int(CFG_EMAIL_CHANGE_TOKEN_SECONDS);
	char tok[TOKEN_LEN + 1], hash[SHA256_HEX_LEN + 1], hours[24];
	struct change_req q = { user_id, now, now + secs, old_email, old_norm,
	    new_email, new_norm, addr, hash, { { 0 }, { 0 } },
	    { { 0 }, { 0 } } };
	struct buf link = { 0 };
	const char *names[] = { "email", "new_email", "link", "hours" };
	const char *values[4];
	int rc;

	token_new(tok);
	token_hash(tok, hash);
	mail_link(&link, "/confirm-email", tok);
	snprintf(hours, sizeof(hours), "%lld", (long long)((secs + 3599) / 3600));
	values[0] = old_email;
	values[1] = new_email;
	values[2] = link.data;
	values[3] = hours;
	mail_compose("email_change", names, values, NELEM(names),
	    &q.confirm.subject, &q.confirm.body);
	security_notice("email_change_notice", old_email, new_email, &q.notice);
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(link.data, link.len);
	buf_free(&link);
	rc = db_tx(db, change_request_tx, &q);
	composed_free(&q.confirm);
	composed_free(&q.notice);
	return rc < 0 ? rc : 0;
}

struct change_use_arg {
	const char	*token;
	int64_t		 now, user_id;
	enum link_state	 state;
};

static int change_confirm_tx(struct db *db, void *arg)
{
	static const char lock[] = LINK_COLUMNS " FOR UPDATE";
	static const char taken[] = "SELECT id FROM users WHERE email_norm = ?"
	    " AND id <> ?";
	static const char set_email[] = "UPDATE users SET email = ?,"
	    " email_norm = ?, updated_at = ? WHERE id = ?";
	static const char used[] = "UPDATE mail_tokens SET state = 'used',"
	    " used_at = ? WHERE id = ?";
	struct change_use_arg *a = arg;
	struct db_res res = { 0 };
	struct link_row l;
	int64_t rc;

	if ((rc = read_link(db, lock, LINK_EMAIL_CHANGE, a->token, a->now,
	    &l)) < 0)
		return (int)rc;
	a->user_id = l.user_id;
	if ((a->state = l.state) != LINK_OK)
		return 1;
	rc = db_query(db, taken, DB_ARGS(db_s(l.new_email_norm),
	    db_i(l.user_id)), &res);
	db_res_free(&res);
	if (rc < 0)
		return (int)rc;
	if (rc > 0) {
		a->state = LINK_TAKEN;
		return 1;
	}
	rc = db_exec(db, set_email, DB_ARGS(db_s(l.new_email),
	    db_s(l.new_email_norm), db_i(a->now), db_i(l.user_id)));
	if (rc == DB_DUP) {	/* taken since the check */
		a->state = LINK_TAKEN;
		return 1;
	}
	if (rc < 0 ||
	    (rc = db_exec(db, used, DB_ARGS(db_i(a->now), db_i(l.id)))) < 0 ||
	    (rc = mail_links_void(db, l.user_id, "email_change")) < 0 ||
	    (rc = mail_links_void(db, l.user_id, "reset")) < 0)
		return (int)rc;
	return 0;
}

int email_change_confirm(struct db *db, const char *token, int64_t now,
    enum link_state *state, int64_t *user_id)
{
	struct change_use_arg a = { token, now, 0, LINK_UNKNOWN };
	int rc = db_tx(db, change_confirm_tx, &a);

	*state = a.state;
	*user_id = a.user_id;
	return rc < 0 ? rc : 0;
}

int email_change_pending(struct db *db, int64_t user_id, int64_t now,
    char *new_email, int64_t *expires_at)
{
	static const char q[] = "SELECT new_email, expires_at FROM mail_tokens"
	    " WHERE user_id = ? AND purpose = 'email_change'"
	    " AND state = 'pending' AND expires_at > ?"
	    " ORDER BY id DESC LIMIT 1";
	struct db_res res = { 0 };
	int64_t n = db_query(db, q, DB_ARGS(db_i(user_id), db_i(now)), &res);

	if (n > 0) {
		snprintf(new_email, EMAIL_MAX + 1, "%s", db_str(&res, 0, 0));
		*expires_at = db_int(&res, 0, 1);
	}
	db_res_free(&res);
	return n < 0 ? (int)n : n > 0;
}

int email_change_cancel(struct db *db, int64_t user_id)
{
	return mail_links_void(db, user_id, "email_change");
}
