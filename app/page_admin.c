/* page_admin.c - the admin console: the model catalog, where admins
 * choose which models the free tier may use, and the active plan
 * catalog. */
#include <string.h>

#include "answer.h"
#include "handlers.h"
#include "http.h"
#include "models.h"
#include "pages.h"
#include "plans.h"
#include "prompts.h"

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
	if (plans != NULL)		/* none before a catalog is loaded */
		json_object_object_add(d, "catalog", plans);
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
