/* page_reset.c - "Forgot password?": asking for a reset link by e-mail,
 * and choosing a new password with it. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "config.h"
#include "crypto.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "mail_outbox.h"
#include "mail_sender.h"
#include "mail_tokens.h"
#include "page_account.h"
#include "session.h"
#include "users.h"

/* The forgot-password page's data, with the address typed. */
static struct json_object *forgot_data(struct req *r, const char *email)
{
	struct json_object *d = page_data(r, "forgot");

	json_object_object_add(d, "email", json_object_new_string(email));
	json_object_object_add(d, "minutes", json_object_new_int64(
	    cfg_int(CFG_RESET_TOKEN_SECONDS) / 60));
	json_object_object_add(d, "demo_mail",
	    json_object_new_boolean(cfg_str(CFG_DEMO_MAIL_DIR)[0] != '\0'));
	return d;
}

void h_forgot_form(struct req *r)
{
	const char *email = req_query(r, "email");

	if (!mail_links_configured()) {
		answer_error(r, PM_UNAVAILABLE, "reset.unavailable", NULL);
		return;
	}
	resp_page(r, 200, "account/forgot", forgot_data(r, email ? email : ""));
}

/* Ask for a reset link. The answer, and the work done before it, are the
 * same whether or not the address has an account: the same statements
 * run (the link and its mail are made by INSERT ... SELECT, which makes
 * nothing for an unknown address) and the mail is sent later by the
 * background sender. Requests are limited per address and per client,
 * for known and unknown addresses alike. */
void h_forgot(struct req *r)
{
	const char *email = req_form(r, "email");
	int64_t window = cfg_int(CFG_RESET_WINDOW_SECONDS);
	char norm[EMAIL_MAX + 1];
	struct pm_fail f = { 0 };
	struct login_count c;
	struct json_object *d;
	int rc;

	if (!mail_links_configured()) {
		answer_error(r, PM_UNAVAILABLE, "reset.unavailable", NULL);
		return;
	}
	if (email == NULL)
		email = "";
	d = forgot_data(r, email);
	if (email_check(email, norm, &f) != 0) {
		form_error(d, "email", f.key);
		resp_page(r, 422, "account/forgot", d);
		return;
	}
	if (link_requests_count(r->db, LINK_RESET, norm, r->remote_addr,
	    r->now - window, &c) != 0)
		goto db_down;
	if (c.by_account >= cfg_int(CFG_RESET_MAX_PER_ADDRESS) ||
	    c.by_addr >= cfg_int(CFG_RESET_MAX_PER_CLIENT)) {
		log_warn("password reset throttled for %s", r->remote_addr);
		account_throttled(r, d, "account/forgot", "reset.throttled", 1,
		    c.by_account >= cfg_int(CFG_RESET_MAX_PER_ADDRESS) ?
		    c.oldest_account : c.oldest_addr, window);
		return;
	}
	if ((rc = reset_request(r->db, norm, r->remote_addr, r->now)) < 0)
		goto db_down;
	mail_kick();
	log_info("password reset asked from %s%s", r->remote_addr,
	    rc == 1 ? "" : " (no such account)");
	json_object_object_add(d, "sent", json_object_new_boolean(1));
	resp_page(r, 200, "account/forgot", d);
	return;
db_down:
	json_object_put(d);
	answer_fail(r, PM_DB_DOWN, NULL);
}

/* The reset form for the link of token (usable, in l). */
static struct json_object *reset_data(struct req *r, const char *token,
    const struct link_row *l)
{
	struct json_object *d = page_data(r, "reset");

	json_object_object_add(d, "token", json_object_new_string(token));
	json_object_object_add(d, "account_email",
	    json_object_new_string(l->email));
	return d;
}

/* Whether the reset link of token can be used: 1 with it in l, or 0
 * after answering why not. */
static int usable_link(struct req *r, const char *token, struct link_row *l)
{
	if (link_find(r->db, LINK_RESET, token, r->now, l) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return 0;
	}
	if (l->state != LINK_OK) {
		link_refused(r, LINK_RESET, l->state, NULL);
		return 0;
	}
	return 1;
}

void h_reset_form(struct req *r)
{
	const char *token = req_query(r, "token");
	struct link_row l;

	if (!usable_link(r, token, &l))
		return;
	link_page_private(r);
	resp_page(r, 200, "account/reset", reset_data(r, token, &l));
}

void h_reset(struct req *r)
{
	const char *token = req_form(r, "token");
	const char *pw = req_form(r, "password");
	const char *pw2 = req_form(r, "password_confirm");
	struct pm_fail f = { 0 };
	struct buf hash = { 0 };
	struct json_object *d;
	enum link_state state;
	struct link_row l;
	int failed = 0, rc;

	if (pw == NULL)
		pw = "";
	if (!usable_link(r, token, &l))
		return;
	d = reset_data(r, token, &l);
	if (password_check(pw, l.email, &f) != 0) {
		form_error(d, "password", f.key);
		failed = 1;
	}
	if (pw2 == NULL || strcmp(pw, pw2) != 0) {
		form_error(d, "password_confirm", "form.password_mismatch");
		failed = 1;
	}
	if (failed) {
			resp_page(r, 422, "account/reset", d);
		return;
	}
	json_object_put(d);
	if (password_hash(pw, &hash) != 0) {
		answer_error(r, PM_INTERNAL, "error.internal", NULL);
		return;
	}
	rc = reset_use(r->db, token, hash.data, r->now, &state);
	explicit_bzero(hash.data, hash.len);
	buf_free(&hash);
	if (rc != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	if (state != LINK_OK) {		/* used or voided meanwhile */
		link_refused(r, LINK_RESET, state, NULL);
		return;
	}
	mail_kick();
	log_info("user %lld reset their password", (long long)l.user_id);
	/* The sessions of the account are gone; this browser's, whoever's
	 * it was, ends too: log in with the new password. */
	if (session_destroy(r) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	flash_set(r, "password_reset");
	resp_redirect(r, "/login");
}
