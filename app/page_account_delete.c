/* page_account_delete.c - deleting one's account: a page that says what
 * goes (everything) and what is kept (nothing), confirmed with the
 * password and the account's e-mail address typed out. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "mail_sender.h"
#include "msg.h"
#include "page_account.h"
#include "session.h"
#include "users.h"

/* Add to o under name the count n in words (delete.count.<name>). */
static void add_count(struct json_object *o, const char *name, int64_t n)
{
	struct buf b = { 0 };
	char key[64];

	snprintf(key, sizeof(key), "delete.count.%s", name);
	msg_count(&b, key, n);
	json_object_object_add(o, name, json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
}

/* The page's data: what the account holds. Returns NULL when the
 * database does not answer. */
static struct json_object *delete_data(struct req *r)
{
	struct json_object *d = page_data(r, "account_delete"), *s;
	struct account_summary a = { 0 };

	if (account_summary(r->db, r->user.id, &a) != 0) {
		json_object_put(d);
		return NULL;
	}
	s = json_object_new_object();
	add_count(s, "prompts", a.prompts);
	add_count(s, "versions", a.versions);
	add_count(s, "executions", a.executions);
	add_count(s, "categories", a.categories);
	json_object_object_add(d, "summary", s);
	return d;
}

void h_account_delete_form(struct req *r)
{
	struct json_object *d = delete_data(r);

	if (d == NULL) {
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	resp_page(r, 200, "account/delete", d);
}

void h_account_delete(struct req *r)
{
	const char *pw = req_form(r, "password");
	const char *typed = req_form(r, "confirm");
	char want[EMAIL_MAX + 1], got[EMAIL_MAX + 1];
	struct json_object *d;
	struct user_row u;
	int64_t id = r->user.id;
	int rc;

	if ((d = delete_data(r)) == NULL ||
	    user_find_by_id(r->db, id, &u) != 1) {
		json_object_put(d);
		answer_fail(r, PM_DB_DOWN, NULL);
		return;
	}
	/* Both refusals at once; the address compares as it is normalised
	 * (blanks around it and letter case do not matter). */
	if (pw == NULL || password_verify(u.password_hash, pw) != 1)
		form_error(d, "password", "form.current_password_wrong");
	if (typed == NULL || email_check(typed, got, NULL) != 0 ||
	    email_check(u.email, want, NULL) != 0 || strcmp(got, want) != 0)
		form_error(d, "confirm", "delete.confirm_wrong");
	if (json_object_object_get_ex(d, "errors", NULL)) {
		resp_page(r, 422, "account/delete", d);
		return;
	}
	json_object_put(d);
	if ((rc = user_delete(r->db, id, r->now)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	mail_kick();
	log_info("user %lld deleted their account", (long long)id);
	/* The session's row went with the account: clear the cookies. */
	(void)session_destroy(r);
	resp_cookie(r, DEVICE_COOKIE, "", 0);
	flash_set(r, "account_deleted");
	resp_redirect(r, "/");
}
