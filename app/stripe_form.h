/* stripe_form.h - request bodies and query strings in Stripe's form
 * encoding: application/x-www-form-urlencoded with bracket notation for
 * nested values (metadata[user_id]=42, line_items[0][price]=price_1).
 *
 * Pure functions of their arguments; nothing fails (memory exhaustion
 * aborts, util.h).
 */
#ifndef PM_STRIPE_FORM_H
#define PM_STRIPE_FORM_H

#include <json-c/json.h>

#include "buf.h"

/* Append the encoding of params (a JSON object; NULL or any other type
 * appends nothing) to out, members in their order, "&" between pairs:
 * an object member becomes key[sub], an array element key[i] (from 0),
 * true and false "true" and "false", an integer its decimal digits, a
 * string its bytes percent-encoded (RFC 3986 unreserved characters kept,
 * a space as %20), null an empty value (Stripe's "unset"). Key segments
 * are percent-encoded the same way; the brackets are written as they
 * are. An empty object or array adds nothing. */
void stripe_form_encode(json_object *params, struct buf *out);

#endif
