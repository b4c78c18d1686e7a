/* answer.h - the one place where a failure becomes what the client sees:
 * the JSON error {"error":{"type","message","field"?,"details"?}} under
 * /api/ (and /webhooks/), the HTML error page elsewhere, or an error on
 * an HTML form page. Statuses and types come from err_info() (error.h),
 * sentences from the message catalog. */
#ifndef PM_ANSWER_H
#define PM_ANSWER_H

#include <json-c/json.h>

#include "error.h"

struct req;

/* Answer the request with the failure rc and its particulars f (may be
 * NULL): status and type from err_info(rc), Retry-After from f (5 s for a
 * database that is down), the sentence of pm_fail_text(). Takes
 * f->details. A response already begun (streaming) is left as it is. */
void answer_fail(struct req *r, int rc, struct pm_fail *f);
/* Answer the failure rc with the sentence of catalog key msg_key, its
 * {name} placeholders filled from the NULL-terminated name, value
 * pairs. */
void answer_error(struct req *r, int rc, const char *msg_key, ...)
	__attribute__((sentinel));
/* Add the failure to form page data d (under errors.<field> and in the
 * summary, variable errors under variable_errors) and return the HTTP
 * status the page should carry: 422 for bad input, else the kind's.
 * Takes f->details. */
int form_fail(struct json_object *d, int rc, struct pm_fail *f);

#endif
