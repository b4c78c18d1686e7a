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
/* The owner's categories as options [{"id","name","selected"}] in *out
 * (caller owns), the one with id selected marked. Returns 0, or a db_err
 * with *out an empty array. */
int category_options(struct req *r, int64_t selected, struct json_object **out);
/* Redirect to path after queueing the flash notice key. */
void redirect_flash(struct req *r, const char *path, const char *flash);
/* The :slug argument when it can be a slug, else NULL. */
const char *page_slug(struct req *r);
/* The :n argument as a version number, or 0 when it is not one. */
int page_number(struct req *r);
/* The :id argument as a row id, or 0 when it is not one. */
int64_t page_id(struct req *r);
/* Prompt fields (name, slug, description, category_id) from a form. */
struct json_object *prompt_form_fields(struct req *r);
/* Add is_production, is_draft or is_archived to version v for templates. */
void version_status_flags(struct json_object *v);
/* Add to version v (from version_get) what its template needs: status
 * flags, params as display rows, variable type flags. */
void version_decorate(struct json_object *v);

#endif
