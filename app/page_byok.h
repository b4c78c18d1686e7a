/* page_byok.h - what other pages show of BYOK (page_byok.c): the key a
 * prompt is pinned to, on its settings page, and the key a run uses, on
 * the run page. */
#ifndef PM_PAGE_BYOK_H
#define PM_PAGE_BYOK_H

#include <json-c/json.h>

struct req;

/* Add to the prompt settings page data d "byok_pin": {"options":
 * [{"value", "label", "selected"}], "has_keys"} for prompt p (from
 * prompt_get), when the user's plan allows BYOK; nothing otherwise (or
 * when the database fails: the page still shows). */
void byok_pin_form_data(struct req *r, json_object *p, json_object *d);
/* Add to the run page data d "byok_notice" (byok_route_info) for prompt p
 * (from prompt_get) running catalog model model, when a key of the user
 * is concerned; nothing otherwise. */
void byok_run_notice(struct req *r, json_object *p, const char *model,
    json_object *d);

#endif
