/* api_account.c - GET /api/v1/me: who the session belongs to, and the
 * CSRF token its JSON requests must carry. */
#include "handlers.h"
#include "http.h"
#include "keys.h"


void h_api_me(struct req *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(r->user.id));
	json_object_object_add(o, "email", json_object_new_string(r->user.email));
	json_object_object_add(o, "role",
	    json_object_new_string(r->user.is_admin ? "admin" : "user"));
	/* a session's CSRF token; an API key's id and scope */
	if (r->user.api_key_id != 0) {
		json_object *k = json_object_new_object();

		json_object_object_add(k, "id",
		    json_object_new_int64(r->user.api_key_id));
		json_object_object_add(k, "scope", json_object_new_string(
		    api_scope_name((enum api_scope)r->user.api_scope)));
		json_object_object_add(o, "api_key", k);
	} else
		json_object_object_add(o, "csrf_token",
		    json_object_new_string(r->user.csrf));
	resp_json(r, 200, o);
}
