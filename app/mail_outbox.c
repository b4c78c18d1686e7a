/* mail_outbox.c - the queue of outgoing mail and the sender's queries. */
#include "mail_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "msg.h"
#include "util.h"

void mail_compose(const char *kind, const char *const *names,
    const char *const *values, size_t n, struct buf *subject,
    struct buf *body)
{
	char key[80];

	snprintf(key, sizeof(key), "mail.%s.subject", kind);
	msg_fmt_pairs(subject, key, names, values, n);
	snprintf(key, sizeof(key), "mail.%s.body", kind);
	msg_fmt_pairs(body, key, names, values, n);
}

void mail_link(struct buf *out, const char *path, const char *token)
{
	buf_puts(out, cfg_str(CFG_PUBLIC_BASE_URL));
	buf_puts(out, path);
	if (token != NULL)
		buf_printf(out, "?token=%s", token);	/* base64url: no escaping */
}

int mail_links_configured(void)
{
	return cfg_str(CFG_PUBLIC_BASE_URL)[0] != '\0';
}

int64_t mail_queue(struct db *db, int64_t user_id, const char *kind,
    const char *to, const char *subject, const char *body, int64_t now)
{
	static const char q[] =
	    "INSERT INTO mail_outbox (user_id, kind, to_addr, subject, body,"
	    " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
	int64_t rc = db_exec(db, q, DB_ARGS(user_id > 0 ? db_i(user_id) :
	    db_null(), db_s(kind), db_s(to), db_s(subject), db_s(body),
	    db_i(now), db_i(now)));

	return rc < 0 ? rc : db_insert_id(db);
}

int64_t mail_queue_for_link(struct db *db, const char *token_hash,
    int to_new_email, const char *kind, const char *subject,
    const char *body, int64_t now)
{
	/* One statement whether or not the link exists: a request for an
	 * unknown address runs the same queries as one for a known one. */
	static const char q_user[] =
	    "INSERT INTO mail_outbox (user_id, token_id, kind, to_addr, subject,"
	    " body, created_at, next_attempt_at)"
	    " SELECT t.user_id, t.id, ?, u.email, ?, ?, ?, ?"
	    " FROM mail_tokens t JOIN users u ON u.id = t.user_id"
	    " WHERE t.token_hash = ?";
	static const char q_new[] =
	    "INSERT INTO mail_outbox (user_id, token_id, kind, to_addr, subject,"
	    " body, created_at, next_attempt_at)"
	    " SELECT t.user_id, t.id, ?, t.new_email, ?, ?, ?, ?"
	    " FROM mail_tokens t WHERE t.token_hash = ?"
	    " AND t.new_email IS NOT NULL";

	return db_exec(db, to_new_email ? q_new : q_user, DB_ARGS(db_s(kind),
	    db_s(subject), db_s(body), db_i(now), db_i(now),
	    db_s(token_hash)));
}

int mail_links_void(struct db *db, int64_t user_id, const char *purpose)
{
	static const char del[] =
	    "DELETE o FROM mail_outbox o JOIN mail_tokens t ON t.id = o.token_id"
	    " WHERE t.user_id = ? AND t.purpose = ? AND t.state = 'pending'";
	static const char upd[] =
	    "UPDATE mail_tokens SET state = 'void' WHERE user_id = ?"
	    " AND purpose = ? AND state = 'pending'";
	int64_t rc;

	if ((rc = db_exec(db, del, DB_ARGS(db_i(user_id), db_s(purpose)))) < 0)
		return (int)rc;
	rc = db_exec(db, upd, DB_ARGS(db_i(user_id), db_s(purpose)));
	return rc < 0 ? (int)rc : 0;
}

int mail_claim(struct db *db, const char *claimer, int64_t now,
    int64_t lease, int max, struct mail_job **jobs)
{
	/* The UPDATE locks what it claims: a sender running the same
	 * statement at once waits, then sees the rows claimed and skips
	 * them. */
	static const char claim[] =
	    "UPDATE mail_outbox SET claimed_by = ?, claimed_until = ?"
	    " WHERE status = 'queued' AND next_attempt_at <= ?"
	    " AND (claimed_until IS NULL OR claimed_until < ?)"
	    " ORDER BY next_attempt_at, id LIMIT ?";
	static const char read[] =
	    "SELECT o.id, o.created_at, o.attempts, o.kind, o.to_addr,"
	    " o.subject, o.body,"
	    " o.token_id IS NOT NULL AND (t.id IS NULL OR t.state <> 'pending'"
	    "   OR t.expires_at <= ?)"
	    " FROM mail_outbox o LEFT JOIN mail_tokens t ON t.id = o.token_id"
	    " WHERE o.claimed_by = ? AND o.status = 'queued' ORDER BY o.id";
	struct db_res res = { 0 };
	int64_t n;
	size_t i;

	*jobs = NULL;
	n = db_exec(db, claim, DB_ARGS(db_s(claimer), db_i(now + lease),
	    db_i(now), db_i(now), db_i(max)));
	if (n <= 0)
		return (int)n;
	n = db_query(db, read, DB_ARGS(db_i(now), db_s(claimer)), &res);
	if (n <= 0) {
		db_res_free(&res);
		return (int)n;
	}
	*jobs = xcalloc((size_t)n, sizeof(**jobs));
	for (i = 0; i < (size_t)n; i++) {
		struct mail_job *j = &(*jobs)[i];

		j->id = db_int(&res, i, 0);
		j->created_at = db_int(&res, i, 1);
		j->attempts = db_int(&res, i, 2);
		j->kind = xstrdup(db_str(&res, i, 3));
		j->to = xstrdup(db_str(&res, i, 4));
		j->subject = xstrdup(db_str(&res, i, 5));
		j->body = xstrdup(db_str(&res, i, 6));
		j->dead_link = db_int(&res, i, 7) != 0;
	}
	db_res_free(&res);
	return (int)n;
}

void mail_jobs_free(struct mail_job *jobs, int n)
{
	int i;

	if (jobs == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(jobs[i].kind);
		free(jobs[i].to);
		free(jobs[i].subject);
		if (jobs[i].body != NULL) {
			/* the body may hold a link: leave no copy behind */
			explicit_bzero(jobs[i].body, strlen(jobs[i].body));
			free(jobs[i].body);
		}
	}
	free(jobs);
}

int mail_done(struct db *db, int64_t id, const char *claimer)
{
	int64_t rc = db_exec(db, "DELETE FROM mail_outbox WHERE id = ?"
	    " AND claimed_by = ?", DB_ARGS(db_i(id), db_s(claimer)));

	return rc < 0 ? (int)rc : 0;
}

int mail_retry_later(struct db *db, int64_t id, const char *claimer,
    int64_t next_at, int give_up, const char *error)
{
	static const char q[] =
	    "UPDATE mail_outbox SET attempts = attempts + 1,"
	    " next_attempt_at = ?, status = ?, claimed_by = NULL,"
	    " claimed_until = NULL, last_error = LEFT(?, 255)"
	    " WHERE id = ? AND claimed_by = ?";
	/* Nothing of a deleted account is kept, not even its farewell. */
	static const char drop[] = "DELETE FROM mail_outbox WHERE id = ?"
	    " AND claimed_by = ? AND user_id IS NULL";
	int64_t rc;

	if (give_up && (rc = db_exec(db, drop, DB_ARGS(db_i(id),
	    db_s(claimer)))) != 0)
		return rc < 0 ? (int)rc : 0;
	rc = db_exec(db, q, DB_ARGS(db_i(next_at),
	    db_s(give_up ? "failed" : "queued"), db_s(error), db_i(id),
	    db_s(claimer)));
	return rc < 0 ? (int)rc : 0;
}

int64_t mail_backoff(int64_t failures, int64_t base, int64_t max)
{
	int64_t wait = base;

	while (failures-- > 1 && wait < max)
		wait *= 2;
	return wait < max ? wait : max;
}

int64_t mail_release_gone(struct db *db, int (*gone)(const char *claimer))
{
	static const char q[] = "SELECT DISTINCT claimed_by FROM mail_outbox"
	    " WHERE claimed_by IS NOT NULL";
	static const char rel[] = "UPDATE mail_outbox SET claimed_by = NULL,"
	    " claimed_until = NULL WHERE claimed_by = ?";
	struct db_res res = { 0 };
	int64_t n, rc, released = 0;
	size_t i;

	if ((n = db_query(db, q, DB_NOARGS, &res)) < 0) {
		db_res_free(&res);
		return n;
	}
	for (i = 0; i < (size_t)n; i++) {
		const char *who = db_str(&res, i, 0);

		if (!gone(who))
			continue;
		if ((rc = db_exec(db, rel, DB_ARGS(db_s(who)))) < 0) {
			db_res_free(&res);
			return rc;
		}
		released += rc;
	}
	db_res_free(&res);
	return released;
}

int mail_purge(struct db *db, int64_t before, int64_t requests_before)
{
	int64_t rc;

	/* Their unsent mail goes with them (foreign key). */
	rc = db_exec(db, "DELETE FROM mail_tokens WHERE expires_at < ?"
	    " OR (state <> 'pending' AND COALESCE(used_at, created_at) < ?)",
	    DB_ARGS(db_i(before), db_i(before)));
	if (rc < 0)
		return (int)rc;
	rc = db_exec(db, "DELETE FROM mail_requests WHERE at < ?",
	    DB_ARGS(db_i(requests_before)));
	return rc < 0 ? (int)rc : 0;
}
