/* session.c - browser sessions stored in MariaDB (hashed tokens). */
#include "session.h"

#include <string.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "plans.h"
#include "util.h"

#include <stdio.h>

#define COOKIE "pm_session"

int session_load(struct req *r)
{
	static const char q[] =
	    "SELECT s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at,"
	    " u.email, u.role, up.plan_id, up.source,"
	    " (SELECT generation FROM catalog_state WHERE id = 1)"
	    " FROM sessions s JOIN users u ON u.id = s.user_id"
	    " LEFT JOIN user_plans up ON up.user_id = s.user_id"
	    " WHERE s.token_hash = ?";
	static const char del[] = "DELETE FROM sessions WHERE id = ?";
	static const char touch[] =
	    "UPDATE sessions SET last_seen_at = ? WHERE id = ?";
	const char *tok = req_cookie(r, COOKIE);
	char hash[SHA256_HEX_LEN + 1];
	struct db_res res;
	int64_t n, sid, created, seen;

	if (tok == NULL)
		return 0;
	if (!token_valid(tok)) {
		resp_cookie(r, COOKIE, "", 0);
		return 0;
	}
	token_hash(tok, hash);
	n = db_query(r->db, q, DB_ARGS(db_s(hash)), &res);
	if (n < 0) {
		db_res_free(&res);
		return DB_DOWN;
	}
	if (n == 0) {
		db_res_free(&res);
		resp_cookie(r, COOKIE, "", 0);
		return 0;
	}
	sid = db_int(&res, 0, 0);
	created = db_int(&res, 0, 3);
	seen = db_int(&res, 0, 4);
	if (r->now - seen > cfg_int(CFG_SESSION_IDLE_SECONDS) ||
	    r->now - created > cfg_int(CFG_SESSION_ABSOLUTE_SECONDS)) {
		db_res_free(&res);
		if (db_exec(r->db, del, DB_ARGS(db_i(sid))) < 0)
			return DB_DOWN;
		resp_cookie(r, COOKIE, "", 0);
		return 0;
	}
	r->user.session_id = sid;
	r->user.id = db_int(&res, 0, 1);
	r->user.csrf = req_strdup(r, db_str(&res, 0, 2));
	r->user.email = req_strdup(r, db_str(&res, 0, 5));
	r->user.is_admin = strcmp(db_str(&res, 0, 6), "admin") == 0;
	r->user.plan_id = db_int(&res, 0, 7);
	r->user.plan_source = plan_source_of(db_str(&res, 0, 8));
	r->user.catalog_gen = db_int(&res, 0, 9);
	db_res_free(&res);
	/* Record use at most once a minute to keep reads cheap. */
	if (r->now - seen >= 60 &&
	    db_exec(r->db, touch, DB_ARGS(db_i(r->now), db_i(sid))) < 0)
		return DB_DOWN;
	return 0;
}

int session_create(struct req *r, int64_t user_id, const char *email,
    int is_admin)
{
	static const char ins[] =
	    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at,"
	    " last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)";
	char tok[TOKEN_LEN + 1], csrf[TOKEN_LEN + 1], hash[SHA256_HEX_LEN + 1];
	const char *ua = req_env(r, "HTTP_USER_AGENT");
	char uabuf[256];
	int64_t rc;

	if (r->user.session_id != 0 && (rc = session_destroy(r)) < 0)
		return (int)rc;
	token_new(tok);
	token_new(csrf);
	token_hash(tok, hash);
	snprintf(uabuf, sizeof(uabuf), "%s", ua ? ua : "");
	/* Keep the stored user agent valid UTF-8 after truncation. */
	while (uabuf[0] && !utf8_valid(uabuf, strlen(uabuf)))
		uabuf[strlen(uabuf) - 1] = '\0';
	rc = db_exec(r->db, ins, DB_ARGS(db_s(hash), db_i(user_id), db_s(csrf),
	    db_i(r->now), db_i(r->now), db_s(r->remote_addr), db_s(uabuf)));
	if (rc < 0)
		return (int)rc;
	r->user.session_id = db_insert_id(r->db);
	r->user.id = user_id;
	r->user.email = req_strdup(r, email);
	r->user.is_admin = is_admin;
	r->user.csrf = req_strdup(r, csrf);
	resp_cookie(r, COOKIE, tok, cfg_int(CFG_SESSION_ABSOLUTE_SECONDS));
	explicit_bzero(tok, sizeof(tok));
	return 0;
}

int session_destroy(struct req *r)
{
	int64_t rc = 0;

	if (r->user.session_id != 0)
		rc = db_exec(r->db, "DELETE FROM sessions WHERE id = ?",
		    DB_ARGS(db_i(r->user.session_id)));
	memset(&r->user, 0, sizeof(r->user));
	resp_cookie(r, COOKIE, "", 0);
	return rc < 0 ? (int)rc : 0;
}

int64_t session_destroy_others(struct req *r, int64_t user_id, int64_t keep_id)
{
	return db_exec(r->db,
	    "DELETE FROM sessions WHERE user_id = ? AND id <> ?",
	    DB_ARGS(db_i(user_id), db_i(keep_id)));
}
