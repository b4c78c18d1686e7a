/* page_byok.c - Settings > BYOK: the keys a user brings (last 4
 * characters, last change, health), Configure -> Test -> Save, update,
 * delete with confirmation; the key a prompt is pinned to; the run page's
 * line about the key a run uses. Plaintext keys only ever arrive here (the
 * Test form) and are wiped from the request once tested. */
#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "billing_offer.h"
#include "byok.h"
#include "config.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "log.h"
#include "model_picker.h"
#include "msg.h"
#include "page_byok.h"
#include "pages.h"
#include "plans.h"
#include "prompts.h"
#include "util.h"

/* The string member key of o, or "". */
static const char *str_of(json_object *o, const char *key)
{
	const char *s = json_str_member(o, key, NULL);

	return s ? s : "";
}

/* Whether the user's plan allows BYOK (0 when it cannot be read), with
 * its name in name. */
static int plan_allows(struct req *r, char *name, size_t n)
{
	struct plan_ref ref;
	struct plan p = { 0 };
	int ok;

	user_plan_ref(r, &ref);
	if (plan_of(r->db, &ref, &p) != 0) {
		snprintf(name, n, "%s", "");
		return 0;
	}
	ok = p.byok_allowed;
	snprintf(name, n, "%s", p.name);
	plan_free(&p);
	return ok;
}

/* The providers for the form's list, with selected marked. */
static json_object *provider_options(const char *selected)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < byok_nproviders; i++) {
		const struct byok_provider *p = &byok_providers[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "label", json_object_new_string(p->label));
		json_object_object_add(o, "hint", json_object_new_string(p->hint));
		json_object_object_add(o, "needs_url",
		    json_object_new_boolean(p->needs_url));
		json_object_object_add(o, "selected", json_object_new_boolean(
		    selected != NULL && strcmp(selected, p->name) == 0));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The page's data: plan, keys, the configure form (provider, base_url as
 * typed; the key never). Returns 0 or a db_err (d is then released). */
static int byok_data(struct req *r, json_object *d, const char *provider,
    const char *base_url)
{
	json_object *keys, *form;
	char plan[PLAN_NAME_MAX + 1];
	int rc;

	if ((rc = byok_list(r->db, r->user.id, &keys)) != 0) {
		json_object_put(d);
		return rc;
	}
	json_object_object_add(d, "allowed",
	    json_object_new_boolean(plan_allows(r, plan, sizeof(plan))));
	json_object_object_add(d, "plan_name", json_object_new_string(plan));
	json_object_object_add(d, "has_keys", json_object_new_boolean(
	    json_object_array_length(keys) > 0));
	json_object_object_add(d, "keys_count",
	    json_object_new_int64((int64_t)json_object_array_length(keys)));
	json_object_object_add(d, "keys", keys);
	json_object_object_add(d, "providers", provider_options(
	    provider ? provider : "openrouter"));
	form = json_object_new_object();
	json_object_object_add(form, "base_url",
	    json_object_new_string(base_url ? base_url : ""));
	json_object_object_add(d, "form", form);
	if (provider != NULL || base_url != NULL)
		json_object_object_add(d, "configure_open",
		    json_object_new_boolean(1));
	return 0;
}

/* Render the page with status, or answer the database's failure. */
static void byok_page(struct req *r, int status, json_object *d,
    const char *provider, const char *base_url)
{
	int rc;

	if ((rc = byok_data(r, d, provider, base_url)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	resp_page(r, status, "byok", d);
}

static json_object *byok_page_data(struct req *r)
{
	json_object *d = page_with_title(r, "settings", "byok");

	billing_offer(r, d);
	return d;
}

void h_byok_page(struct req *r)
{
	const char *p = req_query(r, "provider");

	byok_page(r, 200, byok_page_data(r),
	    p != NULL && byok_provider(p) != NULL ? p : NULL, NULL);
}

/* Refuse a change on a plan without BYOK: 403 naming the plan. */
static int refuse_plan(struct req *r)
{
	char plan[PLAN_NAME_MAX + 1];

	if (plan_allows(r, plan, sizeof(plan)))
		return 0;
	answer_error(r, PM_FORBIDDEN, "byok.plan_required", "plan", plan, NULL);
	return 1;
}

/* Wipe the key the request carried: the form's value and the raw body. */
static void wipe_key_input(struct req *r, const char *key)
{
	if (key != NULL)
		explicit_bzero((char *)key, strlen(key));
	if (r->body != NULL)
		explicit_bzero((char *)r->body, r->body_len);
}

void h_byok_test(struct req *r)
{
	const char *provider = req_form(r, "provider"), *key = req_form(r, "key");
	const char *url = req_form(r, "base_url");
	const struct byok_provider *p = byok_provider(provider);
	struct pm_fail f = { 0 };
	json_object *d, *info = NULL, *t;
	int rc;

	if (refuse_plan(r)) {
		wipe_key_input(r, key);
		return;
	}
	if (p == NULL || !p->needs_url)
		url = NULL;
	rc = byok_test(r->db, byok_vault, r->user.id, provider, key ? key : "",
	    url, (int)cfg_int(CFG_BYOK_PRIVATE_BASE_URLS),
	    cfg_int(CFG_BYOK_TEST_TIMEOUT_MS), r->now, &info, &f);
	wipe_key_input(r, key);
	if (err_is_db(rc)) {
		answer_fail(r, rc, &f);
		return;
	}
	d = byok_page_data(r);
	if (rc != 0) {
		log_info("user %lld: a %s key failed its test", (long long)r->user.id,
		    p ? p->name : "?");
		rc = form_fail(d, rc, &f);
		byok_page(r, rc == 422 ? 400 : rc, d, p ? provider : NULL, url);
		return;
	}
	t = info;
	json_object_object_add(t, "provider", json_object_new_string(p->name));
	json_object_object_add(t, "provider_label",
	    json_object_new_string(p->label));
	json_object_object_add(t, "openrouter", json_object_new_boolean(
	    strcmp(p->name, "openrouter") == 0));
	json_object_object_add(d, "test", t);
	byok_page(r, 200, d, p->name, url);
}

void h_byok_save(struct req *r)
{
	const char *provider = req_form(r, "provider");
	struct pm_fail f = { 0 };
	json_object *d;
	int rc;

	if (refuse_plan(r))
		return;
	if ((rc = byok_save(r->db, r->user.id, provider, r->now, &f)) == 0) {
		log_info("user %lld saved their %s key", (long long)r->user.id,
		    provider);
		redirect_flash(r, "/settings/byok", "byok_saved");
		return;
	}
	if (err_is_db(rc)) {
		answer_fail(r, rc, &f);
		return;
	}
	d = byok_page_data(r);
	rc = form_fail(d, rc, &f);
	byok_page(r, rc == 422 ? 400 : rc, d,
	    byok_provider(provider) ? provider : NULL, NULL);
}

/* The user's key of provider in *out (from byok_list; caller puts), or
 * NULL. Returns 0 or a db_err. */
static int key_of(struct req *r, const char *provider, json_object **out)
{
	json_object *keys;
	size_t i;
	int rc;

	*out = NULL;
	if (provider == NULL || (rc = byok_list(r->db, r->user.id, &keys)) != 0)
		return provider == NULL ? 0 : rc;
	for (i = 0; i < json_object_array_length(keys); i++) {
		json_object *k = json_object_array_get_idx(keys, i);

		if (strcmp(str_of(k, "provider"), provider) == 0)
			*out = json_object_get(k);
	}
	json_object_put(keys);
	return 0;
}

void h_byok_delete_page(struct req *r)
{
	json_object *k, *d;
	int rc;

	if ((rc = key_of(r, req_query(r, "provider"), &k)) != 0 || k == NULL) {
		if (rc == 0)
			answer_error(r, PM_NOTFOUND, "byok.not_found", NULL);
		else
			answer_fail(r, rc, NULL);
		return;
	}
	d = page_with_title(r, "settings", "byok_delete");
	json_object_object_add(d, "key", k);
	resp_page(r, 200, "byok_delete", d);
}

void h_byok_delete(struct req *r)
{
	const char *provider = req_form(r, "provider");
	int rc = byok_delete(r->db, r->user.id, provider);

	if (rc == PM_NOTFOUND) {
		answer_error(r, PM_NOTFOUND, "byok.not_found", NULL);
		return;
	}
	if (rc != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	log_info("user %lld deleted their %s key", (long long)r->user.id, provider);
	redirect_flash(r, "/settings/byok", "byok_deleted");
}

/* ------------------------------------------------------------ prompts */

void h_prompt_byok_pin(struct req *r)
{
	const char *slug = req_arg(r, "slug"), *pin = req_form(r, "byok_pin");
	json_object *p;
	char path[SLUG_MAX + 32];
	int rc;

	if ((rc = prompt_get(r->db, r->user.id, slug, &p)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	rc = refuse_plan(r) ? -1 : byok_pin_set(r->db, r->user.id,
	    json_object_get_int64(json_object_object_get(p, "id")), pin);
	json_object_put(p);
	if (rc == -1)
		return;
	if (rc == PM_INVALID)
		answer_error(r, PM_INVALID, "byok.pin_invalid", NULL);
	else if (rc != 0)
		answer_fail(r, rc, NULL);
	else {
		snprintf(path, sizeof(path), "/prompts/%s/settings", slug);
		redirect_flash(r, path, "byok_pin_saved");
	}
}

/* One option of the pin list. */
static void pin_option(json_object *arr, const char *value, const char *label,
    const char *last4, const char *pin)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "value", json_object_new_string(value));
	json_object_object_add(o, "label", json_object_new_string(label));
	if (last4 != NULL)
		json_object_object_add(o, "last4", json_object_new_string(last4));
	json_object_object_add(o, "selected",
	    json_object_new_boolean(strcmp(value, pin) == 0));
	json_object_array_add(arr, o);
}

void byok_pin_form_data(struct req *r, json_object *p, json_object *d)
{
	json_object *keys, *o, *arr;
	char plan[PLAN_NAME_MAX + 1], pin[BYOK_PROVIDER_MAX + 1];
	size_t i;

	if (!plan_allows(r, plan, sizeof(plan)) ||
	    byok_pin_get(r->db, r->user.id, json_object_get_int64(
	    json_object_object_get(p, "id")), pin, sizeof(pin)) != 0 ||
	    byok_list(r->db, r->user.id, &keys) != 0)
		return;
	arr = json_object_new_array();
	pin_option(arr, "", msg_get("byok.pin.automatic"), NULL, pin);
	pin_option(arr, BYOK_PIN_SYSTEM, msg_get("byok.pin.system"), NULL, pin);
	for (i = 0; i < json_object_array_length(keys); i++) {
		json_object *k = json_object_array_get_idx(keys, i);

		pin_option(arr, str_of(k, "provider"),
		    str_of(k, "label"), str_of(k, "last4"),
		    pin);
	}
	o = json_object_new_object();
	json_object_object_add(o, "has_keys", json_object_new_boolean(
	    json_object_array_length(keys) > 0));
	json_object_object_add(o, "options", arr);
	json_object_put(keys);
	json_object_object_add(d, "byok_pin", o);
}

void byok_run_notice(struct req *r, json_object *p, const char *model,
    json_object *d)
{
	json_object *o = NULL;
	char plan[PLAN_NAME_MAX + 1];

	if (model == NULL || byok_route_info(r->db, r->user.id,
	    json_object_get_int64(json_object_object_get(p, "id")), model,
	    plan_allows(r, plan, sizeof(plan)), &o) != 0 || o == NULL)
		return;
	json_object_object_add(d, "byok_notice", o);
}
