/* api_keys.c - the JSON API of API keys, for a signed-in session only:
 * create (the key in full, this once), list, revoke (/api/v1/keys...). */
#include <string.h>

#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "keys.h"
#include "plans.h"

void h_api_keys_list(struct req *r)
{
	json_object *a, *o;
	int rc;

	if ((rc = api_key_list(r->db, r->user.id, r->now, &a)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "items", a);
	resp_json(r, 200, o);
}

/* The plan's number of keys (-1: unlimited). Returns 0 or a failure. */
static int plan_keys(struct req *r, int64_t *max)
{
	struct plan_ref ref = { r->user.id, r->user.plan_id, r->user.plan_source,
	    r->user.catalog_gen };
	struct plan p;
	int rc;

	if ((rc = plan_of(r->db, &ref, &p)) != 0)
		return rc;
	*max = p.api_access ? p.api_keys : 0;
	plan_free(&p);
	return 0;
}

void h_api_keys_create(struct req *r)
{
	const char *name = json_str_member(r->json, "name", NULL);
	struct pm_fail f = { 0 };
	char key[API_KEY_LEN + 1];
	json_object *v, *o;
	int64_t max, id, expires = 0, cap = -1;
	int scope, rc;

	if ((scope = api_scope_parse(json_str_member(r->json, "scope", NULL))) < 0) {
		pm_refuse(&f, PM_INVALID, "keys.scope_invalid", "scope");
		answer_fail(r, PM_INVALID, &f);
		return;
	}
	if ((v = json_member(r->json, "expires_at")) != NULL)
		expires = json_object_get_int64(v);
	if ((v = json_member(r->json, "monthly_spend_cap_micros")) != NULL)
		cap = json_object_get_int64(v);
	if ((rc = plan_keys(r, &max)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	id = api_key_create(r->db, r->user.id, name, (enum api_scope)scope,
	    expires, cap, max, r->now, key, &f);
	if (id < 0) {
		answer_fail(r, (int)id, &f);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "key", json_object_new_string(key));
	key[API_KEY_PREFIX] = '\0';
	json_object_object_add(o, "prefix", json_object_new_string(key));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "scope", json_object_new_string(
	    api_scope_name((enum api_scope)scope)));
	json_object_object_add(o, "expires_at", expires ?
	    json_object_new_int64(expires) : NULL);
	json_object_object_add(o, "monthly_spend_cap_micros", cap >= 0 ?
	    json_object_new_int64(cap) : NULL);
	json_object_object_add(o, "created_at", json_object_new_int64(r->now));
	explicit_bzero(key, sizeof(key));
	resp_json(r, 201, o);
}

void h_api_key_delete(struct req *r)
{
	int rc = api_key_revoke(r->db, r->user.id, req_num(r, "id"), r->now);

	if (rc != 0)
		answer_error(r, rc, rc == PM_NOTFOUND ? "keys.not_found" : NULL,
		    NULL);
	else
		resp_send(r, 204, NULL, "", 0);
}
