/* page_email_change.c - changing the account's e-mail address: asked on
 * the settings page (with the password), confirmed by a link sent to the
 * new address, the old one told; nothing changes until the link is
 * used. */
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
#include "users.h"

void h_email_change(struct req *r)
{
	const char *email = req_form(r, "new_email");
	const char *pw = req_form(r, "email_password");
	int64_t window = cfg_int(CFG_RESET_WINDOW_SECONDS);
	char norm[EMAIL_MAX + 1], cur_norm[EMAIL_MAX + 1];
	struct pm_fail f = { 0 };
	struct login_count c;
	struct user_row u, other;
	struct json_object *d;
	int rc;

	if (!mail_links_configured()) {
		answer_error(r, PM_UNAVAILABLE, "email.unavailable", NULL);
		return;
	}
	if (email == NULL)
		email = "";
	if ((d = settings_data(r)) == NULL ||
	    user_find_by_id(r->db, r->user.id, &u) != 1)
		goto db_down;
	json_object_object_add(d, "new_email", json_object_new_string(email));
	if (email_check(u.email, cur_norm, NULL) != 0)
		snprintf(cur_norm, sizeof(cur_norm), "%s", u.email);
	/* Every error at once: the address, then the password. */
	if (email_check(email, norm, &f) != 0)
		form_error(d, "new_email", f.key);
	else if (strcmp(norm, cur_norm) == 0)
		form_error(d, "new_email", "email.same");
	else if ((rc = user_find_by_email(r->db, norm, &other)) < 0)
		goto db_down;
	else if (rc == 1)
		form_error(d, "new_email", "form.email_taken");
	if (pw == NULL || password_verify(u.password_hash, pw) != 1)
		form_error(d, "email_password", "form.current_password_wrong");
	if (json_object_object_get_ex(d, "errors", NULL)) {
		resp_page(r, 422, "settings", d);
		return;
	}
	if (link_requests_count(r->db, LINK_EMAIL_CHANGE, cur_norm,
	    r->remote_addr, r->now - window, &c) != 0)
		goto db_down;
	/* Counted per account (the user is signed in), not per client. */
	if (c.by_account >= cfg_int(CFG_RESET_MAX_PER_ADDRESS)) {
		log_warn("change of e-mail throttled for user %lld",
		    (long long)u.id);
		account_throttled(r, d, "settings", "email.throttled", 1,
		    c.oldest_account, window);
		return;
	}
	email = req_strndup(r, email + strspn(email, " \t"), strlen(norm));
	if (email_change_request(r->db, u.id, u.email, cur_norm, email, norm,
	    r->remote_addr, r->now) != 0)
		goto db_down;
	json_object_put(d);
	mail_kick();
	log_info("user %lld asked to change their e-mail address",
	    (long long)u.id);
	flash_set(r, "email_change_sent");
	resp_redirect(r, "/settings");
	return;
db_down:
	json_object_put(d);
	answer_fail(r, PM_DB_DOWN, NULL);
}

void h_email_change_cancel(struct req *r)
{
	if (email_change_cancel(r->db, r->user.id) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	flash_set(r, "email_change_cancelled");
	resp_redirect(r, "/settings");
}

/* Whether the change-of-e-mail link of token can be used: 1 with it in
 * l, or 0 after answering why not (the address may have been taken
 * since the link was sent). */
static int usable_link(struct req *r, const char *token, struct link_row *l)
{
	struct user_row other;
	int rc = 0;

	if (link_find(r->db, LINK_EMAIL_CHANGE, token, r->now, l) != 0 ||
	    (l->state == LINK_OK && (rc = user_find_by_email(r->db,
	    l->new_email_norm, &other)) < 0)) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return 0;
	}
	if (l->state == LINK_OK && rc == 1 && other.id != l->user_id)
		l->state = LINK_TAKEN;
	if (l->state != LINK_OK) {
		link_refused(r, LINK_EMAIL_CHANGE, l->state, l->new_email);
		return 0;
	}
	return 1;
}

void h_email_confirm_form(struct req *r)
{
	const char *token = req_query(r, "token");
	struct json_object *d;
	struct link_row l;

	if (!usable_link(r, token, &l))
		return;
	d = page_data(r, "confirm_email");
	json_object_object_add(d, "token", json_object_new_string(token));
	json_object_object_add(d, "old_email", json_object_new_string(l.email));
	json_object_object_add(d, "new_email",
	    json_object_new_string(l.new_email));
	link_page_private(r);
	resp_page(r, 200, "account/confirm_email", d);
}

void h_email_confirm(struct req *r)
{
	const char *token = req_form(r, "token");
	enum link_state state;
	struct link_row l;
	int64_t user_id;

	if (!usable_link(r, token, &l))
		return;
	if (email_change_confirm(r->db, token, r->now, &state, &user_id) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	if (state != LINK_OK) {		/* used, voided or taken meanwhile */
		link_refused(r, LINK_EMAIL_CHANGE, state, l.new_email);
		return;
	}
	log_info("user %lld changed their e-mail address", (long long)user_id);
	flash_set(r, "email_changed");
	resp_redirect(r, r->user.id == user_id ? "/settings" : "/login");
}
