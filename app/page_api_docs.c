/* page_api_docs.c - GET /docs/api: how to call the API, with curl and
 * with an OpenAI SDK, and where its OpenAPI document is. */
#include "answer.h"
#include "config.h"
#include "handlers.h"
#include "http.h"
#include "pages.h"

void h_api_docs_page(struct req *r)
{
	struct json_object *d = page_with_title(r, "api", "api_docs");
	const char *base = cfg_str(CFG_PUBLIC_BASE_URL);

	/* the site's address as people reach it, else a placeholder */
	json_object_object_add(d, "base", json_object_new_string(
	    *base ? base : "https://prompt-manager.example"));
	resp_page(r, 200, "api_docs", d);
}
