/* pages.h - helpers shared by the HTML page handlers of prompts,
 * versions and categories. */
#ifndef PM_PAGES_H
#define PM_PAGES_H

#include <json-c/json.h>

struct req;
struct prompt_query;
struct pm_fail;

/* The prompt list's options from the query string (q, category: an id
 * or "none", status, sort, cursor, limit), shared by the page and the
 * API. Returns 0, or PM_INVALID naming a bad category or limit. */
int prompt_query_parse(struct req *r, struct prompt_query *pq,
    struct pm_fail *f);

/* Page data for a section of the signed-in shell with its own title key
 * (a catalog key under "title."). */
struct json_object *page_with_title(struct req *r, const char *section,
    const char *title_key);
/* The owner's categories as options [{"id","name","selected"}], the one
 * with id selected marked; NULL when the database failed. */
struct json_object *category_options(struct req *r, int64_t selected);
/* Redirect to path after queueing the flash notice key. */
void redirect_flash(struct req *r, const char *path, const char *flash);
/* The :slug argument when it can be a slug, else NULL. */
const char *page_slug(struct req *r);
/* Prompt fields (name, slug, description, category_id) from a form. */
struct json_object *prompt_form_fields(struct req *r);
/* Add to version v (from version_get) what its template needs: status
 * flags, params as display rows, variable type flags. */
void version_decorate(struct json_object *v);

/* Add display fields to one variable declaration (type flags,
 * default_text, choices_text). */
void version_decorate_var(struct json_object *d);

#endif
