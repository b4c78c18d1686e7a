/* api_models.c - GET /api/v1/models: the model catalog as the signed-in
 * user's plan sees it, the list a prompt's or version's "model" is chosen
 * from (any other is refused). */
#include "answer.h"
#include "jsonx.h"
#include "money.h"
#include "execute.h"
#include "handlers.h"
#include "http.h"
#include "model_picker.h"
#include "plans.h"
#include "util.h"

/* OpenAI's list shape, of the models the plan can run, and those the
 * user's BYOK keys open ("byok": true; the plan's whitelist does not apply
 * to them): {"object": "list",
 * "data": [{"id", "object": "model", "created", "owned_by" (the provider),
 * "name", "context_length", "pricing": {"prompt", "completion"} (USD per
 * token, as text), "prompt_usd_per_m", "completion_usd_per_m", "is_free",
 * "free_tier"}], "plan": {"code", "name"}}. */
void h_api_models(struct req *r)
{
	static const char *const copied[] = { "id", "name", "context_length",
	    "created", "prompt_usd_per_m", "completion_usd_per_m", "is_free",
	    "free_tier" };
	struct plan_ref ref;
	json_object *all, *models, *out, *data, *m, *o, *pricing;
	char usd[48];
	size_t i, k;
	int rc, byok;

	user_plan_ref(r, &ref);
	if ((rc = execute_models(r->db, &ref, &all)) != 0) {
		answer_fail(r, rc, NULL);
		return;
	}
	models = json_member(all, "models");
	if ((rc = model_byok_mark(r, &ref, models)) != 0) {
		json_object_put(all);
		answer_fail(r, rc, NULL);
		return;
	}
	data = json_object_new_array();
	for (i = 0; i < json_object_array_length(models); i++) {
		m = json_object_array_get_idx(models, i);
		byok = json_object_get_boolean(json_member(m, "byok"));
		if (!byok && !json_object_get_boolean(json_member(m, "allowed")))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "object", json_object_new_string("model"));
		json_object_object_add(o, "owned_by",
		    json_object_get(json_member(m, "provider")));
		for (k = 0; k < NELEM(copied); k++)
			json_object_object_add(o, copied[k],
			    json_object_get(json_member(m, copied[k])));
		pricing = json_object_new_object();
		money_nanos_usd(json_object_get_int64(json_member(m,
		    "price_prompt_nanos")), usd, sizeof(usd));
		json_object_object_add(pricing, "prompt", json_object_new_string(usd));
		money_nanos_usd(json_object_get_int64(json_member(m,
		    "price_completion_nanos")), usd, sizeof(usd));
		json_object_object_add(pricing, "completion",
		    json_object_new_string(usd));
		json_object_object_add(o, "pricing", pricing);
		json_object_object_add(o, "byok", json_object_new_boolean(byok));
		json_object_array_add(data, o);
	}
	out = json_object_new_object();
	json_object_object_add(out, "object", json_object_new_string("list"));
	json_object_object_add(out, "data", data);
	json_object_object_add(out, "plan", json_object_get(json_member(all, "plan")));
	json_object_put(all);
	resp_json(r, 200, out);
}
