/* answer.h - turn a data-layer refusal (struct pm_fail, enum pm_err,
 * enum db_err) into what the user sees: the JSON error, or an error on an
 * HTML form page. The one place that maps those codes to HTTP statuses. */
#ifndef PM_ANSWER_H
#define PM_ANSWER_H

#include <json-c/json.h>

#include "prompts.h"

struct req;
struct pm_fail;
struct buf;

/* HTTP status for a negative result code: 404, 409, 400, 413, 503, 500. */
int fail_status(int rc);
/* Append the user-facing sentence of the refusal to out. */
void fail_text(int rc, const struct pm_fail *f, struct buf *out);
/* Whether rc is a database failure (enum db_err) rather than a refusal
 * (enum pm_err): the caller answers with answer_fail(), not its form. */
#define fail_is_db(rc)	((rc) < 0 && (rc) > PM_NOTFOUND)
/* Answer the request with the refusal: the JSON error {"error":{"type",
 * "message","field"?,"details"?}} under /api/, the HTML error page
 * otherwise. Takes f->details. */
void answer_fail(struct req *r, int rc, struct pm_fail *f);
/* Add the refusal to form page data d (under errors.<field> and the
 * summary) and return the HTTP status the page should carry. Takes
 * f->details. */
int form_fail(struct json_object *d, int rc, struct pm_fail *f);

#endif
