/* pages.h - helpers shared by the HTML page handlers (page_*.c), in
 * pages.c. */
#ifndef PM_PAGES_H
#define PM_PAGES_H

#include <json-c/json.h>

struct req;
struct prompt_query;
struct exec_query;
struct pm_fail;

/* The prompt list's options from the query string (q, category: an id
 * or "none", status, sort, cursor, limit), shared by the page and the
 * API. Returns 0, or PM_INVALID naming a bad category or limit. */
int prompt_query_parse(struct req *r, struct prompt_query *pq,
    struct pm_fail *f);

/* Page data for a section of the signed-in shell with its own title key
 * (a catalog key under "title."). */
/* The execution history's filters from the query string into q (the
 * history page, its CSV and the API): prompt, model, status, billing,
 * from, to, cursor. */
void exec_query_of(struct req *r, struct exec_query *q);
struct json_object *page_with_title(struct req *r, const char *section,
    const char *title_key);
/* The owner's categories as options [{"id","name","selected"}] in *out
 * (caller owns), the one with id selected marked. Returns 0, or a db_err
 * with *out an empty array. */
int category_options(struct req *r, int64_t selected, struct json_object **out);
/* Redirect to path after queueing the flash notice key. */
void redirect_flash(struct req *r, const char *path, const char *flash);
/* Prompt fields (name, slug, description, category_id) from a form. */
struct json_object *prompt_form_fields(struct req *r);
/* Add is_production, is_draft or is_archived to version v for templates. */
void version_status_flags(struct json_object *v);
/* Add to version v (from version_get) what its template needs: status
 * flags, params as display rows, variable type flags. */
void version_decorate(struct json_object *v);

/* Version content from the form's fields (messages, model, params,
 * variable declarations, commit message), as version_content() takes it.
 * Returns a new object the caller owns. */
struct json_object *version_form_fields(struct req *r);
/* The new-version form's initial values from version v (from
 * version_get): messages, model, params, declarations. Returns a new
 * object the caller owns. */
struct json_object *version_form_values(struct json_object *v);
/* What the user typed (content from version_form_fields), for redisplay
 * after a refusal, with the variables detected in the typed messages.
 * Returns a new object the caller owns. */
struct json_object *version_form_request_values(struct req *r,
    struct json_object *content);
/* Give each variable of vars (declarations) the sentence of its first
 * error among d's "variable_errors" (from form_fail) under key, so that
 * the template shows it next to the variable's fields. */
void variable_errors_to_fields(struct json_object *d, struct json_object *vars,
    const char *key);
/* Render the new-prompt or new-version form template tmpl with page data
 * d and form values (both taken) and the status: with the model picker
 * ("models", see model_picker(); a form without "model" gets the plan's
 * default) and each variable's declaration error. */
void version_form(struct req *r, int status, struct json_object *d,
    struct json_object *values, const char *tmpl);

#endif
