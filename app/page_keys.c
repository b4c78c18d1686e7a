/* page_keys.c - Settings > API keys (/settings/keys): the account's keys,
 * a new one (shown in full once, with a copy button), revoking one. The
 * plan decides whether there are keys and how many (an upsell otherwise);
 * the JSON API of the same is api_keys.c. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "billing_offer.h"
#include "handlers.h"
#include "http.h"
#include "keys.h"
#include "model_picker.h"
#include "money.h"
#include "pages.h"
#include "plans.h"

/* Each key's state as a flag the template can test (is_active...). */
static void state_flags(struct json_object *keys)
{
	size_t i;
	char flag[32];

	for (i = 0; i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i);

		snprintf(flag, sizeof(flag), "is_%s", json_object_get_string(
		    json_object_object_get(k, "state")));
		json_object_object_add(k, flag, json_object_new_boolean(1));
	}
}

/* The page's data: the plan's allowance and the keys. Returns NULL when
 * the database failed (rc set). */
static struct json_object *keys_data(struct req *r, int64_t *max, int *rc)
{
	struct json_object *d = page_with_title(r, "settings", "keys"), *a, *p;
	struct plan_ref ref;
	struct plan plan;
	int64_t n;

	user_plan_ref(r, &ref);
	if ((*rc = plan_of(r->db, &ref, &plan)) != 0 ||
	    (*rc = api_key_list(r->db, r->user.id, r->now, &a)) != 0) {
		json_object_put(d);
		plan_free(&plan);	/* zeroed by plan_of() on failure */
		return NULL;
	}
	*max = plan.api_access ? plan.api_keys : 0;
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(plan.name));
	json_object_object_add(p, "allowed", json_object_new_boolean(*max != 0));
	json_object_object_add(p, "limit", *max > 0 ? json_object_new_int64(*max) :
	    NULL);
	plan_free(&plan);
	json_object_object_add(d, "plan", p);
	state_flags(a);
	json_object_object_add(d, "has_keys",
	    json_object_new_boolean(json_object_array_length(a) > 0));
	json_object_object_add(d, "keys", a);
	n = api_key_count(r->db, r->user.id, r->now);
	json_object_object_add(d, "active", json_object_new_int64(n > 0 ? n : 0));
	json_object_object_add(d, "full", json_object_new_boolean(*max >= 0 &&
	    n >= *max));
	billing_offer(r, d);
	return d;
}

void h_keys_page(struct req *r)
{
	int64_t max;
	int rc;
	struct json_object *d = keys_data(r, &max, &rc);

	if (d == NULL)
		answer_fail(r, rc, NULL);
	else
		resp_page(r, 200, "settings_keys", d);
}

/* "YYYY-MM-DD" (a date, UTC) as the end of that day; "" as 0 (never).
 * Returns 0 or -1. */
static int expiry_of(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	const char *end;

	*out = 0;
	if (s == NULL || *s == '\0')
		return 0;
	if (strlen(s) != 10 || (end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	*out = (int64_t)timegm(&tm) + 86400;
	return 0;
}

/* A cap in dollars ("5", "2.50") as micro-dollars; "" as -1 (none).
 * Returns 0 or -1. */
static int cap_of(const char *s, int64_t *out)
{
	*out = -1;
	if (s == NULL || *s == '\0')
		return 0;
	if (*s == '$')
		s++;
	return dec_parse_units(s, strlen(s), 6, out) == 0 && *out >= 0 ? 0 : -1;
}

void h_key_create(struct req *r)
{
	const char *name = req_form(r, "name"), *scope_s = req_form(r, "scope");
	struct pm_fail f = { 0 };
	char key[API_KEY_LEN + 1];
	int64_t max, expires, cap, id;
	int rc, scope;
	struct json_object *d = keys_data(r, &max, &rc), *form;

	if (d == NULL) {
		answer_fail(r, rc, NULL);
		return;
	}
	form = json_object_new_object();
	json_object_object_add(form, "name", json_object_new_string(name ? name : ""));
	json_object_object_add(form, "expires", json_object_new_string(
	    req_form(r, "expires") ? req_form(r, "expires") : ""));
	json_object_object_add(form, "cap", json_object_new_string(
	    req_form(r, "cap") ? req_form(r, "cap") : ""));
	json_object_object_add(d, "form", form);
	if ((scope = api_scope_parse(scope_s)) < 0) {
		form_error(d, "scope", "keys.scope_invalid");
		resp_page(r, 422, "settings_keys", d);
		return;
	}
	if (expiry_of(req_form(r, "expires"), &expires) != 0) {
		form_error(d, "expires", "keys.expiry_date");
		resp_page(r, 422, "settings_keys", d);
		return;
	}
	if (cap_of(req_form(r, "cap"), &cap) != 0) {
		form_error(d, "cap", "keys.cap_dollars");
		resp_page(r, 422, "settings_keys", d);
		return;
	}
	id = api_key_create(r->db, r->user.id, name, (enum api_scope)scope,
	    expires, cap, max, r->now, key, &f);
	if (id < 0) {
		resp_page(r, form_fail(d, (int)id, &f), "settings_keys", d);
		return;
	}
	json_object_put(d);
	/* the page again, the new key on it this once */
	if ((d = keys_data(r, &max, &rc)) == NULL) {
		explicit_bzero(key, sizeof(key));
		answer_fail(r, rc, NULL);
		return;
	}
	json_object_object_add(d, "created", json_object_new_string(key));
	explicit_bzero(key, sizeof(key));
	resp_page(r, 200, "settings_keys", d);
}

void h_key_revoke(struct req *r)
{
	int rc = api_key_revoke(r->db, r->user.id, req_num(r, "id"), r->now);

	if (rc != 0)
		answer_error(r, rc, rc == PM_NOTFOUND ? "keys.not_found" : NULL,
		    NULL);
	else
		redirect_flash(r, "/settings/keys", "key_revoked");
}
