/* api_categories.c - the JSON API of categories: list with counts,
 * create, rename, delete (/api/v1/categories...). */
#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "jsonx.h"
#include "prompts.h"

void h_api_categories_list(struct req *r)
{
	struct json_object *a, *o;
	int64_t uncat;
	int rc;

	if ((rc = category_list(r->db, r->user.id, &a, &uncat)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "items", a);
	json_object_object_add(o, "uncategorised", json_object_new_int64(uncat));
	resp_json(r, 200, o);
}

static void send_category(struct req *r, int status, int64_t id)
{
	struct json_object *o;
	int rc;

	if ((rc = category_get(r->db, r->user.id, id, &o)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_json(r, status, o);
}

void h_api_categories_create(struct req *r)
{
	struct pm_fail f = { 0 };
	int64_t id = category_create(r->db, r->user.id,
	    json_str_member(r->json, "name", NULL), r->now, &f);

	if (id < 0)
		answer_fail(r, (int)id, &f);
	else
		send_category(r, 201, id);
}

void h_api_category_update(struct req *r)
{
	struct pm_fail f = { 0 };
	int64_t id = req_num(r, "id");
	int rc = category_rename(r->db, r->user.id, id,
	    json_str_member(r->json, "name", NULL), r->now, &f);

	if (rc != 0)
		answer_fail(r, rc, &f);
	else
		send_category(r, 200, id);
}

void h_api_category_delete(struct req *r)
{
	int rc = category_delete(r->db, r->user.id, req_num(r, "id"));

	if (rc != 0)
		answer_fail(r, rc, NULL);
	else
		resp_send(r, 204, NULL, "", 0);
}
