/* model_picker.h - the model catalog as the forms and the run page show
 * it (model_picker.c): each model with its price and context length in
 * words, grouped by what the signed-in user's plan can run, and the model
 * a new prompt starts with. */
#ifndef PM_MODEL_PICKER_H
#define PM_MODEL_PICKER_H

#include <json-c/json.h>

struct req;
struct plan_ref;

/* The model a new prompt starts with when the plan can run it. */
#define MODEL_PREFERRED_DEFAULT	"openai/gpt-4o-mini"

/* The plan reference of r's signed-in user, as the session read it. */
void user_plan_ref(struct req *r, struct plan_ref *ref);

/* Add to model m (a models_list() entry with "allowed") its words:
 * "price_text" ("$0.15 in, $0.6 out per 1M tokens" or "free"),
 * "context_text" ("128K context"), "label" (name, price, context). */
void model_decorate(struct json_object *m);

/* The id of the model a new prompt of the plan starts with, from models
 * (entries with "allowed"): MODEL_PREFERRED_DEFAULT when the plan can run
 * it, else the first model it can run, else the first model; NULL when
 * models is empty. Borrowed from models. */
const char *model_default(struct json_object *models);

/* Mark each entry of models (execute_models() entries) with "byok":
 * whether r's user's own keys open it (byok_route), when the plan of ref
 * lets keys run every model (byok_allowed, byok_models "all"); the plan's
 * whitelist does not apply to such a model. Returns 0 or a db_err. */
int model_byok_mark(struct req *r, const struct plan_ref *ref,
    struct json_object *models);

/* The picker of the prompt and version forms for r's user, with selected
 * marked (NULL: the plan's default, model_default()): {"plan": name,
 * "chosen": the id marked, "runnable": [model...], "upgrade": [model...]
 * (the plan cannot run them), "unknown": selected when it is not an
 * active catalog model, "selected": the chosen entry, "empty": no model at
 * all}, each model decorated (model_decorate) and "selected" on the
 * chosen one. On a database failure the picker is empty. Returns a new
 * object the caller owns. */
struct json_object *model_picker(struct req *r, const char *selected);

#endif
