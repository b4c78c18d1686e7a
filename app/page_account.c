/* page_account.c - sign-up, log-in (with throttling), log-out, the
 * settings page and the change of password, and what the other account
 * pages share (page_account.h). */
#include "page_account.h"

#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "clock.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "mail_outbox.h"
#include "mail_tokens.h"
#include "msg.h"
#include "session.h"
#include "users.h"
#include "util.h"

/* Where to go after log-in: a local path from ?next=, else the dashboard. */
static const char *next_path(struct req *r)
{
	const char *n = req_form(r, "next");

	if (n == NULL)
		n = req_query(r, "next");
	if (!local_path(n))
		return "/dashboard";
	return n;
}

static struct json_object *form_page(struct req *r, const char *section,
    const char *email)
{
	struct json_object *d = page_data(r, section);

	json_object_object_add(d, "email", json_object_new_string(email ? email : ""));
	json_object_object_add(d, "next", json_object_new_string(next_path(r)));
	json_object_object_add(d, "reset_available",
	    json_object_new_boolean(mail_links_configured()));
	return d;
}

void h_signup_form(struct req *r)
{
	if (r->user.id != 0) {
		resp_redirect(r, "/dashboard");
		return;
	}
	resp_page(r, 200, "signup", form_page(r, "signup", ""));
}

/* The device cookie of this client when it is a device of user_id: its
 * id, 0 for an unknown client, or a db_err. */
static int64_t known_device(struct req *r, int64_t user_id)
{
	int64_t owner = 0, id;

	id = login_device_find(r->db, req_cookie(r, DEVICE_COOKIE), &owner);
	if (id < 0)
		return id;
	return id > 0 && owner == user_id ? id : 0;
}

/* After a successful log-in: the device is known from now on. */
static int remember_device(struct req *r, int64_t user_id, int64_t device)
{
	char tok[TOKEN_LEN + 1];

	if (device > 0)
		return login_device_touch(r->db, req_cookie(r, DEVICE_COOKIE),
		    r->now);
	token_new(tok);
	if (login_device_add(r->db, user_id, tok, r->now) < 0)
		return DB_DOWN;
	resp_cookie(r, DEVICE_COOKIE, tok, cfg_int(CFG_LOGIN_DEVICE_DAYS) * 86400);
	return 0;
}

void account_throttled(struct req *r, struct json_object *d, const char *tmpl,
    const char *key, int plural, int64_t oldest, int64_t window)
{
	struct buf m = { 0 };
	int64_t wait = oldest + window - r->now;
	char mins[32];

	if (wait < 1)
		wait = 1;
	if (plural)
		msg_count(&m, key, (wait + 59) / 60);
	else {
		snprintf(mins, sizeof(mins), "%lld", (long long)((wait + 59) / 60));
		msg_fmt(&m, key, "minutes", mins, NULL);
	}
	form_error_text(d, m.data);
	buf_free(&m);
	resp_header(r, "Retry-After", "%lld", (long long)wait);
	resp_page(r, 429, tmpl, d);
}

/* Every sign-up attempt counts against its address and network, so
 * that nobody can list who has an account at speed. Returns 0 when this
 * one may go on, 1 after answering 429 with the form d, or a db_err. */
static int signup_allowed(struct req *r, struct json_object *d)
{
	int64_t window = cfg_int(CFG_SIGNUP_WINDOW_SECONDS);
	char net[64];
	struct login_count c;
	int rc;

	signup_network(r->remote_addr, net, sizeof(net));
	if ((rc = signup_attempts_count(r->db, r->remote_addr, net,
	    r->now - window, &c)) != 0)
		return rc;
	if (c.by_addr >= cfg_int(CFG_SIGNUP_MAX_PER_ADDRESS) ||
	    c.by_account >= cfg_int(CFG_SIGNUP_MAX_PER_NETWORK)) {
		log_warn("sign-up throttled for %s (%s)", r->remote_addr, net);
		account_throttled(r, d, "signup", "form.signup_throttled", 0,
		    c.by_addr >= cfg_int(CFG_SIGNUP_MAX_PER_ADDRESS) ?
		    c.oldest_addr : c.oldest_account, window);
		return 1;
	}
	return signup_attempt_add(r->db, r->remote_addr, net, r->now);
}

void h_signup(struct req *r)
{
	const char *email = req_form(r, "email"), *pw = req_form(r, "password");
	const char *pw2 = req_form(r, "password_confirm");
	char norm[EMAIL_MAX + 1];
	struct pm_fail f = { 0 };
	struct json_object *d;
	struct user_row u;
	int64_t id;
	int failed = 0, rc;

	if (email == NULL)
		email = "";
	if (pw == NULL)
		pw = "";
	d = form_page(r, "signup", email);
	if ((rc = signup_allowed(r, d)) != 0) {
		if (rc < 0) {
			json_object_put(d);
			answer_fail(r, rc, NULL);
		}
		return;
	}
	/* Every error at once: the address, the password, the confirmation. */
	if (email_check(email, norm, &f) != 0) {
		form_error(d, "email", f.key);
		failed = 1;
	} else {	/* kept as typed, without the blanks around it */
		email = req_strndup(r, email + strspn(email, " \t"), strlen(norm));
		if ((rc = user_find_by_email(r->db, norm, &u)) < 0) {
			json_object_put(d);
			answer_fail(r, PM_DB_DOWN, NULL);
			return;
		}
		if (rc == 1) {
			form_error(d, "email", "form.email_taken");
			failed = 1;
		}
	}
	if (password_check(pw, email, &f) != 0) {
		form_error(d, "password", f.key);
		failed = 1;
	}
	if (pw2 != NULL && strcmp(pw, pw2) != 0) {
		form_error(d, "password_confirm", "form.password_mismatch");
		failed = 1;
	}
	if (failed) {
		resp_page(r, 422, "signup", d);
		return;
	}
	id = user_create(r->db, email, norm, pw, 0, r->now);
	if (id == DB_DUP) {
		form_error(d, "email", "form.email_taken");
		resp_page(r, 422, "signup", d);
		return;
	}
	if (id < 0 || remember_device(r, id, 0) != 0 ||
	    session_create(r, id, email, 0) != 0) {
		json_object_put(d);
		if (id == DB_DOWN)
			answer_fail(r, PM_DB_DOWN, NULL);
		else
			answer_error(r, PM_INTERNAL, "error.internal", NULL);
		return;
	}
	json_object_put(d);
	log_info("user %lld signed up", (long long)id);
	flash_set(r, "welcome");
	resp_redirect(r, "/dashboard");
}

void h_login_form(struct req *r)
{
	if (r->user.id != 0) {
		resp_redirect(r, next_path(r));
		return;
	}
	resp_page(r, 200, "login", form_page(r, "login", ""));
}

/* Log-in, throttled without letting failures from elsewhere lock a user
 * out of the devices they log in from (OWASP's device cookies): a known
 * device counts its own failures only; an unknown client counts those of
 * every unknown client for the account, and those of its address. */
void h_login(struct req *r)
{
	const char *email = req_form(r, "email"), *pw = req_form(r, "password");
	int64_t window = cfg_int(CFG_LOGIN_WINDOW_SECONDS), device = 0;
	char norm[EMAIL_MAX + 1];
	struct login_count c;
	struct user_row u;
	struct json_object *d;
	int found, ok = 0;

	if (email == NULL)
		email = "";
	if (pw == NULL)
		pw = "";
	d = form_page(r, "login", email);
	if (email_check(email, norm, NULL) != 0)
		snprintf(norm, sizeof(norm), "%.*s", EMAIL_MAX, email);
	if ((found = user_find_by_email(r->db, norm, &u)) < 0 ||
	    (found == 1 && (device = known_device(r, u.id)) < 0) ||
	    login_failures_count(r->db, norm, r->remote_addr, device,
	    r->now - window, &c) != 0)
		goto db_down;
	if (c.by_account >= cfg_int(CFG_LOGIN_MAX_FAILURES_ACCOUNT)) {
		log_warn("log-in throttled for an account%s", device ?
		    " on a known device" : "");
		account_throttled(r, d, "login", "form.login_throttled", 0,
		    c.oldest_account, window);
		return;
	}
	if (device == 0 && c.by_addr >= cfg_int(CFG_LOGIN_MAX_FAILURES_ADDRESS)) {
		log_warn("log-in throttled for address %s", r->remote_addr);
		account_throttled(r, d, "login", "form.login_throttled", 0,
		    c.oldest_addr, window);
		return;
	}
	if (found == 1)
		ok = password_verify(u.password_hash, pw) == 1;
	else
		password_dummy_verify(pw);
	if (!ok) {
		if (login_failure_add(r->db, norm, r->remote_addr, device,
		    r->now) != 0)
			goto db_down;
		form_error(d, "password", "form.login_failed");
		resp_page(r, 401, "login", d);
		return;
	}
	json_object_put(d);
	if (login_failures_clear(r->db, norm, device) != 0 ||
	    remember_device(r, u.id, device) != 0 ||
	    session_create(r, u.id, u.email, u.is_admin) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	log_info("user %lld logged in", (long long)u.id);
	resp_redirect(r, next_path(r));
	return;
db_down:
	json_object_put(d);
	answer_fail(r, PM_DB_DOWN, NULL);
}

void h_logout(struct req *r)
{
	if (session_destroy(r) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	flash_set(r, "logged_out");
	resp_redirect(r, "/");
}

struct json_object *settings_data(struct req *r)
{
	struct json_object *d = page_data(r, "settings");
	char pending[EMAIL_MAX + 1], until[32];
	int64_t expires = 0;
	int rc;

	if ((rc = email_change_pending(r->db, r->user.id, r->now, pending,
	    &expires)) < 0) {
		json_object_put(d);
		return NULL;
	}
	if (rc == 1) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "email", json_object_new_string(pending));
		json_object_object_add(p, "until", json_object_new_string(
		    clock_fmt(expires, until, sizeof(until))));
		json_object_object_add(d, "pending_email", p);
	}
	return d;
}

void h_settings(struct req *r)
{
	struct json_object *d = settings_data(r);

	if (d == NULL) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	resp_page(r, 200, "settings", d);
}

void h_password_change(struct req *r)
{
	const char *cur = req_form(r, "current_password");
	const char *pw = req_form(r, "new_password");
	const char *pw2 = req_form(r, "new_password_confirm");
	struct pm_fail f = { 0 };
	struct json_object *d = settings_data(r);
	struct user_row u;
	int rc;

	if (d == NULL || (rc = user_find_by_id(r->db, r->user.id, &u)) != 1) {
		json_object_put(d);
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	if (cur == NULL || password_verify(u.password_hash, cur) != 1)
		form_error(d, "current_password", "form.current_password_wrong");
	else if (password_check(pw ? pw : "", u.email, &f) != 0)
		form_error(d, "new_password", f.key);
	else if (pw2 == NULL || strcmp(pw, pw2) != 0)
		form_error(d, "new_password_confirm", "form.password_mismatch");
	else if (strcmp(pw, cur) == 0)
		form_error(d, "new_password", "form.password_unchanged");
	if (json_object_object_get_ex(d, "errors", NULL)) {
		resp_page(r, 422, "settings", d);
		return;
	}
	json_object_put(d);
	/* The reset links sent before no longer work: they were asked with
	 * the old password. */
	if (user_set_password(r->db, r->user.id, pw, r->now) != 0 ||
	    session_destroy_others(r, r->user.id, r->user.session_id) < 0 ||
	    reset_links_void(r->db, r->user.id) != 0) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	log_info("user %lld changed password", (long long)r->user.id);
	flash_set(r, "password_changed");
	resp_redirect(r, "/settings");
}

void link_page_private(struct req *r)
{
	resp_header(r, "Referrer-Policy", "no-referrer");
}

void link_refused(struct req *r, enum link_purpose purpose,
    enum link_state state, const char *email)
{
	static const char *const states[] = {
		[LINK_OK] = "unknown", [LINK_UNKNOWN] = "unknown",
		[LINK_EXPIRED] = "expired", [LINK_USED] = "used",
		[LINK_VOID] = "void", [LINK_TAKEN] = "taken",
	};
	struct json_object *d = page_data(r, "link");
	struct buf m = { 0 };
	char key[64], mins[24];
	int status = state == LINK_UNKNOWN || state == LINK_OK ? 404 :
	    state == LINK_TAKEN ? 409 : 410;

	snprintf(key, sizeof(key), "link.%s.%s",
	    purpose == LINK_RESET ? "reset" : "email_change", states[state]);
	snprintf(mins, sizeof(mins), "%lld",
	    (long long)(cfg_int(CFG_RESET_TOKEN_SECONDS) / 60));
	msg_fmt(&m, key, "minutes", mins, "email", email ? email : "", NULL);
	json_object_object_add(d, "message", json_object_new_string(m.data));
	json_object_object_add(d, purpose == LINK_RESET ? "is_reset" :
	    "is_email_change", json_object_new_boolean(1));
	buf_free(&m);
	link_page_private(r);
	resp_page(r, status, "account/link", d);
}
