/* page_admin.c - the admin console: the model catalog, where admins
 * choose which models the free tier may use, and the active plan
 * catalog. */
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "handlers.h"
#include "http.h"
#include "models.h"
#include "msg.h"
#include "pages.h"
#include "plans.h"
#include "prompts.h"

/* Append the names of plans from i on as a list in words: "Free and
 * Pro", "Free, Pro and Team" (list.* in the catalog). */
static void names_from(json_object *plans, size_t i, struct buf *out)
{
	size_t n = json_object_array_length(plans);
	const char *name = json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(plans, i), "name"));
	struct buf rest = { 0 };

	if (i + 1 >= n) {
		buf_puts(out, name);
		return;
	}
	names_from(plans, i + 1, &rest);
	msg_fmt(out, i + 2 == n ? "list.pair" : "list.more", "first", name,
	    "rest", buf_cstr(&rest), NULL);
	buf_free(&rest);
}

/* Add to the catalog c (plans_list_public) its plans' names in words
 * under plan_names. */
static void plan_names(json_object *c)
{
	json_object *plans = json_object_object_get(c, "plans");
	struct buf b = { 0 };

	if (json_object_array_length(plans) == 0)
		buf_puts(&b, msg_get("list.none"));
	else
		names_from(plans, 0, &b);
	json_object_object_add(c, "plan_names", json_object_new_string(buf_cstr(&b)));
	buf_free(&b);
}

void h_admin(struct req *r)
{
	json_object *d, *models, *plans = NULL;
	int rc;

	if ((rc = models_list(r->db, &models)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	rc = plans_list_public(r->db, &plans);
	if (rc != 0 && rc != PM_NOCATALOG) {
		json_object_put(models);
		answer_fail(r, rc, NULL);
		return;
	}
	d = page_data(r, "admin");
	json_object_object_add(d, "has_models", json_object_new_boolean(
	    json_object_array_length(models) > 0));
	json_object_object_add(d, "models", models);
	if (plans != NULL) {		/* none before a catalog is loaded */
		plan_names(plans);
		json_object_object_add(d, "catalog", plans);
	}
	resp_page(r, 200, "admin", d);
}

void h_admin_free_tier(struct req *r)
{
	const char *id = req_form(r, "model"), *on = req_form(r, "free_tier");
	int rc;

	if (id == NULL || on == NULL || (strcmp(on, "on") && strcmp(on, "off"))) {
		struct pm_fail f = { 0 };
		answer_fail(r, pm_refuse(&f, PM_INVALID, "admin.free_tier_form", NULL), &f);
		return;
	}
	if ((rc = model_set_free_tier(r->db, id, strcmp(on, "on") == 0)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	redirect_flash(r, "/admin", "free_tier_saved");
}
