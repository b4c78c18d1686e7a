/* page_categories.c - the categories page: list with counts, create,
 * rename, delete (prompts fall back to uncategorised). */
#include <stdio.h>

#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "pages.h"
#include "prompts.h"
#include "util.h"

static void categories_page(struct req *r, int status, struct json_object *d)
{
	struct json_object *list;
	int64_t uncat = 0;
	int rc;

	if ((rc = category_list(r->db, r->user.id, &list, &uncat)) != 0) {
		json_object_put(d);
		answer_fail(r, rc, NULL);
		return;
	}
	json_object_object_add(d, "has_categories", json_object_new_boolean(
	    json_object_array_length(list) > 0));
	json_object_object_add(d, "categories", list);
	json_object_object_add(d, "uncategorised", json_object_new_int64(uncat));
	resp_page(r, status, "prompts/categories", d);
}

void h_categories_page(struct req *r)
{
	categories_page(r, 200, page_with_title(r, "categories", "categories"));
}

/* After a refusal: the page again with the error and what was typed. */
static void refused(struct req *r, int rc, struct pm_fail *f)
{
	struct json_object *d;
	const char *name = req_form(r, "name");

	if (rc == PM_NOTFOUND || err_is_db(rc)) {
		answer_fail(r, rc, f);
		return;
	}
	d = page_with_title(r, "categories", "categories");
	json_object_object_add(d, "name", json_object_new_string(name ? name : ""));
	rc = form_fail(d, rc, f);
	categories_page(r, rc, d);
}

void h_category_create(struct req *r)
{
	struct pm_fail f = { 0 };
	int64_t id = category_create(r->db, r->user.id, req_form(r, "name"),
	    r->now, &f);

	if (id < 0)
		refused(r, (int)id, &f);
	else
		redirect_flash(r, "/categories", "category_created");
}

void h_category_rename(struct req *r)
{
	struct pm_fail f = { 0 };
	int rc = category_rename(r->db, r->user.id, req_num(r, "id"),
	    req_form(r, "name"), r->now, &f);

	if (rc != 0)
		refused(r, rc, &f);
	else
		redirect_flash(r, "/categories", "category_renamed");
}

void h_category_delete(struct req *r)
{
	int rc = category_delete(r->db, r->user.id, req_num(r, "id"));

	if (rc != 0)
		answer_fail(r, rc, NULL);
	else
		redirect_flash(r, "/categories", "category_deleted");
}
