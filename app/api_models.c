/* api_models.c - GET /api/v1/models: the model catalog as the signed-in
 * user's plan sees it, the list a prompt's or version's "model" is chosen
 * from (any other is refused). */
#include "answer.h"
#include "execute.h"
#include "handlers.h"
#include "http.h"
#include "model_picker.h"
#include "plans.h"

/* {"plan": {"code","name"}, "models": [{"id","name","provider","is_free",
 * "free_tier","price_prompt_nanos","price_completion_nanos",
 * "prompt_usd_per_m","completion_usd_per_m","context_length","allowed"}]}:
 * "allowed" says whether the plan can run the model. */
void h_api_models(struct req *r)
{
	struct plan_ref ref;
	json_object *out;
	int rc;

	user_plan_ref(r, &ref);
	if ((rc = execute_models(r->db, &ref, &out)) != 0)
		answer_fail(r, rc, NULL);
	else
		resp_json(r, 200, out);
}
